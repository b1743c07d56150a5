"""Import and profile a synthetic 1,000,000-row CAD export; rows per second and peak memory.

Each measurement runs in a fresh child process, so peak memory (max RSS) is that job's own; each is
repeated (default three times, alternating) and the best run of each side is reported. The
reference, measured in the same run on the same file, is pandas.read_csv (pyarrow engine) doing nothing
but reading the text: the floor any importer sits on. Targets here: >= 200,000 rows/s, < 1.5 GB peak.

    python benchmarks/import_profile.py [--rows 1000000] [--keep DIR]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

CHILD_COPLAN = r"""
import json, resource, sys, time
from planner.importer import import_calls
from planner.mapping import Mapping
from planner.profile import build_profile
t = time.perf_counter()
r = import_calls(sys.argv[1], Mapping(codes=sys.argv[2], timezone="America/Chicago"))
t_import = time.perf_counter() - t
p = build_profile(r)
total = time.perf_counter() - t
print(json.dumps({"seconds": total, "import_seconds": t_import, "rows": r.rows_read, "calls": r.calls_imported,
                  "rejected": r.rows_rejected, "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""

CHILD_PANDAS = r"""
import json, resource, sys, time
import pandas as pd
t = time.perf_counter()
df = pd.read_csv(sys.argv[1], dtype=str, engine="pyarrow")
print(json.dumps({"seconds": time.perf_counter() - t, "rows": len(df),
                  "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def run_child(code: str, *args: str) -> dict:
    out = subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=1_000_000, help="about this many rows (one per unit sent)")
    ap.add_argument("--keep", help="write the export here instead of a temporary folder")
    ap.add_argument("--repeat", type=int, default=3, help="runs of each; the best is reported (default 3)")
    args = ap.parse_args()

    from planner.sample import write_sample

    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(args.keep or tmp)
        t = time.perf_counter()
        # The generator writes ~1.22 rows per incident (extra units of multi-unit calls).
        calls, codes = write_sample(folder, calls_per_year=int(args.rows / 1.22), days=365, seed=3)
        size_mb = calls.stat().st_size / 1e6
        print(f"export: {calls.name}, {size_mb:.0f} MB, written in {time.perf_counter() - t:.1f} s")
        # Best of N, alternating the two, as timeit does: the fastest run is the one least disturbed by
        # whatever else the machine was doing; both sides get the same treatment.
        refs, runs = [], []
        for _ in range(args.repeat):
            refs.append(run_child(CHILD_PANDAS, str(calls)))
            runs.append(run_child(CHILD_COPLAN, str(calls), str(codes)))
        ref = min(refs, key=lambda r: r["seconds"])
        ours = min(runs, key=lambda r: r["seconds"])
        print("runs (s): coplan " + ", ".join(f"{r['seconds']:.2f}" for r in runs)
              + "; reference " + ", ".join(f"{r['seconds']:.2f}" for r in refs))
    rows = ours["rows"]
    rate = rows / ours["seconds"]
    print(f"rows: {rows:,} read, {ours['calls']:,} calls, {ours['rejected']:,} rejected")
    print(f"coplan import + profile: {ours['seconds']:.2f} s ({ours['import_seconds']:.2f} s import) "
          f"= {rate:,.0f} rows/s, peak {ours['peak_mb']:,.0f} MB")
    print(f"reference pandas.read_csv (pyarrow, text only): {ref['seconds']:.2f} s "
          f"= {ref['rows'] / ref['seconds']:,.0f} rows/s, peak {ref['peak_mb']:,.0f} MB")
    print(f"ratio coplan / reference time: {ours['seconds'] / ref['seconds']:.1f}x")
    ok_rate, ok_mem = rate >= 200_000, ours["peak_mb"] < 1536
    print(f"targets: >= 200,000 rows/s {'met' if ok_rate else 'MISSED'}; "
          f"< 1.5 GB peak {'met' if ok_mem else 'MISSED'}")


if __name__ == "__main__":
    main()
