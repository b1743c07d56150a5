"""Random garbage never crashes the importer and never loses a row."""

from __future__ import annotations

import csv
import io

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from planner.errors import ImportFailed
from planner.importer import import_calls

HEADER = ["Incident", "Received", "Type", "Priority", "Dispatched", "Arrived", "Cleared", "Unit"]

cell = st.one_of(
    st.text(max_size=12),
    st.sampled_from(["", "0:00", "00:00:00", "25:61", "13/45/2024 10:00", "2024-02-30 10:00", "2024-05-01 10:00",
                     "5/1/2024 1:05 PM", "12:00 AM", "1405", "-1", "NaN", "null", "=cmd()", '"', "\u00e9", "9" * 30]),
)
row = st.lists(cell, min_size=len(HEADER) - 2, max_size=len(HEADER) + 2)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows=st.lists(row, min_size=1, max_size=25), good=st.integers(0, 5))
def test_garbage_rows_are_accounted_for(tmp_path_factory, rows, good):
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(HEADER)
    for i in range(good):
        w.writerow([f"G{i}", f"2024-05-01 10:{i:02d}:00", "NOISE", "2", "", "", "", "A1"])
    for r in rows:
        w.writerow(r)
    path = tmp_path_factory.mktemp("fuzz") / "calls.csv"
    path.write_text(buf.getvalue(), encoding="utf-8")
    try:
        r = import_calls(path, tz="America/Chicago")
    except ImportFailed as e:
        # Allowed only when nothing at all could be imported, and said in one line.
        assert "none of the" in str(e) or "empty" in str(e)
        assert "\n" not in str(e)
        return
    assert r.rows_imported + r.rows_rejected == r.rows_read
    assert r.rows_imported == r.calls_imported + r.rows_merged
    assert r.calls_imported >= 1
    assert r.rejects["source_row"].is_unique
    assert (r.rejects["source_row"] >= 2).all()
    assert set(r.calls["source_row"]).isdisjoint(set(r.rejects["source_row"]))
    busy = r.calls["busy_minutes"].dropna()
    assert (busy >= 0).all()


# ------------------------------------------------------------------------------------ detection fuzzing
NAMES = ["Response_Date", "Incident_Start_Time", "Total_Call_Time", "Time_To_Dispatch", "Date", "Time", "EVENTDT",
         "EVENTTM", "Received", "Call Date & Time", "MCIT Departure Date & Time", "Cleared", "Agency", "Problem",
         "Reason #1", "Reason #2", "Final Call Type", "Initial Call Type", "Priority", "Unit", "id", "nature"]
VALUES = {
    "datetime": st.builds(lambda d, s: f"2024-0{d % 9 + 1}-1{d % 9} {s // 3600:02d}:{s % 3600 // 60:02d}:{s % 60:02d}",
                          st.integers(0, 99), st.integers(0, 86399)),
    "us": st.builds(lambda d, h, m: f"{d % 12 + 1}/{d % 28 + 1}/2023 {h % 12 + 1}:{m:02d} {'AM' if h < 12 else 'PM'}",
                    st.integers(0, 99), st.integers(0, 23), st.integers(0, 59)),
    "date_placeholder": st.builds(lambda d: f"0{d % 9 + 1}/1{d % 9}/2018 12:00:00 AM", st.integers(0, 99)),
    "clock": st.builds(lambda h, m: f"{h}:{m:02d}", st.integers(0, 23), st.integers(0, 59)),
    "seconds": st.integers(0, 100_000).map(str),
    "text": st.sampled_from(["NOISE", "THEFT", "POLICE", "FIRE", "EMS", "Paranoia", "", "x"]),
    "garbage": st.text(max_size=10),
}
column = st.tuples(st.one_of(st.sampled_from(NAMES), st.text(max_size=15)), st.sampled_from(sorted(VALUES)))


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(columns=st.lists(column, min_size=1, max_size=8), n=st.integers(1, 30), data=st.data())
def test_detection_never_crashes_on_random_headers_and_contents(tmp_path_factory, columns, n, data):
    headers = [name.replace("\x00", "") for name, _ in columns]
    cells = [[data.draw(VALUES[kind]).replace("\x00", "") for _, kind in columns] for _ in range(n)]
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(headers)
    w.writerows(cells)
    path = tmp_path_factory.mktemp("detect") / "calls.csv"
    path.write_text(buf.getvalue(), encoding="utf-8")
    try:
        r = import_calls(path)
    except ImportFailed as e:
        assert "\n" not in str(e)
        return
    assert r.rows_read == r.rows_imported + r.rows_rejected + r.rows_set_aside
    assert r.rows_imported == r.calls_imported + r.rows_merged
    assert set(r.calls["source_row"]).isdisjoint(set(r.rejects["source_row"]))


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(headers=st.lists(st.sampled_from(["Total_Call_Time", "Time_To_Dispatch", "Problem", "Incident", "Agency",
                                         "Priority", "Units"]), min_size=1, max_size=6, unique=True),
       n=st.integers(1, 20), data=st.data())
def test_a_file_with_no_usable_time_fails_in_one_line(tmp_path_factory, headers, n, data):
    kinds = [data.draw(st.sampled_from(["seconds", "text"])) for _ in headers]
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(headers)
    w.writerows([[data.draw(VALUES[k]) for k in kinds] for _ in range(n)])
    path = tmp_path_factory.mktemp("notime") / "calls.csv"
    path.write_text(buf.getvalue(), encoding="utf-8")
    try:
        import_calls(path)
    except ImportFailed as e:
        assert "\n" not in str(e) and str(path) in str(e)
        assert "no usable time column" in str(e) or "empty" in str(e)
    else:
        raise AssertionError("a file without a time column was imported")
