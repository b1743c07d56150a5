"""`coplan compare` as a consultant runs it: a PDF that renders, a workbook with the JSON's numbers."""

from __future__ import annotations

import json
import math
import subprocess
import sys

import openpyxl
import pypdfium2 as pdfium
import pytest

from tests.conftest import SAMPLES

MID = SAMPLES / "midsize_city"


@pytest.fixture(scope="module")
def compared(tmp_path_factory):
    out = tmp_path_factory.mktemp("compare")
    args = [sys.executable, "-m", "planner", "compare", str(MID / "baseline.toml"), str(MID / "social_workers.toml"),
            str(MID / "co_responders.toml"), "--replications", "3", "--horizon-days", "10", "--quiet"]
    files = ["--pdf", str(out / "report.pdf"), "--xlsx", str(out / "report.xlsx"), "--png-dir", str(out / "png")]
    p = subprocess.run([*args, *files, "--json"], capture_output=True, text=True, timeout=600)
    assert p.returncode == 0, p.stderr
    return out, json.loads(p.stdout)


def test_pdf_pages_render(compared):
    out, j = compared
    pdf = pdfium.PdfDocument(str(out / "report.pdf"))
    try:
        assert len(pdf) >= 5
        text = ""
        for i in range(len(pdf)):
            page = pdf[i]
            bitmap = page.render(scale=0.5).to_numpy()
            assert (bitmap < 250).mean() > 0.002, f"page {i + 1} is blank"
            tp = page.get_textpage()
            text += tp.get_text_range()
            tp.close()
            page.close()
    finally:
        pdf.close()
    flat = " ".join(text.split())
    for sentence in j["summary"]:
        assert " ".join(sentence.split()) in flat


def test_workbook_has_the_json_numbers(compared):
    out, j = compared
    wb = openpyxl.load_workbook(out / "report.xlsx")
    try:
        ws = wb["KPIs"]
        seen = 0
        for row in ws.iter_rows(min_row=2, values_only=True):
            scenario, kpi, mean = row[0], row[1], row[4]
            expected = j["results"][scenario][kpi]["mean"]
            if expected is None:
                assert mean is None
                continue
            assert isinstance(mean, float | int)
            assert math.isclose(mean, expected, rel_tol=1e-9, abs_tol=1e-9), (scenario, kpi)
            seen += 1
        assert seen > 50
    finally:
        wb.close()


def test_pngs_of_every_chart(compared):
    out, _ = compared
    pngs = sorted((out / "png").glob("*.png"))
    assert len(pngs) >= 5
    assert all(p.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" for p in pngs)


def test_project_compare_reuses_saved_runs(tmp_path):
    proj = tmp_path / "city.coplan"
    run = lambda *a: subprocess.run([sys.executable, "-m", "planner", *a], capture_output=True, text=True,  # noqa: E731
                                    timeout=600)
    assert run("project", "new", str(proj), "--name", "City").returncode == 0
    p = run("project", "import", str(proj), str(MID / "calls.csv.gz"), "--mapping", str(MID / "mapping.toml"))
    assert p.returncode == 0, p.stderr
    p = run("project", "add-scenario", str(proj), str(MID / "baseline.toml"), str(MID / "social_workers.toml"))
    assert p.returncode == 0, p.stderr
    p = run("compare", str(proj), "--replications", "2", "--horizon-days", "7", "--json", "--quiet")
    assert p.returncode == 0, p.stderr
    first = json.loads(p.stdout)
    # The runs were saved into the project: comparing again reuses them and gives the same numbers.
    p = run("compare", str(proj), "--json", "--quiet")
    assert json.loads(p.stdout)["results"] == first["results"]
