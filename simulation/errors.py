"""The one exception the simulation engine raises."""

from __future__ import annotations


class SimulationError(Exception):
    """Invalid simulation input or a run that cannot proceed; the message names the field and value."""
