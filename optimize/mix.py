"""Responder-mix model: route each category's calls between officers and eligible civilian units, and staff them.

Formulation (bins i of one week, repeated every week of the year):

- y[c,t,i] >= 0: calls per hour of category c routed to civilian type t in bin i, at most e[c,t] * lambda[c,i];
  officers take the rest, lambda[c,i] - sum_t y[c,t,i], so the routing always adds up to the demand.
- x[t,p]: whole units of type t on shift pattern p; n[t,i] = sum_p cover[p,i] x[t,p] units on duty.
- L[t,i] = sum_c y[c,t,i] s[c,t] / 60: erlangs of work for type t (officers: what the civilians leave).
- Erlang C makes cap_t(k), the most load k units carry within the type's target, nonlinear, and convex where
  waiting targets bind (a team of four carries more than twice what a pair does). It is tabulated once per type
  by bisection on the load (`queueing.max_load`) and entered as a piecewise-linear function of the units on
  duty, from k_lo (the fewest units the bin needs however the calls are routed) to k_hi (the most):
      u[t,i,j] in [0, length_j] units used in piece j, each adding slope_j erlangs,
      piece j > 0 opens with a binary z[t,i,j], only once piece j-1 is full,
      L[t,i] <= cap_t(k_lo) + sum_j slope_j u[t,i,j],
      n[t,i] >= k_lo + extra_units[t,i] + sum_j u[t,i,j],   n[t,i] >= max(min_on_duty[t,i], min_units_t).
  Each slope is the smallest step of the table within its piece, so the model never claims more capacity than
  Erlang C gives. Pieces are exact where the table is linear (e.g. where the 60% occupancy ceiling binds) and
  are otherwise merged while the shortfall stays within `MixInput.capacity_tolerance` (2%; 0 = one piece per
  unit). No bin can have more units on duty than its type has units, so pieces above what the budget or the
  headcount cap can pay for are closed; this keeps the LP bound honest for small civilian teams.
- Each type's Erlang C uses one mean busy time: the demand-weighted mean over the calls it may take (or the
  type's `mean_service_minutes`).
- Annual figures multiply per-bin rates by the bin's hours and `weeks_per_year`. Officer hours freed are the
  officer busy hours of the calls civilians take: sum y[c,t,i] s[c,officer] / 60 x bin hours x weeks.

Objectives: "min-cost" minimises the annual staff cost of all types plus downstream outcome cost. "max-hours-freed"
maximises officer hours freed with civilian staff cost <= budget, then keeps that routing and staffs it at the
least cost (officers cost nothing in the first solve, so the second removes units the hours do not need).
"""

from __future__ import annotations

import math
import time
from collections.abc import Generator, Mapping, Sequence
from dataclasses import dataclass, replace
from functools import cached_property

import numpy as np
import pandas as pd
import pulp

from optimize.bins import WEEKS_PER_YEAR, bin_minutes_for, describe_bins
from optimize.errors import OptimizeError
from optimize.patterns import coverage_matrix
from optimize.queueing import ServiceTarget, max_load
from optimize.roster import UnitType, check_extra_names, extra_for
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
_EPS = 1e-6
# Diagnosis solves explain a failure; they need not be proven optimal, just quick.
_DIAGNOSIS_SECONDS = 10.0


@dataclass(frozen=True, eq=False, kw_only=True)
class ResponderType(UnitType):
    """A responder type in the mix: shift patterns, costs, limits, and the service target its units must meet."""

    target: ServiceTarget
    mean_service_minutes: float | None = None  # busy time per call for Erlang C; default: demand-weighted mean

    def __post_init__(self) -> None:
        super().__post_init__()
        if not isinstance(self.target, ServiceTarget):
            raise OptimizeError(f"type {self.name!r}: target is {self.target!r}, but it must be a ServiceTarget")
        if self.mean_service_minutes is not None and (
            not math.isfinite(self.mean_service_minutes) or self.mean_service_minutes <= 0
        ):
            raise OptimizeError(
                f"type {self.name!r}: mean_service_minutes is {self.mean_service_minutes!r}, but it must be "
                f"a positive number of minutes or None"
            )


def _table(
    name: str, value: object, categories: tuple[str, ...], types: tuple[str, ...], fill: float
) -> np.ndarray:
    """A [category, type] table from an array or a DataFrame (index categories, columns type names)."""
    if isinstance(value, pd.DataFrame):
        unknown_rows = [str(r) for r in value.index if r not in categories]
        unknown_cols = [str(c) for c in value.columns if c not in types]
        if unknown_rows or unknown_cols:
            raise OptimizeError(
                f"{name} names unknown categories {unknown_rows} or types {unknown_cols}; "
                f"categories are {list(categories)}, types are {list(types)}"
            )
        value = value.reindex(index=list(categories), columns=list(types)).to_numpy(dtype=float)
        value = np.where(np.isnan(value), fill, value) if not math.isnan(fill) else value
    array = np.array(value, dtype=float, copy=True)
    if array.shape != (len(categories), len(types)):
        raise OptimizeError(
            f"{name} has shape {array.shape}, but it must be [{len(categories)} categories, {len(types)} types]"
        )
    array.setflags(write=False)
    return array


@dataclass(frozen=True, eq=False, kw_only=True)
class MixInput:
    """Demand by category and bin, what each type may take and at what busy time and outcome cost, and the types."""

    categories: tuple[str, ...]
    types: tuple[ResponderType, ...]
    arrival_rate: np.ndarray  # [n_categories, n_bins] calls per hour, bin 0 = Monday 00:00
    busy_minutes: np.ndarray  # [n_categories, n_types] busy minutes per call; NaN = type may not take it
    eligible_share: np.ndarray  # [n_categories, n_types] most a civilian type may take; officer column ignored
    downstream_cost: np.ndarray | None = None  # [n_categories, n_types] expected outcome cost per call
    officer: str = "officer"
    officer_units_fixed: Mapping[str, int] | None = None  # hold officers at this roster: pattern name -> units
    weeks_per_year: float = WEEKS_PER_YEAR
    # Between exact levels the model may under-state a type's Erlang capacity by up to this share (never
    # over-state it): fewer binaries, faster solves. 0 models every level exactly.
    capacity_tolerance: float = 0.02

    def __post_init__(self) -> None:
        categories = tuple(str(c) for c in self.categories)
        if not categories or len(set(categories)) != len(categories):
            raise OptimizeError(f"categories is {list(categories)}, but it must be non-empty with unique names")
        kinds = tuple(self.types)
        if not all(isinstance(k, ResponderType) for k in kinds):
            raise OptimizeError("types must all be ResponderType")
        names = tuple(k.name for k in kinds)
        if len(set(names)) != len(names):
            raise OptimizeError(f"types has names {list(names)}, but each type name must be unique")
        if self.officer not in names:
            raise OptimizeError(f"officer is {self.officer!r}, but the types are {list(names)}")
        rates = self.arrival_rate
        if isinstance(rates, pd.DataFrame):
            unknown = [str(r) for r in rates.index if r not in categories]
            if unknown:
                raise OptimizeError(f"arrival_rate names unknown categories {unknown}; categories are {list(categories)}")
            rates = rates.reindex(index=list(categories)).fillna(0.0).to_numpy(dtype=float)
        rates = np.array(rates, dtype=float, copy=True)
        if rates.ndim != 2 or rates.shape[0] != len(categories):
            raise OptimizeError(
                f"arrival_rate has shape {rates.shape}, but it must be [{len(categories)} categories, n_bins]"
            )
        bin_minutes_for(rates.shape[1], "arrival_rate")
        bad = np.argwhere(~np.isfinite(rates) | (rates < 0))
        if bad.size:
            c, i = bad[0]
            raise OptimizeError(
                f"arrival_rate['{categories[c]}', bin {i}] is {float(rates[c, i])!r}, but rates must be finite and >= 0"
            )
        rates.setflags(write=False)
        busy = _table("busy_minutes", self.busy_minutes, categories, names, math.nan)
        share = _table("eligible_share", self.eligible_share, categories, names, 0.0)
        cost = _table(
            "downstream_cost",
            np.zeros((len(categories), len(names))) if self.downstream_cost is None else self.downstream_cost,
            categories, names, 0.0,
        )
        officer = names.index(self.officer)
        for c, category in enumerate(categories):
            has_calls = rates[c].sum() > 0
            if has_calls and not (math.isfinite(busy[c, officer]) and busy[c, officer] > 0):
                raise OptimizeError(
                    f"busy_minutes['{category}', '{self.officer}'] is {float(busy[c, officer])!r}, but officers can take "
                    f"every call, so it must be a positive number of minutes"
                )
            total_share = 0.0
            for t, kind in enumerate(names):
                if t == officer:
                    continue
                e = share[c, t]
                if not 0 <= e <= 1:
                    raise OptimizeError(f"eligible_share['{category}', '{kind}'] is {float(e)!r}, but it must be in [0, 1]")
                if e > 0 and not (math.isfinite(busy[c, t]) and busy[c, t] > 0):
                    raise OptimizeError(
                        f"busy_minutes['{category}', '{kind}'] is {float(busy[c, t])!r}, but eligible_share is {e:g} > 0: "
                        f"give a positive busy time or set the share to 0"
                    )
                if e > 0 and not math.isfinite(cost[c, t]):
                    raise OptimizeError(f"downstream_cost['{category}', '{kind}'] is {float(cost[c, t])!r}, but it must be finite")
                total_share += e
            if total_share > 1 + 1e-9:
                raise OptimizeError(
                    f"eligible_share of category '{category}' sums to {total_share:.4g} over civilian types, "
                    f"but shares of one category must sum to at most 1"
                )
            if has_calls and not math.isfinite(cost[c, officer]):
                raise OptimizeError(
                    f"downstream_cost['{category}', '{self.officer}'] is {float(cost[c, officer])!r}, but it must be finite"
                )
        cost = np.where(np.isfinite(cost), cost, 0.0)
        cost.setflags(write=False)
        for kind in kinds:
            kind.check_bins(rates.shape[1])
        fixed = self.officer_units_fixed
        if fixed is not None:
            officer_patterns = {p.name for p in kinds[officer].patterns}
            for pattern, units in fixed.items():
                if pattern not in officer_patterns:
                    raise OptimizeError(
                        f"officer_units_fixed names pattern {pattern!r}, but it is not one of the officer's patterns"
                    )
                if isinstance(units, bool) or not isinstance(units, int | np.integer) or units < 0:
                    raise OptimizeError(
                        f"officer_units_fixed[{pattern!r}] is {units!r}, but it must be a whole number >= 0"
                    )
            fixed = dict(fixed)
        if not 0 <= self.capacity_tolerance < 0.5:
            raise OptimizeError(
                f"capacity_tolerance is {self.capacity_tolerance!r}, but it must be in [0, 0.5), e.g. 0.02"
            )
        if not math.isfinite(self.weeks_per_year) or self.weeks_per_year <= 0:
            raise OptimizeError(f"weeks_per_year is {self.weeks_per_year!r}, but it must be positive")
        object.__setattr__(self, "categories", categories)
        object.__setattr__(self, "types", kinds)
        object.__setattr__(self, "arrival_rate", rates)
        object.__setattr__(self, "busy_minutes", busy)
        object.__setattr__(self, "eligible_share", share)
        object.__setattr__(self, "downstream_cost", cost)
        object.__setattr__(self, "officer_units_fixed", fixed)

    @property
    def type_names(self) -> tuple[str, ...]:
        """Names of the responder types, in order."""
        return tuple(k.name for k in self.types)

    @property
    def officer_index(self) -> int:
        """Position of the officer type."""
        return self.type_names.index(self.officer)

    @property
    def n_bins(self) -> int:
        """Number of bins in the week."""
        return int(self.arrival_rate.shape[1])

    @property
    def bin_minutes(self) -> int:
        """Length of a bin in minutes."""
        return bin_minutes_for(self.n_bins)

    @property
    def bins_per_year(self) -> float:
        """Hours in one bin times weeks per year: turns a per-hour rate in a bin into a yearly count."""
        return self.bin_minutes / 60 * self.weeks_per_year

    def eligible(self, c: int, t: int) -> bool:
        """True if civilian type t may take some of category c's calls."""
        return t != self.officer_index and self.eligible_share[c, t] > 0

    @cached_property
    def service_minutes(self) -> tuple[float, ...]:
        """Mean busy minutes per call each type's Erlang C uses."""
        volume = self.arrival_rate.sum(axis=1)
        out = []
        for t, kind in enumerate(self.types):
            if kind.mean_service_minutes is not None:
                out.append(float(kind.mean_service_minutes))
                continue
            if t == self.officer_index:
                weights = volume
            else:
                weights = volume * self.eligible_share[:, t]
            busy = np.where(np.isfinite(self.busy_minutes[:, t]), self.busy_minutes[:, t], 0.0)
            if weights.sum() > 0:
                out.append(float((weights * busy).sum() / weights.sum()))
            else:
                finite = self.busy_minutes[:, t][np.isfinite(self.busy_minutes[:, t])]
                out.append(float(finite.mean()) if finite.size else 60.0)
        return tuple(out)

    def officers_only_load(self) -> np.ndarray:
        """Officer erlangs per bin if officers take every call (today's baseline)."""
        return (self.arrival_rate * self.busy_minutes[:, self.officer_index, None]).sum(axis=0) / 60


@dataclass(frozen=True, eq=False)
class MixResult:
    """Outcome of a mix solve; plan fields are None unless the status has a plan."""

    status: Status
    objective: float | None  # total annual cost ("min-cost") or officer hours freed a year ("max-hours-freed")
    gap: float | None
    solve_seconds: float
    solver: str
    routed: dict[tuple[str, str], float] | None  # calls a year of each category handled by each type
    share: dict[tuple[str, str], float] | None  # fraction of each category's calls handled by each type
    units_by_pattern: dict[str, dict[str, int]] | None
    on_duty: dict[str, np.ndarray] | None
    headcount_by_type: dict[str, float] | None
    annual_cost_by_type: dict[str, float] | None  # staff cost a year per type
    downstream_cost: float | None  # expected outcome cost a year of all calls
    officer_hours_freed: float | None  # officer busy hours a year that civilian units now carry
    requirements: dict[str, np.ndarray] | None  # units needed per bin for the routed load (+ extra, floors)
    explanation: str
    objective_name: str = "min-cost"
    budget: float | None = None
    load: dict[str, np.ndarray] | None = None  # erlangs per bin per type
    units_by_type: dict[str, int] | None = None
    downstream_cost_by_type: dict[str, float] | None = None
    shortfall: dict[str, np.ndarray] | None = None  # when infeasible: units missing per bin under the limits

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


class _Capacity:
    """Tabulated Erlang capacity of one type: cap[k] = most erlangs k units carry within the target."""

    def __init__(self, kind: ResponderType, service: float) -> None:
        self.kind, self.service = kind, service
        self.caps = [0.0]
        self._segments: dict[tuple[int, int, float], list[tuple[int, int, float]]] = {}

    def cap(self, k: int) -> float:
        """Most erlangs `k` units carry within the target."""
        while len(self.caps) <= k:
            self.caps.append(max(self.caps[-1], max_load(len(self.caps), self.service, self.kind.target)))
        return self.caps[k]

    def segments(self, low: int, high: int, tolerance: float) -> list[tuple[int, int, float]]:
        """Pieces (first, last, slope) from `low` to `high` units; slope x units never exceeds the table.

        A piece is extended while the linear capacity stays within `tolerance` (relative) of the table at
        every whole number of units in it; tolerance 0 gives exact pieces (one per unit where capacity bends).
        """
        key = (low, high, tolerance)
        if key in self._segments:
            return self._segments[key]
        self.cap(high)
        pieces = []
        first = low
        while first < high:
            last, slope = first + 1, self.caps[first + 1] - self.caps[first]
            while last < high:
                trial = min(slope, self.caps[last + 1] - self.caps[last])
                fits = all(
                    self.caps[first] + trial * (k - first) >= self.caps[k] * (1 - tolerance) - 1e-12
                    for k in range(first + 1, last + 2)
                )
                if not fits:
                    break
                last, slope = last + 1, trial
            pieces.append((first, last, float(slope)))
            first = last
        self._segments[key] = pieces
        return pieces

    def level(self, load: float) -> int:
        """Fewest units whose capacity covers `load` (consistent with the table the model uses)."""
        if load <= _EPS * 1e-3:
            return 0
        k = max(0, math.floor(load))
        # Solver tolerances may put a load a hair above a capacity it was held to; that is still the same level.
        while self.cap(k) < load - 1e-6 * max(1.0, load):
            k += 1
        return k


class _MixModel:
    """The mix MILP with switchable objective, budget, hours floor and (for diagnosis) relaxed limits."""

    def __init__(
        self,
        data: MixInput,
        extra: dict[str, np.ndarray],
        *,
        elastic: bool = False,
        relax: frozenset[str] = frozenset(),
    ) -> None:
        self.data, self.extra, self.elastic, self.relax = data, extra, elastic, relax
        d = data
        officer = d.officer_index
        lam, busy, share = d.arrival_rate, d.busy_minutes, d.eligible_share
        n_bins, n_types = d.n_bins, len(d.types)
        self.prob = pulp.LpProblem("mix", pulp.LpMinimize)
        prob = self.prob
        self.capacity = [_Capacity(kind, d.service_minutes[t]) for t, kind in enumerate(d.types)]
        self.cover = [coverage_matrix(kind.patterns, d.bin_minutes) for kind in d.types]

        # Routing variables, only where a civilian type may take calls that actually arrive.
        self.y: dict[tuple[int, int, int], pulp.LpVariable] = {}
        for c in range(len(d.categories)):
            for t in range(n_types):
                if not d.eligible(c, t):
                    continue
                for i in np.flatnonzero(lam[c] > 0):
                    self.y[c, t, int(i)] = prob.add_variable(f"y_{c}_{t}_{i}", 0, float(share[c, t] * lam[c, i]))

        # Load per type and bin, and the range of levels the bin could need.
        self.max_load = np.zeros((n_types, n_bins))
        self.min_load = np.zeros((n_types, n_bins))
        self.max_load[officer] = d.officers_only_load()
        civilian_share = np.array(
            [sum(share[c, t] for t in range(n_types) if d.eligible(c, t)) for c in range(len(d.categories))]
        )
        officer_busy = np.where(np.isfinite(busy[:, officer]), busy[:, officer], 0.0)
        self.min_load[officer] = (lam * ((1 - civilian_share) * officer_busy)[:, None]).sum(axis=0) / 60
        for t in range(n_types):
            if t == officer:
                continue
            rows = [c for c in range(len(d.categories)) if d.eligible(c, t)]
            if rows:
                self.max_load[t] = (lam[rows] * (share[rows, t] * busy[rows, t])[:, None]).sum(axis=0) / 60

        self.floor = np.zeros((n_types, n_bins))
        for t, kind in enumerate(d.types):
            floor = np.full(n_bins, float(kind.target.min_units))
            if kind.min_on_duty is not None:
                floor = np.maximum(floor, kind.min_on_duty)
            self.floor[t] = floor

        # Officer load is what stays with officers: the officers-only load less the busy time of moved calls.
        moved: dict[int, list[tuple[float, pulp.LpVariable]]] = {i: [] for i in range(n_bins)}
        taken: dict[tuple[int, int], list[tuple[float, pulp.LpVariable]]] = {}
        for (c, t, i), v in self.y.items():
            moved[i].append((float(busy[c, officer] / 60), v))
            taken.setdefault((t, i), []).append((float(busy[c, t] / 60), v))
        self.load: dict[tuple[int, int], pulp.LpAffineExpression] = {}
        for i in range(n_bins):
            self.load[officer, i] = float(self.max_load[officer, i]) - pulp.lpSum(a * v for a, v in moved[i])
            for t in range(n_types):
                if t != officer:
                    self.load[t, i] = pulp.lpSum(a * v for a, v in taken.get((t, i), []))

        # Shift-pattern units; a pattern that can never be needed gets no variable.
        self.x: dict[int, dict[int, pulp.LpVariable]] = {}
        fixed = d.officer_units_fixed
        for t, kind in enumerate(d.types):
            levels_hi = np.array([self.capacity[t].level(float(self.max_load[t, i])) for i in range(n_bins)])
            extra_t = self.extra.get(kind.name, np.zeros(n_bins))
            useful_bins = (levels_hi + extra_t + self.floor[t]) > 0
            self.x[t] = {}
            for p, pattern in enumerate(kind.patterns):
                held = None
                if t == officer and fixed is not None:
                    held = int(fixed.get(pattern.name, 0))
                if held is None and not self.cover[t][p, useful_bins].any():
                    continue
                if held is not None:
                    if held == 0 and not self.cover[t][p, useful_bins].any():
                        continue
                    upper = None if "fixed" in relax else held
                    self.x[t][p] = prob.add_variable(f"x_{t}_{p}", held, upper, cat=pulp.LpInteger)
                else:
                    self.x[t][p] = prob.add_variable(f"x_{t}_{p}", 0, None, cat=pulp.LpInteger)

        # Levels, capacity and on-duty constraints.
        self.short: dict[tuple[int, int], pulp.LpVariable] = {}
        self.z: dict[tuple[int, int], list[pulp.LpVariable]] = {}
        self.pieces: dict[int, list[tuple[int, float, pulp.LpVariable, pulp.LpVariable | None]]] = {}
        self.k_lo = np.zeros((n_types, n_bins), dtype=np.int64)
        for t, kind in enumerate(d.types):
            capacity = self.capacity[t]
            extra_t = self.extra.get(kind.name, np.zeros(n_bins))
            for i in range(n_bins):
                lo = capacity.level(float(self.min_load[t, i]))
                hi = max(lo, capacity.level(float(self.max_load[t, i])))
                self.k_lo[t, i] = lo
                on_duty = pulp.lpSum(v for p, v in self.x[t].items() if self.cover[t][p, i])
                if elastic:
                    s = self.short[t, i] = prob.add_variable(f"short_{t}_{i}", 0)
                    on_duty = on_duty + s
                # Capacity above the fewest units the bin can need, one linear piece per segment of levels:
                # u[j] units used in segment j, each adding `slope` erlangs; segment j opens (binary z[j]) only
                # once segment j-1 is full. Whole units on duty bound the units used, so capacity never
                # exceeds the Erlang C table; where the table grows linearly one segment is exact.
                fills: list[pulp.LpVariable] = []
                steps: list[pulp.LpVariable] = []
                terms = []
                lengths: list[float] = []
                for j, (first, last, slope) in enumerate(capacity.segments(lo, hi, d.capacity_tolerance)):
                    length = float(last - first)
                    used = prob.add_variable(f"u_{t}_{i}_{j}", 0, length)
                    opened = None
                    if j > 0:
                        opened = prob.add_variable(f"z_{t}_{i}_{j}", 0, 1, cat=pulp.LpInteger)
                        prob += used <= length * opened
                        prob += fills[-1] >= lengths[-1] * opened
                        steps.append(opened)
                    self.pieces.setdefault(t, []).append((first, length, used, opened))
                    fills.append(used)
                    lengths.append(length)
                    terms.append(slope * used)
                self.z[t, i] = steps
                if terms:
                    prob += self.load[t, i] <= capacity.cap(lo) + pulp.lpSum(terms), f"capacity_{t}_{i}"
                    prob += on_duty >= lo + float(extra_t[i]) + pulp.lpSum(fills), f"level_{t}_{i}"
                elif lo + extra_t[i] > 0:
                    prob += on_duty >= lo + float(extra_t[i]), f"level_{t}_{i}"
                if self.floor[t, i] > 0:
                    prob += on_duty >= float(self.floor[t, i]), f"floor_{t}_{i}"

        # Costs, hours and limits.
        yearly = d.bins_per_year
        self.pattern_costs = [kind.pattern_costs() for kind in d.types]
        # Money enters the model in units of the dearest unit's annual cost: dollar coefficients in the
        # hundreds of thousands next to unit counts of 1 slow HiGHS down badly. `money` converts back.
        self.money = max([1.0] + [float(c.max()) for c in self.pattern_costs if c.size])
        self.staff_cost = {
            t: pulp.lpSum(float(self.pattern_costs[t][p] / self.money) * v for p, v in self.x[t].items())
            for t in range(n_types)
        }
        self.civilian_cost = pulp.lpSum(self.staff_cost[t] for t in range(n_types) if t != officer)
        base_downstream = float(yearly * (lam.sum(axis=1) * d.downstream_cost[:, officer]).sum()) / self.money
        self.downstream = base_downstream + pulp.lpSum(
            float(yearly * (d.downstream_cost[c, t] - d.downstream_cost[c, officer]) / self.money) * v
            for (c, t, i), v in self.y.items()
        )
        self.total_cost = pulp.lpSum(self.staff_cost.values()) + self.downstream
        self.hours = pulp.lpSum(float(yearly * busy[c, officer] / 60) * v for (c, t, i), v in self.y.items())
        # Budget and hours floor sit on fixed variables so a sweep changes a bound, not the model.
        # Without a budget the bound variable is left free upwards, so the constraint never binds.
        self.budget_value = prob.add_variable("budget", 0, None)
        self.hours_floor = prob.add_variable("hours_floor", 0, 0)
        if "budget" not in relax:
            prob += self.civilian_cost <= self.budget_value, "budget"
        if "hours" not in relax:
            prob += self.hours >= self.hours_floor, "hours_floor"
        for t, kind in enumerate(d.types):
            cap = kind.max_units()
            if cap is not None and "headcount" not in relax and self.x[t]:
                prob += pulp.lpSum(self.x[t].values()) <= cap, f"headcount_{t}"
        self.headcount = pulp.lpSum(
            kind.people_per_unit_staffed * v
            for t, kind in enumerate(d.types)
            if kind.max_headcount is not None
            for v in self.x[t].values()
        )

    def set_budget(self, budget: float | None) -> None:
        """Apply (or drop, with None) the civilian budget, and the unit ceilings it implies."""
        if "budget" not in self.relax:
            if budget is None:
                self.budget_value.lowBound, self.budget_value.upBound = 0.0, None
            else:
                self.budget_value.lowBound = self.budget_value.upBound = float(budget) / self.money
        # No bin can have more units of a type on duty than the type has units, and the budget (or headcount)
        # caps that. Closing the capacity pieces above the cap is valid and makes the LP bound much tighter:
        # otherwise it credits a small team with the per-unit capacity of a large one (Erlang economies of scale).
        for t, pieces in self.pieces.items():
            # Virtual units of the elastic (diagnosis) model may exceed any real ceiling.
            ceiling = None if self.elastic else self.unit_ceiling(t, None if "budget" in self.relax else budget)
            for first, length, used, opened in pieces:
                room = length if ceiling is None else max(0.0, min(length, ceiling - first))
                used.upBound = room
                if opened is not None:
                    opened.upBound = 1 if room > 0 else 0

    def unit_ceiling(self, t: int, budget: float | None) -> int | None:
        """Most units type t can have under the budget (civilians only) and its headcount cap."""
        d = self.data
        ceilings = []
        kind = d.types[t]
        if kind.max_units() is not None and "headcount" not in self.relax:
            ceilings.append(kind.max_units())
        if t != d.officer_index and budget is not None and self.x[t]:
            cheapest = min(float(self.pattern_costs[t][p]) for p in self.x[t])
            if cheapest > 0:
                ceilings.append(int(math.floor(budget / cheapest + 1e-9)))
        if t == d.officer_index and d.officer_units_fixed is not None and "fixed" not in self.relax:
            ceilings.append(int(sum(d.officer_units_fixed.values())))
        return min(ceilings) if ceilings else None

    def set_hours_floor(self, hours: float | None) -> None:
        """Require at least this many officer hours freed (None: no floor)."""
        value = 0.0 if hours is None else float(hours)
        self.hours_floor.lowBound = self.hours_floor.upBound = value

    def set_objective(self, name: str) -> None:
        """Choose what to optimise: min-cost, max-hours-freed, shortfall, civilian-cost, headcount, officer-cost."""
        officer = self.data.officer_index
        if name == "max-hours-freed":
            self.prob.sense = pulp.LpMaximize
            self.prob.setObjective(self.hours)
            return
        self.prob.sense = pulp.LpMinimize
        expression = {
            "min-cost": lambda: self.total_cost,
            "shortfall": lambda: pulp.lpSum(self.short.values()),
            "civilian-cost": lambda: self.civilian_cost,
            "headcount": lambda: self.headcount,
            "officer-cost": lambda: self.staff_cost[officer],
        }[name]()
        self.prob.setObjective(expression + 0.0 if isinstance(expression, pulp.LpVariable) else expression)

    def solve(self, solver: str, time_limit: float, gap_rel: float, warm_start: bool = False) -> SolveStats:
        """Run the solver on the model as it stands (optionally starting from the last plan)."""
        return run_solver(self.prob, solver=solver, time_limit=time_limit, gap_rel=gap_rel, warm_start=warm_start)

    def solve_with_routing_fixed(self, solver: str, time_limit: float, gap_rel: float) -> SolveStats:
        """Least-cost staffing for the routing of the last solve, which stays feasible (warm start)."""
        saved = {v: (v.lowBound, v.upBound) for v in self.y.values()}
        for v, (low, high) in saved.items():
            value = min(max(v.varValue or 0.0, low or 0.0), high if high is not None else math.inf)
            v.lowBound = v.upBound = value
        self.set_objective("min-cost")
        try:
            return self.solve(solver, time_limit, gap_rel, warm_start=True)
        finally:
            for v, (low, high) in saved.items():
                v.lowBound, v.upBound = low, high

    def value(self, expression: pulp.LpAffineExpression | float) -> float:
        """Value of an expression in the last solution."""
        result = pulp.value(expression)
        return float(result) if result is not None else 0.0

    def extract(
        self, stats: SolveStats, objective_name: str, budget: float | None, seconds: float, explanation_note: str = ""
    ) -> MixResult:
        """The plan in the last solution as a MixResult."""
        d = self.data
        officer = d.officer_index
        yearly = d.bins_per_year
        routed_rate = np.zeros((len(d.categories), len(d.types), d.n_bins))
        for (c, t, i), v in self.y.items():
            routed_rate[c, t, i] = max(0.0, v.varValue or 0.0)
        routed_rate[:, officer, :] = np.maximum(0.0, d.arrival_rate - routed_rate.sum(axis=1))
        routed: dict[tuple[str, str], float] = {}
        shares: dict[tuple[str, str], float] = {}
        for c, category in enumerate(d.categories):
            demand = float(d.arrival_rate[c].sum())
            for t, kind in enumerate(d.types):
                if t != officer and not d.eligible(c, t):
                    continue
                routed[category, kind.name] = float(routed_rate[c, t].sum() * yearly)
                shares[category, kind.name] = float(routed_rate[c, t].sum() / demand) if demand > 0 else 0.0
        busy = np.where(np.isfinite(d.busy_minutes), d.busy_minutes, 0.0)
        units_by_pattern, on_duty, headcount, cost, units_by_type = {}, {}, {}, {}, {}
        requirements, load, downstream_by_type = {}, {}, {}
        for t, kind in enumerate(d.types):
            counts = np.zeros(len(kind.patterns), dtype=np.int64)
            for p, v in self.x[t].items():
                counts[p] = round(v.varValue or 0.0)
            units_by_pattern[kind.name] = {kind.patterns[p].name: int(counts[p]) for p in np.flatnonzero(counts)}
            on_duty[kind.name] = counts @ self.cover[t]
            units_by_type[kind.name] = int(counts.sum())
            headcount[kind.name] = units_by_type[kind.name] * kind.people_per_unit * kind.relief_factor
            cost[kind.name] = float(counts @ self.pattern_costs[t])
            erlangs = (routed_rate[:, t, :] * busy[:, t, None]).sum(axis=0) / 60
            load[kind.name] = erlangs
            extra = self.extra.get(kind.name, np.zeros(d.n_bins))
            levels = np.array([self.capacity[t].level(float(a)) for a in erlangs])
            requirements[kind.name] = np.maximum(levels + extra, self.floor[t]).astype(np.int64)
            downstream_by_type[kind.name] = float(
                (routed_rate[:, t, :].sum(axis=1) * d.downstream_cost[:, t]).sum() * yearly
            )
        downstream = float(sum(downstream_by_type.values()))
        civilian_calls = routed_rate.sum(axis=2).sum(axis=1) - routed_rate[:, officer, :].sum(axis=1)
        hours = float((civilian_calls * busy[:, officer]).sum() * yearly / 60)
        staff = float(sum(cost.values()))
        objective = hours if objective_name == "max-hours-freed" else staff + downstream
        civilians = ", ".join(
            f"{units_by_type[k.name]} {k.name} unit(s)" for t, k in enumerate(d.types) if t != officer
        )
        gap_text = "" if stats.gap is None else f", gap {stats.gap:.2%}"
        explanation = (
            f"{stats.status.value}: {units_by_type[d.officer]} {d.officer} unit(s)"
            + (f", {civilians}" if civilians else "")
            + f"; {hours:,.0f} officer hours freed a year; annual cost {staff + downstream:,.0f} "
            f"(staff {staff:,.0f}, downstream {downstream:,.0f}){gap_text}"
        )
        if explanation_note:
            explanation += f"; {explanation_note}"
        if stats.message:
            explanation += f" ({stats.message})"
        return MixResult(
            stats.status, objective, stats.gap, seconds, stats.solver, routed, shares, units_by_pattern, on_duty,
            headcount, cost, downstream, hours, requirements, explanation, objective_name, budget, load,
            units_by_type, downstream_by_type,
        )


def _check_objective(objective: str) -> None:
    if objective not in OBJECTIVES:
        raise OptimizeError(f"objective is {objective!r}, but it must be one of {', '.join(OBJECTIVES)}")


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


def _structural_problems(model: _MixModel) -> list[str]:
    """Bins where a type must have units on duty but none of its patterns covers them."""
    d = model.data
    problems = []
    for t, kind in enumerate(d.types):
        extra = model.extra.get(kind.name, np.zeros(d.n_bins))
        need = np.maximum(model.k_lo[t] + extra, model.floor[t])
        uncovered = np.flatnonzero((need > 0) & (model.cover[t].sum(axis=0) == 0))
        if uncovered.size:
            problems.append(
                f"{kind.name} needs up to {need[uncovered].max():g} units in {uncovered.size} bin(s) "
                f"({describe_bins(uncovered, d.n_bins)}) that none of its shift patterns covers; add patterns "
                f"covering them or lower the target there"
            )
    return problems


def _diagnose(
    data: MixInput,
    extra: dict[str, np.ndarray],
    budget: float | None,
    hours_floor: float | None,
    solver: str,
    time_limit: float,
) -> tuple[str, dict[str, np.ndarray] | None]:
    """Which type and bins go short under the limits, by how many units, and which limit to relax by how much."""
    seconds = min(time_limit, _DIAGNOSIS_SECONDS)
    parts: list[str] = []
    shortfall = None
    elastic = _MixModel(data, extra, elastic=True)
    elastic.set_budget(budget)
    elastic.set_hours_floor(hours_floor)
    elastic.set_objective("shortfall")
    stats = elastic.solve(solver, seconds, DEFAULT_GAP)
    if stats.status.has_plan:
        shortfall = {}
        for t, kind in enumerate(data.types):
            short = np.array([max(0.0, elastic.short[t, i].varValue or 0.0) for i in range(data.n_bins)])
            shortfall[kind.name] = short
            bins = np.flatnonzero(short > _EPS)
            if bins.size:
                parts.append(
                    f"{kind.name} is short in {bins.size} bin(s) ({describe_bins(bins, data.n_bins)}) by up to "
                    f"{math.ceil(short.max() - _EPS)} unit(s)"
                )
    elif stats.status == Status.INFEASIBLE and hours_floor:
        parts.append("no plan frees the officer hours asked for under these limits")

    families = []
    if budget is not None:
        families.append("budget")
    if any(kind.max_headcount is not None for kind in data.types):
        families.append("headcount")
    if data.officer_units_fixed is not None:
        families.append("fixed")
    if hours_floor:
        families.append("hours")
    for family in families:
        relaxed = _MixModel(data, extra, relax=frozenset({family}))
        relaxed.set_budget(budget)
        relaxed.set_hours_floor(hours_floor)
        relaxed.set_objective(
            {"budget": "civilian-cost", "headcount": "headcount", "fixed": "officer-cost", "hours": "max-hours-freed"}[
                family
            ]
        )
        result = relaxed.solve(solver, seconds, DEFAULT_GAP)
        if not result.status.has_plan:
            if result.status == Status.INFEASIBLE:
                parts.append(f"relaxing {family} alone is not enough")
            continue
        if family == "budget" and budget is not None:
            needed = relaxed.value(relaxed.civilian_cost) * relaxed.money
            if needed > budget + _EPS:
                parts.append(
                    f"budget: the civilian units these targets need cost at least {needed:,.0f} a year, "
                    f"{needed - budget:,.0f} more than the budget of {budget:,.0f}; raise the budget to {needed:,.0f}"
                )
        elif family == "headcount":
            for t, kind in enumerate(data.types):
                if kind.max_headcount is None:
                    continue
                units = sum(round(v.varValue or 0.0) for v in relaxed.x[t].values())
                people = units * kind.people_per_unit_staffed
                if people > kind.max_headcount + _EPS:
                    parts.append(
                        f"max_headcount: {kind.name} needs {units} units = {people:g} people, above max_headcount "
                        f"{kind.max_headcount:g}; raise it to {people:g}"
                    )
        elif family == "fixed":
            officer = data.officer_index
            held = sum((data.officer_units_fixed or {}).values())
            units = sum(round(v.varValue or 0.0) for v in relaxed.x[officer].values())
            if units > held:
                parts.append(
                    f"officer_units_fixed: today's {held} officer units cannot carry the load that stays with "
                    f"officers; at least {units - held} more officer unit(s) are needed (or stop holding officers fixed)"
                )
        elif family == "hours" and hours_floor is not None:
            most = relaxed.value(relaxed.hours)
            if most < hours_floor - _EPS:
                parts.append(
                    f"min_officer_hours_freed: at most {most:,.0f} officer hours a year can be freed under these "
                    f"limits, not {hours_floor:,.0f}; lower it or raise the budget"
                )
    if not parts:
        parts.append("the limits (budget, headcount, fixed officers) cannot all be met; relax one of them")
    return "infeasible: " + "; ".join(parts) + ".", shortfall


def _failure(stats: SolveStats, objective: str, budget: float | None, seconds: float, explanation: str,
             shortfall: dict[str, np.ndarray] | None = None) -> MixResult:
    return MixResult(
        stats.status, None, None, seconds, stats.solver, None, None, None, None, None, None, None, None, None,
        explanation, objective, budget, shortfall=shortfall,
    )


def _min_cost(model: _MixModel, solver: str, time_limit: float, gap_rel: float, started: float) -> SolveStats:
    """Least total cost, started from a decomposition so a good plan exists early.

    The full model couples routing, Erlang capacity levels and shift covering, and at city scale the
    solver can spend its whole time limit before it finds a good plan. So: (1) the LP relaxation gives a
    routing and a lower bound; (2) that routing is staffed at least cost (routing fixed, the rest is
    per-type covering: quick); (3) the full model starts from that plan for the time left. The better
    of (2) and (3) is kept, and its gap is measured against the best bound known.
    """
    lp = run_solver(model.prob, solver=solver, time_limit=max(1.0, 0.25 * time_limit), gap_rel=gap_rel, mip=False)
    if not lp.status.has_plan:
        # No LP plan (infeasible, or out of time): the full model decides, and diagnosis follows from it.
        return model.solve(solver, max(1.0, time_limit - (time.perf_counter() - started)), gap_rel)
    lower = lp.objective
    staffed = model.solve_with_routing_fixed(solver, max(1.0, 0.35 * time_limit), gap_rel)
    best_values = {v.name: v.varValue for v in model.prob.variables()} if staffed.status.has_plan else None
    remaining = time_limit - (time.perf_counter() - started)
    full = model.solve(solver, max(1.0, remaining), gap_rel, warm_start=best_values is not None) \
        if remaining > 1.0 or best_values is None else staffed
    bound = max(b for b in (lower, full.best_bound, staffed.best_bound if best_values is None else None, -math.inf)
                if b is not None)
    candidates = [(st, vals) for st, vals in ((full, None), (staffed, best_values)) if st.status.has_plan]
    if not candidates:
        return full
    chosen, values = min(candidates, key=lambda c: c[0].objective)
    if values is not None:
        for v in model.prob.variables():
            v.varValue = values.get(v.name)
    gap = 0.0 if chosen.objective <= 0 else max(0.0, (chosen.objective - bound) / abs(chosen.objective))
    status = Status.OPTIMAL if gap <= gap_rel + 1e-9 else Status.FEASIBLE
    return replace(chosen, status=status, best_bound=bound, gap=gap, solve_seconds=time.perf_counter() - started)


def _max_hours(model: _MixModel, solver: str, time_limit: float, gap_rel: float, started: float,
               warm_start: bool) -> SolveStats:
    """Most officer hours freed within the budget, started from a decomposition.

    (1) The LP relaxation gives a routing and an upper bound on the hours; (2) that routing, scaled down
    by bisection until its least-cost whole-unit staffing fits the budget (each try is per-type covering:
    quick), gives a plan; (3) the full model starts from the best plan known for the time left. The
    better plan is kept, its gap measured against the best bound. Leaves the objective on max-hours-freed.
    """
    def elapsed() -> float:
        return time.perf_counter() - started

    def snapshot() -> dict[str, float | None]:
        return {v.name: v.varValue for v in model.prob.variables()}

    incumbent = snapshot() if warm_start else None
    incumbent_hours = model.value(model.hours) if warm_start else -math.inf
    # Time: about a tenth for the LP, a quarter for each starting plan, the rest for the full model.
    lp = run_solver(model.prob, solver=solver, time_limit=max(1.0, 0.1 * time_limit), gap_rel=gap_rel, mip=False)
    model.set_objective("max-hours-freed")
    if not lp.status.has_plan:
        if incumbent is not None:
            for v in model.prob.variables():
                v.varValue = incumbent.get(v.name)
        return model.solve(solver, max(1.0, time_limit - elapsed()), gap_rel, warm_start=warm_start)
    upper = lp.objective
    best: tuple[float, dict[str, float | None]] | None = None

    def staff_scaled(routing: dict[pulp.LpVariable, float], share_of_time: float) -> None:
        """Staff the routing at least cost, scaled down by bisection until it fits the budget."""
        nonlocal best
        low, high = 0.0, 1.0
        deadline = elapsed() + share_of_time * time_limit
        for k in range(8):
            if elapsed() > deadline:
                break
            factor = high if k == 0 else (low + high) / 2
            for v, value in routing.items():
                v.varValue = factor * value
            tried = model.solve_with_routing_fixed(solver, max(1.0, 0.05 * time_limit), gap_rel)
            if tried.status.has_plan:
                hours = model.value(model.hours)
                if best is None or hours > best[0]:
                    best = (hours, snapshot())
                low = factor
                if k == 0:
                    break   # the routing fits as it is: nothing to scale
            else:
                high = factor

    # Two routings to start from: the LP's most hours, and the LP's least cost within the same budget
    # (which sends civilians the calls they take most cheaply, and often frees more once whole units
    # are counted).
    staff_scaled({v: v.varValue or 0.0 for v in model.y.values()}, 0.25)
    model.set_objective("min-cost")
    cheap = run_solver(model.prob, solver=solver, time_limit=max(1.0, 0.05 * time_limit), gap_rel=gap_rel, mip=False)
    if cheap.status.has_plan:
        staff_scaled({v: v.varValue or 0.0 for v in model.y.values()}, 0.25)
    model.set_objective("max-hours-freed")
    start_from = max([c for c in (best, (incumbent_hours, incumbent) if incumbent else None) if c],
                     key=lambda c: c[0], default=None)
    if start_from is not None:
        for v in model.prob.variables():
            v.varValue = start_from[1].get(v.name)
    remaining = time_limit - elapsed()
    full = model.solve(solver, max(1.0, remaining), gap_rel, warm_start=start_from is not None) \
        if remaining > 1.0 or start_from is None else None
    full_hours = model.value(model.hours) if full is not None and full.status.has_plan else -math.inf
    if start_from is not None and start_from[0] >= full_hours:
        for v in model.prob.variables():
            v.varValue = start_from[1].get(v.name)
        hours, base = start_from[0], full if full is not None else lp
    elif full is not None and full.status.has_plan:
        hours, base = full_hours, full
    else:
        return full if full is not None else lp
    bound = min(b for b in (upper, full.best_bound if full is not None else None, math.inf) if b is not None)
    gap = 0.0 if hours <= 0 and bound <= 0 else max(0.0, (bound - hours) / max(abs(hours), 1e-9))
    status = Status.OPTIMAL if gap <= gap_rel + 1e-9 else Status.FEASIBLE
    return replace(base, status=status, objective=hours, best_bound=bound, gap=gap, solve_seconds=elapsed())


def _run(
    model: _MixModel,
    objective: str,
    budget: float | None,
    hours_floor: float | None,
    solver: str,
    time_limit: float,
    gap_rel: float,
    warm_start: bool = False,
) -> tuple[SolveStats, MixResult | None, float]:
    """Solve once (min-cost) or twice (max-hours-freed, then least-cost staffing of that routing)."""
    started = time.perf_counter()
    model.set_budget(budget)
    model.set_hours_floor(hours_floor)
    model.set_objective(objective)
    if objective == "min-cost":
        stats = _min_cost(model, solver, time_limit, gap_rel, started)
        seconds = time.perf_counter() - started
        if not stats.status.has_plan:
            return stats, None, seconds
        return stats, model.extract(stats, objective, budget, seconds), seconds
    first_limit = max(1.0, 0.8 * time_limit)
    stats = _max_hours(model, solver, first_limit, gap_rel, started, warm_start)
    if not stats.status.has_plan:
        return stats, None, time.perf_counter() - started
    # Second pass: keep the routing found (so the hours stay exactly as found) and staff it at the least cost.
    # Stage one never prices officers, so this is what removes units the hours do not need.
    remaining = max(1.0, time_limit - (time.perf_counter() - started))
    second = model.solve_with_routing_fixed(solver, remaining, gap_rel)
    model.set_objective(objective)
    seconds = time.perf_counter() - started
    if not second.status.has_plan:
        raise OptimizeError(f"re-staffing a feasible routing failed ({second.status.value}); this is a bug")
    return stats, model.extract(stats, objective, budget, seconds), seconds


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
) -> MixResult:
    """Best routing and roster of every type: least total cost, or most officer hours freed within a civilian budget."""
    if not isinstance(model_input, MixInput):
        raise OptimizeError(f"model_input is {type(model_input).__name__}, but it must be a MixInput")
    _check_objective(objective)
    check_solver_options(solver, time_limit, gap_rel)
    if budget is not None and (not math.isfinite(budget) or budget < 0):
        raise OptimizeError(f"budget is {budget!r}, but it must be a finite amount >= 0 or None")
    if objective == "max-hours-freed" and budget is None:
        raise OptimizeError("objective 'max-hours-freed' needs a budget: the civilian staff cost it may spend")
    if min_officer_hours_freed is not None and (not math.isfinite(min_officer_hours_freed) or min_officer_hours_freed < 0):
        raise OptimizeError(f"min_officer_hours_freed is {min_officer_hours_freed!r}, but it must be >= 0 or None")
    started = time.perf_counter()
    extra = _extras(model_input, extra_units)
    model = _MixModel(model_input, extra)
    problems = _structural_problems(model)
    if problems:
        stats = SolveStats(Status.INFEASIBLE, None, None, None, 0.0, "none")
        return _failure(stats, objective, budget, time.perf_counter() - started, "infeasible: " + "; ".join(problems) + ".")
    stats, result, _ = _run(model, objective, budget, min_officer_hours_freed, solver, time_limit, gap_rel)
    seconds = time.perf_counter() - started
    if result is not None:
        return replace(result, solve_seconds=seconds)
    if stats.status == Status.INFEASIBLE:
        explanation, shortfall = _diagnose(model_input, extra, budget, min_officer_hours_freed, solver, time_limit)
        return _failure(stats, objective, budget, time.perf_counter() - started, explanation, shortfall)
    return _failure(stats, objective, budget, seconds, status_explanation(stats, time_limit))


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


def pareto_sweep(
    model_input: MixInput,
    budgets: Sequence[float],
    *,
    time_limit_per_point: float = 10.0,
    solver: str = "highs",
    gap_rel: float = DEFAULT_GAP,
    extra_units: Mapping[str, np.ndarray] | None = None,
) -> Generator[Progress, None, list[ParetoPoint]]:
    """Most officer hours freed at each civilian budget (ascending); hours never fall as the budget rises."""
    if not isinstance(model_input, MixInput):
        raise OptimizeError(f"model_input is {type(model_input).__name__}, but it must be a MixInput")
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
    model = _MixModel(model_input, extra)
    problems = _structural_problems(model)
    points: list[ParetoPoint] = []
    previous: MixResult | None = None
    for j, budget in enumerate(values):
        yield Progress(j, total, f"budget {budget:,.0f}: solving")
        if problems:
            stats = SolveStats(Status.INFEASIBLE, None, None, None, 0.0, "none")
            result = _failure(stats, "max-hours-freed", budget, 0.0, "infeasible: " + "; ".join(problems) + ".")
        else:
            # A larger budget admits the previous plan, so its hours are a valid floor: this keeps the frontier
            # monotone even when time limits stop a solve short of the optimum.
            floor = previous.officer_hours_freed if previous is not None else None
            # The previous plan is still in the model's variables and fits this budget: start from it.
            stats, result, seconds = _run(
                model, "max-hours-freed", budget, floor, solver, time_limit_per_point, gap_rel,
                warm_start=previous is not None,
            )
            if result is None or (
                previous is not None and (result.officer_hours_freed or 0.0) < (previous.officer_hours_freed or 0.0)
            ):
                if previous is not None:
                    result = replace(
                        previous, budget=budget, status=Status.FEASIBLE, solve_seconds=seconds,
                        explanation=(
                            f"feasible: the plan of budget {previous.budget:,.0f} carried over (this solve "
                            f"found nothing better within {time_limit_per_point:g} s)"
                        ),
                    )
                elif stats.status == Status.INFEASIBLE:
                    explanation, shortfall = _diagnose(model_input, extra, budget, None, solver, time_limit_per_point)
                    result = _failure(stats, "max-hours-freed", budget, seconds, explanation, shortfall)
                else:
                    result = _failure(stats, "max-hours-freed", budget, seconds,
                                      status_explanation(stats, time_limit_per_point))
        if result.status.has_plan:
            previous = result
        civilian = None
        if result.annual_cost_by_type is not None:
            civilian = float(sum(v for k, v in result.annual_cost_by_type.items() if k != officer))
        points.append(
            ParetoPoint(
                budget, result.status, result.total_cost, result.officer_hours_freed,
                result if result.status.has_plan else None, civilian, result.staff_cost, result.downstream_cost,
                result.explanation,
            )
        )
        hours = "no plan" if result.officer_hours_freed is None else f"{result.officer_hours_freed:,.0f} h freed"
        yield Progress(j + 1, total, f"budget {budget:,.0f}: {hours}")
    return points
