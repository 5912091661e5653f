"""Draw the pooling corpus (issue 15): 240 sets of m = 2-50 per-imputation estimates and
variances, complete-data df from 3 to infinity, between/within variance ratios from 0 to 20.
Run from the repository root:
    python tests/results/mice/make_data.py && Rscript tests/results/mice/reference.R
Writes pool_input.csv (set, imputation, q, u) and pool_spec.csv (set, m, n, k)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).parent


def main() -> None:
    rng = np.random.default_rng(20261125)
    rows, spec = [], []
    for s in range(240):
        m = int(rng.choice([2, 3, 5, 10, 20, 50]))
        n = float(rng.choice([np.inf, 5, 10, 30, 100, 1000]))
        k = int(rng.integers(1, 4))
        if np.isfinite(n) and n - k < 1:
            n = k + 2
        u0 = np.exp(rng.uniform(-4, 2))
        ratio = float(rng.choice([0.0, rng.uniform(0, 0.2), rng.uniform(0.2, 20)]))
        q = rng.normal(1.0, np.sqrt(u0 * ratio), m) if ratio > 0 else np.full(m, 1.0)
        u = u0 * rng.uniform(0.8, 1.2, m)
        rows += [(s, i, float(a), float(b)) for i, (a, b) in enumerate(zip(q, u, strict=True))]
        spec.append({"set": s, "m": m, "n": n, "k": k})
    pd.DataFrame(rows, columns=["set", "imputation", "q", "u"]).to_csv(
        HERE / "pool_input.csv", index=False, float_format="%.17g")
    pd.DataFrame(spec).to_csv(HERE / "pool_spec.csv", index=False)


if __name__ == "__main__":
    main()
