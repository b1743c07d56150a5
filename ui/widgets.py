"""Small building blocks the pages share: a chart canvas, tables, page headers, notes and messages."""

from __future__ import annotations

import warnings
from collections.abc import Callable
from typing import Any

import pandas as pd
from matplotlib.backends.backend_qtagg import FigureCanvasQTAgg
from matplotlib.figure import Figure
from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import (
    QAbstractItemView,
    QFrame,
    QLabel,
    QScrollArea,
    QSizePolicy,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

ERROR_STYLE = "color: #B00020; background: #FDECEA; border: 1px solid #F5C2C0; border-radius: 3px; padding: 6px;"


class ChartCanvas(FigureCanvasQTAgg):
    """A matplotlib Figure in a widget; `show_chart(fn, data)` redraws it with a planner chart function.

    A chart given to a hidden canvas (another page, another tab) is drawn when the canvas is first shown:
    the window spends no time on pictures nobody is looking at.
    """

    def __init__(self, parent: QWidget | None = None, *, min_width: int = 320, min_height: int = 240):
        super().__init__(Figure(layout="constrained"))
        self.setParent(parent)
        self.setMinimumSize(min_width, min_height)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.chart: Callable[..., None] | None = None
        self._pending: tuple[Callable[..., None], Any, dict[str, Any]] | None = None

    def show_chart(self, chart: Callable[..., None], data: Any, **options: Any) -> None:
        """Draw `chart(data, ax, **options)` on a cleared figure: now if the canvas is shown, else when it is."""
        self.chart = chart
        self._pending = (chart, data, options)
        if self.isVisible():
            self.render_chart()

    def render_chart(self) -> Figure:
        """Lay out the chart given last, if it is not drawn yet; the figure."""
        if self._pending is not None:
            chart, data, options = self._pending
            self._pending = None
            self.figure.clear()
            ax = self.figure.add_subplot()
            chart(data, ax, **options)
            self.draw_idle()
        return self.figure

    def clear_chart(self) -> None:
        self._pending = None
        self.figure.clear()
        self.chart = None
        self.draw_idle()

    def showEvent(self, event: Any) -> None:
        super().showEvent(event)
        self.render_chart()

    def draw(self) -> None:
        # While a window is being resized a canvas can be too small for its labels for a moment; matplotlib
        # then skips the layout with a warning. The next paint at the real size lays it out properly.
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message="constrained_layout not applied")
            super().draw()


class FrameModel(QAbstractTableModel):
    """A read-only table model over a DataFrame; values are formatted when shown, so large frames are cheap."""

    def __init__(self, frame: pd.DataFrame | None = None, headers: list[str] | None = None,
                 parent: Any = None):
        super().__init__(parent)
        self._frame = frame if frame is not None else pd.DataFrame()
        self._headers = headers
        self._first_row = 1

    def set_frame(self, frame: pd.DataFrame, headers: list[str] | None = None, first_row: int = 1) -> None:
        """Show `frame`; rows are numbered from `first_row` (2 for a file's records: the header is row 1)."""
        self.beginResetModel()
        self._frame = frame
        self._headers = headers
        self._first_row = first_row
        self.endResetModel()

    @property
    def frame(self) -> pd.DataFrame:
        return self._frame

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._frame)

    def columnCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else self._frame.shape[1]

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole):
            return format_cell(self._frame.iat[index.row(), index.column()])
        if role == Qt.ItemDataRole.TextAlignmentRole:
            value = self._frame.iat[index.row(), index.column()]
            if isinstance(value, int | float) and not isinstance(value, bool):
                return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if role != Qt.ItemDataRole.DisplayRole:
            return None
        if orientation == Qt.Orientation.Horizontal:
            if self._headers is not None and section < len(self._headers):
                return self._headers[section]
            return str(self._frame.columns[section])
        return str(section + self._first_row)


def format_cell(value: Any) -> str:
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return ""
    if isinstance(value, float):
        return f"{value:,.2f}".rstrip("0").rstrip(".")
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return str(value)


def page_header(title: str, text: str) -> QWidget:
    """A page's title and one or two lines on what to do there."""
    w = QWidget()
    lay = QVBoxLayout(w)
    lay.setContentsMargins(0, 0, 0, 4)
    lay.setSpacing(2)
    t = QLabel(title)
    font = t.font()
    font.setPointSizeF(font.pointSizeF() * 1.35)
    font.setBold(True)
    t.setFont(font)
    lay.addWidget(t)
    d = QLabel(text)
    d.setWordWrap(True)
    d.setStyleSheet("color: #444444;")
    lay.addWidget(d)
    return w


def section_label(text: str) -> QLabel:
    label = QLabel(text)
    font = label.font()
    font.setBold(True)
    label.setFont(font)
    return label


def error_label() -> QLabel:
    """A label for an inline error message; hidden while it has nothing to say."""
    label = QLabel()
    label.setWordWrap(True)
    label.setStyleSheet(ERROR_STYLE)
    label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    label.hide()
    return label


def set_error(label: QLabel, message: str | None) -> None:
    label.setText(message or "")
    label.setVisible(bool(message))


def scrolled(widget: QWidget) -> QScrollArea:
    """A page part in a scroll area, so a small window scrolls it instead of growing to fit it."""
    area = QScrollArea()
    area.setWidget(widget)
    area.setWidgetResizable(True)
    area.setFrameShape(QFrame.Shape.NoFrame)
    return area


INFO_STYLE = "color: #1F3A4D; background: #EAF3FA; border: 1px solid #BFD8EA; border-radius: 3px; padding: 6px;"
WARN_STYLE = "color: #5A3B00; background: #FFF4DC; border: 1px solid #F0D49A; border-radius: 3px; padding: 6px;"
# An alarm: an overloaded scenario, whose figures are not a result (planner.overload).
ALARM_STYLE = ("color: #FFFFFF; background: #B00020; border: 1px solid #8C0019; border-radius: 3px; padding: 8px; "
               "font-weight: normal;")
GOOD_COLOUR = "#1B5E20"
BAD_COLOUR = "#B00020"
NOISE_COLOUR = "#666666"


def note_label(text: str = "", style: str | None = None) -> QLabel:
    """A wrapped, selectable line of explanation (grey, or in a coloured box when `style` is given)."""
    label = QLabel(text)
    label.setWordWrap(True)
    label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    label.setStyleSheet(style or "color: #444444;")
    return label


def read_only_table(headers: list[str]) -> QTableWidget:
    """A table for results: not editable, rows selectable, alternating colours, no row numbers."""
    table = QTableWidget(0, len(headers))
    table.setHorizontalHeaderLabels(headers)
    table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
    table.setAlternatingRowColors(True)
    table.verticalHeader().hide()
    table.setWordWrap(False)
    return table


def cell(text: str, *, tip: str = "", right: bool = False, bold: bool = False, colour: str | None = None,
         italic: bool = False) -> QTableWidgetItem:
    item = QTableWidgetItem(text)
    if tip:
        item.setToolTip(tip)
    if right:
        item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
    if bold or italic:
        font = item.font()
        font.setBold(bold)
        font.setItalic(italic)
        item.setFont(font)
    if colour:
        item.setForeground(QBrush(QColor(colour)))
    return item


def section_row(table: QTableWidget, text: str) -> None:
    """A bold row that heads a group of rows, across the whole table."""
    row = table.rowCount()
    table.insertRow(row)
    item = cell(text, bold=True)
    item.setBackground(QBrush(QColor("#E8ECEF")))
    table.setItem(row, 0, item)
    if table.columnCount() > 1:
        table.setSpan(row, 0, 1, table.columnCount())


def add_row(table: QTableWidget, items: list[QTableWidgetItem]) -> int:
    row = table.rowCount()
    table.insertRow(row)
    for col, item in enumerate(items):
        table.setItem(row, col, item)
    return row


def table_text(table: QTableWidget) -> list[list[str]]:
    """Every cell's text, row by row (for tests and copying)."""
    return [[table.item(r, c).text() if table.item(r, c) else "" for c in range(table.columnCount())]
            for r in range(table.rowCount())]


def form_row(form: Any, text: str, field: QWidget) -> None:
    """A form row whose label explains itself as the field does (hovering either shows the tooltip)."""
    label = QLabel(text)
    label.setToolTip(field.toolTip())
    label.setBuddy(field)
    form.addRow(label, field)


def overload_html(name: str, reasons: list[str], *, role: str = "") -> str:
    """The red banner's words for one overloaded scenario: that it is, and why, the hours of the week over
    capacity first (planner.overload words every reason)."""
    from html import escape

    why = "; ".join(reasons)
    return (f"<b>Overloaded: {escape(name)}</b>{escape(role)}. Officers cannot keep up, so its figures are not a "
            f"result: no officer hours freed and no savings are claimed. {escape(why[:1].upper() + why[1:])}.")


def overload_banner() -> QLabel:
    """A red banner for overloaded scenarios; hidden while every scenario shown is sound."""
    label = note_label(style=ALARM_STYLE)
    label.setTextFormat(Qt.TextFormat.RichText)
    label.hide()
    return label
