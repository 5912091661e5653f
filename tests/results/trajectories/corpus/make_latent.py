"""Draw the latent-class mixed-model reference corpus (issue 15).

Run from the repository root:  python tests/results/trajectories/corpus/make_latent.py
then                           Rscript tests/results/trajectories/corpus/latent.R

Writes ``latent_data.csv.gz`` (every dataset, long: dataset, g, t, y) and ``latent_spec.csv``
(dataset, the number of classes fitted, the drawing parameters and the starting values both
fits use: start_share_k, start_int_k, start_slope_k, start_d11, start_d12, start_d22,
start_sigma). The 240 datasets span what users bring: 8 to 250 patients, 1 to 10 visits
(some datasets with nearly every patient seen once, some balanced), continuous and tied
(whole-month) times, 1 to 3 planted classes from identical to far apart and from balanced to
5% small, random-intercept SD / residual SD from 0 to 3 (a fifth exactly 0), random-slope SD
from 0 (a fifth) with correlations up to +-0.9; models with 1, 2 and 3 classes.

The start is deterministic from the data (one least-squares line with residual SD s): equal
shares, intercepts spread by 0.8 s around the line's, slopes by 0.05 s per unit of time, D =
diag((0.5 s)^2, (0.5 s / time span)^2), sigma = 0.7 s.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).parent


def draw(k: int, rng: np.random.Generator) -> tuple[pd.DataFrame, dict]:
    K = (1, 2, 2, 3)[k % 4]
    G = int(np.exp(rng.uniform(np.log(8), np.log(250))))
    shape = rng.choice(["mixed", "mostly_single", "balanced"], p=[0.6, 0.2, 0.2])
    if shape == "balanced":
        sizes = np.full(G, rng.integers(2, 11))
    elif shape == "mostly_single":
        sizes = np.where(rng.random(G) < 0.8, 1, rng.integers(2, 11, G))
    else:
        sizes = rng.integers(1, 11, G)
    K_true = int(rng.integers(1, 4))
    shares = rng.dirichlet(np.full(K_true, 2.0))
    if rng.random() < 0.2 and K_true > 1:
        shares = np.r_[0.05, np.full(K_true - 1, 0.95 / (K_true - 1))]
    sigma = float(np.exp(rng.uniform(np.log(1), np.log(15))))
    sep = rng.choice([0.0, rng.uniform(0, 3), rng.uniform(3, 8)]) * sigma
    ints = 40 + sep * np.arange(K_true) * rng.choice([-1, 1])
    slopes = rng.normal(0, 1, K_true) * rng.choice([0.0, 0.3, 1.5])
    ratio = 0.0 if rng.random() < 0.2 else rng.uniform(0, 3)
    span = float(rng.choice([3, 12, 36]))
    slope_sd = 0.0 if rng.random() < 0.2 else rng.uniform(0, 1) * sigma / span
    rho = rng.uniform(-0.9, 0.9)
    tied = rng.random() < 0.3
    g = np.repeat(np.arange(G), sizes)
    n = len(g)
    t = rng.uniform(0, span, n)
    t = np.floor(t) if tied else np.round(t, 2)
    cls = rng.choice(K_true, G, p=shares)
    z = rng.normal(size=(G, 2))
    b0 = ratio * sigma * z[:, 0]
    b1 = slope_sd * (rho * z[:, 0] + np.sqrt(1 - rho**2) * z[:, 1])
    y = ints[cls][g] + slopes[cls][g] * t + b0[g] + b1[g] * t + rng.normal(0, sigma, n)
    data = pd.DataFrame({"dataset": k, "g": g, "t": t, "y": np.round(y, 6)})
    # the deterministic start
    X = np.column_stack([np.ones(n), data["t"]])
    beta, *_ = np.linalg.lstsq(X, data["y"].to_numpy(), rcond=None)
    s = float(np.sqrt(((data["y"] - X @ beta) ** 2).sum() / max(n - 2, 1)))
    offs = np.arange(K) - (K - 1) / 2
    spec = {"dataset": k, "n_classes": K, "patients": G, "rows": n, "shape": shape,
            "true_classes": K_true, "separation": sep / sigma, "smallest_share": shares.min(),
            "sd_ratio": ratio, "slope_sd": slope_sd, "rho": rho, "sigma": sigma,
            "span": span, "tied": tied}
    for j in range(3):
        spec[f"start_share_{j}"] = 1 / K if j < K else np.nan
        spec[f"start_int_{j}"] = beta[0] + 0.8 * s * offs[j] if j < K else np.nan
        spec[f"start_slope_{j}"] = beta[1] + 0.05 * s * offs[j] if j < K else np.nan
    t_span = max(float(np.ptp(data["t"])), 1.0)
    spec.update({"start_d11": (0.5 * s) ** 2, "start_d12": 0.0,
                 "start_d22": (0.5 * s / t_span) ** 2, "start_sigma": 0.7 * s})
    return data, spec


def main() -> None:
    rng = np.random.default_rng(20261122)
    out = [draw(k, rng) for k in range(240)]
    pd.concat([d for d, _ in out]).to_csv(HERE / "latent_data.csv.gz", index=False)
    pd.DataFrame([s for _, s in out]).to_csv(HERE / "latent_spec.csv", index=False,
                                             float_format="%.17g")


if __name__ == "__main__":
    main()
