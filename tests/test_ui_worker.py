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
