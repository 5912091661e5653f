"""Draw the GEE reference corpus (issue 15).

Run from the repository root:  python tests/results/depression/corpus/make_gee.py
then                           Rscript tests/results/depression/corpus/gee.R

Writes ``gee_data.csv.gz`` (dataset, id, y, x, f, t) with rows in each cluster's time order,
and ``gee_spec.csv``. 240 datasets: 5 to 300 clusters of 1 to 15 observations (some with most
clusters of one observation), within-cluster correlation from 0 to 0.9 (exchangeable or
autoregressive), a cluster-level binary and a visit-level continuous covariate, independence,
exchangeable and AR(1) working correlations.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).parent


def draw(k: int, rng: np.random.Generator) -> tuple[pd.DataFrame, dict]:
    G = int(rng.choice([5, 10, 20, 50, 120, 300]))
    shape = rng.choice(["mixed", "mostly_single", "balanced"], p=[0.6, 0.15, 0.25])
    if shape == "balanced":
        sizes = np.full(G, int(rng.integers(2, 16)))
    elif shape == "mostly_single":
        sizes = np.where(rng.random(G) < 0.7, 1, rng.integers(2, 16, G))
    else:
        sizes = rng.integers(1, 16, G)
    rho = float(rng.choice([0.0, rng.uniform(0, 0.9)], p=[0.2, 0.8]))
    process = rng.choice(["exchangeable", "ar1"])
    rows = []
    for i, m in enumerate(sizes):
        if process == "exchangeable":
            e = np.sqrt(rho) * rng.normal() + np.sqrt(1 - rho) * rng.normal(size=m)
        else:
            e = np.empty(m)
            e[0] = rng.normal()
            for j in range(1, m):
                e[j] = rho * e[j - 1] + np.sqrt(1 - rho**2) * rng.normal()
        f = int(rng.random() < 0.4)
        t = np.arange(m) * 3.0
        x = np.round(rng.normal(size=m), 4)
        y = 2 + 0.5 * x + 1.0 * f - 0.1 * t + 1.5 * e
        rows += [(k, i, round(float(a), 6), float(b), f, float(c)) for a, b, c in zip(y, x, t, strict=True)]
    data = pd.DataFrame(rows, columns=["dataset", "id", "y", "x", "f", "t"])
    spec = {"dataset": k, "clusters": G, "rows": len(data), "shape": shape, "rho": rho,
            "process": process, "corstr": ["independence", "exchangeable", "ar1"][k % 3]}
    return data, spec


def main() -> None:
    rng = np.random.default_rng(20261126)
    out = [draw(k, rng) for k in range(240)]
    pd.concat([d for d, _ in out]).to_csv(HERE / "gee_data.csv.gz", index=False)
    pd.DataFrame([s for _, s in out]).to_csv(HERE / "gee_spec.csv", index=False)


if __name__ == "__main__":
    main()
