"""Kaplan-Meier estimates, the log-rank test and Aalen-Johansen cumulative incidence, with
delayed entry (left truncation).

Why not lifelines: its ``KaplanMeierFitter`` counts a subject entering at time t as at risk at
t (R and the counting-process definition put a subject entering at t at risk only after t), its
log-rank test has no delayed entry, and its Aalen-Johansen estimator jitters tied times at
random. The ALS question "survival from onset" is a delayed-entry question (patients are
observed only from enrolment, months after onset), so these estimators are written here, on
(entry, time] risk sets, and checked against R ``survival`` on a corpus of 240 drawn datasets
(``tests/results/prognosis/corpus``).

- :func:`kaplan_meier_table`: R's ``survfit(Surv(entry, time, event) ~ 1)`` — rows at each
  distinct exit time; Greenwood standard error on the cumulative-hazard scale (R's
  ``std.err``); pointwise CIs of type ``"log-log"`` (the default here, as in Stata and SAS;
  better coverage in the tails), ``"log"`` (R's default) or ``"plain"``, with R's rules at
  S = 0 and S = 1.
- :func:`survival_quantile`: R's ``quantile.survfit`` (median and its CI from the CI curves;
  where the curve is flat at exactly the probability, the midpoint of the flat stretch).
- :func:`logrank_test`: the k-group log-rank test, stratified when asked, on (entry, time] risk
  sets: observed minus expected events with the hypergeometric variance — the score test of
  the Cox model with exact (discrete) ties at beta = 0, equal to R's ``survdiff`` without
  delayed entry. As ``survdiff``, groups never at risk at an event time are left out and the
  degrees of freedom are the remaining groups less one.
- :func:`aalen_johansen`: cumulative incidence of one cause with competing causes (exact ties),
  equal to ``cmprsk::cuminc``.

References: Kaplan EL, Meier P. Nonparametric estimation from incomplete observations. J Am
Stat Assoc 1958;53:457-481. Klein JP, Moeschberger ML. Survival Analysis, 2nd ed. Springer
2003, sections 4.2-4.6 and 7.3. Therneau TM, Grambsch PM. Modeling Survival Data. Springer
2000. Peto R, Peto J. Asymptotically efficient rank invariant test procedures. J R Stat Soc A
1972;135:185-207.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from ..errors import ModelDataError, ParameterError
from ..validation import as_numeric, check_survival

__all__ = ["CONF_TYPES", "aalen_johansen", "kaplan_meier_table", "logrank_test",
           "risk_counts", "survival_quantile"]

CONF_TYPES = ("log-log", "log", "plain")


def risk_counts(entry: np.ndarray | None, time: np.ndarray, at: np.ndarray) -> np.ndarray:
    """Subjects at risk at each of ``at``: entry < t <= time."""
    n = len(time)
    at_risk = n - np.searchsorted(np.sort(time), at, side="left")
    if entry is not None:
        at_risk -= n - np.searchsorted(np.sort(entry), at, side="left")
    return at_risk


def _check_alpha(alpha: float) -> float:
    if not (isinstance(alpha, (int, float)) and 0 < alpha < 1):
        raise ParameterError(f"alpha must be a number in (0, 1), not {alpha!r}")
    return float(alpha)


def kaplan_meier_table(time: Any, event: Any, entry: Any = None, *, conf_type: str = "log-log",
                       alpha: float = 0.05) -> pd.DataFrame:
    """Kaplan-Meier estimate with pointwise confidence intervals.

    Parameters
    ----------
    time, event : array-like
        Exit time and 0/1 event indicator of each subject.
    entry : array-like, optional
        Delayed-entry time (left truncation): the subject is at risk on (entry, time].
    conf_type : {"log-log", "log", "plain"}
        Transformation of the pointwise CI (R ``survfit``'s ``conf.type``).
    alpha : float
        1 - confidence level.

    Returns
    -------
    DataFrame
        One row per distinct exit time: ``time``, ``n_risk`` (entry < time <= exit),
        ``n_event``, ``n_censor``, ``survival``, ``std_err`` (Greenwood, on the
        cumulative-hazard scale: sqrt(sum d / (n (n - d))), infinite once survival is 0),
        ``ci_low``, ``ci_high`` (NaN where R gives NA: survival 0, and survival 1 for
        log-log).

    Examples
    --------
    >>> t = kaplan_meier_table([2, 3, 3, 5, 8], [1, 1, 0, 1, 0], conf_type="log")
    >>> t[["time", "n_risk", "n_event", "survival"]].round(3).to_numpy().tolist()
    [[2.0, 5.0, 1.0, 0.8], [3.0, 4.0, 1.0, 0.6], [5.0, 2.0, 1.0, 0.3], [8.0, 1.0, 0.0, 0.3]]
    """
    if conf_type not in CONF_TYPES:
        raise ParameterError(f"conf_type must be one of {CONF_TYPES}, not {conf_type!r}")
    alpha = _check_alpha(alpha)
    t, e, s = check_survival(time, event, entry)
    times, inverse = np.unique(t, return_inverse=True)
    n_exit = np.bincount(inverse, minlength=len(times))
    d = np.bincount(inverse, weights=e.astype(float), minlength=len(times))
    n = risk_counts(s, t, times).astype(float)
    surv = np.cumprod(1.0 - d / n)
    with np.errstate(divide="ignore", invalid="ignore"):
        inc = np.where(d > 0, d / (n * (n - d)), 0.0)
    se = np.sqrt(np.cumsum(inc))
    low, high = _confint(surv, se, conf_type, alpha)
    return pd.DataFrame({"time": times, "n_risk": n.astype(np.int64),
                         "n_event": d.astype(np.int64), "n_censor": (n_exit - d).astype(np.int64),
                         "survival": surv, "std_err": se, "ci_low": low, "ci_high": high})


def _confint(p: np.ndarray, se: np.ndarray, conf_type: str, alpha: float
             ) -> tuple[np.ndarray, np.ndarray]:
    """R's ``survfit_confint`` with ``logse = TRUE`` (se of the cumulative hazard)."""
    z = stats.norm.ppf(1 - alpha / 2)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        if conf_type == "plain":
            half = se * p * z
            return np.maximum(p - half, 0.0), np.minimum(p + half, 1.0)
        if conf_type == "log":
            xx = np.where(p == 0, np.nan, p)
            return np.exp(np.log(xx) - z * se), np.minimum(np.exp(np.log(xx) + z * se), 1.0)
        xx = np.where((p == 0) | (p == 1), np.nan, p)
        se2 = z * se / np.log(xx)
        loglog = np.log(-np.log(xx))
        return np.exp(-np.exp(loglog - se2)), np.exp(-np.exp(loglog + se2))


def _findq(x: np.ndarray, y: np.ndarray, p: float, tol: float) -> float:
    """R survival's internal ``findq``: the time at which the distribution curve ``y``
    (1 - survival, starting at 0 at ``x[0]``) reaches ``p``; the midpoint of a stretch where it
    equals ``p`` (to ``tol``)."""
    if np.all(np.isnan(y)) or np.nanmax(y) < p:
        return float("nan")
    xmax = x[-1]
    _, first = np.unique(np.where(np.isnan(y), np.inf, y), return_index=True)
    keep = np.sort(first)
    x, y = x[keep], y[keep]
    n = len(y)
    idx = np.arange(1, n + 1)
    ok = ~np.isnan(y)

    def approx_right(knots: np.ndarray) -> float:  # approx(method="constant", f=1, rule=1)
        kx, ky = knots[ok], idx[ok]
        order = np.argsort(kx, kind="stable")
        kx, ky = kx[order], ky[order]
        if len(kx) == 0 or p < kx[0] or p > kx[-1]:
            return float("nan")
        return float(ky[np.searchsorted(kx, p, side="left")])

    i1, i2 = approx_right(y + tol), approx_right(y - tol)
    if np.isnan(i1) or np.isnan(i2):
        quant = float("nan")
    else:
        quant = (x[int(i1) - 1] + x[int(i2) - 1]) / 2
    if p == 0:
        quant = float(x[0])
    if not np.isnan(y[-1]) and abs(p - y[-1]) < tol and not np.isnan(i1):
        quant = (x[int(i1) - 1] + xmax) / 2
    return float(quant)


def survival_quantile(table: pd.DataFrame, p: float = 0.5,
                      tol: float = float(np.sqrt(np.finfo(float).eps))) -> dict[str, float]:
    """Time by which a share ``p`` of subjects has had the event, with its CI, as R's
    ``quantile.survfit`` (the median for p = 0.5).

    Parameters
    ----------
    table : DataFrame
        A :func:`kaplan_meier_table` result.
    p : float
        The probability (0.5: median survival).
    tol : float
        Tolerance for "the curve equals p" (R's default sqrt(machine epsilon)).

    Returns
    -------
    dict
        ``estimate``, ``ci_low``, ``ci_high``: NaN where the curve (or CI curve) never reaches
        1 - p within follow-up ("not reached").

    Examples
    --------
    >>> km = kaplan_meier_table([1, 2, 3, 4], [1, 1, 1, 1], conf_type="log")
    >>> survival_quantile(km)["estimate"]
    2.5
    """
    if not (isinstance(p, (int, float)) and 0 <= p <= 1):
        raise ParameterError(f"p must be a probability in [0, 1], not {p!r}")
    x = np.r_[0.0, table["time"].to_numpy(dtype=float)]

    def q(col: str) -> float:
        return _findq(x, np.r_[0.0, 1.0 - table[col].to_numpy(dtype=float)], p, tol)

    return {"estimate": q("survival"), "ci_low": q("ci_low"), "ci_high": q("ci_high")}


def logrank_test(time: Any, event: Any, group: Any, entry: Any = None,
                 strata: Any = None) -> dict[str, Any]:
    """k-group log-rank test on (entry, time] risk sets, stratified when ``strata`` is given.

    Parameters
    ----------
    time, event : array-like
        Exit time and 0/1 event indicator.
    group : array-like
        Group of each subject (any labels; missing labels raise).
    entry : array-like, optional
        Delayed-entry times (left truncation).
    strata : array-like, optional
        Stratum of each subject: observed minus expected and the variance are summed over
        strata (R ``survdiff(... + strata(s))``).

    Returns
    -------
    dict
        ``statistic`` (chi-square), ``df``, ``p_value``, ``groups`` (sorted labels),
        ``observed`` and ``expected`` events per group (arrays in that order).

    Raises
    ------
    ModelDataError
        No events; fewer than two groups at risk at an event time; a singular variance (e.g.
        one subject at risk at every event time): the test does not exist for such data.

    Examples
    --------
    >>> r = logrank_test([1, 2, 3, 4, 5, 6], [1, 1, 1, 1, 0, 1], ["a", "b", "a", "b", "a", "b"])
    >>> round(r["statistic"], 4), r["df"]
    (0.3061, 1)
    """
    t, e, s = check_survival(time, event, entry)
    g = _labels(group, "group", len(t))
    st = np.zeros(len(t), dtype=np.int64) if strata is None else pd.factorize(
        _labels(strata, "strata", len(t)), sort=True)[0]
    g_codes, groups = pd.factorize(g, sort=True)
    k = len(groups)
    if not e.any():
        raise ModelDataError("logrank_test: no events, so there is nothing to compare")
    observed, expected = np.zeros(k), np.zeros(k)
    V = np.zeros((k, k))
    for code in np.unique(st):
        sel = st == code
        ts, es, gs = t[sel], e[sel], g_codes[sel]
        ss = None if s is None else s[sel]
        times = np.unique(ts[es])
        if not len(times):
            continue
        at_risk = np.empty((len(times), k))
        deaths = np.zeros((len(times), k))
        for j in range(k):
            mine = gs == j
            at_risk[:, j] = risk_counts(None if ss is None else ss[mine], ts[mine], times)
            deaths[:, j] = np.bincount(np.searchsorted(times, ts[mine & es]),
                                       minlength=len(times))
        n = at_risk.sum(axis=1)
        d = deaths.sum(axis=1)
        frac = at_risk / n[:, None]
        observed += deaths.sum(axis=0)
        expected += (d[:, None] * frac).sum(axis=0)
        w = np.where(n > 1, d * (n - d) / np.maximum(n - 1, 1), 0.0)
        V += np.diag((w[:, None] * frac).sum(axis=0)) - np.einsum("t,ti,tj->ij", w, frac, frac)
    keep = np.flatnonzero(expected > 0)
    if len(keep) < 2:
        raise ModelDataError(
            f"logrank_test: {len(keep)} group(s) at risk at an event time; the test needs two")
    diff = (observed - expected)[keep][:-1]
    Vk = V[np.ix_(keep, keep)][:-1, :-1]
    if np.linalg.matrix_rank(Vk) < len(diff):
        raise ModelDataError(
            "logrank_test: the variance of observed minus expected events is singular (no "
            "event time has subjects of two groups at risk with room for variation, e.g. one "
            "subject at risk at every event time); the test does not exist for these data")
    stat = float(diff @ np.linalg.solve(Vk, diff))
    df = len(keep) - 1
    return {"statistic": stat, "df": df, "p_value": float(stats.chi2.sf(stat, df)),
            "groups": list(groups), "observed": observed, "expected": expected}


def _labels(values: Any, name: str, n: int) -> np.ndarray:
    arr = values.to_numpy(dtype=object) if isinstance(values, pd.Series) else np.asarray(
        values, dtype=object)
    if arr.ndim != 1 or len(arr) != n:
        raise ModelDataError(f"{name} must have one label per subject ({n}), not shape "
                             f"{arr.shape}")
    missing = pd.isna(arr)
    if missing.any():
        rows = np.flatnonzero(missing)[:5].tolist()
        raise ModelDataError(f"{name} has missing labels at row(s) {rows}")
    return arr


def aalen_johansen(time: Any, cause: Any, of_interest: int) -> pd.DataFrame:
    """Cumulative incidence of one cause with competing causes (0 = censored):
    CIF(t) = sum over event times t_j <= t of S(t_j-) d_j(cause) / n_j, with S the all-cause
    Kaplan-Meier. Tied times are handled exactly.

    Parameters
    ----------
    time : array-like
        Exit times (finite).
    cause : array-like
        0 = censored, 1, 2, ... = the cause of the event (non-negative integers).
    of_interest : int
        The cause whose incidence is estimated.

    Returns
    -------
    DataFrame
        ``time``, ``cif``: one row per distinct event time of any cause.

    Examples
    --------
    >>> aalen_johansen([1, 2, 3, 4], [1, 2, 0, 1], of_interest=1)["cif"].tolist()
    [0.25, 0.25, 1.0]
    """
    t = as_numeric(time, "time")
    c = as_numeric(cause, "cause")
    if len(t) != len(c):
        raise ModelDataError(f"time ({len(t)}) and cause ({len(c)}) differ in length")
    if len(t) == 0:
        raise ModelDataError("aalen_johansen: no subjects")
    bad = (c < 0) | (c != np.round(c))
    if bad.any():
        rows = np.flatnonzero(bad)[:5].tolist()
        raise ModelDataError(f"cause must be 0 (censored) or a positive integer cause; rows "
                             f"{rows} hold {c[bad][:5].tolist()}")
    c = c.astype(np.int64)
    if isinstance(of_interest, (bool, np.bool_)) or not isinstance(
            of_interest, (int, np.integer)) or of_interest < 1:
        raise ParameterError(f"of_interest must be a positive integer cause, not "
                             f"{of_interest!r}")
    times = np.unique(t[c > 0])
    ts = np.sort(t)
    n = len(ts) - np.searchsorted(ts, times, side="left")
    d_all = np.bincount(np.searchsorted(times, t[c > 0]), minlength=len(times)).astype(float)
    d_k = np.bincount(np.searchsorted(times, t[c == of_interest]),
                      minlength=len(times)).astype(float)
    surv = np.cumprod(1 - d_all / n)
    before = np.r_[1.0, surv[:-1]]
    return pd.DataFrame({"time": times, "cif": np.cumsum(before * d_k / n)})
