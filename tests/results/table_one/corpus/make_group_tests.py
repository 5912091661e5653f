"""Draw the Table 1 group-test reference corpus (issue 15).

Run from the repository root:  python tests/results/table_one/corpus/make_group_tests.py
then                           Rscript tests/results/table_one/corpus/group_tests.R

Writes ``continuous.csv.gz`` (dataset, group, value), ``tables.csv.gz`` (dataset, row, col,
count) and ``spec.csv`` (dataset, groups, size, shape, rows, cols, count_scale). The 240
datasets span: 2 to 4 groups of 1 to 150 values each (unequal sizes); normal, skewed,
heavily tied (few distinct values) and constant-within-a-group samples; contingency tables of
2-5 levels by 2-4 groups with expected counts from below 1 to hundreds, some with an empty
level (a zero row) or an empty group.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).parent


def draw(k: int, rng: np.random.Generator) -> tuple[pd.DataFrame, pd.DataFrame, dict]:
    groups = int(rng.choice([2, 3, 4], p=[0.6, 0.25, 0.15]))
    size = int(rng.choice([2, 3, 5, 8, 20, 60, 150], p=[.1, .1, .15, .15, .2, .15, .15]))
    shape = str(rng.choice(["normal", "skewed", "tied", "constant_group"],
                           p=[0.35, 0.25, 0.3, 0.1]))
    rows = []
    for g in range(groups):
        n = max(1, int(rng.integers(max(1, size // 2), size + 2)))
        x = {"normal": rng.normal(50 + 3 * g, 10, n),
             "skewed": rng.lognormal(1 + 0.2 * g, 0.8, n),
             "tied": rng.integers(0, 5, n).astype(float),
             "constant_group": np.full(n, 7.0) if g == 0 else rng.normal(8, 2, n)}[shape]
        rows.append(pd.DataFrame({"dataset": k, "group": g, "value": np.round(x, 6)}))
    r, c = int(rng.integers(2, 6)), int(rng.integers(2, 5))
    scale = float(rng.choice([0.5, 2, 8, 40, 200]))
    probs = rng.dirichlet(np.ones(r) * 1.5, size=c).T  # level distribution per group
    counts = rng.poisson(scale * probs * r)
    if rng.random() < 0.15:
        counts[rng.integers(0, r), :] = 0  # an empty level
    if rng.random() < 0.05:
        counts[:, rng.integers(0, c)] = 0  # an empty group
    cells = pd.DataFrame([{"dataset": k, "row": i, "col": j, "count": int(counts[i, j])}
                          for i in range(r) for j in range(c)])
    spec = {"dataset": k, "groups": groups, "size": size, "shape": shape, "rows": r,
            "cols": c, "count_scale": scale}
    return pd.concat(rows), cells, spec


def main() -> None:
    rng = np.random.default_rng(20261125)
    out = [draw(k, rng) for k in range(240)]
    pd.concat([a for a, _, _ in out]).to_csv(HERE / "continuous.csv.gz", index=False)
    pd.concat([b for _, b, _ in out]).to_csv(HERE / "tables.csv.gz", index=False)
    pd.DataFrame([s for _, _, s in out]).to_csv(HERE / "spec.csv", index=False)


if __name__ == "__main__":
    main()
