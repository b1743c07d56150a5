"""The main window: the planning workflow from left to right, the scenario bar, the File and Edit menus,
and long jobs (with progress and Cancel) on the worker."""

from __future__ import annotations

from collections.abc import Callable, Generator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtGui import QAction, QCloseEvent, QGuiApplication, QKeySequence
from PySide6.QtWidgets import (
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QMainWindow,
    QMessageBox,
    QStackedWidget,
    QWidget,
)

from planner.errors import PlannerError
from ui import settings
from ui.compare_page import ComparePage
from ui.data_page import DataPage
from ui.demand_page import DemandPage
from ui.errors import show_error
from ui.optimise_page import OptimisePage
from ui.project import (
    PROJECT_SUFFIX,
    CallData,
    ProjectState,
    first_baseline_job,
    open_project_job,
    scenario_data_job,
)
from ui.report_page import ReportPage
from ui.scenario_bar import ScenarioBar
from ui.simulate_page import SimulatePage
from ui.staffing_page import StaffingPage
from ui.worker import JobProgress, Worker

if TYPE_CHECKING:
    from planner.project import Project

APP_TITLE = "coplan"
DEFAULT_SIZE = QSize(1400, 900)
OPEN_FILTER = "coplan projects and scenario files (*.coplan *.toml);;coplan projects (*.coplan);;" \
              "Scenario files (*.toml);;All files (*)"
PROJECT_FILTER = "coplan projects (*.coplan)"

# The bundled sample the app opens with when no file is named: a mid-size city and two options.
SAMPLE_FOLDER = Path(__file__).resolve().parent.parent / "sample_scenarios" / "midsize_city"
SAMPLE_FILES = ("baseline.toml", "social_workers.toml", "co_responders.toml")
SAMPLE_TITLE = "Mid-size city (sample)"

# The workflow, left to right: key, title, what the page is for.
PAGES = [
    ("data", "Data", "Import a CAD export of calls for service and check what it holds"),
    ("demand", "Demand", "When calls arrive, of what kind, and how long they keep units busy"),
    ("staffing", "Staffing & policy", "Responder types, costs, units on duty and which calls each may take"),
    ("optimise", "Optimise", "The cheapest staffing that meets the targets, or the most officer hours for a budget"),
    ("simulate", "Simulate", "Run the scenario's shifts against the calls: response times, workload, fallback"),
    ("compare", "Compare", "Scenarios side by side against the baseline, with what is inside the noise"),
    ("report", "Report", "A PDF for the council, an Excel workbook for finance, the charts as pictures"),
]


class MainWindow(QMainWindow):
    busyChanged = Signal(bool)

    def __init__(self, *, restore_geometry: bool = True):
        super().__init__()
        self.state = ProjectState(self)
        self.worker: Worker | None = None

        self.sidebar = QListWidget()
        self.sidebar.setFixedWidth(190)
        self.sidebar.setSpacing(2)
        self.sidebar.setStyleSheet("QListWidget { font-size: 11pt; padding-top: 6px; }"
                                   "QListWidget::item { padding: 7px 6px; }")
        self.stack = QStackedWidget()
        self.data_page = DataPage(self)
        self.demand_page = DemandPage(self)
        self.staffing_page = StaffingPage(self)
        self.optimise_page = OptimisePage(self)
        self.simulate_page = SimulatePage(self)
        self.compare_page = ComparePage(self)
        self.report_page = ReportPage(self)
        self.pages: dict[str, QWidget] = {
            "data": self.data_page, "demand": self.demand_page, "staffing": self.staffing_page,
            "optimise": self.optimise_page, "simulate": self.simulate_page, "compare": self.compare_page,
            "report": self.report_page}
        for i, (key, title, tip) in enumerate(PAGES, start=1):
            item = QListWidgetItem(f"{i}  {title}")
            item.setData(Qt.ItemDataRole.UserRole, key)
            item.setToolTip(tip)
            self.stack.addWidget(self.pages[key])
            self.sidebar.addItem(item)
        self.sidebar.currentRowChanged.connect(self._page_chosen)

        self.scenario_bar = ScenarioBar(self)
        self.addToolBar(Qt.ToolBarArea.TopToolBarArea, self.scenario_bar)

        central = QWidget()
        lay = QHBoxLayout(central)
        lay.setContentsMargins(6, 6, 6, 0)
        lay.addWidget(self.sidebar)
        lay.addWidget(self.stack, 1)
        self.setCentralWidget(central)

        self.job_progress = JobProgress()
        self.statusBar().addPermanentWidget(self.job_progress)
        self.data_label = QLabel()
        self.statusBar().addWidget(self.data_label)

        self._build_menus()
        self.state.pathChanged.connect(self._update_title)
        self.state.modifiedChanged.connect(self._update_title)
        self.state.dataChanged.connect(self._update_data_label)
        self.state.firstBaselineWanted.connect(self.propose_first_baseline)
        self._update_title()
        self._update_data_label()
        self.resize(DEFAULT_SIZE)
        self.show_page("data")
        if restore_geometry:
            self._restore_geometry()

    # ------------------------------------------------------------------------------------ menus
    def _build_menus(self) -> None:
        file_menu = self.menuBar().addMenu("&File")
        self.new_action = self._action(file_menu, "&New project", self.new_project, QKeySequence.StandardKey.New)
        self.open_action = self._action(file_menu, "&Open…", self.open_dialog, QKeySequence.StandardKey.Open)
        self.open_action.setStatusTip("Open a coplan project (.coplan), or a scenario file (.toml) as a new project")
        self.recent_menu = file_menu.addMenu("Open &Recent")
        self.recent_menu.aboutToShow.connect(self._fill_recent_menu)
        file_menu.addSeparator()
        self.save_action = self._action(file_menu, "&Save", self.save, QKeySequence.StandardKey.Save)
        self.save_as_action = self._action(file_menu, "Save &As…", self.save_as, QKeySequence.StandardKey.SaveAs)
        file_menu.addSeparator()
        self.add_scenario_action = self._action(file_menu, "Add a scenario &file…", self.scenario_bar.import_dialog)
        self.export_scenario_action = self._action(file_menu, "&Export this scenario…", self.scenario_bar.export_dialog)
        file_menu.addSeparator()
        self.quit_action = self._action(file_menu, "&Quit", self.close, QKeySequence.StandardKey.Quit)

        edit_menu = self.menuBar().addMenu("&Edit")
        self.undo_action = self.state.undo_stack.createUndoAction(self, "&Undo")
        self.undo_action.setShortcuts([QKeySequence(QKeySequence.StandardKey.Undo)])
        self.redo_action = self.state.undo_stack.createRedoAction(self, "&Redo")
        self.redo_action.setShortcuts([QKeySequence("Ctrl+Shift+Z"), QKeySequence("Ctrl+Y")])
        edit_menu.addAction(self.undo_action)
        edit_menu.addAction(self.redo_action)

        edit_menu.addSeparator()
        self._action(edit_menu, "Rename scenario…", self.scenario_bar.rename_dialog)

        help_menu = self.menuBar().addMenu("&Help")
        self._action(help_menu, "&About coplan", self._about)

    def _action(self, menu: Any, text: str, slot: Callable[[], Any], shortcut: Any = None) -> QAction:
        action = QAction(text, self)
        if shortcut is not None:
            action.setShortcut(QKeySequence(shortcut))
        action.triggered.connect(lambda _checked=False: slot())
        menu.addAction(action)
        return action

    def _fill_recent_menu(self) -> None:
        self.recent_menu.clear()
        files = settings.recent_files()
        if not files:
            none = self.recent_menu.addAction("(no recent files)")
            none.setEnabled(False)
            return
        for f in files:
            action = self.recent_menu.addAction(Path(f).name)
            action.setToolTip(f)
            action.setStatusTip(f)
            action.triggered.connect(lambda _checked=False, path=f: self._open_recent(path))

    def _open_recent(self, path: str) -> None:
        if not Path(path).exists():
            settings.remove_recent_file(path)
            show_error(self, "Could not open", PlannerError(f"{Path(path).name} is no longer there ({path})"))
            return
        if self.maybe_save():
            self.open_path(Path(path))

    def _about(self) -> None:
        QMessageBox.about(self, "About coplan",
                          "<b>coplan</b> helps a police department or city decide how many social workers and "
                          "co-responder units to add, on which shifts, and what it costs and saves.")

    # ------------------------------------------------------------------------------------- pages
    def show_page(self, key: str) -> None:
        for row in range(self.sidebar.count()):
            if self.sidebar.item(row).data(Qt.ItemDataRole.UserRole) == key:
                self.sidebar.setCurrentRow(row)
                return
        raise KeyError(key)

    def _page_chosen(self, row: int) -> None:
        item = self.sidebar.item(row)
        key = item.data(Qt.ItemDataRole.UserRole) if item else None
        if key in self.pages:
            self.stack.setCurrentWidget(self.pages[key])

    def current_page(self) -> str:
        return next(k for k, w in self.pages.items() if w is self.stack.currentWidget())

    # -------------------------------------------------------------------------------------- title
    def _update_title(self, *_args: Any) -> None:
        self.setWindowTitle(f"{self.state.display_name}[*] — {APP_TITLE}")
        self.setWindowModified(self.state.modified)

    def _update_data_label(self) -> None:
        d = self.state.data
        self.data_label.setText(f"{d.result.calls_imported:,} calls from {d.calls_path.name}" if d else "No calls imported")

    # --------------------------------------------------------------------------------------- jobs
    @property
    def busy(self) -> bool:
        return self.worker is not None

    def run_job(self, job: Generator[Any, None, Any], title: str, on_finished: Callable[[Any], None], *,
                on_error: Callable[[BaseException], None] | None = None,
                on_cancelled: Callable[[], None] | None = None,
                panel: JobProgress | None = None) -> Worker | None:
        """Run a job off the GUI thread with progress and Cancel (on the page's `panel`, else in the status
        bar). Its result is handed to `on_finished` only if it completes; errors are shown where they
        happened. One job at a time."""
        if self.worker is not None:
            job.close()
            self.statusBar().showMessage(f"Wait for “{self.job_progress.title}” to finish, or cancel it.", 5000)
            return None
        worker = Worker(job)
        self.worker = worker
        # The window is free again as soon as the outcome is known, before the outcome is applied.
        worker.finished.connect(lambda _result: self._job_ended(worker))
        worker.errored.connect(lambda _exc: self._job_ended(worker))
        worker.cancelled.connect(lambda: self._job_ended(worker))
        worker.finished.connect(on_finished)
        worker.errored.connect(lambda exc: self._job_failed(title, exc, on_error))
        worker.cancelled.connect(lambda: self.statusBar().showMessage(f"{title}: cancelled; nothing changed.", 5000))
        if on_cancelled is not None:
            worker.cancelled.connect(on_cancelled)
        worker.ended.connect(lambda: self._job_ended(worker))
        (panel or self.job_progress).bind(worker, title)
        self.busyChanged.emit(True)
        worker.start()
        return worker

    def _job_failed(self, title: str, exc: BaseException, on_error: Callable[[BaseException], None] | None) -> None:
        if on_error is not None:
            on_error(exc)
        show_error(self, f"{title}: failed", exc)

    def _job_ended(self, worker: Worker) -> None:
        if self.worker is worker:
            self.worker = None
            self.busyChanged.emit(False)

    def cancel_jobs(self, wait_seconds: float = 10.0) -> None:
        """Cancel what is running and wait for it to stop (on close)."""
        for w in Worker.running():
            w.cancel()
        for w in Worker.running():
            w.wait(wait_seconds)

    # -------------------------------------------------------------------------------------- files
    def new_project(self) -> None:
        if self.maybe_save():
            self.cancel_jobs()
            self.state.new()
            self.show_page("data")

    def open_dialog(self) -> None:
        if not self.maybe_save():
            return
        path, _ = QFileDialog.getOpenFileName(self, "Open a project or a scenario", settings.last_folder(),
                                              OPEN_FILTER)
        if path:
            self.open_path(Path(path))

    def open_path(self, path: Path, *, load_data: bool = True) -> bool:
        """Open a project file (read in the background), or a scenario file as a new, unsaved project whose
        calls are then read in the background. False when it could not be opened or started."""
        path = Path(path)
        self.cancel_jobs()
        if path.suffix.lower() == PROJECT_SUFFIX:
            generation = self.state.generation
            worker = self.run_job(open_project_job(path), f"Opening {path.name}",
                                  lambda out: self._project_read(path, out, generation))
            return worker is not None
        try:
            self.state.open_scenarios([path])
        except PlannerError as e:
            show_error(self, "Could not open the scenario", e)
            return False
        settings.add_recent_file(path)
        if load_data:
            self.load_scenario_data()
        return True

    def open_sample(self, *, load_data: bool = True) -> bool:
        """The bundled mid-size city with its two options, as an unsaved project."""
        self.cancel_jobs()
        try:
            self.state.open_scenarios([SAMPLE_FOLDER / f for f in SAMPLE_FILES], SAMPLE_TITLE)
        except PlannerError as e:
            show_error(self, "Could not open the sample", e)
            return False
        if load_data:
            self.load_scenario_data()
        return True

    def _project_read(self, path: Path, out: tuple[Project, CallData | None], generation: int) -> None:
        if generation != self.state.generation:
            return   # something else was opened meanwhile
        project, data = out
        self.state.load_project(project, data)
        settings.add_recent_file(path)
        self.statusBar().showMessage(f"Opened {path.name}", 5000)

    def load_scenario_data(self) -> Worker | None:
        """Read the calls the opened scenario file names (its [data] section)."""
        s = self.state.calls_source
        if s is None or s.data.calls is None:
            return None
        generation = self.state.generation
        return self.run_job(scenario_data_job(s), f"Reading {s.data.calls.name}",
                            lambda data: self._scenario_data_loaded(data, generation))

    def propose_first_baseline(self) -> Worker | None:
        """Size a first baseline from the calls just imported into a new project, then open Staffing on it, where
        a banner asks the user to confirm it or enter the department's roster."""
        data = self.state.data
        if data is None:
            return None
        generation = self.state.generation
        return self.run_job(first_baseline_job(data), "Proposing a baseline from the calls",
                            lambda first: self._first_baseline_ready(first, generation))

    def _first_baseline_ready(self, first: Any, generation: int) -> None:
        name = self.state.propose_baseline(first, generation)
        if name is not None:
            self.show_page("staffing")
            self.statusBar().showMessage("Proposed a first baseline from the calls: confirm it or enter your roster "
                                         "(Staffing page)", 8000)

    def _scenario_data_loaded(self, data: CallData, generation: int) -> None:
        if self.state.set_loaded_data(data, generation):
            self.statusBar().showMessage(f"Read {data.result.calls_imported:,} calls from {data.calls_path.name}", 5000)

    def save(self) -> bool:
        if self.state.path is None:
            return self.save_as()
        return self.save_to(self.state.path)

    def save_as(self) -> bool:
        if self.state.path:
            start = str(self.state.path)
        else:
            stem = "".join(c if c.isalnum() or c in " -_" else " " for c in self.state.name).split()
            start = str(Path(settings.last_folder()) / f"{'_'.join(stem).lower() or 'project'}{PROJECT_SUFFIX}")
        path, _ = QFileDialog.getSaveFileName(self, "Save the project as", start, PROJECT_FILTER)
        if not path:
            return False
        path = Path(path)
        if path.suffix.lower() != PROJECT_SUFFIX:
            path = path.with_name(path.name + PROJECT_SUFFIX)
        return self.save_to(path)

    def save_to(self, path: Path) -> bool:
        try:
            self.state.save(path)
        except (PlannerError, OSError) as e:
            show_error(self, "Could not save", e)
            return False
        settings.add_recent_file(path)
        self.statusBar().showMessage(f"Saved {path.name}", 5000)
        return True

    def ask_save_changes(self) -> QMessageBox.StandardButton:
        """Save, Discard or Cancel (a method of its own, so tests can answer it)."""
        return QMessageBox.question(
            self, "Unsaved changes", f"Save the changes to {self.state.name} first?",
            QMessageBox.StandardButton.Save | QMessageBox.StandardButton.Discard | QMessageBox.StandardButton.Cancel,
            QMessageBox.StandardButton.Save)

    def maybe_save(self) -> bool:
        """True when it is fine to drop what is open: nothing unsaved, saved now, or the user said discard."""
        if not self.state.modified:
            return True
        answer = self.ask_save_changes()
        if answer == QMessageBox.StandardButton.Save:
            return self.save()
        return answer == QMessageBox.StandardButton.Discard

    def closeEvent(self, event: QCloseEvent) -> None:
        if not self.maybe_save():
            event.ignore()
            return
        self.cancel_jobs()
        s = settings.app_settings()
        s.setValue("window/geometry", self.saveGeometry())
        s.setValue("window/page", self.current_page())
        event.accept()

    def _restore_geometry(self) -> None:
        s = settings.app_settings()
        page = s.value("window/page")
        if page in self.pages:
            self.show_page(str(page))
        geometry = s.value("window/geometry")
        if geometry is not None and self.restoreGeometry(geometry):
            return
        screen = QGuiApplication.primaryScreen()
        if screen is not None:
            avail = screen.availableGeometry()
            self.resize(min(DEFAULT_SIZE.width(), avail.width()), min(DEFAULT_SIZE.height(), avail.height()))
