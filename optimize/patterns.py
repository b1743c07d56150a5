"""Weekly shift patterns (start time, length, working days) and their coverage of the week's bins.

Day patterns (working days repeat every week, Monday first):

========== ===================================================== ==========================
name       days worked                                           usual shift length
========== ===================================================== ==========================
5on2off    5 consecutive days, 2 off; 7 rotations (Mon-Fri ...)  8 h ("5x8", 40 h a week)
4on3off    4 consecutive days, 3 off; 7 rotations (Mon-Thu ...)  10 h ("4x10", 40 h a week)
3on4off    3 consecutive days, 4 off; 7 rotations (Mon-Wed ...)  12 h ("3x12", 36 h a week)
pitman     every day, by two teams (Pitman 2-2-3)                12 h only
everyday   all 7 days; one pattern per start time                quick models and tests
========== ===================================================== ==========================

Pitman 2-2-3 is a 14-day cycle (2 on, 2 off, 3 on, 2 off, 2 on, 3 off): two teams on it alternate so one
post is filled 12 hours every day, each team working 42 hours a week on average. A weekly model cannot
follow one team through its 14 days, so a pitman pattern is the pair: one unit on it is one post filled
every day (84 unit-hours a week) and it takes two teams (`ShiftPattern.teams`), so it costs what two
teams cost.

A pattern is named "<hours>h <start> <days>", e.g. "8h 07:00 Mon-Fri", "12h 19:00 Sat-Mon" (a run that
wraps over the weekend is still written as a run), "12h 07:00 Pitman 2-2-3" or "8h 22:00 daily".
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from optimize.bins import DAY_NAMES, MINUTES_PER_DAY, MINUTES_PER_WEEK, n_bins
from optimize.errors import OptimizeError

DAY_PATTERNS: dict[str, int] = {"5on2off": 5, "4on3off": 4, "3on4off": 3, "pitman": 7, "everyday": 7}
# Which day patterns go with which shift length when the caller does not say: the standard rotations
# a department runs (5x8, 4x10, 3x12 and Pitman 2-2-3 for 12 h).
STANDARD_DAY_PATTERNS: dict[float, tuple[str, ...]] = {
    8: ("5on2off",),
    10: ("4on3off",),
    12: ("3on4off", "pitman"),
}
PITMAN_LABEL = "Pitman 2-2-3"
PITMAN_HOURS = 12
# Teams that share one post of a day pattern (one team unless said here).
TEAMS_PER_POST: dict[str, int] = {"pitman": 2}


def day_runs(days: Sequence[bool]) -> list[list[int]]:
    """Runs of consecutive worked days (Monday = 0), a run may wrap from Sunday into Monday; Monday-first order."""
    days = tuple(bool(d) for d in days)
    if all(days):
        return [list(range(7))]
    runs: list[list[int]] = []
    for d in range(7):
        if days[d] and not days[(d - 1) % 7]:  # a run starts on a worked day after a day off
            run = [d]
            while days[(run[-1] + 1) % 7]:
                run.append((run[-1] + 1) % 7)
            runs.append(run)
    return runs


def days_label(days: Sequence[bool]) -> str:
    """Worked days as runs: 'daily', 'Mon-Fri', 'Fri-Mon' (wrapping over the weekend), 'Sun', 'Mon,Wed'."""
    if all(days):
        return "daily"
    return ",".join(
        DAY_NAMES[r[0]] if len(r) == 1 else f"{DAY_NAMES[r[0]]}-{DAY_NAMES[r[-1]]}" for r in day_runs(days)
    )


@dataclass(frozen=True)
class ShiftPattern:
    """A unit's weekly pattern: a shift of `length_minutes` starting `start_minute` after midnight on each day worked.

    `teams` is how many teams keep one unit on the pattern (2 for Pitman 2-2-3, whose two teams alternate).
    """

    name: str
    start_minute: int
    length_minutes: int
    days: tuple[bool, ...]  # Monday first; True = a shift starts that day
    teams: int = 1

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
        if isinstance(self.teams, bool) or not isinstance(self.teams, int) or self.teams < 1:
            raise OptimizeError(f"pattern {self.name!r}: teams is {self.teams!r}, but it must be a whole number >= 1")

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


def distinct_starts(patterns: Sequence[ShiftPattern]) -> tuple[int, ...]:
    """The distinct start times (minutes after midnight) of the patterns, earliest first."""
    return tuple(sorted({p.start_minute for p in patterns}))


def day_pattern_rotations(day_pattern: str) -> list[tuple[bool, ...]]:
    """Every weekly rotation of a named day pattern (7 for 'on/off' patterns, 1 for 'everyday' and 'pitman')."""
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
            if day_pattern == "pitman" and hours != PITMAN_HOURS:
                raise OptimizeError(
                    f"day pattern 'pitman' is the 12 h {PITMAN_LABEL} rotation, but shift length is {hours!r} h"
                )
            teams = TEAMS_PER_POST.get(day_pattern, 1)
            for days in day_pattern_rotations(day_pattern):
                label = PITMAN_LABEL if day_pattern == "pitman" else days_label(days)
                for start in range(first_start_minute % MINUTES_PER_DAY, MINUTES_PER_DAY, start_every_minutes):
                    name = f"{hours:g}h {start // 60:02d}:{start % 60:02d} {label}"
                    if name in seen:
                        continue
                    seen.add(name)
                    patterns.append(ShiftPattern(name, start, int(minutes), days, teams))
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
    "MINUTES_PER_WEEK",
    "PITMAN_LABEL",
    "STANDARD_DAY_PATTERNS",
    "TEAMS_PER_POST",
    "ShiftPattern",
    "coverage_matrix",
    "day_pattern_rotations",
    "day_runs",
    "days_label",
    "distinct_starts",
    "generate_patterns",
    "week_mask",
]
