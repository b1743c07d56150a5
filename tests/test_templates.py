"""Programme templates: each applies to any city's calls, states its sources, and sizes itself."""

from __future__ import annotations

import pandas as pd
import pytest

from planner.compare import plain_label, staffing_words
from planner.scenario import load_scenario
from planner.templates import apply_template, eligible_calls_per_year, get_template, list_templates
from tests.conftest import SAMPLES

BASE = SAMPLES / "midsize_city" / "baseline.toml"


def test_a_template_per_programme_with_sources_and_assumptions():
    keys = [t.key for t in list_templates()]
    assert keys == ["bheard", "bloomington", "cahoots", "co_responder", "columbus", "right_care", "star"]
    for t in list_templates():
        assert t.sources and t.assumptions
        if t.key != "columbus":    # every programme with a field team states the calls its staffing handled
            assert t.reference_calls_per_year > 0 and t.responder_types
    # Columbus: a triage pod in the 911 centre, no field team, with its published share.
    columbus = get_template("columbus")
    assert columbus.triage["share_resolved"] == 0.625 and not columbus.responder_types
    assert any("62.5%" in s for s in columbus.sources)
    # RIGHT Care: the field unit and the clinicians in the 911 centre.
    right_care = get_template("right_care")
    assert right_care.responder_types == ["right_care"] and right_care.triage["categories"] == ["behavioral_health"]


def test_apply_scales_units_to_the_city():
    base = load_scenario(BASE)
    t = get_template("cahoots")
    calls = pd.Series({"behavioral_health": 10000.0, "welfare_check": 10000.0, "homelessness": 5000.0})
    # Eligible: 0.7 x 10,000 + 0.7 x 10,000 + 0.8 x 5,000 = 18,000 = 0.75 of CAHOOTS's 24,000.
    assert eligible_calls_per_year(t, calls) == pytest.approx(18000)
    s = apply_template(base, t, calls)
    units = [b.units for b in s.responders["crisis_team"].shifts]
    assert units == [1, 2, 1]           # round(1 x 0.75) = 1, round(2 x 0.75) = 2, at least one per shift
    # The team takes over the civilian share of its categories; other categories keep the base policy.
    assert s.policy["behavioral_health"].eligible == {"crisis_team": 0.7}
    assert s.policy["violent_crime"] == base.policy["violent_crime"]
    assert s.policy["behavioral_health"].outcomes["officer"] == base.policy["behavioral_health"].outcomes["officer"]
    assert "CAHOOTS" in s.source and "24,000" in s.source
    big = apply_template(base, t, calls * 4)
    assert [b.units for b in big.responders["crisis_team"].shifts] == [3, 6, 3]


def test_every_template_validates_on_the_sample_city():
    base = load_scenario(BASE)
    calls = pd.Series({"behavioral_health": 2800.0, "welfare_check": 3900.0, "homelessness": 1800.0,
                       "substance": 1200.0, "family_youth": 2500.0, "disturbance": 7400.0})
    for t in list_templates():
        s = apply_template(base, t, calls)
        assert set(t.responder_types) <= set(s.responders)
        if t.responder_types:
            assert staffing_words(s) != "officers only"
        if t.triage:
            assert s.triage is not None and s.triage.share_resolved == t.triage["share_resolved"]
            assert "Erlang C" in s.source
        else:
            assert s.triage is None


def test_plain_labels_keep_acronyms():
    assert plain_label("Social worker (civilian crisis response)") == "social worker"
    assert plain_label("STAR team (clinician + paramedic)") == "STAR team"
    assert plain_label("B-HEARD team (2 EMTs)") == "B-HEARD team"
