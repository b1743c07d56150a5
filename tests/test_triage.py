"""Call-taking triage in the 911 centre: known answers for the calls resolved by phone and the pod's staffing."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

import simulation as sim
from planner.demand import build_demand, load_calls
from planner.errors import ScenarioError
from planner.jobs import run_job
from planner.plan import mix_input
from planner.scenario import load_scenario, scenario_from_dict, scenario_to_dict
from planner.simulate import simulate
from planner.taxonomy import default_taxonomy
from planner.templates import apply_template, get_template
from planner.triage import phone_positions, triage_plan, triage_staffing
from tests.conftest import SAMPLES

CATEGORIES = list(default_taxonomy().categories)

MID = SAMPLES / "midsize_city"
TRIAGE = {"label": "Triage pod", "categories": ["behavioral_health"], "share_resolved": 0.3, "phone_minutes": 10,
          "cost_per_position": 95000, "relief_factor": 1.6}


def hand_erlang_c(c: int, a: float) -> float:
    """DESIGN's formula with factorials, for small hand cases only."""
    top = a ** c / math.factorial(c) * c / (c - a)
    return top / (sum(a ** k / math.factorial(k) for k in range(c)) + top)


def with_triage(table: dict | None = None):
    base = load_scenario(MID / "baseline.toml")
    d = scenario_to_dict(base)
    d["triage"] = dict(TRIAGE if table is None else table)
    return scenario_from_dict(d, base.path, categories=None)


# ------------------------------------------------------------------------------------------ scenario files
def test_triage_table_round_trips_and_says_what_is_wrong():
    s = with_triage()
    t = s.triage
    assert t.categories == ("behavioral_health",) and t.share_resolved == 0.3 and t.phone_minutes == 10
    assert (t.answer_seconds, t.share_within) == (60.0, 0.8)     # default target: 80% within a minute
    assert t.share_for("behavioral_health") == 0.3 and t.share_for("violent_crime") == 0.0
    again = scenario_from_dict(scenario_to_dict(s), s.path)
    assert again.triage == t
    for bad, words in [({**TRIAGE, "share_resolved": 1.5}, "triage.share_resolved"),
                       ({k: v for k, v in TRIAGE.items() if k != "share_resolved"}, "share_resolved is missing"),
                       ({**TRIAGE, "categories": []}, "triage.categories"),
                       ({**TRIAGE, "phone_mins": 3}, "unknown key"),
                       ({**TRIAGE, "categories": ["mental"]}, "not categories")]:
        base = load_scenario(MID / "baseline.toml")
        d = scenario_to_dict(base)
        d["triage"] = bad
        with pytest.raises(ScenarioError, match=words):
            scenario_from_dict(d, base.path, categories=CATEGORIES)


# ------------------------------------------------------------------------------------------ phone staffing
def test_phone_positions_are_erlang_c_on_the_phone_load():
    # 24 calls an hour x 10 phone minutes = 4 erlangs. 80% within 60 s: P(W > 1 min) = C(c, 4) e^{-(c-4)/10} <= 0.2.
    # By hand: c = 6 gives 0.2848 x e^-0.2 = 0.233 (too many wait), c = 7 gives 0.1351 x e^-0.3 = 0.1001.
    assert hand_erlang_c(5, 4) == pytest.approx(0.5541, abs=1e-4)
    assert hand_erlang_c(6, 4) * math.exp(-0.2) > 0.2 >= hand_erlang_c(7, 4) * math.exp(-0.3)
    s = with_triage()
    rates = np.zeros(168)
    rates[:] = 24.0
    rates[100] = 0.0               # an hour with no calls needs no position
    positions = phone_positions(rates, s.triage)
    assert positions[0] == 7 and positions[100] == 0
    # A trickle of calls still needs someone to pick up the phone.
    assert phone_positions(np.full(168, 0.1), s.triage).tolist() == [1] * 168
    plan = triage_staffing(s.triage, pd.DataFrame({"behavioral_health": np.full(168, 24.0), "traffic": 50.0}))
    assert plan.positions.tolist() == [7] * 168                   # traffic is not screened
    assert plan.position_hours_per_week == 7 * 168
    assert plan.headcount == pytest.approx(1.6 * 7 * 168 / 56)   # 33.6 people: relief per 8-hour post
    assert plan.annual_cost == pytest.approx(33.6 * 95000)
    assert plan.screened_per_year == pytest.approx(24 * 168 * 365.25 / 7)
    assert plan.resolved_per_year == pytest.approx(0.3 * plan.screened_per_year)
    assert "80% of screened calls answered within 60 seconds" in plan.summary()


# ------------------------------------------------------------------------------------------ simulation
def test_calls_resolved_by_phone_are_share_times_eligible_calls_and_never_dispatch():
    rate = 6.0   # behavioural-health calls an hour; a second category is not screened
    config = sim.SimConfig(
        responders=(sim.ResponderSpec("officer", on_duty=np.full(168, 6), travel_mean_minutes=8.0),),
        categories=(sim.CategorySpec("behavioral_health", ((("officer",), 1.0),), 0.0, 40.0, phone_resolution=0.3),
                    sim.CategorySpec("traffic", ((("officer",), 1.0),), 0.0, 30.0)),
        arrivals=sim.PoissonArrivals(np.vstack([np.full(168, rate), np.full(168, 2.0)])),
        horizon_minutes=7 * 1440, warmup_minutes=0.0)
    result = run_job_generator(sim.run_replications(config, 20, seed=7))
    kpis = result.kpis
    expected = 0.3 * rate * 7 * 24          # share x eligible calls in expectation: 302.4 a week
    low, high = kpis.loc["calls_resolved_by_phone", ["ci_low", "ci_high"]]
    assert low <= expected <= high
    for rep in result.replications:
        acc = rep.accounting
        answered = acc["answered.officer"]
        assert (acc["offered"] == answered + acc["resolved_by_phone"] + acc["unanswered"]).all()
        assert acc.loc["traffic", "resolved_by_phone"] == 0
        phone = rep.records[rep.records["type_sent"] == "phone"]
        assert len(phone) == acc.loc["behavioral_health", "resolved_by_phone"]
        assert (phone["units"] == 0).all() and phone["busy_minutes"].eq(0).all()
        assert phone["response_minutes"].isna().all()
    share = [r.accounting.loc["behavioral_health", "resolved_by_phone"] / r.accounting.loc["behavioral_health", "offered"]
             for r in result.replications]
    summary = sim.summarise([{"share": x} for x in share]).loc["share"]
    assert summary["ci_low"] <= 0.3 <= summary["ci_high"]


def run_job_generator(job):
    while True:
        try:
            next(job)
        except StopIteration as stop:
            return stop.value


@pytest.fixture(scope="module")
def demand():
    s = load_scenario(MID / "baseline.toml")
    return build_demand(s, load_calls(s))


def test_a_scenario_with_triage_simulates_plans_and_costs_it(demand):
    s = apply_template(load_scenario(MID / "baseline.toml"), get_template("columbus"),
                       demand.calls_per_year())
    run = run_job(simulate(s, demand, replications=3, horizon_days=8))
    k = run.kpis
    eligible = demand.calls_per_year()["behavioral_health"]
    resolved = k.loc["calls_resolved_by_phone"]
    assert resolved["ci_low"] <= 0.625 * eligible * 1.1 and resolved["ci_high"] >= 0.625 * eligible * 0.9
    acc = run.accounting
    answered = acc[[f"answered.{t}" for t in s.responders]].sum(axis=1)
    assert (acc["offered"] == answered + acc["resolved_by_phone"] + acc["unanswered"] + acc["abandoned"]).all()
    # The officer time those calls would have taken comes back to patrol.
    assert k.loc["officer_hours_saved_by_phone_triage", "mean"] > 0
    assert k.loc["officer_hours_freed", "mean"] == pytest.approx(k.loc["officer_hours_saved_by_phone_triage", "mean"])
    # The optimiser plans for the calls left after triage.
    cats = list(demand.categories)
    plain = mix_input(load_scenario(MID / "baseline.toml"), demand)
    triaged = mix_input(s, demand)
    i, j = cats.index("behavioral_health"), cats.index("violent_crime")
    assert triaged.arrival_rate[i].sum() == pytest.approx(0.375 * plain.arrival_rate[i].sum())
    assert triaged.arrival_rate[j].sum() == pytest.approx(plain.arrival_rate[j].sum())
    plan = triage_plan(s, demand)
    assert plan.annual_cost > 0 and plan.positions.min() >= 1
    assert k.loc["triage_staffing_cost", "mean"] == pytest.approx(plan.annual_cost)     # reported with the run
    assert plan.resolved_per_year == pytest.approx(0.625 * eligible)
