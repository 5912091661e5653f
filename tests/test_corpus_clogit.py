"""Conditional logistic regression against R ``survival::clogit`` on a corpus of 300 drawn
matched data sets, each fitted by the exact, Breslow and Efron likelihoods (issue 20).

Chain: ``tests/results/clogit/make_corpus.py`` draws the data sets (1:k matching, m:n sets,
ragged sets with all-case and case-free sets, a covariate constant within every set, sparse
sets with rare exposure); ``clogit.R`` (survival 3.5.3, eps 1e-11) stores clogit's coefficients
(NA for a term it cannot estimate), SEs, log-likelihoods and warnings in
``clogit_reference.csv.gz``. CI needs no R.

Per fit:

- clogit clean: the same terms are estimable, coefficients within 1e-6 (relative to
  max(|estimate|, SE)), SEs within 1e-6 relative, log-likelihoods (at 0 and at the estimate)
  within 1e-8 relative;
- clogit warns that a coefficient may be infinite or ran out of iterations (a monotone
  likelihood): we raise ``ModelDataError``, never a number; so also where clogit reports NA,
  without a warning, for a term that varies within some set (the coefficient ran off to
  infinity until its information vanished).
"""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from alspaincohort.errors import ModelDataError
from alspaincohort.stats import ConditionalLogit

CORPUS = Path(__file__).parent / "results" / "clogit"
DATA = pd.read_csv(CORPUS / "clogit_data.csv.gz")
SPEC = pd.read_csv(CORPUS / "clogit_spec.csv")
REF = pd.read_csv(CORPUS / "clogit_reference.csv.gz", keep_default_na=False,
                  na_values={"value": ["NA"]})
METHODS = ("exact", "breslow", "efron")


def _fit(k: int, method: str) -> ConditionalLogit:
    d = DATA[DATA["dataset"] == k]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return ConditionalLogit(method=method).fit(d, case="case", group="set",
                                                   formula="x1 + x2 + x3")


def test_corpus_spans_the_space() -> None:
    assert len(SPEC) == 300
    assert set(SPEC["design"]) == {"one_case", "m_to_n", "ragged", "constant_in_sets",
                                   "sparse"}
    warned = REF[REF["quantity"] == "warning"]["dataset"].nunique()
    assert 20 <= warned <= 60  # monotone likelihoods are in, most data sets are regular
    na = REF[(REF["quantity"] == "coef") & REF["value"].isna()]["dataset"].nunique()
    assert na >= 60  # terms R cannot estimate
    # the corpus separates the methods: exact and Breslow differ where sets hold several cases
    coef = REF[(REF["quantity"] == "coef") & (REF["term"] == "x1")].pivot(
        index="dataset", columns="method", values="value")
    differ = (coef["exact"] - coef["breslow"]).abs() > 1e-3
    assert differ.sum() >= 50 and not differ[SPEC["design"] == "one_case"].any()


def _diverged_to_na(k: int, method: str) -> bool:
    """R reports NA, without a warning, for a term that varies within some matched set: the
    coefficient ran off along a monotone likelihood until the information's Cholesky pivot
    fell below toler.chol, and R's NA says "not estimable" of a term whose maximum is at
    infinity (a term constant within every set is NA for the right reason). Ours raises, as
    for a warning."""
    r = REF[(REF["dataset"] == k) & (REF["method"] == method) & (REF["quantity"] == "coef")]
    d = DATA[DATA["dataset"] == k]
    varies = d.groupby("set")[["x1", "x2", "x3"]].nunique().gt(1).any()
    return bool(varies[r.loc[r["value"].isna(), "term"]].any())


@pytest.mark.parametrize("k", SPEC["dataset"].tolist())
def test_clogit_agrees_with_r(k: int, agree) -> None:
    for method in METHODS:
        r = REF[(REF["dataset"] == k) & (REF["method"] == method)]
        est = f"conditional logit, {method} (clogit)"
        assert not (r["quantity"] == "error").any()
        if (r["quantity"] == "warning").any() or _diverged_to_na(k, method):
            with pytest.raises(ModelDataError, match="no finite maximum|did not converge"):
                _fit(k, method)
            agree.refuse(est, k)
            continue
        m = _fit(k, method)
        coef = r[r["quantity"] == "coef"].set_index("term")["value"]
        se = r[r["quantity"] == "se"].set_index("term")["value"]
        ll = r[r["quantity"] == "loglik"].set_index("term")["value"]
        summ = m.summary.reindex(coef.index)
        agree(est, "coefficient", summ["estimate"], coef, dataset=k, rtol=1e-6,
              scale=np.maximum(np.abs(coef), se))
        ok = coef.notna()
        agree(est, "SE", summ["std_error"][ok], se[ok], dataset=k, rtol=1e-6)
        agree(est, "log conditional likelihood", [m.llf_, m.llf_null_],
              [ll["fit"], ll["null"]], dataset=k, rtol=1e-8)
        assert sorted(m.aliased_) == sorted(coef.index[coef.isna()])


def test_exact_equals_direct_enumeration_of_subsets() -> None:
    """The recursion against the definition: the sum over every subset of m members."""
    from itertools import combinations

    rng = np.random.default_rng(3)
    rows = []
    for s in range(6):
        n, m = 6, 1 + s % 3
        rows.append(pd.DataFrame({"set": s, "case": np.r_[np.ones(m), np.zeros(n - m)],
                                  "x": rng.normal(size=n), "z": rng.normal(size=n)}))
    d = pd.concat(rows, ignore_index=True)
    fit = ConditionalLogit().fit(d, case="case", group="set", formula="x + z")
    beta = fit.params_.to_numpy()

    def loglik(b: np.ndarray) -> float:
        total = 0.0
        for _, g in d.groupby("set"):
            eta = g[["x", "z"]].to_numpy() @ b
            m = int(g["case"].sum())
            denom = sum(np.exp(eta[list(c)].sum()) for c in combinations(range(len(g)), m))
            total += eta[g["case"].to_numpy() == 1].sum() - np.log(denom)
        return total

    assert fit.llf_ == pytest.approx(loglik(beta), rel=1e-12)
    assert fit.llf_null_ == pytest.approx(loglik(np.zeros(2)), rel=1e-12)
    # the estimate is the maximum: the numerical gradient vanishes
    h = 1e-6
    grad = [(loglik(beta + h * e) - loglik(beta - h * e)) / (2 * h) for e in np.eye(2)]
    assert np.max(np.abs(grad)) < 1e-5


def test_clogit_has_no_baseline_hazard_or_concordance() -> None:
    from alspaincohort.errors import ParameterError

    d = DATA[DATA["dataset"] == 1]  # m:n sets: the exact likelihood
    fit = ConditionalLogit().fit(d, case="case", group="set", formula="x1 + x2 + x3")
    for attr in ("concordance_", "baseline_cumulative_hazard_"):
        with pytest.raises(ParameterError, match="matched sets"):
            getattr(fit, attr)
    with pytest.raises(ParameterError, match="baseline hazard"):
        fit.baseline_cumulative_hazard_at([1.0])


def test_clogit_refuses_bad_input() -> None:
    d = pd.DataFrame({"set": [1, 1, 2, 2], "case": [1, 0, 1, 0], "x": [1.0, 0.0, 0.5, 0.2]})
    with pytest.raises(ModelDataError, match="'case'.*0/1"):
        ConditionalLogit().fit(d.assign(case=[2, 0, 1, 0]), case="case", group="set")
    with pytest.raises(ModelDataError, match=r"\['grp'\] not in data"):
        ConditionalLogit().fit(d, case="case", group="grp")
    with pytest.raises(ModelDataError, match="no matched set holds both"):
        ConditionalLogit().fit(d.assign(case=1), case="case", group="set", formula="x")
    with pytest.raises(ModelDataError, match="numeric|could not|string|text"):
        ConditionalLogit().fit(d.assign(x=["1", "a", "2", "3"]), case="case", group="set",
                               formula="x")
