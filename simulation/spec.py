"""Inputs of the simulation engine: frozen, validated once here, trusted everywhere after.

The simulation clock is in minutes and minute 0 is a Monday 00:00, so weekly bins (bin 0 = Monday
00:00) line up with the clock.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, NoReturn

import numpy as np

from simulation.errors import SimulationError
from simulation.roster import WEEK_MINUTES, max_on_duty, on_duty_to_shifts

PROBABILITY_TOLERANCE = 1e-9


def _fail(message: str) -> NoReturn:
    raise SimulationError(message)


def _number(owner: str, name: str, value: Any, *, positive: bool = False, finite: bool = True) -> float:
    """`value` as a float >= 0 (> 0 when `positive`), finite unless told otherwise."""
    try:
        number = float(value)
    except (TypeError, ValueError):
        _fail(f"{owner}: {name} is {value!r}, expected a number")
    if math.isnan(number) or (finite and math.isinf(number)):
        _fail(f"{owner}: {name} is {value!r}, expected a finite number")
    if number < 0 or (positive and number == 0):
        _fail(f"{owner}: {name} is {value!r}, expected a number {'> 0' if positive else '>= 0'}")
    return number


def _bin_minutes(owner: str, name: str, value: Any) -> int:
    """A bin width in whole minutes that divides the week."""
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value <= 0:
        _fail(f"{owner}: {name} is {value!r}, expected a positive whole number of minutes")
    if WEEK_MINUTES % int(value):
        _fail(f"{owner}: {name} is {value}, expected a divisor of {WEEK_MINUTES} (the minutes in a week)")
    return int(value)


def _frozen(array: np.ndarray) -> np.ndarray:
    array = np.array(array, copy=True)
    array.flags.writeable = False
    return array


def _int_array(owner: str, name: str, values: Any, *, ndim: int, minimum: int) -> np.ndarray:
    """A read-only int64 copy of `values`, every value >= `minimum`."""
    array = np.asarray(values)
    if array.ndim != ndim:
        _fail(f"{owner}: {name} has {array.ndim} dimension(s), expected {ndim}")
    if array.size and not np.issubdtype(array.dtype, np.integer):
        if not np.issubdtype(array.dtype, np.floating) or not np.all(np.isfinite(array)):
            _fail(f"{owner}: {name} has dtype {array.dtype}, expected whole numbers")
        if not np.all(array == np.round(array)):
            bad = array[array != np.round(array)][0]
            _fail(f"{owner}: {name} contains {bad!r}, expected whole numbers")
    array = array.astype(np.int64)
    if array.size and array.min() < minimum:
        _fail(f"{owner}: {name} contains {int(array.min())}, expected values >= {minimum}")
    return _frozen(array)


def _float_array(owner: str, name: str, values: Any, *, ndim: int, allow_nan: bool = False) -> np.ndarray:
    """A read-only float64 copy of `values`, finite and >= 0 (NaN allowed when told)."""
    try:
        array = np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError):
        _fail(f"{owner}: {name} is not numeric, expected an array of numbers")
    if array.ndim != ndim:
        _fail(f"{owner}: {name} has {array.ndim} dimension(s), expected {ndim}")
    known = array[~np.isnan(array)] if allow_nan else array
    if not allow_nan and np.isnan(array).any():
        _fail(f"{owner}: {name} contains NaN, expected numbers")
    if known.size and (not np.all(np.isfinite(known)) or known.min() < 0):
        bad = known[~np.isfinite(known) | (known < 0)][0]
        _fail(f"{owner}: {name} contains {bad!r}, expected finite numbers >= 0")
    return _frozen(array)


def _probability_rows(owner: str, name: str, values: Any, rows: int) -> np.ndarray:
    """A (rows, k) matrix whose rows are probability distributions."""
    array = _float_array(owner, name, values, ndim=2)
    if array.shape[0] != rows or array.shape[1] == 0:
        _fail(f"{owner}: {name} has shape {array.shape}, expected ({rows}, k) with k >= 1")
    sums = array.sum(axis=1)
    for row, total in enumerate(sums):
        if abs(total - 1.0) > PROBABILITY_TOLERANCE:
            _fail(f"{owner}: {name} row {row} sums to {total!r}, expected 1")
    return array


@dataclass(frozen=True, eq=False)
class ResponderSpec:
    """A responder type: its units' on-duty time (weekly counts or explicit shifts) and travel time.

    `on_duty` counts units per weekly bin of `bin_minutes` (bin 0 = Monday 00:00), repeated every week;
    `shifts` lists one (start, end) minute pair per unit shift on the simulation clock. Give exactly one.
    """

    name: str
    on_duty: np.ndarray | None = None
    shifts: tuple[tuple[float, float], ...] | None = None
    bin_minutes: int = 60
    travel_mean_minutes: float = 0.0
    travel_cv: float = 0.0

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not self.name:
            _fail(f"responder name is {self.name!r}, expected a non-empty string")
        owner = f"responder {self.name!r}"
        set_ = object.__setattr__
        set_(self, "bin_minutes", _bin_minutes(owner, "bin_minutes", self.bin_minutes))
        if (self.on_duty is None) == (self.shifts is None):
            _fail(f"{owner}: give exactly one of on_duty (units per weekly bin) and shifts (unit shifts)")
        if self.on_duty is not None:
            on_duty = _int_array(owner, "on_duty", self.on_duty, ndim=1, minimum=0)
            expected = WEEK_MINUTES // self.bin_minutes
            if len(on_duty) != expected:
                _fail(
                    f"{owner}: on_duty has length {len(on_duty)}, expected {expected} "
                    f"(one count per {self.bin_minutes}-minute bin of the week)"
                )
            set_(self, "on_duty", on_duty)
        else:
            shifts = []
            for k, pair in enumerate(self.shifts or ()):
                try:
                    start, end = pair
                except (TypeError, ValueError):
                    _fail(f"{owner}: shifts[{k}] is {pair!r}, expected a (start_minute, end_minute) pair")
                start = _number(owner, f"shifts[{k}] start", start)
                end = _number(owner, f"shifts[{k}] end", end)
                if end <= start:
                    _fail(f"{owner}: shifts[{k}] is {pair!r}, expected the end after the start")
                shifts.append((start, end))
            set_(self, "shifts", tuple(shifts))
        set_(self, "travel_mean_minutes", _number(owner, "travel_mean_minutes", self.travel_mean_minutes))
        set_(self, "travel_cv", _number(owner, "travel_cv", self.travel_cv))

    def unit_shifts(self, until: float) -> np.ndarray:
        """On-duty intervals (n, 2) of every unit shift starting before `until`, one row per unit."""
        if self.on_duty is not None:
            return on_duty_to_shifts(self.on_duty, self.bin_minutes, until)
        shifts = np.asarray(self.shifts, dtype=float).reshape(-1, 2)
        return shifts[shifts[:, 0] < until]

    def max_units(self) -> int:
        """The most units of this type ever on duty at once."""
        if self.on_duty is not None:
            return int(self.on_duty.max()) if len(self.on_duty) else 0
        return max_on_duty(np.asarray(self.shifts, dtype=float).reshape(-1, 2))


@dataclass(frozen=True, eq=False)
class CategorySpec:
    """A call category: triage routes, fallback wait, time on scene and outcome rates per responder type.

    Each route is (acceptable responder types in order of preference, probability). The fallback type
    of the run is implied: it is sent when no acceptable unit became free within `fallback_wait_minutes`;
    a route of just (fallback_type,) is an officer-only call. `backup_rates[t]` is the chance that a unit
    of civilian type t, once on scene, calls for one unit of the fallback type to back it up.
    `phone_resolution` is the chance that call-taking triage resolves a call by phone: no unit is sent.
    """

    name: str
    routes: tuple[tuple[tuple[str, ...], float], ...]
    fallback_wait_minutes: float
    on_scene_mean_minutes: float
    on_scene_cv: float = 1.0
    on_scene_multiplier: Mapping[str, float] = field(default_factory=dict)
    outcome_rates: Mapping[str, Mapping[str, float]] = field(default_factory=dict)
    backup_rates: Mapping[str, float] = field(default_factory=dict)
    phone_resolution: float = 0.0

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not self.name:
            _fail(f"category name is {self.name!r}, expected a non-empty string")
        owner = f"category {self.name!r}"
        set_ = object.__setattr__
        routes = []
        try:
            route_items = list(self.routes)
        except TypeError:
            _fail(f"{owner}: routes is {self.routes!r}, expected ((types, probability), ...)")
        if not route_items:
            _fail(f"{owner}: routes is empty, expected at least one (types, probability) pair")
        for k, item in enumerate(route_items):
            try:
                types, probability = item
            except (TypeError, ValueError):
                _fail(f"{owner}: routes[{k}] is {item!r}, expected a (types, probability) pair")
            if isinstance(types, str):
                types = (types,)
            types = tuple(types)
            if not types or not all(isinstance(t, str) and t for t in types):
                _fail(f"{owner}: routes[{k}] types are {types!r}, expected responder type names")
            if len(set(types)) != len(types):
                _fail(f"{owner}: routes[{k}] types are {types!r}, expected each type once")
            probability = _number(owner, f"routes[{k}] probability", probability)
            if probability > 1:
                _fail(f"{owner}: routes[{k}] probability is {probability!r}, expected at most 1")
            routes.append((types, probability))
        total = math.fsum(p for _, p in routes)
        if abs(total - 1.0) > PROBABILITY_TOLERANCE:
            _fail(f"{owner}: route probabilities sum to {total!r}, expected 1")
        set_(self, "routes", tuple(routes))
        set_(
            self, "fallback_wait_minutes", _number(owner, "fallback_wait_minutes", self.fallback_wait_minutes)
        )
        set_(
            self, "on_scene_mean_minutes", _number(owner, "on_scene_mean_minutes", self.on_scene_mean_minutes)
        )
        set_(self, "on_scene_cv", _number(owner, "on_scene_cv", self.on_scene_cv))
        if not isinstance(self.on_scene_multiplier, Mapping):
            _fail(f"{owner}: on_scene_multiplier is {self.on_scene_multiplier!r}, expected a mapping")
        set_(
            self,
            "on_scene_multiplier",
            {
                str(t): _number(owner, f"on_scene_multiplier[{t!r}]", m)
                for t, m in self.on_scene_multiplier.items()
            },
        )
        if not isinstance(self.outcome_rates, Mapping):
            _fail(f"{owner}: outcome_rates is {self.outcome_rates!r}, expected a mapping")
        rates: dict[str, dict[str, float]] = {}
        for t, by_outcome in self.outcome_rates.items():
            if not isinstance(by_outcome, Mapping):
                _fail(f"{owner}: outcome_rates[{t!r}] is {by_outcome!r}, expected outcome -> probability")
            rates[str(t)] = {}
            for outcome, p in by_outcome.items():
                p = _number(owner, f"outcome_rates[{t!r}][{outcome!r}]", p)
                if p > 1:
                    _fail(f"{owner}: outcome_rates[{t!r}][{outcome!r}] is {p!r}, expected a probability <= 1")
                rates[str(t)][str(outcome)] = p
        set_(self, "outcome_rates", rates)
        if not isinstance(self.backup_rates, Mapping):
            _fail(f"{owner}: backup_rates is {self.backup_rates!r}, expected a mapping")
        backup = {}
        for t, p in self.backup_rates.items():
            p = _number(owner, f"backup_rates[{t!r}]", p)
            if p > 1:
                _fail(f"{owner}: backup_rates[{t!r}] is {p!r}, expected a probability <= 1")
            backup[str(t)] = p
        set_(self, "backup_rates", backup)
        phone = _number(owner, "phone_resolution", self.phone_resolution)
        if phone > 1:
            _fail(f"{owner}: phone_resolution is {phone!r}, expected a probability <= 1")
        set_(self, "phone_resolution", phone)


@dataclass(frozen=True, eq=False)
class TraceArrivals:
    """A historical call trace replayed as is: one entry per call, minutes on the simulation clock.

    `priority` defaults to 1, `on_scene_minutes` to NaN (draw from the category), `units` to 1.
    """

    minute: np.ndarray
    category: np.ndarray
    priority: np.ndarray | None = None
    on_scene_minutes: np.ndarray | None = None
    units: np.ndarray | None = None

    def __post_init__(self) -> None:
        owner = "trace arrivals"
        set_ = object.__setattr__
        minute = _float_array(owner, "minute", self.minute, ndim=1)
        n = len(minute)
        set_(self, "minute", minute)
        set_(self, "category", _int_array(owner, "category", self.category, ndim=1, minimum=0))
        priority = np.ones(n, dtype=np.int64) if self.priority is None else self.priority
        set_(self, "priority", _int_array(owner, "priority", priority, ndim=1, minimum=1))
        on_scene = np.full(n, np.nan) if self.on_scene_minutes is None else self.on_scene_minutes
        set_(
            self,
            "on_scene_minutes",
            _float_array(owner, "on_scene_minutes", on_scene, ndim=1, allow_nan=True),
        )
        units = np.ones(n, dtype=np.int64) if self.units is None else self.units
        set_(self, "units", _int_array(owner, "units", units, ndim=1, minimum=1))
        for name in ("category", "priority", "on_scene_minutes", "units"):
            length = len(getattr(self, name))
            if length != n:
                _fail(f"{owner}: {name} has length {length}, expected {n} (the length of minute)")


@dataclass(frozen=True, eq=False)
class PoissonArrivals:
    """Calls from a non-homogeneous Poisson process with weekly-repeating rates, drawn by thinning.

    `rates_per_hour` has one row per category and one column per weekly bin of `bin_minutes`;
    `priority_probs[c, j]` is the chance a call of category c has priority j + 1 (default: all 1);
    `units_probs[c, j]` the chance it needs j + 1 units (default: 1); rates are multiplied by `growth`.
    """

    rates_per_hour: np.ndarray
    bin_minutes: int = 60
    priority_probs: np.ndarray | None = None
    units_probs: np.ndarray | None = None
    growth: float = 1.0

    def __post_init__(self) -> None:
        owner = "Poisson arrivals"
        set_ = object.__setattr__
        set_(self, "bin_minutes", _bin_minutes(owner, "bin_minutes", self.bin_minutes))
        rates = _float_array(owner, "rates_per_hour", self.rates_per_hour, ndim=2)
        expected = WEEK_MINUTES // self.bin_minutes
        if rates.shape[1] != expected or rates.shape[0] == 0:
            _fail(
                f"{owner}: rates_per_hour has shape {rates.shape}, expected (n_categories, {expected}) "
                f"for {self.bin_minutes}-minute bins"
            )
        set_(self, "rates_per_hour", rates)
        n_categories = rates.shape[0]
        priority = np.ones((n_categories, 1)) if self.priority_probs is None else self.priority_probs
        set_(self, "priority_probs", _probability_rows(owner, "priority_probs", priority, n_categories))
        units = np.ones((n_categories, 1)) if self.units_probs is None else self.units_probs
        set_(self, "units_probs", _probability_rows(owner, "units_probs", units, n_categories))
        set_(self, "growth", _number(owner, "growth", self.growth))


Arrivals = TraceArrivals | PoissonArrivals


@dataclass(frozen=True, eq=False)
class SimConfig:
    """One simulation: responder types, categories, arrivals and the clock.

    Arrivals stop at `horizon_minutes`; units keep working for up to `drain_minutes` after it so calls
    already waiting are served (calls still waiting then are reported unserved). Statistics cover
    [warmup_minutes, horizon_minutes).
    """

    responders: tuple[ResponderSpec, ...]
    categories: tuple[CategorySpec, ...]
    arrivals: Arrivals
    horizon_minutes: float
    warmup_minutes: float = 0.0
    fallback_type: str = "officer"
    outcomes: tuple[str, ...] = ("arrest", "jail_booking", "er_transport")
    keep_records: bool = True
    week_bin_minutes: int = 60
    drain_minutes: float = float(WEEK_MINUTES)

    def __post_init__(self) -> None:
        owner = "simulation config"
        set_ = object.__setattr__
        responders = tuple(self.responders)
        categories = tuple(self.categories)
        if not responders:
            _fail(f"{owner}: responders is empty, expected at least the fallback type {self.fallback_type!r}")
        for r in responders:
            if not isinstance(r, ResponderSpec):
                _fail(f"{owner}: responders contains {r!r}, expected ResponderSpec")
        if not categories:
            _fail(f"{owner}: categories is empty, expected at least one CategorySpec")
        for c in categories:
            if not isinstance(c, CategorySpec):
                _fail(f"{owner}: categories contains {c!r}, expected CategorySpec")
        set_(self, "responders", responders)
        set_(self, "categories", categories)
        types = [r.name for r in responders]
        duplicates = sorted({t for t in types if types.count(t) > 1})
        if duplicates:
            _fail(f"{owner}: responder types {duplicates} appear more than once, expected unique names")
        names = [c.name for c in categories]
        duplicates = sorted({c for c in names if names.count(c) > 1})
        if duplicates:
            _fail(f"{owner}: categories {duplicates} appear more than once, expected unique names")
        if self.fallback_type not in types:
            _fail(
                f"{owner}: fallback_type is {self.fallback_type!r}, expected one of the responder types {types}"
            )
        outcomes = tuple(self.outcomes)
        if not all(isinstance(o, str) and o for o in outcomes) or len(set(outcomes)) != len(outcomes):
            _fail(f"{owner}: outcomes is {outcomes!r}, expected unique non-empty names")
        set_(self, "outcomes", outcomes)
        for c in categories:
            for k, (route, _) in enumerate(c.routes):
                unknown = [t for t in route if t not in types]
                if unknown:
                    _fail(
                        f"category {c.name!r}: routes[{k}] names responder type(s) {unknown}, "
                        f"expected some of {types}"
                    )
                if self.fallback_type in route and len(route) > 1:
                    _fail(
                        f"category {c.name!r}: routes[{k}] is {route!r}, expected civilian types only: "
                        f"{self.fallback_type!r} is sent after the fallback wait anyway, and "
                        f"({self.fallback_type!r},) alone marks an officer-only call"
                    )
            unknown = [t for t in c.on_scene_multiplier if t not in types]
            if unknown:
                _fail(f"category {c.name!r}: on_scene_multiplier names unknown responder type(s) {unknown}")
            unknown = [t for t in c.outcome_rates if t not in types]
            if unknown:
                _fail(f"category {c.name!r}: outcome_rates names unknown responder type(s) {unknown}")
            unknown = [t for t in c.backup_rates if t not in types or t == self.fallback_type]
            if unknown:
                _fail(
                    f"category {c.name!r}: backup_rates names {unknown}, expected civilian responder types "
                    f"(the {self.fallback_type!r} is who is sent as backup)"
                )
            for t, by_outcome in c.outcome_rates.items():
                unknown = [o for o in by_outcome if o not in outcomes]
                if unknown:
                    _fail(
                        f"category {c.name!r}: outcome_rates[{t!r}] names outcome(s) {unknown}, "
                        f"expected some of {list(outcomes)}"
                    )
        set_(self, "horizon_minutes", _number(owner, "horizon_minutes", self.horizon_minutes, positive=True))
        set_(self, "warmup_minutes", _number(owner, "warmup_minutes", self.warmup_minutes))
        if self.warmup_minutes >= self.horizon_minutes:
            _fail(
                f"{owner}: warmup_minutes is {self.warmup_minutes!r}, expected less than "
                f"horizon_minutes ({self.horizon_minutes!r})"
            )
        set_(self, "drain_minutes", _number(owner, "drain_minutes", self.drain_minutes))
        set_(self, "week_bin_minutes", _bin_minutes(owner, "week_bin_minutes", self.week_bin_minutes))
        set_(self, "keep_records", bool(self.keep_records))
        self._check_arrivals(len(categories))

    def _check_arrivals(self, n_categories: int) -> None:
        arrivals = self.arrivals
        fallback = self.responders[self.type_names.index(self.fallback_type)]
        if isinstance(arrivals, TraceArrivals):
            if len(arrivals.category) and arrivals.category.max() >= n_categories:
                _fail(
                    f"trace arrivals: category contains {int(arrivals.category.max())}, expected an index "
                    f"below {n_categories} (the number of categories)"
                )
            most_units = int(arrivals.units.max()) if len(arrivals.units) else 1
        elif isinstance(arrivals, PoissonArrivals):
            if arrivals.rates_per_hour.shape[0] != n_categories:
                _fail(
                    f"Poisson arrivals: rates_per_hour has {arrivals.rates_per_hour.shape[0]} rows, "
                    f"expected {n_categories} (one per category)"
                )
            needed = np.flatnonzero((arrivals.units_probs > 0).any(axis=0))
            most_units = int(needed.max()) + 1 if len(needed) else 1
        else:
            _fail(f"simulation config: arrivals is {arrivals!r}, expected TraceArrivals or PoissonArrivals")
        # A call holding k units together waits at the head of its queue until k are free: it must be
        # possible for k to be on duty at once, or it would block that queue for good.
        capacity = fallback.max_units()
        if most_units > max(capacity, 1):
            _fail(
                f"arrivals: a call needs {most_units} {self.fallback_type!r} units, but at most {capacity} "
                f"are ever on duty at once"
            )

    @property
    def type_names(self) -> list[str]:
        """Responder type names in the order of `responders`."""
        return [r.name for r in self.responders]

    @property
    def priorities(self) -> list[int]:
        """The priorities calls can have, most urgent first (fixed by the config, so KPI names are)."""
        if isinstance(self.arrivals, PoissonArrivals):
            return list(range(1, self.arrivals.priority_probs.shape[1] + 1))
        return sorted(int(p) for p in np.unique(self.arrivals.priority))
