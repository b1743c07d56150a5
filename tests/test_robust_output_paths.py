"""Every output path fails in one line: exit code 2, the path and the reason, and no partial file.

The tests run as root, and a read-only folder does not stop root: they use a path under a file, a
missing folder, a file-size limit (RLIMIT_FSIZE in a child process, SIGXFSZ ignored, so a write fails
with EFBIG as on a full disk) and a private device node or pipe in the test's own folder, never the
machine's /dev/full.
"""

from __future__ import annotations

import os
import stat
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from planner.cli import main
from planner.errors import ProjectError
from planner.fileio import NotRegularFile, atomic_write_bytes
from planner.project import Project, open_project
from tests.conftest import ROOT, SAMPLES

pytestmark = pytest.mark.skipif(os.name != "posix", reason="file-size limits, pipes and device nodes are POSIX")

LIMIT_BYTES = 16_384

# Run coplan with a file-size limit: writing past it fails with EFBIG, as a full disk fails with ENOSPC.
LIMITED = textwrap.dedent("""
    import resource, signal, sys
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    limit = int(sys.argv[1])
    resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))
    from planner.cli import main
    sys.exit(main(sys.argv[2:]))
""")


def _coplan_limited(*argv: str, limit: int = LIMIT_BYTES) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", LIMITED, str(limit), *argv], cwd=ROOT, capture_output=True,
                          text=True, env={**os.environ, "PYTHONPATH": str(ROOT)}, timeout=120)


def _one_error_line(err: str) -> str:
    lines = err.splitlines()
    assert len(lines) == 1 and lines[0].startswith("coplan: error: "), err[-2000:]
    assert "Traceback" not in err
    return lines[0]


def _hidden(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.startswith("."))


def test_sample_on_a_full_disk_fails_in_one_line_and_leaves_no_partial_file(tmp_path):
    out = tmp_path / "sample"
    r = _coplan_limited("sample", "--out", str(out), "--calls-per-year", "20000", "--days", "60")
    assert r.returncode == 2
    line = _one_error_line(r.stderr)
    assert line == f"coplan: error: {out / 'calls.csv'}: the file is larger than the disk or a file-size limit allows"
    assert sorted(p.name for p in out.iterdir()) == []       # neither the file nor its temporary file


def test_a_project_save_on_a_full_disk_keeps_the_old_file(tmp_path):
    project = tmp_path / "city.coplan"
    Project.new("city").save(project)
    before = project.read_bytes()
    calls = tmp_path / "calls"
    assert main(["sample", "--out", str(calls), "--calls-per-year", "20000", "--days", "30"]) == 0
    r = _coplan_limited("project", "import", str(project), str(calls / "calls.csv"), "--codes",
                        str(calls / "codes.csv"))
    assert r.returncode == 2
    line = _one_error_line(r.stderr)
    assert line.startswith(f"coplan: error: {project}: could not save the project (")
    assert project.read_bytes() == before
    assert _hidden(tmp_path) == []
    assert open_project(project).imported is None


def test_the_workbook_and_report_on_a_full_disk_fail_in_one_line(tmp_path):
    xlsx, pdf = tmp_path / "r.xlsx", tmp_path / "r.pdf"
    r = _coplan_limited("compare", str(SAMPLES / "midsize_city" / "baseline.toml"),
                        str(SAMPLES / "midsize_city" / "social_workers.toml"), "--replications", "1",
                        "--horizon-days", "3", "--quiet", "--pdf", str(pdf), "--xlsx", str(xlsx), limit=4096)
    assert r.returncode == 2
    line = _one_error_line(r.stderr)
    assert line == f"coplan: error: {pdf}: the file is larger than the disk or a file-size limit allows"
    assert sorted(p.name for p in tmp_path.iterdir()) == []


@pytest.mark.parametrize("argv", [
    ["sample", "--out", "{under}"],
    ["project", "new", "{under}.coplan"],
    ["template", "apply", "cahoots", "{baseline}", "--out", "{under}.toml"],
    ["profile", "{calls}", "--rejects", "{under}.csv"],
    ["profile", "{calls}", "--save-mapping", "{under}.toml"],
    ["compare", "{baseline}", "--pdf", "{under}.pdf"],
    ["compare", "{baseline}", "--xlsx", "{under}.xlsx"],
    ["compare", "{baseline}", "--png-dir", "{under}"],
    ["optimize", "{baseline}", "--out-scenario", "{under}.toml"],
    ["sample", "--out", "{missing}"],
    ["compare", "{baseline}", "--pdf", "{missing}.pdf"],
])
def test_an_output_under_a_file_or_in_a_missing_folder_is_refused_before_any_work(tmp_path, capsys, argv):
    a_file = tmp_path / "notes.txt"
    a_file.write_text("a file, not a folder")
    names = {"under": str(a_file / "out"), "missing": str(tmp_path / "no" / "such" / "out"),
             "baseline": str(SAMPLES / "midsize_city" / "baseline.toml"),
             "calls": str(SAMPLES / "midsize_city" / "calls.csv.gz")}
    argv = [a.format(**names) for a in argv]
    assert main(argv) == 2
    out, err = capsys.readouterr()
    line = _one_error_line(err)
    target = next(a for a in argv if a.startswith((names["under"], names["missing"])))
    assert line.startswith(f"coplan: error: {target}: ")
    assert ("notes.txt is a file, not a folder" in line) if "notes.txt" in target else ("does not exist" in line)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["notes.txt"]


def test_a_pipe_or_device_is_never_replaced(tmp_path, capsys):
    fifo = tmp_path / "rejects.csv"
    os.mkfifo(fifo)
    with pytest.raises(NotRegularFile) as e:
        atomic_write_bytes(fifo, b"x")
    assert str(e.value).endswith("is a device, pipe or socket, not a regular file; coplan writes only files: "
                                 f"'{fifo}'")
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode)
    assert main(["profile", str(SAMPLES / "midsize_city" / "calls.csv.gz"), "--rejects", str(fifo)]) == 2
    line = _one_error_line(capsys.readouterr()[1])
    assert line.startswith(f"coplan: error: {fifo}: not a regular file")
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode)
    assert _hidden(tmp_path) == []


def test_a_private_copy_of_dev_full_is_refused_and_stays_a_device(tmp_path, capsys):
    node = tmp_path / "full"
    try:
        os.mknod(node, 0o666 | stat.S_IFCHR, os.makedev(1, 7))
    except (PermissionError, OSError) as e:
        pytest.skip(f"cannot make a device node here ({e})")
    with pytest.raises(NotRegularFile):
        atomic_write_bytes(node, b"x")
    assert main(["profile", str(SAMPLES / "midsize_city" / "calls.csv.gz"), "--rejects", str(node)]) == 2
    assert _one_error_line(capsys.readouterr()[1]).startswith(f"coplan: error: {node}: not a regular file")
    with pytest.raises(ProjectError, match=r"could not save the project \(is a device, pipe or socket"):
        Project.new("x").save(node)
    assert stat.S_ISCHR(os.lstat(node).st_mode)
    assert _hidden(tmp_path) == []


def test_atomic_writes_name_the_path_and_the_reason(tmp_path):
    a_file = tmp_path / "notes.txt"
    a_file.write_text("x")
    with pytest.raises(NotADirectoryError) as e:
        atomic_write_bytes(a_file / "deeper" / "out.csv", b"x")
    assert e.value.filename == str(a_file / "deeper" / "out.csv")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["notes.txt"]
