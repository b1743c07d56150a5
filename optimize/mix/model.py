"""The mix MILP: whole units per shift pattern for every type, civilian carried calls as concave pieces.

Bins i of one week, repeated every week of the year:
- x[t,p] whole units of type t on shift pattern p; n[t,i] = sum_p cover[p,i] x[t,p] units on duty; at most
  `max_start_times` distinct start times per type (optimize.roster.limit_start_times).
- Civilian type t, bin i: u[t,i,j] in [0, 1] is the j-th unit on duty at work, sum_j u[t,i,j] <= n[t,i]. The
  j-th unit frees g[t,i,j] officer erlangs more (tables.concave_steps: non-increasing in j, so the solver uses
  the pieces in order and whole units on duty give the table's values without binaries).
- Officer hours freed a year = sum inc x officer busy hours per call x bin hours x weeks: the officer time the
  calls civilian units carry would have taken. Downstream cost moves by the outcome cost difference per call.
- Officers: held at a given roster (`officer_units_fixed`), or sized: the load left to them,
  L[i] = officers-only load - sum (officer erlangs of the carried calls), must fit Erlang C capacity (service
  target and occupancy ceiling) of the officers on duty, a piecewise function of units with binaries where it bends.
"""

from __future__ import annotations

import math

import numpy as np
import pulp

from optimize.mix.inputs import MixInput
from optimize.mix.tables import CivilianTable, OfficerCapacity, civilian_indices, concave_steps
from optimize.patterns import coverage_matrix
from optimize.roster import limit_start_times
from optimize.solver import SolveStats, run_solver

_EPS = 1e-9


class MixModel:
    """The mix MILP for given civilian tables, with a switchable objective, budget and hours floor."""

    def __init__(self, data: MixInput, tables: dict[int, CivilianTable], extra: dict[str, np.ndarray],
                 *, hold_officers: bool, relax: frozenset[str] = frozenset(),
                 ceilings: dict[int, int | None] | None = None) -> None:
        self.data, self.tables, self.extra, self.relax = data, tables, extra, relax
        d = data
        officer = d.officer_index
        n_bins, n_types = d.n_bins, len(d.types)
        yearly = d.bins_per_year
        self.hold_officers = hold_officers
        ceilings = ceilings or {}
        self.prob = pulp.LpProblem("mix", pulp.LpMinimize)
        prob = self.prob
        self.cover = [coverage_matrix(kind.patterns, d.bin_minutes) for kind in d.types]
        self.pattern_costs = [kind.pattern_costs() for kind in d.types]
        # Money enters in units of the dearest unit's annual cost: dollar coefficients next to unit counts of 1
        # slow HiGHS down badly. `money` converts back.
        self.money = max([1.0] + [float(c.max()) for c in self.pattern_costs if c.size])
        self.officer_capacity = OfficerCapacity(d.types[officer], d.service_minutes[officer])

        busy = np.where(np.isfinite(d.busy_minutes), d.busy_minutes, 0.0)
        officer_hours_per_call = busy[:, officer] / 60.0
        self.floor = np.zeros((n_types, n_bins))
        for t, kind in enumerate(d.types):
            floor = np.zeros(n_bins) if kind.min_on_duty is None else np.asarray(kind.min_on_duty, dtype=float)
            if t != officer:
                floor = floor + self.extra.get(kind.name, np.zeros(n_bins))
            if t == officer or d.civilian_targets:
                floor = np.maximum(floor, kind.target.min_units)
            self.floor[t] = floor

        # Civilian pieces.
        self.gains: dict[int, np.ndarray] = {}   # civilian type -> [bin, j] officer hours a year of the j-th unit
        self.u: dict[tuple[int, int], list[pulp.LpVariable]] = {}
        self.hours_terms, self.relief_terms, self.down_terms = [], {i: [] for i in range(n_bins)}, []
        self.need_civilian = np.zeros((n_types, n_bins))
        for t in civilian_indices(d):
            table = tables[t]
            relief = concave_steps(table, officer_hours_per_call)          # [bin, j] officer erlangs
            hours = relief * yearly
            self.gains[t] = hours
            down = (np.diff(table.carried, axis=1)
                    * (d.downstream_cost[:, t] - d.downstream_cost[:, officer])).sum(axis=2) * yearly
            for i in range(n_bins):
                useful = np.flatnonzero(relief[i] > _EPS)
                if not useful.size:
                    continue
                last = int(useful.max()) + 1
                pieces = [prob.add_variable(f"u_{t}_{i}_{j}", 0, 1) for j in range(last)]
                self.u[t, i] = pieces
                for j, v in enumerate(pieces):
                    self.hours_terms.append((float(hours[i, j]), v))
                    self.relief_terms[i].append((float(relief[i, j]), v))
                    self.down_terms.append((float(down[i, j]) / self.money, v))
            if d.civilian_targets:
                capacity = OfficerCapacity(d.types[t], d.service_minutes[t])
                load = (table.offered * busy[:, t, None]).sum(axis=0) / 60.0
                self.need_civilian[t] = [capacity.level(float(a)) for a in load]
                self.floor[t] = np.maximum(self.floor[t], self.need_civilian[t])

        # Shift-pattern units: a pattern that can never help gets no variable.
        self.x: dict[int, dict[int, pulp.LpVariable]] = {}
        self.starts: dict[int, dict[int, pulp.LpVariable]] = {}
        self.held_counts = np.zeros(len(d.types[officer].patterns), dtype=np.int64)
        # Held officers are a constant (none given: no officers in this model, patrol is sized afterwards).
        fixed = (d.officer_units_fixed or {}) if hold_officers else None
        base_load = d.officers_only_load()
        top_officer = self.officer_capacity.level(float(base_load.max())) + int(self.floor[officer].max()) + 1
        for t, kind in enumerate(d.types):
            self.x[t] = {}
            if t == officer:
                useful_bins = np.ones(n_bins, dtype=bool)
            else:
                useful_bins = np.array([(t, i) in self.u for i in range(n_bins)]) | (self.floor[t] > 0)
            for p, pattern in enumerate(kind.patterns):
                if fixed is not None and t == officer:
                    # Held patrol is a constant, not a decision: no variable (a column in no constraint would
                    # also shift the solver's column order under a warm start).
                    self.held_counts[p] = int(fixed.get(pattern.name, 0))
                    continue
                if self.cover[t][p, useful_bins].any():
                    self.x[t][p] = prob.add_variable(f"x_{t}_{p}", 0, None, cat=pulp.LpInteger)
            if not (t == officer and fixed is not None) and self.x[t]:
                if t == officer:
                    upper = float(max(1, top_officer))
                else:
                    upper = float(max(1, max((len(v) for (tt, _), v in self.u.items() if tt == t), default=1),
                                      int(self.floor[t].max())))
                    # No pattern holds more units than the budget pays for: a much tighter big-M.
                    if ceilings.get(t) is not None:
                        upper = float(max(1, min(upper, ceilings[t])))
                self.starts[t] = limit_start_times(prob, self.x[t], kind.patterns, kind.max_start_times, upper,
                                                   f"starts_{t}")

        self.on_duty = {
            (t, i): pulp.lpSum(v for p, v in self.x[t].items() if self.cover[t][p, i])
            for t in range(n_types) for i in range(n_bins)
        }
        for (t, i), pieces in self.u.items():
            prob += pulp.lpSum(pieces) <= self.on_duty[t, i], f"pieces_{t}_{i}"
        for t in range(n_types):
            if t == officer and fixed is not None:
                continue
            for i in np.flatnonzero(self.floor[t] > 0):
                prob += self.on_duty[t, int(i)] >= float(self.floor[t, i]), f"floor_{t}_{i}"

        # Officers sized to the load civilians leave them.
        self.officer_load = {
            i: float(base_load[i]) - pulp.lpSum(a * v for a, v in self.relief_terms[i]) for i in range(n_bins)
        }
        # Simulation-corrected staffing raises the officers' level (not their floor) where the plan missed.
        self.officer_extra = self.extra.get(d.officer, np.zeros(n_bins))
        # Fewest officers each bin needs however many calls civilians take (for quick infeasibility checks).
        self.officer_lo = np.zeros(n_bins)
        if fixed is None:
            min_relief = np.array([sum(a for a, _ in self.relief_terms[i]) for i in range(n_bins)])
            for i in range(n_bins):
                lo = self.officer_capacity.level(max(0.0, float(base_load[i] - min_relief[i])))
                self.officer_lo[i] = lo
                hi = max(lo, self.officer_capacity.level(float(base_load[i])))
                on_duty = self.on_duty[officer, i]
                fills, terms, lengths = [], [], []
                for j, (first, last, slope) in enumerate(
                        self.officer_capacity.segments(lo, hi, d.capacity_tolerance)):
                    length = float(last - first)
                    used = prob.add_variable(f"w_{i}_{j}", 0, length)
                    if j > 0:
                        opened = prob.add_variable(f"z_{i}_{j}", 0, 1, cat=pulp.LpInteger)
                        prob += used <= length * opened
                        prob += fills[-1] >= lengths[-1] * opened
                    fills.append(used)
                    lengths.append(length)
                    terms.append(slope * used)
                more = float(self.officer_extra[i])
                if terms:
                    prob += self.officer_load[i] <= self.officer_capacity.cap(lo) + pulp.lpSum(terms), f"cap_{i}"
                    prob += on_duty >= lo + more + pulp.lpSum(fills), f"level_{i}"
                elif lo + more > 0:
                    prob += on_duty >= lo + more, f"level_{i}"

        # Costs, hours, limits.
        self.staff_cost = {
            t: pulp.lpSum(float(self.pattern_costs[t][p] / self.money) * v for p, v in self.x[t].items())
            for t in range(n_types)
        }
        # Vehicles: one per unit on the street at the type's busiest hour (the cost model's count).
        self.vehicles: dict[int, pulp.LpVariable] = {}
        for t, kind in enumerate(d.types):
            if kind.overhead_per_vehicle > 0 and self.x[t]:
                v = self.vehicles[t] = prob.add_variable(f"vehicles_{t}", 0, None, cat=pulp.LpInteger)
                for i in range(n_bins):
                    prob += v >= self.on_duty[t, i], f"vehicles_{t}_{i}"
                self.staff_cost[t] = self.staff_cost[t] + float(kind.overhead_per_vehicle / self.money) * v
        self.civilian_cost = pulp.lpSum(self.staff_cost[t] for t in civilian_indices(d))
        base_down = float(yearly * (d.arrival_rate.sum(axis=1) * d.downstream_cost[:, officer]).sum()) / self.money
        self.downstream = base_down + pulp.lpSum(a * v for a, v in self.down_terms)
        self.total_cost = pulp.lpSum(self.staff_cost.values()) + self.downstream
        self.hours = pulp.lpSum(a * v for a, v in self.hours_terms)
        self.budget_value = prob.add_variable("budget", 0, None)
        self.hours_floor = prob.add_variable("hours_floor", 0, 0)
        if "budget" not in relax:
            prob += self.civilian_cost <= self.budget_value, "budget"
        prob += self.hours >= self.hours_floor, "hours_floor"
        for t, kind in enumerate(d.types):
            cap = kind.max_units()
            if cap is not None and "headcount" not in relax and self.x[t]:
                prob += pulp.lpSum(self.x[t].values()) <= cap, f"headcount_{t}"

    def set_budget(self, budget: float | None) -> None:
        """Apply (or drop, with None) the civilian budget."""
        if budget is None:
            self.budget_value.lowBound, self.budget_value.upBound = 0.0, None
        else:
            self.budget_value.lowBound = self.budget_value.upBound = float(budget) / self.money

    def set_hours_floor(self, hours: float | None) -> None:
        """Require at least this many officer hours freed (None: no floor)."""
        value = 0.0 if hours is None else float(hours)
        self.hours_floor.lowBound = self.hours_floor.upBound = value

    def set_objective(self, name: str) -> None:
        """min-cost, max-hours-freed, civilian-cost or officer-cost."""
        if name == "max-hours-freed":
            self.prob.sense = pulp.LpMaximize
            # A hair of cost as a tie-break: among plans freeing the same hours, the cheaper one.
            self.prob.setObjective(self.hours - 1e-3 * self.civilian_cost)
            return
        self.prob.sense = pulp.LpMinimize
        expression = {
            "min-cost": self.total_cost,
            "civilian-cost": self.civilian_cost,
            "officer-cost": self.staff_cost[self.data.officer_index],
        }[name]
        self.prob.setObjective(expression + 0.0)

    def solve(self, solver: str, time_limit: float, gap_rel: float, warm_start: bool = False) -> SolveStats:
        """Run the solver on the model as it stands (optionally starting from the last plan)."""
        return run_solver(self.prob, solver=solver, time_limit=time_limit, gap_rel=gap_rel, warm_start=warm_start)

    def value(self, expression: pulp.LpAffineExpression | float) -> float:
        """Value of an expression in the last solution."""
        result = pulp.value(expression)
        return float(result) if result is not None else 0.0

    def counts(self) -> list[np.ndarray]:
        """Whole units per pattern of every type in the last solution."""
        out = []
        for t, kind in enumerate(self.data.types):
            counts = np.zeros(len(kind.patterns), dtype=np.int64)
            for p, v in self.x[t].items():
                counts[p] = round(v.varValue or 0.0)
            if t == self.data.officer_index and self.hold_officers:
                counts = self.held_counts.copy()
            out.append(counts)
        return out

    def unit_ceiling(self, t: int, budget: float | None) -> int | None:
        """Most units of civilian type t the budget pays for (None: no budget)."""
        if budget is None or not self.x[t]:
            return None
        cheapest = min(float(self.pattern_costs[t][p]) for p in self.x[t]) + self.data.types[t].overhead_per_vehicle
        return None if cheapest <= 0 else int(math.floor(budget / cheapest + 1e-9))

    def warm_start_from(self, counts: dict[int, np.ndarray]) -> bool:
        """Load a plan of whole civilian units per pattern into the variables as a starting point for the solver.

        Only where officers are held (their variables are fixed): a sized patrol's capacity pieces would need a
        plan of their own. Returns False when no start was loaded."""
        if not self.hold_officers:
            return False
        for v in self.prob.variables():
            v.varValue = v.lowBound if v.lowBound is not None else 0.0
        for t, per_pattern in counts.items():
            for p, v in self.x[t].items():
                v.varValue = float(per_pattern[p])
            kind = self.data.types[t]
            used = {kind.patterns[p].start_minute for p in np.flatnonzero(per_pattern)}
            for minute, chosen in self.starts.get(t, {}).items():
                chosen.varValue = 1.0 if minute in used else 0.0
            on_duty = per_pattern @ self.cover[t]
            if t in self.vehicles:
                self.vehicles[t].varValue = float(on_duty.max(initial=0))
            for i in range(self.data.n_bins):
                for j, piece in enumerate(self.u.get((t, i), [])):
                    piece.varValue = 1.0 if j < on_duty[i] else 0.0
        return True
