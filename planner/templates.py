"""Programme templates: ready scenario presets modelled on the programmes this field grew from.

Each template (planner/data/templates/*.toml) names its programme, the published figures it draws on and
the assumptions it adds, and carries responder types and policy. Applied to a city's scenario, it adds
its responder type, takes over the eligible share of the categories it covers, and scales its units to
the city: units x (calls this city's policy makes eligible a year / calls the programme handled a year
with its published staffing), rounded, at least one per shift. A template may also carry call-taking
triage in the 911 centre (a `[triage]` table, planner.triage: Columbus's pod, RIGHT Care's clinicians);
that needs no sizing here, since its positions are staffed by Erlang C on the city's own phone load. A
template with triage only (Columbus) needs no responders and no reference_calls_per_year.
"""

from __future__ import annotations

import copy
import tomllib
from dataclasses import dataclass, field
from importlib import resources
from typing import Any

import pandas as pd

from planner.errors import ScenarioError
from planner.scenario import Scenario, scenario_from_dict, scenario_to_dict


@dataclass(frozen=True)
class Template:
    key: str
    name: str
    program: str
    summary: str
    sources: tuple[str, ...]
    assumptions: tuple[str, ...]
    reference_calls_per_year: float | None      # None: no field team to size (triage only)
    fragment: dict[str, Any] = field(repr=False)   # responders, policy and triage tables

    @property
    def triage(self) -> dict[str, Any] | None:
        """The template's [triage] table (call-taking triage in the 911 centre), if it has one."""
        return self.fragment.get("triage")

    @property
    def responder_types(self) -> list[str]:
        return list(self.fragment.get("responders", {}))


def _load(key: str, text: str) -> Template:
    d = tomllib.loads(text)
    required = {"name", "program", "summary", "sources", "assumptions"}
    if "triage" not in d:   # a field team to size to the city
        required |= {"reference_calls_per_year", "responders"}
    missing = required - set(d)
    if missing:
        raise ScenarioError(f"template {key}: missing {sorted(missing)}")
    fragment = {"responders": d.get("responders", {}), "policy": d.get("policy", {})}
    if "triage" in d:
        fragment["triage"] = d["triage"]
    reference = d.get("reference_calls_per_year")
    return Template(key=key, name=d["name"], program=d["program"], summary=d["summary"],
                    sources=tuple(d["sources"]), assumptions=tuple(d["assumptions"]),
                    reference_calls_per_year=float(reference) if reference is not None else None,
                    fragment=fragment)


def list_templates() -> list[Template]:
    """Every template shipped with coplan, in a stable order."""
    folder = resources.files("planner").joinpath("data/templates")
    out = [_load(f.name.removesuffix(".toml"), f.read_text(encoding="utf-8"))
           for f in folder.iterdir() if f.name.endswith(".toml")]
    return sorted(out, key=lambda t: t.key)


def get_template(key: str) -> Template:
    for t in list_templates():
        if t.key == key:
            return t
    raise ScenarioError(f"no programme template {key!r}; there are {[t.key for t in list_templates()]}")


def eligible_calls_per_year(template: Template, calls_per_year: pd.Series) -> float:
    """Calls a year in this city that the template's policy makes eligible for its team."""
    total = 0.0
    for cat, pol in template.fragment.get("policy", {}).items():
        share = sum(pol.get("eligible", {}).values())
        total += float(calls_per_year.get(cat, 0.0)) * share
    return total


def apply_template(base: Scenario, template: Template, calls_per_year: pd.Series) -> Scenario:
    """`base` with the template's team added and sized to this city (calls a year per category)."""
    d = scenario_to_dict(base, base=base.path.parent if base.path else None)
    frag = copy.deepcopy(template.fragment)
    reference = template.reference_calls_per_year
    factor = eligible_calls_per_year(template, calls_per_year) / reference if reference else 1.0
    for r in frag["responders"].values():
        for s in r.get("shifts", []):
            s["units"] = max(1, int(round(s["units"] * factor)))
    d["responders"] = {**d["responders"], **frag["responders"]}
    for cat, pol in frag.get("policy", {}).items():
        cur = d["policy"].setdefault(cat, {})
        # The template's team takes over the civilian share of the categories it covers.
        cur["eligible"] = dict(pol.get("eligible", {}))
        for key in ("fallback_wait_minutes", "on_scene_cv"):
            if key in pol:
                cur[key] = pol[key]
        for key in ("on_scene_multiplier", "repeat_call_reduction", "backup_rate"):
            if key in pol:
                cur[key] = {**cur.get(key, {}), **pol[key]}
        if "outcomes" in pol:
            cur["outcomes"] = {**cur.get("outcomes", {}), **pol["outcomes"]}
    if "triage" in frag:
        d["triage"] = frag["triage"]
    d["name"] = f"{template.name}"
    d["description"] = template.summary
    sizing = (f" Sized to this city: units x {factor:.2f} (eligible calls here / {reference:,.0f} calls a year "
              f"the programme handled). " if reference else " ")
    if "triage" in frag:
        sizing += "Call-taking triage staffed by Erlang C on this city's phone load. "
    d["source"] = (f"Programme template: {template.program}. " + " ".join(template.sources) + sizing +
                   " ".join(template.assumptions))
    return scenario_from_dict(d, base.path)
