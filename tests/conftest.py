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


# --------------------------------------------------------------------------------------------- the app
# Shared by the app's tests. Qt is imported inside the fixtures, so tests of the planner and the
# engines never load it; a UI module opts into settings isolation with
# `pytestmark = pytest.mark.usefixtures("isolated_settings")`.
@pytest.fixture
def isolated_settings(tmp_path, monkeypatch):
    """Never read or write a real user's settings."""
    from PySide6.QtCore import QSettings

    from ui import settings

    monkeypatch.setenv(settings.SETTINGS_ENV, str(tmp_path / "settings.ini"))
    QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, str(tmp_path / "qsettings"))


@pytest.fixture(scope="module")
def reference():
    """The mid-size sample imported the way the command line does it, once per test module."""
    from planner.importer import import_calls
    from planner.mapping import read_mapping

    mid = SAMPLES / "midsize_city"
    return import_calls(mid / "calls.csv.gz", read_mapping(mid / "mapping.toml"))


@pytest.fixture
def dialogs(monkeypatch):
    """Error dialogs the app would have shown, in order (caught, never shown)."""
    from PySide6.QtWidgets import QMessageBox

    from ui.errors import ErrorDialog

    shown = []
    monkeypatch.setattr(ErrorDialog, "exec", lambda self: shown.append(self) or QMessageBox.StandardButton.Ok)
    return shown


@pytest.fixture
def sample_window(qtbot, dialogs, monkeypatch):
    """The window on the sample project (calls not read yet), at the size the screenshots use."""
    from PySide6.QtWidgets import QMessageBox

    from ui.window import MainWindow

    monkeypatch.setattr(MainWindow, "ask_save_changes", lambda self: QMessageBox.StandardButton.Discard)
    w = MainWindow(restore_geometry=False)
    qtbot.addWidget(w)
    w.resize(1400, 900)
    w.show()
    w.open_sample(load_data=False)
    return w
