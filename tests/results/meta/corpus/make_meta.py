"""Draw the meta-analysis and proportion-CI reference corpus (issue 15).

Run from the repository root:  python tests/results/meta/corpus/make_meta.py
then                           Rscript tests/results/meta/corpus/meta.R

Writes ``meta_data.csv.gz`` (dataset, study, events, n, year, group) and ``meta_spec.csv``
(dataset, k, tau, p_mean, n_scale, group_design). The 240 datasets span: 1 to 60 studies; study
sizes from 3 to ~5,000; pooled proportions from 0.01 to 0.95, so that studies with 0 or n
events are common; between-study SD on the logit scale 0 (homogeneous: tau^2 estimates at the
boundary 0), 0.2, 0.7 or 1.5; a continuous moderator (year) and a binary one (group) that is
balanced, has a single study in one level, or has every study in one level (an empty level:
the moderator cannot be estimated).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).parent


def draw(k_id: int, rng: np.random.Generator) -> tuple[pd.DataFrame, dict]:
    k = int(rng.choice([1, 2, 3, 4, 6, 10, 20, 35, 60],
                       p=[.05, .07, .1, .1, .15, .18, .15, .12, .08]))
    tau = float(rng.choice([0.0, 0.2, 0.7, 1.5]))
    p_mean = float(rng.choice([0.01, 0.05, 0.2, 0.5, 0.8, 0.95]))
    n_scale = float(rng.choice([8, 40, 200, 1000]))
    n = np.maximum(3, np.round(rng.lognormal(np.log(n_scale), 0.8, k))).astype(int)
    year = np.round(rng.uniform(1990, 2024, k))
    design = str(rng.choice(["balanced", "single", "empty"], p=[0.7, 0.15, 0.15]))
    group = rng.integers(0, 2, k)
    if design == "single":
        group = np.zeros(k, dtype=int)
        group[rng.integers(0, k)] = 1
    elif design == "empty":
        group = np.zeros(k, dtype=int)
    logit = np.log(p_mean / (1 - p_mean)) + 0.3 * group + rng.normal(0, tau, k)
    events = rng.binomial(n, 1 / (1 + np.exp(-logit)))
    data = pd.DataFrame({"dataset": k_id, "study": np.arange(k), "events": events, "n": n,
                         "year": year, "group": group})
    spec = {"dataset": k_id, "k": k, "tau": tau, "p_mean": p_mean, "n_scale": n_scale,
            "group_design": design}
    return data, spec


def main() -> None:
    rng = np.random.default_rng(20261124)
    out = [draw(k, rng) for k in range(240)]
    pd.concat([d for d, _ in out]).to_csv(HERE / "meta_data.csv.gz", index=False)
    pd.DataFrame([s for _, s in out]).to_csv(HERE / "meta_spec.csv", index=False)


if __name__ == "__main__":
    main()
