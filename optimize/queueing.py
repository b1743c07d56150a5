"""Erlang B/C queueing formulas and the fewest units on duty that meet a service target."""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from optimize.errors import OptimizeError

# Targets are met up to this relative slack, so a load that meets a target exactly is not rejected by round-off.
_TOLERANCE = 1e-12
_BISECTION_STEPS = 60


def _check_servers(c: int) -> int:
    if isinstance(c, bool) or not isinstance(c, int | np.integer) or c < 0:
        raise OptimizeError(f"servers is {c!r}, but it must be a whole number >= 0")
    return int(c)


def _check_load(a: float) -> float:
    if not isinstance(a, int | float | np.integer | np.floating) or not math.isfinite(a) or a < 0:
        raise OptimizeError(f"offered load is {a!r}, but it must be a finite number of erlangs >= 0")
    return float(a)


def _check_positive(name: str, value: float) -> float:
    if not isinstance(value, int | float | np.integer | np.floating) or not math.isfinite(value) or value <= 0:
        raise OptimizeError(f"{name} is {value!r}, but it must be a positive number")
    return float(value)


def erlang_b(c: int, a: float) -> float:
    """Blocking probability of an M/M/c/c system, by the recurrence B(k) = a B(k-1) / (k + a B(k-1))."""
    c, a = _check_servers(c), _check_load(a)
    b = 1.0
    for k in range(1, c + 1):
        b = a * b / (k + a * b)
    return b


def _erlang_c_from_b(c: int, a: float, b: float) -> float:
    # C = c B / (c - a (1 - B)): no factorials and no powers, so it holds for hundreds of servers.
    return c * b / (c - a * (1.0 - b))


def erlang_c(c: int, a: float) -> float:
    """Probability that a call waits, P(W > 0), with `a` erlangs offered to `c` servers (1.0 when a >= c)."""
    c, a = _check_servers(c), _check_load(a)
    if a >= c:
        return 1.0
    if a == 0:
        return 0.0
    return _erlang_c_from_b(c, a, erlang_b(c, a))


def p_wait_longer(c: int, a: float, t: float, mean_service: float) -> float:
    """P(W > t) = C(c, a) exp(-(c - a) t / E[S]); `t` and `mean_service` in the same unit."""
    if not isinstance(t, int | float | np.integer | np.floating) or not math.isfinite(t) or t < 0:
        raise OptimizeError(f"t is {t!r}, but it must be a finite time >= 0")
    mean_service = _check_positive("mean_service", mean_service)
    c, a = _check_servers(c), _check_load(a)
    if a >= c:
        return 1.0
    return erlang_c(c, a) * math.exp(-(c - a) * t / mean_service)


def mean_wait(c: int, a: float, mean_service: float) -> float:
    """Mean wait in queue C(c, a) E[S] / (c - a), in the unit of `mean_service` (inf when a >= c)."""
    mean_service = _check_positive("mean_service", mean_service)
    c, a = _check_servers(c), _check_load(a)
    if a >= c:
        return math.inf
    return erlang_c(c, a) * mean_service / (c - a)


def _meets(
    c: int,
    a: float,
    b: float,
    mean_service: float,
    target_wait: float,
    max_p_wait_longer: float | None,
    max_mean_wait: float | None,
    max_occupancy: float | None,
) -> bool:
    """True if `c` servers (with Erlang B value `b`) carry `a` erlangs within every given target."""
    if a >= c:
        return False
    if max_occupancy is not None and a / c > max_occupancy * (1 + _TOLERANCE):
        return False
    if max_p_wait_longer is None and max_mean_wait is None:
        return True
    waits = _erlang_c_from_b(c, a, b)
    if max_p_wait_longer is not None:
        if waits * math.exp(-(c - a) * target_wait / mean_service) > max_p_wait_longer * (1 + _TOLERANCE):
            return False
    if max_mean_wait is not None and waits * mean_service / (c - a) > max_mean_wait * (1 + _TOLERANCE):
        return False
    return True


def _check_targets(
    target_wait: float | None,
    max_p_wait_longer: float | None,
    max_mean_wait: float | None,
    max_occupancy: float | None,
) -> float:
    if target_wait is not None:
        if not math.isfinite(target_wait) or target_wait < 0:
            raise OptimizeError(f"target_wait is {target_wait!r}, but it must be a finite time >= 0")
        if max_p_wait_longer is None:
            raise OptimizeError(
                f"target_wait is {target_wait!r} but max_p_wait_longer is not given: say what share of calls "
                f"may wait longer than target_wait (e.g. 0.2)"
            )
    if max_p_wait_longer is not None and not 0 < max_p_wait_longer <= 1:
        raise OptimizeError(f"max_p_wait_longer is {max_p_wait_longer!r}, but it must be in (0, 1]")
    if max_mean_wait is not None and (not math.isfinite(max_mean_wait) or max_mean_wait <= 0):
        raise OptimizeError(f"max_mean_wait is {max_mean_wait!r}, but it must be a positive time")
    if max_occupancy is not None and not 0 < max_occupancy <= 1:
        raise OptimizeError(f"max_occupancy is {max_occupancy!r}, but it must be in (0, 1], e.g. 0.6")
    return 0.0 if target_wait is None else float(target_wait)


def servers_needed(
    a: float,
    mean_service: float,
    *,
    target_wait: float | None = None,
    max_p_wait_longer: float | None = None,
    max_mean_wait: float | None = None,
    max_occupancy: float | None = None,
) -> int:
    """Fewest servers c > a meeting every given target: P(W > target_wait) <= max_p_wait_longer, mean wait, a/c."""
    a = _check_load(a)
    mean_service = _check_positive("mean_service", mean_service)
    wait = _check_targets(target_wait, max_p_wait_longer, max_mean_wait, max_occupancy)
    if a == 0:
        return 0
    # Start at the smallest stable staffing (c > a) that also meets the occupancy ceiling, then walk up,
    # extending the Erlang B recurrence one server at a time so the whole search costs O(c).
    c = math.floor(a) + 1
    if max_occupancy is not None:
        c = max(c, math.ceil(a / max_occupancy * (1 - _TOLERANCE)))
    b = 1.0
    for k in range(1, c + 1):
        b = a * b / (k + a * b)
    ceiling = c + 100 + 20 * math.ceil(math.sqrt(a) + 1) + 10 * c
    while not _meets(c, a, b, mean_service, wait, max_p_wait_longer, max_mean_wait, max_occupancy):
        c += 1
        b = a * b / (c + a * b)
        if c > ceiling:
            raise OptimizeError(
                f"no staffing up to {ceiling} units meets the target for a load of {a:g} erlangs; "
                f"check the targets (max_p_wait_longer={max_p_wait_longer!r}, max_mean_wait={max_mean_wait!r})"
            )
    return c


@dataclass(frozen=True)
class ServiceTarget:
    """Service target of one responder type: share_within of calls answered within answer_minutes."""

    answer_minutes: float  # T: the wait a call may have before a unit is assigned
    share_within: float  # 1 - alpha: e.g. 0.8 means 80% of calls wait no longer than T
    max_occupancy: float | None = None  # workload ceiling, e.g. 0.6 for the patrol "rule of 60"
    min_units: int = 0  # floor of units on duty in every bin, whatever the load
    max_mean_wait_minutes: float | None = None  # optional ceiling on the mean wait

    def __post_init__(self) -> None:
        if not math.isfinite(self.answer_minutes) or self.answer_minutes < 0:
            raise OptimizeError(f"answer_minutes is {self.answer_minutes!r}, but it must be a finite time >= 0")
        if not 0 <= self.share_within < 1:
            raise OptimizeError(
                f"share_within is {self.share_within!r}, but it must be in [0, 1): some calls always wait "
                f"when there is load, so 1.0 cannot be met"
            )
        if self.max_occupancy is not None and not 0 < self.max_occupancy <= 1:
            raise OptimizeError(f"max_occupancy is {self.max_occupancy!r}, but it must be in (0, 1], e.g. 0.6")
        if isinstance(self.min_units, bool) or not isinstance(self.min_units, int) or self.min_units < 0:
            raise OptimizeError(f"min_units is {self.min_units!r}, but it must be a whole number >= 0")
        if self.max_mean_wait_minutes is not None and (
            not math.isfinite(self.max_mean_wait_minutes) or self.max_mean_wait_minutes <= 0
        ):
            raise OptimizeError(
                f"max_mean_wait_minutes is {self.max_mean_wait_minutes!r}, but it must be a positive time"
            )

    def as_arguments(self) -> dict[str, float | None]:
        """The keyword arguments of `servers_needed` that express this target."""
        alpha = 1.0 - self.share_within
        return {
            "target_wait": self.answer_minutes if alpha < 1 else None,
            "max_p_wait_longer": alpha if alpha < 1 else None,
            "max_mean_wait": self.max_mean_wait_minutes,
            "max_occupancy": self.max_occupancy,
        }


@lru_cache(maxsize=65536)
def _needed_cached(a: float, mean_service: float, target: ServiceTarget) -> int:
    return servers_needed(a, mean_service, **target.as_arguments())


def units_needed(a: float, mean_service_minutes: float, target: ServiceTarget) -> int:
    """Units on duty needed for `a` erlangs under `target`, including its `min_units` floor."""
    return max(target.min_units, _needed_cached(float(a), float(mean_service_minutes), target))


def requirements(
    offered_load: np.ndarray,
    mean_service_minutes: float | np.ndarray,
    target: ServiceTarget,
) -> np.ndarray:
    """Units on duty needed in every bin for the offered load (erlangs) per bin; integer array of the same shape."""
    load = np.asarray(offered_load, dtype=float)
    if load.size and (not np.all(np.isfinite(load)) or load.min() < 0):
        bad = int(np.flatnonzero(~np.isfinite(load.ravel()) | (load.ravel() < 0))[0])
        raise OptimizeError(
            f"offered_load[{bad}] is {float(load.ravel()[bad])!r}, but loads must be finite and >= 0 erlangs"
        )
    service = np.broadcast_to(np.asarray(mean_service_minutes, dtype=float), load.shape)
    if service.size and (not np.all(np.isfinite(service)) or service.min() <= 0):
        raise OptimizeError(
            f"mean_service_minutes has {service.size} values with minimum {service.min()!r}, but every "
            f"value must be a positive number of minutes"
        )
    out = np.empty(load.shape, dtype=np.int64)
    for index in np.ndindex(load.shape):
        out[index] = units_needed(load[index], service[index], target)
    return out


def meets_target(units: int, a: float, mean_service_minutes: float, target: ServiceTarget) -> bool:
    """True if `units` on duty carry `a` erlangs within `target` (ignoring its `min_units` floor)."""
    units, a = _check_servers(units), _check_load(a)
    if a == 0:
        return True
    return units >= _needed_cached(a, float(mean_service_minutes), target)


@lru_cache(maxsize=4096)
def max_load(units: int, mean_service_minutes: float, target: ServiceTarget) -> float:
    """Largest offered load (erlangs) that `units` can carry within `target`, by bisection on the load."""
    units = _check_servers(units)
    mean_service_minutes = _check_positive("mean_service_minutes", mean_service_minutes)
    if units == 0:
        return 0.0
    low, high = 0.0, float(units)  # the target holds at 0 and fails at a = units (no stable queue)
    for _ in range(_BISECTION_STEPS):
        middle = 0.5 * (low + high)
        if meets_target(units, middle, mean_service_minutes, target):
            low = middle
        else:
            high = middle
    # `low` always meets the target, so a plan built on this capacity is never over-promised.
    return low
