"""Draw the first-to-last change reference corpus (issue 15).

Run from the repository root:  python tests/results/trajectories/corpus/make_first_last.py
then                           Rscript tests/results/trajectories/corpus/first_last.R

Writes ``first_last_data.csv.gz`` (every dataset, long VAS rows in shuffled order: dataset,
patient_id, day, value) and ``first_last_spec.csv`` (dataset, only_with_pain, the drawing
parameters). The 240 datasets span what users bring to :func:`first_last_change`: 1 to 300
patients, 1 to 8 visits (single-visit patients are left out by the analysis), patients without
pain (VAS 0 throughout; left out when only_with_pain), whole and half millimetre values
(exactly representable in the assessments table), changes with many ties and zeros, a few
datasets where every change is the same (the t test is undefined) or only one patient is
left, and small samples where the signed-rank p-value is exact.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).parent


def draw(k: int, rng: np.random.Generator) -> tuple[pd.DataFrame, dict]:
    G = int(np.exp(rng.uniform(0, np.log(300))))
    scenario = rng.choice(["typical", "ties", "constant", "no_pain_mix"], p=[0.55, 0.2, 0.05, 0.2])
    half = rng.random() < 0.3
    only_with_pain = rng.random() < 2 / 3
    rows = []
    for i in range(G):
        n = int(rng.integers(1, 9))
        days = np.sort(rng.choice(721, n, replace=False))
        if scenario == "no_pain_mix" and rng.random() < 0.3:
            vals = np.zeros(n)
        elif scenario == "constant":
            vals = np.full(n, float(rng.integers(1, 60)))
            vals[-1] = vals[0] + 5
        else:
            base = rng.uniform(0, 80)
            drift = rng.normal(0.02, 0.05) * days
            noise = rng.normal(0, 12 if scenario != "ties" else 2, n)
            vals = np.clip(base + drift + noise, 0, 100)
            vals = np.round(vals * 2) / 2 if half else np.round(vals)
            if scenario == "ties":
                vals = np.round(vals / 10) * 10
        rows += [(f"P{k:03d}-{i:03d}", int(d), float(v)) for d, v in zip(days, vals, strict=True)]
    data = pd.DataFrame(rows, columns=["patient_id", "day", "value"])
    data = data.iloc[rng.permutation(len(data))]
    data.insert(0, "dataset", k)
    spec = {"dataset": k, "only_with_pain": only_with_pain, "patients": G,
            "rows": len(data), "scenario": scenario, "half_mm": half}
    return data, spec


def main() -> None:
    rng = np.random.default_rng(15_2026)
    out = [draw(k, rng) for k in range(240)]
    pd.concat([d for d, _ in out]).to_csv(HERE / "first_last_data.csv.gz", index=False)
    pd.DataFrame([s for _, s in out]).to_csv(HERE / "first_last_spec.csv", index=False)


if __name__ == "__main__":
    main()
