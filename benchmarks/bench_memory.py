"""Benchmark: memory and work that do not depend on the machine's load (issue 19, "no silent
regressions"). ``make bench-quick`` runs this in CI and fails when a figure got worse than the
committed one (``benchmarks/results/bench-quick.json``); no wall-clock time is judged.

Figures (Python allocations traced by :mod:`tracemalloc`, which counts NumPy's and pandas'
buffers; the same code on the same data allocates the same bytes on any machine):

- ``generator_bytes_per_patient``: peak while simulating N patients, per patient;
- ``loader_bytes_per_source_row``: peak while ``load_proact`` reads the PRO-ACT export of N / 4
  patients, per source row read;
- ``finegray_peak_vs_input``: peak while fitting a Fine-Gray model to 20,000 subjects, over the
  bytes of the input frame (issue 19 goal: at most 3), and ``finegray_rows_per_subject``: the
  rows the fit materialises per subject (R's ``finegray`` expansion, which this package fitted
  until issue 19: 173 per subject at 20,000 subjects, peak 1.4 GiB; 1 now that the weights are
  computed per risk set);
- ``concordance_bytes_per_subject``: peak of Harrell's C on 200,000 subjects, per subject;
- ``mediation_bootstrap_bytes_per_replicate``: peak of 200 batched bootstrap replicates of the
  mediation model on 500 patients, per replicate;
- ``cox_newton_iterations`` and ``incremental_cox_iterations_per_replicate``: Newton-Raphson
  iterations of one Cox fit on fixed data, and of the refits of one ``incremental_value``
  bootstrap replicate (warm-started refits need few).

Run: ``python benchmarks/bench_memory.py [N]`` (default 20,000).
"""

from __future__ import annotations

import sys
import tempfile
import tracemalloc
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
from bench_prognosis import make_data, ours_fine_gray  # the scripts run from this folder
from record import record  # noqa: E402 (benchmarks/record.py, beside this script)

import alspaincohort as apc
from alspaincohort.analysis.depression import mediation
from alspaincohort.stats.concordance import harrell_c
from alspaincohort.stats.cox import CoxTimeVarying
from alspaincohort.synthetic import to_proact


def traced_peak(f: Callable[[], Any]) -> tuple[int, Any]:
    """Peak bytes allocated (beyond what was held before) while ``f`` runs, and its value."""
    tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        before = tracemalloc.get_traced_memory()[0]
        value = f()
        peak = tracemalloc.get_traced_memory()[1] - before
    finally:
        tracemalloc.stop()
    return peak, value


def cox_iterations() -> tuple[int, float]:
    """Newton iterations of a fit on fixed data, and those of warm-started bootstrap refits
    (mean over 20 resamples) as ``incremental_value`` runs them."""
    rng = np.random.default_rng(3)
    n, p = 2000, 8
    X = rng.normal(size=(n, p))
    t = np.ceil(rng.exponential(300 * np.exp(-0.3 * X[:, 0] - 0.2 * X[:, 1])))
    e = rng.random(n) < 0.7
    fit = CoxTimeVarying().fit_arrays(X, t, e)
    refits = []
    for _ in range(20):
        idx = rng.integers(0, n, n)
        refits.append(CoxTimeVarying().fit_arrays(X[idx], t[idx], e[idx],
                                                  init=fit.params_.to_numpy()).n_iter_)
    return fit.n_iter_, float(np.mean(refits))


def main(n: int) -> None:
    peak, _ = traced_peak(lambda: apc.simulate_cohort(n, seed=1))
    record("generator_bytes_per_patient", peak / n, "bytes")
    print(f"memory: generator {n:,} patients, peak {peak / 2**20:.1f} MiB "
          f"({peak / n:,.0f} bytes per patient)")

    with tempfile.TemporaryDirectory() as tmp:
        d = Path(tmp)
        to_proact(apc.simulate_cohort(n // 4, seed=1), d)
        pain = [d / "pain_questionnaire.csv", d / "pain_sites.csv"]
        peak, cohort = traced_peak(lambda: apc.load_proact(d, pain=pain))
    rows = cohort.load_report.rows_read
    record("loader_bytes_per_source_row", peak / rows, "bytes")
    print(f"memory: load_proact {rows:,} source rows, peak {peak / 2**20:.1f} MiB "
          f"({peak / rows:,.0f} bytes per row)")

    data = make_data(20000)
    frame = data[["time", "cause", "x1", "x2"]]
    input_bytes = int(frame.memory_usage(deep=True, index=False).sum())
    peak, rows_fit = traced_peak(lambda: ours_fine_gray(data))
    record("finegray_peak_vs_input", peak / input_bytes, "bytes-ratio")
    record("finegray_rows_per_subject", rows_fit / len(data), "count")
    print(f"memory: Fine-Gray on 20,000 subjects, {rows_fit:,} rows fitted "
          f"({rows_fit / len(data):.1f} per subject), peak {peak / 2**20:.1f} MiB = "
          f"{peak / input_bytes:.1f}x the input frame ({input_bytes / 2**20:.2f} MiB; goal "
          f"<= 3x: {'met' if peak <= 3 * input_bytes else 'NOT met'})")

    big = make_data(200000, seed=8)
    bt, be, blp = (big[c].to_numpy() for c in ("time", "event", "lp"))
    peak, _ = traced_peak(lambda: harrell_c(bt, be, blp))
    record("concordance_bytes_per_subject", peak / len(big), "bytes")
    print(f"memory: Harrell's C on 200,000 subjects, peak {peak / 2**20:.1f} MiB")

    c = apc.simulate_cohort(500, seed=2)
    peak, _ = traced_peak(lambda: mediation(c, n_boot=200, seed=1))
    record("mediation_bootstrap_bytes_per_replicate", peak / 200, "bytes")
    print(f"memory: mediation, 200 bootstrap replicates on 500 patients, peak "
          f"{peak / 2**20:.1f} MiB")

    once, refit = cox_iterations()
    record("cox_newton_iterations", once, "iterations")
    record("incremental_cox_iterations_per_replicate", refit, "iterations")
    print(f"work: Cox Newton-Raphson {once} iterations from 0, {refit:.1f} per warm-started "
          "bootstrap refit")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 20000)
