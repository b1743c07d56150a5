"""The import wizard on a consolidated 911 centre's file: why each column, which agencies, rows set aside."""

from __future__ import annotations

import pytest

pytest.importorskip("pytestqt")

from PySide6.QtCore import Qt  # noqa: E402

from tests.test_import_layouts import CONSOLIDATED  # noqa: E402

pytestmark = pytest.mark.usefixtures("isolated_settings")


def _agencies(wizard) -> dict[str, bool]:
    lst = wizard.agency_list
    return {lst.item(i).data(Qt.ItemDataRole.UserRole): lst.item(i).checkState() == Qt.CheckState.Checked
            for i in range(lst.count())}


def test_wizard_shows_why_and_keeps_police_by_default(qtbot, sample_window, dialogs, tmp_path):
    path = tmp_path / "cad.csv"
    path.write_text(CONSOLIDATED)
    window = sample_window
    page = window.data_page
    wizard = page.wizard
    page.tabs.setCurrentWidget(wizard)
    with qtbot.waitSignal(wizard.previewReady, timeout=30_000):
        wizard.set_calls_file(path)
    assert wizard.combos["received_at"].currentText() == "Response_Date"
    assert wizard.combos["cleared_at"].currentText() == "TimeFirstCallCleared"
    assert wizard.combos["agency"].currentText() == "Agency"
    why = wizard.reasons.toPlainText()
    assert "received at: 'Response_Date' - date-times in 88% of rows" in why
    assert "runner-up 'Incident_Start_Time'" in why and "not a time: 'Total_Call_Time'" in why
    assert _agencies(wizard) == {"POLICE": True, "EMS": False, "FIRE": False, "Police": True}
    assert wizard.agency_list.isVisibleTo(wizard)

    # Tick FIRE as well: its call is imported, EMS stays set aside.
    lst = wizard.agency_list
    fire = next(lst.item(i) for i in range(lst.count()) if lst.item(i).data(Qt.ItemDataRole.UserRole) == "FIRE")
    fire.setCheckState(Qt.CheckState.Checked)
    with qtbot.waitSignal(window.state.dataChanged, timeout=60_000):
        qtbot.mouseClick(wizard.import_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not window.busy)
    assert dialogs == []
    r = window.state.data.result
    assert r.mapping.agencies == ("POLICE", "FIRE", "Police")
    assert r.set_aside == {"EMS": 2} and r.calls_imported == 5 and r.rows_rejected == 1
    quality = page.quality
    assert quality.values["rows_set_aside"].text() == "2 (EMS 2)"
    assert int(quality.values["rows_read"].text()) == r.rows_imported + r.rows_rejected + r.rows_set_aside
    assert "received_at: 'Response_Date'" in quality.notes.toPlainText().replace("received at", "received_at")


def test_wizard_without_an_agency_column_hides_the_list(qtbot, sample_window, tmp_path):
    path = tmp_path / "calls.csv"
    path.write_text("Incident,Call Date & Time,Reason #1,Reason #2\n1,06/01/2024 10:00,,Paranoia\n"
                    "2,06/01/2024 11:00,Disorganized behavior,\n")
    wizard = sample_window.data_page.wizard
    sample_window.data_page.tabs.setCurrentWidget(wizard)
    with qtbot.waitSignal(wizard.previewReady, timeout=30_000):
        wizard.set_calls_file(path)
    assert not wizard.agency_list.isVisibleTo(wizard) and wizard.chosen_agencies() is None
    assert wizard.combos["call_type"].currentText() == "Reason #1"
    assert wizard.chosen_columns()["call_type"] == ["Reason #1", "Reason #2"]
    wizard.combos["call_type"].setCurrentText("Reason #2")
    assert wizard.chosen_columns()["call_type"] == "Reason #2"
