"""What the mix model is given: responder types, demand by category and bin, busy times, eligibility, waits."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cached_property

import numpy as np
import pandas as pd

from optimize.bins import WEEKS_PER_YEAR, bin_minutes_for
from optimize.errors import OptimizeError
from optimize.queueing import ServiceTarget
from optimize.roster import UnitType


@dataclass(frozen=True, eq=False, kw_only=True)
class ResponderType(UnitType):
    """A responder type in the mix: shift patterns, costs, limits, and its service target.

    Officers' target (Erlang C and the occupancy ceiling, the rule of 60) sizes patrol. A civilian type's target
    binds only when the input asks for civilian targets (a programme that promises an answer time)."""

    target: ServiceTarget
    mean_service_minutes: float | None = None  # busy time per call for Erlang C; default: demand-weighted mean
    # Vehicle and kit a year for each unit on the street at the type's busiest hour (as the cost model prices it).
    overhead_per_vehicle: float = 0.0

    def __post_init__(self) -> None:
        super().__post_init__()
        if not math.isfinite(self.overhead_per_vehicle) or self.overhead_per_vehicle < 0:
            raise OptimizeError(f"type {self.name!r}: overhead_per_vehicle is {self.overhead_per_vehicle!r}, but it "
                                f"must be a finite amount >= 0")
        if not isinstance(self.target, ServiceTarget):
            raise OptimizeError(f"type {self.name!r}: target is {self.target!r}, but it must be a ServiceTarget")
        if self.mean_service_minutes is not None and (
            not math.isfinite(self.mean_service_minutes) or self.mean_service_minutes <= 0
        ):
            raise OptimizeError(
                f"type {self.name!r}: mean_service_minutes is {self.mean_service_minutes!r}, but it must be "
                f"a positive number of minutes or None"
            )


def _table(
    name: str, value: object, categories: tuple[str, ...], types: tuple[str, ...], fill: float
) -> np.ndarray:
    """A [category, type] table from an array or a DataFrame (index categories, columns type names)."""
    if isinstance(value, pd.DataFrame):
        unknown_rows = [str(r) for r in value.index if r not in categories]
        unknown_cols = [str(c) for c in value.columns if c not in types]
        if unknown_rows or unknown_cols:
            raise OptimizeError(
                f"{name} names unknown categories {unknown_rows} or types {unknown_cols}; "
                f"categories are {list(categories)}, types are {list(types)}"
            )
        value = value.reindex(index=list(categories), columns=list(types)).to_numpy(dtype=float)
        value = np.where(np.isnan(value), fill, value) if not math.isnan(fill) else value
    array = np.array(value, dtype=float, copy=True)
    if array.shape != (len(categories), len(types)):
        raise OptimizeError(
            f"{name} has shape {array.shape}, but it must be [{len(categories)} categories, {len(types)} types]"
        )
    array.setflags(write=False)
    return array


@dataclass(frozen=True, eq=False, kw_only=True)
class MixInput:
    """Demand by category and bin, what each type may take and at what busy time and outcome cost, and the types."""

    categories: tuple[str, ...]
    types: tuple[ResponderType, ...]
    arrival_rate: np.ndarray  # [n_categories, n_bins] calls per hour, bin 0 = Monday 00:00
    busy_minutes: np.ndarray  # [n_categories, n_types] busy minutes per call; NaN = type may not take it
    eligible_share: np.ndarray  # [n_categories, n_types] most a civilian type may take; officer column ignored
    downstream_cost: np.ndarray | None = None  # [n_categories, n_types] expected outcome cost per call
    officer: str = "officer"
    officer_units_fixed: Mapping[str, int] | None = None  # hold officers at this roster: pattern name -> units
    # Per category: how long an eligible call waits for a civilian unit before an officer is sent (minutes).
    # None: 0 for every category (a call finding no free civilian unit goes to an officer at once: Erlang B).
    fallback_wait_minutes: np.ndarray | None = None
    # Staff each civilian type to its own ServiceTarget too (off by default: civilians are overflow capacity).
    civilian_targets: bool = False
    weeks_per_year: float = WEEKS_PER_YEAR
    # Between exact levels the model may under-state a type's Erlang capacity by up to this share (never
    # over-state it): fewer binaries, faster solves. 0 models every level exactly.
    capacity_tolerance: float = 0.02

    def __post_init__(self) -> None:
        categories = tuple(str(c) for c in self.categories)
        if not categories or len(set(categories)) != len(categories):
            raise OptimizeError(f"categories is {list(categories)}, but it must be non-empty with unique names")
        kinds = tuple(self.types)
        if not all(isinstance(k, ResponderType) for k in kinds):
            raise OptimizeError("types must all be ResponderType")
        names = tuple(k.name for k in kinds)
        if len(set(names)) != len(names):
            raise OptimizeError(f"types has names {list(names)}, but each type name must be unique")
        if self.officer not in names:
            raise OptimizeError(f"officer is {self.officer!r}, but the types are {list(names)}")
        rates = self.arrival_rate
        if isinstance(rates, pd.DataFrame):
            unknown = [str(r) for r in rates.index if r not in categories]
            if unknown:
                raise OptimizeError(f"arrival_rate names unknown categories {unknown}; categories are {list(categories)}")
            rates = rates.reindex(index=list(categories)).fillna(0.0).to_numpy(dtype=float)
        rates = np.array(rates, dtype=float, copy=True)
        if rates.ndim != 2 or rates.shape[0] != len(categories):
            raise OptimizeError(
                f"arrival_rate has shape {rates.shape}, but it must be [{len(categories)} categories, n_bins]"
            )
        bin_minutes_for(rates.shape[1], "arrival_rate")
        bad = np.argwhere(~np.isfinite(rates) | (rates < 0))
        if bad.size:
            c, i = bad[0]
            raise OptimizeError(
                f"arrival_rate['{categories[c]}', bin {i}] is {float(rates[c, i])!r}, but rates must be finite and >= 0"
            )
        rates.setflags(write=False)
        busy = _table("busy_minutes", self.busy_minutes, categories, names, math.nan)
        share = _table("eligible_share", self.eligible_share, categories, names, 0.0)
        cost = _table(
            "downstream_cost",
            np.zeros((len(categories), len(names))) if self.downstream_cost is None else self.downstream_cost,
            categories, names, 0.0,
        )
        officer = names.index(self.officer)
        for c, category in enumerate(categories):
            has_calls = rates[c].sum() > 0
            if has_calls and not (math.isfinite(busy[c, officer]) and busy[c, officer] > 0):
                raise OptimizeError(
                    f"busy_minutes['{category}', '{self.officer}'] is {float(busy[c, officer])!r}, but officers can take "
                    f"every call, so it must be a positive number of minutes"
                )
            total_share = 0.0
            for t, kind in enumerate(names):
                if t == officer:
                    continue
                e = share[c, t]
                if not 0 <= e <= 1:
                    raise OptimizeError(f"eligible_share['{category}', '{kind}'] is {float(e)!r}, but it must be in [0, 1]")
                if e > 0 and not (math.isfinite(busy[c, t]) and busy[c, t] > 0):
                    raise OptimizeError(
                        f"busy_minutes['{category}', '{kind}'] is {float(busy[c, t])!r}, but eligible_share is {e:g} > 0: "
                        f"give a positive busy time or set the share to 0"
                    )
                if e > 0 and not math.isfinite(cost[c, t]):
                    raise OptimizeError(f"downstream_cost['{category}', '{kind}'] is {float(cost[c, t])!r}, but it must be finite")
                total_share += e
            if total_share > 1 + 1e-9:
                raise OptimizeError(
                    f"eligible_share of category '{category}' sums to {total_share:.4g} over civilian types, "
                    f"but shares of one category must sum to at most 1"
                )
            if has_calls and not math.isfinite(cost[c, officer]):
                raise OptimizeError(
                    f"downstream_cost['{category}', '{self.officer}'] is {float(cost[c, officer])!r}, but it must be finite"
                )
        cost = np.where(np.isfinite(cost), cost, 0.0)
        cost.setflags(write=False)
        for kind in kinds:
            kind.check_bins(rates.shape[1])
        fixed = self.officer_units_fixed
        if fixed is not None:
            officer_patterns = {p.name for p in kinds[officer].patterns}
            for pattern, units in fixed.items():
                if pattern not in officer_patterns:
                    raise OptimizeError(
                        f"officer_units_fixed names pattern {pattern!r}, but it is not one of the officer's patterns"
                    )
                if isinstance(units, bool) or not isinstance(units, int | np.integer) or units < 0:
                    raise OptimizeError(
                        f"officer_units_fixed[{pattern!r}] is {units!r}, but it must be a whole number >= 0"
                    )
            fixed = dict(fixed)
        if not 0 <= self.capacity_tolerance < 0.5:
            raise OptimizeError(
                f"capacity_tolerance is {self.capacity_tolerance!r}, but it must be in [0, 0.5), e.g. 0.02"
            )
        waits = np.zeros(len(categories)) if self.fallback_wait_minutes is None else np.array(
            self.fallback_wait_minutes, dtype=float, copy=True)
        if waits.shape != (len(categories),) or not np.all(np.isfinite(waits)) or (waits < 0).any():
            raise OptimizeError(
                f"fallback_wait_minutes is {self.fallback_wait_minutes!r}, but it must be one finite number of "
                f"minutes >= 0 per category ({len(categories)})"
            )
        waits.setflags(write=False)
        object.__setattr__(self, "fallback_wait_minutes", waits)
        if not math.isfinite(self.weeks_per_year) or self.weeks_per_year <= 0:
            raise OptimizeError(f"weeks_per_year is {self.weeks_per_year!r}, but it must be positive")
        object.__setattr__(self, "categories", categories)
        object.__setattr__(self, "types", kinds)
        object.__setattr__(self, "arrival_rate", rates)
        object.__setattr__(self, "busy_minutes", busy)
        object.__setattr__(self, "eligible_share", share)
        object.__setattr__(self, "downstream_cost", cost)
        object.__setattr__(self, "officer_units_fixed", fixed)

    @property
    def type_names(self) -> tuple[str, ...]:
        """Names of the responder types, in order."""
        return tuple(k.name for k in self.types)

    @property
    def officer_index(self) -> int:
        """Position of the officer type."""
        return self.type_names.index(self.officer)

    @property
    def n_bins(self) -> int:
        """Number of bins in the week."""
        return int(self.arrival_rate.shape[1])

    @property
    def bin_minutes(self) -> int:
        """Length of a bin in minutes."""
        return bin_minutes_for(self.n_bins)

    @property
    def bins_per_year(self) -> float:
        """Hours in one bin times weeks per year: turns a per-hour rate in a bin into a yearly count."""
        return self.bin_minutes / 60 * self.weeks_per_year

    def cheapest_unit(self, t: int) -> float:
        """Annual cost of the cheapest single unit of type t: its cheapest pattern and one vehicle."""
        costs = self.types[t].pattern_costs()
        return float(costs.min()) + self.types[t].overhead_per_vehicle if costs.size else math.inf

    def eligible(self, c: int, t: int) -> bool:
        """True if civilian type t may take some of category c's calls."""
        return t != self.officer_index and self.eligible_share[c, t] > 0

    @cached_property
    def service_minutes(self) -> tuple[float, ...]:
        """Mean busy minutes per call each type's Erlang C uses."""
        volume = self.arrival_rate.sum(axis=1)
        out = []
        for t, kind in enumerate(self.types):
            if kind.mean_service_minutes is not None:
                out.append(float(kind.mean_service_minutes))
                continue
            if t == self.officer_index:
                weights = volume
            else:
                weights = volume * self.eligible_share[:, t]
            busy = np.where(np.isfinite(self.busy_minutes[:, t]), self.busy_minutes[:, t], 0.0)
            if weights.sum() > 0:
                out.append(float((weights * busy).sum() / weights.sum()))
            else:
                finite = self.busy_minutes[:, t][np.isfinite(self.busy_minutes[:, t])]
                out.append(float(finite.mean()) if finite.size else 60.0)
        return tuple(out)

    def officers_only_load(self) -> np.ndarray:
        """Officer erlangs per bin if officers take every call (today's baseline)."""
        return (self.arrival_rate * self.busy_minutes[:, self.officer_index, None]).sum(axis=0) / 60


