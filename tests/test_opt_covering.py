"""Covering model: textbook optima, LP bound, greedy and LP rounding, infeasible and wrap-around cases."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import optimize.solver as solver_module
from optimize import (
    OptimizeError,
    ShiftPattern,
    Status,
    coverage_matrix,
    greedy_cover,
    lp_rounding_cover,
    solve_covering,
)

# Weekly 5-on/2-off rotations: row f works the five days starting on day f (Monday = 0).
FIVE_ON_TWO_OFF = np.array([[1 if (d - f) % 7 < 5 else 0 for d in range(7)] for f in range(7)])
# The post office problem (Winston, Operations Research: Applications and Algorithms): full-time staff work
# 5 consecutive days; needs Mon..Sun 17, 13, 15, 19, 14, 16, 11. LP optimum 67/3 = 22.33, integer optimum 23.
POST_OFFICE = np.array([17, 13, 15, 19, 14, 16, 11])


def brute_force_optimum(requirements: np.ndarray, coverage: np.ndarray, costs: np.ndarray) -> float:
    """Cheapest cover by enumeration: no pattern is ever needed more than the largest requirement."""
    top = int(requirements.max())
    best = math.inf
    for counts in itertools.product(range(top + 1), repeat=coverage.shape[0]):
        counts = np.array(counts)
        if (counts @ coverage >= requirements).all():
            best = min(best, float(counts @ costs))
    return best


def test_post_office_known_optimum() -> None:
    result = solve_covering(POST_OFFICE, FIVE_ON_TWO_OFF, np.ones(7), time_limit=10)
    assert result.status == Status.OPTIMAL
    assert result.objective == 23
    assert result.lp_bound == pytest.approx(67 / 3)
    assert result.gap == 0.0
    assert (result.on_duty >= POST_OFFICE).all()
    assert result.units == 23
    # The MILP optimum is the LP bound rounded up (here the costs are all 1, so the objective is whole).
    assert result.objective == math.ceil(result.lp_bound - 1e-9)
    assert greedy_cover(POST_OFFICE, FIVE_ON_TWO_OFF, np.ones(7)).sum() >= result.objective
    assert lp_rounding_cover(POST_OFFICE, FIVE_ON_TWO_OFF, np.ones(7)).sum() >= result.objective


def test_post_office_with_cbc_gives_the_same_optimum() -> None:
    result = solve_covering(POST_OFFICE, FIVE_ON_TWO_OFF, np.ones(7), solver="cbc", time_limit=10)
    assert result.solver == "CBC"
    assert result.status == Status.OPTIMAL
    assert result.objective == 23


def test_lp_rounding_is_worse_than_the_milp() -> None:
    # Three periods on a cycle, each pattern covers two neighbours, one unit needed everywhere.
    # LP: half a unit on each pattern = 1.5; rounding up takes all three = 3; the optimum is 2.
    coverage = np.array([[1, 1, 0], [0, 1, 1], [1, 0, 1]])
    need = np.ones(3)
    result = solve_covering(need, coverage, np.ones(3), time_limit=10)
    assert result.objective == 2
    assert result.lp_bound == pytest.approx(1.5)
    assert result.objective == math.ceil(result.lp_bound)
    rounded = lp_rounding_cover(need, coverage, np.ones(3))
    assert rounded.sum() == 3
    assert (rounded @ coverage >= need).all()
    assert rounded.sum() > result.objective


def test_interval_patterns_have_an_integral_lp() -> None:
    # Shifts within one day (no wrap) are intervals: the LP is integral, so MILP optimum == LP bound.
    periods = 24
    coverage = np.array([[1 if s <= p < s + 8 else 0 for p in range(periods)] for s in range(0, 17)])
    need = np.array([2, 2, 1, 1, 1, 2, 3, 5, 6, 6, 5, 5, 6, 6, 5, 5, 6, 7, 7, 6, 5, 4, 3, 2])
    costs = np.array([10.0 + (s % 3) for s in range(17)])
    result = solve_covering(need, coverage, costs, time_limit=10)
    assert result.status == Status.OPTIMAL
    assert result.objective == pytest.approx(result.lp_bound)
    assert result.objective <= float(greedy_cover(need, coverage, costs) @ costs)


@settings(max_examples=25, deadline=None)
@given(
    coverage=st.lists(st.lists(st.integers(0, 1), min_size=5, max_size=5), min_size=2, max_size=4),
    need=st.lists(st.integers(0, 2), min_size=5, max_size=5),
    costs=st.lists(st.integers(1, 5), min_size=4, max_size=4),
)
def test_milp_matches_enumeration_and_beats_greedy(coverage: list, need: list, costs: list) -> None:
    coverage = np.array(coverage)
    coverage[0] = 1  # one pattern covering everything keeps every instance feasible
    need = np.array(need)
    costs = np.array(costs[: coverage.shape[0]], dtype=float)
    result = solve_covering(need, coverage, costs, time_limit=5, gap_rel=0.0)
    assert result.status == Status.OPTIMAL
    assert result.objective == pytest.approx(brute_force_optimum(need, coverage, costs))
    assert result.lp_bound <= result.objective + 1e-9
    assert result.objective <= float(greedy_cover(need, coverage, costs) @ costs) + 1e-9


def test_too_few_units_is_explained_with_periods_and_shortfall() -> None:
    result = solve_covering(POST_OFFICE, FIVE_ON_TWO_OFF, np.ones(7), max_units=20, time_limit=10)
    assert result.status == Status.INFEASIBLE
    assert result.objective is None and result.counts is None and result.gap is None
    assert "max_units=20" in result.explanation
    assert "at least 23 units" in result.explanation
    assert "raise max_units from 20 to 23 (by 3)" in result.explanation
    # The week's days are the periods here, so the explanation names them.
    assert any(day in result.explanation for day in ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"))
    assert result.shortfall is not None and result.shortfall.sum() >= 3


def test_period_no_pattern_covers_is_named() -> None:
    coverage = np.array([[1, 1, 0, 0], [0, 1, 1, 0]])
    result = solve_covering(np.array([1, 1, 1, 2]), coverage, np.ones(2))
    assert result.status == Status.INFEASIBLE
    assert "no pattern covers" in result.explanation
    assert "period 3" in result.explanation and "up to 2 units" in result.explanation


def test_wrap_around_night_shift_covers_sunday_into_monday() -> None:
    # A Sunday 22:00 8-hour shift covers Sun 22:00-24:00 and Mon 00:00-06:00 (bins 166, 167, 0..5).
    sunday_only = (False,) * 6 + (True,)
    night = ShiftPattern("8h 22:00 Sun", 22 * 60, 480, sunday_only)
    late = ShiftPattern("4h 20:00 Sun", 20 * 60, 240, sunday_only)
    early = ShiftPattern("6h 00:00 Mon", 0, 360, (True,) + (False,) * 6)
    patterns = [night, late, early]
    coverage = coverage_matrix(patterns, 60)
    assert set(np.flatnonzero(coverage[0])) == {166, 167, 0, 1, 2, 3, 4, 5}
    need = np.zeros(168)
    need[[166, 167, 0, 1, 2, 3, 4, 5]] = 1
    # Optimum by hand: one night unit (cost 10) beats late + early (7 + 7 = 14).
    result = solve_covering(need, coverage, np.array([10.0, 7.0, 7.0]), time_limit=10)
    assert result.status == Status.OPTIMAL
    assert result.objective == 10
    assert list(result.counts) == [1, 0, 0]


def test_zero_requirement_needs_no_units() -> None:
    result = solve_covering(np.zeros(4), np.ones((2, 4)), np.ones(2))
    assert result.status == Status.OPTIMAL and result.objective == 0 and result.units == 0


def test_limits_per_pattern_and_on_duty() -> None:
    need = np.array([2, 2, 2])
    coverage = np.array([[1, 1, 1], [1, 1, 0], [0, 1, 1]])
    result = solve_covering(need, coverage, np.array([3.0, 1.0, 1.0]), max_per_pattern=1, time_limit=10)
    # Two cheap partial patterns give [1, 2, 1]; one full pattern tops the ends up: cost 1 + 1 + 3 = 5.
    assert result.objective == 5
    assert (result.counts <= 1).all()
    capped = solve_covering(need, coverage, np.ones(3), max_on_duty=1)
    assert capped.status == Status.INFEASIBLE
    assert "max_on_duty" in capped.explanation


def test_highs_failure_falls_back_to_cbc(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("simulated HiGHS crash")

    monkeypatch.setattr(solver_module, "_solve_highs", broken)
    result = solve_covering(POST_OFFICE, FIVE_ON_TWO_OFF, np.ones(7), time_limit=10)
    assert result.solver == "CBC"
    assert result.objective == 23
    assert "simulated HiGHS crash" in result.explanation


def test_input_errors_name_field_value_and_expectation() -> None:
    with pytest.raises(OptimizeError, match="coverage has 5 columns, but requirements has 4 periods"):
        solve_covering(np.ones(4), np.ones((2, 5)), np.ones(2))
    with pytest.raises(OptimizeError, match="costs has 3 entries, but coverage has 2 patterns"):
        solve_covering(np.ones(4), np.ones((2, 4)), np.ones(3))
    with pytest.raises(OptimizeError, match=r"requirements\[1\] is -1.0"):
        solve_covering(np.array([1, -1]), np.ones((1, 2)), np.ones(1))
    with pytest.raises(OptimizeError, match="coverage must be 0 or 1"):
        solve_covering(np.ones(2), np.full((1, 2), 2), np.ones(1))
    with pytest.raises(OptimizeError, match="time_limit"):
        solve_covering(np.ones(2), np.ones((1, 2)), np.ones(1), time_limit=0)
    with pytest.raises(OptimizeError, match="solver"):
        solve_covering(np.ones(2), np.ones((1, 2)), np.ones(1), solver="gurobi")


def test_time_limit_without_a_plan_is_a_result(monkeypatch: pytest.MonkeyPatch) -> None:
    import optimize.covering as covering_module

    def out_of_time(prob: object, **kwargs: object) -> solver_module.SolveStats:
        return solver_module.SolveStats(Status.TIME_LIMIT, None, None, None, 0.5, "HiGHS")

    monkeypatch.setattr(covering_module, "run_solver", out_of_time)
    result = solve_covering(POST_OFFICE, FIVE_ON_TWO_OFF, np.ones(7), time_limit=0.5)
    assert result.status == Status.TIME_LIMIT and result.status == "time_limit"
    assert result.objective is None and result.counts is None and result.gap is None
    assert "no feasible plan was found within 0.5 s" in result.explanation
    assert "raise time_limit" in result.explanation


def test_relative_gap_definition() -> None:
    assert solver_module.relative_gap(100.0, 99.0) == pytest.approx(0.01)
    assert solver_module.relative_gap(-50.0, -55.0) == pytest.approx(0.1)
    assert solver_module.relative_gap(23.0, 23.0) == 0.0
    assert solver_module.relative_gap(0.0, 1.0) == math.inf


def test_lp_bounds_by_column_set_known_values():
    from optimize.covering import lp_bounds_by_column_set

    # The post office LP is 67/3 with every rotation; with only Mon-Fri and Wed-Sun (rows 0 and 2), Monday's
    # 17 falls on Mon-Fri alone and Saturday's 16 on Wed-Sun alone, which covers every other day: 33.
    sets = [list(range(7)), [0, 2], [0], []]
    bounds = lp_bounds_by_column_set(POST_OFFICE, FIVE_ON_TWO_OFF, np.ones(7), sets)
    assert bounds[0] == pytest.approx(67 / 3)
    assert bounds[1] == pytest.approx(33)
    assert bounds[2] == math.inf and bounds[3] == math.inf  # Mon-Fri alone never covers the weekend
    # Re-solving from the last basis gives what a fresh solve gives, in any order.
    again = lp_bounds_by_column_set(POST_OFFICE, FIVE_ON_TWO_OFF, np.ones(7), sets[::-1])
    assert list(again[::-1]) == pytest.approx(list(bounds))
