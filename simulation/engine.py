"""The discrete-event engine: calls, triage, per-type queues and unit shifts on a `simpy.Environment`.

Design for speed: there is no SimPy process per call. Arrivals are one chain of timeouts, each unit's
end of service is one timeout with a callback, a civilian call that has to wait gets one fallback
timeout, and shift changes are one chain of urgent events. Queues are plain heaps per responder type
keyed by (priority, arrival order). Random numbers are drawn up front, vectorised, from the
replication's own generator, so a replication is a pure function of (config, seed).

Rules, in the words of DESIGN.md:
- Calls wait per responder type in priority order (priority 1 first, then first come first served);
  service is not pre-empted.
- A call with a civilian route takes the first acceptable type that has a free unit, preferring earlier
  types in its route. If no unit of any acceptable type is on duty at all, dispatch knows it and sends
  an officer at once (recorded as `civilian_off_duty`, not as a fallback). If none is free it waits in the queue of every acceptable type; if no unit took it
  within the category's fallback wait it moves to the fallback (officer) queue, keeping its place by
  original arrival time, and is recorded as a fallback. From then on only the fallback type serves it.
- A call that needs k units holds k units of the fallback type together (civilian types send one unit).
  It starts only when k are free, and the fallback queue is served strictly in order: while the head
  call waits for k free units, free units are held for it rather than given to calls behind it. That is
  what keeps multi-unit calls from starving behind a stream of one-unit calls.
- Every unit has on-duty intervals (weekly counts become intervals, longest-on unit goes off first).
  A unit busy at the end of its shift finishes the call; the time past the shift end is overtime.
  An off-duty unit, and a unit in overtime, takes no new call. A shift change at minute t takes effect
  before calls arriving at minute t.
- Busy time of a unit = travel + time on scene (the category's mean times the responder type's
  multiplier; a trace's known on-scene minutes are multiplied too). One travel draw per call.
- A civilian unit, once on scene (after its travel), calls for one fallback (officer) unit as backup with
  its category's backup rate for that type. The backup request goes to the head of the fallback queue
  (as urgent as the most urgent calls); the officer's busy time is its own travel plus the call's time on
  scene with the officer's multiplier. A backup is not a call: it adds officer workload, not demand.
- Call-taking triage: a call of a category with a `phone_resolution` is resolved by phone with that
  chance when it arrives; it never dispatches a unit and is counted as resolved by phone.
- Arrivals stop at the horizon; units keep their shifts for `drain_minutes` more so waiting calls get
  served. A call still waiting then is unanswered: recorded with type_sent "none", NaN times and no
  outcomes, and counted in the response-time statistics with the time it had waited when the run ended
  (a lower bound: an unanswered call never makes response times look better).

Every call is accounted for: in every replication, for every category, the calls offered in the window
equal the calls answered by each type plus those resolved by phone plus those still unanswered when the
run ended (`accounting`; this model has no abandonment, so that column is 0).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from heapq import heappop, heappush

import numpy as np
import pandas as pd
import simpy
from simpy.events import NORMAL, URGENT, Event, Timeout

from simulation.arrivals import CallStream, categorical_draws, draw_calls
from simulation.roster import WEEK_MINUTES
from simulation.spec import SimConfig

WEEKS_PER_YEAR = 52.18
UNSERVED = "none"
RESOLVED_BY_PHONE = "phone"  # type_sent of a call resolved by phone (only in runs with call-taking triage)

# Call states.
_WAITING_CIVILIAN = 1
_WAITING_FALLBACK = 2
_SERVED = 3
_RESOLVED = 4  # resolved by phone at call-taking triage: no unit sent

# Queue keys are priority rank << 32 | arrival position: one int compares as (priority, arrival order).
_INDEX_BITS = 32
_INDEX_MASK = (1 << _INDEX_BITS) - 1


@dataclass(frozen=True, eq=False)
class ReplicationResult:
    """One replication: per-call records, per-type time by hour-of-week bin, and its KPIs.

    `busy_minutes`, `on_duty_minutes` (index: weekly bin of `week_bin_minutes`, columns: responder
    types) and `overtime_minutes` are summed over the statistics window [warm-up, horizon), which is
    `window_minutes` long; `fallback_by_bin` counts fallback calls by the weekly bin they arrived in.

    `accounting` has one row per category: calls offered in the window, answered by each type
    (`answered.<type>`), resolved by phone (`resolved_by_phone`: call-taking triage sent no unit),
    unanswered (still waiting when the run ended), abandoned (always 0: no abandonment in this model), fallen back (answered by the fallback type after waiting for a civilian
    unit in vain), sent to the fallback type at once because no civilian unit was on duty, and backup
    dispatches requested by civilian units. offered = sum of answered + resolved by phone + unanswered +
    abandoned, always.

    `records` (None unless `keep_records`) has one row per call that arrived in the window: call_index
    (position in the trace, or arrival order for Poisson calls), arrival_minute, category, priority,
    units (units sent: 1 for a civilian type, the call's count for the fallback type, 0 if unserved),
    type_sent ("none" if unserved, "phone" if resolved by phone), wait_minutes, travel_minutes, response_minutes (wait + travel),
    on_scene_minutes, busy_minutes (units x (travel + on scene)), civilian_route (triaged eligible for a
    civilian type), fallback (sent to the fallback queue after waiting for a civilian unit in vain), and
    one bool column per outcome. Times of an unserved call are NaN.
    """

    kpis: dict[str, float]
    records: pd.DataFrame | None
    accounting: pd.DataFrame
    busy_minutes: pd.DataFrame
    on_duty_minutes: pd.DataFrame
    overtime_minutes: dict[str, float]
    fallback_by_bin: np.ndarray
    window_minutes: float


class _Due(Timeout):
    """A timeout born with its one callback: the engine's hot path makes hundreds of thousands."""

    def __init__(
        self,
        env: simpy.Environment,
        delay: float,
        callback: Callable[[Event], None],
        value: int | None = None,
    ) -> None:
        # Timeout.__init__ inlined, as SimPy itself does for speed, plus the callback.
        self.env = env
        self.callbacks = [callback]
        self._value = value
        self._delay = delay
        self._ok = True
        env.schedule(self, NORMAL, delay)


@dataclass(frozen=True, eq=False)
class _Served:
    """What the event loop decided for each call (arrays in arrival order) and the overtime spells."""

    state: np.ndarray
    dispatch: np.ndarray
    sent: np.ndarray
    units: np.ndarray
    travel: np.ndarray
    on_scene: np.ndarray
    fell_back: np.ndarray
    off_duty: np.ndarray  # civilian-route calls sent to the fallback type because none of theirs was on duty
    overtime: np.ndarray  # rows of (type, start, end)
    ended_at: float  # the clock when the run stopped (every call served, or horizon + drain)
    backup_parent: np.ndarray  # per backup dispatch: the call it backed up
    backup_dispatch: np.ndarray  # when its officer was sent (NaN if never)
    backup_busy: np.ndarray  # officer minutes it took (travel + on scene; NaN if never sent)
    resolved: np.ndarray  # resolved by phone at call-taking triage (no unit sent)


@dataclass(frozen=True, eq=False)
class _Backup:
    """Backup draws: each call's uniform, and the fallback type's travel to it should it be backed up."""

    rate: list[list[float]]  # [category][type] chance a unit of that type calls for backup
    draw: list[float]
    travel: list[float]


def simulate_once(config: SimConfig, rng: np.random.Generator) -> ReplicationResult:
    """Run one replication of `config` with the random numbers of `rng`."""
    calls = draw_calls(config, rng)
    route_of, routes = _draw_routes(config, calls, rng)
    on_scene = _draw_on_scene(config, calls, rng)
    travel = _draw_travel(config, len(calls), rng)
    backup = _draw_backup(config, len(calls), rng)
    resolved = _draw_resolved(config, calls, rng)
    shifts = [r.unit_shifts(config.horizon_minutes + config.drain_minutes) for r in config.responders]
    served = _run(config, calls, route_of, routes, on_scene, travel, shifts, backup, resolved)
    outcome_draws = rng.uniform(0.0, 1.0, (len(calls), len(config.outcomes)))
    return _result(config, calls, route_of, routes, served, shifts, outcome_draws)


def _draw_routes(
    config: SimConfig, calls: CallStream, rng: np.random.Generator
) -> tuple[np.ndarray, list[tuple[tuple[int, ...], bool]]]:
    """Each call's triage route (an index into the returned (type indices, civilian?) list)."""
    type_index = {name: t for t, name in enumerate(config.type_names)}
    fallback = type_index[config.fallback_type]
    routes: list[tuple[tuple[int, ...], bool]] = []
    offsets = np.zeros(len(config.categories), dtype=np.int64)
    width = max(len(c.routes) for c in config.categories)
    probs = np.zeros((len(config.categories), width))
    for c, category in enumerate(config.categories):
        offsets[c] = len(routes)
        for k, (types, p) in enumerate(category.routes):
            indices = tuple(type_index[t] for t in types)
            routes.append((indices, indices != (fallback,)))
            probs[c, k] = p
    route_of = offsets[calls.category] + categorical_draws(probs[calls.category], rng)
    return route_of, routes


def _unit_mean_draws(rng: np.random.Generator, cv: float, n: int, family: str) -> np.ndarray:
    """n draws with mean 1 and coefficient of variation `cv` (1 for cv = 0).

    cv = 1 on scene is exponential (so M/M/c tests hold); otherwise on scene is lognormal and travel
    gamma, both with the given cv.
    """
    if cv == 0.0 or n == 0:
        return np.ones(n)
    if family == "lognormal":
        if cv == 1.0:
            return rng.exponential(1.0, n)
        sigma2 = math.log1p(cv * cv)
        return rng.lognormal(-sigma2 / 2.0, math.sqrt(sigma2), n)
    return rng.gamma(1.0 / (cv * cv), cv * cv, n)


def _draw_on_scene(config: SimConfig, calls: CallStream, rng: np.random.Generator) -> np.ndarray:
    """Base minutes on scene per call: the trace's where known, else drawn from the category."""
    base = np.array(calls.on_scene_minutes, dtype=float)
    missing = np.isnan(base)
    for c, category in enumerate(config.categories):
        rows = np.flatnonzero(missing & (calls.category == c))
        draws = _unit_mean_draws(rng, category.on_scene_cv, len(rows), "lognormal")
        base[rows] = category.on_scene_mean_minutes * draws
    return base


def _draw_travel(config: SimConfig, n: int, rng: np.random.Generator) -> list[list[float] | None]:
    """Travel minutes per responder type per call (None for a type that needs no travel)."""
    travel: list[list[float] | None] = []
    for responder in config.responders:
        if responder.travel_mean_minutes == 0.0:
            travel.append(None)
            continue
        draws = _unit_mean_draws(rng, responder.travel_cv, n, "gamma")
        travel.append((responder.travel_mean_minutes * draws).tolist())
    return travel


def _draw_backup(config: SimConfig, n: int, rng: np.random.Generator) -> _Backup | None:
    """Backup draws, or None when no category has a backup rate (so such configs draw nothing extra)."""
    types = config.type_names
    rate = [[c.backup_rates.get(t, 0.0) for t in types] for c in config.categories]
    if not any(p > 0 for row in rate for p in row):
        return None
    fallback = config.responders[types.index(config.fallback_type)]
    draw = rng.uniform(0.0, 1.0, n)
    travel = fallback.travel_mean_minutes * _unit_mean_draws(rng, fallback.travel_cv, n, "gamma")
    return _Backup(rate=rate, draw=draw.tolist(), travel=travel.tolist())


def _draw_resolved(config: SimConfig, calls: CallStream, rng: np.random.Generator) -> np.ndarray | None:
    """Which calls triage resolves by phone, or None when no category has triage (so nothing extra is drawn)."""
    rate = np.array([c.phone_resolution for c in config.categories])
    if not (rate > 0).any():
        return None
    return rng.uniform(0.0, 1.0, len(calls)) < rate[calls.category]


def _run(
    config: SimConfig,
    calls: CallStream,
    route_of: np.ndarray,
    routes: list[tuple[tuple[int, ...], bool]],
    on_scene_base: np.ndarray,
    travel: list[list[float] | None],
    shifts: list[np.ndarray],
    backup: _Backup | None = None,
    resolved: np.ndarray | None = None,
) -> _Served:
    """The event loop. State lives in closures over plain lists: the hot path stays cheap."""
    env = simpy.Environment()
    timeout = env.timeout
    types = config.type_names
    n_types = len(types)
    fallback = types.index(config.fallback_type)
    n = len(calls)

    arrival = calls.minute.tolist()
    category = calls.category.tolist()
    units_needed = calls.units.tolist()
    route_list = route_of.tolist()
    route_types = [r[0] for r in routes]
    route_civilian = [r[1] for r in routes]
    base = on_scene_base.tolist()
    # Priorities as ranks (0 = most urgent), so any int priority fits the key.
    rank = np.unique(calls.priority, return_inverse=True)[1].astype(np.int64).reshape(-1)
    key = ((rank << _INDEX_BITS) | np.arange(n, dtype=np.int64)).tolist()
    wait_of_category = [c.fallback_wait_minutes for c in config.categories]
    multiplier = [[c.on_scene_multiplier.get(t, 1.0) for t in types] for c in config.categories]

    by_phone = resolved.tolist() if resolved is not None else None
    state = [0] * n
    dispatch = [math.nan] * n
    sent = [-1] * n
    units_sent = [0] * n
    travel_of = [math.nan] * n
    on_scene_of = [math.nan] * n
    fell_back = [False] * n
    off_duty = [False] * n
    # Backup dispatches are jobs n, n + 1, ... of the fallback type, appended to the lists above as they are
    # requested; `parent` says which call each one backs up.
    parent: list[int] = []
    if backup is not None:
        travel = [list(way) if way is not None else None for way in travel]

    # Units: one per shift interval.
    unit_type: list[int] = []
    unit_end: list[float] = []
    roster_time: list[np.ndarray] = []
    roster_unit: list[np.ndarray] = []
    roster_on: list[np.ndarray] = []
    for t, intervals in enumerate(shifts):
        first = len(unit_type)
        ids = np.arange(first, first + len(intervals))
        unit_type.extend([t] * len(intervals))
        unit_end.extend(intervals[:, 1].tolist())
        roster_time += [intervals[:, 0], intervals[:, 1]]
        roster_unit += [ids, ids]
        roster_on += [np.ones(len(ids), dtype=bool), np.zeros(len(ids), dtype=bool)]
    times = np.concatenate(roster_time) if roster_time else np.zeros(0)
    on_flags = np.concatenate(roster_on) if roster_on else np.zeros(0, dtype=bool)
    # Ends before starts at the same minute, then by unit, so the order never depends on the sort.
    unit_ids = np.concatenate(roster_unit) if roster_unit else np.zeros(0, dtype=np.int64)
    order = np.lexsort((unit_ids, on_flags, times))
    r_time = times[order].tolist()
    r_unit = unit_ids[order].tolist()
    r_on = on_flags[order].tolist()
    n_roster = len(r_time)

    n_units = len(unit_type)
    unit_on = [False] * n_units
    unit_busy = [False] * n_units
    unit_free_at = [0.0] * n_units
    on_duty_n = [0] * n_types  # units of each type on shift now (busy or not, overtime excluded)
    idle: list[list[int]] = [[] for _ in range(n_types)]
    queue: list[list[int]] = [[] for _ in range(n_types)]
    overtime: list[tuple[int, float, float]] = []
    next_call = [0]
    next_roster = [0]
    outstanding = [n]  # calls and backup requests not yet given a unit
    done = env.event()

    def start(i: int, t: int, k: int) -> None:
        """Send k free units of type t to call i."""
        now = env.now
        state[i] = _SERVED
        dispatch[i] = now
        sent[i] = t
        units_sent[i] = k
        way = travel[t]
        travel_minutes = way[i] if way is not None else 0.0
        on_scene = base[i] * multiplier[category[i]][t]
        busy = travel_minutes + on_scene
        travel_of[i] = travel_minutes
        on_scene_of[i] = on_scene
        free_units = idle[t]
        for _ in range(k):
            # Last in, first out: the unit freed or come on duty most recently goes, which leaves the
            # longest-on units (the first to go off duty) free more often and so spares overtime.
            u = free_units.pop()
            unit_busy[u] = True
            unit_free_at[u] = now + busy
            _Due(env, busy, finish, u)
        if backup is not None and t != fallback and backup.draw[i] < backup.rate[category[i]][t]:
            outstanding[0] += 1
            _Due(env, travel_minutes, call_backup, i)  # the unit asks for an officer once it is on scene
        outstanding[0] -= 1
        if outstanding[0] == 0:
            done.succeed()

    def call_backup(event: Event) -> None:
        """A civilian unit on scene at call i asks for an officer: a job at the head of the fallback queue."""
        i = event._value
        j = len(state)
        parent.append(i)
        for values, value in ((state, 0), (dispatch, math.nan), (sent, -1), (units_sent, 0),
                              (travel_of, math.nan), (on_scene_of, math.nan), (fell_back, False),
                              (off_duty, False), (category, category[i]), (units_needed, 1), (base, base[i]),
                              (key, j)):  # rank 0: as urgent as the most urgent calls, first come first served
            values.append(value)
        way = travel[fallback]
        if way is not None:
            way.append(backup.travel[i])
        to_fallback(j)

    def dispatch_fallback() -> None:
        """Serve the fallback queue strictly in order while the head call's units are free."""
        waiting = queue[fallback]
        free_units = idle[fallback]
        while waiting and free_units:
            i = waiting[0] & _INDEX_MASK
            if units_needed[i] > len(free_units):
                return
            heappop(waiting)
            start(i, fallback, units_needed[i])

    def dispatch_civilian(t: int) -> None:
        """Give free units of civilian type t to the live calls at the head of its queue."""
        waiting = queue[t]
        free_units = idle[t]
        while waiting and free_units:
            i = heappop(waiting) & _INDEX_MASK
            # Entries of calls already served or fallen back are left in the heap and skipped here.
            if state[i] == _WAITING_CIVILIAN:
                start(i, t, 1)

    def fall_back(i: int) -> None:
        fell_back[i] = True
        state[i] = _WAITING_FALLBACK
        heappush(queue[fallback], key[i])
        dispatch_fallback()

    def arrive(event: Event) -> None:
        i = next_call[0]
        next_call[0] = i + 1
        if i + 1 < n:
            _Due(env, arrival[i + 1] - env.now, arrive)
        if by_phone is not None and by_phone[i]:
            state[i] = _RESOLVED  # resolved at call-taking triage: no unit is sent
            outstanding[0] -= 1
            if outstanding[0] == 0:
                done.succeed()
            return
        route = route_list[i]
        if route_civilian[route]:
            acceptable = route_types[route]
            for t in acceptable:
                if idle[t]:
                    start(i, t, 1)
                    return
            if not any(on_duty_n[t] for t in acceptable):
                off_duty[i] = True
                to_fallback(i)
                return
            wait = wait_of_category[category[i]]
            if wait <= 0.0:
                fall_back(i)
                return
            state[i] = _WAITING_CIVILIAN
            for t in acceptable:
                heappush(queue[t], key[i])
            _Due(env, wait, fallback_due, i)
        else:
            to_fallback(i)

    def to_fallback(i: int) -> None:
        """Queue call i for the fallback type, or start it at once if nothing is ahead and units are free."""
        state[i] = _WAITING_FALLBACK
        waiting = queue[fallback]
        if not waiting and len(idle[fallback]) >= units_needed[i]:
            start(i, fallback, units_needed[i])
        else:
            heappush(waiting, key[i])
            dispatch_fallback()

    def fallback_due(event: Event) -> None:
        i = event._value
        if state[i] == _WAITING_CIVILIAN:
            fall_back(i)

    def finish(event: Event) -> None:
        u = event._value
        unit_busy[u] = False
        if not unit_on[u]:
            return  # went off duty during the call; its overtime was counted at the shift end
        t = unit_type[u]
        idle[t].append(u)
        if t == fallback:
            if queue[fallback]:
                dispatch_fallback()
        elif queue[t]:
            dispatch_civilian(t)

    def roster(event: Event) -> None:
        """Apply every shift start and end at this minute, then hand new units any waiting calls."""
        j = next_roster[0]
        now = r_time[j]
        touched = set()
        while j < n_roster and r_time[j] == now:
            u = r_unit[j]
            t = unit_type[u]
            if r_on[j]:
                unit_on[u] = True
                on_duty_n[t] += 1
                idle[t].append(u)
                touched.add(t)
            else:
                unit_on[u] = False
                on_duty_n[t] -= 1
                if unit_busy[u]:
                    overtime.append((t, now, unit_free_at[u]))
                else:
                    idle[t].remove(u)
            j += 1
        next_roster[0] = j
        if j < n_roster:
            schedule_roster(r_time[j] - env.now)
        for t in sorted(touched):
            if t == fallback:
                dispatch_fallback()
            else:
                dispatch_civilian(t)

    def schedule_roster(delay: float) -> None:
        # An already-triggered urgent event, as SimPy itself builds for run(until=...): shift changes
        # at minute t must take effect before arrivals and completions at minute t.
        event = Event(env)
        event._ok = True
        event._value = None
        event.callbacks.append(roster)
        env.schedule(event, URGENT, max(delay, 0.0))

    def close(event: Event) -> None:
        if not done.triggered:
            done.succeed()

    if n:
        if n_roster:
            schedule_roster(r_time[0])
        timeout(arrival[0]).callbacks.append(arrive)
        timeout(config.horizon_minutes + config.drain_minutes).callbacks.append(close)
        env.run(until=done)

    # Units still on shift when the run stopped: their overtime is already known from the end of
    # their current call.
    for u in range(n_units):
        if unit_busy[u] and unit_on[u] and unit_free_at[u] > unit_end[u]:
            overtime.append((unit_type[u], unit_end[u], unit_free_at[u]))

    backup_dispatch = np.asarray(dispatch[n:], dtype=float)
    backup_busy = np.asarray(travel_of[n:], dtype=float) + np.asarray(on_scene_of[n:], dtype=float)
    return _Served(
        state=np.asarray(state[:n], dtype=np.int64),
        dispatch=np.asarray(dispatch[:n], dtype=float),
        sent=np.asarray(sent[:n], dtype=np.int64),
        units=np.asarray(units_sent[:n], dtype=np.int64),
        travel=np.asarray(travel_of[:n], dtype=float),
        on_scene=np.asarray(on_scene_of[:n], dtype=float),
        fell_back=np.asarray(fell_back[:n], dtype=bool),
        off_duty=np.asarray(off_duty[:n], dtype=bool),
        overtime=np.asarray(overtime, dtype=float).reshape(-1, 3),
        ended_at=float(env.now),
        backup_parent=np.asarray(parent, dtype=np.int64),
        backup_dispatch=backup_dispatch,
        backup_busy=backup_busy,
        resolved=np.zeros(n, dtype=bool) if resolved is None else np.asarray(resolved, dtype=bool),
    )


def minutes_by_week_bin(
    start: np.ndarray,
    end: np.ndarray,
    group: np.ndarray,
    n_groups: int,
    window: tuple[float, float],
    bin_minutes: int,
    weight: np.ndarray | None = None,
) -> np.ndarray:
    """Minutes of the intervals [start, end) inside `window`, by weekly bin and group: (n_bins, n_groups).

    Each interval is split at bin boundaries exactly: its first and last bins get their partial
    minutes, the bins in between get whole bins (through a difference array, so long intervals cost
    no more than short ones).
    """
    n_week = WEEK_MINUTES // bin_minutes
    out = np.zeros((n_week, n_groups))
    lo, hi = window
    s = np.clip(np.asarray(start, dtype=float), lo, hi)
    e = np.clip(np.asarray(end, dtype=float), lo, hi)
    w = np.ones(len(s)) if weight is None else np.asarray(weight, dtype=float)
    keep = e > s
    if not keep.any():
        return out
    s, e, w, g = s[keep], e[keep], w[keep], np.asarray(group, dtype=np.int64)[keep]
    first = np.floor(s / bin_minutes).astype(np.int64)
    last = np.floor(e / bin_minutes).astype(np.int64)
    n_abs = int(last.max()) + 2
    size = n_abs * n_groups
    same = first == last
    # np.bincount of an empty selection comes back as int: accumulate into float arrays instead.
    flat = np.zeros(size)
    flat += np.bincount(first[same] * n_groups + g[same], weights=(e - s)[same] * w[same], minlength=size)
    split = ~same
    fs, ls, gs, ws = first[split], last[split], g[split], w[split]
    flat += np.bincount(fs * n_groups + gs, weights=((fs + 1) * bin_minutes - s[split]) * ws, minlength=size)
    flat += np.bincount(ls * n_groups + gs, weights=(e[split] - ls * bin_minutes) * ws, minlength=size)
    whole = np.zeros(size + n_groups)
    whole += np.bincount((fs + 1) * n_groups + gs, weights=ws, minlength=size + n_groups)
    whole -= np.bincount(ls * n_groups + gs, weights=ws, minlength=size + n_groups)
    by_abs = flat.reshape(n_abs, n_groups)
    by_abs += np.cumsum(whole[:size].reshape(n_abs, n_groups), axis=0) * bin_minutes
    np.add.at(out, np.arange(n_abs) % n_week, by_abs)
    return out


def _result(
    config: SimConfig,
    calls: CallStream,
    route_of: np.ndarray,
    routes: list[tuple[tuple[int, ...], bool]],
    served: _Served,
    shifts: list[np.ndarray],
    outcome_draws: np.ndarray,
) -> ReplicationResult:
    """Turn the event loop's arrays into records, time by bin and KPIs."""
    types = config.type_names
    n_types = len(types)
    fallback = types.index(config.fallback_type)
    window = (config.warmup_minutes, config.horizon_minutes)
    window_minutes = window[1] - window[0]
    bin_minutes = config.week_bin_minutes
    is_served = served.state == _SERVED

    # Time by hour-of-week bin: busy from the calls (and backup dispatches), on duty from the shifts, all
    # clipped to the window.
    busy_each = served.travel + served.on_scene
    rows = np.flatnonzero(is_served)
    busy = minutes_by_week_bin(
        served.dispatch[rows],
        served.dispatch[rows] + busy_each[rows],
        served.sent[rows],
        n_types,
        window,
        bin_minutes,
        weight=served.units[rows],
    )
    backups_sent = np.flatnonzero(~np.isnan(served.backup_dispatch))
    backup_busy = minutes_by_week_bin(
        served.backup_dispatch[backups_sent],
        served.backup_dispatch[backups_sent] + served.backup_busy[backups_sent],
        np.full(len(backups_sent), fallback),
        n_types,
        window,
        bin_minutes,
    )
    busy = busy + backup_busy
    all_shifts = np.concatenate(shifts) if shifts else np.zeros((0, 2))
    shift_type = np.repeat(np.arange(n_types), [len(s) for s in shifts])
    on_duty = minutes_by_week_bin(
        all_shifts[:, 0], all_shifts[:, 1], shift_type, n_types, window, bin_minutes
    )
    spells = served.overtime
    overtime = minutes_by_week_bin(
        spells[:, 1], spells[:, 2], spells[:, 0].astype(np.int64), n_types, window, bin_minutes
    ).sum(axis=0)
    index = pd.RangeIndex(len(busy), name="week_bin")
    busy_df = pd.DataFrame(busy, index=index, columns=types)
    on_duty_df = pd.DataFrame(on_duty, index=index, columns=types)

    # Outcomes: one Bernoulli per outcome for the type sent (nothing for an unserved call).
    rates = np.zeros((len(config.categories), n_types + 1, len(config.outcomes)))
    for c, cat in enumerate(config.categories):
        for t, name in enumerate(types):
            for o, outcome in enumerate(config.outcomes):
                rates[c, t, o] = cat.outcome_rates.get(name, {}).get(outcome, 0.0)
    by_phone = served.resolved
    sent_or_none = np.where(is_served, served.sent, n_types)
    outcomes = outcome_draws < rates[calls.category, sent_or_none]
    sent_or_none = np.where(by_phone, n_types + 1, sent_or_none)

    # A call resolved by phone never reached a civilian route: triage took it before any unit was chosen.
    civilian = np.asarray([civ for _, civ in routes], dtype=bool)[route_of] & ~by_phone
    in_window = calls.minute >= window[0]
    wait = served.dispatch - calls.minute
    # A call dispatched the minute it arrived has waited exactly 0, not a rounding residue.
    wait[is_served & (np.abs(wait) < 1e-9)] = 0.0
    response = wait + served.travel
    busy_per_call = np.where(is_served, busy_each * served.units, 0.0)
    fallback_week_bin = (calls.minute[in_window & served.fell_back] // bin_minutes).astype(np.int64)
    fallback_by_bin = np.bincount(fallback_week_bin % len(busy), minlength=len(busy))
    # Response statistics count an unanswered call with the wait it had when the run ended (a lower bound).
    counted_response = np.where(is_served | by_phone, response, served.ended_at - calls.minute)
    counted_wait = np.where(is_served | by_phone, wait, served.ended_at - calls.minute)
    backup_in_window = in_window[served.backup_parent] if len(served.backup_parent) else np.zeros(0, dtype=bool)

    accounting = _accounting(config, calls.category, in_window, is_served, served, backup_in_window)
    kpis = _kpis(
        config,
        window_minutes,
        w=in_window,
        served=is_served,
        sent=served.sent,
        civilian=civilian,
        resolved=by_phone,
        fell_back=served.fell_back,
        off_duty=served.off_duty,
        priority=calls.priority,
        wait=counted_wait,
        response=counted_response,
        outcomes=outcomes,
        busy=busy.sum(axis=0),
        on_duty=on_duty.sum(axis=0),
        overtime=overtime,
    )
    kpis["calls_abandoned"] = 0.0
    kpis["calls_abandoned_per_year"] = 0.0
    per_year = WEEKS_PER_YEAR * WEEK_MINUTES / window_minutes
    kpis["backup_dispatches"] = float(np.count_nonzero(backup_in_window))
    kpis["backup_dispatches_per_year"] = kpis["backup_dispatches"] * per_year
    kpis["backup_hours"] = float(backup_busy.sum() / 60.0)
    kpis["backup_hours_per_year"] = kpis["backup_hours"] * per_year
    # A call resolved by phone leaves the queue the minute it arrives.
    left_queue = np.where(by_phone, calls.minute, served.dispatch)
    kpis.update(_queue_kpis(config, calls.minute, left_queue, is_served | by_phone))

    records = None
    if config.keep_records:
        w = in_window
        triage = any(c.phone_resolution > 0 for c in config.categories)
        type_labels = [*types, UNSERVED, RESOLVED_BY_PHONE] if triage else [*types, UNSERVED]
        columns: dict[str, object] = {
            "call_index": calls.call_index[w],
            "arrival_minute": calls.minute[w],
            "category": pd.Categorical.from_codes(
                calls.category[w], categories=[c.name for c in config.categories]
            ),
            "priority": calls.priority[w],
            "units": served.units[w],
            "type_sent": pd.Categorical.from_codes(sent_or_none[w], categories=type_labels),
            "wait_minutes": wait[w],
            "travel_minutes": served.travel[w],
            "response_minutes": response[w],
            "on_scene_minutes": served.on_scene[w],
            "busy_minutes": busy_per_call[w],
            "civilian_route": civilian[w],
            "fallback": served.fell_back[w],
            "civilian_off_duty": served.off_duty[w],
        }
        for o, outcome in enumerate(config.outcomes):
            columns[outcome] = outcomes[w, o]
        records = pd.DataFrame(columns)

    return ReplicationResult(
        kpis=kpis,
        records=records,
        accounting=accounting,
        busy_minutes=busy_df,
        on_duty_minutes=on_duty_df,
        overtime_minutes={t: float(overtime[k]) for k, t in enumerate(types)},
        fallback_by_bin=fallback_by_bin,
        window_minutes=window_minutes,
    )


def _accounting(
    config: SimConfig,
    category: np.ndarray,
    in_window: np.ndarray,
    is_served: np.ndarray,
    served: _Served,
    backup_in_window: np.ndarray,
) -> pd.DataFrame:
    """Calls offered in the window by category, and where every one of them went (see ReplicationResult)."""
    n_categories = len(config.categories)

    def count(mask: np.ndarray) -> np.ndarray:
        return np.bincount(category[mask], minlength=n_categories)

    columns: dict[str, np.ndarray] = {"offered": count(in_window)}
    for t, name in enumerate(config.type_names):
        columns[f"answered.{name}"] = count(in_window & is_served & (served.sent == t))
    columns["resolved_by_phone"] = count(in_window & served.resolved)
    columns["unanswered"] = count(in_window & ~is_served & ~served.resolved)
    columns["abandoned"] = np.zeros(n_categories, dtype=np.int64)
    columns["fallen_back"] = count(in_window & served.fell_back)
    columns["civilian_off_duty"] = count(in_window & served.off_duty)
    parents = served.backup_parent[backup_in_window]
    columns["backup_dispatches"] = np.bincount(category[parents], minlength=n_categories)
    index = pd.Index([c.name for c in config.categories], name="category")
    return pd.DataFrame(columns, index=index).astype(np.int64)


def _queue_kpis(
    config: SimConfig, arrival: np.ndarray, dispatch: np.ndarray, is_served: np.ndarray
) -> dict[str, float]:
    """Calls waiting at the horizon, and how fast the queue grows from one week to the next.

    The queue is counted at the same minute of every week in the window (the start of the window, then
    every 7 days), so the time of day never masquerades as growth; `queue_growth_per_week` is the
    least-squares slope of those counts in calls a week (NaN when the window holds fewer than two).
    """
    started = np.sort(np.where(is_served, dispatch, np.inf))
    arrived = np.sort(arrival)

    def waiting(t: float) -> float:
        return float(np.searchsorted(arrived, t, side="right") - np.searchsorted(started, t, side="right"))

    points = np.arange(config.warmup_minutes, config.horizon_minutes + 1e-9, WEEK_MINUTES)
    counts = np.array([waiting(t) for t in points])
    slope = float(np.polyfit(np.arange(len(points)), counts, 1)[0]) if len(points) >= 2 else math.nan
    return {"calls_waiting_at_horizon": waiting(config.horizon_minutes), "queue_growth_per_week": slope}


def _kpis(
    config: SimConfig,
    window_minutes: float,
    *,
    w: np.ndarray,
    served: np.ndarray,
    sent: np.ndarray,
    civilian: np.ndarray,
    resolved: np.ndarray,
    fell_back: np.ndarray,
    off_duty: np.ndarray,
    priority: np.ndarray,
    wait: np.ndarray,
    response: np.ndarray,
    outcomes: np.ndarray,
    busy: np.ndarray,
    on_duty: np.ndarray,
    overtime: np.ndarray,
) -> dict[str, float]:
    """The flat KPI dict of one replication (names in the package docstring)."""
    per_year = WEEKS_PER_YEAR * WEEK_MINUTES / window_minutes
    kpis: dict[str, float] = {}

    def counted(name: str, value: float) -> None:
        kpis[name] = float(value)
        group, dot, rest = name.partition(".")
        kpis[f"{group}_per_year{dot}{rest}"] = float(value) * per_year

    ws = w & served
    for t, name in enumerate(config.type_names):
        counted(f"hours_on_calls.{name}", busy[t] / 60.0)
        counted(f"on_duty_hours.{name}", on_duty[t] / 60.0)
        kpis[f"utilisation.{name}"] = float(busy[t] / on_duty[t]) if on_duty[t] > 0 else math.nan
        counted(f"calls.{name}", np.count_nonzero(ws & (sent == t)))
        counted(f"overtime_hours.{name}", overtime[t] / 60.0)
    counted("calls_total", np.count_nonzero(w))
    counted("calls_offered", np.count_nonzero(w))
    counted("calls_resolved_by_phone", np.count_nonzero(w & resolved))
    counted("calls_unanswered", np.count_nonzero(w & ~served & ~resolved))
    eligible = np.count_nonzero(w & civilian)
    fallbacks = np.count_nonzero(w & fell_back)
    counted("calls_civilian_route", eligible)
    counted("fallback_calls", fallbacks)
    counted("civilian_off_duty_calls", np.count_nonzero(w & off_duty))
    kpis["fallback_share"] = fallbacks / eligible if eligible else math.nan
    kpis["unserved_calls"] = float(np.count_nonzero(w & ~served & ~resolved))
    # Response times and waits are about calls a unit was sent to (or should have been): not those resolved
    # by phone.
    w = w & ~resolved

    def describe(suffix: str, rows: np.ndarray) -> None:
        r = response[rows]
        if len(r):
            p50, p90 = np.percentile(r, [50, 90])
            values = (float(r.mean()), float(p50), float(p90), float(wait[rows].mean()))
        else:
            values = (math.nan,) * 4
        for stat, value in zip(("mean", "p50", "p90"), values[:3], strict=True):
            kpis[f"response_minutes_{stat}{suffix}"] = value
        kpis[f"wait_minutes_mean{suffix}"] = values[3]

    # Response times count every call offered: an unanswered one with the wait it had when the run ended.
    describe("", w)
    for p in config.priorities:
        describe(f".priority_{p}", w & (priority == p))
    # Police-only calls (not triaged to a civilian route) and diverted ones (a civilian route), apart: a
    # civilian unit's longer travel is not officers responding slower.
    describe(".police_only", w & ~civilian)
    for p in config.priorities:
        describe(f".police_only_priority_{p}", w & ~civilian & (priority == p))
    describe(".diverted", w & civilian)
    waited = w & (~served | (wait > 0))
    kpis["p_wait"] = np.count_nonzero(waited) / np.count_nonzero(w) if w.any() else math.nan
    for o, outcome in enumerate(config.outcomes):
        counted(f"outcomes.{outcome}", np.count_nonzero(outcomes[w, o]))
    return kpis
