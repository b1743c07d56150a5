"""coplan's desktop app: `coplan-gui [FILE]` or `python -m ui [FILE]`.

FILE is a coplan project (`.coplan`) or a scenario file (`.toml`, opened as a new project with its calls).
With no file named, the app opens the bundled mid-size city sample (a baseline and two options) as an
unsaved project. `--smoke-test` starts the app as a user would, prints how long it took to a usable
window, and quits (for the start-up test).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

STARTED = time.perf_counter()   # as early as this module is imported: the start-up clock

def _arguments(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="coplan-gui", description="Plan social-worker and co-responder staffing.")
    parser.add_argument("file", nargs="?",
                        help="a coplan project (.coplan) or a scenario file (.toml) to open; default: the bundled sample")
    parser.add_argument("--no-data", action="store_true", help="do not read a scenario file's calls on opening")
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
    from ui.worker import install_ctrl_c

    install_ctrl_c(app)   # Ctrl-C in the terminal cancels running jobs and ends the app

    from ui.window import SAMPLE_FOLDER, MainWindow

    window = MainWindow()
    window.show()
    if args.file:
        window.open_path(Path(args.file), load_data=not args.no_data)
    elif SAMPLE_FOLDER.is_dir():
        window.open_sample(load_data=not args.no_data)

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
