"""Cancellable solves in a child process: progress while waiting, results and errors back, cancel stops it."""

from __future__ import annotations

import multiprocessing
import time

import numpy as np
import pytest

from optimize import (
    MixInput,
    OptimizeError,
    Progress,
    ResponderType,
    ServiceTarget,
    generate_patterns,
    pareto_sweep,
    solve_cancellable,
    solve_covering,
)

FIVE_ON_TWO_OFF = np.array([[1 if (d - f) % 7 < 5 else 0 for d in range(7)] for f in range(7)])


def drive(generator):  # noqa: ANN001, ANN201 - any Progress generator
    reports = []
    while True:
        try:
            reports.append(next(generator))
        except StopIteration as stop:
            return stop.value, reports


def test_result_comes_back_from_the_child() -> None:
    need = np.array([17, 13, 15, 19, 14, 16, 11])
    result, reports = drive(solve_cancellable(solve_covering, need, FIVE_ON_TWO_OFF, np.ones(7), time_limit=10))
    assert result.objective == 23
    assert all(isinstance(r, Progress) and r.total == 10 for r in reports)


def small_city() -> MixInput:
    """One category of calls that social workers may take half of, on three daily 8-hour shifts."""
    patterns = generate_patterns((8,), 480, ("everyday",))
    types = (
        ResponderType(name="officer", patterns=patterns, relief_factor=1.7, cost_per_person=130_000.0,
                      target=ServiceTarget(10, 0.8, max_occupancy=0.6)),
        ResponderType(name="social_worker", patterns=patterns, relief_factor=1.4, cost_per_person=80_000.0,
                      target=ServiceTarget(20, 0.8)),
    )
    return MixInput(
        categories=("behavioral_health",), types=types, arrival_rate=np.full((1, 168), 1.5),
        busy_minutes=np.array([[60.0, 75.0]]), eligible_share=np.array([[0.0, 0.5]]),
    )


def test_a_sweep_passes_its_own_progress_through() -> None:
    points, reports = drive(solve_cancellable(pareto_sweep, small_city(), [0.0, 300_000.0], time_limit_per_point=10))
    assert [p.budget for p in points] == [0.0, 300_000.0]
    assert any(r.message.startswith("budget 300,000") for r in reports)
    assert reports[-1].done == 2
    assert points[0].officer_hours_freed == 0 < points[1].officer_hours_freed


def test_errors_in_the_child_are_raised_in_the_parent() -> None:
    with pytest.raises(OptimizeError, match="coverage has 5 columns, but requirements has 4 periods"):
        drive(solve_cancellable(solve_covering, np.ones(4), np.ones((2, 5)), np.ones(2)))


def test_closing_the_generator_stops_the_child() -> None:
    job = solve_cancellable(time.sleep, 60, poll_seconds=0.05, expected_seconds=60)
    first = next(job)
    assert first.total == 60 and "solving" in first.message
    started = time.monotonic()
    job.close()
    assert time.monotonic() - started < 5
    assert not [p for p in multiprocessing.active_children() if p.is_alive()]


def test_engine_imports_neither_planner_nor_qt() -> None:
    import subprocess
    import sys

    code = (
        "import sys, optimize, optimize.mix, optimize.roster, optimize.runner;"
        "bad = sorted(m for m in sys.modules if m.split('.')[0] in {'planner', 'simulation', 'ui', 'PySide6'});"
        "print(bad); sys.exit(1 if bad else 0)"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stdout + done.stderr


def test_engine_source_has_no_forbidden_imports() -> None:
    import ast
    from pathlib import Path

    import optimize

    for path in Path(optimize.__file__).parent.glob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            names = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            for name in names:
                assert name.split(".")[0] not in {"planner", "simulation", "ui", "PySide6", "scipy"}, (path.name, name)


def test_patterns_pickle_for_the_child() -> None:
    import pickle

    patterns = generate_patterns((8,), 480, ("everyday",))
    assert pickle.loads(pickle.dumps(patterns)) == patterns
