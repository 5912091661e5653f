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

#: Relative change that counts as noise, by unit (wall times on a quiet machine vary ~10%;
#: traced allocations of the same code and libraries are the same on any machine; one more
#: Newton step of three is within the noise, twice as many is not).
NOISE = {"x": 0.20, "s": 0.30, "GiB": 0.05, "count": 0.0, "bytes": 0.10, "bytes-ratio": 0.10,
         "iterations": 0.34}

#: Units whose regressions fail the run (``make bench-quick`` in CI): they do not depend on the
#: machine's load, so a change is the code's.
STRICT = {"count", "bytes", "bytes-ratio", "iterations"}

#: Widening of the noise bands when the libraries that allocate the memory (NumPy, pandas,
#: pyarrow) or Python differ from those of the committed figures.
OTHER_VERSIONS = 2.5


def record(name: str, value: float, unit: str, better: str = "lower") -> None:
    """Print one figure for ``run.py``: ``name`` (unique within the run), ``value``, ``unit``
    (a key of :data:`NOISE`: "x" for a ratio, "s", "GiB", "bytes", "bytes-ratio", "iterations"
    or "count") and which direction is ``better``."""
    if unit not in NOISE:
        raise ValueError(f"unit must be one of {sorted(NOISE)}, not {unit!r}")
    if better not in ("lower", "higher"):
        raise ValueError(f"better must be 'lower' or 'higher', not {better!r}")
    print("@figure " + json.dumps({"name": name, "value": float(value), "unit": unit,
                                   "better": better}), flush=True)


def worse(old: dict, new: dict, widen: float = 1.0) -> float | None:
    """The relative change of ``new`` against ``old`` when it is worse by more than noise
    (times ``widen``), else None."""
    a, b = float(old["value"]), float(new["value"])
    if not (a == a and b == b):
        return None
    if a == 0:
        return float("inf") if (b > 0 if new["better"] == "lower" else b < 0) else None
    change = (b - a) / abs(a) if new["better"] == "lower" else (a - b) / abs(a)
    return change if change > NOISE.get(new["unit"], 0.2) * widen else None


def versions() -> dict[str, str]:
    """Python and the libraries whose allocations the memory figures count."""
    import platform

    import numpy
    import pandas
    import pyarrow

    return {"python": platform.python_version(), "numpy": numpy.__version__,
            "pandas": pandas.__version__, "pyarrow": pyarrow.__version__}
