"""One walkthrough of what a user does, through the window: import the sample export, fix a call type left
in 'other', add a programme template, optimise, simulate, compare with the baseline, export the PDF and the
workbook, save the project, reopen it, and find everything as it was."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

pytest.importorskip("pytestqt")

from PySide6.QtCore import QPoint, QSettings, Qt  # noqa: E402
from PySide6.QtWidgets import QFileDialog, QMessageBox  # noqa: E402

from planner.compare import describe_delta  # noqa: E402
from ui import settings  # noqa: E402
from ui.errors import ErrorDialog  # noqa: E402
from ui.project import RUN_CURRENT, rule_for_call_type  # noqa: E402
from ui.widgets import table_text  # noqa: E402
from ui.window import MainWindow  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "sample_scenarios" / "midsize_city"
BASELINE = "Baseline: officers only"
STAR = "Clinician and paramedic team (STAR model)"
PLAN = f"{BASELINE} (optimised)"
OPTION_A, OPTION_B = "Option A: social workers", "Option B: co-responder units"


@pytest.fixture(autouse=True)
def isolated_settings(tmp_path, monkeypatch):
    monkeypatch.setenv(settings.SETTINGS_ENV, str(tmp_path / "settings.ini"))
    QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, str(tmp_path / "qsettings"))


@pytest.fixture
def dialogs(monkeypatch):
    shown: list[ErrorDialog] = []
    monkeypatch.setattr(ErrorDialog, "exec", lambda self: shown.append(self) or QMessageBox.StandardButton.Ok)
    return shown


def answer_file_dialogs(monkeypatch, path: Path) -> None:
    """The next Open or Save dialog answers `path`, as if the user picked it."""
    monkeypatch.setattr(QFileDialog, "getOpenFileName", lambda *a, **k: (str(path), ""))
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, **k: (str(path), ""))


def click(qtbot, button) -> None:
    assert button.isEnabled(), button.text()
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)


def test_a_user_plans_from_import_to_report_and_finds_it_all_again(qtbot, dialogs, tmp_path, monkeypatch):
    import pypdfium2

    started = time.perf_counter()
    monkeypatch.setattr(MainWindow, "ask_save_changes", lambda self: QMessageBox.StandardButton.Discard)
    window = MainWindow(restore_geometry=False)
    qtbot.addWidget(window)
    window.resize(1400, 900)
    window.show()
    window.open_sample(load_data=False)        # the sample project, before its calls are in
    state = window.state

    # 1. Data: import the sample export through the wizard, with its mapping file.
    window.show_page("data")
    wizard = window.data_page.wizard
    answer_file_dialogs(monkeypatch, SAMPLE / "calls.csv.gz")
    with qtbot.waitSignal(wizard.previewReady, timeout=30_000):
        wizard.choose_calls_file()
    answer_file_dialogs(monkeypatch, SAMPLE / "mapping.toml")
    wizard.choose_mapping_file()
    assert wizard.combos["call_type"].currentText() == "Call Type"
    assert wizard.time_zone() == "America/Chicago"
    with qtbot.waitSignal(state.dataChanged, timeout=60_000):
        click(qtbot, wizard.import_button)
    qtbot.waitUntil(lambda: not window.busy, timeout=10_000)
    calls = state.data.result.calls_imported
    assert calls > 50_000

    # 2. Data quality: ANIMAL COMPLAINT is left in 'other'; put it with welfare checks.
    quality = window.data_page.quality
    assert window.data_page.tabs.currentWidget() is quality
    row = next(r for r in range(quality.other_table.rowCount())
               if quality.other_table.item(r, 0).text() == "ANIMAL COMPLAINT")
    animals = int(quality.other_table.item(row, 1).text().replace(",", ""))
    combo = quality.other_table.cellWidget(row, 2)
    index = combo.findData("welfare_check")
    combo.setCurrentIndex(index)
    combo.activated.emit(index)
    qtbot.waitUntil(lambda: state.data is not None and len(state.data.rules) == 2, timeout=5000)
    rule = rule_for_call_type("ANIMAL COMPLAINT", "welfare_check")
    assert rule in state.data.rules
    assert "ANIMAL COMPLAINT" not in table_text(quality.other_table)[0][0]

    # 3. Staffing: a programme template, one click away, sized to this city.
    window.show_page("staffing")
    star = next(a for a in window.staffing_page.templates_menu.actions() if a.text() == STAR)
    star.trigger()
    assert state.current_name == STAR and "Denver" in window.staffing_page.source_label.text()

    # 4. "We have $500k a year: what does it buy?" Optimise the baseline for the most officer hours freed, with
    # a frontier of five budgets up to $1M, each plan checked by a short simulation (short time limit).
    window.scenario_bar.combo.setCurrentIndex(0)
    assert state.current_name == BASELINE
    window.show_page("optimise")
    optimise = window.optimise_page
    optimise.objective.setCurrentIndex(optimise.objective.findData("max-hours-freed"))
    optimise.budget.setValue(1_000_000)
    optimise.time_limit.setValue(6)
    optimise.pareto.setValue(5)
    assert optimise.simulate_check.isChecked()
    click(qtbot, optimise.run_button)
    qtbot.waitUntil(lambda: optimise.result is not None and not window.busy, timeout=120_000)
    plan = optimise.result
    assert plan.status in ("optimal", "feasible")
    assert optimise.status.isVisible() and optimise.explanation.text() == plan.result.explanation
    assert len(plan.pareto) >= 5 and optimise.points_table.rowCount() == len(plan.pareto)
    # Every point with a plan was simulated: its hours freed with a 95% interval, in the table and on the chart.
    assert len(optimise.points) >= 5 and all(p.budget in plan.pareto_simulated for p in optimise.points)
    simulated = table_text(optimise.points_table)
    assert all(row[4] != "-" for row in simulated if row[2] != "-")
    # The frontier leads the page: click the point nearest $500k to see its plan.
    assert optimise.tabs.currentIndex() == 0
    canvas = optimise.pareto_chart
    qtbot.waitUntil(canvas.isVisible)
    canvas.draw()
    ax = canvas.figure.axes[0]
    assert any(line.get_gid() == "simulated" for line in ax.lines)
    point = min(optimise.points, key=lambda p: abs(p.budget - 500_000))
    x, y = ax.transData.transform((point.annual_cost, point.officer_hours_freed))
    ratio = canvas.device_pixel_ratio or 1
    qtbot.mouseClick(canvas, Qt.MouseButton.LeftButton, pos=QPoint(int(x / ratio), int(canvas.height() - y / ratio)))
    assert optimise.selected is point
    assert f"${point.budget:,.0f}" in optimise.point_label.text() and "officer hours freed" in optimise.point_label.text()
    assert any(line.get_gid() == "selected" for line in canvas.figure.axes[0].lines)
    # The roster as a person reads it: a week chart per type on duty, the shifts grouped into watches.
    assert set(optimise.week_charts) >= {"officer"}
    assert any("watch" in row[1] for row in table_text(optimise.roster))
    # One click keeps it as a scenario and opens Compare against the baseline.
    click(qtbot, optimise.save_point_button)
    budget_scenario = state.current_name
    assert budget_scenario == f"{BASELINE}: civilian budget ${point.budget:,.0f}"
    assert window.current_page() == "compare"
    assert window.compare_page.chosen() == [BASELINE, budget_scenario]
    window.show_page("optimise")
    click(qtbot, optimise.use_plan_button)
    assert state.current_name == PLAN

    # 5. Simulate the template's scenario (small run).
    window.scenario_bar.combo.setCurrentIndex(window.scenario_bar.combo.findData(STAR))
    window.show_page("simulate")
    simulate = window.simulate_page
    simulate.replications.setValue(2)
    simulate.horizon.setValue(7)
    with qtbot.waitSignal(state.runsChanged, timeout=60_000):
        click(qtbot, simulate.run_button)
    qtbot.waitUntil(lambda: not window.busy, timeout=10_000)
    assert state.run_status(STAR) == RUN_CURRENT
    assert simulate.kpis.rowCount() > 20

    # 6. Compare the saved budget's plan, the sample's options and the template with the baseline; what has no
    # run is simulated first.
    window.show_page("compare")
    compare = window.compare_page
    chosen = [BASELINE, OPTION_A, OPTION_B, STAR, budget_scenario]
    compare.set_chosen(chosen, BASELINE)
    assert compare.run_button.text() == "Simulate 4 and compare"
    click(qtbot, compare.run_button)
    qtbot.waitUntil(lambda: compare.comparison is not None and not window.busy, timeout=90_000)
    c = compare.comparison
    assert c.scenarios == chosen
    rows = {r[0]: r for r in table_text(compare.table)}
    freed = rows["Officer hours freed a year"][4].split("\n", 1)[1].replace("\n", " ")
    assert freed == describe_delta(c.row(STAR, "officer_hours_freed"))
    assert len(c.summary()) == 4 and c.summary()[0] in compare.summary.text()
    # Response times as a council asks: police-only calls (priority 1 first) and diverted calls apart.
    assert compare.response.isVisible() and "police-only priority 1" in compare.response.text()
    assert "diverted" in compare.response.text()
    # The saved plan's figures as the Compare page shows them (the first line of its cells).
    column = 1 + chosen.index(budget_scenario)
    shown = {label: rows[label][column].split("\n", 1)[0] for label in (
        "Officer hours freed a year", "Total annual cost", "Police-only priority 1: response, P90",
        "Civilian-route calls: response, P90")}

    # 7. Report: the PDF and the workbook, where the user says.
    window.show_page("report")
    report = window.report_page
    pdf, xlsx = tmp_path / "exports" / "options.pdf", tmp_path / "exports" / "options.xlsx"
    pdf.parent.mkdir()
    answer_file_dialogs(monkeypatch, pdf)
    click(qtbot, report.pdf_button)
    qtbot.waitUntil(lambda: not window.busy and report.done.isVisible(), timeout=60_000)
    answer_file_dialogs(monkeypatch, xlsx)
    click(qtbot, report.xlsx_button)
    qtbot.waitUntil(lambda: not window.busy and xlsx.exists(), timeout=60_000)
    document = pypdfium2.PdfDocument(str(pdf))
    assert len(document) >= 5
    first = " ".join(document[0].get_textpage().get_text_range().split())
    document.close()
    # The council page opens the PDF: the question at the budget chosen, the plan saved, and its hours freed,
    # cost and response times exactly as the Compare page shows them.
    assert f"What ${point.budget:,.0f} a year buys" in first and budget_scenario in first
    for label, value in shown.items():
        assert value in first, (label, value)
    assert xlsx.stat().st_size > 5000

    # 8. Save the project; what was there is what the file must give back.
    names = state.scenario_names
    tomls = {n: state.scenario_toml(n) for n in names}
    runs = {n: (r.run.replications, r.run.seed, r.run.kpi("officer_hours_on_calls")) for n, r in state.runs.items()}
    assert set(runs) == {BASELINE, OPTION_A, OPTION_B, STAR, budget_scenario}
    assert names == [BASELINE, OPTION_A, OPTION_B, STAR, budget_scenario, PLAN]
    target = tmp_path / "city.coplan"
    answer_file_dialogs(monkeypatch, target)
    window.save_action.trigger()
    assert target.exists() and not window.isWindowModified()

    # 9. Reopen it (after starting afresh) and find everything as it was.
    window.new_project()
    assert state.scenario_names == ["Baseline"] and state.data is None
    with qtbot.waitSignal(state.opened, timeout=30_000):
        window.open_action.trigger()
    qtbot.waitUntil(lambda: not window.busy, timeout=10_000)
    assert state.path == target and not window.isWindowModified()
    assert state.scenario_names == names
    assert {n: state.scenario_toml(n) for n in names} == tomls
    assert "Denver" in state.scenario_named(STAR).source
    assert rule in state.data.rules and state.data.result.calls_imported == calls
    moved = state.data.result.calls
    assert (moved.loc[moved["call_type"] == "ANIMAL COMPLAINT", "category"] == "welfare_check").sum() == animals
    assert {n: (r.run.replications, r.run.seed, r.run.kpi("officer_hours_on_calls"))
            for n, r in state.runs.items()} == runs
    assert all(state.run_status(n) == RUN_CURRENT for n in runs)
    compare.set_chosen(chosen, BASELINE)
    assert compare.run_button.text() == "Compare"      # nothing to simulate again
    assert dialogs == []
    took = time.perf_counter() - started
    print(f"walkthrough: {took:.1f} s")
    assert took < 90
