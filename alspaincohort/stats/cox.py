"""Cox proportional-hazards models on counting-process (start, stop] data.

Why not lifelines ``CoxTimeVaryingFitter``: on 73,000 (start, stop] rows it needs about 47 s
where R's ``coxph`` needs 0.4 s (issue 5), and prognosis and simulation analyses refit these
models hundreds of times. This engine reproduces ``survival::coxph`` (checked against stored R
numbers in ``tests/results/``).

Method
------
Newton-Raphson on the partial likelihood with Efron or Breslow handling of tied event times
(Therneau & Grambsch 2000, ch. 3). Risk-set sums at each distinct event time t are computed for
all event times at once: sum over {start < t <= stop} = sum over {stop >= t} - sum over
{start >= t}. The rows, sorted once by stop and by start, fall into blocks between consecutive
event times; one compiled sparse product (SciPy CSR) gives every block's weighted sum and
cumulative sums over the blocks give the risk sets, so an iteration costs one pass over the
rows, O(n (1 + p + p^2)), plus one pass over the Efron tie ranks; there is no loop over rows or
event times in Python. (Summing blocks directly, rather than subtracting running totals, leaves
no rounding residue where a covariate is constant within every risk set: such a column has
information zero against its own spread and is reported as not estimable.) Strata are handled
by shifting each stratum's times into its own disjoint range, so risk sets never mix strata.

Robust (sandwich) standard errors cluster by ``id_col``: V = I^-1 (sum_c U_c U_c') I^-1 with
U_c the sum of the score residuals of the cluster's rows, the Efron-weighted score residuals of
R's ``residuals(fit, "score")`` (``agscore`` in the survival package). The baseline cumulative
hazard is the Breslow / Efron estimator at covariates 0 (R's ``basehaz(fit, centered = FALSE)``).
Concordance follows R's ``concordance()`` for counting-process data (see
:mod:`alspaincohort.stats.concordance`, O(n log^2 n)).
"""

from __future__ import annotations

import functools
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy import special

from ..validation import check_choice, check_integer, check_positive, check_survival
from .base import Estimator, wald_table
from .concordance import concordance_counts
from .design import Design, ModelDataError, ModelWarning, build, warn_dropped


@dataclass(frozen=True)
class Extension:
    """Rows that stay in the risk sets after their stop time, with a weight that is a product
    of a row part and a time part: at an event time t after its stop time, row i counts with
    weight ``row_weight[i] * time_weight(t)`` (0 rows leave at their stop time as usual).

    The Fine-Gray model is this case (:class:`alspaincohort.stats.finegray.FineGray`): a
    subject with a competing event at s stays with weight G(t) / G(s), so its risk-set share is
    computed for every event time at once from one more cumulative sum, with no expanded rows.
    """

    row_weight: np.ndarray
    time_weight: Callable[[np.ndarray], np.ndarray]


class _RiskSets:
    """Sorting and indexing of a counting-process data set that stay fixed across iterations."""

    def __init__(self, start: np.ndarray, stop: np.ndarray, event: np.ndarray,
                 stratum: np.ndarray, case_weights: np.ndarray | None = None,
                 extension: Extension | None = None) -> None:
        span = float(stop.max() - start.min()) + 1.0
        offset = stratum.astype(np.float64) * span
        self.start = start - start.min() + offset
        self.stop = stop - start.min() + offset
        self.event = event
        ev_rows = np.flatnonzero(event)
        times = self.stop[ev_rows]
        self.times, inverse, self.d = np.unique(times, return_inverse=True, return_counts=True)
        self.ev_rows = ev_rows
        self.ev_time_index = inverse  # for each event row, its event-time index
        # (tied times fall in the same block of the risk-set sums whatever their order, so
        # NumPy's vectorised quicksort serves: several times faster than a stable sort)
        self.stop_order = np.argsort(self.stop)
        self.start_order = np.argsort(self.start)
        self.stop_idx = np.searchsorted(self.stop[self.stop_order], self.times, side="left")
        self.start_idx = np.searchsorted(self.start[self.start_order], self.times, side="left")
        # no row enters at or after an event time (right-censored data): nothing to subtract
        self.no_entry = bool(np.all(self.start_idx == len(start)))
        self.time_stratum = np.floor(self.times / span).astype(np.int64)
        # strata: a stratum whose linear predictors lie far below another's (more than
        # STRATUM_SHIFT_RANGE) is shifted by its own maximum, so that it keeps its digits where
        # the risk-set sums subtract the later strata's rows (one shift for all strata lost
        # them all: clogit data with large coefficients stopped short of a finite maximum);
        # the others share the overall maximum, whose sums subtract with the least rounding
        self.stratum = stratum
        self.stratum_order: np.ndarray | None = None
        if len(stratum) and stratum.max() > stratum.min():
            self.stratum_order = np.argsort(stratum, kind="stable")
            sorted_strata = stratum[self.stratum_order]
            self.stratum_starts = np.flatnonzero(np.r_[True, sorted_strata[1:]
                                                       != sorted_strata[:-1]])
            self.stratum_of_row = np.searchsorted(sorted_strata[self.stratum_starts], stratum)
            self.time_stratum_index = np.searchsorted(sorted_strata[self.stratum_starts],
                                                      self.time_stratum)
        self.span, self.origin = span, float(start.min())
        # event rows grouped by event time, for reduceat
        self.ev_order = ev_rows[np.argsort(inverse, kind="stable")]
        self.ev_starts = np.r_[0, np.cumsum(self.d)[:-1]]
        # case weights: the weight of the deaths at each time (Breslow) and their mean (Efron)
        cw = np.ones(len(stop)) if case_weights is None else case_weights
        self.cw = cw
        self.death_weight = np.bincount(inverse, cw[ev_rows], minlength=len(self.d))
        self.mean_death_weight = self.death_weight / self.d
        # rows that stay in the risk sets after their stop time (see Extension)
        self.ext_row: np.ndarray | None = None
        if extension is not None:
            self.ext_row = extension.row_weight
            self.ext_time = extension.time_weight(self.times + self.origin)
        # Efron: every (event time k, tie rank l) pair with 1 <= l < d_k, fixed by the data
        extra = self.d - 1
        self.tie_time = np.repeat(np.arange(len(self.d)), extra)
        first = np.repeat(np.cumsum(extra) - extra, extra)
        self.tie_frac = (np.arange(int(extra.sum())) - first + 1) / self.d[self.tie_time]
        # the pairs come grouped by time: the times with ties and where each group starts
        # (sums over a time's ranks by one reduceat instead of a bincount per column)
        self.tied_times = np.flatnonzero(extra)
        self.tie_starts = (np.cumsum(extra) - extra)[self.tied_times]
        # the event rows at tied times, grouped by time (the Efron sums need only these), and
        # for each pair the position of its time among the tied times
        d_tied = self.d[self.tied_times]
        self.ev_tied_order = self.ev_order[np.repeat(self.d > 1, self.d)]
        self.ev_tied_starts = np.cumsum(d_tied) - d_tied
        self.tie_pos = np.repeat(np.arange(len(d_tied)), d_tied - 1)

    def prepare(self, X: np.ndarray, iu: Any) -> None:
        """Fix the per-row blocks [1, x, x x'] (x x' as its upper triangle ``iu``) once, built
        directly in stop and in start order (no unsorted copy and no temporaries of the
        products: on millions of rows their memory traffic cost more than the sums)."""
        self.by_stop = _BlockSums(_blocks(X, iu, self.stop_order), self.stop_order,
                                  self.stop_idx)
        if not self.no_entry:
            self.by_start = _BlockSums(_blocks(X, iu, self.start_order), self.start_order,
                                       self.start_idx)
        self.A_tied = _blocks(X, iu, self.ev_tied_order)
        self.tied_groups = _GroupSums(self.ev_tied_starts, len(self.ev_tied_order))
        self.pair_groups = _GroupSums(self.tie_starts, len(self.tie_time))

    def risk_sums(self, w: np.ndarray) -> np.ndarray:
        """For each event time t, sum of w [1, x, x x'] over the rows with start < t <= stop:
        the suffix sums over {stop >= t} minus those over {start >= t}. Shape (times, k)."""
        at_risk = self.by_stop.sums(w, after=True)
        if not self.no_entry:
            at_risk -= self.by_start.sums(w, after=True)
        if self.ext_row is not None:  # + f(t) * sum over {stop < t} of a_i w [1, x, x x']
            before = self.by_stop.sums(w * self.ext_row, after=False)
            at_risk += before * self.ext_time[:, None]
        return at_risk

    def tied_event_sums(self, w: np.ndarray) -> np.ndarray:
        """For each event time with tied events (``tied_times``), sum of w [1, x, x x'] over
        the rows with an event at it."""
        return self.tied_groups.sums(self.A_tied, w[self.ev_tied_order])


def _blocks(X: np.ndarray, iu: Any, rows: np.ndarray) -> np.ndarray:
    """The rows ``rows`` of [1, x, x x'] (upper triangle ``iu`` of x x'), in that order."""
    p = X.shape[1]
    A = np.empty((len(rows), 1 + p + len(iu[0])))
    A[:, 0] = 1.0
    Xs = A[:, 1:p + 1]
    np.take(X, rows, axis=0, out=Xs)
    for c, (i, j) in enumerate(zip(*iu, strict=True)):
        np.multiply(Xs[:, i], Xs[:, j], out=A[:, 1 + p + c])
    return A


class _BlockSums:
    """Sums of w_i a_i (rows a_i of A) over the rows at or after, and before, each of a set
    of positions in a fixed order, for a new w at every call.

    The positions cut the ordered rows into blocks; a sparse matrix of block membership
    weighted by w, times A, gives every block's sum in one pass over the rows (SciPy's
    compiled CSR product: no n x k temporary, no cumulative sum over n rows); the sums at each
    position are then cumulative sums over the few blocks."""

    def __init__(self, rows: np.ndarray, order: np.ndarray, idx: np.ndarray) -> None:
        """``rows``: the rows a_i already in ``order``."""
        from scipy import sparse

        n = len(order)
        self.order = order
        self.rows = rows
        index = np.int32 if n < 2**31 else np.int64  # half the memory of int64 indices
        indptr = np.concatenate([[0], idx, [n]]).astype(index)
        self.matrix = sparse.csr_matrix(
            (np.ones(n), np.arange(n, dtype=index), indptr), shape=(len(idx) + 1, n))

    def sums(self, w: np.ndarray, after: bool) -> np.ndarray:
        """Per position: the sum over the rows at or after it (``after``), or over the rows
        before it."""
        self.matrix.data = w[self.order]
        blocks = self.matrix @ self.rows  # block j: rows from position j - 1 to position j
        if after:
            return np.cumsum(blocks[::-1], axis=0)[-2::-1]
        return np.cumsum(blocks[:-1], axis=0)


class _GroupSums:
    """Sums of w_i a_i over consecutive groups of rows (group g: rows ``starts[g]`` to
    ``starts[g + 1] - 1``), as one compiled sparse product: NumPy's ``add.reduceat`` along the
    first axis of a 2-d array took several times longer on the Efron tie ranks."""

    def __init__(self, starts: np.ndarray, n: int) -> None:
        from scipy import sparse

        index = np.int32 if n < 2**31 else np.int64  # half the memory of int64 indices
        indptr = np.concatenate([starts, [n]]).astype(index)
        self.matrix = sparse.csr_matrix(
            (np.ones(n), np.arange(n, dtype=index), indptr), shape=(len(starts), n))

    def sums(self, rows: np.ndarray, w: np.ndarray) -> np.ndarray:
        """Each group's sum of ``rows`` (2-d) weighted by ``w``."""
        self.matrix.data = w
        return self.matrix @ rows


def _newton_step(info: np.ndarray, U: np.ndarray) -> np.ndarray | None:
    """I^-1 U, or None where I is singular or not finite."""
    if not (np.all(np.isfinite(info)) and np.all(np.isfinite(U))):
        return None
    try:
        step = np.linalg.solve(info, U)
    except np.linalg.LinAlgError:
        return None
    return step if np.all(np.isfinite(step)) else None


def aliased_columns(info: np.ndarray, toler: float = float(np.finfo(float).eps) ** 0.75
                    ) -> np.ndarray:
    """Columns that cannot be estimated, found as R's ``coxph`` finds them: a Cholesky (LDL')
    decomposition of the information matrix without pivoting, in column order (survival's
    ``cholesky2``), in which a pivot below ``toler`` times the largest diagonal element marks
    that column as aliased (R reports its coefficient as NA). ``toler`` is coxph's
    ``toler.chol`` default."""
    a = np.array(info, dtype=float)
    p = a.shape[0]
    diag = np.abs(np.diag(a))
    eps = toler * (diag.max() if p and diag.max() > 0 else 1.0)
    out = np.zeros(p, dtype=bool)
    for i in range(p):
        pivot = a[i, i]
        if not np.isfinite(pivot) or pivot < eps:
            out[i] = True
            continue
        temp = a[i + 1:, i] / pivot
        a[i + 1:, i + 1:] -= np.outer(temp, temp) * pivot
    return out


def _tri(X: np.ndarray) -> Any:
    """The upper triangle (diagonal included) of a p x p matrix, as index arrays."""
    return np.triu_indices(X.shape[1])


def _chi2_test(statistic: float, df: int) -> dict[str, Any]:
    return {"statistic": statistic, "df": df, "p_value": float(special.chdtrc(df, statistic))}


STRATUM_SHIFT_RANGE = 10.0
"""How far (on the log scale) a stratum's largest linear predictor may lie below the overall
largest before the stratum's weights are shifted by their own maximum (see _RiskSets)."""

# the estimates CoxTimeVarying builds on first access (cleared by every fit)
_LAZY = ("params_", "bse_", "cov_params_", "naive_cov_params_", "hazard_ratios_", "means_",
         "_null", "llf_null_", "lr_test_", "wald_test_", "score_test_")


class _PartialLikelihood:
    """Log partial likelihood, score, information (and the pieces of the score residuals and
    the baseline hazard) at one beta, Efron or Breslow."""

    def __init__(self, rs: _RiskSets, X: np.ndarray, iu: Any, efron: bool) -> None:
        self.rs, self.X, self.iu, self.efron = rs, X, iu, efron
        self.p = X.shape[1]
        rs.prepare(X, iu)
        self.x_event_sum = (rs.cw[rs.ev_rows, None] * X[rs.ev_rows]).sum(axis=0)
        self.cw_events = rs.cw[rs.ev_rows]

    def __call__(self, beta: np.ndarray, per_time: bool = False
                 ) -> tuple[float, np.ndarray, np.ndarray, dict[str, Any]]:
        """``per_time=True`` also returns each event time's contribution to the score
        (``U_t``, times x p) and to the information (``I_t``, times x upper triangle), which
        the proportional-hazards test needs."""
        rs, X, p = self.rs, self.X, self.p
        eta = X @ beta
        if rs.stratum_order is None:
            shift = eta.max()
            w = np.exp(eta - shift)
            shifted_events = shift * self.cw_events.sum()
        else:  # per stratum, for strata far below the top (see _RiskSets)
            stratum_max = np.maximum.reduceat(eta[rs.stratum_order], rs.stratum_starts)
            top = eta.max()
            stratum_max = np.where(stratum_max >= top - STRATUM_SHIFT_RANGE, top, stratum_max)
            row_shift = stratum_max[rs.stratum_of_row]
            w = np.exp(eta - row_shift)
            shifted_events = float((self.cw_events * row_shift[rs.ev_rows]).sum())
            shift = stratum_max[rs.time_stratum_index]  # per event time, for the hazard
        rw = w * rs.cw
        R = rs.risk_sums(rw)
        S0, S1, S2 = R[:, 0], R[:, 1:p + 1], R[:, p + 1:]
        d = rs.d.astype(np.float64)
        ll = float((self.cw_events * eta[rs.ev_rows]).sum() - shifted_events)
        U = self.x_event_sum.copy()
        Itri = np.zeros(S2.shape[1])
        H = np.zeros(len(d))  # sum over tie ranks of the hazard increment 1 / S0_l
        G = np.zeros((len(d), p))  # ... of xbar_l / S0_l
        Hc = np.zeros(len(d))  # ... weighted by l / d (the Efron share of tied deaths)
        Gc = np.zeros((len(d), p))
        xbar_mean = np.zeros((len(d), p))  # mean over tie ranks of xbar_l
        # tie rank 0 concerns every event time (no Efron correction); with Breslow it counts
        # d times. Efron ranks l >= 1 exist only where d > l: all such (time, rank) pairs are
        # handled in one vectorised pass. With case weights each Efron rank counts the mean
        # weight of the tied deaths and Breslow their total weight (as R's agfit4).
        mw = rs.mean_death_weight
        mult = mw if self.efron else rs.death_weight
        xbar = S1 / S0[:, None]
        ll -= float((mult * np.log(S0)).sum())
        # the information sum_t m_t (S2_t / S0_t - xbar_t xbar_t') as two sums by einsum (no
        # times x p^2 temporaries of the difference); BLAS matrix products in their place
        # accumulate sequentially and lost digits (R's SEs differed by 2.4e-6 relative on the
        # corpus; 1.6e-7 with einsum, 3.7e-7 with the per-time difference summed pairwise)
        Ut = -(mult[:, None] * xbar)
        if per_time:
            It = mult[:, None] * (S2 / S0[:, None] - xbar[:, self.iu[0]] * xbar[:, self.iu[1]])
            Itri += It.sum(axis=0)
        else:
            Itri += np.einsum("t,ti->i", mult / S0, S2) - np.einsum(
                "ti,ti->i", -Ut[:, self.iu[0]], xbar[:, self.iu[1]])
        U += Ut.sum(axis=0)
        h = mult / S0
        H += h
        G += h[:, None] * xbar
        xbar_mean += xbar / (d[:, None] if self.efron else 1.0)
        if self.efron and len(rs.tie_time):
            # the sums over the tied deaths, D, at the tied times only; j: each pair's time
            # among them, k: among all event times
            E = rs.tied_event_sums(rw)
            D0, D1, D2 = E[:, 0], E[:, 1:p + 1], E[:, p + 1:]
            k, j, frac = rs.tie_time, rs.tie_pos, rs.tie_frac
            tt, starts = rs.tied_times, rs.tie_starts
            s0 = S0[k] - frac * D0[j]
            xb = (S1[k] - frac[:, None] * D1[j]) / s0[:, None]
            mk = mw[k]
            ll -= float((mk * np.log(s0)).sum())
            ut = mk[:, None] * xb
            U -= ut.sum(axis=0)
            hk = mk / s0
            fhk = frac * hk
            # sums over each tied time's ranks (the pairs are grouped by time): of the
            # vectors by reduceat, of xb weighted by hk, by fhk and by 1 by sparse products
            # with the weights in the matrix (no pairs x p temporaries)
            hk_t, fhk_t = np.add.reduceat(hk, starts), np.add.reduceat(fhk, starts)
            if per_time:
                s2 = S2[k] - frac[:, None] * D2[j]
                it = mk[:, None] * (s2 / s0[:, None] - xb[:, self.iu[0]] * xb[:, self.iu[1]])
                Itri += it.sum(axis=0)
                Ut[tt] -= np.add.reduceat(ut, starts, axis=0)
                It[tt] += np.add.reduceat(it, starts, axis=0)
            else:  # the pairs' hk S2 - fhk D2, grouped by time first
                Itri += (np.einsum("t,ti->i", hk_t, S2[tt]) - np.einsum("t,ti->i", fhk_t, D2)
                         - np.einsum("ti,ti->i", ut[:, self.iu[0]], xb[:, self.iu[1]]))
            H[tt] += hk_t
            Hc[tt] += fhk_t
            G[tt] += rs.pair_groups.sums(xb, hk)
            Gc[tt] += rs.pair_groups.sums(xb, fhk)
            xbar_mean[tt] += np.add.reduceat(xb, starts, axis=0) / d[tt, None]
        info = np.zeros((p, p))
        info[self.iu] = Itri
        info = info + np.triu(info, 1).T
        det = {"w": w, "shift": shift, "H": H, "G": G, "Hc": Hc, "Gc": Gc,
               "xbar_mean": xbar_mean}
        if per_time:
            dead = np.add.reduceat(rs.cw[rs.ev_order, None] * X[rs.ev_order], rs.ev_starts,
                                   axis=0)
            det["U_t"], det["I_t"] = Ut + dead, It
        return ll, U, info, det


class CoxTimeVarying(Estimator):
    """Cox model for (start, stop] data: time-varying covariates, strata, robust SEs.

    Parameters
    ----------
    ties : {"efron", "breslow"}
        Handling of tied event times (R's default is Efron).
    tol : float
        Convergence when the Newton decrement U' I^-1 U (twice the log partial likelihood
        still to gain) falls below ``tol`` times max(1, |log-likelihood|).
    max_iter : int
        Newton-Raphson iterations at most.
    alpha : float
        1 - confidence level of ``summary`` and ``conf_int`` (default 0.05: 95%).

    Attributes (after ``fit``)
    --------------------------
    params_, bse_, hazard_ratios_ : Series
        Log hazard ratios, their standard errors (robust when ``robust=True``), hazard ratios.
    cov_params_ : DataFrame
        Covariance of ``params_`` (robust when requested); ``naive_cov_params_`` is the
        inverse information.
    llf_, llf_null_ : float
        Log partial likelihood at the estimate and at beta = 0.
    lr_test_, wald_test_, score_test_ : dict
        statistic, df, p_value (R's ``logtest``, ``waldtest``, ``sctest``).
    baseline_cumulative_hazard_ : DataFrame
        time, cumulative_hazard (and stratum), at covariates 0.
    concordance_ : float
        Computed on first access.
    n_obs_, n_events_, n_dropped_, n_iter_ : int
    aliased_ : list of str
        Terms that cannot be estimated (constant within every risk set or stratum, or linear
        combinations of others), left out of the fit as R's ``coxph`` does (its NA
        coefficients); ``params_`` holds the estimable terms, ``summary`` shows every term.
    """

    llf_: float
    _RATIO = ("hazard_ratio", "hr")  # the summary's ratio column and its CI prefix

    def __init__(self, ties: str = "efron", tol: float = 1e-12, max_iter: int = 50,
                 alpha: float = 0.05) -> None:
        super().__init__(alpha)
        check_choice(ties, "ties", ("efron", "breslow"))
        self.ties = ties
        self.tol = check_positive(tol, "tol")
        self.max_iter = check_integer(max_iter, "max_iter", low=1)

    def fit(self, data: pd.DataFrame, id_col: str, start_col: str, stop_col: str,
            event_col: str, formula: str | None = None, strata: str | list[str] | None = None,
            robust: bool = False, weights: str | None = None) -> CoxTimeVarying:
        """Fit the model; returns ``self``.

        ``formula`` is a right-hand side ("age + C(onset_site)"); without it every column other
        than the id, start, stop, event, strata and weights columns is a covariate. Plain
        (baseline) Cox data is the special case start = 0. Rows with missing values are dropped
        and counted. ``weights`` names a column of case weights (finite, >= 0), e.g. the
        Fine-Gray censoring weights; the robust variance then sums weighted score residuals by
        id, as R's ``coxph(..., weights = w, cluster = id)``.
        """
        strata_cols = [strata] if isinstance(strata, str) else list(strata or [])
        needed = [id_col, start_col, stop_col, event_col, *strata_cols,
                  *([weights] if weights else [])]
        design = self._covariates(data, needed, formula)
        X, names, rows = design.X, design.x_names, design.rows
        sub = data.iloc[rows]
        start = sub[start_col].to_numpy(dtype=np.float64)
        stop = sub[stop_col].to_numpy(dtype=np.float64)
        event_raw = sub[event_col].to_numpy()
        self._check_data(start, stop, event_raw, sub[id_col].to_numpy(), rows)
        event = event_raw.astype(bool)
        case_weights = None
        if weights:
            case_weights = sub[weights].to_numpy(dtype=np.float64)
            bad = ~np.isfinite(case_weights) | (case_weights < 0)
            if bad.any():
                raise ModelDataError(
                    f"CoxTimeVarying: weights must be finite and >= 0; found "
                    f"{case_weights[bad][:5].tolist()} at data row(s) {rows[bad][:10].tolist()}")
        warn_dropped(design.n_dropped, len(data), "CoxTimeVarying")
        if strata_cols:
            stratum, strata_labels = pd.MultiIndex.from_frame(sub[strata_cols]).factorize() \
                if len(strata_cols) > 1 else pd.factorize(sub[strata_cols[0]], sort=True)
        else:
            stratum, strata_labels = np.zeros(len(sub), dtype=np.int64), None
        self._maximise(X, list(names), start, stop, event, stratum, case_weights,
                       sub[id_col].to_numpy() if robust else None, None)
        self._store_strata(strata_labels, strata_cols, design.n_dropped)
        self._spec = design.spec
        return self

    def _covariates(self, data: pd.DataFrame, needed: list[str],
                    formula: str | None) -> Design:
        """The design of ``formula`` (default: every column not in ``needed``), rows with a
        missing value in it or in ``needed`` dropped; raises when a column is absent or there is
        no covariate."""
        what = type(self).__name__
        missing = [c for c in needed if c not in getattr(data, "columns", [])]
        if missing:
            raise ModelDataError(f"{what}: column(s) {missing} not in the data")
        if formula is None:
            covs = [c for c in data.columns if c not in needed]
            formula = " + ".join(f"Q('{c}')" for c in covs) if covs else "0"
        design = build(data, formula, extra=needed, intercept=False, what=what)
        if design.X.shape[1] == 0:
            raise ModelDataError(f"{what}: no covariates")
        return design

    def fit_arrays(self, X: Any, time: Any, event: Any, entry: Any = None,
                   names: list[str] | None = None, init: Any = None) -> CoxTimeVarying:
        """Fit the model to a numeric design matrix; returns ``self``.

        The same model as :meth:`fit` (one row per subject, no strata, model-based SEs) for
        callers that already hold the covariates as numbers, e.g. a bootstrap that refits the
        same columns on thousands of resamples: no formula is parsed and no frame is built.

        Parameters
        ----------
        X : array of shape (n, p)
            Covariates, finite numbers.
        time, event : arrays of length n
            Follow-up time and 0/1 event indicator.
        entry : array of length n, optional
            Delayed entry (at risk on (entry, time]); default 0 for everyone's risk set from
            the start (entry before every time).
        names : list of str, optional
            Covariate names (default x0, x1, ...).
        init : array of length p, optional
            Starting values of the coefficients (default 0), e.g. the estimate on the full
            data for a bootstrap refit: Newton-Raphson then needs fewer steps to the same
            maximum.

        Returns
        -------
        CoxTimeVarying
            Fitted; ``params_``, ``bse_``, ``llf_``, ``baseline_cumulative_hazard_at`` etc. as
            after :meth:`fit` (the formula-based predictions are not available).

        Examples
        --------
        >>> import numpy as np
        >>> rng = np.random.default_rng(1)
        >>> x = rng.normal(size=(200, 1))
        >>> t = rng.exponential(np.exp(-0.5 * x[:, 0]))
        >>> fit = CoxTimeVarying().fit_arrays(x, t, np.ones(200), names=["x"])
        >>> bool(0.2 < fit.params_["x"] < 0.8)
        True
        """
        time, ev, start = check_survival(time, event, entry)
        n = len(time)
        Xa = np.asarray(X, dtype=np.float64)
        if Xa.ndim != 2 or Xa.shape[0] != n:
            raise ModelDataError(f"CoxTimeVarying: X must be a matrix with one row per subject "
                                 f"({n}), not shape {Xa.shape}")
        bad = ~np.isfinite(Xa).all(axis=1)
        if bad.any():
            raise ModelDataError(f"CoxTimeVarying: X must be finite; row(s) "
                                 f"{np.flatnonzero(bad)[:10].tolist()} are not")
        if Xa.shape[1] == 0:
            raise ModelDataError("CoxTimeVarying: no covariates")
        if not ev.any():
            raise ModelDataError("CoxTimeVarying: no events in the data")
        names = [f"x{j}" for j in range(Xa.shape[1])] if names is None else list(names)
        if len(names) != Xa.shape[1]:
            raise ModelDataError(f"CoxTimeVarying: {len(names)} names for {Xa.shape[1]} columns")
        if start is None:
            start = np.full(n, min(0.0, float(time.min()) - 1.0))
        beta0 = None
        if init is not None:
            beta0 = np.asarray(init, dtype=np.float64)
            if beta0.shape != (Xa.shape[1],) or not np.isfinite(beta0).all():
                raise ModelDataError(f"CoxTimeVarying: init must be {Xa.shape[1]} finite "
                                     f"numbers, not {beta0.tolist()}")
        self._maximise(Xa, names, start, time, ev, np.zeros(n, dtype=np.int64), None, None,
                       beta0)
        self._store_strata(None, [], 0)
        self._spec = None
        return self

    def _maximise(self, X: np.ndarray, names: list[str], start: np.ndarray, stop: np.ndarray,
                  event: np.ndarray, stratum: np.ndarray, case_weights: np.ndarray | None,
                  cluster_ids: np.ndarray | None, init: np.ndarray | None,
                  extension: Extension | None = None) -> None:
        """Newton-Raphson from ``init`` (default 0) to the maximum of the partial likelihood,
        and the estimates stored; robust SEs clustered by ``cluster_ids`` when given; rows
        kept in the risk sets after their stop time as ``extension`` says."""
        robust = cluster_ids is not None
        means = X.mean(axis=0)
        Xc = X - means
        rs = _RiskSets(start, stop, event, stratum, case_weights, extension)
        iu = _tri(Xc)
        plik = self._likelihood(rs, Xc, iu)
        beta, (ll, U, info, det) = self._starting_point(plik, init)
        # R's rule is relative to the largest information (at the starting point, as R's
        # coxph); a column whose information is nothing against its own spread (constant
        # within every risk set, up to rounding) cannot be estimated either, even when every
        # column is such
        spread = rs.cw[rs.ev_rows].sum() * np.average(Xc**2, axis=0, weights=rs.cw)
        aliased = aliased_columns(info) | (np.diag(info) <= 1e-10 * spread)
        self.aliased_ = [names[j] for j in np.flatnonzero(aliased)]
        self._all_terms = list(names)
        if aliased.any():
            if aliased.all():
                raise ModelDataError(
                    f"{type(self).__name__}: no covariate can be estimated: {self.aliased_} do "
                    "not vary within the risk sets (constant, or constant within every "
                    "stratum)")
            warnings.warn(
                f"{type(self).__name__}: {self.aliased_} cannot be estimated (constant within "
                "every risk set or stratum, or a linear combination of the other covariates); left "
                "out of the model and reported as NaN, as R's coxph reports NA",
                ModelWarning, stacklevel=3)
            keep = ~aliased
            X, Xc, means = X[:, keep], Xc[:, keep], means[keep]
            names = [n for n, k in zip(names, keep, strict=True) if k]
            iu = _tri(Xc)
            plik = self._likelihood(rs, Xc, iu)
            beta, (ll, U, info, det) = self._starting_point(
                plik, None if init is None else init[keep])
        # the null model (beta = 0) for the likelihood-ratio and score tests: the first point
        # of a fit from 0; after a warm start, computed when a test is first asked for (a
        # bootstrap refit asks for none)
        null: tuple[float, np.ndarray, np.ndarray] | _PartialLikelihood = (ll, U, info) \
            if not beta.any() else plik
        converged = False
        n_iter = polish = 0
        last_step = np.inf
        at_convergence = None
        with np.errstate(over="ignore", divide="ignore", invalid="ignore"):
            while n_iter < self.max_iter:
                step = _newton_step(info, U)
                if step is None:
                    break
                # the Newton decrement U' I^-1 U is twice the log-likelihood still to gain: a
                # small change of the log-likelihood alone can stop a slow (non-quadratic)
                # approach short, leaving ~1e-6 in beta on a flat likelihood
                if float(U @ step) <= self.tol * max(abs(ll), 1.0):
                    if not converged:  # R's toler.inf rule reads the state at this point
                        converged, at_convergence = True, (beta, U, info)
                    # ...but in a flat direction a tiny decrement still leaves ~1e-6 in beta:
                    # polish while the steps contract as Newton's do near a finite maximum
                    # (they do not where the likelihood is monotone and beta runs off)
                    if np.max(np.abs(step)) <= 0.5 * last_step and np.max(np.abs(step)) > \
                            1e-13 * (1 + np.max(np.abs(beta))) and polish < 3:
                        cand = plik(beta + step)
                        # judged by the score, not the log-likelihood: the latter carries
                        # ~1e-11 relative rounding from the running risk-set sums
                        nxt = _newton_step(cand[2], cand[1]) if np.isfinite(cand[0]) else None
                        if nxt is not None and float(cand[1] @ nxt) <= float(U @ step):
                            polish += 1
                            last_step = float(np.max(np.abs(step)))
                            beta = beta + step
                            ll, U, info, det = cand
                            continue
                    break
                n_iter += 1
                cand = plik(beta + step)
                halvings = 0
                while (not np.isfinite(cand[0]) or cand[0] < ll - 1e-12 * abs(ll)) \
                        and halvings < 30:
                    step /= 2
                    cand = plik(beta + step)
                    halvings += 1
                if not np.isfinite(cand[0]):
                    break
                beta = beta + step
                last_step = float(np.max(np.abs(step)))
                done = last_step < 1e-12
                ll, U, info, det = cand
                if done:
                    converged = True
                    break
        self.n_iter_ = n_iter
        self._check_finite_maximum(*(at_convergence or (beta, U, info)), Xc, names, converged)
        naive = np.linalg.inv(info)
        var = naive
        if cluster_ids is not None:
            resid = self._score_residuals(rs, Xc, event, det)
            _, cluster = np.unique(cluster_ids, return_inverse=True)
            Uc = np.zeros((cluster.max() + 1, X.shape[1]))
            np.add.at(Uc, cluster, rs.cw[:, None] * resid)
            var = naive @ (Uc.T @ Uc) @ naive
        self._store(beta, var, naive, ll, null, names, means, det, robust, converged,
                    len(stop), int(event.sum()))
        # for the concordance, the baseline hazard and the proportional-hazards test
        # (alspaincohort.stats.zph)
        self._fit_state: dict[str, Any] = {"plik": plik, "beta": beta, "start": start,
                                           "stop": stop}

    def _likelihood(self, rs: _RiskSets, X: np.ndarray, iu: Any) -> Any:
        """The function maximised: beta -> (log-likelihood, score, information, pieces); the
        partial likelihood with the model's ties (a subclass may maximise another likelihood
        over the same rows, as :class:`~alspaincohort.stats.ConditionalLogit` does)."""
        return self._partial_likelihood(rs, X, iu)

    def _partial_likelihood(self, rs: _RiskSets, X: np.ndarray, iu: Any) -> Any:
        """The Cox partial likelihood with the model's ties."""
        return _PartialLikelihood(rs, X, iu, self.ties == "efron")

    @staticmethod
    def _starting_point(plik: _PartialLikelihood, init: np.ndarray | None
                        ) -> tuple[np.ndarray, tuple[float, np.ndarray, np.ndarray, dict]]:
        """Where Newton-Raphson starts: ``init`` where the partial likelihood and its
        information are finite there (R's coxph starts at its ``init`` as given), else 0; and
        the likelihood's value, score, information and pieces there."""
        if init is not None and np.any(init != 0):
            with np.errstate(over="ignore", divide="ignore", invalid="ignore"):
                at = plik(init)
            if np.isfinite(at[0]) and np.all(np.isfinite(at[2])):
                return init.copy(), at
        beta = np.zeros(plik.p)
        return beta, plik(beta)

    def _check_finite_maximum(self, beta: np.ndarray, U: np.ndarray, info: np.ndarray,
                              X: np.ndarray, names: list[str], converged: bool) -> None:
        """Raise when the partial likelihood has no finite maximum or was not reached.

        Monotone likelihood (a covariate, or combination, that orders every event before the
        rest of its risk set, common in small samples): the log-likelihood converges while a
        coefficient runs off to infinity, and any number reported for it is an artefact of the
        iteration count (R's coxph warns "beta may be infinite" and prints it anyway). Found
        as R finds it, a remaining Newton step |I^-1 U| larger than ``toler_inf`` (1 + |beta|)
        (R's ``toler.inf`` rule, with R's default 3e-5), or as an information matrix that
        became singular at the estimate.
        """
        with np.errstate(over="ignore", invalid="ignore"):
            step = _newton_step(info, U)
            diverging = ~np.isfinite(beta)
            if step is None:
                diverging |= aliased_columns(info)
            else:
                diverging |= np.abs(step) > 3e-5 * (1 + np.abs(beta))
                # a near-singular information (a combination of covariates along which the
                # likelihood is flat) can invert to a negative variance: no maximum there
                var = np.diag(np.linalg.inv(info)) if np.isfinite(info).all() else None
                diverging |= True if var is None else ~(var > 0)
        if diverging.any():
            bad = [n for n, d in zip(names, diverging, strict=True) if d]
            raise ModelDataError(
                f"{type(self).__name__}: the partial likelihood has no finite maximum: the "
                f"coefficient(s) of {bad} grow without bound (monotone likelihood: the "
                "covariate orders the events before the rest of their risk sets, typical of "
                "few events); no hazard ratio can be estimated. Use fewer covariates, more "
                "events, or a penalised (Firth) model")
        if not converged:
            raise ModelDataError(
                f"{type(self).__name__}: Newton-Raphson did not converge in {self.max_iter} "
                "iterations (raise max_iter, or check the covariates' scale)")

    @staticmethod
    def _check_data(start: np.ndarray, stop: np.ndarray, event: np.ndarray, ids: np.ndarray,
                    rows: np.ndarray) -> None:
        for name, v in (("start", start), ("stop", stop)):
            bad = ~np.isfinite(v)
            if bad.any():
                raise ModelDataError(
                    f"CoxTimeVarying: non-finite {name} times at data row(s) "
                    f"{rows[bad][:10].tolist()}"
                )
        bad = start >= stop
        if bad.any():
            raise ModelDataError(
                f"CoxTimeVarying: {int(bad.sum())} interval(s) with start >= stop at data row(s) "
                f"{rows[bad][:10].tolist()}"
            )
        ok = np.isin(event, [0, 1, True, False])
        if not ok.all():
            raise ModelDataError(
                f"CoxTimeVarying: event must be 0/1, found {event[~ok][:5].tolist()} at data "
                f"row(s) {rows[~ok][:10].tolist()}"
            )
        if not event.astype(bool).any():
            raise ModelDataError("CoxTimeVarying: no events in the data")
        codes = pd.factorize(ids)[0]
        # rows already grouped by id (factorize numbers ids by first appearance, so grouped
        # rows have non-decreasing codes) and ordered by start within an id, as
        # counting-process data usually is, need no sort
        step = np.diff(codes)
        if np.all(step >= 0) and np.all(np.diff(start)[step == 0] >= 0):
            order = np.arange(len(codes))
        else:
            order = np.lexsort((start, codes))
        same = codes[order]
        s_start, s_stop = start[order], stop[order]
        overlap = (same[1:] == same[:-1]) & (s_start[1:] < s_stop[:-1])
        if overlap.any():
            where = order[1:][overlap]
            raise ModelDataError(
                f"CoxTimeVarying: {int(overlap.sum())} interval(s) overlap an earlier interval of "
                f"the same id, at data row(s) {rows[where][:10].tolist()}"
            )

    @staticmethod
    def _score_residuals(rs: _RiskSets, X: np.ndarray, event: np.ndarray,
                         det: dict[str, Any]) -> np.ndarray:
        """Score residuals of every row (R's ``residuals(fit, type = "score")``)."""
        w = det["w"]
        CH = np.concatenate([[0.0], np.cumsum(det["H"])])
        CG = np.concatenate([np.zeros((1, X.shape[1])), np.cumsum(det["G"], axis=0)])
        hi = np.searchsorted(rs.times, rs.stop, side="right")
        lo = np.searchsorted(rs.times, rs.start, side="right")
        resid = -w[:, None] * (X * (CH[hi] - CH[lo])[:, None] - (CG[hi] - CG[lo]))
        if rs.ext_row is not None:  # the share of the risk sets after the stop time
            FH = np.concatenate([[0.0], np.cumsum(rs.ext_time * det["H"])])
            FG = np.concatenate([np.zeros((1, X.shape[1])),
                                 np.cumsum(rs.ext_time[:, None] * det["G"], axis=0)])
            resid -= (w * rs.ext_row)[:, None] * (X * (FH[-1] - FH[hi])[:, None]
                                                  - (FG[-1] - FG[hi]))
        er = rs.ev_rows
        k = rs.ev_time_index
        resid[er] += X[er] - det["xbar_mean"][k]
        resid[er] += w[er][:, None] * (X[er] * det["Hc"][k][:, None] - det["Gc"][k])
        return resid

    def _store(self, beta: np.ndarray, var: np.ndarray, naive: np.ndarray, ll: float,
               null: tuple[float, np.ndarray, np.ndarray] | _PartialLikelihood,
               names: list[str], means: np.ndarray, det: dict[str, Any], robust: bool,
               converged: bool, n: int, n_events: int) -> None:
        """Keep the estimates as arrays; the Series, frames and tests are built on first
        access (a bootstrap refit reads one or two of them, and building all of them cost as
        much as two Newton steps)."""
        self.__dict__.update(_est={"beta": beta, "var": var, "naive": naive, "names": names,
                                   "means": means, "null": null},
                             llf_=ll)
        for lazy in _LAZY:
            self.__dict__.pop(lazy, None)
        # baseline hazard increments at x = 0: undo the centring and the overflow shift
        self._hazard = det["H"] * np.exp(-(means @ beta + det["shift"]))
        self.robust = robust
        self.converged_ = converged
        self.n_obs_, self.n_events_ = n, n_events
        self._concordance: float | None = None
        self._baseline: pd.DataFrame | None = None

    def _estimate(self, key: str) -> Any:
        est = self.__dict__.get("_est")
        if est is None:  # not fitted: hasattr(model, "params_") is False
            raise AttributeError(key)
        return est[key]

    @functools.cached_property
    def params_(self) -> pd.Series:
        """Log hazard ratios."""
        return pd.Series(self._estimate("beta"), index=self._estimate("names"), name="coef")

    @functools.cached_property
    def bse_(self) -> pd.Series:
        """Standard errors (robust when fitted so)."""
        return pd.Series(np.sqrt(np.diag(self._estimate("var"))),
                         index=self._estimate("names"), name="se")

    @functools.cached_property
    def cov_params_(self) -> pd.DataFrame:
        """Covariance of ``params_`` (robust when fitted so)."""
        names = self._estimate("names")
        return pd.DataFrame(self._estimate("var"), index=names, columns=names)

    @functools.cached_property
    def naive_cov_params_(self) -> pd.DataFrame:
        """The inverse information (model-based covariance)."""
        names = self._estimate("names")
        return pd.DataFrame(self._estimate("naive"), index=names, columns=names)

    @functools.cached_property
    def hazard_ratios_(self) -> pd.Series:
        """exp(``params_``)."""
        with np.errstate(over="ignore"):  # a finite but huge coefficient has HR inf
            return np.exp(self.params_).rename("hazard_ratio")

    @functools.cached_property
    def means_(self) -> pd.Series:
        """The covariates' means (the centring of the linear predictor)."""
        return pd.Series(self._estimate("means"), index=self._estimate("names"))

    @functools.cached_property
    def _null(self) -> tuple[float, np.ndarray, np.ndarray]:
        null = self._estimate("null")  # the values, or the likelihood to evaluate at 0
        return null(np.zeros(null.p))[:3] if isinstance(null, _PartialLikelihood) else null

    @functools.cached_property
    def llf_null_(self) -> float:
        """Log partial likelihood at beta = 0."""
        return float(self._null[0])

    @functools.cached_property
    def lr_test_(self) -> dict[str, Any]:
        """Likelihood-ratio test against beta = 0 (R's ``logtest``)."""
        return _chi2_test(2 * (self.llf_ - self.llf_null_), len(self._estimate("beta")))

    @functools.cached_property
    def wald_test_(self) -> dict[str, Any]:
        """Wald test of beta = 0 (R's ``waldtest``)."""
        beta = self._estimate("beta")
        return _chi2_test(float(beta @ np.linalg.solve(self._estimate("var"), beta)), len(beta))

    @functools.cached_property
    def score_test_(self) -> dict[str, Any]:
        """Score test at beta = 0 (R's ``sctest``)."""
        _, U0, I0 = self._null
        return _chi2_test(float(U0 @ np.linalg.solve(I0, U0)), len(U0))

    def _store_strata(self, strata_labels: Any, strata_cols: list[str], n_dropped: int) -> None:
        self._strata_labels, self.strata_, self.n_dropped_ = strata_labels, strata_cols, n_dropped

    @property
    def baseline_cumulative_hazard_(self) -> pd.DataFrame:
        """time, cumulative_hazard (and stratum, for a stratified model) at covariates 0."""
        self._check_fitted()
        if self._baseline is None:
            rs = self._fit_state["plik"].rs
            stratum = rs.time_stratum
            frame = pd.DataFrame({"stratum": stratum, "time": rs.times - stratum * rs.span
                                  + rs.origin, "hazard": self._hazard})
            frame["cumulative_hazard"] = frame.groupby("stratum")["hazard"].cumsum()
            if self._strata_labels is not None:
                frame["stratum"] = np.asarray(self._strata_labels, dtype=object)[
                    frame["stratum"]]
                self._baseline = frame[["stratum", "time", "cumulative_hazard"]]
            else:
                self._baseline = frame[["time", "cumulative_hazard"]]
        return self._baseline

    # ------------------------------------------------------------------------------------------
    @property
    def summary(self) -> pd.DataFrame:
        """estimate (log HR), hazard_ratio, std_error, z, p_value, ci_low, ci_high (log scale),
        hr_ci_low, hr_ci_high (Wald, at the model's ``alpha``); a term that cannot be estimated
        (``aliased_``) is a row of NaN."""
        self._check_fitted()
        name, short = self._RATIO
        out = wald_table(self.params_, self.bse_, self.alpha)
        with np.errstate(over="ignore"):
            out.insert(1, name, np.exp(out["estimate"]))
            out[f"{short}_ci_low"] = np.exp(out["ci_low"])
            out[f"{short}_ci_high"] = np.exp(out["ci_high"])
        # terms that cannot be estimated stay in the table as NaN rows (R prints NA)
        return out.reindex(getattr(self, "_all_terms", list(out.index)))

    def _describe(self) -> str:
        kind = "robust" if self.robust else "model-based"
        return (f"Cox model ({self.ties} ties, {kind} SEs): {self.n_obs_} rows, "
                f"{self.n_events_} events, dropped {self.n_dropped_}")

    def _footer(self) -> list[str]:
        lines = [f"log partial likelihood {self.llf_:.4f}; concordance "
                 f"{self.concordance_:.4f}"]
        for name, t in (("likelihood ratio", self.lr_test_),
                        ("Wald", self.wald_test_), ("score", self.score_test_)):
            lines.append(f"{name} test: {t['statistic']:.3f} on {t['df']} df, "
                         f"p = {t['p_value']:.3g}")
        return lines

    def baseline_cumulative_hazard_at(self, times: Any, stratum: Any = None) -> np.ndarray:
        """The baseline cumulative hazard (covariates 0) as a step function evaluated at
        ``times``: its value at the last event time <= t (0 before the first)."""
        t = np.asarray(times, dtype=float)
        self._check_fitted()
        if self._strata_labels is None:  # straight from the increments: bootstraps call this
            rs = self._fit_state["plik"].rs
            idx = np.searchsorted(rs.times + rs.origin, t, side="right")
            return np.r_[0.0, np.cumsum(self._hazard)][idx]
        bh = self.baseline_cumulative_hazard_
        if stratum is None:
            raise ModelDataError("a stratified model needs the stratum")
        bh = bh[bh["stratum"] == stratum]
        idx = np.searchsorted(bh["time"].to_numpy(), t, side="right")
        values = np.r_[0.0, bh["cumulative_hazard"].to_numpy()]
        return values[idx]

    @property
    def concordance_(self) -> float:
        """Harrell's C for counting-process data, as R's ``concordance(fit)``."""
        if self._concordance is None:
            plik, beta = self._fit_state["plik"], self._fit_state["beta"]
            rs = plik.rs
            self._concordance = concordance_counts(rs.start, rs.stop, rs.event, plik.X @ beta,
                                                   rs.cw).concordance
        return self._concordance

    def _design(self, data: pd.DataFrame) -> np.ndarray:
        if self._spec is None:
            raise ModelDataError(f"{type(self).__name__}: fitted with fit_arrays, so there is "
                                 "no formula to predict from; use X @ params_")
        return np.asarray(self._spec.get_model_matrix(data)[list(self.params_.index)],  # type: ignore[attr-defined]
                          dtype=float)

    def predict_log_partial_hazard(self, data: pd.DataFrame) -> pd.Series:
        """(x - training means) . beta, as R's ``predict(type = "lp")`` and lifelines."""
        X = self._design(data)
        return pd.Series((X - self.means_.to_numpy()) @ self.params_.to_numpy(),
                         index=data.index, name="log_partial_hazard")

    def predict_partial_hazard(self, data: pd.DataFrame) -> pd.Series:
        """exp of :meth:`predict_log_partial_hazard` (R's ``type = "risk"``)."""
        return np.exp(self.predict_log_partial_hazard(data)).rename("partial_hazard")
