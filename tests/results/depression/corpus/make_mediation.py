"""Draw the mediation point-estimate reference corpus (issue 15).

Run from the repository root:  python tests/results/depression/corpus/make_mediation.py
then                           Rscript tests/results/depression/corpus/mediation.R

Writes ``mediation_data.csv.gz`` (dataset, x, m, y, age, site: a factor) and
``mediation_spec.csv`` (dataset, n, exposure, design, effect). The 240 datasets span: 6 to
1,000 patients; a continuous or binary exposure; no, weak or strong mediation (indirect
effect 0 to most of the total); a covariate factor with 2-4 levels, one of them rare or empty
(a level that never occurs: the factor is coded from the levels present); a covariate nearly
collinear with the exposure; and exactly collinear designs (a covariate equal to the exposure)
where R's ``lm`` reports NA and ours must refuse.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).parent


def draw(k: int, rng: np.random.Generator) -> tuple[pd.DataFrame, dict]:
    n = int(rng.choice([6, 10, 25, 60, 200, 1000], p=[.08, .12, .2, .25, .2, .15]))
    exposure = str(rng.choice(["continuous", "binary"], p=[0.7, 0.3]))
    design = str(rng.choice(["plain", "rare_level", "near_collinear", "collinear"],
                            p=[0.5, 0.2, 0.2, 0.1]))
    effect = float(rng.choice([0.0, 0.3, 1.0]))
    x = rng.normal(5, 2, n) if exposure == "continuous" else rng.integers(0, 2, n) * 1.0
    n_levels = int(rng.integers(2, 5))
    p = np.ones(n_levels) / n_levels
    if design == "rare_level":
        p = np.r_[np.full(n_levels - 1, 0.97 / (n_levels - 1)), 0.03]
    site = rng.choice([f"s{j}" for j in range(n_levels)], n, p=p)
    age = np.round(rng.normal(60, 10, n), 1)
    if design == "near_collinear":
        age = np.round(x * 3 + rng.normal(0, 0.05, n), 4)
    elif design == "collinear":
        age = x * 1.0
    m = effect * x + 0.05 * age + rng.normal(0, 1, n)
    y = 0.5 * x + 0.8 * m + 0.02 * age + rng.normal(0, 1.5, n)
    data = pd.DataFrame({"dataset": k, "x": x, "m": np.round(m, 6), "y": np.round(y, 6),
                         "age": age, "site": site})
    spec = {"dataset": k, "n": n, "exposure": exposure, "design": design, "effect": effect}
    return data, spec


def main() -> None:
    rng = np.random.default_rng(20261127)
    out = [draw(k, rng) for k in range(240)]
    pd.concat([d for d, _ in out]).to_csv(HERE / "mediation_data.csv.gz", index=False)
    pd.DataFrame([s for _, s in out]).to_csv(HERE / "mediation_spec.csv", index=False)


if __name__ == "__main__":
    main()
