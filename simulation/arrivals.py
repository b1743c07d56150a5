"""Call arrivals: a replayed trace or a weekly non-homogeneous Poisson process drawn by thinning."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from simulation.errors import SimulationError
from simulation.spec import PoissonArrivals, SimConfig, TraceArrivals


@dataclass(frozen=True, eq=False)
class CallStream:
    """The calls of one replication in arrival order; `on_scene_minutes` is NaN where it is to be drawn."""

    call_index: np.ndarray
    minute: np.ndarray
    category: np.ndarray
    priority: np.ndarray
    units: np.ndarray
    on_scene_minutes: np.ndarray

    def __len__(self) -> int:
        return len(self.minute)


def draw_calls(config: SimConfig, rng: np.random.Generator) -> CallStream:
    """The calls arriving in [0, horizon): the trace's, or a fresh draw from the Poisson rates."""
    arrivals = config.arrivals
    horizon = config.horizon_minutes
    if isinstance(arrivals, TraceArrivals):
        keep = np.flatnonzero(arrivals.minute < horizon)
        # Stable, so calls at the same minute keep the trace's order.
        order = keep[np.argsort(arrivals.minute[keep], kind="stable")]
        return CallStream(
            call_index=order.astype(np.int64),
            minute=arrivals.minute[order],
            category=arrivals.category[order],
            priority=arrivals.priority[order],
            units=arrivals.units[order],
            on_scene_minutes=arrivals.on_scene_minutes[order],
        )
    assert isinstance(arrivals, PoissonArrivals)
    minute, week_bin = poisson_minutes(
        arrivals.rates_per_hour.sum(axis=0) * arrivals.growth, arrivals.bin_minutes, horizon, rng
    )
    rates = arrivals.rates_per_hour[:, week_bin].T
    category = categorical_draws(rates / rates.sum(axis=1, keepdims=True), rng)
    priority = categorical_draws(arrivals.priority_probs[category], rng) + 1
    units = categorical_draws(arrivals.units_probs[category], rng) + 1
    n = len(minute)
    return CallStream(
        call_index=np.arange(n, dtype=np.int64),
        minute=minute,
        category=category,
        priority=priority,
        units=units,
        on_scene_minutes=np.full(n, np.nan),
    )


def poisson_minutes(
    rates_per_hour: np.ndarray, bin_minutes: int, horizon: float, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """Arrival minutes in [0, horizon) of a Poisson process with weekly-repeating piecewise rates.

    Thinning (Lewis & Shedler): draw a homogeneous process at the peak rate, keep each point with
    probability rate(t) / peak. Returns the sorted minutes and each one's weekly bin.
    """
    per_minute = np.asarray(rates_per_hour, dtype=float) / 60.0
    peak = float(per_minute.max()) if per_minute.size else 0.0
    if peak <= 0.0:
        return np.zeros(0), np.zeros(0, dtype=np.int64)
    # The homogeneous candidates: a Poisson count, then that many sorted uniform times.
    candidates = np.sort(rng.uniform(0.0, horizon, rng.poisson(peak * horizon)))
    week_bin = (candidates // bin_minutes).astype(np.int64) % len(per_minute)
    keep = rng.uniform(0.0, peak, len(candidates)) < per_minute[week_bin]
    return candidates[keep], week_bin[keep]


def categorical_draws(probs: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """One draw per row of `probs` (n, k): the index j with probability probs[row, j]."""
    n, k = probs.shape
    if k == 1 or n == 0:
        return np.zeros(n, dtype=np.int64)
    cumulative = np.cumsum(probs, axis=1)
    u = rng.uniform(0.0, 1.0, n)
    # Rounding can leave the last cumulative value a hair under 1: clip into range.
    return np.minimum((u[:, None] >= cumulative).sum(axis=1), k - 1).astype(np.int64)


def replay_trace_minutes(received_at: Any, origin: Any = None) -> np.ndarray:
    """Simulation-clock minutes of call times, measured on the local wall clock from a Monday 00:00.

    `origin` defaults to the Monday 00:00 on or before the first call. Wall-clock time is used (a
    time-zone-aware stamp is read in its own zone) so that hour-of-week bins stay aligned with the
    roster across daylight-saving changes.
    """
    stamps = pd.DatetimeIndex(pd.to_datetime(received_at))
    if stamps.hasnans:
        position = int(np.flatnonzero(stamps.isna())[0])
        raise SimulationError(f"call times: entry {position} is missing, expected a time for every call")
    if stamps.tz is not None:
        stamps = stamps.tz_localize(None)
    if origin is None:
        if len(stamps) == 0:
            return np.zeros(0)
        first = stamps.min().normalize()
        origin = first - pd.Timedelta(days=first.weekday())
    else:
        origin = pd.Timestamp(origin)
        if origin.tz is not None:
            origin = origin.tz_localize(None)
        if origin.weekday() != 0 or origin != origin.normalize():
            raise SimulationError(f"trace origin is {origin}, expected a Monday at 00:00")
    return np.asarray((stamps - origin) / pd.Timedelta(minutes=1), dtype=float)
