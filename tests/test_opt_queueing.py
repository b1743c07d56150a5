"""Erlang B/C and staffing requirements against values computed independently (exact rationals, tables)."""

from __future__ import annotations

import math
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from optimize import (
    OptimizeError,
    ServiceTarget,
    erlang_b,
    erlang_c,
    max_load,
    mean_wait,
    meets_target,
    n_bins,
    p_wait_longer,
    requirements,
    servers_needed,
)


def exact_erlang_c(c: int, a: Fraction) -> Fraction:
    """The textbook formula with factorials, in exact rational arithmetic: only for checking the engine."""
    top = a**c / math.factorial(c) * Fraction(c) / (c - a)
    return top / (sum(a**k / math.factorial(k) for k in range(c)) + top)


def test_design_known_answer_a4_c5() -> None:
    # DESIGN.md: a = 4 erlangs on c = 5 servers waits with probability 0.5541.
    assert erlang_c(5, 4.0) == pytest.approx(0.5541, abs=1e-4)
    assert erlang_c(5, 4.0) == pytest.approx(float(exact_erlang_c(5, Fraction(4))), rel=1e-12)
    # Exactly 64/115.5 = 128/231.
    assert exact_erlang_c(5, Fraction(4)) == Fraction(128, 231)
    for service in (1.0, 12.5, 45.0):
        assert mean_wait(5, 4.0, service) == pytest.approx(erlang_c(5, 4.0) * service / (5 - 4), rel=1e-12)
        assert mean_wait(5, 4.0, service) == pytest.approx(0.5541 * service, rel=1e-4)


def test_erlang_b_small_cases_by_hand() -> None:
    assert erlang_b(0, 3.0) == 1.0
    assert erlang_b(1, 3.0) == pytest.approx(3 / 4)
    # B(2, 1) = (1/2) / (1 + 1 + 1/2) = 0.2
    assert erlang_b(2, 1.0) == pytest.approx(0.2)


@settings(max_examples=60, deadline=None)
@given(c=st.integers(min_value=1, max_value=60), ratio=st.fractions(min_value=Fraction(1, 100), max_value=Fraction(99, 100), max_denominator=1000))
def test_erlang_c_matches_exact_formula(c: int, ratio: Fraction) -> None:
    a = ratio * c
    assert erlang_c(c, float(a)) == pytest.approx(float(exact_erlang_c(c, a)), rel=1e-9)


def test_hundreds_of_servers_near_full_load_do_not_overflow() -> None:
    # 300 servers at 95% load: raw factorials would overflow a float (300! ~ 3e614).
    value = erlang_c(300, 285.0)
    assert 0 < value < 1
    assert value == pytest.approx(float(exact_erlang_c(300, Fraction(285))), rel=1e-9)
    assert 0 < erlang_c(800, 796.0) < 1
    assert math.isfinite(mean_wait(300, 285.0, 30.0))


def test_overloaded_and_idle_systems() -> None:
    assert erlang_c(5, 5.0) == 1.0
    assert erlang_c(5, 7.5) == 1.0
    assert p_wait_longer(5, 6.0, 10.0, 30.0) == 1.0
    assert mean_wait(5, 5.0, 30.0) == math.inf
    assert erlang_c(5, 0.0) == 0.0
    assert servers_needed(0.0, 30.0, target_wait=10, max_p_wait_longer=0.2) == 0


def test_p_wait_longer_formula() -> None:
    # P(W > t) = C exp(-(c - a) t / E[S]) with t and E[S] in the same unit.
    assert p_wait_longer(5, 4.0, 6.0, 30.0) == pytest.approx(128 / 231 * math.exp(-6 / 30), rel=1e-12)
    assert p_wait_longer(5, 4.0, 0.0, 30.0) == pytest.approx(erlang_c(5, 4.0))


def test_call_centre_example_against_exact_formula() -> None:
    # 100 calls per 30 minutes at 180 s each is a = 10 erlangs; 80% answered within 20 s.
    a, service = 10.0, 180.0  # seconds
    for c, level in ((13, 0.7956), (14, 0.8884)):
        exact = 1 - float(exact_erlang_c(c, Fraction(10))) * math.exp(-(c - a) * 20 / service)
        assert exact == pytest.approx(level, abs=1e-4)
        assert 1 - p_wait_longer(c, a, 20, service) == pytest.approx(exact, rel=1e-12)
    assert servers_needed(a, service, target_wait=20, max_p_wait_longer=0.2) == 14


@settings(max_examples=40, deadline=None)
@given(
    load=st.floats(min_value=0.01, max_value=80),
    wait=st.floats(min_value=0, max_value=30),
    alpha=st.floats(min_value=0.01, max_value=0.5),
    occupancy=st.one_of(st.none(), st.floats(min_value=0.3, max_value=1.0)),
)
def test_servers_needed_is_minimal(load: float, wait: float, alpha: float, occupancy: float | None) -> None:
    service = 30.0
    c = servers_needed(load, service, target_wait=wait, max_p_wait_longer=alpha, max_occupancy=occupancy)
    assert c > load
    assert p_wait_longer(c, load, wait, service) <= alpha * (1 + 1e-12)
    if occupancy is not None:
        assert load / c <= occupancy * (1 + 1e-12)
    fewer = c - 1
    fails = fewer <= load or p_wait_longer(fewer, load, wait, service) > alpha
    if occupancy is not None:
        fails = fails or load / fewer > occupancy
    assert fails


def test_servers_needed_is_monotone_in_load() -> None:
    loads = np.linspace(0, 60, 241)
    counts = [servers_needed(a, 45.0, target_wait=10, max_p_wait_longer=0.2, max_occupancy=0.6) for a in loads]
    assert all(b >= a for a, b in zip(counts, counts[1:], strict=False))
    mean_counts = [servers_needed(a, 45.0, max_mean_wait=5.0) for a in loads]
    assert all(b >= a for a, b in zip(mean_counts, mean_counts[1:], strict=False))


def test_rule_of_sixty_alone() -> None:
    # a = 6 erlangs at most 60% busy needs exactly 10 units, 12 erlangs 20 units.
    assert servers_needed(6.0, 30.0, max_occupancy=0.6) == 10
    assert servers_needed(12.0, 30.0, max_occupancy=0.6) == 20


def test_requirements_vectorised_over_a_week_of_bins() -> None:
    target = ServiceTarget(answer_minutes=10, share_within=0.8, max_occupancy=0.6, min_units=1)
    bins = n_bins(30)
    assert bins == 336
    load = np.abs(np.sin(np.arange(bins) / 20)) * 8
    load[:5] = 0
    need = requirements(load, 35.0, target)
    assert need.shape == (bins,) and need.dtype.kind == "i"
    assert (need[:5] == 1).all()  # min_units holds even with no load
    for i in (7, 50, 200):
        assert need[i] == max(1, servers_needed(load[i], 35.0, target_wait=10, max_p_wait_longer=0.2, max_occupancy=0.6))
    per_bin_service = np.full(bins, 35.0)
    assert (requirements(load, per_bin_service, target) == need).all()


def test_max_load_inverts_servers_needed() -> None:
    target = ServiceTarget(answer_minutes=10, share_within=0.8)
    for units in (1, 2, 5, 17):
        cap = max_load(units, 40.0, target)
        assert meets_target(units, cap, 40.0, target)
        assert not meets_target(units, cap * (1 + 1e-6) + 1e-9, 40.0, target)
    assert max_load(0, 40.0, target) == 0.0


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"answer_minutes": -1, "share_within": 0.8}, "answer_minutes"),
        ({"answer_minutes": 10, "share_within": 1.0}, "share_within"),
        ({"answer_minutes": 10, "share_within": 0.8, "max_occupancy": 1.5}, "max_occupancy"),
        ({"answer_minutes": 10, "share_within": 0.8, "min_units": -2}, "min_units"),
    ],
)
def test_service_target_rejects_bad_values_naming_the_field(kwargs: dict, field: str) -> None:
    with pytest.raises(OptimizeError, match=field):
        ServiceTarget(**kwargs)


def test_bad_arguments_are_named() -> None:
    with pytest.raises(OptimizeError, match="offered load"):
        erlang_c(5, -1.0)
    with pytest.raises(OptimizeError, match="servers"):
        erlang_b(-1, 2.0)
    with pytest.raises(OptimizeError, match="max_p_wait_longer"):
        servers_needed(3.0, 30.0, target_wait=10)
    with pytest.raises(OptimizeError, match=r"offered_load\[2\]"):
        requirements(np.array([1.0, 2.0, -3.0]), 30.0, ServiceTarget(10, 0.8))
