"""The mix MILP against brute force: every roster of a small instance enumerated, the best one found."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from optimize import MixInput, ResponderType, ServiceTarget, ShiftPattern, predict, solve_mix

HOURS = np.arange(168) % 24
DAILY = (True,) * 7


def daily(start: int) -> ShiftPattern:
    return ShiftPattern(f"8h {start:02d}:00 daily", start * 60, 480, DAILY)


PATTERNS = tuple(daily(h) for h in (0, 6, 12, 18))
OFFICER = tuple(daily(h) for h in (0, 8, 16))


def instance(max_starts: int | None, wait: float) -> MixInput:
    shape = 1 + 0.7 * np.sin((HOURS - 9) / 24 * 2 * np.pi)
    types = (
        ResponderType(name="officer", patterns=OFFICER, cost_per_person=120_000.0,
                      target=ServiceTarget(10, 0.8, max_occupancy=0.6)),
        ResponderType(name="social_worker", patterns=PATTERNS, relief_factor=1.5, cost_per_person=80_000.0,
                      overhead_per_unit=6_000.0, max_start_times=max_starts, target=ServiceTarget(20, 0.8)),
    )
    return MixInput(
        categories=("behavioral_health", "violent_crime"), types=types,
        arrival_rate=np.vstack([1.1 * shape, 0.8 * shape]),
        busy_minutes=np.array([[70.0, 85.0], [90.0, np.nan]]),
        eligible_share=np.array([[0.0, 0.6], [0.0, 0.0]]),
        officer_units_fixed={p.name: 6 for p in OFFICER},
        fallback_wait_minutes=np.array([wait, 0.0]),
    )


def brute_force(data: MixInput, budget: float) -> tuple[float, tuple[int, ...]]:
    kind = data.types[1]
    costs = kind.pattern_costs()
    cover = np.vstack([p.coverage(60) for p in PATTERNS])
    officer_on = sum(6 * p.coverage(60) for p in OFFICER)
    best = (-1.0, ())
    for counts in itertools.product(range(4), repeat=len(PATTERNS)):
        if float(np.dot(counts, costs)) > budget + 1e-6:
            continue
        starts = sum(1 for c in counts if c)
        if kind.max_start_times is not None and starts > kind.max_start_times:
            continue
        hours = predict(data, {"officer": officer_on, "social_worker": np.array(counts) @ cover}).hours_freed
        if hours > best[0] + 1e-9:
            best = (hours, counts)
    return best


@pytest.mark.parametrize(("max_starts", "wait", "budget"), [(2, 20.0, 400_000.0), (None, 20.0, 400_000.0),
                                                            (2, 0.0, 650_000.0), (1, 30.0, 300_000.0)])
def test_milp_matches_brute_force(max_starts, wait, budget):
    data = instance(max_starts, wait)
    best_hours, best_counts = brute_force(data, budget)
    result = solve_mix(data, objective="max-hours-freed", budget=budget, time_limit=30)
    assert result.status.has_plan
    assert result.officer_hours_freed == pytest.approx(best_hours, rel=1e-6), (result.units_by_pattern, best_counts)
    assert result.annual_cost_by_type["social_worker"] <= budget + 1e-6
    assert best_hours > 0
