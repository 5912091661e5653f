"""Figures of a benchmark run, kept so the next run shows what got worse (issue 19).

A benchmark calls :func:`record` for each figure it prints (a ratio against the reference
timed in the same run, a peak of memory, a time). ``benchmarks/run.py`` collects them from the
``@figure`` lines, writes them with the commit and the machine to
``benchmarks/results/bench.json`` (``bench-quick.json`` for ``--quick``), and compares them with
the figures committed there before: every figure worse by more than its noise is printed.

Ratios against a reference timed in the same run are the figures to compare across runs: both
sides see the same machine load. Absolute times are recorded too, with a wider noise band.
"""

from __future__ import annotations

import json

#: Relative change that counts as noise, by unit (wall times on a quiet machine vary ~10%).
NOISE = {"x": 0.20, "s": 0.30, "GiB": 0.05, "count": 0.0}


def record(name: str, value: float, unit: str, better: str = "lower") -> None:
    """Print one figure for ``run.py``: ``name`` (unique within the run), ``value``, ``unit``
    ("x" for a ratio, "s", "GiB" or "count") and which direction is ``better``."""
    if better not in ("lower", "higher"):
        raise ValueError(f"better must be 'lower' or 'higher', not {better!r}")
    print("@figure " + json.dumps({"name": name, "value": float(value), "unit": unit,
                                   "better": better}), flush=True)


def worse(old: dict, new: dict) -> float | None:
    """The relative change of ``new`` against ``old`` when it is worse by more than noise, else
    None."""
    a, b = float(old["value"]), float(new["value"])
    if a == 0 or not (a == a and b == b):
        return None
    change = (b - a) / abs(a) if new["better"] == "lower" else (a - b) / abs(a)
    return change if change > NOISE.get(new["unit"], 0.2) else None
