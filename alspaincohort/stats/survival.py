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


def survival_at(table: pd.DataFrame, times: Any) -> pd.DataFrame:
    """Survival and its pointwise CI at chosen times, as R ``summary(survfit, times=)``: the
    step function's value at the last distinct time <= t.

    Parameters
    ----------
    table : DataFrame
        A :func:`kaplan_meier_table` result.
    times : array-like
        Times (>= 0, in the table's unit).

    Returns
    -------
    DataFrame
        time, survival, std_err, ci_low, ci_high (the table's CI type, NaN where the table's
        row has none, e.g. survival 1 under log-log); before the first exit survival is 1 with
        the interval (1, 1), as R prints it; NaN beyond the last follow-up time (R drops such
        times).

    Examples
    --------
    >>> km = kaplan_meier_table([2, 3, 3, 5, 8], [1, 1, 0, 1, 0], conf_type="log")
    >>> survival_at(km, [1, 4, 9])["survival"].round(2).tolist()
    [1.0, 0.6, nan]
    """
    at = np.asarray(times, dtype=float).ravel()
    if not np.all(np.isfinite(at)) or (at < 0).any():
        raise ParameterError(f"times must be finite and >= 0, not {list(at)}")
    t = table["time"].to_numpy(dtype=float)
    idx = np.searchsorted(t, at, side="right") - 1
    out = []
    for x, i in zip(at, idx, strict=True):
        if len(t) == 0 or x > t[-1]:
            out.append((x, np.nan, np.nan, np.nan, np.nan))
        elif i < 0:  # before the first exit R gives (1, 1); after it, the table's row
            out.append((x, 1.0, 0.0, 1.0, 1.0))
        else:
            r = table.iloc[i]
            out.append((x, r["survival"], r["std_err"], r["ci_low"], r["ci_high"]))
    return pd.DataFrame(out, columns=["time", "survival", "std_err", "ci_low", "ci_high"])


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
    (0.0739, 1)
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


def aalen_johansen(time: Any, cause: Any, of_interest: int, *, conf_type: str = "log",
                   alpha: float = 0.05) -> pd.DataFrame:
    """Cumulative incidence of one cause with competing causes (0 = censored), with its
    standard error and pointwise confidence limits.

    CIF(t) = sum over event times t_j <= t of S(t_j-) d_kj / n_j, with S the all-cause
    Kaplan-Meier, d_kj the events of cause k and n_j the number at risk at t_j (ties exact).
    The variance is the infinitesimal-jackknife (IJ) variance that R's ``survfit`` reports for
    multi-state curves: the sum over subjects of the squared derivative of CIF(t) with respect
    to the subject's case weight. Writing h_j = d_j / n_j (all causes) and h_kj = d_kj / n_j,
    the derivative for subject i is sum_j [c_j(t) a_ij + e_j b_ij] with
    a_ij = dN_i(t_j) - Y_i(t_j) h_j, b_ij = dN_ik(t_j) - Y_i(t_j) h_kj,
    c_j(t) = -(CIF(t) - CIF(t_j)) / (n_j - d_j) and e_j = S(t_j-) / n_j. Without delayed entry
    the cross-products of a and b at different times sum to zero over subjects, so

        Var CIF(t) = sum_{t_j <= t} c_j^2 d_j (1 - h_j) + e_j^2 d_kj (1 - h_kj)
                     + 2 c_j e_j d_kj (1 - h_j),

    which is O(number of event times) per time instead of O(n) (where n_j = d_j, c_j is taken
    as 0: CIF is flat after the last subject leaves). Written here because lifelines'
    ``AalenJohansenFitter`` gives a delta-method variance (not R's) and jitters tied times.
    Checked against ``survfit`` on a 240-dataset corpus (``tests/results/prognosis/corpus``).

    Parameters
    ----------
    time : array-like
        Exit times (finite).
    cause : array-like
        0 = censored, 1, 2, ... = the cause of the event (non-negative integers).
    of_interest : int
        The cause whose incidence is estimated.
    conf_type : {"log", "log-log", "plain"}
        Scale of the pointwise confidence limits; "log" is ``survfit``'s default for
        multi-state curves (limits are applied to the CIF as ``survfit_confint`` does with
        ``logse = FALSE``).
    alpha : float
        1 - confidence level.

    Returns
    -------
    DataFrame
        One row per distinct event time of any cause: ``time``; ``n_risk`` (at risk just
        before); ``n_event`` (events of the cause of interest); ``n_competing`` (events of
        other causes); ``cif``; ``std_err`` (IJ standard error of ``cif``); ``lower``,
        ``upper`` (pointwise limits; NaN where ``cif`` is 0).

    Examples
    --------
    >>> aalen_johansen([1, 2, 3, 4], [1, 2, 0, 1], of_interest=1)["cif"].tolist()
    [0.25, 0.25, 0.75]
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
    if conf_type not in ("log", "log-log", "plain"):
        raise ParameterError(f"conf_type must be 'log', 'log-log' or 'plain', not "
                             f"{conf_type!r}")
    alpha = _check_alpha(alpha)
    times = np.unique(t[c > 0])
    ts = np.sort(t)
    n = (len(ts) - np.searchsorted(ts, times, side="left")).astype(float)
    d_all = np.bincount(np.searchsorted(times, t[c > 0]), minlength=len(times)).astype(float)
    d_k = np.bincount(np.searchsorted(times, t[c == of_interest]),
                      minlength=len(times)).astype(float)
    h, h_k = d_all / n, d_k / n
    surv = np.cumprod(1 - h)
    before = np.r_[1.0, surv[:-1]]
    cif = np.cumsum(before * h_k)
    # Var(t_m) = sum_{j<=m} (F_m - F_j)^2 A_j - 2 (F_m - F_j) B_j + C_j. Expanding the
    # squares in powers of F_m loses every digit where the variance is near 0, so the sums are
    # carried forward instead: with D_m = F_m - F_{m-1},
    #   S1_m = sum (F_m - F_j) A_j = S1_{m-1} + D_m cumA_{m-1},
    #   S2_m = sum (F_m - F_j)^2 A_j = S2_{m-1} + 2 D_m S1_{m-1} + D_m^2 cumA_{m-1},
    # and likewise for B: cumulative sums of non-negative increments.
    with np.errstate(divide="ignore", invalid="ignore"):
        inv = np.where(n > d_all, 1.0 / (n - d_all), 0.0)
    A = inv**2 * d_all * (1 - h)
    e = before / n
    B = inv * e * d_k * (1 - h)
    C = e**2 * d_k * (1 - h_k)
    D = np.diff(cif, prepend=0.0)
    cA_prev = np.r_[0.0, np.cumsum(A)[:-1]]
    cB_prev = np.r_[0.0, np.cumsum(B)[:-1]]
    S1 = np.cumsum(D * cA_prev)
    S1_prev = np.r_[0.0, S1[:-1]]
    S2 = np.cumsum(2 * D * S1_prev + D**2 * cA_prev)
    T = np.cumsum(D * cB_prev)
    cC = np.cumsum(C)
    var = S2 - 2 * T + cC
    # Where the variance is a small difference of large sums (e.g. 0 where the all-cause
    # survival reaches 0 with one cause), recompute it term by term as the sum over subject
    # types (event of this cause, competing event, still at risk) of squared influences.
    for m in np.flatnonzero(var <= 1e-8 * (S2 + 2 * T + cC)):
        c = -(cif[m] - cif[:m + 1]) * inv[:m + 1]
        hj, hk, ej = h[:m + 1], h_k[:m + 1], e[:m + 1]
        var[m] = (d_k[:m + 1] * (c * (1 - hj) + ej * (1 - hk)) ** 2
                  + (d_all - d_k)[:m + 1] * (c * (1 - hj) - ej * hk) ** 2
                  + (n - d_all)[:m + 1] * (c * hj + ej * hk) ** 2).sum()
    std_err = np.sqrt(np.maximum(var, 0.0))
    with np.errstate(divide="ignore", invalid="ignore"):
        se_rel = np.where(std_err == 0, 0.0, std_err / cif)
    lower, upper = _confint(cif, se_rel, conf_type, alpha)
    return pd.DataFrame({"time": times, "n_risk": n.astype(np.int64),
                         "n_event": d_k.astype(np.int64),
                         "n_competing": (d_all - d_k).astype(np.int64), "cif": cif,
                         "std_err": std_err, "lower": lower, "upper": upper})
