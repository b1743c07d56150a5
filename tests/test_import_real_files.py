"""Every real export beside the checkout (../shared/data) imports with every row accounted for.

Parametrised over whatever files are there (today Milwaukee's May 2018 calls); skipped when the folder is
absent. The files are read where they are, never copied into the repository.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from planner.importer import import_calls
from planner.profile import build_profile, profile_summary

SHARED_DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
SUFFIXES = (".csv", ".gz", ".txt", ".tsv", ".xlsx", ".parquet")
FILES = sorted(p for p in SHARED_DATA.glob("*") if p.suffix.lower() in SUFFIXES) if SHARED_DATA.is_dir() else []


@pytest.mark.skipif(not FILES, reason="no real exports beside this checkout (../shared/data)")
@pytest.mark.parametrize("path", FILES, ids=[p.name for p in FILES])
def test_real_export(path):
    r = import_calls(path)
    r.check_accounting()
    assert r.rows_read == r.rows_imported + r.rows_rejected + r.rows_set_aside
    assert r.rows_imported == r.calls_imported + r.rows_merged
    assert r.calls_imported > 0
    # The received time is a time the calls came in, not a column of seconds read as dates.
    p = build_profile(r)
    assert 0 < p.days < 3 * 366, f"period of {p.days:.0f} days: was the right time column chosen? {r.column_choices}"
    categorised = float((r.calls["category"] != "other").mean())
    assert categorised >= 0.90, f"{categorised:.1%} categorised; in 'other': {profile_summary(r, p)['unmatched_call_types'][:10]}"
    # Where the export has a chain of timestamps, time on scene is found.
    if {"arrived_at", "cleared_at"} <= set(r.mapping.columns):
        assert r.calls["on_scene_minutes"].notna().mean() > 0.5
    else:
        chain = [c.column for c in r.column_choices if c.field in ("arrived_at", "cleared_at")]
        assert not chain
