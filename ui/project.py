"""What the window has open: a project (scenarios, imported calls, saved runs) and its undo history.

A project is what `planner.project` saves in one `.coplan` file: the imported calls with the mapping and
category rules that read them, any number of scenarios, and a saved run (simulated and costed) per
scenario. Every change goes through the undo stack as a ProjectChange (the parts of the project before
and after), so undo/redo and the window's modified mark follow from one place. Scenario edits are
validated by the planner (`scenario_from_dict`) before they are applied: an invalid edit is refused with
the planner's message and nothing changes.

Opening a scenario file (TOML) makes an unsaved project of it; its calls are read from the scenario's
`[data]` section in the background. Inside a project, scenarios plan for the project's calls.
"""

from __future__ import annotations

import copy
import datetime as dt
import os
import re
import tomllib
from collections.abc import Callable, Generator
from dataclasses import dataclass, replace
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np
from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QUndoCommand, QUndoStack

from planner.baseline import POLICY as BASELINE_POLICY
from planner.baseline import PROPOSAL, REFERENCE_SOURCE, RESPONDERS, FirstBaseline, first_baseline
from planner.demand import build_demand
from planner.errors import ScenarioError
from planner.importer import ImportResult, import_calls
from planner.jobs import Progress
from planner.mapping import CategoryRule, Mapping, read_mapping, write_mapping
from planner.profile import DemandProfile, build_profile
from planner.project import Project, SavedRun, open_project, scenario_to_toml
from planner.scenario import FALLBACK_TYPE, Scenario, load_scenario, scenario_from_dict
from planner.taxonomy import Taxonomy, default_taxonomy
from planner.templates import Template, apply_template
from ui.worker import function_job

# Progress messages import_calls reports, plus one for the profile: the progress bar's length.
IMPORT_STEPS = 10
PROJECT_SUFFIX = ".coplan"
NEW_PROJECT_NAME = "Untitled project"

# A new project's first scenario, until calls are imported: the three responder types with coplan's reference
# figures and the programme policy defaults. Importing calls into it replaces it with a baseline sized from
# them (planner.baseline), which the user then confirms or replaces with the department's roster.
NEW_SCENARIO: dict[str, Any] = {
    "name": "Baseline",
    "description": "A placeholder until calls are imported (Data page): coplan then proposes a baseline sized "
                   "from them, for you to confirm or replace with your department's roster.",
    "source": REFERENCE_SOURCE,
    "responders": {
        "officer": {**RESPONDERS["officer"], "travel_minutes": 9, "on_duty": 10},
        **{t: dict(r) for t, r in RESPONDERS.items() if t != FALLBACK_TYPE},
    },
    "policy": {cat: copy.deepcopy(table) for cat, table, _ in BASELINE_POLICY},
}

# What a saved run's state is, in words a page can show.
RUN_NONE, RUN_CURRENT, RUN_SCENARIO_CHANGED, RUN_CALLS_CHANGED = "none", "current", "scenario changed", "calls changed"
RUN_WORDS = {
    RUN_NONE: "not simulated yet",
    RUN_CURRENT: "simulated, up to date",
    RUN_SCENARIO_CHANGED: "out of date: the scenario changed since its run",
    RUN_CALLS_CHANGED: "out of date: the calls or their categories changed since its run",
}


@cache
def taxonomy() -> Taxonomy:
    return default_taxonomy()


def categories() -> list[str]:
    return list(taxonomy().categories)


def _now() -> dt.datetime:
    """UTC to the microsecond, as the planner stamps an import: the stamp says which calls a run planned for."""
    return dt.datetime.now(dt.UTC)


@dataclass(frozen=True)
class CallData:
    """Imported calls, their demand profile, and where they came from."""

    result: ImportResult
    profile: DemandProfile
    calls_path: Path            # the export (for calls read from a project file: its name only)
    codes_path: Path | None
    timezone: str | None
    mapping_path: Path | None   # the mapping file the calls were read with, if any
    stored: bool = False        # read from a project file: the export itself may not be on this computer

    @property
    def rules(self) -> tuple[CategoryRule, ...]:
        return self.result.mapping.rules


# ------------------------------------------------------------------------------------------- jobs
def import_job(calls_path: Path, mapping: Mapping, *, codes: Path | None = None, tz: str | None = None,
               mapping_path: Path | None = None) -> Generator[Progress, None, CallData]:
    """Import an export and profile it: the job behind the import wizard and opening a scenario."""
    result = yield from function_job(import_calls, calls_path, mapping, codes=codes, tz=tz, total=IMPORT_STEPS)
    yield Progress(IMPORT_STEPS, IMPORT_STEPS, "building the demand profile")
    profile = build_profile(result)
    return CallData(result=result, profile=profile, calls_path=Path(calls_path),
                    codes_path=Path(codes) if codes else result.mapping.codes_path(),
                    timezone=result.timezone, mapping_path=mapping_path)


def scenario_data_job(scenario: Scenario) -> Generator[Progress, None, CallData]:
    """Import the calls a scenario names, with its mapping file, code table and time zone."""
    d = scenario.data
    if d.calls is None:
        raise ScenarioError("the scenario names no calls file ([data] calls)")
    yield Progress(0, IMPORT_STEPS, "reading the mapping")
    mapping = read_mapping(d.mapping) if d.mapping else Mapping()
    return (yield from import_job(d.calls, mapping, codes=d.codes, tz=d.timezone, mapping_path=d.mapping))


def first_baseline_job(data: CallData) -> Generator[Progress, None, FirstBaseline]:
    """Size a first baseline from imported calls (planner.baseline): a job, since the roster takes a solve."""
    yield Progress(0, 1, "sizing officers from the calls (Erlang C, the rule of 60, a runnable roster)")
    first = first_baseline(data.result, timezone=data.timezone)
    yield Progress(1, 1, "done")
    return first


def stored_call_data(result: ImportResult) -> CallData:
    """The calls a project file holds, with their profile."""
    return CallData(result=result, profile=build_profile(result),
                    calls_path=Path(result.source.name) if result.source else Path("calls"),
                    codes_path=None, timezone=result.timezone, mapping_path=None, stored=True)


def open_project_job(path: Path) -> Generator[Progress, None, tuple[Project, CallData | None]]:
    """Read a project file and profile its calls (a job: large projects take a moment)."""
    yield Progress(0, 2, f"reading {Path(path).name}")
    project = open_project(path)
    data = None
    if project.imported is not None:
        yield Progress(1, 2, "building the demand profile")
        data = stored_call_data(project.imported)
    yield Progress(2, 2, "done")
    return project, data


# --------------------------------------------------------------------------------- data helpers
def rule_for_call_type(call_type: str, category: str) -> CategoryRule:
    """A rule that places exactly one call type (matched as a whole, any case) in a category."""
    return CategoryRule(f"^{re.escape(call_type)}$", category)


def recategorised(data: CallData, rules: tuple[CategoryRule, ...]) -> CallData:
    """The same calls with the categories the given user rules make (rules run once per distinct type)."""
    tax = taxonomy().with_user_rules(tuple(rules))   # ScenarioError for an unknown category
    for r in rules:
        try:
            re.compile(r.pattern)
        except re.error as e:
            raise ScenarioError(f"rule {r.pattern!r}: not a valid pattern ({e})") from None
    calls = data.result.calls
    category = tax.categorise(calls["call_type"], calls["description"] if "description" in calls else None)
    mapping = replace(data.result.mapping, rules=tuple(rules))
    result = replace(data.result, calls=calls.assign(category=category), mapping=mapping)
    return replace(data, result=result, profile=build_profile(result))


def offered_load_by_hour(data: CallData, excluded: tuple[str, ...] = ()) -> np.ndarray | None:
    """Units busy on calls at once, per hour-of-week bin, for the categories a plan must answer (calls per
    hour x mean busy hours, dispatch to clear with every unit counted); None when the export has no busy times."""
    p = data.profile
    busy = p.durations["busy_mean"]
    cats = [c for c in p.categories if c not in excluded and np.isfinite(busy.get(c, np.nan))]
    if not cats:
        return None
    load = p.offered_load({c: float(busy[c]) for c in cats})[cats]
    return load.sum(axis=1).to_numpy()


def mapping_for_file(data: CallData, path: Path) -> Mapping:
    """The mapping of imported calls as a file at `path` would hold it (code table relative to it)."""
    m = data.result.mapping
    codes = None
    if data.codes_path is not None:
        try:
            codes = Path(os.path.relpath(Path(data.codes_path).resolve(), Path(path).parent.resolve())).as_posix()
        except ValueError:  # another drive
            codes = Path(data.codes_path).as_posix()
    return Mapping(columns=dict(m.columns), timezone=data.timezone, date_order=m.date_order, sheet=m.sheet,
                   codes=codes, rules=m.rules, source=Path(path))


def strip_where(message: str, path: Path | None = None) -> str:
    """A planner message without the file or 'scenario' it starts with (the window already says which)."""
    for prefix in (f"{path}: " if path else None, "scenario: "):
        if prefix and message.startswith(prefix):
            return message[len(prefix):]
    return message


def stored_table(s: Scenario) -> dict[str, Any]:
    """A scenario as a project holds it (TOML-shaped; no data files: it plans for the project's calls)."""
    data = replace(s.data, calls=None, mapping=None, codes=None)
    return tomllib.loads(scenario_to_toml(replace(s, data=data, path=None)))


def renamed_run(saved: SavedRun, name: str) -> SavedRun:
    """A saved run under a scenario's new name (the scenario text it ran with renamed too)."""
    table = tomllib.loads(saved.scenario_toml)
    table["name"] = name
    text = scenario_to_toml(scenario_from_dict(table, None, categories()))
    return replace(saved, scenario_toml=text, run=replace(saved.run, scenario=name),
                   costs=replace(saved.costs, scenario=name))


# ----------------------------------------------------------------------------------------- state
class ProjectChange(QUndoCommand):
    """One undoable change: the parts of the project it changes (tables, current, data, stamp, runs),
    before and after."""

    def __init__(self, state: ProjectState, text: str, before: dict[str, Any], after: dict[str, Any]):
        super().__init__(text)
        self.state = state
        self.before = before
        self.after = after

    def redo(self) -> None:
        self.state._apply(self.after)

    def undo(self) -> None:
        self.state._apply(self.before)


class ProjectState(QObject):
    """The open project: scenarios (the current one edited on the pages), calls and saved runs.

    Scenario tables, call data and runs are never changed in place: every change makes new ones, so the
    undo stack can hold the old ones as they were.
    """

    scenarioChanged = Signal()     # the current scenario's content, or which scenario is current
    scenariosChanged = Signal()    # the list: names, order, which is current, or any scenario's content
    dataChanged = Signal()
    runsChanged = Signal()         # saved runs, or whether they are up to date
    pathChanged = Signal()         # the file or the project's name
    opened = Signal()              # another project is open (New or Open): what pages held no longer applies
    firstBaselineWanted = Signal()  # calls came into a project that holds only the placeholder scenario
    modifiedChanged = Signal(bool)

    def __init__(self, parent: QObject | None = None):
        super().__init__(parent)
        self.undo_stack = QUndoStack(self)
        self.undo_stack.cleanChanged.connect(self._clean_changed)
        self.path: Path | None = None
        self.name = NEW_PROJECT_NAME
        self.created_at: dt.datetime | None = None
        self.generation = 0          # bumps when another project is opened: late job results are dropped
        self.calls_source: Scenario | None = None   # a scenario file whose [data] names the calls to read
        self._tables: dict[str, dict[str, Any]] = {}
        self._current = ""
        self.data: CallData | None = None
        self.stamp: dt.datetime | None = None        # when the calls the project holds were imported
        self._runs: dict[str, SavedRun] = {}
        self._scenarios: dict[str, tuple[dict, Scenario]] = {}   # name -> (table, its validated Scenario)
        self._tomls: dict[str, tuple[dict, str]] = {}
        self.new()

    # ---------------------------------------------------------------------------- reading state
    @property
    def modified(self) -> bool:
        return not self.undo_stack.isClean()

    @property
    def display_name(self) -> str:
        return f"{self.name} — {self.path.name}" if self.path else f"{self.name} (not saved yet)"

    @property
    def scenario_names(self) -> list[str]:
        return list(self._tables)

    @property
    def current_name(self) -> str:
        return self._current

    @property
    def baseline_name(self) -> str:
        """The first scenario: what templates build on and comparisons start from."""
        return next(iter(self._tables))

    @property
    def scenario(self) -> Scenario:
        """The current scenario, validated."""
        return self.scenario_named(self._current)

    def scenario_named(self, name: str) -> Scenario:
        table = self._tables[name]
        cached = self._scenarios.get(name)
        if cached is None or cached[0] is not table:
            cached = (table, scenario_from_dict(table, None, categories()))
            self._scenarios[name] = cached
        return cached[1]

    @property
    def table(self) -> dict[str, Any]:
        """A copy of the current scenario's table (TOML-shaped)."""
        return copy.deepcopy(self._tables[self._current])

    @property
    def runs(self) -> dict[str, SavedRun]:
        return dict(self._runs)

    def scenario_toml(self, name: str) -> str:
        """The scenario as a run of it stores it (to tell whether a run is up to date)."""
        table = self._tables[name]
        cached = self._tomls.get(name)
        if cached is None or cached[0] is not table:
            cached = (table, scenario_to_toml(self.scenario_named(name)))
            self._tomls[name] = cached
        return cached[1]

    def run_status(self, name: str) -> str:
        saved = self._runs.get(name)
        if saved is None:
            return RUN_NONE
        if self.stamp is None or saved.calls_imported_at != self.stamp:
            return RUN_CALLS_CHANGED
        if saved.scenario_toml != self.scenario_toml(name):
            return RUN_SCENARIO_CHANGED
        return RUN_CURRENT

    def run_is_current(self, name: str) -> bool:
        return self.run_status(name) == RUN_CURRENT

    def to_project(self) -> Project:
        """The project as the planner saves and runs it (calls, scenarios and runs as they are now)."""
        project = Project(name=self.name, created_at=self.created_at or _now())
        if self.data is not None:
            project.set_calls(self.data.result)
            project.imported_at = self.stamp     # the same import: runs of it stay up to date
        for name in self._tables:
            project.add_scenario(self.scenario_named(name))
        project.runs = {n: r for n, r in self._runs.items() if n in self._tables}
        project.path = self.path
        project.disk_state = self.disk_state   # a file another process saved since is not overwritten
        return project

    # ------------------------------------------------------------------------------ whole files
    def new(self) -> None:
        self._reset(NEW_PROJECT_NAME, {NEW_SCENARIO["name"]: copy.deepcopy(NEW_SCENARIO)})

    def open_scenarios(self, paths: list[Path], name: str | None = None) -> None:
        """An unsaved project of scenario files (TOML); the first one's [data] names the calls to read.
        ScenarioError when a file is not a valid scenario (the open project stays as it was)."""
        scenarios = [load_scenario(Path(p).absolute(), categories()) for p in paths]
        tables: dict[str, dict[str, Any]] = {}
        for s in scenarios:
            table = stored_table(s)
            table["name"] = _unique(table["name"], tables)
            tables[table["name"]] = table
        first = scenarios[0]
        self._reset(name or first.name, tables, calls_source=first if first.data.calls else None)

    def load_project(self, project: Project, data: CallData | None) -> None:
        """Show a project read from its file (see open_project_job)."""
        tables = {n: stored_table(s) for n, s in project.scenarios.items()}
        if not tables:
            tables = {NEW_SCENARIO["name"]: copy.deepcopy(NEW_SCENARIO)}
        self._reset(project.name, tables, data=data, stamp=project.imported_at if data else None,
                    runs=dict(project.runs), path=project.path, created_at=project.created_at)
        self.disk_state = project.disk_state

    def _reset(self, name: str, tables: dict[str, dict[str, Any]], *, data: CallData | None = None,
               stamp: dt.datetime | None = None, runs: dict[str, SavedRun] | None = None,
               path: Path | None = None, created_at: dt.datetime | None = None,
               calls_source: Scenario | None = None) -> None:
        for table in tables.values():
            scenario_from_dict(table, None, categories())   # refuse before anything changes
        self.generation += 1
        self.name, self.path, self.created_at, self.calls_source = name, path, created_at, calls_source
        self.disk_state = None
        self._tables, self._current = tables, next(iter(tables))
        self.data, self.stamp, self._runs = data, stamp, dict(runs or {})
        self._scenarios.clear()
        self._tomls.clear()
        self.undo_stack.clear()
        self.opened.emit()
        self.pathChanged.emit()
        self.scenariosChanged.emit()
        self.scenarioChanged.emit()
        self.dataChanged.emit()
        self.runsChanged.emit()
        self.modifiedChanged.emit(False)

    def save(self, target: Path) -> None:
        """Write the project to `target` atomically (ProjectError when it cannot be written)."""
        target = Path(target).absolute()
        project = self.to_project()
        if self.path is None and self.name == NEW_PROJECT_NAME:
            project.name = target.stem
        project.save(target)
        self.path, self.name, self.created_at = target, project.name, project.created_at
        self.disk_state = project.disk_state
        self.undo_stack.setClean()
        self.pathChanged.emit()

    # ----------------------------------------------------------------------------------- edits
    def _push(self, text: str, **after: Any) -> None:
        before = {k: getattr(self, "_" + k if k in ("tables", "current", "runs") else k) for k in after}
        self.undo_stack.push(ProjectChange(self, text, before, after))

    def validate(self, table: dict[str, Any]) -> Scenario:
        return scenario_from_dict(table, None, categories())

    def select(self, name: str) -> None:
        """Make another scenario the one the pages show (not an edit: nothing to undo or save)."""
        if name != self._current:
            if name not in self._tables:
                raise ScenarioError(f"no scenario named {name!r}")
            self._apply({"current": name})

    def edit(self, change: Callable[[dict[str, Any]], None], text: str) -> None:
        """Apply `change` to a copy of the current scenario's table; raises ScenarioError (and changes
        nothing) when the result is not a valid scenario."""
        after = copy.deepcopy(self._tables[self._current])
        change(after)
        if after.get("name") != self._current:
            raise ScenarioError("a scenario is renamed with Rename, not by an edit")
        self.validate(after)
        self._push(text, tables={**self._tables, self._current: after}, current=self._current)

    # ------------------------------------------------------------------------------- scenarios
    def add_scenario(self, scenario: Scenario, text: str | None = None) -> str:
        """Add a scenario (renamed if its name is taken) and make it current; returns its name."""
        table = stored_table(scenario)
        table["name"] = _unique(str(table.get("name") or "Scenario"), self._tables)
        self.validate(table)
        name = table["name"]
        self._push(text or f"Add scenario {name}", tables={**self._tables, name: table}, current=name)
        return name

    def add_blank(self) -> str:
        """A scenario with the baseline's officers, costs and policy, and no civilian units on duty."""
        base = copy.deepcopy(self._tables[self.baseline_name])
        for t, r in base.get("responders", {}).items():
            if t != FALLBACK_TYPE:
                r.pop("shifts", None)
                r.pop("min_on_duty", None)
                r["on_duty"] = 0
        base["name"] = "New scenario"
        base["description"] = (f"Starts as the baseline ({self.baseline_name}) with no civilian units on duty; "
                               "add units on the Staffing page.")
        return self.add_scenario(self.validate(base), "Add a blank scenario")

    def duplicate(self, name: str | None = None) -> str:
        name = name or self._current
        table = copy.deepcopy(self._tables[name])
        table["name"] = f"{name} (copy)"
        return self.add_scenario(self.validate(table), f"Duplicate {name}")

    def add_template(self, template: Template) -> str:
        """The template applied to the baseline and sized to this city's calls, as a new scenario."""
        if self.data is None:
            raise ScenarioError(f"import calls first: the {template.name} template is sized to the calls "
                                "your city gets (Data page)")
        base = self.scenario_named(self.baseline_name)
        demand = build_demand(base, self.data.result)
        scenario = apply_template(base, template, demand.calls_per_year())
        return self.add_scenario(scenario, f"Add template {template.name}")

    def rename(self, old: str, new: str) -> str:
        new = " ".join(new.split())
        if not new:
            raise ScenarioError("a scenario needs a name")
        if new == old:
            return old
        if any(n.casefold() == new.casefold() for n in self._tables if n != old):
            raise ScenarioError(f"there is already a scenario named {new!r}")
        tables = {}
        for n, t in self._tables.items():
            if n == old:
                t = copy.deepcopy(t)
                t["name"] = new
                self.validate(t)
            tables[t["name"] if n == old else n] = t
        runs = {(new if n == old else n): (renamed_run(r, new) if n == old else r) for n, r in self._runs.items()}
        current = new if self._current == old else self._current
        self._push(f"Rename {old} to {new}", tables=tables, current=current, runs=runs)
        return new

    def delete(self, name: str) -> None:
        if len(self._tables) == 1:
            raise ScenarioError("a project keeps at least one scenario")
        names = list(self._tables)
        i = names.index(name)
        tables = {n: t for n, t in self._tables.items() if n != name}
        current = self._current if self._current != name else names[i + 1 if i + 1 < len(names) else i - 1]
        runs = {n: r for n, r in self._runs.items() if n != name}
        self._push(f"Delete scenario {name}", tables=tables, current=current, runs=runs)

    def make_baseline(self, name: str) -> None:
        """Move a scenario to the top of the list: the baseline templates and comparisons start from."""
        if name == self.baseline_name:
            return
        tables = {name: self._tables[name], **{n: t for n, t in self._tables.items() if n != name}}
        self._push(f"Make {name} the baseline", tables=tables, current=self._current)

    # ------------------------------------------------------------------------------------ runs
    def set_runs(self, runs: dict[str, SavedRun], generation: int, text: str) -> bool:
        """Keep the runs a job made (undoable); dropped when another project was opened meanwhile."""
        if generation != self.generation:
            return False
        new = {n: r for n, r in runs.items() if n in self._tables}
        if not new:
            return False
        self._push(text, runs={**self._runs, **new})
        return True

    # ------------------------------------------------------------------------------------ data
    def set_loaded_data(self, data: CallData, generation: int) -> bool:
        """Calls read for the project as it was opened: not an edit, so not on the undo stack."""
        if generation != self.generation:
            return False
        self._apply({"data": data, "stamp": _now()})
        return True

    def set_imported_data(self, data: CallData, generation: int) -> bool:
        """Calls imported through the wizard: the project's calls now (undoable). A project that holds only the
        placeholder scenario then asks for a first baseline sized from them (firstBaselineWanted)."""
        if generation != self.generation:
            return False
        self._push(f"Import {data.calls_path.name}", data=data, stamp=_now())
        if self.holds_placeholder():
            self.firstBaselineWanted.emit()
        return True

    def holds_placeholder(self) -> bool:
        """Whether the project's only scenario is the untouched placeholder of a new project."""
        return len(self._tables) == 1 and next(iter(self._tables.values())) == NEW_SCENARIO

    def propose_baseline(self, first: FirstBaseline, generation: int) -> str | None:
        """Replace the placeholder with a first baseline sized from the calls (undoable); its name, or None when
        the project changed meanwhile (another project, or the placeholder already edited)."""
        if generation != self.generation or not self.holds_placeholder():
            return None
        table = stored_table(first.scenario)
        self.validate(table)
        name = table["name"]
        self._push("Propose a baseline from the calls", tables={name: table}, current=name)
        return name

    def is_proposal(self, name: str | None = None) -> bool:
        """Whether a scenario is a baseline proposed from the calls that the user has not confirmed yet."""
        table = self._tables.get(name or self._current, {})
        return str(table.get("description", "")).startswith(PROPOSAL)

    def confirm_roster(self) -> None:
        """The user confirms the current scenario's roster as the department's (the proposal mark goes)."""
        if not self.is_proposal():
            return

        def change(t: dict[str, Any]) -> None:
            t["description"] = ("The department's officers, confirmed in coplan (first proposed from the calls: "
                                "Erlang C and the rule of 60 on the load they show).")

        self.edit(change, "Confirm the roster")

    def roster_by_hour(self) -> None:
        """Officers of the current scenario as an hourly list, the same every day (the most on duty at each hour
        of the day), so the user can type the department's own numbers on the Staffing page."""
        s = self.scenario
        grid = np.asarray(s.responders[FALLBACK_TYPE].on_duty(60), dtype=float).reshape(7, 24)

        def change(t: dict[str, Any]) -> None:
            officer = t["responders"][FALLBACK_TYPE]
            officer.pop("shifts", None)
            officer["on_duty"] = [int(np.ceil(v - 1e-9)) for v in grid.max(axis=0)]

        self.edit(change, "Officers by hour of the day")

    def set_rules(self, rules: tuple[CategoryRule, ...], text: str) -> None:
        """Re-categorise the calls with new user rules, at once (undoable)."""
        if self.data is None:
            raise ScenarioError("import calls first: rules apply to imported call types")
        after = recategorised(self.data, tuple(rules))
        self._push(text, data=after, stamp=_now())

    def add_rule(self, rule: CategoryRule) -> None:
        if self.data is None:
            raise ScenarioError("import calls first: rules apply to imported call types")
        if rule in self.data.rules:
            return
        self.set_rules((rule, *self.data.rules), f"Put {rule.pattern} in {rule.category}")

    def remove_rule(self, index: int) -> None:
        rules = list(self.data.rules) if self.data else []
        rule = rules.pop(index)
        self.set_rules(tuple(rules), f"Remove rule {rule.pattern}")

    def save_mapping(self, path: Path) -> None:
        """Write the mapping (columns, options, rules) to a file, for the next import or the command line."""
        if self.data is None:
            raise ScenarioError("import calls first: the mapping comes from an import")
        path = Path(path).absolute()
        write_mapping(mapping_for_file(self.data, path), path)

    # ---------------------------------------------------------------------------------- applying
    def _apply(self, changes: dict[str, Any]) -> None:
        old_tables, old_current, old_data = self._tables, self._current, self.data
        old_runs, old_stamp = self._runs, self.stamp
        old_table = old_tables.get(old_current)
        for key, value in changes.items():
            if key == "tables":
                self._tables = value
            elif key == "current":
                self._current = value
            elif key == "runs":
                self._runs = value
            elif key == "data":
                self.data = value
            elif key == "stamp":
                self.stamp = value
            else:
                raise KeyError(key)
        if self._tables is not old_tables or self._current != old_current:
            self.scenariosChanged.emit()
        if self._current != old_current or self._tables[self._current] is not old_table:
            self.scenarioChanged.emit()
        if self.data is not old_data:
            self.dataChanged.emit()
        if self._runs is not old_runs or self.stamp != old_stamp or self._tables is not old_tables:
            self.runsChanged.emit()

    def _clean_changed(self, clean: bool) -> None:
        self.modifiedChanged.emit(not clean)


def _unique(name: str, taken: dict[str, Any] | list[str]) -> str:
    """`name`, or `name (2)`, `name (3)`... whichever is free (case does not make a name different)."""
    folded = {n.casefold() for n in taken}
    if name.casefold() not in folded:
        return name
    stem = re.sub(r" \(\d+\)$", "", name)
    k = 2
    while f"{stem} ({k})".casefold() in folded:
        k += 1
    return f"{stem} ({k})"
