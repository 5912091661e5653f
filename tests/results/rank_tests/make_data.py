"""Draw the rank-test corpus (issue 15): 240 pairs of samples of sizes 1 to 80 (both sides of
R's exact threshold of 50), continuous or rounded (ties), paired samples with and without zero
differences. Run from the repository root:
    python tests/results/rank_tests/make_data.py && Rscript tests/results/rank_tests/reference.R
Writes data.csv.gz (dataset, sample, value) and spec.csv."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).parent


def main() -> None:
    rng = np.random.default_rng(20261124)
    rows, spec = [], []
    for k in range(240):
        n1 = int(rng.choice([1, 2, 3, 5, 8, 12, 20, 35, 49, 50, 60, 80]))
        n2 = int(rng.choice([1, 2, 3, 5, 8, 12, 20, 35, 49, 50, 60, 80]))
        digits = int(rng.choice([0, 1, 4]))
        shift = float(rng.choice([0.0, 0.5, 1.5]))
        x = np.round(rng.normal(0, 2, n1) + shift, digits)
        y = np.round(rng.normal(0, 2, n2), digits)
        # the paired test uses x and the first n1 values of a second draw around x
        z = np.round(x + rng.normal(shift / 2, 1, n1), digits)
        if rng.random() < 0.2:
            z[: max(1, n1 // 5)] = x[: max(1, n1 // 5)]  # zero differences
        for name, v in (("x", x), ("y", y), ("z", z)):
            rows += [(k, name, float(a)) for a in v]
        spec.append({"dataset": k, "n1": n1, "n2": n2, "digits": digits, "shift": shift})
    pd.DataFrame(rows, columns=["dataset", "sample", "value"]).to_csv(
        HERE / "data.csv.gz", index=False)
    pd.DataFrame(spec).to_csv(HERE / "spec.csv", index=False)


if __name__ == "__main__":
    main()
