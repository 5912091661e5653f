"""Run every benchmark, each in its own process (so peak memory is its own).

``make bench`` calls this. Each benchmark prints its timings as ratios against a reference tool
measured in the same run. Pass ``--quick`` for small sizes (a smoke run).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
QUICK = "--quick" in sys.argv

BENCHMARKS: list[tuple[str, list[str]]] = [
    ("bench_generator.py", ["20000"] if QUICK else ["1000000"]),
    ("bench_engines.py", ["2000", "--quick"] if QUICK else ["10000"]),
    ("bench_loaders.py", ["5000"] if QUICK else ["100000"]),
    ("bench_prognosis.py", ["2000", "--quick"] if QUICK else ["20000"]),
    ("bench_simulation.py", ["40", "300"] if QUICK else ["1000", "500"]),
    ("bench_report.py", ["2000"] if QUICK else ["10000"]),
]


def main() -> int:
    failed = 0
    for script, args in BENCHMARKS:
        print(f"== {script} {' '.join(args)}", flush=True)
        r = subprocess.run([sys.executable, str(HERE / script), *args], check=False)
        failed += r.returncode != 0
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
