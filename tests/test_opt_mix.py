"""Responder-mix model: civilians as overflow capacity, officers on target, rosters with few starts, explained answers."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from optimize import (
    MixInput,
    OptimizeError,
    Progress,
    ResponderType,
    ServiceTarget,
    Status,
    generate_patterns,
    meets_target,
    pareto_sweep,
    solve_mix,
)

DAILY_8H = generate_patterns((8,), 480, ("everyday",))
HOURS = np.arange(168) % 24
CATEGORIES = ("behavioral_health", "welfare_check", "violent_crime")
NAN = math.nan
# Busy minutes per call: officer, social worker, co-responder (NaN: may not take it).
BUSY = np.array([[60.0, 75.0, 70.0], [40.0, 50.0, 45.0], [90.0, NAN, NAN]])
# Most a civilian type may take of each category (officer column is ignored: officers take the rest).
SHARE = np.array([[0.0, 0.55, 0.3], [0.0, 0.7, 0.2], [0.0, 0.0, 0.0]])
DOWNSTREAM = np.array([[300.0, 50.0, 150.0], [100.0, 20.0, 60.0], [500.0, 0.0, 0.0]])


def run(generator):  # noqa: ANN001, ANN201 - drives any Progress generator to its return value
    reports = []
    while True:
        try:
            reports.append(next(generator))
        except StopIteration as stop:
            return stop.value, reports


def make_input(*, sw_cost: float = 80_000.0, co_cost: float = 105_000.0, **changes: object) -> MixInput:
    shape = 1 + 0.6 * np.sin((HOURS - 10) / 24 * 2 * np.pi)
    types = (
        ResponderType(
            name="officer", patterns=DAILY_8H, relief_factor=1.7, cost_per_person=130_000.0,
            overhead_per_unit=20_000.0, target=ServiceTarget(10, 0.8, max_occupancy=0.6),
        ),
        ResponderType(
            name="social_worker", patterns=DAILY_8H, relief_factor=1.4, cost_per_person=sw_cost,
            overhead_per_unit=10_000.0, target=ServiceTarget(20, 0.8),
        ),
        ResponderType(
            name="co_responder", patterns=DAILY_8H, people_per_unit=2, relief_factor=1.7, cost_per_person=co_cost,
            overhead_per_unit=20_000.0, target=ServiceTarget(15, 0.8),
        ),
    )
    fields = dict(
        categories=CATEGORIES,
        types=types,
        arrival_rate=np.vstack([0.6 * shape, 0.8 * shape, 1.2 * shape]),
        busy_minutes=BUSY,
        eligible_share=SHARE,
        downstream_cost=DOWNSTREAM,
    )
    fields.update(changes)
    return MixInput(**fields)


def check_plan(data: MixInput, result) -> None:  # noqa: ANN001 - a MixResult
    """Every call answered by someone, no civilian type beyond its eligible share, and sized officers on target."""
    assert result.status.has_plan
    for (category, kind), share in result.share.items():
        c, t = CATEGORIES.index(category), data.type_names.index(kind)
        if kind != "officer":
            assert share <= SHARE[c, t] + 1e-6, (category, kind, share)
    for category in CATEGORIES:
        assert sum(v for (cat, _), v in result.share.items() if cat == category) == pytest.approx(1.0)
    officer = data.officer_index
    if data.officer_units_fixed is None:
        on_duty, load = result.on_duty["officer"], result.load["officer"]
        for i in range(data.n_bins):
            assert meets_target(int(on_duty[i]), max(0.0, float(load[i]) - 1e-7), data.service_minutes[officer],
                                data.types[officer].target), (i, on_duty[i], load[i])


def test_min_cost_buys_civilians_that_pay_for_themselves() -> None:
    data = make_input()
    result = solve_mix(data, objective="min-cost", time_limit=20)
    assert result.status == Status.OPTIMAL
    check_plan(data, result)
    assert result.units_by_type["social_worker"] > 0
    assert result.officer_hours_freed > 0
    assert result.routed["violent_crime", "officer"] == pytest.approx(data.arrival_rate[2].sum() * data.bins_per_year)
    officers_only = solve_mix(data, objective="max-hours-freed", budget=0.0, time_limit=20, patrol="re-roster")
    assert result.objective <= officers_only.total_cost + 1e-6
    assert result.objective == pytest.approx(result.total_cost)
    assert result.headcount_by_type["co_responder"] == result.units_by_type["co_responder"] * 2 * 1.7


def test_min_cost_keeps_calls_with_officers_when_civilians_are_dearer() -> None:
    data = make_input(sw_cost=5_000_000.0, co_cost=5_000_000.0, downstream_cost=np.zeros((3, 3)))
    result = solve_mix(data, objective="min-cost", time_limit=20)
    assert result.status == Status.OPTIMAL
    assert result.units_by_type["social_worker"] == 0 and result.units_by_type["co_responder"] == 0
    assert result.officer_hours_freed == 0
    assert "costs more" in result.why_none["social_worker"]


def test_zero_civilian_budget_is_officers_only_and_says_why() -> None:
    data = make_input()
    result = solve_mix(data, objective="max-hours-freed", budget=0.0, time_limit=20, patrol="re-roster")
    assert result.status == Status.OPTIMAL
    check_plan(data, result)
    assert result.units_by_pattern["social_worker"] == {} and result.units_by_pattern["co_responder"] == {}
    assert result.officer_hours_freed == 0
    assert result.gap is None                 # a relative gap of 0 hours means nothing
    assert result.annual_cost_by_type["social_worker"] == 0
    assert result.why_none["social_worker"] == "the budget (0) is below the cheapest unit (122,000 a year)"


def test_no_eligible_calls_is_explained() -> None:
    data = make_input(eligible_share=np.zeros((3, 3)))
    result = solve_mix(data, objective="max-hours-freed", budget=500_000.0, time_limit=20, patrol="re-roster")
    assert result.units_by_type["social_worker"] == 0
    assert "no call is eligible" in result.why_none["social_worker"]


def test_raising_the_budget_never_lowers_hours_freed() -> None:
    data = make_input(fallback_wait_minutes=np.array([20.0, 30.0, 0.0]))
    budgets = [0.0, 150_000.0, 400_000.0, 700_000.0, 1_000_000.0, 1_500_000.0]
    points, reports = run(pareto_sweep(data, list(reversed(budgets)), time_limit_per_point=4, patrol="re-roster"))
    assert [p.budget for p in points] == budgets  # ascending, whatever order they came in
    assert all(isinstance(r, Progress) for r in reports) and reports[-1].done == reports[-1].total == len(budgets)
    hours = [p.officer_hours_freed for p in points]
    assert all(b >= a for a, b in zip(hours, hours[1:], strict=False)), hours
    assert hours[0] == 0 and hours[-1] > 0
    for point in points:
        assert point.status.has_plan
        assert point.civilian_cost <= point.budget + 1e-6
        check_plan(data, point.mix)


def test_officers_held_at_todays_roster() -> None:
    today = {"8h 00:00 daily": 5, "8h 08:00 daily": 7, "8h 16:00 daily": 7}
    held = make_input(officer_units_fixed=today)
    result = solve_mix(held, objective="max-hours-freed", budget=500_000.0, time_limit=20)
    assert result.status.has_plan
    assert result.units_by_pattern["officer"] == today
    assert result.officer_hours_freed > 0
    assert result.annual_cost_by_type["social_worker"] + result.annual_cost_by_type["co_responder"] <= 500_000


def test_civilian_rosters_use_at_most_their_start_times() -> None:
    patterns = generate_patterns((8,), 60, ("everyday",))
    data = make_input()
    kinds = [type(k)(**{**k.__dict__, "patterns": patterns, "max_start_times": 3 if k.name == "officer" else 2})
             for k in data.types]
    limited = make_input(types=tuple(kinds))
    for objective, budget in (("min-cost", None), ("max-hours-freed", 800_000.0)):
        result = solve_mix(limited, objective=objective, budget=budget, time_limit=20, patrol="re-roster")
        assert result.status.has_plan
        for kind in limited.types:
            starts = {p.split()[1] for p in result.units_by_pattern[kind.name]}
            assert len(starts) <= kind.max_start_times, (kind.name, starts)


def test_budget_below_civilian_minimum_on_duty_is_explained() -> None:
    data = make_input()
    floor = np.where((HOURS >= 8) & (HOURS < 24), 1, 0)
    social = data.types[1]
    changed = make_input(
        types=(data.types[0], type(social)(**{**social.__dict__, "min_on_duty": floor}), data.types[2])
    )
    result = solve_mix(changed, objective="max-hours-freed", budget=100_000.0, time_limit=20)
    assert result.status == Status.INFEASIBLE
    # Two social-worker units (08:00 and 16:00 shifts) cost 2 x (1.4 x 80,000 + 10,000) = 244,000.
    assert "raise the budget to 244,000" in result.explanation


def test_extra_units_raise_on_duty_in_the_bins_asked() -> None:
    data = make_input()
    base = solve_mix(data, time_limit=20)
    extra = np.zeros(168)
    extra[[3, 4]] = 2
    raised = solve_mix(data, extra_units={"officer": extra}, time_limit=20)
    assert (raised.on_duty["officer"][[3, 4]] >= base.requirements["officer"][[3, 4]] + 2).all()


def test_time_limit_without_a_plan_is_a_result(monkeypatch: pytest.MonkeyPatch) -> None:
    import optimize.mix.model as model_module
    import optimize.roster as roster_module
    from optimize import SolveStats

    def out_of_time(prob: object, **kwargs: object) -> SolveStats:
        return SolveStats(Status.TIME_LIMIT, None, None, None, 1.0, "HiGHS")

    monkeypatch.setattr(model_module, "run_solver", out_of_time)
    monkeypatch.setattr(roster_module, "run_solver", out_of_time)
    result = solve_mix(make_input(), objective="min-cost", time_limit=1)
    assert result.status == Status.TIME_LIMIT
    assert result.objective is None and result.routed is None and result.officer_hours_freed is None
    assert "time_limit" in result.explanation and "within 1 s" in result.explanation


def test_out_of_time_most_hours_keeps_the_hand_built_plan(monkeypatch: pytest.MonkeyPatch) -> None:
    import optimize.mix.model as model_module
    from optimize import SolveStats

    def out_of_time(prob: object, **kwargs: object) -> SolveStats:
        return SolveStats(Status.TIME_LIMIT, None, None, None, 1.0, "HiGHS")

    monkeypatch.setattr(model_module, "run_solver", out_of_time)
    held = make_input(officer_units_fixed={"8h 00:00 daily": 5, "8h 08:00 daily": 7, "8h 16:00 daily": 7})
    result = solve_mix(held, objective="max-hours-freed", budget=500_000.0, time_limit=1)
    assert result.status == Status.FEASIBLE
    assert result.officer_hours_freed > 0
    assert result.annual_cost_by_type["social_worker"] + result.annual_cost_by_type["co_responder"] <= 500_000


def test_dataframe_tables_are_accepted() -> None:
    names = ["officer", "social_worker", "co_responder"]
    busy = pd.DataFrame(BUSY, index=list(CATEGORIES), columns=names)
    share = pd.DataFrame({"social_worker": [0.55, 0.7]}, index=["behavioral_health", "welfare_check"])
    data = make_input(busy_minutes=busy, eligible_share=share)
    assert data.eligible_share[0, 1] == 0.55 and data.eligible_share[2, 1] == 0 and data.eligible_share[0, 2] == 0


def test_input_errors_name_category_type_and_value() -> None:
    too_much = SHARE.copy()
    too_much[0, 1:] = [0.8, 0.4]
    with pytest.raises(OptimizeError, match="eligible_share of category 'behavioral_health' sums to 1.2"):
        make_input(eligible_share=too_much)
    no_time = BUSY.copy()
    no_time[1, 1] = NAN
    with pytest.raises(OptimizeError, match=r"busy_minutes\['welfare_check', 'social_worker'\] is nan"):
        make_input(busy_minutes=no_time)
    with pytest.raises(OptimizeError, match="arrival_rate has 100 bins"):
        make_input(arrival_rate=np.ones((3, 100)))
    with pytest.raises(OptimizeError, match="officer_units_fixed names pattern 'night'"):
        make_input(officer_units_fixed={"night": 3})
    with pytest.raises(OptimizeError, match="fallback_wait_minutes"):
        make_input(fallback_wait_minutes=np.array([1.0, -2.0, 3.0]))
    with pytest.raises(OptimizeError, match="needs a budget"):
        solve_mix(make_input(), objective="max-hours-freed")
