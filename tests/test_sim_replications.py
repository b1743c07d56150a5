"""Replications: same seed, same numbers, wherever they run; progress, cancel and intervals."""

from __future__ import annotations

import math
import multiprocessing
import time

import numpy as np
import pandas as pd
import pytest

from simulation import (
    WEEK_MINUTES,
    CategorySpec,
    PoissonArrivals,
    Progress,
    ResponderSpec,
    SimConfig,
    SimulationError,
    run_replications,
    simulate_once,
    summarise,
)


def finish(run):
    """Drive a run_replications generator to the end: (progress list, result)."""
    progress = []
    while True:
        try:
            progress.append(next(run))
        except StopIteration as stop:
            return progress, stop.value


def small_config(weeks: float = 1.0, keep_records: bool = True) -> SimConfig:
    """Three responder types with hourly staffing and two categories with civilian routes."""
    hour = np.arange(168)
    profile = 1.0 + 0.5 * np.sin(2 * np.pi * (hour % 24 - 10) / 24)
    rates = np.vstack([2.0 * profile, 1.0 * profile, 6.0 * profile])
    return SimConfig(
        responders=(
            ResponderSpec(
                "officer", on_duty=np.ceil(4 + 3 * profile).astype(int), travel_mean_minutes=8, travel_cv=0.5
            ),
            ResponderSpec(
                "social_worker", on_duty=np.where(hour % 24 >= 8, 2, 0), travel_mean_minutes=12, travel_cv=0.5
            ),
            ResponderSpec("co_responder", on_duty=np.ones(168, dtype=int), travel_mean_minutes=10),
        ),
        categories=(
            CategorySpec(
                "behavioral_health",
                ((("social_worker", "co_responder"), 0.6), (("co_responder",), 0.2), (("officer",), 0.2)),
                fallback_wait_minutes=20,
                on_scene_mean_minutes=50,
                on_scene_cv=1.3,
                on_scene_multiplier={"social_worker": 1.3},
                outcome_rates={
                    "officer": {"arrest": 0.1, "er_transport": 0.05},
                    "social_worker": {"er_transport": 0.02},
                },
            ),
            CategorySpec("welfare_check", ((("social_worker",), 0.7), (("officer",), 0.3)), 30, 30),
            CategorySpec("crime", ((("officer",), 1.0),), 0, 40, outcome_rates={"officer": {"arrest": 0.2}}),
        ),
        arrivals=PoissonArrivals(
            rates,
            priority_probs=np.array([[0.3, 0.7], [0.0, 1.0], [0.5, 0.5]]),
            units_probs=np.array([[1.0, 0.0], [1.0, 0.0], [0.7, 0.3]]),
        ),
        horizon_minutes=weeks * WEEK_MINUTES,
        warmup_minutes=600.0,
        keep_records=keep_records,
    )


def test_same_seed_same_records():
    config = small_config()
    a = simulate_once(config, np.random.default_rng(np.random.SeedSequence(42)))
    b = simulate_once(config, np.random.default_rng(np.random.SeedSequence(42)))
    pd.testing.assert_frame_equal(a.records, b.records, check_exact=True)
    pd.testing.assert_frame_equal(a.busy_minutes, b.busy_minutes, check_exact=True)
    assert a.kpis == b.kpis
    c = simulate_once(config, np.random.default_rng(np.random.SeedSequence(43)))
    assert not a.records["arrival_minute"].equals(c.records["arrival_minute"])


def test_in_process_run_yields_progress_and_returns_result():
    progress, result = finish(run_replications(small_config(), 3, seed=7))
    assert progress == [Progress(k, 3, f"replication {k} of 3 finished") for k in (1, 2, 3)]
    assert len(result.replications) == 3 and result.seed == 7 and result.workers == 1
    assert list(result.kpis.columns) == ["mean", "ci_low", "ci_high", "std", "n"]
    assert (result.kpis.loc["calls_total", "n"]) == 3
    # Replication i uses child i of SeedSequence(seed), whatever ran before it.
    child = np.random.SeedSequence(7).spawn(3)[2]
    alone = simulate_once(small_config(), np.random.default_rng(child))
    pd.testing.assert_frame_equal(alone.records, result.replications[2].records)


def test_kpi_names_and_meanings():
    result = simulate_once(small_config(), np.random.default_rng(1))
    k = result.kpis
    for t in ("officer", "social_worker", "co_responder"):
        for name in (
            "hours_on_calls",
            "hours_on_calls_per_year",
            "utilisation",
            "calls",
            "overtime_hours",
            "overtime_hours_per_year",
            "on_duty_hours",
        ):
            assert f"{name}.{t}" in k
        assert k[f"utilisation.{t}"] == pytest.approx(k[f"hours_on_calls.{t}"] / k[f"on_duty_hours.{t}"])
    for name in (
        "fallback_calls",
        "fallback_share",
        "response_minutes_mean",
        "response_minutes_p50",
        "response_minutes_p90",
        "response_minutes_p50.priority_1",
        "response_minutes_p90.priority_2",
        "wait_minutes_mean",
        "p_wait",
        "outcomes.arrest",
        "outcomes.er_transport",
        "calls_total",
    ):
        assert name in k, name
    records = result.records
    assert k["calls_total"] == len(records)
    assert k["calls.officer"] == (records["type_sent"] == "officer").sum()
    assert k["fallback_calls"] == records["fallback"].sum() > 0
    assert k["fallback_share"] == pytest.approx(records["fallback"].sum() / records["civilian_route"].sum())
    assert k["response_minutes_p90"] == pytest.approx(np.percentile(records["response_minutes"], 90))
    assert k["outcomes.arrest"] == records["arrest"].sum()
    scale = 52.18 * WEEK_MINUTES / result.window_minutes
    assert k["hours_on_calls_per_year.officer"] == pytest.approx(k["hours_on_calls.officer"] * scale)
    assert k["hours_on_calls.officer"] == pytest.approx(result.busy_minutes["officer"].sum() / 60)
    assert result.fallback_by_bin.sum() == k["fallback_calls"]


def test_one_and_two_workers_give_identical_kpis():
    config = small_config(weeks=0.5)
    _, one = finish(run_replications(config, 4, seed=123, workers=1))
    progress, two = finish(run_replications(config, 4, seed=123, workers=2))
    assert sorted(p.done for p in progress) == [1, 2, 3, 4]
    pd.testing.assert_frame_equal(one.kpis, two.kpis, check_exact=True)
    for a, b in zip(one.replications, two.replications, strict=True):
        pd.testing.assert_frame_equal(a.records, b.records, check_exact=True)
    assert two.workers == 2


def test_closing_the_generator_cancels_and_stops_the_workers():
    # Each replication takes about a second (90,000 calls); after the first one, cancel
    # while the other worker is mid-replication and eight more wait in the queue.
    config = small_config(weeks=60, keep_records=False)
    started = time.perf_counter()
    run = run_replications(config, 10, seed=1, workers=2)
    first = next(run)
    one_replication = time.perf_counter() - started
    assert first.done == 1
    started = time.perf_counter()
    run.close()
    closing = time.perf_counter() - started
    # Closing does not wait for the running replication, let alone the queued ones.
    assert closing < min(1.0, one_replication / 2), (closing, one_replication)
    assert multiprocessing.active_children() == []


def test_dask_local_cluster_gives_the_same_kpis():
    distributed = pytest.importorskip("distributed")
    config = small_config(weeks=0.25)
    _, here = finish(run_replications(config, 3, seed=99))
    with distributed.LocalCluster(
        n_workers=2, processes=True, threads_per_worker=1, dashboard_address=":0"
    ) as cluster:
        progress, there = finish(run_replications(config, 3, seed=99, scheduler=cluster.scheduler_address))
        # Cancelling a cluster run returns promptly too.
        run = run_replications(small_config(weeks=20), 6, seed=1, scheduler=cluster.scheduler_address)
        next(run)
        started = time.perf_counter()
        run.close()
        assert time.perf_counter() - started < 5.0
    assert sorted(p.done for p in progress) == [1, 2, 3]
    pd.testing.assert_frame_equal(here.kpis, there.kpis, check_exact=True)
    assert there.scheduler == cluster.scheduler_address


def test_unreachable_scheduler_is_a_simulation_error(monkeypatch):
    pytest.importorskip("distributed")
    monkeypatch.setattr("simulation.runner.DASK_CONNECT_TIMEOUT_SECONDS", 1.0)
    run = run_replications(small_config(weeks=0.1), 1, seed=0, scheduler="tcp://127.0.0.1:9")
    with pytest.raises(SimulationError, match="cannot connect"):
        next(run)


def test_summarise_student_t_interval():
    rows = [{"x": v, "y": 1.0} for v in (1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0, 10.0)]
    table = summarise(rows)
    half = 2.262157 * float(np.std(np.arange(1, 11), ddof=1)) / math.sqrt(10)
    assert table.loc["x", "mean"] == 5.5
    assert table.loc["x", "ci_low"] == pytest.approx(5.5 - half, abs=1e-5)
    assert table.loc["x", "ci_high"] == pytest.approx(5.5 + half, abs=1e-5)
    assert table.loc["x", "n"] == 10
    assert table.loc["y", "ci_low"] == table.loc["y", "ci_high"] == 1.0
    # One replication: the interval collapses to the mean; NaN values are not counted.
    single = summarise([{"x": 3.0, "u": math.nan}])
    assert single.loc["x", ["mean", "ci_low", "ci_high"]].tolist() == [3.0, 3.0, 3.0]
    assert math.isnan(single.loc["x", "std"]) and single.loc["u", "n"] == 0


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"replications": 0}, "replications is 0"),
        ({"workers": 0}, "workers is 0"),
        ({"seed": -1}, "seed is -1"),
    ],
)
def test_run_arguments_are_checked(kwargs, message):
    arguments = {"replications": 2, "seed": 1, "workers": 1} | kwargs
    with pytest.raises(SimulationError, match=message):
        run_replications(small_config(weeks=0.1), **arguments)


def test_pool_workers_hold_back_ctrl_c_and_kill_workers_ends_them():
    """A Ctrl-C at the terminal reaches the whole process group: the workers keep it held back (this process
    stops them); kill_workers, the last resort of a stuck cancel, ends them at once."""
    import os
    import signal

    from simulation import runner

    config = small_config(weeks=120, keep_records=False)     # each replication takes seconds
    run = run_replications(config, 6, seed=1, workers=2)
    first = next(run)
    assert first.done == 1
    processes = [p for executor in runner._live for p in executor._processes.values()]
    assert len(processes) == 2
    for p in processes:
        os.kill(p.pid, signal.SIGINT)
    time.sleep(0.5)
    assert all(p.is_alive() for p in processes)
    started = time.perf_counter()
    runner.kill_workers()
    with pytest.raises(Exception, match=r"(?i)process|terminated"):
        for _ in range(6):                                    # a result that came in before the kill
            next(run)
    assert time.perf_counter() - started < 5
    for p in processes:
        p.join(5)
    assert not any(p.is_alive() for p in processes)
    assert runner._live == set()
    assert multiprocessing.active_children() == []
