"""Draw the competing-risks and prediction reference corpus (issue 15).

Run from the repository root:  python tests/results/prognosis/corpus/make_competing.py
then                           Rscript tests/results/prognosis/corpus/competing.R

Writes ``competing_data.csv.gz`` (dataset, id, time, cause, x1, x2, score, risk_1, risk_2) and
``competing_spec.csv`` (dataset, n, ties, p_event, p_competing, x2_constant, score_ties, at_1,
at_2). The 240 datasets span: 2 to 400 subjects; continuous times or times on a coarse grid
(ties among events, competing events and censorings); event shares from 0 to 1 with 0 to 70%
of the events from the competing cause; a binary covariate that is constant in some datasets
(an aliased term) and a continuous one; a prognostic score with no ties, a few values or one
value; predicted risks in [0, 1] at two times chosen inside or at the edge of follow-up.
Used by Aalen-Johansen (with its variance), Fine-Gray, Harrell's and Uno's C, time-dependent
AUC and Brier score, and cox.zph.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).parent


def draw(k: int, rng: np.random.Generator) -> tuple[pd.DataFrame, dict]:
    n = int(rng.choice([2, 3, 5, 10, 30, 80, 150, 400],
                       p=[.03, .04, .08, .15, .2, .2, .18, .12]))
    ties = str(rng.choice(["continuous", "coarse", "very_coarse"], p=[0.35, 0.4, 0.25]))
    p_event = float(rng.choice([0.0, 1.0, rng.uniform(0.1, 0.95)], p=[0.05, 0.07, 0.88]))
    p_competing = float(rng.choice([0.0, rng.uniform(0.1, 0.7)], p=[0.15, 0.85]))
    x2_constant = bool(rng.random() < 0.1)
    x1 = np.round(rng.normal(0, 1, n), 3)
    x2 = np.zeros(n, dtype=int) if x2_constant else rng.integers(0, 2, n)
    beta = rng.normal(0, 0.6, 2)
    time = rng.exponential(12 * np.exp(-(beta[0] * x1 + beta[1] * x2)))
    # a time-dependent effect in some datasets, for the PH test to find
    if rng.random() < 0.3:
        time = time ** np.where(x2 == 1, 0.6, 1.0)
    grid = {"continuous": 0.0, "coarse": 1.0, "very_coarse": 4.0}[ties]
    time = np.ceil(time / grid) * grid if grid else np.round(time, 4) + 1e-4
    time = np.maximum(time, grid if grid else 1e-4)
    event = rng.random(n) < p_event
    competing = rng.random(n) < p_competing
    cause = np.where(event, np.where(competing, 2, 1), 0)
    score_ties = str(rng.choice(["none", "few", "one"], p=[0.6, 0.32, 0.08]))
    lp = beta[0] * x1 + beta[1] * x2 + rng.normal(0, 0.5, n)
    score = {"none": np.round(lp, 6), "few": np.round(lp * 2) / 2, "one": np.zeros(n)}[
        score_ties]
    at = np.sort(rng.choice(time, 2)) if n > 1 else np.array([time[0], time[0]])
    base = rng.uniform(0.05, 0.3)
    risk_1 = np.clip(1 - np.exp(-base * np.exp(lp) * at[0] / 12), 0, 1)
    risk_2 = np.clip(1 - np.exp(-base * np.exp(lp) * at[1] / 12), 0, 1)
    data = pd.DataFrame({"dataset": k, "id": np.arange(n), "time": time, "cause": cause,
                         "x1": x1, "x2": x2, "score": score, "risk_1": np.round(risk_1, 8),
                         "risk_2": np.round(risk_2, 8)})
    spec = {"dataset": k, "n": n, "ties": ties, "p_event": p_event,
            "p_competing": p_competing, "x2_constant": x2_constant, "score_ties": score_ties,
            "at_1": float(at[0]), "at_2": float(at[1])}
    return data, spec


def main() -> None:
    rng = np.random.default_rng(20261123)
    out = [draw(k, rng) for k in range(240)]
    pd.concat([d for d, _ in out]).to_csv(HERE / "competing_data.csv.gz", index=False)
    pd.DataFrame([s for _, s in out]).to_csv(HERE / "competing_spec.csv", index=False)


if __name__ == "__main__":
    main()
