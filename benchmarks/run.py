"""Run every benchmark, each in its own process (so peak memory is its own), and keep its
figures.

``make bench`` calls this. Each benchmark prints its timings as ratios against a reference tool
measured in the same run, and hands its figures to :mod:`record` (``@figure`` lines). This
script writes them with the commit, the machine and the library versions to
``benchmarks/results/bench.json`` and prints every figure worse than the committed one (the
file as of ``HEAD``, not a later uncommitted run) by more than its noise. Commit the file after
a run on a quiet machine (other jobs distort figures many-fold): it is what the next run is
compared with.

``make bench-quick`` (``--quick``, run by ``.ci/run``) runs only the figures that do not depend
on the machine's load: traced memory peaks and operation counts (``bench_memory.py``), written
to ``bench-quick.json``. A regression in one of those units (:data:`record.STRICT`) fails the
run, on any machine; no wall-clock time is ever judged.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
from pathlib import Path

from record import OTHER_VERSIONS, STRICT, versions, worse

HERE = Path(__file__).resolve().parent
QUICK = "--quick" in sys.argv
RESULTS = HERE / "results" / ("bench-quick.json" if QUICK else "bench.json")

MEMORY = ("bench_memory.py", ["20000"])
BENCHMARKS: list[tuple[str, list[str]]] = [MEMORY] if QUICK else [
    MEMORY,
    ("bench_generator.py", ["1000000"]),
    ("bench_engines.py", ["10000"]),
    ("bench_loaders.py", ["100000"]),
    ("bench_prognosis.py", ["20000"]),
    ("bench_bootstrap.py", ["2000", "1000"]),
    ("bench_threads.py", ["2000"]),
    ("bench_simulation.py", ["300", "500"]),
    ("bench_latent.py", ["300", "2000", "10000"]),
    ("bench_joint.py", ["300", "2000", "10000"]),
    ("bench_report.py", ["10000"]),
    ("bench_register.py", ["2000000", "10"]),
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


def committed() -> dict | None:
    """The figures file as committed at HEAD (None when there is none)."""
    rel = RESULTS.relative_to(HERE.parent).as_posix()
    shown = subprocess.run(["git", "show", f"HEAD:{rel}"], capture_output=True, text=True,
                           cwd=HERE.parent, check=False)
    if shown.returncode == 0:
        return json.loads(shown.stdout)
    return json.loads(RESULTS.read_text(encoding="utf-8")) if RESULTS.exists() else None


def main() -> int:
    failed, figures = 0, []
    for script, args in BENCHMARKS:
        print(f"== {script} {' '.join(args)}", flush=True)
        code, found = run(script, args)
        failed += code != 0
        figures += found
    previous = committed()
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True,
                            text=True, cwd=HERE, check=False).stdout.strip()
    now = versions()
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(json.dumps({
        "commit": commit, "date": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        "cores": os.cpu_count(), "quick": QUICK, "versions": now, "figures": figures},
        indent=1) + "\n", encoding="utf-8")
    print(f"== figures written to {RESULTS}")
    strict_regressions = 0
    if previous is None:
        print("no committed figures to compare with")
    else:
        widen = 1.0
        if previous.get("versions") != now:
            widen = OTHER_VERSIONS
            print(f"the committed figures come from {previous.get('versions')}, this run from "
                  f"{now}: noise bands widened {OTHER_VERSIONS}x")
        before = {f["name"]: f for f in previous["figures"]}
        regressions = [(f, before[f["name"]], change) for f in figures if f["name"] in before
                       and (change := worse(before[f["name"]], f, widen)) is not None]
        print(f"== compared with {len(before)} figures of commit {previous['commit']} "
              f"({previous['date']}): {len(regressions)} worse by more than noise")
        for f, old, change in regressions:
            strict = f["unit"] in STRICT
            strict_regressions += strict
            print(f"  WORSE {f['name']}: {old['value']:.4g} -> {f['value']:.4g} {f['unit']} "
                  f"({100 * change:+.0f}%, {f['better']} is better)"
                  + (" -- a memory or work regression: fails the run" if strict else ""))
        missing = sorted(set(before) - {f["name"] for f in figures})
        if missing and QUICK:
            print(f"  MISSING figures (not measured this run): {missing}")
            strict_regressions += len(missing)
    return 1 if failed or strict_regressions else 0


if __name__ == "__main__":
    sys.exit(main())
