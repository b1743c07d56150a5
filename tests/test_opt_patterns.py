"""Shift patterns: names, rotations, weekly coverage that wraps past Sunday, bins of 60/30/15 minutes."""

from __future__ import annotations

import numpy as np
import pytest

from optimize import (
    OptimizeError,
    ShiftPattern,
    bin_label,
    coverage_matrix,
    describe_bins,
    generate_patterns,
    n_bins,
    week_mask,
)
from optimize.bins import DAY_NAMES
from optimize.patterns import day_runs, days_label


def test_bin_counts_and_labels() -> None:
    assert (n_bins(60), n_bins(30), n_bins(15)) == (168, 336, 672)
    assert bin_label(0) == "Mon 00:00"
    assert bin_label(167) == "Sun 23:00"
    assert bin_label(17, 30) == "Mon 08:30"
    with pytest.raises(OptimizeError, match="bin_minutes is 7"):
        n_bins(7)


def test_describe_bins_joins_runs_across_the_week_end() -> None:
    assert describe_bins([8, 9], 168) == "Mon 08:00-10:00"
    assert describe_bins([166, 167, 0, 1], 168) == "Sun 22:00-Mon 02:00"
    assert describe_bins(range(16, 24), 168) == "Mon 16:00-24:00"
    assert describe_bins(range(168), 168) == "the whole week"


def test_standard_generation_counts_and_names() -> None:
    patterns = generate_patterns()
    # The standard rotations: 24 hourly starts x 7 rotations for 8 h (5x8), 10 h (4x10) and 12 h (3x12),
    # plus one Pitman 2-2-3 pattern per start for 12 h.
    assert len(patterns) == 24 * (7 * 3 + 1)
    names = [p.name for p in patterns]
    assert len(set(names)) == len(names)
    assert "8h 07:00 Mon-Fri" in names
    assert "8h 07:00 Sat-Wed" in names
    assert "10h 06:00 Mon-Thu" in names
    assert "10h 06:00 Fri-Mon" in names
    assert "12h 19:00 Sat-Mon" in names
    assert "12h 07:00 Pitman 2-2-3" in names
    assert {p.weekly_hours for p in patterns} == {40.0, 36.0, 84.0}


def test_pitman_is_a_daily_post_kept_by_two_teams() -> None:
    pitman = [p for p in generate_patterns((12,), 60) if "Pitman" in p.name]
    assert len(pitman) == 24
    post = pitman[7]
    assert post.name == "12h 07:00 Pitman 2-2-3"
    assert post.days == (True,) * 7 and post.teams == 2
    # One post filled 12 h every day: 84 unit-hours a week, 42 for each of its two teams.
    assert post.weekly_hours == 84.0 and post.coverage(60).sum() == 84
    assert all(p.teams == 1 for p in generate_patterns((8, 10), 60))
    with pytest.raises(OptimizeError, match="'pitman' is the 12 h Pitman 2-2-3 rotation, but shift length is 8"):
        generate_patterns((8,), 60, ("pitman",))
    with pytest.raises(OptimizeError, match="teams is 0"):
        ShiftPattern("x", 0, 720, (True,) * 7, 0)


def test_every_standard_day_set_is_one_contiguous_run_and_labelled_as_one() -> None:
    for pattern in generate_patterns():
        runs = day_runs(pattern.days)
        assert len(runs) == 1, pattern.name
        label = pattern.name.split(" ", 2)[2]
        if "Pitman" in label:
            continue
        assert "," not in label, pattern.name
        first, last = runs[0][0], runs[0][-1]
        if len(runs[0]) == 7:
            assert label == "daily"
        else:
            assert label == f"{DAY_NAMES[first]}-{DAY_NAMES[last]}", pattern.name


def test_days_label_writes_runs_even_over_the_weekend() -> None:
    def days(*names: str) -> tuple[bool, ...]:
        return tuple(d in names for d in DAY_NAMES)

    assert days_label(days("Mon", "Fri", "Sat", "Sun")) == "Fri-Mon"
    assert days_label(days("Mon", "Tue", "Wed", "Sun")) == "Sun-Wed"
    assert days_label(days("Sat", "Sun")) == "Sat-Sun"
    assert days_label(days("Sun")) == "Sun"
    assert days_label((True,) * 7) == "daily"
    # Not one run: the runs, Monday first, a wrapping run where it starts.
    assert days_label(days("Mon", "Wed")) == "Mon,Wed"
    assert days_label(days("Mon", "Wed", "Sat", "Sun")) == "Wed,Sat-Mon"


def test_custom_day_patterns_and_grid() -> None:
    daily = generate_patterns((8,), 480, ("everyday",))
    assert [p.name for p in daily] == ["8h 00:00 daily", "8h 08:00 daily", "8h 16:00 daily"]
    per_length = generate_patterns((8, 12), 720, {8: ("5on2off",), 12: ("everyday",)})
    assert len(per_length) == 2 * 7 + 2
    with pytest.raises(OptimizeError, match="start_every_minutes is 45"):
        generate_patterns(start_every_minutes=45, bin_minutes=30)
    with pytest.raises(OptimizeError, match="day pattern is '6on1off'"):
        generate_patterns((8,), 60, ("6on1off",))
    with pytest.raises(OptimizeError, match="no standard day pattern"):
        generate_patterns((9,))


def test_coverage_wraps_from_sunday_night_into_monday() -> None:
    night = ShiftPattern("8h 22:00 Sun", 22 * 60, 480, (False,) * 6 + (True,))
    assert list(np.flatnonzero(night.coverage(60))) == [0, 1, 2, 3, 4, 5, 166, 167]
    covered30 = np.flatnonzero(night.coverage(30))
    assert len(covered30) == 16 and 335 in covered30 and 0 in covered30 and 12 not in covered30


def test_coverage_counts_for_every_bin_size() -> None:
    pattern = ShiftPattern("10h 06:00 Mon-Thu", 360, 600, (True,) * 4 + (False,) * 3)
    for minutes in (60, 30, 15):
        cover = pattern.coverage(minutes)
        assert cover.shape == (n_bins(minutes),)
        assert cover.sum() == 4 * 600 // minutes
    matrix = coverage_matrix([pattern, pattern], 60)
    assert matrix.shape == (2, 168)


def test_only_whole_bins_count_as_covered() -> None:
    # Starting at 00:30 on hourly bins, the unit is on duty for the whole of only 7 of the 8 or 9 bins it touches.
    pattern = ShiftPattern("8h 00:30 Mon", 30, 480, (True,) + (False,) * 6)
    assert list(np.flatnonzero(pattern.coverage(60))) == [1, 2, 3, 4, 5, 6, 7]


def test_pattern_validation_names_the_field() -> None:
    with pytest.raises(OptimizeError, match="start_minute is 1500"):
        ShiftPattern("x", 1500, 480, (True,) * 7)
    with pytest.raises(OptimizeError, match="length_minutes is 0"):
        ShiftPattern("x", 0, 0, (True,) * 7)
    with pytest.raises(OptimizeError, match="days has 5 entries"):
        ShiftPattern("x", 0, 480, (True,) * 5)


def test_week_mask_every_day_0800_to_midnight() -> None:
    mask = week_mask(60, start_hour=8, end_hour=24)
    assert mask.sum() == 7 * 16
    assert mask[8] == 1 and mask[7] == 0 and mask[23] == 1 and mask[24] == 0
    overnight = week_mask(60, days=[6], start_hour=22, end_hour=26)
    assert list(np.flatnonzero(overnight)) == [0, 1, 166, 167]
