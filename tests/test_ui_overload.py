"""Overload is an alarm in the app: a red banner on Simulate, Compare and Report naming the hours of the week over
capacity; and a new project's first baseline comes from its calls, with a banner asking to confirm it."""

from __future__ import annotations

import pytest

pytest.importorskip("pytestqt")

from PySide6.QtCore import Qt  # noqa: E402

from planner.baseline import NAME  # noqa: E402
from planner.profile import build_profile  # noqa: E402
from tests.ui_support import SAMPLE, load_calls_into  # noqa: E402

BASELINE = "Baseline: officers only"
CUT = "Patrol cut to 3"

pytestmark = pytest.mark.usefixtures("isolated_settings")


@pytest.fixture
def window(sample_window, reference):
    w = load_calls_into(sample_window, reference, None)
    w.simulate_page.replications.setValue(2)
    w.simulate_page.horizon.setValue(7)
    state = w.state
    state.select(BASELINE)
    name = state.duplicate(BASELINE)
    state.rename(name, CUT)

    def cut(t):
        t["responders"]["officer"].pop("shifts", None)
        t["responders"]["officer"]["on_duty"] = 3

    state.edit(cut, "Cut patrol")
    return w


def test_red_banners_on_simulate_compare_and_report(qtbot, window, dialogs):
    state = window.state
    page = window.simulate_page
    window.show_page("simulate")
    assert not page.overload.isVisibleTo(page)
    with qtbot.waitSignal(state.runsChanged, timeout=60_000):
        qtbot.mouseClick(page.run_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not window.busy, timeout=10_000)
    assert dialogs == []
    assert page.overload.isVisibleTo(page)
    text = page.overload.text()
    assert f"Overloaded: {CUT}" in text and "reaches the officers on duty" in text and "Fri 21:00" in text
    assert "no officer hours freed and no savings are claimed" in text
    # The table says how many calls were left waiting.
    rows = [page.kpis.item(r, 0).text() for r in range(page.kpis.rowCount()) if page.kpis.item(r, 0)]
    assert "Left unanswered" in rows

    cmp = window.compare_page
    window.show_page("compare")
    cmp.set_chosen([BASELINE, CUT], BASELINE)
    cmp.run()
    qtbot.waitUntil(lambda: not window.busy and cmp.comparison is not None, timeout=60_000)
    assert cmp.overload.isVisibleTo(cmp) and f"Overloaded: {CUT}" in cmp.overload.text()
    assert cmp.comparison.summary()[0].startswith("Overloaded:")
    assert "Overloaded:" in cmp.summary.text()

    report = window.report_page
    window.show_page("report")
    assert report.overload.isVisibleTo(report) and "first page" in report.overload.text()

    # A sound scenario shows no banner.
    state.select(BASELINE)
    window.show_page("simulate")
    with qtbot.waitSignal(state.runsChanged, timeout=60_000):
        qtbot.mouseClick(page.run_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not window.busy, timeout=10_000)
    assert not page.overload.isVisibleTo(page)


def test_a_new_project_gets_a_baseline_from_its_calls_to_confirm(qtbot, sample_window, reference, dialogs):
    from ui.project import CallData

    w = sample_window
    w.new_project()
    state = w.state
    assert state.holds_placeholder() and state.scenario_names == ["Baseline"]
    data = CallData(result=reference, profile=build_profile(reference), calls_path=SAMPLE / "calls.csv.gz",
                    codes_path=SAMPLE / "codes.csv", timezone=reference.timezone, mapping_path=None)
    with qtbot.waitSignal(state.scenariosChanged, timeout=60_000):
        assert state.set_imported_data(data, state.generation)     # what the Data page's wizard does
    qtbot.waitUntil(lambda: not w.busy, timeout=60_000)
    assert dialogs == []
    assert state.scenario_names == [NAME] and state.is_proposal()
    assert w.current_page() == "staffing"
    page = w.staffing_page
    assert page.proposal.isVisibleTo(page)
    assert "proposal, not your roster" in page.proposal_text.text()
    officer = state.scenario.responders["officer"]
    assert officer.shifts and officer.on_duty(60).min() >= 2 and officer.on_duty(60).max() > officer.on_duty(60).min()

    # Enter the roster by hour: the proposal becomes an editable hourly list on the Units on duty tab.
    qtbot.mouseClick(page.enter_button, Qt.MouseButton.LeftButton)
    assert page.tabs.currentIndex() == 1
    assert not state.scenario.responders["officer"].shifts and page.proposal.isVisibleTo(page)
    # Confirm: the banner goes; undo brings it back.
    qtbot.mouseClick(page.confirm_button, Qt.MouseButton.LeftButton)
    assert not state.is_proposal() and not page.proposal.isVisibleTo(page)
    state.undo_stack.undo()
    assert page.proposal.isVisibleTo(page)

    # Calls imported into a project that already has scenarios of its own change none of them.
    w.open_sample(load_data=False)
    names = list(w.state.scenario_names)
    assert not w.state.holds_placeholder()
    assert w.state.set_imported_data(data, w.state.generation)
    assert not w.busy and w.state.scenario_names == names
