"""A small population for comparing the risk-set sampler with R's ``Epi::ccwc`` (issue 20).

Run from the repository root:  python tests/results/ccwc/make_data.py
then                           Rscript tests/results/ccwc/ccwc.R

300 persons in 2 sexes x 3 birth years (matching strata of ~50), entering over the first
years and leaving at death, emigration or the end; 30 cases, two pairs of them diagnosed on the
same day in the same stratum (tied cases share a set), and persons whose exit or entry falls on
a case's index date (eligible: ccwc's entry <= t <= exit). Dates are days since 2000-01-01.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).parent


def main() -> None:
    rng = np.random.default_rng(20261205)
    n = 300
    d = pd.DataFrame({"person_id": np.arange(1, n + 1),
                      "sex": rng.choice(["female", "male"], n),
                      "birth_year": rng.choice([1950, 1951, 1952], n),
                      "entry": np.where(rng.random(n) < 0.7, 0, rng.integers(0, 2000, n)),
                      })
    d["exit"] = np.minimum(d["entry"] + rng.integers(300, 5000, n), 4000)
    case = rng.choice(n, 30, replace=False)
    d["als"] = np.nan
    d.loc[case, "als"] = (d.loc[case, "entry"] + (rng.random(30) * (d.loc[case, "exit"]
                          - d.loc[case, "entry"])).astype(int)).astype(float)
    # ties: two pairs of cases on one day in one stratum
    for a, b in ((case[0], case[1]), (case[2], case[3])):
        d.loc[b, ["sex", "birth_year"]] = d.loc[a, ["sex", "birth_year"]].to_numpy()
        t = max(d.loc[a, "als"], d.loc[b, "entry"] + 1)
        d.loc[[a, b], "als"] = t
        d.loc[[a, b], "exit"] = np.maximum(d.loc[[a, b], "exit"], t)
    # boundaries: a non-case leaving on a case's index date, one entering on it
    t0 = d.loc[case[5], "als"]
    same = d.index[(d["sex"] == d.loc[case[5], "sex"])
                   & (d["birth_year"] == d.loc[case[5], "birth_year"]) & d["als"].isna()]
    d.loc[same[0], "exit"] = t0
    d.loc[same[1], ["entry", "exit"]] = [t0, max(t0 + 100, d.loc[same[1], "exit"])]
    d["exit_at_risk"] = np.where(d["als"].notna(), d["als"], d["exit"])
    d["fail"] = d["als"].notna().astype(int)
    d.to_csv(HERE / "population.csv", index=False)


if __name__ == "__main__":
    main()
