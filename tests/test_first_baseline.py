"""A city's first baseline is sized from its own calls: Erlang C and the rule of 60 on the load they show, as a
roster a department can run; simulated, it answers every call with officers neither idle nor overwhelmed."""

from __future__ import annotations

import tomllib
from pathlib import Path

import numpy as np
import pytest

from planner.baseline import NAME, PROPOSAL, first_baseline
from planner.cli import main
from planner.importer import import_calls
from planner.jobs import run_job
from planner.mapping import read_mapping
from planner.overload import check_load
from planner.scenario import load_scenario
from planner.simulate import simulate
from tests.conftest import SAMPLES

# Read relative to the repository, as a user's checkout sits beside the shared data.
MILWAUKEE = Path(__file__).resolve().parents[2] / "shared" / "data" / "milwaukee_cfs_2018-05.csv"
MID = SAMPLES / "midsize_city"


@pytest.fixture(scope="module")
def milwaukee_first(tmp_path_factory):
    if not MILWAUKEE.exists():
        pytest.skip("the real Milwaukee export is not beside this checkout (../shared/data)")
    folder = tmp_path_factory.mktemp("milwaukee")
    out = folder / "baseline.toml"
    assert main(["baseline", str(MILWAUKEE), "--out", str(out)]) == 0
    return out, load_scenario(out)


def test_milwaukee_first_baseline_answers_every_call_with_officers_neither_idle_nor_overwhelmed(milwaukee_first):
    _, scenario = milwaukee_first
    run = run_job(simulate(scenario, replications=3, horizon_days=14))
    assert run.kpi("calls_offered") > 200_000                 # Milwaukee: ~280,000 planned calls a year
    assert run.kpi("calls_unanswered") == 0
    assert 0.20 <= run.kpi("officer_utilisation") <= 0.75
    assert run.warnings == []
    # Its roster follows the calls through the week: not the same number of officers at every hour.
    on_duty = scenario.responders["officer"].on_duty(60)
    assert on_duty.max() >= 2 * on_duty.min() and on_duty.min() >= 2


def test_milwaukee_first_baseline_file_says_it_is_a_proposal_and_where_its_figures_come_from(milwaukee_first):
    path, scenario = milwaukee_first
    text = path.read_text(encoding="utf-8")
    assert scenario.name == NAME and scenario.description.startswith(PROPOSAL)
    assert "replace [responders.officer] with your department's real" in text
    # Time on scene: the export has none, so the defaults, said so; the policy's sources beside each category.
    assert "coplan default" in scenario.source and "Travel: coplan default" in scenario.source
    assert "# Source: NYC B-HEARD" in text and "CAHOOTS" in scenario.source
    assert scenario.policy["behavioral_health"].eligible == {"social_worker": 0.4, "co_responder": 0.3}
    # The calls are read from where the export is, relative to the scenario file.
    assert scenario.data.calls.resolve() == MILWAUKEE.resolve()
    assert tomllib.loads(text)["data"]["calls"].endswith("milwaukee_cfs_2018-05.csv")
    # It is sound before any simulation too, and no hour is below the two officers kept on duty.
    from planner.demand import build_demand, load_calls

    assert check_load(scenario, build_demand(scenario, load_calls(scenario))).reasons == ()


def test_the_sample_city_gets_about_the_roster_it_has_and_the_units_its_export_shows_busy(reference):
    """The mid-size sample has dispatch and clear times: the units busy at once can be counted, and the roster sized
    from its calls is close to the roster the sample's baseline states."""
    first = first_baseline(reference)
    assert first.observed_busy is not None and "dispatch-to-clear" in first.observed_busy_source
    # The model's offered load is what the export shows officers busy with (same calls, measured times).
    assert np.nanmean(first.observed_busy) == pytest.approx(first.offered_load.mean(), rel=0.25)
    assert (first.on_duty >= first.requirement).all() and (first.requirement >= 2).all()
    stated = load_scenario(MID / "baseline.toml").responders["officer"].on_duty(60)
    assert first.on_duty.sum() == pytest.approx(stated.sum(), rel=0.25)
    assert 0.3 < first.utilisation < 0.6
    assert first.travel_source.startswith("export")


def test_project_import_adds_the_first_baseline_only_to_a_project_without_scenarios(tmp_path, capsys):
    from planner.project import open_project

    f = str(tmp_path / "city.coplan")
    assert main(["project", "new", f]) == 0
    assert main(["project", "add-scenario", f, str(MID / "baseline.toml")]) == 0
    assert main(["project", "import", f, str(MID / "calls.csv.gz"), "--mapping", str(MID / "mapping.toml")]) == 0
    assert "first scenario" not in capsys.readouterr().out
    assert list(open_project(f).scenarios) == ["Baseline: officers only"]


def test_a_mapping_and_codes_are_named_relative_to_the_scenario(tmp_path):
    result = import_calls(MID / "calls.csv.gz", read_mapping(MID / "mapping.toml"))
    first = first_baseline(result, calls=MID / "calls.csv.gz", mapping=MID / "mapping.toml", folder=tmp_path)
    assert first.scenario.data.mapping.resolve() == (MID / "mapping.toml").resolve()
    assert first.table["data"]["calls"].endswith("calls.csv.gz")
