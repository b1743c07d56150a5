"""The `coplan` command: the same work as the app, for scripts and batches.

Errors a user can fix print one line naming the file and what is wrong, and exit with code 2.
"""

from __future__ import annotations

import argparse
import json
import sys

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
    sp.add_argument("--replications", type=int, help="replications (default: the scenario's)")
    sp.add_argument("--seed", type=int, help="seed (default: the scenario's); same seed, same numbers")
    sp.add_argument("--workers", type=int, help="local worker processes (default: the scenario's, else 1)")
    sp.add_argument("--scheduler", metavar="ADDR", help="run replications on a Dask cluster, e.g. tcp://host:8786")
    sp.add_argument("--horizon-days", type=float, help="simulated days per replication (default: the scenario's)")
    sp.add_argument("--json", action="store_true", help="print JSON instead of the summary")
    sp.add_argument("--quiet", action="store_true", help="no progress bar")
    sp.set_defaults(func=cmd_simulate)

    from planner.project_cli import add_project_parser

    add_project_parser(sub)

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
