"""Call-taking triage in the 911 centre: calls resolved by phone, and the call-takers it needs.

Columbus OH put a clinician, a paramedic and a dispatcher in a triage pod of its 911 centre; Dallas's RIGHT
Care put clinicians on the 911 floor. Every call of the scenario's `[triage]` categories is screened by
phone; a share of them needs no unit and is never dispatched (the simulation counts them as "resolved by
phone"; the optimiser plans for the rest). The pod is staffed like any call centre: by Erlang C on the
phone load (calls an hour x phone minutes / 60 erlangs), hour of the week by hour of the week, with the
fewest positions on duty such that `share_within` of screened calls are answered within `answer_seconds`
(80% within 60 seconds unless the scenario says otherwise), and at least one position on duty in every hour
any call is screened. Cost: people = positions x relief factor x position-hours a week / 56 (relief factors
are quoted per 8-hour post every day of the week, as for responders), each at `cost_per_position`.

The scenario's table (every key but `categories`, `share_resolved`, `phone_minutes` and `cost_per_position`
optional; defaults shown):

    [triage]
    label = "Triage clinicians in the 911 centre"
    categories = ["behavioral_health"]   # calls of these categories are screened by phone
    share_resolved = 0.625               # share of screened calls resolved by phone: no unit is sent
    phone_minutes = 12                   # call-taker minutes per screened call
    cost_per_position = 95000            # USD a year per person, fully loaded
    relief_factor = 1.6                  # people per 8-hour post kept filled
    answer_seconds = 60                  # service target: answered within 60 seconds ...
    share_within = 0.8                   # ... for 80% of screened calls
    source = "Where the figures come from."
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from optimize.queueing import ServiceTarget, requirements
from planner.costs import POST_HOURS_PER_WEEK
from planner.scenario import Scenario, Triage

WEEKS_PER_YEAR = 365.25 / 7


@dataclass(frozen=True, eq=False)
class TriagePlan:
    """What a triage pod screens, resolves and needs, per hour of the week (168 bins, Monday 00:00 first)."""

    triage: Triage
    screened_per_hour: np.ndarray     # calls screened by phone an hour
    phone_erlangs: np.ndarray         # call-takers busy on the phone on average
    positions: np.ndarray             # call-taker positions on duty (Erlang C on the phone load)
    screened_per_year: float
    resolved_per_year: float          # share_resolved x screened: no unit sent
    position_hours_per_week: float
    headcount: float                  # people, with the relief factor
    annual_cost: float                # USD a year

    @property
    def target(self) -> str:
        """The phone service target in words."""
        return (f"{self.triage.share_within:.0%} of screened calls answered within "
                f"{self.triage.answer_seconds:g} seconds (Erlang C)")

    def summary(self) -> str:
        """One line a budget reader can take in."""
        on_duty = positions_words(self)
        return (f"{self.triage.label}: {self.screened_per_year:,.0f} calls screened a year, "
                f"{self.resolved_per_year:,.0f} resolved by phone ({self.triage.share_resolved:.0%}); "
                f"{on_duty} on duty for {self.target}; {self.headcount:.1f} people, "
                f"${self.annual_cost:,.0f} a year")


def positions_words(plan: TriagePlan) -> str:
    """'1 call-taker position' or '2 to 4 call-taker positions' (on duty, over the week)."""
    lo, hi = int(plan.positions.min()), int(plan.positions.max())
    if lo == hi:
        return f"{hi} call-taker position{'s' if hi != 1 else ''}"
    return f"{lo} to {hi} call-taker positions"


def phone_positions(screened_per_hour: np.ndarray, triage: Triage) -> np.ndarray:
    """Call-taker positions on duty per bin: Erlang C on the phone load, at least one wherever calls come."""
    rates = np.asarray(screened_per_hour, dtype=float)
    load = rates * triage.phone_minutes / 60.0
    target = ServiceTarget(answer_minutes=triage.answer_seconds / 60.0, share_within=triage.share_within)
    need = requirements(load, triage.phone_minutes, target)
    return np.where(rates > 0, np.maximum(need, 1), 0).astype(np.int64)


def triage_staffing(triage: Triage, rates_per_hour: pd.DataFrame) -> TriagePlan:
    """The pod for calls an hour by category (rows: 168 hour-of-week bins, columns: categories)."""
    cols = [c for c in triage.categories if c in rates_per_hour.columns]
    screened = rates_per_hour[cols].sum(axis=1).to_numpy(dtype=float) if cols else np.zeros(len(rates_per_hour))
    bin_hours = 168 / len(screened)
    positions = phone_positions(screened, triage)
    position_hours = float(positions.sum() * bin_hours)
    headcount = triage.relief_factor * position_hours / POST_HOURS_PER_WEEK
    per_year = float(screened.sum() * bin_hours * WEEKS_PER_YEAR)
    return TriagePlan(triage=triage, screened_per_hour=screened, phone_erlangs=screened * triage.phone_minutes / 60,
                      positions=positions, screened_per_year=per_year,
                      resolved_per_year=per_year * triage.share_resolved, position_hours_per_week=position_hours,
                      headcount=headcount, annual_cost=headcount * triage.cost_per_position)


def triage_plan(scenario: Scenario, demand) -> TriagePlan | None:
    """The scenario's triage pod on its demand (planner.demand.Demand), or None when it has no [triage]."""
    if scenario.triage is None:
        return None
    return triage_staffing(scenario.triage, demand.rates_per_hour())


def after_triage(scenario: Scenario, rates_per_hour: pd.DataFrame) -> pd.DataFrame:
    """Calls an hour that still need a unit: each screened category's rate times (1 - share resolved)."""
    if scenario.triage is None:
        return rates_per_hour
    out = rates_per_hour.copy()
    for c in out.columns:
        out[c] = out[c] * (1.0 - scenario.triage.share_for(c))
    return out
