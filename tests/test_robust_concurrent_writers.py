"""Concurrent writers: two processes writing one project never lose an acknowledged write.

Every save holds the project's lock and refuses to replace a file saved by someone else after it was
read; the CLI holds the lock from open to save, so a second writer waits its turn.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from planner.errors import ProjectError
from planner.project import Project, open_project, project_lock
from tests.conftest import ROOT

WRITERS, ROUNDS = 5, 20

SCENARIO = """\
name = "{name}"
[responders.officer]
cost_per_person = 100000
on_duty = 4
"""

# One writer: ROUNDS times `coplan project add-scenario` (the CLI's own main, in this process), each
# scenario file its own; prints the name of each scenario the command acknowledged ("added").
WRITER = textwrap.dedent("""
    import contextlib, io, sys
    from planner.cli import main
    project, folder, writer, rounds = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
    for i in range(rounds):
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            code = main(["project", "add-scenario", project, f"{folder}/w{writer}r{i}.toml"])
        if code == 0 and ": added scenario" in out.getvalue():
            print(f"w{writer}r{i}", flush=True)
""")


def _scenarios(folder: Path, writers: int, rounds: int) -> None:
    for w in range(writers):
        for i in range(rounds):
            (folder / f"w{w}r{i}.toml").write_text(SCENARIO.format(name=f"w{w}r{i}"))


def _env() -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(ROOT)}


def test_five_writers_twenty_rounds_lose_no_acknowledged_scenario(tmp_path):
    project = tmp_path / "city.coplan"
    Project.new("city").save(project)
    _scenarios(tmp_path, WRITERS, ROUNDS)
    started = time.monotonic()
    procs = [subprocess.Popen([sys.executable, "-c", WRITER, str(project), str(tmp_path), str(w), str(ROUNDS)],
                              cwd=ROOT, env=_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for w in range(WRITERS)]
    acknowledged, errors = [], []
    for p in procs:
        out, err = p.communicate(timeout=240)
        acknowledged += out.split()
        errors += [ln for ln in err.splitlines() if ln.strip()]
    stored = set(open_project(project).scenarios)
    assert not errors, errors[:5]
    assert len(acknowledged) == WRITERS * ROUNDS      # each waited its turn; none was refused
    assert set(acknowledged) <= stored, sorted(set(acknowledged) - stored)[:10]
    assert len(stored) == WRITERS * ROUNDS
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []   # no lock or temp file left
    print(f"{WRITERS} writers x {ROUNDS} rounds: {len(stored)} stored in {time.monotonic() - started:.1f} s")


def test_real_coplan_processes_at_once_lose_nothing(tmp_path):
    """The measured case: `coplan project add-scenario` processes started together on one project."""
    project = tmp_path / "city.coplan"
    Project.new("city").save(project)
    _scenarios(tmp_path, WRITERS, 1)
    procs = [subprocess.Popen([sys.executable, "-m", "planner", "project", "add-scenario", str(project),
                               str(tmp_path / f"w{w}r0.toml")], cwd=ROOT, env=_env(), stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True) for w in range(WRITERS)]
    results = [(p.wait(timeout=120), p.stdout.read(), p.stderr.read()) for p in procs]
    for p in procs:
        p.stdout.close()
        p.stderr.close()
    assert [code for code, _, _ in results] == [0] * WRITERS, results
    assert all("added scenario" in out for _, out, _ in results)
    assert sorted(open_project(project).scenarios) == sorted(f"w{w}r0" for w in range(WRITERS))


def test_a_stale_copy_is_refused_not_saved_over_anothers_write(tmp_path):
    project = tmp_path / "city.coplan"
    Project.new("city").save(project)
    mine, theirs = open_project(project), open_project(project)
    theirs.name = "theirs"
    theirs.save()
    mine.name = "mine"
    with pytest.raises(ProjectError) as e:
        mine.save()
    assert str(e.value).startswith(f"{project}: the project is being written by another process")
    assert "\n" not in str(e.value)
    assert open_project(project).name == "theirs"


def test_a_writer_waits_then_refuses_in_one_line_while_the_lock_is_held(tmp_path):
    project = tmp_path / "city.coplan"
    Project.new("city").save(project)
    holder = subprocess.Popen([sys.executable, "-c", textwrap.dedent(f"""
        import sys, time
        from planner.project import project_lock
        with project_lock({str(project)!r}):
            print("held", flush=True)
            time.sleep(30)
    """)], cwd=ROOT, env=_env(), stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        p = open_project(project)
        started = time.monotonic()
        with pytest.raises(ProjectError) as e:
            with project_lock(project, wait=0.5):
                p.save()
        assert time.monotonic() - started < 5
        assert str(e.value) == f"{project}: the project is being written by another process; try again when it " \
                               f"has finished"
    finally:
        holder.kill()
        holder.wait()
        holder.stdout.close()
    p.save()     # the lock went with the process that held it
    assert open_project(project).name == "city"


def test_the_cli_refuses_a_busy_project_with_one_line_and_exit_code_2(tmp_path, monkeypatch, capsys):
    from planner import project as project_module
    from planner.cli import main

    project = tmp_path / "city.coplan"
    Project.new("city").save(project)
    (tmp_path / "a.toml").write_text(SCENARIO.format(name="a"))
    holder = subprocess.Popen([sys.executable, "-c", textwrap.dedent(f"""
        import time
        from planner.project import project_lock
        with project_lock({str(project)!r}):
            print("held", flush=True)
            time.sleep(30)
    """)], cwd=ROOT, env=_env(), stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        monkeypatch.setattr(project_module, "LOCK_WAIT", 0.5)
        code = main(["project", "add-scenario", str(project), str(tmp_path / "a.toml")])
    finally:
        holder.kill()
        holder.wait()
        holder.stdout.close()
    out, err = capsys.readouterr()
    assert code == 2
    assert "added" not in out
    assert err.count("\n") == 1 and "the project is being written by another process" in err
    assert list(open_project(project).scenarios) == []
