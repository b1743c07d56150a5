"""The simulation engine against known answers: Erlang C, Cobham, and a shift case worked by hand."""

from __future__ import annotations

import ast
import math
import pathlib
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

from simulation import (
    WEEK_MINUTES,
    CategorySpec,
    PoissonArrivals,
    ResponderSpec,
    SimConfig,
    SimulationError,
    TraceArrivals,
    minutes_by_week_bin,
    on_duty_to_shifts,
    replay_trace_minutes,
    run_replications,
    simulate_once,
    t_quantile,
)

ENGINE = pathlib.Path(__file__).resolve().parent.parent / "simulation"


def erlang_c(c: int, a: float) -> float:
    """P(wait > 0) in M/M/c with offered load a (erlangs), by the stable recurrence on Erlang B."""
    b = 1.0
    for k in range(1, c + 1):
        b = a * b / (k + a * b)
    return c * b / (c - a * (1.0 - b))


def finish(run):
    """Drive a run_replications generator to the end and return its result."""
    while True:
        try:
            next(run)
        except StopIteration as stop:
            return stop.value


def mmc_config(c: int, a: float, mean_service: float, horizon: float) -> SimConfig:
    rate_per_minute = a / mean_service
    return SimConfig(
        responders=(ResponderSpec("officer", on_duty=np.full(168, c)),),
        categories=(CategorySpec("call", ((("officer",), 1.0),), 0.0, mean_service, on_scene_cv=1.0),),
        arrivals=PoissonArrivals(np.full((1, 168), rate_per_minute * 60.0)),
        horizon_minutes=horizon,
        warmup_minutes=500.0,
        keep_records=False,
    )


def test_erlang_c_reference_matches_design_known_answer():
    assert erlang_c(5, 4.0) == pytest.approx(0.5541, abs=5e-5)
    assert erlang_c(1, 0.5) == pytest.approx(0.5)  # M/M/1: P(wait) = rho


@pytest.mark.parametrize(
    ("c", "a", "mean_service"),
    [(5, 4.0, 4.0), (2, 1.2, 3.0), (10, 7.0, 10.0)],
)
def test_mmc_matches_erlang_c_within_its_own_interval(c, a, mean_service):
    # Poisson arrivals, exponential service, c units always on duty: an M/M/c queue.
    horizon = 30_000.0 * mean_service / a * 1.0  # about 30,000 calls per replication
    result = finish(run_replications(mmc_config(c, a, mean_service, horizon), 8, seed=11))
    p_wait = erlang_c(c, a)
    mean_wait = p_wait * mean_service / (c - a)
    kpis = result.kpis
    assert kpis.loc["p_wait", "ci_low"] <= p_wait <= kpis.loc["p_wait", "ci_high"]
    assert kpis.loc["wait_minutes_mean", "ci_low"] <= mean_wait <= kpis.loc["wait_minutes_mean", "ci_high"]
    # And the interval is tight enough to mean something.
    assert (
        kpis.loc["wait_minutes_mean", "ci_high"] - kpis.loc["wait_minutes_mean", "ci_low"] < 0.25 * mean_wait
    )
    # Utilisation of an M/M/c queue is a / c.
    assert kpis.loc["utilisation.officer", "mean"] == pytest.approx(a / c, rel=0.01)


def test_design_known_answer_a4_c5():
    # DESIGN.md: a = 4 on c = 5, P(wait) = 0.5541 and mean wait = 0.5541 x E[S] / (c - a).
    result = finish(run_replications(mmc_config(5, 4.0, 4.0, 40_000.0), 6, seed=5))
    kpis = result.kpis
    assert kpis.loc["p_wait", "ci_low"] <= 0.5541 <= kpis.loc["p_wait", "ci_high"]
    expected = 0.5541 * 4.0 / (5 - 4)
    assert kpis.loc["wait_minutes_mean", "ci_low"] <= expected <= kpis.loc["wait_minutes_mean", "ci_high"]


def test_two_priority_classes_match_cobham():
    # M/M/1, non-preemptive priority, a different mean service per class (one category each):
    # class 1: lambda 0.3/min, E[S] = 1; class 2: lambda 0.3/min, E[S] = 1.5 (exponential, E[S^2] = 2 E[S]^2).
    lam = np.array([0.3, 0.3])
    mean = np.array([1.0, 1.5])
    rho = lam * mean
    w0 = float(np.sum(lam * 2 * mean**2) / 2)  # 0.975
    sigma = np.cumsum(rho)
    cobham = [w0 / (1.0 - 0.0) / (1.0 - sigma[0]), w0 / ((1.0 - sigma[0]) * (1.0 - sigma[1]))]
    assert cobham == pytest.approx([1.392857, 5.571429], rel=1e-5)
    config = SimConfig(
        responders=(ResponderSpec("officer", on_duty=np.ones(168, dtype=int)),),
        categories=(
            CategorySpec("urgent", ((("officer",), 1.0),), 0.0, 1.0),
            CategorySpec("routine", ((("officer",), 1.0),), 0.0, 1.5),
        ),
        arrivals=PoissonArrivals(
            np.vstack([np.full(168, lam[0] * 60), np.full(168, lam[1] * 60)]),
            priority_probs=np.array([[1.0, 0.0], [0.0, 1.0]]),
        ),
        horizon_minutes=60_000.0,
        warmup_minutes=500.0,
        keep_records=False,
    )
    kpis = finish(run_replications(config, 10, seed=3)).kpis
    for p, expected in enumerate(cobham, start=1):
        row = kpis.loc[f"wait_minutes_mean.priority_{p}"]
        assert row["ci_low"] <= expected <= row["ci_high"], (p, expected, row.to_dict())


def hand_built_case() -> SimConfig:
    """Two officer shifts back to back plus a late one, one social worker until minute 50."""
    return SimConfig(
        responders=(
            ResponderSpec("officer", shifts=((0, 60), (60, 200), (100, 200))),  # O1, O2, O3
            ResponderSpec("social_worker", shifts=((0, 50),)),  # S1
        ),
        categories=(
            CategorySpec("behavioral_health", ((("social_worker",), 1.0),), 10.0, 30.0),
            CategorySpec("crime", ((("officer",), 1.0),), 0.0, 30.0),
        ),
        arrivals=TraceArrivals(
            minute=np.array([0, 5, 30, 45, 52, 70, 75.0]),
            category=np.array([0, 0, 1, 0, 0, 1, 1]),
            priority=np.array([1, 1, 1, 1, 1, 2, 1]),
            on_scene_minutes=np.array([40, 20, 50, 10, 10, 10, 5.0]),
            units=np.array([1, 1, 1, 1, 1, 2, 1]),
        ),
        horizon_minutes=200.0,
    )


def test_shift_case_worked_by_hand():
    # Walk-through (no travel, on-scene minutes from the trace):
    # call 0 t=0  behavioral: S1 free -> social worker 0..40.
    # call 1 t=5  behavioral: S1 busy; nobody frees within the 10-minute fallback wait -> at 15 the
    #             officer queue; O1 idle -> officer 15..35.                                  fallback #1
    # call 2 t=30 crime: O1 busy until 35 (O2 starts at 60) -> officer 35..85. O1's shift ends at 60
    #             while busy: overtime 85 - 60 = 25.
    # call 3 t=45 behavioral: S1 free since 40 -> social worker 45..55; S1's shift ends at 50:
    #             overtime 55 - 50 = 5.
    # call 4 t=52 behavioral: S1 went off duty at 50 and no social worker is on shift, so dispatch
    #             sends an officer at once (civilian off duty, not a fallback); O1 is in overtime and O2
    #             comes on at 60 -> officer 60..70 (wait 8).
    # call 5 t=70 crime, priority 2, needs 2 units: it arrives just before O2 finishes at 70 (its
    #             arrival was scheduled first), O1 in overtime takes nothing. From 70 O2 is idle, held
    #             for call 5 at the head of the queue.
    # call 6 t=75 crime, priority 1: it outranks call 5, so O2 serves it 75..80. Call 5 stays at the
    #             head until O3 comes on at 100: O2 + O3 serve it 100..110 (wait 30).
    # Officer overtime 25 min, social worker 5 min, 1 fallback, 1 call with no social worker on duty.
    result = simulate_once(hand_built_case(), np.random.default_rng(0))
    records = result.records
    assert result.overtime_minutes == {"officer": 25.0, "social_worker": 5.0}
    assert result.kpis["fallback_calls"] == 1
    assert result.kpis["civilian_off_duty_calls"] == 1
    assert result.kpis["overtime_hours.officer"] == pytest.approx(25 / 60)
    assert records["type_sent"].astype(str).tolist() == [
        "social_worker",
        "officer",
        "officer",
        "social_worker",
        "officer",
        "officer",
        "officer",
    ]
    assert records["wait_minutes"].tolist() == [0, 10, 5, 0, 8, 30, 0]
    assert records["fallback"].tolist() == [False, True, False, False, False, False, False]
    assert records["civilian_off_duty"].tolist() == [False, False, False, False, True, False, False]
    assert records["units"].tolist() == [1, 1, 1, 1, 1, 2, 1]
    assert records["busy_minutes"].tolist() == [40, 20, 50, 10, 10, 20, 5]
    # Busy 20 + 50 + 10 + 2 x 10 + 5 = 105 officer minutes, 40 + 10 social-worker minutes; on duty
    # 60 + 140 + 100 officer minutes and 50 social-worker minutes.
    assert result.busy_minutes.sum().to_dict() == {"officer": 105.0, "social_worker": 50.0}
    assert result.on_duty_minutes.sum().to_dict() == {"officer": 300.0, "social_worker": 50.0}
    assert result.fallback_by_bin[0] == 1 and result.fallback_by_bin.sum() == 1


def test_hand_case_busy_by_hour_bin():
    result = simulate_once(hand_built_case(), np.random.default_rng(0))
    busy = result.busy_minutes["officer"]
    # Hour 0: call 1 15..35 (20), call 2 35..60 (25), call 4 none, -> 45. Hour 1: call 2 60..85 (25),
    # call 4 60..70 (10), call 6 75..80 (5), call 5 100..110 x 2 (20) -> 60.
    assert busy.iloc[0] == 45.0
    assert busy.iloc[1] == 60.0
    assert busy.iloc[2:].sum() == 0.0
    on_duty = result.on_duty_minutes["officer"]
    # O1 0..60, O2 60..200, O3 100..200: hour 0 = 60, hour 1 = 60 + 20, hour 2 = 60 + 60, hour 3 = 20 + 20.
    assert on_duty.iloc[:4].tolist() == [60.0, 80.0, 120.0, 40.0]


def test_on_duty_counts_become_fifo_shifts():
    # One-hour bins: 1 unit in hour 0, 3 in hour 1, 2 in hour 2, 0 after, every week.
    counts = np.zeros(168, dtype=int)
    counts[:3] = [1, 3, 2]
    shifts = on_duty_to_shifts(counts, 60, until=WEEK_MINUTES)
    # When the count drops from 3 to 2, the unit on since minute 0 (the longest) goes off first.
    assert sorted(map(tuple, shifts.tolist())) == [(0.0, 120.0), (60.0, 180.0), (60.0, 180.0)]
    two_weeks = on_duty_to_shifts(counts, 60, until=WEEK_MINUTES + 90)
    # Week two starts again with one unit, three from its hour 1, all cut at `until`.
    assert len(two_weeks) == 6 and two_weeks[:, 1].max() == WEEK_MINUTES + 90


def test_on_duty_and_the_same_shifts_give_the_same_run():
    counts = np.zeros(168, dtype=int)
    counts[:48] = np.tile([1, 1, 2, 3, 3, 2, 1, 2], 6)
    shifts = tuple(map(tuple, on_duty_to_shifts(counts, 60, until=WEEK_MINUTES * 2).tolist()))
    category = CategorySpec("call", ((("officer",), 1.0),), 0.0, 30.0)
    arrivals = PoissonArrivals(np.vstack([np.where(counts > 0, 3.0, 0.0)]))
    runs = []
    for responder in (ResponderSpec("officer", on_duty=counts), ResponderSpec("officer", shifts=shifts)):
        config = SimConfig((responder,), (category,), arrivals, horizon_minutes=WEEK_MINUTES)
        runs.append(simulate_once(config, np.random.default_rng(9)))
    pd.testing.assert_frame_equal(runs[0].records, runs[1].records)
    assert runs[0].overtime_minutes == runs[1].overtime_minutes


def test_minutes_split_across_bin_boundaries():
    # 50..190 spans hour bins 0 (10), 1 (60), 2 (60), 3 (10); the window clips 5000..5100 to 5000..5040,
    # all in bin 83 (4980..5040).
    out = minutes_by_week_bin(
        np.array([50.0, 5000.0, WEEK_MINUTES - 30.0]),
        np.array([190.0, 5100.0, WEEK_MINUTES + 30.0]),
        np.array([0, 1, 0]),
        2,
        window=(0.0, 5040.0),
        bin_minutes=60,
    )
    assert out[:4, 0].tolist() == [10.0, 60.0, 60.0, 10.0]
    assert out[83, 1] == 40.0 and out[84, 1] == 0.0
    assert out.sum() == 180.0  # the interval at the end of the week is outside the window
    wrapped = minutes_by_week_bin(
        np.array([WEEK_MINUTES - 30.0]), np.array([WEEK_MINUTES + 30.0]), np.array([0]), 1, (0.0, 2e5), 60
    )
    assert wrapped[167, 0] == 30.0 and wrapped[0, 0] == 30.0


def test_civilian_route_prefers_earlier_free_type_and_outcomes_follow_type():
    # Both civilian types free at minute 0: the first in the route is taken.
    config = SimConfig(
        responders=(
            ResponderSpec("officer", on_duty=np.ones(168, dtype=int)),
            ResponderSpec("social_worker", on_duty=np.ones(168, dtype=int)),
            ResponderSpec("co_responder", on_duty=np.ones(168, dtype=int)),
        ),
        categories=(
            CategorySpec(
                "behavioral_health",
                ((("co_responder", "social_worker"), 1.0),),
                30.0,
                20.0,
                on_scene_cv=0.0,
                on_scene_multiplier={"co_responder": 2.0},
                outcome_rates={"co_responder": {"er_transport": 1.0}, "social_worker": {"arrest": 0.0}},
            ),
        ),
        arrivals=TraceArrivals(minute=np.array([0.0, 1.0, 2.0]), category=np.zeros(3, dtype=int)),
        horizon_minutes=100.0,
    )
    records = simulate_once(config, np.random.default_rng(1)).records
    # Call 0 takes the co-responder (40 min with the multiplier), call 1 the social worker,
    # call 2 waits for whichever frees first: the social worker at 21.
    assert records["type_sent"].astype(str).tolist() == ["co_responder", "social_worker", "social_worker"]
    assert records["on_scene_minutes"].tolist() == [40.0, 20.0, 20.0]
    assert records["wait_minutes"].tolist() == [0.0, 0.0, 19.0]
    assert records["er_transport"].tolist() == [True, False, False]
    assert not records["arrest"].any()


def test_unserved_calls_are_reported_not_dropped():
    # The only officer shift ends before the second call: it waits through the drain and stays unserved.
    config = SimConfig(
        responders=(ResponderSpec("officer", shifts=((0.0, 10.0),)),),
        categories=(CategorySpec("crime", ((("officer",), 1.0),), 0.0, 5.0, on_scene_cv=0.0),),
        arrivals=TraceArrivals(minute=np.array([1.0, 20.0]), category=np.zeros(2, dtype=int)),
        horizon_minutes=30.0,
        drain_minutes=60.0,
    )
    result = simulate_once(config, np.random.default_rng(0))
    assert result.records["type_sent"].astype(str).tolist() == ["officer", "none"]
    assert math.isnan(result.records["wait_minutes"].iloc[1])
    assert result.kpis["unserved_calls"] == 1 and result.kpis["p_wait"] == 0.5


def test_warmup_drops_early_calls_from_records_and_kpis():
    config = hand_built_case()
    config = SimConfig(
        config.responders, config.categories, config.arrivals, horizon_minutes=200.0, warmup_minutes=50.0
    )
    result = simulate_once(config, np.random.default_rng(0))
    assert result.records["call_index"].tolist() == [4, 5, 6]
    assert result.kpis["calls_total"] == 3 and result.kpis["fallback_calls"] == 0
    assert result.kpis["civilian_off_duty_calls"] == 1  # call 4: no social worker on shift at t=52
    assert result.window_minutes == 150.0


@pytest.mark.parametrize(
    ("df", "expected"),
    [
        (1, 12.7062),
        (2, 4.3027),
        (3, 3.1824),
        (4, 2.7764),
        (5, 2.5706),
        (9, 2.2622),
        (10, 2.2281),
        (20, 2.0860),
        (30, 2.0423),
        (120, 1.9799),
    ],
)
def test_t_quantile_975(df, expected):
    assert t_quantile(0.975, df) == pytest.approx(expected, abs=1e-4)
    assert t_quantile(0.025, df) == pytest.approx(-expected, abs=1e-4)


def test_t_quantile_other_levels():
    assert t_quantile(0.95, 9) == pytest.approx(1.8331, abs=1e-4)
    assert t_quantile(0.995, 9) == pytest.approx(3.2498, abs=1e-4)
    assert t_quantile(0.5, 7) == 0.0


def test_replay_trace_minutes_starts_on_monday_wall_clock():
    stamps = pd.Series(pd.to_datetime(["2018-05-02 01:30", "2018-05-01 00:00"])).dt.tz_localize(
        "America/Chicago"
    )
    # 2018-05-01 is a Tuesday: the clock starts Monday 2018-04-30 00:00 local time.
    assert replay_trace_minutes(stamps).tolist() == [2 * 1440 + 90.0, 1440.0]
    with pytest.raises(SimulationError, match="Monday"):
        replay_trace_minutes(stamps, origin="2018-05-01")


@pytest.mark.parametrize(
    ("build", "message"),
    [
        (lambda: ResponderSpec("officer"), "exactly one of on_duty"),
        (lambda: ResponderSpec("officer", on_duty=np.ones(100, dtype=int)), "length 100, expected 168"),
        (lambda: ResponderSpec("officer", on_duty=np.full(168, -1)), "contains -1"),
        (lambda: ResponderSpec("officer", shifts=((10, 5),)), r"shifts\[0\]"),
        (lambda: ResponderSpec("officer", on_duty=np.ones(168, dtype=int), bin_minutes=11), "divisor"),
        (lambda: CategorySpec("x", ((("officer",), 0.7),), 0, 10), "sum to 0.7"),
        (lambda: CategorySpec("x", ((("officer",), 1.0),), -1, 10), "fallback_wait_minutes is -1"),
        (lambda: TraceArrivals(minute=np.array([1.0, 2.0]), category=np.array([0])), "category has length 1"),
        (
            lambda: TraceArrivals(minute=np.array([1.0]), category=np.array([0]), priority=np.array([0])),
            ">= 1",
        ),
        (lambda: PoissonArrivals(np.ones((1, 24))), r"shape \(1, 24\)"),
    ],
)
def test_specs_reject_bad_input_naming_field_and_value(build, message):
    with pytest.raises(SimulationError, match=message):
        build()


def test_config_rejects_inconsistent_references():
    officer = ResponderSpec("officer", on_duty=np.ones(168, dtype=int))
    call = CategorySpec("x", ((("social_worker",), 1.0),), 0, 10)
    arrivals = TraceArrivals(minute=np.array([1.0]), category=np.array([0]))
    with pytest.raises(SimulationError, match=r"names responder type\(s\) \['social_worker'\]"):
        SimConfig((officer,), (call,), arrivals, horizon_minutes=10)
    with pytest.raises(SimulationError, match="fallback_type is 'police'"):
        SimConfig((officer,), (call,), arrivals, horizon_minutes=10, fallback_type="police")
    mixed = CategorySpec("x", ((("officer", "officer2"), 1.0),), 0, 10)
    with pytest.raises(SimulationError, match="civilian types only"):
        SimConfig(
            (officer, ResponderSpec("officer2", on_duty=np.ones(168, dtype=int))), (mixed,), arrivals, 10
        )
    two_units = TraceArrivals(minute=np.array([1.0]), category=np.array([0]), units=np.array([2]))
    only = CategorySpec("x", ((("officer",), 1.0),), 0, 10)
    with pytest.raises(SimulationError, match="needs 2 'officer' units, but at most 1"):
        SimConfig((officer,), (only,), two_units, horizon_minutes=10)
    with pytest.raises(SimulationError, match="category contains 3"):
        SimConfig((officer,), (only,), TraceArrivals(np.array([1.0]), np.array([3])), horizon_minutes=10)
    with pytest.raises(SimulationError, match="warmup_minutes is 20"):
        SimConfig((officer,), (only,), arrivals, horizon_minutes=10, warmup_minutes=20)


ALLOWED_IMPORTS = {"numpy", "pandas", "simpy", "simulation", "distributed", "__future__"}


def test_engine_imports_only_numpy_pandas_simpy():
    stdlib = set(sys.stdlib_module_names)
    for path in ENGINE.glob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                roots = [alias.name.split(".")[0] for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                roots = [node.module.split(".")[0]]
            else:
                continue
            for root in roots:
                assert root in ALLOWED_IMPORTS or root in stdlib, f"{path.name} imports {root}"


def test_importing_the_engine_pulls_in_no_planner_ui_or_qt():
    code = (
        "import sys, simulation; "
        "bad = sorted(m for m in sys.modules if m.split('.')[0] in {'planner', 'optimize', 'ui', 'PySide6', 'scipy'}); "
        "print(bad); sys.exit(1 if bad else 0)"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stdout + done.stderr
