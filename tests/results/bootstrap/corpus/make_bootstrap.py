"""Draw the bootstrap-interval reference corpus (issue 15).

Run from the repository root:  python tests/results/bootstrap/corpus/make_bootstrap.py
then                           Rscript tests/results/bootstrap/corpus/bootstrap.R

Writes ``replicates.csv.gz`` (dataset, t: the bootstrap replicates), ``influence.csv.gz``
(dataset, L: jackknife influence values) and ``spec.csv`` (dataset, statistic, n, R, level,
t0). The 240 datasets span: statistics that are smooth (mean, ratio of means, correlation,
product of two regression slopes as in mediation), discrete with many replicates equal to the
estimate (median of integers), or on the edge of the support (maximum: every replicate <= t0,
so BCa's bias correction is infinite); 3 to 200 observations, some constant (all influence
values 0); 19 to 1,999 replicates (few enough, for the level, that extreme order statistics
become limits); levels 0.8 to 0.99.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).parent


def _slope(x: np.ndarray, y: np.ndarray) -> float:
    xc = x - x.mean()
    d = float(xc @ xc)
    return float(xc @ (y - y.mean())) / d if d > 0 else np.nan


STATISTICS = {
    "mean": lambda d: float(d[:, 0].mean()),
    "ratio": lambda d: float(d[:, 0].mean() / d[:, 1].mean()),
    "correlation": lambda d: float(np.corrcoef(d[:, 0], d[:, 1])[0, 1]),
    "product": lambda d: _slope(d[:, 0], d[:, 1]) * _slope(d[:, 1], d[:, 2]),
    "median_int": lambda d: float(np.median(np.round(d[:, 0]))),
    "max": lambda d: float(d[:, 0].max()),
}


def draw(k: int, rng: np.random.Generator) -> tuple[pd.DataFrame, pd.DataFrame, dict]:
    stat = str(rng.choice(list(STATISTICS), p=[.25, .15, .15, .2, .15, .1]))
    n = int(rng.choice([3, 5, 10, 25, 60, 200], p=[.08, .12, .2, .25, .2, .15]))
    R = int(rng.choice([19, 49, 99, 199, 999, 1999], p=[.08, .1, .15, .2, .3, .17]))
    level = float(rng.choice([0.8, 0.9, 0.95, 0.99]))
    x = rng.exponential(2.0, n) + 1.0
    y = 0.5 * x + rng.normal(0, 1, n) + 3.0
    z = 0.4 * y + rng.normal(0, 1, n)
    if rng.random() < 0.04:
        x = np.full(n, 2.0)  # constant data: every influence value is 0
    data = np.column_stack([x, y, z])
    f = STATISTICS[stat]
    t0 = f(data)
    t = np.array([f(data[rng.integers(0, n, n)]) for _ in range(R)])
    jack = np.array([f(np.delete(data, i, axis=0)) for i in range(n)])
    L = (n - 1) * (jack.mean() - jack)
    spec = {"dataset": k, "statistic": stat, "n": n, "R": R, "level": level, "t0": t0}
    return (pd.DataFrame({"dataset": k, "t": t}), pd.DataFrame({"dataset": k, "L": L}), spec)


def main() -> None:
    rng = np.random.default_rng(20261126)
    out = [draw(k, rng) for k in range(240)]
    pd.concat([a for a, _, _ in out]).to_csv(HERE / "replicates.csv.gz", index=False,
                                             float_format="%.17g")
    pd.concat([b for _, b, _ in out]).to_csv(HERE / "influence.csv.gz", index=False,
                                             float_format="%.17g")
    pd.DataFrame([s for _, _, s in out]).to_csv(HERE / "spec.csv", index=False,
                                                float_format="%.17g")


if __name__ == "__main__":
    main()
