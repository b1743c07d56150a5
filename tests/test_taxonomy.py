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


@pytest.mark.parametrize("text,category", [
    # 10-codes, California penal- and vehicle-code numbers and radio codes, with their usual suffixes.
    ("10-53 NO RMP REQUIRED", "traffic"), ("10-96", "behavioral_health"), ("1016", "admin"), ("1021", "admin"),
    ("11-8", "welfare_check"), ("11-6", "violent_crime"), ("11-83", "traffic"), ("1183", "traffic"),
    ("1149", "self_initiated"), ("1199", "violent_crime"), ("11-44", "victim_support"),
    ("187", "violent_crime"), ("211R", "violent_crime"), ("211A", "alarm"), ("245DV", "violent_crime"),
    ("415", "disturbance"), ("415N", "disturbance"), ("415V", "violent_crime"), ("459", "property_crime"),
    ("459A", "alarm"), ("459C", "disturbance"), ("10851R", "property_crime"), ("23152", "traffic"),
    ("20002", "traffic"), ("586", "traffic"), ("5150", "behavioral_health"), ("647F", "substance"),
    ("602", "disturbance"), ("911", "welfare_check"),
    # Emergency medical dispatch determinant codes: the protocol decides.
    ("25-D-1", "behavioral_health"), ("25B06", "behavioral_health"), ("23C07", "substance"),
    ("29-B-4", "traffic"), ("27D03", "violent_crime"), ("04-B-01", "violent_crime"), ("17-A-1", "welfare_check"),
    ("26A01", "welfare_check"), ("9E1", "welfare_check"), ("3A3", "other"),
    ("OVERDOSE DELTA", "substance"), ("SUICIDE ATTEMPT DELTA", "behavioral_health"),
    # Officer-initiated and status activity.
    ("AREA CHECK", "self_initiated"), ("SPECIAL ATTENTION", "self_initiated"), ("EXTRA PATROL", "self_initiated"),
    ("ON VIEW", "self_initiated"), ("ONVIEW ACTIVITY", "self_initiated"), ("FLAG DOWN", "self_initiated"),
    ("SELECTIVE ENFORCEMENT", "self_initiated"), ("INVESTIGATE PERSON", "self_initiated"),
    ("SUSPICIOUS STOP - OFFICER INITIATED ONVIEW", "self_initiated"), ("OFF-DUTY EMPLOYMENT", "admin"),
    ("START OF SHIFT INFORMATION", "admin"), ("FOLLOW-UP BY FIELD UNIT", "admin"),
    ("ROBBERY-ALL UNITS INFORMATION", "admin"), ("DV - SERVICE OF COURT ORDER", "admin"),
    # Crisis-team vocabularies.
    ("Agitation or disruptive behavior", "behavioral_health"), ("Disorganized behavior", "behavioral_health"),
    ("Disorganised behaviour", "behavioral_health"), ("Harm/Risk of harm to self", "behavioral_health"),
    ("Harm to others", "behavioral_health"), ("Paranoia", "behavioral_health"),
    ("Difficulty functioning", "behavioral_health"), ("Substance use", "substance"), ("Running away", "family_youth"),
    # Precedence: parking and collisions are traffic; narcotics is substance use or, dealt, a crime.
    ("PARKING VIOLATION (EXCEPT ABANDONED CAR)", "traffic"), ("ILLEGAL PARKING-HANDICAPPED", "traffic"),
    ("ABANDONED VEHICLE", "traffic"), ("ACCIDENT - PROPERTY DAMAGE", "traffic"),
    ("--TRAFFIC - MV COLLISION INVESTIGATION", "traffic"), ("HIT AND RUN REPORT", "traffic"),
    ("DRUNK DRIVER", "traffic"), ("NARCOTICS", "substance"), ("NARCOTICS - DRUG TRAFFIC LOITERING", "violent_crime"),
    ("DRUG DEALING", "violent_crime"), ("LOITERING", "homelessness"),
    # Flags that change what a call is, and those that do not.
    ("SUSPICIOUS PERSON - UNHOUSED", "homelessness"), ("ROBBERY - UNHOUSED", "violent_crime"),
    ("BURGLARY ALARM - INVOLVES DOMESTIC VIOLENCE", "alarm"), ("FIGHT - SCHOOL", "violent_crime"),
    ("CAR THEFT REPORT", "property_crime"), ("VICTIM FOLLOW UP", "victim_support"),
    ("AMBULANCE CASE: EDP/OUTSIDE", "behavioral_health"), ("AMBULANCE CASE: CARDIAC/LTD ACC HWY", "welfare_check"),
    ("CASUALTY,NON-TRAF,NON-CRIM - NON-DRUG RELATED", "welfare_check"), ("DEPARTMENTAL TOW - PCT USE ONLY", "traffic"),
    ("ANIMAL FIGHT", "other"), ("AIRPLANE CRASH", "other"), ("UNKNOWN TROUBLE", "other"),
])
def test_codes_status_crisis_vocabulary_and_precedence(text, category):
    assert default_taxonomy().categorise(pd.Series([text]))[0] == category


def test_default_rules_are_compiled_once_per_distinct_type():
    # A million rows of a few hundred types cost what the types cost: rules run per distinct text.
    texts = pd.Series(["TRAFFIC STOP", "NOISE", "5150"] * 50_000)
    got = default_taxonomy().categorise(texts)
    assert list(got[:3]) == ["self_initiated", "disturbance", "behavioral_health"] and len(got) == 150_000
