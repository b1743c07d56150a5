"""coplan's SimPy engine: calls, triage and responder shifts, replicated with confidence intervals.

Plain inputs (frozen dataclasses validated once, in their constructors), plain outputs (records and
DataFrames). Imports numpy, pandas and simpy only; never planner, ui or Qt.

Clock: minutes; minute 0 is a Monday 00:00, so weekly bins (bin 0 = Monday 00:00) line up with it.

KPIs of one replication (`ReplicationResult.kpis`, a flat dict; `run_replications` summarises them).
Everything covers the statistics window [warm-up, horizon): calls that arrived in it, and busy,
on-duty and overtime time falling in it. `<type>` is a responder type, `<p>` a priority, `<o>` an outcome.

- `hours_on_calls.<type>`: unit-hours busy on calls (travel + on scene; a k-unit call counts k).
- `on_duty_hours.<type>`, `utilisation.<type>` = hours on calls / on-duty hours (NaN if never on duty;
  can exceed 1 only through overtime).
- `overtime_hours.<type>`: unit-hours worked past shift ends finishing a call.
- `calls.<type>`: calls served by the type; `calls_total` = `calls_offered`: calls that arrived in the
  window; `calls_unanswered` (and `unserved_calls`, the same count): calls still waiting when the run
  ended (horizon + drain); `calls_abandoned`: always 0 (no abandonment in this model);
  `calls_resolved_by_phone`: calls call-taking triage resolved by phone (a category's
  `phone_resolution`), which no unit was sent to. Every call is accounted for: calls_offered = sum of
  calls.<type> + calls_resolved_by_phone + calls_unanswered + calls_abandoned, and
  `ReplicationResult.accounting` holds the same by category.
- `backup_dispatches`: officers sent to back up a civilian unit on scene (not calls: no demand of their
  own); `backup_hours`: officer unit-hours they took (also inside `hours_on_calls.<fallback type>`).
- `calls_waiting_at_horizon`, `queue_growth_per_week` (least-squares slope of the calls waiting at the
  same minute of each week of the window: a queue that grows week on week is an overloaded system).
- `calls_civilian_route`: calls triaged to a civilian route; `fallback_calls`: those sent to the
  fallback type (officer) because no acceptable unit became free within the fallback wait;
  `fallback_share` = fallback_calls / calls_civilian_route. `civilian_off_duty_calls`: civilian-route
  calls sent to an officer at once because no unit of their types was on duty (not fallbacks).
- `response_minutes_mean`, `response_minutes_p50`, `response_minutes_p90` (response = queue wait +
  travel; an unanswered call counts with the wait it had when the run ended; calls resolved by phone
  are left out), the same with
  `.priority_<p>`, for police-only calls (no civilian route) with `.police_only` and
  `.police_only_priority_<p>`, for diverted calls (a civilian route) with `.diverted`, and
  `wait_minutes_mean` with each of those suffixes.
- `p_wait`: share of calls that waited at all (an unserved call has waited).
- `outcomes.<o>`: number of calls with that outcome.
- Every hours or count KPI `group.key` also comes as `group_per_year.key` (e.g.
  `hours_on_calls_per_year.officer`, `calls_total_per_year`): scaled from the window to 52.18 weeks.
"""

from simulation.arrivals import replay_trace_minutes
from simulation.engine import RESOLVED_BY_PHONE, ReplicationResult, minutes_by_week_bin, simulate_once
from simulation.errors import SimulationError
from simulation.roster import WEEK_MINUTES, on_duty_to_shifts
from simulation.runner import Progress, SimulationResult, replication_seeds, run_replications
from simulation.spec import (
    Arrivals,
    CategorySpec,
    PoissonArrivals,
    ResponderSpec,
    SimConfig,
    TraceArrivals,
)
from simulation.stats import summarise, t_quantile

__all__ = [
    "RESOLVED_BY_PHONE",
    "WEEK_MINUTES",
    "Arrivals",
    "CategorySpec",
    "PoissonArrivals",
    "Progress",
    "ReplicationResult",
    "ResponderSpec",
    "SimConfig",
    "SimulationError",
    "SimulationResult",
    "TraceArrivals",
    "minutes_by_week_bin",
    "on_duty_to_shifts",
    "replay_trace_minutes",
    "replication_seeds",
    "run_replications",
    "simulate_once",
    "summarise",
    "t_quantile",
]
