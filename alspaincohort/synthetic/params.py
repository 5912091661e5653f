"""Generating parameters of synthetic cohorts: defaults, valid ranges, sources and presets.

Every parameter is a :class:`Param` with its default, its valid range and its source. Sources are
either a published figure recorded in ``docs/sources.md`` (section named) or the word
``assumption``: a modelling choice with no published figure behind it, to be overridden by users
who have better data. No number here is presented as published unless docs/sources.md records it.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ..errors import ParameterError


@dataclass(frozen=True)
class Param:
    """One generating parameter."""

    default: Any
    low: float | None = None
    high: float | None = None
    source: str = "assumption"
    description: str = ""
    kind: str = "float"  # float | int | prob | probs | choice | classes


ONSET_SITE_KEYS = ("spinal", "bulbar", "respiratory", "generalised")
EL_ESCORIAL_KEYS = ("definite", "probable", "probable_lab_supported", "possible", "suspected")

PARAMS: dict[str, Param] = {
    # ---------------- baseline -------------------------------------------------------------
    "p_male": Param(0.59, 0, 1, "docs/sources.md section 5 (57-61% male)", "probability of male sex", "prob"),
    "age_onset_mean": Param(62.0, 20, 90, "docs/sources.md section 5", "mean age at onset, years"),
    "age_onset_sd": Param(11.0, 0.1, 30, "docs/sources.md section 5", "SD of age at onset, years"),
    "age_onset_min": Param(20.0, 10, 60, "assumption", "truncation of age at onset, years"),
    "age_onset_max": Param(90.0, 60, 105, "assumption", "truncation of age at onset, years"),
    "onset_site_probs": Param(
        {"spinal": 0.70, "bulbar": 0.24, "respiratory": 0.03, "generalised": 0.03},
        source="docs/sources.md section 5 (limb 70-72%, bulbar 22-30%, trunk/respiratory/generalised ~6%)",
        description="onset-site mix", kind="probs",
    ),
    "diag_delay_mean_months": Param(11.0, 0.5, 60, "docs/sources.md section 5", "mean diagnostic delay"),
    "diag_delay_sd_months": Param(10.0, 0.1, 60, "docs/sources.md section 5",
                                  "SD of diagnostic delay (gamma distribution)"),
    "enrolment_delay_mean_months": Param(
        4.0, 0, 60, "assumption", "mean time from diagnosis to study baseline (gamma, shape 2)"
    ),
    "el_escorial_probs": Param(
        {"definite": 0.30, "probable": 0.40, "probable_lab_supported": 0.10, "possible": 0.20,
         "suspected": 0.0},
        description="El Escorial category mix", kind="probs",
    ),
    "p_ftd": Param(0.10, 0, 1, "assumption", "probability of FTD", "prob"),
    "p_c9orf72": Param(0.07, 0, 1, "assumption", "probability of a C9orf72 expansion", "prob"),
    "p_sod1": Param(0.02, 0, 1, "assumption", "probability of a SOD1 mutation", "prob"),
    # ---------------- disease ---------------------------------------------------------------
    "alsfrs_rate_mean": Param(
        0.95, 0.05, 5, "docs/sources.md section 5 (0.9-1.0 points/month)",
        "mean latent ALSFRS-R decline, points/month (normal, truncated at 0.02)",
    ),
    "alsfrs_rate_sd": Param(
        0.49, 0.0, 3, "docs/sources.md section 5 (95% of patients 0.04-1.96)",
        "SD of the latent ALSFRS-R decline rate",
    ),
    "region_spread_months": Param(
        10.0, 0.0, 60, "assumption",
        "mean delay (gamma, shape 2) from onset to involvement of each non-onset region",
    ),
    "respiratory_spread_months": Param(
        20.0, 0.0, 120, "assumption calibrated to docs/sources.md section 5 (enrolment margins)",
        "mean delay (gamma, shape 2) from onset to involvement of the respiratory region when "
        "it is not the onset region (0 with region_spread_months 0)",
    ),
    "r3_lag_points": Param(
        2.0, 0.0, 4, "assumption calibrated to docs/sources.md section 5 (enrolment margins)",
        "points of loss the respiratory region accumulates before item R3 (respiratory "
        "insufficiency, i.e. BiPAP use) starts to fall; 0: R3 falls like R1 and R2",
    ),
    "item_rate_onset_region": Param(
        0.15, 0.0, 5, "assumption calibrated to docs/sources.md section 5 (enrolment margins)",
        "points per month lost by each item of the onset region, per unit of the latent rate",
    ),
    "item_rate_other_regions": Param(
        0.11, 0.0, 5, "assumption calibrated to docs/sources.md section 5 (enrolment margins)",
        "points per month lost by each item of the other regions, per unit of the latent rate",
    ),
    "fvc_onset_mean": Param(100.0, 40, 150, "assumption", "mean FVC % predicted at onset"),
    "fvc_onset_sd": Param(15.0, 0, 50, "assumption", "SD of FVC % predicted at onset"),
    "p_gastrostomy": Param(
        0.7, 0, 1, "assumption",
        "probability of gastrostomy once swallowing (item 3) is <= 1", "prob",
    ),
    # ---------------- pain ------------------------------------------------------------------
    "pain_prob_reference": Param(
        0.62, 0, 1, "assumption calibrated to docs/sources.md section 5 (55-75% with validated instruments)",
        "probability of pain for a spinal-onset patient without the depressive trait", "prob",
    ),
    "pain_or_bulbar": Param(0.5, 0.01, 100, "assumption (docs/sources.md section 1: less pain in bulbar onset)",
                            "odds ratio of pain, bulbar vs other onset sites"),
    "pain_or_depression": Param(
        2.0, 0.01, 100, "assumption (docs/sources.md section 1: pain more common in depressed patients)",
        "odds ratio of pain for patients with the depressive trait",
    ),
    "p_pain_before_onset": Param(
        0.25, 0, 1, "docs/sources.md section 1: 25% of patients with pain had it before "
        "onset (the review's case-control study); the largest survey reports half",
        "share of patients with pain whose pain began before motor onset", "prob",
    ),
    "vas_intercept_mean": Param(
        3.9, 0, 10, "docs/sources.md section 5 (mean BPI severity 3.9/10 among those with pain)",
        "mean pain score (0-10) at baseline among patients with pain",
    ),
    "bpi_interference_mean": Param(
        3.12, 0, 10, "assumption (0.8 x the mean severity 3.9, the level of the first generator)",
        "mean BPI interference (0-10) of a patient with pain at the mean pain score",
    ),
    "bpi_interference_per_pain": Param(
        0.0, -2, 2, "docs/sources.md section 1 (pain intensity did not correlate with the pain "
        "interference score)", "BPI interference points per point of pain above its mean",
    ),
    "bpi_interference_patient_sd": Param(
        1.5, 0, 5, "assumption", "SD of each patient's own level of BPI interference (constant "
        "over visits)",
    ),
    "vas_intercept_sd": Param(1.0, 0, 5, "assumption", "SD of the random intercept"),
    "vas_slope_mean": Param(
        0.10, -2, 2, "assumption; 0.29/month gives the published +1 point over 104 days "
        "(docs/sources.md section 1)", "mean VAS slope, points per month since baseline",
    ),
    "vas_slope_sd": Param(0.05, 0, 2, "assumption", "SD of the random slope"),
    "vas_slope_bulbar_diff": Param(0.0, -2, 2, "assumption",
                                   "difference of the mean VAS slope, bulbar minus other onset"),
    "vas_re_corr": Param(0.0, -0.99, 0.99, "assumption",
                         "correlation of random intercept and slope"),
    "vas_residual_sd": Param(0.7, 0, 5, "assumption", "within-patient residual SD"),
    "vas_classes": Param(
        None, source="assumption",
        description="latent VAS trajectory classes: list of {prob, intercept_mean, slope_mean}; "
        "None = one class", kind="classes",
    ),
    # ---------------- mood and quality of life ---------------------------------------------
    "p_depression_trait": Param(0.34, 0, 1, "docs/sources.md section 5 (pooled depression prevalence 34%)",
                                "probability of the latent depressive trait", "prob"),
    "hads_d_base": Param(4.0, 0, 21, "assumption", "mean HADS-D without trait or pain"),
    "hads_d_trait": Param(6.0, -21, 21, "assumption", "HADS-D shift of the depressive trait"),
    "hads_d_per_pain": Param(0.5, -5, 5, "assumption",
                             "HADS-D increase per pain point (pain -> depression path)"),
    "hads_d_sd": Param(2.0, 0, 10, "assumption", "HADS-D residual SD"),
    "hads_a_base": Param(5.0, 0, 21, "assumption", "mean HADS-A without trait or pain"),
    "hads_a_trait": Param(4.0, -21, 21, "assumption", "HADS-A shift of the depressive trait"),
    "hads_a_per_pain": Param(0.4, -5, 5, "assumption", "HADS-A increase per pain point"),
    "hads_a_sd": Param(2.5, 0, 10, "assumption", "HADS-A residual SD"),
    "adi12_per_hads_d": Param(1.3, 0, 5, "assumption", "ADI-12 points per HADS-D point"),
    "adi12_sd": Param(2.5, 0, 10, "assumption", "ADI-12 residual SD"),
    "qol_intercept": Param(10.0, -50, 100, "assumption", "ALSAQ-40 summary index intercept"),
    "qol_per_pain": Param(1.0, -10, 10, "assumption",
                          "direct effect of a pain point on the ALSAQ-40 summary index"),
    "qol_per_hads_d": Param(2.0, -10, 10, "assumption",
                            "effect of a HADS-D point on the ALSAQ-40 summary index"),
    "qol_per_alsfrs_loss": Param(0.8, -10, 10, "assumption",
                                 "effect of each ALSFRS-R point lost (48 - total)"),
    "qol_sd": Param(4.0, 0, 30, "assumption", "residual SD of the summary index"),
    "qol_scale_sd": Param(4.0, 0, 30, "assumption",
                          "SD of each ALSAQ-40 scale around the summary index"),
    # ---------------- outcomes --------------------------------------------------------------
    "weibull_shape": Param(1.5, 0.3, 5, "assumption", "Weibull shape of every cause, onset clock"),
    "death_scale_months": Param(
        36.0, 1, 400, "assumption calibrated to docs/sources.md section 5 (median 24-48 months from onset)",
        "Weibull scale of death for the reference patient",
    ),
    "tracheostomy_scale_months": Param(160.0, 1, 10000, "assumption",
                                       "Weibull scale of tracheostomy"),
    "niv_scale_months": Param(80.0, 1, 10000, "assumption",
                              "Weibull scale of full-time NIV"),
    "hr_pain_per_point": Param(
        1.10, 0.01, 100, "assumption (no published HR for pain, docs/sources.md section 1)",
        "hazard ratio per point of current pain (0-10, last measured value carried forward)",
    ),
    "pain_hazard": Param("last_value", kind="choice", source="assumption",
                         description="what pain the hazard depends on: last_value (the last "
                         "recorded score, carried forward) or latent (the true trajectory "
                         "b0 + b1 t, without measurement error)"),
    "hr_age_per_10y": Param(1.30, 0.01, 100, "assumption", "hazard ratio per 10 years of age"),
    "hr_bulbar": Param(1.31, 0.01, 100, "ENCALS coefficient 0.269 (docs/sources.md section 6, unverified)",
                       "hazard ratio of bulbar onset"),
    "hr_rate_per_point": Param(2.0, 0.01, 100, "assumption",
                               "hazard ratio per point/month of latent ALSFRS-R decline"),
    "hr_ftd": Param(1.47, 0.01, 100, "ENCALS coefficient 0.388 (docs/sources.md section 6, unverified)",
                    "hazard ratio of FTD"),
    "hr_c9orf72": Param(1.29, 0.01, 100, "ENCALS coefficient 0.256 (docs/sources.md section 6, unverified)",
                        "hazard ratio of C9orf72"),
    "hr_definite_el_escorial": Param(1.26, 0.01, 100,
                                     "ENCALS coefficient 0.233 (docs/sources.md section 6, unverified)",
                                     "hazard ratio of definite El Escorial"),
    # ---------------- follow-up -------------------------------------------------------------
    "visit_interval_days": Param(91, 14, 730, "assumption (visits every ~3 months)",
                                 "days between scheduled visits", "int"),
    "visit_jitter_sd_days": Param(7.0, 0, 60, "assumption", "SD of visit-day jitter"),
    "p_missed_visit": Param(0.10, 0, 0.95, "assumption", "probability a scheduled visit is missed",
                            "prob"),
    "follow_up_min_months": Param(12.0, 1, 240, "assumption",
                                  "shortest administrative follow-up (uniform, staggered entry)"),
    "follow_up_max_months": Param(36.0, 1, 240, "assumption", "longest administrative follow-up"),
    "dropout_rate_per_month": Param(0.01, 0, 1, "assumption", "withdrawal hazard per month"),
    "dropout_depends_on": Param("none", kind="choice", description="informative dropout: "
                                "none, alsfrs (per point lost) or pain (per pain point)"),
    "dropout_log_hr": Param(0.0, -5, 5, "assumption",
                            "log hazard ratio of withdrawal per unit of dropout_depends_on"),
    "missing_mechanism": Param("mcar", kind="choice",
                               description="questionnaire missingness after baseline: mcar, mar "
                               "(depends on ALSFRS-R) or mnar (depends on the pain value)"),
    "missing_rate": Param(0.05, 0, 0.9, "assumption",
                          "average share of questionnaires missing at follow-up visits", "prob"),
    "baseline_missing_rate": Param(0.0, 0, 0.9, "assumption (0: every patient completes the "
                                   "baseline questionnaires)",
                                   "share of patients whose baseline questionnaires (pain, "
                                   "mood, quality of life) are missing (MCAR)", "prob"),
    "p_riluzole": Param(0.8, 0, 1, "assumption", "probability of riluzole use", "prob"),
    "p_pain_treated": Param(0.7, 0, 1, "assumption",
                            "probability that a pain type is treated with a drug", "prob"),
    "cramp_wane_per_month": Param(0.0, 0, 2, "assumption (clinical notes: cramps wane as the "
                                  "disease advances; 0: they do not)",
                                  "rate at which a patient's cramps stop being reported: a "
                                  "cramp site is reported at a visit with probability "
                                  "exp(-rate x months since onset)"),
    # ---------------- proxy ratings (issue 21) ------------------------------------------------
    "p_caregiver": Param(0.0, 0, 1, "assumption (0: no proxy ratings)",
                         "share of patients whose caregiver also rates the patient's pain (VAS) "
                         "at every visit the patient does", "prob"),
    "proxy_bias": Param(0.0, -5, 5, "assumption (the review: patients and caregivers rated pain "
                        "similarly near the end of life)",
                        "mean of caregiver VAS minus patient VAS"),
    "proxy_sd": Param(1.0, 0, 5, "assumption",
                      "SD of the caregiver's VAS around the patient's VAS plus the bias"),
}

CHOICES: dict[str, tuple[str, ...]] = {
    "dropout_depends_on": ("none", "alsfrs", "pain"),
    "missing_mechanism": ("mcar", "mar", "mnar"),
    "pain_hazard": ("last_value", "latent"),
}

PRESETS: dict[str, dict[str, Any]] = {
    "literature": {},
    "no_pain_effect": {
        "qol_per_pain": 0.0,
        "hads_d_per_pain": 0.0,
        "hads_a_per_pain": 0.0,
        "hr_pain_per_point": 1.0,
    },
    "pain_mediated_by_depression": {
        "qol_per_pain": 0.0,
        "hads_d_per_pain": 1.0,
        "pain_or_depression": 1.0,
    },
    "bulbar_heavy": {
        "onset_site_probs": {"spinal": 0.40, "bulbar": 0.54, "respiratory": 0.03,
                             "generalised": 0.03},
    },
    "high_prevalence": {"pain_prob_reference": 0.85},
    "latent_pain_hazard": {
        # the hazard follows the true pain trajectory, measured with error at visits: the
        # joint model's target (issue 22); everyone has pain so the marker is one population
        "pain_hazard": "latent",
        # a constant baseline hazard (shape 1: the same on the onset and baseline clocks) and
        # no effect of what a model of pain, age and onset site cannot see (the latent decline
        # rate, FTD, C9orf72, El Escorial), so that the joint model is correctly specified
        "weibull_shape": 1.0,
        "hr_rate_per_point": 1.0,
        "hr_ftd": 1.0,
        "hr_c9orf72": 1.0,
        "hr_definite_el_escorial": 1.0,
        "pain_prob_reference": 1.0,
        "hr_pain_per_point": 1.25,
        "vas_residual_sd": 1.5,
        "vas_intercept_sd": 1.5,
        "vas_slope_sd": 0.1,
    },
    "latent_classes": {
        # means chosen so that no class reaches the ends of the 0-10 scale within 36 months
        # of follow-up (clipping would create extra apparent classes)
        "vas_classes": [
            {"prob": 0.5, "intercept_mean": 2.0, "slope_mean": 0.0},
            {"prob": 0.3, "intercept_mean": 4.5, "slope_mean": 0.12},
            {"prob": 0.2, "intercept_mean": 7.5, "slope_mean": -0.12},
        ],
        "vas_intercept_sd": 0.5,
        "vas_slope_sd": 0.03,
        "vas_residual_sd": 0.5,
    },
}
"""Named parameter sets. Each preset's property is tested in tests/test_synthetic.py:

- ``literature``: the defaults.
- ``no_pain_effect``: pain changes neither quality of life nor depression nor survival.
- ``pain_mediated_by_depression``: pain acts on QoL only through HADS-D (no direct effect) and
  the depressive trait does not confound pain (OR 1), so mediation estimands are identified.
- ``bulbar_heavy``: 54% bulbar onset.
- ``high_prevalence``: 85% pain probability in the reference group.
- ``latent_pain_hazard``: every patient has pain; the hazard depends on the true pain
  trajectory (HR 1.25 per point), which visits measure with error (residual SD 1.5), and
  otherwise only on age and onset site, with a constant baseline hazard: the joint model
  recovers the HR, the carried-forward Cox model is diluted.
- ``latent_classes``: three planted VAS trajectory classes (stable low, increasing, high and
  decreasing).
"""


def _check_probs(name: str, value: Any, keys: tuple[str, ...]) -> dict[str, float]:
    if not isinstance(value, Mapping):
        raise ParameterError(f"parameter {name!r} must be a mapping of {keys} to probabilities")
    unknown = set(value) - set(keys)
    if unknown:
        raise ParameterError(f"parameter {name!r}: unknown key(s) {sorted(unknown)}; valid: {keys}")
    probs = {k: float(value.get(k, 0.0)) for k in keys}
    for k, p in probs.items():
        if not 0.0 <= p <= 1.0 or math.isnan(p):
            raise ParameterError(f"parameter {name!r}[{k!r}] = {p} is outside [0, 1]")
    total = sum(probs.values())
    if abs(total - 1.0) > 1e-9:
        raise ParameterError(f"parameter {name!r}: probabilities sum to {total}, not 1")
    return probs


def _check_classes(value: Any) -> list[dict[str, float]] | None:
    if value is None:
        return None
    if not isinstance(value, (list, tuple)) or not value:
        raise ParameterError("parameter 'vas_classes' must be None or a non-empty list of dicts")
    out = []
    for k, cls in enumerate(value):
        if not isinstance(cls, Mapping) or set(cls) != {"prob", "intercept_mean", "slope_mean"}:
            raise ParameterError(
                f"parameter 'vas_classes'[{k}] must have exactly the keys prob, intercept_mean, "
                "slope_mean"
            )
        p = float(cls["prob"])
        if not 0 < p <= 1:
            raise ParameterError(f"parameter 'vas_classes'[{k}]['prob'] = {p} is outside (0, 1]")
        out.append({key: float(cls[key]) for key in ("prob", "intercept_mean", "slope_mean")})
    total = sum(c["prob"] for c in out)
    if abs(total - 1) > 1e-9:
        raise ParameterError(f"parameter 'vas_classes': probabilities sum to {total}, not 1")
    return out


def resolve_params(preset: str = "literature", **overrides: Any) -> dict[str, Any]:
    """The full parameter set of ``preset`` with ``overrides`` applied and checked.

    Raises
    ------
    ParameterError
        For an unknown preset or parameter, or a value outside its valid range (the message
        names the parameter and the range).
    """
    if preset not in PRESETS:
        raise ParameterError(f"unknown preset {preset!r}; valid presets: {sorted(PRESETS)}")
    values = {name: p.default for name, p in PARAMS.items()}
    values.update(PRESETS[preset])
    unknown = sorted(set(overrides) - set(PARAMS))
    if unknown:
        raise ParameterError(
            f"unknown parameter(s) {unknown}; see alspaincohort.synthetic.PARAMS for the list"
        )
    values.update(overrides)
    for name, spec in PARAMS.items():
        v = values[name]
        if spec.kind == "probs":
            keys = ONSET_SITE_KEYS if name == "onset_site_probs" else EL_ESCORIAL_KEYS
            values[name] = _check_probs(name, v, keys)
        elif spec.kind == "classes":
            values[name] = _check_classes(v)
        elif spec.kind == "choice":
            if v not in CHOICES[name]:
                raise ParameterError(f"parameter {name!r} = {v!r}; valid: {CHOICES[name]}")
        else:
            try:
                x = float(v)
            except (TypeError, ValueError):
                raise ParameterError(f"parameter {name!r} = {v!r} is not a number") from None
            if math.isnan(x) or (spec.low is not None and x < spec.low) or (
                spec.high is not None and x > spec.high
            ):
                raise ParameterError(
                    f"parameter {name!r} = {v!r} is outside its valid range "
                    f"[{spec.low}, {spec.high}]"
                )
            values[name] = int(x) if spec.kind == "int" else x
    if values["follow_up_min_months"] > values["follow_up_max_months"]:
        raise ParameterError("follow_up_min_months must be <= follow_up_max_months")
    return values
