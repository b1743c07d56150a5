"""Nothing lost: a stray quote costs one row, a workbook is read by its cells, and every row is accounted for.

rows in the file = imported + rejected + set aside, in every import (ImportResult.check_accounting), with
exact counts here.
"""

from __future__ import annotations

import datetime as dt
import io
import re
import subprocess
import sys
import zipfile

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from planner.errors import ImportFailed
from planner.importer import UNCLOSED_QUOTE, import_calls, read_raw

HEADER = "Incident,Received,Type\n"


def _accounted(r) -> None:
    r.check_accounting()
    assert r.rows_read == r.calls_imported + r.rows_merged + r.rows_rejected + r.rows_set_aside


def _rows(n: int, bad: dict[int, str] | None = None) -> str:
    """n data rows (row i is spreadsheet row i + 2); `bad` replaces the call type of some rows."""
    bad = bad or {}
    return HEADER + "".join(f"{i},2025-03-01 {i % 24:02d}:{i % 60:02d}:00,{bad.get(i, 'NOISE')}\n" for i in range(n))


# ------------------------------------------------------------------------------------------- quotes
@pytest.mark.parametrize("where", ["last", "middle"])
def test_one_unclosed_quote_costs_one_row_not_the_rest_of_the_file(write, where):
    if where == "last":
        text = _rows(200, {49: '"NOISE'})
    else:   # the quote opens in a middle column: the record's column count breaks
        quote = {49: '"'}
        text = HEADER + "".join(
            f"{i},{quote.get(i, '')}2025-03-01 {i % 24:02d}:{i % 60:02d}:00,NOISE\n" for i in range(200))
    r = import_calls(write("calls.csv", text))
    assert (r.rows_read, r.calls_imported, r.rows_rejected) == (200, 199, 1)
    rej = r.rejects.iloc[0]
    assert rej["source_row"] == 51 and rej["reason"] == UNCLOSED_QUOTE   # line 51: row 49 after the header
    assert "49," in rej["value"]
    assert sorted(r.calls["source_row"]) == [n for n in range(2, 202) if n != 51]
    _accounted(r)


def test_several_unclosed_quotes_each_cost_their_own_row(write):
    # Row 10's quote closes at row 11's, which does not end a field: both quotes are taken back, one row
    # each. A quote inside an unquoted field (row 60) and one left open on the last line (row 99) are text.
    r = import_calls(write("calls.csv", _rows(100, {10: '"A', 11: '"B', 60: 'X"Y"Z"', 99: '"END'})))
    assert (r.rows_read, r.calls_imported, r.rows_rejected) == (100, 98, 2)
    assert r.rejects["source_row"].tolist() == [12, 13] and set(r.rejects["reason"]) == {UNCLOSED_QUOTE}
    types = r.calls.set_index("call_id")["call_type"]
    assert types["60"] == 'X"Y"Z"' and types["99"] == "END"
    _accounted(r)


def test_a_quote_closed_on_a_later_row_does_not_merge_the_rows(write):
    r = import_calls(write("calls.csv", _rows(20, {5: '"A', 6: 'B"'})))
    assert (r.rows_read, r.rows_rejected) == (20, 1) and r.rejects["source_row"].tolist() == [7]
    assert r.calls.set_index("call_id")["call_type"]["6"] == 'B"'
    _accounted(r)


def test_real_multi_line_fields_that_close_are_kept(write):
    text = (HEADER + '1,2025-03-01 10:00:00,"WELFARE\nCHECK"\n'
            '2,2025-03-01 11:00:00,"NOISE - caller says\nloud music\nall night"\n'
            "3,2025-03-01 12:00:00,NOISE\n")
    r = import_calls(write("calls.csv", text))
    assert (r.rows_read, r.calls_imported, r.rows_rejected) == (3, 3, 0)
    assert r.calls.set_index("call_id").loc["1", "call_type"] == "WELFARE\nCHECK"
    _accounted(r)


def test_an_unclosed_quote_on_the_last_line_reads_what_is_there(write):
    r = import_calls(write("calls.csv", _rows(5) + '5,2025-03-01 10:00:00,"NOISE\n'))
    assert r.rows_read == 6 and r.calls_imported + r.rows_rejected == 6
    _accounted(r)


def test_a_field_beyond_the_csv_modules_limit_costs_its_row_only(write):
    huge = '"' + "x" * 300_000          # never closed, larger than csv.field_size_limit
    r = import_calls(write("calls.csv", _rows(10, {3: huge})))
    assert (r.rows_read, r.calls_imported, r.rows_rejected) == (10, 9, 1)
    assert r.rejects["source_row"].tolist() == [5]
    _accounted(r)


# ------------------------------------------------------------------------------------------- workbooks
def _workbook(rows: int, dimension: str | None = None, extra_xml: str = "") -> bytes:
    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Calls"
    ws.append(["Incident", "Received", "Type"])
    for i in range(rows):
        ws.append([i, dt.datetime(2025, 3, 1, i % 24, i % 60), "NOISE"])
    buf = io.BytesIO()
    wb.save(buf)
    if dimension is None and not extra_xml:
        return buf.getvalue()
    src = zipfile.ZipFile(io.BytesIO(buf.getvalue()))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for item in src.infolist():
            data = src.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                if dimension:
                    data = re.sub(rb'<dimension ref="[^"]*"', f'<dimension ref="{dimension}"'.encode(), data)
                data = data.replace(b"</sheetData>", extra_xml.encode() + b"</sheetData>")
            z.writestr(item, data)
    return out.getvalue()


def test_a_workbook_that_states_a_smaller_size_is_read_to_its_last_row(write):
    r = import_calls(write("calls.xlsx", _workbook(100, dimension="A1:C10")))
    assert (r.rows_read, r.calls_imported, r.rows_rejected) == (100, 100, 0)
    _accounted(r)


def test_a_workbook_that_states_the_whole_grid_reads_its_rows_at_once(write):
    r = import_calls(write("calls.xlsx", _workbook(10, dimension="A1:XFD1048576")))
    assert (r.rows_read, r.calls_imported) == (10, 10)


READ_IN_CHILD = r"""
import sys, time
from planner.importer import import_calls
t = time.perf_counter()
r = import_calls(sys.argv[1])
print(r.rows_read, r.calls_imported, r.rows_rejected, round(time.perf_counter() - t, 1))
"""


@pytest.mark.parametrize("corner,rows_read", [
    ('<row r="1048576"><c r="XFD1048576" t="inlineStr"><is><t>x</t></is></c></row>', 11),   # a stray value
    ('<row r="1048576"><c r="XFD1048576" s="0"/></row>', 10),                                 # an empty styled cell
])
def test_a_value_at_the_far_corner_neither_hangs_nor_exhausts_memory(write, corner, rows_read):
    # In a child process with a time limit: reading the whole grid densely would ask for 550 GB and abort.
    path = write("calls.xlsx", _workbook(10, dimension="A1:XFD1048576", extra_xml=corner))
    out = subprocess.run([sys.executable, "-c", READ_IN_CHILD, str(path)], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr[-500:]
    read, imported, rejected, _seconds = out.stdout.split()
    assert (int(read), int(imported), int(rejected)) == (rows_read, 10, rows_read - 10)


def test_trailing_empty_rows_and_columns_end_the_table(write, tmp_path):
    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["Incident", "Received", "Type", None, None])
    ws.append([1, dt.datetime(2025, 3, 1, 10), "NOISE"])
    ws.append([None, None, None])
    ws.append([2, dt.datetime(2025, 3, 1, 11), "NOISE"])
    ws.cell(row=5000, column=3).value = ""          # a cell that holds nothing
    path = tmp_path / "calls.xlsx"
    wb.save(path)
    raw = read_raw(path)
    assert list(raw.frame.columns) == ["Incident", "Received", "Type"]
    assert raw.rows_read == 2 and raw.source_row.tolist() == [2, 4]


def test_xlsx_read_by_calamine_and_by_openpyxl_give_the_same_table(write, monkeypatch):
    pytest.importorskip("python_calamine")
    import planner.importer as importer

    path = write("calls.xlsx", _workbook(50, dimension="A1:C5"))
    fast = read_raw(path)
    monkeypatch.setattr(importer, "MAX_DENSE_XLSX_CELLS", 0)      # every sheet through openpyxl
    slow = read_raw(path)
    # calamine gives a date-time at midnight as a date: the same instant once read.
    assert fast.frame.replace(r" 00:00:00$", "", regex=True).equals(slow.frame.replace(r" 00:00:00$", "",
                                                                                         regex=True))
    assert fast.source_row.tolist() == slow.source_row.tolist() == list(range(2, 52))


@pytest.mark.parametrize("content,message", [
    (b"PK\x03\x04" + b"\x00" * 100, "not a readable Excel workbook"),
    (b"PAR1" + b"\x00" * 100, "not a readable Parquet file"),
])
def test_damaged_binary_files_fail_in_one_line(write, content, message):
    with pytest.raises(ImportFailed, match=message) as e:
        import_calls(write("calls.xlsx", content))
    assert "\n" not in str(e.value)


# ------------------------------------------------------------------------------------------- accounting
@settings(max_examples=120, deadline=2000, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(lines=st.lists(st.text(alphabet=st.sampled_from(list('ab,;"\r\n \t|x1:-/é')), max_size=40), max_size=30),
       good=st.integers(0, 4))
def test_csv_reader_gives_a_table_or_one_clean_error(tmp_path_factory, lines, good):
    """Arbitrary text (quotes, delimiters, line ends in any mix): a table with every row accounted for, or
    an ImportFailed in one line; never another exception, never a hang (a deadline per example)."""
    text = HEADER + "".join(f"G{i},2025-03-01 10:{i:02d}:00,NOISE\n" for i in range(good)) + "\n".join(lines)
    path = tmp_path_factory.mktemp("csv") / "calls.csv"
    path.write_text(text, encoding="utf-8")
    try:
        raw = read_raw(path)
    except ImportFailed as e:
        assert "\n" not in str(e)
        return
    assert raw.rows_read == len(raw.frame) + len(raw.rejects)
    assert len(set(raw.source_row.tolist()) | {r[0] for r in raw.rejects}) == raw.rows_read
    try:
        r = import_calls(path)
    except ImportFailed as e:
        assert "\n" not in str(e)
        return
    _accounted(r)
    assert r.calls_imported >= min(good, 1)


def test_accounting_is_checked_in_code(write):
    r = import_calls(write("calls.csv", _rows(3)))
    r.rows_read += 1
    with pytest.raises(RuntimeError, match="rows do not add up"):
        r.check_accounting()


def test_the_quote_case_from_the_issue_in_a_child_process_is_quick(write):
    path = write("calls.csv", _rows(200, {49: '"NOISE'}))
    out = subprocess.run([sys.executable, "-c", READ_IN_CHILD, str(path)], capture_output=True, text=True, timeout=60)
    assert out.stdout.split()[:3] == ["200", "199", "1"]
