"""Tests comparing groups in a Table 1: continuous variables (Welch's t, one-way ANOVA,
Wilcoxon rank-sum, Kruskal-Wallis) and categorical ones (Pearson's chi-square without
continuity correction, Fisher's exact test for 2 x 2 tables with a small expected count).

The statistics come from scipy (``ttest_ind``, ``f_oneway``, ``kruskal``,
``chi2_contingency``, ``fisher_exact``) and :mod:`alspaincohort.stats.rank_tests` (R's
``wilcox.test`` rules); this module fixes the choices (which test, which options) to those of
R's ``t.test``, ``oneway.test(var.equal = TRUE)``, ``kruskal.test``, ``chisq.test(correct =
FALSE)`` and ``fisher.test``, which gtsummary and tableone call, and is checked against them on
a 240-dataset corpus (``tests/results/table_one/corpus``).

Reference: Agresti A. Categorical Data Analysis, 3rd ed. Wiley 2013, sections 3.2 and 3.5
(chi-square and Fisher's exact tests).
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from ..errors import ModelDataError
from ..validation import as_numeric
from .rank_tests import rank_sum_test

__all__ = ["continuous_group_test", "categorical_group_test"]


def continuous_group_test(samples: list[Any], normal: bool) -> dict[str, Any]:
    """Compare a continuous variable across groups.

    Parameters
    ----------
    samples : list of array-like
        The values of each group (finite numbers; missing values removed beforehand). Groups
        with fewer than two values take no part in the test.
    normal : bool
        True: Welch's t-test for two groups, one-way ANOVA (equal variances) for more. False:
        Wilcoxon rank-sum (Mann-Whitney) for two groups, Kruskal-Wallis for more.

    Returns
    -------
    dict
        ``test`` (name, "" when fewer than two groups have two values), ``statistic`` (t, F,
        W as R's ``wilcox.test`` reports it, or the Kruskal-Wallis chi-square), ``p_value``
        (two-sided; NaN when there is no test).

    Examples
    --------
    >>> r = continuous_group_test([[1.0, 2.0, 3.0], [4.0, 5.0, 6.5]], normal=True)
    >>> r["test"], round(r["p_value"], 4)
    ('Welch t-test', 0.0291)
    """
    # as_numeric refuses strings, missing and infinite values, naming the sample and row
    arrays = [as_numeric(s, f"samples[{i}]") for i, s in enumerate(samples)]
    two = len(arrays) == 2
    ok = [a for a in arrays if len(a) >= 2]
    if len(ok) < 2:
        return {"test": "", "statistic": np.nan, "p_value": np.nan}
    if normal:
        if two:
            with warnings.catch_warnings():
                # scipy warns of precision loss when a group is constant; the statistic then
                # still equals R's t.test (corpus), so the warning would only alarm
                warnings.filterwarnings("ignore", "Precision loss", RuntimeWarning)
                r = stats.ttest_ind(arrays[0], arrays[1], equal_var=False)
            return {"test": "Welch t-test", "statistic": float(r.statistic),
                    "p_value": float(r.pvalue)}
        r = stats.f_oneway(*ok)
        return {"test": "one-way ANOVA", "statistic": float(r.statistic),
                "p_value": float(r.pvalue)}
    if two:
        rs = rank_sum_test(arrays[0], arrays[1])
        return {"test": "Mann-Whitney U", "statistic": rs["statistic"],
                "p_value": rs["p_value"]}
    if np.ptp(np.concatenate(ok)) == 0:  # all values equal: R's kruskal.test gives NaN
        return {"test": "Kruskal-Wallis", "statistic": np.nan, "p_value": np.nan}
    r = stats.kruskal(*ok)
    return {"test": "Kruskal-Wallis", "statistic": float(r.statistic),
            "p_value": float(r.pvalue)}


def categorical_group_test(table: Any) -> dict[str, Any]:
    """Compare a categorical variable across groups from its contingency table.

    Parameters
    ----------
    table : 2-d array-like or DataFrame
        Counts (whole numbers >= 0), levels in rows and groups in columns. Empty rows and
        columns are left out before testing.

    Returns
    -------
    dict
        ``test`` ("chi-square", "chi-square (expected < 5 in some cells)", "Fisher exact", or
        "" when fewer than two non-empty rows or columns remain), ``statistic`` (Pearson's
        X^2 without continuity correction; for Fisher's test the sample odds ratio),
        ``p_value`` (Fisher's two-sided p sums the tables no more likely than the one
        observed, as R's ``fisher.test``).

    Examples
    --------
    >>> categorical_group_test([[10, 20], [30, 15]])["test"]
    'chi-square'
    """
    tab = np.asarray(table.to_numpy() if isinstance(table, pd.DataFrame) else table,
                     dtype=float)
    if tab.ndim != 2:
        raise ModelDataError(f"table must be 2-dimensional, not shape {tab.shape}")
    bad = ~np.isfinite(tab) | (tab < 0) | (tab != np.round(tab))
    if bad.any():
        r, c = np.argwhere(bad)[0]
        raise ModelDataError(f"table cell ({r}, {c}) holds {tab[r, c]!r}: counts must be "
                             "whole numbers >= 0")
    tab = tab[tab.sum(axis=1) > 0][:, tab.sum(axis=0) > 0]
    if tab.shape[0] < 2 or tab.shape[1] < 2:
        return {"test": "", "statistic": np.nan, "p_value": np.nan}
    chi = stats.chi2_contingency(tab, correction=False)
    small = bool((chi.expected_freq < 5).any())
    if tab.shape == (2, 2) and small:
        r = stats.fisher_exact(tab.astype(np.int64))
        return {"test": "Fisher exact", "statistic": float(r.statistic),
                "p_value": float(r.pvalue)}
    return {"test": "chi-square" + (" (expected < 5 in some cells)" if small else ""),
            "statistic": float(chi.statistic), "p_value": float(chi.pvalue)}
