"""Scenarios against a baseline: KPI table with deltas and 95% intervals, and the plain-words summary.

A scenario is evaluated once (simulated, then costed); comparison needs no further simulation. Runs
with the same seed and number of replications share their random numbers replication by replication
(common random numbers), so their differences are taken pairwise, which is what makes small effects
visible; otherwise the interval of a difference is Welch's. A difference whose 95% interval contains
zero is reported as inside the noise, in those words.

Officer hours freed is the one definition of planner.simulate.officer_hours_freed_rows: the officer time the
calls civilian units answered would have taken, plus repeat calls avoided, minus officer time backing them up,
measured in each scenario's own run; a scenario with no civilian units frees none, whatever its patrol does.
An overloaded scenario (planner.overload) is flagged in `Comparison.warnings`, and its summary sentence starts
with "Overloaded:" and claims no hours freed and no savings.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Generator
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
import pandas as pd

from planner.costs import (
    CostSummary,
    cost_summary,
    full_time_equivalents,
    officer_hours_per_call,
    productive_hours_per_year,
    staffing_table,
)
from planner.demand import Demand, build_demand, load_calls
from planner.errors import PlannerError
from planner.jobs import Progress
from planner.scenario import FALLBACK_TYPE, Scenario
from planner.simulate import (
    SimulationRun,
    officer_hours_freed_rows,
    officer_minutes_per_call,
    simulate,
    summarise,
)
from simulation import t_quantile


@dataclass
class Evaluation:
    """One scenario, simulated and costed: everything the comparison, charts and reports need."""

    scenario: Scenario
    run: SimulationRun
    costs: CostSummary
    demand: Demand | None = None     # the calls it planned for (data quality, sources of time on scene)
    notes: list[str] = field(default_factory=list)

    @property
    def name(self) -> str:
        return self.scenario.name

    def rows(self) -> pd.DataFrame:
        """Per-replication simulation and cost figures side by side, with officer hours freed (the run's own,
        or worked out from its records and the demand for a run saved before runs kept it; NaN without either)."""
        run = self.run.replication_kpis.reset_index(drop=True)
        cost = self.costs.per_replication.reset_index(drop=True)
        rows = pd.concat([run, cost.drop(columns=[c for c in cost.columns if c in run.columns])], axis=1)
        if "officer_hours_freed" not in rows:
            minutes = officer_minutes_per_call(self.scenario, self.demand) if self.demand is not None else None
            freed = officer_hours_freed_rows(self.run, self.scenario, minutes)
            for column in freed.columns:
                if column not in rows:
                    rows[column] = freed[column].to_numpy()[:len(rows)]
        return rows

    @property
    def warnings(self) -> list[str]:
        """Why the scenario is overloaded (planner.overload); empty when it is sound."""
        return list(self.run.warnings)


def evaluate(scenario: Scenario, demand: Demand | None = None, **sim_options) -> Generator[Progress, None, Evaluation]:
    """Simulate and cost one scenario (a job: yields Progress, returns the Evaluation)."""
    if demand is None:
        yield Progress(0, 0, f"{scenario.name}: importing calls")
        demand = build_demand(scenario, load_calls(scenario))
    run = yield from simulate(scenario, demand, **sim_options)
    costs = cost_summary(scenario, run, officer_hours_per_call(demand, scenario))
    return Evaluation(scenario, run, costs, demand)


def checked(e: Evaluation) -> Evaluation:
    """The evaluation with its overload check done (runs saved before coplan kept it): from the demand when it
    is at hand, else from what the run itself shows (calls unanswered, a growing queue)."""
    if e.run.officer_load_by_bin is not None:
        return e
    from planner.overload import assess, run_reasons

    if e.demand is not None:
        check = assess(e.scenario, e.demand, e.run)
        e.run.officer_load_by_bin, e.run.officer_capacity_by_bin = check.load, check.capacity
        e.run.warnings = list(check.reasons)
    elif not e.run.warnings:
        e.run.warnings = run_reasons(e.run)
    return e


def evaluate_all(scenarios: list[Scenario], **sim_options) -> Generator[Progress, None, list[Evaluation]]:
    """Evaluate several scenarios; each distinct export is imported once, demand built per scenario
    (its own times on scene and priorities)."""
    imported: dict[tuple, object] = {}
    out = []
    for i, s in enumerate(scenarios):
        key = tuple(str(p.resolve()) if p else None for p in (s.data.calls, s.data.mapping, s.data.codes)) + (
            s.data.timezone,)
        if key not in imported:
            yield Progress(i, len(scenarios), f"{s.name}: importing calls")
            imported[key] = load_calls(s)
        job = evaluate(s, build_demand(s, imported[key]), **sim_options)
        while True:
            try:
                p = next(job)
            except StopIteration as stop:
                out.append(stop.value)
                break
            yield Progress(i, len(scenarios), f"{s.name}: {p.message}")
    return out


def with_distinct_names(scenarios: list[Scenario]) -> list[Scenario]:
    """Scenarios that share a name, told apart by their files: 'Name (plan_a.toml)' (with as much of the
    path as it takes). A comparison is by name: two scenarios of one name would be merged into one."""
    out = list(scenarios)
    for name, n in Counter(s.name for s in scenarios).items():
        if n < 2:
            continue
        group = [i for i, s in enumerate(scenarios) if s.name == name]
        for i, tag in zip(group, _distinct_tails([scenarios[i].path for i in group]), strict=True):
            out[i] = replace(scenarios[i], name=f"{name} ({tag})")
    # A name made here may be one another scenario already has ("Name (a.toml)"): number what still clashes.
    for name, n in Counter(s.name for s in out).items():
        if n > 1:
            group = [i for i, s in enumerate(out) if s.name == name]
            for k, i in enumerate(group, start=1):
                out[i] = replace(out[i], name=f"{name} [{k}]")
    return out


def _distinct_tails(paths: list[Path | None]) -> list[str]:
    """The shortest ends of the paths that differ ('a.toml', 'x/plan.toml'); numbers when they cannot."""
    known = [p for p in paths if p is not None]
    if len(known) == len(paths):
        for d in range(1, max(len(p.parts) for p in known) + 1):
            tails = [Path(*p.parts[-d:]).as_posix() for p in known]
            if len(set(tails)) == len(tails):
                return tails
    return [str(k) for k in range(1, len(paths) + 1)]


# The KPI table: (name, label, unit, which way is better). `{t}` expands per responder type.
KPIS: list[tuple[str, str, str, str]] = [
    ("officer_hours_freed", "Officer hours freed a year", "hours", "higher"),
    ("officer_fte_freed", "Officer hours freed, as full-time officers", "people", "higher"),
    ("cost_per_officer_hour_freed", "Net cost per officer hour freed", "USD", "lower"),
    ("officer_hours_carried_by_civilians", "Officer time of calls civilians answered", "hours", "higher"),
    ("officer_hours_saved_by_phone_triage", "Officer time of calls resolved by phone", "hours", "higher"),
    ("officer_hours_on_backup", "Officer hours backing up civilian units", "hours", "lower"),
    ("officer_hours_on_calls", "Officer hours on calls a year", "hours", "lower"),
    ("officer_utilisation", "Officer time committed to calls", "share", "lower"),
    ("calls_offered", "Calls offered a year", "calls", ""),
    ("calls_unanswered", "Calls left unanswered a year", "calls", "lower"),
    ("response_minutes_p50", "Response time, median (all calls)", "minutes", "lower"),
    ("response_minutes_p90", "Response time, 90th percentile (all calls)", "minutes", "lower"),
    ("response_minutes_p90_by_priority.1", "Response time P90, priority 1", "minutes", "lower"),
    ("response_minutes_p50_police_only", "Police-only calls: response, median", "minutes", "lower"),
    ("response_minutes_p90_police_only", "Police-only calls: response, P90", "minutes", "lower"),
    ("response_minutes_p90_police_only_by_priority.1", "Police-only priority 1: response, P90", "minutes",
     "lower"),
    ("response_minutes_p50_diverted", "Civilian-route calls: response, median", "minutes", "lower"),
    ("response_minutes_p90_diverted", "Civilian-route calls: response, P90", "minutes", "lower"),
    ("calls_by_responder_type.{t}", "Calls answered by {label}", "calls", ""),
    ("fallback_to_officer", "Eligible calls that fell back to an officer", "calls", "lower"),
    ("utilisation.{t}", "Utilisation of {label}", "share", ""),
    ("overtime_hours_total", "Overtime hours a year", "hours", "lower"),
    ("headcount.{t}", "Headcount: {label}", "people", ""),
    ("staffing_cost_total", "Staffing cost a year (incl. overtime)", "USD", "lower"),
    ("downstream_cost_total", "Downstream cost a year (arrests, bookings, ER)", "USD", "lower"),
    ("outcomes.arrest", "Arrests a year", "calls", "lower"),
    ("outcomes.jail_booking", "Jail bookings a year", "calls", "lower"),
    ("outcomes.er_transport", "ER transports a year", "calls", "lower"),
    ("repeat_calls_avoided", "Repeat calls avoided a year", "calls", "higher"),
    ("total_annual_cost", "Total annual cost", "USD", "lower"),
    ("cost_per_call", "Cost per call", "USD", "lower"),
]


@dataclass
class Comparison:
    """The long-form table (one row per scenario and KPI) and the baseline it is against."""

    baseline: str
    scenarios: list[str]
    table: pd.DataFrame          # kpi, label, unit, better, scenario, mean, ci_low, ci_high, delta, delta_low,
                                 # delta_high, clear (difference outside the noise), paired
    evaluations: list[Evaluation]

    @property
    def warnings(self) -> dict[str, list[str]]:
        """Scenario name -> why it is overloaded, one line each (an empty list for a sound scenario)."""
        return {e.name: e.warnings for e in self.evaluations}

    def overloaded(self, scenario: str) -> bool:
        return bool(self.warnings.get(scenario))

    def wide(self) -> pd.DataFrame:
        """KPI x scenario means, in table order (for display and the workbook)."""
        w = self.table.pivot_table(index=["kpi", "label", "unit"], columns="scenario", values="mean", sort=False)
        return w[self.scenarios]

    def row(self, scenario: str, kpi: str) -> pd.Series:
        t = self.table
        return t[(t["scenario"] == scenario) & (t["kpi"] == kpi)].iloc[0]

    def summary(self) -> list[str]:
        """One plain sentence per option: what it adds, the officer hours it frees, and the net cost."""
        return [summary_sentence(self, s) for s in self.scenarios if s != self.baseline]


def _delta(a: pd.Series, b: pd.Series, paired: bool) -> tuple[float, float, float]:
    """Difference a - b with a 95% interval: pairwise when paired, else Welch."""
    if paired:
        d = (a.to_numpy(dtype=float) - b.to_numpy(dtype=float))
        d = d[~np.isnan(d)]
        if len(d) == 0:
            return (math.nan,) * 3
        s = summarise(pd.DataFrame({"d": d})).loc["d"]
        return float(s["mean"]), float(s["ci_low"]), float(s["ci_high"])
    a, b = a.dropna().to_numpy(dtype=float), b.dropna().to_numpy(dtype=float)
    if not len(a) or not len(b):
        return (math.nan,) * 3
    m = a.mean() - b.mean()
    if len(a) < 2 or len(b) < 2:
        return float(m), float(m), float(m)
    va, vb = a.var(ddof=1) / len(a), b.var(ddof=1) / len(b)
    se = math.sqrt(va + vb)
    if se == 0:
        return float(m), float(m), float(m)
    df = (va + vb) ** 2 / ((va ** 2) / (len(a) - 1) + (vb ** 2) / (len(b) - 1))
    h = t_quantile(0.975, df) * se
    return float(m), float(m - h), float(m + h)


def _expand(types: list[str], labels: dict[str, str]) -> list[tuple[str, str, str, str]]:
    out = []
    for name, label, unit, better in KPIS:
        if "{t}" in name:
            for t in types:
                out.append((name.format(t=t), label.format(label=plain_label(labels[t])), unit, better))
        else:
            out.append((name, label, unit, better))
    return out


def compare(evaluations: list[Evaluation], baseline: str | None = None) -> Comparison:
    """Every scenario's KPIs against the baseline's (the first scenario when none is named)."""
    if not evaluations:
        raise ValueError("nothing to compare")
    names = [e.name for e in evaluations]
    counts = Counter(names)
    shared = [n for n in names if counts[n] > 1]
    if shared:
        # One name would be one column: the scenarios would be merged (see with_distinct_names).
        raise PlannerError(f"{counts[shared[0]]} scenarios are named {shared[0]!r}; give them distinct names "
                           f"to compare them")
    baseline = baseline or names[0]
    if baseline not in names:
        raise PlannerError(f"baseline {baseline!r} is not among the scenarios {names}")
    evaluations = [checked(e) for e in evaluations]
    base = next(e for e in evaluations if e.name == baseline)
    base_rows = base.rows()
    types = list(dict.fromkeys(t for e in evaluations for t in e.scenario.responders))
    labels = {t: next(e.scenario.responders[t].label for e in evaluations if t in e.scenario.responders) for t in types}
    def with_every_type(rows: pd.DataFrame, scenario: Scenario) -> pd.DataFrame:
        """A type a scenario does not have answers no calls and spends no hours (exactly 0); its
        utilisation is undefined. Templates add their own types, so scenarios differ in their types."""
        for t in types:
            if t in scenario.responders:
                continue
            for prefix in ("calls_by_responder_type.", "hours_on_calls.", "overtime_hours.",
                           "overtime_cost.", "staffing_cost."):
                rows[prefix + t] = 0.0
            rows["utilisation." + t] = np.nan
        return rows

    base_rows = with_every_type(base_rows, base.scenario)
    records = []
    for e in evaluations:
        rows = with_every_type(e.rows(), e.scenario)
        staff = staffing_table(e.scenario)
        for t in types:
            rows[f"headcount.{t}"] = float(staff.loc[t, "headcount"]) if t in staff.index else 0.0
        paired = (e.run.seed == base.run.seed and e.run.replications == base.run.replications)
        b = base_rows.copy()
        for t in types:
            b[f"headcount.{t}"] = float(staffing_table(base.scenario).loc[t, "headcount"]) \
                if t in base.scenario.responders else 0.0
        # Officer hours freed is measured in each run (module docstring), so its change against the baseline
        # is its own value less the baseline's (which is zero unless the baseline has civilian units).
        officer = e.scenario.responders[FALLBACK_TYPE]
        rows["officer_fte_freed"] = rows["officer_hours_freed"] / productive_hours_per_year(officer)
        b["officer_fte_freed"] = b["officer_hours_freed"] / productive_hours_per_year(base.scenario.responders[
            FALLBACK_TYPE])
        summary = summarise(rows)
        for name, label, unit, better in _expand(types, labels):
            if name == "cost_per_officer_hour_freed":
                continue   # a ratio of two changes: added below, once the changes are known
            if name not in rows:
                continue
            s = summary.loc[name]
            d = _delta(rows[name], b[name], paired) if name in b else (math.nan,) * 3
            clear = bool(not (d[1] <= 0 <= d[2])) if not any(math.isnan(x) for x in d) else False
            if e.name == baseline:
                d, clear = (0.0, 0.0, 0.0), False
            records.append({"kpi": name, "label": label, "unit": unit, "better": better, "scenario": e.name,
                            "mean": float(s["mean"]), "ci_low": float(s["ci_low"]), "ci_high": float(s["ci_high"]),
                            "delta": d[0], "delta_low": d[1], "delta_high": d[2], "clear": clear,
                            "paired": paired})
    table = pd.DataFrame(records)
    table = _with_cost_per_hour(table, names, baseline)
    return Comparison(baseline=baseline, scenarios=names, table=table, evaluations=evaluations)


def _with_cost_per_hour(table: pd.DataFrame, names: list[str], baseline: str) -> pd.DataFrame:
    """Add each option's net cost per officer hour freed: the change in total annual cost over the hours it
    frees (means; no interval of its own: see the intervals of the two figures it divides). NaN when the
    option frees no clear hours."""
    if table.empty or "officer_hours_freed" not in set(table["kpi"]):
        return table
    rows = []
    for name in names:
        t = table[table["scenario"] == name]
        freed = t[t["kpi"] == "officer_hours_freed"].iloc[0]
        cost = t[t["kpi"] == "total_annual_cost"].iloc[0] if (t["kpi"] == "total_annual_cost").any() else None
        value = math.nan
        if name != baseline and cost is not None and freed["clear"] and freed["delta"] > 0:
            value = float(cost["delta"]) / float(freed["delta"])
        change = 0.0 if name == baseline else math.nan   # the baseline against itself: no change
        rows.append({"kpi": "cost_per_officer_hour_freed", "label": "Net cost per officer hour freed", "unit": "USD",
                     "better": "lower", "scenario": name, "mean": value, "ci_low": math.nan, "ci_high": math.nan,
                     "delta": change, "delta_low": change, "delta_high": change, "clear": False,
                     "paired": bool(freed["paired"])})
    extra = pd.DataFrame(rows)
    # Keep the table's KPI order: the ratio sits right after the hours freed and their FTE.
    order = list(dict.fromkeys(table["kpi"]))
    anchor = "officer_fte_freed" if "officer_fte_freed" in order else "officer_hours_freed"
    order.insert(order.index(anchor) + 1, "cost_per_officer_hour_freed")
    out = pd.concat([table, extra], ignore_index=True)
    out["_order"] = out["kpi"].map({k: i for i, k in enumerate(order)})
    out["_scenario"] = out["scenario"].map({n: i for i, n in enumerate(names)})
    out = out.sort_values(["_scenario", "_order"], kind="stable")
    return out.drop(columns=["_order", "_scenario"]).reset_index(drop=True)


def plain_label(label: str) -> str:
    """'Social worker (civilian ...)' -> 'social worker'; acronyms such as 'STAR team' keep their capitals."""
    short = label.split(" (")[0]
    first = short.split(" ")[0]
    return short if first.isupper() or any(ch.isupper() for ch in first[1:]) else short[:1].lower() + short[1:]


def describe_delta(row: pd.Series) -> str:
    """'+1,234 (+1,100 to +1,370)' or 'no clear difference (inside the noise)'."""
    if row["scenario"] == "" or math.isnan(row["delta"]):
        return "-"
    if row["delta"] == 0 and row["delta_low"] == 0 and row["delta_high"] == 0:
        return "no change"
    if not row["clear"]:
        return "no clear difference (inside the noise)"
    return f"{format_value(row['delta'], row['unit'], signed=True)} " \
           f"({format_value(row['delta_low'], row['unit'], signed=True)} to " \
           f"{format_value(row['delta_high'], row['unit'], signed=True)})"


def format_value(v: float, unit: str, signed: bool = False) -> str:
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return "-"
    sign = "+" if signed and v > 0 else ""
    if unit == "USD":
        return f"{sign}{'-' if v < 0 else ''}${abs(v):,.0f}"
    if unit == "share":
        return f"{sign}{v * 100:.1f}{' pts' if signed else '%'}"
    if unit == "minutes":
        return f"{sign}{v:,.1f} min"
    if unit == "people":
        return f"{sign}{v:.1f}"
    return f"{sign}{v:,.0f}"


def staffing_words(s: Scenario) -> str:
    """'4 social worker units on 2 shifts and 2 co-responder units' — what an option adds, in words."""
    parts = []
    for name, r in s.responders.items():
        if name == FALLBACK_TYPE:
            continue
        units = int(r.on_duty(60).max() + 0.5) if not r.shifts else sum(b.units for b in r.shifts)
        if units == 0:
            continue
        label = plain_label(r.label).removesuffix(" unit").removesuffix(" units")
        noun = "units" if units != 1 else "unit"
        shifts = f" on {len(r.shifts)} shift{'s' if len(r.shifts) != 1 else ''}" if r.shifts else ""
        parts.append(f"{units} {label} {noun}{shifts}")
    if s.triage is not None:
        parts.append("a 911 triage pod resolving calls by phone")
    if not parts:
        return "officers only"
    return " and ".join([", ".join(parts[:-1]), parts[-1]] if len(parts) > 1 else parts)


def summary_sentence(c: Comparison, scenario: str) -> str:
    """The executive summary of one option, with numbers taken from the KPI table itself.

    A sound option: what it adds, the officer hours it frees (and as full-time officers), its net annual cost,
    the net cost per officer hour freed, and the change in the 90th-percentile response of police-only
    priority-1 calls. An overloaded option, or any option against an overloaded baseline, starts with
    "Overloaded:", says why, and claims no hours freed and no savings."""
    e = next(x for x in c.evaluations if x.name == scenario)
    if c.overloaded(scenario):
        return (f"Overloaded: {scenario}: {'; '.join(c.warnings[scenario])}. Its figures are not a result: no "
                f"officer hours freed and no savings are claimed.")
    if c.overloaded(c.baseline):
        return (f"Overloaded: the baseline {c.baseline} ({'; '.join(c.warnings[c.baseline])}), so {scenario} "
                f"cannot be measured against it: no officer hours freed and no savings are claimed.")
    freed = c.row(scenario, "officer_hours_freed")
    cost = c.row(scenario, "total_annual_cost")
    staff = c.row(scenario, "staffing_cost_total")
    down = c.row(scenario, "downstream_cost_total")
    officer = e.scenario.responders[FALLBACK_TYPE]
    if freed["clear"] and freed["delta"] > 0:
        fte = full_time_equivalents(freed["delta"], officer)
        hours = (f"free {freed['delta']:,.0f} officer hours a year ({freed['delta_low']:,.0f} to "
                 f"{freed['delta_high']:,.0f}), the time of {fte:,.1f} full-time officers at "
                 f"{productive_hours_per_year(officer):,.0f} productive hours a year each")
    else:
        hours = (f"free no officer hours that stand out from the noise ({format_value(freed['delta'], 'hours')}: "
                 f"{describe_delta(freed)})")
    net = cost["delta"]
    net_words = (f"{format_value(abs(net), 'USD')} {'more' if net > 0 else 'less'} a year net"
                 if cost["clear"] else "no clear change in net annual cost")
    per_hour = c.row(scenario, "cost_per_officer_hour_freed")["mean"] \
        if "cost_per_officer_hour_freed" in set(c.table["kpi"]) else math.nan
    if not math.isfinite(per_hour):
        per_hour_words = "no cost per officer hour freed (no hours freed)"
    elif per_hour >= 0:
        per_hour_words = f"{format_value(per_hour, 'USD')} net per officer hour freed"
    else:
        per_hour_words = f"a net saving of {format_value(-per_hour, 'USD')} per officer hour freed"
    if math.isfinite(per_hour) and not cost["clear"]:
        per_hour_words = f"about {per_hour_words} (the change in cost is inside the noise)"
    sentence = (f"{scenario}: {staffing_words(e.scenario)} {hours}, for {net_words} "
                f"(staffing {format_value(staff['delta'], 'USD', signed=True)}, "
                f"downstream {format_value(down['delta'], 'USD', signed=True)}), {per_hour_words}")
    key = "response_minutes_p90_police_only_by_priority.1"
    if key in set(c.table["kpi"]):
        p90 = c.row(scenario, key)
        change = describe_delta(p90)
        sentence += (f"; police-only priority-1 calls: 90th-percentile response "
                     f"{format_value(p90['mean'], 'minutes')}, {'change ' if p90['clear'] else ''}{change}")
    return sentence + "."
