"""Benchmark: a simulation study of the time-varying Cox analysis (issue 11 goal: parallel
efficiency >= 0.8 on 2 cores), on 1 and 2 workers with local processes and with Dask.

Run: ``python benchmarks/bench_simulation.py [N_REPLICATES] [N_PATIENTS]`` (default 1,000
replicates of 500 patients). Efficiency = (replicates/s on 2 workers) / (2 x replicates/s on 1).
"""

from __future__ import annotations

import sys
import time

from record import record  # noqa: E402 (benchmarks/record.py, beside this script)

from alspaincohort.simulation import simulation_study

SCENARIO = {"preset": "literature"}


def rate(n_rep: int, n: int, backend: str, workers: int) -> float:
    t0 = time.perf_counter()
    simulation_study(SCENARIO, "pain_hr", n, n_rep, seed=1, backend=backend, n_workers=workers,
                     progress=False)
    return n_rep / (time.perf_counter() - t0)


def main(n_rep: int, n: int) -> None:
    print(f"simulation: {n_rep} replicates of {n} patients, time-varying Cox (pain_hr)")
    for backend in ("local", "dask"):
        one = rate(n_rep, n, backend, 1)
        two = rate(n_rep, n, backend, 2)
        record(f"simulation_{backend}_parallel_efficiency", two / (2 * one), "x", "higher")
        print(f"simulation: {backend:5s} 1 worker {one:6.2f} replicates/s | 2 workers "
              f"{two:6.2f} replicates/s | parallel efficiency {two / (2 * one):.2f} "
              "(goal >= 0.8)")


if __name__ == "__main__":
    args = [int(a) for a in sys.argv[1:]]
    main(args[0] if args else 1000, args[1] if len(args) > 1 else 500)
