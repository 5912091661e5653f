"""Prognostic value of pain (issue 9).

References: ``tests/results/prognosis/`` (make_data.py -> reference.R: survival::survdiff plain
and stratified, cmprsk::cuminc with tied times, survival::finegray + coxph and cmprsk::crr,
cox.zph, concordance, riskRegression::Score); lifelines for Kaplan-Meier, (tie-free)
Aalen-Johansen and Harrell's C; the generator's truth for the hazard ratio of current pain.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import matplotlib
import numpy as np
import pandas as pd
import pytest

import alspaincohort as apc
from alspaincohort.analysis.prognosis import (
    competing_risks,
    kaplan_meier,
    landmark,
    pain_cox,
)
from alspaincohort.stats.concordance import (
    CensoringDistribution,
    concordance_counts,
    concordance_counts_weighted,
    harrell_and_uno_c,
    harrell_c,
    uno_c,
)
from alspaincohort.stats.cox import CoxTimeVarying
from alspaincohort.stats.finegray import FineGray, finegray_rows
from alspaincohort.stats.prediction import brier_score, time_dependent_auc
from alspaincohort.stats.survival import (
    aalen_johansen,
    kaplan_meier_table,
    logrank_test,
    survival_quantile,
)
from alspaincohort.stats.zph import cox_zph

matplotlib.use("Agg")
HERE = Path(__file__).resolve().parent / "results" / "prognosis"
REF = pd.read_csv(HERE / "reference.csv")


def ref(q: str) -> pd.Series:
    r = REF[REF.quantity == q]
    return pd.Series(r.value.to_numpy(), index=r.term.to_numpy())


@pytest.fixture(scope="module")
def data() -> pd.DataFrame:
    return pd.read_csv(HERE / "survival.csv")


def test_logrank_agrees_with_survdiff(data: pd.DataFrame) -> None:
    r = logrank_test(data.time, data.event, data.pain)
    assert r["statistic"] == pytest.approx(ref("logrank").iloc[0], rel=1e-8)
    np.testing.assert_allclose(r["expected"], ref("logrank_exp").to_numpy(), rtol=1e-8)
    np.testing.assert_allclose(r["observed"], ref("logrank_obs").to_numpy())
    s = logrank_test(data.time, data.event, data.pain, strata=data.site)
    assert s["statistic"] == pytest.approx(ref("logrank_strat").iloc[0], rel=1e-8)
    k = logrank_test(data.time, data.event, data.site)
    assert k["df"] == 3 and k["statistic"] == pytest.approx(ref("logrank_site").iloc[0],
                                                           rel=1e-8)


def test_aalen_johansen_agrees_with_cmprsk_including_ties(data: pd.DataFrame) -> None:
    for cause in (1, 2):
        r = ref(f"cif_1_{cause}")
        r.index = r.index.astype(float)
        r = r[r.index > 0]
        ours = aalen_johansen(data.ctime, data.cause, cause).set_index("time").cif
        got = ours.reindex(r.index.astype(float), method="ffill").fillna(0.0)
        np.testing.assert_allclose(got.to_numpy(), r.to_numpy(), rtol=1e-10, atol=1e-12)
        assert (np.diff(ours) >= 0).all() and ours.between(0, 1).all()


def test_aalen_johansen_equals_lifelines_without_ties() -> None:
    from lifelines import AalenJohansenFitter

    rng = np.random.default_rng(5)
    t, cause = rng.exponential(10, 300), rng.choice([0, 1, 2], 300)
    ours = aalen_johansen(t, cause, 2).set_index("time").cif
    lf = AalenJohansenFitter(calculate_variance=False).fit(t, cause, event_of_interest=2)
    ref_cif = lf.cumulative_density_.iloc[:, 0]
    got = ours.reindex(ref_cif.index, method="ffill").fillna(0.0)
    np.testing.assert_allclose(got.to_numpy(), ref_cif.to_numpy(), atol=1e-12)


@pytest.fixture(scope="module")
def cohort() -> apc.Cohort:
    return apc.simulate_cohort(1500, seed=902)


def test_kaplan_meier_invariants_and_table(cohort: apc.Cohort) -> None:
    """The estimator itself is checked against R on the corpus (test_corpus_survival.py);
    here the analysis: groups, counts, invariants and the test."""
    k = kaplan_meier(cohort)
    s = cohort.survival("death", "baseline")
    b = cohort.baseline()
    pain = (b.vas_pain > 0) & b.vas_pain.notna()
    row = k.table.set_index("group").loc["pain"]
    assert row.n == pain.sum() and row.events == s.event[pain].sum()
    km = kaplan_meier_table(s.time_months[pain], s.event[pain])
    assert row["median"] == survival_quantile(km)["estimate"]
    for _, g in k.curves.groupby("group"):
        assert (np.diff(g.survival) <= 1e-12).all()
        assert g.survival.between(0, 1).all() and (g.ci_low <= g.survival + 1e-12).all()
        assert g["n_risk"].iloc[0] == k.table.set_index("group").loc[g.group.iloc[0], "n"]
    assert k.test["p_value"] < 0.05  # pain shortens survival in the literature preset
    onset = kaplan_meier(cohort, origin="onset", strata="onset_site")
    assert onset.test["stratified_by"] == "onset_site"


def test_kaplan_meier_onset_clock_uses_delayed_entry(cohort: apc.Cohort) -> None:
    """Issue 15: on the onset clock the log-rank test is the left-truncated one."""
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        k = kaplan_meier(cohort, origin="onset")
    d = k.data
    expected = logrank_test(d.time, d.event, d.group, d.entry)
    naive = logrank_test(d.time, d.event, d.group)
    assert k.test["statistic"] == pytest.approx(expected["statistic"], rel=1e-12)
    assert k.test["statistic"] != pytest.approx(naive["statistic"], rel=1e-3)
    assert (k.curves.groupby("group")["n_risk"].first() == 0).all()  # nobody enters at onset


def test_km_plot_has_at_risk_table(cohort: apc.Cohort) -> None:
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots()
    out = kaplan_meier(cohort).plot(ax=ax)
    assert out is ax and len(fig.axes) >= 2  # the numbers-at-risk axis is added
    plt.close(fig)


def test_pain_cox_recovers_the_true_hazard_ratio_across_seeds() -> None:
    """Current pain, carried forward: the 95% CI covers the true HR at about the nominal
    rate (hr_rate_per_point = 1: the latent decline rate, which no model sees, does not act
    on the hazard, so the Cox model is correctly specified; see tests/test_simulation.py)."""
    covered = 0
    for seed in range(903, 911):
        c = apc.simulate_cohort(600, seed=seed, hr_rate_per_point=1.0)
        r = pain_cox(c, covariates=("age_at_onset", "bulbar", "ftd", "definite_el_escorial"))
        row = r.table.set_index("term").loc["pain"]
        covered += row.hr_ci_low <= c.truth.estimands["hr_pain_per_point"] <= row.hr_ci_high
    assert covered >= 6


def test_pain_cox_options(cohort: apc.Cohort) -> None:
    tv = pain_cox(cohort)
    lagged = pain_cox(cohort, lag_days=60)
    base = pain_cox(cohort, time_varying=False)
    for r in (tv, lagged, base):
        t = r.table.set_index("term")
        assert t.loc["pain", "hazard_ratio"] > 1
        assert r.n_patients + r.n_dropped_patients == cohort.n_patients
    assert (lagged.data.start >= 60).all()  # nothing at risk before the first lagged value
    comp = pain_cox(cohort, endpoint="composite", robust=True)
    assert comp.model.robust and comp.model.n_events_ >= tv.model.n_events_


def test_landmark_and_competing_risks(cohort: apc.Cohort) -> None:
    lm = landmark(cohort, (6, 12)).table
    n6 = lm[lm.landmark_months == 6].n_patients.iloc[0]
    n12 = lm[lm.landmark_months == 12].n_patients.iloc[0]
    assert n12 < n6
    assert (lm.hr_ci_low <= lm.hazard_ratio).all() and (lm.hazard_ratio <= lm.hr_ci_high).all()
    cr = competing_risks(cohort)
    cif = cr.cumulative_incidence
    final = cif.groupby(["group", "cause"]).cif.max().groupby("group").sum()
    assert (final <= 1 + 1e-12).all()  # the causes' incidences never exceed 1 together
    cs = cr.table[cr.table.model == "cause-specific"].set_index(["cause", "term"])
    assert cs.loc[("death", "pain"), "hazard_ratio"] > 1
    import matplotlib.pyplot as plt

    from alspaincohort.plots import cumulative_incidence_plot

    fig, ax = plt.subplots()
    assert cumulative_incidence_plot(cif, ax=ax) is ax
    plt.close(fig)


# ---- Fine-Gray, proportional hazards, concordance, AUC, Brier (R references) ------------------
COVS = ["vas", "age", "bulbar", "fvc"]


@pytest.fixture(scope="module")
def dd(data: pd.DataFrame) -> pd.DataFrame:
    return data[data.ctime > 0].reset_index(drop=True)


def _fg_fit(dd: pd.DataFrame, code: int, ties: str, robust: bool, time: str = "ctime") -> Any:
    fg = finegray_rows(dd[time], dd.cause, code).join(dd[COVS], on="row")
    return CoxTimeVarying(ties=ties).fit(fg, "row", "start", "stop", "event",
                                         formula=" + ".join(COVS), weights="weight",
                                         robust=robust)


def test_finegray_rows_equal_survival_finegray(dd: pd.DataFrame) -> None:
    for et, code in (("death", 1), ("autonomy", 2)):
        fg = finegray_rows(dd.ctime, dd.cause, code)
        per = fg.assign(n=1, wt=fg.weight * (fg.stop - fg.start)).groupby("row").agg(
            n=("n", "sum"), w=("weight", "sum"), wt=("wt", "sum"))
        np.testing.assert_array_equal(per.n.to_numpy(), ref(f"fg_rows_{et}").to_numpy())
        np.testing.assert_allclose(per.w.to_numpy(), ref(f"fg_wsum_{et}").to_numpy(),
                                   rtol=1e-12)
        np.testing.assert_allclose(per.wt.to_numpy(), ref(f"fg_wtime_{et}").to_numpy(),
                                   rtol=1e-12)
        assert fg.weight.between(0, 1).all() and (fg.start < fg.stop).all()
        # only competing-event patients are extended, and their weights never increase
        extended = per.index[per.n > 1]
        assert (dd.cause.to_numpy()[extended] == 3 - code).all()
        assert (fg.groupby("row").weight.diff().dropna() <= 1e-15).all()


@pytest.mark.parametrize("ties", ["efron", "breslow"])
@pytest.mark.parametrize("et,code", [("death", 1), ("autonomy", 2)])
def test_fine_gray_agrees_with_finegray_coxph(dd: pd.DataFrame, et: str, code: int,
                                              ties: str) -> None:
    naive = _fg_fit(dd, code, ties, robust=False)
    robust = _fg_fit(dd, code, ties, robust=True)
    np.testing.assert_allclose(naive.params_.to_numpy(),
                               ref(f"fg_coef_{et}_{ties}").to_numpy(), rtol=1e-6, atol=1e-9)
    np.testing.assert_allclose(naive.bse_.to_numpy(), ref(f"fg_se_{et}_{ties}").to_numpy(),
                               rtol=1e-6)
    np.testing.assert_allclose(robust.bse_.to_numpy(),
                               ref(f"fg_robse_{et}_{ties}").to_numpy(), rtol=1e-6)
    null, full = ref(f"fg_loglik_{et}_{ties}")  # R's fit$loglik: null, fitted
    assert naive.llf_ == pytest.approx(full, rel=1e-9)
    assert naive.llf_null_ == pytest.approx(null, rel=1e-9)


def test_fine_gray_agrees_with_cmprsk_crr(dd: pd.DataFrame) -> None:
    """Tie-free times: coefficients equal crr's to 1e-5 (in fact ~1e-13). crr's variance is
    Fine & Gray's own sandwich; the robust-by-patient variance of the weighted Cox model is
    close to it but not the same estimator (R gives 0.0280457 vs 0.0280452 for VAS), so the
    SEs are compared with coxph exactly and with crr only as "close"."""
    fit = _fg_fit(dd, 1, "efron", robust=True, time="ctime_cont")
    np.testing.assert_allclose(fit.params_.to_numpy(), ref("crr_coef").to_numpy(), rtol=1e-5,
                               atol=1e-10)
    np.testing.assert_allclose(fit.bse_.to_numpy(), ref("fgcont_robse").to_numpy(), rtol=1e-6)
    np.testing.assert_allclose(fit.bse_.to_numpy(), ref("crr_se").to_numpy(), rtol=2e-3)


def test_case_weights_equal_replicated_rows(dd: pd.DataFrame) -> None:
    """With Breslow ties, integer case weights are the same as repeating rows. (Not with
    Efron: repeated rows are extra tied deaths, while a weighted death is one; R's weighted
    Efron, which the Fine-Gray references check, differs from replication in the same way.)"""
    rng = np.random.default_rng(3)
    w = rng.integers(1, 4, len(dd))
    d = dd.assign(start=0.0, id=np.arange(len(dd)), w=w)
    rep = d.loc[d.index.repeat(w)].assign(id=lambda x: np.arange(len(x)))
    a = CoxTimeVarying(ties="breslow").fit(d, "id", "start", "time", "event",
                                           formula=" + ".join(COVS), weights="w")
    b = CoxTimeVarying(ties="breslow").fit(rep, "id", "start", "time", "event",
                                           formula=" + ".join(COVS))
    np.testing.assert_allclose(a.params_, b.params_, rtol=1e-9)
    np.testing.assert_allclose(a.bse_, b.bse_, rtol=1e-9)
    assert a.llf_ == pytest.approx(b.llf_, rel=1e-12)
    np.testing.assert_allclose(a.baseline_cumulative_hazard_.cumulative_hazard,
                               b.baseline_cumulative_hazard_.cumulative_hazard, rtol=1e-9)


@pytest.mark.parametrize("ties", ["efron", "breslow"])
@pytest.mark.parametrize("transform", ["km", "identity", "rank", "log"])
def test_cox_zph_agrees_with_r(ties: str, transform: str) -> None:
    tv = pd.read_csv(HERE / "tv.csv")
    m = CoxTimeVarying(ties=ties).fit(tv, "patient_id", "start", "stop", "event",
                                      formula="pain + age_at_onset + bulbar")
    z = cox_zph(m, transform)
    np.testing.assert_allclose(z.table.chisq.to_numpy(),
                               ref(f"zph_tv_{ties}_{transform}_chisq").to_numpy(), rtol=1e-8)
    assert list(z.table.term) == ["pain", "age_at_onset", "bulbar", "GLOBAL"]
    assert z.table.p_value.between(0, 1).all()
    if transform == "km" and ties == "efron":
        r = z.residuals
        np.testing.assert_allclose(r.transformed_time, ref("zph_tv_x").to_numpy(), atol=1e-12)
        np.testing.assert_allclose(r.time, ref("zph_tv_time").to_numpy())
        for v in ("pain", "age_at_onset", "bulbar"):  # same multiset within tied times
            np.testing.assert_allclose(np.sort(r[v]), np.sort(ref(f"zph_tv_y_{v}").to_numpy()),
                                       rtol=1e-8, atol=1e-10)
        assert r.transformed_time.between(0, 1).all()


def test_cox_zph_baseline_and_weighted_models(dd: pd.DataFrame) -> None:
    base = CoxTimeVarying().fit(dd.assign(start=0.0, id=np.arange(len(dd))), "id", "start",
                                "time", "event", formula=" + ".join(COVS))
    np.testing.assert_allclose(cox_zph(base).table.chisq.to_numpy(),
                               ref("zph_base_chisq").to_numpy(), rtol=1e-8)
    fg = _fg_fit(dd, 1, "breslow", robust=False)
    np.testing.assert_allclose(cox_zph(fg).table.chisq.to_numpy(),
                               ref("zph_fg_chisq").to_numpy(), rtol=1e-8)


def test_cox_zph_detects_non_proportional_hazards() -> None:
    """A covariate whose effect reverses over time is flagged; a constant effect is not."""
    rng = np.random.default_rng(11)
    n = 2000
    x, z = rng.binomial(1, 0.5, n), rng.normal(size=n)
    # hazard ratio of x 4 before t = 1, 0.25 after; z constant log-HR 0.5
    rate = np.exp(0.5 * z)
    t1 = rng.exponential(1 / (rate * np.where(x == 1, 4.0, 1.0)))
    t2 = 1 + rng.exponential(1 / (rate * np.where(x == 1, 0.25, 1.0)))
    t = np.where(t1 < 1, t1, t2)
    c = rng.exponential(3, n)
    d = pd.DataFrame({"id": np.arange(n), "start": 0.0, "stop": np.minimum(t, c),
                      "event": (t <= c).astype(int), "x": x, "z": z})
    z_res = cox_zph(CoxTimeVarying().fit(d, "id", "start", "stop", "event",
                                         formula="x + z")).table.set_index("term")
    assert z_res.loc["x", "p_value"] < 1e-6 and z_res.loc["z", "p_value"] > 0.001


def test_concordance_and_prediction_metrics_agree_with_r(dd: pd.DataFrame) -> None:
    from lifelines.utils import concordance_index

    fit = CoxTimeVarying().fit(dd.assign(start=0.0, id=np.arange(len(dd))), "id", "start",
                               "time", "event", formula=" + ".join(COVS))
    eta = dd[COVS].to_numpy() @ fit.params_.to_numpy()
    assert harrell_c(dd.time, dd.event, eta) == pytest.approx(ref("conc_harrell").iloc[0],
                                                              rel=1e-10)
    assert harrell_c(dd.time, dd.event, eta) == pytest.approx(
        concordance_index(dd.time, -eta, dd.event), rel=1e-10)
    uno = ref("conc_uno")
    for tau in ("365", "730"):
        assert uno_c(dd.time, dd.event, eta, tau=float(tau)) == pytest.approx(uno[tau],
                                                                             rel=1e-10)
    assert uno_c(dd.time, dd.event, eta) == pytest.approx(uno["none"], rel=1e-10)
    for j, at in enumerate((365, 730)):
        risk = 1 - np.exp(-fit.baseline_cumulative_hazard_at([at])[0] * np.exp(eta))
        np.testing.assert_allclose(risk, ref(f"risk_{at}").to_numpy(), rtol=1e-9)
        assert time_dependent_auc(dd.time, dd.event, eta, at) == pytest.approx(
            ref("auc").iloc[j], rel=1e-10)
        assert brier_score(dd.time, dd.event, risk, at) == pytest.approx(ref("brier").iloc[j],
                                                                         rel=1e-10)
    tv = pd.read_csv(HERE / "tv.csv")
    m = CoxTimeVarying().fit(tv, "patient_id", "start", "stop", "event",
                             formula="pain + age_at_onset + bulbar")
    assert m.concordance_ == pytest.approx(ref("conc_tv").iloc[0], rel=1e-10)


def _brute_counts(start: Any, stop: Any, ev: Any, r: Any, w: Any) -> np.ndarray:
    c = d = t = ty = 0.0
    for i in np.flatnonzero(ev):
        at = (start < stop[i]) & (stop >= stop[i])
        at[i] = False
        same = at & ev & (stop == stop[i])
        ty += (w[i] * w[same]).sum() / 2
        at &= ~same
        c += (w[i] * w[at & (r < r[i])]).sum()
        d += (w[i] * w[at & (r > r[i])]).sum()
        t += (w[i] * w[at & (r == r[i])]).sum()
    return np.array([c, d, t, ty])


def test_concordance_counts_equal_pairwise_definition() -> None:
    """The O(n log^2 n) counts equal the O(n^2) definition on (start, stop] data with ties in
    time and risk and case weights."""
    rng = np.random.default_rng(8)
    # sizes around the counter's block boundaries (points compared directly below 32, one
    # sorted level per power of two above), with and without entry times and weights
    for n in (1, 2, 31, 32, 33, 63, 64, 65, 150, 150, 150, 700):
        stop = rng.integers(1, 25, n).astype(float)
        start = np.where(rng.random(n) < 0.5, 0.0, np.maximum(stop - rng.integers(1, 8, n), 0))
        ev = rng.random(n) < 0.6
        r = rng.integers(0, 6 if n < 700 else 400, n).astype(float)
        w = rng.random(n) + 0.1 if n % 2 == 0 else np.ones(n)
        if not ev.any():
            ev[0] = True
        got = concordance_counts(None if n in (33, 65) else start, stop, ev, r, w)
        expected = _brute_counts(np.zeros(n) if n in (33, 65) else start, stop, ev, r, w)
        np.testing.assert_allclose([got.concordant, got.discordant, got.tied_x, got.tied_y],
                                   expected, rtol=1e-10)
        assert np.isnan(got.concordance) or 0 <= got.concordance <= 1


def test_harrell_and_uno_from_one_count_equal_each_alone() -> None:
    rng = np.random.default_rng(12)
    for n in (2, 5, 40, 300):
        t = rng.integers(1, 30, n).astype(float)
        e = rng.random(n) < 0.6
        e[0] = True
        r = rng.integers(0, 5, n).astype(float)
        for tau in (None, 10.0, 100.0):
            try:
                u = uno_c(t, e, r, tau=tau)
            except apc.errors.ModelDataError:
                with pytest.raises(apc.errors.ModelDataError):
                    harrell_and_uno_c(t, e, r, tau=tau)
                continue
            assert harrell_and_uno_c(t, e, r, tau=tau) == (harrell_c(t, e, r), u)


def test_competing_risks_subdistribution(cohort: apc.Cohort) -> None:
    cr = competing_risks(cohort)
    sd = cr.table[cr.table.model == "Fine-Gray"].set_index(["cause", "term"])
    assert set(sd.index.get_level_values(0)) == {"death", "tracheostomy or NIV"}
    assert (sd.hr_ci_low <= sd.hazard_ratio).all() and (sd.hazard_ratio <= sd.hr_ci_high).all()
    assert cr.n_patients <= cohort.n_patients


def test_pain_cox_no_pain_effect_covers_one_at_nominal_rate() -> None:
    covered = 0
    for seed in range(921, 929):
        c = apc.simulate_cohort(600, seed=seed, preset="no_pain_effect")
        assert c.truth.estimands["hr_pain_per_point"] == 1.0
        r = pain_cox(c, covariates=("age_at_onset", "bulbar"))
        row = r.table.set_index("term").loc["pain"]
        covered += row.hr_ci_low <= 1.0 <= row.hr_ci_high
    assert covered >= 6


def test_proportional_hazards_on_pain_cox_and_plot(cohort: apc.Cohort) -> None:
    import matplotlib.pyplot as plt

    z = pain_cox(cohort, covariates=("age_at_onset", "bulbar")).proportional_hazards()
    assert list(z.table.term) == ["pain", "age_at_onset", "bulbar", "GLOBAL"]
    # the generator's pain effect is proportional: no evidence against it at 0.001
    assert z.table.set_index("term").loc["pain", "p_value"] > 0.001
    fig, ax = plt.subplots()
    assert z.plot(ax=ax, term="pain") is ax
    plt.close(fig)


def test_competing_risks_end_to_end_agrees_with_r() -> None:
    """competing_risks() on the cohort behind survival.csv: cause-specific and Fine-Gray
    hazard ratios and their 95% CIs equal R's coxph / finegray + coxph (robust by patient)."""
    c = apc.simulate_cohort(600, seed=901)
    cr = competing_risks(c, covariates=("age_at_onset", "bulbar", "fvc_percent"))
    terms = ["pain", "age_at_onset", "bulbar", "fvc_percent"]
    for code, name in ((1, "death"), (2, "tracheostomy or NIV")):
        for table, coef_q, se_q in (("cause-specific", f"cs_coef_{code}", f"cs_se_{code}"),
                                    ("Fine-Gray",
                                     f"fg_coef_{'death' if code == 1 else 'autonomy'}_efron",
                                     f"fg_robse_{'death' if code == 1 else 'autonomy'}_efron")):
            got = cr.table[cr.table.model == table].set_index(["cause", "term"]).loc[name] \
                .loc[terms]
            beta, se = ref(coef_q).to_numpy(), ref(se_q).to_numpy()
            np.testing.assert_allclose(got.hazard_ratio, np.exp(beta), rtol=1e-6)
            np.testing.assert_allclose(got.hr_ci_low, np.exp(beta - 1.959963984540054 * se),
                                       rtol=1e-6)
            np.testing.assert_allclose(got.hr_ci_high, np.exp(beta + 1.959963984540054 * se),
                                       rtol=1e-6)
    assert cr.n_patients == int((pd.read_csv(HERE / "survival.csv").ctime > 0).sum())


def test_pain_cox_on_the_onset_time_scale(cohort: apc.Cohort) -> None:
    """origin="onset": the baseline-scale rows shifted by each patient's onset day (delayed
    entry at baseline), fitted as counting-process data."""
    covs = ("age_at_onset", "bulbar")
    onset = pain_cox(cohort, covariates=covs, origin="onset")
    base = pain_cox(cohort, covariates=covs)
    shift = -base.data.patient_id.map(
        cohort.survival("death", "onset").set_index("patient_id").origin_day)
    manual = base.data.assign(start=base.data.start + shift, stop=base.data.stop + shift)
    fit = CoxTimeVarying().fit(manual, "patient_id", "start", "stop", "event",
                               formula="pain + age_at_onset + bulbar")
    np.testing.assert_allclose(onset.model.params_, fit.params_, rtol=1e-10)
    assert (onset.data.start >= 0).all() and "onset" in onset.description
    with pytest.raises(ValueError, match="origin"):
        pain_cox(cohort, origin="death")


def test_kaplan_meier_risk_equals_lifelines(dd: pd.DataFrame) -> None:
    from lifelines import KaplanMeierFitter

    from alspaincohort.stats.prediction import kaplan_meier_risk

    km = KaplanMeierFitter().fit(dd.time, dd.event)
    for at in (30.0, 365.0, float(dd.time[dd.event == 1].iloc[0])):  # incl. an event time
        assert kaplan_meier_risk(dd.time, dd.event, at) == pytest.approx(
            1 - float(km.survival_function_at_times(at).iloc[0]), rel=1e-12)


@pytest.mark.parametrize("transform", ["km", "identity"])
def test_zph_covariate_constant_within_a_stratum(transform: str) -> None:
    """Issue 15: R gives NA residuals for a covariate in the stratum where it is constant and
    rescales the other covariates' residuals (tests/results/prognosis/zph_strata.R)."""
    d = pd.read_csv(HERE / "zph_strata_data.csv")
    ref = pd.read_csv(HERE / "zph_strata_reference.csv")
    ref = ref[ref["transform"] == transform]
    m = CoxTimeVarying().fit(d, "id", "start", "stop", "event", formula="x + z", strata="s")
    z = cox_zph(m, transform)
    chisq = ref[ref["time"].isna()].iloc[0]
    np.testing.assert_allclose(z.table["chisq"], chisq[["x", "z", "tt"]].to_numpy(float),
                               rtol=1e-8)
    rows = ref[ref["time"].notna()]
    ours = z.residuals.sort_values(["time", "z"]).reset_index(drop=True)
    theirs = rows.sort_values(["time", "z"]).reset_index(drop=True)
    np.testing.assert_array_equal(ours["x"].isna(), theirs["x"].isna())
    assert ours["x"].isna().sum() > 20
    np.testing.assert_allclose(ours[["x", "z"]].to_numpy(), theirs[["x", "z"]].to_numpy(),
                               rtol=1e-8)
    np.testing.assert_allclose(ours["transformed_time"], theirs["tt"], rtol=1e-10)


def test_categorical_covariates_are_dummy_coded_never_dropped() -> None:
    """Issue 16: pain_cox(covariates=("onset_site",)) silently fitted a model without it."""
    from alspaincohort.errors import ParameterError

    c = apc.simulate_cohort(400, seed=2)
    r = pain_cox(c, covariates=("age_at_onset", "onset_site", "sex"))
    terms = set(r.table["term"])
    assert {"C(onset_site)[T.bulbar]", "C(sex)[T.male]"} <= terms
    assert r.table["std_error"].notna().all()
    patients = c.patients.assign(ftd=pd.NA)
    c2 = apc.Cohort(patients, c.assessments, c.pain_sites, c.medications, c.events)
    with pytest.raises(ParameterError, match="ftd"):
        pain_cox(c2, covariates=("age_at_onset", "ftd"))
    with pytest.warns(UserWarning, match="ftd"):
        default = pain_cox(c2)
    assert "ftd" in default.description
    lm = landmark(c, (6,), covariates=("age_at_onset", "onset_site")).table
    assert lm["term"].str.contains("onset_site").any()
    cr = competing_risks(c, covariates=("onset_site",))
    assert cr.table["term"].str.contains("onset_site").any()


def test_landmark_refuses_landmarks_without_an_answer() -> None:
    """A landmark past the last event names itself; a negative one is a bad parameter."""
    c = apc.simulate_cohort(150, seed=3)
    with pytest.raises(apc.errors.ModelDataError, match="landmark 600 months: .* no event"):
        landmark(c, (600,))
    with pytest.raises(apc.ParameterError, match="landmarks_months"):
        landmark(c, (6, -1))
    with pytest.raises(apc.ParameterError, match="landmarks_months"):
        landmark(c, ())


FG = pd.DataFrame({"time": [1.0, 2, 3, 4, 5, 6], "cause": [1, 2, 0, 1, 2, 1],
                   "x": [0.1, 0.5, 0.3, 0.9, 0.2, 0.4]})


@pytest.mark.parametrize(("change", "message"), [
    ({"cause": [1, -1, 0, 1, 2, 1]}, r"causes must be whole numbers >= 0 .* rows \[1\] hold \[-1\]"),
    ({"cause": [1, 1.5, 0, 1, 2, 1]}, r"rows \[1\] hold \[1.5\]"),
    ({"cause": ["death"] * 6}, "causes must be whole numbers"),
    ({"time": [0.0, 2, 3, 4, 5, 6]}, r"times must be finite and > 0; rows \[0\]"),
    ({"x": ["a", 1, 1, 1, 1, 1]}, "column 'x' is text"),
])
def test_fine_gray_bad_input_is_named_by_both_fits(change: dict[str, Any], message: str) -> None:
    """The risk-set fit and R's expanded rows refuse the same input with the same words (one
    check serves both), naming the rows; the model's own name leads its messages."""
    d = FG.assign(**change)
    with pytest.raises(apc.errors.ModelDataError, match=message):
        FineGray().fit(d, "time", "cause", 1, formula="x")
    if "x" not in change:
        with pytest.raises(apc.errors.ModelDataError, match=message):
            finegray_rows(d["time"], d["cause"], 1)


def test_fine_gray_edge_cases() -> None:
    with pytest.raises(apc.errors.ModelDataError, match="FineGray: no covariate can be est"):
        FineGray().fit(FG.iloc[:1], "time", "cause", 1, formula="x")
    with pytest.raises(apc.errors.ModelDataError, match="no event of cause 1"):
        FineGray().fit(FG.iloc[:0], "time", "cause", 1, formula="x")
    with pytest.raises(apc.errors.ParameterError, match="of_interest"):
        FineGray().fit(FG, "time", "cause", "death", formula="x")
    with pytest.warns(apc.errors.ModelWarning, match="1 of 6 rows dropped"):
        fit = FineGray().fit(FG.assign(x=[np.nan, .5, .3, .9, .2, .4]), "time", "cause", 1,
                             formula="x")
    assert fit.n_obs_ == 5 and fit.n_dropped_ == 1
    assert "Fine-Gray subdistribution hazards of cause 1" in fit._describe()


def test_concordance_event_weights_are_validated() -> None:
    t, e, r = [1.0, 2.0, 3.0], [1, 1, 0], [3.0, 1.0, 2.0]
    with pytest.raises(apc.errors.ModelDataError, match="event_time_weights has 1 values for 2"):
        concordance_counts_weighted(None, t, e, r, None, [[1.0]])
    with pytest.raises(apc.errors.ModelDataError, match="event_time_weights must lie in"):
        concordance_counts(None, t, e, r, event_time_weights=[1.0, -1.0])


def test_censoring_computed_once_gives_the_same_measures() -> None:
    """G handed to the IPCW measures (as a bootstrap does, once per data set) changes no
    digit of Uno's C, the time-dependent AUC or the Brier score."""
    rng = np.random.default_rng(12)
    for n in (5, 40, 300):
        t = np.ceil(rng.exponential(10, n)) / 7  # ties; sums that depend on the order
        e = rng.random(n) < 0.6
        e[np.argmin(t)] = True
        r = rng.normal(size=n).round(1)
        at = float(np.median(t))
        g = CensoringDistribution(t, e)
        assert harrell_and_uno_c(t, e, r, tau=at, censoring=g) == harrell_and_uno_c(
            t, e, r, tau=at)
        perm = rng.permutation(n)  # G does not depend on the order: a reordering passes
        assert harrell_and_uno_c(t, e, r, tau=at, censoring=CensoringDistribution(
            t[perm], e[perm])) == harrell_and_uno_c(t, e, r, tau=at)
        if ((t <= at) & e).any() and (t > at).any():
            assert time_dependent_auc(t, e, r, at, censoring=g) == time_dependent_auc(
                t, e, r, at)
            p = 1 / (1 + np.exp(-r))
            assert brier_score(t, e, p, at, censoring=g) == brier_score(t, e, p, at)
