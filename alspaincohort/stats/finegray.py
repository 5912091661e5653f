"""Fine-Gray subdistribution hazards as a weighted Cox model on expanded data.

Subjects who have a competing event stay in the risk set of the cause of interest after their
event, with weight G(t-) / G(s-) at time t > s (s their event time, G the Kaplan-Meier of the
censoring distribution); censored subjects and events of interest keep weight 1 (Geskus 2011).
Fitting the weighted Cox model (:class:`~alspaincohort.stats.cox.CoxTimeVarying` with
``weights``) to these rows gives the Fine & Gray (1999) estimator. The rows follow R's
``survival::finegray``: G is computed with events leaving the censoring risk set before
censorings at the same time, the weight changes only where G does, and an extended subject
gets one row for each censoring interval that contains an event of interest, so the fit equals
``coxph(Surv(fgstart, fgstop, fgstatus) ~ x, weights = fgwt)`` (``tests/results/prognosis``).

There is no Python implementation of this expansion in the packages we depend on (lifelines
has none; scikit-survival neither), so it is written here, vectorised (no loop over subjects).
Right-censored data without delayed entry only.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from .concordance import censoring_survival
from .design import ModelDataError


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
    t = np.asarray(time, dtype=float)
    c = np.asarray(cause)
    if t.ndim != 1 or len(t) != len(c):
        raise ModelDataError("finegray_rows: time and cause must be 1-d arrays of one length")
    if not np.all(np.isfinite(t)) or (t <= 0).any():
        bad = np.flatnonzero(~np.isfinite(t) | (t <= 0))
        raise ModelDataError(f"finegray_rows: times must be finite and > 0; rows "
                             f"{bad[:10].tolist()} are not")
    if not (c == of_interest).any():
        raise ModelDataError(f"finegray_rows: no event of cause {of_interest}")
    ctime, csurv = censoring_survival(t, c != 0)
    cut = np.r_[ctime, t.max()]
    prob = np.r_[1.0, csurv]  # interval j = (cut[j-1], cut[j]] has weight prob[j]
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
