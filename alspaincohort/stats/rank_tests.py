"""Wilcoxon rank-sum (Mann-Whitney) and signed-rank tests with R's ``wilcox.test`` rules.

scipy computes both tests, but its defaults differ from R's, so the same data gave different
p-values in a Table 1 or a first-to-last change than a reader re-running R (issue 15): scipy's
signed-rank statistic for a two-sided test is min(W+, W-) where R reports V = W+, and scipy
switches between exact and normal-approximation p-values at other sample sizes. These wrappers
fix the choices to R's (checked on a corpus of drawn datasets in
``tests/results/rank_tests``):

- exact p-value when every sample has fewer than 50 values and there are no ties (and, for the
  signed-rank test, no zero differences); otherwise the normal approximation with the tie-
  corrected variance and a continuity correction (R's ``correct = TRUE``);
- the signed-rank test drops zero differences (R's default, scipy's ``zero_method="wilcox"``).

Reference: Hollander M, Wolfe DA, Chicken E. Nonparametric Statistical Methods, 3rd ed. Wiley
2014, chapters 3-4.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from scipy import stats

from ..errors import ModelDataError
from ..validation import as_numeric

__all__ = ["rank_sum_test", "signed_rank_test"]


def rank_sum_test(x: Any, y: Any) -> dict[str, Any]:
    """Two-sided Wilcoxon rank-sum (Mann-Whitney U) test, as R ``wilcox.test(x, y)``.

    Parameters
    ----------
    x, y : array-like
        The two samples (finite numbers; missing values raise).

    Returns
    -------
    dict
        ``statistic`` (R's W: the Mann-Whitney U of ``x``), ``p_value``, ``method`` ("exact"
        or "normal approximation with continuity correction").

    Examples
    --------
    >>> r = rank_sum_test([1.1, 2.3, 3.2, 4.8], [2.9, 5.1, 6.4, 7.7, 8.2])
    >>> r["statistic"], round(r["p_value"], 4), r["method"]
    (2.0, 0.0635, 'exact')
    """
    a, b = as_numeric(x, "x"), as_numeric(y, "y")
    if len(a) == 0 or len(b) == 0:
        raise ModelDataError(f"rank_sum_test needs two non-empty samples (sizes {len(a)}, "
                             f"{len(b)})")
    ties = len(np.unique(np.r_[a, b])) < len(a) + len(b)
    exact = len(a) < 50 and len(b) < 50 and not ties
    r = stats.mannwhitneyu(a, b, alternative="two-sided", use_continuity=True,
                           method="exact" if exact else "asymptotic")
    return {"statistic": float(r.statistic), "p_value": float(r.pvalue),
            "method": "exact" if exact else "normal approximation with continuity correction"}


def signed_rank_test(x: Any, y: Any) -> dict[str, Any]:
    """Two-sided Wilcoxon signed-rank test of paired samples, as R
    ``wilcox.test(x, y, paired = TRUE)``.

    Parameters
    ----------
    x, y : array-like
        Paired values (same length, finite); the differences x - y are ranked, zero
        differences dropped.

    Returns
    -------
    dict
        ``statistic`` (R's V: the sum of the ranks of the positive differences), ``p_value``,
        ``n`` (non-zero differences), ``method``.

    Examples
    --------
    >>> r = signed_rank_test([3.1, 4.2, 5.6, 2.2, 6.3], [2.0, 4.5, 3.1, 1.0, 4.1])
    >>> r["statistic"], r["p_value"], r["method"]
    (14.0, 0.125, 'exact')
    """
    a, b = as_numeric(x, "x"), as_numeric(y, "y")
    if len(a) != len(b):
        raise ModelDataError(f"paired samples differ in length ({len(a)}, {len(b)})")
    d = a - b
    zeros = bool((d == 0).any())
    d = d[d != 0]
    if len(d) == 0:
        raise ModelDataError("signed_rank_test: every difference is zero; the test does not "
                             "exist")
    ties = len(np.unique(np.abs(d))) < len(d)
    exact = len(d) < 50 and not ties and not zeros
    ranks = stats.rankdata(np.abs(d))
    v = float(ranks[d > 0].sum())
    r = stats.wilcoxon(d, zero_method="wilcox", correction=True, alternative="two-sided",
                       method="exact" if exact else "approx")
    return {"statistic": v, "p_value": float(r.pvalue), "n": len(d),
            "method": "exact" if exact else "normal approximation with continuity correction"}
