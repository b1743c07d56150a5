"""The optimiser answers to the simulator: its plans on the mid-size sample, simulated beside their predictions."""

from __future__ import annotations

from pathlib import Path

import pytest

from planner.demand import build_demand, load_calls
from planner.jobs import run_job
from planner.plan import optimise, simulated_hours_freed
from planner.scenario import load_scenario
from planner.simulate import simulate

MID = Path(__file__).resolve().parents[1] / "sample_scenarios" / "midsize_city" / "baseline.toml"


@pytest.fixture(scope="module")
def base():
    return load_scenario(MID)


@pytest.fixture(scope="module")
def demand(base):
    return build_demand(base, load_calls(base))


def starts_of(units_by_pattern: dict[str, int]) -> set[str]:
    return {name.split()[1] for name, n in units_by_pattern.items() if n}


def test_max_hours_plan_holds_patrol_and_its_prediction_matches_simulation(base, demand):
    planned = run_job(optimise(base, demand, objective="max-hours-freed", budget=400_000.0, time_limit=20,
                               in_child=False))
    r = planned.result
    assert r.status.has_plan and r.officer_hours_freed > 0
    civilian = sum(v for t, v in r.annual_cost_by_type.items() if t != "officer")
    assert 0 < civilian <= 400_000
    assert len(starts_of(r.units_by_pattern["social_worker"])) <= 2
    # Patrol is held as it is: the plan's officers are today's, and the scenario keeps them as written.
    assert all(name.endswith("(today)") for name in r.units_by_pattern["officer"])
    assert planned.plan.responders["officer"] == base.responders["officer"]
    run = run_job(simulate(planned.plan, demand, replications=4, seed=7))
    simulated = simulated_hours_freed(run, planned.plan, demand)
    assert simulated["ci_low"] <= simulated["mean"] <= simulated["ci_high"]
    assert abs(r.officer_hours_freed - simulated["mean"]) <= 0.15 * simulated["mean"], (r.officer_hours_freed,
                                                                                        simulated)


def test_min_cost_officer_roster_is_runnable_and_adds_no_overtime(base, demand):
    planned = run_job(optimise(base, demand, objective="min-cost", time_limit=20, in_child=False))
    r = planned.result
    assert r.status.has_plan
    assert len(starts_of(r.units_by_pattern["officer"])) <= 3
    for t in ("social_worker", "co_responder"):
        assert len(starts_of(r.units_by_pattern[t])) <= 2
    today = run_job(simulate(base, demand, replications=3, seed=11))
    plan = run_job(simulate(planned.plan, demand, replications=3, seed=11))
    assert plan.kpi("overtime_hours.officer") <= today.kpi("overtime_hours.officer") * 1.05 + 1.0, (
        plan.kpi("overtime_hours.officer"), today.kpi("overtime_hours.officer"))
