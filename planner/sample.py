"""Seeded synthetic CAD exports in a real-looking layout, so sample projects go through the same importer
a department's own file does.

Calibration (and where each figure comes from):
- Hour-of-day shape: Milwaukee Police calls for service, May 1-21 2018 (city open-data portal),
  relative volume per hour of day as measured by coplan's profiler on that file.
- Category mix: Milwaukee 2018 open data for police-initiated activity, admin time, crime and traffic;
  behavioural-health, welfare and homelessness shares raised to what alternative-response programmes
  report once calls are triaged rather than coded by nature alone (Eugene's CAHOOTS answered 17% of
  Eugene PD's call volume in 2017; NYC counted 37,113 B-HEARD-eligible calls in FY22-24).
- Time on scene: coplan's defaults per category, mental-health calls longer than others (one study:
  44%-182% longer); log-normal, coefficient of variation 0.8.
- Multi-unit incidents: violent-crime and traffic calls often take two or more units; one row per unit,
  as most CAD exports write them.
The export carries the quirks real files have: separate US date and 12-hour time columns, time-only
dispatch/arrival/clear columns, '0:00' placeholders, codes with a separate code table, a code missing from
that table, and a few damaged rows.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from planner.fileio import atomic_write_bytes
from planner.scenario import DEFAULT_ON_SCENE_MINUTES, DEFAULT_PRIORITY, DEFAULT_PRIORITY_OTHER

# Relative volume per hour of day (Milwaukee 2018, measured).
HOUR_SHAPE = np.array([1.14, 1.01, 0.82, 0.57, 0.51, 0.49, 0.58, 0.57, 0.93, 0.90, 0.90, 1.26,
                       1.29, 1.32, 1.16, 1.14, 1.49, 1.28, 1.14, 1.21, 1.24, 1.17, 1.03, 0.86])
DAY_SHAPE = np.array([1.04, 1.02, 1.00, 1.00, 1.04, 1.00, 0.90])  # Monday first
MONTH_SHAPE = np.array([0.88, 0.85, 0.95, 0.98, 1.04, 1.08, 1.12, 1.10, 1.04, 1.00, 0.96, 0.94])

CATEGORY_MIX = {
    "self_initiated": 0.20, "admin": 0.11, "disturbance": 0.12, "violent_crime": 0.10,
    "property_crime": 0.09, "traffic": 0.08, "welfare_check": 0.065, "behavioral_health": 0.045,
    "family_youth": 0.04, "alarm": 0.035, "homelessness": 0.03, "substance": 0.02,
    "victim_support": 0.01, "other": 0.035,
}
# Agency codes per category: (code, description). The descriptions are what the code table says.
CODES = {
    "behavioral_health": [("5150", "MENTAL HEALTH CRISIS - 5150"), ("SUIC", "SUICIDE THREAT"),
                          ("EDP", "EMOTIONALLY DISTURBED PERSON")],
    "substance": [("OD", "OVERDOSE"), ("INTOX", "INTOXICATED PERSON")],
    "welfare_check": [("WELF", "WELFARE CHECK"), ("SICK", "SICK OR INJURED PERSON"), ("DOWN", "PERSON DOWN")],
    "homelessness": [("TRES", "TRESPASS - UNHOUSED PERSON"), ("PANH", "PANHANDLING"), ("ENC", "ENCAMPMENT")],
    "family_youth": [("RUNA", "RUNAWAY JUVENILE"), ("JUV", "JUVENILE PROBLEM"), ("FAM", "FAMILY DISPUTE")],
    "victim_support": [("VFU", "VICTIM FOLLOW UP"), ("NOTIF", "DEATH NOTIFICATION")],
    "disturbance": [("415", "DISTURBANCE"), ("NOISE", "NOISE COMPLAINT"), ("SUSP", "SUSPICIOUS PERSON"),
                    ("NEIGH", "NEIGHBOR DISPUTE")],
    "violent_crime": [("242", "BATTERY"), ("245", "ASSAULT WITH WEAPON"), ("SHOTS", "SHOTS FIRED"),
                      ("211", "ROBBERY"), ("DV", "DOMESTIC VIOLENCE")],
    "property_crime": [("484", "THEFT"), ("459", "BURGLARY"), ("594", "PROPERTY DAMAGE"),
                       ("10851", "STOLEN VEHICLE")],
    "traffic": [("1182", "ACCIDENT - PROPERTY DAMAGE"), ("1181", "ACCIDENT - INJURY"), ("HAZ", "TRAFFIC HAZARD"),
                ("23152", "DUI DRIVER")],
    "alarm": [("ALRM", "BURGLAR ALARM"), ("HOLD", "HOLDUP ALARM")],
    "self_initiated": [("TS", "TRAFFIC STOP"), ("BC", "BUSINESS CHECK"), ("PAT", "DIRECTED PATROL"),
                       ("PW", "PARK AND WALK")],
    "admin": [("FU", "FOLLOW UP"), ("RPT", "REPORT WRITING"), ("CRT", "COURT"), ("XPORT", "PRISONER TRANSPORT")],
    "other": [("ANML", "ANIMAL COMPLAINT"), ("WARR", "SUBJECT WANTED"), ("XK9", None)],
}
ARREST_RATE = {"violent_crime": 0.14, "property_crime": 0.05, "substance": 0.06, "behavioral_health": 0.04,
               "disturbance": 0.03, "traffic": 0.04, "family_youth": 0.02, "homelessness": 0.05,
               "self_initiated": 0.03, "other": 0.04}
REFERRAL_RATE = {"behavioral_health": 0.30, "welfare_check": 0.15, "homelessness": 0.25, "family_youth": 0.15,
                 "substance": 0.20, "victim_support": 0.40}
MULTI_UNIT = {"violent_crime": 0.55, "traffic": 0.25, "behavioral_health": 0.30, "disturbance": 0.25,
              "substance": 0.20, "family_youth": 0.15, "alarm": 0.30}
TRAVEL_MEAN = {1: 6.0, 2: 9.0, 3: 12.0}
QUEUE_MEAN = {1: 1.5, 2: 6.0, 3: 14.0}


@dataclass(frozen=True)
class SampleExport:
    calls: pd.DataFrame     # the export's rows, in the export's own layout (text)
    codes: pd.DataFrame     # the code table
    n_incidents: int
    n_damaged: int


def _draw_times(rng: np.random.Generator, n: int, start: pd.Timestamp, days: int) -> np.ndarray:
    """Arrival times (minutes after start) following hour, weekday and month shapes."""
    minutes = days * 1440
    grid = pd.date_range(start, periods=days * 24, freq="h")
    w = HOUR_SHAPE[grid.hour] * DAY_SHAPE[grid.day_of_week] * MONTH_SHAPE[grid.month - 1]
    # Friday and Saturday nights are busier than the hourly and daily shapes alone say.
    w = w * np.where(((grid.day_of_week == 4) | (grid.day_of_week == 5)) & (grid.hour >= 20), 1.25, 1.0)
    w = w * np.where(((grid.day_of_week == 5) | (grid.day_of_week == 6)) & (grid.hour <= 2), 1.25, 1.0)
    hours = rng.choice(len(grid), size=n, p=w / w.sum())
    t = hours * 60 + rng.random(n) * 60
    return np.sort(np.minimum(t, minutes - 1e-6))


def _lognormal(rng: np.random.Generator, mean: np.ndarray, cv: float) -> np.ndarray:
    sigma2 = np.log(1 + cv * cv)
    mu = np.log(mean) - sigma2 / 2
    return rng.lognormal(mu, np.sqrt(sigma2))


def generate(calls_per_year: int = 60000, days: int = 365, seed: int = 1, start: str = "2025-01-01",
             damaged: int | None = None) -> SampleExport:
    """A synthetic CAD export of about `calls_per_year` incidents a year over `days` days."""
    rng = np.random.default_rng(seed)
    n = int(round(calls_per_year * days / 365))
    t0 = pd.Timestamp(start)
    t = _draw_times(rng, n, t0, days)
    cats = list(CATEGORY_MIX)
    p = np.array([CATEGORY_MIX[c] for c in cats])
    cat = rng.choice(len(cats), size=n, p=p / p.sum())
    cat_name = np.array(cats, dtype=object)[cat]

    # Call type code within the category.
    code = np.empty(n, dtype=object)
    for i, c in enumerate(cats):
        idx = np.flatnonzero(cat == i)
        options = [k for k, _ in CODES[c]]
        weights = np.array([0.05 if k == "XK9" else 1.0 for k in options])
        code[idx] = np.array(options, dtype=object)[rng.choice(len(options), size=len(idx), p=weights / weights.sum())]

    # Priority.
    pri = np.empty(n, dtype=np.int64)
    for i, c in enumerate(cats):
        idx = np.flatnonzero(cat == i)
        table = DEFAULT_PRIORITY.get(c, DEFAULT_PRIORITY_OTHER)
        pri[idx] = rng.choice(list(table), size=len(idx), p=list(table.values()))

    queue = _lognormal(rng, np.vectorize(QUEUE_MEAN.get)(pri).astype(float), 1.0)
    travel = _lognormal(rng, np.vectorize(TRAVEL_MEAN.get)(pri).astype(float), 0.6)
    on_scene = _lognormal(rng, np.array([DEFAULT_ON_SCENE_MINUTES[c] for c in cat_name]), 0.8)
    self_init = cat_name == "self_initiated"
    queue[self_init] = 0.0
    travel[self_init] = 0.0

    # Units per incident.
    multi_p = np.array([MULTI_UNIT.get(c, 0.05) for c in cat_name])
    units = 1 + (rng.random(n) < multi_p) + (rng.random(n) < multi_p * 0.3)

    # Disposition.
    u = rng.random(n)
    arrest = u < np.array([ARREST_RATE.get(c, 0.0) for c in cat_name])
    referral = ~arrest & (u < np.array([ARREST_RATE.get(c, 0.0) + REFERRAL_RATE.get(c, 0.0) for c in cat_name]))
    disp = np.where(arrest, "Cleared by Arrest", np.where(referral, "Referred to Services", ""))
    rest = disp == ""
    disp[rest] = rng.choice(["Report Taken", "Advised", "Gone on Arrival", "Unfounded", "Assistance Rendered"],
                            size=int(rest.sum()), p=[0.3, 0.3, 0.15, 0.1, 0.15])

    beats = np.array([f"{d}{b}" for d in "ABCDEF" for b in (1, 2, 3)], dtype=object)
    beat = beats[rng.integers(0, len(beats), n)]
    year = t0.year % 100
    incident = np.array([f"{year:02d}-{i + 1:06d}" for i in range(n)], dtype=object)

    # One row per unit: extra units arrive a little after the first.
    rep = np.repeat(np.arange(n), units)
    k = np.concatenate([np.arange(u) for u in units])
    received = t0 + pd.to_timedelta(t[rep], unit="min")
    dispatched = received + pd.to_timedelta(queue[rep] + k * rng.uniform(0.5, 3, len(rep)), unit="min")
    arrived = dispatched + pd.to_timedelta(travel[rep] * (1 + 0.2 * k), unit="min")
    cleared = arrived + pd.to_timedelta(on_scene[rep] * np.where(k > 0, 0.7, 1.0), unit="min")
    unit_ids = np.array([f"{b}{100 + j}" for b, j in zip(beat[rep], k, strict=True)], dtype=object)

    def clock(ts: pd.DatetimeIndex) -> np.ndarray:
        return np.asarray(ts.strftime("%H:%M:%S"), dtype=object)

    rows = pd.DataFrame({
        "Incident Number": incident[rep],
        "Unit": unit_ids,
        "Priority": pri[rep].astype(str),
        "Call Type": code[rep],
        "Received Date": np.asarray(received.strftime("%m/%d/%Y"), dtype=object),
        "Received Time": np.asarray(received.strftime("%I:%M:%S %p"), dtype=object),
        "Dispatched": clock(dispatched),
        "On Scene": clock(arrived),
        "Cleared": clock(cleared),
        "Beat": beat[rep],
        "Disposition": disp[rep],
    })
    # Self-initiated activity has no dispatch; many CADs write '0:00' there and in cancelled calls.
    si = self_init[rep]
    rows.loc[si, "Dispatched"] = "0:00"
    cancelled = rng.random(len(rows)) < 0.02
    rows.loc[cancelled, ["On Scene", "Cleared"]] = ["0:00", ""]

    n_damaged = damaged if damaged is not None else max(1, n // 3000)
    if n_damaged:
        bad = rng.choice(len(rows), size=min(n_damaged, len(rows)), replace=False)
        kinds = rng.integers(0, 3, len(bad))
        for r, kind in zip(bad, kinds, strict=True):
            if kind == 0:
                rows.iat[r, rows.columns.get_loc("Received Date")] = "13/45/2025"
            elif kind == 1:
                rows.iat[r, rows.columns.get_loc("Call Type")] = ""
            else:
                rows.iat[r, rows.columns.get_loc("Received Time")] = "25:99 PM"
    codes = pd.DataFrame([(k, d) for c in cats for k, d in CODES[c] if d is not None],
                         columns=["Code", "Description"])
    return SampleExport(calls=rows, codes=codes, n_incidents=n, n_damaged=int(n_damaged))


def write_sample(out_dir: str | Path, calls_per_year: int = 60000, days: int = 365, seed: int = 1,
                 start: str = "2025-01-01", compress: bool = False) -> tuple[Path, Path]:
    """Write calls.csv (or calls.csv.gz) and codes.csv into `out_dir`; returns their paths."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    s = generate(calls_per_year, days, seed, start)
    csv_bytes = s.calls.to_csv(index=False, lineterminator="\n").encode("utf-8")
    calls_path = out / ("calls.csv.gz" if compress else "calls.csv")
    if compress:
        import gzip

        # mtime=0 keeps the file byte-identical for the same seed.
        csv_bytes = gzip.compress(csv_bytes, compresslevel=9, mtime=0)
    atomic_write_bytes(calls_path, csv_bytes)
    codes_path = out / "codes.csv"
    atomic_write_bytes(codes_path, s.codes.to_csv(index=False, lineterminator="\n").encode("utf-8"))
    return calls_path, codes_path
