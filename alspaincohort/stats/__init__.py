"""Estimators on arrays and frames: the numerical layer under :mod:`alspaincohort.analysis`.

Model classes share the contract of :class:`~alspaincohort.stats.base.Estimator` (settings
incl. ``alpha`` in ``__init__``, ``fit`` returns the model, ``params_``, ``bse_``,
``cov_params_``, ``llf_``, ``conf_int``, ``summary``, ``print_summary``); functions take arrays
and return numbers, Series or frames. Nothing here knows about a :class:`~alspaincohort.Cohort`.

Examples
--------
>>> from alspaincohort.stats import GEE, CoxTimeVarying, LinearMixedModel
>>> LinearMixedModel(reml=False)
LinearMixedModel(reml=False, tol=1e-12, max_iter=2000, alpha=0.05) [not fitted]
"""

from __future__ import annotations

from .base import Estimator, wald_table, z_quantile
from .bootstrap import bca_interval, jackknife_influence, percentile_interval
from .clogit import ConditionalLogit
from .concordance import CensoringDistribution, harrell_and_uno_c, harrell_c, uno_c
from .cox import CoxTimeVarying
from .finegray import FineGray, finegray_rows
from .gee import GEE
from .group_tests import categorical_group_test, continuous_group_test
from .joint import JointModel
from .latent_class import LatentClassMixedModel, match_classes
from .lmm import LinearMixedModel
from .logistic import fit_logit
from .mediation import mediation_effects
from .meta import RMAFit, effect_sizes, rma, tau2_confint
from .mice import impute, pool
from .prediction import brier_score, time_dependent_auc
from .rank_tests import rank_sum_test, signed_rank_test
from .survival import aalen_johansen, kaplan_meier_table, logrank_test, survival_quantile
from .zph import ZphResult, cox_zph

__all__ = [
    "CensoringDistribution", "ConditionalLogit", "GEE", "CoxTimeVarying", "Estimator", "FineGray", "JointModel",
    "LatentClassMixedModel", "LinearMixedModel", "RMAFit",
    "ZphResult", "aalen_johansen", "bca_interval", "brier_score", "categorical_group_test",
    "continuous_group_test", "cox_zph", "effect_sizes", "finegray_rows", "fit_logit",
    "harrell_and_uno_c", "harrell_c", "impute", "jackknife_influence", "kaplan_meier_table", "logrank_test",
    "match_classes", "mediation_effects", "percentile_interval", "pool", "rank_sum_test",
    "rma", "signed_rank_test", "survival_quantile", "tau2_confint", "time_dependent_auc",
    "uno_c", "wald_table", "z_quantile",
]
