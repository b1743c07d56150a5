"""Scenario files (TOML): demand, responders and their staffing, policy per category, targets, costs.

Loading validates everything once and names the key, the value and what was expected; everything
downstream (simulation, optimisation, reports) trusts a loaded Scenario. See README for a full example.
"""

from __future__ import annotations

import math
import re
import tomllib
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

import numpy as np
import tomli_w

from optimize.patterns import days_label as _days_label
from planner.errors import ScenarioError
from planner.fileio import atomic_write_text
from planner.limits import check_scenario_limits

DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
OUTCOMES = ("arrest", "jail_booking", "er_transport")
FALLBACK_TYPE = "officer"
HOURS_PER_WEEK = 168
# Distinct shift start times a type's roster may use when the scenario does not say: day, evening and
# night watches for patrol; two for civilian teams (DESIGN: "Rosters a department can run").
DEFAULT_MAX_START_TIMES = {FALLBACK_TYPE: 3}
DEFAULT_MAX_START_TIMES_CIVILIAN = 2
# Shift lengths with a standard rotation (5x8, 4x10, 3x12 and Pitman 2-2-3 for 12 h).
STANDARD_SHIFT_HOURS = (8.0, 10.0, 12.0)


def default_max_start_times(responder: str) -> int:
    """At most this many shift start times a day for a type's roster unless the scenario says otherwise."""
    return DEFAULT_MAX_START_TIMES.get(responder, DEFAULT_MAX_START_TIMES_CIVILIAN)


# Officers a department keeps on duty in every hour, whatever the load (DESIGN: "a minimum number of
# officers on duty every hour"); a scenario's min_on_duty replaces it. Civilian types have none.
DEFAULT_MIN_ON_DUTY = {FALLBACK_TYPE: 2.0}

# The chance that a civilian unit on scene calls police for backup, when the policy does not say:
# Eugene's CAHOOTS answered about 24,000 calls in 2019 and asked police for backup about 150 times.
DEFAULT_BACKUP_RATE = 150 / 24000
BACKUP_RATE_SOURCE = ("CAHOOTS, Eugene OR, 2019: police backup requested about 150 times in about 24,000 calls "
                      "(0.6%)")


def default_min_on_duty(responder: str) -> float:
    """Units a type keeps on duty in every hour unless the scenario says otherwise (2 officers, else 0)."""
    return DEFAULT_MIN_ON_DUTY.get(responder, 0.0)


# Time on scene (minutes) when the export has no timestamps to measure it. Mental-health calls take
# longer on scene than others (one study: 44%-182% longer); these defaults sit inside that range.
DEFAULT_ON_SCENE_MINUTES = {
    "behavioral_health": 70.0, "substance": 50.0, "welfare_check": 40.0, "homelessness": 30.0,
    "family_youth": 50.0, "victim_support": 45.0, "disturbance": 30.0, "violent_crime": 75.0,
    "property_crime": 45.0, "traffic": 40.0, "alarm": 15.0, "self_initiated": 15.0, "admin": 45.0,
    "other": 35.0,
}
# Share of calls by priority when the export has none (1 = most urgent).
DEFAULT_PRIORITY = {
    "violent_crime": {1: 0.7, 2: 0.3}, "traffic": {1: 0.3, 2: 0.5, 3: 0.2}, "alarm": {2: 1.0},
    "behavioral_health": {1: 0.3, 2: 0.6, 3: 0.1}, "substance": {1: 0.3, 2: 0.6, 3: 0.1},
    "welfare_check": {1: 0.2, 2: 0.5, 3: 0.3},
}
DEFAULT_PRIORITY_OTHER = {2: 0.5, 3: 0.5}


# ------------------------------------------------------------------------------------------- model
@dataclass(frozen=True)
class ShiftBlock:
    """`units` units work `hours` hours from `start_minute` (after midnight) on the given weekdays."""

    start_minute: int
    hours: float
    days: tuple[bool, ...]
    units: int

    def label(self) -> str:
        h, m = divmod(self.start_minute, 60)
        return f"{h:02d}:{m:02d} {self.hours:g}h {days_label(self.days)}"


def blocks_on_duty(blocks: tuple[ShiftBlock, ...], bin_minutes: int = 60) -> np.ndarray:
    """Units on duty per weekly bin under shift blocks (the average over the bin where a shift starts inside it)."""
    n = 10080 // bin_minutes
    per_min = np.zeros(10080)
    for s in blocks:
        for d, works in enumerate(s.days):
            if works:
                start = d * 1440 + s.start_minute
                idx = np.arange(start, start + int(round(s.hours * 60))) % 10080
                per_min[idx] += s.units
    return per_min.reshape(n, bin_minutes).mean(axis=1)


@dataclass(frozen=True, eq=False)
class Responder:
    """A responder type: who, what it costs, how it is staffed."""

    name: str
    label: str
    people_per_unit: int
    cost_per_person: float           # fully loaded annual cost per person (USD)
    overhead_per_unit: float         # vehicle, equipment, supervision per unit per year (USD)
    relief_factor: float             # people needed to keep one post filled (leave, training, sickness)
    travel_minutes: float
    travel_cv: float
    overtime_premium: float          # overtime pay as a multiple of the hourly cost
    shift_hours: tuple[float, ...]   # shift lengths the optimiser may use
    on_duty_by_hour: np.ndarray | None  # 168 units on duty, Monday 00:00 first; None when `shifts` is given
    shifts: tuple[ShiftBlock, ...]
    min_on_duty_by_hour: np.ndarray   # 168 minimum units on duty: the optimiser keeps them, validate warns below
    max_headcount: int | None
    max_start_times: int = 3          # distinct shift start times a day its rosters may use

    def on_duty(self, bin_minutes: int = 60) -> np.ndarray:
        """Units on duty per weekly bin as the scenario states them (an hourly list, or its shift blocks)."""
        if self.on_duty_by_hour is not None:
            n = 10080 // bin_minutes
            return np.repeat(self.on_duty_by_hour.astype(float), 60).reshape(n, bin_minutes).mean(axis=1)
        return blocks_on_duty(self.shifts, bin_minutes)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Responder):
            return NotImplemented
        for f in fields(self):
            a, b = getattr(self, f.name), getattr(other, f.name)
            if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
                if a is None or b is None or not np.array_equal(a, b):
                    return False
            elif a != b:
                return False
        return True

    __hash__ = None  # mutable arrays inside: not a dictionary key

    @property
    def units_total(self) -> float:
        """Distinct units (shift posts) the staffing implies: for shifts, the sum of their units."""
        if self.shifts:
            return float(sum(s.units for s in self.shifts))
        return float(self.on_duty_by_hour.max()) if self.on_duty_by_hour is not None else 0.0

    @property
    def annual_cost_per_post(self) -> float:
        """Cost of keeping one unit on one post all year: people x relief x cost + overhead."""
        return self.people_per_unit * self.relief_factor * self.cost_per_person + self.overhead_per_unit


@dataclass(frozen=True)
class CategoryPolicy:
    """Who may answer a category's calls and what happens when they do."""

    name: str
    eligible: dict[str, float]        # civilian type -> share of calls it may take, least capable first
    fallback_wait_minutes: float
    on_scene_minutes: float | None    # None: measured from the data, else the coplan default
    on_scene_cv: float
    on_scene_multiplier: dict[str, float]
    outcomes: dict[str, dict[str, float]]   # responder type -> outcome -> probability
    priority: dict[int, float] | None       # used when the export has no priorities
    repeat_call_reduction: dict[str, float] = field(default_factory=dict)  # type -> repeat calls avoided per call
    backup_rate: dict[str, float] = field(default_factory=dict)  # civilian type -> share of its calls backed up

    def backup_rate_for(self, responder: str) -> float:
        """The chance a unit of a civilian type calls an officer for backup on one of these calls (the policy's
        figure, else DEFAULT_BACKUP_RATE for a type the policy makes eligible, else 0)."""
        if responder == FALLBACK_TYPE:
            return 0.0
        if responder in self.backup_rate:
            return self.backup_rate[responder]
        return DEFAULT_BACKUP_RATE if self.eligible.get(responder, 0.0) > 0 else 0.0

    def routes(self) -> list[tuple[tuple[str, ...], float]]:
        """Triage classes for the simulation: each eligible share may also be served by any type listed
        after it (a call safe for a social worker alone is safe for a co-responder); the rest is officer only."""
        types = list(self.eligible)
        out = []
        for i, t in enumerate(types):
            if self.eligible[t] > 0:
                out.append((tuple(types[i:]), self.eligible[t]))
        rest = 1.0 - sum(self.eligible.values())
        if rest > 1e-12 or not out:
            out.append(((FALLBACK_TYPE,), max(rest, 0.0)))
        total = sum(p for _, p in out)
        return [(r, p / total) for r, p in out]


@dataclass(frozen=True)
class Targets:
    """Service targets the optimiser staffs to, per responder type."""

    answer_minutes: dict[str, float]      # T: a unit should be free within T minutes ...
    share_within: dict[str, float]        # ... for this share of calls
    max_occupancy: dict[str, float]       # ceiling on time committed to calls (rule of 60 for officers)
    budget: float | None                  # civilian budget for max-hours-freed (USD per year)


@dataclass(frozen=True)
class Triage:
    """Call-taking triage: clinicians in the 911 centre who resolve a share of eligible calls by phone.

    Every call of `categories` is screened by phone (`phone_minutes` of a call-taker position each);
    `share_resolved` of them need no unit at all and are never dispatched. The positions are staffed by
    Erlang C on the phone load so that `share_within` of calls are answered within `answer_seconds`.
    """

    categories: tuple[str, ...]
    share_resolved: float            # share of screened calls resolved by phone (no unit sent)
    phone_minutes: float             # call-taker minutes per screened call
    cost_per_position: float         # fully loaded annual cost of one call-taker (USD)
    relief_factor: float             # people per 8-hour post kept filled, as for responders
    answer_seconds: float = 60.0     # service target: answered within this many seconds ...
    share_within: float = 0.8        # ... for this share of screened calls
    label: str = "Triage clinicians in the 911 centre"
    source: str = ""

    def share_for(self, category: str) -> float:
        """Share of a category's calls resolved by phone (0 for a category the pod does not screen)."""
        return self.share_resolved if category in self.categories else 0.0


@dataclass(frozen=True)
class SimulationSettings:
    horizon_days: float = 28.0
    warmup_days: float = 2.0
    replications: int = 10
    seed: int = 12345
    arrivals: str = "poisson"            # "poisson" from the profile, or "replay" the historical trace
    workers: int = 1


@dataclass(frozen=True)
class DownstreamCost:
    name: str
    cost: float
    source: str


@dataclass(frozen=True)
class DataSource:
    calls: Path | None
    mapping: Path | None
    codes: Path | None
    timezone: str | None
    growth: float
    exclude_categories: tuple[str, ...]   # officer time that is not demand to plan for (self-initiated, admin)


@dataclass(frozen=True)
class Scenario:
    name: str
    description: str
    source: str                           # where the scenario's figures come from
    data: DataSource
    responders: dict[str, Responder]
    policy: dict[str, CategoryPolicy]
    targets: Targets
    simulation: SimulationSettings
    downstream: dict[str, DownstreamCost]
    path: Path | None = None
    raw: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)
    triage: Triage | None = None          # call-taking triage in the 911 centre ([triage]); None: none

    @property
    def civilian_types(self) -> list[str]:
        return [t for t in self.responders if t != FALLBACK_TYPE]

    def policy_for(self, category: str) -> CategoryPolicy:
        """A category's policy; categories the file does not name are officer only, with defaults."""
        if category in self.policy:
            return self.policy[category]
        return CategoryPolicy(category, {}, 0.0, None, 1.0, {}, {}, None)


# ------------------------------------------------------------------------------------------ parsing
class _Reader:
    """Typed access into a TOML table that names the file and key on every error."""

    def __init__(self, where: str):
        self.where = where

    def fail(self, key: str, value: Any, expected: str) -> ScenarioError:
        return ScenarioError(f"{self.where}: {key} = {value!r}: expected {expected}")

    def number(self, table: dict, key: str, prefix: str, default: float | None = None, *, lo: float | None = None,
               hi: float | None = None, required: bool = False) -> float | None:
        full = f"{prefix}{key}"
        if key not in table:
            if required:
                raise ScenarioError(f"{self.where}: {full} is missing; expected a number")
            return default
        v = table[key]
        if isinstance(v, bool) or not isinstance(v, int | float) or math.isnan(v):
            raise self.fail(full, v, "a number")
        rng = ("" if lo is None else f" >= {lo:g}") + ("" if hi is None else f" and <= {hi:g}")
        if (lo is not None and v < lo) or (hi is not None and v > hi):
            raise self.fail(full, v, f"a number{rng}")
        return float(v)

    def share(self, table: dict, key: str, prefix: str, default: float | None = None) -> float | None:
        return self.number(table, key, prefix, default, lo=0.0, hi=1.0)

    def string(self, table: dict, key: str, prefix: str, default: str | None = None) -> str | None:
        if key not in table:
            return default
        v = table[key]
        if not isinstance(v, str):
            raise self.fail(f"{prefix}{key}", v, "text")
        return v

    def table(self, table: dict, key: str, prefix: str) -> dict:
        v = table.get(key, {})
        if not isinstance(v, dict):
            raise self.fail(f"{prefix}{key}", v, "a table")
        return v

    def known(self, table: dict, allowed: set[str], prefix: str) -> None:
        extra = sorted(set(table) - allowed)
        if extra:
            raise ScenarioError(f"{self.where}: {prefix or 'top level'} has unknown key(s) {extra}; "
                                f"expected some of {sorted(allowed)}")


def parse_days(value: Any, where: str) -> tuple[bool, ...]:
    """'Mon-Fri', 'Sat,Sun', 'daily', ['Mon', 'Tue'] -> seven booleans, Monday first."""
    if isinstance(value, list):
        parts = [str(v) for v in value]
    elif isinstance(value, str):
        if value.strip().lower() in ("daily", "every day", "all", "mon-sun"):
            return (True,) * 7
        parts = [p.strip() for p in value.split(",")]
    else:
        raise ScenarioError(f"{where} = {value!r}: expected days such as 'Mon-Fri', 'Sat,Sun' or 'daily'")
    days = [False] * 7
    names = [d.lower() for d in DAYS]
    for p in parts:
        if not p:
            continue
        if "-" in p:
            a, b = (x.strip().lower()[:3] for x in p.split("-", 1))
            if a not in names or b not in names:
                raise ScenarioError(f"{where} = {value!r}: {p!r} is not a range of days like 'Mon-Fri'")
            i, j = names.index(a), names.index(b)
            k = i
            while True:
                days[k] = True
                if k == j:
                    break
                k = (k + 1) % 7
        else:
            d = p.lower()[:3]
            if d not in names:
                raise ScenarioError(f"{where} = {value!r}: {p!r} is not a day; expected Mon..Sun")
            days[names.index(d)] = True
    if not any(days):
        raise ScenarioError(f"{where} = {value!r}: names no day")
    return tuple(days)


def days_label(days: tuple[bool, ...]) -> str:
    """Worked days as runs: 'daily', 'Mon-Fri', 'Fri-Mon' (a run over the weekend), 'Sun', 'Mon,Wed'."""
    return _days_label(days)


def _clock(value: Any, where: str) -> int:
    if isinstance(value, str) and (m := re.fullmatch(r"(\d{1,2}):(\d{2})", value.strip())):
        h, mi = int(m[1]), int(m[2])
        if h < 24 and mi < 60:
            return h * 60 + mi
    raise ScenarioError(f"{where} = {value!r}: expected a time of day like '08:00'")


def _hourly(value: Any, where: str) -> np.ndarray:
    """A constant, 24 hourly values (every day) or 168 hour-of-week values -> 168 non-negative numbers."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        arr = np.full(HOURS_PER_WEEK, float(value))
    elif isinstance(value, list) and all(isinstance(v, int | float) and not isinstance(v, bool) for v in value):
        if len(value) == 24:
            arr = np.tile(np.asarray(value, dtype=float), 7)
        elif len(value) == HOURS_PER_WEEK:
            arr = np.asarray(value, dtype=float)
        else:
            raise ScenarioError(f"{where} has {len(value)} values: expected 24 (by hour, every day) "
                                f"or 168 (by hour of the week, Monday 00:00 first)")
    else:
        raise ScenarioError(f"{where} = {value!r}: expected a number or a list of 24 or 168 numbers")
    if (arr < 0).any():
        raise ScenarioError(f"{where}: has a negative value ({arr.min():g}); expected units >= 0")
    return arr


_RESPONDER_KEYS = {"label", "people_per_unit", "cost_per_person", "overhead_per_unit", "relief_factor",
                   "travel_minutes", "travel_cv", "overtime_premium", "shift_hours", "on_duty", "shifts",
                   "min_on_duty", "max_headcount", "max_start_times", "answer_minutes", "share_within",
                   "max_occupancy"}
_POLICY_KEYS = {"eligible", "fallback_wait_minutes", "on_scene_minutes", "on_scene_cv", "on_scene_multiplier",
                "outcomes", "priority", "repeat_call_reduction", "backup_rate"}


def _parse_responder(r: _Reader, name: str, t: dict) -> Responder:
    p = f"responders.{name}."
    r.known(t, _RESPONDER_KEYS, p[:-1])
    shifts: list[ShiftBlock] = []
    on_duty = None
    if "shifts" in t and "on_duty" in t:
        raise ScenarioError(f"{r.where}: {p}on_duty and {p}shifts are both given; give one")
    if "shifts" in t:
        if not isinstance(t["shifts"], list):
            raise r.fail(f"{p}shifts", t["shifts"], "a list of [[shifts]] tables")
        for i, s in enumerate(t["shifts"], start=1):
            sp = f"{p}shifts[{i}]."
            if not isinstance(s, dict):
                raise r.fail(sp[:-1], s, "a table with start, hours, days, units")
            r.known(s, {"start", "hours", "days", "units"}, sp[:-1])
            hours = r.number(s, "hours", sp, required=True, lo=0.5, hi=24)
            units = r.number(s, "units", sp, 1, lo=0)
            if units != int(units):
                raise r.fail(f"{sp}units", units, "a whole number of units")
            shifts.append(ShiftBlock(_clock(s.get("start"), f"{r.where}: {sp}start"), hours,
                                     parse_days(s.get("days", "daily"), f"{r.where}: {sp}days"), int(units)))
    else:
        on_duty = _hourly(t.get("on_duty", 0), f"{r.where}: {p}on_duty")
    shift_hours = t.get("shift_hours", [8, 10, 12])
    if not isinstance(shift_hours, list) or not all(isinstance(h, int | float) and 1 <= h <= 24 for h in shift_hours):
        raise r.fail(f"{p}shift_hours", shift_hours, "a list of shift lengths in hours, e.g. [8, 10, 12]")
    max_head = t.get("max_headcount")
    if max_head is not None and (not isinstance(max_head, int) or max_head < 0):
        raise r.fail(f"{p}max_headcount", max_head, "a whole number >= 0")
    people = r.number(t, "people_per_unit", p, 1, lo=1)
    if people != int(people):
        raise r.fail(f"{p}people_per_unit", people, "a whole number >= 1")
    max_starts = t.get("max_start_times", default_max_start_times(name))
    if isinstance(max_starts, bool) or not isinstance(max_starts, int) or not 1 <= max_starts <= 24:
        raise r.fail(f"{p}max_start_times", max_starts,
                     "a whole number from 1 to 24 (distinct shift start times a day, e.g. 3 watches)")
    if on_duty is not None:
        _check_runnable(r, f"{p}max_start_times", max_starts, on_duty, shift_hours)
    return Responder(
        name=name, label=r.string(t, "label", p, name.replace("_", " ")),
        people_per_unit=int(people),
        cost_per_person=r.number(t, "cost_per_person", p, required=True, lo=0),
        overhead_per_unit=r.number(t, "overhead_per_unit", p, 0.0, lo=0),
        relief_factor=r.number(t, "relief_factor", p, 1.0, lo=1.0, hi=5.0),
        travel_minutes=r.number(t, "travel_minutes", p, 0.0, lo=0),
        travel_cv=r.number(t, "travel_cv", p, 0.5, lo=0, hi=5),
        overtime_premium=r.number(t, "overtime_premium", p, 1.5, lo=1, hi=5),
        shift_hours=tuple(float(h) for h in shift_hours),
        on_duty_by_hour=on_duty, shifts=tuple(shifts),
        min_on_duty_by_hour=_hourly(t.get("min_on_duty", default_min_on_duty(name)), f"{r.where}: {p}min_on_duty"),
        max_headcount=max_head, max_start_times=max_starts)


def runnable_shift_hours(shift_hours: tuple[float, ...] | list[float]) -> tuple[float, ...]:
    """The shift lengths a runnable roster over an hourly on_duty list may use: the type's lengths that have a
    standard rotation (8, 10, 12 h), or all of those when it allows none of them."""
    lengths = tuple(sorted({float(h) for h in shift_hours if float(h) in STANDARD_SHIFT_HOURS}))
    return lengths or STANDARD_SHIFT_HOURS


def _fewest_daily_starts(hours_needed: set[int], longest_hours: float) -> int:
    """Fewest start times a day whose shifts of `longest_hours` cover every hour of day in `hours_needed`.

    Standard rotations put a shift on every day of the week from any start, so this is covering points
    on the 24-hour circle with arcs: greedy from each needed hour as the first start is exact.
    """
    if not hours_needed:
        return 0
    length = int(longest_hours)
    best = 24
    for first in hours_needed:
        covered: set[int] = set()
        starts = 0
        for k in range(24):
            h = (first + k) % 24
            if h in hours_needed and h not in covered:
                starts += 1
                covered |= {(h + j) % 24 for j in range(length)}
        best = min(best, starts)
    return best


def _check_runnable(r: _Reader, key: str, max_starts: int, on_duty: np.ndarray, shift_hours: list) -> None:
    """An hourly on_duty list is simulated as a roster with at most max_start_times starts: it must exist."""
    needed = {h % 24 for h in np.flatnonzero(on_duty > 0)}
    longest = max(runnable_shift_hours(shift_hours))
    fewest = _fewest_daily_starts(needed, longest)
    if fewest > max_starts:
        raise r.fail(key, max_starts, f"at least {fewest}: shifts of up to {longest:g} h starting at "
                                      f"{max_starts} time(s) a day cannot cover every hour of on_duty")


def _parse_policy(r: _Reader, name: str, t: dict, responders: dict[str, Responder]) -> CategoryPolicy:
    p = f"policy.{name}."
    r.known(t, _POLICY_KEYS, p[:-1])
    elig = r.table(t, "eligible", p)
    eligible: dict[str, float] = {}
    for typ in elig:
        if typ == FALLBACK_TYPE:
            raise ScenarioError(f"{r.where}: {p}eligible.{typ}: officers may always respond; list only civilian "
                                f"types here (the rest of the calls are officer only)")
        if typ not in responders:
            raise ScenarioError(f"{r.where}: {p}eligible.{typ} names a responder type the scenario does not "
                                f"define; expected one of {sorted(responders)}")
        eligible[typ] = r.share(elig, typ, f"{p}eligible.")
    if sum(eligible.values()) > 1 + 1e-9:
        raise ScenarioError(f"{r.where}: {p}eligible shares add up to {sum(eligible.values()):.3g}; "
                            f"expected at most 1 (the rest is officer only)")
    mult_t = r.table(t, "on_scene_multiplier", p)
    mult = {}
    for typ in mult_t:
        if typ not in responders:
            raise ScenarioError(f"{r.where}: {p}on_scene_multiplier.{typ}: unknown responder type")
        mult[typ] = r.number(mult_t, typ, f"{p}on_scene_multiplier.", lo=0.05, hi=10)
    outcomes: dict[str, dict[str, float]] = {}
    out_t = r.table(t, "outcomes", p)
    for typ, rates in out_t.items():
        if typ not in responders:
            raise ScenarioError(f"{r.where}: {p}outcomes.{typ}: unknown responder type")
        if not isinstance(rates, dict):
            raise r.fail(f"{p}outcomes.{typ}", rates, "a table of outcome = probability")
        for o in rates:
            if o not in OUTCOMES:
                raise ScenarioError(f"{r.where}: {p}outcomes.{typ}.{o}: unknown outcome; expected {list(OUTCOMES)}")
        outcomes[typ] = {o: r.share(rates, o, f"{p}outcomes.{typ}.") for o in rates}
    priority = None
    if "priority" in t:
        pt = r.table(t, "priority", p)
        priority = {}
        for k in pt:
            if not k.isdigit() or int(k) < 1:
                raise ScenarioError(f"{r.where}: {p}priority.{k}: expected priority numbers 1, 2, 3 ...")
            priority[int(k)] = r.share(pt, k, f"{p}priority.")
        if abs(sum(priority.values()) - 1) > 1e-6:
            raise ScenarioError(f"{r.where}: {p}priority shares add up to {sum(priority.values()):.4g}; expected 1")
    rep_t = r.table(t, "repeat_call_reduction", p)
    repeat = {}
    for typ in rep_t:
        if typ not in responders:
            raise ScenarioError(f"{r.where}: {p}repeat_call_reduction.{typ}: unknown responder type")
        repeat[typ] = r.share(rep_t, typ, f"{p}repeat_call_reduction.")
    backup_t = r.table(t, "backup_rate", p)
    backup = {}
    for typ in backup_t:
        if typ == FALLBACK_TYPE or typ not in responders:
            raise ScenarioError(f"{r.where}: {p}backup_rate.{typ}: expected a civilian responder type (the share "
                                f"of its calls on which it asks an officer for backup); the scenario has "
                                f"{[x for x in responders if x != FALLBACK_TYPE]}")
        backup[typ] = r.share(backup_t, typ, f"{p}backup_rate.")
    return CategoryPolicy(
        name=name, eligible=eligible, repeat_call_reduction=repeat, backup_rate=backup,
        fallback_wait_minutes=r.number(t, "fallback_wait_minutes", p, 0.0, lo=0, hi=24 * 60),
        on_scene_minutes=r.number(t, "on_scene_minutes", p, None, lo=0.5, hi=24 * 60),
        on_scene_cv=r.number(t, "on_scene_cv", p, 1.0, lo=0, hi=5),
        on_scene_multiplier=mult, outcomes=outcomes, priority=priority)


_TOP_KEYS = {"name", "description", "source", "base", "data", "responders", "policy", "targets", "simulation",
             "costs", "triage"}
_TRIAGE_KEYS = {"label", "categories", "share_resolved", "phone_minutes", "cost_per_position", "relief_factor",
                "answer_seconds", "share_within", "source"}


def _parse_triage(r: _Reader, t: dict, categories: list[str] | None) -> Triage | None:
    """The [triage] table (call-taking triage in the 911 centre), or None when the scenario has none."""
    if not t:
        return None
    r.known(t, _TRIAGE_KEYS, "triage")
    cats = t.get("categories")
    if not isinstance(cats, list) or not cats or not all(isinstance(c, str) for c in cats):
        raise r.fail("triage.categories", cats, "a non-empty list of category names whose calls are screened")
    if categories is not None:
        unknown = [c for c in cats if c not in categories]
        if unknown:
            raise ScenarioError(f"{r.where}: triage.categories names {unknown}: not categories; "
                                f"expected some of {categories}")
    if "share_resolved" not in t:
        raise ScenarioError(f"{r.where}: triage.share_resolved is missing; expected the share of screened calls "
                            f"resolved by phone, e.g. 0.3")
    return Triage(
        categories=tuple(cats),
        share_resolved=r.share(t, "share_resolved", "triage."),
        phone_minutes=r.number(t, "phone_minutes", "triage.", required=True, lo=0.1, hi=240),
        cost_per_position=r.number(t, "cost_per_position", "triage.", required=True, lo=0),
        relief_factor=r.number(t, "relief_factor", "triage.", 1.6, lo=1, hi=10),
        answer_seconds=r.number(t, "answer_seconds", "triage.", 60.0, lo=1, hi=3600),
        share_within=r.number(t, "share_within", "triage.", 0.8, lo=0.01, hi=0.9999),
        label=r.string(t, "label", "triage.", "Triage clinicians in the 911 centre"),
        source=r.string(t, "source", "triage.", ""))



def merge_over(base: dict[str, Any], override: dict[str, Any]) -> dict[str, Any]:
    """`override` laid over `base`: tables merge key by key, anything else is replaced. A responder's
    staffing is one thing: giving `shifts` drops the base's `on_duty` and the other way round."""
    out = dict(base)
    for k, v in override.items():
        if isinstance(v, dict) and isinstance(out.get(k), dict):
            b = dict(out[k])
            if "shifts" in v:
                b.pop("on_duty", None)
            if "on_duty" in v:
                b.pop("shifts", None)
            out[k] = merge_over(b, v)
        else:
            out[k] = v
    return out


def _resolve_base(d: dict[str, Any], path: Path | None, seen: tuple[Path, ...] = ()) -> dict[str, Any]:
    """A scenario that names `base = "other.toml"` states only what differs from it."""
    if "base" not in d:
        return d
    where = str(path) if path else "scenario"
    if not isinstance(d["base"], str):
        raise ScenarioError(f"{where}: base = {d['base']!r}: expected the file name of another scenario")
    base_path = ((path.parent if path else Path(".")) / d["base"]).resolve()
    if base_path in seen:
        raise ScenarioError(f"{where}: base = {d['base']!r} leads back to itself")
    try:
        base = tomllib.loads(base_path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ScenarioError(f"{where}: base = {d['base']!r}: no such scenario file") from None
    except tomllib.TOMLDecodeError as e:
        raise ScenarioError(f"{base_path}: not valid TOML ({e})") from None
    base = _resolve_base(base, base_path, (*seen, base_path))
    # Paths in the base are relative to the base file: make them absolute before merging.
    data = dict(base.get("data", {}))
    for key in ("calls", "mapping", "codes"):
        if isinstance(data.get(key), str) and not Path(data[key]).is_absolute():
            data[key] = str((base_path.parent / data[key]).resolve())
    base["data"] = data
    merged = merge_over({k: v for k, v in base.items() if k not in ("name", "description", "source")},
                        {k: v for k, v in d.items() if k != "base"})
    return merged


def scenario_from_dict(d: dict[str, Any], path: Path | None = None, categories: list[str] | None = None) -> Scenario:
    """Validate a scenario table; `categories` (the taxonomy's) limits the policy names allowed."""
    where = str(path) if path else "scenario"
    r = _Reader(where)
    r.known(d, _TOP_KEYS, "")
    d = _resolve_base(d, path)
    base = path.parent if path else Path(".")

    data_t = r.table(d, "data", "")
    r.known(data_t, {"calls", "mapping", "codes", "timezone", "growth", "exclude_categories"}, "data")

    def rel(key: str) -> Path | None:
        v = r.string(data_t, key, "data.")
        return None if v is None else (base / v if not Path(v).is_absolute() else Path(v))

    tz = r.string(data_t, "timezone", "data.")
    if tz:
        from planner.mapping import check_timezone

        check_timezone(tz, f"{where}: data.timezone")
    excl = data_t.get("exclude_categories", ["self_initiated", "admin"])
    if not isinstance(excl, list) or not all(isinstance(x, str) for x in excl):
        raise r.fail("data.exclude_categories", excl, "a list of category names")
    data = DataSource(calls=rel("calls"), mapping=rel("mapping"), codes=rel("codes"), timezone=tz,
                      growth=r.number(data_t, "growth", "data.", 1.0, lo=0.01, hi=100), exclude_categories=tuple(excl))

    resp_t = r.table(d, "responders", "")
    if FALLBACK_TYPE not in resp_t:
        raise ScenarioError(f"{where}: responders.{FALLBACK_TYPE} is missing; every scenario has officers, "
                            f"who answer what no civilian unit can")
    responders = {}
    for name, t in resp_t.items():
        if not re.fullmatch(r"[a-z][a-z0-9_]*", name):
            raise ScenarioError(f"{where}: responders.{name}: expected a lower-case name like social_worker")
        if not isinstance(t, dict):
            raise r.fail(f"responders.{name}", t, "a table")
        responders[name] = _parse_responder(r, name, t)

    pol_t = r.table(d, "policy", "")
    policy = {}
    for name, t in pol_t.items():
        if categories is not None and name not in categories:
            raise ScenarioError(f"{where}: policy.{name}: not a category; expected one of {categories}")
        if not isinstance(t, dict):
            raise r.fail(f"policy.{name}", t, "a table")
        policy[name] = _parse_policy(r, name, t, responders)
    for c in data.exclude_categories:
        if categories is not None and c not in categories:
            raise ScenarioError(f"{where}: data.exclude_categories names {c!r}, not a category")

    targets_t = r.table(d, "targets", "")
    r.known(targets_t, {"budget"}, "targets")
    answer, within, occ = {}, {}, {}
    for name, t in resp_t.items():
        p = f"responders.{name}."
        answer[name] = r.number(t, "answer_minutes", p, 10.0 if name == FALLBACK_TYPE else 20.0, lo=0.1, hi=1440)
        within[name] = r.number(t, "share_within", p, 0.8, lo=0.01, hi=0.9999)
        occ[name] = r.number(t, "max_occupancy", p, 0.6 if name == FALLBACK_TYPE else 0.85, lo=0.05, hi=1.0)
    targets = Targets(answer, within, occ, r.number(targets_t, "budget", "targets.", None, lo=0))

    sim_t = r.table(d, "simulation", "")
    r.known(sim_t, {"horizon_days", "warmup_days", "replications", "seed", "arrivals", "workers"}, "simulation")
    arrivals = r.string(sim_t, "arrivals", "simulation.", "poisson")
    if arrivals not in ("poisson", "replay"):
        raise r.fail("simulation.arrivals", arrivals, "'poisson' (from the profile) or 'replay' (the trace)")
    reps = r.number(sim_t, "replications", "simulation.", 10, lo=1, hi=10000)
    seed = sim_t.get("seed", 12345)
    if not isinstance(seed, int) or seed < 0:
        raise r.fail("simulation.seed", seed, "a whole number >= 0")
    workers = r.number(sim_t, "workers", "simulation.", 1, lo=1, hi=256)
    sim = SimulationSettings(
        horizon_days=r.number(sim_t, "horizon_days", "simulation.", 28.0, lo=1, hi=3660),
        warmup_days=r.number(sim_t, "warmup_days", "simulation.", 2.0, lo=0, hi=365),
        replications=int(reps), seed=seed, arrivals=arrivals, workers=int(workers))
    if sim.warmup_days >= sim.horizon_days:
        raise ScenarioError(f"{where}: simulation.warmup_days = {sim.warmup_days:g} is not shorter than "
                            f"horizon_days = {sim.horizon_days:g}")

    costs_t = r.table(d, "costs", "")
    downstream = dict(DEFAULT_DOWNSTREAM)
    for name, v in costs_t.items():
        if isinstance(v, dict):
            r.known(v, {"cost", "source"}, f"costs.{name}")
            downstream[name] = DownstreamCost(name, r.number(v, "cost", f"costs.{name}.", required=True, lo=0),
                                              r.string(v, "source", f"costs.{name}.", "scenario file"))
        else:
            downstream[name] = DownstreamCost(name, r.number(costs_t, name, "costs.", lo=0), "scenario file")

    triage = _parse_triage(r, r.table(d, "triage", ""), categories)

    check_scenario_limits(d, where)   # every number in its finite range (planner.limits)
    return Scenario(name=r.string(d, "name", "", path.stem if path else "scenario"),
                    description=r.string(d, "description", "", ""), source=r.string(d, "source", "", ""),
                    data=data, responders=responders, policy=policy, targets=targets, simulation=sim,
                    downstream=downstream, path=path, raw=d, triage=triage)


# Reference costs (US, dated), always editable in a scenario's [costs] table.
DEFAULT_DOWNSTREAM = {
    "arrest": DownstreamCost("arrest", 450.0, "officer processing time and booking paperwork; coplan default"),
    "jail_booking": DownstreamCost("jail_booking", 425.0, "jail booking ~$400-450 (DESIGN reference figures)"),
    "er_transport": DownstreamCost("er_transport", 630.0, "mental-health ER visit ~$630 (AHRQ, 2017)"),
}


def load_scenario(path: str | Path, categories: list[str] | None = None) -> Scenario:
    """Read and validate a scenario file."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ScenarioError(f"{path}: scenario file not found") from None
    except UnicodeDecodeError:
        raise ScenarioError(f"{path}: not a text file; expected a TOML scenario") from None
    try:
        d = tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        raise ScenarioError(f"{path}: not valid TOML ({e})") from None
    if categories is None:
        from planner.taxonomy import default_taxonomy

        categories = list(default_taxonomy().categories)
    return scenario_from_dict(d, path, categories)


def scenario_to_dict(s: Scenario, base: Path | None = None) -> dict[str, Any]:
    """The scenario as a TOML-ready table (round-trips through scenario_from_dict); data paths are
    written relative to `base`, the folder the file will live in."""
    import os

    base = base or (s.path.parent if s.path else None)

    def rel(p: Path | None) -> str | None:
        if p is None:
            return None
        if base is not None:
            try:
                return Path(os.path.relpath(p.resolve(), Path(base).resolve())).as_posix()
            except ValueError:  # another drive on Windows
                pass
        return p.as_posix()

    data: dict[str, Any] = {k: v for k, v in {
        "calls": rel(s.data.calls), "mapping": rel(s.data.mapping), "codes": rel(s.data.codes),
        "timezone": s.data.timezone}.items() if v is not None}
    data["growth"] = s.data.growth
    data["exclude_categories"] = list(s.data.exclude_categories)
    responders = {}
    for name, r in s.responders.items():
        t: dict[str, Any] = {
            "label": r.label, "people_per_unit": r.people_per_unit, "cost_per_person": r.cost_per_person,
            "overhead_per_unit": r.overhead_per_unit, "relief_factor": r.relief_factor,
            "travel_minutes": r.travel_minutes, "travel_cv": r.travel_cv, "overtime_premium": r.overtime_premium,
            "shift_hours": list(r.shift_hours),
            "answer_minutes": s.targets.answer_minutes[name], "share_within": s.targets.share_within[name],
            "max_occupancy": s.targets.max_occupancy[name],
        }
        if r.max_headcount is not None:
            t["max_headcount"] = r.max_headcount
        if r.max_start_times != default_max_start_times(name):
            t["max_start_times"] = r.max_start_times
        if not np.array_equal(r.min_on_duty_by_hour, np.full(HOURS_PER_WEEK, default_min_on_duty(name))):
            t["min_on_duty"] = _compact_hourly(r.min_on_duty_by_hour)
        if r.shifts:
            t["shifts"] = [{"start": f"{b.start_minute // 60:02d}:{b.start_minute % 60:02d}", "hours": b.hours,
                            "days": days_label(b.days), "units": b.units} for b in r.shifts]
        else:
            t["on_duty"] = _compact_hourly(r.on_duty_by_hour)
        responders[name] = t
    policy = {}
    for name, p in s.policy.items():
        t = {"eligible": dict(p.eligible), "fallback_wait_minutes": p.fallback_wait_minutes,
             "on_scene_cv": p.on_scene_cv}
        if p.on_scene_minutes is not None:
            t["on_scene_minutes"] = p.on_scene_minutes
        if p.on_scene_multiplier:
            t["on_scene_multiplier"] = dict(p.on_scene_multiplier)
        if p.outcomes:
            t["outcomes"] = {k: dict(v) for k, v in p.outcomes.items()}
        if p.priority:
            t["priority"] = {str(k): v for k, v in p.priority.items()}
        if p.repeat_call_reduction:
            t["repeat_call_reduction"] = dict(p.repeat_call_reduction)
        if p.backup_rate:
            t["backup_rate"] = dict(p.backup_rate)
        policy[name] = t
    out: dict[str, Any] = {"name": s.name, "description": s.description, "source": s.source, "data": data,
                           "responders": responders, "policy": policy}
    if s.targets.budget is not None:
        out["targets"] = {"budget": s.targets.budget}
    sim = s.simulation
    out["simulation"] = {"horizon_days": sim.horizon_days, "warmup_days": sim.warmup_days,
                         "replications": sim.replications, "seed": sim.seed, "arrivals": sim.arrivals,
                         "workers": sim.workers}
    out["costs"] = {k: {"cost": v.cost, "source": v.source} for k, v in s.downstream.items()}
    if s.triage is not None:
        tr = s.triage
        out["triage"] = {"label": tr.label, "categories": list(tr.categories), "share_resolved": tr.share_resolved,
                         "phone_minutes": tr.phone_minutes, "cost_per_position": tr.cost_per_position,
                         "relief_factor": tr.relief_factor, "answer_seconds": tr.answer_seconds,
                         "share_within": tr.share_within, "source": tr.source}
    return out


def _compact_hourly(arr: np.ndarray) -> float | list[float]:
    a = [float(x) if x != int(x) else int(x) for x in arr]
    if len(set(a)) == 1:
        return a[0]
    if a[:24] * 7 == a:
        return a[:24]
    return a


def save_scenario(s: Scenario, path: str | Path) -> Scenario:
    """Write a scenario as TOML, atomically; returns it re-anchored at the new path."""
    path = Path(path)
    d = scenario_to_dict(s, base=path.parent)
    header = f"# coplan scenario: {s.name}\n"
    atomic_write_text(path, header + tomli_w.dumps(d))
    return load_scenario(path)
