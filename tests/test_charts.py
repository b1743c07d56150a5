"""Chart functions draw what the data says, on a plain matplotlib Figure (Agg), without Qt."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from matplotlib.figure import Figure

from planner import charts
from planner.profile import build_profile
from planner.scenario import scenario_from_dict

CATS = ["behavioral_health", "traffic", "admin", "other"]


def _calls(n: int = 400, on_scene: bool = True, seed: int = 3) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    start = pd.Timestamp("2025-03-03 00:00", tz="America/Chicago")  # a Monday
    received = start + pd.to_timedelta(np.sort(rng.uniform(0, 21 * 24 * 60, n)), unit="min")
    category = pd.Categorical(rng.choice(CATS, n, p=[0.4, 0.3, 0.2, 0.1]), categories=CATS)
    minutes = rng.gamma(2.0, 20.0, n) if on_scene else np.full(n, np.nan)
    return pd.DataFrame({
        "call_id": [f"c{i}" for i in range(n)], "received_at": received, "call_type": "X",
        "category": category, "priority": pd.array([pd.NA] * n, dtype="Int64"),
        "on_scene_minutes": minutes, "busy_minutes": minutes * 1.2,
    })


@pytest.fixture(scope="module")
def profile():
    return build_profile(_calls())


def _axes():
    fig = Figure(figsize=(6, 4), layout="constrained")
    return fig, fig.add_subplot()


def _render(fig: Figure) -> None:
    fig.canvas.draw()  # constrained layout runs here: a collapsed layout would warn, and warnings fail


def test_heatmap_shows_the_rates_as_seven_days_of_24_hours(profile):
    fig, ax = _axes()
    charts.hour_of_week_heatmap(profile, ax)
    image = ax.images[0].get_array()
    expected = profile.rates_per_hour.sum(axis=1).to_numpy().reshape(7, 24)
    np.testing.assert_allclose(np.asarray(image), expected)
    assert [t.get_text() for t in ax.get_yticklabels()] == list(charts.DAY_NAMES)
    assert "all calls" in ax.get_title()
    assert ax.get_xlabel() and ax.get_ylabel()
    assert any("calls per hour" in a.get_ylabel() for a in fig.axes if a is not ax)  # the colour bar
    _render(fig)


def test_heatmap_of_one_category(profile):
    fig, ax = _axes()
    charts.hour_of_week_heatmap(profile, ax, category="traffic")
    np.testing.assert_allclose(np.asarray(ax.images[0].get_array()),
                               profile.rates_per_hour["traffic"].to_numpy().reshape(7, 24))
    assert "traffic" in ax.get_title()


def test_heatmap_at_half_hour_bins_has_48_columns():
    p = build_profile(_calls(), bin_minutes=30)
    fig, ax = _axes()
    charts.hour_of_week_heatmap(p, ax)
    assert np.asarray(ax.images[0].get_array()).shape == (7, 48)


def test_bars_are_the_counts_per_category_largest_on_top(profile):
    fig, ax = _axes()
    charts.calls_by_category(profile, ax, excluded=("admin",))
    widths = [p.get_width() for p in ax.patches]
    labels = [t.get_text() for t in ax.get_yticklabels()]
    got = dict(zip([lbl.removesuffix(" (excluded)") for lbl in labels], widths, strict=True))
    assert got == {charts.category_label(c): float(v) for c, v in profile.by_category.items()}
    assert widths == sorted(widths)  # barh draws bottom-up: the largest ends on top
    assert ax.get_xlabel() == "calls in the export"
    assert f"{int(profile.by_category.sum()):,}" in ax.get_title()
    # The excluded category is drawn muted and labelled so.
    admin = ax.patches[labels.index("admin (excluded)")]
    assert admin.get_facecolor()[:3] == pytest.approx(tuple(int(charts.MUTED[i:i + 2], 16) / 255 for i in (1, 3, 5)))
    assert sum(lbl.endswith("(excluded)") for lbl in labels) == 1
    _render(fig)


def test_weekly_volume_line_is_the_weekly_counts(profile):
    fig, ax = _axes()
    charts.call_volume(profile, ax, period="week")
    line = ax.get_lines()[0]
    np.testing.assert_array_equal(line.get_ydata(), profile.weekly_volume.to_numpy(dtype=float))
    assert ax.get_ylabel() == "calls per week"
    _render(fig)


def test_partial_weeks_are_marked():
    calls = _calls()
    calls = calls[calls["received_at"] >= pd.Timestamp("2025-03-05", tz="America/Chicago")]  # starts mid-week
    p = build_profile(calls)
    fig, ax = _axes()
    charts.call_volume(p, ax, period="week")
    marked = ax.get_lines()[1]
    assert p.weekly_volume.iloc[0] in marked.get_ydata()
    assert "partial" in marked.get_label()


def test_monthly_volume_bars(profile):
    fig, ax = _axes()
    charts.call_volume(profile, ax, period="month")
    assert [p.get_height() for p in ax.patches] == list(profile.monthly_volume.to_numpy(dtype=float))
    assert ax.get_ylabel() == "calls per month"
    with pytest.raises(ValueError, match="period"):
        charts.call_volume(profile, ax, period="day")


def test_time_on_scene_bars_are_the_medians(profile):
    fig, ax = _axes()
    charts.time_on_scene(profile, ax)
    labels = [t.get_text() for t in ax.get_yticklabels()]
    medians = {charts.category_label(c): v for c, v in profile.durations["on_scene_median"].items()}
    assert {lbl: p.get_width() for lbl, p in zip(labels, ax.patches, strict=True)} == pytest.approx(
        {lbl: medians[lbl] for lbl in labels})
    assert "minutes" in ax.get_xlabel()
    assert ax.get_title().startswith(charts.TIME_ON_SCENE_TITLE) and "median" in ax.get_title()
    _render(fig)


def test_time_on_scene_says_so_when_the_export_has_none():
    p = build_profile(_calls(on_scene=False))
    fig, ax = _axes()
    charts.time_on_scene(p, ax)
    assert [t.get_text() for t in ax.texts] == [charts.NO_ON_SCENE_TIMES]
    assert not ax.patches


def test_units_on_duty_steps_through_the_week():
    s = scenario_from_dict({
        "responders": {"officer": {"cost_per_person": 100000, "on_duty": list(range(24))},
                       "social_worker": {"cost_per_person": 80000, "shifts": [
                           {"start": "08:00", "hours": 10, "days": "Mon-Fri", "units": 2}]}}})
    fig, ax = _axes()
    charts.units_on_duty(s, ax)
    officer, social = ax.get_lines()[:2]
    np.testing.assert_array_equal(officer.get_ydata()[:168], np.tile(np.arange(24), 7))
    y = social.get_ydata()
    assert y[8] == 2 and y[18] == 0 and y[5 * 24 + 8] == 0  # Monday 08:00 on, 18:00 off, Saturday off
    assert ax.get_ylabel() == "units on duty"
    _render(fig)
