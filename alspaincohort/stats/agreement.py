"""Agreement between raters: intraclass correlations, (weighted) kappa, Bland-Altman limits.

Used to compare a patient's own pain ratings with a caregiver's or clinician's (proxy) ratings
(:func:`alspaincohort.analysis.proxy.proxy_agreement`). Written here because none of the
packages we depend on has them with their confidence intervals (statsmodels has Cohen's kappa
without the weighted variance of Fleiss et al.; pingouin is not a dependency); checked against
R ``psych`` (``tests/results/agreement``).

- :func:`icc`: the six intraclass correlations of Shrout & Fleiss (1979), ICC1, ICC2, ICC3 and
  their averages over raters, from the two-way ANOVA mean squares, with the F tests and the
  confidence intervals of McGraw & Wong (1996), as R ``psych::ICC(x, lmer = FALSE)``. In
  McGraw & Wong's terms ICC2 is the two-way random-effects, absolute-agreement, single-rater
  ICC(A,1) and ICC3 the two-way mixed, consistency ICC(C,1).
- :func:`cohen_kappa`: Cohen's kappa and weighted kappa (linear or quadratic agreement
  weights over ordered categories) with the large-sample variances of Fleiss, Cohen & Everitt
  (1969). The estimates and the unweighted variance are R ``psych::cohen.kappa``'s; its weighted
  variance is not: psych forms the row term of the weighted variance as p_j. * sum_k w_jk where
  Fleiss et al. have sum_k p_k. w_kj (the two agree only when the rater's categories are equally
  common, and for identity weights); this module follows Fleiss et al. (checked against the
  formula written out independently in the R script, and by coverage over simulated data).
- :func:`bland_altman`: mean difference and 95% limits of agreement with their confidence
  intervals (Bland & Altman 1999: the limits' standard error sqrt(3 s^2 / n)).

References
----------
Shrout PE, Fleiss JL. Intraclass correlations: uses in assessing rater reliability. Psychol
Bull 1979;86(2):420-428.
McGraw KO, Wong SP. Forming inferences about some intraclass correlation coefficients. Psychol
Methods 1996;1(1):30-46.
Fleiss JL, Cohen J, Everitt BS. Large sample standard errors of kappa and weighted kappa.
Psychol Bull 1969;72(5):323-327.
Bland JM, Altman DG. Measuring agreement in method comparison studies. Stat Methods Med Res
1999;8(2):135-160.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from ..errors import ModelDataError, ParameterError
from ..validation import as_numeric, check_choice, check_level

ICC_TYPES = ("ICC1", "ICC2", "ICC3", "ICC1k", "ICC2k", "ICC3k")
ICC_NAMES = ("one-way random, single rater", "two-way random, absolute agreement, single "
             "rater", "two-way mixed, consistency, single rater", "one-way random, mean of "
             "raters", "two-way random, absolute agreement, mean of raters", "two-way mixed, "
             "consistency, mean of raters")


def _ratings(ratings: Any) -> np.ndarray:
    """Subjects x raters as a float matrix: finite numbers, at least 2 of each."""
    raw = ratings.to_numpy(dtype=object) if isinstance(ratings, pd.DataFrame) else \
        np.asarray(ratings, dtype=object)
    if raw.ndim != 2:
        raise ModelDataError(f"ratings must be a subjects x raters matrix, not shape "
                             f"{raw.shape}")
    x = as_numeric(raw.reshape(-1), "ratings").reshape(raw.shape)
    n, k = x.shape
    if n < 2 or k < 2:
        raise ModelDataError(f"ratings need at least 2 subjects and 2 raters, not {n} x {k}")
    return x


def icc(ratings: Any, level: float = 0.95) -> pd.DataFrame:
    """The six intraclass correlations of a complete subjects x raters table.

    Parameters
    ----------
    ratings : array or DataFrame of shape (n subjects, k raters)
        Finite numbers (a missing rating is an error: drop the subject first).
    level : float
        Confidence level of the intervals.

    Returns
    -------
    DataFrame
        One row per type (ICC1, ICC2, ICC3, ICC1k, ICC2k, ICC3k): type, description, icc,
        f (the F statistic), df1, df2, p_value (of icc = 0), ci_low, ci_high (McGraw & Wong
        1996, as R ``psych::ICC(x, lmer = FALSE)``).

    Examples
    --------
    >>> t = icc([[9, 2, 5, 8], [6, 1, 3, 2], [8, 4, 6, 8], [7, 1, 2, 6], [10, 5, 6, 9],
    ...          [6, 2, 4, 7]])
    >>> round(float(t.set_index("type").loc["ICC2", "icc"]), 2)
    0.29
    """
    x = _ratings(ratings)
    a = 1 - check_level(level)
    n, k = x.shape
    grand = x.mean()
    row_means, col_means = x.mean(axis=1), x.mean(axis=0)
    ss_rows = k * ((row_means - grand) ** 2).sum()
    ss_cols = n * ((col_means - grand) ** 2).sum()
    ss_total = ((x - grand) ** 2).sum()
    # the residual directly (not total - rows - columns, which leaves eps * total)
    ss_err = ((x - row_means[:, None] - col_means[None, :] + grand) ** 2).sum()
    # raters with equal means, or ratings without error (whole numbers, a rater's offset): the
    # sums of squares are then the square of the means' last-digit rounding (1e-30 of the
    # total); they are zero, and the F ratios infinite (R's aov reports ~1e29)
    ss_rows, ss_cols, ss_err = (0.0 if ss <= 1e-20 * ss_total else ss
                                for ss in (ss_rows, ss_cols, ss_err))
    if ss_rows == 0 and ss_total > 0:
        raise ModelDataError("icc: every subject has the same mean rating: with no variance "
                             "between subjects the intraclass correlations are not defined")
    msb = ss_rows / (n - 1)
    msj = ss_cols / (k - 1)
    mse = ss_err / ((n - 1) * (k - 1))
    msw = (ss_cols + ss_err) / (n * (k - 1))
    if not ss_total > 0:
        raise ModelDataError("icc: every rating is the same: the intraclass correlation is "
                             "not defined")
    with np.errstate(divide="ignore", invalid="ignore"):
        icc1 = (msb - msw) / (msb + (k - 1) * msw)
        icc2 = (msb - mse) / (msb + (k - 1) * mse + k * (msj - mse) / n)
        icc3 = (msb - mse) / (msb + (k - 1) * mse)
        values = [icc1, icc2, icc3, (msb - msw) / msb, (msb - mse) / (msb + (msj - mse) / n),
                  (msb - mse) / msb]
        f1, f2 = msb / msw, msb / mse
    d1 = (n - 1, n * (k - 1))
    d2 = (n - 1, (n - 1) * (k - 1))
    p1, p2 = stats.f.sf(f1, *d1), stats.f.sf(f2, *d2)
    q = 1 - a / 2
    with np.errstate(divide="ignore", invalid="ignore"):
        f1l, f1u = f1 / stats.f.ppf(q, *d1), f1 * stats.f.ppf(q, d1[1], d1[0])
        f3l, f3u = f2 / stats.f.ppf(q, *d2), f2 * stats.f.ppf(q, d2[1], d2[0])
        # ICC2 (absolute agreement): Satterthwaite degrees of freedom of McGraw & Wong
        if mse > 0:
            fj = msj / mse
            vn = (k - 1) * (n - 1) * (k * icc2 * fj + n * (1 + (k - 1) * icc2) - k * icc2) ** 2
            vd = (n - 1) * k**2 * icc2**2 * fj**2 + (n * (1 + (k - 1) * icc2) - k * icc2) ** 2
            v = vn / vd
        else:  # no error variance: the degrees of freedom's limit as MSJ / MSE grows
            v = k - 1.0
        fu, fl = stats.f.ppf(q, n - 1, v), stats.f.ppf(q, v, n - 1)
        # with almost no degrees of freedom (v ~ 0.002: two subjects, a large rater effect)
        # the quantile leaves the floating-point range (R: Inf) and the interval collapses
        # onto one value: no interval then, as R gives none
        if not fu < 1e300:
            fu = np.nan
        denom = k * msj + (k * n - k - n) * mse
        l2 = n * (msb - fu * mse) / (fu * denom + n * msb)
        u2 = n * (fl * msb - mse) / (denom + n * fl * msb)
        lows = [_single(f1l, k), l2, _single(f3l, k), 1 - 1 / f1l, _mean_of(l2, k, True),
                1 - 1 / f3l]
        highs = [_single(f1u, k), u2, _single(f3u, k), 1 - 1 / f1u, _mean_of(u2, k, False),
                 1 - 1 / f3u]
    fs, dfs, ps = (f1, f2, f2) * 2, (d1, d2, d2) * 2, (p1, p2, p2) * 2
    return pd.DataFrame({"type": ICC_TYPES, "description": ICC_NAMES,
                         "icc": np.asarray(values, dtype=float),
                         "f": np.asarray(fs, dtype=float),
                         "df1": [float(d[0]) for d in dfs], "df2": [float(d[1]) for d in dfs],
                         "p_value": np.asarray(ps, dtype=float),
                         "ci_low": np.asarray(lows, dtype=float),
                         "ci_high": np.asarray(highs, dtype=float)})


def _single(f: float, k: int) -> float:
    """(F - 1) / (F + k - 1), the single-rater ICC of an F ratio; 1 for an infinite F (no
    error variance), its limit."""
    return 1.0 if np.isinf(f) and f > 0 else (f - 1) / (f + k - 1)


def _mean_of(bound: float, k: int, lower: bool) -> float:
    """A bound of the single-rater ICC2 carried to the mean of k raters, k r / (1 + (k - 1) r)
    (Spearman-Brown). The map is increasing above r = -1 / (k - 1) and has its pole there: a
    lower bound at or below the pole becomes -inf (R's psych carries it through the pole, to a
    lower bound above the estimate), an upper bound there leaves no interval (NaN)."""
    if not np.isfinite(bound) or 1 + (k - 1) * bound > 0:
        return bound * k / (1 + bound * (k - 1))
    return -np.inf if lower else np.nan


def _agreement_weights(m: int, weights: str) -> np.ndarray:
    d = np.abs(np.subtract.outer(np.arange(m), np.arange(m))) / max(m - 1, 1)
    return 1 - d**2 if weights == "quadratic" else 1 - d


def cohen_kappa(x: Any, y: Any, categories: Any = None, weights: str = "quadratic",
                level: float = 0.95) -> dict[str, Any]:
    """Cohen's kappa and weighted kappa of two raters' ordered categories.

    Parameters
    ----------
    x, y : arrays of the same length
        The two raters' categories (numbers or labels), one pair per subject; a pair with a
        missing value is an error (drop it first).
    categories : sequence, optional
        Every category in order (default: those observed, sorted). The weights depend on how
        many there are: give them all when one may be unobserved (as R's ``levels=``).
    weights : {"quadratic", "linear"}
        Agreement weights 1 - (|i - j| / (m - 1))^2 (R psych's default) or 1 - |i - j| / (m - 1).
    level : float
        Confidence level.

    Returns
    -------
    dict
        n, kappa, kappa_se, kappa_ci_low, kappa_ci_high, weighted_kappa, weighted_se,
        weighted_ci_low, weighted_ci_high (normal intervals, cut to [-1, 1] as psych cuts
        them), categories, weights.

    Examples
    --------
    >>> r = cohen_kappa([0, 1, 2, 2, 3, 1], [0, 1, 2, 3, 3, 2], categories=[0, 1, 2, 3])
    >>> round(r["kappa"], 3), round(r["weighted_kappa"], 3)
    (0.556, 0.846)
    """
    check_choice(weights, "weights", ("quadratic", "linear"))
    z = stats.norm.ppf(0.5 + check_level(level) / 2)
    a, b = np.asarray(x, dtype=object).ravel(), np.asarray(y, dtype=object).ravel()
    if len(a) != len(b):
        raise ModelDataError(f"cohen_kappa: x and y differ in length ({len(a)}, {len(b)})")
    if pd.isna(a).any() or pd.isna(b).any():
        raise ModelDataError("cohen_kappa: a rating is missing; drop the pairs without both")
    if len(a) < 2:
        raise ModelDataError("cohen_kappa: at least 2 pairs are needed")
    if categories is None:
        try:
            cats = sorted(set(a) | set(b))
        except TypeError:  # numbers and text mixed: no order of the categories
            raise ModelDataError(f"cohen_kappa: the ratings mix kinds of values "
                                 f"({sorted({type(v).__name__ for v in (*a, *b)})}); give "
                                 "numbers or labels with categories= in their order") from None
    else:
        cats = list(categories)
    index = {c: i for i, c in enumerate(cats)}
    unknown = [v for v in (set(a) | set(b)) if v not in index]
    if unknown:
        raise ParameterError(f"cohen_kappa: values {sorted(map(str, unknown))[:5]} are not "
                             f"among the categories {cats}")
    m = len(cats)
    if m < 2:
        raise ModelDataError("cohen_kappa: one category only: kappa is not defined")
    ia = np.array([index[v] for v in a])
    ib = np.array([index[v] for v in b])
    n = len(ia)
    p = np.bincount(ia * m + ib, minlength=m * m).reshape(m, m) / n
    rows, cols = p.sum(axis=1), p.sum(axis=0)
    out: dict[str, Any] = {"n": n, "categories": cats, "weights": weights}
    for name, w in (("kappa", np.eye(m)), ("weighted", _agreement_weights(m, weights))):
        po = float((w * p).sum())
        pe = float((w * np.outer(rows, cols)).sum())
        if pe >= 1:
            raise ModelDataError("cohen_kappa: the chance agreement is 1 (both raters use one "
                                 "category): kappa is not defined")
        kappa = (po - pe) / (1 - pe)
        wr, wc = w @ cols, rows @ w  # mean weight of each row / column category
        inner = (p * (w * (1 - pe) - np.add.outer(wr, wc) * (1 - po)) ** 2).sum()
        var = (inner - (po * pe - 2 * pe + po) ** 2) / (n * (1 - pe) ** 4)
        se = float(np.sqrt(max(var, 0.0)))
        key = "kappa" if name == "kappa" else "weighted_kappa"
        prefix = "kappa" if name == "kappa" else "weighted"
        out[key] = kappa
        out[f"{prefix}_se"] = se
        out[f"{prefix}_ci_low"] = max(kappa - z * se, -1.0)
        out[f"{prefix}_ci_high"] = min(kappa + z * se, 1.0)
    return out


def bland_altman(x: Any, y: Any, level: float = 0.95) -> dict[str, float]:
    """Bland-Altman agreement of paired measurements: the mean difference y - x and the limits
    of agreement mean +/- z s, with their confidence intervals (Bland & Altman 1999).

    Parameters
    ----------
    x, y : arrays of the same length
        Paired measurements (finite numbers; at least 3 pairs).
    level : float
        Coverage of the limits of agreement and confidence level of their intervals.

    Returns
    -------
    dict
        n, mean_difference, sd_difference, bias_ci_low, bias_ci_high (t interval),
        loa_low, loa_high (mean -/+ z sd), loa_low_ci_low, loa_low_ci_high, loa_high_ci_low,
        loa_high_ci_high (each limit +/- t sqrt(3 sd^2 / n)), correlation (Pearson, of the
        differences with the means: a trend of the bias with the level).

    Examples
    --------
    >>> r = bland_altman([3, 5, 2, 7, 4], [4, 5, 3, 8, 4])
    >>> r["mean_difference"]
    0.6
    """
    a, b = as_numeric(x, "x"), as_numeric(y, "y")
    if len(a) != len(b):
        raise ModelDataError(f"bland_altman: x and y differ in length ({len(a)}, {len(b)})")
    n = len(a)
    if n < 3:
        raise ModelDataError(f"bland_altman: at least 3 pairs are needed, not {n}")
    lv = check_level(level)
    d = b - a
    mean, sd = float(d.mean()), float(d.std(ddof=1))
    z = stats.norm.ppf(0.5 + lv / 2)
    t = stats.t.ppf(0.5 + lv / 2, n - 1)
    half_bias = t * sd / np.sqrt(n)
    half_loa = t * np.sqrt(3 * sd**2 / n)
    low, high = mean - z * sd, mean + z * sd
    avg = (a + b) / 2
    corr = float(np.corrcoef(d, avg)[0, 1]) if sd > 0 and avg.std() > 0 else float("nan")
    return {"n": n, "mean_difference": mean, "sd_difference": sd,
            "bias_ci_low": mean - half_bias, "bias_ci_high": mean + half_bias,
            "loa_low": low, "loa_high": high,
            "loa_low_ci_low": low - half_loa, "loa_low_ci_high": low + half_loa,
            "loa_high_ci_low": high - half_loa, "loa_high_ci_high": high + half_loa,
            "correlation": corr}
