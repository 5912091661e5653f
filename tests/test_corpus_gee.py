"""The GEE engine against R ``geepack::geeglm`` on a corpus of 240 drawn datasets (issue 15).

Chain: ``tests/results/depression/corpus/make_gee.py`` (5-300 clusters of 1-15 rows, some
mostly single-row, within-cluster correlation 0-0.9, exchangeable or AR(1) processes;
independence, exchangeable and AR(1) working correlations) -> ``gee.R`` (geepack 1.3.9,
epsilon 1e-12) -> ``gee_reference.csv.gz``. CI needs no R.

Per dataset: where geeglm refuses (rank-deficient design) we refuse; where geeglm's estimated
working correlation is not a correlation matrix for the largest cluster (exchangeable alpha at
or below -1/(m - 1), or |AR(1) alpha| >= 1) its numbers are not an answer and we raise; else
coefficients within 1e-6 (relative to max(|estimate|, SE)), robust SEs and the scale within
1e-4 relative, alpha within 1e-6.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from alspaincohort.errors import ModelDataError
from alspaincohort.stats.gee import GEE

CORPUS = Path(__file__).parent / "results" / "depression" / "corpus"
DATA = pd.read_csv(CORPUS / "gee_data.csv.gz")
SPEC = pd.read_csv(CORPUS / "gee_spec.csv")
REF = pd.read_csv(CORPUS / "gee_reference.csv.gz", keep_default_na=False,
                  na_values={"value": ["NA"]})


def _invalid_alpha(corstr: str, alpha: float, largest: int) -> bool:
    if corstr == "exchangeable":
        return largest > 1 and not alpha > -1.0 / (largest - 1)
    return corstr == "ar1" and not abs(alpha) < 1


def test_corpus_spans_the_space() -> None:
    assert len(SPEC) >= 200
    assert set(SPEC["corstr"]) == {"independence", "exchangeable", "ar1"}
    assert (SPEC["shape"] == "mostly_single").sum() >= 20 and (SPEC["rho"] == 0).sum() >= 20


@pytest.mark.parametrize("k", SPEC["dataset"].tolist())
def test_gee_agrees_with_geeglm(k: int, agree) -> None:
    spec = SPEC.iloc[k]
    d = DATA[DATA["dataset"] == k]
    r = REF[REF["dataset"] == k]
    q = {name: g["value"].to_numpy(dtype=float) for name, g in r.groupby("quantity")}

    def fit() -> GEE:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return GEE(spec["corstr"]).fit(d, "y ~ x + f + t", "id")

    if "error" in q:
        with pytest.raises(ModelDataError):
            fit()
        agree.refuse("GEE (geeglm)", k)
        return
    largest = int(d.groupby("id").size().max())
    if "alpha" in q and _invalid_alpha(spec["corstr"], q["alpha"][0], largest):
        with pytest.raises(ModelDataError):
            fit()
        agree.refuse("GEE (geeglm)", k)
        return
    m = fit()
    coef, se = q["coef"], q["se_robust"]
    est = "GEE (geeglm)"
    agree(est, "coefficient", m.params_, coef, dataset=k, rtol=1e-6,
          scale=np.maximum(np.abs(coef), se))
    agree(est, "robust SE", m.bse_, se, dataset=k, rtol=1e-4)
    agree(est, "scale", m.scale_, q["scale"][0], dataset=k, rtol=1e-4)
    if "alpha" in q:
        agree(est, "working correlation", m.working_corr_, q["alpha"][0], dataset=k, rtol=0, atol=1e-6)
