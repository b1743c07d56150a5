"""Simulate a scenario: translate it into the SimPy engine's inputs and its results into the users' words.

Hours and counts are annual figures (scaled from the simulated window to a year); response times are
minutes from the call to the unit's arrival (queue wait + travel). Every KPI carries a 95% confidence
interval over the replications.
"""

from __future__ import annotations

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
from planner.scenario import FALLBACK_TYPE, OUTCOMES, Responder, Scenario

WEEK_MINUTES = 7 * 24 * 60


def _unit_shifts(r: Responder, until: float) -> tuple[tuple[float, float], ...]:
    """Shift blocks expanded to one (start, end) per unit per worked day, on the simulation clock."""
    out = []
    weeks = int(math.ceil(until / WEEK_MINUTES)) + 1
    for w in range(-1, weeks):  # week -1: a Sunday-night shift is still on duty on Monday morning
        for b in r.shifts:
            for d, works in enumerate(b.days):
                if not works:
                    continue
                start = w * WEEK_MINUTES + d * 1440 + b.start_minute
                end = start + b.hours * 60
                if end <= 0 or start >= until:
                    continue
                out += [(max(float(start), 0.0), float(end))] * b.units
    return tuple(out)


def responder_specs(scenario: Scenario, until: float) -> tuple[sim.ResponderSpec, ...]:
    specs = []
    for name, r in scenario.responders.items():
        common = {"travel_mean_minutes": r.travel_minutes, "travel_cv": r.travel_cv}
        if r.shifts:
            specs.append(sim.ResponderSpec(name, shifts=_unit_shifts(r, until), **common))
        else:
            on_duty = np.rint(r.on_duty(60)).astype(np.int64)
            specs.append(sim.ResponderSpec(name, on_duty=on_duty, bin_minutes=60, **common))
    return tuple(specs)


def category_specs(scenario: Scenario, demand: Demand) -> tuple[sim.CategorySpec, ...]:
    specs = []
    for c in demand.categories:
        pol = scenario.policy_for(c)
        outcomes = {t: {o: float(pol.outcomes.get(t, {}).get(o, 0.0)) for o in OUTCOMES}
                    for t in scenario.responders}
        specs.append(sim.CategorySpec(
            name=c, routes=tuple(pol.routes()), fallback_wait_minutes=pol.fallback_wait_minutes,
            on_scene_mean_minutes=demand.on_scene_minutes[c], on_scene_cv=pol.on_scene_cv,
            on_scene_multiplier=dict(pol.on_scene_multiplier), outcome_rates=outcomes))
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

    def kpi(self, name: str) -> float:
        return float(self.kpis.loc[name, "mean"]) if name in self.kpis.index else float("nan")

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
                "kpis": groups, "notes": self.notes}


# Engine KPI -> domain KPI. `{t}` is a responder type, `{p}` a priority, `{o}` an outcome.
_KPI_NAMES = [
    ("hours_on_calls_per_year.officer", "officer_hours_on_calls"),
    ("utilisation.officer", "officer_utilisation"),
    ("response_minutes_mean", "response_minutes_mean"),
    ("response_minutes_p50", "response_minutes_p50"),
    ("response_minutes_p90", "response_minutes_p90"),
    ("fallback_calls_per_year", "fallback_to_officer"),
    ("fallback_share", "fallback_share"),
    ("calls_civilian_route_per_year", "calls_eligible_for_civilians"),
    ("civilian_off_duty_calls_per_year", "eligible_calls_with_no_civilian_on_duty"),
    ("calls_total_per_year", "calls_total"),
    ("p_wait", "share_of_calls_that_waited"),
    ("unserved_calls", "unserved_calls"),
]
_KPI_GROUPS = [
    ("response_minutes_p50.priority_", "response_minutes_p50_by_priority."),
    ("response_minutes_p90.priority_", "response_minutes_p90_by_priority."),
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
    return _to_run(scenario, config, result, reps, seed, workers)


def _to_run(scenario: Scenario, config: sim.SimConfig, result: sim.SimulationResult, reps: int, seed: int,
            workers: int) -> SimulationRun:
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
        responder_types=types)
