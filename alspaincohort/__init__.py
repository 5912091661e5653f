"""alspaincohort: epidemiology of pain in ALS.

Load cohort data into one validated standard schema, generate synthetic cohorts with known
ground truth, and analyse pain prevalence, depression, VAS trajectories and survival; and, on
prescription registers, pain drugs before ALS onset against matched controls.
"""

from __future__ import annotations

from . import instruments, schema
from .cohort import Cohort
from .errors import (
    AlsPainCohortError,
    CohortValidationError,
    InstrumentRangeError,
    ParameterError,
    SchemaError,
)

__version__ = "0.1.0"

__all__ = [
    "AlsPainCohortError",
    "Cohort",
    "CohortValidationError",
    "comparator_drug_use",
    "competing_risks",
    "cox_zph",
    "depression_adjustment",
    "encals_linear_predictor",
    "first_last_change",
    "fit_trajectories",
    "incremental_value",
    "InstrumentRangeError",
    "ParameterError",
    "SchemaError",
    "instruments",
    "kaplan_meier",
    "landmark",
    "latent_trajectories",
    "load_proact",
    "load_register",
    "load_tabular",
    "mediation",
    "meta_prevalence",
    "pain_before_onset",
    "pain_cox",
    "pain_joint_model",
    "pain_depression_association",
    "pain_determinants",
    "pain_types",
    "power_curve",
    "prediagnostic_cohort",
    "prediagnostic_exposure",
    "prevalence",
    "proxy_agreement",
    "schema",
    "table_one",
    "simulate_cohort",
    "simulate_register",
    "treatment_initiation",
    "treatment_prognosis",
    "treatment_response",
]


_ANALYSES = {
    "prevalence": ".analysis.prevalence",
    "pain_determinants": ".analysis.prevalence",
    "pain_types": ".analysis.prevalence",
    "table_one": ".analysis.table_one",
    "meta_prevalence": ".analysis.meta_prevalence",
    "depression_adjustment": ".analysis.depression",
    "mediation": ".analysis.depression",
    "pain_depression_association": ".analysis.depression",
    "fit_trajectories": ".analysis.trajectories",
    "first_last_change": ".analysis.trajectories",
    "latent_trajectories": ".analysis.trajectories",
    "simulation_study": ".simulation",
    "kaplan_meier": ".analysis.prognosis",
    "pain_cox": ".analysis.prognosis",
    "pain_joint_model": ".analysis.prognosis",
    "landmark": ".analysis.prognosis",
    "competing_risks": ".analysis.prognosis",
    "incremental_value": ".analysis.incremental",
    "encals_linear_predictor": ".analysis.incremental",
    "cox_zph": ".stats.zph",
    "power_curve": ".simulation",
    "treatment_initiation": ".analysis.treatment",
    "treatment_response": ".analysis.treatment",
    "treatment_prognosis": ".analysis.treatment",
    "proxy_agreement": ".analysis.proxy",
    "pain_before_onset": ".analysis.before_onset",
    "comparator_drug_use": ".analysis.before_onset",
    "prediagnostic_exposure": ".analysis.prediagnostic",
    "prediagnostic_cohort": ".analysis.prediagnostic",
}


def __getattr__(name: str):  # lazy: keep `import alspaincohort` light
    if name == "simulate_cohort":
        from .synthetic import simulate_cohort

        return simulate_cohort
    if name in ("simulate_register", "load_register"):
        from . import registers, synthetic

        return getattr(synthetic if name == "simulate_register" else registers, name)
    if name in ("load_proact", "load_tabular", "LoadError", "LoadReport"):
        from . import loaders

        return getattr(loaders, name)
    if name in _ANALYSES:
        import importlib

        return getattr(importlib.import_module(_ANALYSES[name], __name__), name)
    raise AttributeError(f"module 'alspaincohort' has no attribute {name!r}")
