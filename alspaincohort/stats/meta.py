"""Random-effects meta-analysis and meta-regression of proportions, as metafor's ``escalc`` +
``rma`` (Viechtbauer 2010, J Stat Softw 36(3)); checked against stored metafor numbers in
``tests/results/meta/``.

Why not statsmodels: ``statsmodels.stats.meta_analysis.combine_effects`` has DerSimonian-Laird
and Paule-Mandel but no REML, no Hartung-Knapp for meta-regression, no Q-profile interval for
tau^2 / I^2 and no Freeman-Tukey back-transformation; these are short, well-specified formulas,
written here as pure functions on arrays.

Effect sizes (``escalc`` measures): "raw" (PR) y = x/n, v = y(1-y)/n; "logit" (PLO)
y = log(x/(n-x)), v = 1/x + 1/(n-x); "double_arcsine" (PFT) y = (asin sqrt(x/(n+1)) +
asin sqrt((x+1)/(n+1)))/2, v = 1/(4n+2). Continuity rule (metafor's default, add = 1/2 to
"only0"): for PR and PLO, studies with 0 or n events get 1/2 added to events and non-events
(n + 1 in all); PFT needs none.

tau^2 estimators: DerSimonian-Laird; REML and Paule-Mandel by the iterations metafor uses
(Fisher scoring; the generalised Q equation). Standard errors: Wald (normal) or Hartung-Knapp
(t with k - p df, no truncation, as metafor's ``test = "knha"``). I^2 = tau^2 / (tau^2 + s^2) with
s^2 the "typical" within-study variance; its CI comes from the Q-profile CI of tau^2.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy import optimize, stats

from ..errors import ModelDataError, ParameterError

TRANSFORMS = ("logit", "double_arcsine", "raw")
METHODS = ("REML", "DL", "PM")


def effect_sizes(events: ArrayLike, n: ArrayLike, transform: str = "logit"
                 ) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """(y, v): transformed proportions and their sampling variances (module docstring)."""
    x = np.asarray(events, dtype=float)
    n = np.asarray(n, dtype=float)
    if np.any(n <= 0) or np.any(x < 0) or np.any(x > n):
        raise ModelDataError("need 0 <= events <= n and n > 0 for every study")
    if transform == "double_arcsine":
        y = 0.5 * (np.arcsin(np.sqrt(x / (n + 1))) + np.arcsin(np.sqrt((x + 1) / (n + 1))))
        return y, 1.0 / (4 * n + 2)
    edge = (x == 0) | (x == n)
    x = np.where(edge, x + 0.5, x)
    n = np.where(edge, n + 1.0, n)
    if transform == "logit":
        return np.log(x / (n - x)), 1.0 / x + 1.0 / (n - x)
    if transform == "raw":
        p = x / n
        return p, p * (1 - p) / n
    raise ParameterError(f"transform must be one of {TRANSFORMS}, not {transform!r}")


def back_transform(y: ArrayLike, transform: str, n_harmonic: float | None = None
                   ) -> NDArray[np.float64]:
    """From the transformed scale to a proportion. The double arcsine uses Miller's (1978)
    inversion at the harmonic mean of the study sizes (metafor's ``transf.ipft.hm``)."""
    y = np.asarray(y, dtype=float)
    if transform == "logit":
        return 1.0 / (1.0 + np.exp(-y))
    if transform == "raw":
        return y
    if transform == "double_arcsine":
        if n_harmonic is None:
            raise ParameterError("the double arcsine back-transformation needs n_harmonic")
        nh = float(n_harmonic)
        t = 2 * y
        with np.errstate(invalid="ignore", divide="ignore"):
            s = np.sin(t)
            p = 0.5 * (1 - np.sign(np.cos(t)) * np.sqrt(1 - (s + (s - 1 / s) / nh) ** 2))
        lo = 0.5 * (np.arcsin(0.0) + np.arcsin(np.sqrt(1 / (nh + 1))))
        hi = 0.5 * (np.arcsin(np.sqrt(nh / (nh + 1))) + np.arcsin(1.0))
        p = np.where(y > hi, 1.0, np.where(y < lo, 0.0, p))
        return np.where(np.isnan(p), np.nan, p)
    raise ParameterError(f"transform must be one of {TRANSFORMS}, not {transform!r}")


@dataclass
class RMAFit:
    """A fitted random-effects model (``rma``): coefficients on the transformed scale."""

    beta: NDArray[np.float64]
    se: NDArray[np.float64]
    cov: NDArray[np.float64]
    tau2: float
    tau2_se: float
    q: float
    q_df: int
    q_pvalue: float
    i2: float
    h2: float
    df_test: float | None  # t df for Hartung-Knapp, None for Wald
    weights: NDArray[np.float64]  # percent, as metafor's weights()
    qm: float  # omnibus test of the moderators (excluding the intercept)
    qm_pvalue: float
    k: int
    p: int
    s2_typical: float


def _wls(y: NDArray, v: NDArray, X: NDArray, tau2: float) -> tuple[NDArray, NDArray, NDArray]:
    w = 1.0 / (v + tau2)
    XtW = X.T * w
    cov = np.linalg.inv(XtW @ X)
    beta = cov @ (XtW @ y)
    return beta, cov, w


def _tau2_dl(y: NDArray, v: NDArray, X: NDArray) -> float:
    k, p = X.shape
    w = 1.0 / v
    beta, cov, _ = _wls(y, v, X, 0.0)
    resid = y - X @ beta
    q = float((w * resid**2).sum())
    P = np.diag(w) - (w[:, None] * X) @ cov @ (X.T * w)
    return max(0.0, (q - (k - p)) / np.trace(P))


def reml_loglik(y: NDArray, v: NDArray, X: NDArray, tau2: float) -> float:
    """Restricted log-likelihood of tau^2 (up to a constant): -1/2 [sum log(v + tau^2) +
    log |X'WX| + sum w (y - X b)^2], W = diag(1 / (v + tau^2)), computed on an orthonormal
    basis of the columns of ``X``."""
    X = _basis(X)  # changes log |X'WX| by a constant only
    w = 1.0 / (v + tau2)
    xtwx = X.T @ (w[:, None] * X)
    b = np.linalg.solve(xtwx, X.T @ (w * y))
    r = y - X @ b
    return float(-0.5 * (np.log(v + tau2).sum() + np.linalg.slogdet(xtwx)[1]
                         + (w * r**2).sum()))


def _tau2_reml(y: NDArray, v: NDArray, X: NDArray, tol: float = 1e-12,
               max_iter: int = 1000) -> float:
    """Fisher scoring as metafor's, truncated at 0, with step halving on the restricted
    likelihood: metafor's undamped scoring can oscillate and stop ("Fisher scoring algorithm
    did not converge", 14 of 240 corpus datasets); halving makes every step an ascent, so it
    converges wherever the criterion has a maximum."""
    tau2 = _tau2_dl(y, v, X)  # metafor starts from a Hedges-type value; converges the same
    ll = reml_loglik(y, v, X, tau2)
    for _ in range(max_iter):
        w = 1.0 / (v + tau2)
        W = np.diag(w)
        cov = np.linalg.inv(X.T @ W @ X)
        P = W - W @ X @ cov @ X.T @ W
        Py = P @ y
        step = (float(Py @ Py) - np.trace(P)) / np.trace(P @ P)
        for _ in range(60):
            new = max(0.0, tau2 + step)
            ll_new = reml_loglik(y, v, X, new)
            # strict ascent: near the maximum, scoring with the expected information can
            # overshoot by a factor slightly above 1 and oscillate with growing amplitude
            # through differences of the criterion at rounding level
            if ll_new > ll or abs(new - tau2) < tol * max(1.0, tau2):
                break
            step /= 2
        if abs(new - tau2) < tol * max(1.0, tau2):
            return _reml_root(y, v, X, new)
        tau2, ll = new, max(ll, ll_new)
    raise ModelDataError(f"REML estimation of tau^2 did not converge in {max_iter} "
                         "iterations; use method='DL' or 'PM'")


def reml_score(y: NDArray, v: NDArray, X: NDArray, tau2: float) -> float:
    """Twice the derivative of the restricted log-likelihood in tau^2: y'PPy - tr(P), with
    P = W - WX(X'WX)^-1 X'W (computed on an orthonormal basis of the columns of ``X``)."""
    X = _basis(X)
    w = 1.0 / (v + tau2)
    W = np.diag(w)
    P = W - W @ X @ np.linalg.inv(X.T @ W @ X) @ X.T @ W
    Py = P @ y
    return float(Py @ Py - np.trace(P))


def _reml_root(y: NDArray, v: NDArray, X: NDArray, tau2: float) -> float:
    """Polish an interior REML estimate to the root of the score. Where the criterion is flat
    its differences sink below rounding long before the score's do, so scoring judged by the
    criterion stops ~1e-8 (relative) short; the score locates the maximum to ~1e-15."""
    if tau2 <= 0:
        return tau2
    f0 = reml_score(y, v, X, tau2)
    if f0 == 0:
        return tau2
    direction = 1.0 if f0 > 0 else -1.0
    width = 1e-7 * tau2
    for _ in range(60):
        other = max(0.0, tau2 + direction * width)
        f1 = reml_score(y, v, X, other)
        if np.sign(f1) != np.sign(f0):
            lo, hi = sorted((tau2, other))
            return float(optimize.brentq(lambda t: reml_score(y, v, X, t), lo, hi,
                                         xtol=1e-300, rtol=4 * np.finfo(float).eps))
        if other == 0.0:
            return 0.0  # the score keeps its sign down to 0: the maximum is on the boundary
        width *= 4
    return tau2


def _q_gen(y: NDArray, v: NDArray, X: NDArray, tau2: float) -> float:
    beta, _, w = _wls(y, v, X, tau2)
    return float((w * (y - X @ beta) ** 2).sum())


def _tau2_pm(y: NDArray, v: NDArray, X: NDArray) -> float:
    k, p = X.shape
    target = k - p
    if _q_gen(y, v, X, 0.0) <= target:
        return 0.0
    hi = 1.0
    while _q_gen(y, v, X, hi) > target:
        hi *= 10
    return float(optimize.brentq(lambda t: _q_gen(y, v, X, t) - target, 0.0, hi, xtol=1e-14,
                                 rtol=1e-14, maxiter=500))


def _basis(X: NDArray) -> NDArray:
    """An orthonormal basis of the column space of ``X`` (full column rank)."""
    return np.linalg.qr(X)[0]


def _check_moderators(X: NDArray, names: list[str] | None) -> None:
    """Refuse a moderator matrix that is not of full column rank (a moderator constant over
    the studies, an empty level, collinear moderators): metafor drops such columns with a
    warning ("Redundant predictors dropped"); a moderator the user named is never left out
    without an error here."""
    from .design import check_rank

    names = names or ["intercept", *[f"moderator {j}" for j in range(1, X.shape[1])]]
    check_rank(X, list(names), what="meta-regression moderators")


def rma(y: ArrayLike, v: ArrayLike, X: ArrayLike | None = None, method: str = "REML",
        test: str = "wald", names: list[str] | None = None) -> RMAFit:
    """Random/mixed-effects model of ``y`` with variances ``v`` (and moderators ``X`` with an
    intercept column when given); as metafor's ``rma(yi, vi, mods, method, test)``."""
    y = np.asarray(y, dtype=float)
    v = np.asarray(v, dtype=float)
    k = len(y)
    X = np.ones((k, 1)) if X is None else np.asarray(X, dtype=float)
    p = X.shape[1]
    if k == 1 and p == 1:
        # one study: metafor fixes tau^2 = 0 and uses the z-test ("Setting argument
        # test="z" since k=1"), so the pooled estimate is the study's own with its own CI
        se1 = np.sqrt(v)
        return RMAFit(beta=y.copy(), se=se1, cov=np.array([[v[0]]]), tau2=0.0,
                      tau2_se=float("nan"), q=0.0, q_df=0, q_pvalue=1.0, i2=0.0, h2=1.0,
                      df_test=None, weights=np.array([100.0]), qm=float("nan"),
                      qm_pvalue=float("nan"), k=1, p=1, s2_typical=float(v[0]))
    if k <= p:
        raise ModelDataError(f"{k} studies cannot estimate {p} coefficient(s) and tau^2")
    _check_moderators(X, names)
    # tau^2, Q, the typical variance and the SE of tau^2 depend on X only through its column
    # space: they are computed on an orthonormal basis of it, since an uncentred moderator such
    # as a publication year (~2000) leaves X'WX so ill-conditioned that the REML criterion
    # carries ~1e-11 of rounding and stops the scoring 1e-6 short
    Xb = _basis(X)
    if method == "DL":
        tau2 = _tau2_dl(y, v, Xb)
    elif method == "REML":
        tau2 = _tau2_reml(y, v, Xb)
    elif method == "PM":
        tau2 = _tau2_pm(y, v, Xb)
    else:
        raise ParameterError(f"method must be one of {METHODS}, not {method!r}")
    beta, cov, w = _wls(y, v, X, tau2)
    df_test = None
    if test == "knha":
        resid = y - X @ beta
        s2 = float((w * resid**2).sum()) / (k - p)
        cov = cov * s2
        df_test = float(k - p)
    elif test != "wald":
        raise ParameterError(f"test must be 'wald' or 'knha', not {test!r}")
    se = np.sqrt(np.diag(cov))
    # heterogeneity: residual Q with fixed-effect weights
    beta_fe, cov_fe, w_fe = _wls(y, v, Xb, 0.0)
    q = float((w_fe * (y - Xb @ beta_fe) ** 2).sum())
    q_df = k - p
    P = np.diag(w_fe) - (w_fe[:, None] * Xb) @ cov_fe @ (Xb.T * w_fe)
    s2_typical = (k - p) / np.trace(P)
    i2 = 100 * tau2 / (tau2 + s2_typical)
    h2 = (tau2 + s2_typical) / s2_typical
    # SE of tau^2 (REML information; metafor reports it for REML and ML)
    W = np.diag(w)
    Pm = W - W @ Xb @ np.linalg.inv(Xb.T @ W @ Xb) @ Xb.T @ W
    tau2_se = float(np.sqrt(2 / np.trace(Pm @ Pm)))
    if p > 1:
        b = beta[1:]
        qm = float(b @ np.linalg.solve(cov[1:, 1:], b))
        qm_p = float(stats.f.sf(qm / (p - 1), p - 1, k - p) if df_test else
                     stats.chi2.sf(qm, p - 1))
        if df_test:
            qm = qm / (p - 1)
    else:
        qm, qm_p = float("nan"), float("nan")
    return RMAFit(beta=beta, se=se, cov=cov, tau2=tau2, tau2_se=tau2_se, q=q, q_df=q_df,
                  q_pvalue=float(stats.chi2.sf(q, q_df)), i2=i2, h2=h2, df_test=df_test,
                  weights=100 * w / w.sum(), qm=qm, qm_pvalue=qm_p, k=k, p=p,
                  s2_typical=s2_typical)


def tau2_confint(y: ArrayLike, v: ArrayLike, X: ArrayLike | None = None,
                 level: float = 0.95) -> tuple[float, float]:
    """Q-profile confidence interval of tau^2 (Viechtbauer 2007), as metafor's ``confint``."""
    y = np.asarray(y, dtype=float)
    v = np.asarray(v, dtype=float)
    k = len(y)
    X = np.ones((k, 1)) if X is None else np.asarray(X, dtype=float)
    df = k - X.shape[1]
    X = _basis(X)
    alpha = 1 - level
    upper_q, lower_q = stats.chi2.ppf(1 - alpha / 2, df), stats.chi2.ppf(alpha / 2, df)

    def solve(target: float) -> float:
        if _q_gen(y, v, X, 0.0) < target:
            return 0.0
        hi = max(1.0, 10 * float(np.var(y)))
        while _q_gen(y, v, X, hi) > target:
            hi *= 10
        return float(optimize.brentq(lambda t: _q_gen(y, v, X, t) - target, 0.0, hi,
                                     xtol=1e-14, rtol=1e-14, maxiter=500))

    return solve(upper_q), solve(lower_q)
