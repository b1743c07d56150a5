"""What a scenario costs a year, and what it saves downstream.

Staffing. Police relief factors are quoted per 8-hour post kept filled every day of the week (56 hours
a week): the people needed to cover one such post through days off, leave, training and sickness,
typically 1.6-1.8. So every unit-hour on duty per week takes `relief_factor / 56` people per person in
the unit, whether the staffing is given by hour or as shift patterns:

    headcount = people_per_unit x relief_factor x (unit-hours on duty per week) / 56

A unit kept on the street around the clock (168 h a week, one officer, relief 1.7) takes 3 x 1.7 = 5.1
officers. Vehicles and overhead are counted per unit on the street at the busiest hour.

What is priced is the roster that is simulated (planner.simulate.staffing_roster): shift blocks as written,
and for staffing given as an hourly `on_duty` list, the runnable roster made from it (standard rotations,
at most `max_start_times` start times, at least the stated units every hour). So an hourly baseline costs
exactly what its runnable roster costs when written out as shift blocks; it can cost more than the hourly
counts themselves, because real shifts overlap where the stated counts change.

Overtime: simulated overtime hours x people per unit x hourly cost (annual cost / 2,080 paid hours)
x the overtime premium. Downstream: simulated outcomes (arrests, jail bookings, ER transports) a year x
their unit costs. A call left unanswered when the simulation ended is priced at the outcome rates of an
officer answering it: calls nobody answered never lower the downstream cost. Repeat calls avoided (case
management) are applied after the simulation as a documented adjustment: calls handled by a type x that
type's repeat-call reduction for the category; the officer hours those calls would have taken are added
to officer hours freed.

Officer hours freed is the officer time that the calls civilian units answered would have taken (each at
its category's officer busy time), plus the repeat calls avoided, minus the officer time spent backing
civilian units up on scene, all measured in the same simulation; never a fall in officer workload that
comes from calls nobody answered. As officer full-time equivalents: hours freed / the productive hours a
year of one officer, which is one 8-hour post's 2,922 hours a year (56 a week) / the officers' relief
factor (1,719 hours at a relief factor of 1.7). Cost per officer hour freed: the change in total annual
cost / officer hours freed.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from planner.scenario import FALLBACK_TYPE, OUTCOMES, Responder, Scenario
from planner.simulate import (
    SimulationRun,
    answered_per_year,
    officer_hours_freed_rows,
    staffing_roster,
    summarise,
)

POST_HOURS_PER_WEEK = 56.0      # one 8-hour post, every day of the week
PAID_HOURS_PER_YEAR = 2080.0    # 40 hours x 52 weeks: the hours a loaded annual cost pays for
WEEKS_PER_YEAR = 365.25 / 7


def unit_hours_per_week(r: Responder) -> float:
    """Unit-hours on duty a week under the roster that is simulated."""
    return staffing_roster(r).unit_hours_per_week


def headcount(r: Responder, hours_per_week: float | None = None) -> float:
    """People needed to keep the responder's units on duty (relief factor applied)."""
    hours = unit_hours_per_week(r) if hours_per_week is None else hours_per_week
    return r.people_per_unit * r.relief_factor * hours / POST_HOURS_PER_WEEK


def vehicles(r: Responder) -> int:
    """Units on the street at the busiest hour of the simulated roster: the vehicles and kit the staffing needs."""
    return int(math.ceil(float(staffing_roster(r).on_duty(60).max()) - 1e-9))


def productive_hours_per_year(r: Responder) -> float:
    """Hours a year one person of this type is on duty: one 8-hour post's hours a year / the relief factor."""
    return POST_HOURS_PER_WEEK * WEEKS_PER_YEAR / r.relief_factor


def full_time_equivalents(hours: float, r: Responder) -> float:
    """Hours a year as people of this type (full-time equivalents at their productive hours a year)."""
    return hours / productive_hours_per_year(r)


def hourly_cost(r: Responder) -> float:
    """Loaded cost of one person-hour."""
    return r.cost_per_person / PAID_HOURS_PER_YEAR


def staffing_table(s: Scenario) -> pd.DataFrame:
    """Per responder type: unit-hours a week, headcount, vehicles and annual staffing cost (no overtime)."""
    rows = []
    for name, r in s.responders.items():
        hours = unit_hours_per_week(r)
        heads = headcount(r, hours)
        veh = vehicles(r)
        rows.append({"responder": name, "label": r.label, "unit_hours_per_week": hours,
                     "units_at_peak": veh, "headcount": heads, "personnel_cost": heads * r.cost_per_person,
                     "overhead_cost": veh * r.overhead_per_unit})
    df = pd.DataFrame(rows).set_index("responder")
    df["staffing_cost"] = df["personnel_cost"] + df["overhead_cost"]
    return df


@dataclass(frozen=True)
class CostSummary:
    """A scenario's annual costs: staffing by type, overtime, downstream outcomes, per call; with intervals."""

    scenario: str
    staffing: pd.DataFrame          # per type: hours, headcount, units at peak, personnel, overhead, staffing cost
    per_replication: pd.DataFrame   # one row per replication: every cost figure that varies with the simulation
    kpis: pd.DataFrame              # summary (mean, ci_low, ci_high) of the cost figures
    unit_costs: dict[str, float]    # downstream unit costs used
    unit_cost_sources: dict[str, str]

    def value(self, name: str) -> float:
        return float(self.kpis.loc[name, "mean"]) if name in self.kpis.index else float("nan")


def cost_summary(s: Scenario, run: SimulationRun, officer_hours_per_call: dict[str, float] | None = None) -> CostSummary:
    """Annual cost of a scenario from its staffing and one simulation run of it.

    `officer_hours_per_call` (category -> officer unit-hours a call takes) prices the repeat calls
    avoided in officer time; without it the run's own figures are used (planner.simulate works them out
    with the calls' demand), else the hours are unknown (NaN), never a guess.
    """
    staff = staffing_table(s)
    rows = run.replication_kpis
    handled = answered_per_year(run)
    unit_costs = {k: v.cost for k, v in s.downstream.items()}
    sources = {k: v.source for k, v in s.downstream.items()}
    out = pd.DataFrame(index=rows.index)
    total_staff = 0.0
    for name, r in s.responders.items():
        ot_hours = rows.get(f"overtime_hours.{name}", pd.Series(0.0, index=rows.index)).fillna(0.0)
        ot_cost = ot_hours * r.people_per_unit * hourly_cost(r) * r.overtime_premium
        base = float(staff.loc[name, "staffing_cost"])
        out[f"overtime_cost.{name}"] = ot_cost
        out[f"staffing_cost.{name}"] = base + ot_cost
        calls = rows.get(f"calls_by_responder_type.{name}", pd.Series(np.nan, index=rows.index))
        out[f"cost_per_call.{name}"] = (base + ot_cost) / calls.where(calls > 0)
        total_staff = total_staff + out[f"staffing_cost.{name}"]
    # A 911 triage pod (call-takers resolving calls by phone) is staff too.
    if "triage_staffing_cost" in rows:
        out["staffing_cost.triage"] = rows["triage_staffing_cost"].fillna(0.0)
        total_staff = total_staff + out["staffing_cost.triage"]
    out["staffing_cost_total"] = total_staff
    # Calls left unanswered are priced as if an officer answered them (their outcomes are only delayed).
    unanswered = handled[handled["type_sent"] == "none"]
    pending = {o: np.zeros(len(rows)) for o in OUTCOMES}
    for rep, cat, n in unanswered[["replication", "category", "calls"]].itertuples(index=False):
        if 0 <= int(rep) < len(rows):
            rates = s.policy_for(cat).outcomes.get(FALLBACK_TYPE, {})
            for o in OUTCOMES:
                pending[o][int(rep)] += n * rates.get(o, 0.0)
    downstream = 0.0
    unanswered_cost = 0.0
    for o in OUTCOMES:
        n = rows.get(f"outcomes.{o}", pd.Series(0.0, index=rows.index)).fillna(0.0)
        out[f"downstream_cost.{o}"] = (n + pending[o]) * unit_costs.get(o, 0.0)
        unanswered_cost = unanswered_cost + pending[o] * unit_costs.get(o, 0.0)
        downstream = downstream + out[f"downstream_cost.{o}"]
    out["downstream_cost_of_unanswered_calls"] = unanswered_cost
    out["downstream_cost_total"] = downstream
    out["total_annual_cost"] = out["staffing_cost_total"] + out["downstream_cost_total"]
    calls_total = rows.get("calls_total", pd.Series(np.nan, index=rows.index))
    out["cost_per_call"] = out["total_annual_cost"] / calls_total.where(calls_total > 0)
    # Repeat calls avoided by case management, and the officer hours they would have taken: one definition
    # with officer hours freed (planner.simulate.officer_hours_freed_rows).
    if officer_hours_per_call is None and "repeat_calls_avoided" in rows:
        avoided = rows["repeat_calls_avoided"].to_numpy(dtype=float)
        hours = rows.get("officer_hours_saved_by_repeat_calls_avoided", pd.Series(np.nan, index=rows.index))
        hours = hours.to_numpy(dtype=float)
    else:
        minutes = None if officer_hours_per_call is None else {c: h * 60 for c, h in officer_hours_per_call.items()}
        freed = officer_hours_freed_rows(run, s, minutes)
        avoided = freed["repeat_calls_avoided"].to_numpy()
        hours = freed["officer_hours_saved_by_repeat_calls_avoided"].to_numpy()
    out["repeat_calls_avoided"] = avoided[:len(rows)]
    out["officer_hours_saved_by_repeat_calls_avoided"] = hours[:len(rows)]
    return CostSummary(scenario=s.name, staffing=staff, per_replication=out, kpis=summarise(out),
                       unit_costs=unit_costs, unit_cost_sources=sources)


def officer_hours_per_call(demand, scenario: Scenario) -> dict[str, float]:
    """Officer unit-hours a call of each category takes: (travel + time on scene) x units sent."""
    from planner.simulate import officer_minutes_per_call

    return {c: m / 60 for c, m in officer_minutes_per_call(scenario, demand).items()}
