"""Benchmark: loading the PRO-ACT export of a synthetic cohort. Goal (issue 17, replacing
issue 4's "3x the pyarrow read"): load_proact of the 100,000-patient export at most 2x the bare
NumPy lower bound below, timed in the same run, with the peak memory of each (each runs in a
fresh process, so its peak resident size is its own).

Beside the pyarrow floor it measures a bare NumPy lower bound of the work any loader into the
standard (long) tables must do: read every file as text (no value coerced on the way in), cast
the numeric columns, build the long value table (patient, day, item, value: about five rows per
source row), sort its packed key to find duplicates, check value ranges and days after death.
No quarantine bookkeeping, provenance, pandas tables or schema checks. Its ratio to the floor
shows how much of the gap is the goal itself on this machine.

Run: ``python benchmarks/bench_loaders.py [N]`` (default 100,000 patients). The export is
written once to a temporary directory (not timed).
"""

from __future__ import annotations

import multiprocessing as mp
import resource
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
from record import record  # noqa: E402 (benchmarks/record.py, beside this script)

import alspaincohort as apc
from alspaincohort.loaders.common import read_source
from alspaincohort.synthetic import to_proact


def bare_lower_bound(directory: Path) -> tuple[float, int]:
    """Seconds for the bare NumPy work (see the module docstring) and the long rows built."""
    t0 = time.perf_counter()
    sources = [read_source(f).table for f in sorted(directory.glob("*.csv"))]
    demographics = next(t for t in sources if "Sex" in t.column_names)
    ids = pc.unique(demographics.column("subject_id"))
    pid, day, value, item = [], [], [], []
    for table in sources:
        days = [c for c in table.column_names if c == "Delta" or c.endswith("_Delta")]
        if "subject_id" not in table.column_names or not days:
            continue
        codes = pc.index_in(table.column("subject_id"), value_set=ids).to_numpy(
            zero_copy_only=False)
        d = pc.cast(table.column(days[0]), pa.float64()).to_numpy(zero_copy_only=False)
        for c in table.column_names:
            if c in ("subject_id", days[0]):
                continue
            try:
                v = pc.cast(table.column(c), pa.float64()).to_numpy(zero_copy_only=False)
            except pa.ArrowInvalid:  # a text column: not a value
                continue
            keep = ~np.isnan(v)
            pid.append(codes[keep].astype(np.int32))
            day.append(d[keep].astype(np.int32))
            value.append(v[keep].astype(np.float32))
            item.append(np.full(int(keep.sum()), len(item), dtype=np.int16))
    p, dd, v, it = (np.concatenate(x) for x in (pid, day, value, item))
    key = (p.astype(np.int64) << 32) | ((dd.astype(np.int64) + 2**20) << 10) | it
    ordered = np.sort(key)
    bool((ordered[1:] == ordered[:-1]).any())
    low, high = np.zeros(len(item)), np.full(len(item), 100.0)
    bool(((v < low[it]) | (v > high[it])).any())
    death = np.full(len(ids), np.inf)
    bool((dd > death[p]).any())
    return time.perf_counter() - t0, len(p)


def _load(directory: Path) -> tuple[float, int, float]:
    pain = [directory / "pain_questionnaire.csv", directory / "pain_sites.csv"]
    load = apc.load_proact  # the loaders are imported on first use: not part of loading
    t0 = time.perf_counter()
    cohort = load(directory, pain=pain)
    seconds = time.perf_counter() - t0
    return seconds, cohort.load_report.rows_read, _peak_gib()


def _bound(directory: Path) -> tuple[float, int, float]:
    seconds, long_rows = bare_lower_bound(directory)
    return seconds, long_rows, _peak_gib()


def _peak_gib() -> float:
    """Peak resident size of this process (VmHWM: unlike ru_maxrss it starts afresh at exec,
    so a spawned worker does not inherit its parent's peak)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 2**20  # kB
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20  # not Linux: KiB


def _fresh(fn: object, directory: Path, repeat: int = 3) -> tuple[float, int, float]:
    """The fastest of ``repeat`` runs, each in a fresh process (first-touch memory costs
    vary run to run on a virtual machine; both sides get the same treatment)."""
    runs = []
    for _ in range(repeat):
        with mp.get_context("spawn").Pool(1) as pool:
            runs.append(pool.apply(fn, (directory,)))  # type: ignore[arg-type]
    return min(runs)


def main(n: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        d = Path(tmp)
        t0 = time.perf_counter()
        to_proact(apc.simulate_cohort(n, seed=1), d)
        print(f"loaders: wrote the PRO-ACT export of {n:,} patients in "
              f"{time.perf_counter() - t0:.1f} s (not part of the comparison)")
        files = sorted(d.glob("*.csv"))
        t0 = time.perf_counter()
        rows = sum(pacsv.read_csv(f).num_rows for f in files)
        floor = time.perf_counter() - t0
        bare, long_rows, bare_peak = _fresh(_bound, d)
        seconds, read, peak = _fresh(_load, d)
        assert read == rows
    ratio = seconds / bare
    print(f"loaders: pyarrow read {rows:,} rows in {floor:.2f} s; load_proact {seconds:.2f} s "
          f"({rows / seconds:,.0f} source rows/s, {seconds / floor:.1f}x the pyarrow read)")
    record("loaders_vs_bare_bound", ratio, "x")
    record("loaders_peak", peak, "GiB")
    print(f"loaders: bare NumPy lower bound ({long_rows:,} long rows) {bare:.2f} s, peak "
          f"{bare_peak:.2f} GiB; load_proact {seconds:.2f} s, peak {peak:.2f} GiB -> "
          f"{ratio:.2f}x the bound (goal <= 2x: {'met' if ratio <= 2 else 'NOT met'})")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 100_000)
