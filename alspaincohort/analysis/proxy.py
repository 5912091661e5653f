"""Agreement between a patient's pain ratings and a caregiver's or clinician's (proxy) ratings.

:func:`proxy_agreement` pairs each patient rating with the proxy's rating of the same visit
(same day, or the nearest within ``window_days``), keeps one pair per patient and period of
follow-up (the first: pairs from one patient are not independent), and reports for each period

- the intraclass correlations of absolute agreement (ICC2, McGraw & Wong's ICC(A,1)) and of
  consistency (ICC3, ICC(C,1));
- Cohen's kappa and quadratic-weighted kappa on severity bands of the 0-10 score (none 0, mild
  above 0 and below 4, moderate 4 to below 7, severe 7-10; the package's ``moderate_pain`` is
  VAS >= 4);
- the Bland-Altman mean difference (proxy - patient) and 95% limits of agreement.

The statistics are those of :mod:`alspaincohort.stats.agreement` (checked against R ``psych``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import pandas as pd

from ..cohort import Cohort
from ..disclosure import CountCell, Suppression
from ..errors import ModelDataError, ParameterError
from ..result import Result
from ..schema import DAYS_PER_MONTH, RESPONDENTS
from ..stats.agreement import bland_altman, cohen_kappa, icc
from ..validation import check_choice, check_cohort, check_integer, check_level
from ..variables import visit_score

SEVERITY_BANDS = (0.0, 4.0, 7.0)
SEVERITY = ("none", "mild", "moderate", "severe")


def severity_band(score: Any) -> np.ndarray:
    """Severity band of 0-10 pain scores: none (0), mild (above 0, below 4), moderate (4 to
    below 7), severe (7-10); NaN stays NaN.

    Examples
    --------
    >>> severity_band([0, 0.1, 3.9, 4, 6.9, 7, 10]).tolist()
    ['none', 'mild', 'mild', 'moderate', 'moderate', 'severe', 'severe']
    """
    x = np.asarray(score, dtype=float)
    code = np.where(x > 0, 1 + np.searchsorted(SEVERITY_BANDS[1:], x, side="right"), 0)
    labels = np.asarray(SEVERITY, dtype=object)[np.minimum(code, len(SEVERITY) - 1)]
    labels[np.isnan(x)] = None
    return labels


@dataclass(repr=False)
class ProxyAgreementResult(Result):
    """Patient against proxy ratings (see :func:`proxy_agreement`).

    Attributes
    ----------
    table : DataFrame
        One row per period and statistic: period, statistic (icc_absolute_agreement,
        icc_consistency, kappa, weighted_kappa, mean_difference, loa_low, loa_high), estimate,
        ci_low, ci_high, n_pairs (patients, one pair each).
    pairs : DataFrame or None
        patient_id, period, patient, proxy (the two ratings): kept in memory for
        :meth:`count_cells` and :meth:`plot`; never shown or exported.
    measure, proxy : str
    notes : list of str
    """

    table: pd.DataFrame
    measure: str
    proxy: str
    notes: list[str] = field(default_factory=list)
    pairs: pd.DataFrame | None = None

    def headline(self) -> str:
        return (f"Agreement of patient and {self.proxy} ratings of {self.measure}: "
                f"{int(self.table['n_pairs'].max()) if len(self.table) else 0} patients")

    def count_cells(self, name: str) -> list[CountCell]:
        """The patients behind each period's row."""
        if self.pairs is None:
            return []
        return [CountCell(name, str(period), "n_pairs", frozenset(g["patient_id"].astype(str)))
                for period, g in self.pairs.groupby("period", sort=False)]

    def suppressed(self, suppression: Suppression, name: str) -> ProxyAgreementResult:
        """A copy whose periods with a hidden count show no numbers, with a note."""
        rows = {r for r, _ in suppression.hidden_in(name)}
        if not rows:
            return self
        t = self.table.copy()
        hide = t["period"].astype(str).isin(rows)
        numbers = ["estimate", "ci_low", "ci_high", "n_pairs"]
        t[numbers] = t[numbers].astype(float)
        t.loc[hide, numbers] = np.nan
        return replace(self, table=t, pairs=None,
                       notes=[*self.notes, f"{', '.join(sorted(rows))}: {suppression.note()}"])

    def plot(self, ax: Any = None, period: str | None = None) -> Any:
        """Bland-Altman plot of one period (default the first)
        (:func:`alspaincohort.plots.bland_altman_plot`)."""
        from ..plots import bland_altman_plot

        if self.pairs is None:
            raise ParameterError("the pairs were suppressed: no plot")
        which = self.pairs["period"].iloc[0] if period is None else period
        sel = self.pairs[self.pairs["period"] == which]
        if sel.empty:
            raise ParameterError(f"no period {period!r}; periods: "
                                 f"{list(self.pairs['period'].unique())}")
        row = self.table[(self.table["period"] == which)].set_index("statistic")
        return bland_altman_plot(sel["patient"], sel["proxy"], row.loc["mean_difference",
                                 "estimate"], row.loc["loa_low", "estimate"],
                                 row.loc["loa_high", "estimate"], ax=ax,
                                 labels=("patient", self.proxy), title=str(which))


def proxy_agreement(cohort: Cohort, measure: str = "vas_pain", proxy: str = "caregiver",
                    window_days: int = 0, periods: Sequence[float] = (),
                    level: float = 0.95) -> ProxyAgreementResult:
    """Agreement between the patient's and a proxy's ratings of pain.

    Parameters
    ----------
    cohort : Cohort
        With assessments whose ``respondent`` is ``proxy`` beside the patient's own.
    measure : str
        The 0-10 pain score (vas_pain or nrs_pain).
    proxy : {"caregiver", "clinician"}
    window_days : int
        A proxy rating pairs with the patient rating of the same day (0, the default) or the
        nearest within this many days (the earlier on a tie).
    periods : sequence of float
        Cut points in months since baseline (e.g. (6, 12)): one set of rows per period
        ("0-6 months", "6-12 months", ">= 12 months"), to see agreement over time; default one
        period, "all".
    level : float
        Confidence level.

    Returns
    -------
    ProxyAgreementResult
        ``table`` as documented on :class:`ProxyAgreementResult`; ``notes`` count the pairs
        and the patients with proxy ratings but no pair. A statistic that cannot be computed
        in a period (fewer than 3 pairs, or every rating equal) is NaN, with a note.

    Examples
    --------
    >>> from alspaincohort import simulate_cohort
    >>> c = simulate_cohort(300, seed=1, p_caregiver=0.5, proxy_bias=0.5)
    >>> r = proxy_agreement(c)
    >>> r.table["statistic"].tolist()[:2]
    ['icc_absolute_agreement', 'icc_consistency']
    """
    check_cohort(cohort, min_patients=1)
    check_choice(proxy, "proxy", [r for r in RESPONDENTS if r != "patient"])
    check_integer(window_days, "window_days", 0)
    check_level(level)
    cuts = [float(c) for c in periods]
    if any(not np.isfinite(c) or c <= 0 for c in cuts) or cuts != sorted(set(cuts)):
        raise ParameterError(f"periods must be increasing months > 0, not {list(periods)!r}")
    inst, item = visit_score(measure)
    own = cohort.scores(inst, item, "patient")
    theirs = cohort.scores(inst, item, proxy)
    if theirs.empty:
        raise ModelDataError(f"proxy_agreement: no {measure} rating by a {proxy} (assessments "
                             "need a respondent column naming them)")
    pairs = _pair(own, theirs, window_days)
    if pairs.empty:
        raise ModelDataError(f"proxy_agreement: no {proxy} rating of {measure} within "
                             f"{window_days} day(s) of a patient rating")
    labels = _period_labels(cuts)
    months = pairs["day"].to_numpy(dtype=float) / DAYS_PER_MONTH
    pairs["period"] = np.asarray(labels, dtype=object)[np.searchsorted(cuts, months,
                                                                        side="right")]
    first = pairs.sort_values(["patient_id", "day"]).drop_duplicates(["patient_id", "period"])
    notes = [f"{len(pairs)} pair(s) of ratings from {pairs['patient_id'].nunique()} patient(s); "
             "the first pair of each patient in each period is used"]
    unpaired = theirs["patient_id"].nunique() - pairs["patient_id"].nunique()
    if unpaired:
        notes.append(f"{unpaired} patient(s) with {proxy} ratings but none paired with their "
                     "own")
    rows = []
    for label in labels:
        g = first[first["period"] == label]
        if g.empty:
            continue
        rows += _statistics(label, g["patient"].to_numpy(), g["proxy"].to_numpy(), level, notes)
    kept = first[["patient_id", "period", "patient", "proxy"]].reset_index(drop=True)
    return ProxyAgreementResult(pd.DataFrame(rows), measure, proxy, notes, kept)


def _pair(own: pd.DataFrame, theirs: pd.DataFrame, window: int) -> pd.DataFrame:
    """Each proxy rating with the patient's rating of the nearest day within ``window``
    (the earlier on a tie); each patient rating used once at most."""
    j = theirs.rename(columns={"day": "proxy_day", "value": "proxy"}).merge(
        own.rename(columns={"value": "patient"}), on="patient_id")
    j = j[(j["day"] - j["proxy_day"]).abs() <= window]
    j = j.assign(dist=(j["day"] - j["proxy_day"]).abs()).sort_values(
        ["patient_id", "proxy_day", "dist", "day"])
    j = j.drop_duplicates(["patient_id", "proxy_day"]).drop_duplicates(["patient_id", "day"])
    return j[["patient_id", "day", "patient", "proxy"]].reset_index(drop=True)


def _period_labels(cuts: list[float]) -> list[str]:
    if not cuts:
        return ["all"]
    edges = [0.0, *cuts]
    return [f"{a:g}-{b:g} months" for a, b in zip(edges[:-1], edges[1:], strict=True)] + \
        [f">= {cuts[-1]:g} months"]


def _statistics(period: str, patient: np.ndarray, other: np.ndarray, level: float,
                notes: list[str]) -> list[dict[str, Any]]:
    n = len(patient)
    out: dict[str, tuple[float, float, float]] = {}
    try:
        t = icc(np.column_stack([patient, other]), level=level).set_index("type")
        for name, key in (("icc_absolute_agreement", "ICC2"), ("icc_consistency", "ICC3")):
            out[name] = (t.loc[key, "icc"], t.loc[key, "ci_low"], t.loc[key, "ci_high"])
    except ModelDataError as err:
        notes.append(f"{period}: no intraclass correlation ({err})")
    try:
        k = cohen_kappa(severity_band(patient), severity_band(other), categories=SEVERITY,
                        level=level)
        out["kappa"] = (k["kappa"], k["kappa_ci_low"], k["kappa_ci_high"])
        out["weighted_kappa"] = (k["weighted_kappa"], k["weighted_ci_low"],
                                 k["weighted_ci_high"])
    except ModelDataError as err:
        notes.append(f"{period}: no kappa ({err})")
    try:
        b = bland_altman(patient, other, level=level)
        out["mean_difference"] = (b["mean_difference"], b["bias_ci_low"], b["bias_ci_high"])
        out["loa_low"] = (b["loa_low"], b["loa_low_ci_low"], b["loa_low_ci_high"])
        out["loa_high"] = (b["loa_high"], b["loa_high_ci_low"], b["loa_high_ci_high"])
    except ModelDataError as err:
        notes.append(f"{period}: no Bland-Altman limits ({err})")
    names = ("icc_absolute_agreement", "icc_consistency", "kappa", "weighted_kappa",
             "mean_difference", "loa_low", "loa_high")
    return [{"period": period, "statistic": s, "estimate": out.get(s, (np.nan,) * 3)[0],
             "ci_low": out.get(s, (np.nan,) * 3)[1], "ci_high": out.get(s, (np.nan,) * 3)[2],
             "n_pairs": n} for s in names]
