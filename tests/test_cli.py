"""The coplan command as a user runs it: real subprocesses, exit codes, no tracebacks."""

from __future__ import annotations

import json
import subprocess
import sys

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
