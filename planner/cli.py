"""The `coplan` command: the same work as the app, for scripts and batches.

Errors a user can fix print one line naming the file and what is wrong, and exit with code 2: paths are
checked as the command line is parsed (a folder where a file belongs, a file that is missing, unreadable
or of another kind, an output in a folder that does not exist), and `main` turns every expected error
raised later into that one line.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import math
import os
import re
import stat
import sys
from collections.abc import Callable
from pathlib import Path

from planner import limits
from planner.errors import PlannerError
from planner.fileio import SQLITE_MAGIC, describe_os_error, os_error_words, read_head, sniff

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
    from planner.profile import detection_lines

    lines = [f"coplan profile: {s['source']}", ""]
    lines.append(f"Rows read        {s['rows_read']:>10,}")
    lines.append(f"  imported       {s['rows_imported']:>10,}  ({s['calls_imported']:,} calls; "
                 f"{s['rows_merged']:,} rows were extra units of a call)")
    lines.append(f"  rejected       {s['rows_rejected']:>10,}")
    for reason, n in s["rejections"].items():
        lines.append(f"    {n:>8,}  {reason}")
    lines += detection_lines(s)   # rows set aside, agencies, why each column was chosen
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
    if s.get("warnings"):
        lines.append("Warnings (where the export is too thin to trust every figure):")
        lines += [f"  - {w}" for w in s["warnings"]]
        lines.append("")
    if s["notes"]:
        lines.append("Notes:")
        lines += [f"  - {n}" for n in s["notes"]]
        lines.append("")
    return "\n".join(lines) + "\n"


def load_scenario_and_data(path: str | Path):
    """Read a scenario and check the files its [data] names as the command line's are checked, so an error
    says which scenario named the file."""
    from planner.limits import check_scenario_limits
    from planner.scenario import load_scenario

    s = load_scenario(path)
    check_scenario_limits(s.raw, str(path))   # every number in its finite range (planner.limits)
    for key, check in (("calls", calls_file), ("mapping", mapping_file), ("codes", codes_file)):
        p = getattr(s.data, key)
        if p is not None:
            try:
                check(str(p))
            except PlannerError as e:
                raise PlannerError(f"{e} (data.{key} of {path})") from None
    return s


def cmd_validate(args: argparse.Namespace) -> int:
    """Check a scenario file; then, as warnings (exit code 0), a roster below its min_on_duty and, from the offered
    load alone (no simulation), the hours of the week in which officers cannot keep up."""
    from planner.overload import below_minimum

    s = load_scenario_and_data(args.scenario)
    print(f"{args.scenario}: valid scenario {s.name!r} with responders {', '.join(s.responders)} and policy for "
          f"{len(s.policy)} categories")
    for line in below_minimum(s):
        print(f"warning: {line}")
    if s.data.calls is None:
        print("note: the scenario names no calls export ([data] calls), so its load is not checked")
        return 0
    from planner.demand import build_demand, load_calls
    from planner.overload import check_load

    check = check_load(s, build_demand(s, load_calls(s)))
    print(format_overload(check.reasons, before_simulation=True))
    return 0


def format_overload(reasons, *, before_simulation: bool = False) -> str:
    """One line: 'Overloaded: ...' with every reason, or that the scenario is sound."""
    if reasons:
        return (f"Overloaded: {'; '.join(reasons)}. Its figures {'would not be' if before_simulation else 'are not'} "
                f"a result.")
    if before_simulation:
        return "Load: officers have room in every hour of the week for the load left to them."
    return "Sound: every call answered, officers have room in every hour of the week, and the queue does not grow."


def cmd_baseline(args: argparse.Namespace) -> int:
    """Size a first baseline scenario from a calls export (planner.baseline) and write it."""
    from planner.baseline import first_baseline, format_first_baseline, scenario_text
    from planner.fileio import atomic_write_text
    from planner.sufficiency import data_warnings

    result = _load_calls(args)
    out = Path(args.out)
    first = first_baseline(result, calls=Path(args.calls), mapping=Path(args.mapping) if args.mapping else None,
                           codes=Path(args.codes) if args.codes else None, timezone=args.tz, folder=out.parent)
    atomic_write_text(out, scenario_text(first))
    sys.stdout.write(format_first_baseline(first))
    for w in data_warnings(result):
        print(f"warning: {w}")
    print(f"wrote {out}: a proposal; replace its officer roster with the department's real one")
    return 0


def cmd_sample(args: argparse.Namespace) -> int:
    from planner.sample import write_sample

    calls, codes = write_sample(args.out, calls_per_year=args.calls_per_year, days=args.days, seed=args.seed,
                                start=args.start, compress=args.gzip)
    print(f"wrote {calls} and {codes}")
    return 0


def cmd_simulate(args: argparse.Namespace) -> int:
    from planner.jobs import run_in_terminal
    from planner.simulate import simulate

    scenario = load_scenario_and_data(args.scenario)
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
           format_overload(run.warnings),
           f"{run.replications} replications of {run.horizon_days:g} days ({run.warmup_days:g} warm-up), seed {run.seed}; "
           "annual figures, mean (95% interval)", ""]
    out.append(line("Officer hours on calls a year", "officer_hours_on_calls"))
    out.append(line("Officer utilisation", "officer_utilisation", ".1%"))
    out.append(line("Officer hours freed a year", "officer_hours_freed"))
    out.append(line("  officer time of calls civilians answered", "officer_hours_carried_by_civilians"))
    out.append(line("  officer hours backing up civilian units", "officer_hours_on_backup"))
    out.append(line("Response time P50, all calls (min)", "response_minutes_p50", ".1f"))
    out.append(line("Response time P90, all calls (min)", "response_minutes_p90", ".1f"))
    for name in k.index:
        if name.startswith("response_minutes_p90_by_priority."):
            out.append(line(f"  P90, priority {name.rsplit('.', 1)[1]}", name, ".1f"))
    out.append(line("Police-only calls: response P50 (min)", "response_minutes_p50_police_only", ".1f"))
    out.append(line("Police-only calls: response P90 (min)", "response_minutes_p90_police_only", ".1f"))
    for name in k.index:
        if name.startswith("response_minutes_p90_police_only_by_priority."):
            out.append(line(f"  P90, police-only priority {name.rsplit('.', 1)[1]}", name, ".1f"))
    out.append(line("Civilian-route calls: response P50 (min)", "response_minutes_p50_diverted", ".1f"))
    out.append(line("Civilian-route calls: response P90 (min)", "response_minutes_p90_diverted", ".1f"))
    out.append(line("Calls offered a year", "calls_offered"))
    for t in run.responder_types:
        out.append(line(f"  answered by {t.replace('_', ' ')}", f"calls_by_responder_type.{t}"))
    out.append(line("  left unanswered", "calls_unanswered"))
    out.append(line("Eligible calls that fell back to an officer", "fallback_to_officer"))
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


def scenario_files(folder: Path) -> tuple[list[Path], list[str]]:
    """The scenario files in a folder, baseline first (the file named baseline*.toml, else the first by
    file name) and the others by file name; and a note for each entry skipped. Not recursive."""
    entries = sorted((e for e in folder.iterdir() if not e.name.startswith(".")),
                     key=lambda e: (e.name.casefold(), e.name))
    found, notes = [], []
    for e in entries:
        if e.is_dir():
            notes.append(f"skipped {e}: a folder (folders inside are not searched)")
        elif e.suffix.lower() != ".toml":
            notes.append(f"skipped {e}: not a scenario (not a TOML file)")
        else:
            kind, words = file_kind(e, read_head(e))
            if kind in ("scenario", "invalid"):     # a scenario that does not parse is an error, not a skip
                found.append(e)
            else:
                notes.append(f"skipped {e}: not a scenario ({words})")
    baseline = next((f for f in found if f.name.casefold().startswith("baseline")), None)
    if baseline is not None:
        found.remove(baseline)
        found.insert(0, baseline)
    return found, notes


def scenario_paths(values: list[str]) -> tuple[list[Path], list[str]]:
    """Scenario files named on the command line, folders expanded (see scenario_files); a file named
    twice, or also found in a folder, is taken once. Returns the files and the notes on what was skipped."""
    files: list[Path] = []
    notes: list[str] = []
    seen: set[str] = set()
    for v in values:
        path = Path(v)
        if path.is_dir():
            found, skipped = scenario_files(path)
            if not found:
                raise PlannerError(f"{v}: no scenario files in this folder")
            notes += skipped
        else:
            found = [path]
        for f in found:
            key = os.path.realpath(f)
            if key not in seen:
                seen.add(key)
                files.append(f)
    return files, notes


def _compare_inputs(values: list[str]):
    """(project or None, scenarios, notes) for `coplan compare`."""
    from planner.compare import with_distinct_names

    projects = [v for v in values if getattr(v, "kind", "") == "project" or
                (not Path(v).is_dir() and Path(v).suffix.lower() == ".coplan")]
    if projects and len(values) > 1:
        raise PlannerError(f"{projects[0]}: a project is compared on its own; give one project, or scenario "
                           f"files and folders")
    if projects:
        from planner.project import open_project

        project = open_project(projects[0])
        if not project.scenarios:
            raise PlannerError(f"{projects[0]}: the project has no scenarios to compare yet; add them with "
                               f"coplan project add-scenario")
        return project, [], []
    files, notes = scenario_paths(values)
    return None, with_distinct_names([load_scenario_and_data(f) for f in files]), notes


def _compare_job(project, scenarios, args: argparse.Namespace):
    """Evaluations for `coplan compare`: scenario files are simulated; a project's saved runs are reused
    where they are current (the project's calls, the scenario as it is now) and its other scenarios
    simulated and saved back."""
    from planner.compare import evaluate_all
    from planner.jobs import Progress

    options = {"replications": args.replications, "seed": args.seed, "workers": args.workers,
               "horizon_days": args.horizon_days}
    if project is not None:
        from planner.project import scenario_to_toml

        stale = [n for n in project.scenarios if n not in project.runs or not project.run_is_current(n)
                 or project.runs[n].scenario_toml != scenario_to_toml(project.scenarios[n])]
        if stale:
            yield Progress(0, 0, f"simulating {len(stale)} scenario(s) without a current run")
            runs = yield from project.run(stale, **{k: v for k, v in options.items() if v is not None})
            from planner.project import store_runs

            for note in store_runs(project, runs):
                print(f"coplan compare: {note}", file=sys.stderr)
        return [project.evaluation(n) for n in project.scenarios]
    evaluations = yield from evaluate_all(scenarios, **options)
    return evaluations


def _baseline(token: str | None, scenarios) -> str | None:
    """The scenario --baseline names: by its name (any case), or by its file's name or path."""
    if token is None:
        return None
    names = [s.name for s in scenarios]
    if token in names:
        return token
    for match in ([n for n in names if n.casefold() == token.casefold()],
                  [s.name for s in scenarios if s.path is not None
                   and (s.path.name == token or _same_file(s.path, token))]):
        if len(match) == 1:
            return match[0]
    shared = [n for n in names if n.startswith(f"{token} (")]
    if len(shared) > 1:
        raise PlannerError(f"--baseline {token!r}: {len(shared)} scenarios have that name "
                           f"({', '.join(repr(n) for n in shared)}); give one of those names, or its file")
    by_file = " or its file" if any(s.path is not None for s in scenarios) else ""
    raise PlannerError(f"--baseline {token!r} is not among the scenarios "
                       f"({', '.join(repr(n) for n in names)}); give a scenario's name{by_file}")


def cmd_compare(args: argparse.Namespace) -> int:
    from planner import report
    from planner.compare import compare
    from planner.jobs import run_in_terminal

    project, scenarios, notes = _compare_inputs(args.inputs)
    # Named before any simulation, so a wrong name costs nothing.
    baseline = _baseline(args.baseline, list(project.scenarios.values()) if project is not None else scenarios)
    for note in notes:
        print(f"coplan compare: {note}", file=sys.stderr)
    evaluations = run_in_terminal(_compare_job(project, scenarios, args), "compare", quiet=args.quiet)
    c = compare(evaluations, baseline)
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
    if c.overloaded(c.baseline):
        out += [f"Overloaded baseline {c.baseline}: {'; '.join(c.warnings[c.baseline])}.", ""]
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
    from optimize.solver import SOLVER_LOG_ENV
    from planner.jobs import run_in_terminal
    from planner.plan import optimise, plan_as_scenario
    from planner.scenario import save_scenario

    scenario = load_scenario_and_data(args.scenario)
    if args.solver_log:
        # The environment reaches the solver in its child process too.
        os.environ[SOLVER_LOG_ENV] = str(args.solver_log)
    job = optimise(scenario, objective=args.objective, budget=args.budget, pareto_points=args.pareto or 0,
                   bin_minutes=args.bin_minutes, time_limit=args.time_limit, simulate_check=args.simulate_check,
                   check_replications=args.check_replications, check_horizon_days=args.check_horizon_days,
                   patrol=args.patrol)
    result = run_in_terminal(job, "optimize", quiet=args.quiet)
    if result.plan is not None:
        # Every plan from one baseline would otherwise carry the same name, and be one in a comparison.
        result.plan = plan_as_scenario(result.scenario, result.result, result.patterns, name=plan_name(result))
    if args.out_scenario and result.plan is not None:
        save_scenario(result.plan, args.out_scenario)
    if args.json:
        json.dump(result.to_json(), sys.stdout, indent=2)
        sys.stdout.write("\n")
    else:
        sys.stdout.write(format_plan(result))
        if args.out_scenario and result.plan is not None:
            print(f"wrote the plan as a scenario: {args.out_scenario} ({result.plan.name!r})")
    return 0 if result.plan is not None else 1


def plan_name(result) -> str:
    """'Baseline (max-hours-freed plan, civilian budget $600,000)': the scenario, objective and budget."""
    budget = f", civilian budget ${result.budget:,.0f}" if result.budget is not None else ""
    checked = ", checked by simulation" if result.iterations else ""
    return f"{result.scenario.name} ({result.objective} plan{budget}{checked})"


def format_plan(result) -> str:
    """The readable summary of `coplan optimize`."""
    r = result.result
    out = [f"coplan optimize: {result.scenario.name} ({result.objective}"
           + (f", civilian budget ${result.budget:,.0f}" if result.budget else "") + ")", "",
           f"  {r.explanation}", ""]
    if r.units_by_pattern:
        if r.gap is not None:
            gap = f"{r.gap:.2%}"
        elif r.gap_hours is not None:
            gap = f"at most {r.gap_hours:,.0f} officer hours a year"
        else:
            gap = "-"
        out.append(f"  status {result.status}, gap {gap}, {r.solve_seconds:.1f} s with {r.solver}")
        out.append(f"  officer hours freed a year (predicted): {r.officer_hours_freed:,.0f}")
        for t, offered in (r.offered_calls or {}).items():
            answered = offered - (r.fallback_calls or {}).get(t, 0.0)
            out.append(f"  {t}: answers {answered:,.0f} of the {offered:,.0f} calls a year offered to it; "
                       f"the rest go on to the next unit on their route, then an officer")
        for t, why in (r.why_none or {}).items():
            out.append(f"  no {t} units: {why}")
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
        simulated = result.pareto_simulated
        out += ["", f"  {'civilian budget':>16}{'officer h freed':>17}"
                + (f"{'simulated (95% interval)':>28}" if simulated else "") + f"{'annual cost':>15}  status, gap"]
        for p in result.pareto:
            hours = "-" if p.officer_hours_freed is None else f"{p.officer_hours_freed:,.0f}"
            cost = "-" if p.annual_cost is None else f"{p.annual_cost:,.0f}"
            sim_text = ""
            if simulated:
                h = simulated.get(p.budget)
                sim_text = "-" if h is None else f"{h['mean']:,.0f} ({h['ci_low']:,.0f} to {h['ci_high']:,.0f})"
                sim_text = f"{sim_text:>28}"
            gap = ""
            if p.mix is not None and p.mix.gap is not None:
                gap = f", gap {p.mix.gap:.1%}"
            elif p.mix is not None and p.mix.gap_hours is not None:
                gap = f", gap at most {p.mix.gap_hours:,.0f} h"
            out.append(f"  {p.budget:>16,.0f}{hours:>17}{sim_text}{cost:>15}  {getattr(p.status, 'value', p.status)}{gap}")
    for it in result.iterations:
        sim_h = it.get("officer_hours_freed_simulated")
        if sim_h:
            out.append(f"  simulation check {it['iteration']}: officer hours freed predicted "
                       f"{it['officer_hours_freed_predicted']:,.0f}, simulated {sim_h['mean']:,.0f} "
                       f"(95% interval {sim_h['ci_low']:,.0f} to {sim_h['ci_high']:,.0f})")
        for label, minutes in (it.get("response_minutes") or {}).items():
            out.append(f"  simulation check {it['iteration']}: response time, {label}: {minutes:,.1f} min")
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
    from planner.scenario import save_scenario

    base = load_scenario_and_data(args.base)
    t = get_template(args.template)
    s = apply_template(base, t, build_demand(base, load_calls(base)).calls_per_year())
    save_scenario(s, args.out)
    print(f"wrote {args.out}: {s.name}")
    return 0


# ============================================================================================ arguments
# Each path on the command line is checked as it is parsed, before any work starts. A check that fails
# raises PlannerError (argparse passes it on), so `main` prints it as one line and exits with code 2.

class InputPath(str):
    """A path the command reads, as the user wrote it; `kind` is what it holds (scenario, folder, ...)."""

    kind: str

    def __new__(cls, value: str, kind: str) -> InputPath:
        self = super().__new__(cls, value)
        self.kind = kind
        return self


class OutputPath(str):
    """A path the command writes, as the user wrote it; `may_replace` is the kind of input it may
    overwrite (--save-mapping may update the file given to --mapping), else none."""

    may_replace: str

    def __new__(cls, value: str, may_replace: str = "") -> OutputPath:
        self = super().__new__(cls, value)
        self.may_replace = may_replace
        return self


_MAPPING_KEYS = {"columns", "options", "rules"}
_TOML_SIZE_LIMIT = 2_000_000   # no scenario or mapping is this large: a bigger file is something else
_CALLS_EXPECTED = "expected a calls export: CSV (optionally .gz), XLSX or Parquet"
_CODES_EXPECTED = "expected a code table: CSV or XLSX with code and description"


def _existing(value: str, noun: str, folder: bool = False) -> tuple[Path, bytes | None]:
    """The path of an input that is there and can be read, with its first bytes (None for a folder)."""
    path = Path(value)
    try:
        st = path.stat()
    except FileNotFoundError:
        raise PlannerError(f"{value}: {noun} not found") from None
    except NotADirectoryError:
        raise PlannerError(f"{value}: {noun} not found ({_existing_above(path)} is a file, not a folder)") from None
    except OSError as e:
        raise PlannerError(f"{value}: cannot be read ({os_error_words(e)})") from None
    try:
        if stat.S_ISDIR(st.st_mode):
            if not folder:
                raise PlannerError(f"{value}: is a folder, not a {noun}")
            os.listdir(path)
            return path, None
        if not stat.S_ISREG(st.st_mode):
            raise PlannerError(f"{value}: not a regular file (a device or pipe); expected a {noun}")
        return path, read_head(path)
    except OSError as e:
        raise PlannerError(f"{value}: cannot be read ({os_error_words(e)})") from None


def _existing_above(path: Path) -> Path:
    """The nearest part of a path that exists (a file, when a folder on the way is one)."""
    for p in path.parents:
        if os.path.lexists(p):
            return p
    return Path(path.anchor or ".")


def file_kind(path: Path, head: bytes) -> tuple[str, str]:
    """What a file holds, as (kind, words): kind is scenario, mapping, toml (another TOML file), empty,
    invalid (not valid TOML), project or binary. Only the file's kind is told, never its contents."""
    found = sniff(head)
    if found is not None:
        kind, words = found
        if kind == "sqlite":
            from planner.project import APPLICATION_ID

            if head[68:72] == APPLICATION_ID.to_bytes(4, "big") or path.suffix.lower() == ".coplan":
                return "project", "a coplan project file"
        return "binary", words
    if path.stat().st_size > _TOML_SIZE_LIMIT:
        return "invalid", "a large file that is not TOML"
    import tomllib

    try:
        d = tomllib.loads(path.read_text(encoding="utf-8"))
    except UnicodeDecodeError:
        return "binary", "not UTF-8 text"
    except tomllib.TOMLDecodeError:
        if head.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"<"):
            return "invalid", "a web page or XML file"
        return "invalid", f"a {path.suffix} file that is not TOML" if path.suffix else "not TOML"
    if not d:
        return "empty", "an empty file"
    if "responders" in d or "base" in d:
        return "scenario", "a scenario"
    if set(d) <= _MAPPING_KEYS:
        return "mapping", "a column mapping"
    return "toml", "a TOML file with no [responders] table and no base scenario"


def _check_scenario(value: str, path: Path, head: bytes) -> None:
    kind, words = file_kind(path, head)
    # A .toml file that does not parse is left to the scenario reader, which names the line and column.
    if kind in ("binary", "project", "mapping", "empty") or (kind == "invalid" and path.suffix.lower() != ".toml"):
        raise PlannerError(f"{value}: not a scenario ({words}); expected a scenario file (TOML)")


def scenario_file(value: str) -> InputPath:
    """A scenario file (TOML)."""
    path, head = _existing(value, "scenario file")
    _check_scenario(value, path, head)
    return InputPath(value, "scenario")


def mapping_file(value: str) -> InputPath:
    """A mapping file (TOML: columns, options, category rules)."""
    path, head = _existing(value, "mapping file")
    kind, words = file_kind(path, head)
    if kind in ("binary", "project", "scenario") or (kind == "invalid" and path.suffix.lower() != ".toml"):
        raise PlannerError(f"{value}: not a mapping file ({words}); expected a mapping file (TOML)")
    return InputPath(value, "mapping")


def _table_file(value: str, noun: str, readable: set[str], expected: str, kind_name: str) -> InputPath:
    path, head = _existing(value, f"{kind_name} file")
    found = sniff(head)
    if found is not None and found[0] not in readable:
        words = file_kind(path, head)[1] if found[0] == "sqlite" else found[1]
        raise PlannerError(f"{value}: not a {noun} ({words}); {expected}")
    if found is None:
        start = head.lstrip(b"\xef\xbb\xbf \t\r\n")
        what = None
        if path.suffix.lower() == ".toml" or (start[:1] in (b"#", b"[") or b"=" in start.split(b"\n", 1)[0]):
            kind, words = file_kind(path, head)
            if kind in ("scenario", "mapping", "toml"):
                what = words
        if start.startswith(b"<"):
            what = "a web page or XML file"
        elif path.suffix.lower() == ".json" and start[:1] in (b"{", b"["):
            what = "a JSON file"
        if what:
            raise PlannerError(f"{value}: not a {noun} ({what}); {expected}")
    return InputPath(value, kind_name)


def calls_file(value: str) -> InputPath:
    """A calls export: CSV (optionally .gz), XLSX or Parquet."""
    return _table_file(value, "calls export", {"zip", "parquet", "gzip"}, _CALLS_EXPECTED, "calls")


def codes_file(value: str) -> InputPath:
    """A code table: CSV or XLSX."""
    return _table_file(value, "code table", {"zip", "gzip"}, _CODES_EXPECTED, "code table")


def project_file(value: str) -> InputPath:
    """A project file (.coplan); what is inside is checked when it is opened."""
    _existing(value, "project file")
    return InputPath(value, "project")


def _is_project(path: Path, head: bytes) -> bool:
    return path.suffix.lower() == ".coplan" or head.startswith(SQLITE_MAGIC)


def scenario_or_folder(value: str) -> InputPath:
    """A scenario file, or a folder of them."""
    path, head = _existing(value, "scenario file or folder", folder=True)
    if head is None:
        return InputPath(value, "folder")
    _check_scenario(value, path, head)
    return InputPath(value, "scenario")


def compare_input(value: str) -> InputPath:
    """A scenario file, a folder of them, or a project file."""
    path, head = _existing(value, "scenario file, folder or project", folder=True)
    if head is None:
        return InputPath(value, "folder")
    if _is_project(path, head):
        return InputPath(value, "project")
    _check_scenario(value, path, head)
    return InputPath(value, "scenario")


# Suffixes of the files coplan reads and writes: an output named for another kind is a slip of the keyboard.
_KNOWN_SUFFIXES = {".toml", ".csv", ".gz", ".xlsx", ".parquet", ".pdf", ".png", ".coplan", ".json"}


def _check_folder_for(value: str, folder: Path) -> None:
    """The folder an output goes into exists and can be written."""
    if folder.is_dir():
        if not os.access(folder, os.W_OK | os.X_OK):
            raise PlannerError(f"{value}: cannot write in the folder {folder} (permission denied)")
        return
    above = folder if os.path.lexists(folder) else _existing_above(folder)
    if not above.is_dir():
        raise PlannerError(f"{value}: {above} is a file, not a folder")
    raise PlannerError(f"{value}: the folder {folder} does not exist")


def output_file(what: str, suffix: str, may_replace: str = "") -> Callable[[str], OutputPath]:
    """A file to write `what` to (e.g. "the PDF report", ".pdf"); its folder must exist."""

    def check(value: str) -> OutputPath:
        path = Path(value)
        if path.suffix.lower() in _KNOWN_SUFFIXES and path.suffix.lower() != suffix:
            raise PlannerError(f"{value}: a name ending in {suffix} is expected for {what}")
        if path.is_dir():
            raise PlannerError(f"{value}: is a folder; give a file name for {what}")
        if os.path.lexists(path) and not path.is_file():
            raise PlannerError(f"{value}: not a regular file; give a file name for {what}")
        _check_folder_for(value, path.parent)
        return OutputPath(value, may_replace)

    check.__name__ = f"file for {what}"
    return check


def output_folder(what: str) -> Callable[[str], OutputPath]:
    """A folder to write `what` into: an existing one, or a new one in a folder that exists."""

    def check(value: str) -> OutputPath:
        path = Path(value)
        if path.is_dir():
            _check_folder_for(value, path)
        elif os.path.lexists(path):
            raise PlannerError(f"{value}: is a file, not a folder; give a folder for {what}")
        else:
            _check_folder_for(value, path.parent)
        return OutputPath(value)

    check.__name__ = f"folder for {what}"
    return check


def _same_file(a: str, b: str) -> bool:
    try:
        return os.path.samefile(a, b)
    except OSError:
        return False


def refuse_overwriting_inputs(args: argparse.Namespace) -> None:
    """An output may not replace a file the same command reads (a plan written over its baseline)."""
    values = [v for x in vars(args).values() for v in (x if isinstance(x, list) else [x])]
    inputs = [v for v in values if isinstance(v, InputPath) and v.kind != "folder"]
    for out in (v for v in values if isinstance(v, OutputPath)):
        for inp in inputs:
            if inp.kind != out.may_replace and _same_file(out, inp):
                raise PlannerError(f"{out}: is also an input of this command; write to another file")


# Numbers and names: argparse reports a bad one as "argument --NAME: ..." on one line.
def whole_number(lo: int, hi: int | None = None) -> Callable[[str], int]:
    expected = f"a whole number from {lo:,} to {hi:,}" if hi is not None else f"a whole number of at least {lo:,}"

    def parse(text: str) -> int:
        try:
            v = int(text.replace("_", ""))
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected {expected}, not {text!r}") from None
        if v < lo or (hi is not None and v > hi):
            raise argparse.ArgumentTypeError(f"expected {expected}, not {text}")
        return v

    return parse


def amount(lo: float, hi: float | None = None, above: bool = False) -> Callable[[str], float]:
    """A finite number >= lo (> lo when `above`), at most hi."""
    if hi is not None:
        expected = f"a number from {lo:g} to {hi:g}" if not above else f"a number above {lo:g}, at most {hi:g}"
    else:
        expected = f"a number above {lo:g}" if above else f"a number of at least {lo:g}"

    def parse(text: str) -> float:
        try:
            v = float(text.replace(",", "").replace("_", "").lstrip("$"))
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected {expected}, not {text!r}") from None
        if not math.isfinite(v) or v < lo or (above and v == lo) or (hi is not None and v > hi):
            raise argparse.ArgumentTypeError(f"expected {expected}, not {text}")
        return v

    return parse


def time_zone(text: str) -> str:
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:
        ZoneInfo(text)
    except (ZoneInfoNotFoundError, ValueError):
        raise argparse.ArgumentTypeError(f"{text!r} is not a time zone; expected a name such as "
                                         f"America/Chicago") from None
    return text


def calendar_date(text: str) -> str:
    try:
        dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a date as YYYY-MM-DD, not {text!r}") from None
    return text


def scheduler_address(text: str) -> str:
    if not re.fullmatch(r"([a-z][a-z0-9+.-]*://)?[^\s/:]+:\d{1,5}", text):
        raise argparse.ArgumentTypeError(f"expected a Dask scheduler address such as tcp://10.0.0.5:8786, "
                                         f"not {text!r}")
    return text


class OneLineParser(argparse.ArgumentParser):
    """argparse, with a usage error as one line (and exit code 2) rather than the usage text and the error."""

    def error(self, message: str):  # type: ignore[override]
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def add_simulation_options(sp: argparse.ArgumentParser, scheduler: bool = True) -> None:
    """The options every command that simulates takes (simulate, compare, project run)."""
    sp.add_argument("--replications", type=whole_number(1, limits.MAX_REPLICATIONS),
                    help="replications (default: the scenario's)")
    sp.add_argument("--seed", type=whole_number(0, limits.MAX_SEED),
                    help="seed (default: the scenario's); same seed, same numbers")
    sp.add_argument("--workers", type=whole_number(1, limits.MAX_WORKERS),
                    help="local worker processes (default: the scenario's, else 1)")
    if scheduler:
        sp.add_argument("--scheduler", metavar="ADDR", type=scheduler_address,
                        help="run replications on a Dask cluster, e.g. tcp://host:8786")
    sp.add_argument("--horizon-days", type=amount(1, limits.MAX_HORIZON_DAYS),
                    help="simulated days per replication (default: the scenario's)")


COMPARE_DESCRIPTION = (
    "Compare scenarios with a baseline. Give scenario files, folders of them, or one .coplan project. The "
    "first scenario is the baseline unless --baseline names another; in a folder, the file named "
    "baseline*.toml comes first (else the first by file name) and the others follow by file name. Files in a "
    "folder that are not scenarios (mappings, calls) are skipped with a note; folders inside it are not "
    "searched. Scenarios that share a name are told apart by their files: 'Name (file.toml)'.")


def build_parser() -> argparse.ArgumentParser:
    p = OneLineParser(prog="coplan", description="Plan social-worker and co-responder staffing "
                                                 "from a department's calls for service.")
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")

    sp = sub.add_parser("profile", help="import a calls export and show what is in it")
    sp.add_argument("calls", type=calls_file, help="CAD export: CSV (optionally .gz), XLSX or Parquet")
    sp.add_argument("--mapping", type=mapping_file, help="mapping file (TOML): columns, options, category rules")
    sp.add_argument("--codes", type=codes_file, help="code table (CSV/XLSX: code, description)")
    sp.add_argument("--tz", type=time_zone, help="agency time zone, e.g. America/Chicago")
    sp.add_argument("--bin-minutes", type=int, default=60, choices=(15, 30, 60))
    sp.add_argument("--top", type=whole_number(0, 100_000), default=20, help="how many unmatched call types to list")
    sp.add_argument("--save-mapping", metavar="FILE", type=output_file("the mapping", ".toml", may_replace="mapping"),
                    help="write the mapping used (detected + yours) to FILE (.toml)")
    sp.add_argument("--rejects", metavar="FILE", type=output_file("the rejected rows", ".csv"),
                    help="write the rejected rows to a CSV file")
    sp.add_argument("--json", action="store_true", help="print JSON instead of the summary")
    sp.set_defaults(func=cmd_profile)

    sp = sub.add_parser("simulate", help="simulate a scenario: KPIs with 95%% intervals")
    sp.add_argument("scenario", type=scenario_file, help="scenario file (TOML)")
    add_simulation_options(sp)
    sp.add_argument("--json", action="store_true", help="print JSON instead of the summary")
    sp.add_argument("--quiet", action="store_true", help="no progress bar")
    sp.set_defaults(func=cmd_simulate)

    from planner.project_cli import add_project_parser

    add_project_parser(sub)

    sp = sub.add_parser("optimize", help="staff a scenario at least cost, or free the most officer hours for a budget")
    sp.add_argument("scenario", type=scenario_file, help="scenario file (TOML)")
    sp.add_argument("--objective", choices=("min-cost", "max-hours-freed"), default="min-cost")
    sp.add_argument("--budget", type=amount(0, limits.MAX_BUDGET), metavar="USD", help="civilian staffing budget a year (max-hours-freed)")
    sp.add_argument("--pareto", type=whole_number(2, limits.MAX_PARETO_POINTS), metavar="N",
                    help="also sweep N budgets: cost vs officer hours freed")
    sp.add_argument("--patrol", choices=("hold", "re-roster"), default="hold",
                    help="max-hours-freed: hold patrol at the scenario's roster (default), or re-roster it at least "
                         "cost for the load civilian units leave it")
    sp.add_argument("--solver-log", metavar="FILE", type=output_file("the solver log", ".log"),
                    help="append the solvers' logs to FILE (they never print to the terminal)")
    sp.add_argument("--bin-minutes", type=int, default=60, choices=(15, 30, 60))
    sp.add_argument("--time-limit", type=amount(0, limits.MAX_TIME_LIMIT, above=True), default=30.0,
                    help="seconds per solve (default 30)")
    sp.add_argument("--simulate-check", action="store_true",
                    help="simulate the plan and raise the requirement where it misses, until it holds")
    sp.add_argument("--check-replications", type=whole_number(1, limits.MAX_REPLICATIONS), default=4)
    sp.add_argument("--check-horizon-days", type=amount(1, limits.MAX_HORIZON_DAYS))
    sp.add_argument("--out-scenario", metavar="FILE", type=output_file("the plan", ".toml"),
                    help="write the plan as a scenario coplan simulate can run; it is named after the scenario, "
                         "the objective and the budget, so plans from one baseline keep distinct names")
    sp.add_argument("--json", action="store_true", help="print JSON instead of the summary")
    sp.add_argument("--quiet", action="store_true", help="no progress bar")
    sp.set_defaults(func=cmd_optimize)

    sp = sub.add_parser("compare", help="compare scenarios with a baseline; write PDF, Excel and PNG reports",
                        description=COMPARE_DESCRIPTION)
    sp.add_argument("inputs", nargs="+", metavar="SCENARIO_OR_PROJECT", type=compare_input,
                    help="scenario files or folders (the first scenario is the baseline), or one .coplan project")
    sp.add_argument("--baseline", metavar="NAME", help="the baseline: a scenario's name, or its file name")
    sp.add_argument("--pdf", metavar="FILE", type=output_file("the PDF report", ".pdf"), help="write the report as PDF")
    sp.add_argument("--xlsx", metavar="FILE", type=output_file("the workbook", ".xlsx"), help="write the workbook")
    sp.add_argument("--png-dir", metavar="DIR", type=output_folder("the charts"),
                    help="write every chart as a PNG into DIR (made if it does not exist)")
    sp.add_argument("--json", action="store_true", help="print JSON instead of the table")
    add_simulation_options(sp, scheduler=False)
    sp.add_argument("--quiet", action="store_true", help="no progress bar")
    sp.set_defaults(func=cmd_compare)

    sp = sub.add_parser("template", help="list programme templates, or apply one to a scenario")
    tsub = sp.add_subparsers(dest="action", required=True, metavar="ACTION")
    tsub.add_parser("list", help="the templates and the programmes they model")
    ta = tsub.add_parser("apply", help="add a template's team to a scenario, sized to its city")
    ta.add_argument("template", help="template key (see coplan template list)")
    ta.add_argument("base", type=scenario_file, help="the scenario to start from, e.g. the city's baseline")
    ta.add_argument("--out", required=True, type=output_file("the scenario", ".toml"), help="scenario file to write")
    sp.set_defaults(func=cmd_template)

    sp = sub.add_parser("baseline", help="propose a first baseline scenario sized from a calls export",
                        description="Write a first baseline scenario sized from a calls export: officers on duty by "
                                    "hour of the week from Erlang C and the rule of 60 on the load the calls show, "
                                    "as a roster a department can run, with reference costs and the programme "
                                    "policy defaults. It is a proposal: replace its roster with the real one.")
    sp.add_argument("calls", type=calls_file, help="CAD export: CSV (optionally .gz), XLSX or Parquet")
    sp.add_argument("--mapping", type=mapping_file, help="mapping file (TOML): columns, options, category rules")
    sp.add_argument("--codes", type=codes_file, help="code table (CSV/XLSX: code, description)")
    sp.add_argument("--tz", type=time_zone, help="agency time zone, e.g. America/Chicago")
    sp.add_argument("--out", required=True, type=output_file("the scenario", ".toml"), help="scenario file to write")
    sp.set_defaults(func=cmd_baseline)

    sp = sub.add_parser("validate", help="check a scenario file")
    sp.add_argument("scenario", type=scenario_file, help="scenario file (TOML)")
    sp.set_defaults(func=cmd_validate)

    sp = sub.add_parser("sample", help="write a synthetic CAD export (seeded) and its code table")
    sp.add_argument("--out", required=True, type=output_folder("the sample"),
                    help="folder to write calls.csv and codes.csv into (made if it does not exist)")
    sp.add_argument("--calls-per-year", type=whole_number(1, limits.MAX_CALLS_PER_YEAR), default=60000)
    sp.add_argument("--days", type=whole_number(1, limits.MAX_HORIZON_DAYS), default=365)
    sp.add_argument("--seed", type=whole_number(0, limits.MAX_SEED), default=1)
    sp.add_argument("--start", type=calendar_date, default="2025-01-01", help="first day, YYYY-MM-DD")
    sp.add_argument("--gzip", action="store_true", help="write calls.csv.gz")
    sp.set_defaults(func=cmd_sample)
    return p


def expected_error(e: BaseException) -> str | None:
    """The one line to print for an error a user can fix; None for anything else (a bug: let it show)."""
    if isinstance(e, PlannerError):
        line = str(e)
    elif isinstance(e, OSError):
        line = describe_os_error(e)
    else:
        # The engines' own errors name the input they cannot use. They can only have been raised if the
        # engine was imported.
        engines = (getattr(sys.modules.get(m), c, None) for m, c in (("simulation", "SimulationError"),
                                                                     ("optimize", "OptimizeError")))
        if not any(isinstance(cls, type) and isinstance(e, cls) for cls in engines):
            return None
        line = str(e)
    line = " ".join(line.split())
    return line if len(line) <= 1000 else line[:1000] + "..."


# Control characters (escape sequences, bidirectional overrides) in a scenario name, a file name or a call
# type would reach the terminal and act there: everything the CLI writes shows them escaped instead.
_UNSAFE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def printable(text: str) -> str:
    """`text` with every control character but tab, newline and a leading carriage return as \\xNN / \\uNNNN."""
    head = "\r" if text.startswith("\r") else ""
    body = _UNSAFE.sub(lambda m: m[0].encode("unicode_escape").decode("ascii"), text[len(head):])
    return head + body


class PrintableStream:
    """A text stream that writes through `printable` (a progress bar's leading carriage return is kept)."""

    def __init__(self, stream):
        self.stream = stream

    def write(self, text: str) -> int:
        self.stream.write(printable(text))
        return len(text)

    def __getattr__(self, name: str):
        return getattr(self.stream, name)


def main(argv: list[str] | None = None) -> int:
    if argv is None:                     # run as the program: a stuck cancel ends the process (planner.jobs)
        from planner import jobs

        jobs.hard_exit_on_cancel = True
    streams = sys.stdout, sys.stderr
    sys.stdout, sys.stderr = PrintableStream(sys.stdout), PrintableStream(sys.stderr)
    try:
        return _main(argv)
    finally:
        sys.stdout, sys.stderr = streams


def _main(argv: list[str] | None) -> int:
    try:
        args = build_parser().parse_args(argv)
        refuse_overwriting_inputs(args)
        return int(args.func(args) or 0)
    except KeyboardInterrupt:
        print("coplan: cancelled", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0
    except Exception as e:
        line = expected_error(e)
        if line is None:
            raise
        print(f"coplan: error: {line}", file=sys.stderr)
        return EXIT_USAGE


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
