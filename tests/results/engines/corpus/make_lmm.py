"""Draw the linear-mixed-model reference corpus (issue 15).

Run from the repository root:  python tests/results/engines/corpus/make_lmm.py
then                           Rscript tests/results/engines/corpus/lmm.R

Writes ``lmm_data.csv.gz`` (every dataset, long: dataset, g, y, x, f, t) and ``lmm_spec.csv``
(dataset, random = "intercept" | "slope", reml, and the drawing parameters). The 240 datasets
span what users bring: 2 to 80 groups, 1 to 15 visits per group (some groups with one visit,
some datasets with nearly all groups at one visit), between-group SD / residual SD from 0 to 3
(a fifth of them exactly 0), random-slope SD from 0 to 1 with correlations from -0.95 to
0.95, irregular visit times, a continuous covariate and a three-level factor, REML and ML.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).parent


def draw(k: int, rng: np.random.Generator) -> tuple[pd.DataFrame, dict]:
    random = "intercept" if k % 2 == 0 else "slope"
    reml = k % 4 < 2
    G = int(np.exp(rng.uniform(np.log(2 if random == "intercept" else 4), np.log(80))))
    shape = rng.choice(["mixed", "mostly_single", "balanced"], p=[0.6, 0.2, 0.2])
    if shape == "balanced":
        sizes = np.full(G, rng.integers(2, 16))
    elif shape == "mostly_single":
        sizes = np.where(rng.random(G) < 0.8, 1, rng.integers(2, 16, G))
    else:
        sizes = rng.integers(1, 16, G)
    q = 1 if random == "intercept" else 2
    if sizes.sum() <= q * G + 3:  # lme4 refuses n <= q * groups; keep the model identifiable
        sizes[: max(1, G // 2)] += 3
    ratio = 0.0 if rng.random() < 0.2 else rng.uniform(0, 3)
    slope_sd = 0.0 if rng.random() < 0.2 else rng.uniform(0, 1)
    rho = rng.uniform(-0.95, 0.95)
    sigma = np.exp(rng.uniform(np.log(0.1), np.log(20)))
    g = np.repeat(np.arange(G), sizes)
    n = len(g)
    t = np.round(rng.uniform(0, 24, n), 2)
    x = np.round(rng.normal(50, 10, n), 3)
    f = rng.choice(["a", "b", "c"], n)
    L = np.array([[1.0, 0.0], [rho, np.sqrt(1 - rho**2)]])
    b = rng.normal(size=(G, 2)) @ L.T * np.array([ratio, slope_sd if q == 2 else 0.0]) * sigma
    mu = 10 + 0.05 * x + np.where(f == "b", 1.0, 0.0) - 0.3 * t
    y = mu + b[g, 0] + b[g, 1] * t + rng.normal(0, sigma, n)
    data = pd.DataFrame({"dataset": k, "g": g, "y": np.round(y, 6), "x": x, "f": f, "t": t})
    spec = {"dataset": k, "random": random, "reml": reml, "groups": G, "rows": n,
            "shape": shape, "sd_ratio": ratio, "slope_sd_ratio": slope_sd if q == 2 else 0.0,
            "rho": rho if q == 2 else 0.0, "sigma": sigma}
    return data, spec


def main() -> None:
    rng = np.random.default_rng(20261122)
    out = [draw(k, rng) for k in range(240)]
    pd.concat([d for d, _ in out]).to_csv(HERE / "lmm_data.csv.gz", index=False)
    pd.DataFrame([s for _, s in out]).to_csv(HERE / "lmm_spec.csv", index=False)


if __name__ == "__main__":
    main()
