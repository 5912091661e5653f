"""Aalen-Johansen, Fine-Gray, Harrell's and Uno's C, time-dependent AUC and Brier score, and
cox.zph against R on a corpus of 240 drawn datasets (issue 15).

Chain: ``tests/results/prognosis/corpus/make_competing.py`` draws the datasets (2-400
subjects, tied and untied times, 0 to all subjects with an event, 0-70% competing events, an
aliased covariate, scores with no ties / few values / one value, prediction times at the edge
of follow-up); ``competing.R`` (survival 3.5.3, riskRegression 2022.11.28) stores R's answers
in ``competing_reference.csv.gz``. CI needs no R.

Tolerances: estimates 1e-6 relative (1e-10 absolute for probabilities), standard errors 1e-4
relative, as the issue sets. Where coxph warns of a monotone likelihood ("beta may be infinite",
"ran out of iterations") we must raise ``ModelDataError`` instead of a number; where
``cox.zph`` stops on a singular system we must raise too.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from alspaincohort.errors import ModelDataError
from alspaincohort.stats.concordance import harrell_c, uno_c
from alspaincohort.stats.cox import CoxTimeVarying
from alspaincohort.stats.finegray import FineGray, finegray_rows
from alspaincohort.stats.prediction import brier_score, time_dependent_auc
from alspaincohort.stats.survival import aalen_johansen
from alspaincohort.stats.zph import cox_zph

CORPUS = Path(__file__).parent / "results" / "prognosis" / "corpus"
DATA = pd.read_csv(CORPUS / "competing_data.csv.gz")
SPEC = pd.read_csv(CORPUS / "competing_spec.csv")
REF = pd.read_csv(CORPUS / "competing_reference.csv.gz", keep_default_na=False,
                  na_values={"value": ["NA"]})
DATASETS = SPEC["dataset"].tolist()
BY_DATASET = {k: g.reset_index(drop=True) for k, g in DATA.groupby("dataset")}
REF_BY = {k: {q: pd.Series(r["value"].to_numpy(), index=r["term"].to_numpy(), dtype=float)
              for q, r in g.groupby("quantity")} for k, g in REF.groupby("dataset")}


def _data(k: int) -> pd.DataFrame:
    return BY_DATASET[k]


def _ref(k: int, quantity: str) -> pd.Series:
    return REF_BY.get(k, {}).get(quantity, pd.Series(dtype=float))


def _has(k: int, quantity: str) -> bool:
    return quantity in REF_BY.get(k, {})


def test_corpus_spans_the_space() -> None:
    assert len(SPEC) >= 200
    assert set(SPEC["ties"]) == {"continuous", "coarse", "very_coarse"}
    assert set(SPEC["score_ties"]) == {"none", "few", "one"}
    assert SPEC["x2_constant"].sum() >= 10
    events = DATA.groupby("dataset")["cause"].agg(lambda c: (c > 0).mean())
    assert (events == 0).sum() >= 5 and (events == 1).sum() >= 5
    assert REF["quantity"].str.startswith("fg_efron_warning").any()
    assert REF["quantity"].eq("zph_error").any()


@pytest.mark.parametrize("k", DATASETS)
def test_aalen_johansen_and_its_variance_agree_with_survfit(k: int, agree) -> None:
    d = _data(k)
    if not (d["cause"] > 0).any():
        aj = aalen_johansen(d["time"], d["cause"], 1)
        assert aj.empty
        return
    for cause in (1, 2):
        ours = aalen_johansen(d["time"], d["cause"], cause)
        est = "Aalen-Johansen (survfit)"
        agree(est, "time", ours["time"], _ref(k, f"aj_{cause}_time"), dataset=k, rtol=1e-12)
        agree(est, "CIF", ours["cif"], _ref(k, f"aj_{cause}_cif"), dataset=k, rtol=1e-10,
              atol=1e-12)
        agree(est, "SE", ours["std_err"], _ref(k, f"aj_{cause}_std_err"), dataset=k,
              rtol=1e-4, atol=1e-12)
        for lim in ("lower", "upper"):
            agree(est, "CI limits", ours[lim], _ref(k, f"aj_{cause}_{lim}"), dataset=k,
                  rtol=1e-4, atol=1e-12)


def _fine_gray(d: pd.DataFrame, ties: str, engine: str) -> CoxTimeVarying:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the aliased-term warning is checked elsewhere
        if engine == "risk sets":  # weights per risk set, no expanded rows
            return FineGray(ties=ties).fit(d[["time", "cause", "x1", "x2"]], "time", "cause",
                                           1, formula="x1 + x2")
        rows = finegray_rows(d["time"], d["cause"], 1).join(d[["id", "x1", "x2"]], on="row")
        return CoxTimeVarying(ties=ties).fit(rows, "id", "start", "stop", "event",
                                             formula="x1 + x2", weights="weight", robust=True)


@pytest.mark.parametrize("engine", ["expanded rows", "risk sets"])
@pytest.mark.parametrize("ties", ["efron", "breslow"])
@pytest.mark.parametrize("k", DATASETS)
def test_fine_gray_agrees_with_finegray_coxph(k: int, ties: str, engine: str, agree) -> None:
    """Both Fine-Gray fits, R's expanded rows in a weighted Cox model and FineGray (weights
    per risk set), against finegray + coxph(..., cluster(id))."""
    d = _data(k)
    tag = f"fg_{ties}"
    est = f"Fine-Gray ({engine})"
    if not (d["cause"] == 1).any():
        with pytest.raises(ModelDataError, match="no event of cause 1"):
            _fine_gray(d, ties, engine)
        agree.refuse(est, (k, ties))
        return
    if _has(k, f"{tag}_warning"):
        with pytest.raises(ModelDataError, match="no finite maximum|did not converge"):
            _fine_gray(d, ties, engine)
        agree.refuse(est, (k, ties))
        return
    m = _fine_gray(d, ties, engine)
    coef, se = _ref(k, f"{tag}_coef"), _ref(k, f"{tag}_robust_se")
    naive, ll = _ref(k, f"{tag}_naive_se"), _ref(k, f"{tag}_loglik")
    summ = m.summary.reindex(coef.index)
    ok = coef.notna().to_numpy()
    agree(est, "coefficient", summ["estimate"], coef, dataset=(k, ties), rtol=1e-6,
          scale=np.maximum(np.abs(coef), se))
    agree(est, "robust SE", summ["std_error"][ok], se[ok], dataset=(k, ties), rtol=1e-4)
    naive_ours = np.sqrt(np.diag(m.naive_cov_params_))
    agree(est, "model SE", naive_ours, naive[ok], dataset=(k, ties), rtol=1e-4)
    agree(est, "log partial likelihood", m.llf_, ll["fit"], dataset=(k, ties),
          rtol=1e-8)


@pytest.mark.parametrize("k", DATASETS)
def test_concordance_agrees_with_survival_concordance(k: int, agree) -> None:
    d = _data(k)
    time, event, score = d["time"].to_numpy(), (d["cause"] > 0).to_numpy(), d["score"]
    if not _has(k, "harrell"):  # no event or one subject: R's NaN, our error
        with pytest.raises(ModelDataError, match="no comparable pair"):
            harrell_c(time, event, score.to_numpy())
        agree.refuse("Harrell's C (concordance)", k)
        return
    agree("Harrell's C (concordance)", "C", harrell_c(time, event, score.to_numpy()),
          _ref(k, "harrell").iloc[0], dataset=k, rtol=1e-10)
    tau = float(SPEC.loc[SPEC["dataset"] == k, "at_2"].iloc[0])
    ref = _ref(k, "uno").iloc[0]
    if np.isnan(ref):  # no comparable pair before tau: R's NaN, our error
        with pytest.raises(ModelDataError, match="no comparable pair"):
            uno_c(time, event, score.to_numpy(), tau=tau)
        agree.refuse("Uno's C (concordance, timewt='n/G2')", k)
    else:
        agree("Uno's C (concordance, timewt='n/G2')", "C",
              uno_c(time, event, score.to_numpy(), tau=tau), ref, dataset=k, rtol=1e-10)


@pytest.mark.parametrize("k", DATASETS)
def test_auc_and_brier_agree_with_riskregression_score(k: int, agree) -> None:
    d = _data(k)
    spec = SPEC[SPEC["dataset"] == k].iloc[0]
    time, event = d["time"].to_numpy(), (d["cause"] > 0).to_numpy()
    auc, brier = _ref(k, "auc"), _ref(k, "brier")
    for j in (1, 2):
        at, risk = float(spec[f"at_{j}"]), d[f"risk_{j}"].to_numpy()
        if f"at_{j}" not in auc.index:
            with pytest.raises(ModelDataError, match="no events by time|nobody is followed"):
                time_dependent_auc(time, event, risk, at)
            with pytest.raises(ModelDataError, match="no events by time|nobody is followed"):
                brier_score(time, event, risk, at)
            agree.refuse("AUC(t), Brier(t) (riskRegression::Score)", (k, j))
            continue
        est = "AUC(t), Brier(t) (riskRegression::Score)"
        agree(est, "AUC", time_dependent_auc(time, event, risk, at), auc[f"at_{j}"],
              dataset=(k, j), rtol=1e-10)
        agree(est, "Brier", brier_score(time, event, risk, at), brier[f"at_{j}"],
              dataset=(k, j), rtol=1e-10)


@pytest.mark.parametrize("k", DATASETS)
def test_cox_zph_agrees_with_r(k: int, agree) -> None:
    d = _data(k).assign(start=0.0, status=lambda x: (x["cause"] > 0).astype(int))
    if not _has(k, "zph_chisq") and not _has(k, "zph_error") and not _has(
            k, "zph_cox_warning"):
        return  # fewer than two events, or an aliased term: R computes no test
    if _has(k, "zph_cox_warning"):
        with pytest.raises(ModelDataError, match="no finite maximum|did not converge"):
            CoxTimeVarying().fit(d, "id", "start", "time", "status", formula="x1 + x2")
        agree.refuse("cox.zph", k)
        return
    m = CoxTimeVarying().fit(d, "id", "start", "time", "status", formula="x1 + x2")
    if _has(k, "zph_error"):
        with pytest.raises(ModelDataError):
            cox_zph(m, transform="km")
        agree.refuse("cox.zph", k)
        return
    table = cox_zph(m, transform="km").table.set_index("term")
    chisq, df, p = _ref(k, "zph_chisq"), _ref(k, "zph_df"), _ref(k, "zph_p")
    agree("cox.zph", "chi-square", table.loc[chisq.index, "chisq"], chisq, dataset=k, rtol=1e-6)
    np.testing.assert_array_equal(table.loc[df.index, "df"], df)
    agree("cox.zph", "p-value", table.loc[p.index, "p_value"], p, dataset=k, rtol=1e-6,
          atol=1e-300)
