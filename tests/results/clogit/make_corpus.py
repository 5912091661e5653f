"""Draw the conditional-logistic corpus (issue 20): 300 matched data sets for R's clogit.

Run from the repository root:  python tests/results/clogit/make_corpus.py
then                           Rscript tests/results/clogit/clogit.R

Designs (``spec.design``), 60 data sets each:

- ``one_case``: 1:k matching (k 1-10), 5-300 sets; the three methods coincide;
- ``m_to_n``: 1-4 cases among 2-12 members, so exact, Breslow and Efron differ;
- ``ragged``: set sizes and case counts vary within the data set, with sets of cases only and
  sets without a case (uninformative: the exact likelihood ignores them, Breslow and Efron do
  not, as in R);
- ``constant_in_sets``: x3 is constant within every set (R reports NA: not estimable);
- ``sparse``: few sets and a rare binary exposure, where the likelihood can be monotone (R
  warns that beta may be infinite: we must refuse, never report a number).

Covariates: x1 normal (shifted for cases by a drawn log OR), x2 binary with a drawn prevalence
0.02-0.5 (ties), x3 an integer category 0-3 (a DDD category, ties).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).parent
DESIGNS = ("one_case", "m_to_n", "ragged", "constant_in_sets", "sparse")


def draw(k: int, design: str, rng: np.random.Generator) -> pd.DataFrame:
    if design == "one_case":
        n_sets = int(rng.integers(5, 301))
        size = np.full(n_sets, int(rng.integers(2, 12)))
        cases = np.ones(n_sets, dtype=int)
    elif design == "m_to_n":
        n_sets = int(rng.integers(5, 80))
        n = int(rng.integers(3, 13))
        size = np.full(n_sets, n)
        cases = np.full(n_sets, int(rng.integers(2, min(4, n - 1) + 1)))
    elif design == "sparse":
        n_sets = int(rng.integers(3, 12))
        size = rng.integers(2, 5, n_sets)
        cases = np.ones(n_sets, dtype=int)
    else:
        n_sets = int(rng.integers(10, 120))
        size = rng.integers(1, 11, n_sets)
        cases = np.minimum(rng.integers(0, 4, n_sets), size)
    rows = []
    b1, b2, b3 = rng.normal(0, 0.6, 3)
    prev = float(rng.uniform(0.02, 0.5)) if design != "sparse" else 0.15
    for s in range(n_sets):
        n, m = int(size[s]), int(cases[s])
        case = np.r_[np.ones(m, dtype=int), np.zeros(n - m, dtype=int)]
        x1 = rng.normal(size=n) + b1 * case
        x2 = (rng.random(n) < prev * np.exp(b2 * case) / (1 + prev * (np.exp(b2 * case) - 1))
              ).astype(int)
        x3 = np.minimum(rng.poisson(0.8 + 0.5 * abs(b3) * case), 3)
        if design == "constant_in_sets":
            x3 = np.full(n, int(rng.integers(0, 4)))
        rows.append(pd.DataFrame({"dataset": k, "set": s, "case": case, "x1": x1.round(4),
                                  "x2": x2, "x3": x3}))
    return pd.concat(rows, ignore_index=True)


def main() -> None:
    rng = np.random.default_rng(20261205)
    data, spec = [], []
    for k in range(300):
        design = DESIGNS[k % len(DESIGNS)]
        d = draw(k, design, rng)
        data.append(d)
        spec.append({"dataset": k, "design": design, "n": len(d),
                     "sets": d["set"].nunique()})
    pd.concat(data).to_csv(HERE / "clogit_data.csv.gz", index=False)
    pd.DataFrame(spec).to_csv(HERE / "clogit_spec.csv", index=False)


if __name__ == "__main__":
    main()
