"""The LMM and Cox engines against R (lme4, survival), statsmodels and lifelines.

The chain: ``tests/results/engines/make_data.py`` writes the data sets (synthetic cohorts of
different shapes and two public data sets: statsmodels' Grunfeld panel, lifelines' Stanford heart
transplants); ``tests/results/engines/reference.R`` fits them with lme4 1.1 and survival 3.5 and
writes ``reference.csv``; these tests fit the same models with alspaincohort.stats and compare.
Tolerances (issue 5): coefficients and log-likelihoods to 1e-6 relative, variance components and
standard errors to 1e-4 relative.
"""

from __future__ import annotations

import re
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from alspaincohort.stats.cox import CoxTimeVarying
from alspaincohort.stats.design import ModelDataError, ModelWarning
from alspaincohort.stats.lmm import LinearMixedModel

HERE = Path(__file__).resolve().parent / "results" / "engines"
REF = pd.read_csv(HERE / "reference.csv", keep_default_na=False)
REF["value"] = REF["value"].astype(float)


def ref(dataset: str, model: str, quantity: str) -> pd.Series:
    r = REF[(REF.dataset == dataset) & (REF.model == model) & (REF.quantity == quantity)]
    assert len(r), (dataset, model, quantity)
    return pd.Series(r.value.to_numpy(), index=r.term.to_numpy())


def r_name(name: str) -> str:
    """formulaic term names in R's spelling: Intercept -> (Intercept), x[T.a] -> xa."""
    if name == "Intercept":
        return "(Intercept)"
    name = re.sub(r"^C\((\w+)\)", r"\1", name)
    return re.sub(r"\[T\.(.*)\]$", r"\1", name)


def data(name: str) -> pd.DataFrame:
    return pd.read_csv(HERE / f"{name}.csv")


def close(ours: float | np.ndarray, theirs: float | np.ndarray, rtol: float,
          atol: float = 0.0) -> None:
    np.testing.assert_allclose(ours, theirs, rtol=rtol, atol=atol)


# --- linear mixed models -----------------------------------------------------------------------
LMM_CASES = [
    ("lmm_vas", "reml", "vas ~ months + hads_d + bulbar", "patient_id", "~ months", True),
    ("lmm_vas", "ml", "vas ~ months + hads_d + bulbar", "patient_id", "~ months", False),
    ("lmm_singular", "reml", "vas ~ months + hads_d", "patient_id", "~ months", True),
    ("lmm_alsfrs", "reml", "alsfrs ~ months + C(onset_site) + age_at_onset", "patient_id", "~ 1",
     True),
    ("lmm_grunfeld", "reml", "invest ~ value + capital", "firm", "~ 1", True),
]


def _fit_lmm(dataset: str, formula: str, groups: str, re_formula: str,
             reml: bool) -> LinearMixedModel:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ModelWarning)
        return LinearMixedModel(reml=reml).fit(data(dataset), formula, groups, re_formula)


@pytest.mark.parametrize(("dataset", "model", "formula", "groups", "re_formula", "reml"),
                         LMM_CASES, ids=[f"{c[0]}-{c[1]}" for c in LMM_CASES])
def test_lmm_agrees_with_lme4(dataset: str, model: str, formula: str, groups: str,
                              re_formula: str, reml: bool) -> None:
    m = _fit_lmm(dataset, formula, groups, re_formula, reml)
    fe = m.params_.rename(index=r_name)
    r_fe = ref(dataset, model, "fixef")
    close(fe[r_fe.index].to_numpy(), r_fe.to_numpy(), rtol=1e-6)
    close(m.llf_, ref(dataset, model, "loglik").iloc[0], rtol=1e-6)
    close(m.aic_, ref(dataset, model, "aic").iloc[0], rtol=1e-6)
    close(m.bic_, ref(dataset, model, "bic").iloc[0], rtol=1e-6)
    se = m.bse_.rename(index=r_name)
    r_se = ref(dataset, model, "se")
    close(se[r_se.index].to_numpy(), r_se.to_numpy(), rtol=1e-4)
    close(m.scale_, ref(dataset, model, "sigma2").iloc[0], rtol=1e-4)
    cov = m.cov_re_.rename(index=r_name, columns=r_name)
    for term, value in ref(dataset, model, "vcov_re").items():
        a, b = term.split(":")
        # a variance at zero (singular fit) is compared on the scale of the residual variance
        close(cov.loc[a, b], value, rtol=1e-4, atol=1e-6 * m.scale_)
    assert m.singular_ == bool(ref(dataset, model, "singular").iloc[0])


def test_lmm_ill_conditioned_random_slope_matches_lme4_deviance() -> None:
    """Grunfeld with a random slope on value: lme4 (bobyqa and Nelder-Mead, tight tolerances)
    and this engine reach the same REML deviance to ~1e-13 relative at theta values that differ
    in the 5th digit: the deviance is flat along one direction, so the fixed effects are only
    determined to ~2e-4 relative by any double-precision optimiser. Compared at that level."""
    m = _fit_lmm("lmm_grunfeld", "invest ~ value + capital", "firm", "~ value", True)
    assert m.llf_ >= ref("lmm_grunfeld", "reml_slope", "loglik").iloc[0] - 1e-9
    r_fe = ref("lmm_grunfeld", "reml_slope", "fixef")
    close(m.params_.rename(index=r_name)[r_fe.index].to_numpy(), r_fe.to_numpy(), rtol=5e-4)


def test_lmm_blups_agree_with_lme4() -> None:
    m = _fit_lmm("lmm_vas", "vas ~ months + hads_d + bulbar", "patient_id", "~ months", True)
    for col in ("(Intercept)", "months"):
        r = ref("lmm_vas", "reml", f"blup:{col}")
        ours = m.random_effects_.rename(columns=r_name)[col].reindex(r.index)
        close(ours.to_numpy(), r.to_numpy(), rtol=1e-4, atol=1e-6)


@pytest.mark.parametrize(("dataset", "formula", "groups"), [
    ("lmm_grunfeld", "invest ~ value + capital", "firm"),
    ("lmm_alsfrs", "alsfrs ~ months + C(onset_site) + age_at_onset", "patient_id"),
])
def test_lmm_agrees_with_statsmodels_mixedlm(dataset: str, formula: str, groups: str) -> None:
    """Random-intercept models, where MixedLM converges: same REML optimum. (MixedLM's bse_fe
    come from the Hessian of its own parameterisation, not from (X'V^-1X)^-1 as lme4's vcov,
    so SEs are compared with lme4 only.)"""
    import statsmodels.formula.api as smf

    d = data(dataset)
    ours = _fit_lmm(dataset, formula, groups, "~ 1", True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        sm_fit = smf.mixedlm(formula, d, groups=groups).fit(reml=True)
    close(ours.llf_, sm_fit.llf, rtol=1e-8)
    fe = sm_fit.fe_params.rename(index=lambda n: n.replace("C(onset_site)", "C(onset_site)"))
    close(ours.params_.to_numpy(), fe[ours.params_.index].to_numpy(), rtol=1e-4)
    close(ours.scale_, sm_fit.scale, rtol=1e-4)


def test_lmm_finds_the_optimum_where_mixedlm_does_not() -> None:
    """On the unbalanced VAS data with a random slope, MixedLM reports non-convergence and stops
    at a REML log-likelihood far below the optimum that lme4 and this engine agree on."""
    import statsmodels.formula.api as smf

    d = data("lmm_vas")
    ours = _fit_lmm("lmm_vas", "vas ~ months + hads_d + bulbar", "patient_id", "~ months", True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        sm_fit = smf.mixedlm("vas ~ months + hads_d + bulbar", d, groups="patient_id",
                             re_formula="~ months").fit(reml=True)
    assert ours.llf_ >= sm_fit.llf - 1e-8
    close(ours.llf_, ref("lmm_vas", "reml", "loglik").iloc[0], rtol=1e-6)


def test_lmm_predict_and_summary() -> None:
    d = data("lmm_vas")
    m = _fit_lmm("lmm_vas", "vas ~ months + hads_d + bulbar", "patient_id", "~ months", True)
    fitted = m.predict(d)
    resid = d.vas - fitted
    assert abs(resid.mean()) < 0.05 and resid.std() < np.sqrt(m.scale_) * 1.2
    pop = m.predict(d, include_random=False)
    assert np.corrcoef(pop, d.vas)[0, 1] < np.corrcoef(fitted, d.vas)[0, 1]
    s = m.summary
    assert list(s.columns) == ["estimate", "std_error", "z", "p_value", "ci_low", "ci_high"]
    assert ((s.ci_low < s.estimate) & (s.estimate < s.ci_high)).all()
    assert s.p_value.between(0, 1).all()


def test_lmm_drops_missing_rows_and_reports() -> None:
    d = data("lmm_vas")
    d.loc[[0, 5, 9], "hads_d"] = np.nan
    with pytest.warns(ModelWarning, match="3 of .* rows dropped"):
        m = LinearMixedModel().fit(d, "vas ~ months + hads_d", "patient_id", "~ months")
    assert m.n_dropped_ == 3 and m.n_obs_ == len(d) - 3


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda d: d.assign(dup=d.months * 2), "singular fixed-effects design.*dup"),
        (lambda d: d.assign(months=d.months.where(d.index != 4, np.inf)), "non-finite.*row"),
        (lambda d: d.assign(patient_id="one"), "at least two groups"),
    ],
)
def test_lmm_bad_input(mutate, message: str) -> None:
    d = mutate(data("lmm_vas"))
    formula = "vas ~ months + dup" if "dup" in d else "vas ~ months"
    with pytest.raises(ModelDataError, match=message):
        LinearMixedModel().fit(d, formula, "patient_id", "~ months")


def test_lmm_warns_on_single_row_groups_and_singular_fit() -> None:
    with pytest.warns(ModelWarning, match="single row"):
        LinearMixedModel().fit(data("lmm_vas"), "vas ~ months", "patient_id", "~ months")
    # identical group means: the between-group variance is exactly 0 at the REML optimum
    rng = np.random.default_rng(0)
    d = pd.DataFrame({"g": np.repeat(np.arange(30), 4), "y": rng.normal(size=120)})
    d["y"] -= d.groupby("g").y.transform("mean")
    with pytest.warns(ModelWarning, match="singular fit"):
        m = LinearMixedModel().fit(d, "y ~ 1", "g")
    assert m.singular_ and m.cov_re_.iloc[0, 0] < 1e-8


# --- Cox models --------------------------------------------------------------------------------
TV = "pain + age + bulbar + ftd"
COX_CASES = [
    ("cox_tv", "efron", TV, "efron", None, False, "patient_id"),
    ("cox_tv", "breslow", TV, "breslow", None, False, "patient_id"),
    ("cox_tv", "robust", TV, "efron", None, True, "patient_id"),
    ("cox_tv", "robust_breslow", TV, "breslow", None, True, "patient_id"),
    ("cox_tv", "strata", TV, "efron", "sex", False, "patient_id"),
    ("cox_ties", "efron", TV, "efron", None, False, "patient_id"),
    ("cox_ties", "breslow", TV, "breslow", None, False, "patient_id"),
    ("cox_ties", "robust", TV, "efron", None, True, "patient_id"),
    ("cox_baseline", "efron", "vas_pain + age_at_onset + progression_rate", "efron", None, False,
     "patient_id"),
    ("cox_stanford", "efron", "age + year + surgery + transplant", "efron", None, False, "id"),
    ("cox_stanford", "robust", "age + year + surgery + transplant", "efron", None, True, "id"),
]


def _fit_cox(dataset: str, formula: str, ties: str, strata: str | None, robust: bool,
             id_col: str) -> CoxTimeVarying:
    return CoxTimeVarying(ties=ties).fit(data(dataset), id_col, "start", "stop", "event",
                                         formula=formula, strata=strata, robust=robust)


@pytest.mark.parametrize(("dataset", "model", "formula", "ties", "strata", "robust", "id_col"),
                         COX_CASES, ids=[f"{c[0]}-{c[1]}" for c in COX_CASES])
def test_cox_agrees_with_survival(dataset: str, model: str, formula: str, ties: str,
                                  strata: str | None, robust: bool, id_col: str) -> None:
    m = _fit_cox(dataset, formula, ties, strata, robust, id_col)
    r_coef = ref(dataset, model, "coef")
    close(m.params_[r_coef.index].to_numpy(), r_coef.to_numpy(), rtol=1e-6)
    close(m.llf_, ref(dataset, model, "loglik").iloc[0], rtol=1e-6)
    close(m.llf_null_, ref(dataset, model, "loglik_null").iloc[0], rtol=1e-6)
    r_se = ref(dataset, model, "se")
    close(m.bse_[r_se.index].to_numpy(), r_se.to_numpy(), rtol=1e-4)
    if robust:
        naive = np.sqrt(np.diag(m.naive_cov_params_))
        close(naive, ref(dataset, model, "naive_se").to_numpy(), rtol=1e-4)
    close(m.lr_test_["statistic"], ref(dataset, model, "logtest").iloc[0],
          rtol=1e-6)
    close(m.wald_test_["statistic"], ref(dataset, model, "waldtest").iloc[0], rtol=1e-4)
    close(m.score_test_["statistic"], ref(dataset, model, "sctest").iloc[0], rtol=1e-6)
    close(m.concordance_, ref(dataset, model, "concordance").iloc[0], rtol=1e-6)
    bh = ref(dataset, model, "cumhaz")
    if strata:
        for key, value in bh.items():
            level, t = key.split("@")
            close(m.baseline_cumulative_hazard_at([float(t)], stratum=level)[0], value, rtol=1e-5)
    else:
        got = m.baseline_cumulative_hazard_at(bh.index.astype(float))
        close(got, bh.to_numpy(), rtol=1e-5)


def test_cox_agrees_with_lifelines() -> None:
    from lifelines import CoxTimeVaryingFitter

    d = data("cox_tv")
    ours = _fit_cox("cox_tv", TV, "efron", None, False, "patient_id")
    ll = CoxTimeVaryingFitter().fit(d[["patient_id", "start", "stop", "event", "pain", "age",
                                       "bulbar", "ftd"]], id_col="patient_id", start_col="start",
                                    stop_col="stop", event_col="event")
    close(ours.params_.to_numpy(), ll.params_[ours.params_.index].to_numpy(), rtol=1e-5)
    close(ours.llf_, ll.log_likelihood_, rtol=1e-6)
    close(ours.bse_.to_numpy(), ll.standard_errors_[ours.params_.index].to_numpy(), rtol=1e-4)
    new = d.head(20)
    close(ours.predict_partial_hazard(new).to_numpy(),
          ll.predict_partial_hazard(new).to_numpy(), rtol=1e-5)


def test_cox_baseline_data_agrees_with_lifelines_coxph() -> None:
    """Plain Cox data: the same fit as lifelines' CoxPHFitter. Concordance: R and lifelines
    treat pairs tied on time differently (R leaves them out); ours matches R on tied data
    (above), and lifelines on data without time ties, where the definitions coincide."""
    from lifelines import CoxPHFitter
    from lifelines.utils import concordance_index

    d = data("cox_baseline")
    d = d.assign(stop=d.stop + np.arange(len(d)) * 1e-4)  # break every time tie
    ours = CoxTimeVarying().fit(d, "patient_id", "start", "stop", "event",
                                formula="vas_pain + age_at_onset + progression_rate")
    # lifelines' default stopping rule (precision 1e-7 on the step) ends ~7e-5 short here
    cph = CoxPHFitter().fit(d[["stop", "event", "vas_pain", "age_at_onset", "progression_rate"]],
                            "stop", "event", fit_options={"precision": 1e-12})
    close(ours.params_.to_numpy(), cph.params_[ours.params_.index].to_numpy(), rtol=1e-8)
    close(ours.llf_, cph.log_likelihood_, rtol=1e-12)
    risk = ours.predict_log_partial_hazard(d)
    close(ours.concordance_, concordance_index(d.stop, -risk, d.event), rtol=1e-12)


def test_cox_summary_columns_and_invariants() -> None:
    m = _fit_cox("cox_tv", TV, "efron", None, False, "patient_id")
    s = m.summary
    assert list(s.columns) == ["estimate", "hazard_ratio", "std_error", "z", "p_value", "ci_low",
                               "ci_high", "hr_ci_low", "hr_ci_high"]
    assert ((s.hr_ci_low < s.hazard_ratio) & (s.hazard_ratio < s.hr_ci_high)).all()
    H = m.baseline_cumulative_hazard_.cumulative_hazard
    assert (np.diff(H) >= 0).all() and (H >= 0).all()
    assert 0 <= m.concordance_ <= 1


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda d: d.assign(stop=d.stop.where(d.index != 3, d.start)), "start >= stop.*row.*3"),
        (lambda d: d.assign(event=0), "no events"),
        (lambda d: d.assign(event=d.event.where(d.index != 2, 2)), "event must be 0/1"),
        (lambda d: d.assign(start=d.start.where(d.index != 1, d.start - 5)), "overlap"),
        (lambda d: d.assign(age=d.age.where(d.index != 7, np.inf)), "non-finite"),
    ],
)
def test_cox_bad_input(mutate, message: str) -> None:
    d = mutate(data("cox_tv"))
    formula = TV + (" + pain2" if "pain2" in d else "")
    with pytest.raises(ModelDataError, match=message):
        CoxTimeVarying().fit(d, "patient_id", "start", "stop", "event", formula=formula)


def test_cox_collinear_column_is_not_estimated_as_in_r() -> None:
    """An exact linear combination of other covariates is aliased: R's coxph reports NA."""
    d = data("cox_tv").assign(pain2=lambda x: x.pain * 2)
    with pytest.warns(ModelWarning, match=r"\['pain2'\] cannot be estimated"):
        m = CoxTimeVarying().fit(d, "patient_id", "start", "stop", "event",
                                 formula=TV + " + pain2")
    ref = CoxTimeVarying().fit(data("cox_tv"), "patient_id", "start", "stop", "event",
                               formula=TV)
    assert m.summary.loc["pain2"].isna().all()
    np.testing.assert_allclose(m.params_, ref.params_, rtol=1e-12)


def test_cox_drops_missing_rows_with_a_warning() -> None:
    d = data("cox_tv")
    d.loc[[0, 1], "pain"] = np.nan
    with pytest.warns(ModelWarning, match="2 of .* rows dropped"):
        m = CoxTimeVarying().fit(d, "patient_id", "start", "stop", "event", formula=TV)
    assert m.n_dropped_ == 2


def test_fast_design_path_equals_formulaic() -> None:
    """A plain sum of numeric columns skips formulaic; the result must be identical."""
    from alspaincohort.stats import design

    d = data("lmm_vas")
    d.loc[[3, 8], "hads_d"] = np.nan
    fast = design.build(d, "vas ~ months + hads_d", extra=["patient_id"])
    slow = design.build(d, "vas ~ months + I(hads_d)", extra=["patient_id"])
    assert isinstance(fast.spec, design._ColumnsSpec)
    np.testing.assert_array_equal(fast.rows, slow.rows)
    np.testing.assert_array_equal(fast.X, slow.X)
    np.testing.assert_array_equal(fast.y, slow.y)
    assert fast.x_names == ["Intercept", "months", "hads_d"] and fast.n_dropped == 2


def test_cox_fit_arrays_equals_the_formula_fit_from_any_start() -> None:
    """``fit_arrays`` (the bootstrap's refit: no formula, Newton-Raphson from a given start)
    reaches the maximum ``fit`` reaches, on data with tied times, binary covariates, delayed
    entry, few rows and a constant column; the start changes the path, not the estimate."""
    rng = np.random.default_rng(41)
    compared = 0
    for k in range(40):
        n = int(rng.choice([6, 15, 40, 120, 400]))
        p = int(rng.integers(1, 4))
        X = rng.normal(size=(n, p))
        if k % 3 == 0:
            X[:, -1] = rng.integers(0, 2, n)
        t = np.ceil(rng.exponential(20 * np.exp(-0.4 * X[:, 0]), n))  # integer times: ties
        e = rng.random(n) < 0.7
        e[0] = True
        entry = np.floor(t * rng.uniform(0, 0.6, n)) if k % 4 == 1 else None
        cols = [f"x{j}" for j in range(p)]
        frame = pd.DataFrame(X, columns=cols).assign(
            id=np.arange(n), start=0.0 if entry is None else entry, stop=t, event=e.astype(int))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            try:
                ref = CoxTimeVarying().fit(frame, "id", "start", "stop", "event",
                                           formula=" + ".join(cols))
            except ModelDataError:  # no finite maximum: fit_arrays must say so too
                with pytest.raises(ModelDataError):
                    CoxTimeVarying().fit_arrays(X, t, e, entry=entry)
                continue
            for init in (None, ref.params_.reindex(cols, fill_value=0).to_numpy()
                         + rng.normal(0, 0.3, p)):
                got = CoxTimeVarying().fit_arrays(X, t, e, entry=entry, names=cols, init=init)
                np.testing.assert_allclose(got.params_, ref.params_, rtol=1e-8, atol=1e-10)
                np.testing.assert_allclose(got.bse_, ref.bse_, rtol=1e-7)
                assert got.llf_ == pytest.approx(ref.llf_, rel=1e-12, abs=1e-10)
                assert got.lr_test_["statistic"] == pytest.approx(ref.lr_test_["statistic"],
                                                                  rel=1e-8, abs=1e-9)
                # after a warm start the null model is evaluated when a test asks for it
                assert got.llf_null_ == pytest.approx(ref.llf_null_, rel=1e-12, abs=1e-10)
                for test in ("score_test_", "wald_test_"):
                    assert getattr(got, test)["statistic"] == pytest.approx(
                        getattr(ref, test)["statistic"], rel=1e-7, abs=1e-9)
                at = np.quantile(t, [0.2, 0.5, 0.9])
                np.testing.assert_allclose(got.baseline_cumulative_hazard_at(at),
                                           ref.baseline_cumulative_hazard_at(at), rtol=1e-8)
                assert got.aliased_ == ref.aliased_
                compared += 1
    assert compared >= 60  # most datasets have a finite maximum, each checked from 2 starts


def test_cox_estimates_belong_to_the_last_fit_and_survive_pickling() -> None:
    """The Series, frames and tests are built on first access: a second fit of the same object
    replaces every one read after the first, and a fitted model (its null model still to
    evaluate, after a warm start) pickles for a process pool."""
    import pickle

    rng = np.random.default_rng(12)
    X = rng.normal(size=(300, 2))
    t = np.ceil(rng.exponential(30 * np.exp(-0.5 * X[:, 0])))
    e = rng.random(300) < 0.8
    model = CoxTimeVarying()
    first = model.fit_arrays(X[:, :1], t, e, names=["a"])
    read = (first.params_.copy(), first.bse_.copy(), first.score_test_, first.means_.copy())
    model.fit_arrays(X, t, e, names=["a", "b"], init=[0.4, 0.0])
    assert list(model.params_.index) == ["a", "b"] and list(model.means_.index) == ["a", "b"]
    assert model.params_["a"] != read[0]["a"] and model.score_test_["df"] == 2
    clone = pickle.loads(pickle.dumps(model))
    assert clone.llf_null_ == model.llf_null_
    pd.testing.assert_frame_equal(clone.cov_params_, model.cov_params_)
    assert not CoxTimeVarying().is_fitted and model.is_fitted


def test_cox_fit_arrays_bad_input_names_the_argument() -> None:
    X = np.zeros((5, 1)) + np.arange(5)[:, None]
    t, e = np.arange(1.0, 6.0), np.array([1, 0, 1, 1, 0])
    with pytest.raises(ModelDataError, match="one row per subject"):
        CoxTimeVarying().fit_arrays(X[:4], t, e)
    with pytest.raises(ModelDataError, match="X must be finite; row"):
        CoxTimeVarying().fit_arrays(np.where(X == 2, np.nan, X), t, e)
    with pytest.raises(ModelDataError, match="init must be 1 finite"):
        CoxTimeVarying().fit_arrays(X, t, e, init=[0.0, 1.0])
    with pytest.raises(ModelDataError, match="event must be 0/1"):
        CoxTimeVarying().fit_arrays(X, t, [1, 2, 0, 0, 1])
    with pytest.raises(ModelDataError, match="no events"):
        CoxTimeVarying().fit_arrays(X, t, np.zeros(5))


def test_cox_calibration_slope_on_the_training_data_is_one() -> None:
    """incremental_value records the apparent calibration slope as 1 without a fit: refitting
    the Cox model on its own linear predictor gives exactly that (ties, Efron)."""
    rng = np.random.default_rng(5)
    for _ in range(10):
        n = int(rng.integers(30, 300))
        X = rng.normal(size=(n, 3))
        t = np.ceil(rng.exponential(10 * np.exp(-0.5 * X[:, 0]), n))
        e = rng.random(n) < 0.8
        fit = CoxTimeVarying().fit_arrays(X, t, e)
        lp = X @ fit.params_.to_numpy()
        slope = CoxTimeVarying().fit_arrays(lp[:, None], t, e).params_.iloc[0]
        assert slope == pytest.approx(1.0, abs=1e-9)
