"""Does the optimiser beat a consultant's spreadsheet? Its plans against simple hand-made plans, all simulated.

For each demand (the mid-size sample; Milwaukee's real calls from ../shared/data when present):
- hand-made plans: k = 1..6 social-worker units on one common daily shift (8, 10 or 12 h from 08:00, 10:00,
  12:00 or 14:00) or split over two common daily shifts;
- the optimiser's max-hours-freed plans (patrol held as it is) at budgets from $150k to $1M;
- every plan simulated in one run with one seed; officer hours freed counted as the officer time of the calls
  civilian units answered (planner.plan.simulated_hours_freed).
Printed per budget: the optimiser's hours (predicted; simulated with its 95% interval), the best hand plan that
costs no more (simulated), the ratio, the prediction error, and the solve time with its gap.
Targets: ratio >= 1.0 at every budget; prediction within 15% of simulation; each solve <= 30 s.

Run: python benchmarks/frontier.py [--replications N] [--horizon-days D] [--time-limit S] [--quick]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

_HERE = Path(__file__).resolve().parent
sys.path[:] = [entry for entry in sys.path if Path(entry or ".").resolve() != _HERE]
sys.path.insert(0, str(_HERE.parent))

import numpy as np  # noqa: E402

from planner.costs import staffing_table  # noqa: E402
from planner.demand import build_demand, load_calls  # noqa: E402
from planner.jobs import run_job  # noqa: E402
from planner.plan import mix_input, optimise, simulated_hours_freed  # noqa: E402
from planner.scenario import FALLBACK_TYPE, load_scenario, scenario_from_dict, scenario_to_dict  # noqa: E402
from planner.simulate import simulate  # noqa: E402

ROOT = _HERE.parent
MID = ROOT / "sample_scenarios" / "midsize_city" / "baseline.toml"
MILWAUKEE = ROOT.parent / "shared" / "data" / "milwaukee_cfs_2018-05.csv"
BUDGETS = (150_000, 300_000, 450_000, 650_000, 850_000, 1_000_000)
STARTS = (8, 10, 12, 14)
LENGTHS = (8, 10, 12)
TWO_SHIFTS = (((8, 10), (14, 10)), ((7, 12), (19, 12)), ((10, 8), (16, 8)), ((8, 12), (14, 12)))


def with_social_workers(base, name: str, blocks: list[tuple[int, float, int]]):
    """The base scenario with social-worker units on daily shifts: (start hour, hours, units) per block."""
    d = scenario_to_dict(base, base=base.path.parent if base.path else None)
    sw = d["responders"]["social_worker"]
    sw.pop("on_duty", None)
    sw["shifts"] = [{"start": f"{h:02d}:00", "hours": float(length), "days": "daily", "units": int(k)}
                    for h, length, k in blocks if k]
    d["name"] = name
    return scenario_from_dict(d, base.path)


def civilian_cost(s) -> float:
    table = staffing_table(s)
    return float(table.loc[[t for t in s.civilian_types if t in table.index], "staffing_cost"].sum())


def hand_plans(base):
    plans = []
    for k in range(1, 7):
        for h in STARTS:
            for length in LENGTHS:
                plans.append(with_social_workers(base, f"{k} SW {h:02d}:00 {length}h daily", [(h, length, k)]))
    for k in (2, 4, 6):
        for (h1, l1), (h2, l2) in TWO_SHIFTS:
            plans.append(with_social_workers(
                base, f"{k} SW {h1:02d}:00 {l1}h + {h2:02d}:00 {l2}h daily", [(h1, l1, k // 2), (h2, l2, k // 2)]))
    return plans


def milwaukee_baseline(mid):
    """The mid-size policy and costs on Milwaukee's calls, patrol sized from the calls (Erlang C, rule of 60)."""
    import optimize as opt

    d = scenario_to_dict(mid, base=mid.path.parent)
    d["data"] = {"calls": str(MILWAUKEE), "exclude_categories": ["self_initiated", "admin"], "timezone": "America/Chicago"}
    d["name"] = "Milwaukee: officers only"
    first = scenario_from_dict(d, MILWAUKEE.parent / "benchmark.toml")
    demand = build_demand(first, load_calls(first))
    data = mix_input(first, demand, hold_patrol=False)
    o = data.officer_index
    need = opt.requirements(data.officers_only_load(), data.service_minutes[o], data.types[o].target)
    d["responders"][FALLBACK_TYPE]["on_duty"] = [int(max(2, n)) for n in need]
    return scenario_from_dict(d, MILWAUKEE.parent / "benchmark.toml"), demand


def run_case(title: str, base, demand, args) -> list[float]:
    print(f"\n== {title}: {demand.calls_per_year().sum():,.0f} calls a year ==", flush=True)
    points = []
    for b in BUDGETS:
        started = time.perf_counter()
        result = run_job(optimise(base, demand, objective="max-hours-freed", budget=float(b),
                                  time_limit=args.time_limit, in_child=False))
        seconds = time.perf_counter() - started
        points.append((b, result, seconds))
    hands = hand_plans(base)
    if args.quick:
        hands = hands[::3]
    plans = [(f"optimiser ${b:,.0f}", r.plan) for b, r, _ in points if r.plan is not None] + \
            [(h.name, h) for h in hands]
    simulated = {}
    for k, (label, s) in enumerate(plans):
        run = run_job(simulate(s, demand, replications=args.replications, seed=args.seed,
                               horizon_days=args.horizon_days))
        simulated[label] = (civilian_cost(s), simulated_hours_freed(run, s, demand))
        print(f"  simulated {k + 1}/{len(plans)}: {label}", end="\r", flush=True, file=sys.stderr)
    print(" " * 70, end="\r", file=sys.stderr)
    print(f"{'budget':>10} {'opt cost':>10} {'predicted':>10} {'simulated (95% interval)':>30} "
          f"{'best hand plan <= budget':>44} {'hand h':>8} {'ratio':>6} {'pred err':>8} {'solve s':>8} gap")
    ratios = []
    for b, r, seconds in points:
        label = f"optimiser ${b:,.0f}"
        if label not in simulated:
            print(f"{b:>10,} no plan: {r.result.explanation}")
            continue
        cost, sim_h = simulated[label]
        predicted = float(r.result.officer_hours_freed or 0.0)
        affordable = [(h[1]["mean"], name) for name, h in simulated.items()
                      if not name.startswith("optimiser") and h[0] <= b + 1e-6]
        best_h, best_name = max(affordable, default=(0.0, "(none affordable)"))
        ratio = sim_h["mean"] / best_h if best_h > 0 else float("inf")
        error = (predicted - sim_h["mean"]) / sim_h["mean"] if sim_h["mean"] > 0 else float("nan")
        gap = r.result.gap if r.result.gap is not None else r.result.gap_hours
        gap_text = "-" if gap is None else (f"{gap:.2%}" if r.result.gap is not None else f"{gap:,.0f} h")
        ratios.append(ratio)
        interval = f"{sim_h['mean']:,.0f} ({sim_h['ci_low']:,.0f}-{sim_h['ci_high']:,.0f})"
        print(f"{b:>10,} {cost:>10,.0f} {predicted:>10,.0f} {interval:>30} {best_name:>44} {best_h:>8,.0f} "
              f"{ratio:>6.2f} {error:>+8.1%} {seconds:>8.1f} {gap_text}")
    return ratios


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--replications", type=int, default=4)
    parser.add_argument("--horizon-days", type=float, default=28.0)
    parser.add_argument("--time-limit", type=float, default=30.0)
    parser.add_argument("--seed", type=int, default=20250101)
    parser.add_argument("--quick", action="store_true", help="a third of the hand-made plans")
    args = parser.parse_args()
    mid = load_scenario(MID)
    demand = build_demand(mid, load_calls(mid))
    ratios = run_case("Mid-size sample", mid, demand, args)
    if MILWAUKEE.exists():
        base, milwaukee = milwaukee_baseline(mid)
        ratios += run_case("Milwaukee, May 2018 (real calls)", base, milwaukee, args)
    else:
        print("\nMilwaukee's export is not in ../shared/data: that case is skipped")
    if ratios:
        print(f"\nworst ratio optimiser / best hand plan: {min(ratios):.2f} (target >= 1.00)")


if __name__ == "__main__":
    np.seterr(all="ignore")
    main()
