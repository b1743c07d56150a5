"""Is the export enough to plan from? The warnings a profile, the Data page and the report show."""

from __future__ import annotations

import pandas as pd
import pytest

from planner.importer import import_calls
from planner.mapping import Mapping
from planner.sufficiency import FEW_CALLS, MIN_WEEKS, data_warnings


def test_milwaukee_three_weeks_without_on_scene_times(milwaukee):
    warnings = data_warnings(import_calls(milwaukee, Mapping()))
    assert len(warnings) == 2
    short, scene = warnings
    assert "covers 20.6 days (2.9 weeks), fewer than 8" in short
    assert "time on scene could not be measured for any category" in scene
    assert "behavioral health 70" in scene or "violent crime 75" in scene
    assert "44%-182% longer" in scene          # where the defaults come from


def test_the_sample_year_with_measured_times_raises_nothing(reference):
    assert data_warnings(reference) == []


def _export(write, n_days: int, call_type: str, every_hours: int = 1, times: bool = False) -> object:
    start = pd.Timestamp("2024-01-01 00:00")
    rows = []
    for k in range(0, n_days * 24, every_hours):
        t = start + pd.Timedelta(hours=k)
        row = {"Incident": f"C{k}", "Received": t.strftime("%Y-%m-%d %H:%M"), "Call Type": call_type}
        if times:
            row |= {"Dispatched": (t + pd.Timedelta(minutes=2)).strftime("%Y-%m-%d %H:%M"),
                    "On Scene": (t + pd.Timedelta(minutes=10)).strftime("%Y-%m-%d %H:%M"),
                    "Cleared": (t + pd.Timedelta(minutes=40)).strftime("%Y-%m-%d %H:%M")}
        rows.append(row)
    return write("calls.csv", pd.DataFrame(rows).to_csv(index=False))


def test_most_calls_in_other_few_calls_per_hour_and_a_short_export(write):
    result = import_calls(_export(write, 14, "ZZ UNKNOWN THING", every_hours=3), Mapping())
    warnings = data_warnings(result)
    text = " ".join(warnings)
    assert "100% of the calls" in text and "fell in 'other'" in text
    assert f"fewer than {MIN_WEEKS}" in text
    assert f"rest on fewer than {FEW_CALLS} calls" in text


def test_measured_times_silence_the_on_scene_warning(write):
    result = import_calls(_export(write, 70, "BURGLARY", every_hours=1, times=True), Mapping())
    warnings = data_warnings(result)
    assert not any("time on scene" in w for w in warnings), warnings
    assert not any("fewer than 8" in w for w in warnings)


@pytest.mark.parametrize("exclude", [(), ("property_crime",)])
def test_excluded_categories_are_not_planned_for(write, exclude):
    result = import_calls(_export(write, 70, "BURGLARY", every_hours=1), Mapping())
    warnings = data_warnings(result, exclude=exclude)
    assert any("time on scene" in w for w in warnings) == (not exclude)
