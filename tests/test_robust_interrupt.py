"""Ctrl-C always ends a run within a few seconds, with its worker processes.

Each run is started in a session of its own and interrupted as a terminal does it: SIGINT to the whole
process group (the command and its workers), at a random moment of a multi-worker `coplan simulate`.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from tests.conftest import ROOT, SAMPLES

RUNS = 20
AT_ONCE = 2              # two runs side by side keep the module well under a minute on two cores
GONE_WITHIN = 10.0       # seconds from SIGINT until the command and every worker have exited

pytestmark = pytest.mark.skipif(os.name != "posix", reason="process groups and SIGINT are POSIX")


def _group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # Zombies of the group count as gone: only the test can reap the leader.
    return any(_state(pid) not in ("Z", None) for pid in _members(pgid))


def _members(pgid: int) -> list[int]:
    pids = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                if os.getpgid(int(entry)) == pgid:
                    pids.append(int(entry))
            except ProcessLookupError:
                continue
    return pids


def _state(pid: int) -> str | None:
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0]
    except OSError:
        return None


def _interrupted_run(delay: float) -> tuple[float, int, str, bool]:
    """Start a simulation on 2 workers, SIGINT its process group after `delay` s; (seconds until it and its
    workers were gone, exit code, its stderr, whether anything of it was left)."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "planner", "simulate", str(SAMPLES / "midsize_city" / "baseline.toml"),
         "--workers", "2", "--replications", "400", "--horizon-days", "28", "--quiet"],
        cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)}, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
        start_new_session=True, text=True)
    pgid = proc.pid
    time.sleep(delay)
    os.killpg(pgid, signal.SIGINT)
    sent = time.monotonic()
    left = False
    try:
        _, err = proc.communicate(timeout=GONE_WITHIN)
    except subprocess.TimeoutExpired:
        os.killpg(pgid, signal.SIGKILL)
        _, err = proc.communicate()
        return GONE_WITHIN, proc.returncode, err, True
    while _group_alive(pgid) and time.monotonic() - sent < GONE_WITHIN:
        time.sleep(0.05)
    if _group_alive(pgid):
        left = True
        os.killpg(pgid, signal.SIGKILL)
    return time.monotonic() - sent, proc.returncode, err, left


def test_ctrl_c_ends_a_multi_worker_simulation_and_its_workers_every_time():
    rng = random.Random(20261129)
    delays = [rng.uniform(0.2, 5.0) for _ in range(RUNS)]
    with ThreadPoolExecutor(AT_ONCE) as pool:
        results = list(pool.map(_interrupted_run, delays))
    slow = [(d, r) for d, r in zip(delays, results, strict=True) if r[0] >= GONE_WITHIN or r[3]]
    assert not slow, [(f"SIGINT at {d:.2f} s", f"gone after {r[0]:.1f} s", r[1], r[2][-300:]) for d, r in slow]
    for _, code, err, _ in results:
        assert code in (130, -signal.SIGINT), (code, err[-300:])
        assert "Traceback" not in err, err[-2000:]
    print(f"{RUNS} interrupts: slowest exit {max(r[0] for r in results):.2f} s after SIGINT")


STUCK = """
import sys, time
from planner import jobs
from planner.jobs import Progress, run_in_terminal

def job():
    try:
        while True:
            time.sleep(0.05)
            yield Progress(0, 0, "working")
    finally:
        print("cancelling", flush=True)
        time.sleep(600)          # a cancel that never finishes (a lock an interrupt left held)

jobs.hard_exit_on_cancel = True
print("started", flush=True)
try:
    run_in_terminal(job(), "stuck", quiet=True)
except KeyboardInterrupt:
    sys.exit(130)
"""


def test_a_cancel_that_gets_stuck_still_ends_the_command_after_its_grace():
    from planner.jobs import CANCEL_GRACE_SECONDS

    proc = subprocess.Popen([sys.executable, "-c", STUCK], cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)},
                            stdout=subprocess.PIPE, text=True, start_new_session=True)
    try:
        assert proc.stdout.readline().strip() == "started"
        time.sleep(0.3)                      # inside the job
        proc.send_signal(signal.SIGINT)
        sent = time.monotonic()
        assert proc.wait(timeout=CANCEL_GRACE_SECONDS + 5) == 130
        assert proc.stdout.read().strip() == "cancelling"
        assert CANCEL_GRACE_SECONDS - 0.5 <= time.monotonic() - sent < CANCEL_GRACE_SECONDS + 5
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        proc.stdout.close()


def test_the_cli_called_in_a_process_that_goes_on_never_arms_the_hard_exit(capsys):
    from planner import jobs
    from planner.cli import main

    assert main(["validate", str(SAMPLES / "midsize_city" / "baseline.toml")]) == 0
    assert jobs.hard_exit_on_cancel is False
