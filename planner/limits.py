"""The range of every number coplan takes, from a scenario file or the command line.

Every range is finite: `inf`, `nan`, negatives and absurd sizes (a hundred million units on duty, a
billion replications) are refused when a scenario is loaded, with one line naming the key, its value and
the range, before anything runs. The command line takes the same ranges (planner.cli).

Scenario file (`*` is any responder type or category; USD a year unless said otherwise):

| key | range |
|---|---|
| `name`, `responders.*.label`, `triage.label` | text of at most 120 characters, no control characters |
| `description`, `source`, `costs.*.source`, `triage.source` | text of at most 4,000 characters |
| any other text, any list | at most 4,000 characters; at most 10,000 entries |
| `data.growth` | 0.01 to 100 |
| `responders.*.people_per_unit` | whole number, 1 to 20 |
| `responders.*.cost_per_person`, `.overhead_per_unit` | 0 to 10,000,000 |
| `responders.*.relief_factor` | 1 to 5 |
| `responders.*.travel_minutes` | 0 to 1,440 |
| `responders.*.travel_cv`, `policy.*.on_scene_cv` | 0 to 5 |
| `responders.*.overtime_premium` | 1 to 5 |
| `responders.*.shift_hours` | each 1 to 24 |
| `responders.*.on_duty`, `.min_on_duty` | each hour 0 to 10,000 units |
| `responders.*.shifts[].units` | whole number, 0 to 10,000 |
| `responders.*.shifts[].hours` | 0.5 to 24 |
| `responders.*.max_headcount` | whole number, 0 to 1,000,000 |
| `responders.*.max_start_times` | whole number, 1 to 24 |
| `responders.*.answer_minutes` | 0.1 to 1,440 |
| `responders.*.share_within`, `triage.share_within` | 0.01 to 0.9999 |
| `responders.*.max_occupancy` | 0.05 to 1 |
| `policy.*.eligible.*`, `.outcomes.*.*`, `.priority.*`, `.repeat_call_reduction.*`, `.backup_rate.*`, `triage.share_resolved` | shares, 0 to 1 |
| `policy.*.fallback_wait_minutes` | 0 to 1,440 |
| `policy.*.on_scene_minutes` | 0.5 to 1,440 |
| `policy.*.on_scene_multiplier.*` | 0.05 to 10 |
| `targets.budget` | 0 to 10,000,000,000 |
| `simulation.horizon_days` | 1 to 3,660 days |
| `simulation.warmup_days` | 0 to 365 days |
| `simulation.replications` | whole number, 1 to 10,000 |
| `simulation.seed` | whole number, 0 to 2^63 - 1 |
| `simulation.workers` | whole number, 1 to 256 |
| `costs.*` (or `costs.*.cost`) | 0 to 10,000,000 USD an outcome |
| `triage.phone_minutes` | 0.1 to 240 |
| `triage.cost_per_position` | 0 to 10,000,000 |
| `triage.relief_factor` | 1 to 10 |
| `triage.answer_seconds` | 1 to 3,600 |

Command line: `--replications` and `--check-replications` 1 to 10,000; `--horizon-days` and
`--check-horizon-days` 1 to 3,660; `--seed` 0 to 2^63 - 1; `--workers` 1 to 256; `--budget` 0 to
10,000,000,000; `--pareto` 2 to 100; `--time-limit` above 0, at most 86,400 s; `coplan sample
--calls-per-year` 1 to 10,000,000 and `--days` 1 to 3,660.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from planner.errors import ScenarioError

MAX_REPLICATIONS = 10_000
MAX_HORIZON_DAYS = 3660
MAX_WARMUP_DAYS = 365
MAX_SEED = 2**63 - 1
MAX_WORKERS = 256
MAX_BUDGET = 10_000_000_000
MAX_PARETO_POINTS = 100
MAX_TIME_LIMIT = 86_400
MAX_COST = 10_000_000             # a person a year, a unit's overhead a year, or one downstream outcome
MAX_UNITS = 10_000                # units on duty in one hour
MAX_NAME = 120                    # characters of a name or label
MAX_TEXT = 4000                   # characters of a description, source or any other text
MAX_LIST = 10_000                 # entries of any list
MAX_CALLS_PER_YEAR = 10_000_000
MINUTES_A_DAY = 1440

_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


@dataclass(frozen=True)
class Limit:
    """The range of one key: `whole` for whole numbers, `each` for a number or a list of numbers."""

    lo: float
    hi: float
    unit: str = ""
    whole: bool = False
    each: bool = False

    def words(self) -> str:
        kind = "a whole number" if self.whole else "a number"
        unit = f" {self.unit}" if self.unit else ""
        text = f"{kind} from {_number(self.lo)} to {_number(self.hi)}{unit}"
        return f"{text} (each value)" if self.each else text


def _number(x: float) -> str:
    if x == MAX_SEED:
        return "2^63 - 1"
    return f"{int(x):,}" if x == int(x) else f"{x:,g}"


SHARE = Limit(0, 1, "(a share)")
_COST = Limit(0, MAX_COST, "USD a year")

# Key patterns: dotted, `*` for any key of a table, `[]` for every table of a list.
SCENARIO_LIMITS: dict[str, Limit] = {
    "data.growth": Limit(0.01, 100),
    "responders.*.people_per_unit": Limit(1, 20, whole=True),
    "responders.*.cost_per_person": _COST,
    "responders.*.overhead_per_unit": _COST,
    "responders.*.relief_factor": Limit(1, 5),
    "responders.*.travel_minutes": Limit(0, MINUTES_A_DAY, "minutes"),
    "responders.*.travel_cv": Limit(0, 5),
    "responders.*.overtime_premium": Limit(1, 5),
    "responders.*.shift_hours": Limit(1, 24, "hours", each=True),
    "responders.*.on_duty": Limit(0, MAX_UNITS, "units", each=True),
    "responders.*.min_on_duty": Limit(0, MAX_UNITS, "units", each=True),
    "responders.*.shifts[].units": Limit(0, MAX_UNITS, "units", whole=True),
    "responders.*.shifts[].hours": Limit(0.5, 24, "hours"),
    "responders.*.max_headcount": Limit(0, 1_000_000, "people", whole=True),
    "responders.*.max_start_times": Limit(1, 24, whole=True),
    "responders.*.answer_minutes": Limit(0.1, MINUTES_A_DAY, "minutes"),
    "responders.*.share_within": Limit(0.01, 0.9999, "(a share)"),
    "responders.*.max_occupancy": Limit(0.05, 1, "(a share)"),
    "policy.*.eligible.*": SHARE,
    "policy.*.fallback_wait_minutes": Limit(0, MINUTES_A_DAY, "minutes"),
    "policy.*.on_scene_minutes": Limit(0.5, MINUTES_A_DAY, "minutes"),
    "policy.*.on_scene_cv": Limit(0, 5),
    "policy.*.on_scene_multiplier.*": Limit(0.05, 10),
    "policy.*.outcomes.*.*": SHARE,
    "policy.*.priority.*": SHARE,
    "policy.*.repeat_call_reduction.*": SHARE,
    "policy.*.backup_rate.*": SHARE,
    "targets.budget": Limit(0, MAX_BUDGET, "USD a year"),
    "simulation.horizon_days": Limit(1, MAX_HORIZON_DAYS, "days"),
    "simulation.warmup_days": Limit(0, MAX_WARMUP_DAYS, "days"),
    "simulation.replications": Limit(1, MAX_REPLICATIONS, whole=True),
    "simulation.seed": Limit(0, MAX_SEED, whole=True),
    "simulation.workers": Limit(1, MAX_WORKERS, whole=True),
    "costs.*": Limit(0, MAX_COST, "USD an outcome"),        # a number, or a table with cost and source
    "costs.*.cost": Limit(0, MAX_COST, "USD an outcome"),
    "triage.share_resolved": SHARE,
    "triage.phone_minutes": Limit(0.1, 240, "minutes"),
    "triage.cost_per_position": _COST,
    "triage.relief_factor": Limit(1, 10),
    "triage.answer_seconds": Limit(1, 3600, "seconds"),
    "triage.share_within": Limit(0.01, 0.9999, "(a share)"),
}
NAME_KEYS = ("name", "responders.*.label", "triage.label")
# Keys of tables whose own keys are names (responder types, categories, outcomes).
_NAMED_TABLES = ("responders", "policy", "costs")


def _is_number(v: Any) -> bool:
    return isinstance(v, int | float) and not isinstance(v, bool)


def _short(v: Any) -> str:
    text = repr(v)
    return text if len(text) <= 60 else text[:57] + "..."


def _fail(where: str, key: str, value: Any, expected: str) -> ScenarioError:
    return ScenarioError(f"{where}: {key} = {_short(value)}: expected {expected}")


def _matches(d: Any, parts: list[str], prefix: str = "") -> Iterator[tuple[str, Any]]:
    """(dotted key, value) of every place in `d` a key pattern names."""
    if not parts:
        yield prefix, d
        return
    if not isinstance(d, dict):
        return
    head, rest = parts[0], parts[1:]
    listed = head.endswith("[]")
    name = head[:-2] if listed else head
    keys = list(d) if name == "*" else [name] if name in d else []
    for k in keys:
        key = f"{prefix}.{k}" if prefix else str(k)
        v = d[k]
        if listed:
            if isinstance(v, list):
                for i, item in enumerate(v, start=1):
                    yield from _matches(item, rest, f"{key}[{i}]")
        else:
            yield from _matches(v, rest, key)


def _check_number(where: str, key: str, v: Any, limit: Limit) -> None:
    values = v if limit.each and isinstance(v, list) else [v]
    for x in values:
        if not _is_number(x) or not math.isfinite(x) or not limit.lo <= x <= limit.hi \
                or (limit.whole and x != int(x)):
            raise _fail(where, key, v if len(values) == 1 else x, limit.words())


def _walk(d: Any, key: str) -> Iterator[tuple[str, Any]]:
    """Every (dotted key, value) in a parsed TOML table, lists and tables included."""
    yield key, d
    if isinstance(d, dict):
        for k, v in d.items():
            yield from _walk(v, f"{key}.{k}" if key else str(k))
    elif isinstance(d, list):
        for i, v in enumerate(d, start=1):
            yield from _walk(v, f"{key}[{i}]")


def check_scenario_limits(d: dict[str, Any], where: str = "scenario") -> None:
    """Refuse a parsed scenario table (TOML) holding a number outside its range (SCENARIO_LIMITS), a
    non-finite number anywhere, or a name, text or list too long: ScenarioError, one line naming the key,
    its value and the range. Types and keys the table has are checked by the scenario reader."""
    for key, v in _walk(d, ""):
        if isinstance(v, float) and not math.isfinite(v):
            raise _fail(where, key or "top level", v, "a finite number")
        if isinstance(v, str) and len(v) > MAX_TEXT:
            raise ScenarioError(f"{where}: {key} is {len(v):,} characters long; expected at most {MAX_TEXT:,}")
        if isinstance(v, list) and len(v) > MAX_LIST:
            raise ScenarioError(f"{where}: {key} has {len(v):,} entries; expected at most {MAX_LIST:,}")
    for table in _NAMED_TABLES:
        t = d.get(table)
        if isinstance(t, dict):
            for k in t:
                if len(k) > MAX_NAME or _CONTROL.search(k):
                    raise ScenarioError(f"{where}: {table}.{_short(k)}: expected a name of at most {MAX_NAME} "
                                        f"characters, without control characters")
    for pattern in NAME_KEYS:
        for key, v in _matches(d, pattern.split(".")):
            if isinstance(v, str) and (len(v) > MAX_NAME or _CONTROL.search(v)):
                raise _fail(where, key, v, f"a name of at most {MAX_NAME} characters, without control characters")
    for pattern, limit in SCENARIO_LIMITS.items():
        for key, v in _matches(d, pattern.split(".")):
            if pattern == "costs.*" and isinstance(v, dict):
                continue                     # the table form: its cost is checked as costs.*.cost
            if pattern in ("responders.*.on_duty", "responders.*.min_on_duty", "responders.*.shift_hours") \
                    and not (_is_number(v) or isinstance(v, list)):
                continue                     # not a number nor a list: the reader says what it expected
            _check_number(where, key, v, limit)
