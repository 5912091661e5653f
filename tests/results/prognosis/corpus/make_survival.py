"""Draw the Kaplan-Meier / log-rank reference corpus (issue 15).

Run from the repository root:  python tests/results/prognosis/corpus/make_survival.py
then                           Rscript tests/results/prognosis/corpus/survival.R

Writes ``survival_data.csv.gz`` (dataset, entry, time, event, group, stratum) and
``survival_spec.csv``. The 240 datasets span: 1 to 400 subjects; no delayed entry, or entry
times (left truncation) for some or all subjects; continuous times or times rounded to a coarse
grid (many ties, ties between entries, events and censorings); event shares from 0 to 1 (some
datasets with no event, some with every subject an event); 1 to 4 groups of unequal size;
with or without 1 to 3 strata.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).parent


def draw(k: int, rng: np.random.Generator) -> tuple[pd.DataFrame, dict]:
    n = int(rng.choice([1, 2, 3, 5, 10, 30, 80, 150, 400], p=[.03, .03, .04, .1, .15, .2, .2,
                                                              .15, .1]))
    delayed = rng.choice(["none", "some", "all"], p=[0.3, 0.3, 0.4])
    ties = rng.choice(["continuous", "coarse", "very_coarse"], p=[0.3, 0.4, 0.3])
    p_event = float(rng.choice([0.0, 1.0, rng.uniform(0.05, 0.95)], p=[0.07, 0.07, 0.86]))
    n_groups = int(rng.integers(1, 5))
    group = rng.choice(n_groups, n, p=rng.dirichlet(np.ones(n_groups) * 2))
    n_strata = int(rng.choice([1, 2, 3]))
    stratum = rng.integers(0, n_strata, n)
    hazard = 0.05 * np.exp(0.4 * group - 0.2 * stratum)
    entry = np.where(rng.random(n) < (0.0 if delayed == "none" else 0.5 if delayed == "some"
                                      else 1.0), rng.exponential(15, n), 0.0)
    length = rng.exponential(1 / hazard)
    time = entry + length
    grid = {"continuous": 0.0, "coarse": 1.0, "very_coarse": 6.0}[ties]
    if grid:
        entry = np.floor(entry / grid) * grid
        time = np.ceil(time / grid) * grid
    else:
        entry, time = np.round(entry, 4), np.round(time, 4)
    time = np.where(time <= entry, entry + max(grid, 0.5), time)
    event = (rng.random(n) < p_event).astype(int)
    data = pd.DataFrame({"dataset": k, "entry": entry, "time": time, "event": event,
                         "group": group, "stratum": stratum})
    spec = {"dataset": k, "n": n, "delayed": delayed, "ties": ties, "p_event": p_event,
            "groups": n_groups, "strata": n_strata}
    return data, spec


def main() -> None:
    rng = np.random.default_rng(20261122)
    out = [draw(k, rng) for k in range(240)]
    pd.concat([d for d, _ in out]).to_csv(HERE / "survival_data.csv.gz", index=False)
    pd.DataFrame([s for _, s in out]).to_csv(HERE / "survival_spec.csv", index=False)


if __name__ == "__main__":
    main()
