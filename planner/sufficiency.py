"""Is the export enough to plan from? Warnings a user reads before trusting a profile, a baseline or a report.

Each warning is one line that says what is thin and what coplan did about it:
- the export covers fewer than MIN_WEEKS weeks (each hour of the week is then an average of few weeks, and
  seasons are missing);
- hours of the week rest on fewer than FEW_CALLS calls over the whole export (their rates are guesses);
- time on scene could not be measured (no arrival and clear times for at least planner.demand.MIN_MEASURED
  calls of a category): coplan's default for the category is used, and the warning says which and where the
  defaults come from;
- most calls fell in `other` (the taxonomy did not recognise their call types): rules are needed first.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd

from planner.importer import ImportResult
from planner.profile import DemandProfile, build_profile
from planner.scenario import DEFAULT_ON_SCENE_MINUTES

MIN_WEEKS = 8
FEW_CALLS = 10                    # calls over the whole export below which an hour of the week's rate is a guess
MOSTLY_OTHER = 0.5                # share of calls in `other` that makes the categories untrustworthy
DEFAULT_EXCLUDED = ("self_initiated", "admin")
ON_SCENE_DEFAULT_SOURCE = ("coplan's defaults by category (mental-health calls take longer on scene than others, "
                           "44%-182% longer in one study; the defaults sit inside that range)")


def _categories(calls: pd.DataFrame, exclude: Iterable[str]) -> list[str]:
    present = calls["category"].astype(str).value_counts()
    return [c for c in present.index if present[c] > 0 and c not in set(exclude)]


def unmeasured_on_scene(calls: pd.DataFrame, exclude: Iterable[str] = DEFAULT_EXCLUDED) -> list[str]:
    """Categories (largest first) whose time on scene the export cannot measure (too few on-scene times)."""
    from planner.demand import MIN_MEASURED

    out = []
    on_scene = calls["on_scene_minutes"] if "on_scene_minutes" in calls else pd.Series(np.nan, index=calls.index)
    measured = (on_scene >= 0).groupby(calls["category"].astype(str)).sum()
    for c in _categories(calls, exclude):
        if int(measured.get(c, 0)) < MIN_MEASURED:
            out.append(c)
    return out


def data_warnings(result: ImportResult, profile: DemandProfile | None = None, *,
                  exclude: Iterable[str] = DEFAULT_EXCLUDED) -> list[str]:
    """The warnings for an import (module docstring), in the order a user should act on them; [] when none."""
    from planner.overload import hours_words

    calls = result.calls
    if calls.empty:
        return ["the export holds no calls that could be imported"]
    exclude = tuple(exclude)
    profile = profile if profile is not None and profile.bin_minutes == 60 else build_profile(result)
    out = []
    n_other = int((calls["category"].astype(str) == "other").sum())
    if n_other / len(calls) > MOSTLY_OTHER:
        out.append(f"{n_other / len(calls):.0%} of the calls ({n_other:,}) fell in 'other': the taxonomy did not "
                   f"recognise their call types, so who may answer them is unknown; write category rules for "
                   f"them (Data page, or [[rules]] in the mapping file) before planning")
    weeks = profile.days / 7
    if weeks < MIN_WEEKS:
        out.append(f"the export covers {profile.days:.1f} days ({weeks:.1f} weeks), fewer than {MIN_WEEKS}: each "
                   f"hour of the week is an average of only {max(int(np.ceil(weeks)), 1)} week(s), and seasons "
                   f"are missing; plan with a longer export where one exists")
    planned = [c for c in profile.categories if c not in exclude]
    counts = profile.counts[planned].sum(axis=1).to_numpy() if planned else np.zeros(profile.n_bins)
    few = np.flatnonzero(counts < FEW_CALLS)
    if len(few):
        out.append(f"{len(few)} hour{'s' if len(few) != 1 else ''} of the week rest on fewer than {FEW_CALLS} "
                   f"calls in the whole export ({hours_words(few)}): their rates, and the staffing sized on "
                   f"them, are rough")
    missing = unmeasured_on_scene(calls, exclude)
    if missing:
        listed = ", ".join(f"{c.replace('_', ' ')} {DEFAULT_ON_SCENE_MINUTES.get(c, DEFAULT_ON_SCENE_MINUTES['other']):g}"
                           for c in missing[:8])
        more = f" and {len(missing) - 8} more" if len(missing) > 8 else ""
        all_of_them = len(missing) == len(_categories(calls, exclude))
        out.append(f"time on scene could not be measured for {'any category' if all_of_them else 'some categories'} "
                   f"(the export lacks arrival and clear times): defaults are used, in minutes: {listed}{more}; "
                   f"source: {ON_SCENE_DEFAULT_SOURCE}")
    return out
