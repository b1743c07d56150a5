"""Charts of compared scenarios as plain functions `(data, ax) -> None`, shared by the app and the reports.

Each function draws on the Axes it is given (and may add a colour bar beside it); it never creates a
figure or touches pyplot, so the Qt canvas, the PDF report, the PNG export and the tests draw the same
picture. Colours are colour-blind safe: Okabe-Ito for scenarios and responder types, cividis for
intensities. Every number drawn is one the KPI table holds (or the per-call records it came from).
"""

from __future__ import annotations

import math
import textwrap
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
from matplotlib.lines import Line2D
from matplotlib.patches import Patch, Rectangle
from matplotlib.ticker import FuncFormatter, MaxNLocator

if TYPE_CHECKING:
    from matplotlib.axes import Axes

    from optimize import MixResult
    from planner.compare import Comparison, Evaluation
    from planner.simulate import SimulationRun

# Okabe & Ito (2008), "Color Universal Design": distinguishable with every common colour-vision deficiency.
OKABE_ITO = {
    "blue": "#0072B2", "orange": "#E69F00", "green": "#009E73", "vermillion": "#D55E00",
    "sky": "#56B4E9", "purple": "#CC79A7", "yellow": "#F0E442", "black": "#000000",
}
BASELINE_COLOUR = "#555555"
OPTION_COLOURS = [OKABE_ITO[k] for k in ("blue", "orange", "green", "vermillion", "purple", "sky")]
TYPE_COLOURS = {"officer": OKABE_ITO["blue"], "social_worker": OKABE_ITO["orange"],
                "co_responder": OKABE_ITO["green"]}
HEATMAP_CMAP = "cividis"
NO_DATA = "#D9D9D9"
GRID = "#DDDDDD"
DAY_NAMES = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
OFFICER = "officer"
LINE_STYLES = ["-", "--", "-.", ":"]   # a second cue besides colour, for grey print


# ------------------------------------------------------------------------------------------- helpers
def wrap(text: str, width: int = 22) -> str:
    return textwrap.fill(text, width, break_long_words=True, break_on_hyphens=False)


def scenario_colours(names: Sequence[str], baseline: str | None) -> dict[str, str]:
    """The same colour for a scenario in every chart: grey for the baseline, Okabe-Ito for the options."""
    out, i = {}, 0
    for n in names:
        if n == baseline:
            out[n] = BASELINE_COLOUR
        else:
            out[n] = OPTION_COLOURS[i % len(OPTION_COLOURS)]
            i += 1
    return out


def type_colours(types: Sequence[str]) -> dict[str, str]:
    spare = [c for c in OPTION_COLOURS if c not in TYPE_COLOURS.values()] + [OKABE_ITO["black"]]
    out, i = {}, 0
    for t in types:
        if t in TYPE_COLOURS:
            out[t] = TYPE_COLOURS[t]
        else:
            out[t] = spare[i % len(spare)]
            i += 1
    return out


def short_label(label: str) -> str:
    """'Social worker (civilian crisis response)' -> 'Social worker'."""
    return label.split(" (")[0]


def _money(v: float, _pos: int | None = None) -> str:
    if abs(v) >= 1e6:
        return f"${v / 1e6:,.2f}".rstrip("0").rstrip(".") + "M"
    if abs(v) >= 1e3:
        return f"${v / 1e3:,.0f}k"
    return f"${v:,.0f}"


def _thousands(v: float, _pos: int | None = None) -> str:
    return f"{v:,.0f}"


def _tidy(ax: Axes, grid_axis: str = "both") -> None:
    ax.spines[["top", "right"]].set_visible(False)
    ax.grid(axis=grid_axis, color=GRID, linewidth=0.6)
    ax.set_axisbelow(True)


def _nothing_to_draw(ax: Axes, title: str, message: str) -> None:
    ax.set_title(title)
    ax.text(0.5, 0.5, message, ha="center", va="center", transform=ax.transAxes, color="#444444")
    ax.set_xticks([])
    ax.set_yticks([])


def _type_labels(evaluations: Sequence[Evaluation]) -> dict[str, str]:
    labels: dict[str, str] = {}
    for e in evaluations:
        for name, r in e.scenario.responders.items():
            labels.setdefault(name, short_label(r.label))
    return labels


# ------------------------------------------------------------------------------------ Pareto chart
@dataclass(frozen=True)
class ScenarioPoint:
    """A compared scenario on the cost/hours plane, with the 95% intervals of both."""

    name: str
    annual_cost: float
    cost_low: float
    cost_high: float
    hours_freed: float
    hours_low: float
    hours_high: float
    baseline: bool = False


def scenario_points(comparison: Comparison) -> list[ScenarioPoint]:
    """Each scenario's total annual cost and officer hours freed, straight from the KPI table."""
    out = []
    for s in comparison.scenarios:
        cost, freed = comparison.row(s, "total_annual_cost"), comparison.row(s, "officer_hours_freed")
        out.append(ScenarioPoint(s, float(cost["mean"]), float(cost["ci_low"]), float(cost["ci_high"]),
                                 float(freed["mean"]), float(freed["ci_low"]), float(freed["ci_high"]),
                                 s == comparison.baseline))
    return out


def frontier_points(frontier: Sequence[Any] | None) -> list[tuple[float, float, str]]:
    """(annual cost, hours freed, label) from tuples or objects with `annual_cost` and `officer_hours_freed`
    (the optimiser's Pareto points); points without a plan are left out, the rest sorted by cost."""
    out = []
    for p in frontier or ():
        if isinstance(p, tuple | list):
            cost, hours, label = (p[0], p[1], p[2] if len(p) > 2 else "")
        else:
            cost, hours = getattr(p, "annual_cost", None), getattr(p, "officer_hours_freed", None)
            budget = getattr(p, "budget", None)
            label = f"budget {_money(budget)}" if budget is not None else ""
        if cost is None or hours is None or not (math.isfinite(cost) and math.isfinite(hours)):
            continue
        out.append((float(cost), float(hours), str(label)))
    return sorted(out, key=lambda t: (t[0], t[1]))


def pareto_chart(points: Sequence[Any] | None, scenarios: Comparison | Sequence[ScenarioPoint], ax: Axes) -> None:
    """Officer hours freed a year (y) against total annual cost (x).

    `points` is the optimiser's frontier (None or empty: no frontier), as (annual cost, hours freed, label)
    tuples or Pareto points; `scenarios` are the compared scenarios (a Comparison or ScenarioPoints),
    drawn with their 95% intervals and labelled. Up and to the left is better.
    """
    pts = scenarios if isinstance(scenarios, Sequence) else scenario_points(scenarios)
    base = next((p.name for p in pts if p.baseline), None)
    colours = scenario_colours([p.name for p in pts], base)
    front = frontier_points(points)
    handles = []
    if front:
        fx, fy = [f[0] for f in front], [f[1] for f in front]
        ax.step(fx, fy, where="post", color=OKABE_ITO["sky"], linewidth=1.4, zorder=1)
        ax.plot(fx, fy, linestyle="none", marker="o", markersize=4, color=OKABE_ITO["sky"], zorder=2,
                gid="frontier")
        handles.append(Line2D([], [], color=OKABE_ITO["sky"], marker="o", markersize=4,
                              label="best mix at each budget (optimiser)"))
        if len(front) <= 8:
            for x, y, label in front:
                if label:
                    ax.annotate(label, (x, y), xytext=(4, -10), textcoords="offset points", fontsize=6.5,
                                color="#3D6E8A")
    for p in pts:
        xerr = [[max(p.annual_cost - p.cost_low, 0.0)], [max(p.cost_high - p.annual_cost, 0.0)]]
        yerr = [[max(p.hours_freed - p.hours_low, 0.0)], [max(p.hours_high - p.hours_freed, 0.0)]]
        # Intervals under the labels, labels under the markers: every marker stays visible.
        ax.errorbar([p.annual_cost], [p.hours_freed], xerr=xerr, yerr=yerr, fmt="none", ecolor=colours[p.name],
                    capsize=3, linewidth=1.2, zorder=3)
        ax.plot([p.annual_cost], [p.hours_freed], linestyle="none", marker="s" if p.baseline else "D",
                color=colours[p.name], markeredgecolor="white", markersize=8, zorder=5, gid=p.name)
    handles.append(Line2D([], [], color="#333333", marker="D", linestyle="-", markersize=5,
                          label="scenario, with its 95% interval"))
    xs = [p.cost_low for p in pts] + [p.cost_high for p in pts] + [f[0] for f in front]
    ys = [p.hours_low for p in pts] + [p.hours_high for p in pts] + [f[1] for f in front] + [0.0]
    if xs:
        span = (max(xs) - min(xs)) or max(abs(max(xs)) * 0.1, 1.0)
        ax.set_xlim(min(xs) - 0.12 * span, max(xs) + 0.12 * span)
        yspan = (max(ys) - min(ys)) or max(abs(max(ys)), 1000.0)
        ax.set_ylim(min(ys) - 0.12 * yspan, max(ys) + 0.18 * yspan)
    placed: list[tuple[float, float, float, float]] = []
    for p in pts:
        text = wrap(p.name, 26)
        (dx, dy), ha, va = _label_spot(ax, (p.annual_cost, p.hours_freed), text, 8,
                                       [(q.annual_cost, q.hours_freed) for q in pts if q is not p], placed)
        ax.annotate(text, (p.annual_cost, p.hours_freed), xytext=(dx, dy), textcoords="offset points", fontsize=8,
                    color=colours[p.name], ha=ha, va=va, zorder=4,
                    bbox={"facecolor": "white", "edgecolor": "none", "alpha": 0.85, "pad": 1.5})
    ax.axhline(0, color="#999999", linewidth=0.8, zorder=0)
    ax.xaxis.set_major_formatter(FuncFormatter(_money))
    ax.yaxis.set_major_formatter(FuncFormatter(_thousands))
    ax.set_xlabel("total annual cost (USD a year: staffing + downstream)")
    ax.set_ylabel("officer hours freed a year")
    ax.set_title("Officer hours freed against annual cost")
    ax.text(0.01, 0.98, "better: up and to the left", transform=ax.transAxes, fontsize=7, color="#666666",
            va="top")
    _tidy(ax)
    ax.legend(handles=handles, loc="lower right", fontsize=7, frameon=False)


# Where a label may go around its point: offset in points, horizontal and vertical alignment.
_SPOTS = [((9, 4), "left", "bottom"), ((9, -4), "left", "top"), ((-9, 4), "right", "bottom"),
          ((-9, -4), "right", "top"), ((0, 10), "center", "bottom"), ((0, -10), "center", "top")]


def _label_spot(ax: Axes, xy: tuple[float, float], text: str, fontsize: float,
                others: list[tuple[float, float]], placed: list[tuple[float, float, float, float]]):
    """The spot around `xy` where a label covers the fewest other markers and labels and stays inside the axes.

    Works in points on the axes as laid out so far (an estimate before the final layout, which is enough to
    keep neighbours apart); the chosen box is added to `placed`."""
    fig_w, fig_h = ax.figure.get_size_inches()
    pos = ax.get_position()
    width_pt, height_pt = fig_w * 72 * pos.width, fig_h * 72 * pos.height
    (x0, x1), (y0, y1) = ax.get_xlim(), ax.get_ylim()

    def to_pt(x: float, y: float) -> tuple[float, float]:
        return (x - x0) / ((x1 - x0) or 1) * width_pt, (y - y0) / ((y1 - y0) or 1) * height_pt

    lines = text.split("\n")
    w = 0.56 * fontsize * max(len(line) for line in lines) + 3
    h = 1.25 * fontsize * len(lines) + 3
    px, py = to_pt(*xy)
    marks = [to_pt(*o) for o in others]
    best, best_score = _SPOTS[0], math.inf
    for k, ((dx, dy), ha, va) in enumerate(_SPOTS):
        bx0 = px + dx - (w if ha == "right" else w / 2 if ha == "center" else 0)
        by0 = py + dy - (h if va == "top" else 0)
        box = (bx0, by0, bx0 + w, by0 + h)
        score = 0.01 * k   # prefer the first spots when all else is equal
        score += sum(10 for mx, my in marks if box[0] - 6 <= mx <= box[2] + 6 and box[1] - 6 <= my <= box[3] + 6)
        for b in placed:
            ox = max(0.0, min(box[2], b[2]) - max(box[0], b[0]))
            oy = max(0.0, min(box[3], b[3]) - max(box[1], b[1]))
            score += 10 * ox * oy / (w * h)
        outside = max(0.0, -box[0]) + max(0.0, box[2] - width_pt) + max(0.0, -box[1]) + max(0.0, box[3] - height_pt)
        score += 5 * outside / max(w, h)
        if score < best_score:
            best, best_score = ((dx, dy), ha, va, box), score
    (dx, dy), ha, va, box = best
    placed.append(box)
    return (dx, dy), ha, va


# ------------------------------------------------------------------------------------ response times
def _response_minutes(e: Evaluation, priority: int | None) -> np.ndarray:
    """Response minutes of the calls answered (of the priority, if given)."""
    x, _ = _answered_and_offered(e, priority)
    return x


def _answered_and_offered(e: Evaluation, priority: int | None) -> tuple[np.ndarray, int]:
    """Response minutes of the calls answered, and how many calls were offered (answered or not)."""
    rec = e.run.records
    if rec is None or rec.empty or "response_minutes" not in rec:
        return np.array([]), 0
    if priority is not None:
        rec = rec[rec["priority"] == priority]
    x = rec["response_minutes"].to_numpy(dtype=float)
    return x[np.isfinite(x)], len(x)


def _kpi_key(stat: str, priority: int | None) -> str:
    return f"response_minutes_{stat}" if priority is None else f"response_minutes_{stat}_by_priority.{priority}"


def response_time_distribution(evaluations: Sequence[Evaluation], ax: Axes, priority: int | None = None) -> None:
    """Share of calls answered within x minutes (ECDF of every simulated call) per scenario.

    The share is of every call offered: where calls were left unanswered, the curve levels off below 100% and
    the legend says how many. The median (P50) and 90th percentile (P90) marked on each curve are the KPI table's
    figures (the mean over replications), so the chart and the table never disagree; where calls were left
    unanswered they are lower bounds (an unanswered call counts with the wait it had when the run ended), stated
    in the legend with "≥" and not marked on the curve.
    """
    what = "all calls" if priority is None else f"priority {priority} calls"
    title = f"Response time, {what} (call to arrival)"
    names = [e.name for e in evaluations]
    colours = scenario_colours(names, names[0] if names else None)
    drawn, top = 0, 0.0
    for e in evaluations:
        x, offered = _answered_and_offered(e, priority)
        x = np.sort(x)
        if not len(x):
            continue
        step = max(1, len(x) // 4000)   # a few thousand points draw the same curve as 100,000
        xs = np.append(x[::step], x[-1])
        ys = np.append((np.arange(len(x))[::step] + 1) / offered, len(x) / offered)
        p50, p90 = e.run.kpi(_kpi_key("p50", priority)), e.run.kpi(_kpi_key("p90", priority))
        unanswered = len(x) < offered
        # With calls left unanswered, the table's percentiles count them with the wait they had when the run ended:
        # lower bounds, not points of this curve of calls answered, so they are stated and not marked.
        bound = "\u2265 " if unanswered else ""
        label = wrap(e.name, 30) + f"\nP50 {bound}{p50:,.1f} min, P90 {bound}{p90:,.1f} min"
        if unanswered:
            label += f"\n{1 - len(x) / offered:.0%} of calls never answered"
        ax.plot(xs, ys, color=colours[e.name], linewidth=1.6, label=label, gid=e.name,
                linestyle=LINE_STYLES[drawn % len(LINE_STYLES)])
        if not unanswered:
            ax.plot([p50, p90], [0.5, 0.9], linestyle="none", marker="o", markersize=5, color=colours[e.name],
                    markeredgecolor="white", gid=f"{e.name} P50/P90")
        top = max(top, float(np.quantile(x, 0.98)), p90 if math.isfinite(p90) and not unanswered else 0.0)
        drawn += 1
    if not drawn:
        _nothing_to_draw(ax, title, f"No simulated {what}")
        return
    for level, text in ((0.5, "P50 (median)"), (0.9, "P90")):
        ax.axhline(level, color="#999999", linewidth=0.7, linestyle=":")
        # At the left edge, where the curves are still low: clear of the curves and of the legend.
        ax.text(top * 0.01, level, text, fontsize=7, color="#666666", va="bottom", ha="left")
    ax.set_xlim(0, top * 1.05)
    ax.set_ylim(0, 1.01)
    ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _p: f"{v:.0%}"))
    ax.set_xlabel("minutes from the call to the first unit's arrival (queue wait + travel)")
    ax.set_ylabel("share of calls answered within")
    ax.set_title(title)
    _tidy(ax)
    ax.legend(loc="lower right", fontsize=7, frameon=False)


def response_time_by_priority(evaluations: Sequence[Evaluation], ax: Axes) -> None:
    """Median (dot) to 90th percentile (diamond, with its 95% interval) of response time by priority and
    scenario, from the KPI table."""
    title = "Response time by priority: median to 90th percentile"
    priorities = sorted({int(k.rsplit(".", 1)[1]) for e in evaluations for k in e.run.kpis.index
                         if k.startswith("response_minutes_p90_by_priority.")})
    if not priorities:
        _nothing_to_draw(ax, title, "No response times by priority")
        return
    names = [e.name for e in evaluations]
    colours = scenario_colours(names, names[0])
    n = len(evaluations)
    height = 0.8 / n
    for j, e in enumerate(evaluations):
        y = np.array([i - 0.4 + height * (j + 0.5) for i in range(len(priorities))])
        p50 = np.array([e.run.kpi(_kpi_key("p50", p)) for p in priorities])
        p90 = np.array([e.run.kpi(_kpi_key("p90", p)) for p in priorities])
        lo = np.array([_ci(e, _kpi_key("p90", p))[0] for p in priorities])
        hi = np.array([_ci(e, _kpi_key("p90", p))[1] for p in priorities])
        c = colours[e.name]
        ax.hlines(y, p50, p90, color=c, linewidth=2.2)
        ax.plot(p50, y, linestyle="none", marker="o", markersize=5, color=c, gid=f"{e.name} P50")
        ax.errorbar(p90, y, xerr=[np.maximum(p90 - lo, 0), np.maximum(hi - p90, 0)], fmt="D", color=c,
                    markersize=5, capsize=2, linewidth=0.8, gid=f"{e.name} P90")
    ax.set_yticks(range(len(priorities)), labels=[f"priority {p}" for p in priorities])
    ax.invert_yaxis()
    ax.set_xlim(left=0)
    ax.set_xlabel("minutes from the call to the first unit's arrival")
    ax.set_ylabel("call priority (1 = most urgent)")
    ax.set_title(title)
    _tidy(ax, "x")
    handles = [Patch(color=colours[e.name], label=wrap(e.name, 30)) for e in evaluations]
    handles += [Line2D([], [], color="#333333", marker="o", linestyle="none", label="median (P50)"),
                Line2D([], [], color="#333333", marker="D", linestyle="none", label="P90, 95% interval")]
    ax.legend(handles=handles, loc="center left", bbox_to_anchor=(1.01, 0.5), fontsize=7, frameon=False)


def _ci(e: Evaluation, kpi: str) -> tuple[float, float]:
    if kpi not in e.run.kpis.index:
        return math.nan, math.nan
    row = e.run.kpis.loc[kpi]
    return float(row["ci_low"]), float(row["ci_high"])


# ---------------------------------------------------------------------------------------- utilisation
def week_grid(values: Sequence[float] | np.ndarray) -> np.ndarray:
    """168 hour-of-week values (Monday 00:00 first) as 7 days x 24 hours."""
    a = np.asarray(values, dtype=float)
    if a.shape != (168,):
        raise ValueError(f"{a.shape[0] if a.ndim == 1 else a.shape} hour-of-week values, but expected 168")
    return a.reshape(7, 24)


def utilisation_heatmap(run: SimulationRun, responder: str, ax: Axes, ceiling: float = 0.6, *,
                        label: str | None = None) -> None:
    """Share of on-duty time a responder type spends on calls, by day (rows) and hour (columns).

    Hours above `ceiling` (the rule of 60 for officers) are hatched and the ceiling is marked on the
    colour bar; hours with no unit on duty are grey. `label` names the type in words (default: its key).
    """
    who = (label or responder.replace("_", " ")).lower()
    if responder not in run.utilisation_by_bin:
        _nothing_to_draw(ax, f"{who.capitalize()} time on calls: {run.scenario}", f"No {who} in this scenario")
        return
    grid = week_grid(run.utilisation_by_bin[responder].to_numpy())
    masked = np.ma.masked_invalid(grid)
    import matplotlib

    cmap = matplotlib.colormaps[HEATMAP_CMAP].with_extremes(bad=NO_DATA)
    vmax = max(1.0, float(masked.max()) if masked.count() else 1.0)
    image = ax.imshow(masked, aspect="auto", cmap=cmap, vmin=0.0, vmax=vmax, interpolation="nearest")
    above = np.argwhere(np.nan_to_num(grid, nan=-1.0) > ceiling)
    for d, h in above:
        ax.add_patch(Rectangle((h - 0.5, d - 0.5), 1, 1, fill=False, hatch="////", edgecolor="black",
                               linewidth=0.0, gid="above ceiling"))
    hours = np.arange(0, 24, 3)
    ax.set_xticks(hours, labels=[f"{h:02d}:00" for h in hours])
    ax.set_yticks(np.arange(7), labels=DAY_NAMES)
    ax.tick_params(length=0)
    ax.set_xlabel("hour of day (each cell one hour)")
    ax.set_ylabel("day of week")
    hours_on_duty = int(masked.count())
    key = f"hatched: above the {ceiling:.0%} ceiling ({len(above)} of {hours_on_duty} hours on duty)"
    if hours_on_duty < grid.size:
        key += f"; grey: no {who} on duty"
    ax.set_title(wrap(f"{who.capitalize()} time on calls: {run.scenario}", 70) + "\n" + key, fontsize=9)
    bar = ax.figure.colorbar(image, ax=ax, pad=0.02, fraction=0.05)
    bar.set_label("share of on-duty time on calls", fontsize=8)
    # Regular ticks near the ceiling would print over its label.
    ticks = sorted({*(v for v in np.round(np.arange(0.0, vmax + 1e-9, 0.2), 6) if abs(v - ceiling) >= 0.1), ceiling})
    bar.set_ticks(ticks, labels=[f"{v:.0%}" + (" ceiling" if v == ceiling else "") for v in ticks], fontsize=7)
    bar.ax.axhline(ceiling, color="black", linewidth=1.6)


# ------------------------------------------------------------------------------------ calls by type
def calls_by_type_chart(comparison: Comparison, ax: Axes) -> None:
    """Calls a year answered by each responder type, per scenario (grouped bars, 95% intervals)."""
    title = "Calls answered a year, by responder type"
    t = comparison.table
    rows = t[t["kpi"].str.startswith("calls_by_responder_type.")]
    types = [k.split(".", 1)[1] for k in dict.fromkeys(rows["kpi"])]
    # A type no scenario ever sends has nothing to show.
    types = [ty for ty in types if (rows.loc[rows["kpi"] == f"calls_by_responder_type.{ty}", "mean"].fillna(0) > 0).any()]
    if not types:
        _nothing_to_draw(ax, title, "No calls answered")
        return
    labels = _type_labels(comparison.evaluations)
    colours = type_colours(types)
    scen = comparison.scenarios
    height = 0.8 / len(types)
    top = 0.0
    for j, ty in enumerate(types):
        y = np.arange(len(scen)) - 0.4 + height * (j + 0.5)
        sel = [comparison.row(s, f"calls_by_responder_type.{ty}") for s in scen]
        mean = np.array([float(r["mean"]) for r in sel])
        lo = np.array([float(r["ci_low"]) for r in sel])
        hi = np.array([float(r["ci_high"]) for r in sel])
        mean, lo, hi = (np.nan_to_num(a) for a in (mean, lo, hi))
        bars = ax.barh(y, mean, height=height * 0.92, color=colours[ty], label=labels.get(ty, ty), gid=ty,
                       xerr=[np.maximum(mean - lo, 0), np.maximum(hi - mean, 0)],
                       error_kw={"ecolor": "#333333", "elinewidth": 0.8, "capsize": 2})
        ax.bar_label(bars, labels=[f"{v:,.0f}" if v > 0 else "" for v in mean], padding=4, fontsize=7)
        top = max(top, float(hi.max()))
    ax.set_yticks(np.arange(len(scen)), labels=[wrap(s, 24) for s in scen])
    ax.invert_yaxis()
    ax.set_xlim(0, max(top, 1.0) * 1.18)   # room for the value labels
    ax.xaxis.set_major_formatter(FuncFormatter(_thousands))
    ax.set_xlabel("calls a year (bars: mean; whiskers: 95% interval)")
    ax.set_ylabel("scenario")
    ax.set_title(title)
    _tidy(ax, "x")
    ax.legend(loc="center left", bbox_to_anchor=(1.01, 0.5), fontsize=7, frameon=False, title="answered by",
              title_fontsize=7)


# ------------------------------------------------------------------------------------ fallback by hour
def fallback_by_hour(run: SimulationRun) -> np.ndarray:
    """Eligible calls sent to an officer because no civilian unit was free, per hour of day on an average day."""
    return week_grid(run.fallback_by_bin).mean(axis=0)


def _has_civilians(e: Evaluation) -> bool:
    return any(name != OFFICER and float(r.on_duty(60).sum()) > 0 for name, r in e.scenario.responders.items())


def fallback_by_hour_chart(evaluations: Sequence[Evaluation], ax: Axes) -> None:
    """Eligible calls that fell back to an officer, by hour of day (averaged over the week), per scenario
    that has civilian units (without them there is nothing to fall back from)."""
    title = "Eligible calls sent to an officer because no civilian unit was free"
    names = [e.name for e in evaluations]
    colours = scenario_colours(names, names[0] if names else None)
    shown = [e for e in evaluations if _has_civilians(e)]
    if not shown:
        _nothing_to_draw(ax, title, "No scenario here has civilian units")
        return
    hours = np.arange(24)
    top = 0.0
    for i, e in enumerate(shown):
        y = fallback_by_hour(e.run)
        per_year = float(e.run.kpi("fallback_to_officer"))
        ax.plot(hours, y, color=colours[e.name], marker="o", markersize=3.5, linewidth=1.6, gid=e.name,
                linestyle=LINE_STYLES[i % len(LINE_STYLES)],
                label=wrap(e.name, 30) + (f"\n{per_year:,.0f} a year" if math.isfinite(per_year) else ""))
        top = max(top, float(np.nanmax(y)) if len(y) else 0.0)
    ax.set_xticks(np.arange(0, 24, 2), labels=[f"{h:02d}" for h in range(0, 24, 2)])
    ax.set_xlim(-0.5, 23.5)
    ax.set_ylim(0, max(top, 0.1) * 1.15)
    ax.set_xlabel("hour of day (00 = midnight to 1 am)")
    ax.set_ylabel("fallback calls in that hour\n(average day)")
    ax.set_title(title, fontsize=10)
    _tidy(ax)
    ax.legend(loc="upper left", fontsize=7, frameon=False)


# ------------------------------------------------------------------------------------ KPI changes
DELTA_KPIS = [
    "officer_hours_on_calls", "officer_utilisation", "response_minutes_p50", "response_minutes_p90",
    "response_minutes_p90_by_priority.1", "overtime_hours_total", "staffing_cost_total",
    "downstream_cost_total", "total_annual_cost",
]


def kpi_delta_chart(comparison: Comparison, ax: Axes, kpis: Sequence[str] = tuple(DELTA_KPIS)) -> None:
    """Change of the headline KPIs against the baseline, in percent, with 95% intervals; changes inside
    the noise are drawn hollow."""
    title = f"Change against the baseline ({comparison.baseline})"
    options = [s for s in comparison.scenarios if s != comparison.baseline]
    t = comparison.table
    kpis = [k for k in kpis if k in set(t["kpi"])]
    base = {k: float(comparison.row(comparison.baseline, k)["mean"]) for k in kpis}
    kpis = [k for k in kpis if math.isfinite(base[k]) and base[k] != 0]
    if not options or not kpis:
        _nothing_to_draw(ax, wrap(title, 60), "Nothing to compare against the baseline")
        return
    colours = scenario_colours(comparison.scenarios, comparison.baseline)
    height = 0.8 / len(options)
    for j, s in enumerate(options):
        y = np.arange(len(kpis)) - 0.4 + height * (j + 0.5)
        rows = [comparison.row(s, k) for k in kpis]
        pct = np.array([100 * float(r["delta"]) / abs(base[k]) for r, k in zip(rows, kpis, strict=True)])
        lo = np.array([100 * float(r["delta_low"]) / abs(base[k]) for r, k in zip(rows, kpis, strict=True)])
        hi = np.array([100 * float(r["delta_high"]) / abs(base[k]) for r, k in zip(rows, kpis, strict=True)])
        clear = np.array([bool(r["clear"]) for r in rows])
        c = colours[s]
        bars = ax.barh(y, np.nan_to_num(pct), height=height * 0.9, color=[c if k else "white" for k in clear],
                       edgecolor=c, linewidth=1.0, label=wrap(s, 30), gid=s,
                       xerr=[np.nan_to_num(np.maximum(pct - lo, 0)), np.nan_to_num(np.maximum(hi - pct, 0))],
                       error_kw={"ecolor": "#333333", "elinewidth": 0.7, "capsize": 1.5})
        for bar, k in zip(bars, clear, strict=True):
            if not k:
                bar.set_hatch("///")
    labels = []
    for k in kpis:
        r = comparison.row(comparison.baseline, k)
        better = {"lower": "\n(lower is better)", "higher": "\n(higher is better)"}.get(r["better"], "")
        labels.append(wrap(str(r["label"]), 34) + better)
    ax.set_yticks(np.arange(len(kpis)), labels=labels, fontsize=7)
    ax.invert_yaxis()
    ax.axvline(0, color="#333333", linewidth=0.8)
    ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _p: f"{v:+.0f}%" if round(v) else "0%"))
    ax.set_xlabel("change against the baseline (% of the baseline's value; whiskers: 95% interval)")
    ax.set_ylabel("headline figure")
    ax.set_title(wrap(title, 70))
    _tidy(ax, "x")
    handles = [Patch(facecolor=colours[s], edgecolor=colours[s], label=wrap(s, 30)) for s in options]
    handles.append(Patch(facecolor="white", edgecolor="#333333", hatch="///", label="inside the noise"))
    ax.legend(handles=handles, loc="center left", bbox_to_anchor=(1.01, 0.5), fontsize=7, frameon=False)


def on_duty_vs_requirement(result: MixResult, responder: str, ax: Axes, *, label: str | None = None) -> None:
    """Units the plan puts on duty (bars) against the units the service targets need (step line), through the
    week; bins the plan leaves short are marked."""
    who = label or responder.replace("_", " ")
    need = np.asarray((result.requirements or {}).get(responder, np.zeros(168)), dtype=float)
    on = np.asarray((result.on_duty or {}).get(responder, np.zeros_like(need)), dtype=float)
    n = len(need)
    width = 168 / n
    edges = np.arange(n + 1) * width
    colour = type_colours([responder])[responder]
    ax.bar(edges[:-1], on, width=width, align="edge", color=colour, alpha=0.55, linewidth=0, label="units on duty (plan)")
    ax.stairs(need, edges, color="black", linewidth=1.3, label="units needed to meet the targets")
    short = on < need - 1e-9
    if short.any():
        ax.bar(edges[:-1][short], (need - on)[short], bottom=on[short], width=width, align="edge", fill=False,
               hatch="////", edgecolor="#B00020", linewidth=0, label="short of the need")
    ax.set_xlim(0, 168)
    ax.set_ylim(0, max(float(need.max(initial=0)), float(on.max(initial=0)), 1.0) * 1.15)
    ax.set_xticks(np.arange(0, 169, 24), labels=[*DAY_NAMES, ""], ha="left")
    ax.set_xticks(np.arange(0, 169, 6), minor=True)
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_ylabel("units")
    ax.set_xlabel("hour of the week (Monday 00:00 to Sunday 24:00; ticks every 6 hours)")
    peak = int(on.max(initial=0))
    ax.set_title(f"{who[:1].upper()}{who[1:]}: units on duty by hour against the need (at most {peak} at once)",
                 fontsize=9.5)
    ax.grid(axis="x", which="major", color=GRID, linewidth=0.8)
    ax.grid(axis="y", color=GRID, linewidth=0.5)
    ax.set_axisbelow(True)
    ax.spines[["top", "right"]].set_visible(False)
    handles, labels = ax.get_legend_handles_labels()
    if not short.any():
        handles.append(Patch(facecolor="none", edgecolor="none", label="no hour short of the need"))
    ax.legend(handles=handles, fontsize=7, frameon=False, loc="upper left", bbox_to_anchor=(1.0, 1.0))


# ------------------------------------------------------------------------------------ week roster
@dataclass(frozen=True)
class WeekDuty:
    """One responder type's units on duty through the week (168 hours, Monday 00:00 first) and, where known,
    the units it needs (`need`, in the words of `need_label`)."""

    responder: str
    label: str
    on_duty: Sequence[float] | np.ndarray
    need: Sequence[float] | np.ndarray | None = None
    need_label: str = "units the targets need"


def week_duty_chart(data: WeekDuty, ax: Axes) -> None:
    """Units on duty by day (rows) and hour (columns), the number in every cell; hours with fewer units on duty
    than the need are outlined in red and hatched, so a reader sees the week's roster and its gaps at once."""
    on = week_grid(data.on_duty)
    who = data.label[:1].upper() + data.label[1:]
    if not on.any():
        _nothing_to_draw(ax, f"{who}: units on duty", "nobody on duty in this plan")
        return
    import matplotlib

    colour = type_colours([data.responder])[data.responder]
    cmap = matplotlib.colors.LinearSegmentedColormap.from_list("duty", ["#FFFFFF", colour])
    vmax = max(float(on.max()), 1.0)
    ax.imshow(on, aspect="auto", cmap=cmap, vmin=0.0, vmax=vmax * 1.25, interpolation="nearest")
    for d in range(7):
        for h in range(24):
            v = on[d, h]
            ax.text(h, d, f"{v:.0f}" if abs(v - round(v)) < 1e-9 else f"{v:.1f}", ha="center", va="center",
                    fontsize=6.5, color="#222222" if v < vmax * 0.8 else "white", gid="units")
    short_hours = 0
    if data.need is not None:
        need = week_grid(data.need)
        short = np.argwhere(on < need - 1e-9)
        short_hours = len(short)
        for d, h in short:
            ax.add_patch(Rectangle((h - 0.45, d - 0.42), 0.9, 0.84, fill=False, hatch="//", edgecolor="#B00020",
                                   linewidth=1.3, gid="short"))
    hours = np.arange(0, 24, 3)
    ax.set_xticks(hours, labels=[f"{h:02d}:00" for h in hours], fontsize=7)
    ax.set_yticks(np.arange(7), labels=DAY_NAMES, fontsize=7)
    ax.set_xticks(np.arange(-0.5, 24, 1), minor=True)
    ax.set_yticks(np.arange(-0.5, 7, 1), minor=True)
    ax.grid(which="minor", color="white", linewidth=0.6)
    ax.tick_params(which="both", length=0)
    ax.set_xlabel("hour of day (each cell one hour; the number is units on duty)", fontsize=7.5)
    if data.need is None:
        key = f"at most {on.max():.0f} units on duty at once"
    elif short_hours:
        key = f"red, hatched: fewer on duty than the {data.need_label} ({short_hours} of 168 hours)"
    else:
        key = f"every hour has at least the {data.need_label}"
    ax.set_title(f"{who}: units on duty through the week\n{key}", fontsize=8.5)
    for side in ("top", "right", "left", "bottom"):
        ax.spines[side].set_visible(False)
