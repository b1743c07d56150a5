"""The coplan command as a user runs it: real subprocesses, exit codes, no tracebacks."""

from __future__ import annotations

import json
import subprocess
import sys

from planner.scenario import load_scenario
from tests.conftest import SAMPLES

MID = SAMPLES / "midsize_city"


def coplan(*args: str, cwd=None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "planner", *args], capture_output=True, text=True, cwd=cwd)


def test_profile_the_bundled_sample():
    r = coplan("profile", str(MID / "calls.csv.gz"), "--mapping", str(MID / "mapping.toml"), "--json")
    assert r.returncode == 0, r.stderr
    s = json.loads(r.stdout)
    assert s["rows_read"] == s["rows_imported"] + s["rows_rejected"]
    assert s["rows_imported"] == s["calls_imported"] + s["rows_merged"]
    assert 55000 < s["calls_imported"] < 65000          # about 60,000 calls a year
    assert s["rows_rejected"] == 20 and s["timezone"] == "America/Chicago"
    assert s["by_category"]["other"] / s["calls_imported"] < 0.05
    # The user's rule in mapping.toml moved SUBJECT WANTED out of 'other'.
    assert all(e["call_type"] != "SUBJECT WANTED" for e in s["unmatched_call_types"])


def test_readable_summary_and_rejects_file(tmp_path):
    rej = tmp_path / "rejects.csv"
    r = coplan("profile", str(MID / "calls.csv.gz"), "--mapping", str(MID / "mapping.toml"), "--rejects", str(rej))
    assert r.returncode == 0, r.stderr
    assert "Rows read" in r.stdout and "behavioral_health" in r.stdout and "Call types in 'other'" in r.stdout
    lines = rej.read_text().splitlines()
    assert lines[0] == "source_row,column,value,reason" and len(lines) == 21


def test_user_errors_exit_2_with_one_line(tmp_path):
    r = coplan("profile", str(tmp_path / "missing.csv"))
    assert r.returncode == 2 and r.stderr.count("\n") == 1 and "file not found" in r.stderr
    assert "Traceback" not in r.stderr
    bad = tmp_path / "s.toml"
    bad.write_text('name = "x"\n[responders.officer]\ncost_per_person = -5\n')
    r = coplan("validate", str(bad))
    assert r.returncode == 2 and "responders.officer.cost_per_person = -5" in r.stderr


def test_sample_is_seeded(tmp_path):
    for d in ("a", "b"):
        r = coplan("sample", "--out", str(tmp_path / d), "--calls-per-year", "2000", "--days", "30", "--seed", "7")
        assert r.returncode == 0, r.stderr
    assert (tmp_path / "a" / "calls.csv").read_bytes() == (tmp_path / "b" / "calls.csv").read_bytes()
    r = coplan("profile", str(tmp_path / "a" / "calls.csv"), "--codes", str(tmp_path / "a" / "codes.csv"), "--json")
    s = json.loads(r.stdout)
    assert s["rows_read"] == s["rows_imported"] + s["rows_rejected"]


def test_validate_sample():
    r = coplan("validate", str(MID / "baseline.toml"))
    assert r.returncode == 0 and "valid scenario" in r.stdout


def test_plans_written_from_one_baseline_have_distinct_names(tmp_path):
    """Each --out-scenario plan is named after its scenario, objective and budget, so plans compare apart."""
    for out, extra in (("a.toml", ()), ("b.toml", ("--budget", "900000"))):
        r = coplan("optimize", str(MID / "baseline.toml"), "--time-limit", "5", "--quiet", "--out-scenario", out,
                   *extra, cwd=tmp_path)
        assert r.returncode == 0, r.stderr
    a, b = (load_scenario(tmp_path / f) for f in ("a.toml", "b.toml"))
    assert a.name == "Baseline: officers only (min-cost plan)"
    assert b.name == "Baseline: officers only (min-cost plan, civilian budget $900,000)"


def test_plan_name():
    from types import SimpleNamespace

    from planner.cli import plan_name

    r = SimpleNamespace(scenario=SimpleNamespace(name="Today"), objective="max-hours-freed", budget=600000.0,
                        iterations=[{"iteration": 1}])
    assert plan_name(r) == "Today (max-hours-freed plan, civilian budget $600,000, checked by simulation)"


def test_project_add_scenario_takes_folders_and_never_merges_names(tmp_path):
    def run(*a):
        return coplan("project", *a, cwd=tmp_path)

    assert run("new", "city.coplan").returncode == 0
    r = run("add-scenario", "city.coplan", str(MID))
    assert r.returncode == 0, r.stderr
    assert r.stdout.count("added scenario") == 3
    assert any(n.endswith("mapping.toml: not a scenario (a column mapping)") for n in r.stderr.splitlines())
    # The same scenario again changes nothing.
    r = run("add-scenario", "city.coplan", str(MID / "social_workers.toml"))
    assert r.returncode == 0 and "the same as the project's" in r.stdout, r.stderr
    # A different scenario under a name the project has: refused, naming both.
    option_a = f'base = {str(MID / "social_workers.toml")!r}\nname = "Option A: social workers"\n'
    (tmp_path / "bigger.toml").write_text(option_a + '[targets]\nbudget = 2000000\n')
    r = run("add-scenario", "city.coplan", "bigger.toml")
    assert r.returncode == 2 and len(r.stderr.splitlines()) == 1 and "Traceback" not in r.stderr
    assert "city.coplan" in r.stderr and "bigger.toml" in r.stderr and "'Option A: social workers'" in r.stderr
    # Two files of one name in one call: refused, naming both; nothing is added.
    (tmp_path / "new.toml").write_text(option_a.replace("Option A", "Option C"))
    (tmp_path / "new_copy.toml").write_text(option_a.replace("Option A", "Option C"))
    r = run("add-scenario", "city.coplan", "new.toml", "new_copy.toml")
    assert r.returncode == 2 and "new.toml" in r.stderr and "new_copy.toml" in r.stderr
    listed = json.loads(run("list", "city.coplan", "--json").stdout)
    assert [s["name"] for s in listed["scenarios"]] == ["Baseline: officers only", "Option B: co-responder units",
                                                        "Option A: social workers"]
    # --replace replaces; a saved run of the earlier version is dropped, not shown under the new one.
    r = run("import", "city.coplan", str(MID / "calls.csv.gz"), "--mapping", str(MID / "mapping.toml"))
    assert r.returncode == 0, r.stderr
    r = run("run", "city.coplan", "Option A: social workers", "--replications", "2", "--horizon-days", "7", "--quiet")
    assert r.returncode == 0, r.stderr
    r = run("add-scenario", "city.coplan", "bigger.toml", "--replace")
    assert r.returncode == 0, r.stderr
    assert "replaced scenario 'Option A: social workers'" in r.stdout and "dropped" in r.stdout
    listed = json.loads(run("list", "city.coplan", "--json").stdout)
    assert listed["runs"] == [] and len(listed["scenarios"]) == 3
