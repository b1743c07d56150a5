"""The environment the tests run in is the one the lock file describes, so a green run means a green install."""

from __future__ import annotations

import re
from importlib import metadata
from pathlib import Path

from packaging.markers import Marker
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parents[1]
LOCK = ROOT / "requirements.lock"
PIN = re.compile(r"^(?P<name>[A-Za-z0-9][A-Za-z0-9._-]*)==(?P<version>[^\s;\\]+)\s*(?:;\s*(?P<marker>[^\\]+?))?\s*\\?$")


def locked_here() -> dict[str, str]:
    """Package -> exact version the lock asks for on this interpreter and platform."""
    pins: dict[str, str] = {}
    for line in LOCK.read_text(encoding="utf-8").splitlines():
        match = PIN.match(line.strip())
        if not match:
            continue
        marker = match.group("marker")
        if marker and not Marker(marker).evaluate():
            continue
        pins[canonicalize_name(match.group("name"))] = match.group("version")
    return pins


def test_lock_names_every_runtime_and_test_dependency():
    pins = locked_here()
    for name in ("numpy", "pandas", "pyarrow", "pulp", "highspy", "simpy", "matplotlib", "pyside6-essentials",
                 "reportlab", "openpyxl", "platformdirs", "pytest", "pytest-qt", "hypothesis", "ruff",
                 "distributed"):
        assert name in pins, f"{name} is not pinned in requirements.lock"


def test_installed_packages_match_the_lock():
    different = []
    for name, version in sorted(locked_here().items()):
        try:
            installed = metadata.version(name)
        except metadata.PackageNotFoundError:
            different.append(f"{name}: locked {version}, not installed")
            continue
        if installed != version:
            different.append(f"{name}: locked {version}, installed {installed}")
    assert not different, "the environment differs from requirements.lock (run `make test` to reinstall):\n" + \
        "\n".join(different)


def test_lock_pins_pulp_below_4_and_every_line_has_a_hash():
    assert locked_here()["pulp"].split(".")[0] == "3"
    text = LOCK.read_text(encoding="utf-8")
    pins = [ln for ln in text.splitlines() if PIN.match(ln.strip())]
    assert pins and text.count("--hash=sha256:") >= len(pins)
