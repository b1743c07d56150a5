"""Simulate a scenario: translate it into the SimPy engine's inputs and its results into the users' words.

Hours and counts are annual figures (scaled from the simulated window to a year); response times are
minutes from the call to the unit's arrival (queue wait + travel). Every KPI carries a 95% confidence
interval over the replications.

Staffing is simulated as a roster a department can run. Shift blocks (`shifts`) are simulated as written.
An hourly `on_duty` list is first turned into the runnable roster with the fewest unit-hours that keeps at
least the stated count on duty in every hour (standard rotations, at most `max_start_times` start times;
optimize.runnable_roster), so today's roster shows no short shifts or overtime it does not have. The cost
model (planner.costs) prices that same roster: see `staffing_roster`.

Every call is accounted for: each replication's calls offered equal those answered by each type plus
those resolved by phone at call-taking triage (the scenario's `[triage]`, planner.triage) plus those still
unanswered when the run ended (`SimulationRun.accounting`, by replication and category).

Officer hours freed (DESIGN: "Every call is accounted for") is measured in the same run: the officer
time that the calls civilian units answered would have taken (each such call at its category's officer
busy time: officer travel plus time on scene, times the units an officer call of it takes), plus the
officer time of the calls call-taking triage resolved by phone (each at the same officer busy time: no unit
went), plus the officer time of the repeat calls their case management avoids, minus the officer time spent
backing civilian units up on scene. It is never a fall in officer workload that comes from calls nobody answered:
a scenario without civilian units frees no hours, whatever its patrol does. `officer_hours_freed_rows`
is the one definition; the comparison, the reports and the optimiser's simulation check all use it.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Generator
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

import simulation as sim
from planner.demand import Demand, build_demand, load_calls, probability_matrix
from planner.errors import PlannerError
from planner.jobs import Progress
from planner.scenario import (
    FALLBACK_TYPE,
    OUTCOMES,
    Responder,
    Scenario,
    ShiftBlock,
    blocks_on_duty,
    runnable_shift_hours,
)

WEEK_MINUTES = 7 * 24 * 60
RESOLVED_BY_PHONE = sim.RESOLVED_BY_PHONE   # type_sent of a call resolved by phone at 911 triage
WEEKS_PER_YEAR = 365.25 / 7
# Seconds the search for a runnable roster over an hourly on_duty list may take (it is cached afterwards).
RUNNABLE_ROSTER_TIME_LIMIT = 30.0


@dataclass(frozen=True, eq=False)
class StaffingRoster:
    """The shifts a responder type is simulated with and priced by.

    `source` is "shifts" (the scenario's shift blocks, as written), "runnable roster" (made from an hourly
    on_duty list) or "hourly" (no runnable roster was found in time: the hourly counts as given, each rise
    a unit coming on and each drop the longest-on unit going off).
    """

    responder: str
    blocks: tuple[ShiftBlock, ...] | None  # None only for "hourly"
    source: str
    explanation: str
    hourly: np.ndarray | None = None  # the stated counts, for "hourly"

    def on_duty(self, bin_minutes: int = 60) -> np.ndarray:
        """Units on duty per weekly bin under this roster."""
        if self.blocks is None:
            n = WEEK_MINUTES // bin_minutes
            return np.repeat(np.asarray(self.hourly, dtype=float), 60).reshape(n, bin_minutes).mean(axis=1)
        return blocks_on_duty(self.blocks, bin_minutes)

    @property
    def unit_hours_per_week(self) -> float:
        """Unit-hours on duty in a week."""
        return float(self.on_duty(60).sum())


@functools.lru_cache(maxsize=64)
def _runnable_blocks(counts: tuple[int, ...], lengths: tuple[float, ...],
                     max_starts: int) -> tuple[tuple[ShiftBlock, ...] | None, str]:
    """The runnable roster over hourly counts as shift blocks, and what it is (cached: one search per list)."""
    from optimize.roster import runnable_roster  # the solver stack loads only when an hourly list needs it

    result = runnable_roster(np.asarray(counts, dtype=float), 60, lengths, max_starts,
                                 RUNNABLE_ROSTER_TIME_LIMIT)
    if result.shifts is None:
        return None, result.explanation
    blocks = tuple(ShiftBlock(p.start_minute, p.length_minutes / 60, p.days, n) for p, n in result.shifts)
    listed = "; ".join(f"{n} x {p.name}" for p, n in result.shifts)
    return blocks, f"{result.explanation}: {listed}"


def staffing_roster(r: Responder) -> StaffingRoster:
    """The roster a responder type is simulated with and priced by (see the module docstring)."""
    if r.on_duty_by_hour is None:
        return StaffingRoster(r.name, r.shifts, "shifts", "shift blocks as written")
    # Never fewer units than the scenario states: a fractional count is rounded up.
    counts = np.ceil(r.on_duty_by_hour - 1e-9).astype(np.int64)
    if not counts.any():
        return StaffingRoster(r.name, (), "shifts", "no units on duty")
    blocks, explanation = _runnable_blocks(tuple(int(c) for c in counts), runnable_shift_hours(r.shift_hours),
                                           int(r.max_start_times))
    if blocks is None:
        return StaffingRoster(r.name, None, "hourly", explanation, hourly=counts.astype(float))
    return StaffingRoster(r.name, blocks, "runnable roster", explanation)


def roster_note(roster: StaffingRoster) -> str | None:
    """A line for the run's notes when the simulated roster is not the scenario's own shift blocks."""
    if roster.source == "runnable roster":
        return (f"{roster.responder}: the hourly on_duty list is simulated and priced as a runnable roster "
                f"({roster.explanation})")
    if roster.source == "hourly":
        return (f"{roster.responder}: no runnable roster over the hourly on_duty list ({roster.explanation}); "
                f"simulated hour by hour as given")
    return None


def _block_shifts(blocks: tuple[ShiftBlock, ...], until: float) -> tuple[tuple[float, float], ...]:
    """Shift blocks expanded to one (start, end) per unit per worked day, on the simulation clock."""
    out = []
    weeks = int(math.ceil(until / WEEK_MINUTES)) + 1
    for w in range(-1, weeks):  # week -1: a Sunday-night shift is still on duty on Monday morning
        for b in blocks:
            for d, works in enumerate(b.days):
                if not works:
                    continue
                start = w * WEEK_MINUTES + d * 1440 + b.start_minute
                end = start + b.hours * 60
                if end <= 0 or start >= until:
                    continue
                out += [(max(float(start), 0.0), float(end))] * b.units
    return tuple(out)


def _unit_shifts(r: Responder, until: float) -> tuple[tuple[float, float], ...]:
    """A responder's shift blocks expanded to one (start, end) per unit per worked day, on the simulation clock."""
    return _block_shifts(r.shifts, until)


def responder_specs(scenario: Scenario, until: float) -> tuple[sim.ResponderSpec, ...]:
    """The engine's responder types: each simulated on its staffing roster (see `staffing_roster`)."""
    specs = []
    for name, r in scenario.responders.items():
        common = {"travel_mean_minutes": r.travel_minutes, "travel_cv": r.travel_cv}
        roster = staffing_roster(r)
        if roster.blocks:
            specs.append(sim.ResponderSpec(name, shifts=_block_shifts(roster.blocks, until), **common))
        else:
            on_duty = np.rint(roster.on_duty(60)).astype(np.int64)
            specs.append(sim.ResponderSpec(name, on_duty=on_duty, bin_minutes=60, **common))
    return tuple(specs)


def category_specs(scenario: Scenario, demand: Demand) -> tuple[sim.CategorySpec, ...]:
    specs = []
    for c in demand.categories:
        pol = scenario.policy_for(c)
        outcomes = {t: {o: float(pol.outcomes.get(t, {}).get(o, 0.0)) for o in OUTCOMES}
                    for t in scenario.responders}
        backup = {t: pol.backup_rate_for(t) for t in scenario.civilian_types if pol.backup_rate_for(t) > 0}
        specs.append(sim.CategorySpec(
            name=c, routes=tuple(pol.routes()), fallback_wait_minutes=pol.fallback_wait_minutes,
            on_scene_mean_minutes=demand.on_scene_minutes[c], on_scene_cv=pol.on_scene_cv,
            on_scene_multiplier=dict(pol.on_scene_multiplier), outcome_rates=outcomes, backup_rates=backup,
            phone_resolution=scenario.triage.share_for(c) if scenario.triage is not None else 0.0))
    return tuple(specs)


def build_config(scenario: Scenario, demand: Demand, *, horizon_days: float | None = None,
                 warmup_days: float | None = None, keep_records: bool = True) -> sim.SimConfig:
    """The engine's inputs for a scenario: responders, categories, arrivals, horizon."""
    settings = scenario.simulation
    horizon = (horizon_days or settings.horizon_days) * 1440
    warmup = (warmup_days if warmup_days is not None else settings.warmup_days) * 1440
    cats = list(demand.categories)
    pri = probability_matrix([demand.priority_probs[c] for c in cats])
    units = probability_matrix([demand.units_probs[c] for c in cats])
    if settings.arrivals == "replay":
        arrivals, horizon = _trace(demand, horizon)
        warmup = min(warmup, horizon / 2)
    else:
        rates = demand.profile.rates_per_hour[cats].to_numpy().T
        arrivals = sim.PoissonArrivals(rates_per_hour=rates, bin_minutes=demand.profile.bin_minutes,
                                       priority_probs=pri, units_probs=units, growth=demand.growth)
    return sim.SimConfig(responders=responder_specs(scenario, horizon + WEEK_MINUTES),
                         categories=category_specs(scenario, demand), arrivals=arrivals,
                         horizon_minutes=horizon, warmup_minutes=warmup, fallback_type=FALLBACK_TYPE,
                         outcomes=OUTCOMES, keep_records=keep_records, week_bin_minutes=60)


def _trace(demand: Demand, horizon: float) -> tuple[sim.TraceArrivals, float]:
    """The historical calls on the simulation clock (minute 0 = the Monday 00:00 before the first call)."""
    calls = demand.result.calls
    calls = calls[calls["category"].isin(demand.categories)]
    local = calls["received_at"].dt.tz_localize(None)
    monday = (local.min() - pd.Timedelta(days=int(local.min().day_of_week))).normalize()
    minute = ((local - monday).dt.total_seconds() / 60).to_numpy()
    cat_index = {c: i for i, c in enumerate(demand.categories)}
    cat = calls["category"].map(cat_index).astype(int).to_numpy()
    rng = np.random.default_rng(0)  # priorities for calls without one: a fixed draw, the trace is fixed too
    pri = calls["priority"].to_numpy(dtype=float, na_value=np.nan)
    missing = np.isnan(pri)
    if missing.any():
        for c, i in cat_index.items():
            sel = missing & (cat == i)
            p = demand.priority_probs[c]
            pri[sel] = rng.choice(list(p), size=int(sel.sum()), p=list(p.values()))
    keep = minute < horizon
    end = float(min(horizon, math.ceil(minute.max() / 60) * 60 + 60))
    trace = sim.TraceArrivals(minute=minute[keep], category=cat[keep],
                              priority=np.clip(pri[keep], 1, 5).astype(np.int64),
                              on_scene_minutes=calls["on_scene_minutes"].to_numpy(dtype=float)[keep],
                              units=calls["units"].clip(1, 4).to_numpy()[keep])
    return trace, end


# ------------------------------------------------------------------------------------------ hours freed
def officer_minutes_per_call(scenario: Scenario, demand: Demand) -> dict[str, float]:
    """Officer busy minutes one call of each category takes (travel + time on scene, times units sent)."""
    r = scenario.responders[FALLBACK_TYPE]
    return {c: float((r.travel_minutes + demand.on_scene_minutes[c]) * demand.mean_units(c)) for c in demand.categories}


def _per_year(horizon_days: float, warmup_days: float) -> float:
    """Annual figures from counts in the statistics window."""
    return WEEKS_PER_YEAR * 7.0 / (horizon_days - warmup_days)


def answered_per_year(run: SimulationRun) -> pd.DataFrame:
    """Calls a year by replication, category and type sent ("none": unanswered), from the per-call records."""
    rec = run.records
    if rec is None or rec.empty:
        return pd.DataFrame(columns=["replication", "category", "type_sent", "calls"])
    g = rec.groupby(["replication", "category", "type_sent"], observed=True).size().rename("calls").reset_index()
    g["calls"] = g["calls"] * _per_year(run.horizon_days, run.warmup_days)
    g["category"] = g["category"].astype(str)
    g["type_sent"] = g["type_sent"].astype(str)
    return g


def officer_hours_freed_rows(run: SimulationRun, scenario: Scenario,
                             minutes_per_call: dict[str, float] | None) -> pd.DataFrame:
    """Officer hours freed a year, replication by replication, and what it is made of (module docstring).

    Columns: officer_hours_carried_by_civilians, officer_hours_saved_by_phone_triage, repeat_calls_avoided,
    officer_hours_saved_by_repeat_calls_avoided, officer_hours_on_backup and officer_hours_freed = carried +
    phone-triage hours + repeat-call hours - backup. Without
    `minutes_per_call` (the calls' demand is not at hand) the hours are NaN: never a guess.
    """
    reps = run.replications
    handled = answered_per_year(run)
    carried = np.zeros(reps)
    by_phone = np.zeros(reps)
    avoided = np.zeros(reps)
    repeat_hours = np.zeros(reps)
    civilians = set(scenario.civilian_types)
    for rep, cat, sent, n in handled[["replication", "category", "type_sent", "calls"]].itertuples(index=False):
        k = int(rep)
        hours = (minutes_per_call or {}).get(cat, 0.0) / 60.0
        if 0 <= k < reps and sent == RESOLVED_BY_PHONE:
            by_phone[k] += n * hours
        if not 0 <= k < reps or sent not in civilians:
            continue
        carried[k] += n * hours
        rate = scenario.policy_for(cat).repeat_call_reduction.get(sent, 0.0)
        avoided[k] += n * rate
        repeat_hours[k] += n * rate * hours
    rows = run.replication_kpis
    backup = np.zeros(reps)
    if "officer_hours_on_backup" in rows:   # runs saved before backups were simulated have none
        known = rows["officer_hours_on_backup"].to_numpy(dtype=float)[:reps]
        backup[:len(known)] = np.nan_to_num(known)
    out = pd.DataFrame({"officer_hours_carried_by_civilians": carried, "officer_hours_saved_by_phone_triage": by_phone,
                        "repeat_calls_avoided": avoided,
                        "officer_hours_saved_by_repeat_calls_avoided": repeat_hours,
                        "officer_hours_on_backup": backup})
    if minutes_per_call is None:
        out[["officer_hours_carried_by_civilians", "officer_hours_saved_by_phone_triage",
             "officer_hours_saved_by_repeat_calls_avoided"]] = np.nan
    out["officer_hours_freed"] = (out["officer_hours_carried_by_civilians"] + out["officer_hours_saved_by_phone_triage"]
                                  + out["officer_hours_saved_by_repeat_calls_avoided"] - out["officer_hours_on_backup"])
    return out


def simulated_hours_freed(run: SimulationRun, scenario: Scenario, demand: Demand) -> dict[str, float]:
    """Officer hours freed a year in a simulation, with its 95% interval over replications (see
    `officer_hours_freed_rows`: the officer time that the calls civilian units answered would have taken, plus
    repeat calls avoided, minus backup; never a drop caused by calls nobody answered)."""
    rows = officer_hours_freed_rows(run, scenario, officer_minutes_per_call(scenario, demand))
    summary = sim.summarise([{"hours": v} for v in rows["officer_hours_freed"]]).loc["hours"]
    return {"mean": float(summary["mean"]), "ci_low": float(summary["ci_low"]), "ci_high": float(summary["ci_high"])}


# ------------------------------------------------------------------------------------------ results
@dataclass
class SimulationRun:
    """A scenario's simulated KPIs (annual, with 95% intervals) and the tables its charts draw."""

    scenario: str
    kpis: pd.DataFrame                    # index: KPI name; mean, ci_low, ci_high, std, n
    replication_kpis: pd.DataFrame        # one row per replication, one column per KPI (for paired deltas)
    utilisation_by_bin: pd.DataFrame      # hour-of-week x responder type: busy / on duty (mean of replications)
    busy_hours_by_bin: pd.DataFrame       # hour-of-week x type: unit-hours on calls in an average week
    on_duty_hours_by_bin: pd.DataFrame
    fallback_by_bin: np.ndarray           # fallback calls per hour-of-week in an average week
    records: pd.DataFrame                 # per-call records of every replication (column `replication`)
    replications: int
    seed: int
    workers: int
    horizon_days: float
    warmup_days: float
    responder_types: tuple[str, ...]
    notes: list[str] = field(default_factory=list)
    # Where every offered call went: one row per replication and category (columns as the engine's
    # ReplicationResult.accounting, plus `replication`); empty for runs saved before it was kept.
    accounting: pd.DataFrame = field(default_factory=pd.DataFrame)
    # Officer erlangs left to officers (after civilian units' expected share) and officer units on duty, per
    # hour of the week (planner.overload); None when not computed.
    officer_load_by_bin: np.ndarray | None = None
    officer_capacity_by_bin: np.ndarray | None = None
    # Why the scenario is overloaded, one line each (planner.overload); empty for a sound scenario.
    warnings: list[str] = field(default_factory=list)

    def kpi(self, name: str) -> float:
        return float(self.kpis.loc[name, "mean"]) if name in self.kpis.index else float("nan")

    @property
    def overloaded(self) -> bool:
        return bool(self.warnings)

    def to_json(self) -> dict[str, Any]:
        """The JSON of `coplan simulate`: every KPI with mean and 95% interval."""

        def entry(name: str) -> dict[str, float | None]:
            row = self.kpis.loc[name]
            return {k: (None if pd.isna(row[k]) else round(float(row[k]), 4)) for k in ("mean", "ci_low", "ci_high")}

        names = list(self.kpis.index)
        groups: dict[str, Any] = {}
        for n in names:
            if "." in n:
                group, key = n.split(".", 1)
                groups.setdefault(group, {})[key] = entry(n)
            else:
                groups[n] = entry(n)
        return {"scenario": self.scenario, "replications": self.replications, "seed": self.seed,
                "workers": self.workers, "horizon_days": self.horizon_days, "warmup_days": self.warmup_days,
                "units": {"hours": "per year", "calls": "per year", "response_minutes": "minutes"},
                "overloaded": self.overloaded, "warnings": list(self.warnings),
                "kpis": groups, "notes": self.notes}


# Engine KPI -> domain KPI. `{t}` is a responder type, `{p}` a priority, `{o}` an outcome.
_KPI_NAMES = [
    ("hours_on_calls_per_year.officer", "officer_hours_on_calls"),
    ("utilisation.officer", "officer_utilisation"),
    ("response_minutes_mean", "response_minutes_mean"),
    ("response_minutes_p50", "response_minutes_p50"),
    ("response_minutes_p90", "response_minutes_p90"),
    ("response_minutes_p50.police_only", "response_minutes_p50_police_only"),
    ("response_minutes_p90.police_only", "response_minutes_p90_police_only"),
    ("response_minutes_p50.diverted", "response_minutes_p50_diverted"),
    ("response_minutes_p90.diverted", "response_minutes_p90_diverted"),
    ("fallback_calls_per_year", "fallback_to_officer"),
    ("fallback_share", "fallback_share"),
    ("calls_civilian_route_per_year", "calls_eligible_for_civilians"),
    ("civilian_off_duty_calls_per_year", "eligible_calls_with_no_civilian_on_duty"),
    ("calls_total_per_year", "calls_total"),
    ("calls_offered_per_year", "calls_offered"),
    ("calls_unanswered_per_year", "calls_unanswered"),
    ("calls_abandoned_per_year", "calls_abandoned"),
    ("calls_resolved_by_phone_per_year", "calls_resolved_by_phone"),
    ("backup_dispatches_per_year", "backup_dispatches"),
    ("backup_hours_per_year", "officer_hours_on_backup"),
    ("calls_waiting_at_horizon", "calls_waiting_at_horizon"),
    ("queue_growth_per_week", "queue_growth_per_week"),
    ("p_wait", "share_of_calls_that_waited"),
    ("unserved_calls", "unserved_calls"),
]
_KPI_GROUPS = [
    ("response_minutes_p50.priority_", "response_minutes_p50_by_priority."),
    ("response_minutes_p90.priority_", "response_minutes_p90_by_priority."),
    ("response_minutes_p50.police_only_priority_", "response_minutes_p50_police_only_by_priority."),
    ("response_minutes_p90.police_only_priority_", "response_minutes_p90_police_only_by_priority."),
    ("calls_per_year.", "calls_by_responder_type."),
    ("hours_on_calls_per_year.", "hours_on_calls."),
    ("utilisation.", "utilisation."),
    ("overtime_hours_per_year.", "overtime_hours."),
    ("outcomes_per_year.", "outcomes."),
]


def domain_rows(replication_kpis: list[dict[str, float]]) -> pd.DataFrame:
    """Each replication's KPIs in the words users read (annual figures): one row per replication."""
    rows = []
    for k in replication_kpis:
        row = {dst: k[src] for src, dst in _KPI_NAMES if src in k}
        for prefix, dst in _KPI_GROUPS:
            row.update({dst + name[len(prefix):]: v for name, v in k.items() if name.startswith(prefix)})
        row["overtime_hours_total"] = sum(v for n, v in k.items() if n.startswith("overtime_hours_per_year."))
        rows.append(row)
    return pd.DataFrame(rows)


def summarise(rows: pd.DataFrame) -> pd.DataFrame:
    """Mean and 95% interval of each column over replications (the engine's Student-t summary)."""
    return sim.summarise(rows.to_dict("records"))


def _window_weeks(horizon: float, warmup: float) -> np.ndarray:
    """How many times each hour-of-week bin occurs in the statistics window [warmup, horizon)."""
    start, end = int(warmup // 60), int(math.ceil(horizon / 60))
    hours = np.arange(start, end) % 168
    return np.bincount(hours, minlength=168).astype(float)


def simulate(scenario: Scenario, demand: Demand | None = None, *, replications: int | None = None,
             seed: int | None = None, workers: int | None = None, scheduler: str | None = None,
             horizon_days: float | None = None) -> Generator[Progress, None, SimulationRun]:
    """Simulate a scenario as a job: yields Progress, returns the SimulationRun."""
    settings = scenario.simulation
    reps = replications or settings.replications
    seed = settings.seed if seed is None else seed
    workers = workers or settings.workers
    if demand is None:
        yield Progress(0, reps, "importing calls")
        demand = build_demand(scenario, load_calls(scenario))
    yield Progress(0, reps, "building the model")
    try:
        config = build_config(scenario, demand, horizon_days=horizon_days)
    except sim.SimulationError as e:
        raise PlannerError(f"{scenario.path or scenario.name}: {e}") from None
    notes = [n for n in (roster_note(staffing_roster(r)) for r in scenario.responders.values()) if n]
    job = sim.run_replications(config, reps, seed, workers=workers, scheduler=scheduler)
    try:
        while True:
            try:
                p = next(job)
            except StopIteration as stop:
                result = stop.value
                break
            yield Progress(p.done, p.total, p.message)
    finally:
        job.close()
    run = _to_run(scenario, config, result, reps, seed, workers, notes)
    return finish_run(run, scenario, demand)


def finish_run(run: SimulationRun, scenario: Scenario, demand: Demand) -> SimulationRun:
    """Add what needs the demand to a run: officer hours freed (with its parts) replication by replication,
    the 911 triage pod's staffing cost and headcount (`triage_staffing_cost`, `triage_headcount`; planner.triage)
    when the scenario has one, and the overload check (planner.overload). Returns the same run."""
    from planner.overload import assess
    from planner.triage import triage_plan

    freed = officer_hours_freed_rows(run, scenario, officer_minutes_per_call(scenario, demand))
    pod = triage_plan(scenario, demand)
    if pod is not None:
        # The 911 triage pod's staffing (Erlang C on the phone load): the same in every replication.
        freed["triage_staffing_cost"] = pod.annual_cost
        freed["triage_headcount"] = pod.headcount
    rows = run.replication_kpis.drop(columns=[c for c in freed.columns if c in run.replication_kpis])
    run.replication_kpis = pd.concat([rows.reset_index(drop=True), freed], axis=1)
    run.kpis = summarise(run.replication_kpis)
    check = assess(scenario, demand, run)
    run.officer_load_by_bin, run.officer_capacity_by_bin = check.load, check.capacity
    run.warnings = list(check.reasons)
    return run


def _to_run(scenario: Scenario, config: sim.SimConfig, result: sim.SimulationResult, reps: int, seed: int,
            workers: int, notes: list[str] | None = None) -> SimulationRun:
    types = tuple(r.name for r in config.responders)
    rows = domain_rows([r.kpis for r in result.replications])
    weeks = _window_weeks(config.horizon_minutes, config.warmup_minutes)
    with np.errstate(divide="ignore", invalid="ignore"):
        per_week = np.where(weeks > 0, 1 / weeks, 0.0)[:, None]
    busy = sum(r.busy_minutes.to_numpy() for r in result.replications) / reps / 60
    duty = sum(r.on_duty_minutes.to_numpy() for r in result.replications) / reps / 60
    with np.errstate(divide="ignore", invalid="ignore"):
        util = np.where(duty > 0, busy / duty, np.nan)
    fb = sum(r.fallback_by_bin.astype(float) for r in result.replications) / reps
    records = []
    for i, r in enumerate(result.replications):
        if r.records is not None:
            records.append(r.records.assign(replication=i))
    rec = pd.concat(records, ignore_index=True) if records else pd.DataFrame()
    accounting = pd.concat([r.accounting.reset_index().assign(replication=i)
                            for i, r in enumerate(result.replications)], ignore_index=True)
    cats = [c.name for c in config.categories]
    if len(rec) and pd.api.types.is_integer_dtype(rec["category"]):
        rec["category"] = pd.Categorical.from_codes(rec["category"], categories=cats)
    idx = pd.RangeIndex(168, name="hour_of_week")
    return SimulationRun(
        scenario=scenario.name, kpis=summarise(rows), replication_kpis=rows,
        utilisation_by_bin=pd.DataFrame(util, columns=types, index=idx),
        busy_hours_by_bin=pd.DataFrame(busy * per_week, columns=types, index=idx),
        on_duty_hours_by_bin=pd.DataFrame(duty * per_week, columns=types, index=idx),
        fallback_by_bin=fb * per_week[:, 0], records=rec, replications=reps, seed=seed, workers=workers,
        horizon_days=config.horizon_minutes / 1440, warmup_days=config.warmup_minutes / 1440,
        responder_types=types, notes=list(notes or []), accounting=accounting)


# ------------------------------------------------------------------------------------------ reading a run
def eligible_off_duty_by_hour(run: SimulationRun) -> pd.DataFrame | None:
    """Simulated eligible calls a week by hour of the week, and those that arrived with no civilian unit on
    duty (columns as planner.demand.eligible_without_civilian); None when the run kept no per-call records."""
    rec = run.records
    if rec is None or rec.empty or "civilian_off_duty" not in rec:
        return None
    hour = (rec["arrival_minute"].to_numpy(dtype=float) // 60).astype(np.int64) % 168
    eligible = rec["civilian_route"].to_numpy(dtype=bool)
    off = rec["civilian_off_duty"].to_numpy(dtype=bool)
    weeks = _window_weeks(run.horizon_days * 1440, run.warmup_days * 1440) * run.replications
    with np.errstate(divide="ignore", invalid="ignore"):
        per = np.where(weeks > 0, 1 / weeks, 0.0)
    return pd.DataFrame({"eligible": np.bincount(hour[eligible], minlength=168) * per,
                         "no_civilian_on_duty": np.bincount(hour[off], minlength=168) * per},
                        index=pd.RangeIndex(168, name="hour_of_week"))


def travel_explanation(run: SimulationRun, scenario: Scenario) -> str | None:
    """One line when civilian-route calls take longer to reach than police-only calls because civilian units
    drive further (their mean travel is longer than officers'); None otherwise."""
    diverted, police = run.kpi("response_minutes_p50_diverted"), run.kpi("response_minutes_p50_police_only")
    rec = run.records
    if not (diverted > police) or rec is None or rec.empty or "travel_minutes" not in rec:
        return None
    sent = rec["type_sent"].astype(str)
    civilian = rec[rec["civilian_route"].to_numpy(dtype=bool) & sent.isin(scenario.civilian_types).to_numpy()]
    officer = rec[~rec["civilian_route"].to_numpy(dtype=bool) & (sent == FALLBACK_TYPE).to_numpy()]
    if civilian.empty or officer.empty:
        return None
    # Mean drives: the figures the Staffing page shows as each type's travel minutes.
    civ_travel = float(civilian["travel_minutes"].mean())
    off_travel = float(officer["travel_minutes"].mean())
    if civ_travel <= off_travel:
        return None
    how = "mainly" if civ_travel - off_travel >= 0.5 * (diverted - police) else "partly"
    rest = "" if how == "mainly" else " The rest is waiting for a free unit."
    return (f"Civilian-route calls take longer to reach (median {diverted:.0f} vs {police:.0f} min) {how} "
            f"because civilian units travel further: an average {civ_travel:.0f}-min drive against "
            f"{off_travel:.0f} min for officers, as fewer units cover the whole city.{rest}")
