"""A scenario's demand, ready for the engines: the calls it plans for and what each category takes.

Time on scene per category comes from the scenario when it states one, else from the export when at
least MIN_MEASURED calls have on-scene times, else from coplan's defaults; the source of each figure is
kept so reports can say where it came from. The same goes for priorities and units per call.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from planner.importer import ImportResult, import_calls
from planner.mapping import Mapping, read_mapping
from planner.profile import DemandProfile, build_profile
from planner.scenario import DEFAULT_ON_SCENE_MINUTES, DEFAULT_PRIORITY, DEFAULT_PRIORITY_OTHER, Scenario

MIN_MEASURED = 30      # calls with measured times before the export's figure is trusted over a default
MAX_PRIORITY = 5       # priorities past this are folded into it
MAX_UNITS = 4          # units per call past this are folded into it


@dataclass(frozen=True)
class Demand:
    """What a scenario plans for: categories, rates, time on scene, priorities and units per call."""

    result: ImportResult
    profile: DemandProfile
    categories: tuple[str, ...]                 # planned categories (exclusions removed, calls present)
    on_scene_minutes: dict[str, float]          # mean time on scene of an officer unit
    on_scene_source: dict[str, str]
    priority_probs: dict[str, dict[int, float]]
    priority_source: dict[str, str]
    units_probs: dict[str, dict[int, float]]
    growth: float

    def rates_per_hour(self) -> pd.DataFrame:
        """Calls per hour per weekly bin (rows) and planned category (columns), growth applied."""
        return self.profile.rates_per_hour[list(self.categories)] * self.growth

    def calls_per_year(self) -> pd.Series:
        return self.profile.calls_per_year()[list(self.categories)] * self.growth

    def mean_units(self, category: str) -> float:
        p = self.units_probs[category]
        return float(sum(k * v for k, v in p.items()))


def load_calls(scenario: Scenario, progress: Callable[[str], None] | None = None) -> ImportResult:
    """Import the scenario's calls export with its mapping."""
    from planner.errors import ScenarioError

    if scenario.data.calls is None:
        raise ScenarioError(f"{scenario.path or scenario.name}: data.calls is missing; name the calls export")
    mapping = read_mapping(scenario.data.mapping) if scenario.data.mapping else Mapping()
    return import_calls(scenario.data.calls, mapping, codes=scenario.data.codes, tz=scenario.data.timezone,
                        progress=progress)


def build_demand(scenario: Scenario, result: ImportResult, bin_minutes: int = 60) -> Demand:
    """The scenario's demand from imported calls (profile at `bin_minutes`)."""
    profile = build_profile(result, bin_minutes=bin_minutes)
    calls = result.calls
    present = [c for c in profile.categories if profile.by_category[c] > 0]
    cats = tuple(c for c in present if c not in scenario.data.exclude_categories)
    on_scene, on_scene_src, pri, pri_src, units = {}, {}, {}, {}, {}
    known_priority_share = float(calls["priority"].notna().mean()) if len(calls) else 0.0
    for c in cats:
        pol = scenario.policy_for(c)
        sub = calls[calls["category"] == c]
        measured = sub["on_scene_minutes"].dropna()
        measured = measured[measured >= 0]
        if pol.on_scene_minutes is not None:
            on_scene[c], on_scene_src[c] = pol.on_scene_minutes, "scenario"
        elif len(measured) >= MIN_MEASURED:
            on_scene[c] = float(measured.mean())
            on_scene_src[c] = f"export ({len(measured):,} calls with on-scene times)"
        else:
            on_scene[c] = DEFAULT_ON_SCENE_MINUTES.get(c, DEFAULT_ON_SCENE_MINUTES["other"])
            on_scene_src[c] = "coplan default (the export has no on-scene times for it)"
        prio = sub["priority"].dropna().astype(int).clip(1, MAX_PRIORITY)
        if known_priority_share >= 0.5 and len(prio) >= MIN_MEASURED:
            vc = prio.value_counts(normalize=True).sort_index()
            pri[c] = {int(k): float(v) for k, v in vc.items()}
            pri_src[c] = f"export ({len(prio):,} calls with a priority)"
        elif pol.priority:
            pri[c], pri_src[c] = dict(pol.priority), "scenario"
        else:
            pri[c] = dict(DEFAULT_PRIORITY.get(c, DEFAULT_PRIORITY_OTHER))
            pri_src[c] = "coplan default (the export has no priorities)"
        u = sub["units"].clip(1, MAX_UNITS)
        vc = u.value_counts(normalize=True).sort_index() if len(u) else pd.Series({1: 1.0})
        units[c] = {int(k): float(v) for k, v in vc.items()}
    return Demand(result=result, profile=profile, categories=cats, on_scene_minutes=on_scene,
                  on_scene_source=on_scene_src, priority_probs=pri, priority_source=pri_src, units_probs=units,
                  growth=scenario.data.growth)


def probability_matrix(rows: list[dict[int, float]], start: int = 1) -> np.ndarray:
    """Distributions over 1..k as a (len(rows), k) matrix whose rows sum to 1."""
    k = max((max(r) for r in rows if r), default=start)
    m = np.zeros((len(rows), k - start + 1))
    for i, r in enumerate(rows):
        for value, p in r.items():
            m[i, value - start] = p
        total = m[i].sum()
        m[i] = m[i] / total if total > 0 else np.eye(1, m.shape[1])[0]
    return m
