"""Nothing hangs: inputs that are not regular files or are far too large are refused before reading, user
category rules cannot hang, and an error about a file names it and the problem, never its contents."""

from __future__ import annotations

import gzip
import os
import subprocess
import sys
import time

import pytest
import tomli_w
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import planner.importer as importer
from planner.errors import ImportFailed, ScenarioError
from planner.importer import import_calls, read_code_table
from planner.mapping import CategoryRule, Mapping, mapping_from_dict, read_mapping
from planner.taxonomy import default_taxonomy, user_pattern_problem

GOOD = "Incident,Received,Type\n1,2025-03-01 10:00,NOISE\n2,2025-03-01 11:00,WELFARE CHECK\n"

# Run an import in a child process: a hang fails the test by its timeout instead of stalling the suite.
CHILD = r"""
import sys
from planner.errors import PlannerError
from planner.importer import import_calls
from planner.mapping import read_mapping
kind, path, other = sys.argv[1], sys.argv[2], sys.argv[3]
try:
    if kind == "calls":
        r = import_calls(path)
    elif kind == "mapping":
        r = import_calls(other, read_mapping(path))
    else:
        r = import_calls(other, codes=path)
    print("imported", r.calls_imported)
except PlannerError as e:
    print("error", e)
"""


def _child(kind: str, path: str, other: str = "", timeout: float = 30) -> str:
    t = time.monotonic()
    out = subprocess.run([sys.executable, "-c", CHILD, kind, path, other], capture_output=True, text=True,
                         timeout=timeout)
    assert time.monotonic() - t < timeout
    assert out.returncode == 0, out.stderr[-500:]
    assert out.stdout.count("\n") == 1, out.stdout[:500]
    return out.stdout.strip()


@pytest.fixture
def fifo(tmp_path):
    if not hasattr(os, "mkfifo"):
        pytest.skip("no named pipes on this system")
    path = tmp_path / "calls.csv"
    os.mkfifo(path)
    return path


@pytest.mark.parametrize("kind", ["calls", "mapping", "codes"])
def test_dev_zero_is_refused_at_once_for_every_input(write, kind):
    if not os.path.exists("/dev/zero"):
        pytest.skip("no /dev/zero on this system")
    calls = write("calls.csv", GOOD)
    line = _child(kind, "/dev/zero", str(calls))
    assert line.startswith("error /dev/zero: not a regular file (a device)")


@pytest.mark.parametrize("kind", ["calls", "mapping", "codes"])
def test_a_named_pipe_is_refused_without_opening_it(write, fifo, kind):
    # Opening a FIFO with no writer blocks for ever: it must be refused from its stat alone.
    calls = write("good.csv", GOOD)
    line = _child(kind, str(fifo), str(calls))
    assert line == f"error {fifo}: not a regular file (a named pipe); expected a " + {
        "calls": "calls file", "mapping": "mapping file", "codes": "code table file"}[kind]


def test_a_folder_is_refused(tmp_path):
    with pytest.raises(ImportFailed, match=r"is a folder, not a calls file$"):
        import_calls(tmp_path)
    with pytest.raises(ScenarioError, match=r"is a folder, not a mapping file$"):
        read_mapping(tmp_path)
    with pytest.raises(ImportFailed, match=r"is a folder, not a code table file$"):
        read_code_table(tmp_path)


def test_files_beyond_a_sane_size_are_refused_before_reading(write, monkeypatch):
    calls = write("calls.csv", GOOD * 50)
    monkeypatch.setattr(importer, "MAX_CSV_BYTES", 1000)
    with pytest.raises(ImportFailed, match=r"calls.csv: 4,050 bytes, larger than any CSV calls export coplan "
                                           r"reads \(at most 1,000 bytes\)$"):
        import_calls(calls)
    monkeypatch.setattr(importer, "MAX_XLSX_BYTES", 10)
    with pytest.raises(ImportFailed, match="larger than any Excel calls export"):
        import_calls(write("calls.xlsx", b"PK\x03\x04" + b"\x00" * 100))
    monkeypatch.setattr(importer, "MAX_CODE_TABLE_BYTES", 10)
    with pytest.raises(ImportFailed, match="larger than any code table file"):
        read_code_table(write("codes.csv", "code,description\n5150,MENTAL\n"))
    big_mapping = write("m.toml", "# " + "x" * 2_000_100 + "\n")
    with pytest.raises(ScenarioError, match="larger than any mapping file"):
        read_mapping(big_mapping)


def test_a_gzip_bomb_stops_at_the_limit(write, monkeypatch):
    monkeypatch.setattr(importer, "MAX_CSV_BYTES", 1_000_000)
    bomb = write("calls.csv.gz", gzip.compress(GOOD.encode() + b"9" * 5_000_000))
    with pytest.raises(ImportFailed, match=r"unpacks to more than 1.0 MB") as e:
        import_calls(bomb)
    assert "\n" not in str(e.value)


# ------------------------------------------------------------------------------------------- user rules
def test_a_catastrophic_user_rule_cannot_hang_an_import(write, tmp_path):
    long_type = "a" * 100_000 + "!"
    text = "Incident,Received,Type\n" + "".join(f"{i},2025-03-01 10:{i:02d},{long_type}{i}\n" for i in range(20))
    calls = write("calls.csv", text)
    mapping = tmp_path / "m.toml"
    mapping.write_text(tomli_w.dumps({"rules": [{"pattern": "^(a+)+$", "category": "welfare_check"},
                                                {"pattern": "(x+x+)+y", "category": "welfare_check"}]}))
    t = time.monotonic()
    line = _child("mapping", str(mapping), str(calls), timeout=60)
    assert line == "imported 20" and time.monotonic() - t < 60


@pytest.mark.parametrize("pattern,words", [
    ("^(?!.*UNHOUSED)TRESPASS", "uses a lookahead or lookbehind"),
    ("(?<!NON-)DRUG", "uses a lookahead or lookbehind"),
    (r"(A)\1", "uses a backreference"),
    ("(?P<x>A)(?P=x)", "uses a backreference"),
    ("A++", "uses an atomic group or possessive quantifier"),
    ("[unclosed", "is not a valid pattern"),
    ("x" * 5000, "characters long"),
    ("", "expected a non-empty text pattern"),
])
def test_unsafe_or_invalid_user_patterns_are_refused_at_load_in_one_line(tmp_path, pattern, words):
    path = tmp_path / "m.toml"
    path.write_text(tomli_w.dumps({"rules": [{"pattern": pattern, "category": "welfare_check"}]}))
    with pytest.raises(ScenarioError, match=r"rules\[1\]\.pattern = .*" + words) as e:
        read_mapping(path)
    assert "\n" not in str(e.value) and str(path) in str(e.value)
    with pytest.raises(ScenarioError, match=words):
        default_taxonomy().with_user_rules((CategoryRule(pattern, "welfare_check"),))


def test_ordinary_user_patterns_and_escaped_call_types_run_on_re2():
    import re

    for pattern in ("^SUBJECT WANTED$", r"\bNOISE\b", "^(a+)+$", "5150|CRISIS", f"^{re.escape('TRBL W/SUBJ - 415')}$"):
        assert user_pattern_problem(pattern) is None
    tax = default_taxonomy().with_user_rules((CategoryRule(f"^{re.escape('TRBL W/SUBJ - 415')}$", "welfare_check"),
                                              CategoryRule("^(a+)+$", "substance")))
    import pandas as pd

    got = tax.categorise_types(pd.Series(["trbl w/subj - 415", "aaaa", "a" * 50_000 + "b", "THEFT"]))
    assert list(got) == ["welfare_check", "substance", "other", "property_crime"]


# ------------------------------------------------------------------------------------------- messages
@pytest.mark.parametrize("content", [
    "password=hunter2 secret line\nmore private text\nand more\n",
    "SECRET-TOKEN-1234\n",
    "-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC\n-----END PRIVATE KEY-----\n",
])
def test_errors_about_a_file_that_is_not_a_table_never_quote_it(write, content):
    path = write("notes.txt", content)
    with pytest.raises(ImportFailed) as e:
        import_calls(path)
    message = str(e.value)
    assert "\n" not in message and str(path) in message
    assert "does not read as a table" in message
    for word in ("hunter2", "SECRET", "PRIVATE", "MIIE"):
        assert word not in message.replace(str(path), "")


def test_a_real_table_without_a_time_column_still_names_its_columns(write):
    with pytest.raises(ImportFailed, match=r"the file has \['Incident', 'Type'\]"):
        import_calls(write("calls.csv", "Incident,Type\n1,NOISE\n"))


def test_a_mapping_naming_a_missing_column_on_a_non_table_does_not_quote_the_file(write):
    path = write("notes.txt", "my private diary entry\n")
    with pytest.raises(ImportFailed) as e:
        import_calls(path, Mapping(columns={"call_type": "Type"}))
    assert "diary" not in str(e.value) and "does not read as a table" in str(e.value)


# ------------------------------------------------------------------------------------------- mapping loader
toml_values = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(-10, 10**12), st.floats(allow_nan=False), st.text(max_size=30)),
    lambda children: st.one_of(st.lists(children, max_size=4),
                               st.dictionaries(st.text(max_size=10), children, max_size=4)),
    max_leaves=12,
)
mapping_like = st.fixed_dictionaries({}, optional={
    "columns": st.one_of(toml_values, st.dictionaries(st.sampled_from(["call_id", "received_at", "call_type", "x"]),
                                                      toml_values, max_size=3)),
    "options": st.one_of(toml_values, st.dictionaries(
        st.sampled_from(["timezone", "date_order", "sheet", "codes", "agencies", "nope"]), toml_values, max_size=4)),
    "rules": st.one_of(toml_values, st.lists(st.dictionaries(st.sampled_from(["pattern", "category"]),
                                                             st.one_of(toml_values, st.sampled_from(
                                                                 ["^(a+)+$", "(?!x)", "[", "welfare_check"])),
                                                             max_size=2), max_size=3)),
})


@settings(max_examples=300, deadline=1000)
@given(data=st.one_of(mapping_like, st.dictionaries(st.text(max_size=8), toml_values, max_size=3)))
def test_mapping_loader_gives_a_mapping_or_one_clean_error(data):
    """Any structure a TOML file can hold: a Mapping, or a ScenarioError in one line; nothing else."""
    try:
        m = mapping_from_dict(data)
    except ScenarioError as e:
        assert "\n" not in str(e)
        return
    assert isinstance(m, Mapping)
    for r in m.rules:
        assert user_pattern_problem(r.pattern) is None


@settings(max_examples=200, deadline=1000, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(content=st.one_of(st.binary(max_size=300), st.text(max_size=300).map(str.encode),
                         mapping_like.map(lambda d: tomli_w.dumps(d).encode() if _dumpable(d) else b"")))
def test_mapping_file_reader_gives_a_mapping_or_one_clean_error(tmp_path_factory, content):
    path = tmp_path_factory.mktemp("m") / "mapping.toml"
    path.write_bytes(content)
    try:
        m = read_mapping(path)
    except ScenarioError as e:
        assert "\n" not in str(e) and str(path) in str(e)
        return
    assert isinstance(m, Mapping)


def _dumpable(d: object) -> bool:
    try:
        tomli_w.dumps(d)
    except (TypeError, ValueError):
        return False
    return True
