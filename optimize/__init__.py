"""coplan's optimisation engine: staffing requirements, covering and roster models, the responder mix.

Plain inputs (frozen dataclasses, numpy arrays, DataFrames) in, plain results out. The engine never imports
`planner`, `simulation`, `ui` or Qt. A failed solve (infeasible, unbounded, time limit without a plan) is a
result with `status` and `explanation`, never an exception; OptimizeError means the input itself is unusable.
"""

from optimize.bins import (
    DEFAULT_BIN_MINUTES,
    MINUTES_PER_WEEK,
    WEEKS_PER_YEAR,
    bin_label,
    bin_minutes_for,
    describe_bins,
    n_bins,
)
from optimize.covering import CoverProblem, CoverResult, greedy_cover, lp_rounding_cover, solve_covering
from optimize.errors import OptimizeError
from optimize.mix import (
    OBJECTIVES,
    PATROL,
    MixInput,
    MixResult,
    ParetoPoint,
    Prediction,
    ResponderType,
    pareto_sweep,
    predict,
    solve_mix,
)
from optimize.patterns import (
    DAY_PATTERNS,
    STANDARD_DAY_PATTERNS,
    ShiftPattern,
    coverage_matrix,
    days_label,
    generate_patterns,
    week_mask,
)
from optimize.queueing import (
    ServiceTarget,
    erlang_b,
    erlang_c,
    max_load,
    mean_wait,
    meets_target,
    p_wait_longer,
    requirements,
    servers_needed,
    units_needed,
)
from optimize.roster import (
    RosterResult,
    RosterType,
    RunnableRoster,
    UnitType,
    fewest_start_times,
    limit_start_times,
    runnable_roster,
    solve_roster,
)
from optimize.runner import Progress, solve_cancellable
from optimize.solver import SOLVERS, SolveStats, Status

__all__ = [
    "DAY_PATTERNS",
    "DEFAULT_BIN_MINUTES",
    "MINUTES_PER_WEEK",
    "OBJECTIVES",
    "PATROL",
    "SOLVERS",
    "STANDARD_DAY_PATTERNS",
    "WEEKS_PER_YEAR",
    "CoverProblem",
    "CoverResult",
    "MixInput",
    "MixResult",
    "OptimizeError",
    "ParetoPoint",
    "Prediction",
    "Progress",
    "ResponderType",
    "RosterResult",
    "RunnableRoster",
    "RosterType",
    "ServiceTarget",
    "ShiftPattern",
    "SolveStats",
    "Status",
    "UnitType",
    "bin_label",
    "bin_minutes_for",
    "coverage_matrix",
    "days_label",
    "describe_bins",
    "erlang_b",
    "erlang_c",
    "generate_patterns",
    "greedy_cover",
    "lp_rounding_cover",
    "max_load",
    "mean_wait",
    "meets_target",
    "n_bins",
    "p_wait_longer",
    "pareto_sweep",
    "predict",
    "requirements",
    "servers_needed",
    "solve_covering",
    "solve_cancellable",
    "solve_mix",
    "solve_roster",
    "fewest_start_times",
    "limit_start_times",
    "runnable_roster",
    "units_needed",
    "week_mask",
]
