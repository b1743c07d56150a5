"""Simulate: run the current scenario's shifts against the calls, and read what happens.

The run is the planner's (`Project.run`: simulate, then cost) on the worker, with live progress and
Cancel; a finished run is kept in the project (undoable), so Compare and Report use it and Save keeps it.
The settings here are the run's, shared by every scenario simulated from this page, so runs compare pair
by pair (same seed and replications: common random numbers).
"""

from __future__ import annotations

import copy
import math
import os
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QComboBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QSpinBox,
    QSplitter,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from planner import result_charts as rc
from planner.compare import Evaluation, format_value, plain_label
from planner.demand import availability_chart, availability_words
from planner.project import SavedRun
from planner.scenario import FALLBACK_TYPE
from planner.simulate import RESOLVED_BY_PHONE, eligible_off_duty_by_hour, travel_explanation
from ui.project import RUN_CURRENT, RUN_NONE, RUN_WORDS
from ui.staffing_page import GLOSSARY
from ui.widgets import (
    WARN_STYLE,
    ChartCanvas,
    add_row,
    cell,
    form_row,
    note_label,
    overload_banner,
    overload_html,
    page_header,
    read_only_table,
    section_row,
)
from ui.worker import JobProgress

if TYPE_CHECKING:
    from ui.window import MainWindow

MAX_SEED = 2_147_483_647
FEW_REPLICATIONS = 5

TIPS = {
    "officer_hours_on_calls": "Unit-hours officers spend on calls in a year: travel plus time on scene, every unit "
                              "sent counted, backup to civilian units included.",
    "officer_hours_freed": "The officer time that the calls civilian units answered would have taken (each at its "
                           "category's officer busy time) and the calls 911 triage resolved by phone would have "
                           "taken, plus repeat calls avoided, minus officer time backing "
                           "civilian units up. Never a fall in officer workload that comes from calls nobody "
                           "answered.",
    "calls_unanswered": "Calls still waiting for a unit when the simulation ended (the simulated weeks, plus a "
                        "week in which units keep working and no new call arrives). Anything above none means "
                        "officers cannot keep up.",
    "police_only": "Calls triage sends to officers only (no civilian route): how fast officers answer. A "
                   "civilian unit's longer drive on the other calls does not show here.",
    "diverted": "Calls triage found safe for a civilian unit, whoever answered them in the end (a civilian unit, "
                "or an officer after the fallback wait).",
    "officer_utilisation": GLOSSARY["rule of 60"],
    "overtime_hours_total": "A unit still on a call when its shift ends finishes the call: the hours past the "
                            "shift end, a year, all types together.",
    "response": "Minutes from the call to the first unit's arrival: the wait for a free unit plus travel.",
    "calls_eligible_for_civilians": "Calls triage found safe for a civilian unit (the policy's eligible shares).",
    "fallback_to_officer": GLOSSARY["fallback wait"] + " These are the eligible calls that went to an officer "
                           "because no civilian unit came free in time.",
    "eligible_calls_with_no_civilian_on_duty": "Eligible calls that arrived when no civilian unit was on duty "
                                               "at all: the hours a roster leaves uncovered.",
    "share_of_calls_that_waited": "Calls that found no unit of their type free and had to wait.",
    "calls_resolved_by_phone": "Calls the call-taking triage in the 911 centre (the scenario's [triage]) resolved "
                               "by phone: no unit was sent.",
    "no_civilian_on_duty": "NYC's B-HEARD reached only 65% of eligible calls, largely because no team was on duty "
                           "when they came. Red: simulated eligible calls that arrived in an hour with no civilian "
                           "unit of their type on duty; they went straight to an officer.",
    "outcomes": "Expected outcomes of the calls answered, from each responder type's outcome rates; they "
                "drive the downstream costs.",
    "costs": "Staffing (people x relief factor x loaded cost, plus overhead and overtime) and downstream costs "
             "(arrests, jail bookings, ER transports at the scenario's unit costs), a year.",
    "utilisation": "Share of on-duty time this type spends on calls.",
    "triage_cost": "Call-taker positions of the 911 triage pod ([triage]), staffed by Erlang C on the phone load to "
                   "the scenario's answer target: people (positions x relief factor x hours / 56) x cost per "
                   "position, a year.",
}


def _type_label(scenario: Any, t: str) -> str:
    r = scenario.responders.get(t) if scenario is not None else None
    return plain_label(r.label) if r is not None else t.replace("_", " ")


def kpi_rows(saved: SavedRun) -> list[tuple[str, str, str, str] | str]:
    """The rows the KPI table shows: a section title (a string), or (kpi, label, unit, tooltip)."""
    run, costs = saved.run, saved.costs
    scenario = saved.scenario()
    kpis = run.kpis.index
    types = list(run.responder_types)
    civilians = [t for t in types if t != FALLBACK_TYPE]
    priorities = sorted(int(k.rsplit(".", 1)[1]) for k in kpis if k.startswith("response_minutes_p90_by_priority."))
    rows: list[tuple[str, str, str, str] | str] = [
        "Officers",
        ("officer_hours_on_calls", "Officer hours on calls a year", "hours", TIPS["officer_hours_on_calls"]),
        ("officer_utilisation", "Officer time committed to calls", "share", TIPS["officer_utilisation"]),
        ("officer_hours_freed", "Officer hours freed a year", "hours", TIPS["officer_hours_freed"]),
        ("officer_hours_on_backup", "Officer hours backing up civilian units", "hours", TIPS["officer_hours_freed"]),
        ("overtime_hours_total", "Overtime hours a year", "hours", TIPS["overtime_hours_total"]),
        "Response time (call to arrival)",
        ("response_minutes_p50", "All calls: median (P50)", "minutes", TIPS["response"] + " Half the calls wait less."),
        ("response_minutes_p90", "All calls: 90th percentile (P90)", "minutes",
         TIPS["response"] + " Nine calls in ten wait less."),
    ]
    for p in priorities:
        rows.append((f"response_minutes_p50_by_priority.{p}", f"Priority {p}: median", "minutes",
                     TIPS["response"] + " Priority 1 is the most urgent."))
        rows.append((f"response_minutes_p90_by_priority.{p}", f"Priority {p}: 90th percentile", "minutes",
                     TIPS["response"] + " Priority 1 is the most urgent."))
    rows += [("response_minutes_p50_police_only", "Police-only calls: median", "minutes", TIPS["police_only"]),
             ("response_minutes_p90_police_only", "Police-only calls: 90th percentile", "minutes",
              TIPS["police_only"])]
    if 1 in priorities:
        rows.append(("response_minutes_p90_police_only_by_priority.1", "Police-only priority 1: 90th percentile",
                     "minutes", TIPS["police_only"]))
    if civilians:
        rows += [("response_minutes_p50_diverted", "Civilian-route calls: median", "minutes", TIPS["diverted"]),
                 ("response_minutes_p90_diverted", "Civilian-route calls: 90th percentile", "minutes",
                  TIPS["diverted"])]
    rows += ["Calls a year",
             ("calls_total", "All calls offered", "calls", "Calls for service a year the plan must answer.")]
    for t in types:
        rows.append((f"calls_by_responder_type.{t}", f"Answered by {_type_label(scenario, t)}",
                     "calls", "Calls this type of unit answered (a year)."))
    rows.append(("calls_resolved_by_phone", "Resolved by phone (911 triage)", "calls",
                 TIPS["calls_resolved_by_phone"]))
    rows.append(("calls_unanswered", "Left unanswered", "calls", TIPS["calls_unanswered"]))
    rows += [
        ("calls_eligible_for_civilians", "Eligible for a civilian unit", "calls", TIPS["calls_eligible_for_civilians"]),
        ("fallback_to_officer", "Eligible, but fell back to an officer", "calls", TIPS["fallback_to_officer"]),
        ("eligible_calls_with_no_civilian_on_duty", "Eligible, with no civilian unit on duty", "calls",
         TIPS["eligible_calls_with_no_civilian_on_duty"]),
        ("share_of_calls_that_waited", "Share of calls that waited for a unit", "share",
         TIPS["share_of_calls_that_waited"]),
    ]
    if civilians:
        rows.append("Civilian units")
        for t in civilians:
            label = _type_label(scenario, t)
            rows.append((f"utilisation.{t}", f"{label[:1].upper()}{label[1:]}: time on calls", "share",
                         TIPS["utilisation"]))
            rows.append((f"hours_on_calls.{t}", f"{label[:1].upper()}{label[1:]}: hours on calls a year", "hours",
                         "Unit-hours this type spends on calls in a year."))
    rows += ["Outcomes a year",
             ("outcomes.arrest", "Arrests", "calls", TIPS["outcomes"]),
             ("outcomes.jail_booking", "Jail bookings", "calls", TIPS["outcomes"]),
             ("outcomes.er_transport", "ER transports", "calls", TIPS["outcomes"])]
    if "repeat_calls_avoided" in costs.kpis.index:
        rows.append(("repeat_calls_avoided", "Repeat calls avoided", "calls",
                     "Calls that case management by civilian units is expected to prevent (policy's repeat-call "
                     "reduction)."))
    rows += ["Cost a year",
             ("staffing_cost_total", "Staffing (incl. overtime)", "USD", TIPS["costs"]),
             ("downstream_cost_total", "Downstream (arrests, bookings, ER)", "USD", TIPS["costs"]),
             ("total_annual_cost", "Total", "USD", TIPS["costs"]),
             ("cost_per_call", "Cost per call", "USD", "Total annual cost divided by the calls a year."),
             # Not yet inside planner.costs' total: shown apart, and said so, rather than silently left out.
             ("triage_staffing_cost", "911 triage pod call-takers (in the staffing total)", "USD",
              TIPS["triage_cost"])]
    present = set(kpis) | set(costs.kpis.index)
    return [r for r in rows if isinstance(r, str) or r[0] in present]


def kpi_value(saved: SavedRun, kpi: str) -> tuple[float, float, float]:
    table = saved.run.kpis if kpi in saved.run.kpis.index else saved.costs.kpis
    row = table.loc[kpi]
    return float(row["mean"]), float(row["ci_low"]), float(row["ci_high"])


def interval_text(lo: float, hi: float, unit: str) -> str:
    if any(isinstance(v, float) and math.isnan(v) for v in (lo, hi)):
        return "-"
    if lo == hi:
        return "(no spread)"
    return f"{format_value(lo, unit)} to {format_value(hi, unit)}"


def evaluation_of(saved: SavedRun) -> Evaluation:
    """A saved run as the charts take it (no demand needed to draw them). Calls resolved by phone at 911 triage
    are left out of the per-call records the charts read: no unit was sent, so they have no response time and
    are not calls left unanswered."""
    run = saved.run
    rec = run.records
    if rec is not None and not rec.empty and "type_sent" in rec and (rec["type_sent"] == RESOLVED_BY_PHONE).any():
        run = copy.copy(run)
        run.records = rec[rec["type_sent"] != RESOLVED_BY_PHONE]
    return Evaluation(saved.scenario(), run, saved.costs, None, list(saved.notes))


class SimulatePage(QWidget):
    def __init__(self, window: MainWindow):
        super().__init__()
        self.window = window
        self.state = window.state
        self._shown: SavedRun | None = None

        self.replications = QSpinBox()
        self.replications.setRange(1, 1000)
        self.replications.setToolTip("Independent runs of the same weeks with different random calls. More "
                                     "give narrower 95% intervals; 10 or more for decisions.")
        self.horizon = QSpinBox()
        self.horizon.setRange(2, 3660)
        self.horizon.setSuffix(" days")
        self.horizon.setToolTip("How long each replication runs (the first warm-up days are not counted, so "
                                "the shifts start from a realistic state).")
        self.seed = QSpinBox()
        self.seed.setRange(0, MAX_SEED)
        self.seed.setToolTip("The seed of the random numbers: the same seed gives the same numbers on any "
                             "computer. Scenarios run with the same seed and replications are compared pair by "
                             "pair, which shows smaller differences.")
        self.workers = QSpinBox()
        self.workers.setRange(1, max(1, os.cpu_count() or 1))
        self.workers.setToolTip("Processes that run replications side by side. 1 runs them in the app; more "
                                "start helper processes (worth it for long runs).")
        defaults = QPushButton("Use the scenario's settings")
        defaults.setToolTip("Replications, days, seed and workers as the current scenario's [simulation] "
                            "section gives them")
        defaults.clicked.connect(self.use_scenario_settings)
        self.run_button = QPushButton("Simulate")
        self.run_button.setDefault(True)
        self.run_button.clicked.connect(self.run)
        self.progress = JobProgress(stacked=True)

        form = QFormLayout()
        form_row(form, "Replications:", self.replications)
        form_row(form, "Simulate:", self.horizon)
        form_row(form, "Seed:", self.seed)
        form_row(form, "Workers:", self.workers)
        settings_box = QGroupBox("Run settings (the same for every scenario you simulate)")
        lay = QVBoxLayout(settings_box)
        lay.addLayout(form)
        row = QHBoxLayout()
        row.addWidget(defaults)
        row.addStretch(1)
        row.addWidget(self.run_button)
        lay.addLayout(row)

        self.run_info = note_label()
        self.overload = overload_banner()
        self.stale = note_label(style=WARN_STYLE)
        self.stale.hide()
        self.kpis = read_only_table(["Figure", "Mean", "95% interval"])
        self.kpis.horizontalHeaderItem(2).setToolTip("The range the mean falls in 95 times out of 100 if the "
                                                     "simulation were run again with other random calls")
        header = self.kpis.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.ResizeToContents)
        self.few = note_label()
        self.travel_note = note_label()
        self.travel_note.setToolTip(TIPS["police_only"])

        left = QWidget()
        lay = QVBoxLayout(left)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.addWidget(settings_box)
        lay.addWidget(self.progress)
        lay.addWidget(self.run_info)
        lay.addWidget(self.stale)
        lay.addWidget(self.travel_note)
        lay.addWidget(self.kpis, 1)
        lay.addWidget(self.few)

        self.response_chart = ChartCanvas()
        self.priority_chart = ChartCanvas()
        self.utilisation_chart = ChartCanvas()
        self.fallback_chart = ChartCanvas()
        self.off_duty_chart = ChartCanvas()
        self.off_duty_chart.setToolTip(TIPS["no_civilian_on_duty"])
        self.type_combo = QComboBox()
        self.type_combo.setToolTip("Which type of unit the heatmap shows")
        self.type_combo.currentIndexChanged.connect(self._draw_utilisation)
        heat = QWidget()
        hl = QVBoxLayout(heat)
        row = QHBoxLayout()
        row.addWidget(QLabel("Units:"))
        row.addWidget(self.type_combo)
        row.addStretch(1)
        hl.addLayout(row)
        hl.addWidget(self.utilisation_chart, 1)
        self.charts = QTabWidget()
        self.charts.addTab(self.response_chart, "Response times")
        self.charts.addTab(self.priority_chart, "By priority")
        self.charts.addTab(heat, "Time on calls by hour")
        self.charts.addTab(self.fallback_chart, "Fallback to officers")
        self.charts.addTab(self.off_duty_chart, "No civilian on duty")

        split = QSplitter(Qt.Orientation.Horizontal)
        split.addWidget(left)
        split.addWidget(self.charts)
        split.setStretchFactor(0, 2)
        split.setStretchFactor(1, 3)
        split.setSizes([470, 700])
        self.empty = note_label()
        self.empty.setAlignment(Qt.AlignmentFlag.AlignCenter)

        lay = QVBoxLayout(self)
        lay.addWidget(page_header(
            "Simulate", "Run the scenario's shifts against a year's worth of calls, hour by hour: who answers, how "
                        "long calls wait, how busy officers are, and when eligible calls fall back to an officer. "
                        "Results are kept in the project for Compare and Report."))
        lay.addWidget(self.overload)
        lay.addWidget(split, 1)
        self.split = split

        self.state.opened.connect(self.use_scenario_settings)
        self.state.scenarioChanged.connect(self.refresh)
        self.state.runsChanged.connect(self.refresh)
        self.state.dataChanged.connect(self._update_button)
        window.busyChanged.connect(self._update_button)
        self.use_scenario_settings()
        self.refresh()

    # ------------------------------------------------------------------------------------ settings
    def use_scenario_settings(self) -> None:
        s = self.state.scenario.simulation
        self.replications.setValue(s.replications)
        self.horizon.setValue(int(round(s.horizon_days)))
        self.seed.setValue(min(s.seed, MAX_SEED))
        self.workers.setValue(min(s.workers, self.workers.maximum()))

    def run_settings(self) -> dict[str, Any]:
        """What a run started from here (or from Compare) uses."""
        return {"replications": self.replications.value(), "seed": self.seed.value(),
                "workers": self.workers.value(), "horizon_days": float(self.horizon.value())}

    def settings_words(self) -> str:
        r = self.run_settings()
        return f"{r['replications']} replications of {r['horizon_days']:g} days, seed {r['seed']}"

    def _update_button(self, *_args: Any) -> None:
        ready = self.state.data is not None and not self.window.busy
        self.run_button.setEnabled(ready)
        name = self.state.current_name
        self.run_button.setText(f"Simulate {name}" if len(name) <= 40 else "Simulate this scenario")
        self.run_button.setToolTip("" if self.state.data is not None else "Import calls first (Data page)")

    # ------------------------------------------------------------------------------------ running
    def run(self) -> None:
        if self.state.data is None:
            self.window.statusBar().showMessage("Import calls first (Data page): the simulation replays them.", 5000)
            return
        settings = self.run_settings()
        if settings["horizon_days"] <= self.state.scenario.simulation.warmup_days:
            self.window.statusBar().showMessage(
                f"Simulate more days than the scenario's warm-up ({self.state.scenario.simulation.warmup_days:g}).", 8000)
            return
        name = self.state.current_name
        generation = self.state.generation
        job = self.state.to_project().run([name], **settings)
        self.window.run_job(job, f"Simulating {name}",
                            lambda runs: self.state.set_runs(runs, generation, f"Simulate {name}"),
                            panel=self.progress)

    # ------------------------------------------------------------------------------------ showing
    def refresh(self) -> None:
        self._update_button()
        name = self.state.current_name
        saved = self.state.runs.get(name)
        status = self.state.run_status(name)
        if saved is None:
            self._shown = None
            self.run_info.setText(f"<b>{name}</b> has not been simulated yet. Set the run above and press "
                                  "Simulate." + ("" if self.state.data else " Import calls first (Data page)."))
            self.stale.hide()
            self.overload.hide()
            self.kpis.setRowCount(0)
            self.few.clear()
            self.travel_note.hide()
            for c in (self.response_chart, self.priority_chart, self.utilisation_chart, self.fallback_chart,
                      self.off_duty_chart):
                c.clear_chart()
            self.type_combo.clear()
            return
        r = saved.run
        when = saved.created_at.astimezone().strftime("%d %b %Y %H:%M")
        self.run_info.setText(f"<b>{name}</b>: {r.replications} replications of {r.horizon_days:g} days "
                              f"({r.warmup_days:g} warm-up days not counted), seed {r.seed}; run {when}. "
                              "Figures are a year.")
        self.overload.setText(overload_html(name, r.warnings) + " Add officers in those hours (Staffing page), "
                              "or take calls off them, and simulate again." if r.warnings else "")
        self.overload.setVisible(bool(r.warnings))
        self.stale.setText(f"These results are {RUN_WORDS[status]}. Simulate again to bring them up to date.")
        self.stale.setVisible(status not in (RUN_CURRENT, RUN_NONE))
        self.few.setText(f"With {r.replications} replications the intervals are wide; 10 or more narrow them."
                         if r.replications < FEW_REPLICATIONS else "")
        if saved is self._shown:
            return
        self._shown = saved
        self._fill_kpis(saved)
        ev = evaluation_of(saved)
        self.response_chart.show_chart(rc.response_time_distribution, [ev])
        self.priority_chart.show_chart(rc.response_time_by_priority, [ev])
        self.fallback_chart.show_chart(rc.fallback_by_hour_chart, [ev])
        off_duty = eligible_off_duty_by_hour(r)
        if off_duty is None or off_duty["eligible"].sum() <= 0:
            self.off_duty_chart.clear_chart()
        else:
            words = availability_words(off_duty)
            self.off_duty_chart.show_chart(availability_chart, off_duty,
                                           title=f"Simulated: {words}" if words else None)
        note = travel_explanation(r, ev.scenario)
        self.travel_note.setText(note or "")
        self.travel_note.setVisible(bool(note))
        current = self.type_combo.currentData()
        self.type_combo.blockSignals(True)
        self.type_combo.clear()
        for t in r.responder_types:
            resp = ev.scenario.responders.get(t)
            if resp is not None and float(resp.on_duty(60).sum()) > 0:
                self.type_combo.addItem(rc.short_label(resp.label), t)
        self.type_combo.setCurrentIndex(max(self.type_combo.findData(current), 0))
        self.type_combo.blockSignals(False)
        self._draw_utilisation()

    def _fill_kpis(self, saved: SavedRun) -> None:
        t = self.kpis
        t.setRowCount(0)
        t.clearSpans()
        for row in kpi_rows(saved):
            if isinstance(row, str):
                section_row(t, row)
                continue
            kpi, label, unit, tip = row
            mean, lo, hi = kpi_value(saved, kpi)
            add_row(t, [cell(label, tip=tip), cell(format_value(mean, unit), right=True, tip=tip),
                        cell(interval_text(lo, hi, unit), right=True)])
        t.resizeColumnsToContents()

    def _draw_utilisation(self) -> None:
        saved = self._shown
        t = self.type_combo.currentData()
        if saved is None or t is None:
            self.utilisation_chart.clear_chart()
            return
        scenario = saved.scenario()
        ceiling = float(scenario.targets.max_occupancy.get(t, 0.6))
        self.utilisation_chart.show_chart(lambda run, ax: rc.utilisation_heatmap(
            run, t, ax, ceiling=ceiling, label=rc.short_label(scenario.responders[t].label)), saved.run)
