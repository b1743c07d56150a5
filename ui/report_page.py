"""Report: the comparison as a PDF to present, an Excel workbook to work in, and every chart as a PNG.

The report is of the comparison on the Compare page (made first, on the worker, when it is missing or out
of date). The planner writes the files (`planner.report`) on the worker with progress and Cancel; a file is
written atomically, so a cancelled or failed export leaves any earlier file as it was. Afterwards the page
offers to open the folder.
"""

from __future__ import annotations

from collections.abc import Callable, Generator
from html import escape
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt, QUrl
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import (
    QCheckBox,
    QFileDialog,
    QFormLayout,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from planner import report
from planner.compare import Comparison, format_value
from planner.jobs import Progress
from planner.project import SavedRun
from ui.settings import last_folder, set_last_folder
from ui.widgets import (
    INFO_STYLE,
    error_label,
    note_label,
    overload_banner,
    overload_html,
    page_header,
    scrolled,
    set_error,
)
from ui.worker import JobProgress, function_job

if TYPE_CHECKING:
    from ui.window import MainWindow

KINDS = {
    "pdf": ("PDF report", "PDF files (*.pdf)", ".pdf"),
    "xlsx": ("Excel workbook", "Excel workbooks (*.xlsx)", ".xlsx"),
    "png": ("charts", "", ""),
}


def report_job(kind: str, target: Path, comparison: Comparison | None,
               make_comparison: Callable[[], Generator[Progress, None, tuple[dict[str, SavedRun], Comparison]]],
               title: str, frontier: list[Any] | None, recommended: str | None = None, budget: float | None = None
               ) -> Generator[Progress, None, tuple[dict[str, SavedRun], Comparison, Path]]:
    """Compare first if needed, then write the file(s) (on the worker). The PDF's council page presents
    `recommended` (the frontier point last saved on the Optimise page) at its civilian `budget`."""
    runs: dict[str, SavedRun] = {}
    if comparison is None:
        runs, comparison = yield from make_comparison()
    steps = len(report.charts_for(comparison, frontier))
    if kind == "pdf":
        yield from function_job(report.write_pdf, comparison, target, title=title, frontier=frontier,
                                recommended=recommended, budget=budget, total=steps + 10)
    elif kind == "xlsx":
        yield from function_job(report.write_xlsx, comparison, target, title=title, total=8)
    else:
        yield from function_job(report.write_pngs, comparison, target, frontier=frontier, total=steps)
    return runs, comparison, target


class ReportPage(QWidget):
    def __init__(self, window: MainWindow):
        super().__init__()
        self.window = window
        self.state = window.state
        self.last_output: Path | None = None

        self.title = QLineEdit()
        self.title.setPlaceholderText(report.DEFAULT_TITLE)
        self.title.setToolTip("The title on the report's first page and the workbook's summary sheet")
        self.frontier = QCheckBox("Include the optimiser's trade-off line (cost against officer hours freed)")
        self.frontier.setToolTip("Draw the Pareto points of the last optimisation on the cost chart")
        self.what = note_label(style=INFO_STYLE)
        self.overload = overload_banner()
        form = QFormLayout()
        form.addRow("Title:", self.title)
        form.addRow("", self.frontier)
        self.frontier.toggled.connect(self.refresh)

        self.pdf_button = QPushButton("Export PDF report…")
        self.xlsx_button = QPushButton("Export Excel workbook…")
        self.png_button = QPushButton("Export charts as PNGs…")
        self.pdf_button.clicked.connect(lambda: self.export("pdf"))
        self.xlsx_button.clicked.connect(lambda: self.export("xlsx"))
        self.png_button.clicked.connect(lambda: self.export("png"))
        grid = QGridLayout()
        rows = [
            (self.pdf_button, "For a council or a chief: a first page with the recommended plan and what it buys, "
                              "then title page, executive summary, charts, the table of figures with 95% intervals, "
                              "rosters, assumptions with their sources, data quality."),
            (self.xlsx_button, "For a finance office: sheets of figures, costs, rosters, hourly tables, "
                               "assumptions and data quality; numbers are numbers, ready to work with."),
            (self.png_button, "Every chart of the comparison as a picture, for slides; into a folder you choose."),
        ]
        for i, (button, text) in enumerate(rows):
            button.setMinimumWidth(220)
            grid.addWidget(button, i, 0)
            grid.addWidget(note_label(text), i, 1)
        grid.setColumnStretch(1, 1)
        box = QGroupBox("Export")
        box_lay = QVBoxLayout(box)
        box_lay.addLayout(grid)

        self.progress = JobProgress(stacked=True)
        self.error = error_label()
        self.done = note_label(style=INFO_STYLE)
        self.done.hide()
        self.open_button = QPushButton("Open folder")
        self.open_button.setToolTip("Show the folder with the exported file")
        self.open_button.clicked.connect(self.open_folder)
        self.open_button.hide()
        done_row = QHBoxLayout()
        done_row.addWidget(self.done, 1)
        done_row.addWidget(self.open_button)

        lay = QVBoxLayout(self)
        lay.addWidget(page_header(
            "Report", "The comparison from the Compare page as a PDF to present, an Excel workbook to work in, "
                      "and its charts as pictures. Every number in them is the one the Compare page shows."))
        lay.addWidget(self.overload)
        lay.addWidget(self.what)
        lay.addLayout(form)
        lay.addWidget(box)
        lay.addWidget(self.progress)
        lay.addWidget(self.error)
        lay.addLayout(done_row)
        self.contents = note_label()
        self.contents.setTextFormat(Qt.TextFormat.RichText)
        contents_box = QGroupBox("What the PDF holds")
        cl = QVBoxLayout(contents_box)
        cl.addWidget(self.contents)
        cl.addStretch(1)
        lay.addWidget(scrolled(contents_box), 1)

        self.state.opened.connect(self._project_opened)
        self.state.runsChanged.connect(self.refresh)
        self.state.scenariosChanged.connect(self.refresh)
        window.busyChanged.connect(self.refresh)
        self._project_opened()

    def _project_opened(self) -> None:
        self.title.setText(f"{report.DEFAULT_TITLE}: {self.state.name}")
        self.done.hide()
        self.open_button.hide()
        set_error(self.error, None)
        self.refresh()

    def showEvent(self, event) -> None:  # noqa: ANN001 - Qt's signature
        super().showEvent(event)
        self.refresh()

    # ------------------------------------------------------------------------------------ showing
    def _compare(self) -> Any:
        return getattr(self.window, "compare_page", None)

    def refresh(self, *_args: Any) -> None:
        page = self._compare()
        if page is None:
            return
        names = page.chosen()
        plan = getattr(self.window, "optimise_page", None)
        has_frontier = plan is not None and plan.result is not None and bool(plan.result.pareto)
        self.frontier.setEnabled(has_frontier)
        if not has_frontier:
            self.frontier.setChecked(False)
        ready = len(names) >= 2
        if page.comparison is not None and page.is_current():
            c = page.comparison
            options = [s for s in c.scenarios if s != c.baseline]
            self.what.setText(f"The report compares <b>{', '.join(options)}</b> with the baseline "
                              f"<b>{c.baseline}</b>, as on the Compare page.")
        elif ready:
            missing = page.needs_run(names)
            more = (f" {len(missing)} of them will be simulated first (Simulate page settings)." if missing else "")
            self.what.setText(f"The report will compare <b>{', '.join(names[1:])}</b> with the baseline "
                              f"<b>{names[0]}</b> (the scenarios ticked on the Compare page).{more}")
        else:
            self.what.setText("Tick at least two scenarios on the Compare page (the baseline and an option): the "
                              "report is of that comparison.")
        self._show_overload(page, names)
        self._show_contents(page)
        can = ready and not self.window.busy and (self.state.data is not None or not page.needs_run(names))
        for b in (self.pdf_button, self.xlsx_button, self.png_button):
            b.setEnabled(can)

    def _show_overload(self, page: Any, names: list[str]) -> None:
        """The red banner for the report's overloaded scenarios: from the comparison, else from their saved runs."""
        if page.comparison is not None and page.is_current():
            c = page.comparison
            flagged = [(n, c.warnings.get(n, [])) for n in c.scenarios]
            baseline = c.baseline
        else:
            runs = self.state.runs
            flagged = [(n, runs[n].run.warnings) for n in names if n in runs and self.state.run_is_current(n)]
            baseline = names[0] if names else ""
        lines = [overload_html(n, w, role=" (the baseline: no option can be measured against it)"
                               if n == baseline else "") for n, w in flagged if w]
        self.overload.setText("<br>".join(lines) + ("<br>The report says so on its first page and in every "
                                                    "summary sentence." if lines else ""))
        self.overload.setVisible(bool(lines))

    def _show_contents(self, page: Any) -> None:
        """The report's sections; with a comparison at hand, its summary and every chart's caption."""
        c = page.comparison if page.comparison is not None and page.is_current() else None
        frontier = page.frontier() if self.frontier.isChecked() else None
        summary = "".join(f"<li>{escape(x)}</li>" for x in c.summary()) if c is not None else ""
        charts = "".join(f"<li>{escape(ch.caption)}</li>" for ch in report.charts_for(c, frontier)) if c else ""
        name, budget = self.recommended()
        plan = report.recommended_option(c, name) if c is not None else name
        council = (f" It presents <b>{escape(plan)}</b>" + (f" (civilian budget {format_value(budget, 'USD')})"
                                                             if budget and plan == name else "")
                   + (": the frontier point you saved last." if plan == name and name else
                      ": the option that frees the most officer hours (save a point on the Optimise page to "
                      "choose another).")) if plan else ""
        self.contents.setText(
            "<ol>"
            "<li><b>Council page</b>: the question, the recommended plan and its shifts, officer hours freed, "
            "cost and savings, response times (police-only and diverted calls apart), and the assumptions that "
            "move the answer most." + council + "</li>"
            "<li><b>Title page</b>: the title above, the scenarios and what each is.</li>"
            "<li><b>Executive summary</b>: one sentence per option (hours freed, net cost), response times, "
            "fallback and officer workload." + (f"<ul>{summary}</ul>" if summary else "") + "</li>"
            "<li><b>Charts</b>" + (f" ({len(report.charts_for(c, frontier))})<ul>{charts}</ul>" if c else
                                   ": cost against hours freed, changes, calls by type, response times, "
                                   "fallback by hour, time on calls by hour for each scenario.") + "</li>"
            "<li><b>Table of figures</b> with 95% intervals and the change against the baseline.</li>"
            "<li><b>Rosters</b>: the recommended plan's week (units on duty by day and hour, patrol against its "
            "need), then each scenario's shifts.</li>"
            "<li><b>Assumptions and their sources</b>: costs, policy, time on scene, simulation settings.</li>"
            "<li><b>Data quality</b>: calls imported and rejected, call types left in 'other'.</li>"
            "</ol>" + ("" if c else "<p>Compare the scenarios (Compare page) to see the summary and the charts "
                                     "listed here before exporting.</p>"))

    # ------------------------------------------------------------------------------------ exporting
    def _default_stem(self) -> str:
        keep = "".join(c if c.isalnum() or c in " -_" else " " for c in self.state.name)
        return "_".join(keep.split()).lower() or "coplan"

    def export(self, kind: str) -> None:
        """Ask where, then write the file(s) on the worker."""
        what, file_filter, suffix = KINDS[kind]
        start = Path(last_folder())
        if kind == "png":
            folder = QFileDialog.getExistingDirectory(self, "Folder for the charts", str(start))
            if not folder:
                return
            target = Path(folder)
        else:
            path, _ = QFileDialog.getSaveFileName(self, f"Save the {what}", str(start / f"{self._default_stem()}"
                                                                                f"_report{suffix}"), file_filter)
            if not path:
                return
            target = Path(path) if Path(path).suffix.lower() == suffix else Path(path + suffix)
        self.export_to(kind, target)

    def export_to(self, kind: str, target: Path) -> None:
        page = self._compare()
        if len(page.chosen()) < 2:
            set_error(self.error, "Tick at least two scenarios on the Compare page: the report is of that comparison.")
            return
        set_error(self.error, None)
        comparison = page.comparison if page.comparison is not None and page.is_current() else None
        missing = page.needs_run(page.chosen()) if comparison is None else []
        frontier = page.frontier() if self.frontier.isChecked() else None
        title = self.title.text().strip() or report.DEFAULT_TITLE
        generation = self.state.generation
        recommended, budget = self.recommended()
        job = report_job(kind, target, comparison, lambda: page.comparison_job()[0], title, frontier,
                         recommended, budget)
        self.done.hide()
        self.open_button.hide()
        self.window.run_job(job, f"Writing the {KINDS[kind][0]}",
                            lambda out: self._written(kind, out, generation, missing), panel=self.progress)

    def _written(self, kind: str, out: tuple[dict[str, SavedRun], Comparison, Path], generation: int,
                 missing: list[str]) -> None:
        runs, comparison, target = out
        page = self._compare()
        if generation == self.state.generation and (runs or page.comparison is not comparison):
            page.take((runs, comparison), generation, missing)
        folder = target if kind == "png" else target.parent
        set_last_folder(folder)
        self.last_output = folder
        what = f"the charts into {target}" if kind == "png" else f"{target.name} in {folder}"
        self.done.setText(f"Wrote {what}.")
        self.done.show()
        self.open_button.show()
        self.refresh()

    def recommended(self) -> tuple[str | None, float | None]:
        """The plan the council page presents: the frontier point last saved on the Optimise page, with its
        budget (None: the report picks the option that frees the most officer hours)."""
        optimise = getattr(self.window, "optimise_page", None)
        name = getattr(optimise, "saved_name", None)
        if name is None or name not in self.state.scenario_names:
            return None, None
        return name, getattr(optimise, "saved_budget", None)

    def open_folder(self) -> None:
        if self.last_output is not None:
            QDesktopServices.openUrl(QUrl.fromLocalFile(str(self.last_output)))
