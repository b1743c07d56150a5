"""Objectives over the mix model: most officer hours freed within a civilian budget, or least total cost.

max-hours-freed: by default patrol is held at the roster given (`officer_units_fixed`): "if we hire N social
workers, how many officer hours come back". With `patrol="re-roster"` (or no roster given), patrol is then
sized at least cost for the load the civilian units leave it. min-cost: staff of every type plus downstream
outcomes, officers sized to their target (Erlang C and the rule of 60) on the load civilians leave them.

A later civilian type on a nested route is offered what earlier types leave (tables.civilian_tables). The
first solve offers it only its own route's calls (a cautious start); the tables are then rebuilt with the
earlier types' units on duty and the model solved again, keeping the plan the exact prediction rates best.
"""

from __future__ import annotations

import math
import time
from collections.abc import Generator, Mapping, Sequence
from dataclasses import replace

import numpy as np

from optimize.bins import describe_bins
from optimize.errors import OptimizeError
from optimize.mix.inputs import MixInput
from optimize.mix.model import MixModel
from optimize.mix.result import MixResult, ParetoPoint, failure, plan_result, predict
from optimize.mix.tables import civilian_indices, civilian_tables
from optimize.roster import check_extra_names, extra_for, runnable_roster
from optimize.runner import Progress
from optimize.solver import (
    DEFAULT_GAP,
    DEFAULT_TIME_LIMIT,
    SolveStats,
    Status,
    check_solver_options,
    run_solver,
    status_explanation,
)

OBJECTIVES = ("min-cost", "max-hours-freed")
PATROL = ("hold", "re-roster")
_EPS = 1e-6
# Below this many hours a year a gap is not worth a relative figure.
_MEANINGFUL_HOURS = 1.0


def _extras(data: MixInput, extra_units: Mapping[str, np.ndarray] | None) -> dict[str, np.ndarray]:
    check_extra_names(extra_units, data.type_names)
    out: dict[str, np.ndarray] = {}
    for kind in data.types:
        total = np.zeros(data.n_bins)
        if kind.extra_units is not None:
            total = total + kind.extra_units
        more = extra_for(kind.name, extra_units, data.n_bins)
        if more is not None:
            total = total + more
        if total.any():
            out[kind.name] = total
    return out


def _ceilings(data: MixInput, budget: float | None) -> dict[int, int | None]:
    """Most units of each civilian type its headcount cap and the budget allow (bounds the tables)."""
    out: dict[int, int | None] = {}
    for t in civilian_indices(data):
        kind = data.types[t]
        limits = [kind.max_units()] if kind.max_units() is not None else []
        cheapest = data.cheapest_unit(t)
        if budget is not None and 0 < cheapest < math.inf:
            limits.append(int(math.floor(budget / cheapest + 1e-9)))
        floor = 0 if kind.min_on_duty is None else int(np.max(kind.min_on_duty))
        out[t] = max(floor, min(limits)) if limits else None
    return out


def _nested(data: MixInput) -> bool:
    """True when some category's route has two civilian types (so overflow tables must be refined)."""
    civilians = civilian_indices(data)
    return any(sum(data.eligible(c, t) for t in civilians) > 1 for c in range(len(data.categories)))


def _structural_problems(data: MixInput, model: MixModel) -> list[str]:
    problems = []
    officer = data.officer_index
    kind = data.types[officer]
    cap = kind.max_units()
    if not model.hold_officers and cap is not None:
        need = np.maximum(model.officer_lo + model.officer_extra, model.floor[officer])
        peak = int(np.argmax(need))
        if need[peak] > cap + 1e-9:
            people = float(need[peak]) * kind.people_per_unit_staffed
            problems.append(
                f"max_headcount: {kind.name} needs at least {need[peak]:g} units on duty at once "
                f"({describe_bins(np.array([peak]), data.n_bins)}) even if civilian units took every eligible call, "
                f"that is {people:g} people, above max_headcount {kind.max_headcount:g}; raise it to {people:g}")
    for t, kind in enumerate(data.types):
        if t == data.officer_index and model.hold_officers:
            continue
        need = model.floor[t]
        uncovered = np.flatnonzero((need > 0) & (model.cover[t].sum(axis=0) == 0))
        if uncovered.size:
            problems.append(
                f"{kind.name} needs up to {need[uncovered].max():g} units in {uncovered.size} bin(s) "
                f"({describe_bins(uncovered, data.n_bins)}) that none of its shift patterns covers; add patterns "
                f"covering them or lower the minimum there"
            )
    return problems


def _gaps(stats: SolveStats, objective: str, model_value: float) -> tuple[float | None, float | None]:
    """(relative gap, absolute gap in hours): the relative gap only where the objective is big enough to divide by."""
    if stats.best_bound is None or not math.isfinite(stats.best_bound):
        return None, None
    if objective == "max-hours-freed":
        hours_gap = max(0.0, stats.best_bound - model_value)
        if model_value >= _MEANINGFUL_HOURS:
            return hours_gap / model_value, hours_gap
        return None, hours_gap
    return stats.gap, None


class _Solver:
    """One data set, one objective: builds the model (and its refinement) and turns solves into results."""

    def __init__(self, data: MixInput, objective: str, extra: dict[str, np.ndarray], patrol: str,
                 ceiling_budget: float | None) -> None:
        self.data, self.objective, self.extra = data, objective, extra
        self.hold = data.officer_units_fixed is not None and patrol == "hold"
        self.resize_after = objective == "max-hours-freed" and not self.hold
        self.ceilings = _ceilings(data, ceiling_budget)
        self.model = self._build(None)

    def _build(self, upstream: dict[int, np.ndarray] | None) -> MixModel:
        tables = civilian_tables(self.data, upstream_units=upstream, ceilings=self.ceilings)
        # Most hours freed never depends on patrol: that model has no officer decisions (held, or sized after).
        return MixModel(self.data, tables, self.extra, hold_officers=self.hold or self.objective == "max-hours-freed",
                        ceilings=self.ceilings)

    def solve(self, budget: float | None, hours_floor: float | None, solver: str, time_limit: float,
              gap_rel: float, warm_start: bool = False) -> tuple[SolveStats, MixResult | None]:
        started = time.perf_counter()
        best: tuple[SolveStats, MixResult] | None = None
        rounds = 2 if _nested(self.data) else 1
        last = None
        for k in range(rounds):
            if k > 0:
                assert last is not None
                later = civilian_indices(self.data)[1:]
                if not any(last.units_by_type.get(self.data.types[t].name, 0) for t in later):
                    break   # no later type bought: what earlier types leave it does not matter
                upstream = {t: last.on_duty[self.data.types[t].name] for t in civilian_indices(self.data)}
                self.model = self._build(upstream)
                warm_start = False
            remaining = max(1.0, time_limit - (time.perf_counter() - started))
            stats, result = self._solve_once(budget, hours_floor, solver, remaining / (rounds - k), gap_rel,
                                             warm_start, started)
            if result is None:
                if best is None:
                    return stats, None
                break
            last = result
            if best is None or self._better(result, best[1]):
                best = (stats, result)
        return best

    def sized_patrol(self, civilians: dict[int, np.ndarray], solver: str, time_limit: float,
                     budget: float | None, started: float) -> MixResult | None:
        """A plan from given civilian units: patrol sized for the load they leave it (the fewest unit-hours of
        runnable shifts covering the officers' requirement, optimize.roster.runnable_roster)."""
        d = self.data
        officer = d.officer_index
        kind = d.types[officer]
        counts = [civilians.get(t, np.zeros(len(k.patterns), dtype=np.int64)) for t, k in enumerate(d.types)]
        civilian_types = civilian_indices(d)
        counts[officer] = np.zeros(len(kind.patterns), dtype=np.int64)
        m = self.model
        on_duty = {k.name: counts[t] @ m.cover[t] for t, k in enumerate(d.types)}
        need = predict(d, on_duty).officer_need + m.officer_extra
        need = np.maximum(need, m.floor[officer]).astype(np.int64)
        roster = runnable_roster(need, d.bin_minutes, max_starts=kind.max_start_times, time_limit=time_limit,
                                 patterns=kind.patterns, solver=solver)
        if roster.shifts is None:
            return None
        index = {p.name: q for q, p in enumerate(kind.patterns)}
        for pattern, units in roster.shifts:
            counts[officer][index[pattern.name]] += units
        for t, k in enumerate(d.types):
            # A hand-built plan counts only where it keeps every limit the solver keeps.
            cap = k.max_units()
            if cap is not None and float(counts[t] @ k.pattern_teams()) > cap + 1e-9:
                return None
            if (counts[t] @ m.cover[t] < m.floor[t] - 1e-9).any():
                return None
        if budget is not None and sum(float(counts[t] @ m.pattern_costs[t]) for t in civilian_types) > budget + 1e-6:
            return None
        return plan_result(d, counts, m.cover, m.pattern_costs, status=Status.FEASIBLE, objective_name=self.objective,
                           budget=budget, gap=None, gap_hours=None, seconds=time.perf_counter() - started,
                           solver=roster.solver, floors=m.floor, officer_extra=m.officer_extra,
                           note="patrol sized by the runnable roster over the load civilian units leave it")

    def min_cost_candidates(self, solver: str, time_limit: float, started: float,
                            budget: float | None = None) -> list[MixResult]:
        """Plans a careful analyst would try: civilian teams built greedily at a few budgets (none, 1, 2, 4 and 8
        of the cheapest unit), each with patrol sized for what they leave. The solver's plan must beat them."""
        d = self.data
        civilians = civilian_indices(d)
        cheapest = min([d.cheapest_unit(t) for t in civilians] + [math.inf])
        steps = (0, 2, 5, 10, 20, 40) if math.isfinite(cheapest) else (0,)
        out: list[MixResult] = []
        worse = 0
        for k, step in enumerate(steps):
            remaining = time_limit - (time.perf_counter() - started)
            if k and remaining < 3.0:
                break
            spend = cheapest * step if step else 0.0
            if budget is not None and spend > budget:
                break
            plan = self.sized_patrol(greedy_plan(self.model, spend, by_ratio=True),
                                     solver, max(3.0, remaining), budget, started)
            if plan is None:
                continue
            # Total cost falls while civilian units save more than they cost, then rises: stop once past it.
            worse = worse + 1 if out and plan.total_cost >= min(p.total_cost for p in out) else 0
            out.append(plan)
            if worse >= 2:
                break
        return out

    def _better(self, a: MixResult, b: MixResult) -> bool:
        if self.objective == "max-hours-freed":
            return (a.officer_hours_freed or 0.0) > (b.officer_hours_freed or 0.0) + _EPS
        return (a.total_cost or math.inf) < (b.total_cost or math.inf) - _EPS

    def _keeps_floors(self, counts: dict[int, np.ndarray]) -> bool:
        """True when a civilian plan keeps every type's minimum on duty."""
        m = self.model
        return all(not (per_pattern @ m.cover[t] < m.floor[t] - 1e-9).any() for t, per_pattern in counts.items())

    def _greedy(self, budget: float) -> tuple[float, dict[int, np.ndarray]]:
        """The better of the two greedy plans, with its hours on the model's gains."""
        m = self.model
        best = (-1.0, {})
        for by_ratio in (True, False):
            counts = greedy_plan(m, budget, by_ratio)
            hours = 0.0
            for t, per_pattern in counts.items():
                if t in m.gains:
                    on_duty = per_pattern @ m.cover[t]
                    cum = np.concatenate([np.zeros((self.data.n_bins, 1)), np.cumsum(m.gains[t], axis=1)], axis=1)
                    hours += float(cum[np.arange(self.data.n_bins), np.minimum(on_duty, cum.shape[1] - 1)].sum())
            if hours > best[0]:
                best = (hours, counts)
        return best

    def _solve_once(self, budget, hours_floor, solver, time_limit, gap_rel, warm_start, started):
        m = self.model
        m.set_budget(budget)
        m.set_hours_floor(hours_floor)
        m.set_objective(self.objective)
        greedy = None
        lp_bound = None
        if self.objective == "max-hours-freed":
            # The LP relaxation bounds the hours any plan can free: the gap is measured against it too (the
            # MIP solver may stop without a bound of its own).
            relaxed = run_solver(m.prob, solver=solver, time_limit=max(1.0, 0.2 * time_limit), gap_rel=gap_rel,
                                 mip=False)
            if relaxed.status == Status.OPTIMAL:
                lp_bound = m.value(m.hours)
        if self.objective == "max-hours-freed" and budget is not None and m.hold_officers and hours_floor is None:
            greedy = self._greedy(budget)
            warm_start = m.warm_start_from(greedy[1]) or warm_start
        stats = m.solve(solver, time_limit if not self.resize_after else max(1.0, 0.6 * time_limit), gap_rel,
                        warm_start=warm_start)
        if greedy is not None and stats.status != Status.INFEASIBLE and self._keeps_floors(greedy[1]) and (
                not stats.status.has_plan or m.value(m.hours) < greedy[0] - _EPS):
            # The solver found nothing better than the hand-built plan in its time: keep that plan.
            m.warm_start_from(greedy[1])
            stats = SolveStats(Status.FEASIBLE, greedy[0], stats.best_bound if stats.status.has_plan else None,
                               None, stats.solve_seconds, stats.solver, stats.message)
        if self.objective == "max-hours-freed" and lp_bound is not None and stats.status.has_plan:
            known = [b for b in (stats.best_bound, lp_bound) if b is not None and math.isfinite(b)]
            stats = replace(stats, best_bound=min(known))
        if not stats.status.has_plan:
            return stats, None
        model_hours = m.value(m.hours)
        model_value = model_hours if self.objective == "max-hours-freed" else stats.objective
        gap, gap_hours = _gaps(stats, self.objective, model_value)
        counts = m.counts()
        if self.resize_after:
            # Keep the civilian units found; patrol gets the runnable roster over the load they leave it.
            sized = self.sized_patrol({t: counts[t] for t in civilian_indices(self.data)}, solver,
                                      max(10.0, 0.3 * time_limit), budget, started)
            if sized is None:
                return SolveStats(Status.TIME_LIMIT, None, None, None, stats.solve_seconds, stats.solver,
                                  "no runnable patrol roster was found in time"), None
            result = replace(sized, status=stats.status, gap=gap, gap_hours=gap_hours)
        else:
            result = plan_result(
                self.data, counts, m.cover, m.pattern_costs, status=stats.status, objective_name=self.objective,
                budget=budget, gap=gap, gap_hours=gap_hours, seconds=time.perf_counter() - started,
                solver=stats.solver, floors=m.floor, officer_extra=m.officer_extra)
        return stats, replace(result, why_none=_why_none(self.data, m, result, budget))

    def diagnose(self, budget: float | None, solver: str, time_limit: float) -> str:
        """Which limit makes the plan impossible, and how far to move it."""
        parts = []
        seconds = min(10.0, time_limit)
        if budget is not None:
            relaxed = MixModel(self.data, self.model.tables, self.extra, hold_officers=self.hold,
                               relax=frozenset({"budget"}))
            relaxed.set_objective("civilian-cost")
            stats = relaxed.solve(solver, seconds, DEFAULT_GAP)
            if stats.status.has_plan:
                needed = relaxed.value(relaxed.civilian_cost) * relaxed.money
                if needed > budget + _EPS:
                    parts.append(
                        f"budget: the civilian units the minimums on duty need cost at least {needed:,.0f} a year, "
                        f"{needed - budget:,.0f} more than the budget of {budget:,.0f}; raise the budget to "
                        f"{needed:,.0f} or lower min_on_duty")
        if any(kind.max_headcount is not None for kind in self.data.types):
            relaxed = MixModel(self.data, self.model.tables, self.extra, hold_officers=self.hold,
                               relax=frozenset({"headcount", "budget"}))
            relaxed.set_objective("min-cost")
            stats = relaxed.solve(solver, seconds, DEFAULT_GAP)
            if stats.status.has_plan:
                for t, kind in enumerate(self.data.types):
                    if kind.max_headcount is None:
                        continue
                    units = sum(round(v.varValue or 0.0) for v in relaxed.x[t].values())
                    people = units * kind.people_per_unit_staffed
                    if people > kind.max_headcount + _EPS:
                        parts.append(f"max_headcount: {kind.name} needs {units} units = {people:g} people, above "
                                     f"max_headcount {kind.max_headcount:g}; raise it to {people:g}")
        for t, kind in enumerate(self.data.types):
            if t == self.data.officer_index and self.hold:
                continue
            limit = kind.max_start_times
            if limit is not None and self.model.floor[t].any():
                parts.append(f"{kind.name} may start shifts at {limit} time(s) (max_start_times); check that so "
                             f"few starts can cover its minimum on duty")
        if not parts:
            parts.append("the limits (budget, headcount, minimum on duty) cannot all be met; relax one of them")
        return "infeasible: " + "; ".join(parts) + "."


def _why_none(data: MixInput, model: MixModel, result: MixResult, budget: float | None) -> dict[str, str]:
    """One line per civilian type the plan buys none of."""
    out = {}
    busy = np.where(np.isfinite(data.busy_minutes), data.busy_minutes, 0.0)
    for t in civilian_indices(data):
        kind = data.types[t]
        if (result.units_by_type or {}).get(kind.name, 0):
            continue
        if not any(data.eligible(c, t) and data.arrival_rate[c].sum() > 0 for c in range(len(data.categories))):
            out[kind.name] = "no call is eligible for it in the policy (every eligible share is 0)"
            continue
        cheapest = data.cheapest_unit(t)
        if budget is not None and result.objective_name == "max-hours-freed":
            spent = sum((result.annual_cost_by_type or {}).get(data.types[s].name, 0.0) for s in civilian_indices(data))
            if cheapest > budget + _EPS:
                out[kind.name] = f"the budget ({budget:,.0f}) is below the cheapest unit ({cheapest:,.0f} a year)"
            elif cheapest > budget - spent + _EPS:
                out[kind.name] = (f"the budget left after the other units ({budget - spent:,.0f}) is below its "
                                  f"cheapest unit ({cheapest:,.0f} a year); its units free fewer hours per dollar")
            else:
                out[kind.name] = "its units free fewer officer hours per dollar than the units bought instead"
        else:
            officer = data.officer_index
            officer_cost_hour = float(data.types[officer].pattern_costs().min()) / max(
                1.0, data.types[officer].patterns[0].weekly_hours * data.weeks_per_year)
            rows = [c for c in range(len(data.categories)) if data.eligible(c, t)]
            worth = float(np.mean(busy[rows, officer])) / 60 * officer_cost_hour if rows else 0.0
            out[kind.name] = (f"a unit costs more ({cheapest:,.0f} a year) than the officer time and outcomes it "
                              f"would save (about {worth:,.0f} of officer time per call answered)")
    return out


def greedy_plan(model: MixModel, budget: float, by_ratio: bool) -> dict[int, np.ndarray]:
    """Civilian units added one at a time, each the one that frees the most officer hours (per dollar, with
    `by_ratio`) on the model's gains, while the budget and each type's start-time limit allow: the plan a
    careful analyst would build by hand, and a floor for the solver."""
    d = model.data
    counts = {t: np.zeros(len(d.types[t].patterns), dtype=np.int64) for t in civilian_indices(d)}
    on_duty = {t: np.zeros(d.n_bins, dtype=np.int64) for t in counts}
    left = float(budget)
    while True:
        best = None
        for t in counts:
            if not model.x[t] or t not in model.gains:
                continue
            kind = d.types[t]
            gains = model.gains[t]
            depth = gains.shape[1]
            nxt = np.where(on_duty[t] < depth, gains[np.arange(d.n_bins), np.minimum(on_duty[t], depth - 1)], 0.0)
            used = {kind.patterns[p].start_minute for p in np.flatnonzero(counts[t])}
            peak = int(on_duty[t].max(initial=0))
            # Every candidate pattern at once: its extra vehicles, its cost and the hours it adds.
            cand = np.fromiter(model.x[t], dtype=np.int64)
            cover = model.cover[t][cand]
            raised = (on_duty[t] + cover).max(axis=1) - peak
            cost = model.pattern_costs[t][cand] + kind.overhead_per_vehicle * raised
            gain = cover @ nxt
            ok = (cost <= left + 1e-6) & (gain > 1e-9)
            if kind.max_start_times is not None and len(used) >= kind.max_start_times:
                ok &= np.array([kind.patterns[p].start_minute in used for p in cand], dtype=bool)
            if not ok.any():
                continue
            score = np.where(ok, gain / np.maximum(cost, 1e-9) if by_ratio else gain, -np.inf)
            k = int(np.argmax(score))          # the first of equal scores, as the loop over patterns took it
            if best is None or score[k] > best[0]:
                best = (float(score[k]), t, int(cand[k]), float(cost[k]))
        if best is None:
            return counts
        _, t, p, cost = best
        counts[t][p] += 1
        on_duty[t] = on_duty[t] + model.cover[t][p]
        left -= cost


def _check_objective(objective: str) -> None:
    if objective not in OBJECTIVES:
        raise OptimizeError(f"objective is {objective!r}, but it must be one of {', '.join(OBJECTIVES)}")


def _check_patrol(patrol: str) -> None:
    if patrol not in PATROL:
        raise OptimizeError(f"patrol is {patrol!r}, but it must be one of {', '.join(PATROL)}")


def solve_mix(
    model_input: MixInput,
    *,
    objective: str = "min-cost",
    budget: float | None = None,
    min_officer_hours_freed: float | None = None,
    extra_units: Mapping[str, np.ndarray] | None = None,
    time_limit: float = DEFAULT_TIME_LIMIT,
    solver: str = "highs",
    gap_rel: float = DEFAULT_GAP,
    patrol: str = "hold",
) -> MixResult:
    """Best roster of every type: least total cost, or most officer hours freed within a civilian budget."""
    if not isinstance(model_input, MixInput):
        raise OptimizeError(f"model_input is {type(model_input).__name__}, but it must be a MixInput")
    _check_objective(objective)
    _check_patrol(patrol)
    check_solver_options(solver, time_limit, gap_rel)
    if budget is not None and (not math.isfinite(budget) or budget < 0):
        raise OptimizeError(f"budget is {budget!r}, but it must be a finite amount >= 0 or None")
    if objective == "max-hours-freed" and budget is None:
        raise OptimizeError("objective 'max-hours-freed' needs a budget: the civilian staff cost it may spend")
    if min_officer_hours_freed is not None and (
            not math.isfinite(min_officer_hours_freed) or min_officer_hours_freed < 0):
        raise OptimizeError(f"min_officer_hours_freed is {min_officer_hours_freed!r}, but it must be >= 0 or None")
    started = time.perf_counter()
    extra = _extras(model_input, extra_units)
    job = _Solver(model_input, objective, extra, patrol, budget)
    problems = _structural_problems(model_input, job.model)
    if problems:
        return failure(Status.INFEASIBLE, "none", objective, budget, time.perf_counter() - started,
                       "infeasible: " + "; ".join(problems) + ".")
    by_hand = objective == "min-cost" and min_officer_hours_freed is None and not job.hold
    first = max(0.4 * time_limit, min(time_limit, 5.0)) if by_hand else time_limit
    stats, result = job.solve(budget, min_officer_hours_freed, solver, first, gap_rel)
    candidates: list[MixResult] = []
    if by_hand and stats.status != Status.INFEASIBLE and time_limit - (time.perf_counter() - started) >= 1.0:
        # The rest of the time for plans an analyst would build by hand (civilian teams at a few budgets, patrol
        # sized for what they leave): the solver's plan must beat them, or one of them is the answer.
        candidates = job.min_cost_candidates(solver, max(3.0, time_limit - (time.perf_counter() - started)),
                                             time.perf_counter(), budget)
    seconds = time.perf_counter() - started
    if candidates:
        best = min(candidates, key=lambda c: c.total_cost)
        if result is None or best.total_cost < (result.total_cost or math.inf) - _EPS:
            bound = None if result is None or stats.best_bound is None else stats.best_bound * job.model.money
            gap = None if bound is None else max(0.0, (best.total_cost - bound) / best.total_cost)
            result = replace(best, gap=gap, objective=best.total_cost, explanation=best.explanation.replace(
                "feasible:", "feasible (the solver found nothing cheaper):", 1) + (
                "" if gap is None else f"; gap {gap:.2%} from the solver's bound"))
    if result is not None:
        return replace(result, solve_seconds=seconds)
    if stats.status == Status.INFEASIBLE:
        return failure(stats.status, stats.solver, objective, budget, time.perf_counter() - started,
                       job.diagnose(budget, solver, time_limit))
    return failure(stats.status, stats.solver, objective, budget, seconds, status_explanation(stats, time_limit))


def pareto_sweep(
    model_input: MixInput,
    budgets: Sequence[float],
    *,
    time_limit_per_point: float = 10.0,
    solver: str = "highs",
    gap_rel: float = DEFAULT_GAP,
    extra_units: Mapping[str, np.ndarray] | None = None,
    patrol: str = "hold",
) -> Generator[Progress, None, list[ParetoPoint]]:
    """Most officer hours freed at each civilian budget (ascending); hours never fall as the budget rises."""
    if not isinstance(model_input, MixInput):
        raise OptimizeError(f"model_input is {type(model_input).__name__}, but it must be a MixInput")
    _check_patrol(patrol)
    check_solver_options(solver, time_limit_per_point, gap_rel)
    values = sorted({float(b) for b in budgets})
    if not values:
        raise OptimizeError("budgets is empty, but a sweep needs at least one budget")
    if any(not math.isfinite(b) or b < 0 for b in values):
        raise OptimizeError(f"budgets are {values}, but each must be a finite amount >= 0")
    extra = _extras(model_input, extra_units)
    officer = model_input.officer
    total = len(values)
    yield Progress(0, total, "building the mix model")
    job = _Solver(model_input, "max-hours-freed", extra, patrol, values[-1])
    problems = _structural_problems(model_input, job.model)
    points: list[ParetoPoint] = []
    previous: MixResult | None = None
    for j, budget in enumerate(values):
        yield Progress(j, total, f"budget {budget:,.0f}: solving")
        started = time.perf_counter()
        if problems:
            result = failure(Status.INFEASIBLE, "none", "max-hours-freed", budget, 0.0,
                             "infeasible: " + "; ".join(problems) + ".")
        else:
            stats, result = job.solve(budget, None, solver, time_limit_per_point, gap_rel,
                                      warm_start=previous is not None)
            seconds = time.perf_counter() - started
            if result is None and stats.status == Status.INFEASIBLE:
                result = failure(stats.status, stats.solver, "max-hours-freed", budget, seconds,
                                 job.diagnose(budget, solver, time_limit_per_point))
            elif result is None:
                result = failure(stats.status, stats.solver, "max-hours-freed", budget, seconds,
                                 status_explanation(stats, time_limit_per_point))
            # A larger budget admits the previous plan: never report fewer hours than it freed.
            if previous is not None and (result.officer_hours_freed is None
                                         or result.officer_hours_freed < (previous.officer_hours_freed or 0.0)):
                result = replace(previous, budget=budget, status=Status.FEASIBLE, solve_seconds=seconds,
                                 explanation=f"feasible: the plan of budget {previous.budget:,.0f} carried over "
                                             f"(this solve found nothing better within {time_limit_per_point:g} s)")
        if result.status.has_plan:
            previous = result
        civilian = None
        if result.annual_cost_by_type is not None:
            civilian = float(sum(v for k, v in result.annual_cost_by_type.items() if k != officer))
        points.append(ParetoPoint(
            budget, result.status, result.total_cost, result.officer_hours_freed,
            result if result.status.has_plan else None, civilian, result.staff_cost, result.downstream_cost,
            result.explanation))
        hours = "no plan" if result.officer_hours_freed is None else f"{result.officer_hours_freed:,.0f} h freed"
        yield Progress(j + 1, total, f"budget {budget:,.0f}: {hours}")
    return points
