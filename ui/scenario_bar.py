"""The scenario bar above every page: which scenario the pages show, and adding, renaming and deleting them.

Every change is undoable (Edit > Undo) and marks the project modified. The programme templates menu is
shared with the Staffing page: each template says what it is, where its figures come from and what it
assumes, before it is chosen.
"""

from __future__ import annotations

from collections.abc import Callable
from html import escape
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtWidgets import (
    QComboBox,
    QFileDialog,
    QInputDialog,
    QLabel,
    QMenu,
    QSizePolicy,
    QToolBar,
    QToolButton,
    QWidget,
)

from planner.errors import PlannerError
from planner.templates import Template, list_templates
from ui.errors import show_error
from ui.project import RUN_CURRENT, RUN_NONE, RUN_WORDS
from ui.settings import last_folder

if TYPE_CHECKING:
    from ui.window import MainWindow

SCENARIO_FILTER = "Scenario files (*.toml);;All files (*)"


def template_tooltip(t: Template) -> str:
    """What a template is, where its figures come from and what it assumes (rich text for a tooltip)."""
    sources = "".join(f"<li>{escape(s)}</li>" for s in t.sources)
    assumptions = "".join(f"<li>{escape(a)}</li>" for a in t.assumptions)
    return (f"<p><b>{escape(t.program)}</b></p><p>{escape(t.summary)}</p>"
            f"<p><b>Published figures it draws on</b></p><ul>{sources}</ul>"
            f"<p><b>What it assumes</b></p><ul>{assumptions}</ul>"
            "<p><i>Added as a new scenario: the baseline with this team, sized to your city's calls.</i></p>")


def template_menu(parent: QWidget, on_chosen: Callable[[Template], None], title: str = "Programme templates") -> QMenu:
    """A menu of the programme templates; hovering one shows its summary, sources and assumptions."""
    menu = QMenu(title, parent)
    menu.setToolTipsVisible(True)
    for t in list_templates():
        action = menu.addAction(t.name)
        action.setObjectName(f"template_{t.key}")
        action.setData(t.key)
        action.setToolTip(template_tooltip(t))
        action.setStatusTip(t.summary)
        action.triggered.connect(lambda _checked=False, tpl=t: on_chosen(tpl))
    return menu


class ScenarioBar(QToolBar):
    """Scenario: [combo]  Add ▾  Rename…  Delete  Make baseline  Export…"""

    def __init__(self, window: MainWindow):
        super().__init__("Scenario")
        self.window = window
        self.state = window.state
        self.setObjectName("scenario_bar")
        self.setMovable(False)
        self._filling = False

        label = QLabel("  Scenario: ")
        label.setToolTip("The scenario the Staffing, Optimise and Simulate pages show and change")
        self.combo = QComboBox()
        self.combo.setMinimumContentsLength(34)
        self.combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.combo.setToolTip("The scenario the Staffing, Optimise and Simulate pages show and change. "
                              "The first one is the baseline the others are compared with.")
        self.combo.currentIndexChanged.connect(self._chosen)

        self.add_menu = QMenu("Add", self)
        self.add_menu.setToolTipsVisible(True)
        a = self.add_menu.addAction("Blank scenario (the baseline without civilian units)")
        a.triggered.connect(lambda: self._do(self.state.add_blank))
        self.duplicate_action = self.add_menu.addAction("Duplicate this scenario")
        self.duplicate_action.triggered.connect(lambda: self._do(self.state.duplicate))
        self.templates_menu = template_menu(self, self.add_template, "From a programme template")
        self.add_menu.addMenu(self.templates_menu)
        self.add_menu.addSeparator()
        a = self.add_menu.addAction("From a scenario file (TOML)…")
        a.triggered.connect(self.import_dialog)
        self.add_button = QToolButton()
        self.add_button.setText("Add scenario")
        self.add_button.setMenu(self.add_menu)
        self.add_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        self.add_button.setToolTip("Add a scenario: blank, a copy of this one, a programme template, or a file")

        self.addWidget(label)
        self.addWidget(self.combo)
        self.addSeparator()
        self.addWidget(self.add_button)
        self.rename_action = self.addAction("Rename…", self.rename_dialog)
        self.delete_action = self.addAction("Delete", self.delete_current)
        self.delete_action.setToolTip("Delete this scenario and its run (Edit > Undo brings them back)")
        self.baseline_action = self.addAction("Make baseline", self.make_baseline)
        self.baseline_action.setToolTip("Move this scenario to the top of the list: the baseline templates "
                                        "build on and comparisons start from")
        self.export_action = self.addAction("Export…", self.export_dialog)
        self.export_action.setToolTip("Write this scenario as a TOML file, to read, diff or run with the "
                                      "coplan command")
        spacer = QWidget()
        spacer.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
        self.addWidget(spacer)
        self.run_label = QLabel()
        self.run_label.setStyleSheet("color: #555555; padding-right: 8px;")
        self.addWidget(self.run_label)

        self.state.scenariosChanged.connect(self.refresh)
        self.state.runsChanged.connect(self._show_run)
        self.refresh()

    # ------------------------------------------------------------------------------------ showing
    def refresh(self) -> None:
        self._filling = True
        try:
            self.combo.clear()
            base = self.state.baseline_name
            for name in self.state.scenario_names:
                self.combo.addItem(f"{name}  (baseline)" if name == base else name, name)
            self.combo.setCurrentIndex(self.combo.findData(self.state.current_name))
        finally:
            self._filling = False
        many = len(self.state.scenario_names) > 1
        self.delete_action.setEnabled(many)
        self.baseline_action.setEnabled(self.state.current_name != base)
        self._show_run()

    def _show_run(self) -> None:
        status = self.state.run_status(self.state.current_name)
        self.run_label.setText(RUN_WORDS[status])
        colour = "#1B5E20" if status == RUN_CURRENT else "#555555" if status == RUN_NONE else "#8A4B00"
        self.run_label.setStyleSheet(f"color: {colour}; padding-right: 8px;")

    def _chosen(self, index: int) -> None:
        if self._filling or index < 0:
            return
        self.state.select(self.combo.itemData(index))

    # ------------------------------------------------------------------------------------ actions
    def _do(self, action: Callable[[], object], title: str = "Could not change the scenarios") -> None:
        try:
            action()
        except PlannerError as e:
            show_error(self.window, title, e)

    def add_template(self, template: Template) -> None:
        self._do(lambda: self.state.add_template(template), f"Could not add {template.name}")
        if self.state.current_name.startswith(template.name):
            self.window.statusBar().showMessage(
                f"Added {self.state.current_name}: the baseline with this team, sized to your city's calls. "
                "Its figures and sources are on the Staffing page.", 8000)

    def rename_dialog(self) -> None:
        old = self.state.current_name
        new, ok = QInputDialog.getText(self.window, "Rename scenario", "New name:", text=old)
        if ok:
            self._do(lambda: self.state.rename(old, new), "Could not rename the scenario")

    def delete_current(self) -> None:
        name = self.state.current_name
        self._do(lambda: self.state.delete(name), "Could not delete the scenario")
        if name not in self.state.scenario_names:
            self.window.statusBar().showMessage(f"Deleted {name}. Edit > Undo brings it back.", 8000)

    def make_baseline(self) -> None:
        self._do(lambda: self.state.make_baseline(self.state.current_name))

    def import_dialog(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self.window, "Add a scenario file", last_folder(), SCENARIO_FILTER)
        if path:
            self.import_file(Path(path))

    def import_file(self, path: Path) -> None:
        from planner.scenario import load_scenario
        from ui.project import categories

        self._do(lambda: self.state.add_scenario(load_scenario(path, categories()), f"Add {path.name}"),
                 "Could not add the scenario file")

    def export_dialog(self) -> None:
        name = self.state.current_name
        start = str(Path(last_folder()) / f"{_file_stem(name)}.toml")
        path, _ = QFileDialog.getSaveFileName(self.window, "Export the scenario", start, SCENARIO_FILTER)
        if path:
            self.export_file(Path(path) if Path(path).suffix else Path(path).with_suffix(".toml"))

    def export_file(self, path: Path) -> None:
        try:
            self.state.to_project().export_scenario(self.state.current_name, path)
        except (PlannerError, OSError) as e:
            show_error(self.window, "Could not export the scenario", e)
            return
        self.window.statusBar().showMessage(f"Exported {self.state.current_name} to {path.name}", 5000)


def _file_stem(name: str) -> str:
    keep = "".join(c if c.isalnum() or c in " -_" else " " for c in name)
    return "_".join(keep.split()).lower() or "scenario"
