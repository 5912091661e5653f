"""Depression as covariate, confounder and mediator (issue 7).

References: ``tests/results/depression/`` (make_data.py -> reference.R: R lm + sandwich HC3,
geepack geeglm exchangeable / AR(1)); statsmodels ``Mediation``; the synthetic generator's
truth. Tolerances: coefficients 1e-6 relative, SEs and correlation parameters 1e-6.
"""

from __future__ import annotations

import re
import warnings
from pathlib import Path

import matplotlib
import numpy as np
import pandas as pd
import pytest

import alspaincohort as apc
from alspaincohort.analysis.depression import (
    _fit,
    depression_adjustment,
    mediation,
    pain_depression_association,
)
from alspaincohort.stats.bootstrap import bca_interval, jackknife_influence
from alspaincohort.stats.gee import GEE

matplotlib.use("Agg")
HERE = Path(__file__).resolve().parent / "results" / "depression"
REF = pd.read_csv(HERE / "reference.csv", keep_default_na=False)
REF["value"] = REF["value"].astype(float)
RHS = {"unadjusted": "vas_pain",
       "covariates": "vas_pain + age_at_onset + C(sex) + C(onset_site) + alsfrs_r",
       "depression": "vas_pain + age_at_onset + C(sex) + C(onset_site) + alsfrs_r + hads_d",
       "interaction": "vas_pain + age_at_onset + C(sex) + C(onset_site) + alsfrs_r + hads_d"
                      " + vas_pain:hads_d"}


def r_name(name: str) -> str:
    if name == "Intercept":
        return "(Intercept)"
    name = re.sub(r"^C\((\w+)\)\[T\.(.*)\]$", r"\1\2", name)
    return name


def ref(data: str, model: str, method: str, quantity: str) -> pd.Series:
    r = REF[(REF["data"] == data) & (REF["model"] == model) & (REF["method"] == method)
            & (REF["quantity"] == quantity)]
    return pd.Series(r["value"].to_numpy(), index=r["term"].to_numpy())


@pytest.mark.parametrize("model", list(RHS))
def test_ols_hc3_and_loglik_agree_with_r(model: str) -> None:
    d = pd.read_csv(HERE / "baseline.csv")
    fit, est, cov, llf = _fit("ols", d, f"alsaq40 ~ {RHS[model]}", "exchangeable")
    est = est.rename(index=r_name)
    se = pd.Series(np.sqrt(np.diag(cov)), index=est.index)
    r_coef, r_se = ref("baseline", model, "ols", "coef"), ref("baseline", model, "ols", "se_hc3")
    np.testing.assert_allclose(est[r_coef.index], r_coef, rtol=1e-6)
    np.testing.assert_allclose(se[r_se.index], r_se, rtol=1e-6)
    np.testing.assert_allclose(llf, ref("baseline", model, "ols", "loglik").iloc[0], rtol=1e-9)


@pytest.mark.parametrize("structure", ["exchangeable", "ar1"])
@pytest.mark.parametrize("model", list(RHS))
def test_gee_agrees_with_geepack(structure: str, model: str) -> None:
    d = pd.read_csv(HERE / "repeated.csv")
    fit = GEE(structure).fit(d, f"alsaq40 ~ {RHS[model]}", "patient_id")
    est = fit.params_.rename(index=r_name)
    se = fit.bse_.rename(index=r_name)
    r_coef = ref("repeated", model, structure, "coef")
    r_se = ref("repeated", model, structure, "se_robust")
    np.testing.assert_allclose(est[r_coef.index], r_coef, rtol=1e-6)
    np.testing.assert_allclose(se[r_se.index], r_se, rtol=1e-6)
    np.testing.assert_allclose(fit.working_corr_, ref("repeated", model, structure, "alpha").iloc[0],
                               rtol=1e-6)
    assert fit.converged_


def test_gee_independence_equals_ols_with_cluster_robust_se() -> None:
    import statsmodels.formula.api as smf

    d = pd.read_csv(HERE / "repeated.csv")
    ours = GEE("independence").fit(d, "alsaq40 ~ vas_pain + hads_d", "patient_id")
    ols = smf.ols("alsaq40 ~ vas_pain + hads_d", d).fit(
        cov_type="cluster", cov_kwds={"groups": pd.factorize(d.patient_id)[0],
                                      "use_correction": False})
    np.testing.assert_allclose(ours.params_, ols.params, rtol=1e-10)
    np.testing.assert_allclose(ours.bse_, ols.bse, rtol=1e-8)


# --- behaviour on the presets --------------------------------------------------------------------
@pytest.mark.parametrize(("design", "seeds", "needed"), [("baseline", range(71, 81), 8),
                                                       ("repeated", range(71, 76), 4)])
def test_mediated_preset_loses_the_pain_effect_after_adjustment(design: str, seeds: range,
                                                                needed: int) -> None:
    """Significant unadjusted in every cohort; the adjusted 95% CI covers 0 at about the
    nominal rate (P(fewer than `needed` covers) ~ 1-2% under exact 95% coverage)."""
    covers = 0
    for seed in seeds:
        c = apc.simulate_cohort(500, seed=seed, preset="pain_mediated_by_depression")
        t = depression_adjustment(c, design=design).table
        t = t[t.term == "vas_pain"].set_index("model")
        assert t.loc["unadjusted", "p_value"] < 1e-6 and t.loc["covariates", "p_value"] < 1e-6
        assert t.loc["depression", "change_pct"] < -70
        assert t.loc["depression", "test_p_value"] < 1e-6  # depression adds information
        covers += t.loc["depression", "ci_low"] <= 0 <= t.loc["depression", "ci_high"]
    assert covers >= needed, covers


@pytest.mark.parametrize("preset", ["literature", "no_pain_effect"])
def test_adjusted_estimates_cover_the_truth_across_seeds(preset: str) -> None:
    covered = 0
    seeds = range(81, 91)
    for seed in seeds:
        c = apc.simulate_cohort(500, seed=seed, preset=preset)
        truth = c.truth.estimands["qol_pain_effect_adjusted"]
        row = depression_adjustment(c).table.set_index("model").loc["depression"]
        covered += row.ci_low <= truth <= row.ci_high
    assert covered >= 8, covered  # 95% CIs: P(covered <= 7 of 10) ~ 1%


def test_adjustment_table_columns_methods_and_plot() -> None:
    import matplotlib.pyplot as plt

    c = apc.simulate_cohort(300, seed=72)
    r = depression_adjustment(c, design="repeated", method="mixed")
    assert list(r.table.columns) == ["model", "method", "term", "estimate", "std_error",
                                     "ci_low", "ci_high", "p_value", "n", "change_pct", "test",
                                     "statistic", "df", "test_p_value"]
    assert (r.table.test.dropna() == "likelihood ratio").all()
    g = depression_adjustment(c, design="repeated", cov_struct="ar1")
    assert (g.table.test.dropna() == "robust Wald").all()
    fig, ax = plt.subplots()
    assert r.plot(ax=ax) is ax
    plt.close(fig)
    with pytest.raises(ValueError, match="unknown variable"):
        depression_adjustment(c, covariates=("shoe_size",))


def test_missing_depression_listwise_and_mice() -> None:
    c = apc.simulate_cohort(600, seed=73, preset="pain_mediated_by_depression")
    a = c.assessments
    rng = np.random.default_rng(0)
    hads = (a.instrument == "hads") & (a.item == "d") & (a.day == 0)
    drop = a.index[hads][rng.random(hads.sum()) < 0.3]
    c2 = apc.Cohort(c.patients, a.drop(index=drop), c.pain_sites, c.medications, c.events)
    full = depression_adjustment(c).table.set_index("model").loc["depression"]
    r = depression_adjustment(c2, missing="mice", n_imputations=10)
    assert r.n_dropped == len(drop)
    pooled = r.pooled.set_index("model").loc["depression"]
    assert abs(pooled.estimate - full.estimate) < 3 * pooled.std_error
    assert pooled.ci_low < pooled.estimate < pooled.ci_high and pooled.n_imputations == 10


# --- mediation -----------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def mediated() -> apc.Cohort:
    return apc.simulate_cohort(1500, seed=74, preset="pain_mediated_by_depression")


def test_mediation_recovers_truth_and_agrees_with_statsmodels(mediated: apc.Cohort) -> None:
    import statsmodels.api as sm
    from statsmodels.stats.mediation import Mediation

    from alspaincohort.analysis.frames import analysis_frame

    r = mediation(mediated, covariates=("alsfrs_r",), n_boot=400, seed=1)
    t = r.table.set_index("effect")
    truth = mediated.truth.estimands
    assert t.loc["indirect", "ci_low"] <= truth["qol_pain_natural_indirect_effect"] <= \
        t.loc["indirect", "ci_high"]
    assert t.loc["direct", "ci_low"] <= 0 <= t.loc["direct", "ci_high"]
    d = analysis_frame(mediated, ["alsaq40", "vas_pain", "hads_d", "alsfrs_r"]).dropna()
    out = sm.OLS.from_formula("alsaq40 ~ vas_pain + hads_d + alsfrs_r", d)
    med = sm.OLS.from_formula("hads_d ~ vas_pain + alsfrs_r", d)
    np.random.seed(5)  # noqa: NPY002 - statsmodels Mediation accepts no Generator
    param = Mediation(out, med, "vas_pain", "hads_d").fit(method="parametric", n_rep=500)
    draws = np.asarray(param.ACME_ctrl)
    mc_error = draws.std() / np.sqrt(len(draws))
    assert abs(t.loc["indirect", "estimate"] - draws.mean()) < 4 * mc_error
    # CI: statsmodels' intervals re-simulate mediator values inside every replicate (wider by
    # design); the analytic reference for a product-of-coefficients bootstrap is the
    # delta-method (Sobel) SE, sqrt(b^2 se_a^2 + a^2 se_b^2), from the same OLS fits
    fa, fb = med.fit(), out.fit()
    a, b = fa.params["vas_pain"], fb.params["hads_d"]
    sobel = np.sqrt(b**2 * fa.bse["vas_pain"] ** 2 + a**2 * fb.bse["hads_d"] ** 2)
    half = (t.loc["indirect", "ci_high"] - t.loc["indirect", "ci_low"]) / 2
    assert abs(half - 1.96 * sobel) < 0.15 * 1.96 * sobel
    assert t.loc["indirect", "estimate"] == pytest.approx(a * b, rel=1e-10)


def test_mediation_sensitivity_analysis(mediated: apc.Cohort) -> None:
    r = mediation(mediated, n_boot=100, seed=2)
    s = r.sensitivity.set_index("rho")
    nie = r.table.set_index("effect").loc["indirect", "estimate"]
    assert s.loc[0.0, "acme"] == pytest.approx(nie, rel=1e-9)  # rho = 0: no confounding
    assert (np.diff(s.acme) < 0).all() if nie > 0 else (np.diff(s.acme) > 0).all()
    rt = r.rho_at_zero
    a_b = mediation(mediated, n_boot=10, seed=2, rho=(rt,)).sensitivity.acme.iloc[0]
    assert abs(a_b) < 1e-9


def test_bca_against_scipy_bootstrap() -> None:
    from scipy import stats

    rng = np.random.default_rng(3)
    x = rng.exponential(2.0, 80)
    boot = np.array([rng.choice(x, len(x)).mean() for _ in range(20000)])
    jack = np.array([np.delete(x, i).mean() for i in range(len(x))])
    ours = bca_interval(boot, x.mean(), jackknife_influence(jack), 0.95)
    sp = stats.bootstrap((x,), np.mean, n_resamples=20000, method="BCa",
                         random_state=np.random.default_rng(4)).confidence_interval
    # different resamples: agreement to Monte Carlo error (boot.ci equality on the same
    # replicates is tests/test_corpus_bootstrap.py)
    assert abs(ours["low"] - sp.low) < 0.03 and abs(ours["high"] - sp.high) < 0.03


# --- association -----------------------------------------------------------------------------------
def test_pain_depression_association_by_hand(mediated: apc.Cohort) -> None:
    t = pain_depression_association(mediated, cutoffs=(8, "case")).table
    assert set(t.cutoff) == {8, 11} and (t.instrument == "hads_d").all()
    b = mediated.baseline().dropna(subset=["vas_pain", "hads_d"])
    pain, dep = b.vas_pain > 0, b.hads_d >= 8
    a_, b_ = (pain & dep).sum(), (~pain & dep).sum()
    c_, d_ = (pain & ~dep).sum(), (~pain & ~dep).sum()
    row = t[(t.cutoff == 8) & (t.direction == "pain given depression")].iloc[0]
    assert row.odds_ratio == pytest.approx(a_ * d_ / (b_ * c_))
    assert row.p_outcome_exposed == pytest.approx(a_ / (a_ + b_))
    other = t[(t.cutoff == 8) & (t.direction == "depression given pain")].iloc[0]
    assert other.odds_ratio == pytest.approx(row.odds_ratio)  # the crude OR is symmetric
    assert other.p_outcome_exposed == pytest.approx(a_ / (a_ + c_))
    assert row.or_ci_low < row.odds_ratio < row.or_ci_high and row.adjusted_or > 1


def test_depression_instruments_are_interchangeable() -> None:
    c = apc.simulate_cohort(600, seed=75)
    hads = depression_adjustment(c, depression="hads_d").table
    adi = depression_adjustment(c, depression="adi12").table
    assert set(hads.model) == set(adi.model)
    a = pain_depression_association(c, depression="adi12",
                                    cutoffs=(23, "major_depression")).table
    assert set(a.cutoff) == {23, 30}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(ValueError, match="depression must be"):
            pain_depression_association(c, depression="phq9")


@pytest.mark.parametrize("case", ["plain", "rare_level", "near_collinear", "tiny"])
def test_batched_resamples_equal_one_refit_each(case: str) -> None:
    """Issue 19: the bootstrap and jackknife solve all resamples at once (weighted normal
    equations); each must equal its own lstsq refit, including resamples that miss a rare
    covariate level (singular Gram matrix) and nearly collinear designs (refitted by lstsq)."""
    from alspaincohort.stats.mediation import (
        mediation_effects,
        mediation_effects_jackknife,
        mediation_effects_resampled,
    )

    rng = np.random.default_rng(11)
    n = 12 if case == "tiny" else 400
    x = rng.normal(size=n)
    cov = rng.normal(size=(n, 2))
    if case == "rare_level":
        cov[:, 1] = (np.arange(n) < 3).astype(float)  # 3 patients: absent from many resamples
    if case == "near_collinear":
        cov[:, 1] = cov[:, 0] + 1e-6 * rng.normal(size=n)
    m = 0.5 * x + cov @ [0.3, 0.2] + rng.normal(size=n)
    y = 0.3 * x + 0.7 * m + cov @ [0.1, -0.2] + rng.normal(size=n)
    X_m = np.column_stack([np.ones(n), x, cov])
    X_y = np.column_stack([np.ones(n), x, m, cov])
    idx = [rng.integers(0, n, n) for _ in range(60)]
    one = np.array([mediation_effects(X_m[i], m[i], X_y[i], y[i], check=False) for i in idx])
    counts = np.stack([np.bincount(i, minlength=n) for i in idx])
    many = mediation_effects_resampled(X_m, m, X_y, y, counts)
    np.testing.assert_allclose(many, one, rtol=1e-9, atol=1e-12)
    # the rows' outer products made once by the caller (large cohorts) give the same numbers
    from alspaincohort.stats.mediation import row_outer_products

    outer = row_outer_products(X_m, X_y)
    for k in range(0, len(counts), 7):
        np.testing.assert_array_equal(
            mediation_effects_resampled(X_m, m, X_y, y, counts[k:k + 1], outer),
            mediation_effects_resampled(X_m, m, X_y, y, counts[k:k + 1]))
    keep = np.ones(n, dtype=bool)
    loo = []
    for i in range(n):
        keep[i] = False
        loo.append(mediation_effects(X_m[keep], m[keep], X_y[keep], y[keep], check=False))
        keep[i] = True
    np.testing.assert_allclose(mediation_effects_jackknife(X_m, m, X_y, y), np.array(loo),
                               rtol=1e-9, atol=1e-12)


def test_bootstraps_run_on_one_blas_thread(monkeypatch: pytest.MonkeyPatch) -> None:
    """Issue 19: the small-matrix hot loops hold BLAS to one thread, so jobs side by side do
    not fight for the cores (benchmarks/bench_threads.py measures it)."""
    from threadpoolctl import threadpool_info

    import alspaincohort.analysis.depression as dep
    from alspaincohort.stats.base import one_blas_thread

    def blas_threads() -> set[int]:
        return {i["num_threads"] for i in threadpool_info() if i["user_api"] == "blas"}

    with one_blas_thread():
        assert blas_threads() == {1}
    seen: list[set[int]] = []
    real = dep.mediation_effects_resampled

    def spy(*args: object) -> np.ndarray:
        seen.append(blas_threads())
        return real(*args)  # type: ignore[arg-type]

    monkeypatch.setattr(dep, "mediation_effects_resampled", spy)
    mediation(apc.simulate_cohort(150, seed=3), n_boot=30)
    assert seen and all(s == {1} for s in seen)
