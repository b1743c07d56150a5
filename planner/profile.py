"""Demand profile: when calls arrive, of what kind, and how long they keep units busy.

Arrival rates are per hour-of-week bin (bin 0 = Monday 00:00, local time) and category, averaged over
the time each bin was actually observed in the data (a three-day export counts each Monday hour once,
not as a week), so partial weeks do not bias the rates.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from planner.importer import ImportResult

MINUTES_PER_WEEK = 7 * 24 * 60
WEEKS_PER_YEAR = 365.25 / 7


@dataclass(frozen=True)
class DemandProfile:
    """Rates and durations derived from the imported calls."""

    bin_minutes: int
    categories: tuple[str, ...]
    rates_per_hour: pd.DataFrame      # index: bin (0..n-1), columns: category; calls per hour
    exposure_hours: np.ndarray        # hours each bin was observed
    counts: pd.DataFrame              # index: bin, columns: category; calls seen
    by_category: pd.Series            # calls per category
    weekly_volume: pd.Series          # calls per week (week starting Monday)
    monthly_volume: pd.Series         # calls per calendar month
    durations: pd.DataFrame           # per category: on-scene and busy minutes (n, median, mean, p90)
    priority_share: pd.DataFrame      # per category: share of calls of each priority (known priorities only)
    start: pd.Timestamp
    end: pd.Timestamp

    @property
    def n_bins(self) -> int:
        return MINUTES_PER_WEEK // self.bin_minutes

    @property
    def days(self) -> float:
        return (self.end - self.start).total_seconds() / 86400

    def calls_per_year(self) -> pd.Series:
        """Expected calls per category in a year at the observed rates."""
        hours = self.bin_minutes / 60
        return self.rates_per_hour.sum(axis=0) * hours * WEEKS_PER_YEAR

    def offered_load(self, busy_minutes: dict[str, float]) -> pd.DataFrame:
        """Busy units per bin and category: arrival rate x mean busy time (erlangs)."""
        mean_hours = pd.Series({c: busy_minutes.get(c, np.nan) / 60 for c in self.categories})
        return self.rates_per_hour * mean_hours

    def arrivals_per_hour_of_week(self) -> np.ndarray:
        """All categories together: mean calls per hour in each hour-of-week (168 numbers at 60-min bins)."""
        return self.rates_per_hour.sum(axis=1).to_numpy()


def week_bin(ts: pd.Series, bin_minutes: int) -> np.ndarray:
    """Hour-of-week bin of each (tz-aware, local) time: Monday 00:00 is bin 0."""
    minute = ts.dt.day_of_week.to_numpy() * 1440 + ts.dt.hour.to_numpy() * 60 + ts.dt.minute.to_numpy()
    return (minute // bin_minutes).astype(np.int64)


def _exposure(start: pd.Timestamp, end: pd.Timestamp, bin_minutes: int) -> np.ndarray:
    """Hours each weekly bin was observed between start and end."""
    n = MINUTES_PER_WEEK // bin_minutes
    first = start.floor(f"{bin_minutes}min")
    last = end.floor(f"{bin_minutes}min")
    steps = pd.date_range(first, last, freq=f"{bin_minutes}min")
    bins = week_bin(pd.Series(steps), bin_minutes)
    return np.bincount(bins, minlength=n).astype(float) * bin_minutes / 60


def build_profile(calls: pd.DataFrame | ImportResult, bin_minutes: int = 60) -> DemandProfile:
    """Profile the canonical call table at 60-minute bins (30 or 15 when asked)."""
    if isinstance(calls, ImportResult):
        calls = calls.calls
    if MINUTES_PER_WEEK % bin_minutes or 60 % bin_minutes and bin_minutes % 60:
        raise ValueError(f"bin_minutes = {bin_minutes}: expected a divisor of 60 or a multiple of 60 dividing a week")
    cats = list(calls["category"].cat.categories) if hasattr(calls["category"], "cat") else sorted(
        calls["category"].unique())
    n = MINUTES_PER_WEEK // bin_minutes
    if calls.empty:
        raise ValueError("no calls to profile")
    received = calls["received_at"]
    start, end = received.min(), received.max()
    exposure = _exposure(start, end, bin_minutes)
    bins = week_bin(received, bin_minutes)
    cat_codes = pd.Categorical(calls["category"], categories=cats).codes
    counts = np.zeros((n, len(cats)))
    np.add.at(counts, (bins, cat_codes), 1)
    with np.errstate(divide="ignore", invalid="ignore"):
        rates = np.where(exposure[:, None] > 0, counts / exposure[:, None], 0.0)
    counts_df = pd.DataFrame(counts.astype(np.int64), columns=cats)
    rates_df = pd.DataFrame(rates, columns=cats)
    naive = received.dt.tz_localize(None)
    weekly = naive.dt.to_period("W-SUN").value_counts().sort_index()
    weekly.index = weekly.index.start_time
    monthly = naive.dt.to_period("M").value_counts().sort_index()
    monthly.index = monthly.index.astype(str)
    # One grouped pass per measure (negative durations are typing errors, not times).
    cat = pd.Categorical(calls["category"], categories=cats)
    stats = {}
    for measure in ("on_scene", "busy"):
        x = calls[f"{measure}_minutes"].astype(float)
        x = x.where(x >= 0)
        g = x.groupby(cat, observed=False)
        stats[measure] = pd.DataFrame({"n": g.count(), "median": g.median(), "mean": g.mean(),
                                       "p90": g.quantile(0.9)}).reindex(cats)
    rows = []
    for c in cats:
        row = {"category": c, "calls": int(counts[:, cats.index(c)].sum())}
        for measure in ("on_scene", "busy"):
            st = stats[measure].loc[c]
            row.update({f"{measure}_n": int(st["n"]), f"{measure}_median": float(st["median"]),
                        f"{measure}_mean": float(st["mean"]), f"{measure}_p90": float(st["p90"])})
        rows.append(row)
    durations = pd.DataFrame(rows).set_index("category")
    known = calls.dropna(subset=["priority"])
    if len(known):
        pri = pd.crosstab(known["category"], known["priority"], normalize="index")
        pri = pri.reindex(cats).fillna(0.0)
    else:
        pri = pd.DataFrame(index=cats)
    by_cat = pd.Series(counts.sum(axis=0).astype(np.int64), index=cats)
    return DemandProfile(bin_minutes=bin_minutes, categories=tuple(cats), rates_per_hour=rates_df,
                         exposure_hours=exposure, counts=counts_df, by_category=by_cat, weekly_volume=weekly,
                         monthly_volume=monthly, durations=durations, priority_share=pri, start=start, end=end)


def unmatched_call_types(calls: pd.DataFrame, top: int = 20) -> list[tuple[str, int]]:
    """Call types that landed in `other`, largest first, so the user can write rules for them."""
    other = calls.loc[calls["category"] == "other", "call_type"]
    vc = other.value_counts().head(top)
    return [(str(k), int(v)) for k, v in vc.items()]


def _data_warnings(result: ImportResult, profile: DemandProfile) -> list[str]:
    """Where the export is too thin to trust every figure (planner.sufficiency; imported here, not at the top:
    that module imports this one)."""
    from planner.sufficiency import data_warnings

    return data_warnings(result, profile)


def profile_summary(result: ImportResult, profile: DemandProfile, top: int = 20) -> dict:
    """The JSON of `coplan profile`: every row accounted for, rates, durations, unmatched types."""
    calls = result.calls
    tos = {c: (None if np.isnan(v) else round(float(v), 2))
           for c, v in profile.durations["on_scene_median"].items()}
    busy = {c: (None if np.isnan(v) else round(float(v), 2))
            for c, v in profile.durations["busy_median"].items()}
    return {
        "source": str(result.source) if result.source else None,
        "rows_read": result.rows_read,
        "rows_imported": result.rows_imported,
        "rows_merged": result.rows_merged,
        "calls_imported": result.calls_imported,
        "rows_rejected": result.rows_rejected,
        "rejections": result.rejections(),
        "rows_set_aside": result.rows_set_aside,
        "set_aside": dict(result.set_aside),
        "agencies": dict(result.agencies),
        "agencies_kept": list(result.mapping.agencies or []) if result.agencies else [],
        "column_choices": [c.to_json() for c in result.column_choices],
        "columns_not_times": dict(result.not_times),
        "timezone": result.timezone,
        "columns": {k: (list(v) if isinstance(v, (list, tuple)) else v) for k, v in result.mapping.columns.items()},
        "period": {"start": profile.start.isoformat(), "end": profile.end.isoformat(),
                   "days": round(profile.days, 3)},
        "by_category": {c: int(v) for c, v in profile.by_category.items()},
        "calls_per_year": {c: round(float(v), 1) for c, v in profile.calls_per_year().items()},
        "arrivals_per_hour_of_week": [round(float(x), 4) for x in profile.arrivals_per_hour_of_week()],
        "time_on_scene_minutes": tos,
        "busy_minutes": busy,
        "weekly_volume": {k.date().isoformat(): int(v) for k, v in profile.weekly_volume.items()},
        "monthly_volume": {str(k): int(v) for k, v in profile.monthly_volume.items()},
        "unmatched_call_types": [{"call_type": t, "calls": n} for t, n in unmatched_call_types(calls, top)],
        "outcome_hints": ({str(k): int(v) for k, v in calls["outcome_hint"].value_counts().items() if k}
                          if "outcome_hint" in calls else {}),
        "notes": list(result.notes),
        "warnings": _data_warnings(result, profile),
    }


def detection_lines(s: dict) -> list[str]:
    """What `coplan profile` prints after the rejected rows: rows set aside (other agencies), the agencies
    in the file, and why each column was chosen (with the runner-up), from `profile_summary`'s dict."""
    lines = []
    if s.get("rows_set_aside"):
        lines.append(f"  set aside      {s['rows_set_aside']:>10,}  (other agencies' calls, kept out by the agency "
                     "filter; not rejected)")
        for agency, n in s.get("set_aside", {}).items():
            lines.append(f"    {n:>8,}  {agency}")
    if s.get("agencies"):
        kept = set(s.get("agencies_kept") or [])
        shown = ", ".join(f"{a or '(blank)'} {n:,} ({'kept' if a in kept or not s.get('rows_set_aside') else 'set aside'})"
                          for a, n in s["agencies"].items())
        lines.append(f"Agencies         {shown}")
    choices = s.get("column_choices") or []
    if choices:
        lines.append("Columns used (and why)")
        for c in choices:
            lines.append(f"  {c['field'].replace('_', ' '):<15}'{c['column']}': {c['why']}")
            if c.get("runner_up"):
                lines.append(f"  {'':<15}runner-up '{c['runner_up']}': {c['runner_up_why']}")
        for col, why in (s.get("columns_not_times") or {}).items():
            lines.append(f"  {'not a time':<15}'{col}': {why}")
    return lines
