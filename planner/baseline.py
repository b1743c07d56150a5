"""A first baseline from a city's own calls (DESIGN: "A first baseline from the calls").

A new city rarely hands over its roster with its CAD export, and a made-up roster (ten officers at every
hour) is either idle or overwhelmed. So the first scenario is sized from the calls themselves:

- offered officer load by hour of the week: calls per hour (the planned categories: officer-initiated
  activity and admin left out) x an officer's busy time per call, which is travel plus time on scene, times
  the units a call takes; time on scene and travel come from the export's timestamps where it has them,
  else from stated defaults (each figure says which);
- officers needed in every hour: the fewest units that answer 80% of calls within 10 minutes by Erlang C and
  keep officers on calls at most 60% of their time (the rule of 60), and never fewer than the officers'
  min_on_duty;
- a roster a department can run over that requirement (optimize.runnable_roster: standard 8, 10 and 12-hour
  rotations, at most three start times a day);
- the reference costs and the programme policy defaults (the share of each category's calls a civilian unit
  may take, with their sources), so options can be added and compared at once.

Where the export has dispatch and clear times, the number of units it shows busy at once, hour by hour, is
set beside the requirement as a check. The scenario says plainly that it is a proposal, to be replaced by
the department's real roster.
"""

from __future__ import annotations

import functools
import math
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import tomli_w

from planner.importer import ImportResult
from planner.scenario import (
    BACKUP_RATE_SOURCE,
    DAYS,
    DEFAULT_DOWNSTREAM,
    FALLBACK_TYPE,
    Scenario,
    default_min_on_duty,
    scenario_from_dict,
)

NAME = "Baseline (proposed from the calls)"
PROPOSAL = "A PROPOSAL"     # how a proposed baseline's description starts, until the user confirms a roster
DEFAULT_TRAVEL_MINUTES = 9.0
TRAVEL_SOURCE = "coplan default: 9 minutes (the export has no dispatch and arrival times to measure it)"
ANSWER_MINUTES, SHARE_WITHIN, MAX_OCCUPANCY = 10.0, 0.8, 0.6
ROSTER_TIME_LIMIT = 30.0

# Reference costs (DESIGN reference figures), the same as the bundled samples'; always editable.
REFERENCE_SOURCE = ("coplan reference figures (US): police officer well above $100k a year fully loaded ($125,000 "
                    "used); police social worker ~$80k; co-responder unit of an officer and a clinician at ~$105k "
                    "each; relief factors after the Minnesota chiefs' study (1.57 officers per 8-hour post, 1.7 "
                    "used with training); replace them with your department's")
RESPONDERS: dict[str, dict[str, Any]] = {
    "officer": {"label": "Patrol officer unit", "people_per_unit": 1, "cost_per_person": 125000,
                "overhead_per_unit": 25000, "relief_factor": 1.7, "answer_minutes": ANSWER_MINUTES,
                "share_within": SHARE_WITHIN, "max_occupancy": MAX_OCCUPANCY},
    "social_worker": {"label": "Social worker (civilian crisis response)", "people_per_unit": 1,
                      "cost_per_person": 80000, "overhead_per_unit": 12000, "relief_factor": 1.5,
                      "travel_minutes": 14, "answer_minutes": 20, "share_within": 0.8, "max_occupancy": 0.85,
                      "on_duty": 0},
    "co_responder": {"label": "Co-responder unit (officer + clinician)", "people_per_unit": 2,
                     "cost_per_person": 105000, "overhead_per_unit": 25000, "relief_factor": 1.6,
                     "travel_minutes": 12, "answer_minutes": 15, "share_within": 0.8, "max_occupancy": 0.8,
                     "on_duty": 0},
}

# The programme policy defaults: who may answer what, how long an eligible call waits before an officer is
# sent, and outcome rates by responder. (category, table, where the shares come from)
POLICY: list[tuple[str, dict[str, Any], str]] = [
    ("behavioral_health",
     {"eligible": {"social_worker": 0.4, "co_responder": 0.3}, "fallback_wait_minutes": 20,
      "on_scene_multiplier": {"social_worker": 1.3, "co_responder": 1.2},
      "outcomes": {"officer": {"arrest": 0.05, "jail_booking": 0.04, "er_transport": 0.22},
                   "social_worker": {"er_transport": 0.08},
                   "co_responder": {"arrest": 0.02, "jail_booking": 0.01, "er_transport": 0.12}}},
     "NYC B-HEARD, FY22-24 (NYC Comptroller audit MG24-060A): 37,113 of 96,291 mental-health calls (39%) eligible "
     "for a team without police; co-responder share (30%) a coplan assumption after Dallas RIGHT Care"),
    ("welfare_check",
     {"eligible": {"social_worker": 0.6, "co_responder": 0.1}, "fallback_wait_minutes": 30,
      "on_scene_multiplier": {"social_worker": 1.2},
      "outcomes": {"officer": {"arrest": 0.01, "jail_booking": 0.01, "er_transport": 0.15},
                   "social_worker": {"er_transport": 0.08}, "co_responder": {"er_transport": 0.10}}},
     "coplan assumption after Eugene's CAHOOTS (welfare checks are among its most frequent calls; 17% of Eugene "
     "PD's call volume in 2017)"),
    ("homelessness",
     {"eligible": {"social_worker": 0.7}, "fallback_wait_minutes": 45, "on_scene_multiplier": {"social_worker": 1.4},
      "outcomes": {"officer": {"arrest": 0.05, "jail_booking": 0.04, "er_transport": 0.03},
                   "social_worker": {"er_transport": 0.02}}},
     "coplan assumption after Denver STAR (748 calls in its first six months, no arrests; calls about unhoused "
     "people its most frequent)"),
    ("substance",
     {"eligible": {"social_worker": 0.35, "co_responder": 0.3}, "fallback_wait_minutes": 15,
      "on_scene_multiplier": {"social_worker": 1.2, "co_responder": 1.1},
      "outcomes": {"officer": {"arrest": 0.06, "jail_booking": 0.05, "er_transport": 0.30},
                   "social_worker": {"er_transport": 0.18},
                   "co_responder": {"arrest": 0.02, "jail_booking": 0.02, "er_transport": 0.22}}},
     "coplan assumption after CAHOOTS (intoxicated persons among its calls)"),
    ("family_youth",
     {"eligible": {"social_worker": 0.4, "co_responder": 0.1}, "fallback_wait_minutes": 30,
      "on_scene_multiplier": {"social_worker": 1.3}, "outcomes": {"officer": {"arrest": 0.02, "jail_booking": 0.01}}},
     "coplan assumption (runaways, juvenile problems and non-violent family disputes)"),
    ("victim_support",
     {"eligible": {"social_worker": 0.8}, "fallback_wait_minutes": 60},
     "coplan assumption after Bloomington IN's embedded police social workers (case management and referrals)"),
    ("disturbance",
     {"eligible": {"social_worker": 0.15, "co_responder": 0.05}, "fallback_wait_minutes": 15,
      "outcomes": {"officer": {"arrest": 0.03, "jail_booking": 0.02}}},
     "coplan assumption (noise and neighbour disputes with no threat)"),
    ("violent_crime", {"outcomes": {"officer": {"arrest": 0.14, "jail_booking": 0.11, "er_transport": 0.04}}},
     "officer only"),
    ("property_crime", {"outcomes": {"officer": {"arrest": 0.05, "jail_booking": 0.03}}}, "officer only"),
]
POLICY_SOURCE = ("Civilian eligibility by category after the programmes coplan's templates model (CAHOOTS, STAR, "
                 "B-HEARD, RIGHT Care, Bloomington); each category's source is in the policy table. Police backup "
                 f"of civilian units: {BACKUP_RATE_SOURCE}.")


@dataclass(frozen=True)
class FirstBaseline:
    """A baseline sized from the calls, and how it was sized (per hour of the week, Monday 00:00 first)."""

    scenario: Scenario
    table: dict[str, Any]                 # the scenario as a TOML-ready table
    calls_per_hour: np.ndarray            # planned calls per hour
    offered_load: np.ndarray              # officer erlangs (units busy at once on average)
    requirement: np.ndarray               # officers needed: Erlang C and the rule of 60, at least min_on_duty
    on_duty: np.ndarray                   # officers on duty under the roster
    observed_busy: np.ndarray | None      # units the export shows busy at once (None without its timestamps)
    observed_busy_source: str
    service_minutes: float                # officer busy minutes per call, load-weighted mean
    travel_minutes: float
    travel_source: str
    on_scene_minutes: dict[str, float]
    on_scene_source: dict[str, str]
    roster_explanation: str
    notes: list[str] = field(default_factory=list)

    @property
    def utilisation(self) -> float:
        """Share of the rostered officer time the offered load would take."""
        return float(self.offered_load.sum() / self.on_duty.sum()) if self.on_duty.sum() else math.nan


def _measured_travel(calls: pd.DataFrame) -> tuple[float, str]:
    from planner.demand import MIN_MEASURED

    travel = calls["travel_minutes"].dropna() if "travel_minutes" in calls else pd.Series(dtype=float)
    travel = travel[(travel >= 0) & (travel < 240)]
    if len(travel) >= MIN_MEASURED:
        return float(travel.mean()), f"export: mean of {len(travel):,} calls with dispatch and arrival times"
    return DEFAULT_TRAVEL_MINUTES, TRAVEL_SOURCE


def _observed_busy(result: ImportResult, categories: tuple[str, ...], exposure_hours: np.ndarray
                   ) -> tuple[np.ndarray | None, str]:
    """Units the export shows busy at once, by hour of the week: every call's dispatch-to-clear time, times its
    units, averaged over the hours each hour of the week was observed."""
    from planner.demand import MIN_MEASURED
    from simulation import minutes_by_week_bin

    calls = result.calls
    calls = calls[calls["category"].astype(str).isin(categories)]
    start, end = calls["dispatched_at"], calls["cleared_at"]
    known = start.notna() & end.notna() & (end > start)
    if int(known.sum()) < MIN_MEASURED:
        return None, "the export has no dispatch and clear times, so the units it shows busy cannot be counted"
    local_start = start[known].dt.tz_localize(None) if start.dt.tz is not None else start[known]
    local_end = end[known].dt.tz_localize(None) if end.dt.tz is not None else end[known]
    origin = (local_start.min() - pd.Timedelta(days=int(local_start.min().day_of_week))).normalize()
    s = ((local_start - origin).dt.total_seconds() / 60).to_numpy()
    e = ((local_end - origin).dt.total_seconds() / 60).to_numpy()
    units = calls.loc[known, "units"].to_numpy(dtype=float)
    minutes = minutes_by_week_bin(s, e, np.zeros(len(s), dtype=np.int64), 1, (0.0, float(e.max()) + 1), 60,
                                  weight=units)[:, 0]
    with np.errstate(divide="ignore", invalid="ignore"):
        busy = np.where(exposure_hours > 0, minutes / 60 / exposure_hours, np.nan)
    how = "unit ids" if "unit_id" in result.calls else "the export's unit counts (one unit where it has none)"
    return busy, (f"the export's dispatch-to-clear times of {int(known.sum()):,} calls, units counted from {how}")


def _roster_blocks(requirement: np.ndarray) -> tuple[list[dict[str, Any]] | None, np.ndarray, str]:
    blocks, on_duty, explanation = _cached_roster(tuple(int(x) for x in requirement))
    return (None if blocks is None else [dict(b) for b in blocks]), np.array(on_duty, dtype=float), explanation


@functools.lru_cache(maxsize=16)
def _cached_roster(requirement: tuple[int, ...]) -> tuple[tuple[dict[str, Any], ...] | None, tuple[float, ...], str]:
    """The runnable roster over a requirement (one search per requirement: the app and the command line may ask
    for the same calls twice)."""
    from optimize.roster import runnable_roster

    result = runnable_roster(np.asarray(requirement, dtype=float), 60, (8.0, 10.0, 12.0), 3, ROSTER_TIME_LIMIT)
    if result.shifts is None:
        return None, tuple(float(x) for x in requirement), result.explanation
    from planner.scenario import days_label

    blocks = []
    for pattern, n in result.shifts:
        blocks.append({"start": f"{pattern.start_minute // 60:02d}:{pattern.start_minute % 60:02d}",
                       "hours": pattern.length_minutes / 60, "days": days_label(tuple(pattern.days)), "units": int(n)})
    return tuple(blocks), tuple(float(x) for x in result.on_duty), result.explanation


def first_baseline(result: ImportResult, *, calls: Path | str | None = None, mapping: Path | str | None = None,
                   codes: Path | str | None = None, timezone: str | None = None, folder: Path | None = None,
                   exclude_categories: tuple[str, ...] = ("self_initiated", "admin")) -> FirstBaseline:
    """Size a first baseline from imported calls (module docstring). `calls`, `mapping` and `codes` name the
    files a scenario file should point at (written relative to `folder`, where the file will live); leave them
    out for a project, whose scenarios plan for its own calls."""
    import optimize as opt
    from planner.demand import build_demand

    data: dict[str, Any] = {"growth": 1.0, "exclude_categories": list(exclude_categories)}
    for key, value in (("calls", calls), ("mapping", mapping), ("codes", codes)):
        if value is not None:
            data[key] = _relative(Path(value), folder)
    if timezone:
        data["timezone"] = timezone
    policy = {cat: dict(table) for cat, table, _ in POLICY}
    export = result.source.name if result.source is not None else "the calls export"
    stub = _table(NAME, "", "", data, {**RESPONDERS["officer"], "on_duty": 0}, policy)
    demand = build_demand(scenario_from_dict(stub, None), result)
    travel, travel_source = _measured_travel(result.calls)
    rates = demand.rates_per_hour()                         # calls per hour, bin x planned category
    busy = {c: (travel + demand.on_scene_minutes[c]) * demand.mean_units(c) for c in demand.categories}
    per_call = pd.Series(busy)[rates.columns].to_numpy()
    calls_per_hour = rates.to_numpy().sum(axis=1)
    load = rates.to_numpy() @ per_call / 60.0
    with np.errstate(divide="ignore", invalid="ignore"):
        service = np.where(calls_per_hour > 0, load * 60.0 / calls_per_hour, float(np.mean(per_call)))
    floor = int(math.ceil(default_min_on_duty(FALLBACK_TYPE)))
    target = opt.ServiceTarget(answer_minutes=ANSWER_MINUTES, share_within=SHARE_WITHIN, max_occupancy=MAX_OCCUPANCY,
                               min_units=floor)
    requirement = opt.requirements(load, service, target)
    blocks, on_duty, explanation = _roster_blocks(requirement)
    observed, observed_source = _observed_busy(result, demand.categories, demand.profile.exposure_hours)
    officer = {**RESPONDERS["officer"], "travel_minutes": round(travel, 1)}
    notes = []
    if blocks is not None:
        officer["shifts"] = blocks
    else:
        officer["on_duty"] = [int(x) for x in requirement]
        notes.append(f"no runnable roster was found in {ROSTER_TIME_LIMIT:g} s ({explanation}); the hourly "
                     f"requirement is written as on_duty instead")
    total = int(sum(b["units"] for b in blocks)) if blocks else int(requirement.max())
    if blocks:
        starts = sorted({b["start"] for b in blocks})
        watches = (f"{total} officer units on {len(starts)} watch{'es' if len(starts) != 1 else ''} starting "
                   f"{_and(starts)} ({len(blocks)} rotation{'s' if len(blocks) != 1 else ''})")
    else:
        watches = f"officers by hour, {int(requirement.min())} to {int(requirement.max())} on duty"
    description = (
        f"{PROPOSAL} sized from {export}'s own calls, not your staffing: {watches}, {int(on_duty.min())} to "
        f"{int(on_duty.max())} on duty at once, enough to answer 80% of calls within {ANSWER_MINUTES:g} minutes "
        f"with officers on calls at most 60% of their time. Replace it with your department's real roster before "
        f"comparing options.")
    measured = [c for c, src in demand.on_scene_source.items() if src.startswith("export")]
    defaults = [c for c in demand.categories if c not in measured]
    scene = (f"measured in the export for {len(measured)} of {len(demand.categories)} categories" if measured else
             "none measured in the export")
    if defaults:
        scene += f"; coplan defaults for {', '.join(c.replace('_', ' ') for c in defaults)}"
    planned = int(demand.profile.counts[list(demand.categories)].to_numpy().sum())
    source = (f"Officer roster sized by coplan from {export} ({demand.profile.days:.0f} days, {planned:,} calls "
              f"planned for). Time on scene: {scene}. Travel: {travel_source}. Costs: {REFERENCE_SOURCE}. "
              f"Policy: {POLICY_SOURCE}")
    table = _table(NAME, description, source, data, officer, policy)
    scenario = scenario_from_dict(table, (folder / "baseline.toml") if folder is not None and calls else None)
    return FirstBaseline(
        scenario=scenario, table=table, calls_per_hour=calls_per_hour, offered_load=load,
        requirement=np.asarray(requirement, dtype=float), on_duty=on_duty, observed_busy=observed,
        observed_busy_source=observed_source, service_minutes=float(load.sum() * 60 / calls_per_hour.sum())
        if calls_per_hour.sum() else float(np.mean(per_call)),
        travel_minutes=travel, travel_source=travel_source, on_scene_minutes=dict(demand.on_scene_minutes),
        on_scene_source=dict(demand.on_scene_source), roster_explanation=explanation, notes=notes)


def _relative(path: Path, folder: Path | None) -> str:
    import os

    if folder is None:
        return path.as_posix()
    try:
        return Path(os.path.relpath(path.resolve(), folder.resolve())).as_posix()
    except ValueError:   # another drive on Windows
        return path.as_posix()


def _table(name: str, description: str, source: str, data: dict[str, Any], officer: dict[str, Any],
           policy: dict[str, Any]) -> dict[str, Any]:
    responders = {"officer": officer, **{k: dict(v) for k, v in RESPONDERS.items() if k != FALLBACK_TYPE}}
    return {"name": name, "description": description, "source": source, "data": data, "responders": responders,
            "policy": policy, "simulation": {"horizon_days": 28.0, "warmup_days": 2.0, "replications": 10,
                                             "seed": 20250101, "arrivals": "poisson"},
            "costs": {k: {"cost": v.cost, "source": v.source} for k, v in DEFAULT_DOWNSTREAM.items()}}


def scenario_text(first: FirstBaseline) -> str:
    """The scenario as a TOML file with comments: why it is a proposal, how it was sized, each policy's source."""
    header = ["# coplan scenario: a first baseline proposed from the calls.",
              "# It is a PROPOSAL, sized from the calls: replace [responders.officer] with your department's real",
              "# roster before you compare options.",
              "#",
              "# How it was sized, by hour of the day (Mon to Sun, lowest-highest of the seven days):",
              "#   load = officers busy at once on average; needed = Erlang C (80% of calls within 10 minutes) and the",
              "#   rule of 60; rostered = the shifts below"
              + ("; observed = units the export shows busy at once." if first.observed_busy is not None else ".")]
    columns = ("load", "needed", "rostered", "observed") if first.observed_busy is not None else \
        ("load", "needed", "rostered")
    header.append("#   hour" + "".join(f"{h:>10}" for h in columns))
    grid = {k: v.reshape(7, 24) for k, v in (("load", first.offered_load), ("needed", first.requirement),
                                              ("rostered", first.on_duty))}
    if first.observed_busy is not None:
        grid["observed"] = first.observed_busy.reshape(7, 24)
    for h in range(24):
        cells = []
        for k in columns:
            col = grid[k][:, h]
            cells.append(f"{np.nanmean(col):10.1f}" if k in ("load", "observed") else f"{_range(col):>10}")
        header.append(f"#   {h:02d}  " + "".join(cells))
    text = tomli_w.dumps(first.table)
    sources = {cat: src for cat, _, src in POLICY}

    def with_source(match: re.Match) -> str:
        cat = match.group(1)
        return f"# Source: {sources[cat]}\n{match.group(0)}" if cat in sources else match.group(0)

    text = re.sub(r"^\[policy\.([a-z_]+)\]$", with_source, text, flags=re.MULTILINE)
    return "\n".join(header) + "\n\n" + text


def _and(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def _range(values: np.ndarray) -> str:
    lo, hi = int(np.min(values)), int(np.max(values))
    return f"{lo}" if lo == hi else f"{lo}-{hi}"


def format_first_baseline(first: FirstBaseline) -> str:
    """What `coplan baseline` prints: the roster, how it was sized, against what the export shows."""
    s = first.scenario
    officer = s.responders[FALLBACK_TYPE]
    from planner.costs import staffing_table

    staff = staffing_table(s).loc[FALLBACK_TYPE]
    out = [f"coplan baseline: {s.name}", "",
           "A PROPOSAL sized from the calls, to be replaced by the department's real roster.", "",
           f"Officer busy time per call  {first.service_minutes:.1f} min (travel {first.travel_minutes:.1f} min: "
           f"{first.travel_source})",
           f"Officers needed             Erlang C (80% of calls within {ANSWER_MINUTES:g} min), the rule of 60, "
           f"at least {default_min_on_duty(FALLBACK_TYPE):g} on duty",
           f"Roster                      {first.roster_explanation}"]
    for b in officer.shifts:
        out.append(f"  {b.units:>4} units  {b.label()}")
    out.append(f"Headcount                   {staff['headcount']:,.1f} officers (relief factor {officer.relief_factor:g}), "
               f"staffing cost ${staff['staffing_cost']:,.0f} a year")
    out.append(f"Offered load / rostered     {first.utilisation:.0%} of officer time on calls")
    out.append("")
    has_obs = first.observed_busy is not None
    out.append("By hour of day (mean of the seven days; needed and rostered: lowest-highest):")
    out.append(f"  {'hour':<6}{'calls/h':>8}{'load':>7}{'needed':>8}{'rostered':>10}" + (f"{'observed busy':>15}"
                                                                                       if has_obs else ""))
    calls = first.calls_per_hour.reshape(7, 24)
    load = first.offered_load.reshape(7, 24)
    need = first.requirement.reshape(7, 24)
    rost = first.on_duty.reshape(7, 24)
    obs = first.observed_busy.reshape(7, 24) if has_obs else None
    for h in range(24):
        line = (f"  {h:02d}:00 {calls[:, h].mean():>8.1f}{load[:, h].mean():>7.1f}{_range(need[:, h]):>8}"
                f"{_range(rost[:, h]):>10}")
        if obs is not None:
            line += f"{np.nanmean(obs[:, h]):>15.1f}"
        out.append(line)
    out.append("")
    out.append(f"Observed units busy at once: {first.observed_busy_source}.")
    out.append("Time on scene (minutes, officer):")
    for c, m in first.on_scene_minutes.items():
        out.append(f"  {c:<20}{m:>7.1f}  {first.on_scene_source[c]}")
    for n in first.notes:
        out.append(f"Note: {n}")
    return "\n".join(out) + "\n"


def by_day_words(values: np.ndarray) -> str:
    """'Mon 12-18, Tue 11-17, ...': the lowest and highest of each day."""
    grid = np.asarray(values).reshape(7, 24)
    return ", ".join(f"{DAYS[d]} {_range(grid[d])}" for d in range(7))
