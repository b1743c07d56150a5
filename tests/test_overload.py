"""Numbers that never flatter: an overloaded scenario is flagged, unanswered calls are never hours freed, and
downstream costs are never lowered by calls nobody answered.

The case that showed it (measured before the fix): the mid-size sample's baseline with patrol cut to 3 units
around the clock, compared with the baseline, read "Patrol cut to 3: officers only free 25,043 officer hours a
year ... for $6,281,236 less a year net", with half the calls still waiting when the simulation ended.
"""

from __future__ import annotations

import json

import numpy as np
import pytest

from planner.cli import main
from planner.compare import compare, evaluate_all
from planner.jobs import run_job
from planner.report import comparison_json
from planner.scenario import load_scenario
from tests.conftest import SAMPLES

MID = SAMPLES / "midsize_city"
CUT = "Patrol cut to 3"


def cut_patrol(folder) -> object:
    """The sample baseline with patrol cut to 3 units around the clock."""
    path = folder / "cut.toml"
    base = (MID / "baseline.toml").as_posix()
    path.write_text(f'base = "{base}"\nname = "{CUT}"\n[responders.officer]\non_duty = 3\n', encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def comparison(tmp_path_factory):
    folder = tmp_path_factory.mktemp("cut")
    scenarios = [load_scenario(MID / "baseline.toml"), load_scenario(MID / "social_workers.toml"),
                 load_scenario(MID / "co_responders.toml"), load_scenario(cut_patrol(folder))]
    return compare(run_job(evaluate_all(scenarios, replications=5, horizon_days=14)))


def test_cutting_patrol_is_flagged_and_frees_no_hours(comparison):
    c = comparison
    assert c.warnings[CUT], "the cut-patrol scenario must be flagged"
    reasons = " ".join(c.warnings[CUT])
    assert "reaches the officers on duty" in reasons and "still unanswered" in reasons and "queue" in reasons
    # Hours freed: none (no civilian unit answered a call), within the noise at most.
    freed = c.row(CUT, "officer_hours_freed")
    assert freed["mean"] <= 0 or not freed["clear"]
    assert freed["mean"] == 0 and freed["ci_high"] == 0
    # ... though the officers' own workload fell by thousands of hours: the calls nobody answered.
    assert c.row(CUT, "officer_hours_on_calls")["delta_high"] < -5000
    assert c.row(CUT, "calls_unanswered")["ci_low"] > 1000


def test_the_summary_of_an_overloaded_option_says_so_first_and_claims_nothing(comparison):
    c = comparison
    sentence = next(s for s in c.summary() if CUT in s)
    assert sentence.startswith("Overloaded:")
    assert "no officer hours freed and no savings are claimed" in sentence
    assert "less a year net" not in sentence and " free " not in sentence


def test_sound_options_are_never_flagged(comparison):
    c = comparison
    for name in ("Baseline: officers only", "Option A: social workers", "Option B: co-responder units"):
        assert c.warnings[name] == [], name
        assert c.row(name, "calls_unanswered")["mean"] == 0
    for sentence in c.summary():
        if CUT not in sentence:
            assert not sentence.startswith("Overloaded")


def test_compare_json_carries_the_warnings(comparison):
    j = json.loads(json.dumps(comparison_json(comparison)))
    assert set(j["warnings"]) == set(comparison.scenarios)
    assert j["warnings"]["Option A: social workers"] == [] and j["warnings"][CUT] == comparison.warnings[CUT]
    assert j["results"][CUT]["calls_unanswered"]["mean"] > 1000
    assert next(s for s in j["summary"] if CUT in s).startswith("Overloaded:")


def test_unanswered_calls_never_lower_downstream_costs(comparison):
    """Calls left unanswered are priced at an officer's outcome rates: they are delayed, not gone."""
    e = next(x for x in comparison.evaluations if x.name == CUT)
    rows = e.costs.per_replication
    assert (rows["downstream_cost_of_unanswered_calls"] > 0).all()
    base = next(x for x in comparison.evaluations if x.name == comparison.baseline)
    # Downstream cost a year stays where the baseline's is (same calls, same officer outcome rates), instead of
    # falling by the outcomes of the calls that were never answered.
    down = comparison.row(CUT, "downstream_cost_total")
    assert abs(down["mean"] - base.costs.value("downstream_cost_total")) < 0.1 * base.costs.value("downstream_cost_total")


def test_police_only_and_diverted_response_times_are_reported_apart(comparison):
    c = comparison
    a = "Option A: social workers"
    # Diverted calls wait for a civilian unit and its longer drive: they take longer than police-only ones ...
    assert c.row(a, "response_minutes_p90_diverted")["mean"] > c.row(a, "response_minutes_p90_police_only")["mean"]
    # ... while the officers' own priority-1 calls answer no slower than in the baseline.
    p1 = c.row(a, "response_minutes_p90_police_only_by_priority.1")
    assert not p1["clear"] or p1["delta"] < 1.0


def test_every_summary_explains_itself(comparison):
    c = comparison
    a = "Option A: social workers"
    sentence = next(s for s in c.summary() if s.startswith(a))
    assert "full-time officers at 1,719 productive hours a year each" in sentence
    assert "per officer hour freed" in sentence
    assert "police-only priority-1 calls: 90th-percentile response" in sentence
    fte = c.row(a, "officer_fte_freed")["mean"]
    assert fte == pytest.approx(c.row(a, "officer_hours_freed")["mean"] / (56 * 365.25 / 7 / 1.7))
    per_hour = c.row(a, "cost_per_officer_hour_freed")["mean"]
    assert per_hour == pytest.approx(c.row(a, "total_annual_cost")["delta"] / c.row(a, "officer_hours_freed")["delta"])


def test_simulate_and_validate_say_it_in_one_line(tmp_path, capsys):
    cut = cut_patrol(tmp_path)
    assert main(["validate", str(cut)]) == 0
    out = capsys.readouterr().out.splitlines()
    flagged = [line for line in out if line.startswith("Overloaded:")]
    assert len(flagged) == 1 and "reaches the officers on duty" in flagged[0] and "Fri 21:00" in flagged[0]
    assert main(["validate", str(MID / "baseline.toml")]) == 0
    assert not any(line.startswith("Overloaded") for line in capsys.readouterr().out.splitlines())
    assert main(["simulate", str(cut), "--replications", "2", "--horizon-days", "10", "--quiet"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[1].startswith("Overloaded:") and "still unanswered" in out[1]
    assert any("left unanswered" in line for line in out)
    assert main(["simulate", str(cut), "--replications", "2", "--horizon-days", "10", "--quiet", "--json"]) == 0
    j = json.loads(capsys.readouterr().out)
    assert j["overloaded"] is True and j["warnings"] and j["kpis"]["calls_unanswered"]["mean"] > 0


def test_validate_warns_of_a_roster_below_the_minimum_on_duty(tmp_path, capsys):
    thin = tmp_path / "thin.toml"
    base = (MID / "baseline.toml").as_posix()
    hours = [12, 11, 9, 7, 6, 6, 7, 7, 9, 10, 10, 13, 13, 13, 12, 12, 14, 13, 12, 12, 13, 13, 12, 10]
    thin.write_text(f'base = "{base}"\nname = "Thin nights"\n[responders.officer]\nmin_on_duty = 7\n'
                    f"on_duty = {hours}\n", encoding="utf-8")
    assert main(["validate", str(thin)]) == 0          # a warning, not an error
    out = capsys.readouterr().out
    warning = next(line for line in out.splitlines() if line.startswith("warning: responders.officer"))
    assert "below min_on_duty = 7" in warning and "04:00" in warning
    s = load_scenario(MID / "baseline.toml")
    assert np.all(s.responders["officer"].min_on_duty_by_hour == 2)        # the default: 2 officers every hour
    assert np.all(s.responders["social_worker"].min_on_duty_by_hour == 0)


def test_the_pdf_says_it_on_page_one_and_the_workbook_and_method_notes_too(comparison, tmp_path):
    import re

    import openpyxl
    import pypdfium2 as pdfium

    from planner.report import write_pdf, write_xlsx

    pdf, xlsx = tmp_path / "r.pdf", tmp_path / "r.xlsx"
    write_pdf(comparison, pdf)
    write_xlsx(comparison, xlsx)
    doc = pdfium.PdfDocument(str(pdf))
    try:
        pages = [re.sub(r"\s+", " ", doc[i].get_textpage().get_text_range()) for i in range(len(doc))]
    finally:
        doc.close()
    assert "Overloaded: these scenarios' officers cannot keep up" in pages[0] and CUT in pages[0]
    text = " ".join(pages)
    # The method notes define hours freed and overload, and the data is judged sufficient or not.
    assert "never a fall in officer workload that comes from calls nobody answered" in text
    assert "When a scenario is overloaded" in text and "Is the data enough?" in text
    values = [c.value for row in openpyxl.load_workbook(xlsx)["Summary"].iter_rows() for c in row]
    assert any(isinstance(v, str) and v.startswith(f"{CUT}: the load left to officers") for v in values)
    assert "Calls left unanswered a year" in values


def test_options_against_an_overloaded_baseline_claim_nothing(comparison):
    """A new city that starts overloaded: every option's hours freed are its civilians' own, but measured against
    a baseline whose officers cannot keep up, so no sentence claims hours or savings."""
    c = compare(comparison.evaluations, CUT)
    sentences = c.summary()
    assert len(sentences) == 3
    for sentence in sentences:
        assert sentence.startswith(f"Overloaded: the baseline {CUT} (")
        assert "no officer hours freed and no savings are claimed" in sentence
    # The options' hours freed are still only what their civilian units carried: never the baseline's backlog.
    a = c.row("Option A: social workers", "officer_hours_freed")
    assert a["mean"] == pytest.approx(comparison.row("Option A: social workers", "officer_hours_freed")["mean"])
