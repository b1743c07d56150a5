"""Properties every run must have, on small random configurations (hypothesis)."""

from __future__ import annotations

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from simulation import (
    WEEK_MINUTES,
    CategorySpec,
    ResponderSpec,
    SimConfig,
    TraceArrivals,
    simulate_once,
)

HORIZON = 3000.0
TYPES = ("officer", "social_worker", "co_responder")


@st.composite
def staffing(draw, name: str, at_least_one: bool) -> ResponderSpec:
    """Weekly counts (4-hour blocks) or explicit shifts; officers by counts are never zero."""
    travel = draw(st.sampled_from([0.0, 7.5]))
    cv = draw(st.sampled_from([0.0, 0.6]))
    if at_least_one or draw(st.booleans()):
        blocks = draw(st.lists(st.integers(1 if at_least_one else 0, 3), min_size=42, max_size=42))
        return ResponderSpec(name, on_duty=np.repeat(blocks, 4), travel_mean_minutes=travel, travel_cv=cv)
    starts = draw(st.lists(st.floats(0, HORIZON, allow_nan=False), min_size=0, max_size=6))
    lengths = draw(st.lists(st.floats(30, 900, allow_nan=False), min_size=len(starts), max_size=len(starts)))
    shifts = tuple((s, s + d) for s, d in zip(starts, lengths, strict=True))
    if not shifts:
        return ResponderSpec(name, on_duty=np.zeros(168, dtype=int))
    return ResponderSpec(name, shifts=shifts, travel_mean_minutes=travel, travel_cv=cv)


@st.composite
def scenarios(draw) -> SimConfig:
    officer = draw(staffing("officer", at_least_one=True))
    civilians = (draw(staffing("social_worker", False)), draw(staffing("co_responder", False)))
    civilian_share = draw(st.sampled_from([0.0, 0.5, 1.0]))
    routes = [(("social_worker", "co_responder"), civilian_share), (("officer",), 1.0 - civilian_share)]
    routes = tuple((r, p) for r, p in routes if p > 0)
    categories = (
        CategorySpec(
            "behavioral_health",
            routes,
            fallback_wait_minutes=draw(st.sampled_from([0.0, 5.0, 30.0])),
            on_scene_mean_minutes=40.0,
            on_scene_cv=draw(st.sampled_from([0.0, 0.5, 1.0, 2.0])),
            on_scene_multiplier={"social_worker": 1.5},
            outcome_rates={"officer": {"arrest": 0.5}, "social_worker": {"er_transport": 0.3}},
        ),
        CategorySpec("crime", ((("officer",), 1.0),), 0.0, 30.0),
    )
    n = draw(st.integers(1, 40))
    minute = draw(st.lists(st.floats(0, HORIZON * 1.2, allow_nan=False), min_size=n, max_size=n))
    category = draw(st.lists(st.integers(0, 1), min_size=n, max_size=n))
    priority = draw(st.lists(st.integers(1, 3), min_size=n, max_size=n))
    on_scene = draw(st.lists(st.one_of(st.just(float("nan")), st.floats(0, 120)), min_size=n, max_size=n))
    most = max(officer.max_units(), 1)
    units = draw(st.lists(st.integers(1, min(most, 3)), min_size=n, max_size=n))
    return SimConfig(
        responders=(officer, *civilians),
        categories=categories,
        arrivals=TraceArrivals(
            minute=np.array(minute),
            category=np.array(category),
            priority=np.array(priority),
            on_scene_minutes=np.array(on_scene),
            units=np.array(units),
        ),
        horizon_minutes=HORIZON,
        warmup_minutes=draw(st.sampled_from([0.0, 500.0])),
        drain_minutes=20 * WEEK_MINUTES,
    )


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(config=scenarios(), seed=st.integers(0, 2**32 - 1))
def test_run_invariants(config: SimConfig, seed: int):
    result = simulate_once(config, np.random.default_rng(seed))
    records = result.records
    trace = config.arrivals
    arrived = np.flatnonzero(
        (trace.minute >= config.warmup_minutes) & (trace.minute < config.horizon_minutes)
    )

    # Every call that arrived after warm-up appears exactly once.
    assert sorted(records["call_index"].tolist()) == arrived.tolist()
    assert records["call_index"].is_unique
    # Officers are on duty in every bin and the drain is long: every call is served, once, by one type.
    sent = records["type_sent"].astype(str)
    assert set(sent) <= set(TYPES)
    assert result.kpis["unserved_calls"] == 0
    assert sum(result.kpis[f"calls.{t}"] for t in TYPES) == len(records)

    # Waits and times are sane.
    assert (records["wait_minutes"] >= 0).all()
    assert np.allclose(records["response_minutes"], records["wait_minutes"] + records["travel_minutes"])
    # Fallback only for calls that had a civilian route; civilian types only for those calls too;
    # a fallback call is served by the fallback type.
    assert not (records["fallback"] & ~records["civilian_route"]).any()
    assert (records.loc[sent != "officer", "civilian_route"]).all()
    assert (sent[records["fallback"]] == "officer").all()
    # Officer-only category never falls back.
    assert not records.loc[records["category"] == "crime", "fallback"].any()
    # Several units only for the fallback type.
    assert (records.loc[sent != "officer", "units"] == 1).all()
    # Outcomes come from the type sent: social workers never arrest here, officers never transport.
    assert not records.loc[sent != "officer", "arrest"].any()
    assert not records.loc[sent != "social_worker", "er_transport"].any()

    # Busy time never exceeds on-duty time plus overtime, per type.
    busy = result.busy_minutes.sum()
    on_duty = result.on_duty_minutes.sum()
    for t in TYPES:
        assert busy[t] <= on_duty[t] + result.overtime_minutes[t] + 1e-6, t
    # Without warm-up, busy time in the window is at most the calls' own busy minutes (the window
    # only clips what runs past the horizon).
    if config.warmup_minutes == 0:
        assert busy.sum() <= records["busy_minutes"].sum() + 1e-6


@settings(max_examples=30, deadline=None)
@given(config=scenarios(), seed=st.integers(0, 2**32 - 1))
def test_explicit_shifts_only_report_unserved_calls_honestly(config: SimConfig, seed: int):
    # Officers on the given explicit shifts only: calls may be left unserved, and then they say so.
    officer = ResponderSpec("officer", shifts=((0.0, 600.0), (1000.0, 1300.0)))
    units = np.ones(len(config.arrivals.minute), dtype=int)
    trace = config.arrivals
    arrivals = TraceArrivals(trace.minute, trace.category, trace.priority, trace.on_scene_minutes, units)
    config = SimConfig(
        (officer, *config.responders[1:]),
        config.categories,
        arrivals,
        HORIZON,
        config.warmup_minutes,
        drain_minutes=0.0,
    )
    records = simulate_once(config, np.random.default_rng(seed)).records
    unserved = records["type_sent"].astype(str) == "none"
    assert records.loc[unserved, "wait_minutes"].isna().all()
    assert (records.loc[unserved, "units"] == 0).all()
    assert (records.loc[~unserved, "wait_minutes"] >= 0).all()
    # A served officer call was dispatched while an officer was on shift.
    served_officer = records[records["type_sent"].astype(str) == "officer"]
    dispatched = served_officer["arrival_minute"] + served_officer["wait_minutes"]
    tol = 1e-6  # arrival + wait re-adds two floats
    on_shift = ((dispatched > -tol) & (dispatched < 600 + tol)) | (
        (dispatched > 1000 - tol) & (dispatched < 1300 + tol)
    )
    assert on_shift.all()
