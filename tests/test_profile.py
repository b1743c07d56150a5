"""Demand profile on hand-computed cases."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from planner.profile import build_profile, week_bin


def _calls(times: list[str], cats: list[str], busy: list[float] | None = None, tz: str = "UTC") -> pd.DataFrame:
    n = len(times)
    busy = busy or [np.nan] * n
    return pd.DataFrame({
        "received_at": pd.to_datetime(times).tz_localize(tz),
        "category": pd.Categorical(cats, categories=["welfare_check", "traffic", "other"]),
        "call_type": ["X"] * n, "priority": pd.array([pd.NA] * n, dtype="Int64"),
        "on_scene_minutes": [b - 10 if b == b else np.nan for b in busy], "busy_minutes": busy,
    })


def test_week_bin_monday_midnight_is_zero():
    ts = pd.Series(pd.to_datetime(["2024-05-06 00:00", "2024-05-06 13:59", "2024-05-12 23:30"]))
    assert list(week_bin(ts, 60)) == [0, 13, 167]
    assert list(week_bin(ts, 15)) == [0, 55, 6 * 96 + 23 * 4 + 2]


def test_rates_divide_by_the_hours_each_bin_was_observed():
    # Two full weeks (Mon 2024-05-06 00:00 to Sun 2024-05-19 23:xx): Monday 10:00 seen twice.
    times = ["2024-05-06 10:05", "2024-05-06 10:40", "2024-05-13 10:20", "2024-05-19 23:10"]
    p = build_profile(_calls(times, ["welfare_check", "welfare_check", "traffic", "other"]))
    assert p.exposure_hours[10] == 2.0
    assert p.rates_per_hour.loc[10, "welfare_check"] == pytest.approx(1.0)   # 2 calls / 2 hours
    assert p.rates_per_hour.loc[10, "traffic"] == pytest.approx(0.5)
    assert p.rates_per_hour.loc[167, "other"] == pytest.approx(0.5)  # Sunday 23:00 seen on the 12th and 19th
    assert list(p.by_category) == [2, 1, 1]
    # A year at these rates: welfare 2 calls over 2 observed hours, the rest of the week at zero.
    assert p.calls_per_year()["welfare_check"] == pytest.approx(1.0 * 365.25 / 7)


def test_partial_week_is_not_counted_as_a_whole_week():
    # Three days only: Monday 10:00 is observed once, Friday 10:00 never.
    times = ["2024-05-06 00:00", "2024-05-06 10:30", "2024-05-08 23:59"]
    p = build_profile(_calls(times, ["traffic", "traffic", "traffic"]))
    assert p.exposure_hours[10] == 1.0 and p.exposure_hours[4 * 24 + 10] == 0.0
    assert p.rates_per_hour.loc[10, "traffic"] == 1.0


def test_durations_and_offered_load():
    times = ["2024-05-06 10:05", "2024-05-06 10:40", "2024-05-13 10:20"]
    p = build_profile(_calls(times, ["welfare_check", "welfare_check", "traffic"], busy=[30, 90, 60]))
    d = p.durations.loc["welfare_check"]
    assert d["busy_n"] == 2 and d["busy_median"] == 60 and d["busy_mean"] == 60 and d["busy_p90"] == 84
    load = p.offered_load({"welfare_check": 60.0, "traffic": 30.0})
    assert load.loc[10, "welfare_check"] == pytest.approx(1.0 * 1.0)   # 1 call/h x 1 h busy
    assert load.loc[10, "traffic"] == pytest.approx(0.5 * 0.5)


def test_dst_week_uses_local_wall_clock():
    p = build_profile(_calls(["2024-03-11 08:30"], ["traffic"], tz="America/Chicago"))
    assert p.counts.loc[8, "traffic"] == 1
