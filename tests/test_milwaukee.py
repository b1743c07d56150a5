"""The real Milwaukee export (33,968 calls, May 1-21 2018) as a user's file would arrive."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np

from planner.importer import import_calls
from planner.profile import build_profile, profile_summary


def test_every_row_accounted_for_and_categorised(milwaukee):
    r = import_calls(milwaukee, tz="America/Chicago")
    assert r.rows_read == 33968
    assert r.rows_imported + r.rows_rejected == r.rows_read
    assert r.calls_imported == 33968 and r.rows_rejected == 0  # a clean export: nothing to reject
    assert r.rows_set_aside == 0 and r.agencies == {}        # one agency: no agency column, nothing set aside
    r.check_accounting()
    received = next(c for c in r.column_choices if c.field == "received_at")
    assert received.column == "time" and received.why.startswith("date-times in 100% of rows")
    assert r.mapping.columns == {"call_id": "id", "received_at": "time", "call_type": "nature",
                                 "district": "district", "disposition": "status"}
    share_other = float((r.calls["category"] == "other").mean())
    assert share_other < 0.10, f"{share_other:.1%} of calls in 'other'"
    cats = r.calls["category"].value_counts()
    # Traffic stops, business checks, patrol are the department's own activity, not civilian demand.
    assert cats["self_initiated"] > 8000 and cats["admin"] > 8000
    by_type = r.calls.drop_duplicates("call_type").set_index("call_type")["category"]
    assert by_type["TRAFFIC STOP"] == "self_initiated"
    assert by_type["WELFARE CITIZEN"] == "welfare_check"
    assert by_type["BATTERY DV"] == "violent_crime"
    assert by_type["FAMILY TROUBLE"] == "family_youth"
    assert by_type["HOSPITAL TO MCMH"] == "behavioral_health"
    # Dispositions carry outcomes: 58 calls were 'Cleared by Arrest'.
    assert int((r.calls["outcome_hint"] == "arrest").sum()) == 58


def test_profile_rates_add_back_to_the_calls(milwaukee):
    r = import_calls(milwaukee, tz="America/Chicago")
    p = build_profile(r)
    rate = p.arrivals_per_hour_of_week()
    assert rate.shape == (168,)
    # Rates times the hours each bin was observed give back every call.
    assert np.isclose((p.rates_per_hour.sum(axis=1).to_numpy() * p.exposure_hours).sum(), 33968)
    s = profile_summary(r, p)
    assert s["period"]["start"].startswith("2018-05-01T00:00")
    assert sum(s["by_category"].values()) == 33968
    assert s["unmatched_call_types"][0] == {"call_type": "CALL FOR POLICE", "calls": 645}
    assert all(v is None for v in s["time_on_scene_minutes"].values())  # one timestamp per call


def test_cli_profile_json(milwaukee):
    out = subprocess.run([sys.executable, "-m", "planner", "profile", str(milwaukee), "--tz", "America/Chicago",
                          "--json"], capture_output=True, text=True, check=True)
    s = json.loads(out.stdout)
    for key in ("rows_read", "calls_imported", "rows_rejected", "rejections", "period", "by_category",
                "arrivals_per_hour_of_week", "time_on_scene_minutes", "unmatched_call_types"):
        assert key in s
    assert s["rows_read"] == s["calls_imported"] + s["rows_rejected"] == 33968
    assert len(s["arrivals_per_hour_of_week"]) == 168
