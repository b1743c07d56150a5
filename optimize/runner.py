"""Progress reports and cancellable solves: run a model in a child process that closing the generator stops."""

from __future__ import annotations

import inspect
import multiprocessing
import os
import signal
import time
import traceback
from collections.abc import Callable, Generator
from typing import Any, NamedTuple, TypeVar

from optimize.errors import OptimizeError

T = TypeVar("T")


class Progress(NamedTuple):
    """One progress report of a long job: `done` of `total` steps, and what is happening."""

    done: int
    total: int
    message: str


def _child_main(connection: Any, function: Callable[..., Any], args: tuple, kwargs: dict) -> None:
    """Entry point of the child: run the job, forward its Progress, send back its result or error."""
    if hasattr(os, "setsid"):
        # Its own process group (setsid) lets the parent stop the child with any solver program it started (CBC).
        try:
            os.setsid()
        except OSError:
            pass
    try:
        outcome = function(*args, **kwargs)
        if inspect.isgenerator(outcome):
            while True:
                try:
                    report = next(outcome)
                except StopIteration as stop:
                    outcome = stop.value
                    break
                connection.send(("progress", tuple(report)))
        connection.send(("result", outcome))
    except BaseException as exc:  # the parent must learn of every failure, not wait for a silent exit
        text = "".join(traceback.format_exception(exc))
        try:
            connection.send(("error", (exc, text)))
        except Exception:
            connection.send(("error", (None, text)))
    finally:
        connection.close()


def _stop(process: multiprocessing.process.BaseProcess) -> None:
    """Terminate the child and whatever it started, then reap it."""
    if process.is_alive():
        try:
            if hasattr(os, "killpg") and process.pid is not None and os.getpgid(process.pid) == process.pid:
                os.killpg(process.pid, signal.SIGTERM)
            else:
                process.terminate()
        except (ProcessLookupError, PermissionError, OSError):
            process.terminate()
        process.join(2.0)
        if process.is_alive():
            process.kill()
    process.join(1.0)


def solve_cancellable(
    function: Callable[..., T | Generator[Any, None, T]],
    *args: Any,
    poll_seconds: float = 0.2,
    expected_seconds: float | None = None,
    **kwargs: Any,
) -> Generator[Progress, None, T]:
    """Run function(*args, **kwargs) in a "spawn" child, yielding Progress while it runs; return its result.

    `function` must be importable at module level (it is pickled by name). If it returns a generator of
    Progress (e.g. `pareto_sweep`), its reports are passed on. Closing this generator terminates the child.
    The total of the heartbeat reports is `expected_seconds`, or the `time_limit` keyword when given.
    """
    if poll_seconds <= 0:
        raise OptimizeError(f"poll_seconds is {poll_seconds!r}, but it must be a positive number of seconds")
    context = multiprocessing.get_context("spawn")
    receiver, sender = context.Pipe(duplex=False)
    process = context.Process(target=_child_main, args=(sender, function, args, kwargs), daemon=True)
    limit = expected_seconds if expected_seconds is not None else kwargs.get("time_limit")
    total = int(round(limit)) if isinstance(limit, int | float) and limit > 0 else 0
    started = time.monotonic()
    last: Progress | None = None
    process.start()
    sender.close()  # the child holds the only writing end now, so a dead child reads as EOF here
    try:
        while True:
            if receiver.poll(poll_seconds):
                try:
                    kind, payload = receiver.recv()
                except EOFError:
                    break
                if kind == "progress":
                    last = Progress(*payload)
                    yield last
                    continue
                if kind == "result":
                    return payload
                exc, text = payload
                if isinstance(exc, OptimizeError):
                    raise exc
                raise OptimizeError(f"the solve failed in its worker process:\n{text}")
            if not process.is_alive() and not receiver.poll(0):
                break
            elapsed = time.monotonic() - started
            if last is not None:
                yield Progress(last.done, last.total, f"{last.message} ({elapsed:.1f} s)")
            else:
                limit_text = f" of at most {total} s" if total else ""
                yield Progress(min(int(elapsed), total) if total else int(elapsed), total,
                               f"solving: {elapsed:.1f} s{limit_text}")
        process.join(1.0)
        raise OptimizeError(f"the solver process ended without a result (exit code {process.exitcode})")
    finally:
        receiver.close()
        _stop(process)
