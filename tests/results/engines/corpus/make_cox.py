"""Draw the Cox-model reference corpus (issue 15).

Run from the repository root:  python tests/results/engines/corpus/make_cox.py
then                           Rscript tests/results/engines/corpus/cox.R

Writes ``cox_data.csv.gz`` (dataset, id, start, stop, event, x1, x2, x3, s) and
``cox_spec.csv``. The 240 datasets span: 5 to 400 subjects with 1 to 6 (start, stop] rows each
(time-varying x1), continuous or heavily tied times, event shares from one event to all
subjects, 1 to 3 strata, a covariate constant within every stratum (not estimable) in some,
an exact or nearly collinear pair in others, a binary covariate, Efron and Breslow ties and
robust (clustered by id) standard errors.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).parent


def draw(k: int, rng: np.random.Generator) -> tuple[pd.DataFrame, dict]:
    n = int(rng.choice([5, 10, 25, 60, 150, 400], p=[.1, .15, .2, .25, .2, .1]))
    n_strata = int(rng.choice([1, 2, 3]))
    design = rng.choice(["plain", "constant_in_strata", "collinear", "near_collinear"],
                        p=[0.55, 0.15, 0.15, 0.15])
    ties = rng.choice(["continuous", "coarse"], p=[0.4, 0.6])
    p_event = float(rng.choice([rng.uniform(0.1, 0.9), 1.0], p=[0.9, 0.1]))
    s = rng.integers(0, n_strata, n)
    x2 = rng.binomial(1, 0.4, n).astype(float)
    x3 = rng.normal(0, 1, n)
    if design == "constant_in_strata":
        x3 = (s * 1.5 + 0.3) if n_strata > 1 else np.full(n, 0.7)
    elif design == "collinear":
        x3 = 2.0 * x2 - 1.0
    elif design == "near_collinear":
        x3 = x2 + rng.normal(0, 1e-4, n)
    rows = []
    for i in range(n):
        n_rows = int(rng.integers(1, 7))
        total = rng.exponential(20 * np.exp(-0.3 * x2[i]))
        cuts = np.sort(rng.uniform(0, total, n_rows - 1))
        bounds = np.r_[0.0, cuts, total]
        if ties == "coarse":
            bounds = np.unique(np.ceil(bounds))
            bounds = np.r_[0.0, bounds[bounds > 0]] if bounds[0] > 0 else bounds
            if len(bounds) < 2:
                bounds = np.array([0.0, 1.0])
        else:
            bounds = np.round(bounds, 4)
            bounds = np.unique(bounds)
            if len(bounds) < 2:
                bounds = np.array([0.0, 0.5])
        event = rng.random() < p_event
        for j in range(len(bounds) - 1):
            rows.append((i, bounds[j], bounds[j + 1], int(event and j == len(bounds) - 2),
                         round(float(rng.normal(0.2 * j, 1)), 4), x2[i], round(float(x3[i]), 6),
                         s[i]))
    data = pd.DataFrame(rows, columns=["id", "start", "stop", "event", "x1", "x2", "x3", "s"])
    if data["event"].sum() == 0:
        data.loc[data.index[-1], "event"] = 1
    data.insert(0, "dataset", k)
    spec = {"dataset": k, "n": n, "rows": len(data), "strata": n_strata, "design": design,
            "ties": ties, "p_event": p_event, "method": "efron" if k % 2 == 0 else "breslow",
            "robust": k % 3 == 0}
    return data, spec


def main() -> None:
    rng = np.random.default_rng(20261123)
    out = [draw(k, rng) for k in range(240)]
    pd.concat([d for d, _ in out]).to_csv(HERE / "cox_data.csv.gz", index=False)
    pd.DataFrame([s for _, s in out]).to_csv(HERE / "cox_spec.csv", index=False)


if __name__ == "__main__":
    main()
