"""Synthetic ALS pain cohorts with known ground truth (see :mod:`.generator` for the model)."""

from ..truth import Truth
from .generator import simulate_cohort
from .params import PARAMS, PRESETS, Param, resolve_params
from .proact import to_proact
from .register import SyntheticRegister, simulate_register

__all__ = ["PARAMS", "PRESETS", "Param", "Truth", "SyntheticRegister", "resolve_params", "simulate_cohort",
           "simulate_register", "to_proact"]
