"""Demand: when calls arrive, of what kind, how many per week, and how long they keep a unit on scene."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QComboBox,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from planner import charts
from planner.charts import DAY_NAMES, category_label
from planner.demand import availability_chart, availability_words, eligible_without_civilian
from ui.project import offered_load_by_hour
from ui.widgets import ChartCanvas, page_header, scrolled

if TYPE_CHECKING:
    from ui.project import CallData
    from ui.window import MainWindow

OFFERED_LOAD_TIP = (
    "Offered load: how many units are busy on calls at once, on average, if every call were answered at "
    "once. It is the calls per hour times the hours each call keeps units busy (dispatch to clear, all "
    "units counted). Staffing must cover it with room to spare, or calls wait.")
AVAILABILITY_TIP = (
    "NYC's B-HEARD teams reached only 65% of the calls eligible for them (FY22-24, NYC Comptroller audit "
    "MG24-060A), largely because no team was on duty when they came: more than 14,000 eligible calls fell in "
    "the 1am-9am hours. This chart lays the current scenario's civilian shifts over the calls its policy makes "
    "eligible: red is eligible calls arriving in an hour with no civilian unit on duty to take them.")


class DemandPage(QWidget):
    def __init__(self, window: MainWindow):
        super().__init__()
        self.window = window
        self.state = window.state
        self._stale = True

        self.summary = QLabel()
        self.summary.setWordWrap(True)
        self.summary.setToolTip(OFFERED_LOAD_TIP)
        self.category_combo = QComboBox()
        self.category_combo.setToolTip("Draw the heatmap for all calls or for one category")
        self.category_combo.currentIndexChanged.connect(self._draw_heatmap)
        self.period_combo = QComboBox()
        self.period_combo.addItem("week", "week")
        self.period_combo.addItem("month", "month")
        self.period_combo.currentIndexChanged.connect(self._draw_volume)
        controls = QHBoxLayout()
        controls.addWidget(QLabel("Heatmap of:"))
        controls.addWidget(self.category_combo)
        controls.addSpacing(24)
        controls.addWidget(QLabel("Calls per:"))
        controls.addWidget(self.period_combo)
        controls.addStretch(1)

        self.heatmap = ChartCanvas()
        self.by_category = ChartCanvas()
        self.volume = ChartCanvas()
        self.on_scene = ChartCanvas()
        self.availability = ChartCanvas()
        self.availability.setToolTip(AVAILABILITY_TIP)
        self.availability.setMinimumHeight(170)
        grid = QGridLayout()
        grid.addWidget(self.heatmap, 0, 0)
        grid.addWidget(self.by_category, 0, 1)
        grid.addWidget(self.volume, 1, 0)
        grid.addWidget(self.on_scene, 1, 1)
        grid.addWidget(self.availability, 2, 0, 1, 2)
        grid.setColumnStretch(0, 1)
        grid.setColumnStretch(1, 1)
        grid.setRowStretch(0, 3)
        grid.setRowStretch(1, 3)
        grid.setRowStretch(2, 2)
        charts_page = QWidget()
        lay = QVBoxLayout(charts_page)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.addWidget(self.summary)
        lay.addLayout(controls)
        lay.addLayout(grid, 1)

        empty = QLabel("No calls yet. Import a CAD export on the Data page to see when calls arrive.")
        empty.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.stack = QStackedWidget()
        self.stack.addWidget(empty)
        # Five charts and a summary need more height than a small window has: the page scrolls instead.
        self.stack.addWidget(scrolled(charts_page))

        lay = QVBoxLayout(self)
        lay.addWidget(page_header(
            "Demand", "When calls arrive, of what kind, and how long they keep units busy: the demand a "
                      "staffing plan has to meet. Greyed categories are officer time that is not a call for "
                      "service (set in the scenario's data section)."))
        lay.addWidget(self.stack, 1)
        self.state.dataChanged.connect(self._changed)
        self.state.scenarioChanged.connect(self._scenario_changed)
        self._excluded = tuple(self.state.scenario.data.exclude_categories)

    # ------------------------------------------------------------------------------- updating
    def _changed(self) -> None:
        self._stale = True
        if self.isVisible():
            self.refresh()

    def _scenario_changed(self) -> None:
        excluded = tuple(self.state.scenario.data.exclude_categories)
        if excluded != self._excluded:
            self._excluded = excluded
            self._changed()
        elif self.state.data is not None and self.isVisible():
            # Shifts or policy changed: only the availability chart and its sentence depend on them.
            self.summary.setText(self._summary_text(self.state.data))
            self._draw_availability()
        else:
            self._stale = True

    def showEvent(self, event) -> None:  # noqa: ANN001 - Qt's signature
        super().showEvent(event)
        if self._stale:
            self.refresh()

    def refresh(self) -> None:
        """Redraw everything from the current calls."""
        self._stale = False
        data = self.state.data
        self.stack.setCurrentIndex(0 if data is None else 1)
        if data is None:
            return
        p = data.profile
        current = self.category_combo.currentData()
        self.category_combo.blockSignals(True)
        self.category_combo.clear()
        self.category_combo.addItem("all calls", None)
        for c in p.categories:
            if p.by_category.get(c, 0):
                self.category_combo.addItem(category_label(c), c)
        self.category_combo.setCurrentIndex(max(self.category_combo.findData(current), 0))
        self.category_combo.blockSignals(False)
        self.summary.setText(self._summary_text(data))
        self._draw_heatmap()
        self.by_category.show_chart(charts.calls_by_category, p, excluded=self._excluded)
        self._draw_volume()
        self.on_scene.show_chart(charts.time_on_scene, p)
        self._draw_availability()

    def _availability_table(self):  # noqa: ANN202 - a DataFrame, or None without calls
        data = self.state.data
        if data is None:
            return None
        s = self.state.scenario
        p = data.profile
        cats = [c for c in p.categories if c not in self._excluded and c in p.rates_per_hour.columns]
        if len(p.rates_per_hour) != 168:
            return None
        return eligible_without_civilian(s, p.rates_per_hour[cats] * s.data.growth)

    def _draw_availability(self) -> None:
        table = self._availability_table()
        if table is None:
            self.availability.clear_chart()
            return
        self.availability.show_chart(availability_chart, table)

    def _summary_text(self, data: CallData) -> str:
        p = data.profile
        hours = max(p.days * 24, 1e-9)
        total = int(p.by_category.sum())
        answered = int(p.by_category.drop(list(self._excluded), errors="ignore").sum())
        text = (f"<b>{total:,}</b> calls from {p.start:%d %b %Y} to {p.end:%d %b %Y} ({p.days:,.0f} days): "
                f"{total / hours:.1f} an hour on average; <b>{answered:,}</b> are calls a plan must answer.")
        load = offered_load_by_hour(data, self._excluded)
        if load is not None and len(load) == 168:
            peak = int(np.argmax(load))
            text += (f" <b>Offered load</b> (units busy on those calls at once): {load.mean():.1f} on average, "
                     f"{load.max():.1f} at the busiest hour ({DAY_NAMES[peak // 24]} {peak % 24:02d}:00).")
        table = self._availability_table()
        words = availability_words(table) if table is not None else ""
        if words:
            text += (f" Under <i>{self.state.current_name}</i>, <b>{words}</b> "
                     f"(red below: hours a roster leaves uncovered).")
        return text

    def _draw_heatmap(self) -> None:
        if self.state.data is not None:
            self.heatmap.show_chart(charts.hour_of_week_heatmap, self.state.data.profile,
                                    category=self.category_combo.currentData())

    def _draw_volume(self) -> None:
        if self.state.data is not None:
            self.volume.show_chart(charts.call_volume, self.state.data.profile,
                                   period=self.period_combo.currentData() or "week")
