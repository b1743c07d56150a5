"""A department keeps a minimum of officers on duty in every hour, whatever the load: the optimiser honours it at
every budget, the first baseline never goes below it, and validate warns of a roster under it."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from planner.demand import build_demand, load_calls
from planner.jobs import run_job
from planner.plan import optimise
from planner.scenario import load_scenario, scenario_from_dict, scenario_to_dict
from tests.conftest import SAMPLES

MID = SAMPLES / "midsize_city"
FLOOR = 9      # above what the sample's nights need, so the floor is what decides them


@pytest.fixture(scope="module")
def floored():
    base = load_scenario(MID / "baseline.toml")
    table = scenario_to_dict(base, base=MID)
    table["responders"]["officer"]["min_on_duty"] = FLOOR
    scenario = scenario_from_dict(table, MID / "baseline.toml")
    return scenario, build_demand(scenario, load_calls(scenario))


def officers_on_duty(scenario) -> np.ndarray:
    return scenario.responders["officer"].on_duty(60)


def test_the_default_minimum_is_two_officers_and_it_round_trips():
    base = load_scenario(MID / "baseline.toml")
    assert (base.responders["officer"].min_on_duty_by_hour == 2).all()
    table = scenario_to_dict(base, base=MID)
    assert "min_on_duty" not in table["responders"]["officer"]        # the default is not written out
    table["responders"]["officer"]["min_on_duty"] = 0                 # ... but a department may say otherwise
    assert (scenario_from_dict(table, None).responders["officer"].min_on_duty_by_hour == 0).all()


def test_min_cost_keeps_the_minimum_in_every_hour(floored):
    scenario, demand = floored
    result = run_job(optimise(scenario, demand, time_limit=10, in_child=False))
    assert result.plan is not None
    on_duty = officers_on_duty(result.plan)
    assert on_duty.min() >= FLOOR
    # The floor decides some hours: without it the plan would go lower there.
    loose = replace(scenario, responders={**scenario.responders, "officer": replace(
        scenario.responders["officer"], min_on_duty_by_hour=np.zeros(168))})
    assert officers_on_duty(run_job(optimise(loose, demand, time_limit=10, in_child=False)).plan).min() < FLOOR


def test_every_budget_of_the_frontier_keeps_the_minimum(floored):
    scenario, demand = floored
    result = run_job(optimise(scenario, demand, objective="max-hours-freed", patrol="re-roster", budget=900_000,
                              pareto_points=3, time_limit=4, in_child=False))
    points = [p for p in result.pareto if p.mix is not None and p.mix.units_by_pattern is not None]
    assert len(points) == 3
    for point in points:
        on_duty = officers_on_duty(result.scenario_for_point(point))
        assert on_duty.min() >= FLOOR, (point.budget, on_duty.min())
