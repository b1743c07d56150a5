"""Data: import a CAD export through a wizard, then see what the import made of it and fix categories."""

from __future__ import annotations

from collections.abc import Generator
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd
from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QFileDialog,
    QFormLayout,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPlainTextEdit,
    QPushButton,
    QSplitter,
    QTableView,
    QTableWidget,
    QTableWidgetItem,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from planner.errors import PlannerError
from planner.importer import Detection, default_agencies, detect, read_raw
from planner.jobs import Progress
from planner.mapping import FIELDS, CategoryRule, Mapping, check_timezone, read_mapping
from planner.profile import unmatched_call_types
from planner.sufficiency import data_warnings
from planner.taxonomy import OTHER
from ui.errors import show_error
from ui.project import CallData, categories, import_job, rule_for_call_type, taxonomy
from ui.settings import last_folder, set_last_folder
from ui.widgets import WARN_STYLE, FrameModel, error_label, page_header, section_label, set_error

if TYPE_CHECKING:
    from ui.window import MainWindow

NONE = "(none)"
AS_WRITTEN = "(times as written in the file)"
TIME_ZONES = [
    "America/New_York", "America/Chicago", "America/Denver", "America/Phoenix", "America/Los_Angeles",
    "America/Anchorage", "Pacific/Honolulu", "America/Detroit", "America/Indiana/Indianapolis",
    "America/Boise", "America/Puerto_Rico", "UTC",
]
DATE_ORDERS = [
    ("Detect (month first, as in US exports, unless days run past 12)", "auto"),
    ("Month first: 03/04/2025 is 4 March", "mdy"),
    ("Day first: 03/04/2025 is 3 April", "dmy"),
    ("Year first: 2025-03-04", "ymd"),
]
EXPORT_FILTER = "Calls exports (*.csv *.csv.gz *.gz *.txt *.tsv *.xlsx *.xlsm *.parquet *.pq);;All files (*)"
PREVIEW_ROWS = 20
OTHER_TYPES_SHOWN = 200


def preview_job(path: Path, sheet: str | None = None
                ) -> Generator[Progress, None, tuple[pd.DataFrame, list[str], Detection]]:
    """The first rows of an export (as text), its column names and what detection makes of its columns."""
    yield Progress(0, 2, f"reading {Path(path).name}")
    raw = read_raw(Path(path), sheet)
    yield Progress(1, 2, "looking at what the columns hold")
    return raw.frame.head(PREVIEW_ROWS).copy(), list(raw.frame.columns), detect(raw.frame)


def choice_lines(columns: dict[str, str | list[str]], detection: Detection | None,
                 from_mapping: set[str]) -> list[str]:
    """Why each column is used (and the runner-up), as the wizard shows it."""
    by_field = {c.field: c for c in detection.choices} if detection else {}
    lines = []
    for fieldname, value in columns.items():
        if fieldname == "received_time":
            continue
        label = ", ".join(value) if isinstance(value, list) else value
        key = "received_at" if fieldname == "received_date" else fieldname
        if fieldname == "received_date":
            label = f"{value} + {columns.get('received_time', '?')}"
        c = by_field.get(key)
        if fieldname in from_mapping:
            lines.append(f"{key.replace('_', ' ')}: '{label}' (named in the mapping file)")
        elif c is not None and c.column == label:
            lines.append(f"{key.replace('_', ' ')}: '{label}' - {c.why}")
            if c.runner_up:
                lines.append(f"    runner-up '{c.runner_up}': {c.runner_up_why}")
        else:
            lines.append(f"{key.replace('_', ' ')}: '{label}' (chosen by you)")
    if detection:
        lines += [f"not a time: '{col}' - {why}" for col, why in detection.ignored]
    return lines


def _number(n: int) -> str:
    return f"{n:,}"


class ImportTab(QWidget):
    """Choose a file, check the preview and the column mapping, set the code table and time zone, import."""

    previewReady = Signal()

    def __init__(self, page: DataPage):
        super().__init__()
        self.page = page
        self.calls_path: Path | None = None
        self.headers: list[str] = []
        self.pending_columns: dict[str, str | list[str]] = {}   # from a mapping file, applied with the preview
        self.pending_agencies: tuple[str, ...] | None = None
        self.call_type_columns: list[str] = []      # several call-type columns (first non-blank decides)
        self.detection: Detection | None = None
        self.rules: tuple[CategoryRule, ...] = ()
        self._preview_path: Path | None = None

        self.file_edit = QLineEdit()
        self.file_edit.setReadOnly(True)
        self.file_edit.setPlaceholderText("a CSV, Excel (XLSX) or Parquet export of calls for service")
        choose = QPushButton("Choose file…")
        choose.clicked.connect(self.choose_calls_file)
        self.codes_edit = QLineEdit()
        self.codes_edit.setReadOnly(True)
        self.codes_edit.setPlaceholderText("optional: a table of code, description (when call types are codes)")
        choose_codes = QPushButton("Choose…")
        choose_codes.clicked.connect(self.choose_codes_file)
        clear_codes = QPushButton("Clear")
        clear_codes.clicked.connect(lambda: self.set_codes_file(None))
        self.tz_combo = QComboBox()
        self.tz_combo.setEditable(True)
        self.tz_combo.addItems([AS_WRITTEN, *TIME_ZONES])
        self.tz_combo.setToolTip("The agency's time zone (an IANA name such as America/Chicago), so hours of the "
                                 "day and daylight-saving changes are read right. Type any zone not listed.")
        self.date_combo = QComboBox()
        for label, value in DATE_ORDERS:
            self.date_combo.addItem(label, value)
        load_mapping = QPushButton("Load mapping file…")
        load_mapping.setToolTip("Use a saved mapping (columns, time zone, date order, code table, category rules)")
        load_mapping.clicked.connect(self.choose_mapping_file)

        form = QFormLayout()
        row = QHBoxLayout()
        row.addWidget(self.file_edit, 1)
        row.addWidget(choose)
        row.addWidget(load_mapping)
        form.addRow("Calls export:", row)
        row = QHBoxLayout()
        row.addWidget(self.codes_edit, 1)
        row.addWidget(choose_codes)
        row.addWidget(clear_codes)
        form.addRow("Code table:", row)
        row = QHBoxLayout()
        row.addWidget(self.tz_combo, 1)
        row.addWidget(QLabel("Dates:"))
        row.addWidget(self.date_combo, 1)
        form.addRow("Time zone:", row)

        self.mapping_table = QTableWidget(len(FIELDS), 2)
        self.mapping_table.setHorizontalHeaderLabels(["Field", "Column in the file"])
        self.mapping_table.verticalHeader().hide()
        self.mapping_table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.mapping_table.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        self.mapping_table.horizontalHeader().setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        self.combos: dict[str, QComboBox] = {}
        for i, (fieldname, meaning) in enumerate(FIELDS.items()):
            item = QTableWidgetItem(fieldname.replace("_", " "))
            item.setToolTip(meaning)
            self.mapping_table.setItem(i, 0, item)
            combo = QComboBox()
            combo.addItem(NONE)
            combo.setToolTip(meaning)
            self.mapping_table.setCellWidget(i, 1, combo)
            self.combos[fieldname] = combo
        self.reasons = QPlainTextEdit()
        self.reasons.setReadOnly(True)
        self.reasons.setMaximumHeight(130)
        self.reasons.setPlaceholderText("Why each column was chosen (and the one that came next) appears here.")
        self.agency_list = QListWidget()
        self.agency_list.setMaximumHeight(90)
        self.agency_list.setToolTip("A file of several agencies (police, fire, EMS, sheriff): the calls of the ticked "
                                    "agencies are imported; the others are counted as set aside, not rejected. "
                                    "The choice is saved with the mapping.")
        self.agency_label = section_label("Agencies in the file (tick the ones to import)")
        mapping_box = QGroupBox("Which column holds what (detected; change any)")
        lay = QVBoxLayout(mapping_box)
        lay.addWidget(self.mapping_table, 3)
        lay.addWidget(section_label("Why these columns"))
        lay.addWidget(self.reasons, 1)
        lay.addWidget(self.agency_label)
        lay.addWidget(self.agency_list)
        self._show_agencies({}, None)

        self.preview_model = FrameModel()
        self.preview = QTableView()
        self.preview.setModel(self.preview_model)
        self.preview.setAlternatingRowColors(True)
        self.preview.horizontalHeader().setDefaultSectionSize(120)
        self.preview_box = QGroupBox(f"The file's first {PREVIEW_ROWS} rows")
        lay = QVBoxLayout(self.preview_box)
        lay.addWidget(self.preview)

        split = QSplitter(Qt.Orientation.Horizontal)
        split.addWidget(mapping_box)
        split.addWidget(self.preview_box)
        split.setStretchFactor(0, 2)
        split.setStretchFactor(1, 3)
        split.setSizes([420, 700])

        self.error = error_label()
        self.import_button = QPushButton("Import calls")
        self.import_button.setDefault(True)
        self.import_button.setEnabled(False)
        self.import_button.clicked.connect(self.start_import)
        self.status = QLabel("Choose a calls export to begin. coplan reads it, shows the first rows and the "
                             "columns it recognised; nothing is imported until you press Import calls.")
        self.status.setWordWrap(True)
        bottom = QHBoxLayout()
        bottom.addWidget(self.status, 1)
        bottom.addWidget(self.import_button)

        lay = QVBoxLayout(self)
        lay.addLayout(form)
        lay.addWidget(split, 1)
        lay.addWidget(self.error)
        lay.addLayout(bottom)

    # ------------------------------------------------------------------------------ choosing
    def choose_calls_file(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Choose a calls export", last_folder(), EXPORT_FILTER)
        if path:
            set_last_folder(Path(path).parent)
            self.set_calls_file(Path(path))

    def choose_codes_file(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Choose a code table", last_folder(),
                                              "Code tables (*.csv *.txt *.xlsx);;All files (*)")
        if path:
            self.set_codes_file(Path(path))

    def choose_mapping_file(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Choose a mapping file", last_folder(),
                                              "Mapping files (*.toml);;All files (*)")
        if path:
            self.load_mapping_file(Path(path))

    def reset(self) -> None:
        """Back to an empty wizard (a new scenario, or one that names no calls)."""
        self.calls_path = None
        self._preview_path = None
        self.headers = []
        self.pending_columns = {}
        self.pending_agencies = None
        self.call_type_columns = []
        self.detection = None
        self.rules = ()
        self.reasons.clear()
        self._show_agencies({}, None)
        self.file_edit.clear()
        self.set_codes_file(None)
        self.set_time_zone(None)
        self.set_date_order("auto")
        self.preview_model.set_frame(pd.DataFrame())
        self.preview_box.setTitle(f"The file's first {PREVIEW_ROWS} rows")
        self._fill_combos({})
        self.import_button.setEnabled(False)
        set_error(self.error, None)

    def show_source(self, data: CallData) -> None:
        """Show the settings imported calls were read with; the preview is read when the tab is opened."""
        if data.stored and not data.calls_path.is_absolute():
            # Calls kept in a project file: the export they came from need not be on this computer.
            self.reset()
            self.status.setText(f"The project holds {data.result.calls_imported:,} calls imported from "
                                f"{data.calls_path.name}. To replace them, choose an export and press Import calls.")
            self.apply_mapping(data.result.mapping, tz=data.timezone)
            self.set_codes_file(None)
            return
        if data.calls_path != self.calls_path:
            self.reset()
            self.calls_path = data.calls_path
            self.file_edit.setText(str(data.calls_path))
            self.status.setText(f"{data.calls_path.name} is imported. To import it again with other settings, "
                                "change them here and press Import calls.")
        self.apply_mapping(data.result.mapping, codes=data.codes_path, tz=data.timezone)

    def set_codes_file(self, path: Path | None) -> None:
        self.codes_edit.setText(str(path) if path else "")

    def set_time_zone(self, tz: str | None) -> None:
        self.tz_combo.setCurrentText(tz or AS_WRITTEN)

    def set_date_order(self, order: str) -> None:
        i = self.date_combo.findData(order)
        self.date_combo.setCurrentIndex(max(i, 0))

    def load_mapping_file(self, path: Path) -> None:
        try:
            m = read_mapping(path)
        except PlannerError as e:
            show_error(self, "Could not read the mapping file", e)
            return
        self.apply_mapping(m)

    def apply_mapping(self, m: Mapping, codes: Path | None = None, tz: str | None = None) -> None:
        """Take columns, options and rules from a mapping (a file's, or the one of calls already imported)."""
        self.pending_columns = dict(m.columns)
        self.pending_agencies = m.agencies
        self.rules = tuple(m.rules)
        self.set_codes_file(codes or m.codes_path())
        self.set_time_zone(tz or m.timezone)
        self.set_date_order(m.date_order)
        if self.headers:
            self._fill_combos(self.pending_columns)
            self._show_agencies(self.detection.agencies if self.detection else {}, self.pending_agencies)

    def set_calls_file(self, path: Path) -> None:
        """Read the file's first rows on the worker; the preview and the mapping follow."""
        self.calls_path = Path(path)
        self.file_edit.setText(str(path))
        self.import_button.setEnabled(False)
        set_error(self.error, None)
        self.status.setText(f"Reading {self.calls_path.name}…")
        worker = self.page.window.run_job(preview_job(self.calls_path), f"Reading {self.calls_path.name}",
                                          lambda out: self._preview_ready(path, out),
                                          on_error=lambda _e: self.status.setText("Could not read that file."))
        if worker is None:
            self.status.setText("Another job is running; choose the file again when it has finished.")

    def ensure_preview(self) -> None:
        if self.calls_path is not None and self._preview_path != self.calls_path and not self.page.window.busy:
            self.set_calls_file(self.calls_path)

    def _preview_ready(self, path: Path, out: tuple[pd.DataFrame, list[str], Detection]) -> None:
        if path != self.calls_path:
            return  # another file was chosen meanwhile
        head, headers, detection = out
        self.detection = detection
        self._preview_path = path
        self.headers = headers
        self.preview_model.set_frame(head, first_row=2)  # numbered as a spreadsheet shows the file
        self.preview.resizeColumnsToContents()
        for i in range(self.preview_model.columnCount()):
            self.preview.setColumnWidth(i, min(self.preview.columnWidth(i), 220))
        self.preview_box.setTitle(f"The first {len(head)} rows of {path.name} ({len(headers)} columns)")
        columns = dict(detection.columns)
        pending = {f: c for f, c in self.pending_columns.items()
                   if all(x in headers for x in (c if isinstance(c, list) else [c]))}
        # One received time, either a date-time column or a date and a time: the mapping's form wins.
        if "received_at" in pending:
            columns.pop("received_date", None)
            columns.pop("received_time", None)
        elif "received_date" in pending:
            columns.pop("received_at", None)
        columns.update(pending)
        self._fill_combos(columns)
        self.reasons.setPlainText("\n".join(choice_lines(columns, detection, set(pending))))
        self._show_agencies(detection.agencies if "agency" in columns else {}, self.pending_agencies)
        missing = [f for f in ("call_type",) if f not in columns]
        has_time = "received_at" in columns or {"received_date", "received_time"} <= set(columns)
        if not has_time:
            missing.insert(0, "received at (or received date + time)")
        used = {c for v in columns.values() for c in (v if isinstance(v, list) else [v])}
        self.status.setText(
            f"{len(used)} of the file's {len(headers)} columns recognised. Check the mapping, then press "
            f"Import calls." + (f" Still needed: {', '.join(missing)}." if missing else ""))
        self.import_button.setEnabled(not self.page.window.busy)
        self.previewReady.emit()

    def _fill_combos(self, columns: dict[str, str | list[str]]) -> None:
        several = columns.get("call_type")
        self.call_type_columns = list(several) if isinstance(several, list) else []
        for fieldname, combo in self.combos.items():
            combo.blockSignals(True)
            combo.clear()
            combo.addItem(NONE)
            combo.addItems(self.headers)
            value = columns.get(fieldname, NONE)
            combo.setCurrentText(value[0] if isinstance(value, list) else value)
            if fieldname == "call_type" and self.call_type_columns:
                combo.setToolTip(f"{FIELDS['call_type']}. Detected: {', '.join(self.call_type_columns)}; "
                                 "choose another column to use that one alone.")
            combo.blockSignals(False)

    def _show_agencies(self, counts: dict[str, int], chosen: tuple[str, ...] | None) -> None:
        """The agencies of a multi-agency file with their rows, the police ones (or the mapping's) ticked."""
        self.agency_list.clear()
        named = {k: v for k, v in counts.items() if k}
        visible = bool(named)
        self.agency_list.setVisible(visible)
        self.agency_label.setVisible(visible)
        if not visible:
            return
        keep = {a.upper() for a in (chosen if chosen is not None else default_agencies(counts))}
        for value, n in named.items():
            item = QListWidgetItem(f"{value}  ({n:,} rows)")
            item.setData(Qt.ItemDataRole.UserRole, value)
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            item.setCheckState(Qt.CheckState.Checked if value.upper() in keep else Qt.CheckState.Unchecked)
            self.agency_list.addItem(item)

    def chosen_agencies(self) -> tuple[str, ...] | None:
        """The ticked agencies, or None when the file has no agency column (nothing to choose)."""
        if not self.agency_list.isVisible() and self.agency_list.count() == 0:
            return None
        if self.combos["agency"].currentText() == NONE:
            return None
        return tuple(self.agency_list.item(i).data(Qt.ItemDataRole.UserRole) for i in range(self.agency_list.count())
                     if self.agency_list.item(i).checkState() == Qt.CheckState.Checked)

    # ------------------------------------------------------------------------------- importing
    def chosen_columns(self) -> dict[str, str | list[str]]:
        cols: dict[str, str | list[str]] = {f: c.currentText() for f, c in self.combos.items()
                                            if c.currentText() != NONE}
        # Several call-type columns stay several while the first of them is the one shown.
        if self.call_type_columns and cols.get("call_type") == self.call_type_columns[0]:
            cols["call_type"] = list(self.call_type_columns)
        return cols

    def time_zone(self) -> str | None:
        text = self.tz_combo.currentText().strip()
        return None if text in ("", AS_WRITTEN) else text

    def codes_path(self) -> Path | None:
        text = self.codes_edit.text().strip()
        return Path(text) if text else None

    def start_import(self) -> None:
        if self.calls_path is None:
            return
        tz = self.time_zone()
        try:
            if tz:
                check_timezone(tz, "Time zone")
        except PlannerError as e:
            set_error(self.error, str(e))
            return
        set_error(self.error, None)
        mapping = Mapping(columns=self.chosen_columns(), timezone=tz, date_order=self.date_combo.currentData(),
                          rules=self.rules, agencies=self.chosen_agencies())
        generation = self.page.state.generation
        worker = self.page.window.run_job(
            import_job(self.calls_path, mapping, codes=self.codes_path(), tz=tz),
            f"Importing {self.calls_path.name}", lambda data: self._imported(data, generation),
            on_error=lambda _e: self.status.setText("The import failed; the message says why. Nothing was changed."))
        if worker is not None:
            self.status.setText(f"Importing {self.calls_path.name}…")

    def _imported(self, data: CallData, generation: int) -> None:
        try:
            self.page.state.set_imported_data(data, generation)
        except PlannerError as e:
            show_error(self, "Could not use the imported calls", e)
            return
        self.status.setText(f"Imported {data.result.calls_imported:,} calls from {data.calls_path.name}.")

    def set_busy(self, busy: bool) -> None:
        self.import_button.setEnabled(not busy and bool(self.headers) and self._preview_path == self.calls_path)


class QualityTab(QWidget):
    """What the import made of the file: every row accounted for, rejects, notes, call types in `other`."""

    def __init__(self, page: DataPage):
        super().__init__()
        self.page = page
        self.values: dict[str, QLabel] = {}
        grid = QGridLayout()
        grid.setHorizontalSpacing(10)
        items = [("source", "Calls export"), ("period", "Period"), ("timezone", "Time zone"),
                 ("rows_read", "Rows read"), ("rows_imported", "Rows imported"), ("rows_rejected", "Rows rejected"),
                 ("calls_imported", "Calls"), ("rows_merged", "Extra units of a call"), ("other", "Calls in 'other'"),
                 ("rows_set_aside", "Set aside (other agencies)")]
        tips = {"rows_merged": "Rows that repeat an incident number already seen: further units sent to the same "
                               "call. They are counted as units of that call, not as calls.",
                "rows_imported": "Every row read is imported, rejected, or set aside as another agency's call in a "
                                 "multi-agency file: read = imported + rejected + set aside.",
                "rows_set_aside": "Rows of agencies not imported (fire, EMS ...) in a file of several agencies: "
                                  "counted, not rejected. Choose the agencies in the Import tab.",
                "calls_imported": "Calls after the units of one incident are counted together.",
                "other": "Calls no category rule matched. Give their call types a category on the right."}
        for i, (key, label) in enumerate(items):
            r, c = divmod(i, 3)
            name = QLabel(f"{label}:")
            name.setStyleSheet("color: #555555;")
            value = QLabel("–")
            value.setObjectName(key)
            value.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            font = value.font()
            font.setBold(True)
            value.setFont(font)
            if key in tips:
                name.setToolTip(tips[key])
                value.setToolTip(tips[key])
            grid.addWidget(name, r, 2 * c)
            grid.addWidget(value, r, 2 * c + 1)
            self.values[key] = value
        for c in (1, 3):
            grid.setColumnMinimumWidth(c, 200)
        grid.setColumnStretch(6, 1)

        # Left: rejects and notes.
        self.reasons = QTableWidget(0, 2)
        self.reasons.setHorizontalHeaderLabels(["Reason", "Rows"])
        self._table_look(self.reasons)
        self.reasons.setMaximumHeight(120)
        self.reasons.horizontalHeader().setStretchLastSection(False)
        self.reasons.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        self.reasons.horizontalHeader().setSectionResizeMode(1, QHeaderView.ResizeMode.ResizeToContents)
        self.rejects_model = FrameModel()
        self.rejects = QTableView()
        self.rejects.setModel(self.rejects_model)
        self.rejects.setAlternatingRowColors(True)
        self.rejects.verticalHeader().hide()
        self.rejects.setWordWrap(False)
        self.rejects.horizontalHeader().setStretchLastSection(True)
        self.notes = QPlainTextEdit()
        self.notes.setReadOnly(True)
        self.notes.setMaximumHeight(150)
        left = QWidget()
        lay = QVBoxLayout(left)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.addWidget(section_label("Rejected rows by reason"))
        lay.addWidget(self.reasons)
        self.rejects_title = section_label("Rejected rows (row numbers as a spreadsheet shows them)")
        lay.addWidget(self.rejects_title)
        lay.addWidget(self.rejects, 2)
        lay.addWidget(section_label("What the import noticed"))
        lay.addWidget(self.notes, 1)

        # Right: call types in `other`, and the user's rules.
        self.other_title = section_label("Call types in 'other'")
        hint = QLabel("No rule placed these call types. Pick a category for a type and its calls move there at "
                      "once; the choice is saved as one of your rules.")
        hint.setWordWrap(True)
        self.other_table = QTableWidget(0, 3)
        self.other_table.setHorizontalHeaderLabels(["Call type", "Calls", "Put in category"])
        self._table_look(self.other_table)
        self.other_table.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        self.rules_table = QTableWidget(0, 2)
        self.rules_table.setHorizontalHeaderLabels(["Pattern (any case; ^ start, $ end)", "Category"])
        self._table_look(self.rules_table)
        self.rules_table.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        self.rules_table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.remove_rule_button = QPushButton("Remove rule")
        self.remove_rule_button.clicked.connect(self.remove_selected_rule)
        self.pattern_edit = QLineEdit()
        self.pattern_edit.setPlaceholderText("pattern, e.g. ANIMAL")
        self.rule_category = QComboBox()
        for c in categories():
            self.rule_category.addItem(c.replace("_", " "), c)
        add_rule = QPushButton("Add rule")
        add_rule.clicked.connect(self.add_rule_from_form)
        self.rule_error = error_label()
        self.save_mapping_button = QPushButton("Save mapping with rules…")
        self.save_mapping_button.setToolTip("Write the column mapping, time zone, code table and your rules to a "
                                            "mapping file (TOML), for the next import or the coplan command")
        self.save_mapping_button.clicked.connect(self.choose_mapping_target)
        right = QWidget()
        lay = QVBoxLayout(right)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.addWidget(self.other_title)
        lay.addWidget(hint)
        lay.addWidget(self.other_table, 3)
        lay.addWidget(section_label("Your category rules (tried before coplan's own)"))
        lay.addWidget(self.rules_table, 2)
        row = QHBoxLayout()
        row.addWidget(self.pattern_edit, 2)
        row.addWidget(self.rule_category, 1)
        row.addWidget(add_rule)
        row.addWidget(self.remove_rule_button)
        lay.addLayout(row)
        lay.addWidget(self.rule_error)
        row = QHBoxLayout()
        row.addStretch(1)
        row.addWidget(self.save_mapping_button)
        lay.addLayout(row)

        split = QSplitter(Qt.Orientation.Horizontal)
        split.addWidget(left)
        split.addWidget(right)
        split.setSizes([560, 560])
        self.empty = QLabel("No calls imported yet. Use the Import tab to bring in a CAD export.")
        self.empty.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.body = QWidget()
        lay = QVBoxLayout(self.body)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.addLayout(grid)
        # Where the export is too thin to trust every figure (planner.sufficiency).
        self.sufficiency = QLabel()
        self.sufficiency.setWordWrap(True)
        self.sufficiency.setStyleSheet(WARN_STYLE)
        self.sufficiency.setObjectName("sufficiency")
        self.sufficiency.hide()
        lay.addWidget(self.sufficiency)
        lay.addWidget(split, 1)
        outer = QVBoxLayout(self)
        outer.addWidget(self.empty)
        outer.addWidget(self.body)
        self.refresh()

    @staticmethod
    def _table_look(table: QTableWidget) -> None:
        table.verticalHeader().hide()
        table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        table.setAlternatingRowColors(True)
        table.horizontalHeader().setStretchLastSection(True)

    # ---------------------------------------------------------------------------------- showing
    def refresh(self) -> None:
        data = self.page.state.data
        self.empty.setVisible(data is None)
        self.body.setVisible(data is not None)
        if data is None:
            return
        r = data.result
        p = data.profile
        v = self.values
        v["source"].setText(data.calls_path.name)
        v["source"].setToolTip(str(data.calls_path))
        v["period"].setText(f"{p.start:%d %b %Y} to {p.end:%d %b %Y} ({p.days:,.0f} days)")
        v["timezone"].setText(r.timezone or "none given (times as written)")
        v["rows_read"].setText(_number(r.rows_read))
        v["rows_imported"].setText(_number(r.rows_imported))
        v["rows_rejected"].setText(_number(r.rows_rejected))
        v["calls_imported"].setText(_number(r.calls_imported))
        v["rows_merged"].setText(_number(r.rows_merged))
        aside = ", ".join(f"{k} {n:,}" for k, n in r.set_aside.items())
        v["rows_set_aside"].setText(_number(r.rows_set_aside) + (f" ({aside})" if aside else ""))
        n_other = int(p.by_category.get(OTHER, 0))
        v["other"].setText(f"{n_other:,} ({n_other / max(r.calls_imported, 1):.1%})")
        warnings = data_warnings(r, p)
        self.sufficiency.setText("\n".join(f"• {w}" for w in warnings))
        self.sufficiency.setVisible(bool(warnings))

        reasons = r.rejections()
        self.reasons.setRowCount(len(reasons))
        for i, (reason, n) in enumerate(reasons.items()):
            self.reasons.setItem(i, 0, QTableWidgetItem(reason))
            self.reasons.setItem(i, 1, _right(_number(n)))
        self.reasons.resizeColumnToContents(1)
        self.rejects_model.set_frame(r.rejects, ["Row", "Column", "Value", "Reason"])
        self.rejects.resizeColumnsToContents()
        self.rejects_title.setText(f"Rejected rows ({r.rows_rejected:,}; row numbers as a spreadsheet shows them)")
        chosen = [f"• {c.field.replace('_', ' ')}: '{c.column}' - {c.why}" for c in r.column_choices]
        self.notes.setPlainText("\n".join([f"• {n}" for n in r.notes] + chosen) or "Nothing unusual.")

        other = unmatched_call_types(r.calls, OTHER_TYPES_SHOWN)
        self.other_title.setText(f"Call types in 'other': {len(other)} types, {n_other:,} calls")
        self.other_table.setRowCount(len(other))
        for i, (call_type, n) in enumerate(other):
            self.other_table.setItem(i, 0, QTableWidgetItem(call_type))
            self.other_table.setItem(i, 1, _right(_number(n)))
            combo = QComboBox()
            combo.addItem("choose…")
            for c in categories():
                if c != OTHER:
                    combo.addItem(c.replace("_", " "), c)
            combo.setToolTip("\n".join(f"{c.replace('_', ' ')}: {d}" for c, d in taxonomy().categories.items()
                                       if c != OTHER))
            combo.activated.connect(lambda index, t=call_type, cb=combo: self._assign(t, cb.itemData(index)))
            self.other_table.setCellWidget(i, 2, combo)
        self.other_table.resizeColumnToContents(1)

        self.rules_table.setRowCount(len(data.rules))
        for i, rule in enumerate(data.rules):
            self.rules_table.setItem(i, 0, QTableWidgetItem(rule.pattern))
            self.rules_table.setItem(i, 1, QTableWidgetItem(rule.category.replace("_", " ")))
        self.remove_rule_button.setEnabled(bool(data.rules))

    # ----------------------------------------------------------------------------------- rules
    def _assign(self, call_type: str, category: str | None) -> None:
        if category:
            # After the event: assigning rebuilds this table, combo box included.
            QTimer.singleShot(0, lambda: self.assign(call_type, category))

    def assign(self, call_type: str, category: str) -> None:
        """Put one call type in a category: a user rule, applied at once."""
        try:
            self.page.state.add_rule(rule_for_call_type(call_type, category))
        except PlannerError as e:
            show_error(self, "Could not add the rule", e)

    def add_rule_from_form(self) -> None:
        pattern = self.pattern_edit.text().strip()
        if not pattern:
            set_error(self.rule_error, "Type a pattern first: text found in the call types to place, e.g. ANIMAL.")
            return
        try:
            self.page.state.add_rule(CategoryRule(pattern, self.rule_category.currentData()))
        except PlannerError as e:
            set_error(self.rule_error, str(e))
            return
        set_error(self.rule_error, None)
        self.pattern_edit.clear()

    def remove_selected_rule(self) -> None:
        rows = sorted({i.row() for i in self.rules_table.selectedIndexes()})
        if not rows:
            set_error(self.rule_error, "Select a rule to remove.")
            return
        set_error(self.rule_error, None)
        self.page.state.remove_rule(rows[0])

    def choose_mapping_target(self) -> None:
        state = self.page.state
        start = str(state.path.with_name(f"{state.path.stem}.mapping.toml")) if state.path else last_folder()
        path, _ = QFileDialog.getSaveFileName(self, "Save mapping with rules", start, "Mapping files (*.toml)")
        if path:
            self.save_mapping(Path(path))

    def save_mapping(self, path: Path) -> None:
        try:
            self.page.state.save_mapping(path)
        except (PlannerError, OSError) as e:
            show_error(self, "Could not save the mapping", e)
            return
        self.page.window.statusBar().showMessage(f"Mapping saved to {path.name}", 5000)


def _right(text: str) -> QTableWidgetItem:
    item = QTableWidgetItem(text)
    item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
    return item


class DataPage(QWidget):
    """Import wizard and data-quality view."""

    def __init__(self, window: MainWindow):
        super().__init__()
        self.window = window
        self.state = window.state
        self.tabs = QTabWidget()
        self.wizard = ImportTab(self)
        self.quality = QualityTab(self)
        self.tabs.addTab(self.wizard, "1. Import a CAD export")
        self.tabs.addTab(self.quality, "2. Data quality and categories")
        self.tabs.currentChanged.connect(self._tab_changed)
        lay = QVBoxLayout(self)
        lay.addWidget(page_header(
            "Data", "Bring in last year's calls for service from your CAD system. Every row is accounted for: "
                    "imported, or rejected with its row number and the reason."))
        lay.addWidget(self.tabs, 1)
        self.state.dataChanged.connect(self._data_changed)
        self.state.opened.connect(self._file_changed)
        window.busyChanged.connect(self.wizard.set_busy)

    def _file_changed(self) -> None:
        self.wizard.reset()

    def _data_changed(self) -> None:
        data = self.state.data
        self.quality.refresh()
        if data is None:
            self.tabs.setCurrentWidget(self.wizard)
        else:
            self.wizard.show_source(data)
            self.tabs.setCurrentWidget(self.quality)

    def _tab_changed(self, _index: int) -> None:
        if self.tabs.currentWidget() is self.wizard:
            self.wizard.ensure_preview()
