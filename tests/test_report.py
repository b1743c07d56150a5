"""Reports read back as a reader would: the PDF rendered and its text extracted, the workbook opened with
openpyxl, the CSV parsed; the numbers are the KPI table's, and nothing in them runs as a formula."""

from __future__ import annotations

import csv
import dataclasses
import json
import math
import re
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import pypdfium2 as pdfium
import pytest

from planner import report
from planner.compare import Evaluation, compare, describe_delta, evaluate_all, format_value
from planner.jobs import run_job
from planner.reports_io import neutralise_cell, neutralise_frame, spreadsheet_value, write_csv
from planner.scenario import load_scenario
from tests.conftest import SAMPLES

MID = SAMPLES / "midsize_city"
EVIL_NAME = '=HYPERLINK("http://x","y")'
EVIL_TYPE = "+cmd|' /C calc'!A0"


@pytest.fixture(scope="module")
def comparison():
    ss = [load_scenario(MID / f"{n}.toml") for n in ("baseline", "social_workers", "co_responders")]
    return compare(run_job(evaluate_all(ss, replications=3, horizon_days=10)))


@pytest.fixture(scope="module")
def pdf(comparison, tmp_path_factory):
    path = tmp_path_factory.mktemp("pdf") / "report.pdf"
    messages: list[str] = []
    report.write_pdf(comparison, path, title="Mid-size city: staffing options", progress=messages.append)
    return path, messages


@pytest.fixture(scope="module")
def pdf_text(pdf):
    doc = pdfium.PdfDocument(str(pdf[0]))
    try:
        pages = [doc[i].get_textpage().get_text_range() for i in range(len(doc))]
    finally:
        doc.close()
    return [_flat(t) for t in pages]


@pytest.fixture(scope="module")
def xlsx(comparison, tmp_path_factory):
    path = tmp_path_factory.mktemp("xlsx") / "report.xlsx"
    report.write_xlsx(comparison, path)
    return openpyxl.load_workbook(path)


def _flat(text: str) -> str:
    """Text as one line: PDF line breaks (and the hyphen-free wraps between words) become single spaces."""
    return re.sub(r"\s+", " ", text.replace("\r", " ").replace("\x02", "")).strip()


def _section(pages: list[str], start: str, end: str | None = None) -> str:
    text = " ".join(pages)
    i = text.index(start)
    return text[i:text.index(end, i)] if end else text[i:]


def _sheet_rows(ws) -> list[dict]:
    rows = list(ws.iter_rows())
    head = [c.value for c in rows[0]]
    return [{h: c for h, c in zip(head, r, strict=False)} for r in rows[1:] if any(c.value is not None for c in r)]


# ============================================================================================== PDF
def test_pdf_pages_render_and_none_is_blank(pdf):
    doc = pdfium.PdfDocument(str(pdf[0]))
    try:
        assert len(doc) >= 5
        for i in range(len(doc)):
            bitmap = doc[i].render(scale=0.6).to_numpy()
            ink = (bitmap[..., :3] < 200).any(axis=-1).mean()
            assert ink > 0.004, f"page {i + 1} is (nearly) blank: {ink:.4f} of its pixels have ink"
    finally:
        doc.close()
    assert any("chart" in m for m in pdf[1]) and pdf[1][-1] == "PDF written"


def test_pdf_holds_the_summary_sentences_and_every_scenario(comparison, pdf_text):
    text = " ".join(pdf_text)
    assert "Mid-size city: staffing options" in pdf_text[0]
    for s in comparison.scenarios:
        assert s in pdf_text[0]   # the title page lists them
    for sentence in comparison.summary():
        assert _flat(sentence) in text
    for heading in ("Executive summary", "Key figures", "Staffing and roster", "Assumptions and sources",
                    "Data quality", "How costs are counted"):
        assert heading in text


def test_pdf_summary_numbers_are_the_kpi_tables(comparison, pdf_text):
    table = _section(pdf_text, "Key figures", "Staffing and roster")
    for s, sentence in zip(comparison.scenarios[1:], comparison.summary(), strict=True):
        freed = comparison.row(s, "officer_hours_freed")
        m = re.search(r"free ([\d,]+) officer hours a year \(([\d,]+) to ([\d,]+)\)", sentence)
        assert m.groups() == tuple(format_value(freed[k], "hours") for k in ("mean", "ci_low", "ci_high"))
        assert f"+{m.group(1)} (+{m.group(2)} to +{m.group(3)})" in table
        staffing = re.search(r"staffing ([+-]\$\d{1,3}(?:,\d{3})*)", sentence).group(1)
        assert _flat(describe_delta(comparison.row(s, "staffing_cost_total"))).startswith(staffing + " (")
        assert _flat(describe_delta(comparison.row(s, "staffing_cost_total"))) in table
        cost = comparison.row(s, "total_annual_cost")
        if cost["clear"]:
            net = re.search(r"for (\$[\d,]+) (more|less) a year net", sentence)
            assert net.group(1) == format_value(abs(cost["delta"]), "USD")
        else:
            assert "for no clear change in net annual cost" in sentence
        assert _flat(describe_delta(cost)) in table
    # The summary bullets on response time quote the table's cells too.
    summary = _section(pdf_text, "Executive summary", "Each scenario's total annual cost")
    for s in comparison.scenarios[1:]:
        p50 = comparison.row(s, "response_minutes_p50")
        assert f"median {format_value(p50['mean'], 'minutes')}" in summary
        assert _flat(describe_delta(p50)) in summary and _flat(describe_delta(p50)) in table


def test_pdf_carries_assumptions_and_data_quality(comparison, pdf_text):
    text = " ".join(pdf_text)
    e = comparison.evaluations[0]
    assert "headcount = people_per_unit x relief_factor" in text       # the cost method, quoted
    for d in e.scenario.downstream.values():
        assert _flat(d.source) in text
    for src in e.demand.on_scene_source.values():
        assert _flat(src) in text
    res = e.demand.result
    quality = _section(pdf_text, "Data quality")
    assert f"{res.rows_read:,}" in quality and f"{res.rows_rejected:,}" in quality
    for reason in res.rejections():
        assert reason in quality
    # Calls in 'other', largest first.
    other = e.demand.result.calls.loc[lambda c: c["category"] == "other", "call_type"].value_counts()
    top = other.index[0]
    assert f"{top} {other.iloc[0]:,}" in text
    assert str(e.run.seed) in _section(pdf_text, "Simulation settings", "Data quality")


def test_pdf_is_written_atomically(comparison, tmp_path, monkeypatch):
    path = tmp_path / "report.pdf"
    path.write_bytes(b"%PDF- the previous report")

    def broken(*_a, **_k):
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(report, "render_png", broken)
    with pytest.raises(RuntimeError, match="disk on fire"):
        report.write_pdf(comparison, path)
    assert path.read_bytes() == b"%PDF- the previous report"
    assert [p.name for p in tmp_path.iterdir()] == ["report.pdf"]


# ============================================================================================== XLSX and JSON
def test_json_is_strict_json_with_every_kpi_of_every_scenario(comparison):
    j = report.comparison_json(comparison)
    assert json.loads(json.dumps(j, allow_nan=False))["baseline"] == comparison.baseline
    comparison_json = j
    assert comparison_json["scenarios"] == comparison.scenarios
    assert comparison_json["summary"] == comparison.summary()
    kpis = [k["kpi"] for k in comparison_json["kpis"]]
    assert kpis == list(dict.fromkeys(comparison.table["kpi"]))
    for s in comparison.scenarios:
        assert list(comparison_json["results"][s]) == kpis
        row = comparison.row(s, "officer_hours_freed")
        assert comparison_json["results"][s]["officer_hours_freed"]["mean"] == row["mean"]
        assert comparison_json["results"][s]["officer_hours_freed"]["clear"] == bool(row["clear"])
    # A KPI with no value (no social workers in the baseline) is null, not NaN.
    assert comparison_json["results"][comparison.baseline]["utilisation.social_worker"]["mean"] is None


def test_xlsx_holds_the_same_numbers_as_the_json_as_numbers(comparison, xlsx):
    j = report.comparison_json(comparison)
    rows = _sheet_rows(xlsx["KPIs"])
    assert len(rows) == len(comparison.table)
    columns = {"Mean": "mean", "95% low": "ci_low", "95% high": "ci_high", "Change vs baseline": "delta",
               "Change 95% low": "delta_low", "Change 95% high": "delta_high"}
    checked = 0
    for r in rows:
        expected = j["results"][r["Scenario"].value][r["KPI"].value]
        for col, key in columns.items():
            cell = r[col]
            if expected[key] is None:
                assert cell.value is None
                continue
            assert cell.data_type == "n" and isinstance(cell.value, int | float)
            assert cell.value == pytest.approx(expected[key], rel=1e-6, abs=1e-9)
            checked += 1
        assert r["Clear difference"].value == ("yes" if expected["clear"] else "no")
    assert checked > 300
    # Every KPI mean for every scenario, and numbers formatted as numbers, not text.
    means = {(r["Scenario"].value, r["KPI"].value): r["Mean"] for r in rows}
    for s in comparison.scenarios:
        cell = means[(s, "total_annual_cost")]
        assert cell.number_format == '"$"#,##0'
        assert means[(s, "officer_utilisation")].number_format == "0.0%"
    assert xlsx["KPIs"].freeze_panes == "C2"


def test_xlsx_has_every_sheet_with_frozen_headers(xlsx):
    assert xlsx.sheetnames == ["Summary", "KPIs", "Costs", "Roster", "Hourly", "Assumptions", "Data quality"]
    for name in xlsx.sheetnames[1:]:
        assert xlsx[name].freeze_panes is not None, name
    assert all(xlsx["KPIs"].column_dimensions[c].width >= 8 for c in "ABCDEFGHIJKL")


def test_xlsx_summary_sentences_and_headline_numbers_are_the_tables(comparison, xlsx):
    ws = xlsx["Summary"]
    values = [c.value for row in ws.iter_rows() for c in row if c.value is not None]
    assert [v for v in values if isinstance(v, str) and " officer hours a year " in v] == comparison.summary()
    kpis = {(r["Scenario"].value, r["KPI"].value): r for r in _sheet_rows(xlsx["KPIs"])}
    for s, sentence in zip(comparison.scenarios[1:], comparison.summary(), strict=True):
        freed = kpis[(s, "officer_hours_freed")]
        hours = re.search(r"free ([\d,]+) officer hours a year \(([\d,]+) to ([\d,]+)\)", sentence).groups()
        assert [int(h.replace(",", "")) for h in hours] == \
            [round(freed[k].value) for k in ("Mean", "95% low", "95% high")]
        staffing = re.search(r"staffing ([+-])\$(\d{1,3}(?:,\d{3})*)", sentence).groups()
        delta = kpis[(s, "staffing_cost_total")]["Change vs baseline"].value
        assert int(staffing[1].replace(",", "")) == round(abs(delta)) and (staffing[0] == "+") == (delta > 0)
    # The headline table: one row per figure, one column per scenario, the KPI sheet's means.
    rows = list(ws.iter_rows())
    head = next(i for i, r in enumerate(rows) if r[0].value == "Figure")
    names = [c.value for c in rows[head][2:]]
    assert names == comparison.scenarios
    total = next(r for r in rows[head:] if r[0].value == "Total annual cost")
    for s, cell in zip(names, total[2:], strict=True):
        assert cell.data_type == "n" and cell.value == pytest.approx(kpis[(s, "total_annual_cost")]["Mean"].value)


def test_xlsx_costs_roster_and_hourly_tables(comparison, xlsx):
    costs = _sheet_rows(xlsx["Costs"])
    a = comparison.evaluations[1]
    sw = next(r for r in costs if r["Scenario"].value == a.name and r["Responder type"].value == "social_worker")
    staff = a.costs.staffing.loc["social_worker"]
    assert sw["Headcount"].value == pytest.approx(staff["headcount"])
    assert sw["Personnel cost"].value == pytest.approx(staff["personnel_cost"])
    assert sw["Staffing cost incl. overtime"].value == pytest.approx(a.costs.value("staffing_cost.social_worker"))
    roster = _sheet_rows(xlsx["Roster"])
    shifts = [r for r in roster if r["Scenario"].value == a.name and r["Responder type"].value == "social_worker"
              and re.fullmatch(r"\d\d:\d\d", str(r["Shift start"].value))]
    assert [(r["Shift start"].value, r["Hours"].value, r["Days"].value, r["Units"].value) for r in shifts] == \
        [("08:00", 10, "Mon-Fri", 2), ("14:00", 10, "daily", 2)]
    hourly = [r for r in _sheet_rows(xlsx["Hourly"]) if r["Scenario"].value == a.name]
    assert len(hourly) == 168
    np.testing.assert_allclose([r["officer: utilisation"].value for r in hourly],
                               a.run.utilisation_by_bin["officer"].to_numpy())
    np.testing.assert_allclose([r["Fallback to officer: calls (average week)"].value for r in hourly],
                               a.run.fallback_by_bin)
    quality = _sheet_rows(xlsx["Data quality"])
    res = a.demand.result
    reasons = {r["Item"].value: r["Count"].value for r in quality if r["Section"].value == "Rejected rows by reason"}
    assert reasons == res.rejections()


# ============================================================================================== formula injection
@pytest.fixture(scope="module")
def evil(comparison):
    """The comparison with an option named like a formula and a call type in 'other' that is one."""
    evals = []
    for e in comparison.evaluations:
        scenario = e.scenario
        if e.name == "Option A: social workers":
            scenario = dataclasses.replace(scenario, name=EVIL_NAME)
        calls = e.demand.result.calls.copy()
        calls["call_type"] = calls["call_type"].astype(object)
        other = calls.index[calls["category"] == "other"][:5000]
        calls.loc[other, "call_type"] = EVIL_TYPE
        demand = dataclasses.replace(e.demand, result=dataclasses.replace(e.demand.result, calls=calls))
        evals.append(Evaluation(scenario, e.run, e.costs, demand))
    return compare(evals, baseline=comparison.baseline)


def test_formulas_in_names_and_call_types_are_inert_in_the_workbook(evil, tmp_path):
    path = tmp_path / "evil.xlsx"
    report.write_xlsx(evil, path)
    wb = openpyxl.load_workbook(path)
    seen_name = seen_type = 0
    for ws in wb:
        for row in ws.iter_rows():
            for cell in row:
                assert cell.data_type != "f", f"{ws.title}!{cell.coordinate} is a formula: {cell.value!r}"
                if isinstance(cell.value, str):
                    assert not cell.value.lstrip(" ").startswith(("=", "+", "-", "@")), \
                        f"{ws.title}!{cell.coordinate}: {cell.value!r}"
                    seen_name += "HYPERLINK" in cell.value
                    seen_type += cell.value == "'" + EVIL_TYPE
    assert seen_name > 10 and seen_type == 1
    kpis = _sheet_rows(wb["KPIs"])
    evil_rows = [r for r in kpis if r["Scenario"].value == "'" + EVIL_NAME]
    assert evil_rows and all(r["Mean"].data_type == "n" for r in evil_rows if r["Mean"].value is not None)


def test_formulas_are_inert_in_csv(evil, tmp_path):
    path = tmp_path / "kpis.csv"
    report.write_kpis_csv(evil, path)
    with path.open(newline="", encoding="utf-8") as f:
        rows = list(csv.reader(f))
    cells = [c for r in rows for c in r]
    assert "'" + EVIL_NAME in cells
    assert not any(c.startswith(("=", "+", "@")) for c in cells)
    # Numbers are written as numbers (a negative change keeps its minus: it is a number, not text).
    head = rows[0]
    deltas = [r[head.index("delta")] for r in rows[1:]]
    assert any(d.startswith("-") for d in deltas) and all(_is_number(d) for d in deltas if d)
    # The rejects CSV path: a call type that is a formula, in a categorical column too.
    calls = pd.DataFrame({"row": [2, 3], "call_type": pd.Categorical([EVIL_TYPE, "THEFT"]), "value": [EVIL_NAME, "ok"]})
    out = tmp_path / "rejects.csv"
    write_csv(calls, out)
    with out.open(newline="", encoding="utf-8") as f:
        back = list(csv.DictReader(f))
    assert [r["call_type"] for r in back] == ["'" + EVIL_TYPE, "THEFT"]
    assert [r["value"] for r in back] == ["'" + EVIL_NAME, "ok"]
    assert [r["row"] for r in back] == ["2", "3"]


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


@pytest.mark.parametrize("text", ["=1+1", "+1", "-1", "@SUM(A1)", "\t=1", "\r=1", " =1", "\uff1d1+1", "\n=1"])
def test_text_that_could_run_gets_an_apostrophe(text):
    assert neutralise_cell(text) == "'" + text


@pytest.mark.parametrize("value", ["Option A", "5150", "a=b", "", None, -5, 3.5, np.float64(-2.0)])
def test_other_values_are_left_alone(value):
    assert neutralise_cell(value) is value


def test_spreadsheet_values_keep_numbers_and_drop_what_xlsx_cannot_hold():
    assert spreadsheet_value(np.float64(2.5)) == 2.5 and isinstance(spreadsheet_value(np.int64(3)), int)
    assert spreadsheet_value(float("nan")) is None and spreadsheet_value(math.inf) is None
    assert spreadsheet_value("bad\x00\x07text") == "badtext"
    assert spreadsheet_value("-x") == "'-x"
    frame = neutralise_frame(pd.DataFrame({"=a": ["=b", "c"], "n": [-1, 2]}))
    assert list(frame.columns) == ["'=a", "n"] and frame["'=a"].tolist() == ["'=b", "c"]
    assert frame["n"].tolist() == [-1, 2]


# ============================================================================================== PNGs
def test_every_chart_is_written_as_a_png(comparison, tmp_path):
    frontier = [(9.9e6, 0.0, "b0"), (10.3e6, 5000.0, "b1")]
    messages: list[str] = []
    paths = report.write_pngs(comparison, tmp_path / "charts", frontier=frontier, dpi=50, progress=messages.append)
    names = [c.name for c in report.charts_for(comparison, frontier)]
    assert [p.stem for p in paths] == names and len(set(names)) == len(names)
    assert {"pareto", "calls_by_type", "response_time", "fallback_by_hour"} <= set(names)
    assert sum(n.startswith("utilisation_") for n in names) == 5   # officers x 3, social workers, co-responders
    for p in paths:
        assert p.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert len(messages) == len(paths)
    assert sorted(Path(tmp_path / "charts").iterdir()) == sorted(paths)


# ============================================================================================== council page
def test_the_pdf_opens_with_the_council_page_in_the_kpi_tables_numbers(comparison, pdf_text):
    first = pdf_text[0]
    plan = report.recommended_option(comparison)
    assert plan in comparison.scenarios[1:]
    freed = {s: comparison.row(s, "officer_hours_freed")["mean"] for s in comparison.scenarios[1:]}
    assert freed[plan] == max(freed.values())          # no plan named: the option freeing the most hours
    assert "a year buys" in first and "The question:" in first and f"The plan: {plan}" in first
    for kpi, unit in (("officer_hours_freed", "hours"), ("total_annual_cost", "USD"),
                      ("response_minutes_p90_police_only_by_priority.1", "minutes"),
                      ("response_minutes_p90_diverted", "minutes")):
        row = comparison.row(plan, kpi)
        assert format_value(row["mean"], unit) in first, kpi
        assert _flat(describe_delta(row)) in first, kpi
    assert "What moves the answer most" in first


def test_council_page_names_the_chosen_plan_and_budget(comparison, tmp_path):
    chosen = comparison.scenarios[2]
    path = tmp_path / "council.pdf"
    report.write_pdf(comparison, path, recommended=chosen, budget=500_000)
    doc = pdfium.PdfDocument(str(path))
    try:
        first = _flat(doc[0].get_textpage().get_text_range())
    finally:
        doc.close()
    assert "What $500,000 a year buys" in first and f"The plan: {chosen}" in first


def test_sensitivity_moves_hours_freed_the_way_each_assumption_should(comparison):
    e = comparison.evaluations[1]
    base, per_hour, rows = report.sensitivity(e.scenario, e.demand)
    assert base > 0 and per_hour > 0
    by = {r.assumption: r for r in rows}
    eligible = by["Share of calls eligible for a civilian unit"]
    assert eligible.hours_low < base < eligible.hours_high        # more eligible calls: more hours freed
    cost = by["Civilian staff cost a year"]
    assert cost.hours_low == cost.hours_high == base and cost.low < per_hour < cost.high
    widths = [abs(r.high - r.low) for r in rows]
    assert widths == sorted(widths, reverse=True)                  # the widest first, as the tornado draws them


def test_a_diverted_call_that_takes_longer_is_explained_in_one_line(comparison):
    for s in comparison.scenarios[1:]:
        diverted = comparison.row(s, "response_minutes_p90_diverted")["mean"]
        police = comparison.row(s, "response_minutes_p90_police_only")["mean"]
        note = report.diverted_note(comparison, s)
        if diverted > police:
            assert note is not None and "travel further" in note and format_value(diverted, "minutes") in note
        else:
            assert note is None


def test_xlsx_roster_names_each_shift_by_its_watch(comparison, xlsx):
    a = comparison.evaluations[1]
    roster = [r for r in _sheet_rows(xlsx["Roster"]) if r["Scenario"].value == a.name
              and r["Responder type"].value == "social_worker"
              and re.fullmatch(r"\d\d:\d\d", str(r["Shift start"].value))]
    assert [(r["Shift start"].value, r["Watch"].value) for r in roster] == [("08:00", "Day watch"),
                                                                             ("14:00", "Evening watch")]
