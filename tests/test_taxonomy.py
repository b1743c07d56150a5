"""Default call taxonomy and user rules."""

from __future__ import annotations

import pandas as pd
import pytest

from planner.errors import ScenarioError
from planner.mapping import CategoryRule
from planner.taxonomy import default_taxonomy, outcome_hints


@pytest.mark.parametrize("text,category", [
    ("5150", "behavioral_health"), ("SUICIDE THREAT", "behavioral_health"), ("EDP", "behavioral_health"),
    ("MENTAL SUBJECT", "behavioral_health"), ("OVERDOSE", "substance"), ("INTOXICATED PERSON", "substance"),
    ("CHECK WELFARE", "welfare_check"), ("WELFARE CITIZEN", "welfare_check"),
    ("TRESPASS - UNHOUSED PERSON", "homelessness"), ("PANHANDLING", "homelessness"), ("ENCAMPMENT", "homelessness"),
    ("RUNAWAY JUVENILE", "family_youth"), ("FAMILY TROUBLE", "family_youth"),
    ("FAMILY TROUBL-DV", "violent_crime"), ("TRBL W/SUBJ-DV", "violent_crime"),
    ("NOISE NUISANCE", "disturbance"), ("TRBL W/SUBJ", "disturbance"), ("415", "disturbance"),
    ("SHOTS FIRED", "violent_crime"), ("ROBBERY ARMED", "violent_crime"),
    ("THEFT", "property_crime"), ("ENTRY AUTOS", "property_crime"),
    ("ACC PDO", "traffic"), ("RECKLESS VEHICLE", "traffic"), ("BURGLAR ALARM", "alarm"),
    ("TRAFFIC STOP", "self_initiated"), ("BUSINESS CHECK", "self_initiated"), ("PARK AND WALK", "self_initiated"),
    ("RETURN STATION", "admin"), ("FOLLOW UP", "admin"), ("COURT DUTY", "admin"),
    ("LOOSE ANIMAL", "other"), ("", "other"),
])
def test_default_rules(text, category):
    got = default_taxonomy().categorise(pd.Series([text]))
    assert got[0] == category


def test_user_rules_come_first_and_must_name_a_category():
    tax = default_taxonomy().with_user_rules((CategoryRule("LOOSE ANIMAL", "welfare_check"),
                                              CategoryRule("^TRBL W/SUBJ$", "behavioral_health")))
    got = list(tax.categorise(pd.Series(["LOOSE ANIMAL", "TRBL W/SUBJ", "TRBL W/SUBJ-DV"])))
    assert got == ["welfare_check", "behavioral_health", "violent_crime"]
    with pytest.raises(ScenarioError, match="'DOG' -> 'animals': unknown category"):
        default_taxonomy().with_user_rules((CategoryRule("DOG", "animals"),))


def test_description_column_helps_when_the_type_is_a_bare_code():
    got = default_taxonomy().categorise(pd.Series(["X1", "X2"]), pd.Series(["suicidal subject", None]))
    assert list(got) == ["behavioral_health", "other"]


def test_outcome_hints_from_disposition_text():
    got = list(outcome_hints(pd.Series(["Cleared by Arrest", "City Citation(s) Issued", "Advised/Referral",
                                        "To be Filed", "Advised", None])))
    assert got == ["arrest", "citation", "referral", "report", "", ""]
