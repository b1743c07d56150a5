"""Names are safe to print: control characters reach no terminal, long names are refused at load, and an
error about an unreadable file names the file and the problem, never its contents."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from planner.cli import main, printable
from planner.errors import ScenarioError
from planner.limits import MAX_NAME, check_scenario_limits
from tests.conftest import ROOT

ESCAPES = "\x1b]0;pwned\x07WEIRD\x1b[2J"
RAW = ("\x1b", "\x07", "\x9b", "\u202e")


def _coplan(*argv: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "planner", *argv], cwd=ROOT, capture_output=True, text=True,
                          env={**os.environ, "PYTHONPATH": str(ROOT)}, timeout=120)


def test_printable_escapes_control_characters_and_keeps_layout():
    assert printable("a\x1b[31mb") == "a\\x1b[31mb"
    assert printable("tab\tand\nnewline") == "tab\tand\nnewline"
    assert printable("\rprogress \r bar") == "\rprogress \\r bar"     # only a leading carriage return
    assert printable("\u202eevil\x9b") == "\\u202eevil\\x9b"
    assert printable("Café — Zürich") == "Café — Zürich"


def test_a_call_type_with_escape_sequences_is_printed_escaped(tmp_path):
    calls = tmp_path / "calls.csv"
    calls.write_text("Incident Number,Received,Call Type,Priority\n"
                     f"1,2025-01-06 08:00,{ESCAPES},2\n2,2025-01-06 09:00,THEFT,2\n3,2025-01-07 10:00,{ESCAPES},3\n")
    r = _coplan("profile", str(calls))
    assert r.returncode == 0, r.stderr
    assert not any(c in r.stdout + r.stderr for c in RAW)
    assert "\\x1b]0;pwned\\x07WEIRD\\x1b[2J" in r.stdout


def test_a_file_name_with_escape_sequences_is_printed_escaped(tmp_path):
    name = tmp_path / f"plan{ESCAPES}.toml"
    r = _coplan("validate", str(name))
    assert r.returncode == 2
    assert not any(c in r.stderr for c in RAW)
    assert r.stderr.count("\n") == 1 and "plan\\x1b]0;pwned\\x07WEIRD\\x1b[2J.toml: scenario file not found" in r.stderr


def test_a_scenario_name_with_control_characters_or_too_long_is_refused_at_load(tmp_path, capsys):
    f = tmp_path / "s.toml"
    f.write_text('name = "Red \\u001b[31mAlert"\n[responders.officer]\ncost_per_person = 1\non_duty = 1\n')
    assert main(["validate", str(f)]) == 2
    err = capsys.readouterr()[1]
    assert "\x1b" not in err and err.count("\n") == 1
    assert f"{f}: name = 'Red \\x1b[31mAlert': expected a name of at most {MAX_NAME} characters" in err
    f.write_text(f'name = "{"N" * 1000}"\n[responders.officer]\ncost_per_person = 1\non_duty = 1\n')
    assert main(["validate", str(f)]) == 2
    err = capsys.readouterr()[1]
    assert err.count("\n") == 1 and f"expected a name of at most {MAX_NAME} characters" in err and len(err) < 400
    with pytest.raises(ScenarioError, match=r"responders\.officer\.label = 'x\\ty'"):
        check_scenario_limits({"responders": {"officer": {"label": "x\ty"}}})


@pytest.mark.parametrize(("content", "words"), [
    (b"\x00\x01SECRET-PASSWORD\x00" * 50, "not a scenario (binary content, not text)"),
    (b"name = 'x'\npassword = SECRET-PASSWORD\n", "not valid TOML"),
    (b"\x89PNG\r\n\x1a\nSECRET-PASSWORD", "not a scenario (a PNG image)"),
])
def test_an_unreadable_file_is_named_with_the_problem_never_its_contents(tmp_path, capsys, content, words):
    f = tmp_path / "scenario.toml"
    f.write_bytes(content)
    assert main(["validate", str(f)]) == 2
    err = capsys.readouterr()[1]
    assert err.count("\n") == 1 and str(f) in err and words in err, err
    assert "SECRET" not in err
