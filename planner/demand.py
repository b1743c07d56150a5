"""A scenario's demand, ready for the engines: the calls it plans for and what each category takes.

Time on scene per category comes from the scenario when it states one, else from the export when at
least MIN_MEASURED calls have on-scene times, else from coplan's defaults; the source of each figure is
kept so reports can say where it came from. The same goes for priorities and units per call.
"""

from __future__ import annotations

import textwrap
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


# ------------------------------------------------------------------------------------------ availability
def civilian_on_duty_by_route(scenario: Scenario, category: str) -> list[tuple[float, np.ndarray]]:
    """Each civilian route of a category: (share of its calls, 168 booleans: some unit of the route on duty)."""
    out = []
    for route, share in scenario.policy_for(category).routes():
        if route == ("officer",):
            continue
        on = np.zeros(168, dtype=bool)
        for t in route:
            if t in scenario.responders:
                on |= scenario.responders[t].on_duty(60) > 0
        out.append((share, on))
    return out


def eligible_without_civilian(scenario: Scenario, rates_per_hour: pd.DataFrame) -> pd.DataFrame:
    """Eligible calls a week by hour of the week, and those arriving when no civilian unit that could take
    them is on duty (NYC B-HEARD's lesson: 35% of eligible calls got no team, most in hours with none on).

    `rates_per_hour`: calls an hour (168 rows, Monday 00:00 first; one column per planned category), growth
    applied. Calls resolved by phone at call-taking triage are left out: no unit is needed for them.
    Columns: eligible, no_civilian_on_duty (calls a week in each hour of the week).
    """
    eligible = np.zeros(168)
    uncovered = np.zeros(168)
    triage = scenario.triage
    for c in rates_per_hour.columns:
        rate = rates_per_hour[c].to_numpy(dtype=float)[:168]
        if triage is not None:
            rate = rate * (1.0 - triage.share_for(c))
        for share, on in civilian_on_duty_by_route(scenario, c):
            eligible += rate * share
            uncovered += np.where(on, 0.0, rate * share)
    return pd.DataFrame({"eligible": eligible, "no_civilian_on_duty": uncovered},
                        index=pd.RangeIndex(168, name="hour_of_week"))


def availability_words(table: pd.DataFrame) -> str:
    """'1,234 of 5,678 eligible calls a year (22%) arrive when no civilian unit is on duty', or '' if none."""
    eligible = float(table["eligible"].sum())
    if eligible <= 0:
        return ""
    uncovered = float(table["no_civilian_on_duty"].sum())
    per_year = 365.25 / 7
    if uncovered >= eligible * (1 - 1e-9):
        return (f"all {eligible * per_year:,.0f} eligible calls a year (100%) arrive when no civilian unit is on "
                f"duty: this scenario has none on shift")
    return (f"{uncovered * per_year:,.0f} of {eligible * per_year:,.0f} eligible calls a year "
            f"({uncovered / eligible:.0%}) arrive when no civilian unit is on duty")


def availability_chart(table: pd.DataFrame, ax, title: str | None = None) -> None:  # noqa: ANN001 - matplotlib Axes
    """Eligible calls a week by hour of the week, the part with no civilian unit on duty in red."""
    x = np.arange(len(table))
    covered = table["eligible"] - table["no_civilian_on_duty"]
    ax.bar(x, covered, width=1.0, color="#4c72b0", label="a civilian unit on duty")
    ax.bar(x, table["no_civilian_on_duty"], width=1.0, bottom=covered, color="#c44e52",
           label="no civilian unit on duty")
    for d in range(1, 7):
        ax.axvline(d * 24 - 0.5, color="#999999", lw=0.6)
    ax.set_xticks([d * 24 + 12 for d in range(7)], ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"])
    ax.set_xlim(-0.5, len(table) - 0.5)
    ax.set_ylabel("eligible calls a week")
    words = availability_words(table)
    text = title or (words[:1].upper() + words[1:] if words else "No calls eligible for a civilian unit")
    ax.set_title(textwrap.fill(text, 90), fontsize=9)
    top = float(table["eligible"].max())
    ax.set_ylim(0, top * 1.3 if top > 0 else 1.0)   # headroom for the legend above the bars
    ax.legend(loc="upper left", fontsize=8, frameon=False, ncol=2)
