"""The Cox engine against R ``survival::coxph`` on a corpus of 240 drawn datasets (issue 15).

Chain: ``tests/results/engines/corpus/make_cox.py`` draws (start, stop] datasets (5-400
subjects, 1-6 rows each, tied and untied times, 1-3 strata, a covariate constant within every
stratum, exactly or nearly collinear pairs, one event to all subjects, Efron and Breslow ties,
robust SEs); ``cox.R`` (survival 3.5.3, eps 1e-11) stores coxph's coefficients (NA for a term
that cannot be estimated), SEs, log-likelihoods, and its warnings and errors in
``cox_reference.csv.gz``. CI needs no R.

Per dataset:

- coxph clean: the same terms are estimable (R's NA = our NaN row), coefficients within 1e-6
  (relative to max(|estimate|, SE)), SEs (robust where asked) within 1e-4 relative, the log
  partial likelihood within 1e-8 relative;
- coxph warns "beta may be infinite" or "ran out of iterations" (monotone likelihood: no finite
  maximum, the reported numbers depend on the iteration count): we raise ``ModelDataError``
  naming the diverging covariates, never a number;
- coxph stops with an error: we raise, or converge to a finite maximum.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from alspaincohort.errors import ModelDataError
from alspaincohort.stats.cox import CoxTimeVarying

CORPUS = Path(__file__).parent / "results" / "engines" / "corpus"
DATA = pd.read_csv(CORPUS / "cox_data.csv.gz")
SPEC = pd.read_csv(CORPUS / "cox_spec.csv")
REF = pd.read_csv(CORPUS / "cox_reference.csv.gz", keep_default_na=False,
                  na_values={"value": ["NA"]})


def _fit(spec: pd.Series) -> CoxTimeVarying:
    d = DATA[DATA["dataset"] == spec["dataset"]]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return CoxTimeVarying(ties=spec["method"]).fit(
            d, "id", "start", "stop", "event", formula="x1 + x2 + x3",
            strata="s" if spec["strata"] > 1 else None, robust=bool(spec["robust"]))


def test_corpus_spans_the_space() -> None:
    assert len(SPEC) >= 200
    assert set(SPEC["design"]) == {"plain", "constant_in_strata", "collinear",
                                   "near_collinear"}
    assert set(SPEC["method"]) == {"efron", "breslow"} and SPEC["robust"].any()
    warned = REF[REF["quantity"].isin(["warning", "error"])]["dataset"].nunique()
    assert 20 <= warned <= 80  # monotone likelihoods are in, but most datasets are regular
    na = REF[(REF["quantity"] == "coef") & REF["value"].isna()]["dataset"].nunique()
    assert na >= 20  # terms R cannot estimate


@pytest.mark.parametrize("k", SPEC["dataset"].tolist())
def test_cox_agrees_with_coxph(k: int, agree) -> None:
    spec = SPEC.iloc[k]
    r = REF[REF["dataset"] == k]
    errors = r[r["quantity"] == "error"]
    warned = r[r["quantity"] == "warning"]
    if len(errors):
        try:
            m = _fit(spec)
        except ModelDataError:
            agree.refuse("Cox (coxph)", k)
            return
        assert m.converged_
        return
    if len(warned):
        # R warns (beta may be infinite, or ran out of iterations): ours refuses with its own
        # error. Where no covariate varies within any risk set (the information is zero up
        # to rounding), R iterates on rounding noise until it gives up; ours says that no
        # covariate can be estimated
        with pytest.raises(ModelDataError,
                           match="no finite maximum|did not converge|no covariate can be est"):
            _fit(spec)
        agree.refuse("Cox (coxph)", k)
        return
    m = _fit(spec)
    coef = r[r["quantity"] == "coef"].set_index("term")["value"]
    se = r[r["quantity"] == "se"].set_index("term")["value"]
    ll = r[r["quantity"] == "loglik"].set_index("term")["value"]
    summ = m.summary.reindex(coef.index)
    est = "Cox (coxph)"
    agree(est, "coefficient", summ["estimate"], coef, dataset=k, rtol=1e-6,
          scale=np.maximum(np.abs(coef), se))
    ok = coef.notna()  # R's vcov holds 0 for a term it reports as NA
    agree(est, "SE", summ["std_error"][ok], se[ok], dataset=k, rtol=1e-4)
    agree(est, "log partial likelihood", [m.llf_, m.llf_null_],
          [ll["fit"], ll["null"]], dataset=k, rtol=1e-8)
    assert sorted(m.aliased_) == sorted(coef.index[coef.isna()])


def test_covariate_constant_within_strata_is_reported_not_estimated() -> None:
    """Issue 15: SE 4e6 and converged_=True before; R drops the term as NA."""
    rng = np.random.default_rng(1)
    n = 200
    df = pd.DataFrame({"id": np.arange(n), "start": 0.0,
                       "stop": rng.exponential(10, n).round(1) + 0.1,
                       "event": rng.random(n) < 0.7, "s": rng.integers(0, 3, n),
                       "x": rng.normal(size=n), "z": rng.normal(size=n)})
    df["c"] = df["s"] * 2.0 + 1
    with pytest.warns(UserWarning, match=r"\['c'\] cannot be estimated"):
        m = CoxTimeVarying().fit(df, "id", "start", "stop", "event", formula="x + c + z",
                                 strata="s")
    assert m.aliased_ == ["c"] and list(m.params_.index) == ["x", "z"]
    assert m.summary.loc["c"].isna().all() and m.summary.loc[["x", "z"]].notna().all().all()
    assert np.isfinite(m.bse_).all() and m.bse_.max() < 1


def test_monotone_likelihood_raises_naming_the_covariate() -> None:
    df = pd.DataFrame({"id": range(6), "start": 0.0, "stop": [1, 2, 3, 4, 5, 6],
                       "event": [1, 1, 1, 0, 1, 0], "x": [5, 4, 3, 2, 1, 0],
                       "w": [0.3, -1, 2, 0.1, 0.5, 1]})
    with pytest.raises(ModelDataError, match=r"no finite maximum.*'x'"):
        CoxTimeVarying().fit(df, "id", "start", "stop", "event", formula="x + w")
