"""Errors the planner raises: each names the file, key or row, the value and what was expected."""

from __future__ import annotations


class PlannerError(Exception):
    """Base of every error coplan reports to a user (CLI exit code 2, a dialog in the app)."""


class ImportFailed(PlannerError):
    """A calls export could not be read at all (unreadable file, wrong sheet, no usable time column)."""


class ScenarioError(PlannerError):
    """A scenario or mapping file is invalid."""


class ProjectError(PlannerError):
    """A project file is damaged, foreign or from a newer coplan."""
