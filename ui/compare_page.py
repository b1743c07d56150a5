"""Compare: scenarios side by side against a baseline, with the change each makes and whether it is real.

Scenarios without an up-to-date run are simulated first (with the Simulate page's settings, so the runs
pair up), on the worker, with progress and Cancel; then the planner's comparison (`planner.compare`)
gives the KPI table with deltas and 95% intervals and the executive summary. A change whose interval
includes zero is shown as "no clear difference (inside the noise)".
"""

from __future__ import annotations

import math
from collections.abc import Generator
from html import escape
from typing import TYPE_CHECKING, Any

import pandas as pd
from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QComboBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QSplitter,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from planner import result_charts as rc
from planner.compare import Comparison, compare, describe_delta, format_value
from planner.jobs import Progress
from planner.project import Project, SavedRun
from planner.report import diverted_note
from planner.result_charts import wrap
from ui.project import RUN_CURRENT, RUN_WORDS
from ui.widgets import (
    BAD_COLOUR,
    GOOD_COLOUR,
    INFO_STYLE,
    NOISE_COLOUR,
    WARN_STYLE,
    ChartCanvas,
    add_row,
    cell,
    note_label,
    overload_banner,
    overload_html,
    page_header,
    read_only_table,
    section_label,
)
from ui.worker import JobProgress

if TYPE_CHECKING:
    from ui.window import MainWindow

NAME_ROLE = Qt.ItemDataRole.UserRole
OVERLOADED_COLOUR = "#333333"


def compare_job(project: Project, names: list[str], baseline: str, missing: list[str],
                settings: dict[str, Any]) -> Generator[Progress, None, tuple[dict[str, SavedRun], Comparison]]:
    """Simulate the scenarios that need it, then compare them all with the baseline (on the worker)."""
    runs: dict[str, SavedRun] = {}
    if missing:
        runs = yield from project.run(missing, **settings)
    yield Progress(0, 0, "comparing")
    evaluations = [project.evaluation(n) for n in names]
    return runs, compare(evaluations, baseline)


def change_colour(row: pd.Series) -> str | None:
    """Green for a clear change the right way, red for the wrong way, grey inside the noise."""
    if row["scenario"] == "" or (isinstance(row["delta"], float) and math.isnan(row["delta"])):
        return None
    if not row["clear"]:
        return NOISE_COLOUR
    if row["better"] == "lower":
        return GOOD_COLOUR if row["delta"] < 0 else BAD_COLOUR
    if row["better"] == "higher":
        return GOOD_COLOUR if row["delta"] > 0 else BAD_COLOUR
    return None


class ComparePage(QWidget):
    def __init__(self, window: MainWindow):
        super().__init__()
        self.window = window
        self.state = window.state
        self.comparison: Comparison | None = None
        self._compared: dict[str, SavedRun] = {}     # the runs the comparison was made of
        self._checked: dict[str, bool] = {}

        self.scenarios = QListWidget()
        self.scenarios.setWordWrap(True)
        self.scenarios.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.scenarios.setToolTip("Tick the scenarios to compare; each says whether it has an up-to-date run")
        self.scenarios.itemChanged.connect(self._ticked)
        self.baseline = QComboBox()
        self.baseline.setToolTip("The scenario the others are measured against (usually today's staffing)")
        self.baseline.currentIndexChanged.connect(lambda _i: self._update_button())
        self.run_button = QPushButton("Compare")
        self.run_button.setDefault(True)
        self.run_button.clicked.connect(self.run)
        self.settings_note = note_label()
        self.progress = JobProgress(stacked=True)
        box = QGroupBox("Scenarios to compare")
        lay = QVBoxLayout(box)
        lay.addWidget(self.scenarios, 1)
        form = QFormLayout()
        form.addRow("Baseline:", self.baseline)
        lay.addLayout(form)
        lay.addWidget(self.settings_note)
        row = QHBoxLayout()
        row.addStretch(1)
        row.addWidget(self.run_button)
        lay.addLayout(row)
        left = QWidget()
        lay = QVBoxLayout(left)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.addWidget(box, 1)
        lay.addWidget(self.progress)

        self.overload = overload_banner()
        self.summary_title = section_label("Executive summary")
        self.summary = note_label(style=INFO_STYLE)
        self.summary.setTextFormat(Qt.TextFormat.RichText)
        self.stale = note_label(style=WARN_STYLE)
        self.stale.hide()
        self.response_title = section_label("Response times: police-only and diverted calls apart")
        self.response = note_label()
        self.response.setTextFormat(Qt.TextFormat.RichText)
        self.response.setToolTip("90th-percentile response time (queue wait + travel): 9 in 10 calls have a unit "
                                 "on scene within it. Police-only calls are those no civilian unit may take; "
                                 "diverted calls are those triaged eligible for a civilian unit.")
        self.table = read_only_table(["Figure"])
        self.table.setWordWrap(True)
        self.table_note = note_label(
            "Each option shows its value, then its change against the baseline with the 95% interval of the "
            "change. Green: better; red: worse; grey italics: no clear difference (inside the noise). Hover over a "
            "figure for its interval.")
        table_tab = QWidget()
        tl = QVBoxLayout(table_tab)
        tl.setContentsMargins(4, 4, 4, 4)
        tl.addWidget(self.table_note)
        tl.addWidget(self.table, 1)
        self.pareto_chart = ChartCanvas()
        self.calls_chart = ChartCanvas()
        self.response_chart = ChartCanvas()
        self.delta_chart = ChartCanvas()
        self.tabs = QTabWidget()
        self.tabs.addTab(table_tab, "Figures with changes")
        self.tabs.addTab(self.delta_chart, "Changes against the baseline")
        self.tabs.addTab(self.pareto_chart, "Cost against hours freed")
        self.tabs.addTab(self.calls_chart, "Calls by type")
        self.tabs.addTab(self.response_chart, "Response times")
        right = QWidget()
        lay = QVBoxLayout(right)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.addWidget(self.overload)
        lay.addWidget(self.summary_title)
        lay.addWidget(self.summary)
        lay.addWidget(self.stale)
        lay.addWidget(self.response_title)
        lay.addWidget(self.response)
        lay.addWidget(self.tabs, 1)

        split = QSplitter(Qt.Orientation.Horizontal)
        split.addWidget(left)
        split.addWidget(right)
        split.setStretchFactor(0, 1)
        split.setStretchFactor(1, 4)
        split.setSizes([260, 920])

        lay = QVBoxLayout(self)
        lay.addWidget(page_header(
            "Compare", "Scenarios side by side against the baseline: what each option frees in officer hours, what "
                       "it costs and saves, and what it does to response times. A change whose 95% interval "
                       "includes no change is reported as inside the noise."))
        lay.addWidget(split, 1)

        self.state.opened.connect(self._project_opened)
        self.state.scenariosChanged.connect(self.refresh_list)
        self.state.runsChanged.connect(self.refresh_list)
        self.state.dataChanged.connect(self._update_button)
        window.busyChanged.connect(self._update_button)
        sim = window.simulate_page
        for spin in (sim.replications, sim.horizon, sim.seed):
            spin.valueChanged.connect(self._update_button)
        self._project_opened()

    # ------------------------------------------------------------------------------------ choosing
    def _project_opened(self) -> None:
        self._checked = {}
        self.show_comparison(None)
        self.refresh_list()

    def refresh_list(self) -> None:
        names = self.state.scenario_names
        self.scenarios.blockSignals(True)
        self.scenarios.clear()
        for name in names:
            status = self.state.run_status(name)
            item = QListWidgetItem(f"{name}\n    {RUN_WORDS[status]}")
            item.setData(NAME_ROLE, name)
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            item.setCheckState(Qt.CheckState.Checked if self._checked.get(name, True) else Qt.CheckState.Unchecked)
            item.setToolTip(f"{name}: {RUN_WORDS[status]}")
            if status != RUN_CURRENT:
                item.setForeground(Qt.GlobalColor.darkGray)
            self.scenarios.addItem(item)
        self.scenarios.blockSignals(False)
        current = self.baseline.currentData()
        self.baseline.blockSignals(True)
        self.baseline.clear()
        for name in names:
            self.baseline.addItem(name, name)
        i = self.baseline.findData(current)
        self.baseline.setCurrentIndex(i if i >= 0 else self.baseline.findData(self.state.baseline_name))
        self.baseline.blockSignals(False)
        self._update_button()
        self._update_stale()

    def _ticked(self, item: QListWidgetItem) -> None:
        self._checked[item.data(NAME_ROLE)] = item.checkState() == Qt.CheckState.Checked
        self._update_button()

    def chosen(self) -> list[str]:
        """The ticked scenarios, baseline first."""
        names = [self.scenarios.item(i).data(NAME_ROLE) for i in range(self.scenarios.count())
                 if self.scenarios.item(i).checkState() == Qt.CheckState.Checked]
        base = self.baseline.currentData()
        if base in names:
            names.remove(base)
        return [base, *names] if base else names

    def set_chosen(self, names: list[str], baseline: str | None = None) -> None:
        """Tick exactly these scenarios (and choose the baseline), as a user would."""
        for i in range(self.scenarios.count()):
            item = self.scenarios.item(i)
            item.setCheckState(Qt.CheckState.Checked if item.data(NAME_ROLE) in names else Qt.CheckState.Unchecked)
        if baseline is not None:
            self.baseline.setCurrentIndex(self.baseline.findData(baseline))
        self._update_button()

    def needs_run(self, names: list[str]) -> list[str]:
        return [n for n in names if self.state.run_status(n) != RUN_CURRENT]

    def _update_button(self, *_args: Any) -> None:
        names = self.chosen()
        missing = self.needs_run(names)
        self.run_button.setText(f"Simulate {len(missing)} and compare" if missing else "Compare")
        enough = len(names) >= 2
        self.run_button.setEnabled(enough and not self.window.busy and (not missing or self.state.data is not None))
        if not enough:
            self.run_button.setToolTip("Tick at least two scenarios: the baseline and an option")
        elif missing and self.state.data is None:
            self.run_button.setToolTip("Import calls first (Data page): scenarios without a run are simulated")
        else:
            self.run_button.setToolTip("")
        self.settings_note.setText(
            f"Scenarios without an up-to-date run are simulated first with the Simulate page's settings "
            f"({self.window.simulate_page.settings_words()}): the same seed and replications for all, so they "
            f"are compared pair by pair.")

    # ------------------------------------------------------------------------------------ running
    def comparison_job(self) -> tuple[Generator[Progress, None, tuple[dict[str, SavedRun], Comparison]], list[str]]:
        names = self.chosen()
        missing = self.needs_run(names)
        job = compare_job(self.state.to_project(), names, names[0], missing, self.window.simulate_page.run_settings())
        return job, missing

    def run(self) -> None:
        names = self.chosen()
        if len(names) < 2:
            return
        job, missing = self.comparison_job()
        generation = self.state.generation
        title = f"Simulating {len(missing)} scenario{'s' if len(missing) != 1 else ''} and comparing" if missing \
            else "Comparing"
        self.window.run_job(job, title, lambda out: self.take(out, generation, missing), panel=self.progress)

    def take(self, out: tuple[dict[str, SavedRun], Comparison], generation: int, missing: list[str]) -> None:
        """Keep the runs a comparison job made (undoable) and show the comparison."""
        if generation != self.state.generation:
            return
        runs, comparison = out
        if runs:
            self.state.set_runs(runs, generation, "Simulate " + ", ".join(missing))
        self.show_comparison(comparison)

    # ------------------------------------------------------------------------------------ showing
    def is_current(self) -> bool:
        """Whether the comparison shown is made of the runs the project holds now."""
        if self.comparison is None:
            return False
        runs = self.state.runs
        return all(runs.get(n) is r and self.state.run_is_current(n) for n, r in self._compared.items())

    def _update_stale(self) -> None:
        stale = self.comparison is not None and not self.is_current()
        self.stale.setText("The scenarios or their runs changed since this comparison: press Compare to bring it "
                           "up to date.")
        self.stale.setVisible(stale)

    def frontier(self) -> list[Any] | None:
        plan = getattr(self.window, "optimise_page", None)
        plan = plan.result if plan is not None else None
        return list(plan.pareto) if plan is not None and plan.pareto else None

    def show_comparison(self, comparison: Comparison | None) -> None:
        self.comparison = comparison
        runs = self.state.runs
        self._compared = {n: runs[n] for n in comparison.scenarios if n in runs} if comparison else {}
        charts = (self.pareto_chart, self.calls_chart, self.response_chart, self.delta_chart)
        self.overload.setText(overload_banner_text(comparison) if comparison is not None else "")
        self.overload.setVisible(bool(self.overload.text()))
        if comparison is None:
            self.summary.setText("Tick the scenarios to compare, choose the baseline and press Compare. The "
                                 "summary, the table of figures with their changes and the charts appear here.")
            self.table.setRowCount(0)
            self.table.setColumnCount(1)
            self.response_title.hide()
            self.response.hide()
            for c in charts:
                c.clear_chart()
            self._update_stale()
            return
        sentences = comparison.summary()
        self.summary.setText("<br>".join(f"• {escape(s, quote=False)}" for s in sentences) or
                             "Only the baseline is in this comparison.")
        self._fill_table(comparison)
        lines = response_lines(comparison)
        self.response.setText("<br>".join(lines))
        self.response_title.setVisible(bool(lines))
        self.response.setVisible(bool(lines))
        ordered = sorted(comparison.evaluations, key=lambda e: e.name != comparison.baseline)
        self.pareto_chart.show_chart(lambda c, ax: rc.pareto_chart(None, c, ax), comparison)
        self.calls_chart.show_chart(rc.calls_by_type_chart, comparison)
        self.response_chart.show_chart(rc.response_time_distribution, ordered)
        self.delta_chart.show_chart(rc.kpi_delta_chart, comparison)
        self._update_stale()

    def _fill_table(self, c: Comparison) -> None:
        t = self.table
        t.setRowCount(0)
        headers, tips = ["Figure"], [""]
        for s in c.scenarios:
            role = "\n(baseline)" if s == c.baseline else ""
            headers.append(wrap(s, 20) + role)
            tips.append(f"{s}: the mean of its replications" + ("" if role else
                        "; below it, the change against the baseline with its 95% interval"))
        t.setColumnCount(len(headers))
        t.setHorizontalHeaderLabels(headers)
        for i, tip in enumerate(tips):
            t.horizontalHeaderItem(i).setToolTip(tip)
        rows = {(r["scenario"], r["kpi"]): r for _, r in c.table.iterrows()}
        better_words = {"lower": " (lower is better)", "higher": " (higher is better)"}
        for kpi, label, unit in c.wide().index:
            better = next((str(rows[s, kpi]["better"]) for s in c.scenarios if (s, kpi) in rows), "")
            items = [cell(str(label), tip=f"{label}{better_words.get(better, '')}")]
            for s in c.scenarios:
                row = rows.get((s, kpi))
                if row is None:   # a responder type this scenario does not have
                    items.append(cell("-", right=True, tip=f"{s} has no such figure"))
                    continue
                lo, hi = format_value(row["ci_low"], unit), format_value(row["ci_high"], unit)
                tip = f"95% interval: {lo} to {hi}"
                if s == c.baseline:
                    items.append(cell(format_value(row["mean"], unit), right=True, tip=tip))
                    continue
                # An overloaded scenario's changes are no improvement, whichever way they go: no green or red.
                colour = OVERLOADED_COLOUR if c.overloaded(s) else change_colour(row)
                paired = ("paired with the baseline replication by replication" if row["paired"]
                          else "not paired with the baseline (different seed or replications): Welch interval")
                items.append(cell(value_and_change(row, unit), right=True, colour=colour,
                                  italic=colour == NOISE_COLOUR, tip=f"{tip}. Change: {paired}."))
            add_row(t, items)
        header = t.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Interactive)
        t.resizeColumnsToContents()
        t.setColumnWidth(0, 230)     # long labels wrap: the rows are three lines high anyway
        t.resizeRowsToContents()


RESPONSE_FIGURES = [("response_minutes_p90_police_only_by_priority.1", "police-only priority 1"),
                    ("response_minutes_p90_police_only", "all police-only"),
                    ("response_minutes_p90_diverted", "diverted (a civilian unit may take them)")]


def response_lines(c: Comparison) -> list[str]:
    """Per scenario, P90 response of police-only calls (priority 1 first) and of diverted calls, as the table
    shows them, and why diverted calls take longer where they do."""
    kpis = set(c.table["kpi"])
    lines = []
    explained = False
    for s in c.scenarios:
        parts = []
        for kpi, words in RESPONSE_FIGURES:
            if kpi not in kpis:
                continue
            try:
                row = c.row(s, kpi)
            except IndexError:         # a figure this scenario does not have
                continue
            if pd.isna(row["mean"]):
                continue
            change = "" if s == c.baseline else f" ({describe_delta(row)})"
            parts.append(f"{words} <b>{format_value(row['mean'], 'minutes')}</b>{escape(change, quote=False)}")
        if parts:
            role = " (baseline)" if s == c.baseline else ""
            lines.append(f"<b>{escape(s, quote=False)}</b>{role}, P90: " + "; ".join(parts))
            note = diverted_note(c, s)
            if note and not explained:      # the reason is the same for every option: said once
                lines.append(f"<i>{escape(note, quote=False)}</i>")
                explained = True
    return lines


def overload_banner_text(c: Comparison) -> str:
    """The red banner's words for every overloaded scenario of a comparison ('' when all are sound)."""
    lines = []
    for e in c.evaluations:
        if e.warnings:
            role = " (the baseline: no option can be measured against it)" if e.name == c.baseline else ""
            lines.append(overload_html(e.name, e.warnings, role=role))
    return "<br>".join(lines)


def value_and_change(row: pd.Series, unit: str) -> str:
    """An option's cell: its value, then the change against the baseline (`describe_delta`) over two lines."""
    return f"{format_value(row['mean'], unit)}\n" + describe_delta(row).replace(" (", "\n(", 1)
