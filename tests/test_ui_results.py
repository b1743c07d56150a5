"""The Simulate, Compare and Report pages: runs on the worker with progress and cancel, KPIs with intervals,
deltas in plain words, and the exported files."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("pytestqt")

from PySide6.QtCore import Qt, QUrl  # noqa: E402
from PySide6.QtGui import QDesktopServices  # noqa: E402
from PySide6.QtWidgets import QFileDialog  # noqa: E402

from planner import result_charts as rc  # noqa: E402
from planner.compare import compare, describe_delta, format_value  # noqa: E402
from planner.jobs import run_job  # noqa: E402
from planner.report import charts_for, render_png, write_xlsx  # noqa: E402
from planner.templates import get_template  # noqa: E402
from tests.ui_support import load_calls_into  # noqa: E402
from ui.project import RUN_CURRENT, RUN_NONE  # noqa: E402
from ui.simulate_page import interval_text, kpi_rows, kpi_value  # noqa: E402
from ui.widgets import table_text  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "sample_scenarios" / "midsize_city"
BASELINE = "Baseline: officers only"
OPTION_A = "Option A: social workers"
OPTION_B = "Option B: co-responder units"
NOISE = "no clear difference (inside the noise)"


pytestmark = pytest.mark.usefixtures("isolated_settings")

@pytest.fixture
def window(sample_window, reference):
    w = load_calls_into(sample_window, reference, None)
    sim = w.simulate_page
    sim.replications.setValue(2)
    sim.horizon.setValue(7)
    return w


def simulate(qtbot, window, name: str):
    window.state.select(name)
    window.show_page("simulate")
    with qtbot.waitSignal(window.state.runsChanged, timeout=60_000):
        qtbot.mouseClick(window.simulate_page.run_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not window.busy, timeout=10_000)
    return window.state.runs[name]


# ------------------------------------------------------------------------------------------- Simulate
def test_simulate_shows_kpis_with_intervals_and_the_charts(qtbot, window, dialogs):
    page = window.simulate_page
    assert "not been simulated" in page.run_info.text()
    saved = simulate(qtbot, window, OPTION_A)
    assert dialogs == []
    run = saved.run
    assert (run.replications, run.horizon_days, run.seed) == (2, 7, window.state.scenario.simulation.seed)
    assert window.state.run_status(OPTION_A) == RUN_CURRENT
    assert window.isWindowModified()
    assert "2 replications of 7 days" in page.run_info.text()
    assert "intervals are wide" in page.few.text()

    # Every figure shown is the run's own mean and 95% interval, in the users' words.
    shown = {row[0]: row[1:] for row in table_text(page.kpis) if row[1]}
    expected = [r for r in kpi_rows(saved) if not isinstance(r, str)]
    assert len(shown) == len(expected)
    for kpi, label, unit, _tip in expected:
        mean, lo, hi = kpi_value(saved, kpi)
        assert shown[label] == [format_value(mean, unit), interval_text(lo, hi, unit)], kpi
    for label in ("Officer hours on calls a year", "Officer time committed to calls", "All calls: median (P50)",
                  "All calls: 90th percentile (P90)", "Priority 1: 90th percentile", "Answered by social worker",
                  "Eligible, but fell back to an officer", "Overtime hours a year", "Arrests", "Total"):
        assert label in shown, label
    sections = [row[0] for row in table_text(page.kpis) if not row[1]]
    assert sections[:3] == ["Officers", "Response time (call to arrival)", "Calls a year"]

    # The charts: response times, by priority, time on calls against the ceiling, fallback by hour.
    ax = page.response_chart.render_chart().axes[0]
    assert [line.get_gid() for line in ax.lines][0] == OPTION_A
    assert page.type_combo.count() == 2            # officers and social workers are on duty; co-responders not
    assert "time on calls" in page.utilisation_chart.render_chart().axes[0].get_title().lower()
    assert "60% ceiling" in [t.get_text() for t in page.utilisation_chart.render_chart().axes[1].get_yticklabels()]
    page.type_combo.setCurrentIndex(1)
    assert "social worker" in page.utilisation_chart.render_chart().axes[0].get_title().lower()
    fallback = page.fallback_chart.render_chart().axes[0]
    np.testing.assert_allclose(fallback.lines[0].get_ydata(), rc.fallback_by_hour(run))
    page.priority_chart.grab()

    # An edit makes the run out of date, and the page says so; undo brings it back.
    window.state.edit(lambda t: t["responders"]["officer"].update(travel_minutes=10), "Change travel")
    assert page.stale.isVisibleTo(page) and "out of date" in page.stale.text()
    window.undo_action.trigger()
    assert not page.stale.isVisibleTo(page)
    window.undo_action.trigger()       # the run
    assert window.state.run_status(OPTION_A) == RUN_NONE
    assert page.kpis.rowCount() == 0


def test_cancelling_a_simulation_keeps_nothing(qtbot, window, dialogs):
    page = window.simulate_page
    page.replications.setValue(400)
    page.horizon.setValue(60)
    window.show_page("simulate")
    page.run_button.click()
    qtbot.waitUntil(lambda: "replication" in page.progress.label.text(), timeout=30_000)
    page.progress.cancel_button.click()
    qtbot.waitUntil(lambda: not window.busy, timeout=30_000)
    assert window.state.runs == {}
    assert not window.isWindowModified()
    assert "not been simulated" in page.run_info.text()
    assert dialogs == []


# ------------------------------------------------------------------------------------------- Compare
def test_compare_simulates_what_it_needs_then_shows_deltas_in_plain_words(qtbot, window, dialogs):
    simulate(qtbot, window, OPTION_A)
    page = window.compare_page
    window.show_page("compare")
    page.set_chosen([BASELINE, OPTION_A, OPTION_B], BASELINE)
    assert page.chosen() == [BASELINE, OPTION_A, OPTION_B]
    assert page.run_button.text() == "Simulate 2 and compare"
    assert "2 replications of 7 days" in page.settings_note.text()
    with qtbot.waitSignal(window.state.runsChanged, timeout=60_000):
        qtbot.mouseClick(page.run_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: page.comparison is not None and not window.busy, timeout=60_000)
    assert dialogs == []
    state = window.state
    assert all(state.run_status(n) == RUN_CURRENT for n in (BASELINE, OPTION_A, OPTION_B))
    assert page.run_button.text() == "Compare"
    c = page.comparison
    assert c.baseline == BASELINE and c.scenarios == [BASELINE, OPTION_A, OPTION_B]
    # The runs are the same seed and replications: paired, so the table is the planner's comparison of them.
    same = compare([state.to_project().evaluation(n) for n in c.scenarios], BASELINE)
    assert same.summary() == c.summary()

    headers = [page.table.horizontalHeaderItem(i).text() for i in range(page.table.columnCount())]
    assert headers[0] == "Figure" and headers[1].endswith("(baseline)") and len(headers) == 4
    rows = {row[0]: row for row in table_text(page.table)}
    for kpi, label, unit in c.wide().index:
        assert rows[label][1] == format_value(c.row(BASELINE, kpi)["mean"], unit)
        for col, name in ((2, OPTION_A), (3, OPTION_B)):
            row = c.row(name, kpi)
            value, change = rows[label][col].split("\n", 1)
            assert value == format_value(row["mean"], unit)
            assert change.replace("\n", " ") == describe_delta(row)    # the planner's words, over two lines
    changes = [r[col].split("\n", 1)[1].replace("\n", " ") for r in rows.values() for col in (2, 3)]
    assert NOISE in changes
    freed = c.row(OPTION_A, "officer_hours_freed")
    assert freed["clear"] and rows["Officer hours freed a year"][2].split("\n")[1].startswith("+")
    for sentence in c.summary():
        assert sentence in page.summary.text()
    assert page.pareto_chart.render_chart().axes[0].get_title() == "Officer hours freed against annual cost"
    assert {line.get_gid() for line in page.pareto_chart.render_chart().axes[0].lines} >= {BASELINE, OPTION_A, OPTION_B}
    assert page.delta_chart.render_chart().axes[0].get_title().startswith("Change against the baseline")
    assert not page.stale.isVisibleTo(page)

    state.select(OPTION_B)
    state.edit(lambda t: t["responders"]["officer"].update(travel_minutes=10), "Change travel")
    assert page.stale.isVisibleTo(page)
    assert page.run_button.text() == "Simulate 1 and compare"


def test_a_template_team_compares_with_a_baseline_that_lacks_it(qtbot, window, tmp_path):
    """A programme template brings its own responder type: the comparison has every figure for every
    scenario, so its charts and reports work."""
    state = window.state
    name = state.add_template(get_template("cahoots"))
    # Three replications: with two, a 95% interval is 12.7 standard errors wide (Student's t with one degree of
    # freedom), and whether the team's calls stand out of it depends on the draw.
    runs = run_job(state.to_project().run([BASELINE, name], replications=3, horizon_days=7))
    state.set_runs(runs, state.generation, "Simulate")
    project = state.to_project()
    c = compare([project.evaluation(BASELINE), project.evaluation(name)], BASELINE)
    assert len(c.table) == len(c.scenarios) * c.table["kpi"].nunique()
    base = c.row(BASELINE, "calls_by_responder_type.crisis_team")
    assert (base["mean"], base["ci_low"], base["ci_high"]) == (0.0, 0.0, 0.0)
    team = c.row(name, "calls_by_responder_type.crisis_team")
    assert team["delta"] == pytest.approx(team["mean"]) and team["mean"] > 0 and team["clear"]
    assert np.isnan(c.row(BASELINE, "utilisation.crisis_team")["mean"])
    window.compare_page.show_comparison(c)
    assert window.compare_page.calls_chart.render_chart().axes[0].get_title() == "Calls answered a year, by responder type"
    # The reports take it too (the planner's own comparison of these fails there).
    write_xlsx(c, tmp_path / "mixed.xlsx")
    chart = next(ch for ch in charts_for(c) if ch.name == "calls_by_type")
    assert render_png(chart, dpi=50).startswith(b"\x89PNG")


# ------------------------------------------------------------------------------------------- Report
def test_export_excel_and_pngs_then_open_the_folder(qtbot, window, dialogs, tmp_path, monkeypatch):
    """(The PDF is exported in the walkthrough.)"""
    from openpyxl import load_workbook

    opened: list[QUrl] = []
    monkeypatch.setattr(QDesktopServices, "openUrl", lambda url: opened.append(url) or True)
    page = window.report_page
    window.compare_page.set_chosen([BASELINE, OPTION_A], BASELINE)
    window.show_page("report")
    assert "will compare" in page.what.text() and "2 of them will be simulated first" in page.what.text()
    assert page.pdf_button.isEnabled()

    # No comparison yet: the export makes it first (simulating what it needs), and Compare shows it too.
    xlsx = tmp_path / "out" / "finance"
    xlsx.parent.mkdir()
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, **k: (str(xlsx), "Excel workbooks (*.xlsx)"))
    page.title.setText("Crisis response options")
    qtbot.mouseClick(page.xlsx_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: page.done.isVisible() and not window.busy, timeout=120_000)
    assert dialogs == []
    xlsx = xlsx.with_suffix(".xlsx")
    book = load_workbook(xlsx, read_only=True)
    assert {"Summary", "KPIs"} <= set(book.sheetnames)
    assert book["Summary"]["A1"].value == "Crisis response options"
    book.close()
    assert window.compare_page.comparison is not None and window.compare_page.is_current()
    assert window.state.run_status(BASELINE) == RUN_CURRENT
    assert "as on the Compare page" in page.what.text()
    assert f"{xlsx.name} in {xlsx.parent}" in page.done.text()
    page.open_button.click()
    assert opened == [QUrl.fromLocalFile(str(xlsx.parent))]

    folder = tmp_path / "charts"
    folder.mkdir()
    monkeypatch.setattr(QFileDialog, "getExistingDirectory", lambda *a, **k: str(folder))
    page.png_button.click()
    qtbot.waitUntil(lambda: not window.busy and page.done.isVisible(), timeout=60_000)
    pngs = sorted(p.name for p in folder.glob("*.png"))
    assert "pareto.png" in pngs and "response_time.png" in pngs and len(pngs) >= 6
    page.open_button.click()
    assert opened[-1] == QUrl.fromLocalFile(str(folder))
    assert dialogs == []


def test_a_cancelled_dialog_writes_nothing(qtbot, window, tmp_path, monkeypatch):
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, **k: ("", ""))
    window.compare_page.set_chosen([BASELINE, OPTION_A], BASELINE)
    window.report_page.pdf_button.click()
    assert not window.busy and not window.report_page.done.isVisible()
    window.compare_page.set_chosen([BASELINE], BASELINE)
    window.report_page.refresh()
    assert not window.report_page.pdf_button.isEnabled()
    assert "Tick at least two scenarios" in window.report_page.what.text()
