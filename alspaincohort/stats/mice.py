"""Multiple imputation by chained equations, and Rubin's rules with Barnard-Rubin degrees of
freedom.

Why not statsmodels' ``MICEData``: it imputes numeric columns only, so a categorical covariate
had to be dummy-coded first and a missing category became the reference level (issue 15); and
it draws from NumPy's global generator, so ``seed`` did not make results reproducible. This
module follows R ``mice`` (van Buuren & Groothuis-Oudshoorn 2011) with every draw taken from
one ``numpy.random.Generator``:

- numeric columns: predictive mean matching (``mice.impute.pmm``, type-1 matching): a Bayesian
  draw of the regression coefficients, the 5 observed cases whose predicted means are closest
  to each missing case's, one of them drawn at random as donor;
- categorical columns (object, category, boolean): logistic (2 levels) or multinomial logistic
  regression with a Bayesian draw of the coefficients (``logreg`` / ``polyreg``); a small ridge
  penalty keeps the fit finite under separation, as mice augments the data for the same end;
- every other column is a predictor (categoricals dummy-coded); starting values are random
  draws from the observed values; ``n_iter`` sweeps.

:func:`pool` combines estimates with Rubin's rules and the Barnard-Rubin (1999) small-sample
degrees of freedom, as ``mice::pool`` / ``mice::pool.scalar`` (checked on a stored corpus in
``tests/results/mice``).

References: van Buuren S, Groothuis-Oudshoorn K. mice: Multivariate Imputation by Chained
Equations in R. J Stat Softw 2011;45(3). Rubin DB. Multiple Imputation for Nonresponse in
Surveys. Wiley 1987. Barnard J, Rubin DB. Small-sample degrees of freedom with multiple
imputation. Biometrika 1999;86:948-955.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from ..errors import ModelDataError, ParameterError

__all__ = ["impute", "pool"]


def pool(estimates: Any, variances: Any, df_complete: float = np.inf,
         alpha: float = 0.05) -> dict[str, float]:
    """Rubin's rules for one scalar parameter.

    Parameters
    ----------
    estimates, variances : array-like
        The estimate and its squared standard error from each of m >= 2 imputed datasets.
    df_complete : float
        Degrees of freedom of the complete-data analysis (n - p for a linear model); infinite
        gives Rubin's (1987) large-sample df, finite the Barnard-Rubin df (mice's default).
    alpha : float
        1 - confidence level.

    Returns
    -------
    dict
        ``estimate`` (qbar), ``within`` (ubar), ``between`` (b), ``total`` (t), ``std_error``,
        ``riv`` (relative increase in variance), ``lambda`` (proportion of variance due to
        missingness), ``fmi``, ``df``, ``ci_low``, ``ci_high``, ``p_value`` (t test of 0).

    Examples
    --------
    >>> r = pool([1.0, 1.2, 0.9], [0.04, 0.05, 0.045], df_complete=100)
    >>> round(r["estimate"], 4), round(r["df"], 2)  # mice::pool.scalar(n = 101, k = 1)
    (1.0333, 9.92)
    """
    q = np.asarray(estimates, dtype=float)
    u = np.asarray(variances, dtype=float)
    m = len(q)
    if m < 2 or len(u) != m:
        raise ModelDataError(f"pool needs m >= 2 estimates with their variances (got {m} and "
                             f"{len(u)})")
    if not (np.all(np.isfinite(q)) and np.all(np.isfinite(u)) and np.all(u >= 0)):
        raise ModelDataError("pool: estimates must be finite and variances finite and >= 0")
    if not (df_complete > 0):
        raise ParameterError(f"df_complete must be positive, not {df_complete!r}")
    qbar, ubar, b = float(q.mean()), float(u.mean()), float(q.var(ddof=1))
    t = ubar + (1 + 1 / m) * b
    riv = (1 + 1 / m) * b / ubar if ubar > 0 else np.inf
    lam = (1 + 1 / m) * b / t if t > 0 else 0.0
    # as mice's barnard.rubin: lambda is floored at 1e-4, so the df stay finite when the
    # imputations agree exactly
    lam_df = max(lam, 1e-4)
    df_old = (m - 1) / lam_df**2
    if np.isinf(df_complete):
        df = df_old
    else:
        df_obs = (df_complete + 1) / (df_complete + 3) * df_complete * (1 - lam_df)
        df = df_old * df_obs / (df_old + df_obs)
    fmi = (riv + 2 / (df + 3)) / (1 + riv) if np.isfinite(riv) else 1.0
    se = np.sqrt(t)
    crit = stats.t.ppf(1 - alpha / 2, df)
    p = 2 * stats.t.sf(abs(qbar) / se, df) if se > 0 else float("nan")
    return {"estimate": qbar, "within": ubar, "between": b, "total": t, "std_error": float(se),
            "riv": float(riv), "lambda": float(lam), "fmi": float(fmi), "df": float(df),
            "ci_low": float(qbar - crit * se), "ci_high": float(qbar + crit * se),
            "p_value": float(p)}


def _is_categorical(col: pd.Series) -> bool:
    return (isinstance(col.dtype, pd.CategoricalDtype) or col.dtype == object
            or pd.api.types.is_bool_dtype(col) or pd.api.types.is_string_dtype(col.dtype))


def _design(data: pd.DataFrame, target: str, categorical: dict[str, list[Any]]) -> np.ndarray:
    parts = [np.ones((len(data), 1))]
    for c in data.columns:
        if c == target:
            continue
        if c in categorical:
            levels = categorical[c]
            codes = pd.Categorical(data[c], categories=levels).codes
            parts.append((codes[:, None] == np.arange(1, len(levels))[None, :]).astype(float))
        else:
            v = data[c].to_numpy(dtype=float)
            sd = v.std()
            parts.append(((v - v.mean()) / (sd if sd > 0 else 1.0))[:, None])
    return np.hstack(parts)


def _pmm(X: np.ndarray, y: np.ndarray, obs: np.ndarray, rng: np.random.Generator,
         donors: int = 5) -> np.ndarray:
    Xo, yo = X[obs], y[obs]
    XtX = Xo.T @ Xo + 1e-5 * np.diag(np.r_[0.0, np.ones(X.shape[1] - 1)])
    beta = np.linalg.solve(XtX, Xo.T @ yo)
    rss = float(((yo - Xo @ beta) ** 2).sum())
    dof = max(len(yo) - X.shape[1], 1)
    sigma2 = rss / rng.chisquare(dof)
    chol = np.linalg.cholesky(np.linalg.inv(XtX) * sigma2 + 1e-12 * np.eye(X.shape[1]))
    beta_star = beta + chol @ rng.standard_normal(X.shape[1])
    yhat_obs = Xo @ beta  # type-1 matching
    yhat_mis = X[~obs] @ beta_star
    k = min(donors, len(yo))
    dist = np.abs(yhat_mis[:, None] - yhat_obs[None, :])
    nearest = np.argpartition(dist, k - 1, axis=1)[:, :k]
    pick = nearest[np.arange(len(yhat_mis)), rng.integers(0, k, len(yhat_mis))]
    return yo[pick]


def _multinomial(X: np.ndarray, codes: np.ndarray, n_levels: int, obs: np.ndarray,
                 rng: np.random.Generator, ridge: float = 1e-4) -> np.ndarray:
    """Draw categories for the missing rows from a multinomial logistic model whose
    coefficients are drawn from their approximate posterior (ridge-penalised Newton fit)."""
    Xo, yo = X[obs], codes[obs]
    n, p = Xo.shape
    K = n_levels - 1
    Y = (yo[:, None] == np.arange(1, n_levels)[None, :]).astype(float)
    B = np.zeros((p, K))
    penalty = ridge * n * np.eye(p * K)
    for _ in range(50):
        eta = Xo @ B
        eta = np.c_[np.zeros(n), eta]
        eta -= eta.max(axis=1, keepdims=True)
        P = np.exp(eta)
        P /= P.sum(axis=1, keepdims=True)
        Pk = P[:, 1:]
        grad = (Xo.T @ (Y - Pk)).T.reshape(-1) - penalty @ B.T.reshape(-1)
        H = np.zeros((p * K, p * K))
        for a in range(K):
            for c in range(K):
                w = Pk[:, a] * ((a == c) - Pk[:, c])
                H[a * p:(a + 1) * p, c * p:(c + 1) * p] = (Xo * w[:, None]).T @ Xo
        H += penalty
        step = np.linalg.solve(H, grad)
        B += step.reshape(K, p).T
        if np.max(np.abs(step)) < 1e-8:
            break
    cov = np.linalg.inv(H)
    draw = B.T.reshape(-1) + np.linalg.cholesky((cov + cov.T) / 2 + 1e-12 * np.eye(p * K)) \
        @ rng.standard_normal(p * K)
    eta = np.c_[np.zeros((~obs).sum()), X[~obs] @ draw.reshape(K, p).T]
    eta -= eta.max(axis=1, keepdims=True)
    P = np.exp(eta)
    P /= P.sum(axis=1, keepdims=True)
    u = rng.random(len(P))
    return (u[:, None] > np.cumsum(P, axis=1)).sum(axis=1).clip(0, n_levels - 1)


def impute(data: pd.DataFrame, m: int = 20, n_iter: int = 10, seed: int = 0
           ) -> list[pd.DataFrame]:
    """``m`` completed copies of ``data`` by chained equations.

    Parameters
    ----------
    data : DataFrame
        Numeric columns (imputed by predictive mean matching) and categorical columns (object,
        category or boolean; imputed by logistic / multinomial regression); every column is a
        predictor of the others.
    m : int
        Number of imputed datasets.
    n_iter : int
        Sweeps over the incomplete columns per dataset.
    seed : int
        Seed of the one Generator every draw comes from: the same seed gives the same imputed
        datasets.

    Returns
    -------
    list of DataFrame
        The completed datasets, with the input's columns and dtypes (categoricals keep their
        categories).

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> d = pd.DataFrame({"x": [1.0, 2.0, np.nan, 4.0, 5.0, 6.0],
    ...                   "g": ["a", "b", "a", None, "b", "a"]})
    >>> out = impute(d, m=2, n_iter=2, seed=1)
    >>> [int(o.isna().sum().sum()) for o in out]
    [0, 0]
    """
    if not isinstance(data, pd.DataFrame) or data.empty:
        raise ModelDataError("impute: data must be a non-empty DataFrame")
    if not (isinstance(m, (int, np.integer)) and m >= 1):
        raise ParameterError(f"m must be a positive integer, not {m!r}")
    if not (isinstance(n_iter, (int, np.integer)) and n_iter >= 1):
        raise ParameterError(f"n_iter must be a positive integer, not {n_iter!r}")
    rng = np.random.default_rng(seed)
    categorical = {c: list(pd.Series(data[c]).dropna().unique()) for c in data.columns
                   if _is_categorical(data[c])}
    for c, levels in categorical.items():
        if isinstance(data[c].dtype, pd.CategoricalDtype):
            categorical[c] = [v for v in data[c].cat.categories if v in set(levels)]
        else:
            categorical[c] = sorted(levels, key=str)
    numeric = [c for c in data.columns if c not in categorical]
    for c in numeric:
        if not pd.api.types.is_numeric_dtype(data[c]):
            raise ModelDataError(f"impute: column {c!r} is neither numeric nor categorical")
    missing = {c: data[c].isna().to_numpy() for c in data.columns}
    for c in data.columns:
        if missing[c].all():
            raise ModelDataError(f"impute: column {c!r} has no observed value")
    incomplete = [c for c in data.columns if missing[c].any()]
    out = []
    for _ in range(m):
        cur = data.copy()
        for c in incomplete:  # start from random draws of the observed values
            obs_vals = data.loc[~missing[c], c].to_numpy()
            cur.loc[missing[c], c] = rng.choice(obs_vals, int(missing[c].sum()))
        for _ in range(n_iter):
            for c in incomplete:
                X = _design(cur, c, categorical)
                obs = ~missing[c]
                if c in categorical:
                    levels = categorical[c]
                    codes = pd.Categorical(cur[c], categories=levels).codes
                    draw = _multinomial(X, codes, len(levels), obs, rng)
                    cur.loc[missing[c], c] = np.asarray(levels, dtype=object)[draw]
                else:
                    y = cur[c].to_numpy(dtype=float)
                    cur.loc[missing[c], c] = _pmm(X, y, obs, rng)
        for c in categorical:
            if isinstance(data[c].dtype, pd.CategoricalDtype):
                cur[c] = pd.Categorical(cur[c], categories=data[c].cat.categories)
        out.append(cur)
    return out
