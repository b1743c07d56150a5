"""Optimise: how many units of each type, on which shifts, taking which calls, for the current scenario.

The planner's optimiser (`planner.plan.optimise`) runs its solver in a child process; the job runs on the
worker with progress, and Cancel closes it, which ends the child. A failed solve is an answer: the status
and the engine's explanation (which type, which hours, how many units short, what to relax) are shown
in words. Results are the roster, units on duty by hour against the need, and the Pareto trade-off between
annual cost and officer hours freed, where a point's mix can be kept as a scenario.
"""

from __future__ import annotations

import math
from collections.abc import Generator
from html import escape
from typing import TYPE_CHECKING, Any

import numpy as np
from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QPushButton,
    QSpinBox,
    QSplitter,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from planner import result_charts as rc
from planner.compare import Evaluation, compare, format_value, plain_label
from planner.demand import build_demand
from planner.errors import PlannerError
from planner.importer import ImportResult
from planner.jobs import Progress
from planner.plan import PlanResult, optimise
from planner.result_charts import ScenarioPoint, WeekDuty, on_duty_vs_requirement, week_duty_chart
from planner.roster_view import watches
from planner.scenario import Scenario, days_label
from ui.errors import show_error
from ui.widgets import (
    ERROR_STYLE,
    INFO_STYLE,
    WARN_STYLE,
    ChartCanvas,
    add_row,
    cell,
    error_label,
    form_row,
    note_label,
    page_header,
    read_only_table,
    scrolled,
    set_error,
)
from ui.worker import JobProgress

if TYPE_CHECKING:
    from optimize import MixResult, ParetoPoint
    from ui.window import MainWindow

# The solver's outcomes (planner.plan.PlanResult.status); only the first two come with a plan.
OPTIMAL, FEASIBLE, INFEASIBLE, TIME_LIMIT = "optimal", "feasible", "infeasible", "time_limit"

OBJECTIVES = [
    ("Lowest annual cost that meets the targets", "min-cost"),
    ("Most officer hours freed for a budget", "max-hours-freed"),
]
PATROL = [
    ("held as it is", "hold"),
    ("re-rostered for what civilians leave", "re-roster"),
]
PICK_PIXELS = 14           # how near a click must be to a Pareto point to choose it
# The simulation check of every frontier point: short and few, so the frontier stays quick to draw.
CHECK = {"check_replications": 3, "check_horizon_days": 7.0, "check_iterations": 1}
POST_HOURS = 56.0
FRONTIER_TAB, ROSTER_TAB, DUTY_TAB = 0, 1, 2
POINT_COLUMNS = ["Civilian\nbudget", "Outcome", "Total cost\na year", "Officer hours\nfreed (predicted)",
                 "Simulated\n(95% interval)", "Civilian\nstaff cost", "Police-only P1\nresponse P90",
                 "Diverted calls\nresponse P90"]
POINT_TIPS = {3: "The queueing model's prediction for the plan the optimiser found at this budget",
              4: "The plan simulated (a short check: 3 replications of 7 days), officer hours freed a year with "
                 "its 95% interval",
              6: "Simulated 90th-percentile response time (minutes) of priority-1 calls only officers can take",
              7: "Simulated 90th-percentile response time (minutes) of calls a civilian unit may take"}
# A simulated frontier point's response times (planner.plan's pareto_simulated[budget]["response_minutes"],
# labelled as planner.plan.RESPONSE_SPLIT labels them), for the columns above.
RESPONSE_KEYS = {6: "police-only calls, priority 1, P90", 7: "diverted calls (civilian route), P90"}          # an 8-hour post every day of the week: what a loaded annual cost pays for


def optimise_job(scenario: Scenario, calls: ImportResult, **options: Any) -> Generator[Progress, None, PlanResult]:
    """Build the scenario's demand from the project's calls, then optimise (on the worker)."""
    yield Progress(0, 0, "building the demand")
    demand = build_demand(scenario, calls)
    return (yield from optimise(scenario, demand, **options))


def status_words(plan: PlanResult) -> tuple[str, str]:
    """The outcome of a solve in a sentence, and the style to show it in."""
    r = plan.result
    status = plan.status
    took = f"{r.solve_seconds:.1f} s"
    if status == OPTIMAL:
        return f"Best plan found (proven optimal) in {took}.", INFO_STYLE
    if status == FEASIBLE:
        gap = f"{r.gap:.1%}" if r.gap is not None and math.isfinite(r.gap) else "an unknown amount"
        return (f"A plan was found; the time limit stopped the search before it was proven best (it may be up "
                f"to {gap} from the best). A longer time limit narrows that.", WARN_STYLE)
    if status == INFEASIBLE:
        return "No plan meets the service targets within the limits. What stands in the way:", ERROR_STYLE
    if status == TIME_LIMIT:
        return f"The time limit ({took}) ran out before any plan was found. Give it more time.", ERROR_STYLE
    return f"The solver could not finish ({status}).", ERROR_STYLE


def roster_rows(plan: PlanResult) -> list[dict[str, Any]]:
    """One row per type and watch (start time and rotation): units, headcount and annual cost, priced as the optimiser
    and the cost model price them (people x relief factor x loaded cost per 8-hour post), and a row for the
    type's vehicles (one per unit on the street at its busiest hour)."""
    r = plan.result
    rows = []
    for t, pats in (r.units_by_pattern or {}).items():
        resp = plan.scenario.responders[t]
        per_post = resp.people_per_unit * resp.relief_factor * resp.cost_per_person
        # One row per watch (the units that start at one time on one rotation), as a department reads a roster.
        for w in watches({t: pats}, plan.patterns):
            members = [(plan.patterns[name], int(pats[name])) for name in w.patterns]
            days = ", ".join(days_label(p.days) for p, _ in members if sum(p.days) < 7 and p.teams == 1)
            rows.append({"type": t, "label": plain_label(resp.label),
                         "pattern": w.label + (f" ({days})" if days else ""), "units": w.units,
                         "headcount": w.units * resp.people_per_unit * resp.relief_factor,
                         "cost": sum(n * per_post * p.weekly_hours / POST_HOURS for p, n in members)})
        peak = int(round(float(np.max(r.on_duty[t], initial=0)))) if r.on_duty is not None else 0
        if pats and any(pats.values()) and resp.overhead_per_unit and peak:
            rows.append({"type": t, "label": plain_label(resp.label),
                         "pattern": f"vehicles and kit: {peak} (units on the street at the busiest hour)",
                         "units": 0, "headcount": 0.0, "cost": peak * resp.overhead_per_unit, "vehicles": True})
    return rows


def mix_words(plan: PlanResult, mix: MixResult) -> str:
    """'38 officer units, 14 social worker units' (types with units only)."""
    parts = []
    for t, n in (mix.units_by_type or {}).items():
        if n:
            label = plain_label(plan.scenario.responders[t].label).removesuffix(" unit")
            parts.append(f"{n} {label} unit{'s' if n != 1 else ''}")
    return ", ".join(parts) or "no units"


class OptimisePage(QWidget):
    def __init__(self, window: MainWindow):
        super().__init__()
        self.window = window
        self.state = window.state
        self.result: PlanResult | None = None
        self.points: list[ParetoPoint] = []      # Pareto points with a plan, cheapest first
        self.selected: ParetoPoint | None = None
        self.saved_name: str | None = None        # the last frontier point kept as a scenario (the report's plan)
        self.saved_budget: float | None = None

        # ---------------------------------------------------------------- settings
        self.objective = QComboBox()
        self.objective.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.objective.setMinimumContentsLength(20)
        for text, key in OBJECTIVES:
            self.objective.addItem(text, key)
        self.objective.setToolTip("Lowest cost: the cheapest staff of every type, downstream costs included, with "
                                  "patrol sized to its target (and the rule of 60) on the load civilian units leave "
                                  "it. Most hours freed: the civilian units a budget buys that free the most officer "
                                  "hours.")
        self.patrol = QComboBox()
        for text, key in PATROL:
            self.patrol.addItem(text, key)
        self.objective.currentIndexChanged.connect(self._update_controls)
        self.patrol.setToolTip("Most hours freed: keep patrol as the scenario has it ('if we hire N social workers, "
                               "how many officer hours come back'), or re-roster it at least cost for the load "
                               "civilian units leave it.")
        self.budget = QDoubleSpinBox()
        self.budget.setRange(0, 1e9)
        self.budget.setDecimals(0)
        self.budget.setSingleStep(50_000)
        self.budget.setPrefix("$ ")
        self.budget.setGroupSeparatorShown(True)
        self.budget.setSpecialValueText("none")
        self.budget.setToolTip("Civilian budget a year (social workers, co-responders). Most hours freed spends "
                               "up to it; the Pareto sweep tries budgets from $0 up to it. 'none' (0): no budget "
                               "(lowest cost only).")
        self.pareto = QSpinBox()
        self.pareto.setRange(0, 10)
        self.pareto.setToolTip("Pareto points: also solve at this many civilian budgets from $0 up to the "
                               "budget, to draw the trade-off between annual cost and officer hours freed. Each "
                               "budget takes up to a third of the time limit. 0: no trade-off chart.")
        self.time_limit = QSpinBox()
        self.time_limit.setRange(2, 3600)
        self.time_limit.setValue(20)
        self.time_limit.setSuffix(" s")
        self.time_limit.setToolTip("The most the solver may take. When it stops early, the plan says how far from "
                                   "proven best it may be (the gap).")
        self.simulate_check = QCheckBox("Check every plan by simulation")
        self.simulate_check.setChecked(True)
        self.simulate_check.setToolTip("Simulate the plan and every trade-off point (3 replications of 7 days: "
                                       "quick, with wide intervals) and show the simulated officer hours freed, "
                                       "with its 95% interval, beside the queueing model's prediction.")
        self.run_button = QPushButton("Optimise")
        self.run_button.setDefault(True)
        self.run_button.clicked.connect(self.run)
        self.progress = JobProgress(stacked=True)
        self.error = error_label()

        form = QFormLayout()
        form_row(form, "Aim:", self.objective)
        form_row(form, "Civilian budget:", self.budget)
        form_row(form, "Patrol:", self.patrol)
        form_row(form, "Trade-off points:", self.pareto)
        form_row(form, "Time limit:", self.time_limit)
        form.addRow("", self.simulate_check)
        box = QGroupBox("What to optimise")
        lay = QVBoxLayout(box)
        lay.addLayout(form)
        row = QHBoxLayout()
        row.addStretch(1)
        row.addWidget(self.run_button)
        lay.addLayout(row)

        # ---------------------------------------------------------------- outcome
        self.for_label = note_label()
        self.status = note_label()
        self.status.hide()
        self.explanation = note_label()
        self.explanation.setObjectName("explanation")
        self.explanation.hide()
        self.summary = read_only_table(["Type", "Units", "People", "Staff cost a year"])
        self.summary.horizontalHeaderItem(2).setToolTip("Headcount: units x people per unit x relief factor")
        self.summary.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        self.summary.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
        self.use_plan_button = QPushButton("Use this plan as a scenario")
        self.use_plan_button.setToolTip("Add the plan (its shifts and the share of calls it routes to each type) "
                                        "as a new scenario, to simulate and compare")
        self.use_plan_button.clicked.connect(self.use_plan)
        self.use_plan_button.setEnabled(False)

        left = QWidget()
        lay = QVBoxLayout(left)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.addWidget(box)
        lay.addWidget(self.progress)
        lay.addWidget(self.error)
        lay.addWidget(self.for_label)
        lay.addWidget(self.status)
        lay.addWidget(self.explanation)
        lay.addWidget(self.summary)
        lay.addWidget(self.use_plan_button)
        lay.addStretch(1)

        # ---------------------------------------------------------------- charts and tables
        self.duty_box = QWidget()
        self.duty_layout = QVBoxLayout(self.duty_box)
        self.duty_charts: dict[str, ChartCanvas] = {}
        self.roster = read_only_table(["Type", "Shift (start-end, days)", "Units", "People", "Cost a year"])
        self.roster.horizontalHeaderItem(3).setToolTip("Headcount: units x people per unit x relief factor")
        self.roster.horizontalHeaderItem(4).setToolTip("People x relief factor x loaded cost for the hours the "
                                                       "shift covers, plus the vehicle's share")
        self.roster.horizontalHeader().setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)

        self.week_box = QWidget()
        self.week_layout = QVBoxLayout(self.week_box)
        self.week_charts: dict[str, ChartCanvas] = {}
        roster_tab = QSplitter(Qt.Orientation.Vertical)
        roster_tab.addWidget(scrolled(self.week_box))
        roster_tab.addWidget(self.roster)
        roster_tab.setSizes([420, 260])

        self.pareto_chart = ChartCanvas(min_height=300)
        self.pareto_chart.mpl_connect("button_press_event", self._chart_clicked)
        self.points_table = read_only_table(POINT_COLUMNS)
        for col, tip in POINT_TIPS.items():
            self.points_table.horizontalHeaderItem(col).setToolTip(tip)
        self.points_table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.points_table.setWordWrap(True)
        self.points_table.setMaximumHeight(190)
        self.points_table.itemSelectionChanged.connect(self._row_chosen)
        self.beats_label = note_label()
        self.beats_label.hide()
        self.point_label = note_label("Click a point of the chart (or a row below) to see its mix.")
        self.save_point_button = QPushButton("Save and compare")
        self.save_point_button.setToolTip("Add this budget's plan as a new scenario and open Compare with it "
                                          "against the baseline")
        self.save_point_button.setEnabled(False)
        self.save_point_button.clicked.connect(self.save_point)
        pareto_tab = QWidget()
        lay = QVBoxLayout(pareto_tab)
        lay.addWidget(self.pareto_chart, 1)
        lay.addWidget(self.beats_label)
        row = QHBoxLayout()
        row.addWidget(self.point_label, 1)
        row.addWidget(self.save_point_button, 0, Qt.AlignmentFlag.AlignTop)
        lay.addLayout(row)
        lay.addWidget(self.points_table)

        self.tabs = QTabWidget()
        self.tabs.addTab(pareto_tab, "What each budget buys")
        self.tabs.addTab(roster_tab, "Roster")
        self.tabs.addTab(scrolled(self.duty_box), "Units on duty by hour")

        left_area = scrolled(left)
        left_area.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        left_area.setMinimumWidth(380)
        split = QSplitter(Qt.Orientation.Horizontal)
        split.addWidget(left_area)
        split.addWidget(self.tabs)
        split.setStretchFactor(0, 2)
        split.setStretchFactor(1, 3)
        split.setSizes([470, 710])

        lay = QVBoxLayout(self)
        lay.addWidget(page_header(
            "Optimise", "How many social-worker and co-responder units, on which shifts: the most officer hours a "
                        "civilian budget frees (patrol held as it is, unless you re-roster it), or the lowest annual "
                        "cost with patrol sized to its target. Civilian units take eligible calls when free; a call "
                        "waits at most its fallback time, then an officer goes. It works on the scenario chosen "
                        "above, with the project's calls."))
        lay.addWidget(split, 1)

        self.state.opened.connect(self._project_opened)
        self.state.scenarioChanged.connect(self._update_controls)
        self.state.dataChanged.connect(self._update_controls)
        window.busyChanged.connect(self._update_controls)
        self._project_opened()

    # ------------------------------------------------------------------------------------ settings
    def _project_opened(self) -> None:
        self.clear()
        budget = self.state.scenario.targets.budget
        self.budget.setValue(budget or 0)

    def _update_controls(self, *_args: Any) -> None:
        self.run_button.setEnabled(self.state.data is not None and not self.window.busy)
        self.run_button.setToolTip("" if self.state.data is not None else "Import calls first (Data page)")
        self.use_plan_button.setEnabled(self.result is not None and self.result.plan is not None)
        # Lowest cost always sizes patrol; holding it is a choice only when freeing hours.
        self.patrol.setEnabled(self.objective.currentData() == "max-hours-freed")

    def options(self) -> dict[str, Any]:
        budget = self.budget.value() or None
        out = {"objective": self.objective.currentData(), "budget": budget, "pareto_points": self.pareto.value(),
               "time_limit": float(self.time_limit.value()), "patrol": self.patrol.currentData()}
        if self.simulate_check.isChecked():
            out.update(simulate_check=True, **CHECK)
        return out

    # ------------------------------------------------------------------------------------ running
    def run(self) -> None:
        if self.state.data is None:
            set_error(self.error, "Import calls first (Data page): the plan is sized to them.")
            return
        options = self.options()
        if options["objective"] == "max-hours-freed" and options["budget"] is None:
            set_error(self.error, "Most officer hours freed needs a civilian budget: set one above.")
            return
        set_error(self.error, None)
        scenario = self.state.scenario
        name = self.state.current_name
        generation = self.state.generation
        self.window.run_job(optimise_job(scenario, self.state.data.result, **options), f"Optimising {name}",
                            lambda plan: self._finished(plan, generation), panel=self.progress)

    def _finished(self, plan: PlanResult, generation: int) -> None:
        if generation == self.state.generation:
            self.show_result(plan)

    # ------------------------------------------------------------------------------------ showing
    def clear(self) -> None:
        self.result = None
        self.points = []
        self.selected = None
        self.for_label.setText("No optimisation yet. Choose what to optimise and press Optimise; the solver "
                               "stops at the time limit.")
        self.status.hide()
        self.explanation.hide()
        self.summary.setRowCount(0)
        self.summary.hide()
        self.roster.setRowCount(0)
        self._set_duty_charts([])
        self._set_week_charts([])
        self.beats_label.hide()
        self.pareto_chart.clear_chart()
        self.points_table.setRowCount(0)
        self.point_label.setText("Set trade-off points above 0 and optimise to see the trade-off between annual "
                                 "cost and officer hours freed.")
        self.save_point_button.setEnabled(False)
        self._update_controls()

    def show_result(self, plan: PlanResult) -> None:
        self.result = plan
        r = plan.result
        objective = next(text for text, key in OBJECTIVES if key == plan.objective)
        budget = f", civilian budget {format_value(plan.budget, 'USD')}" if plan.budget else ""
        self.for_label.setText(f"<b>{plan.scenario.name}</b>: {objective.lower()}{budget}.")
        words, style = status_words(plan)
        self.status.setText(f"<b>{words}</b>")
        self.status.setStyleSheet(style)
        self.status.show()
        self.explanation.setText(r.explanation)
        self.explanation.setStyleSheet(style if plan.status not in ("optimal", "feasible") else "color: #333333;")
        self.explanation.setVisible(bool(r.explanation))
        self._fill_summary(plan)
        self._fill_roster(plan)
        types = [t for t in plan.scenario.responders
                 if r.requirements is not None and (np.any(r.requirements.get(t, 0)) or
                                                    np.any((r.on_duty or {}).get(t, 0)))]
        self._set_duty_charts(types)
        for t in types:
            label = plain_label(plan.scenario.responders[t].label)
            self.duty_charts[t].show_chart(lambda res, ax, t=t, label=label: on_duty_vs_requirement(
                res, t, ax, label=label), r)
        weeks = week_duties(plan)
        self._set_week_charts(list(weeks))
        for t, data in weeks.items():
            self.week_charts[t].show_chart(week_duty_chart, data)
        self.points = sorted((p for p in plan.pareto if _has_plan(p)),
                             key=lambda p: (p.annual_cost, p.officer_hours_freed))
        self.selected = None
        self._fill_points(plan)
        self._draw_pareto()
        self.save_point_button.setEnabled(False)
        rough = [p for p in plan.pareto if p.mix is not None and p.mix.gap is not None and p.mix.gap > 0.05]
        if plan.pareto:
            self.point_label.setText(
                "Click a point of the chart (or a row below) to see its mix; Save as scenario keeps it."
                + (f" {len(rough)} of the {len(plan.pareto)} budgets stopped at the time limit before their best mix "
                   "was found, so the line is rougher than the truth: a longer time limit gives a truer one."
                   if rough else ""))
        else:
            self.point_label.setText("Set trade-off points above 0 and optimise again to see the trade-off between "
                                     "annual cost and officer hours freed.")
        self._update_controls()
        if r.units_by_pattern is None:
            self.tabs.setCurrentIndex(DUTY_TAB)
        elif plan.pareto:
            self.tabs.setCurrentIndex(FRONTIER_TAB)

    def _fill_summary(self, plan: PlanResult) -> None:
        r = plan.result
        t = self.summary
        t.setRowCount(0)
        if r.units_by_type is None:
            t.hide()
            return
        for typ, n in r.units_by_type.items():
            label = plain_label(plan.scenario.responders[typ].label)
            add_row(t, [cell(label[:1].upper() + label[1:]), cell(f"{n}", right=True),
                        cell(f"{(r.headcount_by_type or {}).get(typ, 0):,.1f}", right=True),
                        cell(format_value((r.annual_cost_by_type or {}).get(typ, 0.0), "USD"), right=True)])
        extra = [("Downstream cost a year (arrests, bookings, ER)", r.downstream_cost, "USD"),
                 ("Total annual cost", (r.staff_cost or 0.0) + (r.downstream_cost or 0.0), "USD"),
                 ("Officer hours freed a year (predicted)", r.officer_hours_freed, "hours")]
        checked = [it for it in plan.iterations if it.get("officer_hours_freed_simulated")]
        # The simulated figure belongs to the plan shown only when the check held (no re-solve after it).
        held = bool(checked) and bool(checked[-1].get("holds"))
        if held:
            sim = checked[-1]["officer_hours_freed_simulated"]
            extra.append(("Officer hours freed a year (simulated)", sim["mean"], "hours"))
        for text, value, unit in extra:
            row = add_row(t, [cell(text, bold=True), cell(""), cell(""),
                              cell(format_value(value, unit) if value is not None else "-", right=True, bold=True)])
            t.setSpan(row, 0, 1, 3)
        if held:
            row = add_row(t, [cell("   95% interval of the simulation", italic=True), cell(""), cell(""),
                              cell(f"{format_value(sim['ci_low'], 'hours')} to {format_value(sim['ci_high'], 'hours')}",
                                   right=True, italic=True)])
            t.setSpan(row, 0, 1, 3)
        elif checked:
            missed = sum(checked[-1].get("bins_missed", {}).values())
            row = add_row(t, [cell(f"Simulation check: the plan first found missed the officers' target in {missed} "
                                   "hours of the week in simulation; the plan shown was solved again with more "
                                   "officers there and has not been simulated itself (simulate it on the Simulate "
                                   "page).", italic=True)])
            t.setSpan(row, 0, 1, t.columnCount())
        # What each civilian team answers, and why a type was not bought: the plan explains itself.
        for typ, offered in (r.offered_calls or {}).items():
            if not (r.units_by_type or {}).get(typ):
                continue
            answered = offered - (r.fallback_calls or {}).get(typ, 0.0)
            label = _units_words(plan.scenario.responders[typ].label)
            row = add_row(t, [cell(f"{label[:1].upper() + label[1:]} answer {answered:,.0f} of the {offered:,.0f} "
                                   f"eligible calls a year offered to them; the rest go to an officer after their "
                                   f"wait", italic=True)])
            t.setSpan(row, 0, 1, t.columnCount())
        for typ, why in (r.why_none or {}).items():
            label = _units_words(plan.scenario.responders[typ].label)
            row = add_row(t, [cell(f"No {label}: {why}.", italic=True)])
            t.setSpan(row, 0, 1, t.columnCount())
        t.resizeColumnsToContents()
        t.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        t.setWordWrap(True)
        t.resizeRowsToContents()
        t.setFixedHeight(t.horizontalHeader().height() + t.verticalHeader().length() + 2 * t.frameWidth() + 2)
        t.show()

    def _fill_roster(self, plan: PlanResult) -> None:
        t = self.roster
        t.setRowCount(0)
        t.clearSpans()
        r = plan.result
        if r.units_by_pattern is None:
            row = add_row(t, [cell("No roster: the optimisation found no plan (see the explanation).", italic=True)])
            t.setSpan(row, 0, 1, t.columnCount())
            return
        rows = roster_rows(plan)
        for typ in r.units_by_pattern:
            mine = [x for x in rows if x["type"] == typ]
            label = plain_label(plan.scenario.responders[typ].label)
            for x in mine:
                vehicles = x.get("vehicles", False)
                add_row(t, [cell(label), cell(x["pattern"], tip=x["pattern"]), cell("" if vehicles else f"{x['units']}", right=True),
                            cell("" if vehicles else f"{x['headcount']:,.1f}", right=True),
                            cell(format_value(x["cost"], "USD"), right=True)])
            shifts = [x for x in mine if not x.get("vehicles")]
            add_row(t, [cell(f"{label}: total", bold=True), cell(f"{len(shifts)} shift patterns" if shifts else
                                                                 "none in this plan", italic=True),
                        cell(f"{(r.units_by_type or {}).get(typ, 0)}", right=True, bold=True),
                        cell(f"{(r.headcount_by_type or {}).get(typ, 0.0):,.1f}", right=True, bold=True),
                        cell(format_value((r.annual_cost_by_type or {}).get(typ, 0.0), "USD"), right=True, bold=True)])
        t.resizeColumnsToContents()
        t.horizontalHeader().setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)

    def _set_duty_charts(self, types: list[str]) -> None:
        self.duty_charts = {}
        _empty(self.duty_layout)
        if not types:
            self.duty_layout.addWidget(note_label("Units on duty by hour against the need appear here after an "
                                                  "optimisation that finds a plan."))
            self.duty_layout.addStretch(1)
            return
        for t in types:
            canvas = ChartCanvas(min_height=230)
            self.duty_charts[t] = canvas
            self.duty_layout.addWidget(canvas)

    def _set_week_charts(self, types: list[str]) -> None:
        self.week_charts = {}
        _empty(self.week_layout)
        if not types:
            self.week_layout.addWidget(note_label("The week's roster (units on duty by day and hour) appears here "
                                                  "after an optimisation that finds a plan."))
            self.week_layout.addStretch(1)
            return
        for t in types:
            canvas = ChartCanvas(min_height=250)
            self.week_charts[t] = canvas
            self.week_layout.addWidget(canvas)

    # ------------------------------------------------------------------------------------ Pareto
    def _fill_points(self, plan: PlanResult) -> None:
        t = self.points_table
        t.blockSignals(True)
        t.setRowCount(0)
        for p in sorted(plan.pareto, key=lambda p: p.budget):
            ok = _has_plan(p)
            sim = plan.pareto_simulated.get(p.budget) or {}
            checked = f"{format_value(sim['mean'], 'hours')}\n({format_value(sim['ci_low'], 'hours')} to " \
                      f"{format_value(sim['ci_high'], 'hours')})" if ok and "mean" in sim else "-"
            response = sim.get("response_minutes") or {}
            row = add_row(t, [cell(format_value(p.budget, "USD"), right=True),
                              cell(point_outcome(p), tip=f"{p.explanation} (the time limit per budget is a "
                                                                       "third of the time limit)"),
                              cell(format_value(p.annual_cost, "USD") if ok else "-", right=True),
                              cell(format_value(p.officer_hours_freed, "hours") if ok else "-", right=True),
                              cell(checked, right=True),
                              cell(format_value(p.civilian_cost, "USD") if ok and p.civilian_cost is not None
                                   else "-", right=True),
                              *[cell(format_value(response[key], "minutes") if ok and key in response else "-",
                                     right=True) for key in RESPONSE_KEYS.values()]])
            t.item(row, 0).setData(Qt.ItemDataRole.UserRole, p.budget)
        t.blockSignals(False)
        t.resizeRowsToContents()
        # Response times appear when the simulation check gives them; empty columns only take room.
        for col, key in RESPONSE_KEYS.items():
            t.setColumnHidden(col, not any(key in (v.get("response_minutes") or {})
                                           for v in plan.pareto_simulated.values()))
        t.setColumnHidden(4, not plan.pareto_simulated)

    def _draw_pareto(self) -> None:
        plan = self.result
        if plan is None or not plan.pareto:
            self.pareto_chart.clear_chart()
            return
        r = plan.result
        mine: list[ScenarioPoint] = self.saved_points()
        if r.units_by_pattern is not None and r.officer_hours_freed is not None and not mine:
            cost = (r.staff_cost or 0.0) + (r.downstream_cost or 0.0)
            hours = float(r.officer_hours_freed)
            mine.append(ScenarioPoint("this plan", cost, cost, cost, hours, hours, hours))
        selected = self.selected
        simulated = plan.pareto_simulated
        self._show_beats(mine)

        def draw(points: list[ParetoPoint], ax: Any) -> None:
            # Unlabelled points: budgets close together would print their labels over each other; the table
            # below the chart and the chosen point's line name the budgets.
            rc.pareto_chart([(p.annual_cost, p.officer_hours_freed, "") for p in points], mine, ax)
            checked = [(p, simulated[p.budget]) for p in points if "mean" in simulated.get(p.budget, {})]
            if checked:
                ax.errorbar([p.annual_cost for p, _ in checked], [s["mean"] for _, s in checked],
                            yerr=[[max(s["mean"] - s["ci_low"], 0.0) for _, s in checked],
                                  [max(s["ci_high"] - s["mean"], 0.0) for _, s in checked]],
                            fmt="o", markersize=4, markerfacecolor="white", color=rc.OKABE_ITO["blue"],
                            capsize=2.5, linewidth=1.0, zorder=3, gid="simulated",
                            label="the same plan simulated, 95% interval")
                low, high = ax.get_ylim()
                top = max(s["ci_high"] for _, s in checked)
                bottom = min(s["ci_low"] for _, s in checked)
                span = max(top, high) - min(bottom, low)
                ax.set_ylim(min(low, bottom - 0.04 * span), max(high, top + 0.04 * span))   # every interval in view
                handles, _ = ax.get_legend_handles_labels()
                old = ax.get_legend()
                ax.legend(handles=[*(old.legend_handles if old is not None else []), handles[-1]],
                          loc="lower right", fontsize=7, frameon=False)
            if selected is not None:
                ax.plot([selected.annual_cost], [selected.officer_hours_freed], linestyle="none", marker="o",
                        markersize=15, markerfacecolor="none", markeredgecolor="black", markeredgewidth=1.6,
                        zorder=6, gid="selected")
            ax.set_title("Officer hours freed against annual cost, at each civilian budget")

        self.pareto_chart.show_chart(draw, self.points)

    def saved_points(self) -> list[ScenarioPoint]:
        """The project's scenarios with an up-to-date run, on the frontier's axes (total annual cost, officer hours
        freed with their 95% intervals), so a user sees which of their own options the frontier beats."""
        names = [n for n in self.state.scenario_names if n in self.state.runs and self.state.run_is_current(n)]
        if not names:
            return []
        try:
            runs = self.state.runs
            c = compare([Evaluation(runs[n].scenario(), runs[n].run, runs[n].costs) for n in names], names[0])
            return [p for p in rc.scenario_points(c) if math.isfinite(p.hours_freed) and math.isfinite(p.annual_cost)]
        except (PlannerError, KeyError, ValueError):
            return []          # a run saved without the figures: the frontier alone is still the answer

    def _show_beats(self, mine: list[ScenarioPoint]) -> None:
        """One line per saved scenario: what the frontier frees for the same money, against what it frees."""
        lines = []
        for s in mine:
            if s.name == "this plan":
                continue
            better = [p for p in self.points if p.annual_cost <= s.annual_cost + 1e-6]
            if not better:
                continue
            best = max(better, key=lambda p: p.officer_hours_freed)
            more = best.officer_hours_freed - s.hours_freed
            if more > 0:
                cheaper = s.annual_cost - best.annual_cost
                lines.append(f"<b>{escape(s.name)}</b>: the plan at a civilian budget of "
                             f"{format_value(best.budget, 'USD')} frees <b>{format_value(more, 'hours')} more</b> "
                             f"officer hours a year ({format_value(best.officer_hours_freed, 'hours')} against "
                             f"{format_value(s.hours_freed, 'hours')})"
                             + (f" for {format_value(cheaper, 'USD')} less a year." if cheaper >= 1 else
                                " for the same money."))
            else:
                lines.append(f"<b>{escape(s.name)}</b>: no frontier point at its cost frees more officer hours.")
        self.beats_label.setText("Against your scenarios (each drawn with its 95% interval):<br>" + "<br>".join(lines)
                                 if lines else "")
        self.beats_label.setVisible(bool(lines))

    def _chart_clicked(self, event: Any) -> None:
        if event.inaxes is None or not self.points:
            return
        ax = event.inaxes
        best, best_d = None, float(PICK_PIXELS)
        for p in self.points:
            x, y = ax.transData.transform((p.annual_cost, p.officer_hours_freed))
            d = math.hypot(x - event.x, y - event.y)
            if d <= best_d:
                best, best_d = p, d
        if best is not None:
            self.select_point(best)

    def _row_chosen(self) -> None:
        rows = self.points_table.selectionModel().selectedRows()
        if not rows or self.result is None:
            return
        budget = self.points_table.item(rows[0].row(), 0).data(Qt.ItemDataRole.UserRole)
        point = next((p for p in self.result.pareto if p.budget == budget), None)
        if point is not None:
            self.select_point(point)

    def select_point(self, point: ParetoPoint) -> None:
        """Show one budget's mix (from a click on the chart or a row of the table)."""
        plan = self.result
        if plan is None:
            return
        self.selected = point
        if not _has_plan(point):
            self.point_label.setText(f"At a civilian budget of {format_value(point.budget, 'USD')} there is no "
                                     f"plan: {point.explanation}")
            self.save_point_button.setEnabled(False)
        else:
            civ = f", of which civilian staff {format_value(point.civilian_cost, 'USD')}" \
                if point.civilian_cost is not None else ""
            sim = plan.pareto_simulated.get(point.budget) or {}
            checked = (f" (simulated: {format_value(sim['mean'], 'hours')}, 95% interval "
                       f"{format_value(sim['ci_low'], 'hours')} to {format_value(sim['ci_high'], 'hours')})"
                       if "mean" in sim else "")
            self.point_label.setText(
                f"<b>Civilian budget {format_value(point.budget, 'USD')}</b>: {mix_words(plan, point.mix)}; "
                f"<b>{format_value(point.officer_hours_freed, 'hours')}</b> officer hours freed a year{checked}; "
                f"total annual cost <b>{format_value(point.annual_cost, 'USD')}</b>{civ}. Save and compare keeps it "
                f"as a scenario and compares it with the baseline.")
            self.save_point_button.setEnabled(True)
        t = self.points_table
        t.blockSignals(True)
        for row in range(t.rowCount()):
            if t.item(row, 0).data(Qt.ItemDataRole.UserRole) == point.budget:
                t.selectRow(row)
        t.blockSignals(False)
        self._draw_pareto()

    # ------------------------------------------------------------------------------------ keeping
    def use_plan(self) -> None:
        if self.result is None or self.result.plan is None:
            return
        self._add(lambda: self.result.plan)

    def save_point(self) -> None:
        """Keep the chosen budget's plan as a scenario and open Compare with it against the baseline."""
        plan, point = self.result, self.selected
        if plan is None or point is None:
            return
        name = self._add(lambda: plan.scenario_for_point(point))
        if name is None:
            return
        self.saved_name, self.saved_budget = name, point.budget
        baseline = self.state.scenario_names[0]
        compare_page = getattr(self.window, "compare_page", None)
        if compare_page is not None:
            compare_page.set_chosen([baseline, name] if name != baseline else [name], baseline)
            self.window.show_page("compare")
            self.window.statusBar().showMessage(f"Added the scenario {name}: press the button to simulate it and "
                                                "compare it with the baseline.", 8000)

    def _add(self, make: Any) -> str | None:
        try:
            name = self.state.add_scenario(make())
        except PlannerError as e:
            show_error(self.window, "Could not add the plan as a scenario", e)
            return None
        self.window.statusBar().showMessage(f"Added the scenario {name}: simulate it, then compare it.", 8000)
        return name


def point_outcome(p: ParetoPoint) -> str:
    """A Pareto point's outcome in words: proven best, or how far from best the time limit left it."""
    status = str(getattr(p.status, "value", p.status))
    gap = p.mix.gap if p.mix is not None else None
    if status == OPTIMAL:
        return "best (proven)"
    if status == FEASIBLE:     # the time limit stopped the search
        if gap is not None and math.isfinite(gap) and gap < 1:
            return f"within {gap:.0%} of best"
        return "far from best"
    return {INFEASIBLE: "no plan at this budget", TIME_LIMIT: "no plan in the time"}.get(status, status)


def _has_plan(p: ParetoPoint) -> bool:
    return (p.mix is not None and p.mix.units_by_pattern is not None and p.annual_cost is not None
            and p.officer_hours_freed is not None and math.isfinite(p.annual_cost)
            and math.isfinite(p.officer_hours_freed))



def _empty(layout: QVBoxLayout) -> None:
    while layout.count():
        item = layout.takeAt(0)
        old = item.widget()
        if old is not None:
            old.hide()           # gone from view now, not when the event loop next deletes it
            old.setParent(None)
            old.deleteLater()


def week_duties(plan: PlanResult) -> dict[str, WeekDuty]:
    """Each type the plan puts on duty, through the week against what its targets need (the roster tab's charts)."""
    r = plan.result
    out = {}
    for t in plan.scenario.responders:
        on = np.asarray((r.on_duty or {}).get(t, ()), dtype=float)
        if on.shape != (168,) or not on.any():
            continue
        need = np.asarray((r.requirements or {}).get(t, ()), dtype=float)
        label = plain_label(plan.scenario.responders[t].label).removesuffix(" unit") + " units"
        out[t] = WeekDuty(t, label, on, need if need.shape == (168,) and need.any() else None)
    return out


def _units_words(label: str) -> str:
    """'Social worker' or 'Co-responder unit' -> 'social worker units', 'co-responder units'."""
    return plain_label(label).removesuffix(" units").removesuffix(" unit") + " units"
