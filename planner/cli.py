"""The `coplan` command: the same work as the app, for scripts and batches.

Errors a user can fix print one line naming the file and what is wrong, and exit with code 2.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from planner.errors import PlannerError

EXIT_USAGE = 2


def _load_calls(args: argparse.Namespace):
    from planner.importer import import_calls
    from planner.mapping import Mapping, read_mapping

    mapping = read_mapping(args.mapping) if args.mapping else Mapping()
    return import_calls(args.calls, mapping, codes=args.codes, tz=args.tz)


def cmd_profile(args: argparse.Namespace) -> int:
    from planner.mapping import write_mapping
    from planner.profile import build_profile, profile_summary

    result = _load_calls(args)
    profile = build_profile(result, bin_minutes=args.bin_minutes)
    summary = profile_summary(result, profile, top=args.top)
    if args.save_mapping:
        write_mapping(result.mapping, args.save_mapping)
    if args.rejects:
        from planner.reports_io import write_csv

        write_csv(result.rejects, args.rejects)
    if args.json:
        json.dump(summary, sys.stdout, indent=2)
        sys.stdout.write("\n")
    else:
        sys.stdout.write(format_profile(summary))
    return 0


def format_profile(s: dict) -> str:
    """The readable summary of `coplan profile`."""
    lines = [f"coplan profile: {s['source']}", ""]
    lines.append(f"Rows read        {s['rows_read']:>10,}")
    lines.append(f"  imported       {s['rows_imported']:>10,}  ({s['calls_imported']:,} calls; "
                 f"{s['rows_merged']:,} rows were extra units of a call)")
    lines.append(f"  rejected       {s['rows_rejected']:>10,}")
    for reason, n in s["rejections"].items():
        lines.append(f"    {n:>8,}  {reason}")
    p = s["period"]
    lines.append(f"Period           {p['start'][:16]} to {p['end'][:16]} ({p['days']:.1f} days)")
    lines.append(f"Time zone        {s['timezone'] or 'none given (times taken as written)'}")
    lines.append("")
    lines.append(f"{'Category':<20}{'calls':>9}{'share':>8}{'per year':>11}{'on scene (median min)':>24}")
    total = sum(s["by_category"].values()) or 1
    for cat, n in sorted(s["by_category"].items(), key=lambda kv: -kv[1]):
        tos = s["time_on_scene_minutes"].get(cat)
        lines.append(f"{cat:<20}{n:>9,}{n / total:>8.1%}{s['calls_per_year'][cat]:>11,.0f}"
                     f"{'-' if tos is None else f'{tos:.1f}':>24}")
    lines.append("")
    arr = s["arrivals_per_hour_of_week"]
    if len(arr) == 168:
        days = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]
        lines.append("Calls per hour, by day (mean over the hours of the day; busiest hour in brackets)")
        for d in range(7):
            day = arr[d * 24:(d + 1) * 24]
            peak = max(range(24), key=lambda h: day[h])
            lines.append(f"  {days[d]}  {sum(day) / 24:6.2f}   (peak {day[peak]:.2f} at {peak:02d}:00)")
        lines.append("")
    if s["unmatched_call_types"]:
        lines.append("Call types in 'other' (write a rule to place them):")
        for e in s["unmatched_call_types"][:10]:
            lines.append(f"  {e['calls']:>7,}  {e['call_type']}")
        lines.append("")
    if s["notes"]:
        lines.append("Notes:")
        lines += [f"  - {n}" for n in s["notes"]]
        lines.append("")
    return "\n".join(lines) + "\n"


def cmd_validate(args: argparse.Namespace) -> int:
    from planner.scenario import load_scenario

    s = load_scenario(args.scenario)
    print(f"{args.scenario}: valid scenario {s.name!r} with responders {', '.join(s.responders)} and policy for "
          f"{len(s.policy)} categories")
    return 0


def cmd_sample(args: argparse.Namespace) -> int:
    from planner.sample import write_sample

    calls, codes = write_sample(args.out, calls_per_year=args.calls_per_year, days=args.days, seed=args.seed,
                                start=args.start, compress=args.gzip)
    print(f"wrote {calls} and {codes}")
    return 0


def cmd_simulate(args: argparse.Namespace) -> int:
    from planner.jobs import run_in_terminal
    from planner.scenario import load_scenario
    from planner.simulate import simulate

    scenario = load_scenario(args.scenario)
    job = simulate(scenario, replications=args.replications, seed=args.seed, workers=args.workers,
                   scheduler=args.scheduler, horizon_days=args.horizon_days)
    run = run_in_terminal(job, "simulate", quiet=args.quiet)
    if args.json:
        json.dump(run.to_json(), sys.stdout, indent=2)
        sys.stdout.write("\n")
    else:
        sys.stdout.write(format_simulation(run))
    return 0


def format_simulation(run) -> str:
    """The readable summary of `coplan simulate`."""
    k = run.kpis

    def line(label: str, name: str, fmt: str = ",.0f", unit: str = "") -> str:
        if name not in k.index or pd_isna(k.loc[name, "mean"]):
            return f"  {label:<44}{'-':>12}"
        m, lo, hi = k.loc[name, ["mean", "ci_low", "ci_high"]]
        return f"  {label:<44}{m:>12{fmt}}{unit}  ({lo:{fmt}} to {hi:{fmt}})"

    out = [f"coplan simulate: {run.scenario}",
           f"{run.replications} replications of {run.horizon_days:g} days ({run.warmup_days:g} warm-up), seed {run.seed}; "
           "annual figures, mean (95% interval)", ""]
    out.append(line("Officer hours on calls a year", "officer_hours_on_calls"))
    out.append(line("Officer utilisation", "officer_utilisation", ".1%"))
    out.append(line("Response time P50 (min)", "response_minutes_p50", ".1f"))
    out.append(line("Response time P90 (min)", "response_minutes_p90", ".1f"))
    for name in k.index:
        if name.startswith("response_minutes_p90_by_priority."):
            out.append(line(f"  P90, priority {name.rsplit('.', 1)[1]}", name, ".1f"))
    out.append(line("Eligible calls that fell back to an officer", "fallback_to_officer"))
    for t in run.responder_types:
        out.append(line(f"Calls answered by {t.replace('_', ' ')}", f"calls_by_responder_type.{t}"))
    for t in run.responder_types:
        if t != "officer":
            out.append(line(f"Utilisation of {t.replace('_', ' ')}", f"utilisation.{t}", ".1%"))
    out.append(line("Overtime hours a year (all types)", "overtime_hours_total"))
    for o in ("arrest", "jail_booking", "er_transport"):
        out.append(line(f"Outcomes: {o.replace('_', ' ')}", f"outcomes.{o}"))
    return "\n".join(out) + "\n"


def pd_isna(v) -> bool:
    import math

    return v is None or (isinstance(v, float) and math.isnan(v))


def _compare_job(args: argparse.Namespace):
    """Evaluations for `coplan compare`: scenario files are simulated; a project's saved, current runs
    are reused and its other scenarios simulated and saved back."""
    from planner.compare import evaluate_all
    from planner.jobs import Progress
    from planner.scenario import load_scenario

    options = {"replications": args.replications, "seed": args.seed, "workers": args.workers,
               "horizon_days": args.horizon_days}
    evaluations = []
    files = [Path(f) for f in args.inputs]
    projects = [f for f in files if f.suffix == ".coplan"]
    if projects and len(files) > 1:
        from planner.errors import PlannerError

        raise PlannerError("compare takes scenario files, or one project file, not both")
    if projects:
        from planner.project import open_project

        project = open_project(projects[0])
        stale = [n for n in project.scenarios if n not in project.runs or not project.run_is_current(n)]
        if stale:
            yield Progress(0, 0, f"simulating {len(stale)} scenario(s) without a current run")
            yield from project.run(stale, **{k: v for k, v in options.items() if v is not None})
            project.save()
        return [project.evaluation(n) for n in project.scenarios]
    scenarios = [load_scenario(f) for f in files]
    evaluations = yield from evaluate_all(scenarios, **options)
    return evaluations


def cmd_compare(args: argparse.Namespace) -> int:
    from planner import report
    from planner.compare import compare
    from planner.jobs import run_in_terminal

    evaluations = run_in_terminal(_compare_job(args), "compare", quiet=args.quiet)
    c = compare(evaluations, args.baseline)
    written = []
    if args.pdf:
        report.write_pdf(c, args.pdf)
        written.append(args.pdf)
    if args.xlsx:
        report.write_xlsx(c, args.xlsx)
        written.append(args.xlsx)
    if args.png_dir:
        written += [str(p) for p in report.write_pngs(c, args.png_dir)]
    if args.json:
        json.dump(report.comparison_json(c), sys.stdout, indent=2)
        sys.stdout.write("\n")
    else:
        sys.stdout.write(format_comparison(c))
        for w in written:
            print(f"wrote {w}")
    return 0


def format_comparison(c) -> str:
    """The readable table of `coplan compare`: each option against the baseline."""
    from planner.compare import describe_delta, format_value

    out = [f"coplan compare: {len(c.scenarios)} scenarios against {c.baseline!r}", ""]
    out += [f"- {s}" for s in c.summary()]
    out.append("")
    for name in c.scenarios:
        if name == c.baseline:
            continue
        out.append(f"{name}")
        t = c.table[c.table["scenario"] == name]
        for _, r in t.iterrows():
            out.append(f"  {r['label']:<48}{format_value(r['mean'], r['unit']):>14}   {describe_delta(r)}")
        out.append("")
    return "\n".join(out)


def cmd_optimize(args: argparse.Namespace) -> int:
    from planner.jobs import run_in_terminal
    from planner.plan import optimise
    from planner.scenario import load_scenario, save_scenario

    scenario = load_scenario(args.scenario)
    job = optimise(scenario, objective=args.objective, budget=args.budget, pareto_points=args.pareto or 0,
                   bin_minutes=args.bin_minutes, time_limit=args.time_limit, simulate_check=args.simulate_check,
                   check_replications=args.check_replications, check_horizon_days=args.check_horizon_days)
    result = run_in_terminal(job, "optimize", quiet=args.quiet)
    if args.out_scenario and result.plan is not None:
        save_scenario(result.plan, args.out_scenario)
    if args.json:
        json.dump(result.to_json(), sys.stdout, indent=2)
        sys.stdout.write("\n")
    else:
        sys.stdout.write(format_plan(result))
        if args.out_scenario and result.plan is not None:
            print(f"wrote the plan as a scenario: {args.out_scenario}")
    return 0 if result.plan is not None else 1


def format_plan(result) -> str:
    """The readable summary of `coplan optimize`."""
    r = result.result
    out = [f"coplan optimize: {result.scenario.name} ({result.objective}"
           + (f", civilian budget ${result.budget:,.0f}" if result.budget else "") + ")", "",
           f"  {r.explanation}", ""]
    if r.units_by_pattern:
        gap = "-" if r.gap is None else f"{r.gap:.2%}"
        out.append(f"  status {result.status}, gap {gap}, {r.solve_seconds:.1f} s with {r.solver}")
        out.append(f"  officer hours freed a year: {r.officer_hours_freed:,.0f}")
        out.append("")
        out.append(f"  {'type':<16}{'shift pattern':<24}{'units':>6}")
        for t, pats in r.units_by_pattern.items():
            for p, n in sorted(pats.items()):
                out.append(f"  {t:<16}{p:<24}{n:>6}")
        out.append("")
        out.append(f"  {'type':<16}{'annual cost':>14}")
        for t, c in (r.annual_cost_by_type or {}).items():
            out.append(f"  {t:<16}{c:>14,.0f}")
    if result.pareto:
        out += ["", f"  {'civilian budget':>16}{'officer h freed':>17}{'annual cost':>15}  status"]
        for p in result.pareto:
            hours = "-" if p.officer_hours_freed is None else f"{p.officer_hours_freed:,.0f}"
            cost = "-" if p.annual_cost is None else f"{p.annual_cost:,.0f}"
            out.append(f"  {p.budget:>16,.0f}{hours:>17}{cost:>15}  {getattr(p.status, 'value', p.status)}")
    for it in result.iterations:
        out.append(f"  simulation check {it['iteration']}: bins missing the target {it['bins_missed']}, "
                   f"officer utilisation {it['officer_utilisation']:.1%}, "
                   f"{'holds' if it.get('holds') else 'raised and re-solved' if 'holds' not in it else 'still misses'}")
    return "\n".join(out) + "\n"


def cmd_template(args: argparse.Namespace) -> int:
    from planner.templates import apply_template, get_template, list_templates

    if args.action == "list":
        for t in list_templates():
            print(f"{t.key:<14}{t.name}\n{'':<14}{t.program}\n{'':<14}{t.summary}\n")
        return 0
    from planner.demand import build_demand, load_calls
    from planner.scenario import load_scenario, save_scenario

    base = load_scenario(args.base)
    t = get_template(args.template)
    s = apply_template(base, t, build_demand(base, load_calls(base)).calls_per_year())
    save_scenario(s, args.out)
    print(f"wrote {args.out}: {s.name}")
    return 0


def add_simulation_options(sp: argparse.ArgumentParser, scheduler: bool = True) -> None:
    """The options every command that simulates takes (simulate, compare, project run)."""
    sp.add_argument("--replications", type=int, help="replications (default: the scenario's)")
    sp.add_argument("--seed", type=int, help="seed (default: the scenario's); same seed, same numbers")
    sp.add_argument("--workers", type=int, help="local worker processes (default: the scenario's, else 1)")
    if scheduler:
        sp.add_argument("--scheduler", metavar="ADDR", help="run replications on a Dask cluster, e.g. tcp://host:8786")
    sp.add_argument("--horizon-days", type=float, help="simulated days per replication (default: the scenario's)")


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="coplan", description="Plan social-worker and co-responder staffing "
                                                           "from a department's calls for service.")
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")

    sp = sub.add_parser("profile", help="import a calls export and show what is in it")
    sp.add_argument("calls", help="CAD export: CSV (optionally .gz), XLSX or Parquet")
    sp.add_argument("--mapping", help="mapping file (TOML): columns, options, category rules")
    sp.add_argument("--codes", help="code table (CSV/XLSX: code, description)")
    sp.add_argument("--tz", help="agency time zone, e.g. America/Chicago")
    sp.add_argument("--bin-minutes", type=int, default=60, choices=(15, 30, 60))
    sp.add_argument("--top", type=int, default=20, help="how many unmatched call types to list")
    sp.add_argument("--save-mapping", metavar="FILE", help="write the mapping used (detected + yours) to FILE")
    sp.add_argument("--rejects", metavar="FILE", help="write the rejected rows to a CSV file")
    sp.add_argument("--json", action="store_true", help="print JSON instead of the summary")
    sp.set_defaults(func=cmd_profile)

    sp = sub.add_parser("simulate", help="simulate a scenario: KPIs with 95%% intervals")
    sp.add_argument("scenario", help="scenario file (TOML)")
    add_simulation_options(sp)
    sp.add_argument("--json", action="store_true", help="print JSON instead of the summary")
    sp.add_argument("--quiet", action="store_true", help="no progress bar")
    sp.set_defaults(func=cmd_simulate)

    from planner.project_cli import add_project_parser

    add_project_parser(sub)

    sp = sub.add_parser("optimize", help="staff a scenario at least cost, or free the most officer hours for a budget")
    sp.add_argument("scenario", help="scenario file (TOML)")
    sp.add_argument("--objective", choices=("min-cost", "max-hours-freed"), default="min-cost")
    sp.add_argument("--budget", type=float, metavar="USD", help="civilian staffing budget a year (max-hours-freed)")
    sp.add_argument("--pareto", type=int, metavar="N", help="also sweep N budgets: cost vs officer hours freed")
    sp.add_argument("--bin-minutes", type=int, default=60, choices=(15, 30, 60))
    sp.add_argument("--time-limit", type=float, default=30.0, help="seconds per solve (default 30)")
    sp.add_argument("--simulate-check", action="store_true",
                    help="simulate the plan and raise the requirement where it misses, until it holds")
    sp.add_argument("--check-replications", type=int, default=4)
    sp.add_argument("--check-horizon-days", type=float)
    sp.add_argument("--out-scenario", metavar="FILE", help="write the plan as a scenario coplan simulate can run")
    sp.add_argument("--json", action="store_true", help="print JSON instead of the summary")
    sp.add_argument("--quiet", action="store_true", help="no progress bar")
    sp.set_defaults(func=cmd_optimize)

    sp = sub.add_parser("compare", help="compare scenarios with a baseline; write PDF, Excel and PNG reports")
    sp.add_argument("inputs", nargs="+", metavar="SCENARIO_OR_PROJECT",
                    help="scenario files (the first is the baseline unless --baseline), or one .coplan project")
    sp.add_argument("--baseline", help="name of the baseline scenario")
    sp.add_argument("--pdf", metavar="FILE", help="write the report as PDF")
    sp.add_argument("--xlsx", metavar="FILE", help="write the workbook")
    sp.add_argument("--png-dir", metavar="DIR", help="write every chart as a PNG into DIR")
    sp.add_argument("--json", action="store_true", help="print JSON instead of the table")
    add_simulation_options(sp, scheduler=False)
    sp.add_argument("--quiet", action="store_true", help="no progress bar")
    sp.set_defaults(func=cmd_compare)

    sp = sub.add_parser("template", help="list programme templates, or apply one to a scenario")
    tsub = sp.add_subparsers(dest="action", required=True, metavar="ACTION")
    tsub.add_parser("list", help="the templates and the programmes they model")
    ta = tsub.add_parser("apply", help="add a template's team to a scenario, sized to its city")
    ta.add_argument("template", help="template key (see coplan template list)")
    ta.add_argument("base", help="the scenario to start from, e.g. the city's baseline")
    ta.add_argument("--out", required=True, help="scenario file to write")
    sp.set_defaults(func=cmd_template)

    sp = sub.add_parser("validate", help="check a scenario file")
    sp.add_argument("scenario")
    sp.set_defaults(func=cmd_validate)

    sp = sub.add_parser("sample", help="write a synthetic CAD export (seeded) and its code table")
    sp.add_argument("--out", required=True, help="folder to write calls.csv and codes.csv into")
    sp.add_argument("--calls-per-year", type=int, default=60000)
    sp.add_argument("--days", type=int, default=365)
    sp.add_argument("--seed", type=int, default=1)
    sp.add_argument("--start", default="2025-01-01")
    sp.add_argument("--gzip", action="store_true", help="write calls.csv.gz")
    sp.set_defaults(func=cmd_sample)
    return p


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except PlannerError as e:
        print(f"coplan: error: {e}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("coplan: cancelled", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
