"""Simulating scenarios through the planner: scenario -> engine inputs -> KPIs in the users' words."""

from __future__ import annotations

import json
import re
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

from planner.demand import availability_words, build_demand, eligible_without_civilian, load_calls
from planner.jobs import run_job
from planner.scenario import ShiftBlock, load_scenario, scenario_from_dict
from planner.simulate import (
    _unit_shifts,
    build_config,
    eligible_off_duty_by_hour,
    simulate,
    travel_explanation,
)
from tests.conftest import SAMPLES

MID = SAMPLES / "midsize_city"


@pytest.fixture(scope="module")
def demand():
    s = load_scenario(MID / "baseline.toml")
    return build_demand(s, load_calls(s))


def test_shift_blocks_become_unit_shifts_on_the_clock():
    from dataclasses import replace

    base = load_scenario(MID / "baseline.toml").responders["social_worker"]
    r = replace(base, shifts=(ShiftBlock(22 * 60, 8, (False,) * 6 + (True,), 2),), on_duty_by_hour=None)
    shifts = _unit_shifts(r, until=2 * 10080)
    # Sunday 22:00-06:00 every week, two units; the week -1 shift still covers Monday 00:00-06:00.
    assert shifts[:2] == ((0.0, 360.0), (0.0, 360.0))
    sunday = 6 * 1440 + 22 * 60
    assert (float(sunday), float(sunday + 480)) in shifts
    assert len(shifts) == 2 * 3  # week -1 (clipped at 0), week 0, week 1


def test_baseline_has_no_civilian_calls_and_no_fallbacks(demand):
    s = load_scenario(MID / "baseline.toml")
    run = run_job(simulate(s, demand, replications=2, horizon_days=8))
    k = run.kpis["mean"]
    assert k["calls_by_responder_type.social_worker"] == 0 and k["calls_by_responder_type.co_responder"] == 0
    # With no civilian unit on shift, eligible calls go to an officer at once: they are not fallbacks.
    assert k["fallback_to_officer"] == 0
    assert k["eligible_calls_with_no_civilian_on_duty"] == pytest.approx(k["calls_eligible_for_civilians"])
    assert k["calls_by_responder_type.officer"] == pytest.approx(k["calls_total"])
    assert 0.2 < k["officer_utilisation"] < 0.9


def test_social_workers_take_eligible_calls_and_free_officer_hours(demand):
    base = run_job(simulate(load_scenario(MID / "baseline.toml"), demand, replications=3, horizon_days=8))
    opt = run_job(simulate(load_scenario(MID / "social_workers.toml"), demand, replications=3, horizon_days=8))
    k, b = opt.kpis["mean"], base.kpis["mean"]
    assert k["calls_by_responder_type.social_worker"] > 0
    assert k["officer_hours_on_calls"] < b["officer_hours_on_calls"]
    # Social workers only ever take calls whose category lets them.
    sent = opt.records[opt.records["type_sent"] == "social_worker"]
    allowed = {c for c, p in load_scenario(MID / "social_workers.toml").policy.items() if "social_worker" in p.eligible}
    assert set(sent["category"].astype(str)) <= allowed
    # B-HEARD's lesson, simulated: eligible calls that came with no civilian unit on duty, by hour of the week.
    scenario = load_scenario(MID / "social_workers.toml")
    for run, kpis in ((base, b), (opt, k)):
        table = eligible_off_duty_by_hour(run)
        assert table.shape == (168, 2) and (table["no_civilian_on_duty"] <= table["eligible"] + 1e-12).all()
        share = table["no_civilian_on_duty"].sum() / table["eligible"].sum()
        assert share == pytest.approx(kpis["eligible_calls_with_no_civilian_on_duty"] / kpis["calls_eligible_for_civilians"])
    assert eligible_off_duty_by_hour(base)["no_civilian_on_duty"].sum() == pytest.approx(
        eligible_off_duty_by_hour(base)["eligible"].sum())            # no civilian unit at all: every one
    # The Demand page's figure from the shifts and the profile alone agrees with the simulation.
    expected = eligible_without_civilian(scenario, demand.rates_per_hour())
    simulated = eligible_off_duty_by_hour(opt)
    assert (expected["no_civilian_on_duty"].sum() / expected["eligible"].sum()
            == pytest.approx(simulated["no_civilian_on_duty"].sum() / simulated["eligible"].sum(), abs=0.08))
    # Civilian-route calls take longer to reach because social workers drive 14 minutes against officers' 9.
    note = travel_explanation(opt, scenario)
    assert note is not None and "travel further" in note
    drives = re.search(r"an average (\d+)-min drive against (\d+) min", note)
    assert drives and 12 <= int(drives[1]) <= 16 and 8 <= int(drives[2]) <= 10
    assert travel_explanation(base, load_scenario(MID / "baseline.toml")) is None


def test_eligible_calls_with_no_civilian_on_duty_known_answer():
    # One behavioural-health call an hour, half of them safe for a social worker, who works 08:00-18:00 Mon-Fri:
    # 84 eligible calls a week, of which 0.5 x (168 - 50) = 59 arrive with no social worker on duty.
    s = scenario_from_dict({
        "responders": {"officer": {"on_duty": 5, "cost_per_person": 125000},
                       "social_worker": {"cost_per_person": 80000,
                                         "shifts": [{"start": "08:00", "hours": 10, "days": "Mon-Fri", "units": 1}]}},
        "policy": {"behavioral_health": {"eligible": {"social_worker": 0.5}}}})
    rates = pd.DataFrame({"behavioral_health": np.ones(168), "traffic": np.full(168, 3.0)})
    table = eligible_without_civilian(s, rates)
    assert table["eligible"].sum() == pytest.approx(84) and table["no_civilian_on_duty"].sum() == pytest.approx(59)
    assert table.loc[8, "no_civilian_on_duty"] == 0 and table.loc[7, "no_civilian_on_duty"] == 0.5
    assert availability_words(table).startswith("3,079 of 4,383 eligible calls a year (70%)")   # 59 and 84 a week x 52.18


def test_same_seed_same_numbers_any_workers(demand):
    s = load_scenario(MID / "social_workers.toml")
    one = run_job(simulate(s, demand, replications=2, seed=5, workers=1, horizon_days=8))
    two = run_job(simulate(s, demand, replications=2, seed=5, workers=2, horizon_days=8))
    assert one.kpis.equals(two.kpis)
    other = run_job(simulate(s, demand, replications=2, seed=6, workers=1, horizon_days=8))
    assert not one.kpis.equals(other.kpis)


def test_base_scenario_layers_only_what_differs():
    base = load_scenario(MID / "baseline.toml")
    opt = load_scenario(MID / "social_workers.toml")
    assert opt.data.calls.resolve() == base.data.calls.resolve()
    assert opt.policy == base.policy and opt.responders["officer"] == base.responders["officer"]
    sw = opt.responders["social_worker"]
    assert sw.on_duty_by_hour is None and len(sw.shifts) == 2   # shifts replaced the base's on_duty = 0
    assert sw.on_duty(60)[9] == 2 and sw.on_duty(60)[15] == 4 and sw.on_duty(60)[5 * 24 + 9] == 0
    with pytest.raises(Exception, match="no such scenario file"):
        scenario_from_dict({"base": "nope.toml"}, MID / "x.toml")


def test_replay_of_the_historical_trace(demand):
    from dataclasses import replace

    s = load_scenario(MID / "baseline.toml")
    s = replace(s, simulation=replace(s.simulation, arrivals="replay", horizon_days=10, warmup_days=1))
    cfg = build_config(s, demand)
    # The trace's calls in the first 10 days (of the planned categories) are replayed one for one.
    first = demand.result.calls
    first = first[first["category"].isin(demand.categories)]
    local = first["received_at"].dt.tz_localize(None)
    monday = (local.min() - np.timedelta64(int(local.min().day_of_week), "D")).normalize()
    expected = int(((local - monday).dt.total_seconds() < 10 * 1440 * 60).sum())
    assert len(cfg.arrivals.minute) == expected
    run = run_job(simulate(s, demand, replications=1))
    assert run.kpis.loc["calls_total", "mean"] > 0


def test_cli_simulate_json():
    out = subprocess.run([sys.executable, "-m", "planner", "simulate", str(MID / "co_responders.toml"),
                          "--replications", "2", "--horizon-days", "7", "--json", "--quiet"],
                         capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    j = json.loads(out.stdout)
    assert j["replications"] == 2 and j["seed"] == 20250101
    for key in ("officer_hours_on_calls", "officer_utilisation", "response_minutes_p50", "response_minutes_p90",
                "fallback_to_officer", "overtime_hours_total"):
        assert set(j["kpis"][key]) == {"mean", "ci_low", "ci_high"}
    assert set(j["kpis"]["calls_by_responder_type"]) == {"officer", "social_worker", "co_responder"}
    assert "1" in j["kpis"]["response_minutes_p90_by_priority"]
    assert j["kpis"]["overtime_hours"]["officer"]["mean"] >= 0
