"""Bad input to every public estimator and analysis: the package's own error, never a foreign
exception and never a number (issue 15). Each case feeds one kind of bad data through the shared
validators (survival outcome, counts, scores, design frames, cohorts and settings).

The loaders' bad files are swept in test_loaders (quarantine and load reports)."""

from __future__ import annotations

import warnings
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd
import pytest

from alspaincohort.errors import AlsPainCohortError
from alspaincohort.stats.concordance import (
    CensoringDistribution,
    concordance_counts,
    harrell_and_uno_c,
    harrell_c,
    uno_c,
)
from alspaincohort.stats.cox import CoxTimeVarying
from alspaincohort.stats.gee import GEE
from alspaincohort.stats.lmm import LinearMixedModel
from alspaincohort.stats.mice import pool
from alspaincohort.stats.prediction import brier_score, time_dependent_auc
from alspaincohort.stats.rank_tests import rank_sum_test, signed_rank_test
from alspaincohort.stats.survival import (
    aalen_johansen,
    kaplan_meier_table,
    logrank_test,
    survival_quantile,
)

T = np.array([1.0, 2.0, 3.0, 4.0, 5.0, 6.0])
E = np.array([1, 0, 1, 1, 0, 1])
R = np.array([0.3, 0.1, 0.5, 0.2, 0.9, 0.4])
G = np.array(["a", "b", "a", "b", "a", "b"])


def _bad_survival() -> dict[str, tuple[Any, Any]]:
    t_nan, t_inf, t_str = T.copy(), T.copy(), T.astype(object)
    t_nan[2], t_inf[3], t_str[1] = np.nan, np.inf, "3,5"
    e2, e_half, e_nan = E.copy(), E.astype(float), E.astype(float)
    e2[0], e_half[1], e_nan[2] = 2, 0.5, np.nan
    return {"nan time": (t_nan, E), "inf time": (t_inf, E), "string time": (t_str, E),
            "event 2": (T, e2), "event 0.5": (T, e_half), "event nan": (T, e_nan),
            "event yes": (T, np.array(["yes"] * 6, dtype=object)),
            "short event": (T, E[:4]), "empty": (np.array([]), np.array([]))}


SURVIVAL_FUNCTIONS: dict[str, Callable[[Any, Any], Any]] = {
    "kaplan_meier_table": lambda t, e: kaplan_meier_table(t, e),
    "logrank_test": lambda t, e: logrank_test(t, e, G[: len(np.atleast_1d(t))]),
    "harrell_c": lambda t, e: harrell_c(t, e, R[: len(np.atleast_1d(t))]),
    "uno_c": lambda t, e: uno_c(t, e, R[: len(np.atleast_1d(t))]),
    "concordance_counts": lambda t, e: concordance_counts(None, t, e, R[: len(np.atleast_1d(t))]),
    "time_dependent_auc": lambda t, e: time_dependent_auc(t, e, R[: len(np.atleast_1d(t))], 3.5),
    "brier_score": lambda t, e: brier_score(t, e, R[: len(np.atleast_1d(t))], 3.5),
}

CASES: list[tuple[str, Callable[[], Any]]] = []
for fname, f in SURVIVAL_FUNCTIONS.items():
    for cname, (t, e) in _bad_survival().items():
        CASES.append((f"{fname}: {cname}", lambda f=f, t=t, e=e: f(t, e)))

R_NAN, R_STR = R.copy(), R.astype(object)
R_NAN[1], R_STR[2] = np.nan, "high"
CASES += [
    ("harrell_c: nan risk", lambda: harrell_c(T, E, R_NAN)),
    ("harrell_c: string risk", lambda: harrell_c(T, E, R_STR)),
    ("uno_c: nan risk", lambda: uno_c(T, E, R_NAN)),
    ("brier_score: risk above 1", lambda: brier_score(T, E, R * 3, 3.5)),
    ("brier_score: negative risk", lambda: brier_score(T, E, R - 0.5, 3.5)),
    ("time_dependent_auc: beyond follow-up", lambda: time_dependent_auc(T, E, R, 10.0)),
    ("time_dependent_auc: before any event", lambda: time_dependent_auc(T, E, R, 0.5)),
    ("brier_score: nan time point", lambda: brier_score(T, E, R, float("nan"))),
    ("kaplan_meier_table: entry after exit", lambda: kaplan_meier_table(T, E, T + 1)),
    ("kaplan_meier_table: bad conf_type", lambda: kaplan_meier_table(T, E, conf_type="arcsin")),
    ("kaplan_meier_table: alpha 1", lambda: kaplan_meier_table(T, E, alpha=1.0)),
    ("survival_quantile: p 2", lambda: survival_quantile(kaplan_meier_table(T, E), 2.0)),
    ("logrank_test: one group", lambda: logrank_test(T, E, ["a"] * 6)),
    ("logrank_test: no events", lambda: logrank_test(T, np.zeros(6), G)),
    ("logrank_test: missing group", lambda: logrank_test(T, E, ["a", None, "a", "b", "a", "b"])),
    ("aalen_johansen: nan time", lambda: aalen_johansen([1, np.nan, 3], [1, 2, 0], 1)),
    ("aalen_johansen: cause -1", lambda: aalen_johansen([1, 2, 3], [1, -1, 0], 1)),
    ("aalen_johansen: cause 1.5", lambda: aalen_johansen([1, 2, 3], [1, 1.5, 0], 1)),
    ("aalen_johansen: of_interest 0", lambda: aalen_johansen([1, 2, 3], [1, 2, 0], 0)),
    ("rank_sum_test: nan", lambda: rank_sum_test([1, np.nan, 3], [2, 4])),
    ("rank_sum_test: empty", lambda: rank_sum_test([], [2, 4])),
    ("signed_rank_test: all zero", lambda: signed_rank_test([1, 2, 3], [1, 2, 3])),
    ("signed_rank_test: length", lambda: signed_rank_test([1, 2, 3], [1, 2])),
    ("pool: one imputation", lambda: pool([1.0], [0.1])),
    ("pool: negative variance", lambda: pool([1.0, 2.0], [0.1, -0.1])),
    # G computed from another follow-up, or not G at all
    ("uno_c: censoring of other data", lambda: uno_c(T, E, R, censoring=CensoringDistribution(
        T, 1 - E))),
    ("harrell_and_uno_c: censoring of fewer subjects", lambda: harrell_and_uno_c(
        T, E, R, censoring=CensoringDistribution(T[:5], E[:5]))),
    ("time_dependent_auc: censoring as an array", lambda: time_dependent_auc(
        T, E, R, 3.5, censoring=np.ones(6))),
    ("brier_score: censoring of shifted times", lambda: brier_score(
        T, E, R, 3.5, censoring=CensoringDistribution(T + 1, E))),
    ("CensoringDistribution: nan time", lambda: CensoringDistribution([1.0, np.nan], [1, 0])),
    # same n, total time and events, another follow-up: the times' squares tell them apart
    ("brier_score: censoring of other times with equal sums", lambda: brier_score(
        T, E, R, 3.5, censoring=CensoringDistribution(
            np.array([0.5, 2.5, 3.0, 4.0, 5.5, 5.5]), E))),
]


def _proportion_cases() -> list[tuple[str, Callable[[], Any]]]:
    from alspaincohort.analysis.prevalence import proportion_ci

    return [
        ("proportion_ci: 0 of 0", lambda: proportion_ci(0, 0)),
        ("proportion_ci: 5 of 3", lambda: proportion_ci(5, 3)),
        ("proportion_ci: negative", lambda: proportion_ci(-1, 3)),
        ("proportion_ci: fractional", lambda: proportion_ci(1.5, 3)),
        ("proportion_ci: nan", lambda: proportion_ci(np.nan, 3)),
        ("proportion_ci: level 95", lambda: proportion_ci(1, 3, level=95)),
        ("proportion_ci: method", lambda: proportion_ci(1, 3, method="wald")),
    ]


def _meta_cases() -> list[tuple[str, Callable[[], Any]]]:
    import alspaincohort as apc

    ok = pd.DataFrame({"study": ["a", "b", "c"], "events": [3, 5, 7], "n": [10, 12, 15]})
    return [
        ("meta_prevalence: events > n", lambda: apc.meta_prevalence(ok.assign(events=[3, 50, 7]))),
        ("meta_prevalence: missing n", lambda: apc.meta_prevalence(ok.assign(n=[10, np.nan, 15]))),
        ("meta_prevalence: empty", lambda: apc.meta_prevalence(ok.iloc[:0])),
        ("meta_prevalence: text counts",
         lambda: apc.meta_prevalence(ok.assign(events=["3", "five", "7"]))),
        ("meta_prevalence: level", lambda: apc.meta_prevalence(ok, level=1.5)),
    ]


def _design_cases() -> list[tuple[str, Callable[[], Any]]]:
    rng = np.random.default_rng(0)
    n = 60
    d = pd.DataFrame({"y": rng.normal(size=n), "x": rng.normal(size=n),
                      "g": np.repeat(np.arange(12), 5), "t": np.tile(np.arange(5.0), 12)})
    y_text = d.astype({"y": object})
    y_text.loc[4, "y"] = "n/a"
    x_typo = d.astype({"x": object})
    x_typo.loc[7, "x"] = "1,5"
    cox = pd.DataFrame({"id": range(n), "start": 0.0, "stop": rng.exponential(5, n) + 0.1,
                        "event": rng.random(n) < 0.6, "x": rng.normal(size=n)})
    cox_text = cox.astype({"x": object})
    cox_text.loc[3, "x"] = "abc"
    return [
        ("LMM: text outcome", lambda: LinearMixedModel().fit(y_text, "y ~ x", "g")),
        ("LMM: typo in covariate", lambda: LinearMixedModel().fit(x_typo, "y ~ x + t", "g")),
        ("LMM: unknown column", lambda: LinearMixedModel().fit(d, "y ~ age", "g")),
        ("LMM: one group", lambda: LinearMixedModel().fit(d.assign(g=1), "y ~ x", "g")),
        ("LMM: empty", lambda: LinearMixedModel().fit(d.iloc[:0], "y ~ x", "g")),
        ("GEE: text outcome", lambda: GEE().fit(y_text, "y ~ x", "g")),
        ("GEE: typo in covariate", lambda: GEE().fit(x_typo, "y ~ x + t", "g")),
        ("Cox: text covariate", lambda: CoxTimeVarying().fit(cox_text, "id", "start", "stop",
                                                             "event", formula="x")),
        ("Cox: event 2", lambda: CoxTimeVarying().fit(cox.assign(event=2), "id", "start",
                                                      "stop", "event", formula="x")),
        ("Cox: infinite stop", lambda: CoxTimeVarying().fit(
            cox.assign(stop=np.r_[np.inf, cox.stop[1:]]), "id", "start", "stop", "event",
            formula="x")),
    ]


def _analysis_cases() -> list[tuple[str, Callable[[], Any]]]:
    """Every public analysis: not a cohort, an empty cohort, degenerate cohorts (one patient,
    no VAS) where the analysis cannot answer, unknown variables and invalid settings."""
    import alspaincohort as apc

    c = apc.simulate_cohort(80, seed=1)
    first = c.patients["patient_id"].iloc[0]
    one = apc.Cohort(**{n: t[t["patient_id"] == first] for n, t in c.tables.items()})
    no_vas = apc.Cohort(**{**c.tables,
                           "assessments": c.assessments[c.assessments.instrument != "vas_pain"]})
    empty = apc.Cohort()
    bad: dict[str, list[dict[str, Any]]] = {
        "prevalence": [dict(by="nonexistent"), dict(level=95), dict(definition="xyz"),
                       dict(ci="xyz"), dict(at="xyz"), dict(at="visits", n_boot=0),
                       dict(window_days=-3)],
        "pain_determinants": [dict(covariates=("nonexistent",)), dict(definition="xyz"),
                              dict(covariates=())],
        "pain_types": [dict(level=95), dict(ci="xyz"), dict(ci="cluster-bootstrap")],
        "table_one": [dict(groupby="nonexistent"), dict(continuous=["nonexistent"]),
                      dict(categorical=["nonexistent"])],
        "depression_adjustment": [dict(outcome="xyz"), dict(exposure="xyz"),
                                  dict(covariates=("nonexistent",)), dict(design="xyz"),
                                  dict(method="xyz"), dict(missing="xyz"),
                                  dict(missing="mice", n_imputations=1),
                                  dict(missing="mice", design="repeated")],
        "mediation": [dict(exposure="xyz"), dict(n_boot=0), dict(level=95),
                      dict(covariates=("nonexistent",))],
        "pain_depression_association": [dict(pain="xyz"), dict(cutoffs=(-5,)),
                                        dict(covariates=("nonexistent",)),
                                        dict(depression="xyz")],
        "fit_trajectories": [dict(measure="xyz"), dict(time="xyz"), dict(random="xyz"),
                             dict(method="xyz"), dict(by="nonexistent"),
                             dict(covariates=("nonexistent",)), dict(spline_df=0)],
        "first_last_change": [dict(measure="xyz")],
        "latent_trajectories": [dict(measure="xyz"), dict(n_classes=[0]), dict(n_starts=0),
                                dict(time="xyz"), dict(n_classes=[])],
        "kaplan_meier": [dict(by="nonexistent"), dict(endpoint="xyz"), dict(origin="xyz"),
                         dict(alpha=2), dict(conf_type="xyz"), dict(strata="nonexistent")],
        "pain_cox": [dict(pain="xyz"), dict(covariates=["nonexistent"]), dict(endpoint="xyz"),
                     dict(lag_days=-1), dict(ties="xyz"), dict(origin="xyz")],
        "pain_joint_model": [dict(pain="xyz"), dict(covariates=("nonexistent",)),
                             dict(association="area"), dict(baseline="cox"),
                             dict(time="xyz"), dict(endpoint="xyz")],
        "landmark": [dict(landmarks_months=(1000,)), dict(pain="xyz"),
                     dict(covariates=("nonexistent",)), dict(endpoint="xyz"),
                     dict(landmarks_months=(-1,))],
        "competing_risks": [dict(by="nonexistent"), dict(covariates=("nonexistent",)),
                            dict(ties="xyz")],
        "incremental_value": [dict(base=("nonexistent",), n_bootstrap=2),
                              dict(added=("xyz",), n_bootstrap=2),
                              dict(times=(1000,), n_bootstrap=2), dict(n_bootstrap=-1),
                              dict(n_groups=0, n_bootstrap=2),
                              dict(endpoint="xyz", n_bootstrap=2)],
        "encals_linear_predictor": [],
        "prevalence ": [dict(window_before_death=(0, 30)), dict(window_before_death="30"),
                        dict(window_before_death=(30, 0), at="baseline")],
        "treatment_initiation": [dict(drug_class="xyz"), dict(by="nonexistent"),
                                 dict(covariates=("nonexistent",)), dict(ties="xyz")],
        "treatment_response": [dict(drug_class="xyz"), dict(measure="xyz"),
                               dict(before=(0, -10)), dict(after=(-5, 0)), dict(level=95),
                               dict(drug_class="corticosteroid")],
        "treatment_prognosis": [dict(classes=("xyz",)), dict(classes=()),
                                dict(endpoint="xyz"), dict(pain_rise=0),
                                dict(covariates=("nonexistent",)),
                                dict(classes=("corticosteroid",))],
        "proxy_agreement": [dict(proxy="patient"), dict(proxy="xyz"), dict(measure="xyz"),
                            dict(window_days=-1), dict(periods=(0,)), dict(level=95)],
        "pain_before_onset": [dict(level=95)],
        "comparator_drug_use": [dict(level=95)],  # and with comparators: _register_cases
    }
    # degenerate cohorts where there is no answer (elsewhere one patient is a valid answer:
    # a prevalence of 1/1 with its CI, a one-row Table 1, a one-patient ENCALS predictor)
    degenerate = {"one patient": (one, ["pain_determinants", "depression_adjustment",
                                        "mediation", "pain_depression_association",
                                        "fit_trajectories", "first_last_change",
                                        "latent_trajectories", "pain_cox", "landmark",
                                        "pain_joint_model",
                                        "competing_risks", "incremental_value",
                                        "treatment_initiation", "treatment_prognosis",
                                        "proxy_agreement"]),
                  "no VAS": (no_vas, ["prevalence", "pain_determinants", "pain_types",
                                      "depression_adjustment", "mediation",
                                      "pain_depression_association", "fit_trajectories",
                                      "first_last_change", "latent_trajectories", "pain_cox",
                                      "pain_joint_model",
                                      "landmark", "competing_risks", "incremental_value",
                                      "treatment_response", "treatment_prognosis",
                                      "proxy_agreement"])}
    # a cohort holding comparators: every analysis of ALS patients refuses it (issue 20)
    mixed = apc.Cohort(**{**c.tables, "patients": c.patients.assign(
        group=["als", "control_population"] * (len(c.patients) // 2))})
    degenerate["with comparators"] = (mixed, [n for n in bad if n != "comparator_drug_use"])
    cases: list[tuple[str, Callable[[], Any]]] = []
    for name, kwargs in bad.items():
        f = getattr(apc, name.strip())  # "prevalence ": its end-of-life cases
        cases.append((f"{name}: a DataFrame, not a cohort", lambda f=f: f(c.patients.values)))
        cases.append((f"{name}: None", lambda f=f: f(None)))
        cases.append((f"{name}: empty cohort", lambda f=f: f(empty)))
        for label, (cohort, names) in degenerate.items():
            if name in names:
                cases.append((f"{name}: {label}", lambda f=f, cohort=cohort: f(cohort)))
        for kw in kwargs:
            cases.append((f"{name}: {kw}", lambda f=f, kw=kw: f(c, **kw)))
    return cases


def _simulation_cases() -> list[tuple[str, Callable[[], Any]]]:
    import alspaincohort as apc

    def study(**kw: Any) -> Any:
        args = {"scenario": "null", "analysis": "pain_cox", "n_patients": 50,
                "n_replicates": 2, "seed": 1, "progress": False, **kw}
        return apc.simulation_study(**args)

    def zph_transform() -> Any:
        return apc.cox_zph(apc.pain_cox(apc.simulate_cohort(80, seed=1)).model,
                           transform="xyz")

    return [
        ("simulate_cohort: n -1", lambda: apc.simulate_cohort(-1, seed=1)),
        ("simulate_cohort: n 0", lambda: apc.simulate_cohort(0, seed=1)),
        ("simulate_cohort: n 2.5", lambda: apc.simulate_cohort(2.5, seed=1)),
        ("simulate_cohort: preset", lambda: apc.simulate_cohort(10, seed=1, preset="xyz")),
        ("simulate_cohort: unknown parameter",
         lambda: apc.simulate_cohort(10, seed=1, not_a_param=3)),
        ("simulate_cohort: text seed", lambda: apc.simulate_cohort(10, seed="x")),
        ("simulate_cohort: negative seed", lambda: apc.simulate_cohort(10, seed=-1)),
        ("simulate_cohort: negative probability",
         lambda: apc.simulate_cohort(10, seed=1, missing_rate=-0.5)),
        ("simulation_study: scenario", lambda: study(scenario="xyz")),
        ("simulation_study: analysis", lambda: study(analysis="xyz")),
        ("simulation_study: 0 replicates", lambda: study(n_replicates=0)),
        ("simulation_study: 0 patients", lambda: study(n_patients=0)),
        ("simulation_study: backend", lambda: study(backend="xyz")),
        ("simulation_study: alpha", lambda: study(alpha=2)),
        ("power_curve: 0 replicates", lambda: apc.power_curve("null", "pain_cox", [50], 0, 1)),
        ("power_curve: target 2",
         lambda: apc.power_curve("null", "pain_cox", [50], 2, 1, target_power=2)),
        ("power_curve: no sizes", lambda: apc.power_curve("null", "pain_cox", [], 2, 1)),
        ("cox_zph: not fitted", lambda: apc.cox_zph(CoxTimeVarying())),
        ("cox_zph: not a model", lambda: apc.cox_zph("model")),
        ("cox_zph: transform", zph_transform),
    ]


def _agreement_cases() -> list[tuple[str, Callable[[], Any]]]:
    from alspaincohort.stats.agreement import bland_altman, cohen_kappa, icc

    good = np.array([[1.0, 2.0], [3.0, 3.5], [5.0, 4.0], [2.0, 2.5]])
    text = good.astype(object)
    text[1, 1] = "3,5"
    holes = good.copy()
    holes[2, 0] = np.nan
    return [
        ("icc: text rating", lambda: icc(text)),
        ("icc: missing rating", lambda: icc(holes)),
        ("icc: one rater", lambda: icc(good[:, :1])),
        ("icc: one subject", lambda: icc(good[:1])),
        ("icc: 3-d", lambda: icc(np.zeros((2, 2, 2)))),
        ("icc: all equal", lambda: icc(np.ones((4, 3)))),
        ("icc: level", lambda: icc(good, level=95)),
        ("cohen_kappa: lengths", lambda: cohen_kappa([0, 1, 2], [0, 1])),
        ("cohen_kappa: missing", lambda: cohen_kappa([0, 1, None], [0, 1, 1])),
        ("cohen_kappa: unknown category", lambda: cohen_kappa([0, 1, 5], [0, 1, 1],
                                                              categories=[0, 1, 2])),
        ("cohen_kappa: numbers and text", lambda: cohen_kappa([0, "a", 1], [0, 1, 1])),
        ("cohen_kappa: one category", lambda: cohen_kappa([1, 1, 1], [1, 1, 1])),
        ("cohen_kappa: weights", lambda: cohen_kappa([0, 1, 2], [0, 1, 1], weights="cubic")),
        ("bland_altman: text", lambda: bland_altman(["1", "2", "3"], [1, 2, 3])),
        ("bland_altman: two pairs", lambda: bland_altman([1, 2], [1, 2])),
        ("bland_altman: lengths", lambda: bland_altman([1, 2, 3], [1, 2])),
        ("bland_altman: infinite", lambda: bland_altman([1, np.inf, 3], [1, 2, 3])),
    ]


def _register_cases() -> list[tuple[str, Callable[[], Any]]]:
    """The register designs (issue 20): not a register, unknown classes, bad windows and
    settings; the generator's and loader's arguments; comparisons without comparators."""
    import alspaincohort as apc
    from alspaincohort.registers import Window
    from alspaincohort.registers.designs import sample_risk_sets, to_cohort

    sim = apc.simulate_register(3000, seed=1, als_incidence_scale=30)
    reg = apc.load_register(sim.persons, sim.dispensings)
    c = apc.simulate_cohort(40, seed=1)
    mixed = to_cohort(reg, sample_risk_sets(reg, controls=2, seed=1))
    cases: list[tuple[str, Callable[[], Any]]] = []
    bad = {
        "prediagnostic_exposure": [dict(classes=["xyz"]), dict(classes=[]),
                                   dict(windows=[(1, 2)]), dict(windows=[(-2, -10)]),
                                   dict(windows="[-10, -2)"), dict(windows=[Window(-3, -1)] * 2),
                                   dict(measure="xyz"), dict(controls=0), dict(controls=2.5),
                                   dict(match=("xyz",)), dict(match=("region",), caliper=-1),
                                   dict(caliper=2), dict(method="xyz"),
                                   dict(lookback_years=-1), dict(lookback_years="5"),
                                   dict(level=95), dict(seed=-1), dict(sample="sets")],
        "prediagnostic_cohort": [dict(classes=["xyz"]), dict(lag_years=-2),
                                 dict(lag_years=float("nan")), dict(strata=("xyz",)),
                                 dict(level=95)],
    }
    for name, kwargs in bad.items():
        f = getattr(apc, name)
        cases.append((f"{name}: a cohort, not a register", lambda f=f: f(c)))
        cases.append((f"{name}: None", lambda f=f: f(None)))
        for kw in kwargs:
            cases.append((f"{name}: {kw}", lambda f=f, kw=kw: f(reg, **kw)))
    cases += [
        ("comparator_drug_use: no comparators", lambda: apc.comparator_drug_use(c)),
        ("comparator_drug_use: only comparators", lambda: apc.comparator_drug_use(
            apc.Cohort(patients=mixed.patients[mixed.is_comparator]))),
        ("comparator_drug_use: window", lambda: apc.comparator_drug_use(mixed, window=(0, -9))),
        ("comparator_drug_use: classes", lambda: apc.comparator_drug_use(mixed,
                                                                         classes=("xyz",))),
        ("comparator_drug_use: level", lambda: apc.comparator_drug_use(mixed, level=95)),
        ("pain_before_onset: with comparators", lambda: apc.pain_before_onset(mixed)),
        ("simulate_register: 0 people", lambda: apc.simulate_register(0)),
        ("simulate_register: text seed", lambda: apc.simulate_register(10, seed="x")),
        ("simulate_register: preset", lambda: apc.simulate_register(10, preset="xyz")),
        ("simulate_register: effect_hr", lambda: apc.simulate_register(10, effect_hr=-1)),
        ("simulate_register: effect_class",
         lambda: apc.simulate_register(10, effect_class="statins")),
        ("simulate_register: effect_window",
         lambda: apc.simulate_register(10, effect_window=(-2, -10))),
        ("simulate_register: open window",
         lambda: apc.simulate_register(10, effect_window=(None, -2))),
        ("simulate_register: scale", lambda: apc.simulate_register(10, als_incidence_scale=0)),
        ("simulate_register: prodromal", lambda: apc.simulate_register(10, prodromal_share=2)),
        ("load_register: not a table", lambda: apc.load_register(42, sim.dispensings)),
        ("load_register: missing file", lambda: apc.load_register("nope.parquet",
                                                                  sim.dispensings)),
        ("load_register: file type", lambda: apc.load_register(__file__, sim.dispensings)),
        ("load_register: missing column",
         lambda: apc.load_register(sim.persons.drop(columns="sex"), sim.dispensings)),
        ("load_register: codes", lambda: apc.load_register(sim.persons, sim.dispensings,
                                                           codes={"atc": {}})),
        ("load_register: strict", lambda: apc.load_register(
            sim.persons.assign(sex="x"), sim.dispensings, strict=True)),
    ]
    return cases


ALL = (CASES + _agreement_cases() + _proportion_cases() + _meta_cases() + _design_cases() + _analysis_cases()
       + _simulation_cases() + _register_cases())


@pytest.mark.parametrize(("name", "call"), ALL, ids=[c[0] for c in ALL])
def test_bad_input_raises_the_packages_own_error(name: str, call: Callable[[], Any]) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(AlsPainCohortError):
            result = call()
            pytest.fail(f"{name} returned {result!r} instead of raising")


def test_sweep_is_broad() -> None:
    """Every public analysis is in the sweep, and the sweep is broad."""
    import alspaincohort as apc

    assert len(ALL) >= 330
    analyses = {n for n in apc.__all__ if callable(getattr(apc, n)) and n[0].islower()
                and n not in ("load_proact", "load_tabular")}
    swept = {name.split(":")[0] for name, _ in ALL}
    assert analyses <= swept, analyses - swept
