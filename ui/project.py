"""What the window has open: the scenario (as an editable table), the imported calls, and the undo history.

Every change goes through the undo stack as a ProjectChange (the scenario table and/or the call data
before and after), so undo/redo and the window's modified mark follow from one place. Scenario edits are
validated by the planner (`scenario_from_dict`) before they are applied: an invalid edit is refused with
the planner's message and nothing changes.

Until the planner has a project file, the scenario TOML is what Open and Save work on; the imported
calls are re-read from the scenario's `[data]` section when it is opened.
"""

from __future__ import annotations

import copy
import os
import re
from collections.abc import Callable, Generator
from dataclasses import dataclass, replace
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np
from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QUndoCommand, QUndoStack

from planner.errors import ScenarioError
from planner.importer import ImportResult, import_calls
from planner.jobs import Progress
from planner.mapping import CategoryRule, Mapping, read_mapping, write_mapping
from planner.profile import DemandProfile, build_profile
from planner.scenario import Scenario, load_scenario, save_scenario, scenario_from_dict
from planner.taxonomy import Taxonomy, default_taxonomy
from ui.worker import function_job

# Progress messages import_calls reports, plus one for the profile: the progress bar's length.
IMPORT_STEPS = 10
DATA_PATH_KEYS = ("calls", "mapping", "codes")

# A new scenario: the three responder types with the reference figures the sample uses, no staff yet
# beyond officers. (The planner has no "new scenario" or template function yet.)
NEW_SCENARIO: dict[str, Any] = {
    "name": "New scenario",
    "description": "",
    "source": "coplan reference figures (officer well above $100k fully loaded; police social worker "
              "~$80k); replace them with your department's.",
    "responders": {
        "officer": {"label": "Patrol officer unit", "people_per_unit": 1, "cost_per_person": 125000,
                    "overhead_per_unit": 25000, "relief_factor": 1.7, "travel_minutes": 9,
                    "answer_minutes": 10, "share_within": 0.8, "max_occupancy": 0.6, "on_duty": 10},
        "social_worker": {"label": "Social worker (civilian crisis response)", "people_per_unit": 1,
                          "cost_per_person": 80000, "overhead_per_unit": 12000, "relief_factor": 1.5,
                          "travel_minutes": 14, "answer_minutes": 20, "share_within": 0.8,
                          "max_occupancy": 0.85, "on_duty": 0},
        "co_responder": {"label": "Co-responder unit (officer + clinician)", "people_per_unit": 2,
                         "cost_per_person": 105000, "overhead_per_unit": 25000, "relief_factor": 1.6,
                         "travel_minutes": 12, "answer_minutes": 15, "share_within": 0.8,
                         "max_occupancy": 0.8, "on_duty": 0},
    },
}


@cache
def taxonomy() -> Taxonomy:
    return default_taxonomy()


def categories() -> list[str]:
    return list(taxonomy().categories)


@dataclass(frozen=True)
class CallData:
    """Imported calls, their demand profile, and where they came from."""

    result: ImportResult
    profile: DemandProfile
    calls_path: Path
    codes_path: Path | None
    timezone: str | None
    mapping_path: Path | None   # the mapping file that holds this mapping as it is; None: unsaved changes

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
    return replace(data, result=result, profile=build_profile(result), mapping_path=None)


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


def _absolute_data_paths(d: dict[str, Any], base: Path | None) -> dict[str, Any]:
    """Data paths made absolute, so an edit history stays right when the file is saved elsewhere."""
    d = copy.deepcopy(d)
    data = d.get("data")
    if isinstance(data, dict) and base is not None:
        for key in DATA_PATH_KEYS:
            v = data.get(key)
            if isinstance(v, str) and not Path(v).is_absolute():
                data[key] = os.path.normpath(base / v)
    return d


def strip_where(message: str, path: Path | None) -> str:
    """A planner message without the file path it starts with (the window title already names it)."""
    for prefix in (f"{path}: " if path else None, "scenario: "):
        if prefix and message.startswith(prefix):
            return message[len(prefix):]
    return message


# ----------------------------------------------------------------------------------------- state
_SAME: Any = object()


class ProjectChange(QUndoCommand):
    """One undoable change: the scenario table and/or the call data, before and after."""

    def __init__(self, state: ProjectState, text: str, *, scenario: tuple[dict, dict] | None = None,
                 data: tuple[CallData | None, CallData | None] | None = None):
        super().__init__(text)
        self.state = state
        self.scenario = scenario
        self.data = data

    def redo(self) -> None:
        self.state._apply(self.scenario[1] if self.scenario else _SAME, self.data[1] if self.data else _SAME)

    def undo(self) -> None:
        self.state._apply(self.scenario[0] if self.scenario else _SAME, self.data[0] if self.data else _SAME)


class ProjectState(QObject):
    """The open scenario and calls; every change is an undoable command."""

    scenarioChanged = Signal()
    dataChanged = Signal()
    pathChanged = Signal()
    opened = Signal()            # another scenario is open (New or Open): what pages held no longer applies
    modifiedChanged = Signal(bool)

    def __init__(self, parent: QObject | None = None):
        super().__init__(parent)
        self.undo_stack = QUndoStack(self)
        self.undo_stack.cleanChanged.connect(self._clean_changed)
        self.path: Path | None = None
        self.generation = 0          # bumps when another file is opened: late job results are dropped
        self._table: dict[str, Any] = copy.deepcopy(NEW_SCENARIO)
        self.scenario: Scenario = scenario_from_dict(self._table, None, categories())
        self.data: CallData | None = None

    # ---------------------------------------------------------------------------- reading state
    @property
    def modified(self) -> bool:
        return not self.undo_stack.isClean()

    @property
    def table(self) -> dict[str, Any]:
        """A copy of the scenario table (TOML-shaped, data paths absolute)."""
        return copy.deepcopy(self._table)

    @property
    def display_name(self) -> str:
        return self.path.name if self.path else "Untitled"

    # ------------------------------------------------------------------------------ whole files
    def new(self) -> None:
        self._reset(copy.deepcopy(NEW_SCENARIO), None)

    def open(self, path: Path) -> Scenario:
        """Open a scenario file (ScenarioError when it is invalid; the open one stays as it was)."""
        path = Path(path).absolute()
        s = load_scenario(path, categories())
        self._reset(_absolute_data_paths(s.raw, path.parent), path)
        return self.scenario

    def _reset(self, table: dict[str, Any], path: Path | None) -> None:
        scenario = scenario_from_dict(table, path, categories())
        self.generation += 1
        self._table, self.scenario, self.path, self.data = table, scenario, path, None
        self.undo_stack.clear()
        self.opened.emit()
        self.pathChanged.emit()
        self.scenarioChanged.emit()
        self.dataChanged.emit()
        self.modifiedChanged.emit(False)

    def save(self, target: Path) -> None:
        """Write the scenario to `target`; call-category rules not yet in a mapping file are written beside it."""
        target = Path(target).absolute()
        table = copy.deepcopy(self._table)
        data = self.data
        if data is not None and data.mapping_path is None:
            current = table.get("data", {}).get("mapping")
            same_file = self.path is not None and target == self.path
            mapping_path = Path(current) if (current and same_file) else target.with_name(f"{target.stem}.mapping.toml")
            write_mapping(mapping_for_file(data, mapping_path), mapping_path)
            table.setdefault("data", {})["mapping"] = str(mapping_path)
            data = replace(data, mapping_path=mapping_path)
        scenario = scenario_from_dict(table, target, categories())
        saved = save_scenario(scenario, target)
        self._table = _absolute_data_paths(saved.raw, target.parent)
        self.scenario = scenario_from_dict(self._table, target, categories())
        self.path, self.data = target, data
        self.undo_stack.setClean()
        self.pathChanged.emit()
        self.scenarioChanged.emit()

    # ----------------------------------------------------------------------------------- edits
    def validate(self, table: dict[str, Any]) -> Scenario:
        return scenario_from_dict(table, self.path, categories())

    def edit(self, change: Callable[[dict[str, Any]], None], text: str) -> None:
        """Apply `change` to a copy of the scenario table; raises ScenarioError (and changes nothing) when
        the result is not a valid scenario."""
        after = copy.deepcopy(self._table)
        change(after)
        self.validate(after)
        self.undo_stack.push(ProjectChange(self, text, scenario=(self._table, after)))

    def set_loaded_data(self, data: CallData, generation: int) -> bool:
        """Calls read for the scenario as it was opened: not an edit, so not on the undo stack."""
        if generation != self.generation:
            return False
        self.data = data
        self.dataChanged.emit()
        return True

    def set_imported_data(self, data: CallData, generation: int) -> bool:
        """Calls imported through the wizard: the scenario now names them (undoable)."""
        if generation != self.generation:
            return False
        after = copy.deepcopy(self._table)
        section = after.setdefault("data", {})
        section["calls"] = str(data.calls_path)
        for key, value in (("codes", data.codes_path), ("timezone", data.timezone), ("mapping", data.mapping_path)):
            if value:
                section[key] = str(value)
            else:
                section.pop(key, None)
        self.validate(after)
        self.undo_stack.push(ProjectChange(self, f"Import {data.calls_path.name}", scenario=(self._table, after),
                                           data=(self.data, data)))
        return True

    def set_rules(self, rules: tuple[CategoryRule, ...], text: str) -> None:
        """Re-categorise the calls with new user rules, at once (undoable)."""
        if self.data is None:
            raise ScenarioError("import calls first: rules apply to imported call types")
        after = recategorised(self.data, tuple(rules))
        self.undo_stack.push(ProjectChange(self, text, data=(self.data, after)))

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
        """Write the mapping (columns, options, rules) to a file; the scenario then names it."""
        if self.data is None:
            raise ScenarioError("import calls first: the mapping comes from an import")
        path = Path(path).absolute()
        write_mapping(mapping_for_file(self.data, path), path)
        after_data = replace(self.data, mapping_path=path)
        after = copy.deepcopy(self._table)
        after.setdefault("data", {})["mapping"] = str(path)
        self.undo_stack.push(ProjectChange(self, f"Use mapping {path.name}", scenario=(self._table, after),
                                           data=(self.data, after_data)))

    # ---------------------------------------------------------------------------------- applying
    def _apply(self, table: Any, data: Any) -> None:
        if table is not _SAME and table is not self._table:
            self._table = table
            self.scenario = scenario_from_dict(table, self.path, categories())
            self.scenarioChanged.emit()
        if data is not _SAME and data is not self.data:
            self.data = data
            self.dataChanged.emit()

    def _clean_changed(self, clean: bool) -> None:
        self.modifiedChanged.emit(not clean)
