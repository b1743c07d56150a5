"""Projects in the app: the scenario list (add, duplicate, templates, rename, delete), undo, runs, files."""

from __future__ import annotations

import html
import tomllib
from pathlib import Path

import pytest

pytest.importorskip("pytestqt")

from PySide6.QtWidgets import QInputDialog  # noqa: E402

from planner.jobs import run_job  # noqa: E402
from planner.project import open_project  # noqa: E402
from planner.scenario import load_scenario  # noqa: E402
from planner.templates import list_templates  # noqa: E402
from tests.ui_support import load_calls_into  # noqa: E402
from ui.project import (  # noqa: E402
    RUN_CALLS_CHANGED,
    RUN_CURRENT,
    RUN_NONE,
    RUN_SCENARIO_CHANGED,
    rule_for_call_type,
)
from ui.window import SAMPLE_TITLE  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "sample_scenarios" / "midsize_city"
BASELINE = "Baseline: officers only"
OPTION_A = "Option A: social workers"


pytestmark = pytest.mark.usefixtures("isolated_settings")

@pytest.fixture
def window(sample_window):
    return sample_window


@pytest.fixture
def loaded(window, reference):
    """The window with the sample's calls in, as opening the scenario reads them (without reading again)."""
    return load_calls_into(window, reference, SAMPLE / "mapping.toml")


def small_run(window, *names):
    """Simulate scenarios the way the pages do (2 replications of 7 days) and keep the runs."""
    state = window.state
    runs = run_job(state.to_project().run(list(names), replications=2, horizon_days=7))
    assert state.set_runs(runs, state.generation, "Simulate")
    return runs


def combo_names(window) -> list[str]:
    combo = window.scenario_bar.combo
    return [combo.itemData(i) for i in range(combo.count())]


# ------------------------------------------------------------------------------------ scenario list
def test_the_sample_opens_as_a_project_of_three_scenarios(window):
    state = window.state
    assert state.name == SAMPLE_TITLE and state.path is None
    assert combo_names(window) == [BASELINE, OPTION_A, "Option B: co-responder units"]
    assert window.scenario_bar.combo.itemText(0) == f"{BASELINE}  (baseline)"
    assert state.scenario.name == BASELINE
    # Scenario files name their calls; inside the project they plan for the project's calls.
    assert state.scenario.data.calls is None
    assert state.calls_source.data.calls == SAMPLE / "calls.csv.gz"
    # Option A was written as changes to the baseline (`base = ...`): the project holds it whole.
    a = state.scenario_named(OPTION_A)
    assert a.responders["officer"] == state.scenario.responders["officer"]
    assert sum(b.units for b in a.responders["social_worker"].shifts) == 4


def test_choosing_a_scenario_shows_it_on_the_pages_and_is_not_an_edit(window):
    bar = window.scenario_bar
    bar.combo.setCurrentIndex(1)
    assert window.state.current_name == OPTION_A
    assert OPTION_A in window.staffing_page.scenario_label.text()
    assert not window.isWindowModified()
    assert window.state.undo_stack.count() == 0


def test_add_duplicate_rename_delete_are_undoable(window, monkeypatch):
    state, bar = window.state, window.scenario_bar
    bar.add_menu.actions()[0].trigger()                     # blank: the baseline without civilian units
    assert state.current_name == "New scenario"
    assert state.scenario.responders["officer"] == state.scenario_named(BASELINE).responders["officer"]
    assert all(r.on_duty(60).sum() == 0 for t, r in state.scenario.responders.items() if t != "officer")
    assert window.isWindowModified()
    bar.duplicate_action.trigger()
    assert state.current_name == "New scenario (copy)"
    monkeypatch.setattr(QInputDialog, "getText", lambda *a, **k: ("  Night   shift  option ", True))
    bar.rename_action.trigger()
    assert state.current_name == "Night shift option"
    assert combo_names(window)[-1] == "Night shift option"
    bar.delete_action.trigger()
    assert "Night shift option" not in state.scenario_names
    assert state.current_name == "New scenario"
    # Each step is one undo, and undo shows the scenario it concerns.
    window.undo_action.trigger()
    assert state.current_name == "Night shift option"
    window.undo_action.trigger()
    assert state.current_name == "New scenario (copy)"
    for _ in range(2):
        window.undo_action.trigger()
    assert state.scenario_names == [BASELINE, OPTION_A, "Option B: co-responder units"]
    assert not window.isWindowModified()


def test_names_stay_unique_and_the_last_scenario_stays(window, dialogs, monkeypatch):
    state, bar = window.state, window.scenario_bar
    monkeypatch.setattr(QInputDialog, "getText", lambda *a, **k: (OPTION_A.upper(), True))
    bar.rename_action.trigger()
    assert "already a scenario named" in dialogs[-1].text()
    assert state.current_name == BASELINE
    state.duplicate(OPTION_A)
    state.duplicate(OPTION_A)
    assert state.scenario_names[-2:] == [f"{OPTION_A} (copy)", f"{OPTION_A} (copy) (2)"]
    for name in list(state.scenario_names)[1:]:
        state.delete(name)
    assert not bar.delete_action.isEnabled()
    bar.delete_current()
    assert "at least one scenario" in dialogs[-1].text()


def test_make_baseline_moves_a_scenario_to_the_top(window):
    window.state.select(OPTION_A)
    window.scenario_bar.baseline_action.trigger()
    assert window.state.baseline_name == OPTION_A
    assert window.compare_page.baseline.currentData() == BASELINE   # the user's choice there stays
    window.undo_action.trigger()
    assert window.state.baseline_name == BASELINE


# ------------------------------------------------------------------------------------ templates
def test_templates_are_one_click_away_with_summary_sources_and_assumptions(loaded):
    menu = loaded.staffing_page.templates_menu
    templates = list_templates()
    assert len(menu.actions()) == len(templates) == 7      # six field teams and the Columbus triage pod
    assert menu.toolTipsVisible()
    for action, t in zip(menu.actions(), templates, strict=True):
        assert action.text() == t.name
        tip = action.toolTip()
        for text in (t.summary, *t.sources, *t.assumptions):
            assert html.escape(text) in tip
    cahoots = next(a for a in menu.actions() if a.data() == "cahoots")
    cahoots.trigger()
    state = loaded.state
    assert state.current_name == "Civilian crisis team (CAHOOTS model)"
    s = state.scenario
    assert "crisis_team" in s.responders and sum(b.units for b in s.responders["crisis_team"].shifts) >= 1
    assert s.responders["officer"] == state.scenario_named(BASELINE).responders["officer"]
    assert "Sized to this city" in s.source
    assert "Eugene" in loaded.staffing_page.source_label.text()
    assert loaded.isWindowModified()
    cahoots.trigger()
    assert state.current_name == "Civilian crisis team (CAHOOTS model) (2)"
    loaded.undo_action.trigger()
    loaded.undo_action.trigger()
    assert "Civilian crisis team (CAHOOTS model)" not in state.scenario_names


def test_a_template_needs_calls_to_be_sized(window, dialogs):
    window.staffing_page.templates_menu.actions()[0].trigger()
    assert "import calls first" in dialogs[-1].text()
    assert len(window.state.scenario_names) == 3


# ------------------------------------------------------------------------------------ runs
def test_a_run_is_current_until_its_scenario_or_the_calls_change(loaded):
    state = loaded.state
    assert state.run_status(BASELINE) == RUN_NONE
    small_run(loaded, BASELINE)
    assert state.run_status(BASELINE) == RUN_CURRENT
    assert loaded.scenario_bar.run_label.text() == "simulated, up to date"
    assert loaded.isWindowModified()
    state.edit(lambda t: t["responders"]["officer"].update(travel_minutes=10), "Change travel")
    assert state.run_status(BASELINE) == RUN_SCENARIO_CHANGED
    assert "out of date" in loaded.scenario_bar.run_label.text()
    loaded.undo_action.trigger()
    assert state.run_status(BASELINE) == RUN_CURRENT
    loaded.data_page.quality.assign("ANIMAL COMPLAINT", "welfare_check")
    assert state.run_status(BASELINE) == RUN_CALLS_CHANGED
    loaded.undo_action.trigger()
    assert state.run_status(BASELINE) == RUN_CURRENT
    loaded.undo_action.trigger()       # the run itself
    assert state.run_status(BASELINE) == RUN_NONE


def test_renaming_keeps_the_run_and_deleting_takes_it_along(loaded):
    state = loaded.state
    small_run(loaded, OPTION_A)
    state.rename(OPTION_A, "Four social workers")
    assert state.run_status("Four social workers") == RUN_CURRENT
    assert state.runs["Four social workers"].run.scenario == "Four social workers"
    state.delete("Four social workers")
    assert "Four social workers" not in state.runs
    loaded.undo_action.trigger()
    assert state.run_status("Four social workers") == RUN_CURRENT


# ------------------------------------------------------------------------------------ files
def test_save_and_reopen_restores_scenarios_rules_and_runs(qtbot, loaded, tmp_path):
    state = loaded.state
    loaded.data_page.quality.assign("ANIMAL COMPLAINT", "welfare_check")
    state.duplicate(OPTION_A)
    small_run(loaded, BASELINE, OPTION_A)
    names = state.scenario_names
    target = tmp_path / "city.coplan"
    assert loaded.save_to(target)
    assert not loaded.isWindowModified()
    assert loaded.windowTitle() == f"{SAMPLE_TITLE} — city.coplan[*] — coplan"
    # What is on disk is a planner project: any other tool reads the same.
    project = open_project(target)
    assert list(project.scenarios) == names
    assert project.run_is_current(BASELINE)

    loaded.new_project()
    with qtbot.waitSignal(loaded.state.opened, timeout=30_000):
        loaded.open_path(target)
    assert state.name == SAMPLE_TITLE and state.path == target
    assert state.scenario_names == names
    assert rule_for_call_type("ANIMAL COMPLAINT", "welfare_check") in state.data.rules
    assert state.run_status(BASELINE) == RUN_CURRENT and state.run_status(OPTION_A) == RUN_CURRENT
    assert state.run_status(f"{OPTION_A} (copy)") == RUN_NONE
    assert not loaded.isWindowModified()
    # Saving again writes to the same file without asking.
    state.edit(lambda t: t["responders"]["officer"].update(travel_minutes=10), "Change travel")
    loaded.save_action.trigger()
    assert open_project(target).scenarios[BASELINE].responders["officer"].travel_minutes == 10


def test_export_and_add_a_scenario_file(loaded, tmp_path, monkeypatch):
    from PySide6.QtWidgets import QFileDialog

    loaded.state.select(OPTION_A)
    target = tmp_path / "option_a.toml"
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, **k: (str(target), ""))
    loaded.export_scenario_action.trigger()
    text = target.read_text(encoding="utf-8")
    assert text.startswith("# coplan scenario: Option A")
    assert tomllib.loads(text)["name"] == OPTION_A
    monkeypatch.setattr(QFileDialog, "getOpenFileName", lambda *a, **k: (str(target), ""))
    loaded.add_scenario_action.trigger()
    assert loaded.state.current_name == f"{OPTION_A} (2)"
    assert loaded.state.scenario.responders == load_scenario(target).responders
