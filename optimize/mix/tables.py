"""What each extra unit on duty is worth: civilian teams as overflow systems, officers by Erlang C capacity.

A civilian team works under a fallback policy: an eligible call goes to a free unit of the first type on its
route, waits at most its category's fallback wait, and then an officer is sent. With k units on duty the team
carries a share of each category's offered calls given by the M/M/k+D abandonment model (optimize.overflow;
Erlang B when nobody waits). Carried calls rise with k with diminishing returns, so the gains of the 1st, 2nd,
... unit on duty in a bin are a non-increasing sequence, and the mix model takes them as incremental pieces
without binaries. The team's total carried load is concave in k; a single category's share need not be (a
category with no wait shares the team with one that waits an hour), so the model's weighted gains (officer
hours, officer erlangs) are made non-increasing by their running minimum (`concave_steps`): the model may
under-state a unit's worth, never over-state it, and every reported figure comes from the exact table.

Routes are nested in the order of the types (social worker, then co-responder): a call on the first type's
route may also be served by a later type, so what the first type does not carry is offered to the next one,
with the calls of the later type's own route. That overflow depends on the first type's units on duty, so the
later type's table is built for given units of the earlier types (`upstream_units`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from optimize.mix.inputs import MixInput, ResponderType
from optimize.overflow import carried_table
from optimize.queueing import max_load

# Tables stop where one more unit would carry less than this share of the offered load.
_MAX_EXTRA_UNITS = 60


@dataclass(frozen=True, eq=False)
class CivilianTable:
    """For one civilian type: calls per hour offered and carried by category, per bin, for 0..K units on duty."""

    type_index: int
    offered: np.ndarray   # [n_categories, n_bins] calls per hour offered to this type (own route + overflow)
    carried: np.ndarray   # [n_bins, K + 1, n_categories] calls per hour carried with k units on duty (exact)

    @property
    def max_units(self) -> int:
        """Most units on duty the table describes (more carry nothing extra)."""
        return int(self.carried.shape[1] - 1)


def route_calls(data: MixInput, t: int) -> np.ndarray:
    """Calls per hour [category, bin] whose route starts with civilian type t."""
    return data.arrival_rate * data.eligible_share[:, t, None]


def civilian_indices(data: MixInput) -> list[int]:
    """Civilian types in preference order (the order of `data.types`, officer left out)."""
    return [t for t in range(len(data.types)) if t != data.officer_index]


def _units_bound(load: float, ceiling: int | None) -> int:
    """Units on duty beyond which another unit carries next to nothing of `load` erlangs."""
    k = int(math.ceil(load + 5.0 * math.sqrt(load) + 3.0)) if load > 0 else 0
    k = min(k, int(math.ceil(load)) + _MAX_EXTRA_UNITS)
    return k if ceiling is None else max(0, min(k, ceiling))


def _table_for(data: MixInput, t: int, offered: np.ndarray, ceiling: int | None) -> CivilianTable:
    n_categories, n_bins = offered.shape
    busy = np.where(np.isfinite(data.busy_minutes[:, t]), data.busy_minutes[:, t], 0.0)
    loads = (offered * busy[:, None]).sum(axis=0) / 60.0
    top = max([_units_bound(float(a), ceiling) for a in loads] + [0])
    carried = np.zeros((n_bins, top + 1, n_categories))
    for i in range(n_bins):
        calls = offered[:, i]
        rows = np.flatnonzero(calls > 0)
        if rows.size == 0 or loads[i] <= 0:
            continue
        k_max = min(top, _units_bound(float(loads[i]), ceiling))
        if k_max == 0:
            continue
        mean_service = float((calls[rows] * busy[rows]).sum() / calls[rows].sum())
        shares = calls[rows] / calls[rows].sum()
        waits = data.fallback_wait_minutes[rows]
        table = carried_table(k_max, float(loads[i]), mean_service, waits.tolist(), shares.tolist())
        carried[i, : k_max + 1, rows] = (table * calls[rows]).T
        carried[i, k_max + 1:, rows] = carried[i, k_max, rows][:, None]
    return CivilianTable(t, offered, carried)


def concave_steps(table: CivilianTable, weights: np.ndarray) -> np.ndarray:
    """Gains [bin, j] of the j-th unit on duty, weighted per category (e.g. officer hours per call), made
    non-increasing in j by their running minimum (never above the exact gains' running sums)."""
    steps = (np.diff(table.carried, axis=1) * weights).sum(axis=2)
    return np.minimum.accumulate(np.maximum(steps, 0.0), axis=1)


def civilian_tables(
    data: MixInput, upstream_units: dict[int, np.ndarray] | None = None, ceilings: dict[int, int | None] | None = None
) -> dict[int, CivilianTable]:
    """A table per civilian type. A later type is offered its own route's calls plus what earlier types do not
    carry with `upstream_units[t]` units on duty per bin (none given: the earlier type is taken as carrying all of
    its calls, so the later type gets only its own route: a cautious start)."""
    out: dict[int, CivilianTable] = {}
    overflow = np.zeros_like(data.arrival_rate)
    for t in civilian_indices(data):
        own = route_calls(data, t)
        may_take = np.isfinite(data.busy_minutes[:, t]) & (data.busy_minutes[:, t] > 0)
        offered = own + np.where(may_take[:, None], overflow, 0.0)
        table = _table_for(data, t, offered, (ceilings or {}).get(t))
        out[t] = table
        units = None if upstream_units is None else upstream_units.get(t)
        if units is not None:
            left = offered - carried_at(table, units).T
            # What this type does not carry moves on to the next type on the route (if it may take it).
            overflow = np.where(may_take[:, None], np.maximum(left, 0.0), overflow)
    return out


def carried_at(table: CivilianTable, units: np.ndarray) -> np.ndarray:
    """Calls per hour carried [bin, category] with `units[i]` on duty in each bin (exact table)."""
    k = np.minimum(np.asarray(units, dtype=np.int64), table.max_units)
    return table.carried[np.arange(table.carried.shape[0]), k, :]


class OfficerCapacity:
    """Tabulated Erlang capacity of officers: cap[k] = most erlangs k units carry within the target."""

    def __init__(self, kind: ResponderType, service: float) -> None:
        self.kind, self.service = kind, service
        self.caps = [0.0]

    def cap(self, k: int) -> float:
        """Most erlangs `k` units carry within the target."""
        while len(self.caps) <= k:
            self.caps.append(max(self.caps[-1], max_load(len(self.caps), self.service, self.kind.target)))
        return self.caps[k]

    def level(self, load: float) -> int:
        """Fewest units whose capacity covers `load`."""
        if load <= 1e-9:
            return 0
        k = max(0, math.floor(load))
        while self.cap(k) < load - 1e-6 * max(1.0, load):
            k += 1
        return k

    def segments(self, low: int, high: int, tolerance: float) -> list[tuple[int, int, float]]:
        """Pieces (first, last, slope) from `low` to `high` units; slope x units never exceeds the table."""
        self.cap(high)
        pieces = []
        first = low
        while first < high:
            last, slope = first + 1, self.caps[first + 1] - self.caps[first]
            while last < high:
                trial = min(slope, self.caps[last + 1] - self.caps[last])
                if not all(self.caps[first] + trial * (k - first) >= self.caps[k] * (1 - tolerance) - 1e-12
                           for k in range(first + 1, last + 2)):
                    break
                last, slope = last + 1, trial
            pieces.append((first, last, float(slope)))
            first = last
        return pieces
