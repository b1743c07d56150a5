"""The one exception the optimisation engine raises: for inputs it cannot use, never for a plan it cannot find."""

from __future__ import annotations


class OptimizeError(Exception):
    """Invalid input to an optimisation model, or a solver that could not run at all."""
