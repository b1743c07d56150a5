"""Benchmark of the optimisation engine; prints figures, with references measured in the same run.

1. Weekly roster: 3 responder types, 30-minute bins, hourly starts, 8/10/12 h shifts on weekly day patterns
   (672 candidate patterns per type): status, gap and solve time (target: within 1% in under 30 s); the greedy
   cover is the reference.
2. The same daily covering problems solved by coplan and by pyworkforce's MinRequiredResources (OR-Tools
   CP-SAT): objective and time side by side. pyworkforce is a benchmark-only dependency: it is used when
   importable here, or from the interpreter named by COPLAN_BENCH_PYWORKFORCE_PYTHON; otherwise that part is
   skipped with a message.
3. A 10-point Pareto sweep of the responder mix (max officer hours freed per civilian budget): total time.

Demand is the hour-of-week profile of Milwaukee's calls for service (May 1-21, 2018) from ../shared/data when
that file is there, otherwise a synthetic profile of the same size. Run: python benchmarks/optimize.py
"""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
import time
from pathlib import Path

# This script is named like the package it measures: take its own folder off the path so that
# `import optimize` finds the package (from the repository root), not this file.
_HERE = Path(__file__).resolve().parent
sys.path[:] = [entry for entry in sys.path if Path(entry or ".").resolve() != _HERE]
sys.path.insert(0, str(_HERE.parent))

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from optimize import (  # noqa: E402
    MixInput,
    ResponderType,
    RosterType,
    ServiceTarget,
    coverage_matrix,
    generate_patterns,
    greedy_cover,
    n_bins,
    pareto_sweep,
    requirements,
    solve_covering,
    solve_mix,
    solve_roster,
)

MILWAUKEE = Path(__file__).resolve().parents[2] / "shared" / "data" / "milwaukee_cfs_2018-05.csv"
CATEGORIES = ("crisis_welfare", "disorder", "other")
# A rough benchmark-only grouping of Milwaukee call types (coplan's own taxonomy lives in the planner).
CRISIS = {"WELFARE CITIZEN", "TRBL W/SUBJ", "TRBL W/JUV", "FAMILY TROUBLE", "CHILD CUSTODY", "INJ PERSON/SICK"}
DISORDER = {"NOISE NUISANCE", "CITIZEN CONTACT", "SUSP PERS/AUTO", "PROPERTY DAMAGE", "CALL FOR POLICE"}
OFFICER_INITIATED = {
    "TRAFFIC STOP", "BUSINESS CHECK", "RETURN STATION", "FOLLOW UP", "PATROL", "REPORTS", "SPECIAL ASSIGN",
    "POLICE ADMIN", "PARK AND WALK", "ASSIGNMENT", "OUT OF SERVICE", "COURT DUTY", "TS TARGETED",
    "PRISONER TRANS", "TAVERN CHECK", "VEHICLE MAINT", "SUBJ STOP", "PROPERTY PICKUP", "CONVEY PROPERTY",
    "INVESTIGATION", "PROBATION/PAROLE", "BUS INVESTIGATIO",
}
# Busy minutes per call (officer, social worker, co-responder); NaN: that type does not take the category.
BUSY = np.array([[45.0, 60.0, 55.0], [35.0, 40.0, 40.0], [40.0, math.nan, math.nan]])
SHARE = np.array([[0.0, 0.45, 0.25], [0.0, 0.3, 0.1], [0.0, 0.0, 0.0]])
DOWNSTREAM = np.array([[180.0, 40.0, 90.0], [60.0, 15.0, 40.0], [120.0, 0.0, 0.0]])
TARGETS = {
    "officer": ServiceTarget(answer_minutes=10, share_within=0.8, max_occupancy=0.6),
    "social_worker": ServiceTarget(answer_minutes=20, share_within=0.8),
    "co_responder": ServiceTarget(answer_minutes=15, share_within=0.8),
}
COSTS = {  # people per unit, relief factor, loaded cost per person, overhead per unit
    "officer": (1, 1.7, 130_000.0, 20_000.0),
    "social_worker": (1, 1.4, 80_000.0, 8_000.0),
    "co_responder": (2, 1.7, 105_000.0, 20_000.0),
}


def arrival_rates(bin_minutes: int) -> tuple[np.ndarray, str]:
    """Calls per hour by category and bin of the week, and where they came from."""
    count = n_bins(bin_minutes)
    if MILWAUKEE.exists():
        calls = pd.read_csv(MILWAUKEE, usecols=["time", "nature"])
        calls = calls[~calls["nature"].isin(OFFICER_INITIATED)]
        when = pd.to_datetime(calls["time"])
        bins = ((when.dt.day_of_week * 1440 + when.dt.hour * 60 + when.dt.minute) // bin_minutes).to_numpy()
        grid = pd.date_range(when.min().floor(f"{bin_minutes}min"), when.max(), freq=f"{bin_minutes}min")
        exposure = np.bincount(
            ((grid.day_of_week * 1440 + grid.hour * 60 + grid.minute) // bin_minutes).to_numpy(), minlength=count
        )
        category = np.where(calls["nature"].isin(CRISIS), 0, np.where(calls["nature"].isin(DISORDER), 1, 2))
        rates = np.zeros((3, count))
        for c in range(3):
            rates[c] = np.bincount(bins[category == c], minlength=count) / (exposure * bin_minutes / 60)
        return rates, f"Milwaukee calls for service, {len(calls):,} public-initiated calls, May 1-21 2018"
    hours = (np.arange(count) * bin_minutes / 60) % 24
    shape = 1 + 0.55 * np.sin((hours - 9) / 24 * 2 * np.pi)
    return np.vstack([9.0 * shape, 8.0 * shape, 25.0 * shape]), "synthetic profile (Milwaukee file not found)"


def responder_types(patterns: tuple) -> tuple[ResponderType, ...]:
    """Officer, social worker and co-responder with the benchmark's costs and targets."""
    return tuple(
        ResponderType(
            name=name, patterns=patterns, people_per_unit=people, relief_factor=relief, cost_per_person=cost,
            overhead_per_unit=overhead, target=TARGETS[name],
        )
        for name, (people, relief, cost, overhead) in COSTS.items()
    )


def part_roster() -> None:
    """(1) Weekly roster with 30-minute bins and every 8/10/12 h weekly pattern on an hourly grid."""
    bin_minutes = 30
    rates, source = arrival_rates(bin_minutes)
    patterns = generate_patterns((8, 10, 12), 60, None, bin_minutes)
    # Requirements as if every eligible call went to its civilian type (the mix decides that split; the roster
    # benchmark only needs three realistic requirement curves).
    loads = {
        "officer": (rates * ((1 - SHARE[:, 1:].sum(axis=1)) * BUSY[:, 0])[:, None]).sum(axis=0) / 60,
        "social_worker": (rates * (SHARE[:, 1] * np.nan_to_num(BUSY[:, 1]))[:, None]).sum(axis=0) / 60,
        "co_responder": (rates * (SHARE[:, 2] * np.nan_to_num(BUSY[:, 2]))[:, None]).sum(axis=0) / 60,
    }
    types = []
    for name, load in loads.items():
        people, relief, cost, overhead = COSTS[name]
        need = requirements(load, 45.0, TARGETS[name])
        types.append(RosterType(
            name=name, requirement=need, patterns=patterns, people_per_unit=people, relief_factor=relief,
            cost_per_person=cost, overhead_per_unit=overhead,
        ))
    print(f"(1) weekly roster: {source}")
    print(f"    3 types x {n_bins(bin_minutes)} bins of {bin_minutes} min x {len(patterns)} patterns per type")
    started = time.perf_counter()
    result = solve_roster(types, time_limit=30, gap_rel=1e-4)
    seconds = time.perf_counter() - started
    print(f"    coplan (HiGHS): status {result.status.value}, gap {result.gap:.3%}, {seconds:.2f} s, "
          f"annual cost {result.objective:,.0f}")
    cover = coverage_matrix(patterns, bin_minutes)
    greedy_total = 0.0
    for kind in types:
        units = result.units_by_type[kind.name]
        greedy = greedy_cover(kind.requirement, cover, np.full(len(patterns), kind.annual_cost_per_unit))
        greedy_total += float(greedy.sum() * kind.annual_cost_per_unit)
        print(f"    {kind.name:14s} peak need {int(kind.requirement.max()):3d} on duty: {units:4d} units "
              f"({result.headcount_by_type[kind.name]:.1f} people); greedy cover {int(greedy.sum())} units")
    print(f"    greedy reference cost {greedy_total:,.0f} = {greedy_total / result.objective:.3f} x coplan's")
    verdict = "met" if result.gap is not None and result.gap <= 0.01 and seconds < 30 else "NOT met"
    print(f"    target (gap <= 1% in < 30 s): {verdict}")


def daily_problems() -> tuple[list[list[int]], dict[str, list[int]], dict[str, int], str]:
    """One covering problem per day (officer units needed per half hour) and daily shifts as pyworkforce has them."""
    periods = 48
    if MILWAUKEE.exists():
        calls = pd.read_csv(MILWAUKEE, usecols=["time", "nature"])
        calls = calls[~calls["nature"].isin(OFFICER_INITIATED)]
        when = pd.to_datetime(calls["time"])
        last_full_day = when.max().normalize()
        when = when[when < last_full_day]
        day = (when.dt.normalize() - when.min().normalize()).dt.days.to_numpy()
        slot = ((when.dt.hour * 60 + when.dt.minute) // 30).to_numpy()
        counts = np.zeros((day.max() + 1, periods))
        np.add.at(counts, (day, slot), 1)
        source = f"{counts.shape[0]} days of Milwaukee calls"
    else:
        rates, _ = arrival_rates(30)
        counts = rates.sum(axis=0).reshape(7, periods) * 0.5
        source = "7 synthetic days"
    # Calls per half hour -> calls per hour -> erlangs at 40 busy minutes -> officer units under the target.
    need = requirements(counts * 2 * 40 / 60, 40.0, TARGETS["officer"])
    shifts: dict[str, list[int]] = {}
    costs: dict[str, int] = {}
    for hours in (8, 10, 12):
        for start in range(periods):
            name = f"{hours}h@{start // 2:02d}:{start % 2 * 30:02d}"
            # Within one day's periods a late shift wraps to the same day's early hours (pyworkforce's "Night").
            shifts[name] = [1 if (p - start) % periods < 2 * hours else 0 for p in range(periods)]
            costs[name] = hours
    return need.tolist(), shifts, costs, source


PYWORKFORCE_RUNNER = r"""
import json, sys, time
from pyworkforce.scheduling import MinRequiredResources
data = json.load(sys.stdin)
started = time.perf_counter()
solver = MinRequiredResources(num_days=len(data["need"]), periods=48, shifts_coverage=data["shifts"],
                              required_resources=data["need"], max_period_concurrency=data["max_period"],
                              max_shift_concurrency=data["max_shift"], cost_dict=data["costs"],
                              max_search_time=data["time_limit"], num_search_workers=2)
solution = solver.solve()
print(json.dumps({"status": solution["status"], "cost": solution["cost"],
                  "seconds": time.perf_counter() - started}))
"""


def run_pyworkforce(payload: dict) -> dict | None:
    """Solve with pyworkforce here or in the interpreter named by COPLAN_BENCH_PYWORKFORCE_PYTHON."""
    try:
        import pyworkforce  # noqa: F401
    except ImportError:
        other = os.environ.get("COPLAN_BENCH_PYWORKFORCE_PYTHON")
        if not other:
            return None
        done = subprocess.run(
            [other, "-c", PYWORKFORCE_RUNNER], input=json.dumps(payload), capture_output=True, text=True,
            timeout=payload["time_limit"] * 2 + 120, check=False,
        )
        if done.returncode != 0:
            print(f"    pyworkforce run failed: {done.stderr.strip().splitlines()[-1:]}")
            return None
        return json.loads(done.stdout.strip().splitlines()[-1])
    from pyworkforce.scheduling import MinRequiredResources

    started = time.perf_counter()
    solver = MinRequiredResources(
        num_days=len(payload["need"]), periods=48, shifts_coverage=payload["shifts"],
        required_resources=payload["need"], max_period_concurrency=payload["max_period"],
        max_shift_concurrency=payload["max_shift"], cost_dict=payload["costs"],
        max_search_time=payload["time_limit"], num_search_workers=2,
    )
    solution = solver.solve()
    return {"status": solution["status"], "cost": solution["cost"], "seconds": time.perf_counter() - started}


def part_pyworkforce() -> None:
    """(2) The same daily covering problems by coplan and by pyworkforce's MinRequiredResources."""
    need, shifts, costs, source = daily_problems()
    names = list(shifts)
    coverage = np.array([shifts[n] for n in names])
    cost_vector = np.array([costs[n] for n in names], dtype=float)
    max_period = int(2 * max(max(day) for day in need))
    max_shift = max_period
    print(f"(2) daily covering: {source}, {len(need)} problems x 48 half-hour periods x {len(names)} shifts, "
          f"cost = shift hours (limits: {max_shift} per shift, {max_period} on duty)")
    started = time.perf_counter()
    total, statuses = 0.0, set()
    for day in need:
        result = solve_covering(np.array(day), coverage, cost_vector, max_per_pattern=max_shift,
                                max_on_duty=max_period, time_limit=60, gap_rel=0.0, compute_lp_bound=False)
        statuses.add(result.status.value)
        total += result.objective if result.objective is not None else math.nan
    ours = time.perf_counter() - started
    print(f"    coplan (HiGHS):           objective {total:8.0f}  status {'/'.join(sorted(statuses))}  {ours:7.2f} s")
    payload = {"need": need, "shifts": shifts, "costs": costs, "max_period": max_period, "max_shift": max_shift,
               "time_limit": 120.0}
    theirs = run_pyworkforce(payload)
    if theirs is None:
        print("    pyworkforce is not importable (it is a benchmark-only dependency): install it in a separate "
              "environment and set COPLAN_BENCH_PYWORKFORCE_PYTHON to its python to compare; skipped")
        return
    print(f"    pyworkforce (CP-SAT):     objective {theirs['cost']:8.0f}  status {theirs['status']}  "
          f"{theirs['seconds']:7.2f} s")
    better = "equal" if abs(total - theirs["cost"]) < 1e-6 else ("better" if total < theirs["cost"] else "worse")
    print(f"    coplan objective {better}, time ratio pyworkforce / coplan = {theirs['seconds'] / ours:.1f}")


def part_pareto() -> None:
    """(3) A 10-point budget sweep of the responder mix."""
    bin_minutes = 60
    rates, source = arrival_rates(bin_minutes)
    patterns = generate_patterns((8, 10, 12), 120, None, bin_minutes)
    data = MixInput(
        categories=CATEGORIES, types=responder_types(patterns), arrival_rate=rates, busy_minutes=BUSY,
        eligible_share=SHARE, downstream_cost=DOWNSTREAM,
    )
    print(f"(3) Pareto sweep of the mix: {source}")
    print(f"    3 types x {n_bins(bin_minutes)} bins x {len(patterns)} patterns per type, 3 call categories")
    started = time.perf_counter()
    cheapest = solve_mix(data, objective="min-cost", time_limit=30, gap_rel=0.01)
    top = cheapest.staff_cost - cheapest.annual_cost_by_type["officer"]
    print(f"    min-cost plan: civilian staff {top:,.0f}, {cheapest.officer_hours_freed:,.0f} officer h freed, "
          f"gap {cheapest.gap:.3%}, {time.perf_counter() - started:.2f} s")
    budgets = list(np.linspace(0, 1.5 * max(top, 1.0), 10))
    sweep_started = time.perf_counter()
    generator = pareto_sweep(data, budgets, time_limit_per_point=15, gap_rel=0.01)
    while True:
        try:
            next(generator)
        except StopIteration as stop:
            points = stop.value
            break
    sweep_seconds = time.perf_counter() - sweep_started
    print("    budget        officer h freed   annual cost     status    gap      s")
    for point in points:
        gap = "-" if point.mix is None or point.mix.gap is None else f"{point.mix.gap:.3%}"
        seconds = "-" if point.mix is None else f"{point.mix.solve_seconds:5.2f}"
        hours = "-" if point.officer_hours_freed is None else f"{point.officer_hours_freed:12,.0f}"
        cost = "-" if point.annual_cost is None else f"{point.annual_cost:14,.0f}"
        print(f"    {point.budget:12,.0f}  {hours}   {cost}  {point.status.value:9s} {gap:>7s}  {seconds}")
    hours = [p.officer_hours_freed or 0.0 for p in points]
    monotone = all(b >= a for a, b in zip(hours, hours[1:], strict=False))
    print(f"    10-point sweep: {sweep_seconds:.2f} s in total; hours freed never fall as the budget rises: {monotone}")


def main() -> None:
    """Run the three parts and print their figures."""
    print(f"coplan optimisation benchmark (python {sys.version.split()[0]})")
    part_roster()
    part_pyworkforce()
    part_pareto()


if __name__ == "__main__":
    main()
