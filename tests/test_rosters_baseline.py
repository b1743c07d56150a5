"""An hourly on_duty baseline is simulated and priced as a runnable roster, not as invented unit intervals."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

import planner.simulate as simulate_module
import simulation as sim
from optimize.patterns import day_runs
from planner.costs import staffing_table
from planner.demand import build_demand, load_calls
from planner.jobs import run_job
from planner.scenario import (
    days_label,
    load_scenario,
    parse_days,
    scenario_from_dict,
    scenario_to_dict,
)
from planner.simulate import _block_shifts, build_config, simulate, staffing_roster
from tests.conftest import SAMPLES

BASELINE = SAMPLES / "midsize_city" / "baseline.toml"


@pytest.fixture(scope="module")
def baseline():
    return load_scenario(BASELINE)


@pytest.fixture(scope="module")
def demand(baseline):
    return build_demand(baseline, load_calls(baseline))


def _as_shift_blocks(scenario, name: str):
    """The scenario with the type's runnable roster written out as shift blocks."""
    roster = staffing_roster(scenario.responders[name])
    d = scenario_to_dict(scenario)
    officer = d["responders"][name]
    officer.pop("on_duty")
    officer["shifts"] = [{"start": f"{b.start_minute // 60:02d}:{b.start_minute % 60:02d}", "hours": b.hours,
                          "days": days_label(b.days), "units": b.units} for b in roster.blocks]
    return scenario_from_dict(d, BASELINE)


def test_midsize_baseline_becomes_a_roster_a_department_can_run(baseline):
    officer = baseline.responders["officer"]
    roster = staffing_roster(officer)
    assert roster.source == "runnable roster"
    # Never fewer units than the scenario states, in any hour of the week.
    assert (roster.on_duty(60) >= officer.on_duty(60)).all()
    assert len({b.start_minute for b in roster.blocks}) <= 3 == officer.max_start_times
    for b in roster.blocks:
        assert b.hours in (8, 10, 12) and b.units > 0
        assert len(day_runs(b.days)) == 1  # one run of working days, written as one ("Fri-Mon")
        assert "," not in days_label(b.days) and parse_days(days_label(b.days), "x") == b.days
    # The least a three-watch roster of standard rotations needs over the stated 1,792 unit-hours a week.
    assert roster.unit_hours_per_week == 1956


def test_conversion_is_cached(baseline):
    officer = baseline.responders["officer"]
    staffing_roster(officer)
    before = simulate_module._runnable_blocks.cache_info()
    again = staffing_roster(dataclasses.replace(officer, name="officer"))
    after = simulate_module._runnable_blocks.cache_info()
    assert after.hits == before.hits + 1 and after.misses == before.misses
    assert again.blocks == staffing_roster(officer).blocks


def test_hourly_baseline_costs_and_simulates_as_its_roster_written_out(baseline, demand):
    written = _as_shift_blocks(baseline, "officer")
    assert staffing_roster(written.responders["officer"]).source == "shifts"
    hourly, explicit = staffing_table(baseline), staffing_table(written)
    for column in ("unit_hours_per_week", "headcount", "units_at_peak", "staffing_cost"):
        assert hourly.loc["officer", column] == pytest.approx(explicit.loc["officer", column]), column
    # 1,956 unit-hours a week / 56 x 1.7 relief, and one vehicle per unit on the street at the busiest hour.
    assert hourly.loc["officer", "headcount"] == pytest.approx(1956 / 56 * 1.7)
    a = run_job(simulate(baseline, demand, replications=2, seed=3, horizon_days=8))
    b = run_job(simulate(written, demand, replications=2, seed=3, horizon_days=8))
    assert a.kpis.equals(b.kpis)
    assert any("officer: the hourly on_duty list is simulated and priced as a runnable roster" in n for n in a.notes)
    assert b.notes == []


def _overtime_per_shift_end(config: sim.SimConfig, reps: int, seed: int) -> tuple[float, float, float]:
    """Officer overtime (hours a year), shift ends a week and overtime minutes per shift end."""
    result = run_job(sim.run_replications(config, reps, seed))
    officer = config.responders[config.type_names.index("officer")]
    shifts = officer.unit_shifts(config.horizon_minutes + 7 * 1440)
    ends = ((shifts[:, 1] >= config.warmup_minutes) & (shifts[:, 1] < config.horizon_minutes)).sum()
    minutes = np.mean([r.overtime_minutes["officer"] for r in result.replications])
    hours_a_year = np.mean([r.kpis["overtime_hours_per_year.officer"] for r in result.replications])
    weeks = (config.horizon_minutes - config.warmup_minutes) / (7 * 1440)
    return float(hours_a_year), float(ends / weeks), float(minutes / ends)


def test_overtime_against_the_old_interval_conversion(baseline, demand):
    settings = baseline.simulation
    config = build_config(baseline, demand)
    officer = baseline.responders["officer"]
    old = sim.ResponderSpec("officer", on_duty=np.rint(officer.on_duty(60)).astype(np.int64), bin_minutes=60,
                            travel_mean_minutes=officer.travel_minutes, travel_cv=officer.travel_cv)
    old_config = dataclasses.replace(
        config, responders=tuple(old if r.name == "officer" else r for r in config.responders))
    new_hours, new_ends, new_per_end = _overtime_per_shift_end(config, settings.replications, settings.seed)
    old_hours, old_ends, old_per_end = _overtime_per_shift_end(old_config, settings.replications, settings.seed)
    # The old conversion kept the six units of the night low on one endless shift and sent units off one
    # by one as the count fell: 84 shift ends a week. A real roster sends every unit home every day: 182.
    assert old_ends == pytest.approx(84, abs=1) and new_ends == pytest.approx(182, abs=1)
    # Each shift end costs no more overtime on the runnable roster than on the invented intervals ...
    assert new_per_end <= old_per_end
    # ... so its larger total is the overtime of the shift ends a real roster has, not invented overtime.
    assert new_hours > old_hours


def test_fallback_when_no_runnable_roster_is_found(baseline, demand, monkeypatch):
    monkeypatch.setattr(simulate_module, "_runnable_blocks",
                        lambda counts, lengths, k: (None, "time_limit: no feasible plan was found within 30 s"))
    roster = staffing_roster(baseline.responders["officer"])
    assert roster.source == "hourly" and roster.blocks is None
    assert (roster.on_duty(60) == baseline.responders["officer"].on_duty(60)).all()
    assert staffing_table(baseline).loc["officer", "unit_hours_per_week"] == pytest.approx(1792)
    run = run_job(simulate(baseline, demand, replications=1, horizon_days=3))
    assert any("no runnable roster" in n and "simulated hour by hour" in n for n in run.notes)


def test_shift_blocks_are_simulated_as_written():
    s = load_scenario(SAMPLES / "midsize_city" / "social_workers.toml")
    sw = s.responders["social_worker"]
    roster = staffing_roster(sw)
    assert roster.source == "shifts" and roster.blocks == sw.shifts
    first = sw.shifts[0]  # 08:00 Mon-Fri, two units: Monday's shift is the first on the clock
    assert _block_shifts(roster.blocks, 10080)[:2] == ((480.0, 480.0 + first.hours * 60),) * first.units


def test_max_start_times_from_the_scenario(baseline):
    d = scenario_to_dict(baseline)
    d["responders"]["officer"]["max_start_times"] = 2
    two = scenario_from_dict(d, BASELINE)
    assert two.responders["officer"].max_start_times == 2
    assert two.responders["social_worker"].max_start_times == 2  # civilian default
    roster = staffing_roster(two.responders["officer"])
    assert len({b.start_minute for b in roster.blocks}) <= 2
    assert (roster.on_duty(60) >= baseline.responders["officer"].on_duty(60)).all()
    assert scenario_to_dict(two)["responders"]["officer"]["max_start_times"] == 2
    assert "max_start_times" not in scenario_to_dict(baseline)["responders"]["officer"]  # the default
