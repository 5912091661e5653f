"""The ground truth of a synthetic cohort: parameters, estimands and per-patient latent values.

``Truth.estimands`` holds the true value of each quantity the analyses target, computed exactly
from the parameters (no Monte Carlo) unless its name starts with ``realised_``: those are
properties of the drawn sample's latent (uncensored) values, e.g. the median of the latent death
times, against which an estimator that must undo censoring is checked.

Estimands
---------
pain_prevalence_by_onset_site : dict
    P(pain) in each onset site, mixing over the depressive trait:
    (1 - p_dep) expit(a + b_site) + p_dep expit(a + b_site + log OR_dep).
pain_prevalence_population : float
    The same averaged over the onset-site mix.
pain_depression_trait_or : float
    Odds ratio of pain for the latent depressive trait (conditional on onset site).
qol_pain_effect_adjusted : float
    Coefficient of pain (per point, 0-10) on the ALSAQ-40 summary index in a linear model that
    also contains HADS-D and ALSFRS-R loss: the direct effect.
qol_pain_natural_indirect_effect : float
    hads_d_per_pain * qol_per_hads_d: the part of the total effect that runs through HADS-D.
qol_pain_total_effect, qol_proportion_mediated : float
    Direct + indirect, and indirect / total (NaN when the total is 0).
vas_intercept_mean, vas_slope_mean : float
    Mean of the latent VAS intercept (at baseline) and slope (points per month since baseline)
    among patients with pain (mixing over classes when classes are planted).
vas_intercept_sd, vas_slope_sd, vas_re_corr, vas_residual_sd : float
    Random-effect SDs, their correlation and the residual SD (within class).
vas_change_over_104_days : float
    vas_slope_mean * 104 / 30.4375, the expected first-to-last change over 104 days.
vas_slope_bulbar_diff : float
    Mean VAS slope of bulbar-onset patients with pain minus that of the others
    (vas_slope_mean refers to non-bulbar patients).
hr_pain_per_point : float
    True hazard ratio of current pain (per point, last value carried forward) for death,
    tracheostomy and full-time NIV alike, hence also for the composite endpoint.
onset_site_probs : dict
    The onset-site mix.
realised_median_survival_from_baseline_months : float
    Median of the latent (uncensored) times from baseline to death in this sample. Censoring is
    independent of them on this clock, so Kaplan-Meier from baseline targets it.
realised_median_survival_from_onset_months : float
    Median of the latent death times from onset. Descriptive only: on the onset clock the
    censoring time (enrolment + follow-up) shares the onset-to-enrolment time with the death
    time, so censoring is not independent and a plain Kaplan-Meier from onset is biased for it.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any

import pandas as pd

from .schema import DAYS_PER_MONTH


def _expit(x: float) -> float:
    return 1.0 / (1.0 + math.exp(-x))


def _logit(p: float) -> float:
    p = min(max(p, 1e-12), 1 - 1e-12)
    return math.log(p / (1 - p))


def pain_probability(params: dict[str, Any], bulbar: bool, trait: bool) -> float:
    """P(pain) for one onset-site / depressive-trait cell of the logistic pain model."""
    lp = _logit(params["pain_prob_reference"])
    if bulbar:
        lp += math.log(params["pain_or_bulbar"])
    if trait:
        lp += math.log(params["pain_or_depression"])
    return _expit(lp)


def compute_estimands(params: dict[str, Any]) -> dict[str, Any]:
    """The exact estimands of the module docstring from a resolved parameter set."""
    p_dep = params["p_depression_trait"]
    by_site = {}
    for site in params["onset_site_probs"]:
        bulbar = site == "bulbar"
        by_site[site] = (1 - p_dep) * pain_probability(params, bulbar, False) + p_dep * (
            pain_probability(params, bulbar, True)
        )
    population = sum(params["onset_site_probs"][s] * by_site[s] for s in by_site)
    direct = params["qol_per_pain"]
    indirect = params["hads_d_per_pain"] * params["qol_per_hads_d"]
    total = direct + indirect
    classes = params["vas_classes"]
    if classes:
        intercept_mean = sum(c["prob"] * c["intercept_mean"] for c in classes)
        slope_mean = sum(c["prob"] * c["slope_mean"] for c in classes)
    else:
        intercept_mean, slope_mean = params["vas_intercept_mean"], params["vas_slope_mean"]
    return {
        "pain_prevalence_by_onset_site": by_site,
        "pain_prevalence_population": population,
        "pain_depression_trait_or": params["pain_or_depression"],
        "qol_pain_effect_adjusted": direct,
        "qol_pain_natural_indirect_effect": indirect,
        "qol_pain_total_effect": total,
        "qol_proportion_mediated": indirect / total if total != 0 else float("nan"),
        "vas_intercept_mean": intercept_mean,
        "vas_slope_mean": slope_mean,
        "vas_intercept_sd": params["vas_intercept_sd"],
        "vas_slope_sd": params["vas_slope_sd"],
        "vas_re_corr": params["vas_re_corr"],
        "vas_residual_sd": params["vas_residual_sd"],
        "vas_change_over_104_days": slope_mean * 104 / DAYS_PER_MONTH,
        "vas_slope_bulbar_diff": params["vas_slope_bulbar_diff"],
        "hr_pain_per_point": params["hr_pain_per_point"],
        "onset_site_probs": dict(params["onset_site_probs"]),
    }


def _freeze(value: Any) -> Any:
    if isinstance(value, dict):
        return MappingProxyType({k: _freeze(v) for k, v in value.items()})
    if isinstance(value, list):
        return tuple(_freeze(v) for v in value)
    return value


def _thaw(value: Any) -> Any:
    if isinstance(value, MappingProxyType | dict):
        return {k: _thaw(v) for k, v in value.items()}
    if isinstance(value, tuple):
        return [_thaw(v) for v in value]
    return value


@dataclass(frozen=True)
class Truth:
    """Frozen record of how a synthetic cohort was generated.

    Attributes
    ----------
    preset, seed, n_patients :
        The call that made the cohort.
    params : Mapping
        Every generating parameter after preset and overrides (read-only).
    sources : Mapping
        Parameter name -> its source (docs/sources.md section or "assumption").
    estimands : Mapping
        True values of the analysis targets (see the module docstring).
    patients : DataFrame
        Per-patient latent values: patient_id, depressive_trait, pain, pain_class (0-based
        trajectory class, -1 without pain), vas_intercept, vas_slope, alsfrs_rate,
        death_month_from_onset (latent, uncensored), tracheostomy_month_from_onset,
        niv_month_from_onset, censor_month_from_onset.
    """

    preset: str
    seed: int | None
    n_patients: int
    params: Any
    sources: Any
    estimands: Any
    patients: pd.DataFrame = field(repr=False, compare=False)

    @classmethod
    def build(cls, preset: str, seed: int | None, params: dict[str, Any],
              sources: dict[str, str], estimands: dict[str, Any],
              patients: pd.DataFrame) -> Truth:
        return cls(preset, seed, len(patients), _freeze(params), _freeze(sources),
                   _freeze(estimands), patients)

    def as_dict(self) -> dict[str, Any]:
        """Everything but the per-patient table, as plain JSON-able Python objects."""
        return {
            "preset": self.preset,
            "seed": self.seed,
            "n_patients": self.n_patients,
            "params": _thaw(self.params),
            "sources": _thaw(self.sources),
            "estimands": _thaw(self.estimands),
        }

    def to_json(self, directory: str | Path) -> None:
        """Write ``truth.json`` and ``truth_patients.parquet`` into ``directory``."""
        directory = Path(directory)
        (directory / "truth.json").write_text(
            json.dumps(self.as_dict(), indent=2, sort_keys=True) + "\n"
        )
        from .parquet import write_parquet

        write_parquet(self.patients, directory / "truth_patients.parquet")

    @classmethod
    def from_json(cls, directory: str | Path) -> Truth:
        directory = Path(directory)
        d = json.loads((directory / "truth.json").read_text())
        patients_path = directory / "truth_patients.parquet"
        patients = pd.read_parquet(patients_path) if patients_path.exists() else pd.DataFrame()
        return cls.build(d["preset"], d["seed"], d["params"], d["sources"], d["estimands"],
                         patients)
