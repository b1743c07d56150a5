"""Shared test fixtures: where the real data lives, and small exports written on the fly."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

ROOT = Path(__file__).resolve().parents[1]
SHARED_DATA = ROOT.parent / "shared" / "data"
MILWAUKEE = SHARED_DATA / "milwaukee_cfs_2018-05.csv"
SAMPLES = ROOT / "sample_scenarios"


@pytest.fixture
def milwaukee() -> Path:
    if not MILWAUKEE.exists():
        pytest.skip("the real Milwaukee export is not beside this checkout (../shared/data)")
    return MILWAUKEE


@pytest.fixture
def write(tmp_path: Path):
    """write(name, text or bytes) -> path of a file in a fresh temporary folder."""

    def _write(name: str, content: str | bytes, encoding: str = "utf-8") -> Path:
        p = tmp_path / name
        if isinstance(content, str):
            content = content.encode(encoding)
        p.write_bytes(content)
        return p

    return _write
