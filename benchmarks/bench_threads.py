"""Benchmark: analysis jobs side by side on a shared machine (issue 19).

Goal: three jobs started at once on this 2-core machine each take at most 2x their time
alone. Before the package limited its own BLAS threads in its small-matrix hot loops, three
``mediation(n_boot=500)`` jobs on 2,000 patients took 10.5 s each against 1.25 s alone (~8x):
each job's multi-threaded BLAS fought the others for the cores.

Each job runs in a fresh process (spawn); the three side-by-side jobs wait on a barrier and
start together. A mediation job is five ``mediation(n_boot=500)`` calls on its cohort (since
the bootstrap was batched one call takes ~0.3 s, too short to time side by side: the start
and end of three processes would dominate). Reported per job: the time alone, the mean time side by side and their ratio.
The reference is the ideal on this machine: with 3 jobs on ``os.cpu_count()`` cores, each job
cannot take less than 3 / cores of its time alone (1.5x here).

Run: ``python benchmarks/bench_threads.py [N]`` (default 2,000 patients).
"""

from __future__ import annotations

import multiprocessing as mp
import os
import sys
import time
from typing import Any

from record import record  # noqa: E402 (benchmarks/record.py, beside this script)

JOBS = 3
REPEAT = 5


def _job(kind: str, n: int, seed: int) -> float:
    import alspaincohort as apc

    cohort = apc.simulate_cohort(n, seed=1)
    t0 = time.perf_counter()
    if kind == "mediation":
        for rep in range(REPEAT):  # a job long enough to time (one call takes ~0.3 s)
            apc.mediation(cohort, n_boot=500, seed=seed + 100 * rep, progress=False)
    elif kind == "incremental_value":
        apc.incremental_value(cohort, n_bootstrap=20, seed=seed, progress=False)
    else:
        raise ValueError(kind)
    return time.perf_counter() - t0


def _worker(kind: str, n: int, seed: int, barrier: Any, out: Any) -> None:
    import alspaincohort as apc

    apc.simulate_cohort(50, seed=1)  # imports and first-call costs before the barrier
    barrier.wait()
    out.put(_job(kind, n, seed))


def side_by_side(kind: str, n: int) -> list[float]:
    ctx = mp.get_context("spawn")
    barrier, out = ctx.Barrier(JOBS), ctx.Queue()
    procs = [ctx.Process(target=_worker, args=(kind, n, i, barrier, out)) for i in range(JOBS)]
    for p in procs:
        p.start()
    times = [out.get() for _ in procs]
    for p in procs:
        p.join()
    return times


def alone(kind: str, n: int) -> float:
    ctx = mp.get_context("spawn")
    barrier, out = ctx.Barrier(1), ctx.Queue()
    p = ctx.Process(target=_worker, args=(kind, n, 0, barrier, out))
    p.start()
    t = out.get()
    p.join()
    return t


def main(n: int) -> None:
    cores = os.cpu_count() or 1
    ideal = max(1.0, JOBS / cores)
    for kind in ("mediation", "incremental_value"):
        t_alone = alone(kind, n)
        shared = side_by_side(kind, n)
        ratio = sum(shared) / len(shared) / t_alone
        record(f"{kind}_side_by_side_vs_alone", ratio, "x")
        goal = "met" if ratio <= 2 else "NOT met"
        print(f"threads: {kind} on {n:,} patients: alone {t_alone:.2f} s, {JOBS} side by side "
              f"{' / '.join(f'{t:.2f}' for t in shared)} s: {ratio:.2f}x alone (ideal on "
              f"{cores} cores {ideal:.2f}x); goal <= 2x {goal}")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 2_000)
