"""The pages, driven as a user drives them: import through the wizard, fix a category, edit staffing."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("pytestqt")

from PySide6.QtCore import Qt  # noqa: E402

from planner import charts  # noqa: E402
from planner.mapping import read_mapping  # noqa: E402
from planner.profile import unmatched_call_types  # noqa: E402
from tests.ui_support import load_calls_into  # noqa: E402
from ui.project import rule_for_call_type  # noqa: E402
from ui.staffing_page import GLOSSARY  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "sample_scenarios" / "midsize_city"


pytestmark = pytest.mark.usefixtures("isolated_settings")

@pytest.fixture
def window(sample_window):
    return sample_window


@pytest.fixture
def loaded(window, reference):
    """The window with the sample's calls in, as opening the scenario reads them (without reading again)."""
    return load_calls_into(window, reference, SAMPLE / "mapping.toml")


def _shown(page, key: str) -> int:
    return int(page.quality.values[key].text().replace(",", ""))


# ------------------------------------------------------------------------------------------- Data
def test_import_the_sample_through_the_wizard(qtbot, window, reference, dialogs):
    page = window.data_page
    wizard = page.wizard
    page.tabs.setCurrentWidget(wizard)
    with qtbot.waitSignal(wizard.previewReady, timeout=30_000):
        wizard.set_calls_file(SAMPLE / "calls.csv.gz")
    # The preview shows the file's first rows, numbered as a spreadsheet numbers them.
    assert wizard.preview_model.rowCount() == 20
    assert wizard.preview_model.headerData(0, Qt.Orientation.Vertical) == "2"
    assert wizard.preview_model.headerData(3, Qt.Orientation.Horizontal) == "Call Type"
    # Detected columns, each editable; the user fills in code table, zone and date order.
    assert wizard.combos["call_type"].currentText() == "Call Type"
    assert wizard.combos["received_date"].currentText() == "Received Date"
    assert wizard.combos["units"].currentText() == "(none)"
    assert wizard.combos["call_type"].findText("Disposition") > 0
    wizard.set_codes_file(SAMPLE / "codes.csv")
    wizard.tz_combo.setCurrentText("America/Chicago")
    wizard.date_combo.setCurrentIndex(wizard.date_combo.findData("mdy"))
    assert wizard.import_button.isEnabled()
    with qtbot.waitSignal(window.state.dataChanged, timeout=60_000):
        qtbot.mouseClick(wizard.import_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not window.busy)
    assert dialogs == []

    result = window.state.data.result
    for key in ("rows_read", "rows_imported", "rows_rejected", "rows_merged", "calls_imported"):
        assert _shown(page, key) == getattr(result, key) == getattr(reference, key), key
    assert page.quality.rejects_model.rowCount() == reference.rows_rejected
    assert page.quality.reasons.rowCount() == len(reference.rejections())
    assert page.tabs.currentWidget() is page.quality
    # The import is an undoable change: the project's calls now.
    assert window.isWindowModified()
    assert window.state.data.timezone == "America/Chicago"
    window.undo_action.trigger()
    assert window.state.data is None and not window.isWindowModified()


def test_assigning_an_other_call_type_moves_exactly_its_calls(qtbot, loaded):
    page = loaded.data_page
    page.tabs.setCurrentWidget(page.quality)
    quality = page.quality
    other_before = int(loaded.state.data.profile.by_category["other"])
    assert quality.values["other"].text().startswith(f"{other_before:,}")
    call_type, n = unmatched_call_types(loaded.state.data.result.calls, 1)[0]
    assert quality.other_table.item(0, 0).text() == call_type
    welfare_before = int(loaded.state.data.profile.by_category["welfare_check"])

    combo = quality.other_table.cellWidget(0, 2)
    index = combo.findData("welfare_check")
    combo.setCurrentIndex(index)
    combo.activated.emit(index)
    qtbot.waitUntil(lambda: int(loaded.state.data.profile.by_category["other"]) == other_before - n, timeout=5000)

    profile = loaded.state.data.profile
    assert int(profile.by_category["welfare_check"]) == welfare_before + n
    assert quality.values["other"].text().startswith(f"{other_before - n:,}")
    assert [quality.other_table.item(r, 0).text() for r in range(quality.other_table.rowCount())].count(call_type) == 0
    assert quality.rules_table.item(0, 0).text() == rule_for_call_type(call_type, "welfare_check").pattern
    assert loaded.isWindowModified()

    # The Demand page draws the new counts.
    loaded.show_page("demand")
    bars = dict(zip([t.get_text() for t in loaded.demand_page.by_category.render_chart().axes[0].get_yticklabels()],
                    [p.get_width() for p in loaded.demand_page.by_category.render_chart().axes[0].patches], strict=True))
    assert bars["other"] == other_before - n

    # Undo puts the calls back; removing the rule from the rules editor does the same.
    loaded.undo_action.trigger()
    assert int(loaded.state.data.profile.by_category["other"]) == other_before
    loaded.redo_action.trigger()
    quality.rules_table.selectRow(0)
    quality.remove_rule_button.click()
    assert int(loaded.state.data.profile.by_category["other"]) == other_before
    assert quality.rules_table.rowCount() == len(loaded.state.data.rules)


def test_a_rule_naming_no_category_is_refused(loaded):
    quality = loaded.data_page.quality
    quality.add_rule_from_form()
    assert quality.rule_error.isVisibleTo(quality) and "pattern" in quality.rule_error.text()
    quality.pattern_edit.setText("(unclosed")
    quality.add_rule_from_form()
    assert "not a valid pattern" in quality.rule_error.text()
    assert loaded.state.undo_stack.count() == 0


def test_save_keeps_new_rules_in_the_project_file(qtbot, loaded, tmp_path):
    loaded.data_page.quality.assign("ANIMAL COMPLAINT", "disturbance")
    target = tmp_path / "option.coplan"
    assert loaded.save_to(target)
    loaded.new_project()
    with qtbot.waitSignal(loaded.state.opened, timeout=30_000):
        loaded.open_path(target)
    data = loaded.state.data
    assert data.stored and data.calls_path.name == "calls.csv.gz"
    assert rule_for_call_type("ANIMAL COMPLAINT", "disturbance") in data.rules
    calls = data.result.calls
    assert (calls.loc[calls["call_type"] == "ANIMAL COMPLAINT", "category"] == "disturbance").all()
    # The wizard says where the calls came from, without trying to read an export that may not be here.
    loaded.data_page.tabs.setCurrentWidget(loaded.data_page.wizard)
    assert "The project holds" in loaded.data_page.wizard.status.text()
    assert not loaded.busy


# ----------------------------------------------------------------------------------------- Demand
def test_demand_page_waits_for_calls(window):
    window.show_page("demand")
    assert window.demand_page.stack.currentIndex() == 0


def test_demand_charts_draw_the_profile(qtbot, loaded):
    loaded.show_page("demand")
    page = loaded.demand_page
    profile = loaded.state.data.profile
    ax = page.heatmap.render_chart().axes[0]
    np.testing.assert_allclose(np.asarray(ax.images[0].get_array()),
                               profile.rates_per_hour.sum(axis=1).to_numpy().reshape(7, 24))
    page.category_combo.setCurrentIndex(page.category_combo.findData("behavioral_health"))
    assert "behavioral health" in page.heatmap.render_chart().axes[0].get_title()
    page.period_combo.setCurrentIndex(page.period_combo.findData("month"))
    assert page.volume.render_chart().axes[0].get_ylabel() == "calls per month"
    assert page.on_scene.render_chart().axes[0].get_title().startswith("Time on scene by category")
    assert "Offered load" in page.summary.text()
    page.heatmap.grab()   # draws at the real size: no warning, no error


# --------------------------------------------------------------------------------- Staffing & policy
def test_edit_relief_factor_then_undo_and_redo(loaded):
    page = loaded.staffing_page
    loaded.show_page("staffing")
    cell = page.cell_for(page.responders, "officer", ("relief_factor",))
    assert cell.text() == "1.7"
    cell.setText("1.8")
    assert loaded.state.scenario.responders["officer"].relief_factor == 1.8
    assert loaded.isWindowModified()
    assert page.cell_for(page.responders, "officer", ("relief_factor",)).text() == "1.8"
    loaded.undo_action.trigger()
    assert loaded.state.scenario.responders["officer"].relief_factor == 1.7
    assert page.cell_for(page.responders, "officer", ("relief_factor",)).text() == "1.7"
    assert not loaded.isWindowModified()
    loaded.redo_action.trigger()
    assert loaded.state.scenario.responders["officer"].relief_factor == 1.8


def test_an_invalid_edit_is_refused_with_the_planners_message(loaded):
    page = loaded.staffing_page
    cell = page.cell_for(page.responders, "officer", ("relief_factor",))
    cell.setText("0.5")
    assert page.error.isVisibleTo(page)
    assert "relief_factor = 0.5" in page.error.text() and "expected a number >= 1" in page.error.text()
    assert page.cell_for(page.responders, "officer", ("relief_factor",)).text() == "1.7"
    assert loaded.state.scenario.responders["officer"].relief_factor == 1.7
    assert loaded.state.undo_stack.count() == 0
    # Shares that add up to more than one are refused too.
    page.cell_for(page.policy, "behavioral health", ("eligible", "co_responder")).setText("60%")
    assert "add up to" in page.error.text()
    # A valid edit clears the message.
    page.cell_for(page.targets, "officer", ("max_occupancy",)).setText("0.55")
    assert not page.error.isVisibleTo(page)
    assert loaded.state.scenario.targets.max_occupancy["officer"] == 0.55


def test_policy_and_hourly_staffing_edits(loaded):
    page = loaded.staffing_page
    page.cell_for(page.policy, "traffic", ("eligible", "social_worker")).setText("10%")
    assert loaded.state.scenario.policy["traffic"].eligible == {"social_worker": 0.1}
    page.cell_for(page.policy, "traffic", ("eligible", "social_worker")).setText("")
    assert "traffic" not in loaded.state.scenario.policy   # a blank cell removes the setting
    row = next(r for r in range(page.hours.rowCount()) if page.hours.verticalHeaderItem(r).text() == "social worker: on duty")
    page.hours.item(row, 9).setText("2")
    on = loaded.state.scenario.responders["social_worker"].on_duty(60)
    assert on[9] == 2 and on[24 + 9] == 2 and on[10] == 0
    assert page.duty_chart.render_chart().axes[0].get_title() == "Units on duty through the week"


def test_terms_are_explained_where_they_appear(loaded):
    page = loaded.staffing_page
    tips = [page.responders.horizontalHeaderItem(c).toolTip() for c in range(page.responders.columnCount())]
    tips += [page.targets.horizontalHeaderItem(c).toolTip() for c in range(page.targets.columnCount())]
    tips += [page.policy.horizontalHeaderItem(c).toolTip() for c in range(page.policy.columnCount())]
    tips += [page.hours.horizontalHeaderItem(0).toolTip(), loaded.demand_page.summary.toolTip()]
    for term in ("relief factor", "fallback wait", "eligible share", "rule of 60", "offered load"):
        assert GLOSSARY[term] in " ".join(tips) or term in loaded.demand_page.summary.toolTip().lower(), term


def test_chart_functions_used_by_the_pages_come_from_the_planner(loaded):
    loaded.show_page("demand")
    assert loaded.demand_page.heatmap.chart is charts.hour_of_week_heatmap
    assert loaded.staffing_page.duty_chart.chart is charts.units_on_duty


def test_save_mapping_with_rules_from_the_data_page(loaded, tmp_path):
    quality = loaded.data_page.quality
    quality.assign("XK9", "alarm")
    target = tmp_path / "mine.toml"
    quality.save_mapping(target)
    saved = read_mapping(target)
    assert saved.rules[0] == rule_for_call_type("XK9", "alarm")
    assert saved.columns["call_type"] == "Call Type" and saved.timezone == "America/Chicago"
    assert saved.codes_path().resolve() == (SAMPLE / "codes.csv").resolve()


# ------------------------------------------------------------------------ availability and 911 triage
def test_demand_page_shows_eligible_calls_with_no_civilian_on_duty(qtbot, loaded):
    loaded.show_page("demand")
    page = loaded.demand_page
    loaded.state.select("Baseline: officers only")
    assert "(100%) arrive when no civilian unit is on duty" in page.summary.text()
    loaded.state.select("Option A: social workers")
    text = page.summary.text()
    share = int(text.split("eligible calls a year (")[1].split("%")[0])
    assert 0 < share < 100 and "Option A: social workers" in text
    ax = page.availability.render_chart().axes[0]
    assert ax.get_title().endswith("arrive when no civilian unit is on duty")
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["a civilian unit on duty", "no civilian unit on duty"]
    page.availability.grab()


def test_triage_pod_on_staffing_and_simulate_pages(qtbot, loaded, dialogs):
    from planner.templates import get_template

    name = loaded.state.add_template(get_template("columbus"))
    loaded.state.select(name)
    loaded.show_page("staffing")
    note = loaded.staffing_page.triage_note
    assert note.isVisible() and "resolves <b>62%</b>" in note.text() and "resolved by phone" in note.text()
    assert "answered within 60 seconds" in note.text() and "a year</b>" in note.text()
    loaded.state.select("Baseline: officers only")
    assert not loaded.staffing_page.triage_note.isVisible()
    loaded.state.select(name)
    page = loaded.simulate_page
    page.replications.setValue(1)
    page.horizon.setValue(4)
    loaded.show_page("simulate")
    with qtbot.waitSignal(loaded.state.runsChanged, timeout=60_000):
        page.run()
    qtbot.waitUntil(lambda: not loaded.busy, timeout=10_000)
    assert dialogs == []
    labels = [page.kpis.item(r, 0).text() for r in range(page.kpis.rowCount()) if page.kpis.item(r, 0)]
    assert "Resolved by phone (911 triage)" in labels and "911 triage pod call-takers (in the staffing total)" in labels
    tabs = [page.charts.tabText(i) for i in range(page.charts.count())]
    assert tabs[-1] == "No civilian on duty"
    # Calls resolved by phone are not calls left unanswered on the response-time chart.
    page.charts.setCurrentIndex(0)
    legend = page.response_chart.render_chart().axes[0].get_legend()
    assert not any("never answered" in t.get_text() for t in legend.get_texts())
