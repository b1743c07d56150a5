"""Roster model: whole units per shift pattern for several responder types, covering each type's requirement."""

from __future__ import annotations

import itertools
import math
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pulp

from optimize.bins import bin_minutes_for, describe_bins, n_bins
from optimize.covering import lp_bounds_by_column_set
from optimize.errors import OptimizeError
from optimize.patterns import (
    STANDARD_DAY_PATTERNS,
    ShiftPattern,
    coverage_matrix,
    distinct_starts,
    generate_patterns,
)
from optimize.solver import (
    DEFAULT_GAP,
    DEFAULT_TIME_LIMIT,
    SolveStats,
    Status,
    check_solver_options,
    relative_gap,
    run_solver,
    status_explanation,
)

_INTEGRALITY = 1e-6


def _bin_vector(owner: str, name: str, value: object, length: int | None, *, integral: bool = True) -> np.ndarray:
    """A read-only per-bin vector of whole units >= 0, or an OptimizeError naming the field."""
    array = np.array(value, dtype=float, copy=True)
    if array.ndim != 1:
        raise OptimizeError(f"{owner}: {name} has {array.ndim} dimensions, but it must be one value per bin")
    if length is not None and array.shape[0] != length:
        raise OptimizeError(f"{owner}: {name} has {array.shape[0]} bins, but {length} are expected")
    bad = np.flatnonzero(~np.isfinite(array) | (array < 0))
    if bad.size:
        raise OptimizeError(f"{owner}: {name}[{bad[0]}] is {float(array[bad[0]])!r}, but it must be finite and >= 0")
    if integral:
        fractional = np.flatnonzero(np.abs(array - np.round(array)) > _INTEGRALITY)
        if fractional.size:
            raise OptimizeError(
                f"{owner}: {name}[{fractional[0]}] is {float(array[fractional[0]])!r}, but units on duty are whole numbers"
            )
        array = np.round(array)
    array.setflags(write=False)
    return array


def check_max_starts(value: object, what: str) -> None:
    """Raise OptimizeError unless `value` is None or a whole number >= 1 (a limit on distinct start times)."""
    if value is None:
        return
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < 1:
        raise OptimizeError(
            f"{what} is {value!r}, but it must be a whole number >= 1 (distinct shift start times) or None"
        )


def limit_start_times(
    prob: pulp.LpProblem,
    x: Mapping[int, pulp.LpVariable],
    patterns: Sequence[ShiftPattern],
    max_starts: int | None,
    upper: float,
    name: str,
) -> dict[int, pulp.LpVariable]:
    """Let the units in `x` (pattern index -> whole units) start their shifts at no more than `max_starts` times.

    One binary s[m] per distinct start minute m among the patterns with a variable in `x`; x[p] <= upper *
    s[start of p] and sum(s) <= max_starts. `upper` must bound every x[p] of the plans worth keeping (e.g. the
    most units any bin needs). Returns start minute -> binary; adds nothing and returns {} when max_starts is
    None or at least the number of distinct starts. `name` prefixes the new variables and constraints.
    """
    check_max_starts(max_starts, f"{name}: max_starts")
    if max_starts is None:
        return {}
    if isinstance(upper, bool) or not isinstance(upper, int | float | np.number) or not math.isfinite(upper) or upper <= 0:
        raise OptimizeError(f"{name}: upper is {upper!r}, but it must be a positive bound on units per pattern")
    starts = distinct_starts([patterns[p] for p in x])
    if max_starts >= len(starts):
        return {}
    chosen = {m: prob.add_variable(f"{name}_start_{m}", 0, 1, cat=pulp.LpInteger) for m in starts}
    for p, units in x.items():
        prob += units <= float(upper) * chosen[patterns[p].start_minute], f"{name}_start_of_{p}"
    prob += pulp.lpSum(chosen.values()) <= int(max_starts), f"{name}_max_starts"
    return chosen


def fewest_start_times(
    patterns: Sequence[ShiftPattern],
    need: np.ndarray,
    *,
    solver: str = "highs",
    time_limit: float = DEFAULT_TIME_LIMIT,
) -> int | None:
    """Fewest distinct start times whose patterns cover every bin with a need, units unlimited.

    None when no set of starts covers them or the solver could not prove the fewest within the time limit.
    """
    cover = coverage_matrix(patterns, bin_minutes_for(need.shape[0]))
    needed = np.flatnonzero(need > 0)
    if not needed.size:
        return 0
    starts = distinct_starts(patterns)
    reach = np.zeros((len(starts), need.shape[0]), dtype=bool)  # start -> bins some pattern of it covers
    index = {m: k for k, m in enumerate(starts)}
    for p, pattern in enumerate(patterns):
        reach[index[pattern.start_minute]] |= cover[p].astype(bool)
    if not reach[:, needed].any(axis=0).all():
        return None
    prob = pulp.LpProblem("fewest_starts", pulp.LpMinimize)
    chosen = [prob.add_variable(f"s_{m}", 0, 1, cat=pulp.LpInteger) for m in starts]
    prob += pulp.lpSum(chosen)
    for i in needed:
        prob += pulp.lpSum(chosen[k] for k in np.flatnonzero(reach[:, i])) >= 1, f"bin_{i}"
    stats = run_solver(prob, solver=solver, time_limit=time_limit, gap_rel=0.0)
    if stats.status != Status.OPTIMAL or stats.objective is None:
        return None
    return int(round(stats.objective))


def _starts_explanation(owner: str, key: str, patterns: Sequence[ShiftPattern], need: np.ndarray, limit: int,
                        solver: str, time_limit: float) -> str | None:
    """Why `limit` start times cannot cover `need`, and what to raise the limit to; None if they can."""
    if limit >= len(distinct_starts(patterns)):
        return None
    fewest = fewest_start_times(patterns, need, solver=solver, time_limit=time_limit)
    if fewest is None or fewest <= limit:
        return None
    longest = max(p.length_minutes for p in patterns) / 60
    return (
        f"{key}: {owner} shifts (up to {longest:g} h) starting at {limit} time(s) of day cannot cover every bin "
        f"that needs units; it takes at least {fewest} start times: raise {key} to {fewest} or allow longer shifts"
    )


@dataclass(frozen=True, eq=False, kw_only=True)
class UnitType:
    """What every responder type shares: its shift patterns, costs, staffing limits and per-bin floors."""

    name: str
    patterns: tuple[ShiftPattern, ...]
    people_per_unit: int = 1  # e.g. 2 for a co-responder unit (officer + clinician)
    relief_factor: float = 1.0  # people needed to keep one post filled given leave, training, sickness
    cost_per_person: float = 0.0  # fully loaded annual cost of one person
    overhead_per_unit: float = 0.0  # vehicle and other annual overhead of one unit
    min_on_duty: np.ndarray | None = None  # per bin: at least this many units on duty
    extra_units: np.ndarray | None = None  # per bin: units added on top of the requirement (simulation correction)
    max_headcount: float | None = None  # cap on people (units x people_per_unit x relief_factor)
    paid_hours_per_week: float | None = None  # if set, a pattern costs in proportion to its weekly hours over this
    max_start_times: int | None = None  # at most this many distinct shift start times (e.g. 3 watches); None: any

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not self.name:
            raise OptimizeError(f"name is {self.name!r}, but a responder type needs a non-empty name")
        owner = f"type {self.name!r}"
        patterns = tuple(self.patterns)
        if not patterns or not all(isinstance(p, ShiftPattern) for p in patterns):
            raise OptimizeError(f"{owner}: patterns has {len(patterns)} entries, but it needs at least one ShiftPattern")
        names = [p.name for p in patterns]
        if len(set(names)) != len(names):
            duplicate = next(n for n in names if names.count(n) > 1)
            raise OptimizeError(f"{owner}: pattern name {duplicate!r} appears twice, but names must be unique")
        object.__setattr__(self, "patterns", patterns)
        if isinstance(self.people_per_unit, bool) or not isinstance(self.people_per_unit, int) or self.people_per_unit < 1:
            raise OptimizeError(f"{owner}: people_per_unit is {self.people_per_unit!r}, but it must be a whole number >= 1")
        if not math.isfinite(self.relief_factor) or self.relief_factor < 1:
            raise OptimizeError(
                f"{owner}: relief_factor is {self.relief_factor!r}, but it must be >= 1 (people per post, e.g. 1.7)"
            )
        for name in ("cost_per_person", "overhead_per_unit"):
            value = getattr(self, name)
            if not math.isfinite(value) or value < 0:
                raise OptimizeError(f"{owner}: {name} is {value!r}, but it must be a finite amount >= 0")
        if self.max_headcount is not None and (not math.isfinite(self.max_headcount) or self.max_headcount < 0):
            raise OptimizeError(f"{owner}: max_headcount is {self.max_headcount!r}, but it must be >= 0 or None")
        if self.paid_hours_per_week is not None and (
            not math.isfinite(self.paid_hours_per_week) or self.paid_hours_per_week <= 0
        ):
            raise OptimizeError(
                f"{owner}: paid_hours_per_week is {self.paid_hours_per_week!r}, but it must be positive or None"
            )
        for name in ("min_on_duty", "extra_units"):
            value = getattr(self, name)
            if value is not None:
                object.__setattr__(self, name, _bin_vector(owner, name, value, None))
        check_max_starts(self.max_start_times, f"{owner}: max_start_times")

    @property
    def annual_cost_per_unit(self) -> float:
        """people_per_unit x relief_factor x cost_per_person + overhead_per_unit."""
        return self.people_per_unit * self.relief_factor * self.cost_per_person + self.overhead_per_unit

    @property
    def people_per_unit_staffed(self) -> float:
        """Headcount behind one unit: people_per_unit x relief_factor."""
        return self.people_per_unit * self.relief_factor

    def pattern_costs(self) -> np.ndarray:
        """Annual cost of one unit on each pattern (a Pitman unit is two teams: it costs two)."""
        if self.paid_hours_per_week is None:
            return self.annual_cost_per_unit * self.pattern_teams()
        # Weekly hours already count every team: a Pitman post is 84 hours a week, two teams of 42.
        hours = np.array([p.weekly_hours for p in self.patterns])
        return self.annual_cost_per_unit * hours / self.paid_hours_per_week

    def pattern_teams(self) -> np.ndarray:
        """Teams it takes to keep one unit on each pattern (2 for Pitman 2-2-3, else 1)."""
        return np.array([p.teams for p in self.patterns], dtype=float)

    def max_units(self) -> int | None:
        """Most units the headcount cap allows (None if uncapped)."""
        if self.max_headcount is None:
            return None
        return int(math.floor(self.max_headcount / self.people_per_unit_staffed + _INTEGRALITY))

    def check_bins(self, count: int) -> None:
        """Raise OptimizeError unless every per-bin field has `count` bins."""
        for name in ("min_on_duty", "extra_units"):
            value = getattr(self, name)
            if value is not None and value.shape[0] != count:
                raise OptimizeError(
                    f"type {self.name!r}: {name} has {value.shape[0]} bins, but the requirements have {count}"
                )


@dataclass(frozen=True, eq=False, kw_only=True)
class RosterType(UnitType):
    """A responder type with a known requirement (units needed on duty per bin)."""

    requirement: np.ndarray

    def __post_init__(self) -> None:
        super().__post_init__()
        object.__setattr__(self, "requirement", _bin_vector(f"type {self.name!r}", "requirement", self.requirement, None))
        bin_minutes_for(self.requirement.shape[0], f"type {self.name!r}: requirement")
        self.check_bins(self.requirement.shape[0])

    def need(self, extra: np.ndarray | None = None) -> np.ndarray:
        """Units needed per bin: requirement + extra units, but never below min_on_duty."""
        need = self.requirement.copy()
        if self.extra_units is not None:
            need = need + self.extra_units
        if extra is not None:
            need = need + extra
        if self.min_on_duty is not None:
            need = np.maximum(need, self.min_on_duty)
        return need


@dataclass(frozen=True, eq=False)
class RosterResult:
    """Outcome of a roster solve; plan fields are None unless the status has a plan."""

    status: Status
    objective: float | None  # total annual staff cost
    gap: float | None
    solve_seconds: float
    solver: str
    units_by_pattern: dict[str, dict[str, int]] | None
    on_duty: dict[str, np.ndarray] | None
    headcount_by_type: dict[str, float] | None
    annual_cost_by_type: dict[str, float] | None
    explanation: str
    units_by_type: dict[str, int] | None = None
    need: dict[str, np.ndarray] = field(default_factory=dict)  # units required per bin, per type, as solved
    shortfall: dict[str, np.ndarray] | None = None  # when infeasible: units missing per bin under the limits


def extra_for(name: str, extra_units: Mapping[str, np.ndarray] | None, count: int) -> np.ndarray | None:
    """The caller's extra units for type `name`, checked to have `count` bins."""
    if not extra_units or name not in extra_units:
        return None
    return _bin_vector(f"type {name!r}", "extra_units", extra_units[name], count)


def check_extra_names(extra_units: Mapping[str, np.ndarray] | None, names: Sequence[str]) -> None:
    """Raise OptimizeError if extra_units names a type that is not modelled."""
    for name in extra_units or {}:
        if name not in names:
            raise OptimizeError(f"extra_units names type {name!r}, but the types are {', '.join(names)}")


class _RosterModel:
    """The roster MILP; `elastic` adds virtual units per bin, and limits can be dropped, for diagnosis."""

    def __init__(
        self,
        types: Sequence[RosterType],
        needs: dict[str, np.ndarray],
        budget: float | None,
        *,
        elastic: bool = False,
        relax: frozenset[str] = frozenset(),
        objective: str = "cost",
    ) -> None:
        self.types = types
        self.prob = pulp.LpProblem("roster", pulp.LpMinimize)
        self.x: dict[str, dict[int, pulp.LpVariable]] = {}
        self.starts: dict[str, dict[int, pulp.LpVariable]] = {}
        self.short: dict[str, dict[int, pulp.LpVariable]] = {}
        cost_terms = []
        headcount_terms = []
        for k, kind in enumerate(types):
            need = needs[kind.name]
            cover = coverage_matrix(kind.patterns, bin_minutes_for(need.shape[0]))
            useful = np.flatnonzero(cover[:, need > 0].sum(axis=1) > 0)
            self.x[kind.name] = {
                int(p): self.prob.add_variable(f"x_{k}_{p}", 0, None, cat=pulp.LpInteger) for p in useful
            }
            if self.x[kind.name] and "starts" not in relax:
                # No bin needs more than max(need) units, so no pattern in a cheapest plan has more.
                self.starts[kind.name] = limit_start_times(
                    self.prob, self.x[kind.name], kind.patterns, kind.max_start_times, float(need.max()), f"starts_{k}"
                )
            costs = kind.pattern_costs()
            teams = kind.pattern_teams()
            cost_terms += [float(costs[p]) * v for p, v in self.x[kind.name].items()]
            team_terms = [float(teams[p]) * v for p, v in self.x[kind.name].items()]
            headcount_terms += [kind.people_per_unit_staffed * t for t in team_terms]
            self.short[kind.name] = {}
            for i in np.flatnonzero(need > 0):
                on_duty = pulp.lpSum(v for p, v in self.x[kind.name].items() if cover[p, i])
                if elastic:
                    s = self.short[kind.name][int(i)] = self.prob.add_variable(f"short_{k}_{i}", 0)
                    on_duty = on_duty + s
                self.prob += on_duty >= float(need[i]), f"need_{k}_{i}"
            cap = kind.max_units()
            if cap is not None and "headcount" not in relax and self.x[kind.name]:
                self.prob += pulp.lpSum(team_terms) <= cap, f"headcount_{k}"
        self.cost = pulp.lpSum(cost_terms)
        if budget is not None and "budget" not in relax and cost_terms:
            self.prob += self.cost <= float(budget), "budget"
        if elastic:
            self.prob += pulp.lpSum(s for per in self.short.values() for s in per.values())
        elif objective == "headcount":
            self.prob += pulp.lpSum(headcount_terms)
        else:
            self.prob += self.cost

    def counts(self, kind: RosterType) -> np.ndarray:
        """Whole units per pattern of `kind` from the last solve."""
        out = np.zeros(len(kind.patterns), dtype=np.int64)
        for p, v in self.x[kind.name].items():
            out[p] = round(v.varValue or 0.0)
        return out


def _diagnose_roster(
    types: Sequence[RosterType],
    needs: dict[str, np.ndarray],
    budget: float | None,
    solver: str,
    time_limit: float,
) -> tuple[str, dict[str, np.ndarray] | None]:
    """Which type and bins stay short under the limits, by how many units, and which limit to relax by how much."""
    parts: list[str] = []
    shortfall: dict[str, np.ndarray] | None = None
    elastic = _RosterModel(types, needs, budget, elastic=True)
    stats = run_solver(elastic.prob, solver=solver, time_limit=time_limit)
    if stats.status.has_plan:
        shortfall = {}
        for kind in types:
            count = needs[kind.name].shape[0]
            short = np.zeros(count)
            for i, s in elastic.short[kind.name].items():
                short[i] = max(0.0, s.varValue or 0.0)
            shortfall[kind.name] = short
            bins = np.flatnonzero(short > _INTEGRALITY)
            if bins.size:
                parts.append(
                    f"{kind.name} is short in {bins.size} bin(s) ({describe_bins(bins, count)}) by up to "
                    f"{short.max():g} units"
                )
    if budget is not None:
        free = _RosterModel(types, needs, None, relax=frozenset({"budget"}))
        result = run_solver(free.prob, solver=solver, time_limit=time_limit)
        if result.status.has_plan and result.objective is not None and result.objective > budget + _INTEGRALITY:
            parts.append(
                f"budget: the cheapest roster that meets every requirement costs {result.objective:,.0f} a year, "
                f"{result.objective - budget:,.0f} more than the budget of {budget:,.0f}; raise the budget to "
                f"{result.objective:,.0f} or lower the requirement"
            )
    if any(kind.max_headcount is not None for kind in types):
        free = _RosterModel(types, needs, budget, relax=frozenset({"headcount"}), objective="headcount")
        result = run_solver(free.prob, solver=solver, time_limit=time_limit)
        if result.status.has_plan:
            for kind in types:
                if kind.max_headcount is None:
                    continue
                units = int(free.counts(kind) @ kind.pattern_teams())
                people = units * kind.people_per_unit_staffed
                if people > kind.max_headcount + _INTEGRALITY:
                    parts.append(
                        f"max_headcount: {kind.name} needs {units} units = {people:g} people "
                        f"({kind.people_per_unit} per unit x relief {kind.relief_factor:g}), above max_headcount "
                        f"{kind.max_headcount:g}; raise it to {people:g}"
                    )
        elif result.status == Status.INFEASIBLE and budget is not None:
            parts.append("raising max_headcount alone is not enough within the budget")
    if not parts:
        parts.append("the budget and headcount limits cannot all be met; relax one of them")
    return "infeasible: " + "; ".join(parts) + ".", shortfall


def _combine(solves: list[SolveStats]) -> SolveStats:
    """One status for independent solves: the worst status, summed objectives and bounds, summed time."""
    seconds = sum(s.solve_seconds for s in solves)
    solver = "/".join(sorted({s.solver for s in solves}))
    message = "; ".join(s.message for s in solves if s.message)
    for failing in (Status.INFEASIBLE, Status.UNBOUNDED, Status.ERROR, Status.TIME_LIMIT):
        if any(s.status == failing for s in solves):
            return SolveStats(failing, None, None, None, seconds, solver, message)
    objective = float(sum(s.objective or 0.0 for s in solves))
    status = Status.OPTIMAL if all(s.status == Status.OPTIMAL for s in solves) else Status.FEASIBLE
    if any(s.best_bound is None for s in solves):
        return SolveStats(status, objective, None, None, seconds, solver, message)
    bound = float(sum(s.best_bound for s in solves))
    return SolveStats(status, objective, bound, relative_gap(objective, bound), seconds, solver, message)


def solve_roster(
    types: Sequence[RosterType],
    *,
    budget: float | None = None,
    extra_units: Mapping[str, np.ndarray] | None = None,
    time_limit: float = DEFAULT_TIME_LIMIT,
    solver: str = "highs",
    gap_rel: float = DEFAULT_GAP,
) -> RosterResult:
    """Cheapest whole units per shift pattern and type meeting every type's need per bin, within budget and headcount.

    A type's `max_start_times` limits the distinct start times its units work (see limit_start_times).
    """
    check_solver_options(solver, time_limit, gap_rel)
    types = tuple(types)
    if not types or not all(isinstance(t, RosterType) for t in types):
        raise OptimizeError(f"types has {len(types)} entries, but it needs at least one RosterType")
    names = [t.name for t in types]
    if len(set(names)) != len(names):
        raise OptimizeError(f"types has names {names}, but each type name must be unique")
    count = types[0].requirement.shape[0]
    for kind in types:
        if kind.requirement.shape[0] != count:
            raise OptimizeError(
                f"type {kind.name!r}: requirement has {kind.requirement.shape[0]} bins, but type {names[0]!r} has {count}"
            )
    if budget is not None and (not math.isfinite(budget) or budget < 0):
        raise OptimizeError(f"budget is {budget!r}, but it must be a finite amount >= 0 or None")
    check_extra_names(extra_units, names)
    started = time.perf_counter()
    bin_minutes = bin_minutes_for(count)
    needs = {kind.name: kind.need(extra_for(kind.name, extra_units, count)) for kind in types}

    problems = []
    for kind in types:
        cover = coverage_matrix(kind.patterns, bin_minutes)
        uncovered = np.flatnonzero((needs[kind.name] > 0) & (cover.sum(axis=0) == 0))
        if uncovered.size:
            problems.append(
                f"{kind.name} needs up to {needs[kind.name][uncovered].max():g} units in {uncovered.size} bin(s) "
                f"({describe_bins(uncovered, count)}) that none of its shift patterns covers; add patterns "
                f"covering them or lower the requirement there"
            )
    if not problems:
        for kind in types:
            if kind.max_start_times is not None:
                why = _starts_explanation(
                    kind.name, "max_start_times", kind.patterns, needs[kind.name], kind.max_start_times, solver,
                    time_limit,
                )
                if why:
                    problems.append(why)
    if problems:
        return RosterResult(
            Status.INFEASIBLE, None, None, time.perf_counter() - started, "none", None, None, None, None,
            "infeasible: " + "; ".join(problems) + ".", need=needs,
        )

    # Types share nothing but the budget, and the budget only caps the cost being minimised, so each type is
    # solved on its own: much faster than one joint model (HiGHS then sees each type's unit cost as one step).
    models: dict[str, _RosterModel] = {}
    solves = []
    for j, kind in enumerate(types):
        remaining = time_limit - (time.perf_counter() - started)
        share = max(0.5, remaining / (len(types) - j))
        models[kind.name] = _RosterModel([kind], needs, None)
        solves.append(run_solver(models[kind.name].prob, solver=solver, time_limit=share, gap_rel=gap_rel))
    stats = _combine(solves)
    if stats.status.has_plan and budget is not None and (stats.objective or 0.0) > budget + _INTEGRALITY:
        if stats.best_bound is not None and stats.best_bound > budget + _INTEGRALITY:
            stats = SolveStats(Status.INFEASIBLE, None, None, None, stats.solve_seconds, stats.solver)
        else:
            # Not proven either way: the cheapest plans found overshoot, but a cheaper one may exist.
            joint = _RosterModel(types, needs, budget)
            remaining = max(1.0, time_limit - (time.perf_counter() - started))
            stats = run_solver(joint.prob, solver=solver, time_limit=remaining, gap_rel=gap_rel)
            models = {kind.name: joint for kind in types}
    if not stats.status.has_plan:
        shortfall = None
        if stats.status == Status.INFEASIBLE:
            explanation, shortfall = _diagnose_roster(types, needs, budget, solver, time_limit)
        else:
            explanation = status_explanation(stats, time_limit)
        return RosterResult(
            stats.status, None, None, time.perf_counter() - started, stats.solver, None, None, None, None,
            explanation, need=needs, shortfall=shortfall,
        )

    units_by_pattern: dict[str, dict[str, int]] = {}
    on_duty: dict[str, np.ndarray] = {}
    headcount: dict[str, float] = {}
    cost: dict[str, float] = {}
    units_by_type: dict[str, int] = {}
    for kind in types:
        counts = models[kind.name].counts(kind)
        units_by_pattern[kind.name] = {kind.patterns[p].name: int(counts[p]) for p in np.flatnonzero(counts)}
        on_duty[kind.name] = counts @ coverage_matrix(kind.patterns, bin_minutes)
        units_by_type[kind.name] = int(counts.sum())
        teams = float(counts @ kind.pattern_teams())  # a Pitman unit is two teams
        headcount[kind.name] = teams * kind.people_per_unit * kind.relief_factor
        cost[kind.name] = float(counts @ kind.pattern_costs())
    total = float(sum(cost.values()))
    gap_text = "" if stats.gap is None else f", gap {stats.gap:.2%}"
    explanation = (
        f"{stats.status.value}: "
        + ", ".join(f"{units_by_type[k]} {k} unit(s)" for k in names)
        + f"; annual cost {total:,.0f}{gap_text}"
    )
    if stats.message:
        explanation += f" ({stats.message})"
    return RosterResult(
        stats.status, total, stats.gap, time.perf_counter() - started, stats.solver, units_by_pattern, on_duty,
        headcount, cost, explanation, units_by_type=units_by_type, need=needs,
    )


# Beyond this many sets of start times, one MILP (limit_start_times) chooses the starts instead of a search.
_MAX_START_SETS = 5000


class _StartSetSearch:
    """Whole units per pattern covering `need` at least `costs`, using at most K distinct start times.

    Exact search over the sets of K starts: the LP relaxation of every set (seconds for thousands), then the
    integer model of the sets in order of their LP bound until the next bound cannot beat the best roster
    found. Costs are whole numbers, so a bound above best - 1 prunes. Too many sets, or no LP bounds (no
    highspy), and one MILP with limit_start_times does it under the time limit.
    """

    def __init__(self, patterns: Sequence[ShiftPattern], cover: np.ndarray, need: np.ndarray, costs: np.ndarray,
                 useful: np.ndarray, solver: str, started: float, time_limit: float) -> None:
        self.patterns, self.cover, self.need, self.costs = patterns, cover, need, costs
        self.useful, self.solver, self.started, self.time_limit = useful, solver, started, time_limit

    def remaining(self) -> float:
        return self.time_limit - (time.perf_counter() - self.started)

    def solve(self, columns: Sequence[int], max_starts: int | None = None) -> tuple[np.ndarray | None, SolveStats]:
        """The integer model over `columns` (with a start-time limit when given)."""
        prob = pulp.LpProblem("runnable_roster", pulp.LpMinimize)
        # A pattern never needs more units than the most any bin it covers needs.
        x = {
            int(p): prob.add_variable(f"x_{p}", 0, float(self.need[self.cover[p] == 1].max()), cat=pulp.LpInteger)
            for p in columns
        }
        prob += pulp.lpSum(int(self.costs[p]) * v for p, v in x.items())
        for i in np.flatnonzero(self.need > 0):
            prob += pulp.lpSum(v for p, v in x.items() if self.cover[p, i]) >= float(self.need[i]), f"need_{i}"
        limit_start_times(prob, x, self.patterns, max_starts, float(self.need.max()), "starts")
        stats = run_solver(prob, solver=self.solver, time_limit=max(0.5, self.remaining()), gap_rel=0.0)
        if not stats.status.has_plan:
            return None, stats
        counts = np.zeros(len(self.patterns), dtype=np.int64)
        for p, v in x.items():
            counts[p] = round(v.varValue or 0.0)
        return counts, stats

    def run(self, max_starts: int | None) -> tuple[np.ndarray | None, SolveStats]:
        """Best counts found and the combined solve statistics (objective and bound in cost units)."""
        starts = distinct_starts([self.patterns[p] for p in self.useful])
        if max_starts is None or max_starts >= len(starts):
            return self.solve(self.useful)
        if math.comb(len(starts), max_starts) > _MAX_START_SETS:
            return self.solve(self.useful, max_starts)
        by_start = {m: [int(p) for p in self.useful if self.patterns[p].start_minute == m] for m in starts}
        # More starts never cost more, so only sets of exactly max_starts starts need searching.
        sets = [sum((by_start[m] for m in chosen), []) for chosen in itertools.combinations(starts, max_starts)]
        try:
            bounds = lp_bounds_by_column_set(self.need, self.cover, self.costs, sets)
        except OptimizeError:
            return self.solve(self.useful, max_starts)
        # Rounded so that solver noise does not reorder sets with the same bound.
        order = np.argsort(np.round(bounds, 6), kind="stable")
        best: np.ndarray | None = None
        best_value = math.inf
        lower = math.inf  # lowest bound among sets not proven no better than `best`
        seconds, proven, solver_name, messages = 0.0, True, "none", []
        for k in order:
            bound = bounds[k]
            if bound == math.inf:
                break  # this set and every later one cannot cover the need
            if bound > -math.inf and math.ceil(bound - _INTEGRALITY) >= best_value:
                break  # no later set can beat the best roster found (-inf: HiGHS gave no bound, so solve it)
            if self.remaining() <= 0:
                lower, proven = min(lower, bound), False
                break
            counts, stats = self.solve(sets[k])
            seconds += stats.solve_seconds
            solver_name = stats.solver
            if stats.message:
                messages.append(stats.message)
            if stats.status not in (Status.OPTIMAL, Status.INFEASIBLE):
                proven = False
                lower = min(lower, bound if stats.best_bound is None else stats.best_bound)
            if counts is not None and stats.objective is not None and stats.objective < best_value - _INTEGRALITY:
                best, best_value = counts, float(stats.objective)
        if best is None:
            status = Status.INFEASIBLE if proven else Status.TIME_LIMIT
            return None, SolveStats(status, None, None, None, seconds, solver_name, "; ".join(messages))
        lower = min(lower, best_value)
        status = Status.OPTIMAL if proven else Status.FEASIBLE
        return best, SolveStats(
            status, best_value, lower, relative_gap(best_value, lower), seconds, solver_name, "; ".join(messages)
        )


@dataclass(frozen=True, eq=False)
class RunnableRoster:
    """A roster a department can run over a per-bin requirement; plan fields are None unless the status has a plan."""

    status: Status
    shifts: tuple[tuple[ShiftPattern, int], ...] | None  # (pattern, units on it), earliest start first
    on_duty: np.ndarray | None  # units on duty per bin under the roster
    unit_hours_per_week: float | None
    teams: int | None  # teams the roster takes: a unit on Pitman 2-2-3 is two teams, any other one
    start_minutes: tuple[int, ...] | None  # the distinct start times (minutes after midnight) it uses
    gap: float | None
    solve_seconds: float
    solver: str
    explanation: str
    requirement: np.ndarray  # units needed on duty per bin, as solved
    bin_minutes: int

    @property
    def units(self) -> int | None:
        """Units over all shifts (a Pitman unit, one post filled every day, counts once)."""
        return None if self.shifts is None else sum(n for _, n in self.shifts)

    @property
    def units_by_pattern(self) -> dict[str, int] | None:
        """Pattern name -> units on it."""
        return None if self.shifts is None else {p.name: n for p, n in self.shifts}


def runnable_roster(
    requirement: np.ndarray,
    bin_minutes: int,
    lengths_hours: Sequence[float] = (8, 10, 12),
    max_starts: int | None = 3,
    time_limit: float = 10.0,
    *,
    start_every_minutes: int | None = None,
    patterns: Sequence[ShiftPattern] | None = None,
    solver: str = "highs",
) -> RunnableRoster:
    """The fewest unit-hours (ties: fewest teams) of standard-rotation shifts covering `requirement` in every bin.

    Candidates are the standard rotations (STANDARD_DAY_PATTERNS: 5x8 h, 4x10 h, 3x12 h, Pitman 2-2-3) of
    each length in `lengths_hours`, starting on the hour (or every `start_every_minutes`), unless `patterns`
    gives them. At most `max_starts` distinct start times (None: any). Every bin gets at least
    `requirement[i]` units on duty. No plan (infeasible, out of time) is a result with an explanation.
    """
    check_solver_options(solver, time_limit, 0.0)
    count = n_bins(bin_minutes)
    need = _bin_vector("runnable roster", "requirement", requirement, count)
    check_max_starts(max_starts, "max_starts")
    started = time.perf_counter()
    if patterns is None:
        unknown = [h for h in lengths_hours if h not in STANDARD_DAY_PATTERNS]
        if not lengths_hours or unknown:
            raise OptimizeError(
                f"lengths_hours is {tuple(lengths_hours)!r}, but each must be a length with a standard rotation: "
                f"{', '.join(f'{h:g}' for h in STANDARD_DAY_PATTERNS)} h"
            )
        every = start_every_minutes or bin_minutes * math.ceil(60 / bin_minutes)
        patterns = generate_patterns(tuple(lengths_hours), every, None, bin_minutes)
    patterns = tuple(patterns)
    if not patterns or not all(isinstance(p, ShiftPattern) for p in patterns):
        raise OptimizeError(f"patterns has {len(patterns)} entries, but it needs at least one ShiftPattern")

    def no_plan(status: Status, explanation: str, solver_name: str = "none") -> RunnableRoster:
        return RunnableRoster(
            status, None, None, None, None, None, None, time.perf_counter() - started, solver_name,
            explanation, need, bin_minutes,
        )

    if not (need > 0).any():
        return RunnableRoster(
            Status.OPTIMAL, (), np.zeros(count), 0.0, 0, (), 0.0, time.perf_counter() - started, "none",
            "optimal: no bin needs a unit, so no shifts are rostered", need, bin_minutes,
        )
    cover = coverage_matrix(patterns, bin_minutes)
    uncovered = np.flatnonzero((need > 0) & (cover.sum(axis=0) == 0))
    if uncovered.size:
        return no_plan(
            Status.INFEASIBLE,
            f"infeasible: {uncovered.size} bin(s) ({describe_bins(uncovered, count)}) need up to "
            f"{need[uncovered].max():g} units but no shift pattern covers them; allow other shift lengths or starts.",
        )
    if max_starts is not None:
        why = _starts_explanation("the", "max_starts", patterns, need, max_starts, solver, time_limit)
        if why:
            return no_plan(Status.INFEASIBLE, f"infeasible: {why}.")

    # One lexicographic objective: unit-hours first, teams second. In a roster with the fewest
    # unit-hours every unit is needed in some bin (else dropping it saves hours), so it has at most
    # (most teams per unit) x (total units needed over the bins) teams; weighting hours by one more than
    # that makes an hour always dearer than any number of teams.
    useful = np.flatnonzero(cover[:, need > 0].sum(axis=1) > 0)
    teams = np.array([p.teams for p in patterns], dtype=np.int64)
    minutes = np.array([p.length_minutes * sum(p.days) for p in patterns], dtype=np.int64)
    step = int(np.gcd.reduce(minutes[useful]))
    weight = int(teams[useful].max() * need.sum()) + 1
    costs = weight * (minutes // step) + teams
    search = _StartSetSearch(patterns, cover, need, costs, useful, solver, started, time_limit)
    counts, stats = search.run(max_starts)
    if counts is None:
        if stats.status == Status.INFEASIBLE:
            return no_plan(
                stats.status, f"infeasible: no roster with at most {max_starts} start times covers the requirement.",
                stats.solver,
            )
        return no_plan(stats.status, status_explanation(stats, time_limit), stats.solver)
    on_duty = counts @ cover
    if not (on_duty >= need).all():  # never hand out a plan that leaves a bin short, whatever the solver said
        return no_plan(Status.ERROR, "error: the solver's plan does not cover the requirement", stats.solver)
    order = sorted(np.flatnonzero(counts), key=lambda p: (patterns[p].start_minute, patterns[p].length_minutes, p))
    shifts = tuple((patterns[p], int(counts[p])) for p in order)
    hours = float(counts @ minutes) / 60
    team_count = int(counts @ teams)
    starts = distinct_starts([p for p, _ in shifts])
    gap = None
    if stats.best_bound is not None:
        # The gap on unit-hours alone, which is what the user reads.
        bound_hours = math.floor(stats.best_bound / weight + _INTEGRALITY) * step / 60
        gap = relative_gap(hours, min(hours, bound_hours)) if hours else 0.0
    gap_text = "" if not gap else f", within {gap:.1%} of the fewest possible"
    explanation = (
        f"{stats.status.value}: {sum(n for _, n in shifts)} unit(s) on {len(shifts)} shift(s) "
        f"({team_count} team(s)), {hours:,.0f} unit-hours a week, starting at "
        + ", ".join(f"{m // 60:02d}:{m % 60:02d}" for m in starts)
        + gap_text
    )
    if stats.message:
        explanation += f" ({stats.message})"
    return RunnableRoster(
        stats.status, shifts, on_duty, hours, team_count, starts, gap, time.perf_counter() - started, stats.solver,
        explanation, need, bin_minutes,
    )
