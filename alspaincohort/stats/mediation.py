"""Natural direct and indirect effects of a linear mediation model (product of coefficients).

With linear models for the mediator M and the outcome Y,

    M = a0 + a X + covariates,      Y = c0 + c' X + b M + covariates,

and no exposure-mediator interaction, the natural indirect effect per unit of exposure is
a b, the direct effect c', the total c' + a b (Baron & Kenny 1986; VanderWeele 2015, ch. 2).
The coefficients are ordinary least squares, as R's ``lm``; checked against it on a
240-dataset corpus (``tests/results/depression/corpus/make_mediation.py``).

References: VanderWeele TJ. Explanation in Causal Inference: Methods for Mediation and
Interaction. Oxford University Press 2015. Imai K, Keele L, Yamamoto T. Identification,
inference and sensitivity analysis for causal mediation effects. Stat Sci 2010;25:51-71.
"""

from __future__ import annotations

import numpy as np

from ..errors import ModelDataError
from .design import check_rank

__all__ = ["mediation_effects"]


def mediation_effects(X_m: np.ndarray, m: np.ndarray, X_y: np.ndarray, y: np.ndarray,
                      names_m: list[str] | None = None,
                      names_y: list[str] | None = None, check: bool = True) -> np.ndarray:
    """Indirect, direct and total effects and the proportion mediated.

    Parameters
    ----------
    X_m : ndarray (n, p)
        Design of the mediator model: intercept, exposure (column 1), covariates.
    m : ndarray (n,)
        Mediator.
    X_y : ndarray (n, p + 1)
        Design of the outcome model: intercept, exposure (column 1), mediator (column 2),
        covariates.
    y : ndarray (n,)
        Outcome.
    names_m, names_y : list of str, optional
        Column names, used in the error raised for a design that is not of full rank.
    check : bool
        Validate the designs (full rank, finite). Bootstrap and jackknife replicates of a
        checked fit pass False: a covariate level absent from a resample is a zero column,
        whose minimum-norm coefficient is 0 and leaves a and b as ``lm`` (dropping it) gives
        them.

    Returns
    -------
    ndarray
        [indirect (a b), direct (c'), total (c' + a b), proportion mediated (a b / total;
        NaN when the total is 0)].

    Raises
    ------
    ModelDataError
        When either design is not of full column rank (a constant or collinear column: R's
        ``lm`` would drop it as NA; a variable the user named is never left out silently),
        or has no more rows than columns.

    Examples
    --------
    >>> x = np.array([0.0, 1, 2, 3, 4]); m = 2 * x + np.array([0.1, -0.1, 0, 0.1, -0.1])
    >>> y = x + 0.5 * m  # a = 1.98 (the noise tilts it), b = 0.5, c' = 1
    >>> X_m = np.column_stack([np.ones(5), x]); X_y = np.column_stack([np.ones(5), x, m])
    >>> np.round(mediation_effects(X_m, m, X_y, y), 6).tolist()
    [0.99, 1.0, 1.99, 0.497487]
    """
    for X, v, names, what in ((X_m, m, names_m, "mediator model"),
                              (X_y, y, names_y, "outcome model")) if check else ():
        if X.shape[0] <= X.shape[1]:
            raise ModelDataError(f"{what}: {X.shape[0]} complete rows cannot estimate "
                                 f"{X.shape[1]} coefficients and a residual variance")
        if not (np.isfinite(X).all() and np.isfinite(v).all()):
            raise ModelDataError(f"{what}: missing or infinite values; drop them first")
        check_rank(X, names or [f"column {j}" for j in range(X.shape[1])], what)
    a = np.linalg.lstsq(X_m, m, rcond=None)[0][1]
    coef = np.linalg.lstsq(X_y, y, rcond=None)[0]
    direct, b = coef[1], coef[2]
    nie = a * b
    total = direct + nie
    return np.array([nie, direct, total, nie / total if total != 0 else np.nan])
