"""Random-effects meta-analysis, meta-regression and proportion CIs against metafor and R on
a corpus of 240 drawn datasets (issue 15).

Chain: ``tests/results/meta/corpus/make_meta.py`` draws the study sets (1-60 studies, 3 to
~5,000 patients each, studies with 0 or n events, between-study SD 0 to 1.5 on the logit scale,
a continuous and a binary moderator, the binary one balanced, with a single study in a level or
with an empty level); ``meta.R`` (metafor 3.8.1) stores every transform (logit, Freeman-Tukey
double arcsine, raw) x tau^2 method (REML, DL, PM) x test (z, Hartung-Knapp) fit, the Q-profile
CI of tau^2, the two meta-regressions, and per-study Wilson, Clopper-Pearson and Jeffreys
limits. CI needs no R.

Tolerances: estimates and tau^2 within 1e-6 relative (1e-10 absolute where the value is 0);
standard errors within 1e-4 relative. Where metafor's REML Fisher scoring stops without
converging we show ours is at the maximum of the restricted likelihood; where metafor drops a
moderator with an empty level ("Redundant predictors dropped") we raise ``ModelDataError``.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from alspaincohort.analysis.prevalence import proportion_ci
from alspaincohort.errors import ModelDataError
from alspaincohort.stats import meta

CORPUS = Path(__file__).parent / "results" / "meta" / "corpus"
DATA = pd.read_csv(CORPUS / "meta_data.csv.gz")
SPEC = pd.read_csv(CORPUS / "meta_spec.csv")
REF = pd.read_csv(CORPUS / "meta_reference.csv.gz", keep_default_na=False,
                  na_values={"value": ["NA"]})
BY_DATASET = {k: g.reset_index(drop=True) for k, g in DATA.groupby("dataset")}
REF_BY = {k: g for k, g in REF.groupby("dataset")}
TESTS = {"z": "wald", "knha": "knha"}


def test_corpus_spans_the_space() -> None:
    assert len(SPEC) >= 200
    assert {1, 2, 60} <= set(SPEC["k"]) and set(SPEC["tau"]) == {0.0, 0.2, 0.7, 1.5}
    assert set(SPEC["group_design"]) == {"balanced", "single", "empty"}
    zero_or_all = ((DATA["events"] == 0) | (DATA["events"] == DATA["n"])).sum()
    assert zero_or_all >= 100
    assert REF["quantity"].str.startswith("error: Fisher scoring").any()


META = "Meta-analysis (metafor::rma)"


def _check_fit(fit: meta.RMAFit, ref: pd.Series, names: dict[str, str], method: str,
               y: np.ndarray, v: np.ndarray, X: np.ndarray, agree, k: int) -> None:
    if method == "REML" and ref["tau2"] < 1e-10 and fit.tau2 != ref["tau2"]:
        # metafor's scoring creeps towards the boundary and stops at ~1e-13; ours lands on 0.
        # Both are "0" for tau^2 (checked below to 1e-10), but I^2 and H^2 divide by the
        # tiny typical variance: show ours is the maximum (the score at 0 points outside)
        assert fit.tau2 == 0.0 and meta.reml_score(y, v, X, 0.0) <= 0
        names = {k: r for k, r in names.items() if k not in ("I2", "H2")}
    for ours_name, ref_name in names.items():
        ours = {"b": fit.beta[0], "b0": fit.beta[0], "b1": fit.beta[-1], "tau2": fit.tau2,
                "QE": fit.q, "I2": fit.i2, "H2": fit.h2, "QM": fit.qm,
                "QMp": fit.qm_pvalue}[ours_name]
        agree(META, ours_name, ours, ref[ref_name], dataset=k, rtol=1e-6, atol=1e-10)
    for ref_name, j in (("se", 0), ("se0", 0), ("se1", 1)):
        if ref_name in ref.index:
            agree(META, "SE", fit.se[j], ref[ref_name], dataset=k, rtol=1e-4)


@pytest.mark.parametrize("k", SPEC["dataset"].tolist())
def test_meta_analysis_agrees_with_metafor(k: int, agree) -> None:
    d, ref = BY_DATASET[k], REF_BY[k]
    for (tr, method, test, model), r in ref[ref["transform"] != "ci"].groupby(
            ["transform", "method", "test", "model"]):
        if model == "none_ci":
            continue
        y, v = meta.effect_sizes(d["events"], d["n"], tr)
        X = None if model == "none" else np.column_stack([np.ones(len(d)), d[model]])
        vals = r.set_index("quantity")["value"]
        Xm = np.ones((len(y), 1)) if X is None else X
        if any(q.startswith("warning: Redundant") for q in vals.index):
            with pytest.raises(ModelDataError, match="singular meta-regression moderators"):
                meta.rma(y, v, X, method=method, test=TESTS[test])
            agree.refuse(META, k)
            continue
        fit = meta.rma(y, v, X, method=method, test=TESTS[test])
        if any(q.startswith("error: Fisher scoring") for q in vals.index):
            # metafor stops; ours must sit at the maximum of the restricted likelihood
            best = meta.reml_loglik(y, v, Xm, fit.tau2)
            grid = np.r_[0.0, np.geomspace(1e-6, 100 * (np.var(y) + v.max()), 400)]
            grid_best = max(meta.reml_loglik(y, v, Xm, t) for t in grid)
            agree.criterion(META, "-REML log L where metafor stops: ours - grid's best",
                            -best, -grid_best, dataset=k, scale=max(1.0, abs(grid_best)))
            assert best >= grid_best - 1e-9
            continue
        if model == "none":
            _check_fit(fit, vals, {"b": "b", "tau2": "tau2", "QE": "QE", "I2": "I2",
                                   "H2": "H2"}, method, y, v, Xm, agree, k)
            if "tau2_lo" in vals.index:
                lo, hi = meta.tau2_confint(y, v)
                agree(META, "tau2 Q-profile CI", [lo, hi], [vals["tau2_lo"], vals["tau2_hi"]],
                      dataset=k, rtol=1e-6, atol=1e-10)
        else:
            _check_fit(fit, vals, {"b0": "b0", "b1": "b1", "tau2": "tau2", "QM": "QM",
                                   "QMp": "QMp"}, method, y, v, Xm, agree, k)


@pytest.mark.parametrize("k", SPEC["dataset"].tolist())
def test_proportion_cis_agree_with_r(k: int, agree) -> None:
    d, ref = BY_DATASET[k], REF_BY[k]
    for method, r in ref[ref["transform"] == "ci"].groupby("method"):
        vals = r.set_index("quantity")["value"]
        lo, hi = proportion_ci(d["events"].to_numpy(), d["n"].to_numpy(), method)
        ref_lo = vals[[f"lo_{i}" for i in range(len(d))]]
        ref_hi = vals[[f"hi_{i}" for i in range(len(d))]]
        agree("Proportion CIs (prop.test, binom.test, qbeta)", method, np.r_[lo, hi],
              np.r_[ref_lo, ref_hi], dataset=k, rtol=1e-10, atol=1e-14)
