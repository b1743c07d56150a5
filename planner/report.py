"""The reports of a comparison: a PDF to present, an Excel workbook to work in, PNGs of every chart, JSON.

Every number comes from the comparison's KPI table (or the runs and cost summaries it was built from), so
the executive summary, the charts, the PDF tables, the workbook and `coplan compare --json` agree. Files
are written atomically: a crash mid-write leaves any previous report intact. Text a spreadsheet could run
as a formula is neutralised in the workbook and in CSV output.
"""

from __future__ import annotations

import datetime as dt
import io
import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any
from xml.sax.saxutils import escape

import numpy as np
import pandas as pd
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter

from planner import costs as cost_model
from planner import result_charts as rc
from planner.compare import describe_delta, format_value
from planner.fileio import atomic_write_bytes
from planner.reports_io import spreadsheet_value, write_csv
from planner.scenario import DAYS, FALLBACK_TYPE, OUTCOMES, days_label

if TYPE_CHECKING:
    from matplotlib.axes import Axes

    from planner.compare import Comparison, Evaluation
    from planner.demand import Demand
    from planner.scenario import Responder, Scenario

ProgressCallback = Callable[[str], None] | None
DEFAULT_TITLE = "Staffing options compared"
OUTCOME_WORDS = {"arrest": "Arrest", "jail_booking": "Jail booking", "er_transport": "ER transport"}


def _say(progress: ProgressCallback, message: str) -> None:
    if progress is not None:
        progress(message)


def _finite(v: Any) -> bool:
    try:
        return v is not None and math.isfinite(float(v))
    except (TypeError, ValueError):
        return False


def _num(v: Any) -> float | None:
    return float(v) if _finite(v) else None


def _type_label(s: Scenario, t: str) -> str:
    return rc.short_label(s.responders[t].label) if t in s.responders else t.replace("_", " ")


# ================================================================================================ charts
@dataclass(frozen=True)
class Chart:
    """One chart of the report: a file name, a caption, a size in inches, and how to draw it."""

    name: str
    caption: str
    size: tuple[float, float]
    draw: Callable[[Axes], None]


def _slug(text: str, limit: int = 40) -> str:
    s = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")
    return s[:limit].strip("-") or "scenario"


def _ceiling(s: Scenario, t: str) -> float:
    return float(s.targets.max_occupancy.get(t, 0.6 if t == FALLBACK_TYPE else 0.85))


def charts_for(comparison: Comparison, frontier: Sequence[Any] | None = None) -> list[Chart]:
    """Every chart of a comparison, in report order."""
    ev = comparison.evaluations
    ordered = sorted(ev, key=lambda e: e.name != comparison.baseline)   # the baseline first: grey in every chart
    charts = [
        Chart("pareto", "Each scenario's total annual cost (staffing and downstream) against the officer hours it "
              "frees a year, with 95% intervals" + ("; the line is the best mix the optimiser found at each budget"
                                                     if frontier else "") + ".",
              (7.0, 3.7), lambda ax: rc.pareto_chart(frontier, comparison, ax)),
        Chart("kpi_changes", "Change of the headline figures against the baseline, as a share of the baseline's "
              "value. Hollow, hatched bars are inside the noise: their 95% interval includes no change.",
              (7.0, 4.8), lambda ax: rc.kpi_delta_chart(comparison, ax)),
        Chart("calls_by_type", "Calls a year answered by each responder type.", (7.0, 3.4),
              lambda ax: rc.calls_by_type_chart(comparison, ax)),
        Chart("response_time", "Share of calls with a unit on scene within a given time. The dots are the median "
              "(P50) and the 90th percentile (P90) of the KPI table.", (7.0, 3.8),
              lambda ax: rc.response_time_distribution(ordered, ax)),
        Chart("response_time_by_priority", "Response time by call priority: from the median (dot) to the 90th "
              "percentile (diamond, with its 95% interval).", (7.0, 3.2),
              lambda ax: rc.response_time_by_priority(ordered, ax)),
        Chart("fallback_by_hour", "Calls eligible for a civilian unit that went to an officer because none was "
              "free, by hour of day (an average day of the simulated weeks).", (7.0, 3.2),
              lambda ax: rc.fallback_by_hour_chart(ordered, ax)),
    ]
    for i, e in enumerate(ordered, start=1):
        for t in e.run.responder_types:
            r = e.scenario.responders.get(t)
            if r is None or float(r.on_duty(60).sum()) == 0:
                continue
            ceiling = _ceiling(e.scenario, t)
            what = "the rule of 60" if t == FALLBACK_TYPE else "the scenario's ceiling for this type"
            label = _type_label(e.scenario, t)
            charts.append(Chart(
                f"utilisation_{i}_{t}_{_slug(e.name)}",
                f"{e.name}: share of on-duty time {_units_noun(label)} spend on calls, by hour of the week; "
                f"hatched hours are above {ceiling:.0%} ({what}).",
                (7.0, 2.55), lambda ax, run=e.run, t=t, c=ceiling, lb=label:
                rc.utilisation_heatmap(run, t, ax, ceiling=c, label=_units_noun(lb).removesuffix(" units"))))
    return charts


def _units_noun(label: str) -> str:
    """'Patrol officer unit' -> 'patrol officer units'; 'Social worker' -> 'social worker units'."""
    return label.lower().removesuffix(" units").removesuffix(" unit") + " units"


def render_png(chart: Chart, dpi: int = 200) -> bytes:
    """Draw a chart on its own Agg figure and return the PNG bytes (no pyplot, no global state)."""
    fig = Figure(figsize=chart.size, layout="constrained")
    FigureCanvasAgg(fig)
    chart.draw(fig.add_subplot())
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi, facecolor="white", metadata={"Software": "coplan"})
    return buf.getvalue()


def write_pngs(comparison: Comparison, folder: str | Path, frontier: Sequence[Any] | None = None, *,
               dpi: int = 150, progress: ProgressCallback = None) -> list[Path]:
    """Every chart of the comparison as a PNG in `folder` (created if needed); returns the files written."""
    folder = Path(folder)
    charts = charts_for(comparison, frontier)
    out = []
    for k, chart in enumerate(charts, start=1):
        _say(progress, f"drawing chart {k}/{len(charts)}: {chart.name}")
        path = folder / f"{chart.name}.png"
        atomic_write_bytes(path, render_png(chart, dpi=dpi))
        out.append(path)
    return out


# ================================================================================================ JSON
def comparison_json(comparison: Comparison) -> dict[str, Any]:
    """The JSON of `coplan compare --json`: the same numbers the workbook holds (NaN as null)."""
    t = comparison.table
    kpis = t.drop_duplicates("kpi")[["kpi", "label", "unit", "better"]]
    results: dict[str, dict[str, Any]] = {}
    for _, r in t.iterrows():
        results.setdefault(str(r["scenario"]), {})[str(r["kpi"])] = {
            "mean": _num(r["mean"]), "ci_low": _num(r["ci_low"]), "ci_high": _num(r["ci_high"]),
            "delta": _num(r["delta"]), "delta_low": _num(r["delta_low"]), "delta_high": _num(r["delta_high"]),
            "clear": bool(r["clear"]),
        }
    settings = {e.name: {"replications": int(e.run.replications), "seed": int(e.run.seed),
                         "horizon_days": float(e.run.horizon_days), "warmup_days": float(e.run.warmup_days),
                         "arrivals": e.scenario.simulation.arrivals,
                         "paired_with_baseline": bool(t.loc[t["scenario"] == e.name, "paired"].all())}
                for e in comparison.evaluations}
    return {
        "baseline": comparison.baseline,
        "scenarios": list(comparison.scenarios),
        "summary": comparison.summary(),
        # Scenario name -> why it is overloaded, one line each; an empty list for a sound scenario.
        "warnings": {name: list(reasons) for name, reasons in comparison.warnings.items()},
        "kpis": [{k: str(v) for k, v in row.items()} for row in kpis.to_dict("records")],
        "results": results,
        "settings": settings,
        "units": {"hours": "hours a year", "calls": "calls a year", "USD": "USD a year (cost per call: USD)",
                  "share": "fraction of on-duty time (0-1)", "minutes": "minutes", "people": "people"},
    }


def kpi_frame(comparison: Comparison) -> pd.DataFrame:
    """The KPI table in long form with the change against the baseline in words (for CSV and the workbook)."""
    t = comparison.table.copy()
    t["change_in_words"] = [describe_delta(r) if r["scenario"] != comparison.baseline else "baseline"
                            for _, r in t.iterrows()]
    cols = ["scenario", "kpi", "label", "unit", "mean", "ci_low", "ci_high", "delta", "delta_low", "delta_high",
            "clear", "change_in_words"]
    return t[cols]


def write_kpis_csv(comparison: Comparison, path: str | Path) -> None:
    """The KPI table as CSV (formula-like text neutralised, written atomically)."""
    write_csv(kpi_frame(comparison), path)


# ================================================================================================ shared tables
def on_duty_day_groups(r: Responder) -> list[tuple[str, np.ndarray]]:
    """Units on duty by hour of day, one row per set of weekdays with the same pattern ('Mon-Fri', ...)."""
    grid = r.on_duty(60).reshape(7, 24)
    groups: list[tuple[list[int], np.ndarray]] = []
    for d in range(7):
        for days, row in groups:
            if np.allclose(row, grid[d]):
                days.append(d)
                break
        else:
            groups.append(([d], grid[d]))
    return [(days_label(tuple(i in days for i in range(7))), row) for days, row in groups]


def _units(v: float) -> str:
    return f"{v:.0f}" if abs(v - round(v)) < 1e-9 else f"{v:.1f}"


def _distinct_demands(comparison: Comparison, key: Callable[[Demand], Any]) -> list[tuple[Demand, list[str]]]:
    """Demands that differ in `key` (scenarios importing the same export show it once), with their scenarios."""
    return _grouped_demands([(e.demand, e.name) for e in comparison.evaluations if e.demand is not None], key)


def _grouped_demands(items: list[tuple[Demand, str]], key: Callable[[Demand], Any]) -> list[tuple[Demand, list[str]]]:
    out: list[tuple[Demand, Any, list[str]]] = []
    for d, name in items:
        k = key(d)
        for _, k2, names in out:
            if k2 == k:
                names.append(name)
                break
        else:
            out.append((d, k, [name]))
    return [(d, names) for d, _, names in out]


def _import_key(d: Demand) -> tuple:
    r = d.result
    return (_export_name(d), r.rows_read, r.rows_rejected, r.rows_merged, r.calls_imported, tuple(r.notes),
            tuple(r.rejections().items()))


def _scene_key(d: Demand) -> tuple:
    return (tuple(d.categories), tuple(sorted(d.on_scene_minutes.items())), tuple(sorted(d.on_scene_source.items())),
            d.growth)


def _export_name(d: Demand) -> str:
    src = d.result.source
    return Path(src).name if src is not None else "calls export"


def _other_call_types(d: Demand, top: int = 15) -> tuple[int, list[tuple[str, int]]]:
    from planner.profile import unmatched_call_types

    calls = d.result.calls
    if "category" not in calls or "call_type" not in calls:
        return 0, []
    return int((calls["category"] == "other").sum()), unmatched_call_types(calls, top=top)


def _paragraphs(doc: str | None) -> list[str]:
    """A module docstring as paragraphs of plain text (its lists become one paragraph per item)."""
    out = []
    for para in (doc or "").strip().split("\n\n"):
        items = [[]]
        for line in para.strip().splitlines():
            if line.lstrip().startswith("- ") and items[-1]:
                items.append([])
            items[-1].append(line.strip().removeprefix("- "))
        out += [" ".join(i).replace("`", "") for i in items if i]
    return [p for p in out if p]


def _cost_method() -> list[str]:
    """The cost model's own description (planner/costs.py), paragraph by paragraph."""
    return _paragraphs(cost_model.__doc__)


def _overload_method() -> list[str]:
    """What makes a scenario overloaded (planner/overload.py), paragraph by paragraph."""
    from planner import overload

    return _paragraphs(overload.__doc__)


def data_warnings_for(d: Demand) -> list[str]:
    """Data-sufficiency warnings of the calls a scenario planned for (planner.sufficiency)."""
    from planner.sufficiency import data_warnings

    return data_warnings(d.result, d.profile if d.profile.bin_minutes == 60 else None,
                         exclude=tuple(c for c in d.result.calls["category"].astype(str).unique()
                                       if c not in d.categories))


def _settings_words(e: Evaluation) -> str:
    r = e.run
    return (f"{r.replications} replications of {r.horizon_days:g} days ({r.warmup_days:g} days of warm-up "
            f"discarded), seed {r.seed}, arrivals {e.scenario.simulation.arrivals}")


# ================================================================================================ PDF
def _fonts() -> tuple[str, str]:
    """DejaVu Sans (shipped with matplotlib, so the charts and the text match and any script prints);
    Helvetica if it cannot be found."""
    from matplotlib import get_data_path
    from reportlab.lib.fonts import addMapping
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont

    if "CoplanSans" in pdfmetrics.getRegisteredFontNames():
        return "CoplanSans", "CoplanSans-Bold"
    base = Path(get_data_path()) / "fonts" / "ttf"
    try:
        for name, file in (("CoplanSans", "DejaVuSans.ttf"), ("CoplanSans-Bold", "DejaVuSans-Bold.ttf"),
                           ("CoplanSans-Italic", "DejaVuSans-Oblique.ttf"),
                           ("CoplanSans-BoldItalic", "DejaVuSans-BoldOblique.ttf")):
            pdfmetrics.registerFont(TTFont(name, str(base / file)))
    except Exception:  # noqa: BLE001 - a missing or damaged font file: fall back to a built-in font
        return "Helvetica", "Helvetica-Bold"
    for bold, italic, name in ((0, 0, "CoplanSans"), (1, 0, "CoplanSans-Bold"), (0, 1, "CoplanSans-Italic"),
                               (1, 1, "CoplanSans-BoldItalic")):
        addMapping("CoplanSans", bold, italic, name)
    return "CoplanSans", "CoplanSans-Bold"


class _Pdf:
    """Styles and small builders for the report's flowables."""

    def __init__(self) -> None:
        from reportlab.lib import colors
        from reportlab.lib.styles import ParagraphStyle
        from reportlab.lib.units import inch

        self.colors, self.inch = colors, inch
        regular, bold = _fonts()
        self.font, self.bold = regular, bold
        self.body = ParagraphStyle("body", fontName=regular, fontSize=9.5, leading=13, spaceAfter=5)
        self.small = ParagraphStyle("small", parent=self.body, fontSize=8, leading=10.5, spaceAfter=3,
                                    textColor=colors.HexColor("#444444"))
        self.caption = ParagraphStyle("caption", parent=self.small, spaceBefore=2, spaceAfter=10)
        self.bullet_style = ParagraphStyle("bullet", parent=self.body, leftIndent=14, bulletIndent=3, spaceAfter=4,
                                           bulletFontName=regular)
        self.sub_bullet_style = ParagraphStyle("sub_bullet", parent=self.bullet_style, leftIndent=28, bulletIndent=17,
                                               spaceAfter=2, fontSize=9, leading=12)
        self.h1 = ParagraphStyle("h1", parent=self.body, fontName=bold, fontSize=15, leading=19, spaceBefore=4,
                                 spaceAfter=8, textColor=colors.HexColor("#0B3A5C"))
        self.h2 = ParagraphStyle("h2", parent=self.body, fontName=bold, fontSize=11.5, leading=15, spaceBefore=8,
                                 spaceAfter=5, textColor=colors.HexColor("#0B3A5C"))
        self.title = ParagraphStyle("title", parent=self.body, fontName=bold, fontSize=26, leading=32,
                                    spaceAfter=14, textColor=colors.HexColor("#0B3A5C"))
        self.subtitle = ParagraphStyle("subtitle", parent=self.body, fontSize=13, leading=18, spaceAfter=6)
        self.cell = ParagraphStyle("cell", parent=self.body, fontSize=7.5, leading=9.5, spaceAfter=0)
        self.cell_head = ParagraphStyle("cell_head", parent=self.cell, fontName=bold)
        self.cell_head_r = ParagraphStyle("cell_head_r", parent=self.cell_head, alignment=2)
        self.cell_note = ParagraphStyle("cell_note", parent=self.cell, fontSize=6.8, leading=8.5,
                                        textColor=colors.HexColor("#555555"))
        self.tiny = ParagraphStyle("tiny", parent=self.cell, fontSize=6.5, leading=8, alignment=1)
        self.width = 7.0 * inch

    def p(self, text: str, style=None):
        from reportlab.platypus import Paragraph

        return Paragraph(text, style or self.body)

    def bullet(self, markup: str, level: int = 1):
        from reportlab.platypus import Paragraph

        if level == 1:
            return Paragraph(markup, self.bullet_style, bulletText="\u2022")
        return Paragraph(markup, self.sub_bullet_style, bulletText="\u2013")

    def heads(self, names: Sequence[str], right_from: int | None = None) -> list[Any]:
        """Header cells; columns from `right_from` on are right-aligned like the numbers under them."""
        return [self.p(escape(n), self.cell_head_r if right_from is not None and j >= right_from else self.cell_head)
                for j, n in enumerate(names)]

    def t(self, text: Any, style=None):
        """A paragraph of plain text (escaped: names and call types never act as markup)."""
        return self.p(escape(str(text)), style)

    def table(self, rows: list[list[Any]], widths: list[float], *, header_rows: int = 1, zebra: bool = True,
              align_right_from: int | None = None, font_size: float = 7.5):
        from reportlab.platypus import Table, TableStyle

        c = self.colors
        style = [
            ("FONTNAME", (0, 0), (-1, -1), self.font),
            ("FONTSIZE", (0, 0), (-1, -1), font_size),
            ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ("LINEBELOW", (0, header_rows - 1), (-1, header_rows - 1), 0.8, c.HexColor("#0B3A5C")),
            ("LINEBELOW", (0, header_rows), (-1, -1), 0.25, c.HexColor("#CCCCCC")),
            ("BACKGROUND", (0, 0), (-1, header_rows - 1), c.HexColor("#E9EEF3")),
            ("FONTNAME", (0, 0), (-1, header_rows - 1), self.bold),
            ("TOPPADDING", (0, 0), (-1, -1), 2.5),
            ("BOTTOMPADDING", (0, 0), (-1, -1), 2.5),
            ("LEFTPADDING", (0, 0), (-1, -1), 3),
            ("RIGHTPADDING", (0, 0), (-1, -1), 3),
        ]
        if zebra:
            for i in range(header_rows + 1, len(rows), 2):
                style.append(("BACKGROUND", (0, i), (-1, i), c.HexColor("#F6F8FA")))
        if align_right_from is not None:
            style.append(("ALIGN", (align_right_from, header_rows), (-1, -1), "RIGHT"))
        tbl = Table(rows, colWidths=widths, repeatRows=header_rows, hAlign="LEFT")
        tbl.setStyle(TableStyle(style))
        return tbl

    def image(self, png: bytes, size: tuple[float, float]):
        from reportlab.platypus import Image

        w = self.width
        h = w * size[1] / size[0]
        return Image(io.BytesIO(png), width=w, height=h)


def _overload_box(pdf: _Pdf, c: Comparison) -> list[Any]:
    """A red box naming every overloaded scenario and why (nothing when all are sound): for page one."""
    from reportlab.platypus import Spacer, Table, TableStyle

    flagged = [(name, reasons) for name, reasons in c.warnings.items() if reasons]
    if not flagged:
        return []
    red = pdf.colors.HexColor("#B00020")
    lines = [pdf.p("<b>Overloaded: these scenarios' officers cannot keep up, so their figures are not a result. "
                   "No officer hours freed and no savings are claimed for them.</b>", pdf.body)]
    for name, reasons in flagged:
        role = " (the baseline: no option can be measured against it)" if name == c.baseline else ""
        lines.append(pdf.p(f"<b>{escape(name)}</b>{role}: {escape('; '.join(reasons))}.", pdf.small))
    box = Table([[lines]], colWidths=[pdf.width], hAlign="LEFT")
    box.setStyle(TableStyle([("BOX", (0, 0), (-1, -1), 1.2, red),
                             ("BACKGROUND", (0, 0), (-1, -1), pdf.colors.HexColor("#FDECEA")),
                             ("LEFTPADDING", (0, 0), (-1, -1), 6), ("RIGHTPADDING", (0, 0), (-1, -1), 6),
                             ("TOPPADDING", (0, 0), (-1, -1), 5), ("BOTTOMPADDING", (0, 0), (-1, -1), 5)]))
    return [Spacer(1, 0.2 * pdf.inch), box]


def _change(row: pd.Series) -> str:
    """'change +0.3 min (+0.2 min to +0.5 min)', or the table's words when there is no clear change."""
    words = describe_delta(row)
    return f"change {words}" if row["clear"] else words


def _summary_bullets(c: Comparison) -> list[tuple[str, list[str]]]:
    """Response time, fallback and officer workload: a headline per topic and one line per option, in
    words, with the KPI table's numbers (formatted as the table formats them)."""
    options = [s for s in c.scenarios if s != c.baseline]
    if not options:
        return []
    base = c.baseline
    kpis = set(c.table["kpi"])
    out = []
    lines = []
    for s in options:
        p50, p90 = c.row(s, "response_minutes_p50"), c.row(s, "response_minutes_p90")
        text = (f"<b>{escape(s)}</b>: median {format_value(p50['mean'], 'minutes')}, {_change(p50)}; "
                f"90th percentile {format_value(p90['mean'], 'minutes')}, {_change(p90)}")
        if "response_minutes_p90_by_priority.1" in kpis:
            r = c.row(s, "response_minutes_p90_by_priority.1")
            text += f"; priority 1 calls, 90th percentile {format_value(r['mean'], 'minutes')}, {_change(r)}"
        if "response_minutes_p90_police_only_by_priority.1" in kpis:
            r = c.row(s, "response_minutes_p90_police_only_by_priority.1")
            text += (f". Police-only priority 1 calls (no civilian route), 90th percentile "
                     f"{format_value(r['mean'], 'minutes')}, {_change(r)}")
        if "response_minutes_p90_diverted" in kpis and _finite(c.row(s, "response_minutes_p90_diverted")["mean"]):
            r = c.row(s, "response_minutes_p90_diverted")
            text += (f"; calls with a civilian route (whoever answered them), 90th percentile "
                     f"{format_value(r['mean'], 'minutes')}, {_change(r)}")
        lines.append(text + ".")
    b50, b90 = c.row(base, "response_minutes_p50")["mean"], c.row(base, "response_minutes_p90")["mean"]
    out.append((f"<b>Response time</b> from the call to the first unit on scene: in the baseline, half the calls "
                f"are answered within {format_value(b50, 'minutes')} and nine in ten within "
                f"{format_value(b90, 'minutes')}. Police-only calls and calls with a civilian route are shown apart: "
                "a civilian unit's longer drive is not officers responding more slowly. A call left unanswered "
                "counts with the wait it had when the simulation ended.", lines))
    lines = []
    for s in options:
        fb = c.row(s, "fallback_to_officer")
        e = next(x for x in c.evaluations if x.name == s)
        if not rc._has_civilians(e):
            lines.append(f"<b>{escape(s)}</b>: no civilian units, so no call falls back.")
        elif fb["mean"] == 0:
            lines.append(f"<b>{escape(s)}</b>: no eligible call had to fall back to an officer.")
        else:
            lines.append(f"<b>{escape(s)}</b>: {format_value(fb['mean'], 'calls')} calls a year "
                         f"({format_value(fb['ci_low'], 'calls')} to {format_value(fb['ci_high'], 'calls')}).")
    out.append(("<b>Fallback to officers</b>: calls a civilian unit could have taken that went to an officer "
                "because no civilian unit was free.", lines))
    lines = []
    for s in options:
        u = c.row(s, "officer_utilisation")
        lines.append(f"<b>{escape(s)}</b>: {format_value(u['mean'], 'share')}, {_change(u)}.")
    bu = c.row(base, "officer_utilisation")["mean"]
    out.append((f"<b>Officer workload</b>: officers spend {format_value(bu, 'share')} of their time on duty on "
                "calls in the baseline (the rule of 60 asks for no more than 60%).", lines))
    return out


def _kpi_tables(pdf: _Pdf, c: Comparison) -> list[Any]:
    """The KPI table: each scenario's value and, for the options, the change against the baseline with its
    95% interval, in groups of at most three scenario columns so the table fits the page."""
    options = [s for s in c.scenarios if s != c.baseline]
    groups = [options[i:i + 2] for i in range(0, len(options), 2)] or [[]]
    kpis = list(dict.fromkeys(c.table["kpi"]))
    out = []
    for g in groups:
        cols = [c.baseline, *g]
        label_w = 1.95 * pdf.inch
        col_w = (pdf.width - label_w) / len(cols)
        head = [pdf.p("Figure (a year unless stated)", pdf.cell_head)]
        head += [pdf.p(escape(s) + ("<br/><font size=6.5>baseline</font>" if s == c.baseline else ""), pdf.cell_head)
                 for s in cols]
        rows = [head]
        for k in kpis:
            base_row = c.row(c.baseline, k)
            vals = [c.row(s, k) for s in cols]
            if not any(_finite(v["mean"]) for v in vals):
                continue
            line = [pdf.p(f"{escape(str(base_row['label']))}<br/><font size=6.5 color='#666666'>"
                          f"{escape(_unit_words(str(base_row['unit'])))}</font>", pdf.cell)]
            for s, v in zip(cols, vals, strict=True):
                value = escape(format_value(v["mean"], str(v["unit"])))
                if s == c.baseline:
                    line.append(pdf.p(value, pdf.cell))
                else:
                    d = escape(describe_delta(v))
                    # An overloaded scenario's changes are no improvement, whichever way they go.
                    colour = "#222222" if c.overloaded(s) else _delta_colour(v)
                    line.append(pdf.p(f"{value}<br/><font size=6.8 color='{colour}'>{d}</font>", pdf.cell))
            rows.append(line)
        out.append(pdf.table(rows, [label_w] + [col_w] * len(cols)))
        out.append(pdf.p("", pdf.small))
    return out


def _delta_colour(row: pd.Series) -> str:
    """Blue for a clear improvement, dark orange for a clear deterioration (colour-blind safe), near-black for a
    clear change with no better direction, grey inside the noise."""
    if not row["clear"] or not _finite(row["delta"]):
        return "#666666"
    if row["better"] not in ("lower", "higher"):
        return "#222222"
    better = row["delta"] < 0 if row["better"] == "lower" else row["delta"] > 0
    return "#0062A0" if better else "#B34700"


def _unit_words(unit: str) -> str:
    return {"hours": "hours", "share": "share of on-duty time", "minutes": "minutes", "calls": "calls",
            "USD": "US dollars", "people": "people (headcount)"}.get(unit, unit)


def _staffed(r: Responder) -> bool:
    return float(r.on_duty(60).sum()) > 0


def _roster_section(pdf: _Pdf, c: Comparison) -> list[Any]:
    from reportlab.platypus import KeepTogether

    w = pdf.width
    out = []
    for e in c.evaluations:
        s = e.scenario
        block = [pdf.t(e.name, pdf.h2)]
        if s.description:
            block.append(pdf.t(s.description, pdf.small))
        rows = [pdf.heads(["Responder type", "Unit-hours on duty a week", "Units at peak", "Headcount (relief applied)",
                           "Staffing cost a year (no overtime)"], right_from=1)]
        for t, r in e.costs.staffing.iterrows():
            if t in s.responders and not _staffed(s.responders[t]):
                continue
            rows.append([pdf.t(rc.short_label(str(r["label"])), pdf.cell), f"{r['unit_hours_per_week']:,.0f}",
                         f"{int(r['units_at_peak'])}", f"{r['headcount']:,.1f}",
                         format_value(float(r["staffing_cost"]), "USD")])
        block.append(pdf.table(rows, [w * 0.32, w * 0.17, w * 0.13, w * 0.17, w * 0.21], align_right_from=1))
        for r in s.responders.values():
            label = escape(rc.short_label(r.label))
            if r.shifts:
                rows = [pdf.heads(["Shift start", "Hours", "Days", "Units", "Unit-hours a week"], right_from=3)]
                for b in r.shifts:
                    h, m = divmod(b.start_minute, 60)
                    rows.append([f"{h:02d}:{m:02d}", f"{b.hours:g}", days_label(b.days), str(b.units),
                                 f"{b.units * b.hours * sum(b.days):,.0f}"])
                block += [pdf.p(f"<b>{label}</b>: shifts", pdf.small),
                          pdf.table(rows, [w * 0.15, w * 0.12, w * 0.25, w * 0.1, w * 0.18], align_right_from=3)]
            elif not _staffed(r):
                block.append(pdf.p(f"<b>{label}</b>: not staffed in this scenario.", pdf.small))
            else:
                first = 0.75 * pdf.inch
                hour_w = (w - first) / 24
                rows = [[pdf.p("Days", pdf.cell_head)] + [pdf.p(f"{h:02d}", pdf.tiny) for h in range(24)]]
                for days, row in on_duty_day_groups(r):
                    rows.append([days] + [_units(v) for v in row])
                tbl = pdf.table(rows, [first] + [hour_w] * 24, font_size=6.5)
                tbl.setStyle([("ALIGN", (1, 1), (-1, -1), "CENTER"), ("LEFTPADDING", (0, 0), (-1, -1), 1),
                              ("RIGHTPADDING", (0, 0), (-1, -1), 1)])
                block += [pdf.p(f"<b>{label}</b>: units on duty by hour of day (column hh: from hh:00)", pdf.small),
                          tbl]
        block.append(pdf.p("", pdf.small))
        out.append(KeepTogether(block))   # a scenario's roster on one page where it fits
    return out


def _grouped(items: list[tuple[Any, str]]) -> list[tuple[Any, list[str]]]:
    """Equal items once, with the scenarios that share them (in first-seen order)."""
    out: list[tuple[Any, list[str]]] = []
    for key, name in items:
        for k, names in out:
            if k == key:
                names.append(name)
                break
        else:
            out.append((key, [name]))
    return out


def _who(names: list[str], c: Comparison) -> str:
    return "all scenarios" if len(names) == len(c.evaluations) else ", ".join(names)


def _assumptions_section(pdf: _Pdf, c: Comparison) -> list[Any]:
    from reportlab.platypus import KeepTogether

    w = pdf.width
    out = [pdf.t("Where each scenario's figures come from", pdf.h2)]
    for e in c.evaluations:
        out.append(pdf.p(f"<b>{escape(e.name)}</b>: {escape(e.scenario.source or 'no source stated')}", pdf.body))
    out.append(pdf.t("How costs are counted, and officer hours freed", pdf.h2))
    for para in _cost_method():
        out.append(pdf.t(para, pdf.body if para.startswith("headcount =") else pdf.small))
    out.append(pdf.t("When a scenario is overloaded", pdf.h2))
    for para in _overload_method():
        out.append(pdf.t(para, pdf.small))
    for d, names in _distinct_demands(c, _import_key):
        warnings = data_warnings_for(d)
        heading = "Is the data enough?" + ("" if len(names) == len(c.evaluations) else f" ({', '.join(names)})")
        block = [pdf.t(heading, pdf.h2)]
        if warnings:
            block += [pdf.bullet(escape(w[:1].upper() + w[1:]) + ".") for w in warnings]
        else:
            block.append(pdf.p(f"{escape(_export_name(d))}: at least 8 weeks of calls, every hour of the week on "
                               "enough calls, time on scene measured, and most calls placed in a category.", pdf.small))
        out.append(KeepTogether(block))
    # Responder figures, once per distinct set of figures, for the types the scenarios staff.
    items = []
    for e in c.evaluations:
        for r in e.scenario.responders.values():
            if _staffed(r):
                items.append(((rc.short_label(r.label), r.people_per_unit, r.cost_per_person, r.overhead_per_unit,
                               r.relief_factor, r.overtime_premium, r.travel_minutes), e.name))
    rows = [pdf.heads(["Responder type", "People per unit", "Loaded cost per person a year",
                       "Overhead per unit a year", "Relief factor", "Overtime premium", "Travel (min)", "Scenarios"],
                      right_from=1)]
    for (label, people, cost, overhead, relief, premium, travel), names in _grouped(items):
        rows.append([pdf.t(label, pdf.cell), str(people), format_value(cost, "USD"), format_value(overhead, "USD"),
                     f"{relief:g}", f"{premium:g}x", f"{travel:g}", pdf.t(_who(names, c), pdf.cell)])
    table = pdf.table(rows, [w * 0.17, w * 0.09, w * 0.14, w * 0.12, w * 0.08, w * 0.1, w * 0.08, w * 0.22],
                      align_right_from=1)
    table.setStyle([("ALIGN", (-1, 0), (-1, -1), "LEFT")])
    out.append(KeepTogether([pdf.t("Responder figures", pdf.h2), table]))
    # Downstream unit costs.
    items = [((o, float(d.cost), d.source), e.name) for e in c.evaluations for o, d in e.scenario.downstream.items()]
    rows = [pdf.heads(["Outcome", "Unit cost", "Source", "Scenarios"])]
    for (o, cost, src), names in _grouped(items):
        rows.append([OUTCOME_WORDS.get(o, o), format_value(cost, "USD"), pdf.t(src or "not stated", pdf.cell),
                     pdf.t(_who(names, c), pdf.cell)])
    out.append(KeepTogether([pdf.t("Downstream unit costs", pdf.h2),
                             pdf.table(rows, [w * 0.16, w * 0.12, w * 0.5, w * 0.22])]))
    # Who may answer what, for scenarios that staff civilian units; equal policies shown once.
    items = []
    for e in c.evaluations:
        s = e.scenario
        staffed = {t for t, r in s.responders.items() if t != FALLBACK_TYPE and _staffed(r)}
        if not staffed:
            continue
        lines = []
        for cat, p in s.policy.items():
            if not any(v > 0 for v in p.eligible.values()):
                continue
            share = ", ".join(f"{_type_label(s, t).lower()} {v:.0%}" for t, v in p.eligible.items() if v > 0)
            mult = ", ".join(f"{_type_label(s, t).lower()} {v:g}x" for t, v in p.on_scene_multiplier.items()) or "-"
            lines.append((cat.replace("_", " "), share, f"{p.fallback_wait_minutes:g} min", mult))
        items.append((tuple(lines), e.name))
    for lines, names in _grouped(items):
        rows = [pdf.heads(["Category", "Share of calls each type may take", "Wait before an officer is sent",
                           "Time on scene against an officer's"])]
        rows += [[cat, pdf.t(share, pdf.cell), wait, pdf.t(mult, pdf.cell)] for cat, share, wait, mult in lines]
        out.append(KeepTogether([
            pdf.t(f"Who may answer which calls: {', '.join(names)}", pdf.h2),
            pdf.p("A call a social worker may take may also go to a co-responder unit; the rest is officer only. "
                  "Only types on duty can answer.", pdf.small),
            pdf.table(rows, [w * 0.2, w * 0.38, w * 0.17, w * 0.25])]))
    # Time on scene per category and its source, once per distinct demand.
    for d, names in _distinct_demands(c, _scene_key):
        rows = [pdf.heads(["Category", "Officer time on scene (min)", "Source"])]
        for cat in d.categories:
            rows.append([cat.replace("_", " "), f"{d.on_scene_minutes[cat]:.1f}",
                         pdf.t(d.on_scene_source.get(cat, ""), pdf.cell)])
        heading = "Time on scene by category" + ("" if len(names) == len(c.evaluations) else f": {', '.join(names)}")
        block = [pdf.t(heading, pdf.h2), pdf.table(rows, [w * 0.25, w * 0.2, w * 0.55])]
        if d.growth != 1:
            block.append(pdf.t(f"Demand scaled by {d.growth:g} (growth).", pdf.small))
        out.append(KeepTogether(block))
    rows = [pdf.heads(["Scenario", "Replications", "Simulated days", "Warm-up days", "Seed", "Arrivals",
                       "Compared pairwise"], right_from=1)]
    for e in c.evaluations:
        r = e.run
        paired = bool(c.table.loc[c.table["scenario"] == e.name, "paired"].all())
        rows.append([pdf.t(e.name, pdf.cell), str(r.replications), f"{r.horizon_days:g}", f"{r.warmup_days:g}",
                     str(r.seed), e.scenario.simulation.arrivals, "yes" if paired else "no (Welch)"])
    excluded = sorted({x.replace("_", " ") for e in c.evaluations for x in e.scenario.data.exclude_categories})
    out.append(KeepTogether([
        pdf.t("Simulation settings", pdf.h2),
        pdf.table(rows, [w * 0.27, w * 0.13, w * 0.11, w * 0.11, w * 0.12, w * 0.11, w * 0.15], align_right_from=1),
        pdf.p("Runs with the same seed and number of replications share their random numbers replication by "
              "replication, so their differences are measured pairwise; other differences use Welch's interval. "
              "Categories left out of the plan (officer time that is not demand a civilian unit could take): "
              + escape(", ".join(excluded) or "none") + ".", pdf.small)]))
    return out


def _data_quality_section(pdf: _Pdf, c: Comparison) -> list[Any]:
    from reportlab.platypus import KeepTogether

    w = pdf.width
    out = []
    demands = _distinct_demands(c, _import_key)
    if not demands:
        return [pdf.p("The calls these scenarios planned for were not kept with the runs; see the project's "
                      "import report.", pdf.body)]
    for d, names in demands:
        res = d.result
        out.append(pdf.t(f"{_export_name(d)}" + ("" if len(names) == len(c.evaluations) else f" ({', '.join(names)})"),
                         pdf.h2))
        rows = [pdf.heads(["Rows", "Count"], right_from=1),
                ["Rows read", f"{res.rows_read:,}"],
                ["Rows imported", f"{res.rows_imported:,}"],
                ["   of which further units of a call already in the file", f"{res.rows_merged:,}"],
                ["Calls imported", f"{res.calls_imported:,}"],
                ["Rows rejected", f"{res.rows_rejected:,}"]]
        out.append(pdf.table(rows, [w * 0.6, w * 0.2], align_right_from=1))
        rej = res.rejections()
        if rej:
            rrows = [pdf.heads(["Why rows were rejected", "Rows"], right_from=1)]
            rrows += [[pdf.t(reason, pdf.cell), f"{n:,}"] for reason, n in rej.items()]
            out.append(KeepTogether([pdf.p("", pdf.small), pdf.table(rrows, [w * 0.6, w * 0.2], align_right_from=1)]))
        else:
            out.append(pdf.p("No row was rejected.", pdf.small))
        if res.notes:
            out.append(pdf.t("What the import noticed", pdf.h2))
            out += [pdf.bullet(escape(str(n))) for n in res.notes]
        n_other, types = _other_call_types(d)
        total = max(res.calls_imported, 1)
        block = [pdf.t("Calls the taxonomy could not place ('other')", pdf.h2),
                 pdf.p(f"{n_other:,} calls ({n_other / total:.1%} of those imported) are in <i>other</i>, largest "
                       "call types first. Write category rules for them so they are planned for correctly.", pdf.body)]
        if types:
            trows = [pdf.heads(["Call type", "Calls"], right_from=1)]
            trows += [[pdf.t(t, pdf.cell), f"{n:,}"] for t, n in types]
            block.append(pdf.table(trows, [w * 0.6, w * 0.2], align_right_from=1))
        out.append(KeepTogether(block))
    return out


# ================================================================================================ council page
# The figures a council asks about first, in order: (KPI, words, unit). Taken from the comparison's table, so the
# page says exactly what the Compare page and the KPI table say.
COUNCIL_FIGURES = [
    ("officer_hours_freed", "Officer hours freed a year", "hours"),
    ("officer_fte_freed", "... as full-time officers", "people"),
    ("staffing_cost_total", "Staffing cost a year (incl. overtime)", "USD"),
    ("downstream_cost_total", "Downstream cost a year (arrests, bookings, ER)", "USD"),
    ("total_annual_cost", "Total annual cost", "USD"),
    ("cost_per_officer_hour_freed", "Net cost per officer hour freed", "USD"),
    ("response_minutes_p90_police_only_by_priority.1", "Police-only priority-1 calls: response, P90", "minutes"),
    ("response_minutes_p90_police_only", "Police-only calls: response, P90", "minutes"),
    ("response_minutes_p90_diverted", "Calls a civilian unit may take: response, P90", "minutes"),
]


def recommended_option(c: Comparison, name: str | None = None) -> str | None:
    """The option the council page presents: `name` when it was compared, else the sound option that frees the
    most officer hours (None when there is no option)."""
    options = [s for s in c.scenarios if s != c.baseline]
    if name in options:
        return name
    sound = [s for s in options if not c.overloaded(s)] or options
    kpis = set(c.table["kpi"])
    if not sound or "officer_hours_freed" not in kpis:
        return sound[0] if sound else None
    return max(sound, key=lambda s: _num(c.row(s, "officer_hours_freed")["mean"]) or -math.inf)


def council_figures(c: Comparison, name: str) -> list[tuple[str, str, str, str]]:
    """(kpi, words, the option's value, its change against the baseline) for the council page, formatted as the
    Compare page formats them."""
    kpis = set(c.table["kpi"])
    out = []
    for kpi, words, unit in COUNCIL_FIGURES:
        if kpi not in kpis:
            continue
        try:
            row, base = c.row(name, kpi), c.row(c.baseline, kpi)
        except (KeyError, IndexError):
            continue
        if not _finite(row["mean"]):
            continue
        change = describe_delta(row) if _finite(base["mean"]) else "-"
        out.append((kpi, words, format_value(row["mean"], unit), change))
    return out


def diverted_note(c: Comparison, name: str) -> str | None:
    """One line when calls a civilian unit may take reach their unit later than police-only calls: why."""
    kpis = set(c.table["kpi"])
    if not {"response_minutes_p90_diverted", "response_minutes_p90_police_only"} <= kpis:
        return None
    try:
        diverted = _num(c.row(name, "response_minutes_p90_diverted")["mean"])
        police = _num(c.row(name, "response_minutes_p90_police_only")["mean"])
    except (KeyError, IndexError):
        return None
    if diverted is None or police is None or diverted <= police:
        return None
    s = next(e.scenario for e in c.evaluations if e.name == name)
    officer = s.responders.get(FALLBACK_TYPE)
    civ = [r for t, r in s.responders.items() if t != FALLBACK_TYPE and _staffed(r)]
    travel = ""
    if officer is not None and civ:
        far = max(civ, key=lambda r: r.travel_minutes)
        if far.travel_minutes > officer.travel_minutes:
            travel = (f"; civilian units are fewer and travel further ({far.travel_minutes:g} min on average "
                      f"against {officer.travel_minutes:g} min for patrol)")
    return (f"Calls a civilian unit may take reach a unit later than police-only calls (P90 "
            f"{format_value(diverted, 'minutes')} against {format_value(police, 'minutes')}){travel}, and such a "
            f"call may wait up to its fallback time for a civilian unit before an officer is sent.")


@dataclass(frozen=True)
class Sensitivity:
    """One assumption at its low and high value: officer hours freed and civilian cost per officer hour freed."""

    assumption: str
    low_words: str
    high_words: str
    low: float            # cost per officer hour freed with the assumption low
    high: float
    hours_low: float
    hours_high: float


def sensitivity(scenario: Scenario, demand: Demand) -> tuple[float, float, list[Sensitivity]]:
    """Re-predict the plan with each key assumption at its low and high value (the optimiser's queueing
    prediction, `optimize.predict`, for officer hours freed: instant, where simulating 8 variants would take
    minutes). Returns the base hours freed, the base civilian cost per hour freed and one Sensitivity per
    assumption, the widest first."""
    from dataclasses import replace

    import optimize as opt
    from planner.plan import mix_input

    data = mix_input(scenario, demand, 60, hold_patrol=True)
    on_duty = {t: scenario.responders[t].on_duty(60) for t in scenario.responders}
    staffing = cost_model.staffing_table(scenario)
    civilian = float(sum(staffing.loc[t, "staffing_cost"] for t in staffing.index if t != FALLBACK_TYPE))

    def hours(d: Any) -> float:
        return float(opt.predict(d, on_duty).hours_freed)

    def per_hour(cost: float, h: float) -> float:
        return cost / h if h > 0 else math.nan

    base = hours(data)
    officer = data.officer_index
    out = []

    def eligible(k: float) -> Any:
        share = data.eligible_share.copy()
        mask = np.ones(share.shape[1], dtype=bool)
        mask[officer] = False
        civ = np.clip(share[:, mask] * k, 0.0, 1.0)
        total = civ.sum(axis=1, keepdims=True)
        share[:, mask] = np.where(total > 1.0, civ / np.maximum(total, 1e-12), civ)   # a category's shares <= 1
        return replace(data, eligible_share=share)

    def scene(k: float) -> Any:
        return replace(data, busy_minutes=data.busy_minutes * k)

    variants = [("Share of calls eligible for a civilian unit", "-25%", "+25%", eligible(0.75), eligible(1.25)),
                ("Time on scene (every call)", "-20%", "+20%", scene(0.8), scene(1.2))]
    if data.fallback_wait_minutes is not None and np.any(data.fallback_wait_minutes > 0):
        w = data.fallback_wait_minutes
        variants.append(("Fallback wait before an officer is sent", "half", "1.5x",
                         replace(data, fallback_wait_minutes=w * 0.5), replace(data, fallback_wait_minutes=w * 1.5)))
    for name, lo_w, hi_w, lo, hi in variants:
        h_lo, h_hi = hours(lo), hours(hi)
        out.append(Sensitivity(name, lo_w, hi_w, per_hour(civilian, h_lo), per_hour(civilian, h_hi), h_lo, h_hi))
    out.append(Sensitivity("Civilian staff cost a year", "-20%", "+20%", per_hour(civilian * 0.8, base),
                           per_hour(civilian * 1.2, base), base, base))
    centre = per_hour(civilian, base)
    out.sort(key=lambda s: -abs((s.high if _finite(s.high) else centre) - (s.low if _finite(s.low) else centre)))
    return base, centre, out


def tornado_chart(data: tuple[float, Sequence[Sensitivity]], ax: Axes) -> None:
    """Civilian cost per officer hour freed with each assumption at its low and high value (bars from the
    plan's own figure, the widest on top)."""
    centre, rows = data
    rows = [r for r in rows if _finite(r.low) and _finite(r.high)]
    if not rows or not _finite(centre):
        ax.text(0.5, 0.5, "No officer hours freed: nothing to test", ha="center", va="center", transform=ax.transAxes)
        ax.set_axis_off()
        return
    ys = np.arange(len(rows))[::-1]
    for y, r in zip(ys, rows, strict=True):
        for value, words, colour in ((r.low, r.low_words, rc.OKABE_ITO["blue"]),
                                     (r.high, r.high_words, rc.OKABE_ITO["orange"])):
            ax.barh(y, value - centre, left=centre, color=colour, height=0.6, gid="tornado")
            ax.annotate(f"{words}: {format_value(value, 'USD')}", (value, y), xytext=(4 if value >= centre else -4, 0),
                        textcoords="offset points", ha="left" if value >= centre else "right", va="center",
                        fontsize=7)
    ax.axvline(centre, color="black", linewidth=1)
    ax.legend(handles=[rc.Patch(color=rc.OKABE_ITO["blue"], label="assumption at its low value"),
                       rc.Patch(color=rc.OKABE_ITO["orange"], label="assumption at its high value")],
              fontsize=7, frameon=False, loc="upper center", bbox_to_anchor=(0.5, -0.3), ncol=2)
    ax.set_yticks(ys, labels=[rc.wrap(r.assumption, 26) for r in rows], fontsize=7.5)
    lo = min(min(r.low, r.high) for r in rows)
    hi = max(max(r.low, r.high) for r in rows)
    span = max(hi - lo, abs(centre) * 0.1, 1.0)
    ax.set_xlim(lo - 0.45 * span, hi + 0.45 * span)
    ax.xaxis.set_major_formatter(FuncFormatter(rc._money))
    ax.set_xlabel(f"civilian staff cost per officer hour freed (the plan: {format_value(centre, 'USD')})", fontsize=8)
    ax.tick_params(axis="x", labelsize=7)
    ax.spines[["top", "right"]].set_visible(False)


def _council_page(pdf: _Pdf, c: Comparison, name: str, budget: float | None, title: str) -> list[Any]:
    """Page one: the question, the recommended plan, what it frees and costs, response times, and what moves
    the answer most."""
    from reportlab.platypus import PageBreak, Spacer

    e = next(e for e in c.evaluations if e.name == name)
    s = e.scenario
    if not budget:      # no budget chosen: the plan's own civilian staffing cost is what it buys
        staffing = e.costs.staffing
        budget = float(sum(staffing.loc[t, "staffing_cost"] for t in staffing.index if t != FALLBACK_TYPE))
    money = format_value(budget, "USD") if budget else "the civilian budget"
    others = [s for s in c.scenarios if s != c.baseline]
    out: list[Any] = [pdf.p(f"<b>{escape(title)}</b>: {escape(', '.join(others))} compared with "
                            f"{escape(c.baseline)}", pdf.small),
                      pdf.t(f"What {money} a year buys", pdf.h1),
                      pdf.p(f"<i>The question:</i> we have {escape(money)} a year for civilian response; what "
                            "should we buy, on which shifts, and what do we get?", pdf.body),
                      pdf.p(f"<b>The plan: {escape(name)}</b>. {escape(_plan_words(s))}", pdf.body)]
    # Page one names every overloaded scenario of the comparison, whichever plan it presents.
    if any(c.overloaded(x) for x in c.scenarios):
        out += _overload_box(pdf, c)
    figures = council_figures(c, name)
    rows = [pdf.heads(["", "This plan", f"Change against {c.baseline}"], right_from=1)]
    for _kpi, words, value, change in figures:
        rows.append([pdf.t(words, pdf.cell), pdf.t(value, pdf.cell_head_r), pdf.t(change, pdf.cell)])
    out.append(pdf.table(rows, [pdf.width * 0.42, pdf.width * 0.16, pdf.width * 0.42], align_right_from=1))
    note = diverted_note(c, name)
    if note:
        out.append(pdf.p(escape(note), pdf.small))
    out.append(pdf.p(f"Annual means of {e.run.replications} simulated replications; changes with their 95% "
                     "interval, or <i>no clear difference (inside the noise)</i>.", pdf.small))
    if e.demand is not None:
        try:
            base, centre, rows_s = sensitivity(s, e.demand)
        except Exception:           # noqa: BLE001 - the page stands without the test; never lose the report
            rows_s = []
        if rows_s:
            top = rows_s[:3]
            out += [Spacer(1, 4), pdf.t("What moves the answer most", pdf.h2),
                    pdf.p("The plan re-predicted with each key assumption at a low and a high value (the optimiser's "
                          "queueing model, not a new simulation): "
                          + "; ".join(f"{escape(r.assumption.lower())} ({r.low_words}/{r.high_words}): "
                                      + (f"{format_value(r.hours_low, 'hours')} to {format_value(r.hours_high, 'hours')}"
                                         " officer hours freed, " if abs(r.hours_high - r.hours_low) > 0.5 else "")
                                      + f"{format_value(r.low, 'USD')} to {format_value(r.high, 'USD')} per hour"
                                      for r in top)
                          + f" (the plan: {format_value(base, 'hours')} hours at {format_value(centre, 'USD')} of "
                            "civilian staff cost per hour).", pdf.small)]
            chart = Chart("sensitivity", "", (7.0, 2.5), lambda ax: tornado_chart((centre, rows_s), ax))
            out.append(pdf.image(render_png(chart, dpi=170), chart.size))
    out.append(PageBreak())
    return out


def week_duties_for(e: Evaluation) -> list[rc.WeekDuty]:
    """A scenario's staffed types through the week; patrol against the units its simulated load needs to stay
    under the rule of 60 (civilian units take what they can and have no need of their own)."""
    out = []
    for t, r in e.scenario.responders.items():
        if not _staffed(r):
            continue
        on = r.on_duty(60)
        need = None
        busy = getattr(e.run, "busy_hours_by_bin", None)
        # Only patrol has a need of its own: civilian units are overflow capacity with no target (DESIGN).
        if t == FALLBACK_TYPE and busy is not None and t in busy and len(busy[t]) == 168:
            ceiling = _ceiling(e.scenario, t)
            need = np.ceil(np.asarray(busy[t], dtype=float) / max(ceiling, 1e-9) - 1e-9)
            label = f"units to keep time on calls under {ceiling:.0%} (simulated load)"
        out.append(rc.WeekDuty(t, _units_noun(_type_label(e.scenario, t)), on, need,
                               label if need is not None else rc.WeekDuty.need_label))
    return out


def _week_section(pdf: _Pdf, e: Evaluation) -> list[Any]:
    """The recommended plan's week: units on duty by day and hour for each type, hours short of the need marked."""
    from reportlab.platypus import KeepTogether

    out: list[Any] = [pdf.t(f"The week of {e.name}", pdf.h2)]
    for data in week_duties_for(e):
        chart = Chart(f"week_{data.responder}", "", (7.0, 2.5), lambda ax, d=data: rc.week_duty_chart(d, ax))
        out.append(KeepTogether([pdf.image(render_png(chart, dpi=170), chart.size)]))
    return out


def _plan_words(s: Scenario) -> str:
    """'Social worker units: Day watch 08:00, 10 h Mon-Fri, 2 units; ...' from the scenario's shifts."""
    from planner.roster_view import watch_name

    parts = []
    for t, r in s.responders.items():
        if t == FALLBACK_TYPE or not _staffed(r):
            continue
        label = rc.short_label(r.label)
        if r.shifts:
            groups: dict[tuple[int, float], int] = {}
            days: dict[tuple[int, float], set[str]] = {}
            for b in r.shifts:
                groups[b.start_minute, b.hours] = groups.get((b.start_minute, b.hours), 0) + b.units
                days.setdefault((b.start_minute, b.hours), set()).add(days_label(b.days))
            shifts = [f"{watch_name(m)} {m // 60:02d}:{m % 60:02d}, {h:g} h ({', '.join(sorted(days[m, h]))}), "
                      f"{n} unit{'s' if n != 1 else ''}" for (m, h), n in sorted(groups.items())]
            parts.append(f"{label}: " + "; ".join(shifts))
        else:
            parts.append(f"{label}: up to {int(r.on_duty(60).max())} units on duty")
    return (". ".join(parts) + ".") if parts else "No civilian units."


def write_pdf(comparison: Comparison, path: str | Path, *, title: str | None = None,
              frontier: Sequence[Any] | None = None, progress: ProgressCallback = None,
              date: dt.date | None = None, recommended: str | None = None, budget: float | None = None) -> None:
    """The report a consultant presents: the council page (the question, the recommended plan, `recommended` or
    the option freeing the most officer hours, with what it frees and costs, response times and what moves the
    answer most), title page, executive summary, charts, KPI table, rosters, assumptions and their sources, data
    quality. Written atomically."""
    from reportlab.lib.pagesizes import letter
    from reportlab.platypus import KeepTogether, PageBreak, SimpleDocTemplate, Spacer

    c = comparison
    title = title or DEFAULT_TITLE
    date = date or dt.date.today()
    pdf = _Pdf()
    options = [s for s in c.scenarios if s != c.baseline]
    story: list[Any] = []

    plan = recommended_option(c, recommended)
    if plan is not None:
        _say(progress, "writing the council page")
        story += _council_page(pdf, c, plan, budget, title)

    _say(progress, "writing the title page")
    story += [Spacer(1, 1.4 * pdf.inch), pdf.t(title, pdf.title),
              pdf.t(f"{len(options)} option{'s' if len(options) != 1 else ''} compared with the baseline, "
                    f"{c.baseline}", pdf.subtitle),
              pdf.t(date.strftime("%d %B %Y").lstrip("0"), pdf.subtitle), Spacer(1, 0.3 * pdf.inch)]
    rows = [[pdf.p("Scenario", pdf.cell_head), pdf.p("What it is", pdf.cell_head)]]
    for e in c.evaluations:
        role = " (baseline)" if e.name == c.baseline else ""
        rows.append([pdf.p(f"<b>{escape(e.name)}</b>{role}", pdf.cell),
                     pdf.t(e.scenario.description or "-", pdf.cell)])
    story.append(pdf.table(rows, [pdf.width * 0.32, pdf.width * 0.68]))
    story += _overload_box(pdf, c)
    first = c.evaluations[0]
    story += [Spacer(1, 0.25 * pdf.inch),
              pdf.t(f"Simulated with coplan: {_settings_words(first)}. Figures are a year unless stated; ranges "
                    "are 95% intervals.", pdf.small), PageBreak()]

    _say(progress, "writing the executive summary")
    story.append(pdf.t("Executive summary", pdf.h1))
    same = all(_settings_words(e) == _settings_words(first) for e in c.evaluations)
    story.append(pdf.p(
        f"Each option is compared with the baseline, <b>{escape(c.baseline)}</b>. Figures are annual means of "
        f"{first.run.replications} simulated replications"
        + (f" of {first.run.horizon_days:g} days each" if same else " (settings per scenario under Assumptions)")
        + "; the ranges in brackets are 95% intervals. Where an interval includes no change, the report says "
          "<i>no clear difference (inside the noise)</i>.", pdf.body))
    if not options:
        story.append(pdf.p("Only the baseline is here: add options (scenarios) to compare them with it.", pdf.body))
    for sentence in c.summary():
        # The option's name (or "Overloaded:") in bold; the sentence itself word for word as summary() wrote it.
        name = next((n for n in options if sentence.startswith(n + ":")), "")
        if sentence.startswith("Overloaded:"):
            name = "Overloaded:"
            story.append(pdf.bullet(f"<font color='#B00020'><b>{escape(name)}</b></font>"
                                    f"{escape(sentence[len(name):])}"))
            continue
        story.append(pdf.bullet(f"<b>{escape(name)}</b>{escape(sentence[len(name):])}"))
    for head, lines in _summary_bullets(c):
        story.append(pdf.bullet(head))
        story += [pdf.bullet(line, level=2) for line in lines]

    charts = charts_for(c, frontier)
    images = []
    for k, chart in enumerate(charts, start=1):
        _say(progress, f"drawing chart {k}/{len(charts)}: {chart.name}")
        images.append(KeepTogether([pdf.image(render_png(chart, dpi=200), chart.size),
                                    pdf.t(chart.caption, pdf.caption)]))
    story.append(Spacer(1, 6))
    story.append(images[0])           # the Pareto chart belongs with the summary
    story += [PageBreak(), pdf.t("Charts", pdf.h1), *images[1:]]

    _say(progress, "writing the KPI table")
    story += [PageBreak(), pdf.t("Key figures", pdf.h1),
              pdf.p("Each scenario's value; under each option's value, its change against the baseline with the "
                    "95% interval, or <i>no clear difference (inside the noise)</i> when the interval includes no "
                    "change. Changes in <font color='#0062A0'>blue</font> are improvements, in "
                    "<font color='#B34700'>orange</font> deteriorations; figures with no better direction (calls by "
                    "type, headcount, civilian utilisation) are in black.", pdf.small)]
    story += _kpi_tables(pdf, c)

    _say(progress, "writing the rosters")
    story += [PageBreak(), pdf.t("Staffing and roster", pdf.h1),
              pdf.p("Headcount = people per unit x relief factor x unit-hours on duty a week / 56 (see Assumptions).",
                    pdf.small)]
    if plan is not None:
        _say(progress, "drawing the week's roster")
        story += _week_section(pdf, next(e for e in c.evaluations if e.name == plan))
    story += _roster_section(pdf, c)

    _say(progress, "writing the assumptions")
    story += [PageBreak(), pdf.t("Assumptions and sources", pdf.h1)]
    story += _assumptions_section(pdf, c)

    _say(progress, "writing the data-quality page")
    story += [PageBreak(), pdf.t("Data quality", pdf.h1)]
    story += _data_quality_section(pdf, c)

    def footer(canvas, doc) -> None:
        canvas.saveState()
        canvas.setFont(pdf.font, 7.5)
        canvas.setFillColor(pdf.colors.HexColor("#666666"))
        canvas.drawString(0.75 * pdf.inch, 0.5 * pdf.inch, f"{title} - {date.isoformat()}")
        canvas.drawRightString(letter[0] - 0.75 * pdf.inch, 0.5 * pdf.inch, f"page {doc.page}")
        canvas.restoreState()

    _say(progress, "laying out the PDF")
    buf = io.BytesIO()
    doc = SimpleDocTemplate(buf, pagesize=letter, leftMargin=0.75 * pdf.inch, rightMargin=0.75 * pdf.inch,
                            topMargin=0.7 * pdf.inch, bottomMargin=0.8 * pdf.inch, title=title, author="coplan",
                            subject=f"{', '.join(options)} against {c.baseline}", creator="coplan")
    doc.build(story, onFirstPage=footer, onLaterPages=footer)
    atomic_write_bytes(Path(path), buf.getvalue())
    _say(progress, "PDF written")


# ================================================================================================ XLSX
_FORMATS = {"USD": '"$"#,##0', "share": "0.0%", "minutes": "0.0", "hours": "#,##0", "calls": "#,##0",
            "people": "0.0"}
_CENTS = '"$"#,##0.00'


class _Sheet:
    """Writes rows into a worksheet: values neutralised, numbers kept numbers, formats per column."""

    def __init__(self, ws) -> None:
        self.ws = ws
        self.row = 1
        self.widths: dict[int, float] = {}
        self.wrap_cols: set[int] = set()

    def put(self, row: int, col: int, value: Any, fmt: str | None = None, bold: bool = False):
        from openpyxl.styles import Alignment, Font

        v = spreadsheet_value(value)
        cell = self.ws.cell(row=row, column=col)
        cell.value = v
        if isinstance(v, str):
            cell.data_type = "s"   # never a formula, whatever the text
        if fmt and isinstance(v, int | float | dt.date) and not isinstance(v, bool):
            cell.number_format = fmt
        if bold:
            cell.font = Font(bold=True)
        if col in self.wrap_cols:
            cell.alignment = Alignment(wrap_text=True, vertical="top")
        shown = len(str(v)) if v is not None else 0
        if isinstance(v, float):
            shown = len(f"{v:,.2f}")
        self.widths[col] = max(self.widths.get(col, 0), min(shown, 60))
        return cell

    def header(self, names: Sequence[str]) -> None:
        from openpyxl.styles import Alignment, Border, Font, PatternFill, Side

        for j, n in enumerate(names, start=1):
            cell = self.put(self.row, j, n)
            cell.font = Font(bold=True, color="0B3A5C")
            cell.fill = PatternFill("solid", fgColor="E9EEF3")
            cell.alignment = Alignment(wrap_text=True, vertical="bottom")
            cell.border = Border(bottom=Side(style="thin", color="0B3A5C"))
            self.widths[j] = max(self.widths.get(j, 0), min(max(len(w) for w in str(n).split()) + 2, 18))
        self.row += 1

    def line(self, values: Sequence[Any], formats: Sequence[str | None] | None = None, bold: bool = False) -> None:
        for j, v in enumerate(values, start=1):
            self.put(self.row, j, v, formats[j - 1] if formats else None, bold=bold)
        self.row += 1

    def title(self, text: str) -> None:
        from openpyxl.styles import Font

        before = self.widths.get(1, 0)
        cell = self.put(self.row, 1, text)
        cell.font = Font(bold=True, size=12, color="0B3A5C")
        self.widths[1] = before   # a title may run over the next cells; the column need not fit it
        self.row += 1

    def finish(self, freeze: str | None = "A2", max_width: float = 60) -> None:
        from openpyxl.utils import get_column_letter

        for col, w in self.widths.items():
            self.ws.column_dimensions[get_column_letter(col)].width = max(8.0, min(w + 2, max_width))
        if freeze:
            self.ws.freeze_panes = freeze


def _kpi_fmt(unit: str, kpi: str) -> str:
    return _CENTS if kpi.startswith("cost_per_call") else _FORMATS.get(unit, "General")


def _xlsx_summary(wb, c: Comparison, title: str, date: dt.date) -> None:
    ws = wb.active
    ws.title = "Summary"
    sh = _Sheet(ws)
    sh.title(title)
    sh.line(["Baseline", c.baseline])
    sh.line(["Written", date], [None, "yyyy-mm-dd"])
    sh.row += 1
    sh.title("Executive summary")
    sh.wrap_cols.add(1)
    for sentence in c.summary():
        sh.put(sh.row, 1, sentence)
        ws.merge_cells(start_row=sh.row, start_column=1, end_row=sh.row, end_column=2 + len(c.scenarios))
        ws.row_dimensions[sh.row].height = 45
        sh.row += 1
    flagged = [(name, reasons) for name, reasons in c.warnings.items() if reasons]
    if flagged:
        sh.row += 1
        sh.title("Overloaded: these scenarios' officers cannot keep up; their figures are not a result")
        for name, reasons in flagged:
            sh.put(sh.row, 1, f"{name}: {'; '.join(reasons)}")
            ws.merge_cells(start_row=sh.row, start_column=1, end_row=sh.row, end_column=2 + len(c.scenarios))
            ws.row_dimensions[sh.row].height = 45
            sh.row += 1
    sh.wrap_cols.discard(1)
    sh.row += 1
    sh.title("Headline figures (a year unless stated; changes are against the baseline)")
    sh.header(["Figure", "Unit", *c.scenarios])
    for k in ("officer_hours_freed", "officer_fte_freed", "cost_per_officer_hour_freed", "officer_hours_on_calls",
              "officer_utilisation", "calls_offered", "calls_unanswered", "response_minutes_p50",
              "response_minutes_p90", "response_minutes_p90_police_only_by_priority.1",
              "response_minutes_p90_diverted", "fallback_to_officer", "staffing_cost_total",
              "downstream_cost_total", "total_annual_cost", "cost_per_call"):
        if k not in set(c.table["kpi"]):
            continue
        rows = [c.row(s, k) for s in c.scenarios]
        fmt = _kpi_fmt(str(rows[0]["unit"]), k)
        sh.line([rows[0]["label"], rows[0]["unit"], *[r["mean"] for r in rows]], [None, None, *[fmt] * len(rows)])
    sh.row += 1
    sh.header(["Change against the baseline", "Unit", *c.scenarios])
    for k in ("officer_hours_freed", "staffing_cost_total", "downstream_cost_total", "total_annual_cost"):
        rows = [c.row(s, k) for s in c.scenarios]
        fmt = _kpi_fmt(str(rows[0]["unit"]), k)
        sh.line([rows[0]["label"], rows[0]["unit"], *[r["delta"] for r in rows]], [None, None, *[fmt] * len(rows)])
    sh.finish(freeze=None)
    ws.column_dimensions["A"].width = 46


def _xlsx_kpis(wb, c: Comparison) -> None:
    sh = _Sheet(wb.create_sheet("KPIs"))
    sh.header(["Scenario", "KPI", "Figure", "Unit", "Mean", "95% low", "95% high", "Change vs baseline",
               "Change 95% low", "Change 95% high", "Clear difference", "Change in words"])
    for _, r in kpi_frame(c).iterrows():
        fmt = _kpi_fmt(str(r["unit"]), str(r["kpi"]))
        sh.line([r["scenario"], r["kpi"], r["label"], r["unit"], r["mean"], r["ci_low"], r["ci_high"], r["delta"],
                 r["delta_low"], r["delta_high"], "yes" if r["clear"] else "no", r["change_in_words"]],
                [None] * 4 + [fmt] * 6 + [None, None])
    sh.finish("C2")
    sh.ws.auto_filter.ref = sh.ws.dimensions


def _xlsx_costs(wb, c: Comparison) -> None:
    sh = _Sheet(wb.create_sheet("Costs"))
    usd = _FORMATS["USD"]
    sh.header(["Scenario", "Responder type", "Label", "People per unit", "Loaded cost per person",
               "Overhead per unit", "Relief factor", "Unit-hours on duty a week", "Headcount", "Units at peak",
               "Personnel cost", "Overhead cost", "Overtime hours a year", "Overtime cost",
               "Staffing cost incl. overtime", "Calls answered a year", "Staffing cost per call"])
    fmts = [None, None, None, "0", usd, usd, "0.00", "#,##0.0", "0.0", "0", usd, usd, "#,##0", usd, usd, "#,##0", _CENTS]
    for e in c.evaluations:
        k = e.costs.kpis
        for t, r in e.costs.staffing.iterrows():
            resp = e.scenario.responders[t]

            def m(name: str, kp=k) -> float | None:
                return float(kp.loc[name, "mean"]) if name in kp.index else None

            sh.line([e.name, t, r["label"], resp.people_per_unit, resp.cost_per_person, resp.overhead_per_unit,
                     resp.relief_factor, r["unit_hours_per_week"], r["headcount"], r["units_at_peak"],
                     r["personnel_cost"], r["overhead_cost"], e.run.kpi(f"overtime_hours.{t}"),
                     m(f"overtime_cost.{t}"), m(f"staffing_cost.{t}"), e.run.kpi(f"calls_by_responder_type.{t}"),
                     m(f"cost_per_call.{t}")], fmts)
    sh.row += 1
    sh.title("Downstream costs and totals (a year)")
    sh.header(["Scenario", "Item", "Events a year", "Unit cost", "Cost a year", "Source"])
    for e in c.evaluations:
        k = e.costs.kpis
        for o in OUTCOMES:
            unit = e.costs.unit_costs.get(o)
            cost = float(k.loc[f"downstream_cost.{o}", "mean"]) if f"downstream_cost.{o}" in k.index else None
            sh.line([e.name, OUTCOME_WORDS.get(o, o), e.run.kpi(f"outcomes.{o}"), unit, cost,
                     e.costs.unit_cost_sources.get(o, "")], [None, None, "#,##0", usd, usd, None])
        for name, words, fmt in (("downstream_cost_total", "Downstream total", usd),
                                 ("staffing_cost_total", "Staffing total (incl. overtime)", usd),
                                 ("total_annual_cost", "Total annual cost", usd),
                                 ("cost_per_call", "Total cost per call", _CENTS)):
            sh.line([e.name, words, None, None, e.costs.value(name), ""], [None, None, None, None, fmt, None],
                    bold=name == "total_annual_cost")
    sh.finish("C2")


def _xlsx_roster(wb, c: Comparison) -> None:
    sh = _Sheet(wb.create_sheet("Roster"))
    from planner.roster_view import watch_name

    # Shifts grouped as a department reads them: by watch (start time), earliest first.
    sh.header(["Scenario", "Responder type", "Label", "Shift start", "Hours", "Days", "Units", "Unit-hours a week",
               "Watch"])
    for e in c.evaluations:
        for t, r in e.scenario.responders.items():
            if r.shifts:
                for b in sorted(r.shifts, key=lambda b: (b.start_minute, b.hours)):
                    h, m = divmod(b.start_minute, 60)
                    sh.line([e.name, t, r.label, f"{h:02d}:{m:02d}", b.hours, days_label(b.days), b.units,
                             b.units * b.hours * sum(b.days), watch_name(b.start_minute)],
                            [None] * 4 + ["0.0", None, "0", "#,##0", None])
            elif float(r.on_duty(60).sum()) == 0:
                sh.line([e.name, t, r.label, "not staffed", None, None, 0, 0.0], [None] * 6 + ["0", "#,##0"])
            else:
                sh.line([e.name, t, r.label, "by hour (below)", None, None, None, float(r.on_duty(60).sum())],
                        [None] * 7 + ["#,##0"])
    sh.row += 1
    sh.title("Units on duty by hour of day (hour hh = hh:00 to hh:59)")
    sh.header(["Scenario", "Responder type", "Days", *[f"{h:02d}" for h in range(24)]])
    for e in c.evaluations:
        for t, r in e.scenario.responders.items():
            if float(r.on_duty(60).sum()) == 0:
                continue
            for days, row in on_duty_day_groups(r):
                sh.line([e.name, t, days, *[float(v) for v in row]], [None] * 3 + ["General"] * 24)
    sh.finish("C2")


def _xlsx_hourly(wb, c: Comparison) -> None:
    sh = _Sheet(wb.create_sheet("Hourly"))
    types = list(dict.fromkeys(t for e in c.evaluations for t in e.run.responder_types))
    cols = ["Scenario", "Hour of week", "Day", "Hour"]
    for t in types:
        cols += [f"{t}: units on duty", f"{t}: unit-hours on calls (average week)", f"{t}: utilisation"]
    cols.append("Fallback to officer: calls (average week)")
    sh.header(cols)
    fmts = [None, "0", None, "0"] + ["General", "0.00", "0.0%"] * len(types) + ["0.00"]
    for e in c.evaluations:
        run = e.run
        duty = {t: e.scenario.responders[t].on_duty(60) for t in types if t in e.scenario.responders}
        for i in range(168):
            values: list[Any] = [e.name, i, DAYS[i // 24], i % 24]
            for t in types:
                if t not in duty:
                    values += [None, None, None]
                    continue
                values += [float(duty[t][i]),
                           float(run.busy_hours_by_bin[t].iloc[i]) if t in run.busy_hours_by_bin else None,
                           float(run.utilisation_by_bin[t].iloc[i]) if t in run.utilisation_by_bin else None]
            values.append(float(run.fallback_by_bin[i]))
            sh.line(values, fmts)
    sh.finish("E2", max_width=18)
    sh.ws.auto_filter.ref = sh.ws.dimensions


def _xlsx_assumptions(wb, c: Comparison) -> None:
    sh = _Sheet(wb.create_sheet("Assumptions"))
    sh.wrap_cols.update({4, 6})
    sh.header(["Scenario", "Topic", "Item", "Value", "Unit", "Source"])
    usd = _FORMATS["USD"]
    for e in c.evaluations:
        s = e.scenario
        sh.line([e.name, "Scenario", "Description", s.description, None, s.source])
        for t, r in s.responders.items():
            for item, v, unit, fmt in (("People per unit", r.people_per_unit, "people", "0"),
                                       ("Loaded cost per person", r.cost_per_person, "USD a year", usd),
                                       ("Overhead per unit", r.overhead_per_unit, "USD a year", usd),
                                       ("Relief factor", r.relief_factor, "people per post", "0.00"),
                                       ("Overtime premium", r.overtime_premium, "x hourly cost", "0.00"),
                                       ("Travel time", r.travel_minutes, "minutes", "0.0"),
                                       ("Ceiling on time committed to calls", _ceiling(s, t), "share", "0%")):
                sh.line([e.name, f"Responder: {t}", item, v, unit, s.source], [None, None, None, fmt, None, None])
        for o, d in s.downstream.items():
            sh.line([e.name, "Downstream unit cost", OUTCOME_WORDS.get(o, o), d.cost, "USD", d.source],
                    [None, None, None, usd, None, None])
        for cat, p in s.policy.items():
            for t, v in p.eligible.items():
                sh.line([e.name, f"Policy: {cat}", f"Share of calls {t} may take", v, "share", s.source],
                        [None, None, None, "0%", None, None])
            if any(v > 0 for v in p.eligible.values()):
                sh.line([e.name, f"Policy: {cat}", "Wait before an officer is sent", p.fallback_wait_minutes,
                         "minutes", s.source], [None, None, None, "0.0", None, None])
        if e.demand is not None:
            for cat in e.demand.categories:
                sh.line([e.name, "Time on scene (officer)", cat, e.demand.on_scene_minutes[cat], "minutes",
                         e.demand.on_scene_source.get(cat, "")], [None, None, None, "0.0", None, None])
            sh.line([e.name, "Demand", "Growth applied", e.demand.growth, "x", s.source],
                    [None, None, None, "0.00", None, None])
        sh.line([e.name, "Demand", "Excluded categories", ", ".join(s.data.exclude_categories) or "none", None,
                 "officer time that is not demand a civilian unit could take"])
        r = e.run
        for item, v, unit, fmt in (("Replications", r.replications, None, "0"),
                                   ("Simulated days", r.horizon_days, "days", "0.0"),
                                   ("Warm-up discarded", r.warmup_days, "days", "0.0"),
                                   ("Seed", r.seed, None, "0"),
                                   ("Arrivals", s.simulation.arrivals, None, None)):
            sh.line([e.name, "Simulation", item, v, unit, "coplan run settings"], [None, None, None, fmt, None, None])
    for para in _cost_method():
        sh.line(["all", "Cost method", "", para, None, "planner/costs.py"])
    for para in _overload_method():
        sh.line(["all", "Overload", "", para, None, "planner/overload.py"])
    for d, names in _distinct_demands(c, _import_key):
        for w in data_warnings_for(d):
            sh.line([", ".join(names), "Data sufficiency", _export_name(d), w, None, "planner/sufficiency.py"])
    sh.finish("C2")
    sh.ws.column_dimensions["D"].width = 60
    sh.ws.column_dimensions["F"].width = 60


def _xlsx_data_quality(wb, c: Comparison) -> None:
    sh = _Sheet(wb.create_sheet("Data quality"))
    sh.wrap_cols.add(3)
    sh.header(["Export", "Section", "Item", "Count", "Scenarios"])
    demands = _distinct_demands(c, _import_key)
    for d, names in demands:
        res, name, who = d.result, _export_name(d), ", ".join(names)
        for item, n in (("Rows read", res.rows_read), ("Rows imported", res.rows_imported),
                        ("Rows that were further units of a call", res.rows_merged),
                        ("Calls imported", res.calls_imported), ("Rows rejected", res.rows_rejected)):
            sh.line([name, "Rows", item, n, who], [None, None, None, "#,##0", None])
        for reason, n in res.rejections().items():
            sh.line([name, "Rejected rows by reason", reason, n, who], [None, None, None, "#,##0", None])
        for note in res.notes:
            sh.line([name, "Import note", note, None, who])
        n_other, types = _other_call_types(d, top=50)
        sh.line([name, "Calls in 'other'", "All call types", n_other, who], [None, None, None, "#,##0", None])
        for t, n in types:
            sh.line([name, "Calls in 'other'", t, n, who], [None, None, None, "#,##0", None])
    if not demands:
        sh.line(["", "", "The calls the scenarios planned for were not kept with the runs", None, ""])
    sh.finish("A2")
    sh.ws.column_dimensions["C"].width = 70


def write_xlsx(comparison: Comparison, path: str | Path, *, title: str | None = None,
               progress: ProgressCallback = None, date: dt.date | None = None) -> None:
    """The workbook a finance office works in: Summary, KPIs, Costs, Roster, Hourly, Assumptions and Data
    quality. Numbers are numbers with number formats; text is neutralised. Written atomically."""
    from openpyxl import Workbook

    wb = Workbook()
    title = title or DEFAULT_TITLE
    steps = [("summary", lambda: _xlsx_summary(wb, comparison, title, date or dt.date.today())),
             ("KPIs", lambda: _xlsx_kpis(wb, comparison)), ("costs", lambda: _xlsx_costs(wb, comparison)),
             ("roster", lambda: _xlsx_roster(wb, comparison)), ("hourly tables", lambda: _xlsx_hourly(wb, comparison)),
             ("assumptions", lambda: _xlsx_assumptions(wb, comparison)),
             ("data quality", lambda: _xlsx_data_quality(wb, comparison))]
    for name, step in steps:
        _say(progress, f"workbook: {name}")
        step()
    wb.properties.creator = "coplan"
    wb.properties.title = title
    buf = io.BytesIO()
    wb.save(buf)
    atomic_write_bytes(Path(path), buf.getvalue())
    _say(progress, "workbook written")
