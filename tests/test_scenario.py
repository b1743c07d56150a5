"""Scenario files: the sample validates, errors name key, value and expectation, files round-trip."""

from __future__ import annotations

import tomllib

import numpy as np
import pytest

from planner.errors import ScenarioError
from planner.scenario import days_label, load_scenario, parse_days, save_scenario, scenario_from_dict
from tests.conftest import SAMPLES

BASELINE = SAMPLES / "midsize_city" / "baseline.toml"


def _base() -> dict:
    return tomllib.loads(BASELINE.read_text())


def test_sample_baseline_loads():
    s = load_scenario(BASELINE)
    assert list(s.responders) == ["officer", "social_worker", "co_responder"]
    assert s.data.calls.exists() and s.data.mapping.exists()
    o = s.responders["officer"]
    assert o.on_duty(60).shape == (168,) and o.on_duty(60)[16] == 14 and o.on_duty(60)[24 + 16] == 14
    # One post all year: 1 person x 1.7 relief x $125,000 + $25,000 vehicle.
    assert o.annual_cost_per_post == pytest.approx(1 * 1.7 * 125000 + 25000)
    assert s.targets.max_occupancy["officer"] == 0.6
    bh = s.policy["behavioral_health"]
    routes = bh.routes()
    assert routes[0] == (("social_worker", "co_responder"), pytest.approx(0.55))
    assert routes[1] == (("co_responder",), pytest.approx(0.30))
    assert routes[2] == (("officer",), pytest.approx(0.15))
    assert s.policy_for("alarm").routes() == [(("officer",), 1.0)]


@pytest.mark.parametrize("edit,message", [
    (lambda d: d["responders"]["officer"].__setitem__("relief_factor", 0.5),
     r"responders.officer.relief_factor = 0.5: expected a number >= 1"),
    (lambda d: d["responders"]["officer"].__setitem__("cost_per_person", "lots"),
     r"responders.officer.cost_per_person = 'lots': expected a number"),
    (lambda d: d["policy"]["behavioral_health"]["eligible"].__setitem__("social_worker", 0.9),
     r"policy.behavioral_health.eligible shares add up to 1.2; expected at most 1"),
    (lambda d: d["policy"]["behavioral_health"]["eligible"].__setitem__("medic", 0.1),
     r"policy.behavioral_health.eligible.medic names a responder type the scenario does not define"),
    (lambda d: d["policy"].__setitem__("unicorns", {}), r"policy.unicorns: not a category"),
    (lambda d: d["responders"].pop("officer"), r"responders.officer is missing"),
    (lambda d: d["responders"]["officer"].__setitem__("on_duty", [1, 2, 3]),
     r"responders.officer.on_duty has 3 values: expected 24 \(by hour, every day\) or 168"),
    (lambda d: d["simulation"].__setitem__("arrivals", "magic"), r"simulation.arrivals = 'magic': expected"),
    (lambda d: d["simulation"].__setitem__("warmup_days", 40), r"warmup_days = 40 is not shorter than"),
    (lambda d: d.__setitem__("colour", "blue"), r"top level has unknown key\(s\) \['colour'\]"),
    (lambda d: d["data"].__setitem__("timezone", "Mars/Olympus"), r"data.timezone = 'Mars/Olympus': not a time zone"),
    (lambda d: d["responders"]["officer"].__setitem__("max_start_times", 0),
     r"responders.officer.max_start_times = 0: expected a whole number from 1 to 24 \(distinct shift start times"),
    (lambda d: d["responders"]["social_worker"].__setitem__("max_start_times", "two"),
     r"responders.social_worker.max_start_times = 'two': expected a whole number from 1 to 24"),
    # The officers are on duty around the clock: 12-hour shifts from one start time a day cannot do that.
    (lambda d: d["responders"]["officer"].__setitem__("max_start_times", 1),
     r"responders.officer.max_start_times = 1: expected at least 2: shifts of up to 12 h starting at 1 time\(s\) "
     r"a day cannot cover every hour of on_duty"),
    (lambda d: d["responders"]["officer"].update(max_start_times=2, shift_hours=[8]),
     r"responders.officer.max_start_times = 2: expected at least 3: shifts of up to 8 h"),
])
def test_errors_name_key_value_and_expectation(edit, message):
    d = _base()
    edit(d)
    with pytest.raises(ScenarioError, match=message):
        scenario_from_dict(d, BASELINE, categories=["behavioral_health", "welfare_check", "homelessness",
                                                    "substance", "family_youth", "victim_support", "disturbance",
                                                    "violent_crime", "property_crime", "self_initiated", "admin"])


def test_shift_blocks_give_units_on_duty_with_wraparound():
    d = _base()
    del d["responders"]["social_worker"]["on_duty"]
    d["responders"]["social_worker"]["shifts"] = [
        {"start": "08:00", "hours": 10, "days": "Mon-Fri", "units": 2},
        {"start": "22:00", "hours": 8, "days": "Sun", "units": 1},   # Sunday night into Monday morning
    ]
    s = scenario_from_dict(d, BASELINE)
    sw = s.responders["social_worker"].on_duty(60)
    assert sw[8] == 2 and sw[17] == 2 and sw[18] == 0 and sw[5 * 24 + 8] == 0
    assert sw[6 * 24 + 22] == 1 and sw[0] == 1 and sw[5] == 1 and sw[6] == 0   # wraps to Monday 00:00-06:00
    # Half-hour bins: a 08:30 start fills half of the 08:00 hourly bin.
    d["responders"]["social_worker"]["shifts"] = [{"start": "08:30", "hours": 1, "days": "Mon", "units": 1}]
    s = scenario_from_dict(d, BASELINE)
    assert s.responders["social_worker"].on_duty(60)[8] == 0.5
    assert list(s.responders["social_worker"].on_duty(30)[16:19]) == [0, 1, 1]


def test_days():
    assert parse_days("Mon-Fri", "x") == (True,) * 5 + (False,) * 2
    assert parse_days("Fri-Mon", "x") == (True, False, False, False, True, True, True)
    assert parse_days(["Sat", "sunday"], "x") == (False,) * 5 + (True, True)
    assert parse_days("daily", "x") == (True,) * 7
    with pytest.raises(ScenarioError, match="'Funday' is not a day"):
        parse_days("Mon,Funday", "x")


def test_days_label_writes_a_run_over_the_weekend_as_a_run():
    assert days_label((True, False, False, False, True, True, True)) == "Fri-Mon"
    assert days_label((True, True, True, False, False, False, True)) == "Sun-Wed"
    assert days_label((False,) * 5 + (True, True)) == "Sat-Sun"
    assert days_label((True,) * 5 + (False,) * 2) == "Mon-Fri"
    assert days_label((True, False, True) + (False,) * 4) == "Mon,Wed"
    assert days_label((True,) * 7) == "daily"
    for first in range(7):
        for worked in range(1, 7):
            days = tuple((d - first) % 7 < worked for d in range(7))
            assert "," not in days_label(days) and parse_days(days_label(days), "x") == days


def test_max_start_times_defaults_by_type():
    s = load_scenario(BASELINE)
    assert s.responders["officer"].max_start_times == 3
    assert s.responders["social_worker"].max_start_times == 2 and s.responders["co_responder"].max_start_times == 2


def test_save_and_reload_elsewhere_keeps_everything(tmp_path):
    s = load_scenario(BASELINE)
    s2 = save_scenario(s, tmp_path / "copy" / "b.toml")
    assert s2.data.calls.resolve() == s.data.calls.resolve()
    assert s2.policy == s.policy and s2.targets == s.targets and s2.simulation == s.simulation
    for name in s.responders:
        a, b = s.responders[name], s2.responders[name]
        assert np.array_equal(a.on_duty(60), b.on_duty(60))
        assert a.annual_cost_per_post == b.annual_cost_per_post
        assert a.max_start_times == b.max_start_times


def test_file_errors(tmp_path):
    with pytest.raises(ScenarioError, match="scenario file not found"):
        load_scenario(tmp_path / "none.toml")
    bad = tmp_path / "bad.toml"
    bad.write_text("name = [unclosed\n")
    with pytest.raises(ScenarioError, match="not valid TOML"):
        load_scenario(bad)


def test_backup_rate_by_category_with_the_cahoots_default():
    from planner.scenario import DEFAULT_BACKUP_RATE

    d = _base()
    d["policy"]["welfare_check"]["backup_rate"] = {"social_worker": 0.02}
    s = scenario_from_dict(d, BASELINE)
    assert DEFAULT_BACKUP_RATE == pytest.approx(150 / 24000)
    assert s.policy["welfare_check"].backup_rate_for("social_worker") == 0.02
    # Not stated: CAHOOTS's 150 backups in 24,000 calls, for any type the category's calls may go to ...
    assert s.policy["behavioral_health"].backup_rate_for("co_responder") == pytest.approx(DEFAULT_BACKUP_RATE)
    # ... and none for a type that may not take them, nor ever for officers.
    assert s.policy["homelessness"].backup_rate_for("co_responder") == 0.0
    assert s.policy["welfare_check"].backup_rate_for("officer") == 0.0
    # Written back as stated (the default is not written out).
    from planner.scenario import scenario_to_dict

    out = scenario_to_dict(s)
    assert out["policy"]["welfare_check"]["backup_rate"] == {"social_worker": 0.02}
    assert "backup_rate" not in out["policy"]["behavioral_health"]
    d["policy"]["welfare_check"]["backup_rate"] = {"officer": 0.1}
    with pytest.raises(ScenarioError, match=r"backup_rate.officer: expected a civilian responder type"):
        scenario_from_dict(d, BASELINE)
    d["policy"]["welfare_check"]["backup_rate"] = {"social_worker": 1.5}
    with pytest.raises(ScenarioError, match=r"backup_rate.social_worker = 1.5"):
        scenario_from_dict(d, BASELINE)
