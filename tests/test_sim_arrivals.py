"""Arrivals: the thinned Poisson process reproduces its rates; a trace is replayed as given."""

from __future__ import annotations

import math

import numpy as np
import pytest

from simulation import WEEK_MINUTES, CategorySpec, PoissonArrivals, ResponderSpec, SimConfig, TraceArrivals
from simulation.arrivals import draw_calls


def chi_square_critical(df: int, level: float = 0.999) -> float:
    """Upper quantile of chi-square (Wilson-Hilferty; within 1% for df >= 30)."""
    z = {0.999: 3.0902, 0.99: 2.3263}[level]
    return df * (1 - 2 / (9 * df) + z * math.sqrt(2 / (9 * df))) ** 3


def weekly_rates() -> np.ndarray:
    hour = np.arange(168)
    busy = 6.0 + 4.0 * np.sin(2 * np.pi * (hour % 24 - 9) / 24)  # 2 to 10 calls an hour
    quiet = np.where(hour % 24 < 7, 0.0, 1.5)  # none at night
    return np.vstack([busy, quiet])


def config_for(arrivals, weeks: float) -> SimConfig:
    return SimConfig(
        responders=(ResponderSpec("officer", on_duty=np.full(168, 50)),),
        categories=(
            CategorySpec("busy", ((("officer",), 1.0),), 0.0, 10.0),
            CategorySpec("quiet", ((("officer",), 1.0),), 0.0, 10.0),
        ),
        arrivals=arrivals,
        horizon_minutes=weeks * WEEK_MINUTES,
    )


def test_nhpp_counts_per_bin_match_rates():
    weeks = 20
    rates = weekly_rates()
    calls = draw_calls(config_for(PoissonArrivals(rates), weeks), np.random.default_rng(2024))
    hour_of_week = (calls.minute // 60).astype(int) % 168
    for c in range(2):
        observed = np.bincount(hour_of_week[calls.category == c], minlength=168)
        expected = rates[c] * weeks
        # Bins with rate 0 must stay empty.
        assert observed[expected == 0].sum() == 0
        live = expected > 0
        z = (observed[live] - expected[live]) / np.sqrt(expected[live])
        assert np.abs(z).max() < 4.0
        chi2 = float(np.sum(z**2))
        assert chi2 < chi_square_critical(int(live.sum()) - 1), (c, chi2)
    # The totals of the whole horizon too.
    assert abs(len(calls) - rates.sum() * weeks) < 4 * math.sqrt(rates.sum() * weeks)


def test_growth_scales_the_rates():
    rates = weekly_rates()
    calls = draw_calls(config_for(PoissonArrivals(rates, growth=1.5), 10), np.random.default_rng(7))
    expected = rates.sum() * 10 * 1.5
    assert abs(len(calls) - expected) < 4 * math.sqrt(expected)


def test_nhpp_within_bin_times_are_uniform_and_sorted():
    # 15-minute bins, rate only in the first bin of each day: arrivals fall in minutes 0-15 of the day.
    rates = np.zeros((2, 672))
    rates[0, ::96] = 40.0
    calls = draw_calls(config_for(PoissonArrivals(rates, bin_minutes=15), 30), np.random.default_rng(1))
    assert np.all(np.diff(calls.minute) >= 0)
    in_day = calls.minute % 1440
    assert in_day.max() < 15.0
    # Uniform on [0, 15): mean 7.5, sd 15 / sqrt(12).
    assert abs(in_day.mean() - 7.5) < 4 * (15 / math.sqrt(12)) / math.sqrt(len(in_day))


def test_priority_and_units_follow_their_probabilities():
    rates = np.full((2, 168), 5.0)
    arrivals = PoissonArrivals(
        rates,
        priority_probs=np.array([[0.2, 0.8], [1.0, 0.0]]),
        units_probs=np.array([[0.5, 0.5], [1.0, 0.0]]),
    )
    calls = draw_calls(config_for(arrivals, 4), np.random.default_rng(3))
    busy = calls.category == 0
    n = busy.sum()
    share = float(np.mean(calls.priority[busy] == 1))
    assert abs(share - 0.2) < 4 * math.sqrt(0.2 * 0.8 / n)
    assert set(calls.priority[~busy].tolist()) == {1}
    assert abs(float(np.mean(calls.units[busy] == 2)) - 0.5) < 4 * math.sqrt(0.25 / n)
    assert set(calls.units[~busy].tolist()) == {1}


def test_trace_is_replayed_in_time_order_up_to_the_horizon():
    trace = TraceArrivals(
        minute=np.array([30.0, 10.0, 10.0, 5000.0, 20.0]),
        category=np.array([0, 1, 0, 0, 1]),
        priority=np.array([2, 1, 3, 1, 1]),
    )
    config = config_for(trace, 1)
    config = SimConfig(config.responders, config.categories, trace, horizon_minutes=1000.0)
    calls = draw_calls(config, np.random.default_rng(0))
    # Minute 5000 is past the horizon; equal minutes keep the trace order.
    assert calls.call_index.tolist() == [1, 2, 4, 0]
    assert calls.minute.tolist() == [10.0, 10.0, 20.0, 30.0]
    assert calls.priority.tolist() == [1, 3, 1, 2]


@pytest.mark.parametrize("seed", [0, 1])
def test_same_seed_same_arrivals(seed):
    config = config_for(PoissonArrivals(weekly_rates()), 2)
    a = draw_calls(config, np.random.default_rng(seed))
    b = draw_calls(config, np.random.default_rng(seed))
    np.testing.assert_array_equal(a.minute, b.minute)
    np.testing.assert_array_equal(a.category, b.category)
