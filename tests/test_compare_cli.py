"""`coplan compare` as a consultant runs it: a PDF that renders, a workbook with the JSON's numbers."""

from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path

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


def coplan(*args: str, cwd=None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "planner", *args], capture_output=True, text=True, cwd=cwd,
                          timeout=600)


FAST = ("--replications", "2", "--horizon-days", "7", "--json", "--quiet")


def test_compare_a_folder():
    """Every scenario in the folder, the baseline first; the mapping and the calls skipped with a note each."""
    p = coplan("compare", str(MID), *FAST)
    assert p.returncode == 0, p.stderr
    j = json.loads(p.stdout)
    assert j["baseline"] == "Baseline: officers only"
    assert j["scenarios"] == ["Baseline: officers only", "Option B: co-responder units", "Option A: social workers"]
    notes = p.stderr.splitlines()
    assert "Traceback" not in p.stderr
    assert any(n.endswith("mapping.toml: not a scenario (a column mapping)") and "skipped" in n for n in notes)
    assert any("skipped" in n and "calls.csv.gz" in n for n in notes)


def test_files_and_folders_mixed_first_scenario_is_the_baseline():
    """A file named first is the baseline; found again in the folder, it is compared once."""
    p = coplan("compare", str(MID / "social_workers.toml"), str(MID), *FAST)
    assert p.returncode == 0, p.stderr
    j = json.loads(p.stdout)
    assert j["baseline"] == "Option A: social workers"
    assert sorted(j["scenarios"]) == sorted(["Option A: social workers", "Baseline: officers only",
                                             "Option B: co-responder units"])


def test_scenarios_with_one_name_are_told_apart_by_their_files(tmp_path):
    # Two plans of one name, as `coplan optimize --out-scenario` wrote them before plans were named.
    for f, units in (("plan_a.toml", 1), ("plan_b.toml", 3)):
        (tmp_path / f).write_text(f'base = {str(MID / "baseline.toml")!r}\nname = "Optimised plan"\n'
                                  f'[responders.social_worker]\n[[responders.social_worker.shifts]]\n'
                                  f'start = "08:00"\nhours = 10\ndays = "daily"\nunits = {units}\n')
    p = coplan("compare", str(MID / "baseline.toml"), "plan_a.toml", "plan_b.toml", *FAST, cwd=tmp_path)
    assert p.returncode == 0, p.stderr
    j = json.loads(p.stdout)
    assert j["scenarios"] == ["Baseline: officers only", "Optimised plan (plan_a.toml)", "Optimised plan (plan_b.toml)"]
    a, b = (j["results"][f"Optimised plan ({f})"] for f in ("plan_a.toml", "plan_b.toml"))
    assert a["headcount.social_worker"]["mean"] < b["headcount.social_worker"]["mean"]   # not merged
    # --baseline by file name; the shared name alone is ambiguous and says so before any simulation.
    p = coplan("compare", "plan_a.toml", "plan_b.toml", "--baseline", "plan_b.toml", *FAST, cwd=tmp_path)
    assert p.returncode == 0, p.stderr
    assert json.loads(p.stdout)["baseline"] == "Optimised plan (plan_b.toml)"
    p = coplan("compare", "plan_a.toml", "plan_b.toml", "--baseline", "Optimised plan", *FAST, cwd=tmp_path)
    assert p.returncode == 2 and len(p.stderr.splitlines()) == 1
    assert "Optimised plan (plan_a.toml)" in p.stderr and "Optimised plan (plan_b.toml)" in p.stderr


def test_scenario_files_in_a_folder(tmp_path):
    from planner.cli import scenario_files

    base = f'base = {str(MID / "baseline.toml")!r}\n'
    (tmp_path / "a_option.toml").write_text(base + 'name = "A"\n')
    (tmp_path / "baseline_2024.toml").write_text(base + 'name = "Today"\n')
    (tmp_path / "Z_option.toml").write_text(base + 'name = "Z"\n')
    (tmp_path / "mapping.toml").write_bytes((MID / "mapping.toml").read_bytes())
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "x"\n')
    (tmp_path / "calls.csv").write_text("a,b\n")
    (tmp_path / "old").mkdir()
    (tmp_path / ".hidden.toml").write_text(base)
    files, notes = scenario_files(tmp_path)
    assert [f.name for f in files] == ["baseline_2024.toml", "a_option.toml", "Z_option.toml"]
    assert all(n.startswith("skipped ") for n in notes)
    skipped = {Path(n.removeprefix("skipped ").split(": ", 1)[0]).name: n.split(": ", 1)[1] for n in notes}
    assert skipped == {"calls.csv": "not a scenario (not a TOML file)",
                       "mapping.toml": "not a scenario (a column mapping)",
                       "old": "a folder (folders inside are not searched)",
                       "pyproject.toml": "not a scenario (a TOML file with no [responders] table and no base scenario)"}


def test_with_distinct_names():
    from dataclasses import replace

    from planner.compare import with_distinct_names
    from planner.scenario import load_scenario

    s = load_scenario(MID / "social_workers.toml")
    a, b, c = (replace(s, path=Path(p)) for p in ("x/plan.toml", "y/plan.toml", "y/other.toml"))
    names = [x.name for x in with_distinct_names([a, b, replace(c, name="Other")])]
    assert names == [f"{s.name} (x/plan.toml)", f"{s.name} (y/plan.toml)", "Other"]
    unnamed = [replace(s, path=None), replace(s, path=None)]
    assert [x.name for x in with_distinct_names(unnamed)] == [f"{s.name} (1)", f"{s.name} (2)"]


def test_compare_refuses_to_merge_scenarios_of_one_name():
    from types import SimpleNamespace

    from planner.compare import compare
    from planner.errors import PlannerError

    with pytest.raises(PlannerError, match="2 scenarios are named 'Plan'"):
        compare([SimpleNamespace(name="Plan"), SimpleNamespace(name="Plan")])
