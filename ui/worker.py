"""One worker for every long job: a plain generator run on QThreadPool, reported through Qt signals.

The job is the same generator the CLI and the tests drive (it yields Progress and returns its result).
The worker checks for cancel between yields and closes the generator when asked, so the job's `finally`
blocks run (and stop any child processes). Results arrive only through `finished`: a cancelled or
failed job leaves the caller's state exactly as it was.
"""

from __future__ import annotations

import queue
import signal
import sys
import threading
import time
from collections.abc import Callable, Generator
from typing import Any, ClassVar

from PySide6.QtCore import QObject, QRunnable, QThreadPool, Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QProgressBar, QPushButton, QVBoxLayout, QWidget

from planner.jobs import Progress

CANCEL_GRACE_SECONDS = 3.0   # after a cancel, how long a job may take to see it before its workers are killed


class JobCancelled(Exception):
    """Raised inside a wrapped function when its job has been cancelled."""


class WorkerSignals(QObject):
    """The worker's signals. Emitted on the worker thread; slots of GUI objects run on the GUI thread."""

    progress = Signal(int, int, str)   # done, total (0 = unknown), message
    finished = Signal(object)          # the job's result
    errored = Signal(object)           # the exception the job raised
    cancelled = Signal()
    ended = Signal()                   # always last, whatever the outcome


class Worker(QRunnable):
    """Runs one job (a generator yielding Progress) on a thread pool."""

    _alive: ClassVar[set[Worker]] = set()   # running workers, kept from the garbage collector

    def __init__(self, job: Generator[Any, None, Any], *, min_interval: float = 0.04):
        super().__init__()
        self.setAutoDelete(False)
        self.signals = WorkerSignals()
        self.progress = self.signals.progress
        self.finished = self.signals.finished
        self.errored = self.signals.errored
        self.cancelled = self.signals.cancelled
        self.ended = self.signals.ended
        self._job = job
        self._cancel = threading.Event()
        self._done = threading.Event()
        # Progress more often than this would flood the GUI thread's event queue for nothing to see.
        self._min_interval = min_interval
        self.signals.ended.connect(self._forget)

    # ------------------------------------------------------------------ called from the GUI thread
    def start(self, pool: QThreadPool | None = None) -> Worker:
        Worker._alive.add(self)
        (pool or QThreadPool.globalInstance()).start(self)
        return self

    def cancel(self) -> None:
        """Ask the job to stop at its next step; `cancelled` follows (or `finished`, if it was done).
        A job still running CANCEL_GRACE_SECONDS later (a long replication on a worker process) has its
        simulation workers killed, so its step ends and it stops."""
        if self._cancel.is_set():
            return
        self._cancel.set()
        timer = threading.Timer(CANCEL_GRACE_SECONDS, self._stop_workers)
        timer.daemon = True
        timer.start()

    def _stop_workers(self) -> None:
        if not self._done.is_set():
            runner = sys.modules.get("simulation.runner")
            if runner is not None:
                runner.kill_workers()

    @property
    def cancel_requested(self) -> bool:
        return self._cancel.is_set()

    def is_running(self) -> bool:
        return self in Worker._alive and not self._done.is_set()

    def wait(self, timeout: float | None = None) -> bool:
        """Block until the job has ended (for shutdown and tests); True when it has."""
        return self._done.wait(timeout)

    def _forget(self) -> None:
        Worker._alive.discard(self)

    @classmethod
    def running(cls) -> list[Worker]:
        return [w for w in cls._alive if not w._done.is_set()]

    # ------------------------------------------------------------------ on the pool's thread
    def run(self) -> None:
        try:
            result, was_cancelled = self._drive()
        except JobCancelled:
            self.signals.cancelled.emit()
        except BaseException as exc:  # noqa: BLE001 - every failure is reported, none kills the thread
            self.signals.errored.emit(exc)
        else:
            if was_cancelled:
                self.signals.cancelled.emit()
            else:
                self.signals.finished.emit(result)
        finally:
            self._done.set()
            self.signals.ended.emit()

    def _drive(self) -> tuple[Any, bool]:
        job = self._job
        last = 0.0
        while True:
            if self._cancel.is_set():
                job.close()  # raises GeneratorExit inside the job: its finally blocks run now
                return None, True
            try:
                p = next(job)
            except StopIteration as stop:
                return stop.value, False
            except Exception:
                if self._cancel.is_set():    # its workers were stopped under it: that is the cancel
                    job.close()
                    return None, True
                raise
            if p is None:
                continue
            now = time.monotonic()
            final = p.total and p.done >= p.total
            if now - last >= self._min_interval or final:
                last = now
                self.signals.progress.emit(int(p.done), int(p.total), str(p.message))


def function_job(fn: Callable[..., Any], *args: Any, progress_arg: str = "progress", total: int = 0,
                 **kwargs: Any) -> Generator[Progress, None, Any]:
    """A plain function that reports progress through a callback (`fn(..., progress=say)`), as a job.

    The function runs on a helper thread; each message it reports becomes a Progress(done, total, message).
    Closing the job (cancel) makes the function's next progress call raise JobCancelled, so it stops at its
    next step with its own cleanup run; closing waits for that.
    """
    messages: queue.SimpleQueue = queue.SimpleQueue()
    stop = threading.Event()
    outcome: dict[str, Any] = {}
    end = object()

    def say(message: str) -> None:
        if stop.is_set():
            raise JobCancelled(f"{getattr(fn, '__name__', 'job')} was cancelled")
        messages.put(message)

    def target() -> None:
        try:
            outcome["result"] = fn(*args, **{progress_arg: say}, **kwargs)
        except BaseException as exc:  # noqa: BLE001 - handed to the job's caller below
            outcome["error"] = exc
        finally:
            messages.put(end)

    thread = threading.Thread(target=target, name=f"job-{getattr(fn, '__name__', 'function')}", daemon=True)
    thread.start()
    done = 0
    try:
        while (message := messages.get()) is not end:
            done += 1
            yield Progress(min(done, total) if total else done, total, str(message))
    finally:
        stop.set()
        thread.join()
    if "error" in outcome:
        raise outcome["error"]
    return outcome["result"]


class JobProgress(QWidget):
    """What the status bar shows while a job runs: what it is doing, a progress bar and a Cancel button."""

    def __init__(self, parent: QWidget | None = None, *, stacked: bool = False):
        """`stacked`: the message above the bar, wrapped (for a page's narrow side panel); else all in a row."""
        super().__init__(parent)
        self.label = QLabel()
        self.bar = QProgressBar()
        self.bar.setTextVisible(True)
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setToolTip("Stop this job; nothing it was doing is applied")
        self.cancel_button.clicked.connect(self._cancel)
        row = QHBoxLayout()
        row.setContentsMargins(0, 0, 0, 0)
        if stacked:
            self.label.setWordWrap(True)
            outer = QVBoxLayout(self)
            outer.setContentsMargins(0, 4, 0, 4)
            outer.addWidget(self.label)
            outer.addLayout(row)
        else:
            self.bar.setFixedWidth(220)
            self.setLayout(row)
            row.addWidget(self.label)
        row.addWidget(self.bar, 1 if stacked else 0)
        row.addWidget(self.cancel_button)
        self.worker: Worker | None = None
        self.title = ""
        self.hide()

    def bind(self, worker: Worker, title: str) -> None:
        """Follow a worker until it ends."""
        self.worker = worker
        self.title = title
        self.label.setText(f"{title}…")
        self.bar.setRange(0, 0)   # busy until the first report says how much there is
        self.cancel_button.setEnabled(True)
        self.cancel_button.setText("Cancel")
        worker.progress.connect(self._on_progress)
        worker.ended.connect(lambda: self._on_ended(worker))
        self.show()

    def _on_progress(self, done: int, total: int, message: str) -> None:
        if total:
            self.bar.setRange(0, total)
            self.bar.setValue(min(done, total))
        self.label.setText(f"{self.title}: {message}" if message else f"{self.title}…")

    def _cancel(self) -> None:
        if self.worker is not None:
            self.worker.cancel()
            self.cancel_button.setEnabled(False)
            self.cancel_button.setText("Cancelling…")

    def _on_ended(self, worker: Worker) -> None:
        if worker is not self.worker:
            return  # an older worker ending after a newer one was bound
        self.worker = None
        self.hide()


def install_ctrl_c(app, code: int = 130) -> None:
    """Ctrl-C in the terminal that started the app cancels every running job (its worker processes
    stop) and ends the event loop with `code`. Python sees signals only when it runs: a timer wakes it."""
    from PySide6.QtCore import QCoreApplication, QTimer

    def on_ctrl_c(signum, frame) -> None:
        for worker in Worker.running():
            worker.cancel()
        QCoreApplication.exit(code)

    signal.signal(signal.SIGINT, on_ctrl_c)
    timer = QTimer(app)
    timer.timeout.connect(lambda: None)
    timer.start(200)
