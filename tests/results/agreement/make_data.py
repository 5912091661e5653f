"""Draw the agreement corpus (issue 21): 240 subjects x raters tables for the intraclass
correlations (2 to 300 subjects, 2 to 6 raters, subject variance from 0 to large against the
rater and error variances, ratings rounded to whole numbers: ties, zero error) and 240 pairs of
raters' ordered categories for kappa (2 to 5 categories, some never used, agreement from none to
perfect). Run from the repository root:
    python tests/results/agreement/make_data.py && Rscript tests/results/agreement/reference.R
Writes icc.csv.gz (dataset, subject, rater, value), kappa.csv.gz (dataset, x, y) and
spec.csv."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).parent


def main() -> None:
    rng = np.random.default_rng(20261204)
    icc_rows, kappa_rows, spec = [], [], []
    for k in range(240):
        n = int(rng.choice([2, 3, 5, 10, 30, 100, 300]))
        raters = int(rng.choice([2, 3, 4, 6]))
        s_subject = float(rng.choice([0.0, 0.01, 1.0, 3.0]))
        s_rater = float(rng.choice([0.0, 0.5, 3.0]))
        s_error = float(rng.choice([0.0, 0.01, 1.0])) if s_subject or s_rater else 1.0
        digits = int(rng.choice([0, 1, 6]))
        x = (5 + rng.normal(0, s_subject, (n, 1)) + rng.normal(0, s_rater, (1, raters))
             + rng.normal(0, s_error, (n, raters)))
        x = np.round(x, digits)
        icc_rows += [(k, i, j, float(x[i, j])) for i in range(n) for j in range(raters)]
        m = int(rng.choice([2, 3, 4, 5]))
        pairs = int(rng.choice([5, 12, 40, 150, 400]))
        noise = float(rng.choice([0.0, 0.4, 1.0, 3.0]))
        a = rng.integers(0, m, pairs) if rng.random() < 0.8 else \
            np.minimum(rng.geometric(0.6, pairs) - 1, m - 1)  # some categories rare or unused
        b = np.clip(np.round(a + rng.normal(0, noise, pairs)), 0, m - 1).astype(int)
        kappa_rows += [(k, int(u), int(v)) for u, v in zip(a, b, strict=True)]
        spec.append({"dataset": k, "n": n, "raters": raters, "s_subject": s_subject,
                     "s_rater": s_rater, "s_error": s_error, "digits": digits,
                     "categories": m, "pairs": pairs, "noise": noise})
    pd.DataFrame(icc_rows, columns=["dataset", "subject", "rater", "value"]).to_csv(
        HERE / "icc.csv.gz", index=False)
    pd.DataFrame(kappa_rows, columns=["dataset", "x", "y"]).to_csv(HERE / "kappa.csv.gz",
                                                                    index=False)
    pd.DataFrame(spec).to_csv(HERE / "spec.csv", index=False)


if __name__ == "__main__":
    main()
