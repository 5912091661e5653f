"""Shared-parameter joint model of a longitudinal marker and a time to event.

The marker follows a linear mixed model, y_ij = m_i(t_ij) + e_ij with m_i(t) = x_i(t)'beta +
z_i(t)'b_i, b_i ~ N(0, D), e_ij ~ N(0, sigma^2); the hazard is

    h_i(t) = h0(t) exp(w_i'gamma + alpha m_i(t) + alpha_slope m_i'(t)),

linked by the subject's true current value ("value"), its slope ("slope") or both, with a
Weibull baseline h0(t) = rho t^(rho - 1) (an intercept in w) or a piecewise-constant one
(xi_q on each interval between knots at quantiles of the follow-up times). Maximum likelihood
(Wulfsohn & Tsiatis, Biometrics 1997;53:330-339; Rizopoulos, J Stat Softw 2010;35(9), the R
package JM), with the integrals as JM computes them:

- over the random effects, pseudo-adaptive Gauss-Hermite quadrature (Rizopoulos, Comput Stat
  Data Anal 2012;56:491-501): each subject's nodes are centred at the empirical Bayes
  estimates of a linear mixed model fitted first (REML) and scaled by the Cholesky factor of
  their posterior covariance (Z_i'Z_i / sigma^2 + D^-1)^-1; the nodes stay fixed while the
  likelihood is maximised;
- over time, for the cumulative hazard, Gauss-Kronrod quadrature on (entry, T_i] (15 points
  for Weibull; 7 points on each piece of the piecewise-constant baseline).

The likelihood's score is analytic (posterior-weighted sums over the nodes); the maximum is
found by BFGS and polished by Newton steps on the observed information (the Jacobian of the
score by forward differences, as JM), whose inverse gives the standard errors.

Delayed entry: with an ``entry`` time the cumulative hazard runs from entry (the random
effects describe the subjects at risk at entry, as in JMbayes2).

Why written here: no Python package fits shared-parameter joint models, and JM (R) is pure
interpreted R; checked against ``JM::jointModel`` in ``tests/results/joint/``. References in
full: docs/sources.md section 7.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

import formulaic
import numpy as np
import pandas as pd
from scipy import optimize, sparse
from scipy.special import logsumexp, roots_hermite

from ..errors import ModelDataError, ParameterError
from ..validation import (
    check_choice,
    check_frame,
    check_integer,
    check_positive,
    check_survival,
)
from .base import Estimator
from .design import build
from .lmm import LinearMixedModel

BASELINES = ("weibull", "piecewise")
ASSOCIATIONS = ("value", "slope", "both")

# Gauss-Kronrod nodes and weights on [-1, 1]: the 7-point Gauss-Legendre nodes and their 8
# Kronrod extension points; the 15-point Kronrod weights and the 7-point Gauss weights
# (Piessens, de Doncker-Kapenga, Ueberhuber, Kahaner, QUADPACK, Springer 1983, routine QK15;
# the same values as JM's gaussKronrod()).
_GK_NODES = np.array([
    -0.949107912342758524526189684047851, -0.741531185599394439863864773280788,
    -0.405845151377397166906606412076961, 0.0, 0.405845151377397166906606412076961,
    0.741531185599394439863864773280788, 0.949107912342758524526189684047851,
    -0.991455371120812639206854697526329, -0.864864423359769072789712788640926,
    -0.586087235467691130294144838258730, -0.207784955007898467600689403773245,
    0.207784955007898467600689403773245, 0.586087235467691130294144838258730,
    0.864864423359769072789712788640926, 0.991455371120812639206854697526329])
_GK15 = (_GK_NODES, np.array([
    0.063092092629978553290700663189204, 0.140653259715525918745189590510238,
    0.190350578064785409913256402421014, 0.209482141084727828012999174891714,
    0.190350578064785409913256402421014, 0.140653259715525918745189590510238,
    0.063092092629978553290700663189204, 0.022935322010529224963732008058970,
    0.104790010322250183839876322541518, 0.169004726639267902826583426598550,
    0.204432940075298892414161999234649, 0.204432940075298892414161999234649,
    0.169004726639267902826583426598550, 0.104790010322250183839876322541518,
    0.022935322010529224963732008058970]))
_GK7 = (_GK_NODES[:7], np.array([
    0.129484966168869693270611432679082, 0.279705391489276667901467771423780,
    0.381830050505118944950369775488975, 0.417959183673469387755102040816327,
    0.381830050505118944950369775488975, 0.279705391489276667901467771423780,
    0.129484966168869693270611432679082]))


@dataclass
class _Quadrature:
    """Everything the likelihood needs that does not depend on the parameters: the designs,
    and (:func:`_with_nodes`) the quadrature nodes and what depends on them."""

    n_rows: np.ndarray       # (n,) marker rows per subject
    event: np.ndarray        # (n,) 0/1
    log_t: np.ndarray        # (n,) log event / censoring time
    W: np.ndarray            # (n, r) survival covariates
    XT: np.ndarray           # (n, p) marker design at T_i
    ZT: np.ndarray           # (n, q)
    dXT: np.ndarray          # (n, p) time derivative of the marker design at T_i
    dZT: np.ndarray          # (n, q)
    seg_subject: np.ndarray  # (S,) subject of each time-quadrature point
    seg_weight: np.ndarray   # (S,) its Gauss-Kronrod weight x half-length
    seg_log_s: np.ndarray    # (S,) log time
    seg_piece: np.ndarray    # (S,) piece of the baseline (piecewise)
    Xs: np.ndarray           # (S, p)
    Zs: np.ndarray           # (S, q)
    dXs: np.ndarray          # (S, p)
    dZs: np.ndarray          # (S, q)
    piece_of_event: np.ndarray  # (n,) piece holding T_i (piecewise)
    points_of: sparse.csr_matrix  # (n, S) subject x time-point indicator
    G: int                   # time points per subject when every subject has as many, else 0
    # per-subject sums of the marker rows: the residual sums of squares at every node come
    # from these in O(n K) instead of O(rows K)
    yy: np.ndarray           # (n,) sum y^2
    Xy: np.ndarray           # (n, p) sum x y
    XX: np.ndarray           # (n, p, p) sum x x'
    Zy: np.ndarray           # (n, q) sum z y
    ZX: np.ndarray           # (n, q, p) sum z x'
    ZZ: np.ndarray           # (n, q, q) sum z z'
    centre: np.ndarray       # (n, q) the nodes' centres (posterior means under the LMM)
    # the nodes and what depends on them (_with_nodes)
    B: np.ndarray = field(default_factory=lambda: np.empty((0, 0, 0)))  # (n, K, q)
    log_w: np.ndarray = field(default_factory=lambda: np.empty((0, 0)))  # (n, K)
    ZTb: np.ndarray = field(default_factory=lambda: np.empty((0, 0)))    # (n, K)
    dZTb: np.ndarray = field(default_factory=lambda: np.empty((0, 0)))   # (n, K)
    Zsb: np.ndarray = field(default_factory=lambda: np.empty((0, 0)))    # (S, K)
    dZsb: np.ndarray = field(default_factory=lambda: np.empty((0, 0)))   # (S, K)
    bZZb: np.ndarray = field(default_factory=lambda: np.empty((0, 0)))   # (n, K)
    # two (S, K) work arrays reused by every evaluation: fresh arrays of this size cost more
    # in page faults than the arithmetic (an exp over them took 29 ms in new memory, 5 ms in
    # memory already touched)
    work: list[np.ndarray] = field(default_factory=list)


def _with_nodes(q: _Quadrature, B: np.ndarray, log_w: np.ndarray) -> _Quadrature:
    """``q`` with the nodes ``B`` (n, K, q) of weights ``log_w`` (n, K)."""
    sub = q.seg_subject
    n, K, r = B.shape
    shape = (len(sub), K)
    if q.G:  # every subject has G time points, in order: a batched product, no gather

        def at_points(Zs: np.ndarray) -> np.ndarray:
            return np.matmul(Zs.reshape(n, q.G, r), B.transpose(0, 2, 1)).reshape(shape)
    else:

        def at_points(Zs: np.ndarray) -> np.ndarray:
            return np.einsum("sq,skq->sk", Zs, B[sub])

    return replace(q, B=B, log_w=log_w, ZTb=np.einsum("nq,nkq->nk", q.ZT, B),
                   dZTb=np.einsum("nq,nkq->nk", q.dZT, B),
                   Zsb=at_points(q.Zs), dZsb=at_points(q.dZs),
                   bZZb=np.einsum("nka,nab,nkb->nk", B, q.ZZ, B),
                   work=[np.zeros(shape), np.zeros(shape)])


def _subject_sums(y: np.ndarray, X: np.ndarray, Z: np.ndarray, codes: np.ndarray,
                  n: int) -> dict[str, np.ndarray]:
    """Per-subject sums of the marker rows, from which the residual sums of squares at every
    node follow in O(subjects x nodes) (:func:`_marker_log_density`): n_rows, yy, Xy, XX, Zy,
    ZX, ZZ."""
    def total(a: np.ndarray) -> np.ndarray:
        out = np.zeros((n, *a.shape[1:]))
        np.add.at(out, codes, a)
        return out

    return {"n_rows": np.bincount(codes, minlength=n).astype(np.float64), "yy": total(y * y),
            "Xy": total(X * y[:, None]), "XX": total(X[:, :, None] * X[:, None, :]),
            "Zy": total(Z * y[:, None]), "ZX": total(Z[:, :, None] * X[:, None, :]),
            "ZZ": total(Z[:, :, None] * Z[:, None, :])}


def _marker_log_density(sums: Any, beta: np.ndarray, sigma: float, B: np.ndarray,
                        bZZb: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """log p(y_i | b) at every node (n, K) and the residual sums of squares behind it:
    sum_j (y_j - x_j'beta - z_j'b)^2 = A - 2 c'b + b'(sum z z')b per subject. ``sums``: the
    fields of :func:`_subject_sums` (a mapping, or a :class:`_Quadrature`)."""
    get = sums.__getitem__ if isinstance(sums, dict) else lambda k: getattr(sums, k)
    A = get("yy") - 2 * get("Xy") @ beta + np.einsum("p,npr,r->n", beta, get("XX"), beta)
    c_lin = get("Zy") - get("ZX") @ beta                                # (n, q)
    ss = A[:, None] - 2 * np.einsum("nq,nkq->nk", c_lin, B) + bZZb
    n_i = get("n_rows")
    return (-0.5 * n_i * np.log(2 * np.pi * sigma**2))[:, None] - ss / (2 * sigma**2), ss


def _posterior_nodes(sums: dict[str, np.ndarray], beta: np.ndarray, D: np.ndarray,
                     sigma2: float, k: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Pseudo-adaptive Gauss-Hermite nodes of each subject's random effects: centred at the
    mixed model's posterior mean V Z'r / sigma^2 (r: the rows' residuals from the fixed
    effects ``beta``) and scaled by the Cholesky factor of V = (Z'Z / sigma^2 + D^-1)^-1, k
    points per random effect (``sums``: :func:`_subject_sums`). Returns the nodes (n, k^q, q),
    the log of each node's weight (n, k^q), the Jacobian of the scaling included (JM's
    inv.chol.VCs and det.inv.chol.VCs), and the centres (n, q)."""
    ZZ = sums["ZZ"]
    q = ZZ.shape[1]
    x1, w1 = roots_hermite(k)
    U = np.array(np.meshgrid(*[x1] * q, indexing="ij")).reshape(q, -1).T
    Wg = np.prod(np.array(np.meshgrid(*[w1] * q, indexing="ij")).reshape(q, -1).T, 1)
    log_wgh = q / 2 * np.log(2) + np.log(Wg) + (U * U).sum(1)
    V = np.linalg.inv(ZZ / sigma2 + np.linalg.inv(D))
    bhat = np.einsum("iab,ib->ia", V, sums["Zy"] - sums["ZX"] @ beta) / sigma2
    R = np.linalg.cholesky(np.linalg.inv(V)).transpose(0, 2, 1)  # upper, R'R = V^-1
    Rinv = np.linalg.inv(R)
    B = bhat[:, None, :] + np.sqrt(2) * np.einsum("iab,kb->ika", Rinv, U)
    return B, log_wgh[None, :] + np.log(np.abs(np.linalg.det(Rinv)))[:, None], bhat


class JointModel(Estimator):
    """Joint model of a marker's trajectory and a time to event (module docstring).

    Parameters
    ----------
    baseline : {"weibull", "piecewise"}
        Baseline hazard (JM's "weibull-PH-aGH" and "piecewise-PH-aGH").
    association : {"value", "slope", "both"}
        What of the true marker enters the hazard: its current value, its current slope
        (points per time unit), or both.
    n_knots : int
        Internal knots of the piecewise-constant baseline (at quantiles of the observed times;
        JM's default 6, i.e. 7 pieces).
    gh_points : int, optional
        Gauss-Hermite points per random effect (default 5 with at most 3 random effects, else
        3). JM uses 3 points from 2,000 marker rows on. With 3 points the approximate
        likelihood can have spurious maxima: on a 1,000-patient synthetic cohort with few VAS
        values per patient, BFGS from a crude start reached one 318 log-likelihood units above
        the maximum found with 5, 7 or 11 points (which agree to 1e-3), with the random-slope
        variance at 0.0008 instead of 0.0076 and the association at 0.161 instead of 0.191
        (JM on tests/results/joint/als_1000 likewise). Pass ``gh_points=3`` only to reproduce
        JM.
    gk_points : {7, 15}, optional
        Gauss-Kronrod points (default as JM: 15 for Weibull, 7 per piece for piecewise).
    tol : float
        Convergence: the largest absolute score component at the maximum (Newton polish).
    max_iter : int
        BFGS iterations at most.
    alpha : float
        1 - confidence level of the intervals.

    Attributes (after ``fit``)
    --------------------------
    params_, bse_, cov_params_ : Series / DataFrame
        Estimates with names "long: <term>", "log_sigma", "D: <i>,<j>" (the random-effect
        covariance, absolute scale), "surv: <term>", "alpha" (value), "alpha_slope",
        "log_shape" (Weibull) or "log_xi_<q>" (piecewise). Standard errors from the observed
        information (the variance parameters on the scale they are reported on).
    llf_ : float
        The log-likelihood with the quadrature above (comparable with JM's ``logLik``).
    knots_ : ndarray
        The piecewise baseline's knots (empty for Weibull).
    lmm_ : LinearMixedModel
        The REML fit whose empirical Bayes estimates centre the quadrature.
    converged_ : bool
    n_obs_, n_subjects_, n_events_ : int

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(1)
    >>> n = 200
    >>> b0, b1 = rng.normal(0, 1, n), rng.normal(0, 0.1, n)
    >>> T = rng.exponential(10 * np.exp(-0.5 * b0))
    >>> C = rng.uniform(2, 15, n)
    >>> surv = pd.DataFrame({"id": range(n), "time": np.minimum(T, C),
    ...                      "event": (T <= C).astype(int)})
    >>> long = pd.DataFrame([(i, t, b0[i] + (0.1 + b1[i]) * t + rng.normal(0, 0.5))
    ...                      for i in range(n) for t in range(0, 15, 2)
    ...                      if t < surv.time[i]], columns=["id", "t", "y"])
    >>> m = JointModel().fit(long, surv, "y ~ t", "~ t", "id", "t", "time", "event")
    >>> bool(0.2 < m.params_["alpha"] < 0.9)
    True
    """

    _x_spec: Any  # formulaic specifications of the fitted designs (new data's designs)
    _z_spec: Any
    _w_spec: Any

    def __init__(self, baseline: str = "weibull", association: str = "value",
                 n_knots: int = 6, gh_points: int | None = None, gk_points: int | None = None,
                 tol: float = 1e-6, max_iter: int = 1000, alpha: float = 0.05) -> None:
        super().__init__(alpha)
        check_choice(baseline, "baseline", BASELINES)
        check_choice(association, "association", ASSOCIATIONS)
        self.baseline, self.association = baseline, association
        self.n_knots = check_integer(n_knots, "n_knots", 1)
        self.gh_points = None if gh_points is None else check_integer(gh_points, "gh_points", 1)
        if gk_points is not None and gk_points not in (7, 15):
            raise ParameterError(f"gk_points must be 7 or 15, not {gk_points!r}")
        self.gk_points = gk_points
        self.tol = check_positive(tol, "tol")
        self.max_iter = check_integer(max_iter, "max_iter", 1)

    # ------------------------------------------------------------------------------------------
    def fit(self, long: pd.DataFrame, surv: pd.DataFrame, formula: str, re_formula: str,
            groups: str, time: str, duration: str, event: str, surv_formula: str | None = None,
            entry: str | None = None) -> JointModel:
        """Fit the joint model; returns ``self``.

        Parameters
        ----------
        long : DataFrame
            One row per marker measurement: ``groups``, ``time``, the outcome and covariates
            of ``formula`` (covariates other than ``time`` constant within a subject).
        surv : DataFrame
            One row per subject: ``groups``, ``duration``, ``event`` (0/1), the covariates of
            ``surv_formula`` and ``entry`` (delayed entry) when given.
        formula : str
            Fixed effects of the marker, e.g. ``"vas ~ months + age"``.
        re_formula : str
            Random effects, e.g. ``"~ months"`` (random intercept and slope).
        groups, time, duration, event : str
            Column names: the subject, the marker's time (same clock and unit as
            ``duration``), the follow-up time, the event indicator.
        surv_formula : str, optional
            Baseline covariates of the hazard, e.g. ``"~ age + bulbar"`` (default none).
        entry : str, optional
            Delayed entry time of each subject in ``surv``.
        """
        q = self._prepare(long, surv, formula, re_formula, groups, time, duration, event,
                          surv_formula, entry)
        theta0 = self._start(q)
        # two-stage start of the survival part (as JM's): its parameters maximised with the
        # marker part at the REML fit and the random effects at their posterior means (one
        # node: 1 / K of the work of an evaluation)
        surv = np.arange(self._dims["p"] + 1 + self._dims["q"] * (self._dims["q"] + 1) // 2,
                         len(theta0))
        q1 = _with_nodes(q, q.centre[:, None, :], np.zeros((len(q.event), 1)))

        def two_stage(ts: np.ndarray) -> tuple[float, np.ndarray]:
            th = theta0.copy()
            th[surv] = ts
            ll, g = self._loglik(th, q1, grad=True)
            return -ll, -g[surv]

        first = optimize.minimize(two_stage, theta0[surv], jac=True, method="BFGS",
                                  options={"maxiter": self.max_iter, "gtol": 1e-2})
        if np.all(np.isfinite(first.x)):
            theta0[surv] = first.x
        def objective(th: np.ndarray) -> tuple[float, np.ndarray]:
            ll, g = self._loglik(th, q, grad=True)
            return -ll, -g

        res = optimize.minimize(objective, theta0, jac=True, method="BFGS",
                                options={"maxiter": self.max_iter, "gtol": 1e-3})
        # Newton polish: BFGS's last steps are its slow ones, so it stops at a loose gradient;
        # steps with BFGS's own inverse-Hessian approximation follow while they halve the
        # gradient, then steps on the observed information (computed once, by differences)
        theta, ll, g = res.x, *self._loglik(res.x, q, grad=True)
        Hinv = np.asarray(res.hess_inv)  # of minus the log-likelihood
        H: np.ndarray | None = None
        H_at = theta
        converged = bool(np.max(np.abs(g)) < self.tol)
        for _ in range(30):
            if converged:
                break
            step = Hinv @ g if H is None else np.linalg.solve(-H, g)
            t = 1.0
            while t > 1e-4:
                ll_new, g_new = self._loglik(theta + t * step, q, grad=True)
                # at the maximum the log-likelihood is flat to its rounding (~1e-12 of it):
                # a Newton step on the information that shrinks the gradient is accepted
                if ll_new >= ll - 1e-12 or (H is not None and np.max(np.abs(g_new))
                                            < np.max(np.abs(g))):
                    break
                t /= 2
            else:
                if H is not None:
                    break
                H, H_at = self._hessian(theta, q), theta  # no ascent along the approximation
                continue
            if H is None and np.max(np.abs(g_new)) > 0.5 * np.max(np.abs(g)):
                H, H_at = self._hessian(theta, q), theta  # the approximation stalls
                continue
            theta, ll, g = theta + t * step, ll_new, g_new
            converged = bool(np.max(np.abs(g)) < self.tol)
        if H is None or np.max(np.abs(theta - H_at)) > 1e-4:  # closer: the information at
            H = self._hessian(theta, q)  # the maximum to ~1e-4 relative
        self._finish(theta, ll, H, q, converged)
        return self

    # ------------------------------------------------------------------------------------------
    def _prepare(self, long: pd.DataFrame, surv: pd.DataFrame, formula: str, re_formula: str,
                 groups: str, time: str, duration: str, event: str, surv_formula: str | None,
                 entry: str | None) -> _Quadrature:
        check_frame(long, "long", [groups, time], "JointModel")
        surv = check_frame(surv, "surv", [groups, duration, event]
                           + ([entry] if entry else []), "JointModel").reset_index(drop=True)
        if surv[groups].duplicated().any():
            dup = surv.loc[surv[groups].duplicated(), groups].iloc[0]
            raise ModelDataError(f"JointModel: surv has more than one row for {groups} "
                                 f"{dup!r}")
        t_all, e_all, s_all = check_survival(surv[duration], surv[event],
                                             surv[entry] if entry else None,
                                             names=(duration, event, entry or "entry"))
        # the hazard's time enters as log(time), and time starts at 0
        checks = [(t_all, t_all <= 0, duration)]
        if s_all is not None and entry is not None:
            checks.append((s_all, s_all < 0, entry))
        for values, rule, col in checks:
            if rule.any():
                i = int(np.flatnonzero(rule)[0])
                raise ModelDataError(f"JointModel: {col} must be > 0 for the time and >= 0 for "
                                     f"the entry; row {i} of surv has {values[i]:g}")
        if not e_all.any():
            raise ModelDataError("JointModel: no events in surv")
        long = long[long[groups].isin(set(surv[groups]))]
        lmm = LinearMixedModel(reml=True).fit(long, formula, groups, re_formula)
        if lmm.singular_:
            raise ModelDataError(
                "JointModel: the mixed model of the marker is singular (a random-effect "
                "variance at or near 0, as lme4's isSingular: covariance "
                f"{np.round(lmm.cov_re_.to_numpy(), 6).tolist()} for {list(lmm.cov_re_.index)})"
                ": the data do not identify these random effects, and the quadrature over them "
                f"needs a positive-definite covariance; simplify re_formula {re_formula!r} "
                "(e.g. '~ 1')")
        ids = list(lmm.random_effects_.index)
        sub = surv.set_index(groups).loc[ids].reset_index()
        if len(ids) < len(surv):
            raise ModelDataError(f"JointModel: {len(surv) - len(ids)} subject(s) of surv have "
                                 "no marker measurement")
        design = build(long, formula, extra=[groups, time], what="JointModel")
        if design.y is None:
            raise ModelDataError(f"JointModel: formula {formula!r} has no outcome")
        y = design.y
        rows = long.iloc[design.rows]
        z = build(rows, re_formula, what="JointModel random effects")
        codes = pd.Categorical(rows[groups], categories=ids).codes
        n, N = len(ids), len(rows)
        p, qd = design.X.shape[1], z.X.shape[1]
        self._x_names, self._z_names = design.x_names, z.x_names
        self._x_spec, self._z_spec = design.spec, z.spec
        self._time = time
        # covariates other than time must be constant within a subject
        first = pd.Series(np.arange(N)).groupby(codes, sort=True).first().to_numpy()
        self._subject_frame = rows.iloc[first].reset_index(drop=True)
        X_re = self._x_spec.get_model_matrix(self._subject_frame.iloc[codes].assign(
            **{time: rows[time].to_numpy()}).reset_index(drop=True))
        if not np.allclose(np.asarray(X_re, dtype=np.float64), design.X, rtol=1e-10, atol=1e-10):
            raise ModelDataError(f"JointModel: the covariates of {formula!r} other than "
                                 f"{time!r} must be constant within each subject")
        # survival covariates
        if surv_formula:
            sd = build(sub, surv_formula, intercept=self.baseline == "weibull",
                       what="JointModel survival")
            if len(sd.rows) != n:
                raise ModelDataError("JointModel: a survival covariate is missing for "
                                     f"{n - len(sd.rows)} subject(s)")
            W, w_names, self._w_spec = sd.X, sd.x_names, sd.spec
        else:
            W = np.ones((n, 1)) if self.baseline == "weibull" else np.zeros((n, 0))
            w_names = ["Intercept"] if self.baseline == "weibull" else []
            self._w_spec = None
        self._w_names = w_names
        self._formula = formula
        self._columns: dict[str, Any] = {"groups": groups, "time": time, "entry": entry}
        T = sub[duration].to_numpy(float)
        d = sub[event].to_numpy(float)
        E = np.zeros(n) if entry is None else sub[entry].to_numpy(float)
        # pseudo-adaptive Gauss-Hermite nodes from the REML fit (its empirical Bayes
        # estimates are the posterior means at the REML estimates)
        sums = _subject_sums(y, design.X, z.X, codes, n)
        B, log_w, centre = _posterior_nodes(sums, lmm.params_.to_numpy(),
                                            lmm.cov_re_.to_numpy(), lmm.scale_,
                                            self.gh_points or (5 if qd <= 3 else 3))
        XT, ZT, dXT, dZT = self._marker_design(np.arange(n), T)
        # time quadrature: the baseline's pieces (knots at quantiles of the observed times)
        if self.baseline == "weibull":
            knots = np.array([])
            self._bounds = np.array([0.0, np.inf])
            piece_T = np.zeros(n, dtype=np.int64)
        else:
            probs = np.linspace(0, 1, self.n_knots + 2)[1:-1]
            qs = np.unique(np.quantile(T, probs, method="linear")) + 1e-6
            if qs.max() > T.max():
                qs[np.argmax(qs)] = T.max() - 1e-6
            knots = qs
            self._bounds = np.concatenate([[0.0], qs, [T.max() + 1]])
            # JM: findInterval(Time, qs, rightmost.closed = TRUE)
            piece_T = self._piece(T)
        self.knots_ = knots
        grid = self._time_grid(np.arange(n), E, T)
        seg_subject, s = grid["subject"], grid["time"]
        seg_weight, seg_piece = grid["weight"], grid["piece"]
        Xs, Zs, dXs, dZs = grid["X"], grid["Z"], grid["dX"], grid["dZ"]
        S = len(s)
        points_of = sparse.csr_matrix((np.ones(S), (seg_subject, np.arange(S))), shape=(n, S))
        counts = np.bincount(seg_subject, minlength=n)
        G = int(counts[0]) if (counts == counts[0]).all() and (np.diff(seg_subject) >= 0).all() \
            else 0
        self.lmm_ = lmm
        self.n_obs_, self.n_subjects_, self.n_events_ = N, n, int(d.sum())
        self._dims = {"p": p, "q": qd, "r": W.shape[1],
                      "n_pieces": len(knots) + 1 if self.baseline == "piecewise" else 0}
        q = _Quadrature(
            event=d, log_t=np.log(T), W=W, XT=XT, ZT=ZT, dXT=dXT, dZT=dZT,
            seg_subject=seg_subject, seg_weight=seg_weight, seg_log_s=np.log(s),
            seg_piece=seg_piece, Xs=Xs, Zs=Zs, dXs=dXs, dZs=dZs, piece_of_event=piece_T,
            points_of=points_of, G=G, centre=centre, n_rows=sums["n_rows"], yy=sums["yy"],
            Xy=sums["Xy"], XX=sums["XX"], Zy=sums["Zy"], ZX=sums["ZX"], ZZ=sums["ZZ"])
        return _with_nodes(q, B, log_w)

    def _piece(self, t: np.ndarray) -> np.ndarray:
        """The piece of the baseline hazard holding each time (0 for Weibull)."""
        b = self._bounds
        return np.clip(np.searchsorted(b, t, side="right") - 1, 0, len(b) - 2)

    def _time_grid(self, subjects: np.ndarray, lo: np.ndarray, hi: np.ndarray,
                   frame: pd.DataFrame | None = None) -> dict[str, np.ndarray]:
        """Gauss-Kronrod points over (lo_i, hi_i] of each subject (cut at the knots of a
        piecewise baseline, as JM): subject, time, weight (node weight x half-length), piece,
        and the marker designs there (X, Z, dX, dZ)."""
        gk = self.gk_points or (15 if self.baseline == "weibull" else 7)
        sk, wk = _GK15 if gk == 15 else _GK7
        b = self._bounds
        if self.baseline == "weibull":
            a, z = lo[:, None], hi[:, None]
            piece = np.zeros((len(lo), 1), dtype=np.int64)
        else:
            a = np.maximum(np.minimum(hi[:, None], b[None, :-1]), lo[:, None])
            z = np.maximum(np.minimum(hi[:, None], b[None, 1:]), lo[:, None])
            piece = np.broadcast_to(np.arange(len(b) - 1), a.shape)
        half = (z - a) / 2
        keep = half >= np.sqrt(np.finfo(float).eps)  # JM drops pieces shorter than tol3
        subj = np.broadcast_to(np.asarray(subjects)[:, None], a.shape)[keep]
        h, mid, pc = half[keep], ((z + a) / 2)[keep], piece[keep]
        t = (h[:, None] * sk[None, :] + mid[:, None]).ravel()
        out = {"subject": np.repeat(subj, gk), "time": t,
               "weight": (h[:, None] * wk[None, :]).ravel(), "piece": np.repeat(pc, gk)}
        out["X"], out["Z"], out["dX"], out["dZ"] = self._marker_design(out["subject"], t,
                                                                        frame)
        return out

    def _marker_design(self, subjects: np.ndarray, times: np.ndarray,
                       frame: pd.DataFrame | None = None
                       ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """x(t), z(t) of the given subjects (rows of ``frame``, default the fitted subjects) at
        the given times, and their time derivatives (central differences: exact for designs
        linear in time, O(h^2) otherwise)."""
        frame = (self._subject_frame if frame is None else frame).iloc[subjects].reset_index(
            drop=True)

        def at(t: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
            f = frame.assign(**{self._time: t})
            try:
                return (np.asarray(self._x_spec.get_model_matrix(f), dtype=np.float64),
                        np.asarray(self._z_spec.get_model_matrix(f), dtype=np.float64))
            except formulaic.errors.FormulaicError as err:
                raise ModelDataError(
                    f"JointModel: the marker's design cannot be evaluated at the follow-up "
                    f"times ({float(t.min()):g} to {float(t.max()):g}), where the hazard "
                    f"needs it: {err}. A spline of {self._time!r} needs bounds covering the "
                    "whole follow-up (with a margin for the slope's differences), e.g. "
                    "bs(t, df=3, lower_bound=0, upper_bound=<a little after the last time>)"
                    ) from None

        X, Z = at(times)
        if self.association == "value":  # no slope: no derivative needed
            return X, Z, np.zeros_like(X), np.zeros_like(Z)
        h = 1e-4 * np.maximum(1.0, np.abs(times))
        Xp, Zp = at(times + h)
        Xm, Zm = at(times - h)
        return X, Z, (Xp - Xm) / (2 * h[:, None]), (Zp - Zm) / (2 * h[:, None])

    # ------------------------------------------------------------------------------------------
    def _unpack(self, theta: np.ndarray) -> dict[str, Any]:
        d = self._dims
        p, qd, r = d["p"], d["q"], d["r"]
        i = 0
        out: dict[str, Any] = {"beta": theta[i:i + p]}
        i += p
        out["log_sigma"] = theta[i]
        i += 1
        m = qd * (qd + 1) // 2
        L = np.zeros((qd, qd))
        L[np.tril_indices(qd)] = theta[i:i + m]
        L[np.diag_indices(qd)] = np.exp(np.diag(L))
        out["L"] = L
        i += m
        out["gamma"] = theta[i:i + r]
        i += r
        out["alpha"] = theta[i] if self.association in ("value", "both") else 0.0
        i += self.association in ("value", "both")
        out["alpha_slope"] = theta[i] if self.association in ("slope", "both") else 0.0
        i += self.association in ("slope", "both")
        out["hazard"] = theta[i:]
        return out

    def _loglik(self, theta: np.ndarray, q: _Quadrature, grad: bool = False
                ) -> tuple[float, np.ndarray]:
        """Log-likelihood and (``grad``) its score."""
        P = self._unpack(theta)
        beta, L, gamma = P["beta"], P["L"], P["gamma"]
        sigma = np.exp(P["log_sigma"])
        a_v, a_s = P["alpha"], P["alpha_slope"]
        qd = self._dims["q"]
        n = len(q.event)
        log_py, ss = _marker_log_density(q, beta, sigma, q.B, q.bZZb)
        # hazard at T and over time; the (time point x node) arrays are the cost: only those
        # the association uses, shaped (subject, point, node) when every subject has as many
        eta_w = q.W @ gamma if q.W.shape[1] else np.zeros(n)
        value, slope = self.association in ("value", "both"), self.association in ("slope",
                                                                                   "both")
        lin_T = np.zeros(q.ZTb.shape)
        lin_s, spare = q.work  # (S, K) buffers: passes over them are the cost
        fixed_s = np.zeros(len(q.seg_weight))
        if value:
            xb_T, xb_s = q.XT @ beta, q.Xs @ beta
            lin_T += a_v * (xb_T[:, None] + q.ZTb)
            np.multiply(q.Zsb, a_v, out=lin_s)
            fixed_s += a_v * xb_s
        if slope:
            dxb_T, dxb_s = q.dXT @ beta, q.dXs @ beta
            lin_T += a_s * (dxb_T[:, None] + q.dZTb)
            if value:
                np.multiply(q.dZsb, a_s, out=spare)
                lin_s += spare
            else:
                np.multiply(q.dZsb, a_s, out=lin_s)
            fixed_s += a_s * dxb_s
        if self.baseline == "weibull":
            log_rho = P["hazard"][0]
            rho = np.exp(log_rho)
            log_h0_T = log_rho + (rho - 1) * q.log_t
            log_h0_s = log_rho + (rho - 1) * q.seg_log_s
        else:
            log_xi = P["hazard"]
            log_h0_T = log_xi[q.piece_of_event]
            log_h0_s = log_xi[q.seg_piece]
        # integrand at each time point and node: GK weight x h0 x exp(w'gamma + lin)
        lin_s += (np.log(q.seg_weight) + log_h0_s + eta_w[q.seg_subject] + fixed_s)[:, None]
        c = np.exp(lin_s, out=lin_s)
        if q.G:
            c3 = c.reshape(n, q.G, -1)
            H = c3.sum(axis=1)                                          # (n, K)
        else:
            H = q.points_of @ c
        log_pt = q.event[:, None] * ((log_h0_T + eta_w)[:, None] + lin_T) - H
        # random effects density
        Linv = np.linalg.inv(L)
        v = np.einsum("ab,nkb->nka", Linv, q.B)
        log_det_D = 2 * np.log(np.diag(L)).sum()
        log_pb = -0.5 * qd * np.log(2 * np.pi) - 0.5 * log_det_D - 0.5 * (v * v).sum(-1)
        total = log_py + log_pt + log_pb + q.log_w
        log_li = logsumexp(total, axis=1)
        ll = float(log_li.sum())
        if not grad:
            return ll, np.empty(0)
        pi = np.exp(total - log_li[:, None])                            # posterior weights
        g = []
        b_bar = np.einsum("nk,nkq->nq", pi, q.B)                        # posterior means
        # beta: marker part sum_j x_j E[resid_j] / sigma^2, event part, cumulative hazard part
        g_beta = (q.Xy.sum(0) - q.XX.sum(0) @ beta
                  - np.einsum("nqp,nq->p", q.ZX, b_bar)) / sigma**2
        g_beta += q.XT.T @ (q.event * a_v) + q.dXT.T @ (q.event * a_s)
        def expected(a: np.ndarray) -> float:
            """sum over points and nodes of pi x c x a (a: an (S, K) array)"""
            if q.G:
                return float(np.einsum("nk,nk->", pi, np.einsum(
                    "ngk,ngk->nk", c3, a.reshape(c3.shape))))
            return float(np.einsum("sk,sk->", cpi, a))

        if q.G:  # E[c] per time point, without an (S, K) product
            cp = np.matmul(c3, pi[:, :, None])[..., 0].ravel()
        else:
            cpi = np.multiply(c, pi[q.seg_subject], out=spare)
            cp = cpi.sum(axis=1)
        g_beta -= q.Xs.T @ (cp * a_v) + q.dXs.T @ (cp * a_s)
        g.extend(g_beta)
        g.append(float((pi * ss).sum() / sigma**2 - q.n_rows.sum()))
        # D = L L' with log-diagonal: d log phi / dD = (D^-1 S D^-1 - n D^-1) / 2
        Dinv = Linv.T @ Linv
        S = np.einsum("nk,nka,nkb->ab", pi, q.B, q.B)
        G = 0.5 * (Dinv @ S @ Dinv - n * Dinv)
        gL = 2 * G @ L
        gL[np.diag_indices(qd)] *= np.diag(L)
        g.extend(gL[np.tril_indices(qd)])
        EH = (pi * H).sum(axis=1)
        if q.W.shape[1]:
            g.extend(q.W.T @ (q.event - EH))
        # d/d alpha: events' E[m(T)] - sum over points of E[c m(s)], m = x'beta + z'b
        if value:
            g.append(float(q.event @ (xb_T + np.einsum("nk,nk->n", pi, q.ZTb))
                           - cp @ xb_s) - expected(q.Zsb))
        if slope:
            g.append(float(q.event @ (dxb_T + np.einsum("nk,nk->n", pi, q.dZTb))
                           - cp @ dxb_s) - expected(q.dZsb))
        if self.baseline == "weibull":
            g.append(float((q.event * (1 + rho * q.log_t)).sum()
                           - (cp * (1 + rho * q.seg_log_s)).sum()))
        else:
            n_pieces = self._dims["n_pieces"]
            g.extend(np.bincount(q.piece_of_event, weights=q.event, minlength=n_pieces)
                     - np.bincount(q.seg_piece, weights=cp, minlength=n_pieces))
        return ll, np.asarray(g, dtype=float)

    def _hessian(self, theta: np.ndarray, q: _Quadrature) -> np.ndarray:
        """The Jacobian of the score by forward differences (as JM's "fd"), symmetrised."""
        k = len(theta)
        H = np.empty((k, k))
        g0 = self._loglik(theta, q, True)[1]
        for j in range(k):
            h = 1e-6 * max(1.0, abs(theta[j]))
            up = theta.copy()
            up[j] += h
            H[:, j] = (self._loglik(up, q, True)[1] - g0) / h
        return (H + H.T) / 2

    def _start(self, q: _Quadrature) -> np.ndarray:
        """Marker parameters from the REML fit; hazard from a constant-hazard fit with no
        association."""
        lmm = self.lmm_
        L = np.linalg.cholesky(lmm.cov_re_.to_numpy())
        Lp = L.copy()
        Lp[np.diag_indices(len(L))] = np.log(np.diag(L))
        rate = q.event.sum() / np.exp(q.log_t).sum()
        r = self._dims["r"]
        gamma = np.zeros(r)
        if self.baseline == "weibull":
            gamma[0] = np.log(rate)
            hazard = [0.0]
        else:
            hazard = [np.log(rate)] * self._dims["n_pieces"]
        assoc = [0.0] * (self.association == "both") + [0.0]
        return np.concatenate([lmm.params_.to_numpy(), [0.5 * np.log(lmm.scale_)],
                               Lp[np.tril_indices(len(L))], gamma, assoc, hazard])

    def _finish(self, theta: np.ndarray, ll: float, H: np.ndarray, q: _Quadrature,
                converged: bool) -> None:
        P = self._unpack(theta)
        names = [f"long: {x}" for x in self._x_names] + ["log_sigma"]
        zn = self._z_names
        names += [f"L: {zn[a]},{zn[b]}" for a, b in zip(*np.tril_indices(len(zn)), strict=True)]
        names += [f"surv: {w}" for w in self._w_names]
        names += ["alpha"] * (self.association in ("value", "both"))
        names += ["alpha_slope"] * (self.association in ("slope", "both"))
        if self.baseline == "weibull":
            names += ["log_shape"]
        else:
            names += [f"log_xi_{j + 1}" for j in range(self._dims["n_pieces"])]
        try:
            cov = np.linalg.inv(-H)
        except np.linalg.LinAlgError:
            cov = np.full_like(H, np.nan)
        internal = pd.Series(theta, index=names)
        self.internal_params_ = internal
        self.internal_cov_ = pd.DataFrame(cov, index=names, columns=names)
        # report D on its absolute scale (delta method from the Cholesky parameters)
        L = P["L"]
        D = L @ L.T
        qd = len(zn)
        tri = list(zip(*np.tril_indices(qd), strict=True))
        idx_L = [names.index(f"L: {zn[a]},{zn[b]}") for a, b in tri]
        J = np.eye(len(names))
        D_rows = []
        for a, b in tri:
            row = np.zeros(len(names))
            for m, (i, j) in enumerate(tri):
                # dD_ab / dtheta_(ij): D = L L', L_ij = exp(theta) on the diagonal
                dL = np.zeros((qd, qd))
                dL[i, j] = L[i, j] if i == j else 1.0
                dD = dL @ L.T + L @ dL.T
                row[idx_L[m]] = dD[a, b]
            D_rows.append(row)
        for m, row in zip(idx_L, D_rows, strict=True):
            J[m] = row
        out_names = list(names)
        values = theta.copy()
        for m, (a, b) in zip(idx_L, tri, strict=True):
            out_names[m] = f"D: {zn[a]},{zn[b]}"
            values[m] = D[a, b]
        cov_out = J @ cov @ J.T
        self.params_ = pd.Series(values, index=out_names)
        self.cov_params_ = pd.DataFrame(cov_out, index=out_names, columns=out_names)
        self.bse_ = pd.Series(np.sqrt(np.clip(np.diag(cov_out), 0, None)), index=out_names)
        self.llf_ = ll
        self.converged_ = converged

    # ------------------------------------------------------------------------------------------
    def predict_survival(self, long: pd.DataFrame, surv: pd.DataFrame, times: Any,
                         landmark: float | None = None, n_draws: int = 200,
                         gh_points: int = 9, seed: int = 0) -> pd.DataFrame:
        """Dynamic prediction: each subject's probability of surviving to each of ``times``
        given survival to the landmark and the marker values measured by then (JM's
        ``survfitJM``).

        pi_i(u | s) = E[S_i(u | b_i) / S_i(s | b_i)], the expectation over the posterior of the
        subject's random effects given their marker history and survival to s. The integral
        over b_i is computed by Gauss-Hermite quadrature centred at the subject's posterior
        under the mixed model (``gh_points`` per random effect), for the estimates and for
        ``n_draws`` draws of the parameters from their asymptotic normal distribution (JM
        draws the random effects by Metropolis-Hastings instead; quadrature has no Monte
        Carlo error for a given parameter draw).

        Parameters
        ----------
        long : DataFrame
            The subjects' marker rows (the columns of the fitted ``formula``, ``groups`` and
            ``time``); rows after the landmark are not used.
        surv : DataFrame
            One row per subject: ``groups`` and the survival covariates (and the entry time
            when the model was fitted with one).
        times : float or sequence of float
            Horizons on the model's clock.
        landmark : float, optional
            The time s of the prediction (the same for every subject; default each subject's
            last marker time).
        n_draws : int
            Parameter draws for the intervals (0: the estimate only).
        gh_points : int
            Gauss-Hermite points per random effect.
        seed : int
            Seed of the parameter draws.

        Returns
        -------
        DataFrame
            One row per subject and horizon: ``groups``, landmark, time, survival (at the
            estimates), mean and median over the draws, ci_low, ci_high (percentile interval
            at the model's level); 1 for a horizon at or before the landmark.
        """
        self._check_fitted()
        check_integer(n_draws, "n_draws", 0)
        check_integer(gh_points, "gh_points", 1)
        cols = self._columns
        g, tcol, ecol = cols["groups"], cols["time"], cols["entry"]
        horizons = np.atleast_1d(np.asarray(times, dtype=float))
        if horizons.ndim != 1 or not np.isfinite(horizons).all() or (horizons < 0).any():
            raise ParameterError(f"times must be finite times >= 0, not {times!r}")
        check_frame(long, "long", [g, tcol], "predict_survival")
        surv = check_frame(surv, "surv", [g] + ([ecol] if ecol else []),
                           "predict_survival").reset_index(drop=True)
        ids = list(surv[g])
        long = long[long[g].isin(set(ids))]
        if landmark is not None:
            if not np.isfinite(landmark) or landmark < 0:
                raise ParameterError(f"landmark must be a finite time >= 0, not {landmark!r}")
            long = long[long[tcol] <= landmark]
        design = build(long, self._formula, extra=[g, tcol], what="predict_survival")
        if design.y is None:
            raise ModelDataError("predict_survival: long has no marker values")
        y = design.y
        rows = long.iloc[design.rows]
        Z = np.asarray(self._z_spec.get_model_matrix(rows), dtype=np.float64)
        codes = pd.Categorical(rows[g], categories=ids).codes
        have = np.bincount(codes, minlength=len(ids))
        if (have == 0).any():
            raise ModelDataError(f"predict_survival: {int((have == 0).sum())} subject(s) of surv "
                                 f"have no marker value by the landmark (first: "
                                 f"{ids[int(np.flatnonzero(have == 0)[0])]!r})")
        n = len(ids)
        first = pd.Series(np.arange(len(rows))).groupby(codes, sort=True).first().to_numpy()
        frame = rows.iloc[first].reset_index(drop=True)
        s_i = (np.full(n, float(landmark)) if landmark is not None else
               rows.groupby(codes, sort=True)[tcol].max().to_numpy(float))
        E = np.zeros(n) if not ecol else pd.to_numeric(surv[ecol]).to_numpy(float)
        if self._w_spec is not None:
            Wdf = self._w_spec.get_model_matrix(surv)
            W = np.asarray(Wdf[list(self._w_names)], dtype=np.float64)
        else:
            W = np.ones((n, 1)) if self.baseline == "weibull" else np.zeros((n, 0))
        before = self._time_grid(np.arange(n), E, np.maximum(s_i, E), frame)
        after = [self._time_grid(np.arange(n), np.maximum(s_i, E), np.maximum(u, s_i), frame)
                 for u in horizons]
        rng = np.random.default_rng(seed)
        theta_hat = self.internal_params_.to_numpy()
        draws = [theta_hat]
        if n_draws:
            draws += list(rng.multivariate_normal(theta_hat, self.internal_cov_.to_numpy(),
                                                  size=n_draws, method="eigh"))
        sums = _subject_sums(y, design.X, Z, codes, n)
        out = np.empty((len(draws), n, len(horizons)))
        for m, theta in enumerate(draws):
            P = self._unpack(theta)
            beta, L, sigma = P["beta"], P["L"], np.exp(P["log_sigma"])
            B, log_w, _ = _posterior_nodes(sums, beta, L @ L.T, sigma**2, gh_points)
            log_py, _ = _marker_log_density(
                sums, beta, sigma, B, np.einsum("nka,nab,nkb->nk", B, sums["ZZ"], B))
            v = np.einsum("ab,nkb->nka", np.linalg.inv(L), B)
            log_pb = -0.5 * (v * v).sum(-1) - np.log(np.diag(L)).sum()
            eta_w = W @ P["gamma"] if W.shape[1] else np.zeros(n)
            H0 = self._cumulative(P, before, B, eta_w, n)
            log_post = log_py + log_pb - H0 + log_w
            post = np.exp(log_post - logsumexp(log_post, axis=1, keepdims=True))
            for j, grid in enumerate(after):
                out[m, :, j] = (post * np.exp(-self._cumulative(P, grid, B, eta_w, n))).sum(1)
        level = 1 - self.alpha
        res = pd.DataFrame({g: np.repeat(ids, len(horizons)),
                            "landmark": np.repeat(s_i, len(horizons)),
                            "time": np.tile(horizons, n),
                            "survival": out[0].ravel()})
        sims = out[1:] if n_draws else out[:1]
        res["mean"] = sims.mean(axis=0).ravel()
        res["median"] = np.median(sims, axis=0).ravel()
        res["ci_low"] = np.quantile(sims, (1 - level) / 2, axis=0).ravel()
        res["ci_high"] = np.quantile(sims, 1 - (1 - level) / 2, axis=0).ravel()
        at_or_before = res["time"] <= res["landmark"]
        res.loc[at_or_before, ["survival", "mean", "median", "ci_low", "ci_high"]] = 1.0
        return res

    def prediction_accuracy(self, long: pd.DataFrame, surv: pd.DataFrame, landmark: float,
                            window: float, duration: str, event: str,
                            gh_points: int = 9) -> dict[str, float]:
        """Accuracy of the dynamic predictions at a landmark (JM's ``aucJM`` / ``prederrJM``
        question): for the subjects still at risk at ``landmark``, the predicted risk of the
        event by ``landmark + window`` from their marker values up to the landmark, scored by
        the cumulative/dynamic AUC and the IPCW Brier score at that horizon
        (:mod:`alspaincohort.stats.prediction`, checked against ``riskRegression::Score``),
        with the censoring distribution of the subjects at risk.

        Parameters
        ----------
        long, surv : DataFrame
            As :meth:`predict_survival`; ``surv`` also holds ``duration`` and ``event``.
        landmark, window : float
            The landmark time and the prediction window (the model's time unit).
        duration, event : str
            Follow-up time and event columns of ``surv``.
        gh_points : int
            Gauss-Hermite points per random effect of the predictions.

        Returns
        -------
        dict
            landmark, horizon, n_at_risk, n_events (by the horizon), auc, brier.
        """
        from .concordance import CensoringDistribution
        from .prediction import brier_score, time_dependent_auc

        if not (np.isfinite(window) and window > 0):
            raise ParameterError(f"window must be a positive time, not {window!r}")
        for c in (duration, event):
            if c not in getattr(surv, "columns", []):
                raise ModelDataError(f"prediction_accuracy: column {c!r} not in surv")
        g = self._columns["groups"]
        t_all = pd.to_numeric(surv[duration]).to_numpy(float)
        at_risk = surv[t_all > landmark].reset_index(drop=True)
        seen = set(long.loc[long[self._columns["time"]] <= landmark, g])
        at_risk = at_risk[at_risk[g].isin(seen)].reset_index(drop=True)
        if len(at_risk) < 2:
            raise ModelDataError(f"prediction_accuracy: {len(at_risk)} subject(s) at risk at "
                                 f"{landmark:g} with a marker value by then")
        horizon = landmark + window
        pred = self.predict_survival(long, at_risk, [horizon], landmark=landmark, n_draws=0,
                                     gh_points=gh_points)
        risk = 1.0 - pred["survival"].to_numpy()
        t = at_risk[duration].to_numpy(float)
        e = at_risk[event].to_numpy(float).astype(int)
        cens = CensoringDistribution(t, e)
        return {"landmark": float(landmark), "horizon": float(horizon),
                "n_at_risk": len(at_risk), "n_events": int(((t <= horizon) & (e == 1)).sum()),
                "auc": time_dependent_auc(t, e, risk, horizon, censoring=cens),
                "brier": brier_score(t, e, risk, horizon, censoring=cens)}

    def _cumulative(self, P: dict[str, Any], grid: dict[str, np.ndarray], B: np.ndarray,
                    eta_w: np.ndarray, n: int) -> np.ndarray:
        """Cumulative hazard over a time grid (:meth:`_time_grid`) at every node: (n, K)."""
        sub = grid["subject"]
        lin = np.zeros((len(sub), B.shape[1]))
        if self.association in ("value", "both"):
            lin += P["alpha"] * ((grid["X"] @ P["beta"])[:, None]
                                 + np.einsum("sq,skq->sk", grid["Z"], B[sub]))
        if self.association in ("slope", "both"):
            lin += P["alpha_slope"] * ((grid["dX"] @ P["beta"])[:, None]
                                       + np.einsum("sq,skq->sk", grid["dZ"], B[sub]))
        if self.baseline == "weibull":
            rho = np.exp(P["hazard"][0])
            log_h0 = P["hazard"][0] + (rho - 1) * np.log(grid["time"])
        else:
            log_h0 = P["hazard"][grid["piece"]]
        c = np.exp(lin) * (grid["weight"] * np.exp(log_h0 + eta_w[sub]))[:, None]
        H = np.zeros((n, B.shape[1]))
        np.add.at(H, sub, c)
        return H

    def _describe(self) -> str:
        return (f"JointModel ({self.baseline} baseline, association {self.association}; "
                f"{self.n_subjects_} subjects, {self.n_events_} events, {self.n_obs_} marker "
                f"rows; log-likelihood {self.llf_:.4f})")
