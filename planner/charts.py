"""Charts as plain functions `(data, ax) -> None`: the app, the PDF report and the tests draw the same picture.

Each function draws on the Axes it is given and may add a colour bar or legend beside it; it never
creates a figure or touches pyplot, so it works on any matplotlib Figure (Qt canvas, PDF page, Agg in tests).
Colours are colour-blind safe: Okabe-Ito for categories and lines, cividis for intensities.
"""

from __future__ import annotations

import textwrap
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

import matplotlib.dates as mdates
import numpy as np
import pandas as pd
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from matplotlib.ticker import MaxNLocator

if TYPE_CHECKING:
    from matplotlib.axes import Axes

    from planner.profile import DemandProfile
    from planner.scenario import Scenario

# Okabe & Ito (2008), "Color Universal Design": distinguishable with every common colour-vision deficiency.
OKABE_ITO = {
    "blue": "#0072B2", "orange": "#E69F00", "green": "#009E73", "vermillion": "#D55E00",
    "sky": "#56B4E9", "purple": "#CC79A7", "yellow": "#F0E442", "black": "#000000",
}
SERIES_COLOURS = [OKABE_ITO[k] for k in ("blue", "orange", "green", "vermillion", "purple", "sky", "black")]
MUTED = "#9A9A9A"
HEATMAP_CMAP = "cividis"
DAY_NAMES = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
NO_ON_SCENE_TIMES = "No on-scene times in this export"
TIME_ON_SCENE_TITLE = "Time on scene by category"


def category_label(name: str) -> str:
    """A category's name as a reader would write it: 'behavioral_health' -> 'behavioral health'."""
    return name.replace("_", " ")


def _week_grid(values: np.ndarray) -> np.ndarray:
    """Hour-of-week values (Monday 00:00 first) as one row per day."""
    values = np.asarray(values, dtype=float)
    if len(values) % 7:
        raise ValueError(f"{len(values)} weekly bins do not split into 7 days")
    return values.reshape(7, len(values) // 7)


def hour_of_week_heatmap(profile: DemandProfile, ax: Axes, *, category: str | None = None) -> None:
    """Mean calls per hour for each day of the week (rows) and hour of the day (columns).

    `category` draws one category; None draws all calls together.
    """
    rates = profile.rates_per_hour[category] if category else profile.rates_per_hour.sum(axis=1)
    grid = _week_grid(rates.to_numpy())
    bins_per_hour = 60 / profile.bin_minutes
    image = ax.imshow(grid, aspect="auto", cmap=HEATMAP_CMAP, interpolation="nearest", vmin=0)
    hours = np.arange(0, 24, 3)
    ax.set_xticks(hours * bins_per_hour - 0.5, labels=[f"{h:02d}" for h in hours])
    ax.set_yticks(np.arange(7), labels=DAY_NAMES)
    ax.set_xlabel("hour of day (local time, 00 = midnight)")
    ax.set_ylabel("day of week")
    what = category_label(category) if category else "all calls"
    ax.set_title(f"When calls arrive: {what}")
    ax.tick_params(length=0)
    bar = ax.figure.colorbar(image, ax=ax, pad=0.02)
    bar.set_label("calls per hour (mean)")


def calls_by_category(profile: DemandProfile, ax: Axes, *, excluded: Iterable[str] = ()) -> None:
    """Calls in the export per category, largest at the top; `excluded` categories (officer time that is not
    demand a civilian unit could take) are drawn muted and labelled so."""
    excluded = set(excluded)
    counts = profile.by_category.sort_values(kind="stable")
    labels = [category_label(c) + (" (excluded)" if c in excluded else "") for c in counts.index]
    colours = [MUTED if c in excluded else OKABE_ITO["blue"] for c in counts.index]
    bars = ax.barh(np.arange(len(counts)), counts.to_numpy(), color=colours, height=0.7)
    ax.set_yticks(np.arange(len(counts)), labels=labels)
    for tick, c in zip(ax.get_yticklabels(), counts.index, strict=True):
        if c in excluded:
            tick.set_color("#666666")
    total = counts.sum() or 1
    ax.bar_label(bars, labels=[f"{int(v):,} ({v / total:.0%})" for v in counts.to_numpy()], padding=3,
                 fontsize="small")
    ax.set_xlim(0, max(float(counts.max()), 1.0) * 1.3)  # room for the labels at the bar ends
    ax.set_xlabel("calls in the export")
    ax.set_title(f"Calls by category ({int(counts.sum()):,} calls)")
    ax.xaxis.set_major_locator(MaxNLocator(nbins=4, integer=True))
    ax.xaxis.set_major_formatter(_compact)
    ax.spines[["top", "right"]].set_visible(False)


def _thousands(x: float, _pos: int | None = None) -> str:
    return f"{x:,.0f}"


def _compact(x: float, _pos: int | None = None) -> str:
    """Axis numbers short enough not to run into each other: 12,500 -> 12.5k."""
    if abs(x) >= 10_000:
        return f"{x / 1000:,.0f}k"
    if abs(x) >= 1000:
        return f"{x / 1000:,.1f}k".replace(".0k", "k")
    return f"{x:,.0f}"


def call_volume(profile: DemandProfile, ax: Axes, *, period: str = "week") -> None:
    """Calls per week (or per calendar month); weeks or months the export covers only in part are marked."""
    if period not in ("week", "month"):
        raise ValueError(f"period = {period!r}: expected 'week' or 'month'")
    start = profile.start.tz_localize(None) if profile.start.tzinfo else profile.start
    end = profile.end.tz_localize(None) if profile.end.tzinfo else profile.end
    if period == "week":
        series = profile.weekly_volume
        starts = pd.DatetimeIndex(series.index)
        ends = starts + pd.Timedelta(days=7)
    else:
        series = profile.monthly_volume
        months = pd.PeriodIndex(series.index, freq="M")
        starts, ends = months.start_time, (months + 1).start_time
    values = series.to_numpy(dtype=float)
    # A period is partial when the export starts after its first day or ends before its last.
    partial = np.asarray((starts < start.normalize()) | (ends > end.normalize() + pd.Timedelta(days=1)))
    x = starts.to_pydatetime()
    if period == "week":
        ax.plot(x, values, color=OKABE_ITO["blue"], linewidth=1.5, marker="o", markersize=3.5,
                label="full week")
        if partial.any():
            ax.plot(np.asarray(x)[partial], values[partial], linestyle="none", marker="o", markersize=6,
                    markerfacecolor="white", markeredgecolor=OKABE_ITO["vermillion"],
                    label="partial week (fewer than 7 days in the export)")
    else:
        colours = [OKABE_ITO["orange"] if p else OKABE_ITO["blue"] for p in partial]
        ax.bar(x, values, width=20, color=colours, align="edge")
        if partial.any():
            ax.legend(handles=[Patch(color=OKABE_ITO["blue"], label="full month"),
                               Patch(color=OKABE_ITO["orange"], label="partial month")],
                      fontsize="small", frameon=False, loc="lower right")
    locator = mdates.AutoDateLocator(minticks=3, maxticks=8)
    ax.xaxis.set_major_locator(locator)
    ax.xaxis.set_major_formatter(mdates.ConciseDateFormatter(locator))
    ax.set_ylim(0, max(float(values.max()) if len(values) else 1.0, 1.0) * 1.15)
    ax.yaxis.set_major_formatter(_thousands)
    ax.set_ylabel(f"calls per {period}")
    ax.set_xlabel("week starting (Monday)" if period == "week" else "month")
    ax.set_title(f"Calls per {period}")
    ax.spines[["top", "right"]].set_visible(False)
    ax.grid(axis="y", color="#DDDDDD", linewidth=0.6)
    if period == "week" and partial.any():
        ax.legend(fontsize="small", frameon=False, loc="lower right")


def time_on_scene(profile: DemandProfile, ax: Axes) -> None:
    """Median time on scene per category (bars) and the 90th percentile (markers), longest at the top."""
    d = profile.durations
    have = d[d["on_scene_n"] > 0].sort_values("on_scene_median", kind="stable")
    ax.set_title(TIME_ON_SCENE_TITLE)
    if have.empty:
        ax.text(0.5, 0.5, NO_ON_SCENE_TIMES, ha="center", va="center", transform=ax.transAxes,
                fontsize="large", color="#444444")
        ax.set_axis_off()
        return
    y = np.arange(len(have))
    med = have["on_scene_median"].to_numpy(dtype=float)
    p90 = have["on_scene_p90"].to_numpy(dtype=float)
    ax.set_title(f"{TIME_ON_SCENE_TITLE}\nbar: median  \u25c6: 9 in 10 calls shorter", fontsize="medium")
    ax.barh(y, med, color=OKABE_ITO["blue"], height=0.6, label="median")
    ax.hlines(y, med, p90, color=OKABE_ITO["orange"], linewidth=1.2)
    ax.plot(p90, y, linestyle="none", marker="D", markersize=4.5, color=OKABE_ITO["orange"],
            label="90th percentile")
    ax.set_yticks(y, labels=[category_label(c) for c in have.index])
    ax.set_xlim(0, float(np.nanmax(p90)) * 1.08)
    ax.set_xlabel("minutes on scene (arrival to clear)")
    ax.spines[["top", "right"]].set_visible(False)
    ax.grid(axis="x", color="#DDDDDD", linewidth=0.6)
    ax.set_axisbelow(True)


def units_on_duty(scenario: Scenario, ax: Axes, *, offered_load: np.ndarray | None = None) -> None:
    """Units on duty through the week for each responder type (Monday 00:00 to Sunday 24:00).

    `offered_load` (168 hourly values: units busy on calls at once, from the export) is drawn behind the
    staffing as the demand it has to cover.
    """
    hours = np.arange(169)
    top = 0.0
    if offered_load is not None:
        load = np.asarray(offered_load, dtype=float)
        ax.stairs(load, hours, fill=True, color=OKABE_ITO["sky"], alpha=0.35, linewidth=0,
                  label="units busy on calls (offered load)")
        top = float(load.max())
    styles = ["-", "--", "-.", ":"]
    for i, r in enumerate(scenario.responders.values()):
        on = r.on_duty(60)
        label = textwrap.fill(r.label if on.any() else f"{r.label} (none on duty)", 26)
        ax.step(hours, np.r_[on, on[-1]], where="post", color=SERIES_COLOURS[i % len(SERIES_COLOURS)],
                linestyle=styles[i % len(styles)], linewidth=1.6, label=label)
    ax.set_xticks(np.arange(0, 169, 24), labels=[*DAY_NAMES, ""])
    ax.set_xticks(np.arange(0, 169, 6), minor=True)
    ax.set_xlim(0, 168)
    top = max([top] + [float(r.on_duty(60).max()) for r in scenario.responders.values()])
    ax.set_ylim(0, max(top, 1.0) * 1.1)
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_xlabel("day of week (ticks every 6 hours)")
    ax.set_ylabel("units on duty")
    ax.set_title("Units on duty through the week")
    ax.grid(axis="x", which="major", color="#CCCCCC", linewidth=0.8)
    ax.spines[["top", "right"]].set_visible(False)
    handles: list[Any] = [Line2D([], [], color=h.get_color(), linestyle=h.get_linestyle(), label=h.get_label())
                          for h in ax.get_lines()]
    if offered_load is not None:
        handles.append(Patch(color=OKABE_ITO["sky"], alpha=0.35,
                             label=textwrap.fill("units busy on calls (offered load, from the export)", 26)))
    ax.legend(handles=handles, fontsize="small", frameon=False, loc="center left", bbox_to_anchor=(1.01, 0.5))
