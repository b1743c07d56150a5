"""Civilian teams as overflow systems (M/M/n+D, Erlang A): known answers, quadrature and the simulation."""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from optimize import OptimizeError, erlang_b, erlang_c
from optimize.overflow import Overflow, carried_table, fallback_deterministic, fallback_erlang_a
from simulation import CategorySpec, PoissonArrivals, ResponderSpec, SimConfig, run_replications, t_quantile

# ------------------------------------------------------------------------------ independent references


def simpson(y: np.ndarray, x: np.ndarray) -> float:
    """Composite Simpson's rule on an odd number of equally spaced points."""
    assert len(x) % 2 == 1
    h = (x[-1] - x[0]) / (len(x) - 1)
    return float(h / 3.0 * (y[0] + y[-1] + 4.0 * y[1:-1:2].sum() + 2.0 * y[2:-1:2].sum()))


def quadrature_deterministic(n: int, a: float, waits: list[float], shares: list[float]) -> tuple[float, list]:
    """P(V > 0) and P(V > w_c) per class from the defining integrals, by Simpson on each piece of f.

    Waits in mean service times. Past the longest wait nobody is patient, f falls at rate n and that last
    integral is taken exactly.
    """
    breaks = sorted({0.0, *waits})
    gbar = [sum(s for w, s in zip(waits, shares, strict=True) if w >= hi) for hi in breaks[1:]]
    values = [0.0]  # f(x) = a H(x) - n x at each breakpoint
    for lo, hi, g in zip(breaks[:-1], breaks[1:], gbar, strict=True):
        values.append(values[-1] + (a * g - n) * (hi - lo))
    scale = max(values)
    integral_from = {}
    running = math.exp(values[-1] - scale) / n
    x = np.linspace(0.0, 1.0, 20001)
    integral_from[breaks[-1]] = running
    for k in range(len(breaks) - 2, -1, -1):
        lo, hi = breaks[k], breaks[k + 1]
        xs = lo + (hi - lo) * x
        f = values[k] + (a * gbar[k] - n) * (xs - lo)
        running += simpson(np.exp(f - scale), xs)
        integral_from[lo] = running
    e = 1.0 / erlang_b(n - 1, a)
    normaliser = e * math.exp(-scale) + a * integral_from[0.0]
    return a * integral_from[0.0] / normaliser, [a * integral_from[w] / normaliser for w in waits]


def quadrature_erlang_a(n: int, a: float, theta: float) -> tuple[float, float]:
    """P(wait) and P(abandon) of M/M/n+M from the defining integrals, by Simpson on a fine grid."""

    def f(x):
        return a * (-np.expm1(-theta * x)) / theta - n * x

    peak = max(0.0, math.log(a / n) / theta) if a > n else 0.0
    top = float(f(np.array(peak)))
    end = peak + 1.0
    while f(np.array(end)) > top - 60.0:  # past the peak f is concave and falls: e^-60 is nothing
        end = peak + 2.0 * (end - peak)
    xs = np.linspace(0.0, end, 400001)
    weight = np.exp(f(xs) - top)
    j = simpson(weight, xs)
    impatient = simpson(-np.expm1(-theta * xs) * weight, xs)  # integral (1 - Gbar) exp(f)
    normaliser = math.exp(-top) / erlang_b(n - 1, a) + a * j
    return a * j / normaliser, a * impatient / normaliser


def mm1d(rho: float, mu: float, wait: float) -> float:
    """P(abandon) of M/M/1+D in closed form: (1 - rho) rho e^-(1-rho) mu D / (1 - rho^2 e^-(1-rho) mu D)."""
    decay = math.exp(-(1.0 - rho) * mu * wait)
    return (1.0 - rho) * rho * decay / (1.0 - rho * rho * decay)


# ------------------------------------------------------------------------------ known answers


def test_wait_zero_is_erlang_b_design_known_answer():
    # DESIGN.md: a = 4 erlangs on c = 5 servers, P(block) = 0.1991. Nobody waits: a blocked call falls back.
    team = fallback_deterministic(5, 4.0, 1.0, [0.0])
    assert team.p_fallback == pytest.approx(0.1991, abs=5e-5)
    assert team.p_fallback == pytest.approx(erlang_b(5, 4.0), rel=1e-13)
    assert team.p_wait == pytest.approx(erlang_b(5, 4.0), rel=1e-13)
    assert team.carried_load == pytest.approx(4.0 * (1 - erlang_b(5, 4.0)), rel=1e-13)


@pytest.mark.parametrize("a", [0.3, 2.0, 7.5, 19.0, 40.0, 120.0])
def test_erlang_b_and_c_agree_with_queueing_module(a):
    for n in range(1, 61):
        blocked = fallback_deterministic(n, a, 12.0, [0.0])
        assert blocked.p_fallback == pytest.approx(erlang_b(n, a), rel=1e-11, abs=1e-300)
        if n > a:
            # Calls that wait "forever" (10^4 service times, with the queue stable): P(wait) is Erlang C and
            # nobody falls back.
            patient = fallback_deterministic(n, a, 12.0, [12.0e4])
            assert patient.p_wait == pytest.approx(erlang_c(n, a), rel=1e-11, abs=1e-300)
            assert patient.p_fallback < 1e-12


def test_erlang_a_pyworkforce_known_answer():
    # DESIGN.md: 100 calls per 30 minutes with a 3-minute handle time (10 erlangs), 13 agents, mean patience
    # 5 minutes: P(wait) = 0.2258, P(abandon) = 0.02496.
    team = fallback_erlang_a(13, 10.0, 3.0, 5.0)
    assert team.p_wait == pytest.approx(0.2258, abs=5e-5)
    assert team.p_fallback == pytest.approx(0.02496, abs=5e-6)
    assert team.p_fallback_by_class == (team.p_fallback,)


@pytest.mark.parametrize(
    ("n", "a", "mean_service", "mean_patience"),
    [
        (13, 10.0, 3.0, 5.0),
        (1, 0.5, 1.0, 1.0),
        (20, 5.0, 10.0, 2.0),
        (50, 80.0, 45.0, 600.0),
        (300, 290.0, 30.0, 15.0),
        (300, 600.0, 30.0, 15.0),
        (300, 600.0, 30.0, 600.0),  # the series peaks near term 6000
        (400, 399.0, 30.0, 3000.0),  # and here falls slowly for thousands of terms
    ],
)
def test_erlang_a_series_matches_the_defining_integrals(n, a, mean_service, mean_patience):
    # The module sums the series of J term by term; here J and the abandonment integral are integrated
    # numerically from their definitions, with E from optimize.queueing.
    team = fallback_erlang_a(n, a, mean_service, mean_patience)
    p_wait, p_abandon = quadrature_erlang_a(n, a, mean_service / mean_patience)
    assert team.p_wait == pytest.approx(p_wait, rel=1e-8)
    assert team.p_fallback == pytest.approx(p_abandon, rel=1e-8)


def test_erlang_a_limits_are_erlang_b_and_c():
    # Patience -> 0: a call that finds every unit busy leaves at once (Erlang B). Patience -> infinity with
    # a stable queue: everybody waits as in Erlang C and almost nobody leaves.
    impatient = fallback_erlang_a(5, 4.0, 1.0, 1e-7)
    assert impatient.p_fallback == pytest.approx(erlang_b(5, 4.0), rel=1e-6)
    patient = fallback_erlang_a(5, 4.0, 1.0, 1e6)
    assert patient.p_wait == pytest.approx(erlang_c(5, 4.0), rel=1e-5)
    assert patient.p_fallback < 1e-5


def test_erlang_a_is_the_limit_of_many_deterministic_classes():
    # Exponential patience as 4000 equal classes at the midpoint quantiles of the exponential: the two
    # formulas (series and piecewise-exponential closed form) must meet.
    classes = 4000
    waits = [-5.0 * math.log(1.0 - (k + 0.5) / classes) for k in range(classes)]
    mixture = fallback_deterministic(13, 10.0, 3.0, waits)
    exponential = fallback_erlang_a(13, 10.0, 3.0, 5.0)
    assert mixture.p_wait == pytest.approx(exponential.p_wait, rel=1e-4)
    assert mixture.p_fallback == pytest.approx(exponential.p_fallback, rel=1e-3)


# ------------------------------------------------------------------------------ deterministic patience


@pytest.mark.parametrize("rho", [0.5, 0.9, 1.5, 3.0])
@pytest.mark.parametrize("wait", [0.2, 1.0, 5.0])
def test_one_unit_matches_mm1d_closed_form(rho, wait):
    # Mean service 2 (mu = 1/2), so the wait in service times is wait / 2: the units are converted.
    team = fallback_deterministic(1, rho, 2.0, [wait])
    assert team.p_fallback == pytest.approx(mm1d(rho, 0.5, wait), rel=1e-12)
    # One unit: a call waits iff the unit is busy, which it is for the share carried_load of the time (PASTA).
    assert team.p_wait == pytest.approx(team.carried_load, rel=1e-12)


def test_two_units_worked_by_hand():
    # n = 2, a = 1.5, D = 0.5 service times. E = 1 / B(1, 1.5) = 1 + 1/1.5 = 5/3;
    # J = (1 - e^-0.25) / 0.5 + e^-0.25 / 2 = 0.4423984 + 0.3894004 = 0.8317988;
    # P(wait) = a J / (E + a J) = 1.2476982 / 2.9143649 = 0.4281201;
    # P(fallback) = a e^-0.25 / 2 / (E + a J) = 0.5841006 / 2.9143649 = 0.2004212.
    team = fallback_deterministic(2, 1.5, 1.0, [0.5])
    assert team.p_wait == pytest.approx(0.4281201, abs=1e-7)
    assert team.p_fallback == pytest.approx(0.2004212, abs=1e-7)
    # a = n: J = D + 1/n = 1, E = 1 / B(1, 2) = 3/2, so P(wait) = 2/3.5 = 4/7 and P(fallback) = 1/3.5 = 2/7,
    # and a load a hair either side of n gives the same (no 0/0 at the limit).
    exact = fallback_deterministic(2, 2.0, 1.0, [0.5])
    assert exact.p_wait == pytest.approx(4 / 7, rel=1e-14)
    assert exact.p_fallback == pytest.approx(2 / 7, rel=1e-14)
    for a in (2.0 * (1 - 1e-10), 2.0 * (1 + 1e-10)):
        near = fallback_deterministic(2, a, 1.0, [0.5])
        assert near.p_fallback == pytest.approx(2 / 7, rel=1e-8)


@pytest.mark.parametrize(
    ("n", "a", "mean_service", "waits", "shares"),
    [
        (3, 3.0, 20.0, [5.0, 30.0], [0.5, 0.5]),
        (10, 14.0, 45.0, [15.0, 20.0, 30.0, 45.0, 60.0], [0.3, 0.2, 0.2, 0.2, 0.1]),
        (4, 2.0, 30.0, [0.0, 10.0, 10.0], [0.2, 0.5, 0.3]),
        (300, 290.0, 30.0, [15.0, 60.0], [0.6, 0.4]),
        (300, 600.0, 30.0, [0.0, 15.0, 60.0], [0.2, 0.3, 0.5]),
    ],
)
def test_classes_match_the_defining_integrals(n, a, mean_service, waits, shares):
    team = fallback_deterministic(n, a, mean_service, waits, shares)
    p_wait, by_class = quadrature_deterministic(n, a, [w / mean_service for w in waits], shares)
    assert team.p_wait == pytest.approx(p_wait, rel=1e-9)
    assert team.p_fallback_by_class == pytest.approx(by_class, rel=1e-9)
    # The overall share also follows from the balance of flows, P(ab) = (1 + (a - n) J) / (E + a J), where
    # 1 / (E + a J) = (1 - P(wait)) B(n - 1, a) and J / (E + a J) = P(wait) / a.
    balance = (1.0 - team.p_wait) * erlang_b(n - 1, a) + (a - n) * team.p_wait / a
    assert team.p_fallback == pytest.approx(balance, rel=1e-9, abs=1e-12)


def test_longer_waits_fall_back_less_down_to_nothing():
    waits = [0.0, 0.1, 0.5, 1.0, 2.0, 5.0, 10.0, 50.0]
    fallback = [fallback_deterministic(5, 4.0, 1.0, [w]).p_fallback for w in waits]
    assert all(later < earlier for earlier, later in zip(fallback, fallback[1:], strict=False))
    assert fallback[0] == pytest.approx(erlang_b(5, 4.0), rel=1e-13)
    assert fallback[-1] < 1e-15  # a < n: with a long enough wait almost every call gets a civilian unit
    # Overloaded (a > n), the team carries at most n erlangs however long calls wait.
    assert fallback_deterministic(5, 8.0, 1.0, [50.0]).p_fallback == pytest.approx(1 - 5 / 8, rel=1e-12)


def test_more_units_never_fall_back_more():
    for a in (0.5, 4.0, 25.0):
        shares = [
            fallback_deterministic(n, a, 30.0, [15.0, 45.0], [0.4, 0.6]).p_fallback for n in range(0, 60)
        ]
        assert shares[0] == 1.0
        assert all(later <= earlier for earlier, later in zip(shares, shares[1:], strict=False))


def test_classes_with_equal_waits_are_one_class():
    single = fallback_deterministic(6, 5.0, 30.0, [20.0])
    mixed = fallback_deterministic(6, 5.0, 30.0, [20.0, 20.0, 20.0], [0.2, 0.3, 0.5])
    assert mixed.p_fallback_by_class == pytest.approx([single.p_fallback] * 3, rel=1e-14)
    assert mixed.p_fallback == pytest.approx(single.p_fallback, rel=1e-14)
    assert mixed.p_wait == pytest.approx(single.p_wait, rel=1e-14)


def test_class_order_and_shares_follow_their_waits():
    team = fallback_deterministic(4, 4.0, 30.0, [60.0, 15.0, 30.0], [0.2, 0.5, 0.3])
    p60, p15, p30 = team.p_fallback_by_class
    assert p15 > p30 > p60
    assert team.p_fallback == pytest.approx(0.2 * p60 + 0.5 * p15 + 0.3 * p30, rel=1e-14)
    # Shares default to equal.
    assert fallback_deterministic(4, 4.0, 30.0, [60.0, 15.0]) == fallback_deterministic(
        4, 4.0, 30.0, [60.0, 15.0], [0.5, 0.5]
    )


@pytest.mark.parametrize("a", [290.0, 600.0, 5000.0, 1e-6])
def test_hundreds_of_units_stay_finite(a):
    for waits in ([0.0], [15.0], [15.0, 20.0, 30.0, 45.0, 60.0], [6000.0]):
        team = fallback_deterministic(300, a, 30.0, waits)
        values = [team.p_wait, team.p_fallback, *team.p_fallback_by_class]
        assert all(math.isfinite(v) and 0.0 <= v <= 1.0 for v in values), (waits, team)
        assert team.carried_load <= 300 * (1 + 1e-12)
        if a > 300:
            # Carried load cannot exceed the units: at least 1 - n/a of the calls fall back.
            assert team.p_fallback >= 1 - 300 / a - 1e-12
    team = fallback_erlang_a(300, a, 30.0, 15.0)
    assert 0.0 <= team.p_fallback <= team.p_wait <= 1.0
    assert fallback_erlang_a(500, 499.0, 30.0, 20.0).p_wait < 1.0


def test_no_units_and_no_load():
    nobody = fallback_deterministic(0, 3.0, 30.0, [15.0, 45.0])
    assert (nobody.p_wait, nobody.p_fallback, nobody.p_fallback_by_class) == (1.0, 1.0, (1.0, 1.0))
    assert nobody.carried_load == 0.0
    quiet = fallback_deterministic(4, 0.0, 30.0, [15.0])
    assert (quiet.p_wait, quiet.p_fallback, quiet.carried_load) == (0.0, 0.0, 0.0)
    assert fallback_erlang_a(0, 3.0, 30.0, 10.0).p_fallback == 1.0
    assert fallback_erlang_a(4, 0.0, 30.0, 10.0).p_fallback == 0.0


def test_result_is_frozen():
    team = fallback_deterministic(3, 2.0, 30.0, [15.0])
    assert isinstance(team, Overflow)
    with pytest.raises(dataclasses.FrozenInstanceError):
        team.units = 4  # type: ignore[misc]


@pytest.mark.parametrize(
    ("call", "words"),
    [
        (lambda: fallback_deterministic(-1, 2.0, 30.0, [15.0]), "units is -1"),
        (lambda: fallback_deterministic(2.5, 2.0, 30.0, [15.0]), "units is 2.5"),
        (lambda: fallback_deterministic(True, 2.0, 30.0, [15.0]), "units is True"),
        (lambda: fallback_deterministic(2, -1.0, 30.0, [15.0]), "offered_load is -1.0"),
        (lambda: fallback_deterministic(2, math.nan, 30.0, [15.0]), "offered_load is nan"),
        (lambda: fallback_deterministic(2, 2.0, 0.0, [15.0]), "mean_service is 0.0"),
        (lambda: fallback_deterministic(2, 2.0, 30.0, []), "waits is empty"),
        (lambda: fallback_deterministic(2, 2.0, 30.0, 15.0), "waits is 15.0"),
        (lambda: fallback_deterministic(2, 2.0, 30.0, [15.0, -1.0]), "waits[1] is -1.0"),
        (lambda: fallback_deterministic(2, 2.0, 30.0, [math.inf]), "waits[0] is inf"),
        (lambda: fallback_deterministic(2, 2.0, 30.0, [15.0, 30.0], [1.0]), "shares has length 1"),
        (lambda: fallback_deterministic(2, 2.0, 30.0, [15.0, 30.0], [0.5, 0.6]), "shares sum to 1.1"),
        (lambda: fallback_deterministic(2, 2.0, 30.0, [15.0, 30.0], [1.5, -0.5]), "shares[0] is 1.5"),
        (lambda: fallback_erlang_a(2, 2.0, 30.0, 0.0), "mean_patience is 0.0"),
        (lambda: fallback_erlang_a(2, 2.0, -3.0, 5.0), "mean_service is -3.0"),
        (lambda: carried_table(-2, 2.0, 30.0, [15.0]), "max_units is -2"),
    ],
)
def test_bad_input_names_the_argument_and_value(call, words):
    with pytest.raises(OptimizeError) as raised:
        call()
    assert words in str(raised.value)


# ------------------------------------------------------------------------------ the table for the LP


def test_carried_table_matches_fallback_deterministic_at_every_k():
    waits, shares = [15.0, 20.0, 30.0, 45.0, 60.0], [0.3, 0.2, 0.2, 0.2, 0.1]
    for a in (0.2, 3.7, 18.0, 55.0):
        table = carried_table(40, a, 45.0, waits, shares)
        assert table.shape == (41, 5)
        assert np.all(table[0] == 0.0)
        for k in range(1, 41):
            direct = fallback_deterministic(k, a, 45.0, waits, shares)
            assert table[k] == pytest.approx([1 - p for p in direct.p_fallback_by_class], abs=1e-12)
            assert a * table[k] @ np.asarray(shares) == pytest.approx(direct.carried_load, abs=1e-10)


def test_carried_table_is_erlang_b_for_wait_zero():
    table = carried_table(12, 4.0, 1.0, [0.0])
    assert table[:, 0] == pytest.approx([0.0] + [1 - erlang_b(k, 4.0) for k in range(1, 13)], abs=1e-14)


def test_carried_table_edges():
    assert carried_table(0, 3.0, 30.0, [15.0, 30.0]).tolist() == [[0.0, 0.0]]
    quiet = carried_table(3, 0.0, 30.0, [15.0])
    assert quiet[:, 0].tolist() == [0.0, 1.0, 1.0, 1.0]


def assert_lp_ready(table: np.ndarray, shares: np.ndarray) -> None:
    """Columns non-decreasing in k; the carried share (weighted by class) has non-increasing gains.

    The table holds running sums of non-increasing gains; differencing it again costs round-off (1e-16).
    """
    assert np.all(np.diff(table, axis=0) >= 0.0)
    gains = np.diff(table @ shares)
    assert np.all(np.diff(gains) <= 1e-14), np.diff(gains).max()
    assert np.all((table >= 0.0) & (table <= 1.0))


def test_carried_table_is_concave_for_heavy_and_light_loads():
    waits, shares = [0.0, 15.0, 20.0, 30.0, 45.0, 60.0], np.array([0.1, 0.2, 0.2, 0.2, 0.2, 0.1])
    for a in (0.01, 1.0, 10.0, 39.5, 80.0, 500.0):
        assert_lp_ready(carried_table(40, a, 30.0, waits, shares), shares)
    # One class alone need not be concave (calls that never wait gain little from the first units, which
    # the patient calls keep busy); only the total is promised concave.
    table = carried_table(40, 10.0, 30.0, [0.0, 60.0], [0.5, 0.5])
    assert np.diff(table[:, 0], 2).max() > 0.01


@settings(max_examples=60, deadline=None)
@given(
    a=st.floats(0.0, 400.0),
    waits=st.lists(st.sampled_from([0.0, 5.0, 15.0, 20.0, 30.0, 45.0, 60.0, 240.0]), min_size=1, max_size=5),
    mean_service=st.floats(5.0, 120.0),
    max_units=st.integers(0, 80),
    seed=st.integers(0, 2**32 - 1),
)
def test_carried_table_is_always_lp_ready(a, waits, mean_service, max_units, seed):
    shares = np.random.default_rng(seed).dirichlet(np.ones(len(waits)))
    table = carried_table(max_units, a, mean_service, waits, list(shares))
    assert table.shape == (max_units + 1, len(waits))
    assert_lp_ready(table, shares)


# ------------------------------------------------------------------------------ against the simulation
# The engine has deterministic fallback waits only, so Erlang A (exponential patience) cannot be simulated:
# it is checked against its known answer, the defining integrals and the deterministic mixture above.


def finish(run):
    """Drive a run_replications generator to the end and return its result."""
    while True:
        try:
            next(run)
        except StopIteration as stop:
            return stop.value


def civilian_team(
    units: int, a: float, mean_service: float, waits: list[float], shares: list[float]
) -> SimConfig:
    """One civilian type with `units` always on duty, a category per wait, Poisson calls, exponential service."""
    calls = 30_000  # per replication
    categories = tuple(
        CategorySpec(f"class_{c}", ((("social_worker",), 1.0),), wait, mean_service, on_scene_cv=1.0)
        for c, wait in enumerate(waits)
    )
    rates = np.vstack([np.full(168, a * share / mean_service * 60.0) for share in shares])
    return SimConfig(
        responders=(
            ResponderSpec("officer", on_duty=np.full(168, 60)),  # plenty: the fallback type never queues
            ResponderSpec("social_worker", on_duty=np.full(168, units)),
        ),
        categories=categories,
        arrivals=PoissonArrivals(rates),
        horizon_minutes=calls * mean_service / a,
        warmup_minutes=20.0 * mean_service,
    )


def fallback_intervals(config: SimConfig, n_classes: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Mean and 95% half-width over 8 replications of each class's fallback share."""
    result = finish(run_replications(config, 8, seed=seed))
    shares = np.array(
        [
            [
                rep.records.loc[rep.records["category"] == f"class_{c}", "fallback"].mean()
                for c in range(n_classes)
            ]
            for rep in result.replications
        ]
    )
    half = t_quantile(0.975, len(shares) - 1) * shares.std(axis=0, ddof=1) / math.sqrt(len(shares))
    return shares.mean(axis=0), half


@pytest.mark.parametrize(
    ("units", "a", "mean_service", "waits", "shares", "seed"),
    [
        pytest.param(3, 2.0, 20.0, [0.0], [1.0], 1, id="erlang-b"),
        pytest.param(4, 3.5, 30.0, [10.0], [1.0], 2, id="one-wait"),
        pytest.param(3, 3.0, 20.0, [5.0, 30.0], [0.5, 0.5], 3, id="two-waits"),
    ],
)
def test_simulated_fallback_share_matches_formula(units, a, mean_service, waits, shares, seed):
    formula = fallback_deterministic(units, a, mean_service, waits, shares)
    mean, half = fallback_intervals(civilian_team(units, a, mean_service, waits, shares), len(waits), seed)
    for c, expected in enumerate(formula.p_fallback_by_class):
        assert mean[c] - half[c] <= expected <= mean[c] + half[c], (c, expected, mean[c], half[c])
        assert half[c] < 0.1 * expected  # and the interval is tight enough to mean something
