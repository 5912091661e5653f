"""Synthetic ALS pain cohorts with known ground truth: the generative model.

Everything is drawn with NumPy on whole arrays (patients x scheduled visits); there is no
per-patient Python loop, so a million patients take seconds (``benchmarks/``). Each component
draws from its own child of ``numpy.random.SeedSequence(seed)``, so the same seed always gives the
same cohort. Parameters, their defaults, valid ranges and sources are in
:mod:`alspaincohort.synthetic.params`; numbers marked "assumption" there have no published
source and are meant to be overridden.

The model
---------
Baseline
    Sex ~ Bernoulli(p_male); age at onset ~ normal truncated to [age_onset_min, age_onset_max];
    onset site ~ categorical(onset_site_probs); diagnostic delay ~ gamma with the given mean and
    SD; study baseline a gamma(shape 2) time after diagnosis; El Escorial, FTD, C9orf72, SOD1
    independent draws. Day 0 is the baseline visit; onset and diagnosis days are <= 0.
Disease
    A latent ALSFRS-R decline rate v ~ normal(alsfrs_rate_mean, alsfrs_rate_sd) truncated at
    0.02 points/month. The four regions (bulbar: items 1-3; arm: 4-6; leg: 7-9; respiratory:
    R1-R3) start declining at region onset times: 0 for the onset region (spinal onset starts
    in the arm or the leg with equal chance; generalised onset starts everywhere within 2
    months), a gamma(shape 2, mean region_spread_months) delay for the others
    (respiratory_spread_months for the respiratory region: the same draw rescaled). After its
    region's onset an item loses ``v * item_rate_onset_region`` (onset region) or
    ``v * item_rate_other_regions`` points per month; item = clip(4 - floor(loss + u), 0, 4) with
    a per-patient-item offset u ~ U(0, 1), so items never improve; R3 (respiratory
    insufficiency, BiPAP use) uses u - r3_lag_points, so it falls after dyspnea and orthopnea.
    The defaults are calibrated to published margins at trial and clinic enrolment
    (docs/sources.md section 5: ALSFRS-R, its decline since onset, King's stage, FVC). Gastrostomy follows, with
    probability p_gastrostomy, within a month of swallowing (item 3) reaching 1; from then item
    5 is recorded as 5b. FVC % predicted = FVC at onset x (1 - 0.8 x respiratory points lost /
    12) + normal(0, 5) noise.
Pain
    Pain presence ~ logistic: logit P = logit(pain_prob_reference) + log(pain_or_bulbar) [bulbar
    onset] + log(pain_or_depression) [depressive trait]. Among patients with pain, the pain
    score (0-10, one decimal) at a visit t months after baseline is
    b0 + b1 t + e, with (b0, b1) bivariate normal (vas_* parameters, or class-specific means
    when vas_classes is set; bulbar onset adds vas_slope_bulbar_diff to the mean slope) and e ~ normal(0, vas_residual_sd), kept in [0.1, 10] (a patient
    with pain scores at least 1 mm). Patients without pain score 0 throughout. BPI severity =
    pain + normal(0, 0.5) and interference = bpi_interference_mean + bpi_interference_per_pain x
    (pain - vas_intercept_mean) + bpi_interference_patient_sd x (the patient's own level, normal
    (0, 1)) + normal(0, 1), clipped to [0, 10] (the review: interference does not follow
    intensity; with 3.12, 0.8 and 0 it is 0.8 pain + noise, as before issue 21). Pain
    types and body sites are drawn once per patient (1-3 types whose mix depends on onset site,
    plus shoulder pain with upper-limb weakness and hip pressure pain with immobility at
    baseline) and reported at each questionnaire visit with pain. A share p_pain_before_onset of patients
    with pain had pain before motor onset (``patients.pain_onset_day`` < ``onset_day``), with
    gabapentin started then in 30% of them.
Mood and quality of life
    HADS-D = hads_d_base + hads_d_trait [trait] + hads_d_per_pain x pain + normal(0, hads_d_sd),
    rounded and clipped to 0-21 (HADS-A likewise); ADI-12 = 12 + adi12_per_hads_d x HADS-D +
    noise, clipped to 12-48. The ALSAQ-40 summary index is qol_intercept + qol_per_pain x pain +
    qol_per_hads_d x HADS-D (the recorded value) + qol_per_alsfrs_loss x (48 - ALSFRS-R) +
    normal(0, qol_sd); each of the five scales is the index plus normal(0, qol_scale_sd),
    clipped to 0-100, and the recorded summary index is the mean of the recorded scales.
Outcomes
    Death, tracheostomy and full-time NIV have cause-specific Weibull hazards on the time since
    onset, all with shape weibull_shape, their own scales, and one shared linear predictor:
    log hr_age_per_10y x (age - 62) / 10 + log hr_bulbar [bulbar] + log hr_rate_per_point x
    (v - 0.95) + log hr_ftd [FTD] + log hr_c9orf72 + log hr_definite_el_escorial +
    log hr_pain_per_point x (current pain). Current pain is the last recorded pain score (carried
    forward over missed visits and questionnaires), so the hazard is piecewise constant between
    visits and a Cox model with the carried-forward covariate targets hr_pain_per_point exactly.
    With pain_hazard "latent" it is instead the true pain b0 + b1 t, without measurement error,
    at the middle of each interval between scheduled visits (the joint model's target; the
    carried-forward Cox model is then diluted).
    Latent times are drawn by inverting the cumulative hazard segment by segment from baseline
    (patients are enrolled alive). Death is recorded even after tracheostomy or NIV.
Follow-up
    Scheduled visits every visit_interval_days with normal jitter; each visit after baseline is
    missed with probability p_missed_visit; questionnaires at an attended follow-up visit are
    missing with probability missing_rate (MCAR), more often with more ALSFRS-R loss (MAR) or
    with more pain (MNAR); those of the baseline visit with probability baseline_missing_rate
    (default 0). A death within the first day after baseline is dated day 1 (the patient was
    enrolled alive at the visit). Administrative censoring is uniform between follow_up_min_months and
    follow_up_max_months; withdrawal has a constant hazard, optionally raised by ALSFRS-R loss or
    pain (informative dropout). Analgesic and antispastic medications follow the pain types (each
    type treated with probability p_pain_treated); riluzole is given to a share p_riluzole.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from ..cohort import Cohort
from ..drugs import CLASSES as DRUG_CLASSES
from ..drugs import classify
from ..errors import ParameterError
from ..schema import (
    DAYS_PER_MONTH,
    EL_ESCORIAL,
    EVENTS,
    ONSET_SITES,
    PAIN_SITES,
    PAIN_TYPES,
    PRESENTING_SYMPTOMS,
    RESPONDENTS,
)
from ..truth import Truth, compute_estimands
from .params import PARAMS, resolve_params

DPM = DAYS_PER_MONTH

# ALSFRS-R items in region order: bulbar, arm, leg, respiratory; item 5 is index 4 (5a / 5b)
_ALSFRS_ITEMS = (
    "q1_speech", "q2_salivation", "q3_swallowing",
    "q4_handwriting", "q5a_cutting_without_gastrostomy", "q6_dressing_hygiene",
    "q7_turning_in_bed", "q8_walking", "q9_climbing_stairs",
    "r1_dyspnea", "r2_orthopnea", "r3_respiratory_insufficiency",
)
_REGION_OF_ITEM = np.repeat(np.arange(4), 3)
_BULBAR, _ARM, _LEG, _RESP = range(4)

# the fixed row layout of one visit in the assessments table
_VISIT_COLUMNS: tuple[tuple[str, str], ...] = (
    *(("alsfrs_r", item) for item in _ALSFRS_ITEMS[:5]),
    ("alsfrs_r", "q5b_cutting_with_gastrostomy"),
    *(("alsfrs_r", item) for item in _ALSFRS_ITEMS[5:]),
    ("alsfrs_r", "total"),
    ("fvc", "percent_predicted"),
    ("vas_pain", "total"),
    ("bpi", "severity"),
    ("bpi", "interference"),
    ("hads", "a"),
    ("hads", "d"),
    ("adi12", "total"),
    ("alsaq40", "physical_mobility"),
    ("alsaq40", "adl_independence"),
    ("alsaq40", "eating_drinking"),
    ("alsaq40", "communication"),
    ("alsaq40", "emotional_reactions"),
    ("alsaq40", "summary_index"),
)
_COL = {key: i for i, key in enumerate(_VISIT_COLUMNS)}
_N_ALSFRS_COLS = 14  # 13 item columns (5a and 5b) + total
_QUESTIONNAIRE_FROM = _COL[("vas_pain", "total")]

_PAIN_TYPE_PROBS = {  # by onset group: assumption (NIV-interface pain and itch not drawn)
    "spinal": [0.35, 0.15, 0.35, 0.09, 0.03, 0.03, 0.0, 0.0],
    "bulbar": [0.20, 0.15, 0.45, 0.09, 0.05, 0.06, 0.0, 0.0],
}
_SITES_BY_TYPE = {  # (sites, probabilities): assumption following docs/sources.md section 1
    "cramp": (("legs", "hands", "feet"), (0.6, 0.2, 0.2)),
    "spasticity": (("legs", "arms"), (0.6, 0.4)),
    "musculoskeletal": (("shoulders", "neck", "lower_back", "upper_back", "hips"),
                        (0.35, 0.2, 0.2, 0.1, 0.15)),
    "neuropathic": (("feet", "hands", "legs"), (0.4, 0.3, 0.3)),
    "pressure": (("hips", "lower_back", "upper_back"), (0.5, 0.3, 0.2)),
    "other": (("head", "chest", "generalised"), (0.4, 0.3, 0.3)),
    "niv_interface": (("head",), (1.0,)),
    "itch": (("generalised",), (1.0,)),
}
# drug, ATC code, dose mg/day, indication, probability within its pain type: assumption
_DRUGS_BY_TYPE: dict[str, list[tuple[str, str, float, str, float]]] = {
    "cramp": [("quinine", "P01BC01", 300, "cramp", 0.5),
              ("mexiletine", "C01BB02", 450, "cramp", 0.5)],
    "spasticity": [("baclofen", "M03BX01", 30, "spasticity", 0.7),
                   ("tizanidine", "M03BX02", 12, "spasticity", 0.3)],
    "musculoskeletal": [("paracetamol", "N02BE01", 3000, "pain", 0.6),
                        ("ibuprofen", "M01AE01", 1200, "pain", 0.25),
                        ("naproxen", "M01AE02", 1000, "pain", 0.15)],
    "neuropathic": [("gabapentin", "N03AX12", 900, "neuropathic pain", 0.6),
                    ("pregabalin", "N03AX16", 150, "neuropathic pain", 0.4)],
    "pressure": [("paracetamol", "N02BE01", 3000, "pain", 1.0)],
    "other": [("paracetamol", "N02BE01", 3000, "pain", 1.0)],
    "niv_interface": [("paracetamol", "N02BE01", 3000, "pain", 1.0)],
    "itch": [("paracetamol", "N02BE01", 3000, "pain", 1.0)],  # (not drawn)
}
_OPIOID = ("morphine", "N02AA01", 30.0, "severe pain")
_RILUZOLE = ("riluzole", "N07XX02", 100.0, "als")
_GABAPENTIN = ("gabapentin", "N03AX12", 900.0, "neuropathic pain")

# new streams go last: spawned children are numbered, so the others stay as they were
_STREAMS = ("baseline", "disease", "pain", "mood", "visits", "outcomes", "sites", "drugs",
            "proxy", "interference")


def _streams(seed: Any) -> dict[str, np.random.Generator]:
    if not (seed is None or isinstance(seed, (np.random.Generator, np.random.SeedSequence))
            or (isinstance(seed, (int, np.integer)) and not isinstance(seed, bool)
                and seed >= 0)):
        raise ParameterError(f"seed must be a non-negative integer, a numpy SeedSequence or "
                             f"Generator, or None, not {seed!r}")
    if isinstance(seed, np.random.Generator):
        children = seed.spawn(len(_STREAMS))
    else:
        ss = seed if isinstance(seed, np.random.SeedSequence) else np.random.SeedSequence(seed)
        children = [np.random.default_rng(s) for s in ss.spawn(len(_STREAMS))]
    return dict(zip(_STREAMS, children, strict=True))


def _truncnorm(rng: np.random.Generator, mean: float, sd: float, lo: float, hi: float,
               size: int) -> np.ndarray:
    if sd == 0:
        return np.full(size, float(np.clip(mean, lo, hi)))
    a, b = (lo - mean) / sd, (hi - mean) / sd
    u = rng.random(size)
    return stats.truncnorm.ppf(u, a, b, loc=mean, scale=sd)


def _gamma(rng: np.random.Generator, mean: float, sd: float, size: int) -> np.ndarray:
    if mean == 0:
        return np.zeros(size)
    if sd == 0:
        return np.full(size, mean)
    shape = (mean / sd) ** 2
    return rng.gamma(shape, sd**2 / mean, size)


def _categorical(rng: np.random.Generator, probs: np.ndarray, size: int) -> np.ndarray:
    """Draw category indices; ``probs`` is (k,) or (size, k)."""
    cum = np.cumsum(probs, axis=-1)
    u = rng.random(size)
    if cum.ndim == 1:
        return np.minimum(np.searchsorted(cum, u, side="right"), len(cum) - 1)
    return np.minimum((u[:, None] >= cum).sum(axis=1), cum.shape[1] - 1)


def _invert_piecewise(cum_increments: np.ndarray, last_rate_factor: np.ndarray,
                      boundary_h0: np.ndarray, e: np.ndarray) -> np.ndarray:
    """Cumulative baseline hazard H0 at which the total hazard reaches ``e``.

    ``cum_increments`` (n, s): cumulative total hazard at the end of each finite segment;
    ``boundary_h0`` (n, s + 1): H0 at each segment start; ``last_rate_factor`` (n, s + 1): the
    hazard multiplier in each segment (the last segment is open-ended).
    """
    n = len(e)
    k = (cum_increments < e[:, None]).sum(axis=1)
    rows = np.arange(n)
    before = np.where(k > 0, cum_increments[rows, np.maximum(k - 1, 0)], 0.0)
    return boundary_h0[rows, k] + (e - before) / last_rate_factor[rows, k]


def simulate_cohort(
    n_patients: int,
    seed: int | np.random.SeedSequence | np.random.Generator | None = None,
    preset: str = "literature",
    **overrides: Any,
) -> Cohort:
    """Draw a synthetic ALS pain cohort with known ground truth.

    Parameters
    ----------
    n_patients : int
        Number of patients (>= 1).
    seed : int, SeedSequence or Generator
        Source of randomness; the same seed gives identical tables. ``None`` draws fresh
        entropy (not reproducible).
    preset : str
        A named parameter set of :data:`alspaincohort.synthetic.PRESETS`.
    **overrides
        Any parameter of :data:`alspaincohort.synthetic.PARAMS`.

    Returns
    -------
    Cohort
        The five standard tables; ``cohort.truth`` is the frozen :class:`Truth` (parameters,
        estimands and per-patient latent values); ``cohort.metadata`` records the call.

    Raises
    ------
    ParameterError
        Unknown preset or parameter, or a value outside its valid range.
    """
    if not isinstance(n_patients, (int, np.integer)) or isinstance(n_patients, bool) \
            or n_patients < 1:
        raise ParameterError(f"n_patients must be a whole number >= 1, not {n_patients!r}")
    n = int(n_patients)
    prm = resolve_params(preset, **overrides)
    rng = _streams(seed)

    base = _draw_baseline(n, prm, rng["baseline"])
    disease = _draw_disease(n, prm, base, rng["disease"])
    pain = _draw_pain(n, prm, base, rng["pain"])
    visits = _draw_visits(n, prm, rng["visits"])
    grid = _visit_grid(prm, base, disease, pain, visits)
    outcome = _draw_outcomes(n, prm, base, disease, visits, grid, pain, rng["outcomes"])
    # (n, K) arrays no table reads: freed before the tables, the largest step in memory
    for key in ("months", "pain_locf"):
        del grid[key]
    for key in ("u_missing", "vas_noise"):
        del visits[key]

    width = max(5, len(str(n)))
    ids = np.array([f"SYN{i:0{width}d}" for i in range(1, n + 1)], dtype=object)
    patients = _patients_table(ids, base, pain, prm)
    # each patient's own level of pain interference (its last stream: the others unchanged)
    interference = rng["interference"].standard_normal(n)
    assessments = _assessments_table(ids, visits, grid, disease, outcome, prm, base["trait"],
                                     interference, rng["mood"])
    if prm["p_caregiver"] > 0:
        assessments = _with_proxy_ratings(assessments, prm, rng["proxy"])
    # the tables below read only the baseline ALSFRS-R items: the rest of the grid goes
    grid["items"] = grid["items"][:, :1, :].copy()
    del grid["t_onset"], grid["total"]
    pain_sites, type_draws, type_used = _pain_sites_table(ids, pain, visits, grid, outcome,
                                                          rng["sites"], prm, base["t_base"])
    medications = _medications_table(ids, base, pain, visits, grid, outcome, type_draws,
                                     type_used, prm, rng["drugs"])
    events = _events_table(ids, base, disease, outcome)

    estimands = compute_estimands(prm)
    estimands["realised_median_survival_from_onset_months"] = float(np.median(outcome["t_death"]))
    estimands["realised_median_survival_from_baseline_months"] = float(
        np.median(outcome["t_death"] - base["t_base"])
    )
    truth_patients = pd.DataFrame(
        {
            "patient_id": ids.astype(str),
            "depressive_trait": base["trait"],
            "pain": pain["has_pain"],
            "pain_class": np.where(pain["has_pain"], pain["cls"], -1).astype(np.int8),
            "vas_intercept": pain["b0"],
            "vas_slope": pain["b1"],
            "alsfrs_rate": disease["rate"],
            "death_month_from_onset": outcome["t_death"],
            "tracheostomy_month_from_onset": outcome["t_trach"],
            "niv_month_from_onset": outcome["t_niv"],
            "censor_month_from_onset": outcome["t_censor"],
        }
    )
    sources = {name: p.source for name, p in PARAMS.items()}
    truth = Truth.build(preset, seed if isinstance(seed, (int, np.integer)) else None,
                        prm, sources, estimands, truth_patients)
    metadata = {
        "generator": "alspaincohort.simulate_cohort",
        "n_patients": n,
        "seed": int(seed) if isinstance(seed, (int, np.integer)) else None,
        "preset": preset,
        "overrides": {k: v for k, v in overrides.items()},
    }
    return Cohort(patients, assessments, pain_sites, medications, events, truth=truth,
                  metadata=metadata, copy=False)  # fresh tables, referenced nowhere else


# ----------------------------------------------------------------------------------------------
# components
# ----------------------------------------------------------------------------------------------
def _draw_baseline(n: int, p: dict[str, Any], rng: np.random.Generator) -> dict[str, np.ndarray]:
    male = rng.random(n) < p["p_male"]
    age = _truncnorm(rng, p["age_onset_mean"], p["age_onset_sd"], p["age_onset_min"],
                     p["age_onset_max"], n)
    site = _categorical(rng, np.array([p["onset_site_probs"][s] for s in ONSET_SITES]), n)
    delay = _gamma(rng, p["diag_delay_mean_months"], p["diag_delay_sd_months"], n)
    enrol_mean = p["enrolment_delay_mean_months"]
    enrol = rng.gamma(2.0, enrol_mean / 2.0, n) if enrol_mean > 0 else np.zeros(n)
    onset_day = -np.round((delay + enrol) * DPM).astype(np.int64)
    diagnosis_day = np.minimum(onset_day + np.round(delay * DPM).astype(np.int64), 0)
    ee = _categorical(rng, np.array([p["el_escorial_probs"][k] for k in EL_ESCORIAL]), n)
    ftd = rng.random(n) < p["p_ftd"]
    c9 = rng.random(n) < p["p_c9orf72"]
    sod1 = rng.random(n) < p["p_sod1"]
    trait = rng.random(n) < p["p_depression_trait"]
    return {
        "male": male, "age": np.round(age, 2), "site": site, "onset_day": onset_day,
        "diagnosis_day": diagnosis_day, "t_base": -onset_day / DPM, "ee": ee, "ftd": ftd,
        "c9": c9, "sod1": sod1, "trait": trait,
    }


def _draw_disease(n: int, p: dict[str, Any], base: dict[str, np.ndarray],
                  rng: np.random.Generator) -> dict[str, np.ndarray]:
    rate = _truncnorm(rng, p["alsfrs_rate_mean"], p["alsfrs_rate_sd"], 0.02, np.inf, n)
    spread = p["region_spread_months"]
    start = rng.gamma(2.0, spread / 2.0, (n, 4)) if spread > 0 else np.zeros((n, 4))
    # the respiratory region's own delay (the same gamma draw, rescaled: no new random stream)
    if spread > 0:
        start[:, _RESP] *= p["respiratory_spread_months"] / spread
    else:
        start[:, _RESP] = 0.0
    site = base["site"]
    first = np.select(
        [site == ONSET_SITES.index("bulbar"), site == ONSET_SITES.index("respiratory")],
        [_BULBAR, _RESP],
        default=np.where(rng.random(n) < 0.5, _ARM, _LEG),
    )
    start[np.arange(n), first] = 0.0
    generalised = site == ONSET_SITES.index("generalised")
    start[generalised] = rng.uniform(0, 2, (int(generalised.sum()), 4))
    is_first = np.zeros((n, 4), dtype=bool)
    is_first[np.arange(n), first] = True
    is_first |= generalised[:, None]
    region_rate = rate[:, None] * np.where(
        is_first, p["item_rate_onset_region"], p["item_rate_other_regions"]
    )
    offset = rng.random((n, 12))
    # respiratory insufficiency (R3: BiPAP use) falls only after its region has lost
    # r3_lag_points (dyspnea and orthopnea come first): item = clip(4 - floor(loss + u - lag))
    # stays 4 while loss < lag - u
    offset[:, 11] -= p["r3_lag_points"]
    fvc0 = rng.normal(p["fvc_onset_mean"], p["fvc_onset_sd"], n)
    # gastrostomy: when item 3 (swallowing) first reaches <= 1, i.e. loss + u >= 3
    swallow_rate = region_rate[:, _BULBAR]
    t_swallow = start[:, _BULBAR] + (3.0 - offset[:, 2]) / swallow_rate
    has_gastro = rng.random(n) < p["p_gastrostomy"]
    t_gastro = np.where(has_gastro, t_swallow + rng.random(n), np.inf)
    return {"rate": rate, "start": start, "region_rate": region_rate, "offset": offset,
            "fvc0": fvc0, "t_gastro": t_gastro}


def _draw_pain(n: int, p: dict[str, Any], base: dict[str, np.ndarray],
               rng: np.random.Generator) -> dict[str, np.ndarray]:
    bulbar = base["site"] == ONSET_SITES.index("bulbar")
    ref = p["pain_prob_reference"]
    lp = np.log(ref / (1 - ref)) if 0 < ref < 1 else (np.inf if ref == 1 else -np.inf)
    logit = lp + np.log(p["pain_or_bulbar"]) * bulbar + np.log(p["pain_or_depression"]) * base[
        "trait"]
    has_pain = rng.random(n) < 1.0 / (1.0 + np.exp(-logit))
    classes = p["vas_classes"]
    if classes:
        probs = np.array([c["prob"] for c in classes])
        cls = _categorical(rng, probs, n)
        mu0 = np.array([c["intercept_mean"] for c in classes])[cls]
        mu1 = np.array([c["slope_mean"] for c in classes])[cls]
    else:
        cls = np.zeros(n, dtype=np.int64)
        mu0 = np.full(n, p["vas_intercept_mean"])
        mu1 = np.full(n, p["vas_slope_mean"])
    z0, z1 = rng.standard_normal(n), rng.standard_normal(n)
    rho = p["vas_re_corr"]
    b0 = mu0 + p["vas_intercept_sd"] * z0
    b1 = (mu1 + p["vas_slope_bulbar_diff"] * bulbar
          + p["vas_slope_sd"] * (rho * z0 + np.sqrt(1 - rho**2) * z1))
    before_onset = has_pain & (rng.random(n) < p["p_pain_before_onset"])
    lead = np.round(rng.gamma(2.0, 3.0, n) * DPM).astype(np.int64) + 1
    since_onset = np.floor(rng.random(n) * (-base["onset_day"] + 1)).astype(np.int64)
    pain_onset_day = np.where(before_onset, base["onset_day"] - lead,
                              base["onset_day"] + since_onset)
    site_group = np.where(bulbar, 1, 0)
    return {"has_pain": has_pain, "cls": cls, "b0": b0, "b1": b1, "before_onset": before_onset,
            "pain_onset_day": pain_onset_day, "site_group": site_group}


def _draw_visits(n: int, p: dict[str, Any], rng: np.random.Generator) -> dict[str, np.ndarray]:
    interval = p["visit_interval_days"]
    follow = rng.uniform(p["follow_up_min_months"], p["follow_up_max_months"], n)
    admin_day = np.round(follow * DPM).astype(np.int64)
    k_max = int(np.ceil(p["follow_up_max_months"] * DPM / interval)) + 1
    k = np.arange(k_max)
    jitter = np.clip(rng.normal(0, p["visit_jitter_sd_days"], (n, k_max)), -interval / 3,
                     interval / 3)
    day = np.round(k[None, :] * interval + jitter).astype(np.int64)
    day[:, 0] = 0
    attended = rng.random((n, k_max)) >= p["p_missed_visit"]
    attended[:, 0] = True
    attended &= day <= admin_day[:, None]
    u_missing = rng.random((n, k_max))
    vas_noise = rng.standard_normal((n, k_max))
    return {"day": day, "attended": attended, "admin_day": admin_day, "u_missing": u_missing,
            "vas_noise": vas_noise}


def _alsfrs_items(disease: dict[str, np.ndarray], t_onset: np.ndarray) -> np.ndarray:
    """Item scores (n, K, 12) as int8 at months-since-onset ``t_onset`` (n, K).

    Broadcast over (patient, visit, item) in float32, in place, to keep a million patients
    within memory.
    """
    start = disease["start"][:, _REGION_OF_ITEM].astype(np.float32)[:, None, :]
    rate = disease["region_rate"][:, _REGION_OF_ITEM].astype(np.float32)[:, None, :]
    loss = t_onset.astype(np.float32)[:, :, None] - start
    np.maximum(loss, 0.0, out=loss)
    loss *= rate
    loss += disease["offset"].astype(np.float32)[:, None, :]
    np.floor(loss, out=loss)
    np.subtract(4.0, loss, out=loss)
    np.clip(loss, 0.0, 4.0, out=loss)
    return loss.astype(np.int8)


def _visit_grid(p: dict[str, Any], base: dict[str, np.ndarray], disease: dict[str, np.ndarray],
                pain: dict[str, np.ndarray], visits: dict[str, np.ndarray]
                ) -> dict[str, np.ndarray]:
    """Values at every scheduled visit (n, K): ALSFRS-R loss, pain, questionnaire presence."""
    n, k_max = visits["day"].shape
    months = visits["day"] / DPM
    t_onset = base["t_base"][:, None] + months
    items = _alsfrs_items(disease, t_onset)
    total = items.sum(axis=2, dtype=np.int16).astype(np.float64)
    raw_pain = (pain["b0"][:, None] + pain["b1"][:, None] * months
                + p["vas_residual_sd"] * visits["vas_noise"])
    score = np.where(pain["has_pain"][:, None], np.clip(np.round(raw_pain, 1), 0.1, 10.0), 0.0)
    rate = p["missing_rate"]
    if p["missing_mechanism"] == "mcar":
        p_miss = np.full((n, k_max), rate)
    elif p["missing_mechanism"] == "mar":
        p_miss = np.clip(rate * (0.5 + (48 - total) / 24.0), 0, 0.95)
    else:
        p_miss = np.clip(rate * (0.5 + score / 4.0), 0, 0.95)
    questionnaire = visits["attended"] & (visits["u_missing"] >= p_miss)
    # baseline: missing with probability baseline_missing_rate (default 0: always there)
    questionnaire[:, 0] = visits["u_missing"][:, 0] >= p["baseline_missing_rate"]
    # pain carried forward from the last visit with a questionnaire (before the first one, the
    # latent baseline score: the outcome model reads the disease, not what was recorded)
    seen_at = np.where(questionnaire, np.arange(k_max)[None, :], 0)
    last_seen = np.maximum.accumulate(seen_at, axis=1)
    pain_locf = np.take_along_axis(score, last_seen, axis=1)
    return {"months": months, "t_onset": t_onset, "items": items, "total": total,
            "pain": score, "pain_locf": pain_locf, "questionnaire": questionnaire}


def _draw_outcomes(n: int, p: dict[str, Any], base: dict[str, np.ndarray],
                   disease: dict[str, np.ndarray], visits: dict[str, np.ndarray],
                   grid: dict[str, np.ndarray], pain: dict[str, np.ndarray],
                   rng: np.random.Generator) -> dict[str, np.ndarray]:
    kappa = p["weibull_shape"]
    lp = (
        np.log(p["hr_age_per_10y"]) * (base["age"] - 62.0) / 10.0
        + np.log(p["hr_bulbar"]) * (base["site"] == ONSET_SITES.index("bulbar"))
        + np.log(p["hr_rate_per_point"]) * (disease["rate"] - 0.95)
        + np.log(p["hr_ftd"]) * base["ftd"]
        + np.log(p["hr_c9orf72"]) * base["c9"]
        + np.log(p["hr_definite_el_escorial"]) * (base["ee"] == 0)
    )
    if p["pain_hazard"] == "latent":
        # the true pain b0 + b1 t (no measurement error) at each segment's midpoint (the
        # last segment: at its start); 0 for patients without pain
        months = grid["months"]
        mid = np.concatenate([(months[:, :-1] + months[:, 1:]) / 2, months[:, -1:]], axis=1)
        current = np.where(pain["has_pain"][:, None],
                           pain["b0"][:, None] + pain["b1"][:, None] * mid, 0.0)
    else:
        current = grid["pain_locf"]
    factor = np.exp(lp[:, None] + np.log(p["hr_pain_per_point"]) * current)
    t_seg = grid["t_onset"]  # segment starts (n, K), onset clock in months

    def latent(scale: float) -> np.ndarray:
        h0 = (t_seg / scale) ** kappa
        cum = np.cumsum(factor[:, :-1] * np.diff(h0, axis=1), axis=1)
        e = rng.exponential(1.0, n)
        h_end = _invert_piecewise(cum, factor, h0, e)
        return scale * h_end ** (1.0 / kappa)

    t_death = latent(p["death_scale_months"])
    t_trach = latent(p["tracheostomy_scale_months"])
    t_niv = latent(p["niv_scale_months"])
    # withdrawal: constant hazard from baseline, optionally informative
    if p["dropout_depends_on"] == "alsfrs":
        z = 48.0 - grid["total"]
    elif p["dropout_depends_on"] == "pain":
        z = grid["pain_locf"]
    else:
        z = np.zeros_like(grid["total"])
    w_factor = p["dropout_rate_per_month"] * np.exp(p["dropout_log_hr"] * z)
    months = grid["months"]
    if p["dropout_rate_per_month"] > 0:
        cum = np.cumsum(w_factor[:, :-1] * np.diff(months, axis=1), axis=1)
        e = rng.exponential(1.0, n)
        t_withdraw = base["t_base"] + _invert_piecewise(cum, np.maximum(w_factor, 1e-300),
                                                        months, e)
    else:
        rng.exponential(1.0, n)
        t_withdraw = np.full(n, np.inf)
    t_admin = base["t_base"] + visits["admin_day"] / DPM
    t_censor = np.minimum(t_admin, t_withdraw)
    to_day = lambda t: np.floor((t - base["t_base"]) * DPM)  # noqa: E731
    # a patient is enrolled alive at the baseline visit: a death within its first day is
    # dated the day after (day 0 would put the death at the visit itself)
    death_day = np.maximum(to_day(t_death), 1.0)
    censor_day = to_day(t_censor)
    dead = death_day <= censor_day
    end_day = np.where(dead, death_day, censor_day).astype(np.int64)
    return {"t_death": t_death, "t_trach": t_trach, "t_niv": t_niv, "t_censor": t_censor,
            "t_withdraw": t_withdraw, "t_admin": t_admin, "dead": dead, "end_day": end_day,
            "withdrawn": ~dead & (t_withdraw < t_admin), "trach_day": to_day(t_trach),
            "niv_day": to_day(t_niv)}


# ----------------------------------------------------------------------------------------------
# tables
# ----------------------------------------------------------------------------------------------
def _presenting_symptom(base: dict[str, Any], pain: dict[str, Any]) -> pd.Categorical:
    """Pain when it began before motor onset; otherwise the onset region's first symptom (limb
    weakness for spinal and generalised onset, bulbar, respiratory). No random draw: the
    streams of every other column stay as they were."""
    by_site = {"spinal": "limb_weakness", "bulbar": "bulbar", "respiratory": "respiratory",
               "generalised": "limb_weakness"}
    site = np.array([by_site[s] for s in ONSET_SITES], dtype=object)[base["site"]]
    first = np.where(pain["has_pain"] & pain["before_onset"], "pain", site)
    return pd.Categorical(first, categories=list(PRESENTING_SYMPTOMS))


def _patients_table(ids: np.ndarray, base: dict[str, np.ndarray], pain: dict[str, np.ndarray],
                    p: dict[str, Any]) -> pd.DataFrame:
    n = len(ids)
    pid = pd.Categorical.from_codes(np.arange(n), categories=pd.Index(ids.astype(str)))
    return pd.DataFrame(
        {
            "patient_id": pid,
            "sex": pd.Categorical.from_codes(base["male"].astype(np.int8), categories=["female",
                                                                                      "male"]),
            "age_at_onset": base["age"],
            "onset_site": pd.Categorical.from_codes(base["site"], categories=list(ONSET_SITES)),
            "onset_day": pd.array(base["onset_day"], dtype="Int32"),
            "diagnosis_day": pd.array(base["diagnosis_day"], dtype="Int32"),
            "el_escorial": pd.Categorical.from_codes(base["ee"], categories=list(EL_ESCORIAL)),
            "ftd": pd.array(base["ftd"], dtype="boolean"),
            "c9orf72": pd.array(base["c9"], dtype="boolean"),
            "sod1": pd.array(base["sod1"], dtype="boolean"),
            "pain_onset_day": pd.Series(pain["pain_onset_day"], dtype="Int32").where(
                pain["has_pain"]
            ),
            "presenting_symptom": _presenting_symptom(base, pain),
            "source": pd.Categorical.from_codes(np.zeros(n, dtype=np.int8),
                                                categories=["synthetic"]),
        }
    )


def _visit_values(grid: dict[str, np.ndarray], disease: dict[str, np.ndarray],
                  p_items: np.ndarray, k_items: np.ndarray,
                  pp: dict[str, Any], trait: np.ndarray, interference: np.ndarray,
                  rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Value matrix (m, columns of _VISIT_COLUMNS) and keep mask for the kept visits."""
    m = len(p_items)
    # float64, the schema's type: a float32 VAS of 7.2 would read back as 7.199999809
    values = np.zeros((m, len(_VISIT_COLUMNS)), dtype=np.float64)
    keep = np.ones((m, len(_VISIT_COLUMNS)), dtype=bool)
    items = grid["items"][p_items, k_items]
    gastro = disease["t_gastro"][p_items] <= grid["t_onset"][p_items, k_items]
    values[:, 0:5] = items[:, 0:5]
    values[:, 5] = items[:, 4]
    values[:, 6:13] = items[:, 5:12]
    keep[:, 4] = ~gastro
    keep[:, 5] = gastro
    total = grid["total"][p_items, k_items]
    values[:, 13] = total
    noise = rng.standard_normal((m, 13))  # independent per-visit noise, one column per use
    resp_loss = 12.0 - items[:, 9:12].sum(axis=1)
    fvc = disease["fvc0"][p_items] * (1 - 0.8 * resp_loss / 12.0) + 5.0 * noise[:, 1]
    values[:, _COL[("fvc", "percent_predicted")]] = np.round(np.clip(fvc, 5.0, 150.0), 1)
    pain = grid["pain"][p_items, k_items]
    has = pain > 0
    values[:, _COL[("vas_pain", "total")]] = pain
    sev = np.where(has, np.clip(np.round((pain + 0.5 * noise[:, 2]) * 4) / 4, 0, 10), 0.0)
    inter = (pp["bpi_interference_mean"]
             + pp["bpi_interference_per_pain"] * (pain - pp["vas_intercept_mean"])
             + pp["bpi_interference_patient_sd"] * interference[p_items] + noise[:, 3])
    inter = np.where(has, np.clip(np.round(inter * 7) / 7, 0, 10), 0.0)
    values[:, _COL[("bpi", "severity")]] = sev + 0.0
    values[:, _COL[("bpi", "interference")]] = inter + 0.0
    tr = trait[p_items]
    hads_d = np.clip(np.round(pp["hads_d_base"] + pp["hads_d_trait"] * tr
                              + pp["hads_d_per_pain"] * pain + pp["hads_d_sd"] * noise[:, 4]),
                     0, 21)
    hads_a = np.clip(np.round(pp["hads_a_base"] + pp["hads_a_trait"] * tr
                              + pp["hads_a_per_pain"] * pain + pp["hads_a_sd"] * noise[:, 5]),
                     0, 21)
    # + 0.0: rounding a small negative value gives -0.0, which clip keeps (HADS-D "-0.0")
    values[:, _COL[("hads", "a")]] = hads_a + 0.0
    values[:, _COL[("hads", "d")]] = hads_d + 0.0
    adi = np.clip(np.round(12 + pp["adi12_per_hads_d"] * hads_d + pp["adi12_sd"] * noise[:, 6]),
                  12, 48)
    values[:, _COL[("adi12", "total")]] = adi
    index = (pp["qol_intercept"] + pp["qol_per_pain"] * pain + pp["qol_per_hads_d"] * hads_d
             + pp["qol_per_alsfrs_loss"] * (48.0 - total) + pp["qol_sd"] * noise[:, 7])
    first_scale = _COL[("alsaq40", "physical_mobility")]
    scales = np.clip(np.round(index[:, None] + pp["qol_scale_sd"] * noise[:, 8:13], 1), 0,
                     100) + 0.0
    values[:, first_scale:first_scale + 5] = scales
    values[:, first_scale + 5] = scales.mean(axis=1)
    q = grid["questionnaire"][p_items, k_items]
    keep[:, _QUESTIONNAIRE_FROM:] &= q[:, None]
    # rounding then clipping a small negative value gives -0.0 under some NumPy versions
    # (a HADS-D of "-0.0"): adding 0.0 turns every -0.0 into 0.0
    values += 0.0
    return values, keep


def _kept_visits(visits: dict[str, np.ndarray],
                 outcome: dict[str, np.ndarray]) -> np.ndarray:
    """(n, K) mask of the visits that happen: attended and not after death or censoring."""
    return visits["attended"] & (visits["day"] <= outcome["end_day"][:, None])


def _assessments_table(ids: np.ndarray, visits: dict[str, np.ndarray],
                       grid: dict[str, np.ndarray], disease: dict[str, np.ndarray],
                       outcome: dict[str, np.ndarray], p: dict[str, Any],
                       trait: np.ndarray, interference: np.ndarray,
                       rng: np.random.Generator) -> pd.DataFrame:
    kept = _kept_visits(visits, outcome)
    p_items, k_items = np.nonzero(kept)  # row-major: sorted by patient, then visit
    values, keep = _visit_values(grid, disease, p_items, k_items, p, trait, interference, rng)
    m, width = values.shape
    value = values[keep]
    del values  # (1 GiB for a million patients) before the index arrays below are made
    # row assembly without (m * width)-sized int64 temporaries: repeat visits by their row count
    visit_of_row = np.repeat(np.arange(m, dtype=np.int32), keep.sum(axis=1))
    col_of_row = np.broadcast_to(np.arange(width, dtype=np.int8), (m, width))[keep]
    instruments = sorted({inst for inst, _ in _VISIT_COLUMNS})
    items = sorted({item for _, item in _VISIT_COLUMNS})
    inst_code = np.array([instruments.index(i) for i, _ in _VISIT_COLUMNS], dtype=np.int8)
    item_code = np.array([items.index(it) for _, it in _VISIT_COLUMNS], dtype=np.int8)
    derived_col = np.zeros(width, dtype=bool)
    derived_col[_COL[("alsfrs_r", "total")]] = True
    derived_col[_COL[("alsaq40", "summary_index")]] = True
    # one column at a time, each index array freed once used (a million patients: 117 million
    # rows, 0.47 GiB per int32 column)
    patient = pd.Categorical.from_codes(p_items.astype(np.int32)[visit_of_row],
                                        categories=pd.Index(ids.astype(str)))
    day = visits["day"][p_items, k_items].astype(np.int32)[visit_of_row]
    del visit_of_row, p_items, k_items
    columns = {
        "patient_id": patient,
        "day": day,
        "instrument": pd.Categorical.from_codes(inst_code[col_of_row], categories=instruments),
        "item": pd.Categorical.from_codes(item_code[col_of_row], categories=items),
        "value": value,
        "derived": derived_col[col_of_row],
    }
    del col_of_row
    return pd.DataFrame(columns, copy=False)


def _with_proxy_ratings(assessments: pd.DataFrame, p: dict[str, Any],
                        rng: np.random.Generator) -> pd.DataFrame:
    """The assessments with a caregiver's VAS beside each patient VAS of the patients who have
    a rating caregiver (``p_caregiver``): the patient's value + ``proxy_bias`` + N(0,
    ``proxy_sd``), rounded to 0.1 and clipped to 0-10; ``respondent`` says who rated."""
    patients = assessments["patient_id"].cat.codes.to_numpy()
    n = len(assessments["patient_id"].cat.categories)
    has = rng.random(n) < p["p_caregiver"]
    vas = ((assessments["instrument"] == "vas_pain") & (assessments["item"] == "total")
           ).to_numpy() & has[patients]
    proxy = assessments[vas].copy()
    value = proxy["value"].to_numpy() + p["proxy_bias"] + p["proxy_sd"] * rng.standard_normal(
        len(proxy))
    proxy["value"] = np.clip(np.round(value, 1), 0.0, 10.0)
    who = pd.CategoricalDtype(list(RESPONDENTS))
    out = pd.concat([assessments.assign(respondent=pd.Categorical.from_codes(
        np.zeros(len(assessments), dtype=np.int8), dtype=who)),
        proxy.assign(respondent=pd.Categorical.from_codes(
            np.full(len(proxy), RESPONDENTS.index("caregiver"), dtype=np.int8), dtype=who))],
        ignore_index=True)
    return out


def _pain_sites_table(ids: np.ndarray, pain: dict[str, np.ndarray],
                      visits: dict[str, np.ndarray], grid: dict[str, np.ndarray],
                      outcome: dict[str, np.ndarray], rng: np.random.Generator,
                      p: dict[str, Any], t_base: np.ndarray
                      ) -> tuple[pd.DataFrame, np.ndarray, np.ndarray]:
    """Pain sites reported at questionnaire visits with pain; also each patient's pain types.

    Returns the table, and per patient the type of each slot and whether the slot is used.
    """
    n = len(ids)
    n_types = 1 + rng.binomial(2, 0.3, n)
    probs = np.array([_PAIN_TYPE_PROBS["spinal"], _PAIN_TYPE_PROBS["bulbar"]])[pain["site_group"]]
    # up to three draws per patient; duplicates of a type collapse to one
    draws = np.stack([_categorical(rng, probs, n) for _ in range(3)], axis=1)
    site_u = rng.random((n, 3))
    site_idx = np.empty((n, 3), dtype=np.int64)
    for t, name in enumerate(PAIN_TYPES):  # loop over the six types, not over patients
        sites, sp = _SITES_BY_TYPE[name]
        local = np.minimum(np.searchsorted(np.cumsum(sp), site_u, side="right"), len(sites) - 1)
        global_idx = np.array([PAIN_SITES.index(s) for s in sites])[local]
        site_idx = np.where(draws == t, global_idx, site_idx)
    use = (np.arange(3)[None, :] < n_types[:, None]) & pain["has_pain"][:, None]
    # drop a repeated type for the same patient
    use[:, 1] &= draws[:, 1] != draws[:, 0]
    use[:, 2] &= (draws[:, 2] != draws[:, 0]) & (draws[:, 2] != draws[:, 1])
    # pain that follows disability at baseline: shoulder pain with upper-limb weakness (arm
    # items lost >= 3 points, probability 0.5), pressure pain of the hips with immobility (leg
    # items lost >= 6 points, probability 0.3); assumption following docs/sources.md section 1
    baseline_items = grid["items"][:, 0, :].astype(np.int64)
    arm_loss = 12 - baseline_items[:, 3:6].sum(axis=1)
    leg_loss = 12 - baseline_items[:, 6:9].sum(axis=1)
    extra = [
        ("musculoskeletal", "shoulders", (arm_loss >= 3) & (rng.random(n) < 0.5)),
        ("pressure", "hips", (leg_loss >= 6) & (rng.random(n) < 0.3)),
    ]
    for type_name, site_name, happens in extra:
        t, si = PAIN_TYPES.index(type_name), PAIN_SITES.index(site_name)
        present = (use & (draws == t) & (site_idx == si)).any(axis=1)
        draws = np.column_stack([draws, np.full(n, t)])
        site_idx = np.column_stack([site_idx, np.full(n, si)])
        use = np.column_stack([use, happens & pain["has_pain"] & ~present])
    reported = _kept_visits(visits, outcome) & grid["questionnaire"] & (grid["pain"] > 0)
    pv, kv = np.nonzero(reported)
    per_visit = use[pv]  # (v, slots)
    vi, slot = np.nonzero(per_visit)
    patient, visit = pv[vi], kv[vi]
    if p["cramp_wane_per_month"] > 0:  # cramps fade as the disease advances (drawn last:
        # the stream's other draws stay as they were)
        months = t_base[patient] + visits["day"][patient, visit] / DPM  # since onset
        cramp = draws[patient, slot] == PAIN_TYPES.index("cramp")
        kept = ~cramp | (rng.random(len(patient)) < np.exp(-p["cramp_wane_per_month"]
                                                             * months))
        patient, visit, slot = patient[kept], visit[kept], slot[kept]
    table = pd.DataFrame(
        {
            "patient_id": pd.Categorical.from_codes(patient.astype(np.int32),
                                                    categories=pd.Index(ids.astype(str))),
            "day": visits["day"][patient, visit].astype(np.int32),
            "site": pd.Categorical.from_codes(site_idx[patient, slot],
                                              categories=list(PAIN_SITES)),
            "pain_type": pd.Categorical.from_codes(draws[patient, slot],
                                                   categories=list(PAIN_TYPES)),
        }
    )
    # two types can share a site; the key (patient, day, site, type) stays unique
    return table, draws, use


def _medications_table(ids: np.ndarray, base: dict[str, np.ndarray],
                       pain: dict[str, np.ndarray], visits: dict[str, np.ndarray],
                       grid: dict[str, np.ndarray], outcome: dict[str, np.ndarray],
                       draws: np.ndarray, use: np.ndarray, p: dict[str, Any],
                       rng: np.random.Generator) -> pd.DataFrame:
    n = len(ids)
    rows: list[pd.DataFrame] = []

    def block(patient: np.ndarray, drug: np.ndarray, atc: np.ndarray, dose: np.ndarray,
              indication: np.ndarray, start: np.ndarray) -> None:
        rows.append(pd.DataFrame({"patient": patient, "drug": drug, "atc_code": atc,
                                  "dose_mg_per_day": dose, "indication": indication,
                                  "start_day": start}))

    # one drug per treated pain type of each patient with pain, already taken at baseline
    pat, slot = np.nonzero(use & (rng.random(use.shape) < p["p_pain_treated"]))
    types = draws[pat, slot]
    u = rng.random(len(pat))
    start = -np.floor(rng.random(len(pat)) * 180).astype(np.int64)
    drug = np.empty(len(pat), dtype=object)
    atc = np.empty(len(pat), dtype=object)
    dose = np.zeros(len(pat))
    ind = np.empty(len(pat), dtype=object)
    for t, name in enumerate(PAIN_TYPES):
        options = _DRUGS_BY_TYPE[name]
        cum = np.cumsum([o[4] for o in options])
        pick = np.minimum(np.searchsorted(cum, u, side="right"), len(options) - 1)
        for j, (d, a, mg, why, _) in enumerate(options):
            sel = (types == t) & (pick == j)
            drug[sel], atc[sel], dose[sel], ind[sel] = d, a, mg, why
    block(pat, drug, atc, dose, ind, start)
    # opioid from the first visit with pain >= 7
    kept = _kept_visits(visits, outcome) & grid["questionnaire"]
    severe = kept & (grid["pain"] >= 7)
    has_severe = severe.any(axis=1)
    first = np.argmax(severe, axis=1)
    sp = np.flatnonzero(has_severe)
    block(sp, np.full(len(sp), _OPIOID[0], dtype=object), np.full(len(sp), _OPIOID[1], object),
          np.full(len(sp), _OPIOID[2]), np.full(len(sp), _OPIOID[3], object),
          visits["day"][sp, first[sp]])
    # gabapentin started with pain before motor onset (30%)
    gp = np.flatnonzero(pain["before_onset"] & (rng.random(n) < 0.3))
    g_start = pain["pain_onset_day"][gp] + np.floor(rng.random(len(gp)) * 90).astype(np.int64)
    block(gp, np.full(len(gp), _GABAPENTIN[0], object), np.full(len(gp), _GABAPENTIN[1], object),
          np.full(len(gp), _GABAPENTIN[2]), np.full(len(gp), _GABAPENTIN[3], object), g_start)
    # riluzole from shortly after diagnosis
    rp = np.flatnonzero(rng.random(n) < p["p_riluzole"])
    r_start = np.minimum(base["diagnosis_day"][rp]
                         + np.floor(rng.random(len(rp)) * 60).astype(np.int64), 0)
    block(rp, np.full(len(rp), _RILUZOLE[0], object), np.full(len(rp), _RILUZOLE[1], object),
          np.full(len(rp), _RILUZOLE[2]), np.full(len(rp), _RILUZOLE[3], object), r_start)
    med = pd.concat(rows, ignore_index=True)
    # a patient on two drugs for two types may get the same drug twice: keep the first
    med = med.sort_values(["patient", "start_day", "drug"], kind="stable")
    med = med.drop_duplicates(["patient", "drug"], keep="first")
    med = med.sort_values(["patient", "start_day", "drug"], kind="stable", ignore_index=True)
    return pd.DataFrame(
        {
            "patient_id": pd.Categorical.from_codes(med["patient"].to_numpy().astype(np.int32),
                                                    categories=pd.Index(ids.astype(str))),
            "drug": med["drug"].astype("category"),
            "atc_code": med["atc_code"].astype("category"),
            "start_day": pd.array(med["start_day"].to_numpy(), dtype="Int32"),
            "stop_day": pd.array([pd.NA] * len(med), dtype="Int32"),
            "dose_mg_per_day": med["dose_mg_per_day"].astype("float64"),
            "indication": med["indication"].astype("category"),
            "drug_class": pd.Categorical(classify(med["drug"].to_numpy())[1],
                                         categories=list(DRUG_CLASSES)),
        }
    )


def _events_table(ids: np.ndarray, base: dict[str, np.ndarray], disease: dict[str, np.ndarray],
                  outcome: dict[str, np.ndarray]) -> pd.DataFrame:
    end = outcome["end_day"]
    dead = outcome["dead"]
    gastro_day = np.floor((disease["t_gastro"] - base["t_base"]) * DPM)
    parts = []
    for kind, day, happens in (
        ("gastrostomy", gastro_day, np.isfinite(gastro_day) & (gastro_day <= end)),
        ("tracheostomy", outcome["trach_day"], outcome["trach_day"] < end),
        ("niv_full_time", outcome["niv_day"], outcome["niv_day"] < end),
        ("death", end, dead),
        ("withdrawal", end, outcome["withdrawn"]),
        ("last_contact", end, ~dead),
    ):
        idx = np.flatnonzero(happens)
        parts.append(pd.DataFrame({"patient": idx, "day": day[idx].astype(np.int64),
                                   "event": EVENTS.index(kind)}))
    ev = pd.concat(parts, ignore_index=True)
    # gastrostomy may precede baseline but never onset (it follows swallowing loss)
    ev = ev.sort_values(["patient", "day", "event"], kind="stable", ignore_index=True)
    return pd.DataFrame(
        {
            "patient_id": pd.Categorical.from_codes(ev["patient"].to_numpy().astype(np.int32),
                                                    categories=pd.Index(ids.astype(str))),
            "day": ev["day"].to_numpy().astype(np.int32),
            "event": pd.Categorical.from_codes(ev["event"].to_numpy(), categories=list(EVENTS)),
        }
    )


__all__ = ["simulate_cohort"]
