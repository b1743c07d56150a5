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
