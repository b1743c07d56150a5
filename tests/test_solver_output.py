"""Solvers never write into the user's terminal or into --json output."""

from __future__ import annotations

import json
import logging
import os
import pty
import select
import subprocess
import sys
from pathlib import Path

import pulp

from optimize.solver import SOLVER_LOG_ENV, run_solver

ROOT = Path(__file__).resolve().parents[1]
MID = ROOT / "sample_scenarios" / "midsize_city"
SOLVER_WORDS = ("HiGHS", "Copyright", "THIRD_PARTY", "Welcome to the CBC", "Coin0")


def _tiny_mip() -> pulp.LpProblem:
    prob = pulp.LpProblem("tiny", pulp.LpMinimize)
    x = prob.add_variable("x", 0, 10, cat=pulp.LpInteger)
    y = prob.add_variable("y", 0, 10, cat=pulp.LpInteger)
    prob += 3 * x + 2 * y
    prob += x + y >= 3.5
    return prob


def test_library_solves_print_nothing(capfd):
    for solver in ("highs", "cbc"):
        stats = run_solver(_tiny_mip(), solver=solver, time_limit=10)
        assert stats.status.has_plan and stats.objective == 8.0
    out, err = capfd.readouterr()
    assert out == "" and err == ""


def test_solver_log_goes_to_the_named_file_and_the_logger(tmp_path, monkeypatch, capfd, caplog):
    target = tmp_path / "solver.log"
    monkeypatch.setenv(SOLVER_LOG_ENV, str(target))
    with caplog.at_level(logging.DEBUG, logger="coplan.solver"):
        run_solver(_tiny_mip(), solver="highs", time_limit=10)
    out, err = capfd.readouterr()
    assert out == "" and err == ""
    assert "HiGHS" in target.read_text()
    assert any("HiGHS" in r.getMessage() for r in caplog.records)


def _optimize_args() -> list[str]:
    return [sys.executable, "-m", "planner", "optimize", str(MID / "baseline.toml"), "--objective",
            "max-hours-freed", "--budget", "400000", "--time-limit", "10", "--json"]


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env.pop(SOLVER_LOG_ENV, None)
    return env


def test_optimize_json_without_a_terminal_is_json_alone():
    p = subprocess.run(_optimize_args(), capture_output=True, text=True, timeout=600, env=_env())
    assert p.returncode == 0, p.stderr
    result = json.loads(p.stdout)          # the whole of stdout, not a line of it
    assert result["status"] in ("optimal", "feasible")
    assert not any(word in p.stderr for word in SOLVER_WORDS), p.stderr


def test_optimize_json_on_a_terminal_is_json_alone():
    # stdout is a terminal (as when a user types the command); stderr is read apart.
    leader, follower = pty.openpty()
    p = subprocess.Popen(_optimize_args(), stdout=follower, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL,
                         env=_env())
    os.close(follower)
    chunks = []
    while True:
        ready, _, _ = select.select([leader], [], [], 600)
        if not ready:
            p.kill()
            raise AssertionError("coplan optimize did not finish")
        try:
            data = os.read(leader, 65536)
        except OSError:          # the child closed the terminal
            break
        if not data:
            break
        chunks.append(data)
    err = p.stderr.read().decode()
    p.stderr.close()
    assert p.wait(timeout=60) == 0, err
    os.close(leader)
    text = b"".join(chunks).decode().replace("\r\n", "\n")
    result = json.loads(text)
    assert result["status"] in ("optimal", "feasible")
    assert not any(word in err for word in SOLVER_WORDS), err     # (the JSON itself names its solver)
