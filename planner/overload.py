"""Overload is an alarm, not a result (DESIGN: "Every call is accounted for").

A scenario is overloaded when its officers cannot keep up. Any one of these makes it so:

- load: in some hour of the week, the load left to officers reaches the officers on duty. The load left to
  officers is the calls no civilian unit is expected to take, times an officer's busy time per call (travel
  plus time on scene, times units sent), in erlangs (units busy at once); civilian units' expected share comes
  from the queueing model the optimiser uses (optimize.predict: each team as an overflow system with its
  fallback wait). The officers on duty are those of the roster that is simulated
  (planner.simulate.staffing_roster). This needs no simulation, so `coplan validate` checks it too.
- unanswered: more than UNANSWERED_TOLERANCE of the calls offered were still waiting when the simulation
  ended (the horizon, plus a week in which units keep working and no new call arrives);
- growth: the queue of waiting calls, counted at the same minute of each simulated week, grows by more than
  QUEUE_GROWTH_CALLS calls or QUEUE_GROWTH_SHARE of a week's calls from one week to the next.

An overloaded scenario's figures are not a result: the comparison claims no hours freed and no savings for
it, and every summary says so first, naming the hours of the week over capacity.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from planner.scenario import DAYS, FALLBACK_TYPE, Scenario

if TYPE_CHECKING:
    from planner.demand import Demand
    from planner.simulate import SimulationRun

HOURS_PER_WEEK = 168
UNANSWERED_TOLERANCE = 0.001     # share of calls offered that may be left unanswered (round-off of the run's end)
QUEUE_GROWTH_CALLS = 5.0         # calls a week the queue may grow by as noise ...
QUEUE_GROWTH_SHARE = 0.005       # ... or this share of a week's calls, whichever is more


@dataclass(frozen=True)
class OverloadCheck:
    """The load left to officers and their capacity by hour of the week, and the reasons a scenario is overloaded
    (none: it is sound)."""

    load: np.ndarray        # erlangs left to officers, per hour of the week (Monday 00:00 first)
    capacity: np.ndarray    # officer units on duty, per hour of the week
    reasons: tuple[str, ...]

    @property
    def overloaded(self) -> bool:
        return bool(self.reasons)

    @property
    def hours_over(self) -> np.ndarray:
        """Hours of the week whose load reaches the officers on duty."""
        return hours_over_capacity(self.load, self.capacity)


def hours_over_capacity(load: np.ndarray | None, capacity: np.ndarray | None) -> np.ndarray:
    """Hours of the week (0 = Monday 00:00) whose officer load reaches the officers on duty."""
    if load is None or capacity is None:
        return np.zeros(0, dtype=np.int64)
    load, capacity = np.asarray(load, dtype=float), np.asarray(capacity, dtype=float)
    return np.flatnonzero((load > 0) & (load >= capacity - 1e-9))


def hours_words(hours: np.ndarray | list[int], limit: int = 6) -> str:
    """Hours of the week in words: 'daily 01:00-06:00', or 'Mon 01:00-06:00, Sat 22:00-Sun 03:00 and 2 more'."""
    import optimize as opt

    hours = sorted({int(h) % HOURS_PER_WEEK for h in hours})
    if not hours:
        return "no hour"
    if len(hours) == HOURS_PER_WEEK:
        return "every hour of the week"
    by_day = [{h % 24 for h in hours if h // 24 == d} for d in range(7)]
    if all(day == by_day[0] for day in by_day):
        runs = opt.describe_bins(sorted(by_day[0]), 168, limit=limit)   # Monday's hours stand for every day
        return "daily " + runs.replace("Mon ", "").replace("Tue ", "")
    return opt.describe_bins(hours, HOURS_PER_WEEK, limit=limit)


def officer_load(scenario: Scenario, demand: Demand) -> tuple[np.ndarray, np.ndarray]:
    """(load left to officers in erlangs, officer units on duty), per hour of the week (module docstring)."""
    import optimize as opt
    from planner.demand import build_demand
    from planner.errors import PlannerError
    from planner.plan import mix_input
    from planner.simulate import officer_minutes_per_call, staffing_roster

    if demand.profile.bin_minutes != 60:
        demand = build_demand(scenario, demand.result)
    on_duty = {t: staffing_roster(r).on_duty(60) for t, r in scenario.responders.items()}
    capacity = np.asarray(on_duty[FALLBACK_TYPE], dtype=float)
    minutes = officer_minutes_per_call(scenario, demand)
    from planner.triage import after_triage

    # Calls a 911 triage pod resolves by phone never reach an officer.
    rates = after_triage(scenario, demand.rates_per_hour())
    officers_only = rates.to_numpy() @ np.array([minutes[c] for c in rates.columns]) / 60.0
    if not any(on_duty[t].any() for t in scenario.civilian_types):
        return officers_only, capacity
    try:
        load = opt.predict(mix_input(scenario, demand, 60, hold_patrol=False), on_duty).officer_load
    except (opt.OptimizeError, PlannerError):
        load = officers_only   # no civilian share at all: the most the officers could face
    return np.asarray(load, dtype=float), capacity


def load_reasons(load: np.ndarray, capacity: np.ndarray) -> list[str]:
    """The load reason in one line, or nothing when officers have room in every hour."""
    over = hours_over_capacity(load, capacity)
    if not len(over):
        return []
    worst = int(over[np.argmax(load[over] - capacity[over])])
    day, hour = divmod(worst, 24)
    return [f"the load left to officers reaches the officers on duty in {len(over)} hour"
            f"{'s' if len(over) != 1 else ''} of the week ({hours_words(over)}); at worst {DAYS[day]} "
            f"{hour:02d}:00, {load[worst]:.1f} officers' worth of calls for {capacity[worst]:.0f} on duty"]


def run_reasons(run: SimulationRun) -> list[str]:
    """The simulated reasons: calls left unanswered, a queue that grows week on week."""
    out = []
    offered = run.kpi("calls_offered")
    if not np.isfinite(offered):
        offered = run.kpi("calls_total")
    unanswered = run.kpi("calls_unanswered")
    if np.isfinite(unanswered) and np.isfinite(offered) and offered > 0 \
            and unanswered > UNANSWERED_TOLERANCE * offered:
        out.append(f"{unanswered:,.0f} calls a year ({unanswered / offered:.1%} of those offered) were still "
                   f"unanswered when the simulation ended")
    growth = run.kpi("queue_growth_per_week")
    weekly = offered / 52.18 if np.isfinite(offered) else 0.0
    if np.isfinite(growth) and growth > max(QUEUE_GROWTH_CALLS, QUEUE_GROWTH_SHARE * weekly):
        out.append(f"the queue of waiting calls grows by {growth:,.0f} calls a week")
    return out


def check_load(scenario: Scenario, demand: Demand) -> OverloadCheck:
    """The check that needs no simulation: the load left to officers against their roster, hour by hour."""
    load, capacity = officer_load(scenario, demand)
    return OverloadCheck(load, capacity, tuple(load_reasons(load, capacity)))


def assess(scenario: Scenario, demand: Demand, run: SimulationRun) -> OverloadCheck:
    """Every reason a simulated scenario is overloaded (the load first, then what the run showed)."""
    check = check_load(scenario, demand)
    return OverloadCheck(check.load, check.capacity, check.reasons + tuple(run_reasons(run)))


def below_minimum(scenario: Scenario) -> list[str]:
    """One line per responder type whose roster, as the scenario states it (an hourly list or shift blocks), has
    fewer units on duty than its min_on_duty in some hour."""
    out = []
    for name, r in scenario.responders.items():
        floor = np.asarray(r.min_on_duty_by_hour, dtype=float)
        if not floor.any():
            continue
        on = r.on_duty(60)
        short = np.flatnonzero(on < floor - 1e-9)
        if len(short):
            worst = int(short[np.argmin(on[short] - floor[short])])
            out.append(f"responders.{name}: {on[worst]:.0f} unit(s) on duty at {DAYS[worst // 24]} "
                       f"{worst % 24:02d}:00, below min_on_duty = {floor[worst]:g}, in {len(short)} hour"
                       f"{'s' if len(short) != 1 else ''} of the week ({hours_words(short)})")
    return out
