"""Test of proportional hazards from scaled Schoenfeld residuals (Grambsch & Therneau 1994).

This reproduces R's ``survival::cox.zph`` (version 3): for a transform g of time (the
left-continuous Kaplan-Meier ``"km"``, ``"rank"``, ``"identity"`` or ``"log"``), centred on its
mean over the event rows, the model is augmented by x g(t) for each term and the score test of
the added coefficients at (beta-hat, 0) is computed with the full information matrix of the
augmented model, per term (columns of a factor together) and globally. The scaled Schoenfeld
residuals are beta-hat + d V^-1 r (r the Schoenfeld residual of an event row, V the
information, d the number of events); for a term with several columns they are collapsed to
the term's linear predictor, whose coefficient is 1. Checked against R in
``tests/results/prognosis``. lifelines has a Schoenfeld test for right-censored data only and
computes the older single-variable statistic, so it is not used.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from ..result import Result
from .cox import CoxTimeVarying
from .design import ModelDataError
from .prediction import kaplan_meier_before

TRANSFORMS = ("km", "rank", "identity", "log")


@dataclass(repr=False)
class ZphResult(Result):
    """Proportional-hazards tests and scaled Schoenfeld residuals.

    Attributes
    ----------
    table : DataFrame
        term, chisq, df, p_value (one row per term and a final ``GLOBAL`` row).
    residuals : DataFrame
        One row per event row, by time: time, transformed_time, then one column per term with
        its scaled Schoenfeld residual.
    transform : str
    coefficients : Series
        The model's coefficient per term (1 for a multi-column term).
    """

    table: pd.DataFrame
    residuals: pd.DataFrame
    transform: str
    coefficients: pd.Series

    def plot(self, ax: Any = None, term: str | None = None) -> Any:
        """Scaled Schoenfeld residuals of ``term`` (the first when omitted) against
        transformed time, with a smooth (:func:`alspaincohort.plots.schoenfeld_plot`)."""
        from ..plots import schoenfeld_plot

        return schoenfeld_plot(self, term=term, ax=ax)

    def headline(self) -> str:
        from ..formatting import format_p

        g = self.table[self.table["term"] == "GLOBAL"]
        glob = f": global {format_p(float(g['p_value'].iloc[0]))}" if len(g) else ""
        return (f"Proportional hazards (scaled Schoenfeld residuals, {self.transform} time)"
                + glob)


def _terms(names: list[str]) -> dict[str, list[int]]:
    """Columns of each model term: a factor's dummy columns ``C(x)[T.a]`` form term ``C(x)``."""
    out: dict[str, list[int]] = {}
    for j, name in enumerate(names):
        out.setdefault(re.sub(r"\[[^\]]*\]", "", name), []).append(j)
    return out


def _transform(name: str, start: np.ndarray, stop: np.ndarray,
               event: np.ndarray) -> np.ndarray:
    if name == "km":
        return 1.0 - kaplan_meier_before(start, stop, event, stop)
    if name == "rank":
        return stats.rankdata(stop)
    if name == "identity":
        return stop.astype(float)
    if name == "log":
        if (stop <= 0).any():
            raise ModelDataError("cox_zph: transform 'log' needs positive times")
        return np.log(stop)
    raise ModelDataError(f"cox_zph: transform must be one of {TRANSFORMS}, not {name!r}")


def _solve(A: np.ndarray, b: np.ndarray, term: str) -> np.ndarray:
    """``solve`` as R's ``solve.default`` does it: refused when the reciprocal condition
    number (1-norm) is below machine epsilon, where cox.zph stops "computationally singular"
    (e.g. a term whose events all fall at one or two distinct times, whose score cannot be
    set against time)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        rcond = 1.0 / np.linalg.cond(A, 1) if np.isfinite(A).all() else 0.0
    if not rcond >= np.finfo(float).eps:
        raise ModelDataError(
            f"cox_zph: the test for {term} is not defined: its information matrix is singular "
            f"(reciprocal condition number {rcond:.3g}); the events that inform it fall at too "
            "few distinct times to set the residuals against time")
    return np.linalg.solve(A, b)


def cox_zph(model: CoxTimeVarying, transform: str = "km") -> ZphResult:
    """Scaled Schoenfeld residual tests of proportional hazards (R ``cox.zph(fit, transform)``).

    Parameters
    ----------
    model : CoxTimeVarying
        A fitted model.
    transform : {"km", "rank", "identity", "log"}
        Transformation of time.

    Returns
    -------
    ZphResult
        ``table``: term, chisq, df, p_value (one row per term and a final ``GLOBAL`` row);
        ``residuals`` (time, transformed_time, one column per term); ``plot(term=...)``.

    Examples
    --------
    >>> from alspaincohort import pain_cox, simulate_cohort
    >>> cox = pain_cox(simulate_cohort(300, seed=1), covariates=("age_at_onset",))
    >>> cox_zph(cox.model).table["term"].tolist()
    ['pain', 'age_at_onset', 'GLOBAL']
    """
    state = getattr(model, "_fit_state", None)
    if state is None:
        raise ModelDataError("cox_zph: the model has not been fitted")
    plik, beta = state["plik"], state["beta"]
    rs = plik.rs
    start, stop = state["start"], state["stop"]
    _, _, info, det = plik(beta, per_time=True)
    Ut, It = det["U_t"], det["I_t"]
    p = len(beta)
    ttime = _transform(transform, start, stop, rs.event)
    ev = rs.ev_rows
    g_row = ttime - ttime[ev].mean()
    g = g_row[rs.ev_order[rs.ev_starts]]  # one value per event time (shared by tied rows)

    def full(tri: np.ndarray) -> np.ndarray:
        m = np.zeros((p, p))
        m[plik.iu] = tri
        return m + np.triu(m, 1).T

    i_bg = full((g[:, None] * It).sum(axis=0))
    i_gg = full((g[:, None] ** 2 * It).sum(axis=0))
    imat = np.block([[info, i_bg], [i_bg, i_gg]])
    u_g = (g[:, None] * Ut).sum(axis=0)
    names = list(model.params_.index)
    terms = _terms(names)
    rows = []
    for term, cols in terms.items():
        kk = np.r_[np.arange(p), p + np.asarray(cols)]
        u = np.r_[np.zeros(p), u_g[cols]]
        chisq = float(u @ _solve(imat[np.ix_(kk, kk)], u, term))
        rows.append({"term": term, "chisq": chisq, "df": len(cols)})
    u = np.r_[np.zeros(p), u_g]
    rows.append({"term": "GLOBAL", "chisq": float(u @ _solve(imat, u, "GLOBAL")), "df": p})
    table = pd.DataFrame(rows)
    table["p_value"] = stats.chi2.sf(table["chisq"], table["df"])

    # scaled Schoenfeld residuals, event rows by time
    order = rs.ev_order  # event rows grouped by event time (in time order)
    k = np.repeat(np.arange(len(rs.d)), rs.d)
    schoen = plik.X[order] - det["xbar_mean"][k]
    collapse = np.zeros((p, len(terms)))
    coef = []
    for i, cols in enumerate(terms.values()):
        collapse[cols, i] = 1.0 if len(cols) == 1 else beta[cols]
        coef.append(float(beta[cols[0]]) if len(cols) == 1 else 1.0)
    scaled = _scale_residuals(schoen @ collapse, collapse.T @ info @ collapse, plik.X, rs,
                              k, collapse) + np.asarray(coef)
    res = pd.DataFrame(scaled, columns=list(terms))
    res.insert(0, "transformed_time", ttime[order])
    res.insert(0, "time", stop[order])
    return ZphResult(table, res, transform, pd.Series(coef, index=list(terms)))


def _scale_residuals(resid: np.ndarray, info: np.ndarray, X: np.ndarray, rs: Any,
                     k: np.ndarray, collapse: np.ndarray) -> np.ndarray:
    """Scaled Schoenfeld residuals as R's ``cox.zph`` (survival 3) scales them.

    In stratum s a term counts the stratum's events when it varies there ("used"); the
    information is divided elementwise by sum_s min(used_s,i, used_s,j) (the number of events
    informing each pair of terms) and each stratum's residuals are solved against the block of
    the terms it uses; a term constant within the stratum gets NaN there (R's NA). Without
    strata, or when every term varies in every stratum, this is d V^-1 r.
    """
    row_stratum = np.floor(rs.stop / rs.span).astype(np.int64)
    ev_stratum = rs.time_stratum[k]
    n_terms = resid.shape[1]
    strata = np.unique(ev_stratum)
    used = np.zeros((len(strata), n_terms))
    for i, st in enumerate(strata):
        Xs = X[row_stratum == st]
        varies = (Xs.max(axis=0) > Xs.min(axis=0)) if len(Xs) else np.zeros(X.shape[1], bool)
        term_varies = (collapse != 0)[varies].any(axis=0) if varies.any() else \
            np.zeros(n_terms, bool)
        used[i] = np.where(term_varies, (ev_stratum == st).sum(), 0)
    wtmat = sum(np.minimum.outer(u, u) for u in used)
    vmean = info / np.where(wtmat == 0, 1.0, wtmat)
    out = np.full_like(resid, np.nan)
    for i, st in enumerate(strata):
        kk = np.flatnonzero(used[i] > 0)
        rows = np.flatnonzero(ev_stratum == st)
        if len(kk) == 0:
            continue
        out[np.ix_(rows, kk)] = np.linalg.solve(vmean[np.ix_(kk, kk)], resid[np.ix_(rows, kk)].T).T
    return out
