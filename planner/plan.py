"""Optimise a scenario's staffing: how many units of each type, on which shifts, take which calls.

The planner turns a scenario and its demand into the optimisation engine's inputs (calls per hour per
category and bin, busy minutes per call for each type that may take it, eligible shares, expected
downstream cost per call, shift patterns, costs and service targets), solves in a child process the
caller can cancel, and can write the plan back as a scenario (shift blocks and routed shares) so
`coplan simulate` runs it.

Costs agree with planner.costs: a shift pattern's unit costs people x relief factor x loaded cost per
8-hour post of the week it covers (weekly hours / 56), and each vehicle on the street at the type's busiest
hour its overhead, so an optimised plan and its simulation are priced the same way.

Simulation-corrected plans follow Feldman, Mandelbaum, Massey & Whitt (2008), "Staffing of
time-varying queues to achieve time-stable performance": simulate the plan, raise the requirement by a
unit in every bin whose target the simulation misses, re-solve, and repeat until the plan holds or the
iteration cap is reached.
"""

from __future__ import annotations

from collections.abc import Generator
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

import optimize as opt
from planner.costs import POST_HOURS_PER_WEEK, staffing_table
from planner.demand import Demand, build_demand, load_calls
from planner.errors import PlannerError
from planner.jobs import Progress
from planner.scenario import (
    FALLBACK_TYPE,
    OUTCOMES,
    Scenario,
    ShiftBlock,
    days_label,
    scenario_from_dict,
    scenario_to_dict,
)

# Officer hours freed has one definition, planner.simulate's (the officer time the calls civilian units answered
# would have taken, plus repeat calls avoided, minus backup; never calls nobody answered): the simulation check,
# the comparison and the reports all use it. Imported here for the optimiser's callers.
from planner.simulate import officer_minutes_per_call, simulated_hours_freed  # noqa: F401


@dataclass
class PlanResult:
    """An optimisation of one scenario: the engine's result in the users' words, and what came before it."""

    scenario: Scenario
    objective: str
    budget: float | None
    bin_minutes: int
    result: opt.MixResult
    pareto: list[opt.ParetoPoint] = field(default_factory=list)
    iterations: list[dict[str, Any]] = field(default_factory=list)   # simulation-corrected plan, per iteration
    # Frontier points simulated (with the simulation check): budget -> officer hours freed mean/ci_low/ci_high.
    pareto_simulated: dict[float, dict[str, float]] = field(default_factory=dict)
    plan: Scenario | None = None                                     # the plan as a scenario (when there is one)
    patterns: dict[str, opt.ShiftPattern] = field(default_factory=dict, repr=False)

    def scenario_for_point(self, point: opt.ParetoPoint, name: str | None = None) -> Scenario:
        """A Pareto point's mix as a scenario (to simulate, compare or save)."""
        if point.mix is None or point.mix.units_by_pattern is None:
            raise PlannerError(f"the point at budget ${point.budget:,.0f} has no plan ({point.explanation})")
        label = name or f"{self.scenario.name}: civilian budget ${point.budget:,.0f}"
        return plan_as_scenario(self.scenario, point.mix, self.patterns, label)

    @property
    def status(self) -> str:
        return str(self.result.status.value if hasattr(self.result.status, "value") else self.result.status)

    def to_json(self) -> dict[str, Any]:
        r = self.result
        units = None if r.units_by_pattern is None else {
            t: {p: int(n) for p, n in pats.items() if n} for t, pats in r.units_by_pattern.items()}
        return {
            "scenario": self.scenario.name, "objective": self.objective, "budget": self.budget,
            "status": self.status, "objective_value": r.objective, "gap": r.gap,
            "solve_seconds": round(r.solve_seconds, 3), "solver": r.solver, "explanation": r.explanation,
            "bin_minutes": self.bin_minutes,
            "units_by_type": units,
            # Headcount as the cost model counts it (relief per 8-hour post), so every figure agrees.
            "headcount_by_type": None if self.plan is None else {
                t: round(float(v), 2) for t, v in staffing_table(self.plan)["headcount"].items()},
            "annual_cost_by_type": _round_dict(r.annual_cost_by_type, 0),
            "downstream_cost": None if r.downstream_cost is None else round(r.downstream_cost, 0),
            "officer_hours_freed": None if r.officer_hours_freed is None else round(r.officer_hours_freed, 1),
            "share": None if r.share is None else {f"{c}.{t}": round(v, 4) for (c, t), v in r.share.items() if v},
            "requirements": None if r.requirements is None else {t: [int(x) for x in v]
                                                                  for t, v in r.requirements.items()},
            "gap_hours": None if r.gap_hours is None else round(r.gap_hours, 1),
            "why_none": r.why_none,
            "calls_offered_to": _round_dict(r.offered_calls, 0),
            "calls_falling_back_from": _round_dict(r.fallback_calls, 0),
            "pareto": [{"budget": p.budget, "status": str(p.status.value if hasattr(p.status, "value") else p.status),
                        "annual_cost": p.annual_cost, "officer_hours_freed": p.officer_hours_freed,
                        "officer_hours_freed_simulated": self.pareto_simulated.get(p.budget),
                        "gap": None if p.mix is None else p.mix.gap,
                        "gap_hours": None if p.mix is None else p.mix.gap_hours,
                        "civilian_cost": p.civilian_cost} for p in self.pareto],
            "simulation_check": self.iterations,
        }


def _round_dict(d: dict | None, digits: int) -> dict | None:
    return None if d is None else {k: round(float(v), digits) for k, v in d.items()}


def shift_patterns(hours: tuple[float, ...], bin_minutes: int, start_every_minutes: int = 60) -> tuple[opt.ShiftPattern, ...]:
    """Shift patterns for the lengths a responder type allows: its standard rotations (5x8 h, 4x10 h, 3x12 h
    and Pitman 2-2-3 for 12 h), and a post kept every day (a unit on duty daily, staffed by the relief factor's
    people), which is how a consultant draws a civilian team: "two units 08:00-18:00, daily"."""
    lengths = tuple(float(h) for h in hours)
    days = {h: tuple(opt.STANDARD_DAY_PATTERNS.get(h, ("5on2off",)))
            + (() if "pitman" in opt.STANDARD_DAY_PATTERNS.get(h, ()) else ("everyday",)) for h in lengths}
    out = opt.generate_patterns(lengths, start_every_minutes, days, bin_minutes)
    seen, unique = set(), []
    for p in out:
        if p.name not in seen:
            seen.add(p.name)
            unique.append(p)
    return tuple(unique)


def max_start_times(scenario: Scenario, name: str) -> int:
    """At most this many distinct shift start times for a type: the scenario's, else 3 watches for patrol and
    2 for a civilian team."""
    value = getattr(scenario.responders[name], "max_start_times", None)
    if value is not None:
        return int(value)
    return 3 if name == FALLBACK_TYPE else 2   # the scenario loader's defaults


def held_roster(scenario: Scenario, name: str, bin_minutes: int = 60) -> list[tuple[opt.ShiftPattern, int]]:
    """The roster a type works today, as shift patterns and units: its shift blocks as written, or its hourly
    `on_duty` turned into the runnable roster the simulator runs and the cost model prices."""
    from planner.simulate import staffing_roster

    roster = staffing_roster(scenario.responders[name])
    if roster.blocks is None:
        raise PlannerError(f"{scenario.path or scenario.name}: {name}: no runnable roster covers the hourly "
                           f"on_duty list ({roster.explanation}); give the roster as shift blocks")
    blocks = roster.blocks
    out = []
    for b in blocks:
        if not b.units:
            continue
        minutes = int(round(b.hours * 60))
        pattern = opt.ShiftPattern(name=f"{b.hours:g}h {b.start_minute // 60:02d}:{b.start_minute % 60:02d} "
                                        f"{days_label(b.days)} (today)",
                                   start_minute=int(b.start_minute), length_minutes=minutes, days=tuple(b.days))
        out.append((pattern, int(b.units)))
    return out


def mix_input(scenario: Scenario, demand: Demand, bin_minutes: int = 60,
              start_every_minutes: int = 60, hold_patrol: bool = True) -> opt.MixInput:
    """The engine's inputs for a scenario and its demand; with `hold_patrol`, officers at today's roster.
    Arrival rates are those left after call-taking triage (planner.triage.after_triage)."""
    cats = list(demand.categories)
    types = list(scenario.responders)
    if demand.profile.bin_minutes != bin_minutes:
        raise PlannerError(f"the demand was profiled at {demand.profile.bin_minutes}-minute bins, "
                           f"not {bin_minutes}")
    # Calls resolved by phone at call-taking triage ([triage]) need no unit: plan for the rest only. The
    # pod's own staffing and cost are planner.triage.triage_plan's, not the optimiser's decision.
    from planner.triage import after_triage

    rates = after_triage(scenario, demand.rates_per_hour()[cats]).to_numpy().T
    busy = np.full((len(cats), len(types)), np.nan)
    share = np.zeros((len(cats), len(types)))
    down = np.zeros((len(cats), len(types)))
    waits = np.zeros(len(cats))
    unit_costs = {k: v.cost for k, v in scenario.downstream.items()}
    officer_minutes = officer_minutes_per_call(scenario, demand)
    for i, c in enumerate(cats):
        pol = scenario.policy_for(c)
        waits[i] = pol.fallback_wait_minutes
        for j, t in enumerate(types):
            r = scenario.responders[t]
            mult = pol.on_scene_multiplier.get(t, 1.0)
            if t == FALLBACK_TYPE:
                busy[i, j] = officer_minutes[c]
            elif pol.eligible.get(t, 0.0) > 0:
                busy[i, j] = r.travel_minutes + demand.on_scene_minutes[c] * mult
                share[i, j] = pol.eligible[t]
            rates_t = pol.outcomes.get(t, {})
            down[i, j] = sum(rates_t.get(o, 0.0) * unit_costs.get(o, 0.0) for o in OUTCOMES)
    kinds = []
    fixed = None
    for t in types:
        r = scenario.responders[t]
        min_on = r.min_on_duty_by_hour
        if bin_minutes != 60:
            min_on = np.repeat(min_on, 60 // bin_minutes)
        patterns = shift_patterns(r.shift_hours, bin_minutes, start_every_minutes)
        if t == FALLBACK_TYPE and hold_patrol:
            today = held_roster(scenario, t, bin_minutes)
            patterns = tuple(p for p, _ in today) + patterns
            fixed = {p.name: n for p, n in today}
        kinds.append(opt.ResponderType(
            name=t, patterns=patterns,
            people_per_unit=r.people_per_unit, relief_factor=r.relief_factor, cost_per_person=r.cost_per_person,
            # Overhead is per vehicle at the busiest hour, as the cost model counts it (planner.costs).
            overhead_per_unit=0.0, overhead_per_vehicle=r.overhead_per_unit,
            min_on_duty=np.ceil(min_on).astype(int) if min_on.any() else None,
            max_headcount=r.max_headcount, paid_hours_per_week=POST_HOURS_PER_WEEK,
            max_start_times=max_start_times(scenario, t),
            target=opt.ServiceTarget(answer_minutes=scenario.targets.answer_minutes[t],
                                     share_within=scenario.targets.share_within[t],
                                     max_occupancy=scenario.targets.max_occupancy[t])))
    # Civilian types in the policy's order of preference (the simulator's routes), officers first.
    order = [FALLBACK_TYPE] + [t for t in types if t != FALLBACK_TYPE]
    index = [types.index(t) for t in order]
    return opt.MixInput(categories=tuple(cats), types=tuple(kinds[k] for k in index), arrival_rate=rates,
                        busy_minutes=busy[:, index], eligible_share=share[:, index], downstream_cost=down[:, index],
                        officer=FALLBACK_TYPE, officer_units_fixed=fixed, fallback_wait_minutes=waits)


def plan_as_scenario(scenario: Scenario, result: opt.MixResult, patterns: dict[str, opt.ShiftPattern],
                     name: str | None = None) -> Scenario:
    """The optimised plan written back as a scenario: shift blocks per type. The policy stays as it is: every
    eligible call goes to a civilian unit when one is free, and falls back to an officer after its wait."""
    if result.units_by_pattern is None:
        raise PlannerError(f"the optimisation of {scenario.name!r} has no plan ({result.explanation})")
    d = scenario_to_dict(scenario, base=scenario.path.parent if scenario.path else None)
    for t, pats in result.units_by_pattern.items():
        if t == FALLBACK_TYPE and all(pname.endswith("(today)") for pname in pats):
            continue   # patrol held as it is: keep today's staffing exactly as the user wrote it
        blocks = []
        for pname, n in pats.items():
            if not n:
                continue
            p = patterns[pname]
            blocks.append(ShiftBlock(p.start_minute, p.length_minutes / 60, p.days, int(n)))
        resp = d["responders"][t]
        resp.pop("on_duty", None)
        resp.pop("shifts", None)
        if blocks:
            resp["shifts"] = [{"start": f"{b.start_minute // 60:02d}:{b.start_minute % 60:02d}", "hours": b.hours,
                               "days": days_label(b.days), "units": b.units} for b in blocks]
        else:
            resp["on_duty"] = 0
    d["name"] = name or f"{scenario.name} (optimised)"
    d["description"] = (f"Staffing from coplan optimize ({result.objective_name}"
                        + (f", civilian budget ${result.budget:,.0f}" if result.budget is not None else "") + ").")
    return scenario_from_dict(d, scenario.path)


def optimise(scenario: Scenario, demand: Demand | None = None, *, objective: str = "min-cost",
             budget: float | None = None, pareto_points: int = 0, bin_minutes: int = 60,
             time_limit: float = 30.0, simulate_check: bool = False, check_iterations: int = 4,
             check_replications: int = 4, check_horizon_days: float | None = None,
             in_child: bool = True, patrol: str = "hold") -> Generator[Progress, None, PlanResult]:
    """Optimise a scenario (a job: yields Progress, returns the PlanResult).

    max-hours-freed holds patrol at the scenario's roster by default (`patrol="re-roster"` sizes it again for
    the load civilian units leave it); min-cost always sizes patrol."""
    if objective not in opt.OBJECTIVES:
        raise PlannerError(f"objective {objective!r}: expected one of {list(opt.OBJECTIVES)}")
    if patrol not in opt.PATROL:
        raise PlannerError(f"patrol {patrol!r}: expected one of {list(opt.PATROL)}")
    hold = objective == "max-hours-freed" and patrol == "hold"
    budget = budget if budget is not None else scenario.targets.budget
    if objective == "max-hours-freed" and budget is None:
        raise PlannerError(f"{scenario.path or scenario.name}: max-hours-freed needs a civilian budget: "
                           f"give --budget USD or [targets] budget in the scenario")
    if demand is None or demand.profile.bin_minutes != bin_minutes:
        yield Progress(0, 0, "importing calls")
        result = demand.result if demand is not None else load_calls(scenario)
        demand = build_demand(scenario, result, bin_minutes=bin_minutes)
    data = mix_input(scenario, demand, bin_minutes, hold_patrol=hold)
    patterns = {p.name: p for k in data.types for p in k.patterns}
    solve = (lambda *a, **k: opt.solve_cancellable(*a, expected_seconds=time_limit, **k)) if in_child else None

    def run_solve(extra: dict[str, np.ndarray] | None, label: str) -> Generator[Progress, None, opt.MixResult]:
        kwargs = {"objective": objective, "budget": budget, "time_limit": time_limit, "extra_units": extra,
                  "patrol": "hold" if hold else "re-roster"}
        if solve is None:
            yield Progress(0, 0, label)
            return opt.solve_mix(data, **kwargs)
        job = solve(opt.solve_mix, data, **kwargs)
        try:
            while True:
                try:
                    p = next(job)
                except StopIteration as stop:
                    return stop.value
                yield Progress(p.done, p.total, f"{label}: {p.message}")
        finally:
            job.close()

    mix = yield from run_solve(None, "solving the staffing plan")
    out = PlanResult(scenario=scenario, objective=objective, budget=budget, bin_minutes=bin_minutes, result=mix,
                     patterns=patterns)
    if mix.units_by_pattern is not None:
        out.plan = plan_as_scenario(scenario, mix, patterns)
    if pareto_points:
        top = budget if budget else 2 * max(mix.annual_cost_by_type.get(t, 0.0) for t in scenario.civilian_types) \
            if mix.annual_cost_by_type else 0.0
        if not top:
            top = 2 * max(scenario.responders[t].annual_cost_per_post * 3 for t in scenario.civilian_types)
        budgets = [float(x) for x in np.linspace(0.0, top, pareto_points)]
        kwargs = {"time_limit_per_point": max(2.0, time_limit / 3), "patrol": "hold" if hold else "re-roster"}
        job = opt.solve_cancellable(opt.pareto_sweep, data, budgets, **kwargs) if in_child else \
            opt.pareto_sweep(data, budgets, **kwargs)
        try:
            while True:
                try:
                    p = next(job)
                except StopIteration as stop:
                    out.pareto = stop.value
                    break
                yield Progress(p.done, p.total, f"Pareto sweep: {p.message}")
        finally:
            job.close()
        out.pareto = _with_plan_carried(out.pareto, mix, scenario)
        if objective == "min-cost":
            _cheapest_point_as_plan(out, scenario, patterns)
        if simulate_check:
            yield from _simulate_frontier(out, demand, check_replications, check_horizon_days)
    if simulate_check and out.plan is not None:
        yield from _simulation_corrected(out, data, demand, patterns, run_solve, check_iterations,
                                         check_replications, check_horizon_days)
    return out


def _cheapest_point_as_plan(out: PlanResult, scenario: Scenario, patterns: dict[str, opt.ShiftPattern]) -> None:
    """Lowest cost: a frontier point is a plan with patrol sized to its target too; one cheaper than the plan the
    solve found in its time is the better answer, and becomes the plan."""
    found = [p for p in out.pareto if p.mix is not None and p.mix.units_by_pattern is not None
             and p.annual_cost is not None and (scenario.targets.budget is None
                                                or (p.civilian_cost or 0.0) <= scenario.targets.budget + 1e-6)]
    current = out.result.total_cost
    if not found:
        return
    best = min(found, key=lambda p: p.annual_cost)
    if current is not None and best.annual_cost >= current - 1e-6:
        return
    out.result = replace(best.mix, objective_name="min-cost", budget=out.budget, objective=best.annual_cost,
                         explanation=f"{best.mix.explanation}; the trade-off point at a civilian budget of "
                                     f"${best.budget:,.0f} costs less in all than the plan found alone, so it is "
                                     f"the plan")
    out.plan = plan_as_scenario(scenario, out.result, patterns)


def _with_plan_carried(points: list[opt.ParetoPoint], plan: opt.MixResult, scenario: Scenario) -> list[opt.ParetoPoint]:
    """A sweep point whose budget covers the main plan's civilian cost, but that frees fewer hours than the
    plan does (a search cut short by its time limit), gets the plan: it is feasible there and frees more."""
    if plan.units_by_pattern is None or plan.officer_hours_freed is None:
        return points
    civilian = sum(v for t, v in (plan.annual_cost_by_type or {}).items() if t in scenario.civilian_types)
    out = []
    for p in points:
        if p.budget >= civilian - 1e-6 and (p.officer_hours_freed or 0.0) < plan.officer_hours_freed:
            p = replace(p, status=opt.Status.FEASIBLE, annual_cost=plan.total_cost,
                        officer_hours_freed=plan.officer_hours_freed, civilian_cost=civilian,
                        staff_cost=plan.staff_cost, downstream_cost=plan.downstream_cost, mix=plan,
                        explanation=f"feasible: the {plan.objective_name} plan (civilian staff {civilian:,.0f}) "
                                    f"fits this budget and frees more hours than the sweep found in its time")
        out.append(p)
    return out


RESPONSE_SPLIT = (
    ("police-only calls, priority 1, P90", "response_minutes_p90_police_only_by_priority.1"),
    ("police-only calls, P90", "response_minutes_p90_police_only"),
    ("diverted calls (civilian route), P90", "response_minutes_p90_diverted"),
)


def _response_split(run) -> dict[str, float]:
    """Response-time figures of a run for police-only and diverted calls (those the run has)."""
    return {label: round(run.kpi(name), 2) for label, name in RESPONSE_SPLIT
            if name in run.kpis.index and not np.isnan(run.kpi(name))}


def _simulate_frontier(out: PlanResult, demand: Demand, replications: int, horizon_days: float | None):
    """Every frontier point's plan simulated (one seed for all): hours freed beside the prediction."""
    from planner.simulate import simulate

    sim_demand = demand if demand.profile.bin_minutes == 60 else build_demand(out.scenario, demand.result)
    points = [p for p in out.pareto if p.mix is not None and p.mix.units_by_pattern is not None]
    for k, point in enumerate(points):
        yield Progress(k, len(points), f"simulating the frontier: budget {point.budget:,.0f}")
        plan = out.scenario_for_point(point)
        run = yield from simulate(plan, sim_demand, replications=replications, horizon_days=horizon_days)
        out.pareto_simulated[point.budget] = {k2: round(v, 1)
                                              for k2, v in simulated_hours_freed(run, plan, sim_demand).items()}
        out.pareto_simulated[point.budget]["response_minutes"] = _response_split(run)


def missed_bins(run, scenario: Scenario, bin_minutes: int, min_calls: int = 5) -> dict[str, np.ndarray]:
    """Officer bins whose simulated service misses the target: fewer than `share_within` of officer calls
    found a unit within `answer_minutes`, or utilisation above the occupancy ceiling. Civilian units are
    overflow capacity with no target of their own, so they are never raised here."""
    rec = run.records
    n_bins = 10080 // bin_minutes
    out = {}
    for t in scenario.responders:
        miss = np.zeros(n_bins, dtype=bool)
        if t != FALLBACK_TYPE:
            out[t] = miss
            continue
        sent = rec[rec["type_sent"].astype(str) == t]
        if len(sent):
            b = ((sent["arrival_minute"].to_numpy() % 10080) // bin_minutes).astype(int)
            ok = (sent["wait_minutes"].to_numpy() <= scenario.targets.answer_minutes[t])
            calls = np.bincount(b, minlength=n_bins)
            within = np.bincount(b, weights=ok.astype(float), minlength=n_bins)
            with np.errstate(divide="ignore", invalid="ignore"):
                share = np.where(calls > 0, within / calls, 1.0)
            miss |= (calls >= min_calls) & (share < scenario.targets.share_within[t])
        util = run.utilisation_by_bin[t].to_numpy() if t in run.utilisation_by_bin else None
        if util is not None:
            hourly = np.nan_to_num(util, nan=0.0) > scenario.targets.max_occupancy[t] + 0.05
            miss |= np.repeat(hourly, 60 // bin_minutes) if bin_minutes < 60 else hourly
        out[t] = miss
    return out


def _simulation_corrected(out: PlanResult, data: opt.MixInput, demand: Demand, patterns, run_solve,
                          iterations: int, replications: int, horizon_days: float | None):
    """Simulate the plan beside its prediction; where patrol is sized and misses its target, raise the
    requirement there and re-solve, until the plan holds (Feldman et al. 2008)."""
    from planner.simulate import simulate

    extra = {k.name: np.zeros(data.n_bins, dtype=int) for k in data.types}
    sim_demand = demand if demand.profile.bin_minutes == 60 else build_demand(out.scenario, demand.result)
    held = data.officer_units_fixed is not None and out.objective == "max-hours-freed"
    # One simulation more than re-solves: the plan shown at the end is always one that was simulated.
    for it in range(1, iterations + 2):
        yield Progress(it - 1, iterations + 1, f"simulation check {it}: simulating the plan")
        run = yield from simulate(out.plan, sim_demand, replications=replications, horizon_days=horizon_days)
        missed = missed_bins(run, out.plan, out.bin_minutes)
        if held:
            missed = {t: np.zeros_like(m) for t, m in missed.items()}
        n_missed = {t: int(m.sum()) for t, m in missed.items()}
        freed = simulated_hours_freed(run, out.plan, sim_demand)
        out.iterations.append({"iteration": it, "bins_missed": n_missed,
                               "officer_hours_freed_predicted": round(float(out.result.officer_hours_freed or 0), 1),
                               "officer_hours_freed_simulated": {k: round(v, 1) for k, v in freed.items()},
                               "officer_utilisation": round(run.kpi("officer_utilisation"), 4),
                               "response_minutes_p90": round(run.kpi("response_minutes_p90"), 2),
                               # Police-only calls (priority 1 first) apart from diverted ones: civilian travel
                               # being longer must not read as police responding slower.
                               "response_minutes": _response_split(run),
                               "extra_units": {t: int(v.sum()) for t, v in extra.items()}})
        if not any(n_missed.values()):
            out.iterations[-1]["holds"] = True
            return
        if it > iterations:
            break          # out of re-solves: this plan, simulated above, still misses in places
        for t, m in missed.items():
            extra[t] = extra[t] + m.astype(int)
        mix = yield from run_solve(extra, f"simulation check {it}: re-solving with raised requirements")
        if mix.units_by_pattern is None:
            out.iterations[-1]["holds"] = False
            out.iterations[-1]["explanation"] = mix.explanation
            return
        out.result = mix
        out.plan = plan_as_scenario(out.scenario, mix, patterns)
    out.iterations[-1]["holds"] = False
