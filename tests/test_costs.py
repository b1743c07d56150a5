"""Cost arithmetic against hand-computed cases: relief factor, overtime, downstream, repeat calls."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from planner.costs import cost_summary, headcount, staffing_table
from planner.scenario import scenario_from_dict
from planner.simulate import SimulationRun, summarise


def _scenario(**officer) -> object:
    d = {
        "name": "hand",
        "responders": {
            "officer": {"cost_per_person": 104000, "people_per_unit": 1, "relief_factor": 1.75,
                        "overhead_per_unit": 20000, "overtime_premium": 1.5, "on_duty": 2, **officer},
            "social_worker": {"cost_per_person": 83200, "relief_factor": 1.4, "overhead_per_unit": 10000,
                              "shifts": [{"start": "08:00", "hours": 8, "days": "Mon-Fri", "units": 1}]},
        },
        "policy": {"welfare_check": {"eligible": {"social_worker": 0.5},
                                     "repeat_call_reduction": {"social_worker": 0.1}}},
        "costs": {"arrest": 500, "jail_booking": 400, "er_transport": 600},
    }
    return scenario_from_dict(d, None)


def _run(rows: list[dict], records: pd.DataFrame | None = None) -> SimulationRun:
    df = pd.DataFrame(rows)
    empty = pd.DataFrame()
    return SimulationRun(scenario="hand", kpis=summarise(df), replication_kpis=df, utilisation_by_bin=empty,
                         busy_hours_by_bin=empty, on_duty_hours_by_bin=empty, fallback_by_bin=np.zeros(168),
                         records=records if records is not None else pd.DataFrame(), replications=len(rows),
                         seed=1, workers=1, horizon_days=365.25 / 7 * 7 + 1, warmup_days=1,
                         responder_types=("officer", "social_worker"))


def test_relief_factor_per_eight_hour_post():
    s = _scenario()
    # Two officer units around the clock: 336 unit-hours a week = 6 eight-hour posts x 1.75 = 10.5 officers.
    assert headcount(s.responders["officer"]) == pytest.approx(10.5)
    # One social worker 8 h Mon-Fri: 40 hours / 56 x 1.4 = 1.0 person.
    assert headcount(s.responders["social_worker"]) == pytest.approx(1.0)
    t = staffing_table(s)
    assert t.loc["officer", "personnel_cost"] == pytest.approx(10.5 * 104000)
    assert t.loc["officer", "units_at_peak"] == 2 and t.loc["officer", "overhead_cost"] == 40000
    assert t.loc["officer", "staffing_cost"] == pytest.approx(10.5 * 104000 + 40000)
    assert t.loc["social_worker", "staffing_cost"] == pytest.approx(83200 + 10000)


def test_overtime_downstream_and_cost_per_call():
    s = _scenario()
    rows = [{"overtime_hours.officer": 100.0, "overtime_hours.social_worker": 10.0,
             "calls_by_responder_type.officer": 1000.0, "calls_by_responder_type.social_worker": 200.0,
             "outcomes.arrest": 10.0, "outcomes.jail_booking": 5.0, "outcomes.er_transport": 2.0,
             "calls_total": 1200.0}]
    c = cost_summary(s, _run(rows))
    # Officer hourly cost 104,000 / 2,080 = $50; overtime 100 h x 1 person x $50 x 1.5 = $7,500.
    assert c.value("overtime_cost.officer") == pytest.approx(7500)
    # Social worker: $40/h; 10 h x 1.5 = $600.
    assert c.value("overtime_cost.social_worker") == pytest.approx(600)
    officer_total = 10.5 * 104000 + 40000 + 7500
    assert c.value("staffing_cost.officer") == pytest.approx(officer_total)
    assert c.value("cost_per_call.officer") == pytest.approx(officer_total / 1000)
    assert c.value("downstream_cost_total") == pytest.approx(10 * 500 + 5 * 400 + 2 * 600)
    total = officer_total + 83200 + 10000 + 600 + 8200
    assert c.value("total_annual_cost") == pytest.approx(total)
    assert c.value("cost_per_call") == pytest.approx(total / 1200)


def test_two_person_units_and_intervals_over_replications():
    s = _scenario(people_per_unit=2)
    assert headcount(s.responders["officer"]) == pytest.approx(21.0)
    rows = [{"overtime_hours.officer": h, "calls_total": 10.0} for h in (90.0, 110.0)]
    c = cost_summary(s, _run(rows))
    # Two people per unit: each overtime hour is two paid hours: 100 h mean x 2 x $50 x 1.5 = $15,000.
    assert c.value("overtime_cost.officer") == pytest.approx(15000)
    row = c.kpis.loc["overtime_cost.officer"]
    assert row["ci_low"] < 15000 < row["ci_high"]


def test_repeat_calls_avoided_from_records():
    s = _scenario()
    # One replication spanning exactly one year after warm-up: 50 welfare calls answered by a social worker.
    records = pd.DataFrame({"replication": [0] * 60,
                            "category": pd.Categorical(["welfare_check"] * 60),
                            "type_sent": pd.Categorical(["social_worker"] * 50 + ["officer"] * 10)})
    run = _run([{"calls_total": 60.0}], records)
    c = cost_summary(s, run, officer_hours_per_call={"welfare_check": 1.5})
    assert c.value("repeat_calls_avoided") == pytest.approx(5.0)            # 50 x 0.1
    assert c.value("officer_hours_saved_by_repeat_calls_avoided") == pytest.approx(7.5)
