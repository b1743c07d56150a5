"""Screenshots of every page on the bundled sample, for review: `python -m ui.screenshots [FOLDER]`.

Opens the window offscreen at 1400 x 900 on the sample project, imports the sample export through the
Data page's wizard as a user would, adds a programme template, optimises for the most officer hours freed
(a frontier of five budgets up to $1M, each simulated), simulates, compares the scenarios, shows the frontier
again against every simulated scenario, saves the point nearest $500k and compares it, and visits the Report
page; then cuts patrol to 3 units around the clock to show the
overload banners on Simulate, Compare and Report; and last starts a new project and imports the same export,
to show the baseline proposed from the calls on the Staffing page. One PNG per view (and per tab of a page)
goes into FOLDER (default `screenshots/`). Takes a minute or two.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

SAMPLE = Path(__file__).resolve().parent.parent / "sample_scenarios" / "midsize_city"


def _wait(app, condition: Callable[[], bool], timeout: float = 60.0) -> None:
    end = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > end:
            raise TimeoutError("the app did not get there in time")
        app.processEvents()
        time.sleep(0.01)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", nargs="?", default="screenshots", help="where to write the PNGs")
    parser.add_argument("--size", default="1400x900", help="window size, WIDTHxHEIGHT")
    args = parser.parse_args(sys.argv[1:] if argv is None else argv)
    width, height = (int(v) for v in args.size.lower().split("x"))
    out = Path(args.folder)
    out.mkdir(parents=True, exist_ok=True)

    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from ui.settings import SETTINGS_ENV

    scratch = tempfile.TemporaryDirectory(prefix="coplan-shots-")
    os.environ.setdefault(SETTINGS_ENV, str(Path(scratch.name) / "settings.ini"))   # never the user's own

    from PySide6.QtWidgets import QApplication

    from ui.errors import ErrorDialog, install_excepthook
    from ui.window import MainWindow

    app = QApplication.instance() or QApplication([sys.argv[0]])
    install_excepthook()
    problems: list[str] = []

    def report_instead(dialog: ErrorDialog) -> int:
        # No one is there to click OK: say what the dialog said, and carry on.
        problems.append(f"{dialog.windowTitle()}: {dialog.text()}")
        print(f"error dialog: {problems[-1]}\n{dialog.detailedText()}", file=sys.stderr)
        return 0

    ErrorDialog.exec = report_instead
    window = MainWindow(restore_geometry=False)
    window.resize(width, height)
    window.show()
    window.open_sample(load_data=False)
    saved: list[Path] = []

    def shot(name: str) -> None:
        for _ in range(5):
            app.processEvents()
        path = out / f"{len(saved) + 1:02d}-{name}.png"
        window.grab().save(str(path))
        saved.append(path)

    def idle() -> None:
        _wait(app, lambda: not window.busy, timeout=300)

    data = window.data_page
    window.show_page("data")
    data.tabs.setCurrentWidget(data.wizard)
    data.wizard.set_calls_file(SAMPLE / "calls.csv.gz")
    _wait(app, lambda: not window.busy and bool(data.wizard.headers))
    data.wizard.load_mapping_file(SAMPLE / "mapping.toml")
    shot("data-import")
    data.wizard.start_import()
    _wait(app, lambda: window.state.data is not None and not window.busy)
    shot("data-quality")
    window.show_page("demand")
    shot("demand")
    window.show_page("staffing")
    for i in range(window.staffing_page.tabs.count()):
        window.staffing_page.tabs.setCurrentIndex(i)
        shot(f"staffing-{i + 1}")
    window.staffing_page.tabs.setCurrentIndex(0)
    template = next(a for a in window.staffing_page.templates_menu.actions() if a.data() == "cahoots")
    template.trigger()
    shot("staffing-template")

    window.state.select(window.state.baseline_name)
    page = window.optimise_page
    window.show_page("optimise")
    # The finance analyst's question: what does each budget up to $1M buy (five points, each simulated)?
    page.objective.setCurrentIndex(page.objective.findData("max-hours-freed"))
    page.budget.setValue(1_000_000)
    page.pareto.setValue(5)
    page.time_limit.setValue(10)
    page.run()
    _wait(app, lambda: window.busy)
    shot("optimise-running")
    idle()
    page.tabs.setCurrentIndex(2)
    shot("optimise-units-on-duty")
    page.tabs.setCurrentIndex(1)
    shot("optimise-roster")
    page.tabs.setCurrentIndex(0)
    if page.points:
        page.select_point(page.points[len(page.points) // 2])
    shot("optimise-pareto")

    sim = window.simulate_page
    window.show_page("simulate")
    sim.run()
    idle()
    for i in range(sim.charts.count()):
        sim.charts.setCurrentIndex(i)
        shot(f"simulate-{i + 1}")

    cmp = window.compare_page
    window.show_page("compare")
    cmp.set_chosen(window.state.scenario_names, window.state.baseline_name)
    cmp.run()
    idle()
    for i in range(cmp.tabs.count()):
        cmp.tabs.setCurrentIndex(i)
        shot(f"compare-{i + 1}")
    cmp.tabs.setCurrentIndex(0)

    # The frontier again, now with every simulated scenario on its axes; then one point saved and compared.
    window.show_page("optimise")
    page.tabs.setCurrentIndex(0)
    page.show_result(page.result)
    if page.points:
        page.select_point(min(page.points, key=lambda p: abs(p.budget - 500_000)))
    shot("optimise-frontier-vs-scenarios")
    if page.points:
        page.save_point()
        cmp.run()
        idle()
        cmp.tabs.setCurrentIndex(0)
        shot("compare-saved-point")

    window.show_page("report")
    shot("report")

    # Overload: patrol cut to 3 units around the clock, simulated and compared with the baseline.
    state = window.state
    baseline = state.baseline_name
    state.select(baseline)
    cut = state.rename(state.duplicate(baseline), "Patrol cut to 3")

    def cut_patrol(t: dict) -> None:
        t["responders"]["officer"].pop("shifts", None)
        t["responders"]["officer"]["on_duty"] = 3

    state.edit(cut_patrol, "Cut patrol to 3")
    window.show_page("simulate")
    sim.charts.setCurrentIndex(0)
    sim.run()
    idle()
    shot("simulate-overloaded")
    window.show_page("compare")
    cmp.set_chosen([baseline, cut], baseline)
    cmp.run()
    idle()
    shot("compare-overloaded")
    window.show_page("report")
    shot("report-overloaded")

    # A new project: import the export, and coplan proposes a baseline from the calls.
    state.undo_stack.setClean()
    window.new_project()
    window.show_page("data")
    data.tabs.setCurrentWidget(data.wizard)
    data.wizard.set_calls_file(SAMPLE / "calls.csv.gz")
    _wait(app, lambda: not window.busy and bool(data.wizard.headers))
    data.wizard.load_mapping_file(SAMPLE / "mapping.toml")
    data.wizard.start_import()
    _wait(app, lambda: window.current_page() == "staffing" and not window.busy, timeout=300)
    window.staffing_page.tabs.setCurrentIndex(1)
    shot("new-project-proposed-baseline")
    window.state.undo_stack.setClean()
    window.close()
    for p in saved:
        print(p)
    scratch.cleanup()
    return 1 if problems else 0


if __name__ == "__main__":
    raise SystemExit(main())
