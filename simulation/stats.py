"""Confidence intervals over replications: Student's t without scipy."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from statistics import NormalDist

import numpy as np
import pandas as pd

from simulation.errors import SimulationError

CONFIDENCE = 0.95
SUMMARY_COLUMNS = ["mean", "ci_low", "ci_high", "std", "n"]


def t_quantile(p: float, df: float) -> float:
    """The p-quantile of Student's t with `df` degrees of freedom (df >= 1, 0 < p < 1).

    Hill (1970), CACM Algorithm 396, as refined in R's qt(): exact for df = 1 and 2, an asymptotic
    expansion about the normal elsewhere; about six significant digits, plenty for an interval.
    """
    if not 0.0 < p < 1.0:
        raise SimulationError(f"t quantile: p is {p!r}, expected 0 < p < 1")
    if not df >= 1.0:
        raise SimulationError(f"t quantile: df is {df!r}, expected at least 1")
    if p == 0.5:
        return 0.0
    sign = 1.0 if p > 0.5 else -1.0
    two_sided = 2.0 * min(p, 1.0 - p)
    if math.isinf(df) or df > 1e10:
        return sign * NormalDist().inv_cdf(1.0 - two_sided / 2.0)
    if abs(df - 2.0) < 1e-12:
        q = math.sqrt(2.0 / (two_sided * (2.0 - two_sided)) - 2.0)
    elif abs(df - 1.0) < 1e-12:
        q = 1.0 / math.tan(two_sided * math.pi / 2.0)
    else:
        a = 1.0 / (df - 0.5)
        b = 48.0 / (a * a)
        c = ((20700.0 * a / b - 98.0) * a - 16.0) * a + 96.36
        d = ((94.5 / (b + c) - 3.0) / b + 1.0) * math.sqrt(a * math.pi / 2.0) * df
        y = (d * two_sided) ** (2.0 / df)
        if y > 0.05 + a:
            # Far enough from the tail: expand about the normal quantile.
            x = NormalDist().inv_cdf(0.5 * two_sided)
            y = x * x
            if df < 5:
                c += 0.3 * (df - 4.5) * (x + 0.6)
            c = (((0.05 * d * x - 5.0) * x - 7.0) * x - 2.0) * x + b + c
            y = (((((0.4 * y + 6.3) * y + 36.0) * y + 94.5) / c - y - 3.0) / b + 1.0) * x
            y = math.expm1(a * y * y)
        else:
            y = (
                (1.0 / (((df + 6.0) / (df * y) - 0.089 * d - 0.822) * (df + 2.0) * 3.0) + 0.5 / (df + 4.0))
                * y
                - 1.0
            ) * (df + 1.0) / (df + 2.0) + 1.0 / y
        q = math.sqrt(df * y)
    return sign * q


def summarise(kpi_rows: Sequence[Mapping[str, float]]) -> pd.DataFrame:
    """Mean, 95% Student-t interval, standard deviation and n of each KPI over replications.

    Index: KPI names in order of first appearance; columns: mean, ci_low, ci_high, std, n. NaN values
    (a KPI undefined in a replication, e.g. utilisation of a type never on duty) are left out, so n
    counts the replications where the KPI is defined. With n = 1 the interval collapses to the mean
    (std is NaN): one replication says nothing about its own spread.
    """
    names: dict[str, None] = {}
    for row in kpi_rows:
        names.update(dict.fromkeys(row))
    table = np.array([[row.get(name, math.nan) for name in names] for row in kpi_rows], dtype=float)
    table = table.reshape(len(kpi_rows), len(names))
    out = pd.DataFrame(index=pd.Index(list(names), name="kpi"), columns=SUMMARY_COLUMNS, dtype=float)
    for k, name in enumerate(names):
        values = table[:, k]
        values = values[~np.isnan(values)]
        n = len(values)
        if n == 0:
            out.loc[name] = [math.nan, math.nan, math.nan, math.nan, 0.0]
            continue
        mean = float(values.mean())
        if n == 1:
            out.loc[name] = [mean, mean, mean, math.nan, 1.0]
            continue
        std = float(values.std(ddof=1))
        half = t_quantile(0.5 + CONFIDENCE / 2.0, n - 1) * std / math.sqrt(n)
        out.loc[name] = [mean, mean - half, mean + half, std, float(n)]
    out["n"] = out["n"].astype(np.int64)
    return out
