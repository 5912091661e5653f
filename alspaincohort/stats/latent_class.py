"""Latent-class linear mixed models: lcmm's ``hlme`` with linear time.

Why written here: no maintained Python library fits a mixture of linear mixed models
(statsmodels' ``MixedLM`` has one population; scikit-learn's ``GaussianMixture`` has no random
effects and no unbalanced repeated measures). The reference implementation is R's
``lcmm::hlme`` (Proust-Lima C, Philipps V, Liquet B. Estimation of extended mixed models using
latent classes and latent processes: the R package lcmm. J Stat Softw 2017;78(2):1-56,
doi:10.18637/jss.v078.i02); this module is checked against it on a corpus of drawn datasets
(``tests/test_corpus_latent_class.py``).

Model
-----
Patient i belongs to latent class k with probability pi_k, a multinomial logit with the last
class as reference (pi_k = exp(xi_k) / sum_l exp(xi_l), xi_K = 0), as in hlme. Given class k,

    y_i = X_i beta_k + X_i b_i + e_i,   X_i = [1, t_i],   b_i ~ N(0, D),   e_i ~ N(0, sigma^2 I),

so each class has its own intercept and slope, and the random-effect covariance D and residual
variance are shared (hlme's ``mixture = ~ time, random = ~ time, nwg = FALSE``). The marginal
log-likelihood is sum_i log sum_k pi_k N(y_i; X_i beta_k, V_i), V_i = sigma^2 I + X_i D X_i'.

Computation
-----------
Everything comes from per-patient sufficient statistics X_i'X_i, X_i'y_i, y_i'y_i (as in
:mod:`alspaincohort.stats.lmm`): with D = sigma^2 L L' and M_i = I + L'X_i'X_i L (2 x 2),
log|V_i| = n_i log sigma^2 + log|M_i| and r'V_i^-1 r = (r'r - r'X_i L M_i^-1 L'X_i'r) / sigma^2
(Woodbury), so one evaluation costs a few batched 2 x 2 operations per patient and class.
The gradient is analytic: d/d beta_k = sum_i tau_ik X_i'V_i^-1 r_ik; d/dD = sum_ik tau_ik
(a a' - X_i'V_i^-1 X_i) / 2 with a = X_i'V_i^-1 r_ik; d/d sigma^2 = sum_ik tau_ik
(|V_i^-1 r_ik|^2 - tr V_i^-1) / 2; d/d xi_k = sum_i (tau_ik - pi_k), where tau_ik are the
posterior class probabilities.

Fitting has two phases. (1) 30 EM iterations from each start (k-means on per-patient
least-squares lines, or given parameters): posterior probabilities, class weights, weighted
GLS for each class's fixed effects, and D and sigma^2 from the conditional moments of the
random effects (the likelihood never decreases). EM is robust from poor starts but converges
linearly, so it only chooses the finalists. (2) From the best few EM answers (and from given
starting values directly, hlme's path), Marquardt-Newton steps on the full log-likelihood in
hlme's parametrisation (xi, beta, the upper Cholesky factor U of D = U'U, sigma), with the
analytic gradient and the exact Hessian (Louis' identity, :func:`_hessian`), until the Newton
decrement g'(-H)^-1 g is below ``tol``. hlme uses the same parametrisation and Marquardt
algorithm (marqLevAlg) with finite-difference derivatives and a looser default stop
(g'H^-1 g / p < 1e-4). Standard errors come from the inverse of -H; those of D by the delta
method from U.

Speed: every quantity is written entry by entry on arrays over (parameter vectors, patients,
classes), since NumPy's matmul on stacks of 2 x 2 matrices costs far more per matrix than the
arithmetic; a line search evaluates several step lengths in one pass on small data.
``benchmarks/bench_latent.py`` times a fit against ``lcmm::hlme`` from the same start.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from itertools import permutations
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from ..errors import ModelDataError, ParameterError
from ..validation import as_numeric, check_integer, check_positive
from .base import Estimator
from .design import ModelWarning

__all__ = ["LatentClassMixedModel", "match_classes"]

_LOG_2PI = float(np.log(2 * np.pi))


class _Stats:
    """Per-patient sufficient statistics for X = Z = [1, t]."""

    def __init__(self, groups: np.ndarray, time: np.ndarray, y: np.ndarray) -> None:
        codes, self.labels = pd.factorize(groups, sort=True)
        order = np.argsort(codes, kind="stable")
        codes, t, y = codes[order], time[order], y[order]
        starts = np.flatnonzero(np.r_[True, codes[1:] != codes[:-1]])
        X = np.column_stack([np.ones_like(t), t])
        self.n_i = np.diff(np.r_[starts, len(t)]).astype(float)
        self.XtX = np.add.reduceat(X[:, :, None] * X[:, None, :], starts, axis=0)
        self.Xty = np.add.reduceat(X * y[:, None], starts, axis=0)
        self.yty = np.add.reduceat(y * y, starts)
        self.N = float(len(y))
        self.G = len(starts)

    @classmethod
    def subset(cls, s: _Stats, keep: np.ndarray) -> _Stats:
        """The statistics of the patients in ``keep`` (boolean, one per patient)."""
        out = cls.__new__(cls)
        out.labels = s.labels[keep]
        out.n_i, out.XtX, out.Xty, out.yty = s.n_i[keep], s.XtX[keep], s.Xty[keep], s.yty[keep]
        out.N, out.G = float(out.n_i.sum()), int(keep.sum())
        return out


def _relative_cov(s: _Stats, l00: Any, l10: Any, l11: Any
                  ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """C = L M^-1 L' with M = L'S L + I for every patient (S = X_i'X_i, L lower triangular with
    entries l00, l10, l11, scalars or arrays broadcasting against the patients' axis), entry by
    entry: C00, C01, C11 and |M|. (Per-patient 2 x 2 algebra written out: NumPy's matmul on
    stacks of 2 x 2 matrices costs far more per matrix than the few products inside.)"""
    n, sx, sxx = s.XtX[:, 0, 0], s.XtX[:, 0, 1], s.XtX[:, 1, 1]
    m01 = l11 * (sx * l00 + sxx * l10)
    m00 = n * l00 * l00 + 2 * sx * l00 * l10 + sxx * l10 * l10 + 1.0
    m11 = sxx * l11 * l11 + 1.0
    det = m00 * m11 - m01 * m01
    i00, i01, i11 = m11 / det, -m01 / det, m00 / det
    C00 = l00 * l00 * i00
    C01 = l00 * (l10 * i00 + l11 * i01)
    C11 = l10 * l10 * i00 + 2 * l10 * l11 * i01 + l11 * l11 * i11
    return C00, C01, C11, det


def _unpack(phi: np.ndarray, K: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, Any]:
    """xi (K, last 0), betas (K, 2), U (2 x 2 upper), sigma from hlme's parameter vector; for a
    stack of vectors (P, n_parameters) each output gains a leading axis of length P."""
    phi = np.asarray(phi, dtype=float)
    xi = np.concatenate([phi[..., : K - 1], np.zeros(phi.shape[:-1] + (1,))], axis=-1)
    betas = np.stack([phi[..., K - 1: 2 * K - 1], phi[..., 2 * K - 1: 3 * K - 1]], axis=-1)
    U = np.zeros(phi.shape[:-1] + (2, 2))
    U[..., 0, 0], U[..., 0, 1], U[..., 1, 1] = (phi[..., 3 * K - 1 + j] for j in range(3))
    sigma = phi[..., 3 * K + 2]
    return xi, betas, U, (float(sigma) if phi.ndim == 1 else sigma)


def _pack(pis: np.ndarray, betas: np.ndarray, D: np.ndarray, sigma: float) -> np.ndarray:
    """hlme's parameter vector from class probabilities, fixed effects, D and sigma (U from a
    Cholesky factorisation of D, made positive semi-definite if it is not quite)."""
    xi = np.log(pis[:-1]) - np.log(pis[-1])
    w, v = np.linalg.eigh((D + D.T) / 2)
    D = (v * np.maximum(w, 0)) @ v.T
    d11 = max(D[0, 0], 0.0)
    u11 = np.sqrt(d11)
    u12 = D[0, 1] / u11 if u11 > 0 else 0.0
    u22 = np.sqrt(max(D[1, 1] - u12**2, 0.0))
    return np.r_[xi, betas[:, 0], betas[:, 1], u11, u12, u22, sigma].astype(float)


def _evaluate(s: _Stats, phi: np.ndarray, K: int, gradient: bool = False
              ) -> tuple[float, np.ndarray, np.ndarray | None]:
    """Log-likelihood, posterior probabilities (G, K) and, optionally, the analytic gradient."""
    if not abs(float(phi[3 * K + 2])) > 0:  # sigma 0 (or NaN): outside the model
        return -np.inf, np.full((s.G, K), np.nan), None
    ll, tau, grad = _evaluate_many(s, np.asarray(phi, dtype=float)[None], K, gradient)
    return float(ll[0]), tau[0], None if grad is None else grad[0]


def _evaluate_many(s: _Stats, phis: np.ndarray, K: int, gradient: bool = False
                   ) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    """:func:`_evaluate` at P parameter vectors at once (``phis`` of shape (P, n_parameters)):
    log-likelihoods (P,), posteriors (P, G, K) and gradients (P, n_parameters); a vector with
    sigma <= 0 gets -inf.

    The 2 x 2 algebra is written out entry by entry on arrays over (vectors, patients,
    classes): NumPy's matmul on stacks of 2 x 2 matrices costs far more per matrix than the
    few multiplications inside, and one pass over all P vectors (the Hessian's 2 n_parameters
    gradients) replaces P passes. S = X_i'X_i = [[n, sx], [sx, sxx]], L = U'/sigma, C =
    L M^-1 L' (:func:`_relative_cov`), r = X_i'y_i - S beta_k."""
    xi, betas, U, sigma = _unpack(phis, K)
    ok = sigma * sigma > 0
    sigma = np.where(ok, sigma, 1.0)
    s2 = sigma * sigma
    n, sx, sxx = s.XtX[:, 0, 0], s.XtX[:, 0, 1], s.XtX[:, 1, 1]
    u0, u1 = s.Xty[:, 0], s.Xty[:, 1]
    C00, C01, C11, det = _relative_cov(s, (U[:, 0, 0] / sigma)[:, None],
                                       (U[:, 0, 1] / sigma)[:, None],
                                       (U[:, 1, 1] / sigma)[:, None])  # (P, G)
    # residual moments per class (P, G, K)
    b0, b1 = betas[:, None, :, 0], betas[:, None, :, 1]
    r0 = u0[None, :, None] - (n[None, :, None] * b0 + sx[None, :, None] * b1)
    r1 = u1[None, :, None] - (sx[None, :, None] * b0 + sxx[None, :, None] * b1)
    C00k, C01k, C11k = C00[..., None], C01[..., None], C11[..., None]
    c0 = C00k * r0 + C01k * r1
    c1 = C01k * r0 + C11k * r1
    rr = (s.yty[None, :, None] - 2 * (u0[None, :, None] * b0 + u1[None, :, None] * b1)
          - b0 * (r0 - u0[None, :, None]) - b1 * (r1 - u1[None, :, None]))  # y'y-2u'b+b'Sb
    rc = r0 * c0 + r1 * c1
    s2k = s2[:, None, None]
    log_pi = xi - np.logaddexp.reduce(xi, axis=1, keepdims=True)
    logf = (-0.5 * (s.n_i[None, :, None] * (_LOG_2PI + np.log(s2k)) + np.log(det)[..., None]
                    + (rr - rc) / s2k) + log_pi[:, None, :])
    mx = logf.max(axis=2, keepdims=True)
    tot = mx[..., 0] + np.log(np.exp(logf - mx).sum(axis=2))
    tau = np.exp(logf - tot[..., None])
    ll = np.where(ok, tot.sum(axis=1), -np.inf)
    if not gradient:
        return ll, tau, None
    # a = X'V^-1 r = (r - S C r) / s2;  sum_i B_i = sum_i X'V^-1 X = sum_i (S - S C S) / s2
    e0 = n[None, :, None] * c0 + sx[None, :, None] * c1
    e1 = sx[None, :, None] * c0 + sxx[None, :, None] * c1
    a0, a1 = (r0 - e0) / s2k, (r1 - e1) / s2k
    sc00, sc01 = n * C00 + sx * C01, n * C01 + sx * C11
    sc10, sc11 = sx * C00 + sxx * C01, sx * C01 + sxx * C11
    B00 = (n.sum() - (sc00 * n + sc01 * sx).sum(axis=1)) / s2
    B01 = (sx.sum() - (sc00 * sx + sc01 * sxx).sum(axis=1)) / s2
    B11 = (sxx.sum() - (sc10 * sx + sc11 * sxx).sum(axis=1)) / s2
    ta0, ta1 = tau * a0, tau * a1
    GD00 = 0.5 * ((ta0 * a0).sum(axis=(1, 2)) - B00)
    GD01 = 0.5 * ((ta0 * a1).sum(axis=(1, 2)) - B01)
    GD11 = 0.5 * ((ta1 * a1).sum(axis=(1, 2)) - B11)
    # d ll / dU for D = U'U: 2 U GD (upper-triangular entries)
    GU00 = 2 * (U[:, 0, 0] * GD00 + U[:, 0, 1] * GD01)
    GU01 = 2 * (U[:, 0, 0] * GD01 + U[:, 0, 1] * GD11)
    GU11 = 2 * U[:, 1, 1] * GD11
    vr2 = (rr - 2 * rc + c0 * e0 + c1 * e1) / s2k**2  # |V^-1 r|^2
    trVinv = (s.n_i - (C00 * n + 2 * C01 * sx + C11 * sxx)) / s2[:, None]  # (P, G)
    g_s2 = 0.5 * (tau * (vr2 - trVinv[..., None])).sum(axis=(1, 2))
    g_xi = (tau.sum(axis=1) - s.G * np.exp(log_pi))[:, : K - 1]
    grad = np.concatenate([g_xi, ta0.sum(axis=1), ta1.sum(axis=1), GU00[:, None],
                           GU01[:, None], GU11[:, None], (2 * sigma * g_s2)[:, None]], axis=1)
    return ll, tau, grad


def _hessian(s: _Stats, phi: np.ndarray, K: int) -> np.ndarray:
    """Exact Hessian of the log-likelihood in hlme's parametrisation, by Louis' identity for
    mixtures: sum_i [sum_k tau_ik (H_ik + g_ik g_ik') - g_i g_i'], where g_ik and H_ik are
    the gradient and Hessian of log(pi_k f_k(y_i)) and g_i = sum_k tau_ik g_ik.

    For one class's Gaussian log-density with V = sigma^2 I + X D X' and psi = (D11, D12,
    D22, sigma^2), V_psi = X E X' (E the symmetric basis matrices) or I:
    d2/dbeta2 = -Q, d2/dbeta dpsi_m = -X'V^-1 V_m V^-1 r and d2/dpsi_m dpsi_l =
    tr(V^-1 V_m V^-1 V_l) / 2 - r'V^-1 V_m V^-1 V_l V^-1 r, with Q = X'V^-1 X, a = X'V^-1 r,
    Q2 = X'V^-2 X, a2 = X'V^-2 r, tr V^-2 and r'V^-3 r from the sufficient statistics by
    Woodbury (X'V^-1 = T X' / sigma^2 with T = I - S C). The chain rule to (U, sigma),
    D = U'U and sigma^2, adds the gradient in psi times the constant second derivatives of
    psi. The tests check it against Richardson differences of the log-likelihood."""
    xi, betas, U, sigma = _unpack(phi, K)
    s2 = sigma * sigma
    S = s.XtX  # (G, 2, 2)
    G = s.G
    C00, C01, C11, _ = _relative_cov(s, U[0, 0] / sigma, U[0, 1] / sigma, U[1, 1] / sigma)
    C = np.stack([np.stack([C00, C01], -1), np.stack([C01, C11], -1)], -2)
    SC = S @ C
    T = np.eye(2) - SC  # X'V^-1 = T X' / s2
    TT = T @ T
    Q = T @ S / s2  # X'V^-1 X (G, 2, 2)
    Q2 = TT @ S / s2**2  # X'V^-2 X
    w = s.Xty[:, None, :] - np.einsum("gij,kj->gki", S, betas)  # X'r (G, K, 2)
    a = np.einsum("gij,gkj->gki", T, w) / s2
    a2 = np.einsum("gij,gkj->gki", TT, w) / s2**2
    Cw = np.einsum("gij,gkj->gki", C, w)
    SCw = np.einsum("gij,gkj->gki", S, Cw)
    CSCw = np.einsum("gij,gkj->gki", C, SCw)
    rr = (s.yty[:, None] - 2 * s.Xty @ betas.T
          + np.einsum("kj,gkj->gk", betas, s.Xty[:, None, :] - w))  # r'r
    wCw = (w * Cw).sum(-1)
    wCSCw = (SCw * Cw).sum(-1)
    wCSCSCw = (SCw * CSCw).sum(-1)
    trSC = np.trace(SC, axis1=1, axis2=2)
    trSCSC = np.einsum("gij,gji->g", SC, SC)
    rV2r = (rr - 2 * wCw + wCSCw) / s2**2
    rV3r = (rr - 3 * wCw + 3 * wCSCw - wCSCSCw) / s2**3
    trV1 = (s.n_i - trSC) / s2
    trV2 = (s.n_i - 2 * trSC + trSCSC) / s2**2
    _, tau, _ = _evaluate(s, phi, K)
    pi = np.exp(xi - np.logaddexp.reduce(xi))
    E = np.array([[[1.0, 0.0], [0.0, 0.0]], [[0.0, 1.0], [1.0, 0.0]], [[0.0, 0.0], [0.0, 1.0]]])
    # gradient in psi per patient and class (G, K, 4)
    EQ = np.einsum("mij,gjl->gmil", E, Q)  # E_m Q
    Ea = np.einsum("mij,gkj->gkmi", E, a)  # E_m a
    g_psi = np.concatenate([0.5 * ((a[:, :, None, :] * Ea).sum(-1)
                                   - np.trace(EQ, axis1=2, axis2=3)[:, None, :]),
                            (0.5 * (rV2r - trV1[:, None]))[..., None]], axis=-1)
    # tau-weighted sums over patients and classes of the Hessian in psi (4 x 4) and of the
    # beta-psi cross blocks (K, 2, 4): the chain rule is linear, so it acts on the sums
    QEa = np.einsum("gij,gkmj->gkmi", Q, Ea)  # Q E_m a
    H_psi = np.empty((4, 4))
    H_psi[:3, :3] = (0.5 * np.einsum("g,gmij,glji->ml", tau.sum(1), EQ, EQ)
                     - np.einsum("gkmi,gkli->ml", tau[..., None, None] * Ea, QEa))
    H_psi[:3, 3] = H_psi[3, :3] = (
        0.5 * tau.sum(1) @ np.einsum("mij,gji->gm", E, Q2)
        - np.einsum("gkmi,gki->m", tau[..., None, None] * Ea, a2))
    H_psi[3, 3] = float((tau * (0.5 * trV2[:, None] - rV3r)).sum())
    H_bpsi = -np.concatenate([np.einsum("gk,gkmi->kim", tau, QEa),
                              np.einsum("gk,gki->ki", tau, a2)[..., None]], axis=-1)
    # chain rule to theta = (u11, u12, u22, sigma)
    u11, u12, u22 = U[0, 0], U[0, 1], U[1, 1]
    J = np.array([[2 * u11, 0, 0, 0], [u12, u11, 0, 0], [0, 2 * u12, 2 * u22, 0],
                  [0, 0, 0, 2 * sigma]])
    second = np.zeros((4, 4, 4))  # d2 psi_m / dtheta dtheta
    second[0, 0, 0] = 2.0
    second[1, 0, 1] = second[1, 1, 0] = 1.0
    second[2, 1, 1] = second[2, 2, 2] = 2.0
    second[3, 3, 3] = 2.0
    g_th = (g_psi.reshape(-1, 4) @ J).reshape(G, K, 4)
    # per patient-class gradients in the full vector
    q = 3 * K + 3
    g_full = np.zeros((G, K, q))
    g_full[:, :, : K - 1] = (np.eye(K) - pi)[None, :, : K - 1]
    for k in range(K):
        g_full[:, k, K - 1 + k] = a[:, k, 0]
        g_full[:, k, 2 * K - 1 + k] = a[:, k, 1]
    g_full[:, :, 3 * K - 1:] = g_th
    H = np.zeros((q, q))
    H[: K - 1, : K - 1] = -G * (np.diag(pi) - np.outer(pi, pi))[: K - 1, : K - 1]
    cov_idx = np.arange(3 * K - 1, q)
    H[np.ix_(cov_idx, cov_idx)] = (J.T @ H_psi @ J
                                   + np.tensordot((tau[..., None] * g_psi).sum((0, 1)),
                                                  second, axes=1))
    Qsum = np.einsum("gk,gij->kij", tau, Q)
    cross = H_bpsi @ J  # (K, 2, 4)
    for k in range(K):
        idx = np.array([K - 1 + k, 2 * K - 1 + k])
        H[np.ix_(idx, idx)] = -Qsum[k]
        H[np.ix_(idx, cov_idx)] = cross[k]
        H[np.ix_(cov_idx, idx)] = cross[k].T
    flat = g_full.reshape(-1, q)
    gi = np.einsum("gk,gkp->gp", tau, g_full)
    H += (tau.reshape(-1, 1) * flat).T @ flat - gi.T @ gi
    return (H + H.T) / 2


# ---------------------------------------------------------------------------------------------
# EM phase (parametrised by the relative factor L of D = sigma^2 L L', as the LMM engine)
def _outlier_posteriors(s: _Stats, K: int, rng: np.random.Generator) -> list[np.ndarray]:
    """Two starts with a small class of outlying patients: the 2% (at least one) with the
    highest, or the lowest, mean value form the last class; the others are split by k-means on
    ranks into the remaining K - 1. Mixtures often have a maximum with such a class, which
    partitions into comparable groups do not reach."""
    mean = s.Xty[:, 0] / s.n_i
    m = max(1, int(round(0.02 * s.G)))
    out = []
    for tail in (np.argsort(mean)[-m:], np.argsort(mean)[:m]):
        tau = np.zeros((s.G, K))
        rest = np.ones(s.G, dtype=bool)
        rest[tail] = False
        if K > 2:
            sub = _Stats.subset(s, rest)
            tau[rest, : K - 1] = _kmeans_posteriors(sub, K - 1, rng)
        else:
            tau[rest, 0] = 1.0
        tau[tail, K - 1] = 1.0
        out.append(0.9 * tau + 0.1 / K)
    return out


def _kmeans_posteriors(s: _Stats, K: int, rng: np.random.Generator, ranks: bool = True
                       ) -> np.ndarray:
    """Initial posteriors: k-means (k-means++ seeding, 10 Lloyd steps) on each patient's
    least-squares intercept and slope (the median slope for single-visit patients), either on
    their ranks (balanced classes) or standardised (a class can form around a few outlying
    patients, a kind of maximum rank-based partitions never reach)."""
    G = s.G
    coef = np.empty((G, 2))
    det = s.XtX[:, 0, 0] * s.XtX[:, 1, 1] - s.XtX[:, 0, 1] ** 2
    ok = det > 1e-9 * np.maximum(s.XtX[:, 1, 1], 1.0)
    coef[ok] = np.linalg.solve(s.XtX[ok], s.Xty[ok][:, :, None])[:, :, 0]
    mean_slope = np.median(coef[ok, 1]) if ok.any() else 0.0
    coef[~ok, 0] = (s.Xty[~ok, 0] - mean_slope * s.XtX[~ok, 0, 1]) / s.n_i[~ok]
    coef[~ok, 1] = mean_slope
    if ranks:
        z = (stats.rankdata(coef, axis=0) - 0.5) / G
    else:
        z = (coef - coef.mean(axis=0)) / (coef.std(axis=0) + 1e-12)
    centres = [z[rng.integers(G)]]
    for _ in range(1, K):
        dist = np.min([((z - c) ** 2).sum(axis=1) for c in centres], axis=0)
        centres.append(z[rng.choice(G, p=dist / dist.sum())] if dist.sum() > 0
                       else z[rng.integers(G)])
    C = np.array(centres)
    lab = np.zeros(G, dtype=int)
    for _ in range(10):
        lab = np.argmin(((z[:, None, :] - C[None]) ** 2).sum(axis=2), axis=1)
        C = np.array([z[lab == k].mean(axis=0) if (lab == k).any() else C[k] for k in range(K)])
    tau = np.full((G, K), 0.1 / max(K - 1, 1))
    tau[np.arange(G), lab] = 0.9
    return tau / tau.sum(axis=1, keepdims=True)


# covariance starts, relative to the total residual variance: random effects that explain a
# small and a large share of it (a large D lets EM merge the classes, a small one may split the
# wrong way; both are tried from every k-means partition)
_SMALL_D = np.array([[0.1, 0.0], [0.0, 0.02]])
_LARGE_D = np.array([[0.5, 0.0], [0.0, 0.1]])
_FINALISTS = 5


def _state(s: _Stats, phi: np.ndarray, K: int) -> tuple[np.ndarray, np.ndarray, float]:
    """EM state (posteriors, relative factor L, residual variance) at hlme's parameters."""
    _, tau, _ = _evaluate(s, phi, K)
    _, _, U, sigma = _unpack(phi, K)
    return tau, U.T / abs(sigma), sigma * sigma


def _em(s: _Stats, K: int, tau: np.ndarray, L: np.ndarray, s2: float, max_iter: int,
        tol: float) -> tuple[np.ndarray, float, int]:
    """EM from posteriors ``tau`` and a covariance start (D = s2 L L', residual variance s2);
    returns hlme's parameter vector, its log-likelihood and the number of iterations.

    Each iteration: class weights; each class's fixed effects by GLS with the posterior
    weights (an ECM step); then D and sigma^2 in closed form from the conditional moments of
    the random effects, E[b_i | y_i, k] = C_i X_i'r_ik and Var[b_i | y_i, k] = sigma^2 C_i with
    C_i = L M_i^-1 L' (Laird and Ware 1982, Biometrics 38:963-974), averaged over the classes
    with the posterior weights.
    """
    betas = np.zeros((K, 2))
    ll_old = -np.inf
    ll = -np.inf
    phi = np.zeros(3 * K + 3)
    n, sx, sxx = s.XtX[:, 0, 0], s.XtX[:, 0, 1], s.XtX[:, 1, 1]
    u0, u1 = s.Xty[:, 0], s.Xty[:, 1]
    it = 0
    for it in range(1, max_iter + 1):  # noqa: B007 (the count is returned)
        pis = np.clip(tau.mean(axis=0), 1e-12, None)
        pis = pis / pis.sum()
        C00, C01, C11, _ = _relative_cov(s, L[0, 0], L[1, 0], L[1, 1])
        sc00, sc01 = n * C00 + sx * C01, n * C01 + sx * C11
        sc10, sc11 = sx * C00 + sxx * C01, sx * C01 + sxx * C11
        # sigma^2 X'V^-1 X = S - S C S and sigma^2 X'V^-1 y = u - S C u, entry by entry
        W00 = n - (sc00 * n + sc01 * sx)
        W01 = sx - (sc00 * sx + sc01 * sxx)
        W11 = sxx - (sc10 * sx + sc11 * sxx)
        v0 = u0 - (sc00 * u0 + sc01 * u1)
        v1 = u1 - (sc10 * u0 + sc11 * u1)
        Wk = np.stack([tau.T @ W00, tau.T @ W01, tau.T @ W01, tau.T @ W11], axis=1)
        rhs = np.stack([tau.T @ v0, tau.T @ v1], axis=1)
        for k in range(K):
            W = Wk[k].reshape(2, 2)
            try:
                betas[k] = np.linalg.solve(W, rhs[k])
            except np.linalg.LinAlgError:
                betas[k] = np.linalg.lstsq(W, rhs[k], rcond=None)[0]
        b0, b1 = betas[None, :, 0], betas[None, :, 1]
        r0 = u0[:, None] - (n[:, None] * b0 + sx[:, None] * b1)  # (G, K)
        r1 = u1[:, None] - (sx[:, None] * b0 + sxx[:, None] * b1)
        c0 = C00[:, None] * r0 + C01[:, None] * r1  # E[b_i | y_i, k] = C X'r
        c1 = C01[:, None] * r0 + C11[:, None] * r1
        rr = (s.yty[:, None] - 2 * (u0[:, None] * b0 + u1[:, None] * b1)
              - b0 * (r0 - u0[:, None]) - b1 * (r1 - u1[:, None]))
        e0 = n[:, None] * c0 + sx[:, None] * c1
        e1 = sx[:, None] * c0 + sxx[:, None] * c1
        res = rr - 2 * (c0 * r0 + c1 * r1) + c0 * e0 + c1 * e1
        trace = n * C00 + 2 * sx * C01 + sxx * C11
        tc0, tc1 = tau * c0, tau * c1
        D = np.array([[(tc0 * c0).sum() + s2 * C00.sum(), (tc0 * c1).sum() + s2 * C01.sum()],
                      [0.0, (tc1 * c1).sum() + s2 * C11.sum()]]) / s.G
        D[1, 0] = D[0, 1]
        s2 = float(((tau * res).sum() + s2 * trace.sum()) / s.N)
        if not s2 > 0:
            break
        phi = _pack(pis, betas, D, float(np.sqrt(s2)))
        _, _, U, _ = _unpack(phi, K)
        L = U.T / np.sqrt(s2)
        ll, tau, _ = _evaluate(s, phi, K)
        if abs(ll - ll_old) <= tol * max(1.0, abs(ll)):
            break
        ll_old = ll
    return phi, ll, it


def _decrement(H: np.ndarray, g: np.ndarray) -> float:
    """Newton decrement g'(-H)^+ g, or inf where -H is not positive semi-definite (not a
    maximum). Directions of zero curvature count only through their gradient: at a singular D
    (a random-effect variance at 0) the likelihood is even in the Cholesky entry, with zero
    gradient and curvature there, and the maximum is still a maximum."""
    w, v = np.linalg.eigh(-H)
    top = max(float(w.max()), 1e-300)
    if w.min() < -1e-7 * top:
        return np.inf
    proj = v.T @ g
    flat = w <= 1e-10 * top
    if np.any(np.abs(proj[flat]) > 1e-6 * np.sqrt(top)):
        return np.inf
    return float((proj[~flat] ** 2 / w[~flat]).sum())


#: Patients times vectors up to which evaluations are batched (see :func:`_line_search`).
_BATCH_ROWS = 4096


def _line_search(s: _Stats, phi: np.ndarray, d: np.ndarray, K: int, best_ll: float,
                 best_phi: np.ndarray | None, tries: int
                 ) -> tuple[float, np.ndarray | None]:
    """Along phi + t d: backtrack from t = 1 by halving (``tries`` lengths) to the first
    log-likelihood above ``best_ll``, then double t while it keeps rising (up to 16). Returns
    the best log-likelihood and its parameters (``best_phi`` unchanged if none is better).

    The lengths are evaluated in batches (1 and 2 first, then up to eight halvings at a
    time), with the outcome of trying them one by one. Batches are for small data, where a
    call costs more than its arithmetic; on large data (``_BATCH_ROWS`` patients or more) the
    lengths go one at a time, as most searches end at t = 1."""
    def better(value: float, than: float) -> bool:
        return bool(np.isfinite(value) and value > than)

    batch = int(np.clip(_BATCH_ROWS // s.G, 1, 8))
    first = _evaluate_many(s, phi + np.outer([1.0, 2.0][:batch], d), K)[0]
    if better(first[0], best_ll):
        best_ll, best_phi, t = float(first[0]), phi + d, 2.0
        if batch == 1:
            first = np.r_[first, _evaluate(s, phi + 2.0 * d, K)[0]]
        if better(first[1], best_ll):
            best_ll, best_phi = float(first[1]), phi + 2.0 * d
            while t < 16:
                t *= 2
                ll_far = _evaluate(s, phi + t * d, K)[0]
                if not better(ll_far, best_ll):
                    break
                best_ll, best_phi = ll_far, phi + t * d
        return best_ll, best_phi
    seen: list[float] = []  # log-likelihoods at t = 1/2, 1/4, ...
    for lo in range(1, tries, batch):
        ts = 0.5 ** np.arange(lo, min(lo + batch, tries))
        seen += list(_evaluate_many(s, phi + np.outer(ts, d), K)[0])
        for j in range(lo - 1, len(seen)):
            if better(seen[j], best_ll):
                best_ll, best_phi = float(seen[j]), phi + 0.5 ** (j + 1) * d
                for i in range(j - 1, -1, -1):  # doubling: t = 2^-i ... 1/2, then 1 fell short
                    if not better(seen[i], best_ll):
                        break
                    best_ll, best_phi = float(seen[i]), phi + 0.5 ** (i + 1) * d
                return best_ll, best_phi
    return best_ll, best_phi


def _marquardt(s: _Stats, phi: np.ndarray, K: int, tol: float, max_iter: int
               ) -> tuple[np.ndarray, float, bool, int, np.ndarray]:
    """Newton steps with Levenberg-Marquardt damping and a backtracking line search on the full
    log-likelihood. Where the Hessian is indefinite (a saddle, e.g. two classes that coincide)
    the direction of most negative curvature is tried too, both ways, so the search does not
    stall there. Returns the parameters, log-likelihood, convergence (Newton decrement below
    tol * max(1, |ll|) at a negative semi-definite Hessian), steps taken and the Hessian. After
    convergence, up to three more full Newton steps are taken while they keep shrinking the
    decrement (the last digits of the estimates)."""
    ll, _, g = _evaluate(s, phi, K, True)
    assert g is not None
    H = _hessian(s, phi, K)
    converged = False
    lam = 0.0
    it = 0
    for it in range(1, max_iter + 1):  # noqa: B007 (the count is returned)
        dec = _decrement(H, g)
        if dec <= tol * max(1.0, abs(ll)):
            converged = True
            break
        A = -H
        w, v = np.linalg.eigh(A)
        top = max(float(np.abs(w).max()), 1e-300)
        # Marquardt's damping, scaled by the diagonal (invariant to rescaling a parameter),
        # raised until the damped matrix is positive definite
        diag = np.maximum(np.abs(np.diag(A)), 1e-12 * top)
        mu = lam
        while True:
            try:
                R = np.linalg.cholesky(A + mu * np.diag(diag))
                break
            except np.linalg.LinAlgError:
                mu = max(mu * 10, 1e-4)
        directions = [np.linalg.solve(R.T, np.linalg.solve(R, g))]
        if w.min() < -1e-7 * top:
            d = v[:, 0] * (1.0 if v[:, 0] @ g >= 0 else -1.0)
            scale = np.linalg.norm(directions[0]) or 1.0
            directions += [t * d for t in (scale, -scale, 1.0, -1.0, 0.1, -0.1)]
        best_ll, best_phi = ll, None
        for n_dir, d in enumerate(directions):
            # the escape directions of a saddle get a shorter search: they only need to leave
            best_ll, best_phi = _line_search(s, phi, d, K, best_ll, best_phi,
                                             30 if n_dir == 0 else 8)
        if best_phi is None or best_ll - ll <= 1e-15 * max(1.0, abs(ll)):
            if mu >= 1e8:
                break
            lam = max(mu * 100, 1e-4)
            continue
        lam = mu / 10 if mu > 1e-6 else 0.0
        phi, ll = best_phi, best_ll
        g = _evaluate(s, phi, K, True)[2]
        assert g is not None
        H = _hessian(s, phi, K)
    if converged:
        dec = _decrement(H, g)
        for _ in range(3):
            w, v = np.linalg.eigh(-H)
            keep = w > 1e-10 * max(float(w.max()), 1e-300)
            new = phi + v[:, keep] @ ((v[:, keep].T @ g) / w[keep])
            ll_new, _, g_new = _evaluate(s, new, K, True)
            if not (np.isfinite(ll_new) and ll_new >= ll - 1e-13 * max(1.0, abs(ll))):
                break
            assert g_new is not None
            H_new = _hessian(s, new, K)
            dec_new = _decrement(H_new, g_new)
            if not dec_new < 0.5 * dec:
                break
            phi, ll, g, H, dec = new, ll_new, g_new, H_new, dec_new
    return phi, ll, converged, it - 1 if converged else it, H


def match_classes(a: np.ndarray, b: np.ndarray) -> tuple[int, ...]:
    """The permutation ``perm`` of b's classes closest to a's: ``b[perm]`` lines up with ``a``.

    Parameters
    ----------
    a, b : ndarray, shape (K, m)
        Class-specific parameters (e.g. intercept and slope) of two fits.

    Returns
    -------
    tuple of int
        Indices into ``b``, minimising the summed squared distance over the K! orderings.

    Examples
    --------
    >>> import numpy as np
    >>> match_classes(np.array([[0.0, 1], [5, 0]]), np.array([[5.1, 0], [0.2, 1]]))
    (1, 0)
    """
    a, b = np.asarray(a, float), np.asarray(b, float)
    K = len(a)
    return min(permutations(range(K)), key=lambda p: float(((a - b[list(p)]) ** 2).sum()))


class LatentClassMixedModel(Estimator):
    """Latent-class linear mixed model with linear time (lcmm's ``hlme``).

    Parameters
    ----------
    n_classes : int
        Number of latent classes K (>= 1).
    n_starts : int
        Seeded k-means partitions (alternately on ranks and on standardised values), each with
        a small and a large covariance start, plus two with a small class of outlying
        patients; the best few after a short EM race are polished. 0 (with ``init``) uses
        only the given starting values, as hlme does.
    seed : int or None
        Seed of the starts; the same seed gives identical output.
    tol : float
        Convergence: Newton decrement g'(-H)^-1 g <= tol * max(1, |log-likelihood|).
    em_tol : float
        EM stops (and Newton takes over) when the log-likelihood changes by less than
        em_tol * max(1, |log-likelihood|) in an iteration.
    max_em_iter : int
        EM iterations from each start at most before the best few go on to Newton's method
        (EM only chooses the finalists: its linear convergence makes more of it slower than
        the Newton steps it would save).
    max_newton_iter : int
        Newton iterations at most from each finalist.
    alpha : float
        1 - confidence level of :meth:`conf_int` and ``summary``.

    Attributes
    ----------
    params_ : Series
        hlme's estimates in hlme's order: ``logit_class{k}`` (k < K; the last class is the
        reference), ``intercept_class{k}``, ``time_class{k}``, ``re_var_intercept``,
        ``re_cov``, ``re_var_time`` (the random-effect covariance D) and ``residual_sd``.
        Classes are numbered from 0.
    bse_ : Series
        Standard errors (inverse observed information; D's by the delta method).
    cov_params_ : DataFrame
        Their covariance matrix.
    llf_, aic_, bic_ : float
        Log-likelihood; AIC and BIC as hlme (BIC with log of the number of patients).
    shares_ : ndarray
        Class probabilities pi_k.
    re_cov_ : DataFrame
        D, the random-effect covariance (intercept, time).
    scale_ : float
        Residual variance sigma^2.
    posterior_ : DataFrame
        One row per patient (index: patient), ``p_0`` ... ``p_{K-1}`` posterior class
        probabilities and ``class``, the most probable.
    entropy_ : float
        Relative entropy of the posteriors (1 = perfectly separated; 1 for K = 1).
    converged_ : bool
        The Newton decrement met ``tol`` at a negative-definite Hessian.
    n_em_iter_, n_newton_iter_ : int
    n_obs_, n_groups_ : int

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(1)
    >>> g = np.repeat(np.arange(120), 5); t = np.tile(np.arange(5.0), 120)
    >>> cls = np.repeat(rng.random(120) < 0.4, 5)
    >>> y = np.where(cls, 60 - 2 * t, 20 + 0.5 * t) + np.repeat(rng.normal(0, 3, 120), 5)
    >>> d = pd.DataFrame({"id": g, "t": t, "y": y + rng.normal(0, 2, 600)})
    >>> m = LatentClassMixedModel(n_classes=2, seed=1).fit(d, "y", "t", "id")
    >>> np.round(np.sort(m.shares_), 2)
    array([0.38, 0.62])
    """

    def __init__(self, n_classes: int = 2, n_starts: int = 5, seed: int | None = 0,
                 tol: float = 1e-10, em_tol: float = 1e-6, max_em_iter: int = 30,
                 max_newton_iter: int = 100, alpha: float = 0.05) -> None:
        super().__init__(alpha)
        self.n_classes = check_integer(n_classes, "n_classes", low=1)
        self.n_starts = check_integer(n_starts, "n_starts", low=0)
        if seed is not None:
            check_integer(seed, "seed")
        self.seed = seed
        self.tol = check_positive(tol, "tol")
        self.em_tol = check_positive(em_tol, "em_tol")
        self.max_em_iter = check_integer(max_em_iter, "max_em_iter", low=1)
        self.max_newton_iter = check_integer(max_newton_iter, "max_newton_iter", low=1)

    # ------------------------------------------------------------------------------------------
    def fit(self, data: pd.DataFrame, y: str, time: str, groups: str,
            init: Mapping[str, Any] | None = None) -> LatentClassMixedModel:
        """Fit to long data (one row per measurement).

        Parameters
        ----------
        data : DataFrame
        y, time, groups : str
            Columns of the outcome, the time and the patient identifier. No missing values.
        init : mapping, optional
            Starting values (as hlme's ``B``): ``shares`` (K), ``betas`` (K x 2: intercept,
            slope), ``re_cov`` (2 x 2) and ``residual_sd``. Two paths start there, EM
            followed by Newton, and Newton alone (hlme's path); they compete with the
            ``n_starts`` seeded starts and the highest maximum is kept.

        Returns
        -------
        self
        """
        K = self.n_classes
        if not isinstance(data, pd.DataFrame):
            raise ParameterError(f"data must be a pandas DataFrame, not {type(data).__name__}")
        if len(data) == 0:
            raise ModelDataError("LatentClassMixedModel: the data have no rows")
        for col in (y, time, groups):
            if col not in getattr(data, "columns", []):
                raise ModelDataError(f"LatentClassMixedModel: column {col!r} is not in the data")
        yv = as_numeric(data[y], f"column {y!r}")
        tv = as_numeric(data[time], f"column {time!r}")
        gv = data[groups].to_numpy()
        if pd.isna(gv).any():
            bad = int(np.flatnonzero(pd.isna(gv))[0])
            raise ModelDataError(f"column {groups!r} has a missing patient id (row {bad})")
        s = _Stats(gv, tv, yv)
        if s.G < max(2, K):
            raise ModelDataError(f"LatentClassMixedModel: {s.G} patient(s) cannot identify "
                                 f"{K} classes")
        if s.N < 3 * K + 4:
            raise ModelDataError(f"LatentClassMixedModel: {int(s.N)} measurements for "
                                 f"{3 * K + 3} parameters")
        if s.n_i.max() < 2:
            raise ModelDataError(
                "LatentClassMixedModel: every patient has a single measurement, so the "
                "residual variance cannot be told apart from the random effects (the model "
                "is not identified)")
        if np.ptp(tv) == 0:
            raise ModelDataError(f"column {time!r} is constant: no slope can be estimated")
        s2_start = self._residual_variance(s)
        direct: list[tuple[np.ndarray, int]] = []
        starts: list[tuple[np.ndarray, np.ndarray, float]] = []
        if init is not None:
            phi_init = self._init_vector(init)
            starts = [_state(s, phi_init, K)]
            direct = [(phi_init, 0)]  # also Newton straight from the given values, as hlme
        if init is None and self.n_starts == 0:
            raise ParameterError("n_starts = 0 needs starting values (init)")
        if K == 1:
            starts.append((np.ones((s.G, 1)), _SMALL_D, s2_start))
        elif self.n_starts > 0:
            rng = np.random.default_rng(self.seed)
            partitions = [_kmeans_posteriors(s, K, rng, ranks=i % 2 == 0)
                          for i in range(self.n_starts)]
            partitions += _outlier_posteriors(s, K, rng)
            starts += [(tau, L, s2_start) for tau in partitions for L in (_SMALL_D, _LARGE_D)]
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            # short EM runs from every start; the best few go on to Newton's method
            runs = [_em(s, K, *start, self.max_em_iter, self.em_tol) for start in starts]
            order = sorted(range(len(runs)), reverse=True,
                           key=lambda i: runs[i][1] if np.isfinite(runs[i][1]) else -np.inf)
            if init is not None and 0 not in order[:_FINALISTS]:
                order = [0, *order]  # the given start always goes on to Newton's method
            finalists = [(runs[i][0], runs[i][2])
                         for i in order[:_FINALISTS + (init is not None)]]
            best: tuple[np.ndarray, float, bool, int, np.ndarray, int] | None = None
            tried: list[np.ndarray] = []
            for phi0, n_em in finalists + direct:
                if any(np.allclose(phi0, p, rtol=1e-10, atol=0) for p in tried):
                    continue  # two starts ended at the same EM answer: polish it once
                tried.append(phi0)
                cand = self._split_coincident(
                    s, (*_marquardt(s, phi0, K, self.tol, self.max_newton_iter), n_em))
                if best is None or cand[1] > best[1]:
                    best = cand
            assert best is not None
            phi, ll, converged, n_newton, H, n_em = best
            ll, tau, _ = _evaluate(s, phi, K)
        if not np.isfinite(ll):
            raise ModelDataError("LatentClassMixedModel: the log-likelihood is not finite at "
                                 "any start (degenerate data)")
        self._store(s, phi, ll, tau, H, converged, n_em, n_newton)
        return self

    def _split_coincident(self, s: _Stats, best: tuple[Any, ...]) -> tuple[Any, ...]:
        """Two classes with the same intercept and slope make a (K-1)-class model in disguise,
        a stationary point the search can stop at. Pull each such pair apart (intercepts by
        +-sigma/2 and slopes by +-sigma/(2 x time span), either way) and polish again; keep
        the higher maximum."""
        K = self.n_classes
        phi = best[0]
        _, betas, _, sigma = _unpack(phi, K)
        span = max(float(np.sqrt(max(s.XtX[:, 1, 1].sum() / s.N, 1e-12))), 1e-6)
        for k in range(K):
            for j in range(k + 1, K):
                gap = np.abs(betas[k] - betas[j]) / np.array([abs(sigma), abs(sigma) / span])
                if np.all(gap > 1e-3):
                    continue
                for sign in (1.0, -1.0):
                    trial = phi.copy()
                    step = sign * 0.5 * abs(sigma) * np.array([1.0, 1.0 / span])
                    trial[[K - 1 + k, 2 * K - 1 + k]] += step
                    trial[[K - 1 + j, 2 * K - 1 + j]] -= step
                    cand = _marquardt(s, trial, K, self.tol, self.max_newton_iter)
                    if cand[1] > best[1] + 1e-9 * max(1.0, abs(best[1])):
                        best = (*cand, best[5])
        return best

    @staticmethod
    def _residual_variance(s: _Stats) -> float:
        """Residual variance of one least-squares line through all the data (the scale of
        the covariance starts)."""
        XtX, Xty = s.XtX.sum(axis=0), s.Xty.sum(axis=0)
        beta = np.linalg.lstsq(XtX, Xty, rcond=None)[0]
        rss = float(s.yty.sum() - 2 * Xty @ beta + beta @ XtX @ beta)
        return max(rss / max(s.N - 2, 1.0), 1e-8)

    def _init_vector(self, init: Mapping[str, Any]) -> np.ndarray:
        K = self.n_classes
        try:
            shares = np.asarray(init["shares"], float)
            betas = np.asarray(init["betas"], float).reshape(K, 2)
            D = np.asarray(init["re_cov"], float).reshape(2, 2)
            sigma = float(init["residual_sd"])
        except (KeyError, ValueError, TypeError) as e:
            raise ParameterError("init needs shares (K), betas (K x 2), re_cov (2 x 2) and "
                                 f"residual_sd; {e}") from None
        if shares.shape != (K,) or np.any(shares <= 0) or not np.isclose(shares.sum(), 1):
            raise ParameterError(f"init shares must be {K} positive numbers summing to 1")
        if not sigma > 0 or not np.all(np.isfinite(betas)) or not np.all(np.isfinite(D)):
            raise ParameterError("init residual_sd must be > 0 and betas, re_cov finite")
        return _pack(shares, betas, D, sigma)

    def _store(self, s: _Stats, phi: np.ndarray, ll: float, tau: np.ndarray, H: np.ndarray,
               converged: bool, n_em: int, n_newton: int) -> None:
        K = self.n_classes
        xi, betas, U, sigma = _unpack(phi, K)
        if sigma < 0:
            phi = phi.copy()
            phi[-1] = sigma = -sigma
        D = U.T @ U
        names = ([f"logit_class{k}" for k in range(K - 1)]
                 + [f"intercept_class{k}" for k in range(K)]
                 + [f"time_class{k}" for k in range(K)]
                 + ["re_var_intercept", "re_cov", "re_var_time", "residual_sd"])
        est = np.r_[xi[:-1], betas[:, 0], betas[:, 1], D[0, 0], D[0, 1], D[1, 1], sigma]
        # delta method from (u11, u12, u22) to (D11, D12, D22)
        J = np.eye(len(phi))
        i = 3 * K - 1
        u11, u12, u22 = U[0, 0], U[0, 1], U[1, 1]
        J[i: i + 3, i: i + 3] = [[2 * u11, 0, 0], [u12, u11, 0], [0, 2 * u12, 2 * u22]]
        try:
            cov_phi = np.linalg.inv(-H)
            if np.any(np.diag(cov_phi) < 0) or not np.all(np.isfinite(cov_phi)):
                raise np.linalg.LinAlgError
        except np.linalg.LinAlgError:
            cov_phi = np.full_like(H, np.nan)
            warnings.warn("LatentClassMixedModel: the observed information is singular or "
                          "indefinite at the estimate (an empty class or an unidentified "
                          "variance); standard errors are NaN", ModelWarning, stacklevel=3)
        cov = J @ cov_phi @ J.T
        if np.linalg.eigvalsh(D).min() <= 1e-10 * sigma**2:
            # D on the boundary (singular): the delta method from U gives 0, not a standard
            # error; as lme4, none is reported for the variance components there
            cov[i: i + 3, :] = np.nan
            cov[:, i: i + 3] = np.nan
        if not converged:
            warnings.warn(f"LatentClassMixedModel (K = {K}) did not converge: the Newton "
                          "decrement stayed above tol", ModelWarning, stacklevel=3)
        self.params_ = pd.Series(est, index=names, name="estimate")
        self.cov_params_ = pd.DataFrame(cov, index=names, columns=names)
        self.bse_ = pd.Series(np.sqrt(np.diag(cov)), index=names, name="std_err")
        self.llf_ = ll
        n_par = len(phi)
        self.aic_ = 2 * n_par - 2 * ll
        self.bic_ = n_par * np.log(s.G) - 2 * ll
        self.shares_ = np.exp(xi - np.logaddexp.reduce(xi))
        self.betas_ = betas
        self.re_cov_ = pd.DataFrame(D, index=["intercept", "time"],
                                    columns=["intercept", "time"])
        self.scale_ = sigma**2
        post = pd.DataFrame(tau, index=pd.Index(s.labels, name="patient"),
                            columns=[f"p_{k}" for k in range(K)])
        post["class"] = tau.argmax(axis=1)
        self.posterior_ = post
        t = np.clip(tau, 1e-300, 1)
        self.entropy_ = 1.0 if K == 1 else float(1 + (t * np.log(t)).sum() / (s.G * np.log(K)))
        self.converged_ = converged
        self.n_em_iter_, self.n_newton_iter_ = n_em, n_newton
        self.n_obs_, self.n_groups_ = int(s.N), s.G
        self._stats = s

    # ------------------------------------------------------------------------------------------
    def evaluate(self, params: Any) -> tuple[float, pd.DataFrame]:
        """Log-likelihood and posterior class probabilities of the fitted data at ``params``.

        Parameters
        ----------
        params : array-like
            Values in the order of ``params_`` (hlme's ``best``: class logits, intercepts,
            slopes, the elements D11, D12, D22 of the random-effect covariance, residual SD).

        Returns
        -------
        loglik : float
        posterior : DataFrame
            One row per patient, ``p_0`` ... ``p_{K-1}``.
        """
        self._check_fitted()
        K = self.n_classes
        v = np.asarray(params, float)
        if v.shape != (3 * K + 3,) or not np.all(np.isfinite(v)):
            raise ParameterError(f"params must be {3 * K + 3} finite values, not {v!r}")
        xi = np.r_[v[: K - 1], 0.0]
        pis = np.exp(xi - np.logaddexp.reduce(xi))
        betas = np.column_stack([v[K - 1: 2 * K - 1], v[2 * K - 1: 3 * K - 1]])
        i = 3 * K - 1
        D = np.array([[v[i], v[i + 1]], [v[i + 1], v[i + 2]]])
        ll, tau, _ = _evaluate(self._stats, _pack(pis, betas, D, v[-1]), K)
        return ll, pd.DataFrame(tau, index=self.posterior_.index,
                                columns=self.posterior_.columns[:K])

    def _describe(self) -> str:
        return (f"Latent-class mixed model, {self.n_classes} class(es): log-likelihood "
                f"{self.llf_:.4f}, AIC {self.aic_:.2f}, BIC {self.bic_:.2f}; {self.n_groups_} "
                f"patients, {self.n_obs_} measurements; entropy {self.entropy_:.3f}"
                + ("" if self.converged_ else "; NOT CONVERGED"))
