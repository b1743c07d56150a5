"""Settings remembered between runs (window geometry, last folder, recent files), in QSettings.

`COPLAN_SETTINGS` names an INI file to use instead of the user's own settings: tests and the smoke
test set it so they never read or change a real user's settings.
"""

from __future__ import annotations

import os
from pathlib import Path

from PySide6.QtCore import QSettings

ORGANISATION = "coplan"
APPLICATION = "coplan"
SETTINGS_ENV = "COPLAN_SETTINGS"
MAX_RECENT = 8


def app_settings() -> QSettings:
    path = os.environ.get(SETTINGS_ENV)
    if path:
        return QSettings(path, QSettings.Format.IniFormat)
    return QSettings(QSettings.Format.IniFormat, QSettings.Scope.UserScope, ORGANISATION, APPLICATION)


def _as_list(value: object) -> list[str]:
    # An INI file gives back one item as a plain string and none as None.
    if value is None or value == "":
        return []
    if isinstance(value, str):
        return [value]
    return [str(v) for v in value]


def recent_files() -> list[str]:
    return _as_list(app_settings().value("files/recent"))


def add_recent_file(path: Path) -> list[str]:
    path_text = str(Path(path).resolve())
    files = [path_text] + [f for f in recent_files() if f != path_text]
    files = files[:MAX_RECENT]
    s = app_settings()
    s.setValue("files/recent", files)
    s.setValue("files/last_folder", str(Path(path_text).parent))
    return files


def remove_recent_file(path: str) -> None:
    app_settings().setValue("files/recent", [f for f in recent_files() if f != path])


def last_folder() -> str:
    value = app_settings().value("files/last_folder")
    return str(value) if value else str(Path.home())


def set_last_folder(folder: Path) -> None:
    app_settings().setValue("files/last_folder", str(folder))
