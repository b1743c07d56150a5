"""Comparison charts draw the numbers of the KPI table and the runs, readably, on a plain Agg Figure."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle

from planner import result_charts as rc
from planner.compare import compare, evaluate_all
from planner.jobs import run_job
from planner.report import charts_for
from planner.scenario import load_scenario
from tests.conftest import SAMPLES

MID = SAMPLES / "midsize_city"


@pytest.fixture(scope="module")
def comparison():
    ss = [load_scenario(MID / f"{n}.toml") for n in ("baseline", "social_workers", "co_responders")]
    return compare(run_job(evaluate_all(ss, replications=3, horizon_days=10)))


def _axes(size=(7.0, 4.0)):
    fig = Figure(figsize=size, layout="constrained")
    FigureCanvasAgg(fig)
    return fig, fig.add_subplot()


def _lines(ax, gid):
    return [ln for ln in ax.get_lines() if ln.get_gid() == gid]


def _overlaps(a, b) -> bool:
    return a.x0 < b.x1 - 0.5 and b.x0 < a.x1 - 0.5 and a.y0 < b.y1 - 0.5 and b.y0 < a.y1 - 0.5


def _no_overlap(texts, renderer) -> None:
    boxes = [(t.get_text(), t.get_window_extent(renderer)) for t in texts if t.get_visible() and t.get_text()]
    for i, (ta, a) in enumerate(boxes):
        for tb, b in boxes[i + 1:]:
            assert not _overlaps(a, b), f"{ta!r} overlaps {tb!r}"


# ------------------------------------------------------------------------------------------- every chart
def test_every_chart_has_a_title_labelled_axes_and_no_overlapping_tick_labels(comparison):
    charts = charts_for(comparison)
    assert len({c.name for c in charts}) == len(charts)
    for chart in charts:
        fig, ax = _axes(chart.size)
        chart.draw(ax)
        fig.canvas.draw()   # constrained layout runs here; a collapsed layout would warn, and warnings fail
        assert ax.get_title(), chart.name
        assert ax.get_xlabel() and ax.get_ylabel(), chart.name
        renderer = fig.canvas.get_renderer()
        _no_overlap(ax.get_xticklabels(), renderer)
        _no_overlap(ax.get_yticklabels(), renderer)


# ------------------------------------------------------------------------------------------- heatmap
def test_heatmap_is_the_utilisation_as_seven_days_of_24_hours(comparison):
    run = comparison.evaluations[0].run
    fig, ax = _axes((7, 3))
    rc.utilisation_heatmap(run, "officer", ax, ceiling=0.6)
    util = run.utilisation_by_bin["officer"].to_numpy()
    shown = ax.images[0].get_array()
    np.testing.assert_allclose(np.ma.filled(shown, np.nan), util.reshape(7, 24), equal_nan=True)
    # Every hour above the ceiling is hatched, and only those.
    hatched = [p for p in ax.patches if isinstance(p, Rectangle) and p.get_gid() == "above ceiling"]
    assert len(hatched) == int(np.sum(np.nan_to_num(util, nan=-1) > 0.6)) > 0
    cells = {(int(round(p.get_y() + 0.5)), int(round(p.get_x() + 0.5))) for p in hatched}
    assert all(util.reshape(7, 24)[d, h] > 0.6 for d, h in cells)
    assert f"({len(hatched)} of 168 hours on duty)" in ax.get_title()
    bar = [a for a in fig.axes if a is not ax]
    assert bar and "on-duty time" in bar[0].get_ylabel()
    assert any("60% ceiling" in t.get_text() for t in bar[0].get_yticklabels())
    assert [t.get_text() for t in ax.get_yticklabels()] == list(rc.DAY_NAMES)
    fig.canvas.draw()


def test_heatmap_greys_out_hours_with_no_unit_on_duty(comparison):
    e = comparison.evaluations[1]   # social workers on day and evening shifts only
    fig, ax = _axes((7, 3))
    rc.utilisation_heatmap(e.run, "social_worker", ax, ceiling=0.85, label="social worker")
    shown = ax.images[0].get_array()
    on_duty = e.scenario.responders["social_worker"].on_duty(60).reshape(7, 24) > 0
    assert np.array_equal(~np.ma.getmaskarray(shown), on_duty)
    assert "no social worker on duty" in ax.get_title()


def test_week_grid_refuses_a_wrong_length():
    with pytest.raises(ValueError, match="expected 168"):
        rc.week_grid(np.zeros(167))


# ------------------------------------------------------------------------------------------- bars
def test_calls_by_type_bars_are_the_tables_values(comparison):
    fig, ax = _axes()
    rc.calls_by_type_chart(comparison, ax)
    checked = 0
    for ty in ("officer", "social_worker", "co_responder"):
        bars = [p for p in ax.patches if p.get_gid() == ty]
        assert len(bars) == len(comparison.scenarios)
        for bar, s in zip(bars, comparison.scenarios, strict=True):
            expected = comparison.row(s, f"calls_by_responder_type.{ty}")["mean"]
            assert bar.get_width() == pytest.approx(expected)
            checked += expected > 0
    assert checked == 5   # officers in all three, social workers in A, co-responders in B
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert labels == ["Patrol officer unit", "Social worker", "Co-responder unit"]
    assert ax.get_xlabel().startswith("calls a year")


def test_kpi_changes_are_percent_of_the_baseline_and_hollow_inside_the_noise(comparison):
    fig, ax = _axes((7, 5))
    rc.kpi_delta_chart(comparison, ax)
    option = "Option A: social workers"
    bars = [p for p in ax.patches if p.get_gid() == option]
    kpis = [k for k in rc.DELTA_KPIS if comparison.row(comparison.baseline, k)["mean"] != 0]
    assert len(bars) == len(kpis)
    for bar, k in zip(bars, kpis, strict=True):
        row, base = comparison.row(option, k), comparison.row(comparison.baseline, k)["mean"]
        assert bar.get_width() == pytest.approx(100 * row["delta"] / abs(base))
        assert (bar.get_hatch() is None) == bool(row["clear"])


# ------------------------------------------------------------------------------------------- Pareto
def test_pareto_marks_each_scenario_at_its_cost_and_hours_without_a_frontier(comparison):
    fig, ax = _axes()
    rc.pareto_chart(None, comparison, ax)
    assert not _lines(ax, "frontier")
    for s in comparison.scenarios:
        (mark,) = _lines(ax, s)
        assert mark.get_xdata()[0] == pytest.approx(comparison.row(s, "total_annual_cost")["mean"])
        assert mark.get_ydata()[0] == pytest.approx(comparison.row(s, "officer_hours_freed")["mean"])
    names = [t.get_text().replace("\n", " ") for t in ax.texts]
    assert all(s in names for s in comparison.scenarios)
    assert "hours freed" in ax.get_ylabel() and "annual cost" in ax.get_xlabel()
    fig.canvas.draw()
    _no_overlap([t for t in ax.texts if t.get_text().replace("\n", " ") in comparison.scenarios],
                fig.canvas.get_renderer())


def test_pareto_draws_the_frontier_sorted_and_skips_points_without_a_plan(comparison):
    frontier = [(10.6e6, 6800.0, "b3"), (9.8e6, 0.0, "b0"), (10.2e6, 5200.0, "b2"),
                SimpleNamespace(annual_cost=None, officer_hours_freed=None, budget=5e5),   # infeasible
                SimpleNamespace(annual_cost=11.2e6, officer_hours_freed=7600.0, budget=1.5e6)]
    fig, ax = _axes()
    rc.pareto_chart(frontier, comparison, ax)
    (line,) = _lines(ax, "frontier")
    assert list(line.get_xdata()) == [9.8e6, 10.2e6, 10.6e6, 11.2e6]
    assert list(line.get_ydata()) == [0.0, 5200.0, 6800.0, 7600.0]
    assert "budget $1.5M" in [t.get_text() for t in ax.texts]
    assert "optimiser" in " ".join(t.get_text() for t in ax.get_legend().get_texts())
    fig.canvas.draw()


# ------------------------------------------------------------------------------------------- response times
def test_response_time_curves_mark_the_tables_p50_and_p90(comparison):
    fig, ax = _axes()
    rc.response_time_distribution(comparison.evaluations, ax)
    for e in comparison.evaluations:
        (curve,) = _lines(ax, e.name)
        y = curve.get_ydata()
        assert y[-1] == pytest.approx(1.0) and np.all(np.diff(curve.get_xdata()) >= 0)
        (marks,) = _lines(ax, f"{e.name} P50/P90")
        p50 = comparison.row(e.name, "response_minutes_p50")["mean"]
        p90 = comparison.row(e.name, "response_minutes_p90")["mean"]
        assert list(marks.get_xdata()) == pytest.approx([p50, p90])
        assert list(marks.get_ydata()) == [0.5, 0.9]


def test_response_time_for_one_priority_uses_only_its_calls(comparison):
    fig, ax = _axes()
    rc.response_time_distribution(comparison.evaluations, ax, priority=1)
    e = comparison.evaluations[0]
    rec = e.run.records
    p1 = np.sort(rec.loc[rec["priority"] == 1, "response_minutes"].to_numpy())
    (curve,) = _lines(ax, e.name)
    assert curve.get_xdata()[0] == pytest.approx(p1[0])
    assert curve.get_xdata().max() <= p1.max()
    assert "priority 1" in ax.get_title()
    fig2, ax2 = _axes()
    rc.response_time_by_priority(comparison.evaluations, ax2)
    (p90,) = [ln for ln in ax2.get_lines() if ln.get_gid() == f"{e.name} P50"]
    assert p90.get_xdata()[0] == pytest.approx(e.run.kpi("response_minutes_p50_by_priority.1"))


# ------------------------------------------------------------------------------------------- fallback
def test_fallback_by_hour_is_the_weekly_fallback_averaged_over_the_days(comparison):
    fig, ax = _axes()
    rc.fallback_by_hour_chart(comparison.evaluations, ax)
    assert not _lines(ax, comparison.baseline)   # no civilian units: nothing can fall back
    for e in comparison.evaluations[1:]:
        (line,) = _lines(ax, e.name)
        expected = np.asarray(e.run.fallback_by_bin).reshape(7, 24).mean(axis=0)
        np.testing.assert_allclose(line.get_ydata(), expected)
        assert expected.sum() > 0


def test_charts_with_nothing_to_show_say_so(comparison):
    base_only = [comparison.evaluations[0]]
    fig, ax = _axes()
    rc.fallback_by_hour_chart(base_only, ax)
    assert "No scenario here has civilian units" in [t.get_text() for t in ax.texts]
    assert ax.get_title()
    fig.canvas.draw()


def test_scenario_colours_are_colour_blind_safe_and_stable():
    colours = rc.scenario_colours(["base", "a", "b"], "base")
    assert colours["base"] == rc.BASELINE_COLOUR
    assert [colours["a"], colours["b"]] == rc.OPTION_COLOURS[:2]
    assert all(c in rc.OKABE_ITO.values() for c in rc.OPTION_COLOURS)


def test_week_duty_chart_prints_every_hour_and_marks_the_hours_short_of_the_need():
    on = np.tile(np.r_[np.full(7, 2.0), np.full(10, 4.0), np.full(7, 3.0)], 7)
    need = on.copy()
    need[[30, 31, 100]] += 1           # Tuesday 06:00 and 07:00, Friday 04:00
    _, ax = _axes((7.0, 2.6))
    rc.week_duty_chart(rc.WeekDuty("officer", "patrol officer units", on, need), ax)
    numbers = [t.get_text() for t in ax.texts if t.get_gid() == "units"]
    assert len(numbers) == 168 and numbers[:8] == ["2"] * 7 + ["4"]
    short = sorted((round(p.get_y() + 0.42), round(p.get_x() + 0.45)) for p in ax.patches if p.get_gid() == "short")
    assert short == [(1, 6), (1, 7), (4, 4)]
    assert "3 of 168 hours" in ax.get_title()
    # No need given: the roster alone, nothing marked short; nobody on duty: said in words.
    _, ax = _axes((7.0, 2.6))
    rc.week_duty_chart(rc.WeekDuty("social_worker", "social worker units", on), ax)
    assert not [p for p in ax.patches if p.get_gid() == "short"] and "at most 4 units" in ax.get_title()
    _, ax = _axes((7.0, 2.6))
    rc.week_duty_chart(rc.WeekDuty("social_worker", "social worker units", np.zeros(168)), ax)
    assert "nobody on duty" in " ".join(t.get_text() for t in ax.texts)
