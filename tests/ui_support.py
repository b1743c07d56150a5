"""A helper the app's tests share (the fixtures are in conftest.py)."""

from __future__ import annotations

from pathlib import Path

from planner.importer import ImportResult
from planner.profile import build_profile
from tests.conftest import SAMPLES

SAMPLE = SAMPLES / "midsize_city"


def load_calls_into(window, reference: ImportResult, mapping_path: Path | None):
    """Give the window the sample's calls as opening the scenario reads them (without reading again)."""
    from ui.project import CallData

    data = CallData(result=reference, profile=build_profile(reference), calls_path=SAMPLE / "calls.csv.gz",
                    codes_path=SAMPLE / "codes.csv", timezone=reference.timezone, mapping_path=mapping_path)
    assert window.state.set_loaded_data(data, window.state.generation)
    return window
