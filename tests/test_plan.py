"""Optimising a scenario through the planner: inputs, costs that match, the plan back as a scenario."""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import replace

import numpy as np
import pytest

from planner.costs import staffing_table
from planner.demand import build_demand, load_calls
from planner.errors import PlannerError
from planner.jobs import run_job
from planner.plan import mix_input, optimise
from planner.scenario import load_scenario
from tests.conftest import SAMPLES

MID = SAMPLES / "midsize_city"


@pytest.fixture(scope="module")
def base():
    return load_scenario(MID / "baseline.toml")


@pytest.fixture(scope="module")
def demand(base):
    return build_demand(base, load_calls(base))


@pytest.fixture(scope="module")
def planned(base, demand):
    return run_job(optimise(base, demand, time_limit=10, in_child=False))


def test_mix_input_from_the_scenario(base, demand):
    data = mix_input(base, demand)
    cats = list(data.categories)
    officer, sw = 0, 1
    bh = cats.index("behavioral_health")
    # An officer call takes travel + time on scene, times the units sent; a social worker one unit, with the
    # category's on-scene multiplier.
    expected_officer = (9 + demand.on_scene_minutes["behavioral_health"]) * demand.mean_units("behavioral_health")
    assert data.busy_minutes[bh, officer] == pytest.approx(expected_officer)
    assert data.busy_minutes[bh, sw] == pytest.approx(14 + demand.on_scene_minutes["behavioral_health"] * 1.3)
    assert data.eligible_share[bh, sw] == 0.55
    assert np.isnan(data.busy_minutes[cats.index("violent_crime"), sw])
    # Expected outcome cost of an officer-handled behavioural-health call: 0.05 x 450 + 0.04 x 425 + 0.22 x 630.
    assert data.downstream_cost[bh, officer] == pytest.approx(0.05 * 450 + 0.04 * 425 + 0.22 * 630)
    assert data.arrival_rate.shape == (len(cats), 168)


def test_plan_costs_the_same_in_the_optimiser_and_the_cost_model(planned):
    r = planned.result
    assert r.units_by_pattern is not None and planned.plan is not None
    staff = staffing_table(planned.plan)
    for t, cost in r.annual_cost_by_type.items():
        # The same personnel cost and the same vehicles (one per unit on the street at the busiest hour).
        assert cost == pytest.approx(staff.loc[t, "staffing_cost"], rel=1e-6), t


def test_the_plan_as_a_scenario_puts_the_same_units_on_duty(planned):
    for t, on_duty in planned.result.on_duty.items():
        assert np.allclose(planned.plan.responders[t].on_duty(60), on_duty), t
    # Units on duty meet the requirement in every hour.
    for t, need in planned.result.requirements.items():
        assert (planned.result.on_duty[t] >= need).all(), t


def test_routed_shares_never_exceed_eligibility(planned, base):
    for (c, t), share in planned.result.share.items():
        if t != "officer":
            assert share <= base.policy_for(c).eligible.get(t, 0.0) + 1e-6


def test_infeasible_plan_is_explained(base, demand):
    capped = replace(base, responders={**base.responders,
                                       "officer": replace(base.responders["officer"], max_headcount=5)})
    r = run_job(optimise(capped, demand, time_limit=5, in_child=False))
    assert r.plan is None and r.status == "infeasible"
    assert "officer" in r.result.explanation and "max_headcount" in r.result.explanation


def test_max_hours_freed_needs_a_budget(base, demand):
    with pytest.raises(PlannerError, match="needs a civilian budget"):
        run_job(optimise(base, demand, objective="max-hours-freed"))


def test_cli_optimize_json_and_scenario_out(tmp_path):
    out = tmp_path / "plan.toml"
    p = subprocess.run([sys.executable, "-m", "planner", "optimize", str(MID / "baseline.toml"),
                        "--objective", "max-hours-freed", "--budget", "600000", "--pareto", "3",
                        "--time-limit", "6", "--json", "--quiet", "--out-scenario", str(out)],
                       capture_output=True, text=True, timeout=600)
    assert p.returncode == 0, p.stderr
    j = json.loads(p.stdout)
    for key in ("status", "objective_value", "gap", "solve_seconds", "units_by_type", "headcount_by_type",
                "annual_cost_by_type", "officer_hours_freed", "requirements", "pareto"):
        assert key in j
    assert j["annual_cost_by_type"]["social_worker"] + j["annual_cost_by_type"]["co_responder"] <= 600000 + 1
    hours = [pt["officer_hours_freed"] for pt in j["pareto"]]
    assert hours == sorted(hours) and hours[0] == 0      # more budget never frees fewer hours; none at $0
    assert len(j["requirements"]["officer"]) == 168
    plan = load_scenario(out)                            # the plan is a scenario coplan simulate can run
    assert plan.responders["social_worker"].shifts
