"""A mix plan in figures: what each type carries, the officer hours it frees, its cost, as the queueing model predicts."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from optimize.mix.inputs import MixInput
from optimize.mix.tables import OfficerCapacity, carried_at, civilian_indices, civilian_tables
from optimize.solver import Status


@dataclass(frozen=True, eq=False)
class MixResult:
    """Outcome of a mix solve; plan fields are None unless the status has a plan."""

    status: Status
    objective: float | None  # total annual cost ("min-cost") or officer hours freed a year ("max-hours-freed")
    gap: float | None        # relative gap, only where meaningful (see gap_hours for max-hours-freed)
    solve_seconds: float
    solver: str
    routed: dict[tuple[str, str], float] | None  # calls a year of each category answered by each type (predicted)
    share: dict[tuple[str, str], float] | None  # fraction of each category's calls answered by each type
    units_by_pattern: dict[str, dict[str, int]] | None
    on_duty: dict[str, np.ndarray] | None
    headcount_by_type: dict[str, float] | None
    annual_cost_by_type: dict[str, float] | None  # staff cost a year per type
    downstream_cost: float | None  # expected outcome cost a year of all calls
    officer_hours_freed: float | None  # officer busy hours a year of the calls civilian units answer (predicted)
    requirements: dict[str, np.ndarray] | None  # officers: units the load left to them needs per bin
    explanation: str
    objective_name: str = "min-cost"
    budget: float | None = None
    load: dict[str, np.ndarray] | None = None  # erlangs per bin per type (officers: what civilians leave them)
    units_by_type: dict[str, int] | None = None
    downstream_cost_by_type: dict[str, float] | None = None
    shortfall: dict[str, np.ndarray] | None = None  # when infeasible: units missing per bin under the limits
    gap_hours: float | None = None  # max-hours-freed: most officer hours a year a better plan could add (bound)
    fallback_calls: dict[str, float] | None = None  # calls a year that found no free unit of the type (predicted)
    offered_calls: dict[str, float] | None = None  # calls a year offered to each civilian type (predicted)
    officer_hours_freed_by_type: dict[str, float] | None = None
    why_none: dict[str, str] | None = None  # civilian types the plan buys none of, and why

    @property
    def staff_cost(self) -> float | None:
        """Annual staff cost of all types."""
        return None if self.annual_cost_by_type is None else float(sum(self.annual_cost_by_type.values()))

    @property
    def total_cost(self) -> float | None:
        """Annual staff cost plus downstream outcome cost."""
        if self.staff_cost is None or self.downstream_cost is None:
            return None
        return self.staff_cost + self.downstream_cost


@dataclass(frozen=True, eq=False)
class ParetoPoint:
    """One budget of a sweep: what it buys in officer hours freed, at what annual cost, with which mix."""

    budget: float
    status: Status
    annual_cost: float | None  # staff of all types + downstream outcomes
    officer_hours_freed: float | None
    mix: MixResult | None
    civilian_cost: float | None = None
    staff_cost: float | None = None
    downstream_cost: float | None = None
    explanation: str = ""


@dataclass(frozen=True, eq=False)
class Prediction:
    """What the queueing model predicts for given units on duty of every type."""

    carried: np.ndarray        # [n_categories, n_types, n_bins] calls per hour answered by each type
    offered: np.ndarray        # [n_categories, n_types, n_bins] calls per hour offered to each civilian type
    officer_load: np.ndarray   # [n_bins] erlangs left to officers
    officer_need: np.ndarray   # [n_bins] officer units the target asks for with that load
    hours_freed: float
    hours_freed_by_type: dict[str, float]
    downstream: float
    downstream_by_type: dict[str, float]


def predict(data: MixInput, on_duty: dict[str, np.ndarray]) -> Prediction:
    """Exact queueing prediction (no concave simplification) for units on duty per type and bin."""
    d = data
    officer = d.officer_index
    yearly = d.bins_per_year
    busy = np.where(np.isfinite(d.busy_minutes), d.busy_minutes, 0.0)
    units = {t: np.asarray(on_duty[d.types[t].name]) for t in civilian_indices(d)}
    tables = civilian_tables(d, upstream_units=units, ceilings={t: int(max(units[t].max(initial=0), 0)) for t in units})
    n_c, n_t = len(d.categories), len(d.types)
    carried = np.zeros((n_c, n_t, d.n_bins))
    offered = np.zeros((n_c, n_t, d.n_bins))
    for t, table in tables.items():
        carried[:, t, :] = carried_at(table, units[t]).T
        offered[:, t, :] = table.offered
    civilian_calls = carried.sum(axis=1)
    carried[:, officer, :] = np.maximum(0.0, d.arrival_rate - civilian_calls)
    officer_hours = busy[:, officer] / 60.0
    officer_load = d.officers_only_load() - (civilian_calls * officer_hours[:, None]).sum(axis=0)
    officer_load = np.maximum(officer_load, 0.0)
    capacity = OfficerCapacity(d.types[officer], d.service_minutes[officer])
    need = np.array([capacity.level(float(a)) for a in officer_load])
    by_type = {d.types[t].name: float((carried[:, t, :].sum(axis=1) * officer_hours).sum() * yearly)
               for t in civilian_indices(d)}
    down_by_type = {kind.name: float((carried[:, t, :].sum(axis=1) * d.downstream_cost[:, t]).sum() * yearly)
                    for t, kind in enumerate(d.types)}
    return Prediction(carried, offered, officer_load, need, float(sum(by_type.values())), by_type,
                      float(sum(down_by_type.values())), down_by_type)


def plan_result(data: MixInput, counts: list[np.ndarray], cover: list[np.ndarray], pattern_costs: list[np.ndarray],
                *, status: Status, objective_name: str, budget: float | None, gap: float | None,
                gap_hours: float | None, seconds: float, solver: str, floors: np.ndarray, note: str = "",
                officer_extra: np.ndarray | None = None) -> MixResult:
    """The plan given by whole units per pattern, with every figure predicted by `predict`."""
    d = data
    officer = d.officer_index
    yearly = d.bins_per_year
    busy = np.where(np.isfinite(d.busy_minutes), d.busy_minutes, 0.0)
    on_duty = {kind.name: counts[t] @ cover[t] for t, kind in enumerate(d.types)}
    p = predict(d, on_duty)
    routed, shares = {}, {}
    for c, category in enumerate(d.categories):
        demand = float(d.arrival_rate[c].sum())
        for t, kind in enumerate(d.types):
            if t != officer and not d.eligible(c, t) and not p.carried[c, t].any():
                continue
            routed[category, kind.name] = float(p.carried[c, t].sum() * yearly)
            shares[category, kind.name] = float(p.carried[c, t].sum() / demand) if demand > 0 else 0.0
    units_by_pattern, headcount, cost, units_by_type, load, requirements = {}, {}, {}, {}, {}, {}
    fallback, offered = {}, {}
    for t, kind in enumerate(d.types):
        units_by_pattern[kind.name] = {kind.patterns[q].name: int(counts[t][q]) for q in np.flatnonzero(counts[t])}
        units_by_type[kind.name] = int(counts[t].sum())
        headcount[kind.name] = units_by_type[kind.name] * kind.people_per_unit * kind.relief_factor
        cost[kind.name] = float(counts[t] @ pattern_costs[t]) + kind.overhead_per_vehicle * float(
            on_duty[kind.name].max(initial=0))
        if t == officer:
            load[kind.name] = p.officer_load
            extra = np.zeros(d.n_bins) if officer_extra is None else officer_extra
            requirements[kind.name] = np.maximum(p.officer_need + extra, floors[t]).astype(np.int64)
        else:
            load[kind.name] = (p.carried[:, t, :] * busy[:, t, None]).sum(axis=0) / 60.0
            requirements[kind.name] = floors[t].astype(np.int64)
            offered[kind.name] = float(p.offered[:, t, :].sum() * yearly)
            fallback[kind.name] = float((p.offered[:, t, :] - p.carried[:, t, :]).sum() * yearly)
    staff = float(sum(cost.values()))
    objective = p.hours_freed if objective_name == "max-hours-freed" else staff + p.downstream
    civilians = ", ".join(f"{units_by_type[d.types[t].name]} {d.types[t].name} unit(s)" for t in civilian_indices(d))
    if gap is not None:
        gap_text = f", gap {gap:.2%}"
    elif gap_hours is not None:
        gap_text = f", at most {gap_hours:,.0f} hours from the best possible"
    else:
        gap_text = ""
    explanation = (
        f"{status.value}: {units_by_type[d.officer]} {d.officer} unit(s)" + (f", {civilians}" if civilians else "")
        + f"; {p.hours_freed:,.0f} officer hours freed a year; annual cost {staff + p.downstream:,.0f} "
        f"(staff {staff:,.0f}, downstream {p.downstream:,.0f}){gap_text}"
    )
    if note:
        explanation += f"; {note}"
    return MixResult(
        status, objective, gap, seconds, solver, routed, shares, units_by_pattern, on_duty, headcount, cost,
        p.downstream, p.hours_freed, requirements, explanation, objective_name, budget, load, units_by_type,
        p.downstream_by_type, gap_hours=gap_hours, fallback_calls=fallback, offered_calls=offered,
        officer_hours_freed_by_type=p.hours_freed_by_type,
    )


def failure(status: Status, solver: str, objective: str, budget: float | None, seconds: float, explanation: str,
            shortfall: dict[str, np.ndarray] | None = None) -> MixResult:
    """A result with no plan."""
    return MixResult(status, None, None, seconds, solver, None, None, None, None, None, None, None, None, None,
                     explanation, objective, budget, shortfall=shortfall)
