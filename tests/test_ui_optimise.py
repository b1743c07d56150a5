"""The Optimise page: a real (short) solve on the worker, its plan, roster and units on duty by hour; infeasible
explained in words; Cancel ends the solver's child process and leaves the page as it was. (Choosing a Pareto
point and saving it as a scenario is in the walkthrough, which runs the optimiser with trade-off points.)"""

from __future__ import annotations

import multiprocessing
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("pytestqt")

from PySide6.QtCore import Qt  # noqa: E402

from tests.ui_support import load_calls_into  # noqa: E402
from ui.optimise_page import roster_rows  # noqa: E402
from ui.widgets import table_text  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "sample_scenarios" / "midsize_city"
BASELINE = "Baseline: officers only"


pytestmark = pytest.mark.usefixtures("isolated_settings")

@pytest.fixture
def window(sample_window, reference):
    w = load_calls_into(sample_window, reference, None)
    w.show_page("optimise")
    return w


def optimise(qtbot, window, *, time_limit: int, pareto: int):
    page = window.optimise_page
    page.time_limit.setValue(time_limit)
    page.pareto.setValue(pareto)
    before = page.result
    qtbot.mouseClick(page.run_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: page.result is not before and not window.busy, timeout=120_000)
    return page.result


def test_a_plan_its_roster_and_units_by_hour_against_the_need(qtbot, window, dialogs):
    page = window.optimise_page
    assert page.run_button.isEnabled()
    plan = optimise(qtbot, window, time_limit=2, pareto=0)
    assert dialogs == []
    r = plan.result
    assert plan.status in ("optimal", "feasible") and r.units_by_pattern is not None
    assert page.status.isVisible() and ("Best plan" in page.status.text() or "A plan was found" in page.status.text())
    assert page.explanation.text() == r.explanation
    assert BASELINE in page.for_label.text()

    # Units on duty against the need: one chart per type that has either, drawing exactly the engine's numbers.
    drawn = [t for t in plan.scenario.responders if np.any(r.requirements[t]) or np.any(r.on_duty[t])]
    assert list(page.duty_charts) == drawn
    for t in drawn:
        ax = page.duty_charts[t].render_chart().axes[0]
        need = next(p for p in ax.patches if type(p).__name__ == "StepPatch")
        np.testing.assert_array_equal(need.get_data().values, r.requirements[t])
        bars = [p.get_height() for p in ax.containers[0]]
        np.testing.assert_array_equal(bars, r.on_duty[t])

    # The roster prices each shift the way the optimiser does: its rows add up to the engine's totals.
    rows = roster_rows(plan)
    for t, units in r.units_by_type.items():
        mine = [x for x in rows if x["type"] == t]
        assert sum(x["units"] for x in mine) == units
        assert sum(x["cost"] for x in mine) == pytest.approx(r.annual_cost_by_type[t], rel=1e-9)
        assert sum(x["headcount"] for x in mine) == pytest.approx(r.headcount_by_type[t], rel=1e-9)
    text = table_text(page.roster)
    assert any(row[0] == "patrol officer unit: total" and row[2] == str(r.units_by_type["officer"]) for row in text)

    # No trade-off points asked for: the Pareto tab says how to get them (the walkthrough clicks them).
    assert plan.pareto == [] and page.points_table.rowCount() == 0
    assert "trade-off points above 0" in page.point_label.text()
    assert not page.save_point_button.isEnabled()
    names = list(window.state.scenario_names)

    # Use this plan: the plan itself, as a scenario to simulate.
    page.use_plan_button.click()
    assert window.state.current_name == f"{BASELINE} (optimised)"
    assert window.isWindowModified()
    shifts = window.state.scenario.responders["officer"].shifts
    assert sum(b.units for b in shifts) == r.units_by_type["officer"]
    window.undo_action.trigger()
    assert window.state.scenario_names == names and not window.isWindowModified()


def test_infeasible_is_explained_and_cancel_ends_the_solver_leaving_the_page_as_it_was(qtbot, window, dialogs):
    page = window.optimise_page
    state = window.state
    state.edit(lambda t: t["responders"]["officer"].update(max_headcount=20), "Cap officers")
    plan = optimise(qtbot, window, time_limit=2, pareto=0)
    assert plan.status == "infeasible"
    assert "No plan meets the service targets" in page.status.text()
    shown = page.explanation.text()
    assert shown == plan.result.explanation and page.explanation.isVisible()
    assert "max_headcount" in shown and "raise it" in shown
    assert "No roster" in table_text(page.roster)[0][0]
    assert not page.use_plan_button.isEnabled()
    assert dialogs == []

    # A long solve, cancelled while its child process runs: the child ends, the page shows what it showed.
    state.select("Option A: social workers")
    page.time_limit.setValue(120)
    status_before = page.status.text()
    page.run_button.click()
    qtbot.waitUntil(lambda: "solving" in page.progress.label.text() and bool(multiprocessing.active_children()),
                    timeout=60_000)
    children = multiprocessing.active_children()
    assert page.progress.isVisible() and not page.run_button.isEnabled()
    page.progress.cancel_button.click()
    qtbot.waitUntil(lambda: not window.busy, timeout=20_000)
    qtbot.waitUntil(lambda: not any(c.is_alive() for c in children), timeout=10_000)
    assert multiprocessing.active_children() == []
    assert page.result is plan and page.status.text() == status_before
    assert page.run_button.isEnabled() and not page.progress.isVisible()
    assert "cancelled" in window.statusBar().currentMessage()
    assert dialogs == []
