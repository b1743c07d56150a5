"""Tabular output that is safe to open in a spreadsheet.

Text a spreadsheet could run as a formula (OWASP "CSV injection": a cell starting with `=`, `+`, `-`,
`@`, a tab or a carriage return, also after leading spaces or in their full-width forms) gets a leading
apostrophe, so it is shown as the text it is and never evaluated. Numbers stay numbers.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from pathlib import Path

import pandas as pd

from planner.fileio import atomic_write_bytes

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\n", "\uff1d", "\uff0b", "\uff0d", "\uff20")
# Control characters an XLSX file cannot hold (XML 1.0 forbids them); tab, LF and CR are allowed.
_ILLEGAL_IN_XLSX = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


def neutralise_cell(value: object) -> object:
    """Text a spreadsheet could run as a formula gets a leading apostrophe; numbers stay numbers."""
    if isinstance(value, str) and value.lstrip(" ").startswith(_FORMULA_START):
        return "'" + value
    return value


def neutralise_frame(df: pd.DataFrame) -> pd.DataFrame:
    out = df.copy()
    out.columns = [neutralise_cell(str(c)) for c in out.columns]
    for c in out.columns:
        if out[c].dtype == object or pd.api.types.is_string_dtype(out[c]) \
                or isinstance(out[c].dtype, pd.CategoricalDtype):
            out[c] = out[c].astype(object).map(neutralise_cell, na_action="ignore")
    return out


def write_csv(df: pd.DataFrame, path: str | Path) -> None:
    """Write a CSV atomically with formula-like text neutralised."""
    atomic_write_bytes(Path(path), neutralise_frame(df).to_csv(index=False, lineterminator="\n").encode("utf-8"))


def spreadsheet_value(value: object) -> object:
    """A value as an XLSX cell should hold it: numbers as numbers (NaN as an empty cell), text neutralised
    and without the control characters the file format cannot hold, anything else as its text."""
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, bool):
        return value
    if isinstance(value, dt.datetime) and value.tzinfo is not None:
        return value.replace(tzinfo=None)   # XLSX has no time zones: the local clock time as written
    if isinstance(value, dt.date):
        return value
    if isinstance(value, int | float):
        return None if isinstance(value, float) and not math.isfinite(value) else value
    if hasattr(value, "item") and not isinstance(value, str):   # numpy scalars
        return spreadsheet_value(value.item())
    text = value if isinstance(value, str) else str(value)
    return neutralise_cell(_ILLEGAL_IN_XLSX.sub("", text))
