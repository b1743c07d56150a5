"""Tabular output that is safe to open in a spreadsheet."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from planner.fileio import atomic_write_bytes

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def neutralise_cell(value: object) -> object:
    """Text a spreadsheet could run as a formula gets a leading apostrophe; numbers stay numbers."""
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def neutralise_frame(df: pd.DataFrame) -> pd.DataFrame:
    out = df.copy()
    out.columns = [neutralise_cell(str(c)) for c in out.columns]
    for c in out.columns:
        if out[c].dtype == object or pd.api.types.is_string_dtype(out[c]):
            out[c] = out[c].map(neutralise_cell, na_action="ignore")
    return out


def write_csv(df: pd.DataFrame, path: str | Path) -> None:
    """Write a CSV atomically with formula-like text neutralised."""
    atomic_write_bytes(Path(path), neutralise_frame(df).to_csv(index=False, lineterminator="\n").encode("utf-8"))
