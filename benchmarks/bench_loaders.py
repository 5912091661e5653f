"""Benchmark: loading the PRO-ACT export of a synthetic cohort (issue 4 goal: at most 3x the
time pyarrow needs merely to read the same CSV files, measured in the same run; print the ratio
and rows per second).

Beside the pyarrow floor it measures a bare NumPy lower bound of the work any loader into the
standard (long) tables must do: read every file as text (no value coerced on the way in), cast
the numeric columns, build the long value table (patient, day, item, value: about five rows per
source row), sort its packed key to find duplicates, check value ranges and days after death.
No quarantine bookkeeping, provenance, pandas tables or schema checks. Its ratio to the floor
shows how much of the gap is the goal itself on this machine.

Run: ``python benchmarks/bench_loaders.py [N]`` (default 1,000,000 patients). The export is
written once to a temporary directory (not timed).
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

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
        bare, long_rows = bare_lower_bound(d)
        pain = [d / "pain_questionnaire.csv", d / "pain_sites.csv"]
        t0 = time.perf_counter()
        cohort = apc.load_proact(d, pain=pain)
        seconds = time.perf_counter() - t0
        assert cohort.load_report.rows_read == rows
    print(f"loaders: pyarrow read {rows:,} rows in {floor:.2f} s; load_proact {seconds:.2f} s "
          f"({rows / seconds:,.0f} source rows/s) -> {seconds / floor:.1f}x the pyarrow floor "
          "(goal <= 3x)")
    print(f"loaders: bare NumPy lower bound ({long_rows:,} long rows) {bare:.2f} s -> "
          f"{bare / floor:.1f}x the floor; load_proact is {seconds / bare:.1f}x the bound")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000)
