"""`coplan project new|import|add-scenario|run|list`: project files from the command line.

Every action that changes a project saves it (atomically) before it returns, and says what it did only
after the save. An action holds the project's lock from reading the file to saving it, so two at once take
turns and neither's change is lost; `run` simulates without it and stores its runs into the file as it is then.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from planner.errors import ProjectError


def cmd_new(args: argparse.Namespace) -> int:
    from planner.project import Project, project_lock

    path = Path(args.file)
    with project_lock(path):             # two `new` at once: the second finds the first's file
        if path.exists():
            raise ProjectError(f"{path}: already exists; coplan project new does not overwrite a file")
        Project.new(args.name or path.stem).save(path)
    print(f"created project {args.name or path.stem!r} in {path}")
    return 0


def cmd_import(args: argparse.Namespace) -> int:
    from planner.project import Project, open_project, project_lock

    open_project(args.file)      # a file that is not a project is refused before the import's work
    r = Project.new("import").import_calls(args.calls, args.mapping, codes=args.codes, tz=args.tz)
    with project_lock(args.file):
        project = open_project(args.file)
        had_runs = bool(project.runs)
        project.set_calls(r)
        added = project.add_first_baseline() if not project.scenarios else None
        project.save()
    print(f"{args.file}: imported {r.calls_imported:,} calls from {Path(args.calls).name} "
          f"({r.rows_read:,} rows read, {r.rows_merged:,} were extra units of a call, {r.rows_rejected:,} rejected)")
    for reason, n in r.rejections().items():
        print(f"  {n:>8,} rejected: {reason}")
    if had_runs:
        print("  saved runs planned for the calls the project held before; run the scenarios again to update them")
    if added is not None:
        print(f"  added the first scenario {added.scenario.name!r}, sized from these calls: "
              f"{added.roster_explanation}; it is a proposal: replace its officer roster with the department's "
              f"real one (coplan project add-scenario --replace, or the app's Staffing page)")
    return 0


def cmd_add_scenario(args: argparse.Namespace) -> int:
    """Add scenario files (folders expanded as `coplan compare` does). A project tells its scenarios apart
    by name: a different scenario under a name the project already has is refused, naming both, unless
    --replace; the same scenario added again changes nothing."""
    from planner.cli import scenario_paths
    from planner.project import project_lock

    files, notes = scenario_paths(args.scenarios)
    with project_lock(args.file):     # a second writer waits: neither's scenarios are lost
        return _add_scenarios(args, files, notes)


def _add_scenarios(args: argparse.Namespace, files: list[Path], notes: list[str]) -> int:
    from planner.limits import check_scenario_limits
    from planner.project import Project, open_project, scenario_to_toml
    from planner.scenario import load_scenario

    project = open_project(args.file)
    named: dict[str, Path] = {}
    loaded = []
    for f in files:
        s = load_scenario(f)
        check_scenario_limits(s.raw, str(f))
        if s.name in named:
            raise ProjectError(f"{named[s.name]} and {f} both name their scenario {s.name!r}; give one of them "
                               f"another name (name = \"...\" in the file)")
        named[s.name] = f
        # The scenario as the project would store it (its data paths dropped), to see whether it differs.
        text = scenario_to_toml(Project.new("check").add_scenario(s))
        same = s.name in project.scenarios and text == scenario_to_toml(project.scenarios[s.name])
        if s.name in project.scenarios and not same and not args.replace:
            raise ProjectError(f"{f} names its scenario {s.name!r}, and {args.file} already has a different "
                               f"scenario of that name; give it another name (name = \"...\" in the file), or add "
                               f"--replace to replace the project's")
        loaded.append((f, s, same))
    for note in notes:
        print(f"coplan project add-scenario: {note}", file=sys.stderr)
    added = []
    for f, s, same in loaded:
        verb = "replaced" if s.name in project.scenarios else "added"
        stored = project.add_scenario(s)
        saved = project.runs.get(stored.name)
        stale = saved is not None and saved.scenario_toml != scenario_to_toml(stored)
        if stale:
            # The saved run was of the scenario as it was: kept, it would show old results under the new one.
            del project.runs[stored.name]
        added.append((stored.name, verb, f, same, stale))
    project.save()
    for name, verb, f, same, stale in added:
        why = ("; the same as the project's" if same else
               "; its saved run was of the earlier version and was dropped: run it again" if stale else "")
        print(f"{args.file}: {verb} scenario {name!r} (from {Path(f).name}){why}")
    return 0


def _resolve(project, token: str) -> str:
    """A scenario named by its name or by its number in `coplan project list`."""
    if token in project.scenarios:
        return token
    names = list(project.scenarios)
    if token.isdigit() and 1 <= int(token) <= len(names):
        return names[int(token) - 1]
    folded = [n for n in names if n.casefold() == token.casefold()]
    if len(folded) == 1:
        return folded[0]
    known = "; ".join(f"{i}. {n}" for i, n in enumerate(names, start=1)) or "none yet"
    raise ProjectError(f"{project.label}: no scenario {token!r}; the project has {known}")


def cmd_run(args: argparse.Namespace) -> int:
    from planner.jobs import run_in_terminal
    from planner.project import open_project, store_runs

    project = open_project(args.file)
    names = [_resolve(project, t) for t in args.scenarios] if args.scenarios else None
    job = project.run(names, replications=args.replications, seed=args.seed, workers=args.workers,
                      horizon_days=args.horizon_days, scheduler=args.scheduler)
    runs = run_in_terminal(job, "run", quiet=args.quiet)
    # Stored into the file as it is now: scenarios another process added meanwhile are kept.
    notes = store_runs(project, runs)
    for note in notes:
        print(f"coplan project run: {note}", file=sys.stderr)
    stored = [saved for name, saved in runs.items() if project.runs.get(name) is saved]
    for saved in stored:
        sys.stdout.write(_format_run(saved, current=True))
    print(f"saved {len(stored)} run{'s' if len(stored) != 1 else ''} in {args.file}")
    return 0




_HEADLINE_WORDS = {
    "officer_hours_on_calls": ("officer hours on calls a year", "hours"),
    "calls_unanswered": ("calls left unanswered a year", "calls"),
    "officer_utilisation": ("officer time committed to calls", "share"),
    "response_minutes_p90": ("response time P90", "minutes"),
    "fallback_to_officer": ("eligible calls that fell back to an officer a year", "calls"),
    "total_annual_cost": ("total annual cost", "USD"),
}


def _format_run(saved, current: bool) -> str:
    from planner.compare import format_value

    r = saved.run
    stale = "" if current else "  [planned for calls the project no longer holds]"
    lines = [f"  {saved.name}: run {saved.created_at:%Y-%m-%d %H:%M} UTC, {r.replications} replications of "
             f"{r.horizon_days:g} days, seed {r.seed}{stale}"]
    if r.warnings:
        lines.append(f"      Overloaded: {'; '.join(r.warnings)}")
    for k, v in saved.headline().items():
        label, unit = _HEADLINE_WORDS[k]
        lines.append(f"      {label:<52}{format_value(v['mean'], unit):>14}  "
                     f"({format_value(v['ci_low'], unit)} to {format_value(v['ci_high'], unit)})")
    return "\n".join(lines) + "\n"


def project_summary(project) -> dict[str, Any]:
    """What `coplan project list --json` prints."""
    from planner.project import SCHEMA_VERSION

    calls = None
    if project.imported is not None:
        r = project.imported
        t = r.calls["received_at"]
        calls = {"source": r.source.name if r.source else None, "calls": r.calls_imported, "rows_read": r.rows_read,
                 "rows_merged": r.rows_merged, "rows_rejected": r.rows_rejected, "rejections": r.rejections(),
                 "timezone": r.timezone, "imported_at": project.imported_at.isoformat(),
                 "period": {"start": t.min().isoformat() if len(t) else None,
                            "end": t.max().isoformat() if len(t) else None},
                 "notes": list(r.notes)}
    scenarios = [{"number": i, "name": s.name, "description": s.description}
                 for i, s in enumerate(project.scenarios.values(), start=1)]
    runs = []
    for name, saved in project.runs.items():
        r = saved.run
        runs.append({"scenario": name, "created_at": saved.created_at.isoformat(), "warnings": list(r.warnings),
                     "calls_current": project.run_is_current(name), "replications": r.replications,
                     "seed": r.seed, "horizon_days": r.horizon_days, "warmup_days": r.warmup_days,
                     "coplan_version": saved.coplan_version, "kpis": saved.headline()})
    return {"project": project.name, "schema": SCHEMA_VERSION, "created_at": project.created_at.isoformat(),
            "calls": calls, "scenarios": scenarios, "runs": runs}


def cmd_list(args: argparse.Namespace) -> int:
    from planner.project import open_project

    project = open_project(args.file)
    s = project_summary(project)
    if args.json:
        json.dump(s, sys.stdout, indent=2)
        sys.stdout.write("\n")
        return 0
    out = [f"coplan project {s['project']!r} ({args.file}), created {project.created_at:%Y-%m-%d %H:%M} UTC", ""]
    c = s["calls"]
    if c is None:
        out.append("Calls: none imported yet (coplan project import FILE CALLS)")
    else:
        out.append(f"Calls: {c['calls']:,} from {c['source']} ({c['rows_read']:,} rows read, {c['rows_rejected']:,} "
                   f"rejected), {c['period']['start'][:10]} to {c['period']['end'][:10]}, "
                   f"imported {project.imported_at:%Y-%m-%d %H:%M} UTC")
    out.append("")
    out.append(f"Scenarios ({len(s['scenarios'])}):" if s["scenarios"] else
               "Scenarios: none yet (coplan project add-scenario FILE SCENARIO.toml)")
    out += [f"  {e['number']}. {e['name']}" for e in s["scenarios"]]
    out.append("")
    out.append(f"Runs ({len(s['runs'])}):" if s["runs"] else "Runs: none yet (coplan project run FILE)")
    sys.stdout.write("\n".join(out) + "\n")
    for name, saved in project.runs.items():
        sys.stdout.write(_format_run(saved, project.run_is_current(name)))
    return 0


def add_project_parser(subparsers) -> argparse.ArgumentParser:
    """Add `coplan project ACTION ...` to the top-level subcommands."""
    p = subparsers.add_parser("project", help="project files: calls, scenarios and saved runs in one file")
    sub = p.add_subparsers(dest="action", required=True, metavar="ACTION")

    from planner.cli import (
        add_simulation_options,
        calls_file,
        codes_file,
        mapping_file,
        output_file,
        project_file,
        scenario_or_folder,
        time_zone,
    )

    sp = sub.add_parser("new", help="create an empty project file")
    sp.add_argument("file", type=output_file("the project", ".coplan"), help="project file to create (.coplan)")
    sp.add_argument("--name", help="project name (default: the file name)")
    sp.set_defaults(func=cmd_new)

    sp = sub.add_parser("import", help="import a calls export into a project (replacing its calls)")
    sp.add_argument("file", type=project_file, help="project file (.coplan)")
    sp.add_argument("calls", type=calls_file, help="CAD export: CSV (optionally .gz), XLSX or Parquet")
    sp.add_argument("--mapping", type=mapping_file, help="mapping file (TOML): columns, options, category rules")
    sp.add_argument("--codes", type=codes_file, help="code table (CSV/XLSX: code, description)")
    sp.add_argument("--tz", type=time_zone, help="agency time zone, e.g. America/Chicago")
    sp.set_defaults(func=cmd_import)

    sp = sub.add_parser("add-scenario", help="add scenario files, or folders of them, to a project",
                        description="Add scenario files to a project. A folder adds every scenario in it (the "
                                    "file named baseline*.toml first, the others by file name); files in it that "
                                    "are not scenarios are skipped with a note. A different scenario under a name "
                                    "the project already has is refused, unless --replace; the same scenario "
                                    "added again changes nothing.")
    sp.add_argument("file", type=project_file, help="project file (.coplan)")
    sp.add_argument("scenarios", nargs="+", metavar="SCENARIO", type=scenario_or_folder,
                    help="scenario file (TOML) or a folder of them")
    sp.add_argument("--replace", action="store_true",
                    help="replace a different scenario of the same name in the project (its saved run is "
                         "dropped)")
    sp.set_defaults(func=cmd_add_scenario)

    sp = sub.add_parser("run", help="simulate and cost scenarios on the project's calls; results are saved in it")
    sp.add_argument("file", type=project_file, help="project file (.coplan)")
    sp.add_argument("scenarios", nargs="*", metavar="SCENARIO",
                    help="scenario name or number from `coplan project list` (default: all)")
    add_simulation_options(sp)
    sp.add_argument("--quiet", action="store_true", help="no progress bar")
    sp.set_defaults(func=cmd_run)

    sp = sub.add_parser("list", help="show a project's calls, scenarios and saved runs")
    sp.add_argument("file", type=project_file, help="project file (.coplan)")
    sp.add_argument("--json", action="store_true", help="print JSON instead of the summary")
    sp.set_defaults(func=cmd_list)
    return p
