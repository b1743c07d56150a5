"""Every call is accounted for: offered = answered by each type + unanswered (+ abandoned), in every replication.

Also the engine's other honesty rules: an officer sent to back up a civilian unit is officer work but not a
call; an unanswered call counts in the response times with the wait it had; a queue that grows week on week
shows as such.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from simulation import (
    CategorySpec,
    PoissonArrivals,
    ResponderSpec,
    SimConfig,
    SimulationError,
    TraceArrivals,
    run_replications,
    simulate_once,
)
from tests.test_sim_engine import finish
from tests.test_sim_properties import TYPES, scenarios


def assert_accounted(result, config: SimConfig) -> None:
    """The identity, by category and in total, and the KPIs that state it."""
    acc = result.accounting
    answered = acc[[f"answered.{t}" for t in config.type_names]].sum(axis=1)
    assert (acc["offered"] == answered + acc["resolved_by_phone"] + acc["unanswered"] + acc["abandoned"]).all(), acc
    assert (acc["abandoned"] == 0).all()                  # no abandonment in this model
    assert (acc["fallen_back"] <= acc["answered.officer"] + acc["unanswered"]).all()
    k = result.kpis
    assert k["calls_offered"] == acc["offered"].sum() == k["calls_total"]
    assert k["calls_unanswered"] == acc["unanswered"].sum() == k["unserved_calls"]
    for t in config.type_names:
        assert k[f"calls.{t}"] == acc[f"answered.{t}"].sum()
    assert k["calls_resolved_by_phone"] == acc["resolved_by_phone"].sum()
    assert k["calls_offered"] == sum(k[f"calls.{t}"] for t in config.type_names) + k["calls_unanswered"] \
        + k["calls_abandoned"] + k["calls_resolved_by_phone"]
    if result.records is not None:
        sent = result.records["type_sent"].astype(str)
        assert len(result.records) == acc["offered"].sum() and (sent == "none").sum() == acc["unanswered"].sum()
        assert (sent == "phone").sum() == acc["resolved_by_phone"].sum()


def with_backup(config: SimConfig, rate: float) -> SimConfig:
    categories = tuple(replace(c, backup_rates={"social_worker": rate, "co_responder": rate})
                       for c in config.categories)
    return replace(config, categories=categories)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(config=scenarios(), seed=st.integers(0, 2**32 - 1), backup=st.sampled_from([0.0, 0.3, 1.0]),
       short_shifts=st.booleans(), drain=st.sampled_from([0.0, 300.0]), phone=st.sampled_from([0.0, 0.4, 1.0]))
def test_every_call_is_accounted_for(config: SimConfig, seed: int, backup: float, short_shifts: bool, drain: float,
                                     phone: float):
    if short_shifts:
        # Officers on two short shifts only, and (with no drain) calls are left unanswered at the end.
        trace = config.arrivals
        config = replace(config, responders=(ResponderSpec("officer", shifts=((0.0, 600.0), (1000.0, 1300.0))),
                                             *config.responders[1:]),
                         arrivals=TraceArrivals(trace.minute, trace.category, trace.priority, trace.on_scene_minutes,
                                                np.ones(len(trace.minute), dtype=int)),
                         drain_minutes=drain)
    config = with_backup(config, backup)
    # Call-taking triage on the first category: its calls resolved by phone are accounted for too.
    config = replace(config, categories=(replace(config.categories[0], phone_resolution=phone),
                                         *config.categories[1:]))
    result = simulate_once(config, np.random.default_rng(seed))
    assert_accounted(result, config)
    if phone == 1.0:
        first = result.accounting.iloc[0]
        assert first["resolved_by_phone"] == first["offered"]
    # Backups are requested only by civilian units, one at most per call they answered, and add officer time.
    acc = result.accounting
    civilian = acc["answered.social_worker"] + acc["answered.co_responder"]
    assert (acc["backup_dispatches"] <= civilian).all()
    if backup == 1.0 and config.warmup_minutes == 0:
        assert (acc["backup_dispatches"] == civilian).all()
    if backup == 0.0:
        assert result.kpis["backup_dispatches"] == 0 and result.kpis["backup_hours"] == 0
    assert set(result.records["type_sent"].astype(str)) <= {*TYPES, "none", *(["phone"] if phone else [])}


def overloaded_config(officers: int = 2, horizon_days: float = 28) -> SimConfig:
    """Twice the load three officers can carry, with a civilian team that calls for backup."""
    return SimConfig(
        responders=(ResponderSpec("officer", on_duty=np.full(168, officers), travel_mean_minutes=5.0),
                    ResponderSpec("social_worker", on_duty=np.full(168, 1), travel_mean_minutes=10.0)),
        categories=(CategorySpec("crime", ((("officer",), 1.0),), 0.0, 60.0),
                    CategorySpec("crisis", ((("social_worker",), 1.0),), 10.0, 60.0,
                                 backup_rates={"social_worker": 0.2})),
        arrivals=PoissonArrivals(np.array([np.full(168, 4.0), np.full(168, 0.5)])),
        horizon_minutes=horizon_days * 1440.0, warmup_minutes=1440.0, drain_minutes=1440.0)


def test_the_identity_holds_in_every_replication_of_an_overloaded_run():
    config = overloaded_config()
    result = finish(run_replications(config, 4, seed=7))
    for r in result.replications:
        assert_accounted(r, config)
        assert r.kpis["calls_unanswered"] > 0.3 * r.kpis["calls_offered"]
    # The queue grows by hundreds of calls a week: 4 calls an hour against 2 officers who carry 2.
    assert result.kpis.loc["queue_growth_per_week", "ci_low"] > 100
    assert result.kpis.loc["calls_waiting_at_horizon", "mean"] > 1000


def test_a_sound_run_answers_every_call_and_its_queue_does_not_grow():
    config = overloaded_config(officers=8)
    result = finish(run_replications(config, 4, seed=7))
    for r in result.replications:
        assert_accounted(r, config)
        assert r.kpis["calls_unanswered"] == 0
    assert abs(result.kpis.loc["queue_growth_per_week", "mean"]) < 2


def test_unanswered_calls_count_in_response_times_with_the_wait_they_had():
    # One officer shift ends before the second call, which waits through the drain unanswered.
    config = SimConfig(
        responders=(ResponderSpec("officer", shifts=((0.0, 10.0),)),),
        categories=(CategorySpec("crime", ((("officer",), 1.0),), 0.0, 5.0, on_scene_cv=0.0),),
        arrivals=TraceArrivals(minute=np.array([1.0, 20.0]), category=np.zeros(2, dtype=int)),
        horizon_minutes=30.0,
        drain_minutes=60.0,
    )
    result = simulate_once(config, np.random.default_rng(0))
    assert result.kpis["calls_unanswered"] == 1
    # Answered at once (0 min) and still waiting when the run ended at 30 + 60 = 90 (70 min): never a response
    # time that leaves the unanswered call out.
    assert result.kpis["response_minutes_mean"] == pytest.approx((0.0 + 70.0) / 2)
    assert result.kpis["response_minutes_mean.police_only"] == pytest.approx(35.0)
    assert np.isnan(result.kpis["response_minutes_mean.diverted"])


def test_a_backup_officer_is_sent_when_the_civilian_unit_arrives_and_is_officer_work_not_a_call():
    config = SimConfig(
        responders=(ResponderSpec("officer", on_duty=np.full(168, 1), travel_mean_minutes=6.0),
                    ResponderSpec("social_worker", on_duty=np.full(168, 1), travel_mean_minutes=10.0)),
        categories=(CategorySpec("crisis", ((("social_worker",), 1.0),), 30.0, 40.0, on_scene_cv=0.0,
                                 on_scene_multiplier={"social_worker": 1.5}, backup_rates={"social_worker": 1.0}),),
        arrivals=TraceArrivals(minute=np.array([100.0]), category=np.zeros(1, dtype=int)),
        horizon_minutes=500.0,
    )
    result = simulate_once(config, np.random.default_rng(3))
    k = result.kpis
    assert k["calls_offered"] == 1 and k["calls.social_worker"] == 1 and k["calls.officer"] == 0
    assert k["backup_dispatches"] == 1 and result.accounting.loc["crisis", "backup_dispatches"] == 1
    # The officer drives 6 minutes and stays the call's time on scene as an officer would (40 minutes).
    assert k["backup_hours"] == pytest.approx((6.0 + 40.0) / 60)
    assert k["hours_on_calls.officer"] == pytest.approx(k["backup_hours"])
    # Sent when the social worker arrived (minute 110): officer busy from 110 to 156.
    busy = result.busy_minutes["officer"]
    assert busy.sum() == pytest.approx(46.0)
    assert busy.iloc[1] == pytest.approx(10.0) and busy.iloc[2] == pytest.approx(36.0)


def test_backup_rates_are_checked():
    call = ((("social_worker",), 1.0),)
    with pytest.raises(SimulationError, match="expected a probability <= 1"):
        CategorySpec("c", call, 0.0, 10.0, backup_rates={"social_worker": 1.5})
    officer = ResponderSpec("officer", on_duty=np.full(168, 1))
    social = ResponderSpec("social_worker", on_duty=np.full(168, 1))
    arrivals = TraceArrivals(minute=np.array([1.0]), category=np.zeros(1, dtype=int))
    with pytest.raises(SimulationError, match="expected civilian responder types"):
        SimConfig((officer, social), (CategorySpec("c", call, 0.0, 10.0, backup_rates={"officer": 0.1}),),
                  arrivals, 100.0)


def test_configs_without_backup_draw_the_same_numbers_as_before():
    """A category with no backup rate draws nothing for backups: its replications are unchanged by the feature."""
    config = overloaded_config(officers=8, horizon_days=7)
    plain = replace(config, categories=tuple(replace(c, backup_rates={}) for c in config.categories))
    zero = replace(config, categories=tuple(replace(c, backup_rates={"social_worker": 0.0})
                                            if c.name == "crisis" else c for c in config.categories))
    a = simulate_once(plain, np.random.default_rng(11)).kpis
    b = simulate_once(zero, np.random.default_rng(11)).kpis
    assert a == pytest.approx(b, nan_ok=True)
