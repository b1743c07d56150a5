"""Weekly shift patterns (start time, length, working days) and their coverage of the week's bins.

Day patterns (working days repeat every week, Monday first):

========== ===================================================== ==========================
name       days worked                                           usual shift length
========== ===================================================== ==========================
5on2off    5 consecutive days, 2 off; 7 rotations (Mon-Fri ...)  8 h (40 h a week)
4on3off    4 consecutive days, 3 off; 7 rotations (Mon-Thu ...)  10 h ("4x10"); 12 h (48 h)
3on4off    3 consecutive days, 4 off; 7 rotations (Mon-Wed ...)  12 h (36 h)
everyday   all 7 days; one pattern per start time                quick models and tests
========== ===================================================== ==========================

The 12-hour 3/4 rotations are modelled as the two weekly patterns 3on4off and 4on3off: a unit on either
works the same days every week. A pattern is named "<hours>h <start> <days>", e.g. "8h 07:00 Mon-Fri",
"12h 19:00 Sat-Mon" or "8h 22:00 daily".
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from optimize.bins import DAY_NAMES, MINUTES_PER_DAY, MINUTES_PER_WEEK, n_bins
from optimize.errors import OptimizeError

DAY_PATTERNS: dict[str, int] = {"5on2off": 5, "4on3off": 4, "3on4off": 3, "everyday": 7}
# Which day patterns go with which shift length when the caller does not say: the usual full-time weeks.
STANDARD_DAY_PATTERNS: dict[float, tuple[str, ...]] = {
    8: ("5on2off",),
    10: ("4on3off",),
    12: ("3on4off", "4on3off"),
}


def _days_label(days: tuple[bool, ...]) -> str:
    if all(days):
        return "daily"
    worked = [d for d in range(7) if days[d]]
    # Name a run of consecutive days by its ends, starting after a day off so Sat-Mon reads naturally.
    first_off = next(d for d in range(7) if not days[d])
    order = [(first_off + 1 + k) % 7 for k in range(7)]
    runs: list[list[int]] = []
    previous_worked = False
    for d in order:
        if days[d]:
            if previous_worked:
                runs[-1].append(d)
            else:
                runs.append([d])
        previous_worked = days[d]
    if len(worked) == 1:
        return DAY_NAMES[worked[0]]
    return ",".join(DAY_NAMES[r[0]] if len(r) == 1 else f"{DAY_NAMES[r[0]]}-{DAY_NAMES[r[-1]]}" for r in runs)


@dataclass(frozen=True)
class ShiftPattern:
    """A unit's weekly pattern: a shift of `length_minutes` starting `start_minute` after midnight on each day worked."""

    name: str
    start_minute: int
    length_minutes: int
    days: tuple[bool, ...]  # Monday first; True = a shift starts that day

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not self.name:
            raise OptimizeError(f"name is {self.name!r}, but a shift pattern needs a non-empty name")
        if not isinstance(self.start_minute, int) or not 0 <= self.start_minute < MINUTES_PER_DAY:
            raise OptimizeError(
                f"pattern {self.name!r}: start_minute is {self.start_minute!r}, but it must be a whole number "
                f"of minutes after midnight in [0, 1440)"
            )
        if not isinstance(self.length_minutes, int) or not 0 < self.length_minutes <= MINUTES_PER_DAY:
            raise OptimizeError(
                f"pattern {self.name!r}: length_minutes is {self.length_minutes!r}, but it must be in (0, 1440]"
            )
        days = tuple(bool(d) for d in self.days)
        if len(days) != 7 or not any(days):
            raise OptimizeError(
                f"pattern {self.name!r}: days has {len(days)} entries with {sum(days)} worked, but it must "
                f"have 7 entries (Monday first) with at least one day worked"
            )
        object.__setattr__(self, "days", days)

    @property
    def weekly_hours(self) -> float:
        """Hours worked per week."""
        return sum(self.days) * self.length_minutes / 60

    def coverage(self, bin_minutes: int = 60) -> np.ndarray:
        """0/1 vector over the week's bins: 1 where the unit is on duty for the whole bin (wraps past Sunday)."""
        count = n_bins(bin_minutes)
        out = np.zeros(count, dtype=np.int8)
        for day in range(7):
            if not self.days[day]:
                continue
            start = day * MINUTES_PER_DAY + self.start_minute
            end = start + self.length_minutes
            # Only bins fully inside the shift count: a unit that leaves mid-bin cannot promise that bin.
            first, stop = math.ceil(start / bin_minutes), math.floor(end / bin_minutes)
            out[np.arange(first, stop) % count] = 1
        return out


def coverage_matrix(patterns: Sequence[ShiftPattern], bin_minutes: int = 60) -> np.ndarray:
    """Matrix [n_patterns, n_bins] of 0/1: which bins each pattern covers."""
    if not patterns:
        return np.zeros((0, n_bins(bin_minutes)), dtype=np.int8)
    return np.vstack([p.coverage(bin_minutes) for p in patterns])


def day_pattern_rotations(day_pattern: str) -> list[tuple[bool, ...]]:
    """Every weekly rotation of a named day pattern (7 for 'on/off' patterns, 1 for 'everyday')."""
    if day_pattern not in DAY_PATTERNS:
        raise OptimizeError(
            f"day pattern is {day_pattern!r}, but it must be one of {', '.join(DAY_PATTERNS)}"
        )
    on = DAY_PATTERNS[day_pattern]
    if on == 7:
        return [(True,) * 7]
    return [tuple(((d - first) % 7) < on for d in range(7)) for first in range(7)]


def generate_patterns(
    lengths_hours: Sequence[float] = (8, 10, 12),
    start_every_minutes: int = 60,
    day_patterns: Sequence[str] | Mapping[float, Sequence[str]] | None = None,
    bin_minutes: int = 60,
    *,
    first_start_minute: int = 0,
) -> tuple[ShiftPattern, ...]:
    """All patterns: every length x start time on the grid x weekly rotation of its day patterns.

    `day_patterns` None pairs each length with its usual weeks (STANDARD_DAY_PATTERNS); a sequence applies
    the same day patterns to every length; a mapping gives them per length.
    """
    n_bins(bin_minutes)  # validates that bins divide a day
    if not isinstance(start_every_minutes, int) or start_every_minutes <= 0 or start_every_minutes % bin_minutes:
        raise OptimizeError(
            f"start_every_minutes is {start_every_minutes!r}, but it must be a positive multiple of "
            f"bin_minutes ({bin_minutes}) so every shift starts on a bin boundary"
        )
    if not isinstance(first_start_minute, int) or first_start_minute % bin_minutes:
        raise OptimizeError(
            f"first_start_minute is {first_start_minute!r}, but it must be a multiple of bin_minutes ({bin_minutes})"
        )
    if not lengths_hours:
        raise OptimizeError("lengths_hours is empty, but at least one shift length is needed")
    patterns: list[ShiftPattern] = []
    seen: set[str] = set()
    for hours in lengths_hours:
        minutes = hours * 60
        if not 0 < minutes <= MINUTES_PER_DAY or minutes != int(minutes) or int(minutes) % bin_minutes:
            raise OptimizeError(
                f"shift length {hours!r} h is not usable: it must be at most 24 h and a whole number of "
                f"{bin_minutes}-minute bins"
            )
        if day_patterns is None:
            if hours not in STANDARD_DAY_PATTERNS:
                raise OptimizeError(
                    f"shift length {hours!r} h has no standard day pattern (known: "
                    f"{', '.join(f'{h:g} h' for h in STANDARD_DAY_PATTERNS)}); pass day_patterns"
                )
            names = STANDARD_DAY_PATTERNS[hours]
        elif isinstance(day_patterns, Mapping):
            if hours not in day_patterns:
                raise OptimizeError(f"day_patterns has no entry for shift length {hours!r} h")
            names = tuple(day_patterns[hours])
        else:
            names = tuple(day_patterns)
        for day_pattern in names:
            for days in day_pattern_rotations(day_pattern):
                for start in range(first_start_minute % MINUTES_PER_DAY, MINUTES_PER_DAY, start_every_minutes):
                    name = f"{hours:g}h {start // 60:02d}:{start % 60:02d} {_days_label(days)}"
                    if name in seen:
                        continue
                    seen.add(name)
                    patterns.append(ShiftPattern(name, start, int(minutes), days))
    return tuple(patterns)


def week_mask(bin_minutes: int, *, days: Sequence[int] = range(7), start_hour: float, end_hour: float) -> np.ndarray:
    """0/1 vector over the week's bins: 1 from start_hour to end_hour (24 = midnight) on the given days."""
    count = n_bins(bin_minutes)
    out = np.zeros(count, dtype=np.int8)
    per_day = MINUTES_PER_DAY // bin_minutes
    first, stop = int(start_hour * 60) // bin_minutes, math.ceil(end_hour * 60 / bin_minutes)
    if not 0 <= first < per_day or not first < stop <= 2 * per_day:
        raise OptimizeError(
            f"start_hour {start_hour!r} and end_hour {end_hour!r} do not make a window within a day "
            f"(end may pass midnight, up to 48)"
        )
    for day in days:
        out[(day * per_day + np.arange(first, stop)) % count] = 1
    return out


__all__ = [
    "DAY_PATTERNS",
    "STANDARD_DAY_PATTERNS",
    "MINUTES_PER_WEEK",
    "ShiftPattern",
    "coverage_matrix",
    "day_pattern_rotations",
    "generate_patterns",
    "week_mask",
]
