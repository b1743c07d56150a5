"""Project files (`.coplan`): imported calls, mapping and rules, scenarios and saved runs in one SQLite file.

A project is what a user e-mails: the canonical call table and its rejects, the mapping that read
them, any number of scenarios (TOML text, fully resolved), and saved runs with the scenario text and
settings they ran with, so a report can be reproduced later.

The file is an SQLite database marked with coplan's application id and a schema version. Tables
hold text, numbers and Parquet blobs (one DataFrame each, with the dtypes that make it exact:
zoned times, categories in the taxonomy's order, nullable integers). Loading reads data only, never code.

Saves are atomic: the whole database is built in memory, written to a hidden temporary file beside the
target, flushed to disk and renamed over the target, so a crash or a power cut mid-save leaves the
previous version readable. A temporary file left by a killed save is removed by the next save.

Two processes may have one project open. A save holds a lock (a hidden `.NAME.lock` file beside the
project) and refuses, in one line, to replace a file another process saved after this one read it: an
acknowledged write is never lost. `project_lock` held around open, change and save makes a second
writer wait its turn (up to LOCK_WAIT seconds, then it refuses) instead, which is what the CLI does.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import io
import json
import os
import sqlite3
import tempfile
import threading
import time
import tomllib
from collections.abc import Callable, Generator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import tomli_w

from planner.compare import Evaluation, evaluate
from planner.costs import CostSummary
from planner.demand import build_demand
from planner.errors import PlannerError, ProjectError
from planner.importer import ImportResult, import_calls
from planner.jobs import Progress
from planner.mapping import Mapping, mapping_from_dict, mapping_to_dict, read_mapping
from planner.scenario import Scenario, load_scenario, scenario_from_dict, scenario_to_dict
from planner.simulate import SimulationRun
from planner.taxonomy import default_taxonomy

SUFFIX = ".coplan"
APPLICATION_ID = 0x43504C4E        # "CPLN": PRAGMA application_id of every coplan project
SCHEMA_VERSION = 2                 # PRAGMA user_version written by this coplan
SQLITE_MAGIC = b"SQLite format 3\x00"
TEMP_SUFFIX = ".saving"            # hidden temporary file beside the target: .NAME.XXXXXX.saving
WRITE_CHUNK = 1 << 20
LOCK_SUFFIX = ".lock"              # hidden lock file beside the target: .NAME.lock
LOCK_WAIT = 60.0                   # seconds a writer waits for another process's save before it refuses
BUSY = "the project is being written by another process"

# Schema 1 held the calls and the scenarios; schema 2 keeps the scenarios' order and adds saved runs.
_RUN_TABLES = """
CREATE TABLE runs (
    name TEXT PRIMARY KEY,              -- the scenario's name: one saved run per scenario
    position INTEGER NOT NULL,
    scenario_toml TEXT NOT NULL,        -- the scenario exactly as it ran
    created_at TEXT NOT NULL,           -- ISO 8601, UTC
    calls_imported_at TEXT,             -- which import of the calls it ran on
    coplan_version TEXT NOT NULL,
    replications INTEGER NOT NULL,
    seed INTEGER NOT NULL,
    workers INTEGER NOT NULL,
    horizon_days REAL NOT NULL,
    warmup_days REAL NOT NULL,
    responder_types TEXT NOT NULL,      -- JSON list
    unit_costs TEXT NOT NULL,           -- JSON: outcome -> USD
    unit_cost_sources TEXT NOT NULL,    -- JSON: outcome -> where the figure comes from
    simulation_notes TEXT NOT NULL,     -- JSON list
    notes TEXT NOT NULL                 -- JSON list
);
CREATE TABLE run_frames (
    run TEXT NOT NULL REFERENCES runs(name),
    name TEXT NOT NULL,
    n_rows INTEGER NOT NULL,
    data BLOB NOT NULL,                 -- a Parquet file
    PRIMARY KEY (run, name)
);
"""
_SCHEMA = """
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE calls_import (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    source_name TEXT,                   -- the export's file name (no folder)
    mapping_toml TEXT NOT NULL,         -- columns, options and the user's category rules
    detected TEXT NOT NULL,             -- JSON: field -> column found by detection
    timezone TEXT,
    rows_read INTEGER NOT NULL,
    rows_merged INTEGER NOT NULL,
    notes TEXT NOT NULL,                -- JSON list
    imported_at TEXT NOT NULL,
    calls BLOB NOT NULL,                -- Parquet: the canonical call table
    rejects BLOB NOT NULL               -- Parquet: rejected rows with row number, column, value, reason
);
CREATE TABLE scenarios (
    name TEXT PRIMARY KEY,
    toml TEXT NOT NULL,
    position INTEGER NOT NULL
);
""" + _RUN_TABLES

# SimulationRun / CostSummary attribute -> frame name in run_frames.
_RUN_FRAMES = ("kpis", "replication_kpis", "utilisation_by_bin", "busy_hours_by_bin", "on_duty_hours_by_bin",
               "records")
_COST_FRAMES = {"staffing": "cost_staffing", "per_replication": "cost_per_replication", "kpis": "cost_kpis"}
HEADLINE_KPIS = ("officer_hours_on_calls", "officer_utilisation", "calls_unanswered", "response_minutes_p90",
                 "fallback_to_officer", "total_annual_cost")


def _now() -> dt.datetime:
    """UTC, to the microsecond: an import's time is also its identity (which calls a run planned for)."""
    return dt.datetime.now(dt.UTC)


def _iso(t: dt.datetime | None) -> str | None:
    return None if t is None else t.isoformat()


def _time(s: str | None) -> dt.datetime | None:
    return None if s is None else dt.datetime.fromisoformat(s)


def coplan_version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("coplan")
    except PackageNotFoundError:
        return "unknown"


# ------------------------------------------------------------------------------------------- frames
def frame_to_bytes(df: pd.DataFrame) -> bytes:
    """A DataFrame as a Parquet file; the pandas metadata in it restores dtypes and index exactly, and
    page checksums catch a damaged blob that SQLite itself would read without complaint."""
    buf = io.BytesIO()
    pq.write_table(pa.Table.from_pandas(df), buf, compression="zstd", write_page_checksum=True)
    return buf.getvalue()


def frame_from_bytes(data: bytes) -> pd.DataFrame:
    """The DataFrame of a Parquet blob; a damaged blob raises ValueError."""
    try:
        df = pq.read_table(pa.BufferReader(data), page_checksum_verification=True).to_pandas()
    except (pa.ArrowException, OSError) as e:   # Arrow reports bad checksums as OSError
        raise ValueError(f"a stored table cannot be read: {e}") from None
    if len(df.columns) == 0:
        df.columns = pd.RangeIndex(0)   # what pandas gives a frame built without columns
    return df


# ------------------------------------------------------------------------------------------- model
@dataclass(eq=False)
class SavedRun:
    """A scenario's simulated and costed result, with the scenario text and settings it ran with."""

    scenario_toml: str
    run: SimulationRun
    costs: CostSummary
    created_at: dt.datetime
    calls_imported_at: dt.datetime | None   # the import of the calls it ran on
    coplan_version: str
    notes: list[str] = field(default_factory=list)

    @property
    def name(self) -> str:
        return self.run.scenario

    @property
    def settings(self) -> dict[str, Any]:
        """What to pass to a simulation to reproduce this run."""
        r = self.run
        return {"replications": r.replications, "seed": r.seed, "horizon_days": r.horizon_days}

    def scenario(self) -> Scenario:
        return scenario_from_toml(self.scenario_toml, f"saved run {self.name!r}")

    def headline(self) -> dict[str, dict[str, float | None]]:
        """The KPIs a listing shows: mean and 95% interval of each (None where not computed)."""
        out = {}
        for k in HEADLINE_KPIS:
            table = self.run.kpis if k in self.run.kpis.index else self.costs.kpis
            if k not in table.index:
                continue
            row = table.loc[k]
            out[k] = {c: (None if pd.isna(row[c]) else float(row[c])) for c in ("mean", "ci_low", "ci_high")}
        return out


def scenario_to_toml(s: Scenario) -> str:
    return tomli_w.dumps(scenario_to_dict(s, base=None))


def scenario_from_toml(text: str, where: str) -> Scenario:
    """A scenario stored in a project (no file of its own: errors name `where`)."""
    try:
        return scenario_from_dict(tomllib.loads(text), None, list(default_taxonomy().categories))
    except tomllib.TOMLDecodeError as e:
        raise ProjectError(f"{where}: the stored scenario is not valid TOML ({e})") from None
    except PlannerError as e:
        raise ProjectError(f"{where}: {e}") from None


def _portable(result: ImportResult) -> ImportResult:
    """The import as a project keeps it: file names without their folders, and no link to the mapping file."""
    m = result.mapping
    codes = Path(m.codes).name if m.codes and Path(m.codes).is_absolute() else m.codes
    return replace(result, mapping=replace(m, codes=codes, source=None),
                   source=Path(result.source.name) if result.source is not None else None,
                   detected=dict(result.detected), notes=list(result.notes))


@dataclass(eq=False)
class Project:
    """Calls, scenarios and saved runs; `save` writes them to one file, `open_project` reads it back."""

    name: str
    imported: ImportResult | None = None
    imported_at: dt.datetime | None = None
    scenarios: dict[str, Scenario] = field(default_factory=dict)   # in the order they were added
    runs: dict[str, SavedRun] = field(default_factory=dict)         # by scenario name
    created_at: dt.datetime = field(default_factory=_now)
    saved_at: dt.datetime | None = None
    path: Path | None = None                                        # the file it was opened from or saved to
    # What the file at `path` was when this project read or wrote it (see disk_state): a save refuses to
    # replace a file that has changed since, so another process's write is never lost.
    disk_state: tuple[int, int, int] | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        if self.imported is not None and self.imported_at is None:
            self.set_calls(self.imported)

    @classmethod
    def new(cls, name: str) -> Project:
        return cls(name=name)

    @property
    def label(self) -> str:
        return str(self.path) if self.path else f"project {self.name!r}"

    # ---------------------------------------------------------------------------------------- calls
    def import_calls(self, path: str | Path, mapping: Mapping | str | Path | None = None, *,
                     codes: str | Path | None = None, tz: str | None = None,
                     progress: Callable[[str], None] | None = None) -> ImportResult:
        """Import a calls export into the project (replacing the calls it had); returns the import."""
        if mapping is not None and not isinstance(mapping, Mapping):
            mapping = read_mapping(mapping)
        result = import_calls(path, mapping, codes=codes, tz=tz, progress=progress)
        self.set_calls(result)
        return self.imported

    def set_calls(self, result: ImportResult) -> None:
        """Take an import done elsewhere (the app imports with its own progress)."""
        self.imported = _portable(result)
        self.imported_at = _now()

    def run_is_current(self, name: str) -> bool:
        """Whether a saved run planned for the calls the project holds now."""
        r = self.runs[name]
        return self.imported_at is not None and r.calls_imported_at == self.imported_at

    # ------------------------------------------------------------------------------------ scenarios
    def add_scenario(self, scenario: Scenario) -> Scenario:
        """Add a scenario, or replace the one of the same name (keeping its place). Inside a project a
        scenario plans for the project's calls: its own data file paths are dropped."""
        data = replace(scenario.data, calls=None, mapping=None, codes=None)
        stored = scenario_from_toml(scenario_to_toml(replace(scenario, data=data, path=None)),
                                    f"scenario {scenario.name!r}")
        self.scenarios[stored.name] = stored
        return stored

    def add_first_baseline(self):
        """Add a first baseline sized from the project's calls (planner.baseline) and return how it was sized;
        a project with no scenario gets it as its first. It is a proposal until the user enters the real roster."""
        from planner.baseline import first_baseline

        if self.imported is None:
            raise ProjectError(f"{self.label}: no calls imported yet; import a calls export first")
        first = first_baseline(self.imported, timezone=self.imported.timezone)
        self.add_scenario(first.scenario)
        return first

    def import_scenario(self, path: str | Path) -> Scenario:
        """Read a scenario file (a `base = ...` it names is resolved) and add it."""
        return self.add_scenario(load_scenario(path))

    def export_scenario(self, name: str, path: str | Path) -> Path:
        """Write a scenario as a TOML file, atomically."""
        from planner.fileio import atomic_write_text

        s = self.scenario(name)
        source = self.imported.source.name if self.imported and self.imported.source else None
        header = f"# coplan scenario: {s.name}\n# Exported from project {self.name!r}."
        if source:
            header += (f" There it planned for the calls imported from {source};\n"
                       f"# to use it on its own, name a calls export under [data]: calls = \"{source}\".")
        atomic_write_text(Path(path), header + "\n\n" + scenario_to_toml(s))
        return Path(path)

    def remove_scenario(self, name: str) -> None:
        self.scenario(name)
        del self.scenarios[name]

    def scenario(self, name: str) -> Scenario:
        if name not in self.scenarios:
            known = ", ".join(repr(n) for n in self.scenarios) or "none yet"
            raise ProjectError(f"{self.label}: no scenario named {name!r}; the project has {known}")
        return self.scenarios[name]

    # ----------------------------------------------------------------------------------------- runs
    def _demand(self, scenario: Scenario):
        if self.imported is None:
            raise ProjectError(f"{self.label}: no calls imported yet; import a calls export first")
        return build_demand(scenario, self.imported)

    def run(self, names: list[str] | None = None, *, replications: int | None = None, seed: int | None = None,
            workers: int | None = None, horizon_days: float | None = None,
            scheduler: str | None = None) -> Generator[Progress, None, dict[str, SavedRun]]:
        """Simulate and cost scenarios (all when `names` is None) on the project's calls, as a job.

        Settings not given come from each scenario. When the job finishes, its runs are stored in
        `runs` (replacing earlier runs of the same scenarios) and returned."""
        if self.imported is None:
            raise ProjectError(f"{self.label}: no calls imported yet; import a calls export first")
        names = list(self.scenarios) if names is None else list(names)
        scenarios = [self.scenario(n) for n in names]
        if not scenarios:
            raise ProjectError(f"{self.label}: no scenarios to run; add a scenario first")
        reps = [replications or s.simulation.replications for s in scenarios]
        total, offset, out = sum(reps), 0, {}
        for s, n in zip(scenarios, reps, strict=True):
            yield Progress(offset, total, f"{s.name}: building demand")
            demand = self._demand(s)
            job = evaluate(s, demand, replications=replications, seed=seed, workers=workers,
                           horizon_days=horizon_days, scheduler=scheduler)
            try:
                while True:
                    try:
                        p = next(job)
                    except StopIteration as stop:
                        ev = stop.value
                        break
                    yield Progress(offset + min(p.done, n), total, f"{s.name}: {p.message}")
            finally:
                job.close()
            out[s.name] = self._saved(ev)
            offset += n
        yield Progress(total, total, "done")
        self.runs.update(out)
        return out

    def reproduce(self, name: str, *, workers: int | None = None,
                  scheduler: str | None = None) -> Generator[Progress, None, SavedRun]:
        """Run a saved run again from the scenario text and settings it stored (a job; the project's
        runs are left as they are). Same calls, same seed: the same numbers."""
        if name not in self.runs:
            raise ProjectError(f"{self.label}: no saved run of {name!r}")
        saved = self.runs[name]
        if not self.run_is_current(name):
            raise ProjectError(f"{self.label}: the run of {name!r} planned for calls imported "
                               f"{_iso(saved.calls_imported_at)}, which the project no longer holds")
        s = saved.scenario()
        ev = yield from evaluate(s, self._demand(s), workers=workers, scheduler=scheduler, **saved.settings)
        return self._saved(ev)

    def _saved(self, ev: Evaluation) -> SavedRun:
        return SavedRun(scenario_toml=scenario_to_toml(ev.scenario), run=ev.run, costs=ev.costs,
                        created_at=_now(), calls_imported_at=self.imported_at, coplan_version=coplan_version(),
                        notes=list(ev.notes))

    def evaluation(self, name: str, with_demand: bool = True) -> Evaluation:
        """A saved run as the comparison and reports take it (the demand rebuilt from the project's calls
        when they are the calls it ran on)."""
        if name not in self.runs:
            raise ProjectError(f"{self.label}: no saved run of {name!r}")
        saved = self.runs[name]
        s = saved.scenario()
        demand = self._demand(s) if with_demand and self.run_is_current(name) else None
        return Evaluation(s, saved.run, saved.costs, demand, list(saved.notes))

    # ----------------------------------------------------------------------------------------- file
    def save(self, path: str | Path | None = None) -> Path:
        """Write the project atomically to `path` (default: where it came from); returns the path."""
        if path is None and self.path is None:
            raise ProjectError(f"{self.label}: not saved yet; give a file name")
        target = Path(path) if path is not None else self.path
        if target.is_dir():
            raise ProjectError(f"{target}: is a folder; give a project file name")
        if not target.parent.is_dir():
            raise ProjectError(f"{target}: the folder {target.parent} does not exist")
        saved_at = _now()
        data = self._serialise(saved_at)
        with project_lock(target):
            ours = self.path is not None and _same_path(self.path, target)
            now = disk_state(target)
            if ours and now is not None and now != self.disk_state:
                raise ProjectError(f"{target}: {BUSY} (it was saved elsewhere after this copy was opened); "
                                   f"save under another name, or open it again and redo the change")
            try:
                _atomic_replace(target, data)
            except OSError as e:
                raise ProjectError(f"{target}: could not save the project ({e.strerror or e})") from None
            self.disk_state = disk_state(target)
        self.path, self.saved_at = target, saved_at
        return target

    def _serialise(self, saved_at: dt.datetime) -> bytes:
        con = sqlite3.connect(":memory:")
        try:
            con.execute(f"PRAGMA application_id = {APPLICATION_ID}")
            con.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
            con.executescript(_SCHEMA)
            meta = {"name": self.name, "created_at": _iso(self.created_at), "saved_at": _iso(saved_at),
                    "saved_by": f"coplan {coplan_version()}", "frame_format": "parquet"}
            con.executemany("INSERT INTO meta VALUES (?, ?)", meta.items())
            if self.imported is not None:
                r = self.imported
                con.execute("INSERT INTO calls_import VALUES (1, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", (
                    r.source.name if r.source else None, tomli_w.dumps(mapping_to_dict(r.mapping)),
                    json.dumps(r.detected), r.timezone, int(r.rows_read), int(r.rows_merged), json.dumps(r.notes),
                    _iso(self.imported_at), frame_to_bytes(r.calls), frame_to_bytes(r.rejects)))
            con.executemany("INSERT INTO scenarios VALUES (?, ?, ?)",
                            [(n, scenario_to_toml(s), i) for i, (n, s) in enumerate(self.scenarios.items())])
            for i, (name, saved) in enumerate(self.runs.items()):
                _write_run(con, name, i, saved)
            con.commit()
            return con.serialize()
        finally:
            con.close()


def _write_run(con: sqlite3.Connection, name: str, position: int, saved: SavedRun) -> None:
    r, c = saved.run, saved.costs
    con.execute("INSERT INTO runs VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", (
        name, position, saved.scenario_toml, _iso(saved.created_at), _iso(saved.calls_imported_at),
        saved.coplan_version, int(r.replications), int(r.seed), int(r.workers), float(r.horizon_days),
        float(r.warmup_days), json.dumps(list(r.responder_types)), json.dumps(c.unit_costs),
        json.dumps(c.unit_cost_sources), json.dumps(list(r.notes)), json.dumps(list(saved.notes))))
    frames = {f: getattr(r, f) for f in _RUN_FRAMES}
    frames["fallback_by_bin"] = pd.DataFrame({"fallback": np.asarray(r.fallback_by_bin, dtype=float)})
    frames.update({key: getattr(c, attr) for attr, key in _COST_FRAMES.items()})
    # Kept since the accounting of every call and the overload check (a run saved before has none of them).
    frames["accounting"] = r.accounting
    frames["warnings"] = pd.DataFrame({"warning": pd.Series(list(r.warnings), dtype="string")})
    if r.officer_load_by_bin is not None and r.officer_capacity_by_bin is not None:
        frames["overload"] = pd.DataFrame({"officer_load": np.asarray(r.officer_load_by_bin, dtype=float),
                                           "officer_capacity": np.asarray(r.officer_capacity_by_bin, dtype=float)})
    con.executemany("INSERT INTO run_frames VALUES (?, ?, ?, ?)",
                    [(name, k, len(df), frame_to_bytes(df)) for k, df in frames.items()])


# ---------------------------------------------------------------------------------------- writers
def store_runs(project: Project, runs: dict[str, SavedRun]) -> list[str]:
    """Save runs made from `project` into its file as the file is now (another process may have added
    scenarios meanwhile: they are kept). A run whose scenario was changed or removed there, or whose
    calls were replaced, is not stored; returns a note for each."""
    if project.path is None:
        raise ProjectError(f"{project.label}: not saved yet; give a file name")
    with project_lock(project.path):
        current = open_project(project.path)
        notes = []
        for name, saved in runs.items():
            if current.imported_at != project.imported_at:
                notes.append(f"the run of {name!r} was not stored: the project's calls were imported again "
                             f"meanwhile; run it again")
            elif name not in current.scenarios or (scenario_to_toml(current.scenarios[name])
                                                   != scenario_to_toml(project.scenarios[name])):
                notes.append(f"the run of {name!r} was not stored: the scenario was changed or removed meanwhile; "
                             f"run it again")
            else:
                current.runs[name] = saved
        current.save()
    project.runs.update({n: r for n, r in current.runs.items() if n in runs})
    project.disk_state = current.disk_state
    return notes


def _os_words(e: OSError) -> str:
    from planner.fileio import os_error_words

    return os_error_words(e)


def _same_path(a: Path, b: Path) -> bool:
    return os.path.realpath(a) == os.path.realpath(b)


def disk_state(path: Path) -> tuple[int, int, int] | None:
    """(inode, size, modification time in ns) of a file, None when there is none: every save replaces
    the file by a new one, so a save by anyone changes it."""
    try:
        st = os.stat(path)
    except OSError:
        return None
    return (st.st_ino, st.st_size, st.st_mtime_ns)


_held: dict[str, int] = {}                 # lock file -> how deep this process holds it
_held_guard = threading.RLock()


@contextlib.contextmanager
def project_lock(path: str | Path, wait: float | None = None):
    """Hold the project's lock: other processes' saves (and their project_lock) wait until it is
    released, at most `wait` seconds (LOCK_WAIT), then fail with ProjectError "... being written by
    another process". Re-entrant within a process."""
    path = Path(path)
    lock = os.path.realpath(path.parent / f".{path.name}{LOCK_SUFFIX}")
    if os.name != "posix":                   # Windows: saves are still refused on a changed file
        yield
        return
    with _held_guard:
        if _held.get(lock):
            _held[lock] += 1
            try:
                yield
            finally:
                _held[lock] -= 1
            return
        fd = _acquire(path, lock, LOCK_WAIT if wait is None else wait)
        _held[lock] = 1
        try:
            yield
        finally:
            _held.pop(lock, None)
            with contextlib.suppress(OSError):
                os.unlink(lock)              # removed while still held: nothing is left beside the project
            os.close(fd)                     # closing releases the lock


def _acquire(path: Path, lock: str, wait: float) -> int:
    """An open, exclusively locked lock file. A holder removes the file before it releases it, so a lock
    taken on a file that is no longer at `lock` is a stale one: open the file there now and try again."""
    import fcntl

    deadline = time.monotonic() + wait
    while True:
        try:
            fd = os.open(lock, os.O_RDWR | os.O_CREAT, 0o666)
        except OSError as e:
            raise ProjectError(f"{path}: could not save the project ({_os_words(e)})") from None
        try:
            while True:
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except BlockingIOError:
                    if time.monotonic() >= deadline:
                        raise ProjectError(f"{path}: {BUSY}; try again when it has finished") from None
                    time.sleep(0.02)
            try:
                current = os.stat(lock)
            except FileNotFoundError:
                current = None
            if current is not None and current.st_ino == os.fstat(fd).st_ino:
                return fd
        except BaseException:
            os.close(fd)
            raise
        os.close(fd)


# ---------------------------------------------------------------------------------------- atomic save
def _atomic_replace(target: Path, data: bytes) -> None:
    """Write `data` to a temporary file beside `target`, flush it to disk, rename it over `target`.

    The rename is atomic: a reader sees the old file or the new one, never a mix. The temporary file
    is locked while it is written, so the clean-up of files left by killed saves spares a live one."""
    from planner.fileio import check_replaceable

    folder = target.parent
    check_replaceable(target)              # never a device or pipe: only a regular file is replaced
    _remove_leftovers(target)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=TEMP_SUFFIX, dir=folder)
    closed = False
    try:
        _lock(fd)
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)   # mkstemp makes the file private; give it an ordinary file's mode
        view = memoryview(data)
        while view:
            n = os.write(fd, view[:WRITE_CHUNK])
            view = view[n:]
        os.fsync(fd)
        if os.name == "nt":             # Windows renames only closed files
            os.close(fd)
            closed = True
        check_replaceable(target)
        os.replace(tmp, target)
    except BaseException:
        if not closed:
            os.close(fd)
            closed = True
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    finally:
        if not closed:
            os.close(fd)
    _fsync_folder(folder)


def _lock(fd: int) -> None:
    try:
        import fcntl
    except ImportError:                 # Windows: an open file cannot be deleted anyway
        return
    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)


def _remove_leftovers(target: Path) -> None:
    """Delete temporary files that saves of `target` left behind when they were killed."""
    prefix = f".{target.name}."
    try:
        names = [n for n in os.listdir(target.parent) if n.startswith(prefix) and n.endswith(TEMP_SUFFIX)]
    except OSError:
        return
    try:
        import fcntl
    except ImportError:
        fcntl = None
    for n in names:
        p = target.parent / n
        try:
            if fcntl is None:
                os.unlink(p)            # fails while another save still has it open
                continue
            fd = os.open(p, os.O_RDONLY)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)   # a live save holds this lock
                os.unlink(p)
            finally:
                os.close(fd)
        except OSError:
            continue


def _fsync_folder(folder: Path) -> None:
    """Make the rename itself durable (POSIX); where folders cannot be opened, the rename is enough."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


# ------------------------------------------------------------------------------------------ opening
def _migrate_1_to_2(con: sqlite3.Connection) -> None:
    con.executescript("ALTER TABLE scenarios ADD COLUMN position INTEGER;"
                      "UPDATE scenarios SET position = rowid;" + _RUN_TABLES)


MIGRATIONS: dict[int, Callable[[sqlite3.Connection], None]] = {1: _migrate_1_to_2}   # from version -> next
_TABLES = {"meta", "calls_import", "scenarios", "runs", "run_frames"}


def _what_it_is(data: bytes) -> str:
    if not data:
        return "the file is empty"
    head = data[:4096]
    if b"\x00" not in head:
        try:
            head.decode("utf-8")
            return "it is a text file"
        except UnicodeDecodeError:
            pass
    return "it is not an SQLite database"


def _saved_by(con: sqlite3.Connection) -> str:
    """', coplan 1.2' from a file's meta table, where a file of any schema still has one."""
    try:
        row = con.execute("SELECT value FROM meta WHERE key = 'saved_by'").fetchone()
    except sqlite3.DatabaseError:
        return ""
    return f", {row[0]}" if row and isinstance(row[0], str) else ""


def _one_line(text: str, limit: int = 200) -> str:
    """The first line that says something (SQLite and Arrow reports can run to hundreds of lines)."""
    lines = [ln.strip() for ln in text.splitlines() if ln.strip() and not ln.startswith("***")]
    first = lines[0] if lines else text.strip()
    more = f" and {len(lines) - 1} more problems" if len(lines) > 1 else ""
    return (first[:limit] + ("..." if len(first) > limit else "")) + more


def open_project(path: str | Path) -> Project:
    """Read a project file; a damaged, foreign or newer file raises ProjectError naming it."""
    path = Path(path)
    if path.is_dir():
        raise ProjectError(f"{path}: is a folder, not a coplan project file")
    state = disk_state(path)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise ProjectError(f"{path}: project file not found") from None
    except OSError as e:
        raise ProjectError(f"{path}: could not read the project file ({e.strerror or e})") from None
    if not data.startswith(SQLITE_MAGIC):
        raise ProjectError(f"{path}: not a coplan project file ({_what_it_is(data)})")
    if data[18:20] == b"\x02\x02":
        # Another program switched the file to write-ahead logging. Committed changes may still sit in
        # the log beside it; without a log the file itself is complete and reads as a rollback-journal file.
        wal = path.with_name(path.name + "-wal")
        if wal.exists() and wal.stat().st_size > 0:
            raise ProjectError(f"{path}: another program has the project open (its log {wal.name} is beside "
                               f"it); close that program and open the project again")
        data = data[:18] + b"\x01\x01" + data[20:]
    con = sqlite3.connect(":memory:")
    try:
        con.execute("PRAGMA trusted_schema = OFF")
        con.deserialize(data)
        app = con.execute("PRAGMA application_id").fetchone()[0]
        version = con.execute("PRAGMA user_version").fetchone()[0]
        if app != APPLICATION_ID:
            raise ProjectError(f"{path}: not a coplan project file (an SQLite database of another program)")
        if version > SCHEMA_VERSION:
            raise ProjectError(f"{path} was saved by a newer coplan (schema {version}{_saved_by(con)}); this coplan "
                               f"reads up to {SCHEMA_VERSION}. Update coplan to open it")
        if version not in MIGRATIONS and version != SCHEMA_VERSION:
            raise ProjectError(f"{path}: the project file is damaged (schema version {version} is not one coplan "
                               f"wrote)")
        check = con.execute("PRAGMA quick_check").fetchone()[0]
        if check != "ok":
            raise ProjectError(f"{path}: the project file is damaged ({_one_line(check)})")
        while version < SCHEMA_VERSION:
            MIGRATIONS[version](con)
            version += 1
        tables = {r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        if missing := sorted(_TABLES - tables):
            raise ProjectError(f"{path}: the project file is damaged (tables {missing} are missing)")
        project = _read(con, path)
    except sqlite3.DatabaseError as e:
        raise ProjectError(f"{path}: the project file is damaged ({_one_line(str(e))})") from None
    except (ValueError, KeyError, TypeError) as e:
        raise ProjectError(f"{path}: the project file is damaged ({_one_line(str(e))})") from None
    finally:
        con.close()
    project.path = path
    project.disk_state = state
    return project


def _read(con: sqlite3.Connection, path: Path) -> Project:
    meta = dict(con.execute("SELECT key, value FROM meta"))
    if meta.get("frame_format", "parquet") != "parquet":
        raise ProjectError(f"{path}: tables are stored as {meta['frame_format']!r}; this coplan reads parquet")
    project = Project(name=meta.get("name") or path.stem, created_at=_time(meta.get("created_at")) or _now(),
                      saved_at=_time(meta.get("saved_at")))
    row = con.execute("SELECT source_name, mapping_toml, detected, timezone, rows_read, rows_merged, notes, "
                      "imported_at, calls, rejects FROM calls_import").fetchone()
    if row is not None:
        source, mapping_toml, detected, tz, rows_read, rows_merged, notes, imported_at, calls, rejects = row
        try:
            mapping = mapping_from_dict(tomllib.loads(mapping_toml))
        except PlannerError as e:
            raise ProjectError(f"{path}: the stored mapping is not valid ({e})") from None
        project.imported = ImportResult(
            calls=frame_from_bytes(calls), rejects=frame_from_bytes(rejects), rows_read=int(rows_read),
            rows_merged=int(rows_merged), mapping=mapping, detected=json.loads(detected), notes=json.loads(notes),
            source=Path(source) if source else None, timezone=tz)
        project.imported_at = _time(imported_at)
    where = f"{path}: scenario"
    for name, text in con.execute("SELECT name, toml FROM scenarios ORDER BY position, rowid"):
        project.scenarios[name] = scenario_from_toml(text, f"{where} {name!r}")
    for row in con.execute("SELECT name, scenario_toml, created_at, calls_imported_at, coplan_version, "
                           "replications, seed, workers, horizon_days, warmup_days, responder_types, unit_costs, "
                           "unit_cost_sources, simulation_notes, notes FROM runs ORDER BY position").fetchall():
        project.runs[row[0]] = _read_run(con, row)
    return project


def _read_run(con: sqlite3.Connection, row: tuple) -> SavedRun:
    (name, toml_text, created, calls_at, version, reps, seed, workers, horizon, warmup, types, unit_costs,
     sources, sim_notes, notes) = row
    frames = {k: frame_from_bytes(b) for k, b in con.execute("SELECT name, data FROM run_frames WHERE run = ?",
                                                             (name,))}
    missing = [f for f in (*_RUN_FRAMES, "fallback_by_bin", *_COST_FRAMES.values()) if f not in frames]
    if missing:
        raise KeyError(f"run {name!r} lacks tables {missing}")
    run = SimulationRun(
        scenario=name, **{f: frames[f] for f in _RUN_FRAMES},
        fallback_by_bin=np.array(frames["fallback_by_bin"]["fallback"].to_numpy(dtype=float)),
        replications=int(reps), seed=int(seed), workers=int(workers), horizon_days=float(horizon),
        warmup_days=float(warmup), responder_types=tuple(json.loads(types)), notes=json.loads(sim_notes),
        accounting=frames.get("accounting", pd.DataFrame()),
        warnings=[str(w) for w in frames["warnings"]["warning"]] if "warnings" in frames else [])
    if "overload" in frames:
        run.officer_load_by_bin = frames["overload"]["officer_load"].to_numpy(dtype=float)
        run.officer_capacity_by_bin = frames["overload"]["officer_capacity"].to_numpy(dtype=float)
    costs = CostSummary(scenario=name, **{attr: frames[key] for attr, key in _COST_FRAMES.items()},
                        unit_costs=json.loads(unit_costs), unit_cost_sources=json.loads(sources))
    return SavedRun(scenario_toml=toml_text, run=run, costs=costs, created_at=_time(created),
                    calls_imported_at=_time(calls_at), coplan_version=version, notes=json.loads(notes))
