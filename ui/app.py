"""coplan's desktop app: `coplan-gui [SCENARIO]` or `python -m ui [SCENARIO]`.

With no file named, the app opens on the bundled mid-size city sample. `--smoke-test` starts the app as
a user would, prints how long it took to a usable window, and quits (for the start-up test).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

STARTED = time.perf_counter()   # as early as this module is imported: the start-up clock

SAMPLE_SCENARIO = Path(__file__).resolve().parent.parent / "sample_scenarios" / "midsize_city" / "baseline.toml"


def _arguments(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="coplan-gui", description="Plan social-worker and co-responder staffing.")
    parser.add_argument("scenario", nargs="?", help="a scenario file (TOML) to open; default: the bundled sample")
    parser.add_argument("--no-data", action="store_true", help="do not read the scenario's calls on opening")
    parser.add_argument("--smoke-test", action="store_true", help=argparse.SUPPRESS)
    return parser.parse_args(argv)


def _leave_a_core_for_the_window() -> None:
    """Numerical libraries use every core by default; on a small machine their busy threads starve the
    window's thread and it stutters. Leave it one core (unless the user chose otherwise)."""
    threads = str(max(1, (os.cpu_count() or 2) - 1))
    for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ.setdefault(var, threads)


def main(argv: list[str] | None = None) -> int:
    args = _arguments(sys.argv[1:] if argv is None else argv)
    if "numpy" not in sys.modules:   # too late once numpy has started its threads
        _leave_a_core_for_the_window()

    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication

    from ui import settings
    from ui.errors import install_excepthook

    QApplication.setApplicationName(settings.APPLICATION)
    QApplication.setOrganizationName(settings.ORGANISATION)
    app = QApplication.instance() or QApplication([sys.argv[0]])
    install_excepthook()

    from ui.window import MainWindow

    window = MainWindow()
    path = Path(args.scenario) if args.scenario else (SAMPLE_SCENARIO if SAMPLE_SCENARIO.exists() else None)
    window.show()
    if path is not None:
        window.open_path(path, load_data=not args.no_data)

    if args.smoke_test:
        def ready() -> None:
            elapsed = time.perf_counter() - STARTED
            print(f"coplan-gui ready: window {window.windowTitle()!r} shown in {elapsed:.2f} s", flush=True)
            window.state.undo_stack.setClean()
            window.close()
            app.quit()

        QTimer.singleShot(0, ready)
    return app.exec()


if __name__ == "__main__":
    raise SystemExit(main())
