"""Conditional logistic regression for matched sets (nested case-control studies).

The model of R's ``survival::clogit``: in matched set s with n_s members of whom m_s are cases,
the probability that exactly the observed members are the cases, given that m_s are, is

    exp(sum_{i in cases} x_i' beta) / sum_{|S| = m_s} exp(sum_{i in S} x_i' beta),

the sum running over every subset S of m_s members (the exact conditional likelihood). Its
maximum estimates the log odds ratios of the covariates; under incidence-density (risk-set)
sampling they estimate the log hazard ratios of the full cohort (Prentice & Breslow 1978).

Methods
-------
``"exact"`` (R's default)
    The denominator is the elementary symmetric polynomial of degree m_s of the weights
    w_i = exp(x_i' beta), computed with its gradient and Hessian by the recursion of Gail,
    Lubin & Rubinstein (1981): B(k, j) = B(k, j - 1) + w_j B(k - 1, j - 1), run over the members
    of all sets of one size at once (vectorised over sets; O(n m p^2) per set). Where every set
    holds one case the exact likelihood equals the Breslow one (the denominator is sum_i w_i),
    and the fit takes that faster path.
``"breslow"``, ``"efron"``
    The Cox partial likelihood with every member of a set at one tied time, as R's clogit
    passes ``Surv(rep(1, n), case)`` with ``strata(set)`` to ``coxph``: fitted by the package's
    Cox engine (:class:`~alspaincohort.stats.CoxTimeVarying`), with its Newton-Raphson, its
    convergence and aliasing rules and its diagnostics of an infinite maximum.

Why not statsmodels' ``ConditionalLogit``: it has the exact likelihood only (no Breslow or
Efron, which R users compare against), evaluates it set by set in Python (thousands of sets per
Newton step at register scale), and reports neither aliased terms nor monotone likelihoods.
This class is a subclass of the Cox engine that changes only the likelihood maximised, so both
share every rule.

References
----------
Gail MH, Lubin JH, Rubinstein LV. Likelihood calculations for matched case-control studies and
survival studies with tied death times. Biometrika 1981;68(3):703-707.
Prentice RL, Breslow NE. Retrospective studies and failure time models. Biometrika
1978;65(1):153-158.
Breslow NE, Day NE. Statistical Methods in Cancer Research, Vol. I: The Analysis of Case-Control
Studies. IARC Scientific Publications No. 32. Lyon: IARC; 1980. Chapter 7.
"""

from __future__ import annotations

from typing import Any, NoReturn

import numpy as np
import pandas as pd

from ..errors import ModelDataError, ParameterError
from ..validation import check_choice, check_event, check_frame
from .cox import CoxTimeVarying

METHODS = ("exact", "breslow", "efron")


class _ExactConditional:
    """The exact conditional log-likelihood, its score and information at one beta."""

    def __init__(self, X: np.ndarray, stratum: np.ndarray, case: np.ndarray,
                 n_event_times: int) -> None:
        self.p = X.shape[1]
        self.n_event_times = n_event_times
        order = np.lexsort((~case, stratum))  # cases first within each set
        counts = np.bincount(stratum)
        cases = np.bincount(stratum, weights=case.astype(float)).astype(np.int64)
        firsts = np.r_[0, np.cumsum(counts)[:-1]]
        informative = np.flatnonzero((cases > 0) & (cases < counts))
        # sets of one size are run together: their members' rows (sets x size x p)
        self.groups: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []
        for n in np.unique(counts[informative]):
            sets = informative[counts[informative] == n]
            rows = order[firsts[sets, None] + np.arange(n)]
            m = cases[sets]
            is_case = np.arange(n)[None, :] < m[:, None]
            self.groups.append((m, is_case, X[rows]))
        self.x_case_sum = X[case & np.isin(stratum, informative)].sum(axis=0)

    def __call__(self, beta: np.ndarray) -> tuple[float, np.ndarray, np.ndarray, dict[str, Any]]:
        p = self.p
        ll, U, info = 0.0, self.x_case_sum.copy(), np.zeros((p, p))
        for m, is_case, Xg in self.groups:
            eta = Xg @ beta  # (sets, n)
            shift = eta.max(axis=1)
            w = np.exp(eta - shift[:, None])
            S, n = w.shape
            M = int(m.max())
            B = np.zeros((S, M + 1))
            B[:, 0] = 1.0
            B1 = np.zeros((S, M + 1, p))
            B2 = np.zeros((S, M + 1, p, p))
            for j in range(n):
                wj = w[:, j, None]
                xj = Xg[:, j, :]
                k = slice(1, min(j + 1, M) + 1)  # degrees that member j can reach
                km = slice(0, min(j + 1, M))
                B2[:, k] += wj[:, :, None, None] * (
                    B2[:, km] + xj[:, None, :, None] * B1[:, km, None, :]
                    + B1[:, km, :, None] * xj[:, None, None, :]
                    + (xj[:, :, None] * xj[:, None, :])[:, None] * B[:, km, None, None])
                B1[:, k] += wj[:, :, None] * (B1[:, km] + xj[:, None, :] * B[:, km, None])
                B[:, k] += wj * B[:, km]
            idx = np.arange(S)
            Bm, B1m, B2m = B[idx, m], B1[idx, m], B2[idx, m]
            if not (np.all(np.isfinite(Bm)) and np.all(Bm > 0)):
                return -np.inf, U, info, {}
            ll += float((eta * is_case).sum() - (np.log(Bm) + m * shift).sum())
            mean = B1m / Bm[:, None]
            U -= mean.sum(axis=0)
            info += (B2m / Bm[:, None, None]).sum(axis=0) - mean.T @ mean
        return ll, U, info, {"H": np.zeros(self.n_event_times), "shift": 0.0}


class ConditionalLogit(CoxTimeVarying):
    """Conditional logistic regression for matched sets, as R's ``survival::clogit``.

    Parameters
    ----------
    method : {"exact", "breslow", "efron"}
        The conditional likelihood (``"exact"``, R's default) or the Cox approximation with
        tied times (see the module docstring). With one case per set all three agree.
    tol, max_iter, alpha
        As :class:`~alspaincohort.stats.CoxTimeVarying`.

    Attributes (after ``fit``)
    --------------------------
    params_, bse_, cov_params_, llf_, llf_null_, lr_test_, wald_test_, score_test_
        Log odds ratios, their standard errors and covariance, the log conditional likelihood
        at the estimate and at 0, and R's three tests of beta = 0.
    odds_ratios_ : Series
        exp(``params_``).
    n_sets_, n_informative_sets_ : int
        Matched sets, and those holding both a case and a non-case (the others carry no
        information on beta under the exact likelihood).
    aliased_ : list of str
        Terms that do not vary within any set (or are combinations of others): left out and
        reported as NaN, as R reports NA.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(1)
    >>> d = pd.DataFrame({"set": np.repeat(np.arange(200), 5),
    ...                   "case": np.tile([1, 0, 0, 0, 0], 200),
    ...                   "x": rng.normal(size=1000)})
    >>> d.loc[d.case == 1, "x"] += 0.5
    >>> fit = ConditionalLogit().fit(d, case="case", group="set")
    >>> round(float(fit.odds_ratios_["x"]), 3), fit.n_informative_sets_
    (1.632, 200)
    """

    _RATIO = ("odds_ratio", "or")  # summary: estimate (log OR), odds_ratio, ..., or_ci_low,
    # or_ci_high

    def __init__(self, method: str = "exact", tol: float = 1e-12, max_iter: int = 50,
                 alpha: float = 0.05) -> None:
        check_choice(method, "method", METHODS)
        super().__init__(ties="efron" if method == "efron" else "breslow", tol=tol,
                         max_iter=max_iter, alpha=alpha)
        self.method = method

    def _settings(self) -> dict[str, Any]:
        return {"method": self.method, "tol": self.tol, "max_iter": self.max_iter,
                "alpha": self.alpha}

    def fit(self, data: pd.DataFrame, case: str, group: str,  # type: ignore[override]
            formula: str | None = None) -> ConditionalLogit:
        """Fit the model; returns ``self``.

        Parameters
        ----------
        data : DataFrame
            One row per member of a matched set.
        case : str
            Column of 0/1: 1 for a case.
        group : str
            Column identifying the matched set.
        formula : str, optional
            Right-hand side ("exposed + C(ddd_category)"); default every other column.
            Rows with a missing value are dropped, counted in ``n_dropped_`` and warned of.
        """
        what = type(self).__name__
        check_frame(data, "data", [case, group], what)
        check_event(data[case], f"{what}: column {case!r}")
        if formula is None:
            covs = [c for c in data.columns if c not in (case, group)]
            formula = " + ".join(c if str(c).isidentifier() else f"Q('{c}')" for c in covs) \
                if covs else "0"
        n = len(data)
        frame = data.reset_index(drop=True).assign(
            _clogit_row=np.arange(n), _clogit_start=np.zeros(n), _clogit_stop=np.ones(n))
        super().fit(frame, "_clogit_row", "_clogit_start", "_clogit_stop", case, formula,
                    strata=group)
        return self

    def _likelihood(self, rs: Any, X: np.ndarray, iu: Any) -> Any:
        stratum = np.floor(rs.stop / rs.span).astype(np.int64)  # the engine's set offsets
        cases = np.bincount(stratum, weights=rs.event.astype(float))
        counts = np.bincount(stratum)
        self.n_sets_ = int((counts > 0).sum())
        self.n_informative_sets_ = int(((cases > 0) & (cases < counts)).sum())
        if self.n_informative_sets_ == 0:
            raise ModelDataError(f"{type(self).__name__}: no matched set holds both a case "
                                 "and a non-case: nothing to estimate")
        if self.method == "exact" and np.any(cases > 1):  # else Breslow's is the exact one
            return _ExactConditional(X, stratum, rs.event.astype(bool), len(rs.d))
        return self._partial_likelihood(rs, X, iu)

    # ------------------------------------------------------------------------------------------
    @property
    def odds_ratios_(self) -> pd.Series:
        """exp(``params_``)."""
        with np.errstate(over="ignore"):
            return np.exp(self.params_).rename("odds_ratio")

    def _no_hazard(self, what: str) -> NoReturn:
        raise ParameterError(f"{type(self).__name__} has no {what}: conditioning on the matched "
                             "sets removes the baseline (use odds_ratios_, summary)")

    @property
    def concordance_(self) -> float:
        """Not defined for matched sets (raises :class:`ParameterError`)."""
        return self._no_hazard("concordance (there are no event times)")

    @property
    def baseline_cumulative_hazard_(self) -> pd.DataFrame:
        """Not defined for matched sets (raises :class:`ParameterError`)."""
        return self._no_hazard("baseline hazard")

    def baseline_cumulative_hazard_at(self, times: Any, stratum: Any = None) -> np.ndarray:
        """Not defined for matched sets (raises :class:`ParameterError`)."""
        return self._no_hazard("baseline hazard")

    def _describe(self) -> str:
        return (f"Conditional logistic regression ({self.method}): {self.n_obs_} rows in "
                f"{self.n_sets_} matched sets ({self.n_informative_sets_} informative), "
                f"{self.n_events_} cases, dropped {self.n_dropped_}")

    def _footer(self) -> list[str]:
        lines = [f"log conditional likelihood {self.llf_:.4f}"]
        for name, t in (("likelihood ratio", self.lr_test_),
                        ("Wald", self.wald_test_), ("score", self.score_test_)):
            lines.append(f"{name} test: {t['statistic']:.3f} on {t['df']} df, "
                         f"p = {t['p_value']:.3g}")
        return lines
