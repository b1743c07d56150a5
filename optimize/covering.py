"""The plain covering model under every roster: requirements per period, 0/1 coverage vectors, costs -> counts."""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pulp

from optimize.bins import describe_bins
from optimize.errors import OptimizeError
from optimize.solver import (
    DEFAULT_GAP,
    DEFAULT_TIME_LIMIT,
    SolveStats,
    Status,
    check_solver_options,
    run_solver,
    solver_output_captured,
    status_explanation,
)

# Pattern counts within this distance of a whole number are that number (solver round-off).
_INTEGRALITY = 1e-6


def _as_vector(name: str, value: object, length: int | None = None) -> np.ndarray:
    array = np.array(value, dtype=float, copy=True)
    if array.ndim != 1:
        raise OptimizeError(f"{name} has {array.ndim} dimensions, but it must be a 1-D array")
    if length is not None and array.shape[0] != length:
        raise OptimizeError(f"{name} has {array.shape[0]} entries, but {length} are expected")
    bad = np.flatnonzero(~np.isfinite(array) | (array < 0))
    if bad.size:
        raise OptimizeError(f"{name}[{bad[0]}] is {float(array[bad[0]])!r}, but every entry must be finite and >= 0")
    array.setflags(write=False)
    return array


@dataclass(frozen=True, eq=False)
class CoverProblem:
    """A covering problem: choose whole counts of patterns so every period has its required units, at least cost."""

    requirements: np.ndarray  # [n_periods] units needed on duty
    coverage: np.ndarray  # [n_patterns, n_periods] 1 if the pattern is on duty in the period
    costs: np.ndarray  # [n_patterns] cost of one unit on the pattern
    max_units: int | None = None  # cap on the total count over all patterns
    max_per_pattern: int | None = None  # cap on the count of any one pattern
    max_on_duty: np.ndarray | None = None  # [n_periods] cap on units on duty per period
    pattern_names: tuple[str, ...] | None = None

    def __post_init__(self) -> None:
        requirements = _as_vector("requirements", self.requirements)
        coverage = np.array(self.coverage, dtype=float, copy=True)
        if coverage.ndim != 2:
            raise OptimizeError(f"coverage has {coverage.ndim} dimensions, but it must be [n_patterns, n_periods]")
        if coverage.shape[1] != requirements.shape[0]:
            raise OptimizeError(
                f"coverage has {coverage.shape[1]} columns, but requirements has {requirements.shape[0]} periods"
            )
        if not np.isin(coverage, (0.0, 1.0)).all():
            row, col = np.argwhere(~np.isin(coverage, (0.0, 1.0)))[0]
            raise OptimizeError(f"coverage[{row}, {col}] is {float(coverage[row, col])!r}, but coverage must be 0 or 1")
        coverage.setflags(write=False)
        costs = _as_vector("costs", self.costs)
        if costs.shape[0] != coverage.shape[0]:
            raise OptimizeError(f"costs has {costs.shape[0]} entries, but coverage has {coverage.shape[0]} patterns")
        for name in ("max_units", "max_per_pattern"):
            value = getattr(self, name)
            if value is not None and (isinstance(value, bool) or not isinstance(value, int | np.integer) or value < 0):
                raise OptimizeError(f"{name} is {value!r}, but it must be a whole number >= 0 or None")
        max_on_duty = self.max_on_duty
        if max_on_duty is not None:
            max_on_duty = _as_vector(
                "max_on_duty", np.broadcast_to(np.asarray(max_on_duty, dtype=float), requirements.shape)
            )
        names = self.pattern_names
        if names is not None:
            names = tuple(str(n) for n in names)
            if len(names) != coverage.shape[0]:
                raise OptimizeError(
                    f"pattern_names has {len(names)} names, but coverage has {coverage.shape[0]} patterns"
                )
        object.__setattr__(self, "requirements", requirements)
        object.__setattr__(self, "coverage", coverage)
        object.__setattr__(self, "costs", costs)
        object.__setattr__(self, "max_on_duty", max_on_duty)
        object.__setattr__(self, "pattern_names", names)

    @property
    def n_periods(self) -> int:
        """Number of periods."""
        return int(self.requirements.shape[0])

    @property
    def n_patterns(self) -> int:
        """Number of candidate patterns."""
        return int(self.coverage.shape[0])

    def uncovered_periods(self) -> np.ndarray:
        """Periods that need units but that no pattern covers."""
        return np.flatnonzero((self.requirements > 0) & (self.coverage.sum(axis=0) == 0))


@dataclass(frozen=True, eq=False)
class CoverResult:
    """Outcome of a covering solve; `counts` is None unless the status has a plan."""

    status: Status
    objective: float | None
    counts: np.ndarray | None
    gap: float | None
    solve_seconds: float
    solver: str
    explanation: str
    lp_bound: float | None = None  # optimum of the LP relaxation: no plan can cost less
    on_duty: np.ndarray | None = None  # units on duty per period under `counts`
    shortfall: np.ndarray | None = None  # when infeasible: units missing per period under the limits

    @property
    def units(self) -> int | None:
        """Total units over all patterns."""
        return None if self.counts is None else int(self.counts.sum())


def _build(
    problem: CoverProblem,
    *,
    integer: bool,
    objective: str = "cost",
    elastic: bool = False,
    cap_units: bool = True,
) -> tuple[pulp.LpProblem, dict[int, pulp.LpVariable], dict[int, pulp.LpVariable]]:
    """The covering model; `elastic` adds per-period shortfall to be minimised instead of cost."""
    prob = pulp.LpProblem("covering", pulp.LpMinimize)
    demanded = problem.requirements > 0
    # A pattern that covers no period with a requirement can only add cost, so it never gets a variable.
    useful = np.flatnonzero(problem.coverage[:, demanded].sum(axis=1) > 0)
    category = pulp.LpInteger if integer else pulp.LpContinuous
    counts = {
        int(p): prob.add_variable(f"x_{p}", 0, problem.max_per_pattern, cat=category) for p in useful
    }
    short: dict[int, pulp.LpVariable] = {}
    if elastic:
        short = {int(i): prob.add_variable(f"short_{i}", 0) for i in np.flatnonzero(demanded)}
        prob += pulp.lpSum(short.values())
    elif objective == "units":
        prob += pulp.lpSum(counts.values())
    else:
        prob += pulp.lpSum(float(problem.costs[p]) * x for p, x in counts.items())
    for i in range(problem.n_periods):
        on_duty = pulp.lpSum(x for p, x in counts.items() if problem.coverage[p, i])
        if demanded[i]:
            prob += on_duty + (short[i] if elastic else 0) >= float(problem.requirements[i]), f"need_{i}"
        if problem.max_on_duty is not None and counts:
            prob += on_duty <= float(problem.max_on_duty[i]), f"cap_{i}"
    if cap_units and problem.max_units is not None and counts:
        prob += pulp.lpSum(counts.values()) <= problem.max_units, "max_units"
    return prob, counts, short


def _values(problem: CoverProblem, counts: dict[int, pulp.LpVariable], integer: bool) -> np.ndarray:
    out = np.zeros(problem.n_patterns, dtype=np.int64 if integer else float)
    for p, x in counts.items():
        value = x.varValue or 0.0
        out[p] = round(value) if integer else value
    return out


def _diagnose(problem: CoverProblem, solver: str, time_limit: float, gap_rel: float) -> tuple[str, np.ndarray | None]:
    """Why no plan exists: which periods stay short under the limits, and what limit would make it feasible."""
    prob, counts, short = _build(problem, integer=True, elastic=True)
    stats = run_solver(prob, solver=solver, time_limit=time_limit, gap_rel=gap_rel)
    parts: list[str] = []
    shortfall = None
    if stats.status.has_plan:
        shortfall = np.zeros(problem.n_periods)
        for i, s in short.items():
            shortfall[i] = max(0.0, s.varValue or 0.0)
        shortfall = np.round(shortfall, 6)
        bins = np.flatnonzero(shortfall > _INTEGRALITY)
        if bins.size:
            limits = []
            if problem.max_units is not None:
                limits.append(f"max_units={problem.max_units}")
            if problem.max_per_pattern is not None:
                limits.append(f"max_per_pattern={problem.max_per_pattern}")
            if problem.max_on_duty is not None:
                limits.append("max_on_duty")
            parts.append(
                f"under {', '.join(limits) or 'the limits'} {bins.size} period(s) stay short "
                f"({describe_bins(bins, problem.n_periods)}), by up to {shortfall.max():g} units "
                f"({shortfall.sum():g} unit-periods in all)"
            )
    if problem.max_units is not None:
        prob, counts, _ = _build(problem, integer=True, objective="units", cap_units=False)
        fewest = run_solver(prob, solver=solver, time_limit=time_limit, gap_rel=0.0)
        if fewest.status == Status.OPTIMAL:
            needed = int(round(fewest.objective or 0.0))
            if needed > problem.max_units:
                parts.append(
                    f"meeting every requirement takes at least {needed} units: raise max_units from "
                    f"{problem.max_units} to {needed} (by {needed - problem.max_units}) or lower the requirement "
                    f"in those periods"
                )
        elif fewest.status == Status.INFEASIBLE:
            parts.append("even without max_units the requirement cannot be met: raise max_per_pattern or max_on_duty")
    if not parts:
        parts.append("the limits (max_units, max_per_pattern, max_on_duty) cannot all be met; relax one of them")
    return "infeasible: " + "; ".join(parts) + ".", shortfall


def solve_covering(
    requirements: np.ndarray,
    coverage: np.ndarray,
    costs: np.ndarray,
    *,
    max_units: int | None = None,
    max_per_pattern: int | None = None,
    max_on_duty: np.ndarray | int | None = None,
    pattern_names: tuple[str, ...] | None = None,
    time_limit: float = DEFAULT_TIME_LIMIT,
    solver: str = "highs",
    integer: bool = True,
    gap_rel: float = DEFAULT_GAP,
    compute_lp_bound: bool = True,
) -> CoverResult:
    """Cheapest whole (or, with integer=False, fractional) pattern counts covering every period's requirement.

    With `compute_lp_bound` the LP relaxation is solved first and reported as `lp_bound`.
    """
    check_solver_options(solver, time_limit, gap_rel)
    problem = CoverProblem(
        requirements, coverage, costs, max_units, max_per_pattern,
        None if max_on_duty is None else np.asarray(max_on_duty), pattern_names,
    )
    started = time.perf_counter()
    n = problem.n_periods
    uncovered = problem.uncovered_periods()
    if uncovered.size:
        need = problem.requirements[uncovered]
        return CoverResult(
            Status.INFEASIBLE, None, None, None, time.perf_counter() - started, "none",
            f"infeasible: {uncovered.size} period(s) need units but no pattern covers them "
            f"({describe_bins(uncovered, n)}, up to {need.max():g} units); add patterns that cover them "
            f"or drop their requirement.",
            shortfall=np.where(np.isin(np.arange(n), uncovered), problem.requirements, 0.0),
        )
    if problem.max_on_duty is not None and (problem.max_on_duty < problem.requirements).any():
        over = np.flatnonzero(problem.max_on_duty < problem.requirements)
        excess = problem.requirements[over] - problem.max_on_duty[over]
        return CoverResult(
            Status.INFEASIBLE, None, None, None, time.perf_counter() - started, "none",
            f"infeasible: in {over.size} period(s) ({describe_bins(over, n)}) the requirement exceeds "
            f"max_on_duty by up to {excess.max():g} units; raise max_on_duty there or lower the requirement.",
            shortfall=np.where(np.isin(np.arange(n), over), problem.requirements - problem.max_on_duty, 0.0),
        )

    if not (problem.requirements > 0).any():
        zeros = np.zeros(problem.n_patterns, dtype=np.int64 if integer else float)
        return CoverResult(
            Status.OPTIMAL, 0.0, zeros, 0.0, time.perf_counter() - started, "none",
            "optimal: no period needs a unit, so no units are rostered", lp_bound=0.0, on_duty=np.zeros(n),
        )
    lp_bound = None
    if integer and compute_lp_bound:
        relaxed, _, _ = _build(problem, integer=False)
        lp_stats = run_solver(relaxed, solver=solver, time_limit=time_limit, gap_rel=gap_rel, mip=False)
        if lp_stats.status == Status.OPTIMAL:
            lp_bound = lp_stats.objective
        elif lp_stats.status == Status.INFEASIBLE:
            explanation, shortfall = _diagnose(problem, solver, time_limit, gap_rel)
            return CoverResult(
                Status.INFEASIBLE, None, None, None, time.perf_counter() - started, lp_stats.solver,
                explanation, shortfall=shortfall,
            )
    remaining = max(0.1 * time_limit, time_limit - (time.perf_counter() - started))
    prob, counts, _ = _build(problem, integer=integer)
    stats: SolveStats = run_solver(prob, solver=solver, time_limit=remaining, gap_rel=gap_rel, mip=integer)
    if not integer and stats.status == Status.OPTIMAL:
        lp_bound = stats.objective
    if not stats.status.has_plan:
        if stats.status == Status.INFEASIBLE:
            explanation, shortfall = _diagnose(problem, solver, time_limit, gap_rel)
        else:
            explanation, shortfall = status_explanation(stats, time_limit), None
        return CoverResult(
            stats.status, None, None, None, time.perf_counter() - started, stats.solver, explanation,
            lp_bound=lp_bound, shortfall=shortfall,
        )
    values = _values(problem, counts, integer)
    on_duty = values @ problem.coverage
    objective = float(values @ problem.costs)
    gap_text = "" if stats.gap is None else f", gap {stats.gap:.2%}"
    units = values.sum()
    explanation = (
        f"{stats.status.value}: {units:g} units on {int(np.count_nonzero(values))} pattern(s), "
        f"cost {objective:,.6g}{gap_text}"
    )
    if stats.message:
        explanation += f" ({stats.message})"
    return CoverResult(
        stats.status, objective, values, stats.gap, time.perf_counter() - started, stats.solver,
        explanation, lp_bound=lp_bound, on_duty=on_duty,
    )


def greedy_cover(requirements: np.ndarray, coverage: np.ndarray, costs: np.ndarray) -> np.ndarray:
    """Greedy heuristic: add one unit of the pattern covering most still-short periods per unit cost, until covered."""
    problem = CoverProblem(requirements, coverage, costs)
    if problem.uncovered_periods().size:
        bins = problem.uncovered_periods()
        raise OptimizeError(
            f"no pattern covers {describe_bins(bins, problem.n_periods)}, so no cover exists"
        )
    remaining = problem.requirements.copy()
    counts = np.zeros(problem.n_patterns, dtype=np.int64)
    # A zero-cost pattern is always worth taking first; the tiny floor keeps the ratio finite.
    unit_costs = np.maximum(problem.costs, 1e-12)
    while (remaining > 0).any():
        gain = problem.coverage @ (remaining > 0)
        best = int(np.argmax(gain / unit_costs))
        counts[best] += 1
        remaining = remaining - problem.coverage[best]
    return counts


def lp_rounding_cover(
    requirements: np.ndarray,
    coverage: np.ndarray,
    costs: np.ndarray,
    *,
    time_limit: float = DEFAULT_TIME_LIMIT,
    solver: str = "highs",
) -> np.ndarray:
    """Heuristic: solve the LP relaxation and round every count up (always a cover, often a dear one)."""
    result = solve_covering(requirements, coverage, costs, time_limit=time_limit, solver=solver, integer=False)
    if result.counts is None:
        raise OptimizeError(f"the LP relaxation has no solution: {result.explanation}")
    return np.ceil(np.asarray(result.counts) - _INTEGRALITY).astype(np.int64)


def lp_bounds_by_column_set(
    requirements: np.ndarray,
    coverage: np.ndarray,
    costs: np.ndarray,
    column_sets: Sequence[Sequence[int]],
) -> np.ndarray:
    """Optimum of the LP relaxation of the covering problem using only each set of columns (patterns).

    inf where a set cannot cover the requirements, -inf where HiGHS gave no answer (no bound known). One
    HiGHS LP is re-solved with the columns outside the set fixed at zero, each solve starting from the last
    basis: thousands of sets take seconds. Raises OptimizeError when highspy is not available.
    """
    problem = CoverProblem(requirements, coverage, costs)
    try:
        import highspy
    except ImportError as exc:  # the caller falls back to a model that needs no LP bounds
        raise OptimizeError(f"LP bounds need HiGHS (highspy): {exc}") from None
    rows = np.flatnonzero(problem.requirements > 0)
    n = problem.n_patterns
    out = np.full(len(column_sets), -np.inf)
    if not rows.size:
        return np.zeros(len(column_sets))
    matrix = problem.coverage[:, rows]
    index = [np.flatnonzero(matrix[p]) for p in range(n)]
    lp = highspy.HighsLp()
    lp.num_col_, lp.num_row_ = n, int(rows.size)
    lp.col_cost_ = problem.costs.astype(float)
    lp.col_lower_ = np.zeros(n)
    lp.col_upper_ = np.full(n, highspy.kHighsInf)
    lp.row_lower_ = problem.requirements[rows].astype(float)
    lp.row_upper_ = np.full(rows.size, highspy.kHighsInf)
    lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
    lp.a_matrix_.start_ = np.concatenate(([0], np.cumsum([len(i) for i in index]))).astype(np.int32)
    lp.a_matrix_.index_ = np.concatenate(index).astype(np.int32) if n else np.zeros(0, dtype=np.int32)
    lp.a_matrix_.value_ = np.ones(int(sum(len(i) for i in index)))
    columns = np.arange(n, dtype=np.int32)
    with solver_output_captured():
        highs = highspy.Highs()
        highs.setOptionValue("output_flag", False)
        highs.passModel(lp)
        for k, chosen in enumerate(column_sets):
            upper = np.zeros(n)
            upper[np.asarray(chosen, dtype=np.int64)] = highspy.kHighsInf
            highs.changeColsBounds(n, columns, np.zeros(n), upper)
            highs.run()
            status = highs.getModelStatus()
            if status == highspy.HighsModelStatus.kOptimal:
                out[k] = highs.getInfo().objective_function_value
            elif status in (highspy.HighsModelStatus.kInfeasible, highspy.HighsModelStatus.kUnboundedOrInfeasible):
                out[k] = np.inf
    return out


__all__ = [
    "CoverProblem",
    "CoverResult",
    "greedy_cover",
    "lp_bounds_by_column_set",
    "lp_rounding_cover",
    "solve_covering",
]
