"""Bad input anywhere on the command line: one line naming the path, exit code 2, never a traceback.

Every subcommand is run as a user runs it (a subprocess of `python -m planner`) with the wrong kinds of
path: a folder where a file belongs, a missing file, a file of another kind, an output under a regular
file or in a folder that does not exist. Paths are relative to the test's folder, so the line must name
them as the user wrote them.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import SAMPLES

MID = SAMPLES / "midsize_city"
CALLS = str(MID / "calls.csv.gz")
MAPPING = str(MID / "mapping.toml")
BASELINE = str(MID / "baseline.toml")
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89"
SECRET = "SECRET-CONTENT-LINE"


@pytest.fixture(scope="module")
def place(tmp_path_factory) -> Path:
    """A folder of wrong things: a folder, an image, a CSV, a mapping, a web page, an empty file, a project."""
    d = tmp_path_factory.mktemp("bad")
    (d / "folder").mkdir()
    (d / "no_scenarios").mkdir()
    (d / "no_scenarios" / "mapping.toml").write_bytes(Path(MAPPING).read_bytes())
    (d / "no_scenarios" / "notes.txt").write_text("notes\n")
    (d / "image.png").write_bytes(PNG)
    (d / "table.csv").write_text(f"{SECRET},b\n1,2\n")
    (d / "mapping.toml").write_bytes(Path(MAPPING).read_bytes())
    (d / "page.csv").write_text(f"<!DOCTYPE html><html><body>{SECRET}</body></html>\n")
    (d / "empty.toml").write_text("")
    (d / "plainfile").write_text(f"{SECRET}\n")
    (d / "baseline.toml").write_text(f'base = {BASELINE!r}\nname = "Copy of the baseline"\n')
    (d / "calls_is_a_folder.toml").write_text(f'base = {BASELINE!r}\nname = "x"\n[data]\ncalls = "folder"\n')
    r = coplan("project", "new", "city.coplan", cwd=d)
    assert r.returncode == 0, r.stderr
    return d


def coplan(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "planner", *args], capture_output=True, text=True, cwd=cwd,
                          timeout=300)


def assert_one_line(r: subprocess.CompletedProcess, names: str | None) -> str:
    assert "Traceback" not in r.stderr, r.stderr
    lines = r.stderr.splitlines()
    assert r.returncode == 2, (r.returncode, r.stderr)
    assert len(lines) == 1 and r.stderr.endswith("\n"), r.stderr
    if names is not None:
        assert names in lines[0], lines[0]
    assert SECRET not in r.stderr          # never the contents of the bad file
    return lines[0]


# (command line, the path the one line must name); "{...}" is filled with a sample's path.
CASES = {
    "profile": [
        (["profile", "folder"], "folder"),
        (["profile", "missing.csv"], "missing.csv"),
        (["profile", "missing_folder/calls.csv"], "missing_folder/calls.csv"),
        (["profile", "plainfile/calls.csv"], "plainfile/calls.csv"),
        (["profile", "image.png"], "image.png"),
        (["profile", "{BASELINE}"], "baseline.toml"),                  # a TOML where calls belong
        (["profile", "mapping.toml"], "mapping.toml"),
        (["profile", "page.csv"], "page.csv"),                          # a web page saved as .csv
        (["profile", "{CALLS}", "--mapping", "folder"], "folder"),
        (["profile", "{CALLS}", "--mapping", "missing.toml"], "missing.toml"),
        (["profile", "{CALLS}", "--mapping", "table.csv"], "table.csv"),
        (["profile", "{CALLS}", "--mapping", "image.png"], "image.png"),
        (["profile", "{CALLS}", "--mapping", "{BASELINE}"], "baseline.toml"),
        (["profile", "{CALLS}", "--codes", "image.png"], "image.png"),
        (["profile", "{CALLS}", "--codes", "folder"], "folder"),
        (["profile", "{CALLS}", "--codes", "mapping.toml"], "mapping.toml"),
        (["profile", "{CALLS}", "--tz", "Mars/Olympus"], "Mars/Olympus"),
        (["profile", "{CALLS}", "--top", "-1"], "--top"),
        (["profile", "{CALLS}", "--rejects", "plainfile/rejects.csv"], "plainfile/rejects.csv"),
        (["profile", "{CALLS}", "--rejects", "missing_folder/rejects.csv"], "missing_folder/rejects.csv"),
        (["profile", "{CALLS}", "--rejects", "folder"], "folder"),
        (["profile", "{CALLS}", "--rejects", "rejects.pdf"], "rejects.pdf"),
        (["profile", "{CALLS}", "--rejects", "{CALLS}"], "calls.csv.gz"),
        (["profile", "{CALLS}", "--save-mapping", "plainfile/m.toml"], "plainfile/m.toml"),
        (["profile", "{CALLS}", "--save-mapping", "missing_folder/m.toml"], "missing_folder/m.toml"),
        (["profile", "{CALLS}", "--save-mapping", "folder"], "folder"),
    ],
    "validate": [
        (["validate", "folder"], "folder"),
        (["validate", "missing.toml"], "missing.toml"),
        (["validate", "image.png"], "image.png"),
        (["validate", "table.csv"], "table.csv"),
        (["validate", "mapping.toml"], "mapping.toml"),
        (["validate", "empty.toml"], "empty.toml"),
        (["validate", "plainfile"], "plainfile"),
        (["validate", "city.coplan"], "city.coplan"),
        (["validate", "calls_is_a_folder.toml"], "calls_is_a_folder.toml"),
    ],
    "simulate": [
        (["simulate", "folder"], "folder"),
        (["simulate", "missing.toml"], "missing.toml"),
        (["simulate", "image.png"], "image.png"),
        (["simulate", "table.csv"], "table.csv"),
        (["simulate", "mapping.toml"], "mapping.toml"),
        (["simulate", "calls_is_a_folder.toml", "--quiet"], "folder"),
        (["simulate", "{BASELINE}", "--replications", "0"], "--replications"),
        (["simulate", "{BASELINE}", "--horizon-days", "0"], "--horizon-days"),
        (["simulate", "{BASELINE}", "--workers", "zero"], "--workers"),
        (["simulate", "{BASELINE}", "--seed", "-1"], "--seed"),
        (["simulate", "{BASELINE}", "--scheduler", "not an address"], "--scheduler"),
    ],
    "optimize": [
        (["optimize", "folder"], "folder"),
        (["optimize", "missing.toml"], "missing.toml"),
        (["optimize", "image.png"], "image.png"),
        (["optimize", "mapping.toml"], "mapping.toml"),
        (["optimize", "{BASELINE}", "--out-scenario", "plainfile/plan.toml"], "plainfile/plan.toml"),
        (["optimize", "{BASELINE}", "--out-scenario", "missing_folder/plan.toml"], "missing_folder/plan.toml"),
        (["optimize", "{BASELINE}", "--out-scenario", "folder"], "folder"),
        (["optimize", "{BASELINE}", "--out-scenario", "plan.csv"], "plan.csv"),
        (["optimize", "baseline.toml", "--out-scenario", "baseline.toml"], "baseline.toml"),   # over its input
        (["optimize", "{BASELINE}", "--budget", "-5"], "--budget"),
        (["optimize", "{BASELINE}", "--time-limit", "0"], "--time-limit"),
        (["optimize", "{BASELINE}", "--pareto", "1"], "--pareto"),
        (["optimize", "{BASELINE}", "--objective", "cheapest"], "--objective"),
    ],
    "compare": [
        (["compare", "no_scenarios"], "no_scenarios"),
        (["compare", "missing.toml"], "missing.toml"),
        (["compare", "image.png"], "image.png"),
        (["compare", "table.csv"], "table.csv"),
        (["compare", "{BASELINE}", "mapping.toml"], "mapping.toml"),
        (["compare", "city.coplan", "{BASELINE}"], "city.coplan"),
        (["compare", "city.coplan"], "city.coplan"),                              # no scenarios yet
        (["compare", "{BASELINE}", "--baseline", "No such scenario"], "No such scenario"),
        (["compare", "{BASELINE}", "--pdf", "missing_folder/report.pdf"], "missing_folder/report.pdf"),
        (["compare", "{BASELINE}", "--pdf", "plainfile/report.pdf"], "plainfile/report.pdf"),
        (["compare", "{BASELINE}", "--pdf", "folder"], "folder"),
        (["compare", "{BASELINE}", "--pdf", "report.xlsx"], "report.xlsx"),
        (["compare", "{BASELINE}", "--xlsx", "missing_folder/report.xlsx"], "missing_folder/report.xlsx"),
        (["compare", "{BASELINE}", "--xlsx", "plainfile/report.xlsx"], "plainfile/report.xlsx"),
        (["compare", "{BASELINE}", "--png-dir", "plainfile"], "plainfile"),
        (["compare", "{BASELINE}", "--png-dir", "missing_folder/charts"], "missing_folder/charts"),
        (["compare", "{BASELINE}", "--png-dir", "plainfile/charts"], "plainfile/charts"),
        (["compare", "{BASELINE}", "--replications", "-3"], "--replications"),
    ],
    "template": [
        (["template", "apply", "star", "folder", "--out", "out.toml"], "folder"),
        (["template", "apply", "star", "image.png", "--out", "out.toml"], "image.png"),
        (["template", "apply", "star", "missing.toml", "--out", "out.toml"], "missing.toml"),
        (["template", "apply", "star", "{BASELINE}", "--out", "folder"], "folder"),
        (["template", "apply", "star", "{BASELINE}", "--out", "missing_folder/out.toml"], "missing_folder/out.toml"),
        (["template", "apply", "star", "{BASELINE}", "--out", "plainfile/out.toml"], "plainfile/out.toml"),
        (["template", "apply", "star", "baseline.toml", "--out", "baseline.toml"], "baseline.toml"),
        (["template", "apply", "no_such_programme", "{BASELINE}", "--out", "out.toml"], "no_such_programme"),
    ],
    "baseline": [
        (["baseline", "folder", "--out", "out.toml"], "folder"),
        (["baseline", "missing.csv", "--out", "out.toml"], "missing.csv"),
        (["baseline", "image.png", "--out", "out.toml"], "image.png"),
        (["baseline", "{BASELINE}", "--out", "out.toml"], "baseline.toml"),           # a scenario where calls belong
        (["baseline", "{CALLS}", "--mapping", "image.png", "--out", "out.toml"], "image.png"),
        (["baseline", "{CALLS}", "--tz", "Mars/Olympus", "--out", "out.toml"], "Mars/Olympus"),
        (["baseline", "{CALLS}", "--out", "folder"], "folder"),
        (["baseline", "{CALLS}", "--out", "missing_folder/out.toml"], "missing_folder/out.toml"),
        (["baseline", "{CALLS}", "--out", "out.pdf"], "out.pdf"),
        (["baseline", "{CALLS}", "--mapping", "mapping.toml", "--out", "mapping.toml"], "mapping.toml"),  # its input
    ],
    "sample": [
        (["sample", "--out", "plainfile"], "plainfile"),
        (["sample", "--out", "plainfile/sample"], "plainfile/sample"),
        (["sample", "--out", "missing_folder/sample"], "missing_folder/sample"),
        (["sample", "--out", "s", "--start", "someday"], "someday"),
        (["sample", "--out", "s", "--days", "0"], "--days"),
        (["sample", "--out", "s", "--calls-per-year", "0"], "--calls-per-year"),
    ],
    "project": [
        (["project", "new", "folder"], "folder"),
        (["project", "new", "missing_folder/city.coplan"], "missing_folder/city.coplan"),
        (["project", "new", "plainfile/city.coplan"], "plainfile/city.coplan"),
        (["project", "new", "city.toml"], "city.toml"),
        (["project", "new", "city.coplan"], "city.coplan"),                       # exists already
        (["project", "import", "missing.coplan", "{CALLS}"], "missing.coplan"),
        (["project", "import", "folder", "{CALLS}"], "folder"),
        (["project", "import", "image.png", "{CALLS}"], "image.png"),
        (["project", "import", "city.coplan", "image.png"], "image.png"),
        (["project", "import", "city.coplan", "folder"], "folder"),
        (["project", "import", "city.coplan", "{BASELINE}"], "baseline.toml"),
        (["project", "import", "city.coplan", "{CALLS}", "--mapping", "image.png"], "image.png"),
        (["project", "import", "city.coplan", "{CALLS}", "--codes", "folder"], "folder"),
        (["project", "add-scenario", "table.csv", "{BASELINE}"], "table.csv"),
        (["project", "add-scenario", "city.coplan", "image.png"], "image.png"),
        (["project", "add-scenario", "city.coplan", "mapping.toml"], "mapping.toml"),
        (["project", "add-scenario", "city.coplan", "missing.toml"], "missing.toml"),
        (["project", "add-scenario", "city.coplan", "no_scenarios"], "no_scenarios"),
        (["project", "run", "folder"], "folder"),
        (["project", "run", "missing.coplan"], "missing.coplan"),
        (["project", "run", "city.coplan", "--replications", "0"], "--replications"),
        (["project", "list", "image.png"], "image.png"),
        (["project", "list", "plainfile"], "plainfile"),
        (["project", "list", "folder"], "folder"),
    ],
}


def _fill(argv: list[str]) -> list[str]:
    return [a.format(CALLS=CALLS, BASELINE=BASELINE, MAPPING=MAPPING) for a in argv]


@pytest.mark.parametrize(("argv", "names"), [pytest.param(a, n, id=" ".join(a)) for cases in CASES.values()
                                              for a, n in cases])
def test_bad_input_is_one_line_and_exit_2(place, argv, names):
    r = coplan(*_fill(argv), cwd=place)
    assert_one_line(r, names)
    assert r.stdout == ""


def test_every_subcommand_is_swept():
    from planner.cli import build_parser

    sub = next(a for a in build_parser()._actions if isinstance(a, argparse._SubParsersAction))
    assert set(sub.choices) == set(CASES)


def test_nothing_is_written_on_bad_input(place):
    """A check that fails stops the command before any work: no output file, no folder made."""
    r = coplan("sample", "--out", "missing_folder/sample", cwd=place)
    assert_one_line(r, "missing_folder")
    assert not (place / "missing_folder").exists()
    r = coplan("compare", BASELINE, "--png-dir", "missing_folder/charts", cwd=place)
    assert_one_line(r, "missing_folder")
    assert not (place / "missing_folder").exists()


@pytest.mark.parametrize("argv", [[], ["nonsense"], ["simulate"], ["compare"], ["project"],
                                  ["profile", CALLS, "--bin-minutes", "7"], ["simulate", BASELINE, "--no-such-option"]])
def test_usage_errors_are_one_line(place, argv):
    line = assert_one_line(coplan(*argv, cwd=place), None)
    assert "error" in line and "--help" in line


def test_messages_say_what_the_file_is(place):
    assert "a PNG image" in assert_one_line(coplan("validate", "image.png", cwd=place), "image.png")
    assert "a column mapping" in assert_one_line(coplan("simulate", "mapping.toml", cwd=place), "mapping.toml")
    assert "a scenario" in assert_one_line(coplan("profile", BASELINE, cwd=place), "baseline.toml")
    assert "is a folder" in assert_one_line(coplan("validate", "folder", cwd=place), "folder")
    line = assert_one_line(coplan("validate", "calls_is_a_folder.toml", cwd=place), "calls_is_a_folder.toml")
    assert "folder" in line and "data.calls" in line
    line = assert_one_line(coplan("project", "add-scenario", "city.coplan", "mapping.toml", cwd=place),
                           "mapping.toml")
    assert "not a scenario (a column mapping)" in line


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() == 0,
                    reason="root reads a file whatever its permissions (see test_unreadable_file_in_process)")
def test_unreadable_file(tmp_path):
    s = tmp_path / "locked.toml"
    s.write_bytes(Path(BASELINE).read_bytes())
    s.chmod(0)
    try:
        for argv in (["validate", "locked.toml"], ["simulate", "locked.toml"], ["compare", "locked.toml"],
                     ["profile", CALLS, "--mapping", "locked.toml"]):
            line = assert_one_line(coplan(*argv, cwd=tmp_path), "locked.toml")
            assert "permission denied" in line
    finally:
        s.chmod(0o644)


def test_unreadable_file_in_process(tmp_path, monkeypatch, capsys):
    """The same as test_unreadable_file where permissions cannot stop reading (as root): the read fails."""
    import planner.cli as cli

    def refuse(path, size=4096):
        raise PermissionError(13, "Permission denied", str(path))

    monkeypatch.setattr(cli, "read_head", refuse)
    s = tmp_path / "locked.toml"
    s.write_text("x = 1\n")
    assert cli.main(["validate", str(s)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and str(s) in err and "permission denied" in err


def test_expected_errors_become_one_line():
    from optimize.errors import OptimizeError
    from planner.cli import expected_error
    from planner.errors import ScenarioError
    from simulation.errors import SimulationError

    assert expected_error(PermissionError(13, "Permission denied", "out/report.pdf")) == \
        "out/report.pdf: permission denied"
    assert expected_error(IsADirectoryError(21, "Is a directory", "charts")) == "charts: is a folder, not a file"
    assert expected_error(OSError(28, "No space left on device", "report.xlsx")) == "report.xlsx: the disk is full"
    assert expected_error(ScenarioError("s.toml: budget = -1:\nexpected >= 0")) == "s.toml: budget = -1: expected >= 0"
    assert expected_error(SimulationError("scheduler 'x:1': cannot connect")) == "scheduler 'x:1': cannot connect"
    assert expected_error(OptimizeError("time_limit is 0")) == "time_limit is 0"
    assert expected_error(ValueError("a bug")) is None          # a bug keeps its traceback
    assert expected_error(KeyError("a bug")) is None
