"""Unit shifts: weekly on-duty counts become on-duty intervals, one per unit and shift."""

from __future__ import annotations

from collections import deque

import numpy as np

WEEK_MINUTES = 7 * 24 * 60


def on_duty_to_shifts(on_duty: np.ndarray, bin_minutes: int, until: float) -> np.ndarray:
    """On-duty intervals, shape (n, 2) of (start, end) minutes, for a weekly count repeated up to `until`.

    Bin 0 of `on_duty` is Monday 00:00 and the clock starts on a Monday at minute 0. When the count rises,
    new units come on; when it drops, the units that have been on longest go off first, so each
    interval is one unit's shift. Units still on at `until` are cut there.

    These are not a roster anyone works: units at the week's lowest count never go off duty, and a brief
    rise is a shift of that length. Where the real shifts are known, pass them as shifts instead.
    """
    counts = np.asarray(on_duty, dtype=np.int64)
    n_total = int(np.ceil(until / bin_minutes)) if until > 0 else 0
    # Only the bins where the count changes matter; walk those, not every bin.
    full = np.resize(counts, n_total) if n_total else np.zeros(0, dtype=np.int64)
    previous = np.concatenate(([0], full[:-1])) if n_total else full
    changes = np.flatnonzero(full != previous)
    on_since: deque[float] = deque()
    starts: list[float] = []
    ends: list[float] = []
    for b in changes.tolist():
        now = float(b * bin_minutes)
        delta = int(full[b]) - len(on_since)
        if delta > 0:
            on_since.extend([now] * delta)
        else:
            for _ in range(-delta):
                starts.append(on_since.popleft())
                ends.append(now)
    for start in on_since:
        if start < until:
            starts.append(start)
            ends.append(float(until))
    out = np.column_stack((np.asarray(starts, dtype=float), np.asarray(ends, dtype=float)))
    return out.reshape(-1, 2)


def max_on_duty(intervals: np.ndarray) -> int:
    """The largest number of intervals that overlap at any instant (an interval is [start, end))."""
    if len(intervals) == 0:
        return 0
    times = np.concatenate((intervals[:, 0], intervals[:, 1]))
    # Ends sort before starts at the same minute: a shift ending at t and one starting at t never overlap.
    steps = np.concatenate((np.ones(len(intervals)), -np.ones(len(intervals))))
    order = np.lexsort((steps, times))
    return int(np.cumsum(steps[order]).max())
