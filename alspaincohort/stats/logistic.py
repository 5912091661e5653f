"""Logistic regression with the package's error contract.

statsmodels' ``Logit`` does the fitting (a well-kept implementation; nothing here re-derives
it). What this module adds is the checks R's ``glm(family = binomial)`` users rely on and
statsmodels leaves to warnings or foreign exceptions: an outcome with both values, a design of
full rank (naming the aliased column), and perfect separation, where the maximum-likelihood
odds ratios do not exist (statsmodels warns and returns numbers; R warns "fitted
probabilities numerically 0 or 1 occurred"). Each raises :class:`ModelDataError`.
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import pandas as pd

from ..errors import ModelDataError
from .design import build, check_rank

__all__ = ["fit_logit"]


def fit_logit(formula: str, data: pd.DataFrame, what: str = "logistic model") -> Any:
    """Fit ``formula`` (outcome 0/1 on the left) by maximum likelihood.

    Parameters
    ----------
    formula : str
        Wilkinson formula, e.g. ``"case ~ age + C(sex)"``.
    data : DataFrame
        Complete rows only (missing values are the caller's to count and report).
    what : str
        Name used in error messages.

    Returns
    -------
    statsmodels ``LogitResults``

    Raises
    ------
    ModelDataError
        Outcome not 0/1 or constant, rank-deficient design, no residual degrees of freedom, or
        perfect separation.

    Examples
    --------
    >>> import pandas as pd
    >>> d = pd.DataFrame({"y": [0, 1, 0, 1, 1, 0, 1, 0], "x": [1, 2, 2, 3, 1, 0, 3, 2]})
    >>> round(float(fit_logit("y ~ x", d).params["x"]), 4)  # R glm(binomial): 1.3571778
    1.3572
    """
    import statsmodels.formula.api as smf
    from statsmodels.tools.sm_exceptions import PerfectSeparationWarning

    design = build(data, formula, what=what)
    y = design.y
    if y is None:
        raise ModelDataError(f"{what}: formula {formula!r} has no outcome")
    values = set(np.unique(y).tolist())
    if not values <= {0.0, 1.0}:
        raise ModelDataError(f"{what}: the outcome must be 0/1, found {sorted(values)[:5]}")
    if len(values) < 2:
        raise ModelDataError(f"{what}: the outcome is {int(next(iter(values), 0))} in all "
                             f"{len(y)} rows; a logistic model needs both values")
    check_rank(design.X, design.x_names, f"{what} design")
    if len(y) <= design.X.shape[1]:
        raise ModelDataError(f"{what}: {len(y)} rows for {design.X.shape[1]} coefficients")
    with warnings.catch_warnings():
        warnings.simplefilter("error", PerfectSeparationWarning)
        try:
            return smf.logit(formula, data=data.reset_index(drop=True)).fit(disp=False)
        except PerfectSeparationWarning:
            raise ModelDataError(f"{what}: perfect separation in {formula!r}: the outcome is "
                                 "predicted exactly, so the odds ratios do not exist") from None
