"""Benchmark: loading the PRO-ACT export of a synthetic cohort (issue 4 goal: at most 3x the
time pyarrow needs merely to read the same CSV files, measured in the same run; print the ratio
and rows per second).

Run: ``python benchmarks/bench_loaders.py [N]`` (default 1,000,000 patients). The export is
written once to a temporary directory (not timed).
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

import pyarrow.csv as pacsv

import alspaincohort as apc
from alspaincohort.synthetic import to_proact


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
        pain = [d / "pain_questionnaire.csv", d / "pain_sites.csv"]
        t0 = time.perf_counter()
        cohort = apc.load_proact(d, pain=pain)
        seconds = time.perf_counter() - t0
        assert cohort.load_report.rows_read == rows
    print(f"loaders: pyarrow read {rows:,} rows in {floor:.2f} s; load_proact {seconds:.2f} s "
          f"({rows / seconds:,.0f} source rows/s) -> {seconds / floor:.1f}x the pyarrow floor "
          "(goal <= 3x)")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000)
