"""Civilian teams as overflow systems: the share of eligible calls that fall back to an officer.

An eligible call goes to a free civilian unit; if every unit is busy it waits, first come first served, at
most its category's fallback wait, and then an officer is sent. For the civilian team that is the M/M/n+G
queue with abandonment, falling back being the abandonment. Its steady state (Baccelli & Hebuterne 1981;
Zeltyn & Mandelbaum 2005, Queueing Systems 51:361-402), with time measured in mean service times, so calls
arrive at rate a (the offered load in erlangs) and a unit serves at rate 1:

- f(x) = a H(x) - n x, H(x) = integral_0^x Gbar(u) du, Gbar the survival function of the patience (the wait
  a call accepts before it falls back); J = integral_0^inf exp(f(x)) dx; E = 1 / ErlangB(n - 1, a).
- The virtual wait V (what an arriving call would wait with no fallback) has an atom E / (E + a J) at 0 and,
  for x > 0, the density a exp(f(x)) / (E + a J). A call whose patience is tau falls back iff V > tau, so
  P(fall back | tau) = a integral_tau^inf exp(f(x)) dx / (E + a J) and P(wait > 0) = a J / (E + a J).

Deterministic patience, one fallback wait per category sharing the team (M/M/n+D, one class: wait 0 is
Erlang B): Gbar is a step function, f is piecewise linear and every integral is a sum of exponentials in
closed form. Exponential patience with mean 1 / theta (Erlang A, Garnett, Mandelbaum & Reiman 2002, MSOM
4(3):208-227): expanding exp(a H(x)) term by term gives J = sum_k a^k / prod_{j<=k} (n + j theta) and
integral (1 - Gbar) exp(f) = (theta / a) sum_k k t_k (t_k the terms of J): series of positive terms, summed
until a geometric bound on the remainder is negligible, so the abandonment probability never comes from a
difference of near-equal numbers. Every exponent is taken in logarithms or scaled by the largest one before
exp, so hundreds of units and loads far above capacity neither overflow nor lose the small probabilities.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from optimize.errors import OptimizeError

# Shares must sum to 1 within this, as triage probabilities do in the simulation.
_SHARE_TOLERANCE = 1e-9
# Marginal gains of the carried load may rise by at most this (round-off) before it is an error.
_CONCAVITY_NOISE = 1e-12
# Scaled E is capped at e^700 (no overflow): a probability divided by it is below 1e-290 either way.
_MAX_EXPONENT = 700.0
# The Erlang A series stops once its remainder is below this fraction of the sum (e^-40 ~ 4e-18).
_SERIES_TAIL = -40.0
_SERIES_MAX_TERMS = 1 << 23


@dataclass(frozen=True)
class Overflow:
    """Steady state of a civilian team of `units` units offered `offered_load` erlangs of eligible calls."""

    units: int
    offered_load: float  # erlangs
    p_wait: float  # P(a call finds every unit busy)
    p_fallback: float  # share of all offered calls that fall back to an officer (abandon)
    p_fallback_by_class: tuple[float, ...]  # the same per class, in the order the classes were given

    @property
    def carried_load(self) -> float:
        """Erlangs the team carries: offered_load x (1 - p_fallback)."""
        return self.offered_load * (1.0 - self.p_fallback)


def _is_number(value: object) -> bool:
    return isinstance(value, int | float | np.integer | np.floating) and not isinstance(value, bool)


def _check_units(name: str, value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < 0:
        raise OptimizeError(f"{name} is {value!r}, but it must be a whole number >= 0")
    return int(value)


def _check_load(value: object) -> float:
    if not _is_number(value) or not math.isfinite(value) or value < 0:
        raise OptimizeError(f"offered_load is {value!r}, but it must be a finite number of erlangs >= 0")
    return float(value)


def _check_positive(name: str, value: object) -> float:
    if not _is_number(value) or not math.isfinite(value) or value <= 0:
        raise OptimizeError(f"{name} is {value!r}, but it must be a finite number > 0")
    return float(value)


def _check_classes(waits: Sequence[float], shares: Sequence[float] | None) -> tuple[np.ndarray, np.ndarray]:
    """Fallback waits and class shares as float arrays (equal shares when none are given)."""
    if isinstance(waits, str | bytes) or not isinstance(waits, Sequence | np.ndarray):
        raise OptimizeError(f"waits is {waits!r}, but it must be a sequence of fallback waits")
    if len(waits) == 0:
        raise OptimizeError("waits is empty, but it needs one fallback wait per class of calls")
    for c, wait in enumerate(waits):
        if not _is_number(wait) or not math.isfinite(wait) or wait < 0:
            raise OptimizeError(f"waits[{c}] is {wait!r}, but it must be a finite time >= 0")
    wait_array = np.asarray(waits, dtype=float)
    if shares is None:
        return wait_array, np.full(len(wait_array), 1.0 / len(wait_array))
    if isinstance(shares, str | bytes) or not isinstance(shares, Sequence | np.ndarray):
        raise OptimizeError(f"shares is {shares!r}, but it must be a sequence of shares, one per wait")
    if len(shares) != len(waits):
        raise OptimizeError(
            f"shares has length {len(shares)}, but waits has {len(waits)}: give one share per wait"
        )
    for c, share in enumerate(shares):
        if not _is_number(share) or not math.isfinite(share) or not 0 <= share <= 1:
            raise OptimizeError(f"shares[{c}] is {share!r}, but it must be a number in [0, 1]")
    total = math.fsum(float(s) for s in shares)
    if abs(total - 1.0) > _SHARE_TOLERANCE:
        raise OptimizeError(f"shares sum to {total!r}, but they must sum to 1")
    return wait_array, np.asarray(shares, dtype=float) / total


def _log_inverse_erlang_b(max_servers: int, a: float) -> np.ndarray:
    """log(1 / ErlangB(k, a)) for k = 0..max_servers (a > 0): 1/B(k) = 1 + k / (a B(k-1)), in logarithms."""
    out = np.zeros(max_servers + 1)
    log_a = math.log(a)
    value = 0.0
    for k in range(1, max_servers + 1):
        # log(1 + exp(x)) with x = log(k / a) + value, in a form that neither overflows nor cancels.
        x = math.log(k) - log_a + value
        value = x + math.log1p(math.exp(-x)) if x > 0 else math.log1p(math.exp(x))
        out[k] = value
    return out


def _relative_decay(z: np.ndarray) -> np.ndarray:
    """(1 - exp(-z)) / z for z >= 0 (1 at 0): a linear exponent's integral over a unit length, scaled."""
    small = z < 1e-8
    return np.where(small, 1.0 - 0.5 * z, -np.expm1(-z) / np.where(small, 1.0, z))


def _deterministic(
    servers: np.ndarray, a: float, waits: np.ndarray, shares: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """P(V > 0) per number of units >= 1 (K,) and P(V > wait) per class (K, classes); times in mean services.

    Breakpoints 0 = u_0 <= u_1 < ... < u_m are the distinct waits; on (u_{l-1}, u_l) the patience survival
    Gbar is the share of calls whose wait is at least u_l, so f rises or falls linearly between breakpoints
    and past u_m falls at rate n.
    """
    n = servers.astype(float)[:, None]  # (K, 1)
    breaks, class_break = np.unique(waits, return_inverse=True)  # class c waits breaks[class_break[c]]
    # Share of calls still patient on each interval (u_{l-1}, u_l): those whose wait is >= u_l.
    patient = np.array([shares[waits >= u].sum() for u in breaks])
    lengths = np.diff(breaks, prepend=0.0)
    h_at_break = np.cumsum(patient * lengths)  # H(u_l)
    # f at u_0 = 0, u_1, ..., u_m: (K, m + 1). Piecewise linear, so its largest value is at a breakpoint.
    f = np.concatenate((np.zeros((len(n), 1)), a * h_at_break[None, :] - n * breaks[None, :]), axis=1)
    scale = f.max(axis=1, keepdims=True)
    # Integral of exp(f - scale) over each interval: length x the larger end x (1 - e^-|rise|) / |rise|.
    high = np.maximum(f[:, 1:], f[:, :-1])
    pieces = lengths[None, :] * np.exp(high - scale) * _relative_decay(np.abs(np.diff(f, axis=1)))
    tail = np.exp(f[:, -1:] - scale) / n  # past the longest wait nobody is patient: f falls at rate n
    # beyond[:, l] = integral from u_l to infinity of exp(f - scale); beyond[:, 0] is J, scaled alike.
    after = np.cumsum(pieces[:, ::-1], axis=1)[:, ::-1]
    beyond = np.concatenate((after, np.zeros((len(n), 1))), axis=1) + tail
    log_e = _log_inverse_erlang_b(int(servers.max()) - 1, a)[servers - 1][:, None]
    # E + a J, scaled like J (E is 1 / ErlangB, huge only when a is far below n and nothing waits).
    normaliser = np.exp(np.minimum(log_e - scale, _MAX_EXPONENT)) + a * beyond[:, :1]
    p_beyond = np.clip(a * beyond / normaliser, 0.0, 1.0)
    return p_beyond[:, 0], p_beyond[:, 1:][:, class_break]


def fallback_deterministic(
    units: int,
    offered_load: float,
    mean_service: float,
    waits: Sequence[float],
    shares: Sequence[float] | None = None,
) -> Overflow:
    """M/M/n+D: classes of calls that fall back after their own fixed wait (wait 0 alone is Erlang B).

    `waits` and `mean_service` are in the same time unit; `shares` are the classes' shares of the offered
    calls (equal when not given). With no units everything falls back; with no load nothing does.
    """
    units = _check_units("units", units)
    a = _check_load(offered_load)
    mean_service = _check_positive("mean_service", mean_service)
    wait_array, share_array = _check_classes(waits, shares)
    n_classes = len(wait_array)
    if units == 0:
        return Overflow(units, a, 1.0, 1.0, (1.0,) * n_classes)
    if a == 0:
        return Overflow(units, a, 0.0, 0.0, (0.0,) * n_classes)
    scaled = wait_array / mean_service
    waits_any, by_class = _deterministic(np.array([units]), a, scaled, share_array)
    p_wait, by_class = float(waits_any[0]), by_class[0]
    p_fallback = min(1.0, float(np.dot(share_array, by_class)))
    return Overflow(units, a, p_wait, p_fallback, tuple(float(p) for p in by_class))


def _log_sum_exp(values: np.ndarray) -> float:
    """log(sum(exp(values))), shifted by the largest value and summed pairwise."""
    top = float(values.max())
    return top + math.log(float(np.exp(values - top).sum()))


def _erlang_a_logs(n: int, a: float, theta: float) -> tuple[float, float]:
    """log J and log sum_k k t_k of the Erlang A series t_k = a^k / prod_{j<=k} (n + j theta) (n, a > 0)."""
    log_a = math.log(a)
    log_j = -math.log(n)  # t_0 = 1 / n, which adds nothing to sum k t_k
    log_s1 = -math.inf
    last, start, size = log_j, 1, 256
    while True:
        k = np.arange(start, start + size, dtype=float)
        # t_k / t_{k-1} = a / (n + k theta) falls with k: the terms rise to one peak, then fall ever faster.
        log_terms = last + np.cumsum(log_a - np.log(n + k * theta))
        log_j = float(np.logaddexp(log_j, _log_sum_exp(log_terms)))
        log_s1 = float(np.logaddexp(log_s1, _log_sum_exp(log_terms + np.log(k))))
        last, k_last = float(log_terms[-1]), float(k[-1])
        ratio = a / (n + (k_last + 1.0) * theta)  # the next ratio; every later one is smaller
        if ratio < 1.0:
            # What is left is below sum_{j>=1} t_k r^j and sum_{j>=1} (k + j) t_k r^j (geometric series).
            rest_j = last + math.log(ratio) - math.log1p(-ratio)
            rest_s1 = rest_j + math.log(k_last + 1.0 / (1.0 - ratio))
            if rest_j < log_j + _SERIES_TAIL and rest_s1 < log_s1 + _SERIES_TAIL:
                return log_j, log_s1
        start += size
        size *= 2
        if start > _SERIES_MAX_TERMS:
            raise OptimizeError(
                f"mean_patience is {1 / theta:g} mean service times, too long for the Erlang A series to "
                f"converge with {a:g} erlangs on {n} units; model such patient calls with "
                f"fallback_deterministic"
            )


def fallback_erlang_a(units: int, offered_load: float, mean_service: float, mean_patience: float) -> Overflow:
    """M/M/n+M (Erlang A): calls fall back after an exponential wait of mean `mean_patience`.

    `mean_patience` and `mean_service` are in the same time unit. With no units everything falls back;
    with no load nothing does.
    """
    units = _check_units("units", units)
    a = _check_load(offered_load)
    mean_service = _check_positive("mean_service", mean_service)
    mean_patience = _check_positive("mean_patience", mean_patience)
    if units == 0:
        return Overflow(units, a, 1.0, 1.0, (1.0,))
    if a == 0:
        return Overflow(units, a, 0.0, 0.0, (0.0,))
    theta = mean_service / mean_patience
    log_j, log_s1 = _erlang_a_logs(units, a, theta)
    log_e = float(_log_inverse_erlang_b(units - 1, a)[-1])
    log_normaliser = float(np.logaddexp(log_e, math.log(a) + log_j))
    p_wait = min(1.0, math.exp(math.log(a) + log_j - log_normaliser))
    # P(abandon) = a integral (1 - Gbar) exp(f) / (E + a J) = theta sum_k k t_k / (E + a J).
    p_fallback = min(1.0, math.exp(math.log(theta) + log_s1 - log_normaliser))
    return Overflow(units, a, p_wait, p_fallback, (p_fallback,))


def carried_table(
    max_units: int,
    offered_load: float,
    mean_service: float,
    waits: Sequence[float],
    shares: Sequence[float] | None = None,
) -> np.ndarray:
    """Share of each class's offered calls carried by k = 0..max_units units: array (max_units + 1, classes).

    Row k is 1 - P(fallback) per class under M/M/k+D (as `fallback_deterministic`); row 0 is all zeros.
    Every column is non-decreasing in k and the carried load (rows weighted by `shares`) is concave in k:
    each added unit carries no more than the one before, so an LP can take the rows as incremental pieces.
    (One class alone need not be concave.) The rows are running sums of per-unit gains clamped to be so:
    round-off that breaks either property by less than 1e-12 is clamped, more is an error; differencing
    the rows again brings back round-off of about 1e-16.
    """
    max_units = _check_units("max_units", max_units)
    a = _check_load(offered_load)
    mean_service = _check_positive("mean_service", mean_service)
    wait_array, share_array = _check_classes(waits, shares)
    table = np.zeros((max_units + 1, len(wait_array)))
    if max_units == 0:
        return table
    if a == 0:
        table[1:] = 1.0
        return table
    servers = np.arange(1, max_units + 1)
    fallback = _deterministic(servers, a, wait_array / mean_service, share_array)[1]
    # Gains per unit from differences of the fallback probabilities: no 1 - p round-off when p is tiny.
    gains = -np.diff(np.vstack((np.ones((1, len(wait_array))), fallback)), axis=0)  # (max_units, classes)
    _check_shape(gains, share_array, a)
    gains = np.maximum(gains, 0.0)
    overall = gains @ share_array
    if np.any(overall[1:] > overall[:-1]):
        # Round-off only (checked above): shrink a unit's gains so it carries no more than the unit before.
        # Classes alone need not be concave (a class that never waits is not), so shrink them in proportion.
        for k in range(1, max_units):
            if overall[k] > overall[k - 1]:
                gains[k] *= overall[k - 1] / overall[k]
                overall[k] = overall[k - 1]
    table[1:] = np.cumsum(gains, axis=0)
    return np.clip(table, 0.0, 1.0)


def _check_shape(gains: np.ndarray, shares: np.ndarray, offered_load: float) -> None:
    """Raise if the gains per unit break monotonicity or concavity by more than round-off (a model error)."""
    smallest = float(gains.min())
    if smallest < -_CONCAVITY_NOISE:
        k, c = np.unravel_index(int(np.argmin(gains)), gains.shape)
        raise OptimizeError(
            f"with offered_load {offered_load!r}, class {c}'s carried share falls by {-smallest:.3g} from "
            f"{k} to {k + 1} units; expected it never to fall"
        )
    rise = np.diff(gains @ shares)
    if len(rise) and rise.max() > _CONCAVITY_NOISE:
        k = int(np.argmax(rise)) + 2
        raise OptimizeError(
            f"with offered_load {offered_load!r}, unit {k} carries {rise.max():.3g} more than unit {k - 1}; "
            f"expected the carried load to be concave in the units"
        )
