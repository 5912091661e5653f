"""Rater agreement against R on 240 drawn datasets each (issue 21).

Chain: ``tests/results/agreement/make_data.py`` (2-300 subjects x 2-6 raters, subject variance
from 0 to large against rater and error variance, whole-number ratings: ties and zero error;
2-5 ordered categories, some never used, agreement from none to perfect) -> ``reference.R``
(``psych::ICC(x, lmer = FALSE)``, ``psych::cohen.kappa`` with every category as a level, the
Fleiss-Cohen-Everitt variance and the Bland-Altman formulas written out) -> the reference
CSVs. CI needs no R.

Where R gives a number ours must give it; where every rating is equal ours refuses (R's ICC then
divides 0 by 0). The weighted-kappa variance is compared with Fleiss et al. (1969), not with
psych's ``var.weighted`` (see :mod:`alspaincohort.stats.agreement`); that the two differ only
where the raters' categories are unequally common is asserted too.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from alspaincohort.errors import ModelDataError
from alspaincohort.stats.agreement import bland_altman, cohen_kappa, icc

HERE = Path(__file__).parent / "results" / "agreement"
ICC_DATA = pd.read_csv(HERE / "icc.csv.gz")
ICC_REF = pd.read_csv(HERE / "icc_reference.csv")
KAPPA_DATA = pd.read_csv(HERE / "kappa.csv.gz")
KAPPA_REF = pd.read_csv(HERE / "kappa_reference.csv").set_index("dataset")
BA_REF = pd.read_csv(HERE / "bland_altman_reference.csv").set_index("dataset")
SPEC = pd.read_csv(HERE / "spec.csv").set_index("dataset")


def _table(k: int) -> np.ndarray:
    s = ICC_DATA[ICC_DATA["dataset"] == k]
    return s.pivot(index="subject", columns="rater", values="value").to_numpy()


@pytest.mark.parametrize("k", sorted(ICC_DATA["dataset"].unique()))
def test_icc_agrees_with_psych(k: int, agree) -> None:
    x = _table(k)
    ref = ICC_REF[ICC_REF["dataset"] == k].set_index("type")
    est = "ICC (psych::ICC, lmer = FALSE)"
    means = x.mean(axis=1)
    if np.ptp(means) <= 1e-9 * max(1.0, np.abs(x).max()):
        # no variance between subjects (every rating equal, or every subject's mean): R divides
        # the rounding left in its sums of squares (ICC3 of 0.06 or -0.83 from 1e-30 / 1e-30);
        # ours refuses
        with pytest.raises(ModelDataError, match="every rating is the same|same mean rating"):
            icc(x)
        agree.refuse(est, k)
        return
    ours = icc(x).set_index("type").loc[ref.index]
    # no error variance (perfectly additive ratings, e.g. whole numbers with rater offsets): R's
    # F is the ratio to the rounding left in its residual sum of squares (~1e29), or Inf when
    # that is exactly 0, and its intervals then divide Inf by Inf (NaN). Ours: F infinite and
    # every interval at its limit (ICC3 [1, 1]; ICC2 with the Satterthwaite degrees of freedom's
    # limit k - 1), compared with R's where R has a number
    exact = ref["f"].to_numpy() > 1e20
    assert np.isinf(ours["f"].to_numpy()[exact]).all()
    # 1 / F = MSE / MSB: its rounding is absolute (the residuals' last digits), so it is
    # compared where F is huge (ratings rounded to 1e-6: MSE ~ 1e-13 of MSB)
    agree(est, "1 / F", 1 / ours["f"].to_numpy()[~exact], 1 / ref["f"].to_numpy()[~exact],
          dataset=k, rtol=1e-9, atol=1e-15)
    # the lower bound of ICC2k where ICC2's lies beyond the Spearman-Brown pole -1 / (k - 1):
    # ours -inf (NaN for such an upper bound), R's carried through the pole
    pole = -1 / (x.shape[1] - 1)
    beyond = {"ci_low": ref.index.isin(["ICC2k"]) & (ref.loc["ICC2", "lower"] <= pole),
              "ci_high": ref.index.isin(["ICC2k"]) & (ref.loc["ICC2", "upper"] <= pole)}
    for q, col, ref_col in (("ICC", "icc", "icc"), ("p-value", "p_value", "p"),
                            ("CI lower", "ci_low", "lower"), ("CI upper", "ci_high", "upper")):
        o, r = ours[col].to_numpy(), ref[ref_col].to_numpy()
        limit = exact & np.isnan(r) & np.isinf(ref["f"].to_numpy())
        assert np.isfinite(o[limit]).all()
        skip = limit | beyond.get(col, np.zeros(len(o), dtype=bool))
        if col in beyond and beyond[col].any():
            assert (np.isneginf(o[beyond[col]]) if col == "ci_low"
                    else np.isnan(o[beyond[col]])).all()
        agree(est, q, o[~skip], r[~skip], dataset=k, rtol=1e-9, atol=1e-12)
    agree(est, "df", ours[["df1", "df2"]].to_numpy(), ref[["df1", "df2"]].to_numpy(),
          dataset=k, rtol=0, atol=0)


@pytest.mark.parametrize("k", sorted(KAPPA_DATA["dataset"].unique()))
def test_kappa_agrees_with_psych_and_fleiss_cohen_everitt(k: int, agree) -> None:
    s = KAPPA_DATA[KAPPA_DATA["dataset"] == k]
    cats = list(range(int(SPEC.loc[k, "categories"])))
    est = "Cohen's kappa (psych::cohen.kappa)"
    ref = KAPPA_REF.loc[k] if k in KAPPA_REF.index else None
    try:
        q = cohen_kappa(s["x"], s["y"], categories=cats)
        lin = cohen_kappa(s["x"], s["y"], categories=cats, weights="linear")
    except ModelDataError:
        # both raters use one category: chance agreement 1, kappa 0 / 0 (R: NaN)
        assert ref is None or np.isnan(ref["kappa"])
        agree.refuse(est, k)
        return
    assert ref is not None
    agree(est, "kappa", q["kappa"], ref["kappa"], dataset=k, rtol=1e-12, atol=1e-14)
    # variances near 0 (perfect agreement) carry the rounding of sums of O(1) terms over
    # n (1 - pe)^4: 1e-13 absolute
    agree(est, "variance of kappa", q["kappa_se"] ** 2, max(ref["var_kappa"], 0.0), dataset=k,
          rtol=1e-9, atol=1e-13)
    agree(est, "weighted kappa (quadratic)", q["weighted_kappa"], ref["wkappa_quadratic"],
          dataset=k, rtol=1e-12, atol=1e-14)
    agree(est, "weighted kappa (linear)", lin["weighted_kappa"], ref["wkappa_linear"],
          dataset=k, rtol=1e-12, atol=1e-14)
    est_v = "Weighted kappa variance (Fleiss, Cohen & Everitt 1969)"
    agree(est_v, "quadratic", q["weighted_se"] ** 2, max(ref["var_fce_quadratic"], 0.0),
          dataset=k, rtol=1e-9, atol=1e-13)
    agree(est_v, "linear", lin["weighted_se"] ** 2, max(ref["var_fce_linear"], 0.0),
          dataset=k, rtol=1e-9, atol=1e-13)
    # psych's weighted variance equals Fleiss et al.'s where the first rater's categories are
    # equally common (its row term then coincides); elsewhere it may differ
    rows = np.bincount(s["x"], minlength=len(cats))
    if np.all(rows == rows[0]):
        assert ref["var_psych_quadratic"] == pytest.approx(ref["var_fce_quadratic"], rel=1e-9,
                                                           abs=1e-13)


def test_the_psych_weighted_variance_differs_from_fleiss_where_margins_differ() -> None:
    diff = (KAPPA_REF["var_psych_quadratic"] - KAPPA_REF["var_fce_quadratic"]).abs()
    assert (diff > 1e-6 * KAPPA_REF["var_fce_quadratic"].abs()).sum() > 50


@pytest.mark.parametrize("k", sorted(BA_REF.index))
def test_bland_altman_agrees_with_the_formulas(k: int, agree) -> None:
    x = _table(k)
    r = bland_altman(x[:, 0], x[:, 1])
    ref = BA_REF.loc[k]
    est = "Bland-Altman limits of agreement"
    agree(est, "mean difference", r["mean_difference"], ref["mean"], dataset=k, rtol=1e-12,
          atol=1e-12)
    agree(est, "limits", [r["loa_low"], r["loa_high"]], [ref["loa_low"], ref["loa_high"]],
          dataset=k, rtol=1e-12, atol=1e-12)
    agree(est, "bias CI", [r["bias_ci_low"], r["bias_ci_high"]],
          [ref["bias_low"], ref["bias_high"]], dataset=k, rtol=1e-12, atol=1e-12)
    agree(est, "limit CI half-width", r["loa_high_ci_high"] - r["loa_high"], ref["loa_half"],
          dataset=k, rtol=1e-10, atol=1e-12)


def test_corpus_reaches_the_edges() -> None:
    spec = SPEC
    assert (spec["s_subject"] == 0).sum() > 20 and (spec["n"] == 2).sum() > 10
    assert (spec["s_error"] == 0).sum() > 20 and (spec["categories"] == 2).sum() > 30
    # some categories never used by either rater
    unused = 0
    for k, s in KAPPA_DATA.groupby("dataset"):
        used = set(s["x"]) | set(s["y"])
        unused += len(used) < spec.loc[k, "categories"]
    assert unused > 10


def test_weighted_kappa_interval_covers_at_its_level() -> None:
    """Coverage of the Fleiss-Cohen-Everitt interval over simulated rater pairs whose
    population weighted kappa is known (a large sample's value): near 95%."""
    rng = np.random.default_rng(5)
    truth_a = rng.integers(0, 4, 400_000)
    truth_b = np.clip(np.round(truth_a + rng.normal(0, 0.9, truth_a.size)), 0, 3)
    target = cohen_kappa(truth_a, truth_b, categories=[0, 1, 2, 3])["weighted_kappa"]
    hits = 0
    reps = 400
    for _ in range(reps):
        a = rng.integers(0, 4, 120)
        b = np.clip(np.round(a + rng.normal(0, 0.9, a.size)), 0, 3)
        r = cohen_kappa(a, b, categories=[0, 1, 2, 3])
        hits += r["weighted_ci_low"] <= target <= r["weighted_ci_high"]
    assert 0.92 <= hits / reps <= 0.98
