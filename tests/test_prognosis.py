"""Prognostic value of pain (issue 9, the parts built so far).

References: ``tests/results/prognosis/`` (make_data.py -> reference.R: survival::survdiff plain
and stratified, cmprsk::cuminc with tied times); lifelines for Kaplan-Meier and (tie-free)
Aalen-Johansen; the generator's truth for the hazard ratio of current pain.
"""

from __future__ import annotations

from pathlib import Path

import matplotlib
import numpy as np
import pandas as pd
import pytest

import alspaincohort as apc
from alspaincohort.analysis.prognosis import (
    aalen_johansen,
    competing_risks,
    kaplan_meier,
    landmark,
    logrank,
    pain_cox,
)

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
    r = logrank(data.time, data.event, data.pain)
    assert r["statistic"] == pytest.approx(ref("logrank").iloc[0], rel=1e-8)
    np.testing.assert_allclose(r["expected"], ref("logrank_exp").to_numpy(), rtol=1e-8)
    np.testing.assert_allclose(r["observed"], ref("logrank_obs").to_numpy())
    s = logrank(data.time, data.event, data.pain, strata=data.site)
    assert s["statistic"] == pytest.approx(ref("logrank_strat").iloc[0], rel=1e-8)
    k = logrank(data.time, data.event, data.site)
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


def test_kaplan_meier_against_lifelines_and_invariants(cohort: apc.Cohort) -> None:
    from lifelines import KaplanMeierFitter

    k = kaplan_meier(cohort)
    s = cohort.survival("death", "baseline")
    b = cohort.baseline()
    pain = (b.vas_pain > 0) & b.vas_pain.notna()
    lf = KaplanMeierFitter().fit(s.time_months[pain], s.event[pain])
    row = k.table.set_index("group").loc["pain"]
    assert row["median"] == pytest.approx(lf.median_survival_time_)
    assert row.n == pain.sum() and row.events == s.event[pain].sum()
    for _, g in k.curves.groupby("group"):
        assert (np.diff(g.survival) <= 1e-12).all()
        assert g.survival.between(0, 1).all() and (g.ci_low <= g.survival + 1e-12).all()
    assert k.test["p_value"] < 0.05  # pain shortens survival in the literature preset
    onset = kaplan_meier(cohort, origin="onset", strata="onset_site")
    assert onset.test["stratified_by"] == "onset_site"


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
    lm = landmark(cohort, (6, 12))
    n6 = lm[lm.landmark_months == 6].n_patients.iloc[0]
    n12 = lm[lm.landmark_months == 12].n_patients.iloc[0]
    assert n12 < n6
    assert (lm.hr_ci_low <= lm.hazard_ratio).all() and (lm.hazard_ratio <= lm.hr_ci_high).all()
    cr = competing_risks(cohort)
    cif = cr["cumulative_incidence"]
    final = cif.groupby(["group", "cause"]).cif.max().groupby("group").sum()
    assert (final <= 1 + 1e-12).all()  # the causes' incidences never exceed 1 together
    cs = cr["cause_specific"].set_index(["cause", "term"])
    assert cs.loc[("death", "pain"), "hazard_ratio"] > 1
    import matplotlib.pyplot as plt

    from alspaincohort.plots import cumulative_incidence_plot

    fig, ax = plt.subplots()
    assert cumulative_incidence_plot(cif, ax=ax) is ax
    plt.close(fig)
