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
their unit costs. Repeat calls avoided (case management) are applied after the simulation as a
documented adjustment: calls handled by a type x that type's repeat-call reduction for the category;
the officer hours those calls would have taken are added to officer hours freed.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from planner.scenario import FALLBACK_TYPE, OUTCOMES, Responder, Scenario
from planner.simulate import SimulationRun, staffing_roster, summarise

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


def _handled_per_year(run: SimulationRun) -> pd.DataFrame:
    """Calls a year by replication, category and type sent (from the per-call records)."""
    rec = run.records
    if rec.empty:
        return pd.DataFrame(columns=["replication", "category", "type_sent", "calls"])
    window_days = run.horizon_days - run.warmup_days
    scale = WEEKS_PER_YEAR * 7 / window_days
    g = rec.groupby(["replication", "category", "type_sent"], observed=True).size().rename("calls").reset_index()
    g["calls"] = g["calls"] * scale
    g["category"] = g["category"].astype(str)
    g["type_sent"] = g["type_sent"].astype(str)
    return g


def cost_summary(s: Scenario, run: SimulationRun, officer_hours_per_call: dict[str, float] | None = None) -> CostSummary:
    """Annual cost of a scenario from its staffing and one simulation run of it.

    `officer_hours_per_call` (category -> officer unit-hours a call takes) prices the repeat calls
    avoided in officer time; without it, repeat calls are counted but not turned into hours.
    """
    staff = staffing_table(s)
    rows = run.replication_kpis
    handled = _handled_per_year(run)
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
    out["staffing_cost_total"] = total_staff
    downstream = 0.0
    for o in OUTCOMES:
        n = rows.get(f"outcomes.{o}", pd.Series(0.0, index=rows.index)).fillna(0.0)
        out[f"downstream_cost.{o}"] = n * unit_costs.get(o, 0.0)
        downstream = downstream + out[f"downstream_cost.{o}"]
    out["downstream_cost_total"] = downstream
    out["total_annual_cost"] = out["staffing_cost_total"] + out["downstream_cost_total"]
    calls_total = rows.get("calls_total", pd.Series(np.nan, index=rows.index))
    out["cost_per_call"] = out["total_annual_cost"] / calls_total.where(calls_total > 0)
    # Repeat calls avoided by case management, and the officer hours they would have taken.
    avoided = pd.Series(0.0, index=rows.index)
    hours = pd.Series(0.0, index=rows.index)
    for _, h in handled.iterrows():
        rate = s.policy_for(h["category"]).repeat_call_reduction.get(h["type_sent"], 0.0)
        if rate and 0 <= int(h["replication"]) < len(rows):
            n = h["calls"] * rate
            avoided.iloc[int(h["replication"])] += n
            if officer_hours_per_call:
                hours.iloc[int(h["replication"])] += n * officer_hours_per_call.get(h["category"], 0.0)
    out["repeat_calls_avoided"] = avoided
    out["officer_hours_saved_by_repeat_calls_avoided"] = hours
    return CostSummary(scenario=s.name, staffing=staff, per_replication=out, kpis=summarise(out),
                       unit_costs=unit_costs, unit_cost_sources=sources)


def officer_hours_per_call(demand, scenario: Scenario) -> dict[str, float]:
    """Officer unit-hours a call of each category takes: (travel + time on scene) x units sent."""
    travel = scenario.responders[FALLBACK_TYPE].travel_minutes
    return {c: (travel + demand.on_scene_minutes[c]) * demand.mean_units(c) / 60 for c in demand.categories}
