"""Replications: in process, on a local process pool, or on a Dask cluster, with the same numbers.

Replication i always draws from child i of `SeedSequence(seed)`, so where it runs and in which order
the replications finish change nothing but the wall-clock time.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import signal
from collections.abc import Generator, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from dataclasses import dataclass
from typing import Any, NamedTuple

import numpy as np
import pandas as pd

from simulation.engine import ReplicationResult, simulate_once
from simulation.errors import SimulationError
from simulation.spec import SimConfig
from simulation.stats import summarise


class Progress(NamedTuple):
    """How far a long job has come."""

    done: int
    total: int
    message: str


@dataclass(frozen=True, eq=False)
class SimulationResult:
    """All replications (in replication order) and their KPIs summarised with 95% intervals."""

    replications: list[ReplicationResult]
    kpis: pd.DataFrame
    seed: int
    workers: int
    scheduler: str | None = None


def replication_seeds(seed: int, replications: int) -> list[np.random.SeedSequence]:
    """The seed of each replication: the children of one SeedSequence, child i for replication i."""
    return np.random.SeedSequence(seed).spawn(replications)


def replicate(config: SimConfig, seed: np.random.SeedSequence) -> ReplicationResult:
    """One replication with its own generator (the unit of work sent to workers)."""
    return simulate_once(config, np.random.default_rng(seed))


def run_replications(
    config: SimConfig,
    replications: int,
    seed: int,
    workers: int = 1,
    scheduler: str | None = None,
) -> Generator[Progress, None, SimulationResult]:
    """Run `replications` replications, yielding Progress after each; returns the SimulationResult.

    workers = 1 (or a single replication) runs here; workers > 1 on a process pool ("spawn": the app
    is a Qt process, never fork it); `scheduler` ("tcp://host:port") on that Dask cluster instead.
    Closing the generator cancels the work still pending and stops the workers; arguments are checked
    at the call, before the first step.
    """
    if isinstance(replications, bool) or not isinstance(replications, int) or replications < 1:
        raise SimulationError(f"replications is {replications!r}, expected a whole number >= 1")
    if isinstance(workers, bool) or not isinstance(workers, int) or workers < 1:
        raise SimulationError(f"workers is {workers!r}, expected a whole number >= 1")
    if isinstance(seed, bool) or not isinstance(seed, int | np.integer) or seed < 0:
        raise SimulationError(f"seed is {seed!r}, expected a whole number >= 0")
    return _replications(config, replications, int(seed), workers, scheduler)


def _replications(
    config: SimConfig, replications: int, seed: int, workers: int, scheduler: str | None
) -> Generator[Progress, None, SimulationResult]:
    """The generator behind run_replications (arguments already checked, so errors surface at the call)."""
    seeds = replication_seeds(seed, replications)
    results: list[ReplicationResult | None] = [None] * replications
    finished: Generator[tuple[int, ReplicationResult], None, None]
    if scheduler is not None:
        finished = _on_dask(config, seeds, scheduler)
    elif workers > 1 and replications > 1:
        finished = _on_pool(config, seeds, min(workers, replications))
    else:
        finished = ((i, replicate(config, s)) for i, s in enumerate(seeds))
    try:
        for done, (i, result) in enumerate(finished, start=1):
            results[i] = result
            yield Progress(done, replications, f"replication {i + 1} of {replications} finished")
    finally:
        # On cancel (the consumer closed this generator) this stops the pool or the cluster's work.
        finished.close()
    complete = [r for r in results if r is not None]
    return SimulationResult(
        replications=complete,
        kpis=summarise([r.kpis for r in complete]),
        seed=seed,
        workers=workers,
        scheduler=scheduler,
    )


# How long to try reaching a Dask scheduler before giving up with a SimulationError.
DASK_CONNECT_TIMEOUT_SECONDS = 10.0

# The config a pool worker received once, at start-up, instead of with every replication.
_worker_config: SimConfig | None = None


def _init_worker(config: SimConfig) -> None:
    global _worker_config
    _worker_config = config


def _replicate_in_worker(seed: np.random.SeedSequence) -> ReplicationResult:
    assert _worker_config is not None
    return replicate(_worker_config, seed)


def _on_pool(
    config: SimConfig, seeds: list[np.random.SeedSequence], workers: int
) -> Generator[tuple[int, ReplicationResult], None, None]:
    """Run on a local spawn-started process pool; yield (replication, result) as each finishes."""
    executor = ProcessPoolExecutor(
        max_workers=workers,
        mp_context=multiprocessing.get_context("spawn"),
        initializer=_init_worker,
        initargs=(config,),
    )
    completed = False
    try:
        # The workers start at the first submit. Started with Ctrl-C held back, they keep it held back all
        # their lives: a Ctrl-C at the terminal reaches this process alone, which stops them; and none arrives
        # while the executor holds its locks.
        with _sigint_held():
            pending: dict[Future[ReplicationResult], int] = {
                executor.submit(_replicate_in_worker, s): i for i, s in enumerate(seeds)
            }
            _live.add(executor)
        while pending:
            done, _ = wait(pending, return_when=FIRST_COMPLETED)
            # Several may finish together: hand them on in replication order.
            for future in sorted(done, key=pending.__getitem__):
                i = pending.pop(future)
                yield i, future.result()
        completed = True
    finally:
        try:
            if completed:
                executor.shutdown(wait=True)
            else:
                _stop_pool(executor)
        finally:
            _live.discard(executor)


# Pools with running workers, for kill_workers.
_live: set[ProcessPoolExecutor] = set()


@contextlib.contextmanager
def _sigint_held() -> Iterator[None]:
    """Block SIGINT in this thread (POSIX); a Ctrl-C meanwhile is delivered when the block ends."""
    if not hasattr(signal, "pthread_sigmask"):
        yield
        return
    before = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, before)


def kill_workers() -> None:
    """End every pool worker of this process at once (the last resort of a cancel that does not finish)."""
    for executor in list(_live):
        for process in list((getattr(executor, "_processes", None) or {}).values()):
            with contextlib.suppress(Exception):
                process.kill()


def _stop_pool(executor: ProcessPoolExecutor) -> None:
    """Cancel what has not started and end the workers now, without waiting for running replications."""
    # No public way to end running work before Python 3.14 (terminate_workers): use the executor's
    # process table and manager thread, as its own broken-pool handling does.
    processes = list((getattr(executor, "_processes", None) or {}).values())
    manager = getattr(executor, "_executor_manager_thread", None)
    executor.shutdown(wait=False, cancel_futures=True)
    for process in processes:
        if process.is_alive():
            process.terminate()
    # The manager thread sees the workers die, fails their futures and reaps them; wait for it before
    # reaping here, so the two never race for the same exit status.
    if manager is not None:
        manager.join(timeout=10)
    for process in processes:
        process.join(timeout=10)
        if process.is_alive():
            process.kill()
            process.join(timeout=10)


def _on_dask(
    config: SimConfig, seeds: list[np.random.SeedSequence], scheduler: str
) -> Generator[tuple[int, ReplicationResult], None, None]:
    """Run on the Dask distributed cluster at `scheduler`; yield (replication, result) as each finishes."""
    try:
        from distributed import Client, as_completed
    except ImportError as exc:
        raise SimulationError(
            f"scheduler is {scheduler!r}, but dask distributed is not installed: "
            "install coplan with the 'dask' extra (pip install 'coplan[dask]')"
        ) from exc
    try:
        client = Client(scheduler, set_as_default=False, timeout=DASK_CONNECT_TIMEOUT_SECONDS)
    except (OSError, TimeoutError, ValueError) as exc:
        raise SimulationError(f"scheduler {scheduler!r}: cannot connect ({exc})") from exc
    futures: list[Any] = []
    completed = False
    try:
        # The config goes to every worker once, not with each replication.
        shared = client.scatter(config, broadcast=True, hash=False)
        futures = [client.submit(replicate, shared, s, pure=False) for s in seeds]
        index = {future.key: i for i, future in enumerate(futures)}
        for future in as_completed(futures, loop=client.loop):
            yield index[future.key], future.result()
        completed = True
    finally:
        if futures and not completed:
            client.cancel(futures)
        client.close()
