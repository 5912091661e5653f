"""Accuracy of predicted risks for right-censored outcomes at a fixed time t.

Inverse probability of censoring weighting (IPCW) with G the Kaplan-Meier of the censoring
distribution (:func:`~alspaincohort.stats.concordance.censoring_survival`):

- :func:`time_dependent_auc`: cumulative/dynamic AUC(t) = P(risk_i > risk_j | T_i <= t,
  T_j > t), cases weighted 1 / G(T_i-), ties in risk counting one half (Uno et al. 2007,
  Blanche et al. 2013);
- :func:`brier_score`: (1/n) sum of (1 - F_i(t))^2 / G(T_i-) over events by t and
  F_i(t)^2 / G(t) over subjects still event-free at t (Graf et al. 1999);

both equal to ``riskRegression::Score(..., cens.model = "km")`` (``tests/results/prognosis``).
They are written here because no package we depend on has them (lifelines does not;
scikit-survival would add a heavy dependency for two short formulas), vectorised with a sort
and ``searchsorted``: bootstrap validation evaluates them thousands of times.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..errors import ModelDataError, ParameterError
from ..validation import check_scores, check_survival
from .concordance import CensoringDistribution, censoring_of
from .survival import risk_counts


def _arrays(time: Any, event: Any, risk: Any, at: float, probability: bool = False
            ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    t, e, _ = check_survival(time, event)
    r = check_scores(risk, "predicted_risk" if probability else "risk", len(t),
                     low=0.0 if probability else -np.inf, high=1.0 if probability else np.inf)
    if not (isinstance(at, (int, float, np.number)) and np.isfinite(at)):
        raise ParameterError(f"at must be a finite time, not {at!r}")
    case = (t <= at) & e
    if not case.any():
        raise ModelDataError(f"no events by time {at:g}: the accuracy at that time is not "
                             "defined")
    if not (t > at).any():
        raise ModelDataError(f"nobody is followed beyond time {at:g} (last time {t.max():g}): "
                             "the accuracy at that time is not defined")
    return t, e, r


def time_dependent_auc(time: Any, event: Any, risk: Any, at: float,
                       censoring: CensoringDistribution | None = None) -> float:
    """Cumulative/dynamic AUC at time ``at`` (higher risk = earlier event). Raises
    :class:`ModelDataError` when there are no cases (events by ``at``) or no controls (subjects
    followed beyond ``at``): the AUC does not exist there. ``censoring``: G of this follow-up
    computed beforehand (:class:`~alspaincohort.stats.concordance.CensoringDistribution`)."""
    t, e, r = _arrays(time, event, risk, at)
    case = (t <= at) & e
    control = t > at
    w = 1.0 / censoring_of(t, e, censoring).at(t[case])
    ctrl = np.sort(r[control])
    below = np.searchsorted(ctrl, r[case], side="left")
    upto = np.searchsorted(ctrl, r[case], side="right")
    return float((w * (below + 0.5 * (upto - below))).sum() / (w.sum() * len(ctrl)))


def brier_score(time: Any, event: Any, predicted_risk: Any, at: float,
                censoring: CensoringDistribution | None = None) -> float:
    """IPCW Brier score at time ``at`` of predicted risks F(at) (probability of the event by
    ``at``). ``censoring``: as :func:`time_dependent_auc`."""
    t, e, f = _arrays(time, event, predicted_risk, at, probability=True)
    case = (t <= at) & e
    control = t > at
    g = censoring_of(t, e, censoring)
    g_case = g.at(t[case])
    g_at = g.at([at], before=False)[0]
    total = ((1.0 - f[case]) ** 2 / g_case).sum() + (f[control] ** 2).sum() / g_at
    return float(total / len(t))


def kaplan_meier_before(start: Any, stop: Any, event: Any, at: Any) -> np.ndarray:
    """Kaplan-Meier survival of (start, stop] data (at risk: start < t <= stop; ``start=None``
    for right-censored data) just before each time in ``at`` (left-continuous)."""
    stop = np.asarray(stop, dtype=float)
    event = np.asarray(event).astype(bool)
    times = np.unique(stop[event])
    n = risk_counts(None if start is None else np.asarray(start, dtype=float), stop, times)
    d = np.bincount(np.searchsorted(times, stop[event]), minlength=len(times))
    surv = np.cumprod(1.0 - d / n)
    return np.r_[1.0, surv][np.searchsorted(times, np.asarray(at, dtype=float), side="left")]


def kaplan_meier_risk(time: Any, event: Any, at: float) -> float:
    """1 - Kaplan-Meier survival at ``at`` (events at ``at`` included)."""
    return float(1.0 - kaplan_meier_before(None, time, event, [np.nextafter(at, np.inf)])[0])
