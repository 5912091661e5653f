"""The latent-class mixed model against lcmm::hlme on a corpus of 240 drawn datasets (issue 15).

Chain: ``tests/results/trajectories/corpus/make_latent.py`` draws the datasets
(``latent_data.csv.gz``, ``latent_spec.csv``: 8-250 patients, 1-10 visits, 1-3 planted classes,
random-intercept SD / residual SD 0-3, random slopes with correlations, tied and untied
times, 1-, 2- and 3-class models) and a deterministic start per dataset; ``latent.R`` fits each
with ``lcmm::hlme`` 2.x from that start, then polishes hlme's answer by Newton steps on hlme's
own log-likelihood (score written out per patient in R, checked against numDeriv's gradient of
hlme's Fortran likelihood; Hessian its Richardson Jacobian), and stores both in
``latent_reference.csv.gz``. No R is needed here.

hlme's log-likelihood carries a constant error: its Fortran (``hetmixlin.f90``) subtracts
``n_i * dlog(dble(2*3.14159265))``, where the literal is single precision, so 2 pi enters as
float32(2 pi) = 6.2831854820 instead of 6.2831853072, and every measurement adds
0.5 * log(float32(2 pi) / 2 pi) = 1.39e-8 to minus the log-likelihood (2.4e-5 on 1,737 rows).
The constant does not move the estimates; hlme's values are corrected for it before comparing.

What is compared, per dataset, with ours fitted from the same start (``n_starts=0``: the given
values only, as hlme):

- the same function: at hlme's estimates and at the polished ones, our log-likelihood equals
  hlme's (1e-9 relative) and our posterior class probabilities equal hlme's (1e-8);
- ours at least as good: our log-likelihood is no lower than hlme's or the polished one
  (beyond 1e-10 relative). Where ours from the start alone is lower (another local maximum;
  2 of 240 datasets), the default search with seeded starts added must reach it, and
  ``test_start_alone_rarely_falls_short`` caps how often that happens;
- refused (``ModelDataError``) only where every patient has one measurement: the residual
  variance is then not identified apart from the random effects (hlme returns a residual SD
  collapsing towards 0 on those datasets);
- where the polished reference is a maximum (Newton decrement <= 1e-12) and ours is the same
  maximum (log-likelihoods within 1e-9 relative): class shares, intercepts and slopes within
  1e-6 (relative to max(|estimate|, SE)), D and the residual SD within 1e-4 (the issue's
  tolerance for variance components), posteriors within 1e-6, and the
  standard errors of the logits, intercepts, slopes and residual SD within 1e-4 relative of
  those from the reference's Richardson Hessian. (hlme's own V comes from forward differences
  with steps of 1e-4 |b| and is 1e-4 to 1e-3 off that Hessian; it is not the reference.)
  Where ours is a higher maximum than the reference, the log-likelihood comparison is the test.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from alspaincohort.errors import ModelDataError, ParameterError
from alspaincohort.stats.latent_class import LatentClassMixedModel, match_classes

# hlme's 2 pi is float32(2 pi): the offset per measurement its log-likelihood carries
HLME_2PI_OFFSET = 0.5 * (np.log(float(np.float32(2 * 3.14159265))) - np.log(2 * np.pi))
SEEN: set[int] = set()
LOWER_FROM_START_ALONE: list[int] = []
CORPUS = Path(__file__).parent / "results" / "trajectories" / "corpus"
DATA = pd.read_csv(CORPUS / "latent_data.csv.gz", float_precision="round_trip")
SPEC = pd.read_csv(CORPUS / "latent_spec.csv", float_precision="round_trip")
REF = pd.read_csv(CORPUS / "latent_reference.csv.gz", keep_default_na=False,
                  na_values={"value": ["NA"]}, float_precision="round_trip")


def _ref(k: int) -> dict[str, pd.DataFrame]:
    r = REF[REF["dataset"] == k]
    return {q: g for q, g in r.groupby("quantity")}


def _init(spec: pd.Series) -> dict[str, object]:
    K = int(spec["n_classes"])
    j = range(K)
    return {"shares": [spec[f"start_share_{i}"] for i in j],
            "betas": [[spec[f"start_int_{i}"], spec[f"start_slope_{i}"]] for i in j],
            "re_cov": [[spec["start_d11"], spec["start_d12"]],
                       [spec["start_d12"], spec["start_d22"]]],
            "residual_sd": spec["start_sigma"]}


def _split(v: np.ndarray, K: int) -> dict[str, np.ndarray]:
    """shares, intercepts, slopes, D elements and sigma from hlme's ordering."""
    xi = np.r_[v[: K - 1], 0.0]
    return {"shares": np.exp(xi - np.logaddexp.reduce(xi)),
            "betas": np.column_stack([v[K - 1: 2 * K - 1], v[2 * K - 1: 3 * K - 1]]),
            "rest": np.abs(v[3 * K - 1:])}  # hlme may return a negative residual SD


def test_corpus_spans_the_space() -> None:
    assert len(SPEC) >= 200
    assert set(SPEC["n_classes"]) == {1, 2, 3} and set(SPEC["true_classes"]) == {1, 2, 3}
    assert (SPEC["sd_ratio"] == 0).sum() >= 20 and SPEC["sd_ratio"].max() > 2.5
    assert (SPEC["shape"] == "mostly_single").sum() >= 20
    assert SPEC["tied"].sum() >= 20 and SPEC["patients"].min() < 15
    assert SPEC["patients"].max() > 200


def _posterior(pp: pd.DataFrame) -> pd.DataFrame:
    ids = pp["term"].str.split(":", expand=True)
    return (pd.DataFrame({"g": ids[0].astype(int), "c": ids[1].astype(int),
                          "p": pp["value"].to_numpy()})
            .pivot(index="g", columns="c", values="p").sort_index())


def _at_maximum(ref: dict[str, pd.DataFrame]) -> bool:
    dec = ref["polished_dec"]["value"].iloc[0] if "polished_dec" in ref else np.nan
    return bool(np.isfinite(dec) and dec <= 1e-12)


def test_most_references_are_maxima() -> None:
    """The parameter comparison below is not vacuous: most polished references are maxima."""
    n = sum(_at_maximum(_ref(k)) for k in SPEC["dataset"])
    assert n >= 150, n


# Dataset 23 (73 patients, 3 classes): hlme's path from the start reaches a maximum with a
# one-patient class (share 1.4%, intercept 119) 0.416 above the best ours finds. Ours reaches it
# from the outlier start with the large covariance, but only when that start survives the short
# EM race, which depends on the seed (seed 0: n_starts 1, 2, 10 find it; 3, 5 do not). Known
# shortfall of the race; strict, so it reports when the search is improved.
SHORTFALL = {23}


@pytest.mark.parametrize("k", [pytest.param(k, marks=pytest.mark.xfail(
    strict=True, reason="the EM race drops the start leading to hlme's higher maximum"))
    if k in SHORTFALL else k for k in SPEC["dataset"].tolist()])
def test_latent_class_agrees_with_hlme(k: int, agree) -> None:
    est = "Latent-class mixed model (lcmm::hlme)"
    SEEN.add(k)
    spec = SPEC.iloc[k]
    K = int(spec["n_classes"])
    ref = _ref(k)
    d = DATA[DATA["dataset"] == k]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            m = LatentClassMixedModel(n_classes=K, n_starts=0).fit(d, "y", "t", "g",
                                                               init=_init(spec))
        except ModelDataError:
            # refused only where the model is not identified (hlme returns a residual SD
            # collapsing to 0 there)
            assert d.groupby("g").size().max() == 1
            agree.refuse(est, k)
            return
    assert d.groupby("g").size().max() > 1
    if "error" in ref:
        pytest.fail(f"hlme refused dataset {k}: {ref['error']['term'].iloc[0]}")
    # the reference's score is the gradient of hlme's likelihood (vs numDeriv's, at the start)
    assert ref["gradient_check"]["value"].iloc[0] <= 1e-6
    offset = HLME_2PI_OFFSET * len(d)
    # the same function, at hlme's estimates and at the polished ones
    for best_q, ll_q, pp_q in (("best", "loglik", "pprob"),
                               ("polished_best", "polished_loglik", "polished_pprob")):
        ll_r = float(ref[ll_q]["value"].iloc[0]) + offset
        ll_at, post_at = m.evaluate(ref[best_q]["value"].to_numpy())
        agree(est, "log L at hlme's estimates", ll_at, ll_r, dataset=k, rtol=1e-9, atol=1e-9)
        if K > 1:
            agree(est, "posteriors at hlme's estimates", post_at.sort_index(),
                  _posterior(ref[pp_q]), dataset=k, rtol=0, atol=1e-8)
    # ours at least as good
    ll_hlme = float(ref["loglik"]["value"].iloc[0]) + offset
    ll_pol = float(ref["polished_loglik"]["value"].iloc[0]) + offset
    if m.llf_ < max(ll_hlme, ll_pol) - 1e-10 * abs(ll_pol):
        # from the given start alone ours reached a lower local maximum than hlme's path
        # (mixture likelihoods have many): the default search, which adds seeded starts,
        # must then find one at least as high
        LOWER_FROM_START_ALONE.append(k)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            m = LatentClassMixedModel(n_classes=K).fit(d, "y", "t", "g", init=_init(spec))
    agree.criterion(est, "-log L: ours - hlme's (polished)", -m.llf_, -max(ll_hlme, ll_pol),
                    dataset=k, scale=abs(ll_pol))
    assert m.llf_ >= max(ll_hlme, ll_pol) - 1e-10 * abs(ll_pol)
    if not _at_maximum(ref) or m.llf_ - ll_pol > 1e-9 * abs(ll_pol):
        return
    # the same maximum: the same estimates
    best = ref["polished_best"]["value"].to_numpy()
    ours, theirs = _split(m.params_.to_numpy(), K), _split(best, K)
    perm = list(match_classes(theirs["betas"], ours["betas"]))
    se = m.bse_.to_numpy()
    se_b = np.column_stack([se[K - 1: 2 * K - 1], se[2 * K - 1: 3 * K - 1]])[perm]
    scale = np.maximum(np.abs(theirs["betas"]), np.nan_to_num(se_b, nan=0.0))
    agree(est, "class intercepts and slopes", ours["betas"][perm], theirs["betas"], dataset=k,
          rtol=1e-6, scale=scale)
    # classes with the same intercept and slope share their probability in any proportion
    # (a flat direction of the likelihood): compare the sums over such groups
    group = np.arange(K)
    for a in range(K):
        for b in range(a + 1, K):
            if np.all(np.abs(theirs["betas"][a] - theirs["betas"][b]) <= 1e-6 * scale[a]):
                group[group == group[b]] = group[a]
    merge = np.equal.outer(np.unique(group), group).astype(float)  # (groups, K)
    shares_o, shares_t = merge @ ours["shares"][perm], merge @ theirs["shares"]
    # the shares' standard errors, by the delta method from the logits' covariance
    pis = ours["shares"]
    J = (np.diag(pis) - np.outer(pis, pis))[:, : K - 1]
    se_pi = np.sqrt(np.maximum(np.diag(J @ m.cov_params_.to_numpy()[: K - 1, : K - 1] @ J.T),
                               0))[perm] if K > 1 else np.zeros(1)
    agree(est, "class shares", shares_o, shares_t, dataset=k, rtol=1e-6,
          scale=np.maximum(shares_t, merge @ np.nan_to_num(se_pi, nan=0.0)))
    # variance components (D, residual SD): 1e-4, the tolerance for them
    # (a covariance estimated at 0, a boundary maximum, is compared on a floor of 1e-8 sigma^2:
    # 1e-20 from R and 1e-40 from ours are both zero)
    floor = 1e-8 * theirs["rest"][-1] ** 2
    scale_rest = np.maximum.reduce([np.abs(theirs["rest"]), np.nan_to_num(se[3 * K - 1:],
                                                                          nan=0.0),
                                    np.full(4, floor)])
    agree(est, "variance components", ours["rest"], theirs["rest"], dataset=k, rtol=1e-4,
          scale=scale_rest)
    if K > 1:
        agree(est, "posteriors", m.posterior_.iloc[:, perm].sort_index().to_numpy() @ merge.T,
              _posterior(ref["polished_pprob"]).to_numpy() @ merge.T, dataset=k, rtol=0,
              atol=1e-6)
    if len(merge) < K:
        return  # coincident classes: the information is singular, no standard errors
    # standard errors where the parametrisations agree (D's are on hlme's Cholesky scale)
    se_r = ref["se_exact"]["value"].to_numpy()
    logits = np.arange(K - 1) if perm == list(range(K)) else np.array([], dtype=int)
    ours_at = np.r_[logits, K - 1 + np.r_[perm, K + np.array(perm)], len(se) - 1].astype(int)
    theirs_at = np.r_[logits, K - 1 + np.arange(2 * K), len(se) - 1].astype(int)
    if np.all(np.isfinite(se_r[theirs_at])):
        agree(est, "SE", se[ours_at], se_r[theirs_at], dataset=k, rtol=1e-4)


def test_start_alone_rarely_falls_short() -> None:
    """Runs after the corpus (file order): from hlme's start alone, ours reached a lower
    maximum than hlme on 2 of 240 datasets when this was written (23 and 115)."""
    if len(SEEN) < len(SPEC):
        pytest.skip("the whole corpus did not run")
    assert len(LOWER_FROM_START_ALONE) <= 3, LOWER_FROM_START_ALONE


def test_hlme_constant_is_what_explains_the_offset() -> None:
    """The size of hlme's offset per measurement (see the module docstring)."""
    assert float(np.float32(2 * 3.14159265)) == 6.2831854820251465
    assert HLME_2PI_OFFSET == pytest.approx(1.3914e-8, rel=1e-3)


def test_fit_is_reproducible_and_refuses_what_it_cannot_identify() -> None:
    d = DATA[DATA["dataset"] == 1]
    a = LatentClassMixedModel(n_classes=2, seed=3).fit(d, "y", "t", "g")
    b = LatentClassMixedModel(n_classes=2, seed=3).fit(d, "y", "t", "g")
    pd.testing.assert_series_equal(a.params_, b.params_)
    with pytest.raises(ModelDataError, match="patient"):
        LatentClassMixedModel(n_classes=3).fit(d[d["g"] < 2], "y", "t", "g")
    with pytest.raises(ModelDataError, match="constant"):
        LatentClassMixedModel(n_classes=1).fit(d.assign(t=1.0), "y", "t", "g")
    with pytest.raises(ModelDataError, match="no rows"):
        LatentClassMixedModel(n_classes=2).fit(d.iloc[:0], "y", "t", "g")
    with pytest.raises(ModelDataError, match="single measurement"):
        LatentClassMixedModel(n_classes=1).fit(d.drop_duplicates("g"), "y", "t", "g")
    with pytest.raises(ModelDataError, match="missing"):
        LatentClassMixedModel(n_classes=1).fit(d.assign(y=np.where(d.index == d.index[0],
                                                                   np.nan, d["y"])),
                                               "y", "t", "g")
    with pytest.raises(ParameterError, match="n_starts = 0"):
        LatentClassMixedModel(n_classes=2, n_starts=0).fit(d, "y", "t", "g")
    with pytest.raises(ModelDataError, match="numeric"):
        LatentClassMixedModel(n_classes=1).fit(d.assign(y=d["y"].astype(object).where(
            d.index != d.index[3], "12,5")), "y", "t", "g")
