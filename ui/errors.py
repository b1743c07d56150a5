"""Errors shown where they happen: a dialog with the reason in plain words, the traceback under Details.

Expected errors (a file that cannot be read, a scenario value out of range: PlannerError) are caught at
the action and shown with their one-line message. Anything else reaches the exception hook, the last net:
nothing dies silently.
"""

from __future__ import annotations

import sys
import traceback
from types import TracebackType

from PySide6.QtWidgets import QApplication, QMessageBox, QWidget

from planner.errors import PlannerError


class ErrorDialog(QMessageBox):
    """A modal message: what went wrong in plain words, and (for the unexpected) the details on request."""

    def __init__(self, parent: QWidget | None, title: str, message: str, details: str | None = None,
                 unexpected: bool = False):
        super().__init__(parent)
        self.setIcon(QMessageBox.Icon.Critical if unexpected else QMessageBox.Icon.Warning)
        self.setWindowTitle(title)
        self.setText(message)
        if unexpected:
            self.setInformativeText("Your work is still open. If you can, save it under a new name. "
                                    "The details below say where the problem is.")
        if details:
            self.setDetailedText(details)
        self.setStandardButtons(QMessageBox.StandardButton.Ok)


def plain_reason(exc: BaseException) -> str:
    """An exception in words a user can read: the planner's message as is; for others, what kind of
    failure it was and its message."""
    if isinstance(exc, PlannerError):
        return str(exc)
    text = str(exc).strip()
    kind = {
        MemoryError: "The computer ran out of memory",
        PermissionError: "coplan was not allowed to read or write a file",
        FileNotFoundError: "A file coplan needed is not there",
        OSError: "A file could not be read or written",
    }
    for cls, words in kind.items():
        if isinstance(exc, cls):
            return f"{words}: {text}" if text else words
    return f"coplan hit a problem it did not expect ({type(exc).__name__}{': ' + text if text else ''})."


def format_details(exc: BaseException) -> str:
    return "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))


def show_error(parent: QWidget | None, title: str, exc: BaseException) -> ErrorDialog:
    """Show an error where it happened: the planner's message for expected errors; details for the rest."""
    unexpected = not isinstance(exc, PlannerError)
    dialog = ErrorDialog(parent, title, plain_reason(exc), format_details(exc) if unexpected else None,
                         unexpected=unexpected)
    dialog.exec()
    return dialog


_showing = False


def excepthook(exc_type: type[BaseException], exc: BaseException, tb: TracebackType | None) -> None:
    """The last net for exceptions no action caught: print them, and show them when the app is running."""
    global _showing
    if issubclass(exc_type, KeyboardInterrupt):
        sys.__excepthook__(exc_type, exc, tb)
        return
    if exc.__traceback__ is None and tb is not None:
        exc = exc.with_traceback(tb)
    sys.stderr.write(format_details(exc))
    app = QApplication.instance()
    if app is None or _showing:
        return  # no window to show it in, or a dialog for an earlier error is open: stderr has it
    _showing = True
    try:
        show_error(QApplication.activeWindow(), "coplan: unexpected problem", exc)
    finally:
        _showing = False


def install_excepthook() -> None:
    sys.excepthook = excepthook
