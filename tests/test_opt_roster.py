"""Roster model: requirement and minimum on duty honoured, exact headcount and cost, explained infeasibility."""

from __future__ import annotations

import numpy as np
import pytest

from optimize import (
    OptimizeError,
    RosterType,
    ServiceTarget,
    Status,
    generate_patterns,
    requirements,
    solve_roster,
    week_mask,
)

DAILY_8H = generate_patterns((8,), 480, ("everyday",))  # 00:00, 08:00, 16:00 every day
HOURS = np.arange(168) % 24


def officer(**changes: object) -> RosterType:
    fields = dict(
        name="officer",
        requirement=np.where((HOURS >= 8) & (HOURS < 24), 3, 2),
        patterns=DAILY_8H,
        people_per_unit=1,
        relief_factor=1.7,
        cost_per_person=120_000.0,
        overhead_per_unit=15_000.0,
    )
    fields.update(changes)
    return RosterType(**fields)


def social_worker(**changes: object) -> RosterType:
    fields = dict(
        name="social_worker",
        requirement=np.where((HOURS >= 10) & (HOURS < 18), 1, 0),
        patterns=DAILY_8H,
        people_per_unit=1,
        relief_factor=1.4,
        cost_per_person=80_000.0,
        overhead_per_unit=5_000.0,
    )
    fields.update(changes)
    return RosterType(**fields)


def test_known_optimum_and_exact_headcount_and_cost() -> None:
    # By hand: officers need 2 at night and 3 from 08:00 to 24:00 -> 2 + 3 + 3 = 8 daily units.
    # Social workers need 1 from 10:00 to 18:00, which straddles two daily shifts -> 2 units.
    result = solve_roster([officer(), social_worker()], time_limit=10)
    assert result.status == Status.OPTIMAL
    assert result.units_by_type == {"officer": 8, "social_worker": 2}
    assert result.units_by_pattern["officer"] == {"8h 00:00 daily": 2, "8h 08:00 daily": 3, "8h 16:00 daily": 3}
    assert result.headcount_by_type["officer"] == 8 * 1 * 1.7
    assert result.headcount_by_type["social_worker"] == 2 * 1 * 1.4
    officer_unit = 1 * 1.7 * 120_000 + 15_000
    social_unit = 1 * 1.4 * 80_000 + 5_000
    assert officer().annual_cost_per_unit == officer_unit
    assert result.annual_cost_by_type == {"officer": 8 * officer_unit, "social_worker": 2 * social_unit}
    assert result.objective == pytest.approx(8 * officer_unit + 2 * social_unit)
    assert result.gap == 0.0


def test_minimum_on_duty_from_0800_to_midnight_every_day() -> None:
    at_least_one = week_mask(60, start_hour=8, end_hour=24)
    result = solve_roster([social_worker(min_on_duty=at_least_one)], time_limit=10)
    on_duty = result.on_duty["social_worker"]
    assert (on_duty[at_least_one == 1] >= 1).all()
    assert (on_duty >= social_worker().requirement).all()
    # 08:00-24:00 is exactly the 08:00 and 16:00 shifts; the 10:00-18:00 need fits inside them.
    assert result.units_by_type["social_worker"] == 2
    assert on_duty[(HOURS < 8)].sum() == 0


def test_requirement_met_with_weekly_patterns_and_two_co_responder_people() -> None:
    load = 2.0 + 1.5 * np.sin((HOURS - 10) / 24 * 2 * np.pi)
    need = requirements(load, 45.0, ServiceTarget(answer_minutes=15, share_within=0.8))
    co = RosterType(
        name="co_responder", requirement=need, patterns=generate_patterns((10,), 120), people_per_unit=2,
        relief_factor=1.6, cost_per_person=100_000.0, overhead_per_unit=20_000.0,
    )
    result = solve_roster([co], time_limit=10)
    assert result.status == Status.OPTIMAL
    assert (result.on_duty["co_responder"] >= need).all()
    units = result.units_by_type["co_responder"]
    assert result.headcount_by_type["co_responder"] == units * 2 * 1.6


def test_extra_units_raise_the_requirement_where_asked() -> None:
    extra = np.zeros(168)
    extra[[2, 3]] = 2  # e.g. the simulation says Monday 02:00-04:00 misses its target
    base = solve_roster([officer()], time_limit=10)
    raised = solve_roster([officer()], extra_units={"officer": extra}, time_limit=10)
    assert (raised.on_duty["officer"][[2, 3]] >= base.on_duty["officer"][[2, 3]] + 2).all()
    assert (raised.need["officer"] == officer().requirement + extra).all()
    with pytest.raises(OptimizeError, match="extra_units names type 'medic'"):
        solve_roster([officer()], extra_units={"medic": extra})


def test_budget_too_small_is_explained() -> None:
    cheapest = solve_roster([officer(), social_worker()], time_limit=10).objective
    result = solve_roster([officer(), social_worker()], budget=cheapest - 50_000, time_limit=10)
    assert result.status == Status.INFEASIBLE
    assert result.objective is None and result.units_by_pattern is None
    assert "budget" in result.explanation
    assert f"{cheapest:,.0f}" in result.explanation
    assert "50,000 more than the budget" in result.explanation
    assert "short in" in result.explanation  # and which type and bins go short under that budget


def test_max_headcount_too_small_names_type_and_people() -> None:
    result = solve_roster([officer(max_headcount=10.0)], time_limit=10)
    assert result.status == Status.INFEASIBLE
    assert "officer needs 8 units = 13.6 people" in result.explanation
    assert "raise it to 13.6" in result.explanation


def test_bins_no_pattern_covers_are_named() -> None:
    day_only = generate_patterns((8,), 480, ("everyday",), first_start_minute=480)[:1]  # 08:00 only
    result = solve_roster([officer(patterns=day_only)], time_limit=10)
    assert result.status == Status.INFEASIBLE
    assert "none of its shift patterns covers" in result.explanation
    assert "Sun 16:00-Mon 08:00" in result.explanation  # the night run wraps past the end of the week


def test_input_validation_names_field_and_value() -> None:
    with pytest.raises(OptimizeError, match="relief_factor is 0.5"):
        officer(relief_factor=0.5)
    with pytest.raises(OptimizeError, match=r"requirement\[0\] is 1.5"):
        officer(requirement=np.full(168, 1.5))
    with pytest.raises(OptimizeError, match="min_on_duty has 24 bins, but the requirements have 168"):
        officer(min_on_duty=np.ones(24))
    with pytest.raises(OptimizeError, match="requirement has 336 bins, but type 'officer' has 168"):
        solve_roster([officer(), social_worker(requirement=np.zeros(336))])


def test_a_pitman_post_takes_and_costs_two_teams() -> None:
    pitman = generate_patterns((12,), 720, ("pitman",))  # 12 h from 00:00 and 12:00, every day, two teams each
    kind = RosterType(name="officer", requirement=np.full(168, 1), patterns=pitman, relief_factor=1.5,
                      cost_per_person=100_000.0, max_headcount=6.0)
    result = solve_roster([kind], time_limit=10)
    assert result.status == Status.OPTIMAL
    assert result.units_by_pattern["officer"] == {"12h 00:00 Pitman 2-2-3": 1, "12h 12:00 Pitman 2-2-3": 1}
    # Two posts filled around the clock by four teams: 4 x 1.5 people, 4 x the cost of one team.
    assert result.headcount_by_type["officer"] == 6.0
    assert result.objective == pytest.approx(4 * 1.5 * 100_000)
    # Hours-based pricing counts the same: 84 hours a week is two teams of 42.
    by_hours = RosterType(name="officer", requirement=np.full(168, 1), patterns=pitman, relief_factor=1.5,
                          cost_per_person=100_000.0, paid_hours_per_week=42.0)
    assert list(by_hours.pattern_costs()) == list(kind.pattern_costs())
    capped = solve_roster([RosterType(name="officer", requirement=np.full(168, 1), patterns=pitman,
                                      relief_factor=1.5, cost_per_person=1.0, max_headcount=5.0)], time_limit=10)
    assert capped.status == Status.INFEASIBLE and "needs 4 units = 6 people" in capped.explanation
