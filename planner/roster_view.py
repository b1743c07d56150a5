"""A roster as a person reads it: shifts grouped into watches ("Day watch 07:00, 4x10 h, 6 units").

A plan's roster is many shift patterns (a start time, a length, the days worked); a department thinks in
watches: the units that start at one time on one rotation. The app, the PDF and the workbook show the same
grouping from here.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import optimize as opt

# Watch names by the hour a shift starts (police usage: day, evening and night watches, and a mid-day overlap).
_WATCHES = ((4, 10, "Day watch"), (10, 14, "Mid-day overlap"), (14, 19, "Evening watch"))


def watch_name(start_minute: int) -> str:
    """'Day watch', 'Mid-day overlap', 'Evening watch' or 'Night watch', by the hour a shift starts."""
    hour = (start_minute // 60) % 24
    for first, stop, name in _WATCHES:
        if first <= hour < stop:
            return name
    return "Night watch"


def rotation_name(pattern: opt.ShiftPattern) -> str:
    """'5x8 h', '4x10 h', '3x12 h', 'Pitman 2-2-3, 12 h', 'daily post, 10 h' or 'Mon-Wed, 12 h'."""
    hours = pattern.length_minutes / 60
    worked = sum(pattern.days)
    if getattr(pattern, "teams", 1) == 2:
        return f"Pitman 2-2-3, {hours:g} h"
    if worked == 7:
        return f"daily post, {hours:g} h"
    if (worked, hours) in ((5, 8), (4, 10), (3, 12)):
        return f"{worked}x{hours:g} h"
    return f"{opt.days_label(pattern.days)}, {hours:g} h"


@dataclass(frozen=True)
class Watch:
    """The units of one type that start at one time on one rotation."""

    responder: str
    name: str             # "Day watch"
    start_minute: int
    rotation: str         # "4x10 h"
    units: int
    patterns: tuple[str, ...]   # the shift patterns (days of the rotation) it gathers

    @property
    def label(self) -> str:
        """'Day watch 07:00, 4x10 h, 6 units'."""
        start = f"{self.start_minute // 60:02d}:{self.start_minute % 60:02d}"
        return f"{self.name} {start}, {self.rotation}, {self.units} unit{'s' if self.units != 1 else ''}"


def watches(units_by_pattern: Mapping[str, Mapping[str, int]],
            patterns: Mapping[str, opt.ShiftPattern]) -> list[Watch]:
    """Every type's units grouped by start time and rotation, earliest start first."""
    out = []
    for responder, pats in units_by_pattern.items():
        groups: dict[tuple[int, str], list[tuple[str, int]]] = {}
        for name, n in pats.items():
            if not n:
                continue
            p = patterns[name]
            groups.setdefault((p.start_minute, rotation_name(p)), []).append((name, int(n)))
        for (start, rotation), members in sorted(groups.items()):
            out.append(Watch(responder, watch_name(start), start, rotation, sum(n for _, n in members),
                             tuple(name for name, _ in members)))
    return out
