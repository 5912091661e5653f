"""Longitudinal VAS trajectories (issue 8).

References: the generator's truth (slope, random-effect variances, planted classes and change);
geepack for the GEE fits (``tests/results/trajectories/``: make_data.py -> reference.R); lme4
through the engine's stored references (``tests/test_engines.py``, the VAS data set there is a
trajectory model of exactly this form).
"""

from __future__ import annotations

import re
from pathlib import Path

import matplotlib
import numpy as np
import pandas as pd
import pytest

import alspaincohort as apc
from alspaincohort.analysis.trajectories import (
    first_last_change,
    fit_trajectories,
    latent_trajectories,
    trajectory_frame,
)
from alspaincohort.stats.gee import GEE

matplotlib.use("Agg")
HERE = Path(__file__).resolve().parent / "results" / "trajectories"


def test_slope_and_variances_recovered_across_seeds() -> None:
    covered, slope_var, icept_var, resid = 0, [], [], []
    seeds = range(201, 209)
    for seed in seeds:
        c = apc.simulate_cohort(400, seed=seed)
        r = fit_trajectories(c, time="months_since_baseline")
        row = r.table.set_index("term").loc["time"]
        truth = c.truth.estimands["vas_slope_mean"]
        covered += row.ci_low <= truth <= row.ci_high
        slope_var.append(r.model.cov_re_.loc["time", "time"])
        icept_var.append(r.model.cov_re_.loc["Intercept", "Intercept"])
        resid.append(r.model.scale_)
    assert covered >= 6, covered  # 95% CIs: P(covered <= 5 of 8) ~ 0.6%
    e = c.truth.estimands
    assert np.mean(slope_var) == pytest.approx(e["vas_slope_sd"] ** 2, rel=0.2)
    assert np.mean(icept_var) == pytest.approx(e["vas_intercept_sd"] ** 2, rel=0.1)
    assert np.mean(resid) == pytest.approx(e["vas_residual_sd"] ** 2, rel=0.05)


def test_latent_classes_are_recovered() -> None:
    c = apc.simulate_cohort(600, seed=9, preset="latent_classes")
    r = latent_trajectories(c, n_classes=range(1, 5), n_starts=2, seed=3)
    assert r.n_classes == 3
    assert r.selection.bic.idxmin() == 2 and (r.selection.entropy <= 1).all()
    truth = c.truth.patients.set_index("patient_id")
    post = r.posterior.set_index("patient_id")
    agree = (truth.loc[post.index, "pain_class"].to_numpy() == post["class"].to_numpy()).mean()
    assert agree >= 0.9, agree
    planted = pd.DataFrame(c.truth.params["vas_classes"])
    np.testing.assert_allclose(r.classes.intercept, planted.intercept_mean, atol=0.25)
    np.testing.assert_allclose(r.classes.slope, planted.slope_mean, atol=0.03)
    probs = post.filter(like="p_").to_numpy()
    np.testing.assert_allclose(probs.sum(axis=1), 1.0)
    assert ((probs >= 0) & (probs <= 1)).all()
    assert set(r.class_curves().columns) == {"time", "class", "estimate"}


def _richardson_hessian(f, x: np.ndarray, h: float = 3e-4, levels: int = 4) -> np.ndarray:
    """Hessian of f at x by central differences with Richardson extrapolation (steps h,
    h/2, ...; relative to max(1, |x_j|)), the reference for the model's exact one."""
    p = len(x)
    scale = np.maximum(1.0, np.abs(x))

    def central(step: float) -> np.ndarray:
        H = np.empty((p, p))
        for i in range(p):
            for j in range(i, p):
                e_i, e_j = np.eye(p)[i] * step * scale[i], np.eye(p)[j] * step * scale[j]
                H[i, j] = H[j, i] = (f(x + e_i + e_j) - f(x + e_i - e_j) - f(x - e_i + e_j)
                                     + f(x - e_i - e_j)) / (4 * step * step * scale[i] * scale[j])
        return H

    table = [central(h / 2**k) for k in range(levels)]
    for m in range(1, levels):
        table = [(4**m * table[k + 1] - table[k]) / (4**m - 1) for k in range(len(table) - 1)]
    return table[0]


@pytest.mark.parametrize(("n_classes", "seed"), [(1, 4), (2, 5), (3, 6)])
def test_latent_class_standard_errors_are_the_inverse_observed_information(
        n_classes: int, seed: int) -> None:
    """The model's exact Hessian (Louis' identity) against Richardson differences of its own
    public log-likelihood, in the reported parametrisation (D's elements)."""
    from alspaincohort.stats.latent_class import LatentClassMixedModel

    c = apc.simulate_cohort(150, seed=seed, preset="latent_classes")
    d = trajectory_frame(c)
    m = LatentClassMixedModel(n_classes=n_classes, n_starts=2, seed=seed)
    m.fit(d, "value", "time", "patient_id")
    assert m.converged_
    reference = _richardson_hessian(lambda v: m.evaluate(v)[0], m.params_.to_numpy())
    ours = -np.linalg.inv(m.cov_params_.to_numpy())
    # each entry relative to sqrt(|H_ii H_jj|): scale-free, so a wrong term in a small block
    # shows as much as one in a large block (the information spans six orders of magnitude).
    # The differences are as good as 1e-7 to 4e-6 on this scale (rounding in the summed
    # log-likelihood, divided by squared steps); a wrong term is off by 1e-2 or more.
    scale = np.sqrt(np.outer(np.abs(np.diag(reference)), np.abs(np.diag(reference))))
    assert np.abs((ours - reference) / scale).max() < 1e-4
    np.testing.assert_allclose(m.bse_, np.sqrt(np.diag(np.linalg.inv(-reference))), rtol=1e-4)


def test_first_last_change_reproduces_a_planted_one_point_change() -> None:
    c = apc.simulate_cohort(2000, seed=36, vas_slope_mean=0.29, visit_interval_days=104,
                            visit_jitter_sd_days=0, p_missed_visit=0.0, missing_rate=0.0,
                            follow_up_min_months=3.5, follow_up_max_months=3.5)
    result = first_last_change(c)
    r = result.table.iloc[0]
    assert r["median_interval_days"] == 104
    assert r["ci_low"] <= 1.0 <= r["ci_high"]
    assert r["t_p_value"] < 1e-10 and r["wilcoxon_p_value"] < 1e-10
    p = result.patients
    assert "patient_id" not in result.to_frame() and "patient_id" not in str(result)
    assert (p.change == p["last"] - p["first"]).all() and (p.interval_days > 0).all()


@pytest.mark.parametrize("structure", ["exchangeable", "ar1"])
@pytest.mark.parametrize(("model", "formula"), [("linear", "value ~ time"),
                                                ("by_site", "value ~ time * C(onset_site)")])
def test_gee_trajectories_agree_with_geepack(structure: str, model: str, formula: str) -> None:
    ref = pd.read_csv(HERE / "reference.csv", keep_default_na=False)
    ref = ref[(ref.model == model) & (ref.corstr == structure)]
    d = pd.read_csv(HERE / "vas_long.csv")
    fit = GEE(structure).fit(d, formula, "patient_id")

    def r_name(n: str) -> str:
        n = "(Intercept)" if n == "Intercept" else n
        return re.sub(r"C\(onset_site\)\[T\.(\w+)\]", r"onset_site\1", n)

    est = fit.params_.rename(index=r_name)
    se = fit.bse_.rename(index=r_name)
    coef = ref[ref.quantity == "coef"].set_index("term").value.astype(float)
    ses = ref[ref.quantity == "se"].set_index("term").value.astype(float)
    np.testing.assert_allclose(est[coef.index], coef, rtol=1e-6)
    np.testing.assert_allclose(se[ses.index], ses, rtol=1e-6)
    alpha = float(ref[ref.quantity == "alpha"].value.iloc[0])
    np.testing.assert_allclose(fit.working_corr_, alpha, rtol=1e-6)


def test_fit_trajectories_through_the_api_matches_the_gee_engine() -> None:
    c = apc.simulate_cohort(300, seed=801)
    r = fit_trajectories(c, time="months_since_onset", method="gee", by="onset_site")
    d = pd.read_csv(HERE / "vas_long.csv")
    direct = GEE("exchangeable").fit(d, "value ~ time * C(onset_site)", "patient_id")
    np.testing.assert_allclose(r.table.set_index("term").estimate[direct.params_.index],
                               direct.params_, rtol=1e-9)


@pytest.fixture(scope="module")
def literature() -> apc.Cohort:
    return apc.simulate_cohort(600, seed=210)


def test_population_curve_clocks_splines_and_subgroups(literature: apc.Cohort) -> None:
    r = fit_trajectories(literature, time="months_since_diagnosis", spline_df=3)
    curve = r.population_curve([0, 6, 12, 24])
    assert (curve.ci_low < curve.estimate).all() and (curve.estimate < curve.ci_high).all()
    linear = fit_trajectories(literature, time="months_since_baseline")
    b = linear.table.set_index("term").estimate
    at = linear.population_curve([0.0, 10.0]).estimate.to_numpy()
    np.testing.assert_allclose(at, [b["Intercept"], b["Intercept"] + 10 * b["time"]])
    eol = fit_trajectories(literature, time="months_before_death", random="intercept")
    assert (eol.data.time <= 0).all()
    sub = fit_trajectories(literature, by="depression")
    assert set(sub.population_curve().group) == {"HADS-D < 8", "HADS-D >= 8"}
    pm = fit_trajectories(literature, by="dropout", time="months_since_baseline")
    assert pm.data.dropout.nunique() == 3
    assert any("dropout" in t for t in pm.table.term)


def test_individual_curves_and_plots(literature: apc.Cohort) -> None:
    import matplotlib.pyplot as plt

    r = fit_trajectories(literature, time="months_since_baseline")
    ids = r.data.patient_id.unique()[:3]
    ind = r.individual_curves(ids, [0, 6, 12])
    assert len(ind) == 9 and ind.predicted.notna().all()
    fig, ax = plt.subplots()
    assert r.plot(ax=ax) is ax
    plt.close(fig)
    lat = latent_trajectories(literature, n_classes=(1, 2), n_starts=1)
    fig, ax = plt.subplots()
    assert lat.plot(ax=ax) is ax
    plt.close(fig)


def test_trajectory_frame_keeps_patients_with_pain_only(literature: apc.Cohort) -> None:
    d = trajectory_frame(literature, "vas_pain", "months_since_baseline")
    pain_free = set(literature.truth.patients.loc[~literature.truth.patients.pain, "patient_id"])
    assert not set(d.patient_id) & pain_free
    with pytest.raises(ValueError, match="time .* must be one of"):
        trajectory_frame(literature, time="years")


def test_population_curve_does_not_depend_on_row_order() -> None:
    """Issue 16: the curve is for a reference patient (numeric covariates at their mean,
    categorical ones at their modal level), not whatever row 0 holds."""
    c = apc.simulate_cohort(300, seed=37)
    r = apc.fit_trajectories(c, covariates=("onset_site", "age_at_onset"))
    a = r.population_curve(grid=[0, 6, 12])
    r.data = r.data.sample(frac=1.0, random_state=3).reset_index(drop=True)
    b = r.population_curve(grid=[0, 6, 12])
    pd.testing.assert_frame_equal(a, b)
    coef = r.table.set_index("term")["estimate"]
    modal = str(r.data["onset_site"].value_counts().idxmax())
    by_hand = (coef["Intercept"] + coef["age_at_onset"] * r.data["age_at_onset"].mean()
               + coef.get(f"C(onset_site)[T.{modal}]", 0.0))
    assert a["estimate"].iloc[0] == pytest.approx(by_hand, rel=1e-12)
