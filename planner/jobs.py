"""One pattern for every long job: a plain generator that yields Progress and returns its result.

The app runs such a generator on a worker thread, the CLI runs it with a terminal progress bar, tests
run it directly. Cancelling means closing the generator: its `finally` blocks stop child processes.
"""

from __future__ import annotations

import contextlib
import os
import signal
import sys
import threading
import time
from collections.abc import Generator
from typing import Any, NamedTuple, TextIO, TypeVar

T = TypeVar("T")


class Progress(NamedTuple):
    """How far a job has got; total 0 means the amount of work is not known."""

    done: int
    total: int
    message: str


Job = Generator[Any, None, T]


def run_job(job: Job[T], on_progress=None) -> T:
    """Drive a job to its end, calling on_progress(progress) for each step; returns the job's result."""
    while True:
        try:
            p = next(job)
        except StopIteration as stop:
            return stop.value
        if on_progress is not None:
            on_progress(p)


class TerminalProgress:
    """A one-line progress bar on a terminal; plain lines (or nothing) when output is not a terminal."""

    def __init__(self, label: str, stream: TextIO | None = None, quiet: bool = False):
        self.label = label
        self.stream = stream or sys.stderr
        self.quiet = quiet
        self.tty = self.stream.isatty()
        self.started = time.monotonic()
        self._last = ""

    def __call__(self, p: Any) -> None:
        if self.quiet:
            return
        done, total, message = p.done, p.total, p.message
        elapsed = time.monotonic() - self.started
        if self.tty:
            width = 28
            if total:
                filled = int(width * min(done, total) / total)
                bar = "#" * filled + "-" * (width - filled)
                line = f"\r{self.label} [{bar}] {done}/{total} {message[:40]:<40} {elapsed:5.1f}s"
            else:
                line = f"\r{self.label} {message[:60]:<60} {elapsed:5.1f}s"
            self.stream.write(line)
            self.stream.flush()
        else:
            line = f"{self.label}: {done}/{total} {message}" if total else f"{self.label}: {message}"
            if line != self._last:
                self.stream.write(line + "\n")
                self._last = line

    def close(self) -> None:
        if self.tty and not self.quiet:
            self.stream.write("\n")
            self.stream.flush()


# After Ctrl-C a run has this long to stop its workers and exit on its own; then they are killed and the
# process ends with code 130, so a cancel that gets stuck (a lock an interrupt left held) never hangs.
# Only the coplan program arms it (planner.cli.main run as a program), never a process that goes on.
CANCEL_GRACE_SECONDS = 5.0
EXIT_CANCELLED = 130
hard_exit_on_cancel = False


def run_in_terminal(job: Job[T], label: str, quiet: bool = False) -> T:
    """Run a job with a progress bar; Ctrl-C closes the job (stopping its workers) and re-raises."""
    bar = TerminalProgress(label, quiet=quiet)
    with _watchdog_on_ctrl_c():
        try:
            return run_job(job, bar)
        except KeyboardInterrupt:
            job.close()
            raise
        finally:
            bar.close()


@contextlib.contextmanager
def _watchdog_on_ctrl_c():
    """While a job runs, Ctrl-C also starts the watchdog (when the program armed it), at the moment it
    arrives: the job's own clean-up may run before the interrupt reaches run_in_terminal."""
    if not hard_exit_on_cancel or threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.getsignal(signal.SIGINT)

    def on_ctrl_c(signum, frame):
        _exit_after_grace()
        signal.signal(signal.SIGINT, signal.default_int_handler)
        raise KeyboardInterrupt

    signal.signal(signal.SIGINT, on_ctrl_c)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


def _exit_after_grace(grace: float = CANCEL_GRACE_SECONDS) -> None:
    """Start a watchdog: if this process has not exited `grace` seconds from now, kill its simulation
    workers and end it (daemon thread: a normal exit does not wait for it)."""

    def watchdog() -> None:
        time.sleep(grace)
        runner = sys.modules.get("simulation.runner")
        if runner is not None:
            runner.kill_workers()
        sys.stderr.flush()
        os._exit(EXIT_CANCELLED)

    threading.Thread(target=watchdog, name="coplan-cancel-watchdog", daemon=True).start()
