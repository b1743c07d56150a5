"""The one worker every long job runs on: progress, result, errors, cancel, and a window that never freezes."""

from __future__ import annotations

import threading
import time

import numpy as np
import pandas as pd
import pytest

pytest.importorskip("pytestqt")

from PySide6.QtCore import QElapsedTimer, QTimer  # noqa: E402

from planner.errors import ImportFailed  # noqa: E402
from planner.jobs import Progress, run_job  # noqa: E402
from ui.worker import JobCancelled, JobProgress, Worker, function_job  # noqa: E402


def counting(n: int, pause: float = 0.0):
    for i in range(n):
        if pause:
            time.sleep(pause)
        yield Progress(i + 1, n, f"step {i + 1}")
    return "done"


def test_progress_then_result(qtbot):
    worker = Worker(counting(5), min_interval=0)
    seen = []
    worker.progress.connect(lambda d, t, m: seen.append((d, t, m)))
    with qtbot.waitSignal(worker.finished, timeout=5000) as blocker:
        worker.start()
    assert blocker.args == ["done"]
    qtbot.waitUntil(lambda: len(seen) == 5, timeout=2000)
    assert seen == [(i, 5, f"step {i}") for i in range(1, 6)]
    assert worker.wait(2)


def test_progress_is_thinned_but_the_last_step_always_arrives(qtbot):
    worker = Worker(counting(2000), min_interval=10.0)
    seen = []
    worker.progress.connect(lambda d, t, m: seen.append(d))
    with qtbot.waitSignal(worker.ended, timeout=5000):
        worker.start()
    qtbot.waitUntil(lambda: seen and seen[-1] == 2000, timeout=2000)
    assert len(seen) <= 3


def test_an_error_is_reported_not_raised(qtbot):
    def failing():
        yield Progress(0, 1, "starting")
        raise ImportFailed("calls.csv: no usable time column")

    worker = Worker(failing())
    finished = []
    worker.finished.connect(finished.append)
    with qtbot.waitSignal(worker.errored, timeout=5000) as blocker:
        worker.start()
    assert isinstance(blocker.args[0], ImportFailed)
    assert "no usable time column" in str(blocker.args[0])
    worker.wait(2)
    qtbot.wait(20)
    assert finished == []


def test_cancel_closes_the_generator_so_its_finally_runs(qtbot):
    cleaned = threading.Event()
    started = threading.Event()

    def long_job():
        try:
            for i in range(10_000):
                started.set()
                time.sleep(0.005)
                yield Progress(i, 10_000, "working")
            return "should not get here"
        finally:
            cleaned.set()  # where a real job stops its child processes

    worker = Worker(long_job())
    finished = []
    worker.finished.connect(finished.append)
    worker.start()
    assert started.wait(5)
    with qtbot.waitSignal(worker.cancelled, timeout=5000):
        worker.cancel()
    assert cleaned.is_set()
    assert finished == []


def test_cancel_before_the_job_starts_runs_nothing(qtbot):
    ran = []

    def job():
        ran.append(True)
        yield Progress(1, 1, "x")

    worker = Worker(job())
    worker.cancel()
    with qtbot.waitSignal(worker.cancelled, timeout=5000):
        worker.start()
    assert ran == []


def test_function_job_turns_callback_progress_into_a_job():
    def work(x, *, progress):
        progress("reading")
        progress("adding")
        return x + 1

    seen = []
    assert run_job(function_job(work, 41, total=2), seen.append) == 42
    assert seen == [Progress(1, 2, "reading"), Progress(2, 2, "adding")]


def test_function_job_passes_errors_on():
    def work(*, progress):
        progress("reading")
        raise ImportFailed("x.csv: file not found")

    with pytest.raises(ImportFailed, match="file not found"):
        run_job(function_job(work))


def test_closing_a_function_job_stops_the_function_at_its_next_step():
    stopped = threading.Event()
    reached = []

    def work(*, progress):
        try:
            for i in range(1000):
                progress(f"step {i}")
                reached.append(i)
                time.sleep(0.002)
        finally:
            stopped.set()

    job = function_job(work)
    next(job)
    job.close()
    assert stopped.is_set()
    assert len(reached) < 1000


def test_function_job_cancelled_on_a_worker(qtbot):
    def work(*, progress):
        for i in range(10_000):
            progress(f"step {i}")
            time.sleep(0.002)

    worker = Worker(function_job(work))
    with qtbot.waitSignal(worker.progress, timeout=5000):
        worker.start()
    with qtbot.waitSignal(worker.cancelled, timeout=5000):
        worker.cancel()
    assert JobCancelled  # the function stopped by raising it at its next progress call


def test_progress_widget_follows_the_worker_and_cancels_it(qtbot):
    widget = JobProgress()
    qtbot.addWidget(widget)
    worker = Worker(counting(10_000, pause=0.002), min_interval=0)
    widget.bind(worker, "Importing calls.csv")
    assert widget.isVisibleTo(None) or not widget.isHidden()
    with qtbot.waitSignal(worker.progress, timeout=5000):
        worker.start()
    qtbot.waitUntil(lambda: widget.bar.maximum() == 10_000, timeout=2000)
    assert widget.label.text().startswith("Importing calls.csv")
    with qtbot.waitSignal(worker.cancelled, timeout=5000):
        widget.cancel_button.click()
    qtbot.waitUntil(lambda: widget.isHidden(), timeout=2000)


def test_the_gui_thread_keeps_ticking_during_heavy_work(qtbot):
    """A CPU-heavy job on the worker while a 20 ms timer ticks on the GUI thread: no gap over 250 ms."""

    def heavy():
        rng = np.random.default_rng(0)
        total = 0
        for i in range(30):
            text = pd.Series(rng.integers(0, 5000, 100_000).astype(str))
            total += int(text.str.upper().str.len().sum())        # pandas work on text ...
            total += sum(k * k for k in range(30_000)) % 7        # ... and pure Python, holding the GIL
            yield Progress(i + 1, 30, "crunching")
        return total

    # One round on this thread first: modules pandas loads on first use (and, in a fresh environment,
    # compiles) would otherwise count as a GUI gap; the test is about the worker, not about imports.
    warm = heavy()
    next(warm)
    warm.close()
    gaps = []
    clock = QElapsedTimer()
    timer = QTimer()
    timer.setInterval(20)
    timer.timeout.connect(lambda: gaps.append(clock.restart()))
    worker = Worker(heavy(), min_interval=0)
    clock.start()
    timer.start()
    started = time.perf_counter()
    with qtbot.waitSignal(worker.finished, timeout=60_000):
        worker.start()
    took = time.perf_counter() - started
    timer.stop()
    longest = max(gaps[1:])
    print(f"heavy job took {took:.2f} s; {len(gaps)} ticks; longest GUI gap {longest} ms")
    assert took > 0.3, "the job was too light to tell anything"
    assert longest < 250


def test_cancel_stops_a_job_whose_step_runs_on_worker_processes_within_the_grace(qtbot):
    """A replication can run for minutes on a worker process: a cancel that the job cannot see until the
    step ends kills the workers after CANCEL_GRACE_SECONDS, and the job reports cancelled, not an error."""
    import multiprocessing

    from simulation.runner import run_replications
    from tests.test_sim_replications import small_config
    from ui.worker import CANCEL_GRACE_SECONDS

    run = run_replications(small_config(weeks=2000, keep_records=False), 4, seed=1, workers=2)
    worker = Worker(run)
    errors = []
    worker.errored.connect(errors.append)
    worker.start()
    time.sleep(1.0)                              # the workers are mid-replication
    started = time.monotonic()
    with qtbot.waitSignal(worker.cancelled, timeout=int((CANCEL_GRACE_SECONDS + 10) * 1000)):
        worker.cancel()
    assert time.monotonic() - started < CANCEL_GRACE_SECONDS + 10
    assert errors == []
    deadline = time.monotonic() + 5
    while multiprocessing.active_children() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert multiprocessing.active_children() == []


def test_ctrl_c_in_the_app_cancels_running_jobs_and_ends_the_event_loop(qtbot):
    import os
    import signal

    from PySide6.QtCore import QCoreApplication, QTimer

    from ui.worker import install_ctrl_c

    started = threading.Event()

    def long_job():
        for i in range(100_000):
            started.set()
            time.sleep(0.01)
            yield Progress(i, 100_000, "working")

    previous = signal.getsignal(signal.SIGINT)
    app = QCoreApplication.instance()
    try:
        install_ctrl_c(app, code=42)
        worker = Worker(long_job())
        worker.start()
        assert started.wait(5)
        QTimer.singleShot(300, lambda: os.kill(os.getpid(), signal.SIGINT))
        began = time.monotonic()
        assert app.exec() == 42
        assert time.monotonic() - began < 5
        assert worker.wait(5) and worker.cancel_requested
    finally:
        signal.signal(signal.SIGINT, previous)


def test_the_gui_thread_keeps_ticking_while_a_frontier_is_solved_and_simulated(qtbot):
    """The Optimise page's job (a 3-point frontier, every point simulated) on the worker: no GUI gap over 250 ms."""
    from pathlib import Path

    from planner.demand import load_calls
    from planner.scenario import load_scenario
    from ui.optimise_page import optimise_job

    scenario = load_scenario(Path(__file__).resolve().parents[1] / "sample_scenarios" / "midsize_city" / "baseline.toml")
    calls = load_calls(scenario)
    job = optimise_job(scenario, calls, objective="max-hours-freed", budget=400_000.0, pareto_points=3,
                       time_limit=4.0, simulate_check=True, check_iterations=1, check_replications=2,
                       check_horizon_days=7.0)
    gaps = []
    clock = QElapsedTimer()
    timer = QTimer()
    timer.setInterval(20)
    timer.timeout.connect(lambda: gaps.append(clock.restart()))
    worker = Worker(job, min_interval=0)
    results = []
    worker.finished.connect(results.append)
    clock.start()
    timer.start()
    with qtbot.waitSignal(worker.finished, timeout=300_000):
        worker.start()
    timer.stop()
    plan = results[0]
    assert len(plan.pareto) == 3 and len(plan.pareto_simulated) >= 2     # the frontier was solved and simulated
    longest = max(gaps[1:])
    print(f"frontier job: {len(gaps)} ticks; longest GUI gap {longest} ms")
    assert longest < 250
