"""Run a PuLP model on HiGHS (default) or CBC (fallback) under a time limit and report what happened."""

from __future__ import annotations

import contextlib
import ctypes
import logging
import math
import os
import re
import sys
import tempfile
import threading
import time
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from enum import StrEnum

import pulp

from optimize.errors import OptimizeError

SOLVERS = ("highs", "cbc")
DEFAULT_TIME_LIMIT = 30.0
DEFAULT_GAP = 1e-4
# Below this a gap is solver round-off, not a weaker plan.
_GAP_NOISE = 1e-9
# Where solver logs go when a user asks for them (`coplan optimize --solver-log FILE` sets it). An environment
# variable, so that solves in a child process (cancellable jobs) honour it too.
SOLVER_LOG_ENV = "COPLAN_SOLVER_LOG"
log = logging.getLogger("coplan.solver")
_OUTPUT_LOCK = threading.Lock()


class Status(StrEnum):
    """Outcome of a solve; only OPTIMAL and FEASIBLE come with a plan."""

    OPTIMAL = "optimal"  # proven optimal within the relative gap tolerance
    FEASIBLE = "feasible"  # stopped (time limit) with a plan; `gap` says how far from proven
    INFEASIBLE = "infeasible"
    UNBOUNDED = "unbounded"
    TIME_LIMIT = "time_limit"  # stopped at the time limit before any plan was found
    ERROR = "error"  # the solver failed to run

    @property
    def has_plan(self) -> bool:
        """True if the solve produced a usable plan."""
        return self in (Status.OPTIMAL, Status.FEASIBLE)


@dataclass(frozen=True)
class SolveStats:
    """What one solve returned: status, objective, best bound, relative gap, time and solver."""

    status: Status
    objective: float | None
    best_bound: float | None
    gap: float | None
    solve_seconds: float
    solver: str
    message: str = ""


def check_solver_options(solver: str, time_limit: float, gap_rel: float) -> None:
    """Raise OptimizeError unless solver name, time limit and gap are usable."""
    if solver not in SOLVERS:
        raise OptimizeError(f"solver is {solver!r}, but it must be one of {', '.join(SOLVERS)}")
    if not isinstance(time_limit, int | float) or not math.isfinite(time_limit) or time_limit <= 0:
        raise OptimizeError(f"time_limit is {time_limit!r}, but it must be a positive number of seconds")
    if not isinstance(gap_rel, int | float) or not 0 <= gap_rel < 1:
        raise OptimizeError(f"gap_rel is {gap_rel!r}, but it must be a fraction in [0, 1), e.g. 0.01 for 1%")


def relative_gap(objective: float, bound: float) -> float:
    """Relative MIP gap |objective - bound| / |objective| (0 when they agree, inf when the plan is worth 0)."""
    distance = abs(objective - bound)
    if distance <= _GAP_NOISE * max(1.0, abs(objective)):
        return 0.0
    if abs(objective) <= _GAP_NOISE:
        return math.inf
    return distance / abs(objective)


def _has_integers(prob: pulp.LpProblem) -> bool:
    return any(v.cat == pulp.LpInteger for v in prob.variables())


def _objective_value(prob: pulp.LpProblem) -> float:
    value = pulp.value(prob.objective)
    return float(value) if value is not None else 0.0


def _warm_highs_class() -> type:
    """A PuLP HiGHS command that hands the variables' current values to HiGHS as a starting plan."""
    import highspy

    class WarmHiGHS(pulp.HiGHS):
        def callSolver(self, lp: pulp.LpProblem) -> None:
            # Columns were numbered in lp.variables() order when the model was built.
            start = highspy.HighsSolution()
            start.col_value = [float(v.varValue or 0.0) for v in lp.variables()]
            start.value_valid = True
            lp.solverModel.setSolution(start)
            super().callSolver(lp)

    return WarmHiGHS


def _solve_highs(
    prob: pulp.LpProblem, time_limit: float, gap_rel: float, mip: bool, warm_start: bool = False
) -> SolveStats:
    import highspy

    kind = _warm_highs_class() if warm_start else pulp.HiGHS
    command = kind(msg=_logging_asked(), timeLimit=time_limit, gapRel=gap_rel, mip=mip)
    if not command.available():
        raise OptimizeError("HiGHS is not available (the highspy package is missing)")
    started = time.perf_counter()
    prob.solve(command)
    seconds = time.perf_counter() - started
    highs = prob.solverModel
    model_status = highs.getModelStatus()
    info = highs.getInfo()
    kinds = highspy.HighsModelStatus
    has_solution = info.primal_solution_status == 2  # 2 = feasible point available
    is_mip = mip and _has_integers(prob)
    if model_status == kinds.kOptimal:
        status = Status.OPTIMAL
    elif model_status == kinds.kInfeasible:
        status = Status.INFEASIBLE
    elif model_status == kinds.kUnboundedOrInfeasible:
        # Our models have bounded objectives by construction, so this means no plan satisfies the constraints.
        status = Status.INFEASIBLE
    elif model_status == kinds.kUnbounded:
        status = Status.UNBOUNDED
    elif model_status in (
        kinds.kTimeLimit,
        kinds.kIterationLimit,
        kinds.kInterrupt,
        kinds.kObjectiveBound,
        kinds.kObjectiveTarget,
    ):
        status = Status.FEASIBLE if has_solution else Status.TIME_LIMIT
    else:
        return SolveStats(Status.ERROR, None, None, None, seconds, "HiGHS", f"HiGHS stopped with {model_status}")
    if not status.has_plan:
        return SolveStats(status, None, None, None, seconds, "HiGHS")
    objective = _objective_value(prob)
    bound: float | None = objective
    if is_mip:
        # HiGHS reports its own (minimised, constant-free) objective and dual bound: only their distance carries over.
        primal, dual = info.objective_function_value, info.mip_dual_bound
        if math.isfinite(primal) and math.isfinite(dual):
            distance = abs(primal - dual)
            bound = objective - distance if prob.sense == pulp.LpMinimize else objective + distance
        else:
            bound = None
    gap = relative_gap(objective, bound) if bound is not None else None
    return SolveStats(status, objective, bound, gap, seconds, "HiGHS")


def _cbc_command(
    time_limit: float, gap_rel: float, mip: bool, log_path: str, warm_start: bool = False
) -> pulp.LpSolver_CMD:
    options = dict(msg=False, timeLimit=time_limit, gapRel=gap_rel, mip=mip, logPath=log_path, warmStart=warm_start)
    installed = pulp.COIN_CMD(**options)
    if installed.available():
        return installed
    # PuLP 3 still ships a CBC binary; its wrapper warns that PuLP 4 drops it. The project pins PuLP < 4,
    # so the warning is not actionable for a user and must not turn into an error under `-W error`.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        bundled = pulp.PULP_CBC_CMD(**options)
    if bundled.available():
        return bundled
    raise OptimizeError("CBC is not available: neither a `cbc` program nor PuLP's bundled CBC was found")


def _read_cbc_log(path: str) -> dict[str, float]:
    found: dict[str, float] = {}
    try:
        with open(path, encoding="utf-8", errors="replace") as handle:
            text = handle.read()
    except OSError:
        return found
    # CBC names the bound "Lower bound" when minimising and "Upper bound" when maximising.
    for key, label in (("objective", "Objective value"), ("bound", "(?:Lower|Upper) bound"), ("gap", "Gap")):
        match = re.search(rf"^{label}:\s+(\S+)", text, re.MULTILINE)
        if match:
            try:
                found[key] = float(match.group(1))
            except ValueError:
                pass
    return found


def _solve_cbc(
    prob: pulp.LpProblem, time_limit: float, gap_rel: float, mip: bool, warm_start: bool = False
) -> SolveStats:
    handle, log_path = tempfile.mkstemp(prefix="coplan-cbc-", suffix=".log")
    os.close(handle)
    try:
        command = _cbc_command(time_limit, gap_rel, mip, log_path, warm_start)
        started = time.perf_counter()
        prob.solve(command)
        seconds = time.perf_counter() - started
        found = _read_cbc_log(log_path)
        if _logging_asked():
            # Into the captured output, which goes where the user asked for solver logs.
            with contextlib.suppress(OSError), open(log_path, "rb") as handle:
                os.write(1, handle.read())
    finally:
        try:
            os.remove(log_path)
        except OSError:
            pass
    if prob.status == pulp.LpStatusOptimal:
        status = Status.OPTIMAL if prob.sol_status == pulp.LpSolutionOptimal else Status.FEASIBLE
    elif prob.status == pulp.LpStatusInfeasible:
        status = Status.INFEASIBLE
    elif prob.status == pulp.LpStatusUnbounded:
        status = Status.UNBOUNDED
    elif prob.status == pulp.LpStatusNotSolved:
        status = Status.TIME_LIMIT
    else:
        return SolveStats(Status.ERROR, None, None, None, seconds, "CBC", f"CBC returned status {prob.status}")
    if not status.has_plan:
        return SolveStats(status, None, None, None, seconds, "CBC")
    objective = _objective_value(prob)
    bound: float | None = objective if status == Status.OPTIMAL else None
    if status == Status.FEASIBLE and "objective" in found and "bound" in found:
        distance = abs(found["objective"] - found["bound"])
        bound = objective - distance if prob.sense == pulp.LpMinimize else objective + distance
    gap = relative_gap(objective, bound) if bound is not None else None
    return SolveStats(status, objective, bound, gap, seconds, "CBC")


def _logging_asked() -> bool:
    """True when the user asked for solver logs (a log file, or the logger at debug level)."""
    return bool(os.environ.get(SOLVER_LOG_ENV)) or log.isEnabledFor(logging.DEBUG)


def _flush_c_stdio() -> None:
    """Flush the C library's stdio buffers, so a solver's buffered lines land where they were meant to."""
    with contextlib.suppress(Exception):
        ctypes.CDLL(None).fflush(None)


@contextlib.contextmanager
def solver_output_captured() -> Iterator[None]:
    """Keep whatever a solver writes (HiGHS prints a banner when it is created) out of the user's terminal.

    The process's file descriptors 1 and 2 point to a temporary file while the solver runs: solvers write
    from C, below Python's sys.stdout. The captured text goes to the file named by COPLAN_SOLVER_LOG (appended)
    and to the `coplan.solver` logger at debug level; otherwise nowhere.
    """
    with _OUTPUT_LOCK:
        for stream in (sys.stdout, sys.stderr):
            with contextlib.suppress(Exception):
                stream.flush()
        _flush_c_stdio()
        saved = [os.dup(1), os.dup(2)]
        capture = tempfile.TemporaryFile(prefix="coplan-solver-")
        try:
            os.dup2(capture.fileno(), 1)
            os.dup2(capture.fileno(), 2)
            try:
                yield
            finally:
                _flush_c_stdio()
                os.dup2(saved[0], 1)
                os.dup2(saved[1], 2)
            capture.seek(0)
            text = capture.read().decode("utf-8", errors="replace")
        finally:
            capture.close()
            for fd in saved:
                os.close(fd)
    if not text:
        return
    target = os.environ.get(SOLVER_LOG_ENV)
    if target:
        with contextlib.suppress(OSError), open(target, "a", encoding="utf-8") as handle:
            handle.write(text)
    if log.isEnabledFor(logging.DEBUG):
        for line in text.splitlines():
            log.debug("%s", line)


def run_solver(
    prob: pulp.LpProblem,
    *,
    solver: str = "highs",
    time_limit: float = DEFAULT_TIME_LIMIT,
    gap_rel: float = DEFAULT_GAP,
    mip: bool = True,
    warm_start: bool = False,
) -> SolveStats:
    """Solve `prob` in place with a time limit; HiGHS falls back to CBC if it is missing or fails.

    With `warm_start`, the variables' current values (e.g. the last solve's plan) are offered as a start.
    """
    check_solver_options(solver, time_limit, gap_rel)
    if not prob.variables():
        # Nothing to decide (e.g. no bin needs a unit): solvers reject empty models, the answer is the constant.
        value = _objective_value(prob)
        return SolveStats(Status.OPTIMAL, value, value, 0.0, 0.0, "none")
    with solver_output_captured():
        return _run_solver(prob, solver, time_limit, gap_rel, mip, warm_start)


def _run_solver(
    prob: pulp.LpProblem, solver: str, time_limit: float, gap_rel: float, mip: bool, warm_start: bool
) -> SolveStats:
    if solver == "cbc":
        return _solve_cbc(prob, time_limit, gap_rel, mip, warm_start)
    started = time.perf_counter()
    try:
        stats = _solve_highs(prob, time_limit, gap_rel, mip, warm_start)
        reason = stats.message
    except Exception as exc:  # any HiGHS failure, including a missing or broken highspy, means: try CBC
        stats, reason = None, f"{type(exc).__name__}: {exc}"
    if stats is not None and stats.status != Status.ERROR:
        return stats
    # The fallback gets what is left of the time limit, but never less than a second to start up.
    remaining = max(1.0, time_limit - (time.perf_counter() - started))
    fallback = _solve_cbc(prob, remaining, gap_rel, mip, warm_start)
    note = f"HiGHS failed ({reason}); solved with CBC instead"
    return SolveStats(
        fallback.status,
        fallback.objective,
        fallback.best_bound,
        fallback.gap,
        time.perf_counter() - started,
        fallback.solver,
        f"{note}. {fallback.message}".strip(),
    )


def status_explanation(stats: SolveStats, time_limit: float) -> str:
    """One sentence for a solve that produced no plan, naming what to change."""
    if stats.status == Status.TIME_LIMIT:
        return (
            f"time_limit: no feasible plan was found within {time_limit:g} s; raise time_limit, use coarser "
            f"bins or fewer shift patterns"
        )
    if stats.status == Status.UNBOUNDED:
        return "unbounded: the objective can grow without limit; check for negative costs or a missing budget"
    if stats.status == Status.ERROR:
        return f"error: the solver failed ({stats.message or 'no message'})"
    return ""
