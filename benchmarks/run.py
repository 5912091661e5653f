"""Run every benchmark, each in its own process (so peak memory is its own), and keep its
figures.

``make bench`` calls this. Each benchmark prints its timings as ratios against a reference tool
measured in the same run, and hands its figures to :mod:`record` (``@figure`` lines). This
script writes them with the commit and the machine to ``benchmarks/results/bench.json``
(``bench-quick.json`` with ``--quick``: small sizes, a smoke run) and prints every figure worse
than the committed one by more than its noise. Commit the file after a run on a quiet machine
(other jobs distort figures many-fold): it is what the next run is compared with.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
from pathlib import Path

from record import worse

HERE = Path(__file__).resolve().parent
QUICK = "--quick" in sys.argv
RESULTS = HERE / "results" / ("bench-quick.json" if QUICK else "bench.json")

BENCHMARKS: list[tuple[str, list[str]]] = [
    ("bench_generator.py", ["20000"] if QUICK else ["1000000"]),
    ("bench_engines.py", ["2000", "--quick"] if QUICK else ["10000"]),
    ("bench_loaders.py", ["5000"] if QUICK else ["100000"]),
    ("bench_prognosis.py", ["2000", "--quick"] if QUICK else ["20000"]),
    ("bench_bootstrap.py", ["500", "200"] if QUICK else ["2000", "1000"]),
    ("bench_threads.py", ["500"] if QUICK else ["2000"]),
    ("bench_simulation.py", ["40", "300"] if QUICK else ["300", "500"]),
    ("bench_report.py", ["2000"] if QUICK else ["10000"]),
]


def run(script: str, args: list[str]) -> tuple[int, list[dict]]:
    """Run one benchmark, echoing its output; its return code and figures."""
    figures = []
    proc = subprocess.Popen([sys.executable, str(HERE / script), *args], stdout=subprocess.PIPE,
                            text=True, cwd=HERE.parent)
    assert proc.stdout is not None
    for line in proc.stdout:
        if line.startswith("@figure "):
            figures.append({"bench": script, **json.loads(line[len("@figure "):])})
        else:
            print(line, end="", flush=True)
    return proc.wait(), figures


def main() -> int:
    failed, figures = 0, []
    for script, args in BENCHMARKS:
        print(f"== {script} {' '.join(args)}", flush=True)
        code, found = run(script, args)
        failed += code != 0
        figures += found
    previous = json.loads(RESULTS.read_text(encoding="utf-8")) if RESULTS.exists() else None
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True,
                            text=True, cwd=HERE, check=False).stdout.strip()
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(json.dumps({
        "commit": commit, "date": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        "cores": os.cpu_count(), "quick": QUICK, "figures": figures}, indent=1) + "\n",
        encoding="utf-8")
    print(f"== figures written to {RESULTS.relative_to(HERE.parent)}")
    if previous is None:
        print("no earlier figures to compare with")
    else:
        before = {f["name"]: f for f in previous["figures"]}
        regressions = [(f, before[f["name"]], change) for f in figures if f["name"] in before
                       and (change := worse(before[f["name"]], f)) is not None]
        print(f"== compared with {len(before)} figures of commit {previous['commit']} "
              f"({previous['date']}): {len(regressions)} worse by more than noise")
        for f, old, change in regressions:
            print(f"  WORSE {f['name']}: {old['value']:.4g} -> {f['value']:.4g} {f['unit']} "
                  f"({100 * change:+.0f}%, {f['better']} is better)")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
