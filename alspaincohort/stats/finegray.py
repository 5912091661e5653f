"""Fine-Gray subdistribution hazards.

Subjects who have a competing event stay in the risk set of the cause of interest after their
event, with weight G(t-) / G(s-) at time t > s (s their event time, G the Kaplan-Meier of the
censoring distribution); censored subjects and events of interest keep weight 1 (Geskus 2011).
The weighted partial likelihood gives the Fine & Gray (1999) estimator. Weights follow R's
``survival::finegray``: G is computed with events leaving the censoring risk set before
censorings at the same time, and the weight changes only where G does (at the censoring
interval that holds the event time), so the fit equals ``coxph(Surv(fgstart, fgstop,
fgstatus) ~ x, weights = fgwt, cluster = id)`` on R's expanded rows (``tests/results/prognosis``).

Two ways to fit it:

- :class:`FineGray` computes each risk set's share of the subjects with a competing event on
  the fly: the weight is a row part (1 / G at the subject's event) times a time part (G at the
  risk set's time), so one more cumulative sum per iteration gives every risk set at once
  (:class:`alspaincohort.stats.cox.Extension`). Memory is O(subjects): no expanded rows (R's
  expansion holds ~170 rows per subject at 20,000 subjects, ~1.4 GiB in pandas).
- :func:`finegray_rows` builds R's expanded (start, stop] rows, for a weighted
  :class:`~alspaincohort.stats.cox.CoxTimeVarying` or for export; the two fits are equal.

There is no Python implementation of either in the packages we depend on (lifelines has none;
scikit-survival neither), so both are written here, vectorised (no loop over subjects).
Right-censored data without delayed entry only.

References
----------
Fine JP, Gray RJ. A proportional hazards model for the subdistribution of a competing risk.
J Am Stat Assoc 1999;94(446):496-509.
Geskus RB. Cause-specific cumulative incidence estimation and the Fine and Gray model under
both left truncation and right censoring. Biometrics 2011;67(1):39-49.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from ..errors import ParameterError
from .concordance import censoring_survival, concordance_counts
from .cox import CoxTimeVarying, Extension
from .design import ModelDataError, warn_dropped


def finegray_rows(time: Any, cause: Any, of_interest: int) -> pd.DataFrame:
    """Expanded (start, stop] rows for the subdistribution hazard of one cause.

    Parameters
    ----------
    time : array
        Time of first event or censoring (> 0).
    cause : array of int
        0 = censored, otherwise the cause of the event.
    of_interest : int
        The cause whose subdistribution hazard is modelled.

    Returns
    -------
    DataFrame with one or more rows per subject: row (position in the input), start, stop,
    event (1 for the event of interest), weight.
    """
    t, c = _check(time, cause, of_interest, "finegray_rows")
    cut, prob = _censoring_intervals(t, c)
    interest_times = np.unique(t[c == of_interest])
    kept = np.unique(np.searchsorted(cut, interest_times, side="left"))
    competing = np.flatnonzero((c != 0) & (c != of_interest))
    j0 = np.searchsorted(cut, t[competing], side="left")  # interval holding the event
    first_after = np.searchsorted(kept, j0, side="right")
    n_extra = len(kept) - first_after
    rows = np.repeat(competing, n_extra)
    offsets = np.arange(int(n_extra.sum())) - np.repeat(np.cumsum(n_extra) - n_extra, n_extra)
    j = kept[np.repeat(first_after, n_extra) + offsets]
    start = np.zeros(len(t))
    stop = t.copy()
    stop[competing] = cut[j0]  # weight 1 up to the end of the event's interval
    base = pd.DataFrame({"row": np.arange(len(t)), "start": start, "stop": stop,
                         "event": (c == of_interest).astype(int), "weight": 1.0})
    extra = pd.DataFrame({"row": rows, "start": cut[j - 1], "stop": cut[j], "event": 0,
                          "weight": prob[j] / np.repeat(prob[j0], n_extra)})
    out = pd.concat([base, extra], ignore_index=True)
    return out.sort_values(["row", "start"], kind="stable").reset_index(drop=True)


def _check(time: Any, cause: Any, of_interest: int, what: str) -> tuple[np.ndarray, np.ndarray]:
    t = np.asarray(time, dtype=float)
    c = np.asarray(cause)
    if t.ndim != 1 or len(t) != len(c):
        raise ModelDataError(f"{what}: time and cause must be 1-d arrays of one length")
    if not np.all(np.isfinite(t)) or (t <= 0).any():
        bad = np.flatnonzero(~np.isfinite(t) | (t <= 0))
        raise ModelDataError(f"{what}: times must be finite and > 0; rows "
                             f"{bad[:10].tolist()} are not")
    ok = np.zeros(len(c), dtype=bool)
    if c.dtype.kind in "iuf":
        with np.errstate(invalid="ignore"):
            ok = np.isfinite(c) & (c >= 0) & (c == np.round(c))
    if not ok.all():
        bad = np.flatnonzero(~ok)
        raise ModelDataError(f"{what}: causes must be whole numbers >= 0 (0 = censored); rows "
                             f"{bad[:10].tolist()} hold {c[bad][:5].tolist()}")
    if not (c == of_interest).any():
        raise ModelDataError(f"{what}: no event of cause {of_interest}")
    return t, c


def _censoring_intervals(t: np.ndarray, c: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The censoring intervals' right ends ``cut`` and the weight ``prob[j]`` of interval j =
    (cut[j-1], cut[j]] (G just after cut[j-1]; 1 in the first)."""
    ctime, csurv = censoring_survival(t, c != 0)
    return np.r_[ctime, t.max()], np.r_[1.0, csurv]


class FineGray(CoxTimeVarying):
    """Fine-Gray subdistribution hazards model, fitted without expanded rows.

    The same estimates as R's ``finegray`` + ``coxph(..., weights = fgwt, cluster = id)``
    (robust standard errors by subject; ``naive_cov_params_`` is the model-based variance),
    with memory in proportion to the subjects (see the module docstring).

    Parameters
    ----------
    ties, tol, max_iter, alpha
        As :class:`~alspaincohort.stats.cox.CoxTimeVarying`.

    Attributes (after ``fit``)
    --------------------------
    As :class:`~alspaincohort.stats.cox.CoxTimeVarying`; ``concordance_`` is R's
    ``concordance()`` of the fit on the expanded, weighted rows (built on first access).

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(1)
    >>> d = pd.DataFrame({"time": rng.integers(1, 100, 300).astype(float),
    ...                   "cause": rng.integers(0, 3, 300), "x": rng.normal(size=300)})
    >>> fit = FineGray().fit(d, "time", "cause", of_interest=1, formula="x")
    >>> list(fit.summary.columns[:2])
    ['estimate', 'hazard_ratio']
    """

    def fit(self, data: pd.DataFrame, time_col: str, cause_col: str,  # type: ignore[override]
            of_interest: int = 1, formula: str | None = None) -> FineGray:
        """Fit the subdistribution hazard of cause ``of_interest``; returns ``self``.

        Parameters
        ----------
        data : DataFrame
            One row per subject.
        time_col : str
            Time of the first event or censoring (> 0).
        cause_col : str
            0 = censored, otherwise the cause of the event (integer codes).
        of_interest : int
            The cause whose subdistribution hazard is modelled.
        formula : str, optional
            Right-hand side ("age + C(onset_site)"); default every other column. Rows with a
            missing value are dropped, counted and warned about.

        Returns
        -------
        FineGray
            Fitted.
        """
        if isinstance(of_interest, bool) or not isinstance(of_interest, (int, np.integer)):
            raise ParameterError(f"FineGray: of_interest must be an integer cause code, not "
                                 f"{of_interest!r}")
        design = self._covariates(data, [time_col, cause_col], formula)
        # two columns, not a copy of the frame
        t, c = _check(data[time_col].to_numpy()[design.rows],
                      data[cause_col].to_numpy()[design.rows], of_interest, "FineGray")
        warn_dropped(design.n_dropped, len(data), "FineGray")
        cut, prob = _censoring_intervals(t, c)
        competing = (c != 0) & (c != of_interest)
        row_weight = np.where(competing, 1.0 / prob[np.searchsorted(cut, t, side="left")], 0.0)
        n = len(t)
        self._maximise(design.X, list(design.x_names), np.zeros(n), t, c == of_interest,
                       np.zeros(n, dtype=np.int64), None, np.arange(n), None,
                       Extension(row_weight, lambda at: prob[np.searchsorted(cut, at,
                                                                             side="left")]))
        self._store_strata(None, [], design.n_dropped)
        self._spec = design.spec
        self._fg_data = (t, c, of_interest)
        return self

    def _describe(self) -> str:
        return (f"Fine-Gray subdistribution hazards of cause {self._fg_data[2]} ({self.ties} "
                f"ties, robust SEs by subject): {self.n_obs_} subjects, {self.n_events_} "
                f"events of that cause, dropped {self.n_dropped_}")

    @property
    def concordance_(self) -> float:
        """R's ``concordance()`` of the fit: on the expanded rows, weighted."""
        if self._concordance is None:
            t, c, k = self._fg_data
            rows = finegray_rows(t, c, k)
            eta = self._fit_state["plik"].X @ self._fit_state["beta"]
            r = rows["row"].to_numpy()
            self._concordance = concordance_counts(
                rows["start"].to_numpy(), rows["stop"].to_numpy(), rows["event"].to_numpy(),
                eta[r], rows["weight"].to_numpy()).concordance
        return self._concordance
