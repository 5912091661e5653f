"""Longitudinal pain trajectories.

- :func:`fit_trajectories`: mean trajectory of a repeated measure on a chosen clock (months
  since onset, diagnosis or baseline, or months before death for end-of-life pain), linear or
  natural cubic spline time (formulaic ``cr``), optional subgroup interaction, covariates;
  fitted by the mixed-model engine (random intercept or intercept and slope) or by GEE
  (population average, robust SEs). Pattern-mixture view: ``by="dropout"`` groups patients by
  how long they were followed (the last visit's month since baseline, cut at
  ``dropout_cuts``), so the trajectories of patients who die or drop out early are seen next
  to those followed long; differences between patterns show how much a pooled trajectory
  depends on who stays (MAR would make them compatible).
- :func:`first_last_change`: per-patient change from first to last visit, as in the published
  VAS study (+1 point over a median 104 days).
- :func:`latent_trajectories`: latent-class linear mixed models (class-specific fixed effects,
  shared random-effect covariance and residual variance), fitted by EM from several seeded
  random starts. E-step: posterior class probabilities from each patient's marginal normal
  likelihood; M-step: class weights, weighted GLS for each class's fixed effects, and the
  shared covariance factor by minimising the weighted profiled deviance. Every quantity comes
  from the per-patient sufficient statistics of :mod:`alspaincohort.stats.lmm`, so an
  iteration is a few batched q x q operations. The number of classes is chosen by BIC (table
  of log-likelihood, BIC and relative entropy per k).
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy import optimize, stats

from ..cohort import Cohort
from ..stats.design import ModelWarning
from ..stats.gee import GEE
from ..stats.lmm import LinearMixedModel, canonical_theta, tril_from_theta
from ..stats.rank_tests import signed_rank_test
from .depression import VARIABLES

CLOCKS = ("months_since_onset", "months_since_diagnosis", "months_since_baseline",
          "months_before_death")
Z = 1.959963984540054


def trajectory_frame(cohort: Cohort, measure: str = "vas_pain", time: str =
                     "months_since_onset", only_with_pain: bool = True,
                     covariates: Sequence[str] = (), by: str | None = None,
                     dropout_cuts: Sequence[float] = (6, 12)) -> pd.DataFrame:
    """Long data: patient_id, day, value, time (on the chosen clock; for months_before_death
    time = -months before death, so time runs towards death at 0), covariates and ``by``."""
    if time not in CLOCKS:
        raise ValueError(f"time must be one of {CLOCKS}")
    inst, item = VARIABLES.get(measure, (measure, "total"))
    d = cohort.long(inst, item)
    if time == "months_before_death":
        d = d[d["months_before_death"].notna()].assign(time=-d["months_before_death"])
    else:
        d = d.assign(time=d[time])
    d = d[d["time"].notna()]
    if only_with_pain and inst in ("vas_pain", "nrs_pain"):
        with_pain = d.groupby("patient_id")["value"].transform("max") > 0
        d = d[with_pain]
    b = cohort.baseline().set_index("patient_id")
    for c in covariates:
        d[c] = d["patient_id"].map(b[c])
    if by == "dropout":
        last = d.groupby("patient_id")["months_since_baseline"].transform("max")
        edges = [-np.inf, *dropout_cuts, np.inf]
        labels = [f"followed < {dropout_cuts[0]:g} months"] + [
            f"{lo:g}-{hi:g} months" for lo, hi in zip(dropout_cuts[:-1], dropout_cuts[1:],
                                                       strict=True)] + [
            f"followed >= {dropout_cuts[-1]:g} months"]
        d["dropout"] = pd.cut(last, edges, labels=labels, right=False).astype(str)
    elif by is not None:
        if by == "depression":
            d[by] = np.where(d["patient_id"].map(b["hads_d"]) >= 8, "HADS-D >= 8", "HADS-D < 8")
        else:
            d[by] = d["patient_id"].map(b[by]).astype(str)
    return d.reset_index(drop=True)


@dataclass
class TrajectoryResult:
    """A fitted mean trajectory.

    Attributes
    ----------
    table : DataFrame
        Fixed effects: term, estimate, std_error, z, p_value, ci_low, ci_high.
    model : LinearMixedModel or GEE
    data : DataFrame
        The long data used (patient_id, time, value, ...).
    time, measure, method, by : str
    """

    table: pd.DataFrame
    model: Any
    data: pd.DataFrame
    time: str
    measure: str
    method: str
    by: str | None
    spec: Any = field(repr=False, default=None)

    def population_curve(self, grid: Sequence[float] | None = None, level: str | None = None
                         ) -> pd.DataFrame:
        """Mean trajectory on a time grid with 95% CIs (columns time, group, estimate,
        std_error, ci_low, ci_high), for each subgroup when the model has one."""
        if grid is None:
            lo, hi = np.quantile(self.data["time"], [0.02, 0.98])
            points = np.linspace(lo, hi, 40)
        else:
            points = np.asarray(grid, dtype=float)
        grid_values = points
        levels = [None] if self.by is None else ([level] if level else
                                                 sorted(self.data[self.by].unique()))
        rows = []
        ref = self.data.iloc[[0] * len(grid_values)].reset_index(drop=True)
        for lv in levels:
            new = ref.assign(time=grid_values)
            if self.by is not None:
                new[self.by] = lv
            for c in self.data.columns:
                if c not in ("time", self.by) and pd.api.types.is_numeric_dtype(self.data[c]):
                    new[c] = self.data[c].mean()  # covariates at their means
            X = np.asarray(self.spec.get_model_matrix(new)[list(self.table["term"])], dtype=float)
            beta = self.table["estimate"].to_numpy()
            cov = self._cov()
            est = X @ beta
            se = np.sqrt(np.einsum("ij,jk,ik->i", X, cov, X))
            rows.append(pd.DataFrame({"time": grid_values,
                                      "group": lv if lv is not None else "all",
                                      "estimate": est, "std_error": se, "ci_low": est - Z * se,
                                      "ci_high": est + Z * se}))
        return pd.concat(rows, ignore_index=True)

    def _cov(self) -> np.ndarray:
        return np.asarray(self.model.cov_params_.loc[list(self.table["term"]),
                                                    list(self.table["term"])], dtype=float)

    def individual_curves(self, patient_ids: Sequence[str], grid: Sequence[float]
                          ) -> pd.DataFrame:
        """Predicted curves of individual patients (mixed model only: fixed + BLUPs)."""
        if self.method != "mixed":
            raise ValueError("individual curves need the mixed model")
        first = self.data.drop_duplicates("patient_id").set_index("patient_id")
        rows = []
        for pid in patient_ids:
            new = pd.DataFrame({"time": np.asarray(grid, float)})
            for c in self.data.columns:
                if c not in ("time",):
                    new[c] = first.loc[pid, c] if c != "patient_id" else pid
            new["patient_id"] = pid
            rows.append(new.assign(predicted=self.model.predict(new).to_numpy()))
        return pd.concat(rows, ignore_index=True)[["patient_id", "time", "predicted"]]

    def plot(self, ax: Any = None, max_patients: int = 150, seed: int = 0) -> Any:
        from ..plots import trajectory_plot

        return trajectory_plot(self, ax=ax, max_patients=max_patients, seed=seed)

    def _repr_html_(self) -> str:
        return self.table.round(4).to_html(index=False)


def fit_trajectories(cohort: Cohort, measure: str = "vas_pain",
                     time: str = "months_since_onset", covariates: Sequence[str] = (),
                     random: str = "slope", spline_df: int | None = None,
                     by: str | None = None, method: str = "mixed",
                     cov_struct: str = "exchangeable", only_with_pain: bool = True,
                     dropout_cuts: Sequence[float] = (6, 12)) -> TrajectoryResult:
    """Mean trajectory of ``measure`` over ``time`` (see the module docstring).

    ``random``: "intercept" or "slope" (random intercept and slope on linear time);
    ``spline_df``: natural cubic spline with that many degrees of freedom instead of linear
    time; ``by``: onset_site, sex, depression (HADS-D >= 8), dropout (pattern mixture) or any
    baseline() column, entered with its interaction with time; ``method``: "mixed" or "gee".
    """
    d = trajectory_frame(cohort, measure, time, only_with_pain, covariates, by, dropout_cuts)
    # centred natural cubic regression spline (its raw basis sums to one, like the intercept)
    time_term = f"cr(time, df={spline_df}, constraints='center')" if spline_df else "time"
    rhs = [time_term] + list(covariates)
    if by is not None:
        rhs = [f"{time_term} * C({by})"] + list(covariates)
    formula = "value ~ " + " + ".join(rhs)
    model: Any
    if method == "mixed":
        re = "~ time" if random == "slope" else "~ 1"
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ModelWarning)
            model = LinearMixedModel().fit(d, formula, "patient_id", re)
        table = model.summary.reset_index(names="term")
        spec = model._x_spec
    elif method == "gee":
        model = GEE(cov_struct).fit(d, formula, "patient_id")
        table = model.summary.reset_index(names="term")
        import formulaic

        spec = formulaic.model_matrix(formula, d).rhs.model_spec
    else:
        raise ValueError("method must be 'mixed' or 'gee'")
    return TrajectoryResult(table, model, d, time, measure, method, by, spec)


# ----------------------------------------------------------------------------------------------
def first_last_change(cohort: Cohort, measure: str = "vas_pain", only_with_pain: bool = True
                      ) -> dict[str, Any]:
    """Change from each patient's first to last visit (patients with >= 2 visits).

    Returns
    -------
    dict with ``patients`` (DataFrame: patient_id, first_day, last_day, interval_days, first,
    last, change) and the summary: n, median_interval_days, min_interval_days,
    max_interval_days, mean_change, ci_low, ci_high (t), t_statistic, t_p_value (paired t
    test), wilcoxon_statistic (R's V: sum of the ranks of positive changes), wilcoxon_p_value
    (R's ``wilcox.test(last, first, paired = TRUE)``: exact below 50 pairs without ties or
    zeros, else normal with continuity correction).
    """
    inst, item = VARIABLES.get(measure, (measure, "total"))
    d = cohort.long(inst, item).sort_values(["patient_id", "day"])
    if only_with_pain and inst in ("vas_pain", "nrs_pain"):
        d = d[d.groupby("patient_id")["value"].transform("max") > 0]
    g = d.groupby("patient_id")
    p = pd.DataFrame({"first_day": g["day"].first(), "last_day": g["day"].last(),
                      "first": g["value"].first(), "last": g["value"].last(),
                      "visits": g.size()})
    p = p[p["visits"] >= 2].drop(columns="visits")
    p["interval_days"] = p["last_day"] - p["first_day"]
    p["change"] = p["last"] - p["first"]
    p = p.reset_index()
    ch = p["change"].to_numpy()
    n = len(ch)
    mean, se = ch.mean(), ch.std(ddof=1) / np.sqrt(n)
    crit = stats.t.ppf(0.975, n - 1)
    t = stats.ttest_rel(p["last"], p["first"])
    w = signed_rank_test(p["last"], p["first"])
    return {"patients": p, "n": n, "median_interval_days": float(p["interval_days"].median()),
            "min_interval_days": int(p["interval_days"].min()),
            "max_interval_days": int(p["interval_days"].max()), "mean_change": float(mean),
            "ci_low": float(mean - crit * se), "ci_high": float(mean + crit * se),
            "t_statistic": float(t.statistic), "t_p_value": float(t.pvalue),
            "wilcoxon_statistic": w["statistic"], "wilcoxon_p_value": w["p_value"]}


# ----------------------------------------------------------------------------------------------
class _GroupStats:
    """Per-patient sufficient statistics for linear time: X = Z = [1, t]."""

    def __init__(self, d: pd.DataFrame) -> None:
        d = d.sort_values(["patient_id", "time"], kind="stable")
        codes, self.labels = pd.factorize(d["patient_id"])
        starts = np.flatnonzero(np.r_[True, codes[1:] != codes[:-1]])
        t = d["time"].to_numpy(float)
        y = d["value"].to_numpy(float)
        X = np.column_stack([np.ones_like(t), t])
        self.n_i = np.diff(np.r_[starts, len(t)]).astype(float)
        self.XtX = np.add.reduceat(X[:, :, None] * X[:, None, :], starts, axis=0)
        self.Xty = np.add.reduceat(X * y[:, None], starts, axis=0)
        self.yty = np.add.reduceat(y * y, starts)
        self.N = float(len(y))


def _class_terms(s: _GroupStats, L: np.ndarray, betas: np.ndarray
                 ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """log|M_i| (G,), and per class the quadratic forms r'r - u'M^-1 u (G, K)."""
    M = L.T @ s.XtX @ L + np.eye(2)
    det = M[:, 0, 0] * M[:, 1, 1] - M[:, 0, 1] ** 2
    inv = np.empty_like(M)
    inv[:, 0, 0], inv[:, 1, 1] = M[:, 1, 1] / det, M[:, 0, 0] / det
    inv[:, 0, 1] = inv[:, 1, 0] = -M[:, 0, 1] / det
    rr = (s.yty[:, None] - 2 * s.Xty @ betas.T
          + np.einsum("kp,gpq,kq->gk", betas, s.XtX, betas))
    Ztr = s.Xty[:, None, :] - np.einsum("gpq,kq->gkp", s.XtX, betas)  # (G, K, 2)
    u = np.einsum("pq,gkp->gkq", L, Ztr)  # L' Z'r
    quad = rr - np.einsum("gkp,gpq,gkq->gk", u, inv, u)
    return np.log(det), quad, inv


def _loglik(s: _GroupStats, L: np.ndarray, sigma2: float, betas: np.ndarray,
            pis: np.ndarray) -> tuple[float, np.ndarray]:
    logdet, quad, _ = _class_terms(s, L, betas)
    ll_ik = (-0.5 * (s.n_i[:, None] * np.log(2 * np.pi * sigma2) + logdet[:, None]
                     + quad / sigma2) + np.log(pis)[None, :])
    mx = ll_ik.max(axis=1, keepdims=True)
    tot = mx[:, 0] + np.log(np.exp(ll_ik - mx).sum(axis=1))
    return float(tot.sum()), np.exp(ll_ik - tot[:, None])


def _start(s: _GroupStats, K: int, rng: np.random.Generator) -> np.ndarray:
    """Initial posteriors: k-means (k-means++ seeding, 10 Lloyd steps) on each patient's
    least-squares intercept and slope (shrunk to the mean for single-visit patients)."""
    G = len(s.n_i)
    coef = np.empty((G, 2))
    det = s.XtX[:, 0, 0] * s.XtX[:, 1, 1] - s.XtX[:, 0, 1] ** 2
    ok = det > 1e-9
    coef[ok] = np.linalg.solve(s.XtX[ok], s.Xty[ok][:, :, None])[:, :, 0]
    mean_slope = np.median(coef[ok, 1]) if ok.any() else 0.0
    # one visit: intercept = (sum y - slope * sum t) / n with the median slope
    coef[~ok, 0] = (s.Xty[~ok, 0] - mean_slope * s.XtX[~ok, 0, 1]) / s.n_i[~ok]
    coef[~ok, 1] = mean_slope
    z = (coef - coef.mean(axis=0)) / (coef.std(axis=0) + 1e-12)
    centres = [z[rng.integers(G)]]
    for _ in range(1, K):
        dist = np.min([((z - c) ** 2).sum(axis=1) for c in centres], axis=0)
        centres.append(z[rng.choice(G, p=dist / dist.sum())])
    C = np.array(centres)
    for _ in range(10):
        lab = np.argmin(((z[:, None, :] - C[None]) ** 2).sum(axis=2), axis=1)
        C = np.array([z[lab == k].mean(axis=0) if (lab == k).any() else C[k] for k in range(K)])
    tau = np.full((G, K), 0.1 / max(K - 1, 1))
    tau[np.arange(G), lab] = 0.9
    return tau / tau.sum(axis=1, keepdims=True)


def _em(s: _GroupStats, K: int, rng: np.random.Generator, init: dict[str, Any],
        max_iter: int = 300, tol: float = 1e-7) -> dict[str, Any]:
    tau = _start(s, K, rng) if K > 1 else np.ones((len(s.n_i), 1))
    theta = init["theta"].copy()
    sigma2 = init["sigma2"]
    ll_old = -np.inf
    betas = np.zeros((K, 2))
    pis = np.full(K, 1.0 / K)
    iterations = 0
    while iterations < max_iter:
        iterations += 1
        L = tril_from_theta(theta, 2)
        # M-step: class weights and GLS fixed effects per class
        pis = np.clip(tau.mean(axis=0), 1e-10, None)
        M = L.T @ s.XtX @ L + np.eye(2)
        A = L.T @ s.XtX  # (G, 2, 2): L'Z'X with Z = X
        c = np.einsum("pq,gp->gq", L, s.Xty)
        MinvA = np.linalg.solve(M, A)
        Minvc = np.linalg.solve(M, c[:, :, None])[:, :, 0]
        XVX = s.XtX - np.einsum("gqp,gqr->gpr", A, MinvA)  # times sigma^2
        XVy = s.Xty - np.einsum("gqp,gq->gp", A, Minvc)
        for k in range(K):
            betas[k] = np.linalg.solve(np.einsum("g,gpq->pq", tau[:, k], XVX),
                                       tau[:, k] @ XVy)

        # shared covariance: minimise the weighted profiled deviance over theta
        def objective(th: np.ndarray, tau: np.ndarray = tau, betas: np.ndarray = betas
                      ) -> float:
            Lt = tril_from_theta(th, 2)
            try:
                logdet, quad, _ = _class_terms(s, Lt, betas)
            except FloatingPointError:
                return np.inf
            s2 = float((tau * quad).sum() / s.N)
            if not s2 > 0 or not np.all(np.isfinite(logdet)):
                return np.inf
            return float(logdet.sum() + s.N * np.log(s2))

        # generalised EM: a few quasi-Newton steps improve (need not maximise) the M-step.
        # Unbounded, as in LinearMixedModel (a bound of 0 on L's diagonal traps a quasi-Newton
        # search where the criterion is even in it); the columns' signs are fixed after.
        theta = canonical_theta(optimize.minimize(objective, theta, method="L-BFGS-B",
                                                  options={"maxiter": 5}).x, 2)
        L = tril_from_theta(theta, 2)
        _, quad, _ = _class_terms(s, L, betas)
        sigma2 = float((tau * quad).sum() / s.N)
        ll, tau = _loglik(s, L, sigma2, betas, pis)
        if abs(ll - ll_old) < tol * abs(ll):
            break
        ll_old = ll
    return {"ll": ll, "tau": tau, "betas": betas.copy(), "pis": pis, "theta": theta,
            "sigma2": sigma2, "iterations": iterations}


@dataclass
class LatentTrajectoryResult:
    """Latent-class trajectories.

    Attributes
    ----------
    selection : DataFrame
        n_classes, log_likelihood, n_parameters, bic, entropy (relative, 1 = perfectly
        separated), smallest_class (share), converged_starts.
    n_classes : int
        Chosen by the lowest BIC.
    classes : DataFrame
        For the chosen model: class, share, intercept, slope.
    posterior : DataFrame
        patient_id, class (most probable), and p_0 ... p_{K-1}.
    """

    selection: pd.DataFrame
    n_classes: int
    classes: pd.DataFrame
    posterior: pd.DataFrame
    data: pd.DataFrame
    fits: dict[int, dict[str, Any]] = field(repr=False)

    def class_curves(self, grid: Sequence[float] | None = None) -> pd.DataFrame:
        """Class-specific mean curves: time, class, estimate."""
        g = (np.linspace(self.data["time"].min(), self.data["time"].max(), 40) if grid is None
             else np.asarray(grid, dtype=float))
        return pd.concat([pd.DataFrame({"time": g, "class": int(r["class"]),
                                        "estimate": r["intercept"] + r["slope"] * g})
                          for _, r in self.classes.iterrows()], ignore_index=True)

    def plot(self, ax: Any = None) -> Any:
        from ..plots import latent_class_plot

        return latent_class_plot(self, ax=ax)

    def _repr_html_(self) -> str:
        return self.selection.round(3).to_html(index=False) + self.classes.round(3).to_html(
            index=False)


def latent_trajectories(cohort: Cohort, measure: str = "vas_pain",
                        time: str = "months_since_baseline",
                        n_classes: Sequence[int] = range(1, 5), n_starts: int = 5,
                        seed: int | None = 0, only_with_pain: bool = True
                        ) -> LatentTrajectoryResult:
    """Latent-class linear mixed models (linear time, random intercept and slope), k classes
    for each k in ``n_classes``, best of ``n_starts`` seeded EM starts; BIC chooses k."""
    d = trajectory_frame(cohort, measure, time, only_with_pain)
    s = _GroupStats(d)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ModelWarning)
        one = LinearMixedModel(reml=False).fit(d, "value ~ time", "patient_id", "~ time")
    init = {"theta": np.maximum(one.theta_, 0.05), "sigma2": one.scale_}
    rng = np.random.default_rng(seed)
    fits: dict[int, dict[str, Any]] = {}
    rows = []
    G = len(s.n_i)
    for K in n_classes:
        best = None
        for _ in range(n_starts if K > 1 else 1):
            fit = _em(s, K, rng, init)
            if best is None or fit["ll"] > best["ll"]:
                best = fit
        assert best is not None
        fits[K] = best
        k_par = 2 * K + 3 + 1 + (K - 1)
        tau = np.clip(best["tau"], 1e-300, 1)
        ent = 1.0 if K == 1 else 1 + (tau * np.log(tau)).sum() / (G * np.log(K))
        rows.append({"n_classes": K, "log_likelihood": best["ll"], "n_parameters": k_par,
                     "bic": -2 * best["ll"] + k_par * np.log(G), "entropy": ent,
                     "smallest_class": float(best["pis"].min())})
    selection = pd.DataFrame(rows)
    K = int(selection.loc[selection["bic"].idxmin(), "n_classes"])
    best = fits[K]
    order = np.argsort(best["betas"][:, 0])  # classes ordered by intercept
    classes = pd.DataFrame({"class": np.arange(K), "share": best["pis"][order],
                            "intercept": best["betas"][order, 0],
                            "slope": best["betas"][order, 1]})
    tau = best["tau"][:, order]
    post = pd.DataFrame(tau, columns=[f"p_{k}" for k in range(K)])
    post.insert(0, "class", tau.argmax(axis=1))
    post.insert(0, "patient_id", np.asarray(s.labels))
    return LatentTrajectoryResult(selection, K, classes, post, d, fits)
