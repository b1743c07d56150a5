"""Staffing & policy: responder types and their costs, service targets, units on duty, policy per category.

Every edit is checked by the planner's own scenario validation before it is applied; an edit it refuses is
shown with the planner's message and the cell goes back to what it was. Edits are undoable.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from html import escape
from typing import TYPE_CHECKING, Any

import numpy as np
from PySide6.QtCore import Qt
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import (
    QAbstractItemView,
    QFrame,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QTabWidget,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from planner import charts
from planner.errors import ScenarioError
from planner.scenario import OUTCOMES
from planner.triage import positions_words, triage_staffing
from ui.project import categories, offered_load_by_hour, strip_where
from ui.scenario_bar import template_menu
from ui.widgets import (
    WARN_STYLE,
    ChartCanvas,
    error_label,
    note_label,
    page_header,
    scrolled,
    section_label,
    set_error,
)

if TYPE_CHECKING:
    from ui.window import MainWindow

SPEC_ROLE = Qt.ItemDataRole.UserRole + 1
READ_ONLY_BRUSH = QBrush(QColor("#F0F0F0"))

# Plain-word explanations, shown as tooltips on the column headers and in the glossary.
GLOSSARY = {
    "relief factor": "People needed to keep one post filled, allowing for leave, training and sickness. "
                     "Police studies put it around 1.6-1.8 for an 8-hour post: at 1.7, keeping 10 units on "
                     "the road around the clock takes 17 people per shift position.",
    "fallback wait": "How long a call that triage found safe for a civilian unit may wait for one to come "
                     "free before an officer is sent instead.",
    "eligible share": "The share of this category's calls that triage finds safe for this type of unit. "
                      "A call safe for a social worker alone is also safe for a co-responder; the rest "
                      "of the calls are officer only.",
    "rule of 60": "Most of its time a unit may be committed to calls. For officers, the 'rule of 60' keeps "
                  "it at or under 60%, leaving time for proactive work and for the next emergency.",
    "offered load": "How many units are busy on calls at once, on average: calls per hour times the hours "
                    "each call keeps a unit busy. Units on duty must cover it with room to spare, or calls "
                    "wait.",
    "answer within": "The service target: a unit should be free to take a call within this many minutes, "
                     "for the share of calls in the next column.",
    "on-scene multiplier": "How much longer (above 1) or shorter (below 1) this type of unit stays on scene "
                           "than an officer would on the same call; mental-health calls often take longer "
                           "when handled with care rather than speed.",
    "on-scene minutes": "Time on scene for this category when the export has no arrival and clear times. "
                        "Leave it blank to use the times measured in the export.",
    "outcome": "The share of calls answered by this type of unit that end in this outcome; it drives the "
               "downstream costs (arrests, jail bookings, ER transports).",
    "backup rate": "The share of this category's calls answered by this type of unit on which it calls an "
                   "officer to the scene for backup. The officer's time is counted against the hours freed. "
                   "Blank: 0.6% wherever the type may take the calls (CAHOOTS, 2019: police backup about 150 "
                   "times in about 24,000 calls).",
}


@dataclass(frozen=True)
class Cell:
    """Where an editable cell's value lives in the scenario table, and how to read what was typed."""

    path: tuple[str, ...]
    kind: str                 # text, number, money, share, list, hour
    what: str                 # the edit in words, for undo and messages
    hour: int = -1


def parse_value(text: str, kind: str) -> Any:
    """What the user typed as a TOML value: blank removes the setting (its default applies); text that is not
    a number is passed on as is, so the planner's validation names it."""
    t = text.strip()
    if t == "":
        return None
    if kind == "text":
        return t
    if kind == "list":
        return [parse_value(p, "number") for p in re.split(r"[,;\s]+", t) if p]
    s = t.replace(",", "").replace("$", "").strip()
    percent = s.endswith("%")
    if percent:
        s = s[:-1].strip()
    try:
        value: float | int = int(s)
    except ValueError:
        try:
            value = float(s)
        except ValueError:
            return t
    return value / 100 if percent else value


def set_in(table: dict[str, Any], path: tuple[str, ...], value: Any) -> None:
    """Set (or, for None, remove) a value deep in the scenario table; emptied sub-tables are removed."""
    nodes = [table]
    for key in path[:-1]:
        nxt = nodes[-1].get(key)
        if not isinstance(nxt, dict):
            if value is None:
                return
            nxt = nodes[-1][key] = {}
        nodes.append(nxt)
    if value is None:
        nodes[-1].pop(path[-1], None)
        for depth in range(len(path) - 1, 1, -1):  # keep top-level sections and responder tables
            if not nodes[depth]:
                nodes[depth - 1].pop(path[depth - 1], None)
    else:
        nodes[-1][path[-1]] = value


def fmt(value: Any, kind: str = "number") -> str:
    if value is None:
        return ""
    if kind == "money":
        return f"{value:,.0f}"
    if kind == "list":
        return ", ".join(f"{v:g}" for v in value)
    if isinstance(value, float | int | np.floating | np.integer):
        return f"{float(value):g}"
    return str(value)


def type_name(name: str) -> str:
    return name.replace("_", " ").replace("co responder", "co-responder")


def fit_height(table: QTableWidget, fit_width: bool = False) -> None:
    """Size a short table to its rows (and, if asked, its columns), so it needs no scroll bars."""
    table.resizeRowsToContents()
    frame = 2 * table.frameWidth()
    h = table.horizontalHeader().sizeHint().height() + table.verticalHeader().length() + frame
    table.setFixedHeight(h + 2)
    if fit_width:
        table.resizeColumnsToContents()
        table.setFixedWidth(table.verticalHeader().sizeHint().width() + table.horizontalHeader().length() + frame + 2)


class StaffingPage(QWidget):
    def __init__(self, window: MainWindow):
        super().__init__()
        self.window = window
        self.state = window.state
        self._updating = False

        self.scenario_label = QLabel()
        self.scenario_label.setWordWrap(True)
        self.source_label = QLabel()
        self.source_label.setWordWrap(True)
        self.source_label.setStyleSheet("color: #555555;")
        self.source_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.templates_button = QToolButton()
        self.templates_button.setText("Programme templates")
        self.templates_button.setToolTip("Add a scenario modelled on a programme this field grew from (CAHOOTS, "
                                         "STAR, RIGHT Care, Columbus's 911 triage pod, Bloomington, B-HEARD, a co-responder car): the "
                                         "baseline with that team, sized to your city's calls. Hover over one "
                                         "for its figures, sources and assumptions.")
        self.templates_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        self.templates_menu = template_menu(self, lambda t: self.window.scenario_bar.add_template(t))
        self.templates_button.setMenu(self.templates_menu)
        self.error = error_label()
        self.proposal = self._proposal_banner()

        self.responders = self._table()
        self.targets = self._table()
        self.hours = self._table()
        self.policy = self._table()
        self.outcomes = self._table()
        for t in (self.responders, self.targets, self.hours, self.policy, self.outcomes):
            t.itemChanged.connect(self._item_changed)
        self.duty_chart = ChartCanvas(min_height=220)
        self.triage_title = section_label("Call-taking triage in the 911 centre")
        self.triage_note = note_label()

        glossary = QLabel("<br>".join(f"<b>{k.capitalize()}</b>: {v}" for k, v in GLOSSARY.items()
                                      if k in ("relief factor", "rule of 60", "answer within", "offered load")))
        glossary.setWordWrap(True)
        glossary.setStyleSheet("color: #333333;")

        tab1 = QWidget()
        lay = QVBoxLayout(tab1)
        lay.addWidget(section_label("Responder types and what they cost"))
        lay.addWidget(self.responders)
        lay.addWidget(section_label("Service targets"))
        lay.addWidget(self.targets, 0, Qt.AlignmentFlag.AlignLeft)
        lay.addWidget(self.triage_title)
        lay.addWidget(self.triage_note)
        lay.addSpacing(8)
        lay.addWidget(glossary)
        lay.addStretch(1)

        tab2 = QWidget()
        lay = QVBoxLayout(tab2)
        hint = QLabel("Units on duty at each hour of the day, every day (the minimum is what the optimiser must "
                      "keep). Type a number in a cell to change that hour. Staffing given as shift blocks, or "
                      "varying by day of the week, is shown as the weekly average and edited in the file.")
        hint.setWordWrap(True)
        lay.addWidget(hint)
        lay.addWidget(self.hours)
        lay.addWidget(self.duty_chart, 1)

        tab3 = QWidget()
        lay = QVBoxLayout(tab3)
        hint = QLabel("Who may answer each category's calls and what follows. Shares are between 0 and 1 "
                      "(typing 55% works too); a blank cell uses the default. Hover over a column heading for "
                      "what it means.")
        hint.setWordWrap(True)
        lay.addWidget(hint)
        lay.addWidget(section_label("Who may answer, and for how long"))
        lay.addWidget(self.policy, 0, Qt.AlignmentFlag.AlignLeft)
        lay.addWidget(section_label("Outcomes: share of the calls each type answers that end this way"))
        lay.addWidget(self.outcomes, 0, Qt.AlignmentFlag.AlignLeft)
        lay.addStretch(1)

        self.tabs = QTabWidget()
        self.tabs.addTab(scrolled(tab1), "Responders and targets")
        self.tabs.addTab(scrolled(tab2), "Units on duty")
        self.tabs.addTab(scrolled(tab3), "Policy by category")

        lay = QVBoxLayout(self)
        lay.addWidget(page_header(
            "Staffing & policy", "Who responds, what they cost, how many are on duty, and which calls each "
                                 "may take, for the scenario chosen above. Change a value by typing in its cell; "
                                 "Edit > Undo takes it back."))
        top = QHBoxLayout()
        about = QVBoxLayout()
        about.addWidget(self.scenario_label)
        about.addWidget(self.source_label)
        top.addLayout(about, 1)
        top.addWidget(self.templates_button, 0, Qt.AlignmentFlag.AlignTop)
        lay.addLayout(top)
        lay.addWidget(self.proposal)
        lay.addWidget(self.error)
        lay.addWidget(self.tabs, 1)
        self.state.scenarioChanged.connect(self.refresh)
        self.state.dataChanged.connect(self._draw_duty_chart)
        self.state.dataChanged.connect(self._fill_triage)
        self.refresh()

    def _proposal_banner(self) -> QFrame:
        """The banner over a baseline proposed from the calls: confirm it, or enter the department's roster."""
        frame = QFrame()
        frame.setObjectName("proposal")
        frame.setStyleSheet("QFrame#proposal { " + WARN_STYLE + " }")
        self.proposal_text = note_label(
            "<b>This baseline is a proposal, not your roster.</b> coplan sized it from your calls: the officers "
            "needed in each hour of the week to answer 80% of calls within 10 minutes (Erlang C) with officers on "
            "calls at most 60% of their time (the rule of 60), as shifts a department can run. Enter the officers "
            "your department actually has on duty, or confirm the proposal, before comparing options: every "
            "option is measured against this baseline.")
        self.proposal_text.setStyleSheet("color: #5A3B00; border: none; background: transparent;")
        self.proposal_text.setTextFormat(Qt.TextFormat.RichText)
        self.enter_button = QPushButton("Enter our roster by hour")
        self.enter_button.setToolTip("Turn the proposed shifts into officers on duty by hour of the day (the most "
                                     "at each hour), and open the Units on duty tab to type your own numbers")
        self.enter_button.clicked.connect(self.enter_roster)
        self.confirm_button = QPushButton("Confirm this roster")
        self.confirm_button.setToolTip("Keep the officers as they are now as the department's roster (the banner "
                                       "goes; Edit > Undo brings it back)")
        self.confirm_button.clicked.connect(self.state.confirm_roster)
        lay = QHBoxLayout(frame)
        lay.setContentsMargins(8, 6, 8, 6)
        lay.addWidget(self.proposal_text, 1)
        buttons = QVBoxLayout()
        buttons.addWidget(self.enter_button)
        buttons.addWidget(self.confirm_button)
        lay.addLayout(buttons)
        frame.hide()
        return frame

    def enter_roster(self) -> None:
        """Officers by hour of the day, editable, on the Units on duty tab."""
        try:
            if self.state.scenario.responders["officer"].shifts:
                self.state.roster_by_hour()
        except ScenarioError as e:
            set_error(self.error, f"Not changed: {strip_where(str(e))}")
            return
        self.tabs.setCurrentIndex(1)

    @staticmethod
    def _table() -> QTableWidget:
        t = QTableWidget()
        t.setWordWrap(False)
        t.setAlternatingRowColors(True)
        t.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        t.setEditTriggers(QAbstractItemView.EditTrigger.DoubleClicked | QAbstractItemView.EditTrigger.EditKeyPressed
                          | QAbstractItemView.EditTrigger.AnyKeyPressed)
        t.horizontalHeader().setDefaultAlignment(Qt.AlignmentFlag.AlignCenter | Qt.AlignmentFlag.AlignVCenter)
        return t

    # ---------------------------------------------------------------------------------- cells
    @staticmethod
    def _put(table: QTableWidget, row: int, col: int, text: str, spec: Cell | None, tip: str = "") -> None:
        """Show a value in a cell, reusing its item (an item may be the one whose edit is being applied)."""
        item = table.item(row, col)
        if item is None:
            item = QTableWidgetItem()
            table.setItem(row, col, item)
        item.setText(text)
        item.setData(SPEC_ROLE, spec)
        flags = item.flags() | Qt.ItemFlag.ItemIsEditable
        if spec is None:
            flags &= ~Qt.ItemFlag.ItemIsEditable
        item.setFlags(flags)
        item.setBackground(READ_ONLY_BRUSH if spec is None else QBrush())
        align = Qt.AlignmentFlag.AlignLeft if spec is not None and spec.kind == "text" else Qt.AlignmentFlag.AlignRight
        item.setTextAlignment(align | Qt.AlignmentFlag.AlignVCenter)
        item.setToolTip(tip)

    @staticmethod
    def _headers(table: QTableWidget, headers: list[tuple[str, str]]) -> None:
        table.setColumnCount(len(headers))
        for i, (text, tip) in enumerate(headers):
            item = QTableWidgetItem(text)
            if tip:
                item.setToolTip(tip)
            table.setHorizontalHeaderItem(i, item)

    # -------------------------------------------------------------------------------- showing
    def refresh(self) -> None:
        self._updating = True
        try:
            s = self.state.scenario
            desc = f" — {s.description}" if s.description else ""
            self.scenario_label.setText(f"<b>Scenario:</b> {escape(s.name)}{escape(desc)}")
            self.source_label.setText(f"Where its figures come from: {s.source}" if s.source else "")
            self.source_label.setVisible(bool(s.source))
            self.proposal.setVisible(self.state.is_proposal())
            self._fill_responders()
            self._fill_targets()
            self._fill_hours()
            cols = self._policy_columns()
            self._fill_policy(self.policy, [c for c in cols if c[0][0] != "outcomes"])
            self._fill_policy(self.outcomes, [c for c in cols if c[0][0] == "outcomes"])
            self._draw_duty_chart()
            self._fill_triage()
        finally:
            self._updating = False

    def _fill_triage(self) -> None:
        """What the scenario's [triage] table screens and resolves, and the call-takers Erlang C gives it."""
        t = self.state.scenario.triage
        self.triage_title.setVisible(t is not None)
        self.triage_note.setVisible(t is not None)
        if t is None:
            return
        cats = ", ".join(c.replace("_", " ") for c in t.categories)
        text = (f"<b>{escape(t.label)}</b> screens every {escape(cats)} call by phone ({t.phone_minutes:g} minutes "
                f"each) and resolves <b>{t.share_resolved:.0%}</b> of them with no unit sent. Call-taker positions "
                f"are staffed by Erlang C so that {t.share_within:.0%} of calls are answered within "
                f"{t.answer_seconds:g} seconds; each costs ${t.cost_per_position:,.0f} a year per person, relief "
                f"factor {t.relief_factor:g}.")
        data = self.state.data
        if data is not None and len(data.profile.rates_per_hour) == 168:
            plan = triage_staffing(t, data.profile.rates_per_hour * self.state.scenario.data.growth)
            text += (f" On these calls: <b>{plan.screened_per_year:,.0f}</b> screened a year, "
                     f"<b>{plan.resolved_per_year:,.0f}</b> resolved by phone; {positions_words(plan)} on duty, "
                     f"{plan.headcount:.1f} people, "
                     f"<b>${plan.annual_cost:,.0f} a year</b>.")
        if t.source:
            text += f"<br><span style='color:#555555'>Source: {escape(t.source)}</span>"
        text += " Edit the <code>[triage]</code> table in the scenario file to change it."
        self.triage_note.setText(text)

    def _fill_responders(self) -> None:
        s = self.state.scenario
        cols = [("label", "Label", "text", ""),
                ("people_per_unit", "People\nper unit", "number", "People in one unit (a co-responder car: 2)"),
                ("cost_per_person", "Cost per person\n($ a year)", "money", "Fully loaded: pay, benefits, pension"),
                ("overhead_per_unit", "Overhead per unit\n($ a year)", "money", "Vehicle, equipment, supervision"),
                ("relief_factor", "Relief\nfactor", "number", GLOSSARY["relief factor"]),
                ("travel_minutes", "Travel\n(minutes)", "number", "Typical drive time to a call"),
                ("shift_hours", "Shift lengths\n(hours)", "list", "Shift lengths the optimiser may use, e.g. 8, 10, 12")]
        t = self.responders
        self._headers(t, [(h, tip) for _, h, _, tip in cols] + [
            ("Cost of one post\n($ a year)", "Keeping one unit on one post all year: people per unit x relief "
                                             "factor x cost per person + overhead")])
        t.setRowCount(len(s.responders))
        t.setVerticalHeaderLabels([type_name(n) for n in s.responders])
        for row, (name, r) in enumerate(s.responders.items()):
            for col, (key, header, kind, _tip) in enumerate(cols):
                value = getattr(r, key)
                what = f"{header.replace(chr(10), ' ')} of {type_name(name)}"
                self._put(t, row, col, fmt(value, kind), Cell(("responders", name, key), kind, what))
            self._put(t, row, len(cols), fmt(r.annual_cost_per_post, "money"), None)
        self._finish(t, stretch=0)

    def _fill_targets(self) -> None:
        s = self.state.scenario
        cols = [("answer_minutes", "Answer within\n(minutes)", s.targets.answer_minutes, GLOSSARY["answer within"]),
                ("share_within", "Share of calls\nwithin (0-1)", s.targets.share_within,
                 "The share of calls for which a unit should be free within the time on the left"),
                ("max_occupancy", "Most time on calls\n(0-1; rule of 60)", s.targets.max_occupancy,
                 GLOSSARY["rule of 60"])]
        t = self.targets
        self._headers(t, [(h, tip) for _, h, _, tip in cols])
        t.setRowCount(len(s.responders))
        t.setVerticalHeaderLabels([type_name(n) for n in s.responders])
        for row, name in enumerate(s.responders):
            for col, (key, header, values, _tip) in enumerate(cols):
                what = f"{header.replace(chr(10), ' ')} for {type_name(name)}"
                self._put(t, row, col, fmt(values[name]), Cell(("responders", name, key), "number", what))
        self._finish(t, stretch=None, fit_width=True)

    def _draw_duty_chart(self) -> None:
        data = self.state.data
        s = self.state.scenario
        load = offered_load_by_hour(data, s.data.exclude_categories) if data is not None else None
        self.duty_chart.show_chart(charts.units_on_duty, s, offered_load=load)

    def _fill_hours(self) -> None:
        s = self.state.scenario
        raw = self.state.table.get("responders", {})
        t = self.hours
        self._headers(t, [(f"{h:02d}", f"{h:02d}:00-{h:02d}:59. " + GLOSSARY["offered load"]) for h in range(24)])
        rows = [(name, field) for name in s.responders for field in ("on_duty", "min_on_duty")]
        t.setRowCount(len(rows))
        t.setVerticalHeaderLabels([f"{type_name(n)}: {'on duty' if f == 'on_duty' else 'minimum'}" for n, f in rows])
        for row, (name, field) in enumerate(rows):
            r = s.responders[name]
            week = r.on_duty(60) if field == "on_duty" else r.min_on_duty_by_hour
            grid = np.asarray(week, dtype=float).reshape(7, 24)
            same_every_day = bool((grid == grid[0]).all())
            by_shift = field == "on_duty" and bool(r.shifts)
            editable = same_every_day and not by_shift and isinstance(raw.get(name, {}).get(field, 0), int | float | list)
            values = grid[0] if same_every_day else grid.mean(axis=0)
            tip = ""
            if by_shift:
                tip = "Staffed by shift blocks (" + "; ".join(b.label() for b in r.shifts) + "): weekly average shown"
            elif not same_every_day:
                tip = "Varies by day of the week: weekly average shown; edit it in the scenario file"
            for h in range(24):
                text = f"{values[h]:g}" if editable else f"{values[h]:.1f}".rstrip("0").rstrip(".")
                what = f"{'units on duty' if field == 'on_duty' else 'minimum units'} of {type_name(name)} at {h:02d}:00"
                spec = Cell(("responders", name, field), "hour", what, hour=h) if editable else None
                self._put(t, row, h, text, spec, tip)
        t.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        t.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        fit_height(t)

    def _policy_columns(self) -> list[tuple[tuple[str, ...], str, str, str]]:
        s = self.state.scenario
        civilian = s.civilian_types
        cols: list[tuple[tuple[str, ...], str, str, str]] = []
        for typ in civilian:
            cols.append((("eligible", typ), f"Safe for\n{type_name(typ)}", "share", GLOSSARY["eligible share"]))
        cols.append((("fallback_wait_minutes",), "Fallback wait\n(minutes)", "number", GLOSSARY["fallback wait"]))
        cols.append((("on_scene_minutes",), "On scene\n(minutes)", "number", GLOSSARY["on-scene minutes"]))
        for typ in civilian:
            cols.append((("on_scene_multiplier", typ), f"On-scene x\n{type_name(typ)}", "number",
                         GLOSSARY["on-scene multiplier"]))
        for typ in civilian:
            cols.append((("backup_rate", typ), f"Backup rate\n{type_name(typ)}", "share", GLOSSARY["backup rate"]))
        for typ in s.responders:
            for outcome in OUTCOMES:
                cols.append((("outcomes", typ, outcome), f"{type_name(typ)}:\n{outcome.replace('_', ' ')}", "share",
                             GLOSSARY["outcome"]))
        return cols

    def _fill_policy(self, t: QTableWidget, cols: list[tuple[tuple[str, ...], str, str, str]]) -> None:
        s = self.state.scenario
        self._headers(t, [(h, tip) for _, h, _, tip in cols])
        cats = categories()
        t.setRowCount(len(cats))
        t.setVerticalHeaderLabels([c.replace("_", " ") for c in cats])
        excluded = set(s.data.exclude_categories)
        for row, cat in enumerate(cats):
            p = s.policy_for(cat)
            for col, (key, header, kind, _tip) in enumerate(cols):
                value: Any
                if key[0] == "eligible":
                    value = p.eligible.get(key[1])
                elif key[0] == "fallback_wait_minutes":
                    value = p.fallback_wait_minutes if p.eligible else (p.fallback_wait_minutes or None)
                elif key[0] == "on_scene_minutes":
                    value = p.on_scene_minutes
                elif key[0] == "on_scene_multiplier":
                    value = p.on_scene_multiplier.get(key[1])
                elif key[0] == "backup_rate":
                    value = p.backup_rate.get(key[1])
                else:
                    value = p.outcomes.get(key[1], {}).get(key[2])
                what = f"{header.replace(chr(10), ' ')} for {cat.replace('_', ' ')}"
                tip = "Officer time that is not demand (excluded in the scenario's data section)" if cat in excluded else ""
                self._put(t, row, col, fmt(value), Cell(("policy", cat, *key), kind, what), tip)
            if cat in excluded:
                t.verticalHeaderItem(row).setForeground(QBrush(QColor("#888888")))
        self._finish(t, stretch=None, fit_width=True)

    @staticmethod
    def _finish(t: QTableWidget, stretch: int | None, fit: bool = True, fit_width: bool = False) -> None:
        header = t.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        if stretch is not None:
            header.setSectionResizeMode(stretch, QHeaderView.ResizeMode.Stretch)
        else:
            header.setStretchLastSection(False)
        t.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        if fit:
            fit_height(t, fit_width)

    # -------------------------------------------------------------------------------- editing
    def _item_changed(self, item: QTableWidgetItem) -> None:
        if self._updating:
            return
        spec: Cell | None = item.data(SPEC_ROLE)
        if spec is None:
            return
        if spec.kind == "hour":
            t = item.tableWidget()
            row = [parse_value(t.item(item.row(), h).text(), "number") for h in range(24)]
            row = [0 if v is None else v for v in row]
            value: Any = row[0] if all(v == row[0] for v in row) else row
        else:
            value = parse_value(item.text(), spec.kind)
        self.apply_edit(spec, value)

    def apply_edit(self, spec: Cell, value: Any) -> bool:
        """Change one setting through the planner's validation; refused with its message when invalid."""
        try:
            self.state.edit(lambda table: set_in(table, spec.path, value), f"Change {spec.what}")
        except ScenarioError as e:
            set_error(self.error, f"Not changed — {spec.what}: {strip_where(str(e))}")
            self.refresh()   # the cell goes back to the value in force
            return False
        set_error(self.error, None)
        return True

    def cell_for(self, table: QTableWidget, row_label: str, column_path: tuple[str, ...]) -> QTableWidgetItem:
        """The item showing a setting (for tests and scripts): the row by its label, the column by its key."""
        for r in range(table.rowCount()):
            if table.verticalHeaderItem(r).text() != row_label:
                continue
            for c in range(table.columnCount()):
                item = table.item(r, c)
                spec = item.data(SPEC_ROLE) if item else None
                if spec is not None and spec.path[-len(column_path):] == column_path:
                    return item
        raise KeyError(f"no cell {row_label!r} / {column_path}")

