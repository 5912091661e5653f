"""Prognostic value of pain for survival.

- :func:`kaplan_meier`: survival by pain status (or any grouping) with pointwise CIs, median
  survival with CI, the k-group log-rank test and its stratified version, all on (entry, time]
  risk sets so that the onset and diagnosis clocks (delayed entry) are right
  (:mod:`alspaincohort.stats.survival`, checked against R ``survival``), and a figure with
  numbers at risk under the axis.
- :func:`pain_cox`: Cox model of pain with ENCALS-like covariates (age at onset, bulbar onset,
  diagnostic delay, ALSFRS-R progression rate, FVC % predicted, FTD, definite El Escorial), on
  baseline pain or pain as a time-varying covariate carried forward between visits, with an
  optional lag (a value applies only ``lag_days`` after it was measured, so pain recorded in the
  last days of life cannot "predict" the death that causes it). Fast engine:
  :class:`alspaincohort.stats.cox.CoxTimeVarying`.
- :func:`landmark`: at each landmark (months after baseline), patients alive and followed, pain
  = last value measured up to the landmark, survival from the landmark.
- :func:`competing_risks`: cumulative incidence of death and of tracheostomy / full-time NIV
  by pain group (Aalen-Johansen, :func:`alspaincohort.stats.survival.aalen_johansen`),
  cause-specific Cox hazard ratios and
  Fine-Gray subdistribution hazard ratios (:mod:`alspaincohort.stats.finegray`).
- Proportional hazards: ``PainCoxResult.proportional_hazards()`` (scaled Schoenfeld residual
  tests and plots, :mod:`alspaincohort.stats.zph`).
- :func:`alspaincohort.analysis.incremental.incremental_value`: does pain add prognostic value
  to a baseline model.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import pandas as pd

from ..cohort import Cohort
from ..disclosure import SUPPRESSED, CountCell, Suppression
from ..errors import ModelDataError, ModelWarning, ParameterError
from ..result import RatioResult, Result
from ..schema import DAYS_PER_MONTH
from ..stats.cox import CoxTimeVarying
from ..stats.survival import aalen_johansen
from ..validation import check_cohort, check_integer
from ..variables import TERM_LABELS, visit_score
from .frames import covariate_frame, formula_terms

COX_TERM_LABELS = TERM_LABELS
ENCALS_LIKE = ("age_at_onset", "bulbar", "diagnostic_delay_months", "progression_rate",
               "fvc_percent", "ftd", "definite_el_escorial")


def _group_labels(cohort: Cohort, by: str | None) -> pd.Series:
    b = cohort.baseline().set_index("patient_id")
    if by is None:
        return pd.Series("all", index=b.index)
    if by == "pain":
        lab = pd.Series(np.where(b["vas_pain"] > 0, "pain", "no pain"), index=b.index)
        return lab.where(b["vas_pain"].notna())
    if by == "moderate_pain":
        lab = pd.Series(np.where(b["vas_pain"] >= 4, "VAS >= 4", "VAS < 4"), index=b.index)
        return lab.where(b["vas_pain"].notna())
    if by not in b.columns:
        raise ParameterError(f"unknown grouping {by!r}: 'pain', 'moderate_pain' or a baseline() "
                         "column")
    return b[by].astype(str).where(b[by].notna())


@dataclass(repr=False)
class KaplanMeierResult(Result):
    """Kaplan-Meier estimates by group.

    Attributes
    ----------
    table : DataFrame
        group, n, events, median, median_ci_low, median_ci_high (months; NaN = not reached),
        as R ``print(survfit(...))``.
    curves : DataFrame
        group, time (months), n_risk, n_event, n_censor, survival, std_err, ci_low, ci_high:
        :func:`alspaincohort.stats.survival.kaplan_meier_table` per group, each starting with a
        row at time 0 (survival 1).
    test : dict
        log-rank on (entry, time] risk sets (stratified when requested): statistic, df,
        p_value, stratified_by; ``None`` when the test does not exist for these data (the
        reason in ``notes``).
    data : DataFrame
        patient_id, group, entry (months; 0 without delayed entry), time (months), event: the
        rows used (for the at-risk table of the figure).
    notes : list of str
        Patients left out and why (missing group, no follow-up after entry).
    hidden_counts : frozenset of (kind, group, time)
        Numbers under the figure ("at risk" or "events") shown as "*" (set by
        :meth:`suppressed`).
    """

    table: pd.DataFrame
    curves: pd.DataFrame
    test: dict[str, Any] | None
    data: pd.DataFrame
    endpoint: str
    origin: str
    conf_type: str
    notes: list[str]
    hidden_counts: frozenset[tuple[str, str, float]] = frozenset()
    alpha: float = 0.05

    def risk_times(self) -> np.ndarray:
        """Times (months) of the numbers-at-risk table of an output: every 6 months up to 3
        years of follow-up, every 12 up to 10 years, every 24 beyond."""
        top = float(self.data["time"].max()) if len(self.data) else 0.0
        step = 6.0 if top <= 36 else 12.0 if top <= 120 else 24.0
        return np.arange(0.0, top + 1e-9, step)

    def _risk_members(self, times: Sequence[float] | None) -> Iterator[tuple[str, Any, float,
                                                                             pd.Index]]:
        """(kind, group, time, rows of ``data``): "at risk" (entry < t <= exit, as the curves;
        without delayed entry everyone is at risk at 0) and "events" (events at or before t)."""
        grid = self.risk_times() if times is None else np.asarray(times, dtype=float)
        delayed = bool((self.data["entry"] != 0).any())
        for g, d in self.data.groupby("group", sort=True):
            entry, time = d["entry"].to_numpy(), d["time"].to_numpy()
            event = d["event"].to_numpy() == 1
            for x in grid:
                yield "at risk", g, float(x), d.index[(time >= x) & ((entry < x) | (not delayed))]
                yield "events", g, float(x), d.index[event & (time <= x)]

    def at_risk(self, times: Sequence[float] | None = None) -> pd.DataFrame:
        """The numbers under the figure by group and time (default :meth:`risk_times`).

        Returns
        -------
        DataFrame
            group, time, n_risk (entry < t <= exit, as the curves; without delayed entry
            everyone is at risk at 0, so n_risk at 0 is the group's n), cumulative_events
            (events at or before t).
        """
        counts: dict[tuple[Any, float], dict[str, Any]] = {}
        for kind, g, x, rows in self._risk_members(times):
            row = counts.setdefault((g, x), {"group": g, "time": x})
            row["n_risk" if kind == "at risk" else "cumulative_events"] = len(rows)
        return pd.DataFrame(list(counts.values()),
                            columns=["group", "time", "n_risk", "cumulative_events"])

    def count_cells(self, name: str) -> list[CountCell]:
        """Patients, events and censored patients by group, and the numbers at risk and
        cumulative events at :meth:`risk_times`, as
        :class:`~alspaincohort.disclosure.CountCell`."""
        d = self.data
        unit = pd.Series([("patient", str(p)) for p in d["patient_id"]], index=d.index)
        cells = []
        for g, sub in d.groupby("group", sort=True):
            ev = sub["event"].to_numpy() == 1
            cells += [CountCell(name, str(g), "n", frozenset(unit[sub.index])),
                      CountCell(name, str(g), "events", frozenset(unit[sub.index[ev]])),
                      CountCell(name, str(g), "censored", frozenset(unit[sub.index[~ev]]))]
        for kind, g, x, rows in self._risk_members(None):
            cells.append(CountCell(name, f"{kind}: {g}", f"{x:g}", frozenset(unit[rows])))
        return cells

    def suppressed(self, suppression: Suppression, name: str) -> KaplanMeierResult:
        """A copy whose hidden counts show as NaN in ``table`` (n, events) and as "*" under the
        figure (numbers at risk, cumulative events), with a note."""
        hidden = suppression.hidden_in(name)
        if not hidden:
            return self
        t = self.table.copy()
        t[["n", "events"]] = t[["n", "events"]].astype(float)
        for row, column in hidden:
            if column in ("n", "events", "censored"):
                t.loc[t["group"].astype(str) == row, ["n", "events"]] = np.nan
        under = frozenset((row.split(": ", 1)[0], row.split(": ", 1)[1], float(column))
                          for row, column in hidden if row.startswith(("at risk: ", "events: ")))
        return replace(self, table=t, hidden_counts=under,
                       notes=[*self.notes, suppression.note()])

    def plot(self, ax: Any = None, **kwargs: Any) -> Any:
        """The curves with CI bands, censor marks and a numbers-at-risk table
        (:func:`alspaincohort.plots.km_plot`; its keyword arguments pass through)."""
        from ..plots import km_plot

        return km_plot(self, ax=ax, **kwargs)

    def formatted(self, decimals: int = 1) -> pd.DataFrame:
        """The table as a paper prints it: group, patients, events, median survival in months
        with its CI ("NR": not reached), survival at each reported time in % with its CI;
        suppressed counts read "suppressed".

        Returns
        -------
        DataFrame
            group, patients, events, "median, months (95% CI)", then "survival at t months,
            % (95% CI)" for each t.
        """
        level = round(100 * (1 - self.alpha))

        def months(x: float) -> str:
            return "NR" if x != x else f"{x:.{decimals}f}"

        def count(x: float) -> str:
            return SUPPRESSED if x != x else f"{int(x):,}"

        out = pd.DataFrame({"group": self.table["group"].astype(str),
                            "patients": self.table["n"].map(count),
                            "events": self.table["events"].map(count)})
        out[f"median, months ({level}% CI)"] = [
            f"{months(m)} ({months(lo)} to {months(hi)})" for m, lo, hi in zip(
                self.table["median"], self.table["median_ci_low"], self.table["median_ci_high"],
                strict=True)]
        for col in self.table.columns:
            if col.startswith("survival_") and col.endswith("m"):
                t = col.removeprefix("survival_").removesuffix("m")
                out[f"survival at {t} months, % ({level}% CI)"] = [
                    "beyond follow-up" if v != v else
                    f"{100 * v:.{decimals}f} ({100 * lo:.{decimals}f} to {100 * hi:.{decimals}f})"
                    for v, lo, hi in zip(self.table[col], self.table[f"{col}_ci_low"],
                                         self.table[f"{col}_ci_high"], strict=True)]
        return out

    def sections(self) -> list[tuple[str, pd.DataFrame]]:
        scale = ("log scale, R survfit's default" if self.conf_type == "log" else
                 f"{self.conf_type} scale; R survfit's default is log")
        return [(f"Pointwise CIs on the {scale}.", self.formatted())]

    def headline(self) -> str:
        from ..formatting import format_p

        test = ("" if self.test is None else
                f"; log-rank {self.test['statistic']:.2f} on {self.test['df']} df, "
                f"{format_p(self.test['p_value'])}")
        counts = ("patients and events suppressed" if self.table[["n", "events"]].isna().any(
            axis=None) else f"{int(self.table['n'].sum())} patients, "
            f"{int(self.table['events'].sum())} events")
        return (f"Kaplan-Meier survival ({self.endpoint}, time since {self.origin}, months): "
                f"{counts}{test}")


def kaplan_meier(cohort: Cohort, by: str | None = "pain", endpoint: str = "death",
                 origin: str = "baseline", strata: str | None = None,
                 conf_type: str = "log-log", alpha: float = 0.05,
                 times: Sequence[float] = (12, 24)) -> KaplanMeierResult:
    """Kaplan-Meier by group, median survival with CI and the log-rank test.

    Parameters
    ----------
    cohort : Cohort
    by : str or None
        "pain" (baseline VAS > 0), "moderate_pain" (VAS >= 4), a ``baseline()`` column, or
        None for one curve of every patient (group "all"; no log-rank test).
    endpoint : {"death", "composite"}
    origin : {"baseline", "onset", "diagnosis"}
        Time origin. From onset or diagnosis, patients are at risk only from their baseline
        visit on (delayed entry, left truncation): the curves, numbers at risk and the log-rank
        test all use (entry, time] risk sets. Patients whose follow-up ends at entry (no time
        at risk) are left out and counted in ``notes``.
    strata : str, optional
        A ``baseline()`` column: stratified log-rank test.
    conf_type : {"log-log", "log", "plain"}
        Pointwise CI (log-log by default; R's default is "log").
    alpha : float
        1 - confidence level.
    times : sequence of float
        Months at which survival and its CI are reported in ``table`` (default 12 and 24).

    Returns
    -------
    KaplanMeierResult
        ``table``: group, n, events, median, median_ci_low, median_ci_high, and for each
        time t of ``times`` survival_{t}m, survival_{t}m_ci_low, survival_{t}m_ci_high (NaN
        beyond the group's follow-up); ``curves``; ``test``; ``plot()``.

    Examples
    --------
    >>> import alspaincohort as apc
    >>> km = kaplan_meier(apc.simulate_cohort(200, seed=1))
    >>> list(km.table.columns)[:6]
    ['group', 'n', 'events', 'median', 'median_ci_low', 'median_ci_high']
    >>> list(km.formatted().columns)[3]
    'median, months (95% CI)'
    """
    check_cohort(cohort, min_patients=1)
    from ..stats.survival import kaplan_meier_table, logrank_test, survival_at, survival_quantile

    if isinstance(times, (str, bytes)) or not all(
            isinstance(x, (int, float, np.integer, np.floating)) and not isinstance(x, bool)
            and np.isfinite(x) and x >= 0 for x in times):
        raise ParameterError(f"times must be a sequence of months >= 0, not {times!r}")
    when = np.asarray(times, dtype=float).ravel()

    s = cohort.survival(endpoint, origin).set_index("patient_id")
    s["group"] = _group_labels(cohort, by)
    if strata is not None:
        b = cohort.baseline().set_index("patient_id")
        if strata not in b.columns:
            raise ParameterError(f"strata must be a baseline() column, not {strata!r}")
        s["stratum"] = b[strata].astype(str).where(b[strata].notna())
    notes: list[str] = []
    keep = s["group"].notna() & s["time_months"].notna()
    if strata is not None:
        keep &= s["stratum"].notna()
    if (~keep).any():
        notes.append(f"{int((~keep).sum())} patient(s) without {by!r}"
                     + (f" or {strata!r}" if strata else "") + " left out")
    s = s[keep]
    delayed = origin != "baseline"
    entry = s["entry_months"] if delayed else pd.Series(0.0, index=s.index)
    if delayed:
        empty = s["time_months"] <= entry
        if empty.any():
            msg = (f"{int(empty.sum())} patient(s) with no follow-up after entry (their last "
                   f"day is their baseline day) left out: no time at risk on the {origin} "
                   "clock")
            notes.append(msg)
            warnings.warn(f"kaplan_meier: {msg}", ModelWarning, stacklevel=2)
            s, entry = s[~empty], entry[~empty]
    if s.empty:
        raise ModelDataError("kaplan_meier: no patients with a group and follow-up")
    rows, curves = [], []
    for g, d in s.groupby("group", sort=True):
        tab = kaplan_meier_table(d["time_months"], d["event"],
                                 entry.loc[d.index] if delayed else None,
                                 conf_type=conf_type, alpha=alpha)
        q = survival_quantile(tab, 0.5)
        row = {"group": g, "n": len(d), "events": int(d["event"].sum()),
               "median": q["estimate"], "median_ci_low": q["ci_low"],
               "median_ci_high": q["ci_high"]}
        for t, r in zip(when, survival_at(tab, when).itertuples(), strict=True):
            row |= {f"survival_{t:g}m": r.survival, f"survival_{t:g}m_ci_low": r.ci_low,
                    f"survival_{t:g}m_ci_high": r.ci_high}
        rows.append(row)
        start = pd.DataFrame({"time": [0.0], "n_risk": [int((entry.loc[d.index] < 0).sum()
                                                             if delayed else len(d))],
                              "n_event": [0], "n_censor": [0], "survival": [1.0],
                              "std_err": [0.0], "ci_low": [1.0], "ci_high": [1.0]})
        curves.append(pd.concat([start, tab], ignore_index=True).assign(group=g))
    test: dict[str, Any] | None = None
    if by is not None:  # one curve: nothing to compare
        try:
            test = logrank_test(s["time_months"], s["event"], s["group"],
                                entry if delayed else None,
                                None if strata is None else s["stratum"])
            test["stratified_by"] = strata
        except ModelDataError as err:
            notes.append(f"no log-rank test: {err}")
    curves_df = pd.concat(curves, ignore_index=True)
    curves_df = curves_df[["group", *[c for c in curves_df.columns if c != "group"]]]
    data = pd.DataFrame({"patient_id": s.index.to_numpy(), "group": s["group"].to_numpy(),
                         "entry": entry.to_numpy(dtype=float),
                         "time": s["time_months"].to_numpy(dtype=float),
                         "event": s["event"].to_numpy(dtype=int)})
    return KaplanMeierResult(pd.DataFrame(rows), curves_df, test, data, endpoint, origin,
                             conf_type, notes, alpha=alpha)


# ----------------------------------------------------------------------------------------------
@dataclass(repr=False)
class PainCoxResult(Result):
    """Hazard ratios of a Cox model of pain.

    Attributes
    ----------
    table : DataFrame
        The engine's summary with a ``term`` column (estimate, hazard_ratio, std_error, z,
        p_value, ci_low, ci_high, hr_ci_low, hr_ci_high).
    model : CoxTimeVarying
    data : DataFrame
        The (start, stop] rows used (days since the origin: baseline, onset or diagnosis).
    n_patients, n_dropped_patients : int
        Patients in the model, and those left out (missing pain or covariate, or no time at
        risk, e.g. an event before their first lagged pain value). A covariate missing for
        every patient (e.g. FTD in PRO-ACT) is left out of the model and named in
        ``description``.
    """

    table: pd.DataFrame
    model: CoxTimeVarying
    data: pd.DataFrame
    n_patients: int
    n_dropped_patients: int
    description: str

    def proportional_hazards(self, transform: str = "km") -> Any:
        """Scaled Schoenfeld residual tests per term and global, with ``.plot(term)``
        (:func:`alspaincohort.stats.zph.cox_zph`, as R's ``cox.zph``)."""
        from ..stats.zph import cox_zph

        return cox_zph(self.model, transform)

    def headline(self) -> str:
        return self.description

    @property
    def notes(self) -> list[str]:
        return ([f"{self.n_dropped_patients} patient(s) left out (missing pain or covariate, "
                 "or no time at risk)"] if self.n_dropped_patients else [])

    def term_counts(self) -> dict[str, int]:
        """Patients behind each term: those with the level for a 0/1 term, all patients in
        the model for a continuous one."""
        first = self.data.drop_duplicates("patient_id")
        out = {}
        for term in self.table["term"]:
            col = first[term] if term in first.columns else None
            if col is not None and set(col.dropna().unique()) <= {0, 1}:
                out[term] = int((col == 1).sum())
            else:
                out[term] = self.n_patients
        return out

    def plot(self, ax: Any = None) -> Any:
        """Forest plot as survminer's ``ggforest``: term, patients, HR (95% CI) and p per
        row (:func:`alspaincohort.plots.hazard_forest`)."""
        from ..plots import hazard_forest

        return hazard_forest(self.table, n=self.term_counts(), labels=COX_TERM_LABELS, ax=ax,
                             title=self.description)


def pain_cox(cohort: Cohort, pain: str = "vas_pain", time_varying: bool = True,
             covariates: Sequence[str] | None = None, endpoint: str = "death",
             lag_days: int = 0, ties: str = "efron", robust: bool = False,
             origin: str = "baseline") -> PainCoxResult:
    """Cox model of pain (per point of the 0-10 score) with baseline covariates.

    Parameters
    ----------
    cohort : Cohort
    pain : str
        The pain score (a visit score, default "vas_pain").
    time_varying : bool
        Pain as a time-varying covariate carried forward between visits (default), or baseline
        pain.
    covariates : sequence of str, optional
        baseline() columns (categorical ones such as ``onset_site`` or ``sex`` are dummy-coded),
        "bulbar" or "definite_el_escorial"; default the ENCALS-like set (``ENCALS_LIKE``), from
        which a covariate absent for every patient (FTD in PRO-ACT) is left out with a warning and
        named in the headline. A covariate you name yourself is never left out: when no patient
        has it, :class:`~alspaincohort.errors.ParameterError` is raised.
    endpoint : {"death", "composite"}
        Death, or the first of death, tracheostomy or full-time NIV.
    lag_days : int
        A pain value applies only ``lag_days`` after it was measured.
    ties : {"efron", "breslow"}
    robust : bool
        Robust (sandwich) standard errors clustered by patient.
    origin : {"baseline", "onset", "diagnosis"}
        The time scale: time since baseline (default), or since onset / diagnosis with each
        patient entering the risk set at baseline (delayed entry). Patients with a missing
        covariate (or origin day) are left out and counted in ``notes``.

    Returns
    -------
    PainCoxResult
        ``table``: term, estimate (log HR), hazard_ratio, std_error, z, p_value, ci_low, ci_high,
        hr_ci_low, hr_ci_high; ``model`` (:class:`~alspaincohort.stats.CoxTimeVarying`);
        ``data`` (the (start, stop] rows); ``n_patients``, ``n_dropped_patients``;
        ``proportional_hazards()``; ``plot()`` (hazard-ratio forest plot).

    Examples
    --------
    >>> from alspaincohort import simulate_cohort
    >>> r = pain_cox(simulate_cohort(300, seed=1), covariates=("age_at_onset", "bulbar"))
    >>> r.table["term"].tolist()
    ['pain', 'age_at_onset', 'bulbar']
    """
    check_cohort(cohort, min_patients=1)
    check_integer(lag_days, "lag_days", 0)
    if origin not in ("baseline", "onset", "diagnosis"):
        raise ParameterError(
            f"origin must be 'baseline', 'onset' or 'diagnosis', not {origin!r}")

    default = covariates is None
    covariates = list(ENCALS_LIKE if covariates is None else covariates)
    inst, item = visit_score(pain)
    cov = covariate_frame(cohort, covariates)
    if time_varying:
        d = cohort.counting_process(inst, item, endpoint=endpoint, lag_days=lag_days)
        d = d.rename(columns={"value": "pain"})
    else:
        s = cohort.survival(endpoint, "baseline").set_index("patient_id")
        base = cohort.baseline_score(inst, item, 30)
        d = pd.DataFrame({"patient_id": s.index, "start": 0.0,
                          "stop": s["time_days"].to_numpy(), "event": s["event"].to_numpy(),
                          "pain": s.index.map(base)})
        d = d[d["stop"] > 0]
    if origin != "baseline":  # shift to the origin: days since onset / diagnosis
        origin_day = cohort.survival(endpoint, origin).set_index("patient_id")["origin_day"]
        shift = -d["patient_id"].map(origin_day).astype("float64")
        d = d.assign(start=d["start"] + shift, stop=d["stop"] + shift).dropna(
            subset=["start", "stop"])
    d = d.join(cov, on="patient_id")
    unavailable = [c for c in covariates if d[c].isna().all()]
    if unavailable and not default:
        raise ParameterError(f"pain_cox: no patient has {unavailable}; a covariate you name is "
                             "never left out of the model silently: drop it from covariates")
    if unavailable:
        warnings.warn(f"pain_cox: {unavailable} not in the data for any patient; left out of "
                      "the default ENCALS-like covariates", ModelWarning, stacklevel=2)
    covariates = [c for c in covariates if c not in unavailable]
    d = d.dropna(subset=["pain", *covariates]).reset_index(drop=True)
    formula = " + ".join(["pain", *formula_terms(d, covariates)])
    model = CoxTimeVarying(ties=ties).fit(d, "patient_id", "start", "stop", "event",
                                          formula=formula, robust=robust)
    table = model.summary.reset_index(names="term")
    kind = (f"time-varying (carried forward, lag {lag_days} days)" if time_varying
            else "baseline")
    desc = (f"Cox model of {kind} {pain} for {endpoint}, time since {origin}"
            + (" (delayed entry at baseline)" if origin != "baseline" else "")
            + f", {d['patient_id'].nunique()} patients, "
            f"{model.n_events_} events"
            + (f"; not in the data, left out: {', '.join(unavailable)}" if unavailable else ""))
    used = int(d["patient_id"].nunique())
    return PainCoxResult(table, model, d, used, cohort.n_patients - used, desc)


def landmark(cohort: Cohort, landmarks_months: Sequence[float] = (6, 12),
             pain: str = "vas_pain", covariates: Sequence[str] = ("age_at_onset", "bulbar"),
             endpoint: str = "death") -> RatioResult:
    """Landmark analysis of pain and survival.

    For each landmark L (months after baseline): the patients alive and under follow-up at L,
    pain = the last value measured at or before L, a Cox model of survival from L.

    Parameters
    ----------
    cohort : Cohort
    landmarks_months : sequence of float
        The landmarks, months after baseline.
    pain : str
        The pain score (a visit score).
    covariates : sequence of str
        baseline() columns or derived indicators ("bulbar").
    endpoint : {"death", "composite"}

    Returns
    -------
    RatioResult
        ``table``: landmark_months, n_patients, events, term, hazard_ratio, hr_ci_low,
        hr_ci_high, p_value; ``notes`` (patients at risk left out for a missing pain value or
        covariate, per landmark); ``fits`` (the Cox models by landmark); ``plot()``.

    Examples
    --------
    >>> from alspaincohort import simulate_cohort
    >>> r = landmark(simulate_cohort(300, seed=1), (6,))
    >>> r.table["term"].tolist()
    ['pain', 'age_at_onset', 'bulbar']
    """
    check_cohort(cohort, min_patients=1)
    inst, item = visit_score(pain)
    s = cohort.survival(endpoint, "baseline").set_index("patient_id")
    scores = cohort.scores(inst, item)
    marks = list(landmarks_months)
    if not marks or not all(isinstance(L, (int, float, np.number)) and not isinstance(L, bool)
                            and np.isfinite(L) and L >= 0 for L in marks):
        raise ParameterError(f"landmarks_months must be finite numbers >= 0 (months after "
                             f"baseline), not {landmarks_months!r}")
    cov = covariate_frame(cohort, covariates)
    rows: list[dict[str, Any]] = []
    notes: list[str] = []
    fits: dict[str, Any] = {}
    for L in landmarks_months:
        day = L * DAYS_PER_MONTH
        at_risk = s[s["end_day"] > day]
        last = scores[scores["day"] <= day].groupby("patient_id")["value"].last()
        d = pd.DataFrame({"patient_id": at_risk.index, "start": 0.0,
                          "stop": (at_risk["end_day"] - day).to_numpy(),
                          "event": at_risk["event"].to_numpy(),
                          "pain": at_risk.index.map(last)}).join(cov, on="patient_id")
        n_at_risk = len(d)
        d = d.dropna().reset_index(drop=True)
        if len(d) < n_at_risk:
            notes.append(f"landmark {L:g} months: {n_at_risk - len(d)} of {n_at_risk} patient(s)"
                         " at risk left out (no pain value by the landmark, or a missing "
                         "covariate)")
        if not d["event"].any():
            raise ModelDataError(
                f"landmark {L:g} months: {len(d)} patient(s) at risk with pain and covariates, "
                "no event after the landmark; choose an earlier landmark")
        fit = CoxTimeVarying().fit(d, "patient_id", "start", "stop", "event",
                                   formula=" + ".join(["pain", *formula_terms(d, covariates)]))
        fits[f"{L:g} months"] = fit
        summ = fit.summary
        for term in summ.index:
            rows.append({"landmark_months": L, "n_patients": len(d), "events": fit.n_events_,
                         "term": term, "hazard_ratio": summ.loc[term, "hazard_ratio"],
                         "hr_ci_low": summ.loc[term, "hr_ci_low"],
                         "hr_ci_high": summ.loc[term, "hr_ci_high"],
                         "p_value": summ.loc[term, "p_value"]})
    return RatioResult(pd.DataFrame(rows), f"Landmark Cox models of {pain} for {endpoint} at "
                       f"{', '.join(f'{L:g}' for L in landmarks_months)} months",
                       ("hazard_ratio", "hr_ci_low", "hr_ci_high"), ("landmark_months", "term"),
                       notes, fits)


def competing_risks(cohort: Cohort, by: str = "pain",
                    covariates: Sequence[str] = ("age_at_onset", "bulbar"),
                    ties: str = "efron") -> CompetingRisksResult:
    """Death and loss of autonomy (tracheostomy or full-time NIV, whichever first) as competing
    first events from baseline.

    Parameters
    ----------
    cohort : Cohort
    by : str
        Grouping of the cumulative incidence curves: "pain" (baseline VAS > 0),
        "moderate_pain" (VAS >= 4) or a baseline() column.
    covariates : sequence of str
        Covariates of the Cox and Fine-Gray models besides baseline VAS pain (baseline() columns
        or derived indicators such as "bulbar").
    ties : {"efron", "breslow"}

    Returns
    -------
    CompetingRisksResult
        ``table``: model ("cause-specific": Cox per cause with the other cause censored;
        "Fine-Gray": subdistribution hazards with robust SEs clustered by patient, equal to
        ``coxph(..., weights = fgwt, cluster = id)`` on ``survival::finegray`` data and fitted
        without expanding it, :class:`~alspaincohort.stats.finegray.FineGray`), cause, term, hazard_ratio, hr_ci_low, hr_ci_high, p_value;
        ``cumulative_incidence`` (group, cause, time in months, cif: Aalen-Johansen);
        ``n_patients``; ``notes`` (patients left out and why); ``fits``; ``plot()`` (the
        cumulative incidence curves).

    Examples
    --------
    >>> from alspaincohort import simulate_cohort
    >>> r = competing_risks(simulate_cohort(300, seed=1))
    >>> sorted(r.table["model"].unique())
    ['Fine-Gray', 'cause-specific']
    """
    check_cohort(cohort, min_patients=1)
    s = cohort.survival("composite", "baseline").set_index("patient_id")
    cause = s["event_type"].astype(str).map({"death": 1, "tracheostomy": 2,
                                             "niv_full_time": 2, "censored": 0})
    return fit_competing(cohort, s.assign(cause=cause), CAUSES, by, covariates, ties,
                         "Competing risks of death and tracheostomy / full-time NIV")


def fit_competing(cohort: Cohort, s: pd.DataFrame, causes: Sequence[tuple[int, str]],
                  by: str, covariates: Sequence[str], ties: str,
                  description: str) -> CompetingRisksResult:
    """Cumulative incidence by group, cause-specific Cox and Fine-Gray models of competing
    first events (what :func:`competing_risks` and
    :func:`alspaincohort.analysis.treatment.treatment_initiation` show).

    Parameters
    ----------
    cohort : Cohort
    s : DataFrame
        One row per patient, indexed by patient_id: time_days, time_months (from baseline to
        the first event or censoring) and cause (0 censored, else a code of ``causes``).
    causes : sequence of (int, str)
        Code and name of each cause.
    by, covariates, ties
        As :func:`competing_risks`.
    description : str
        What the events are (the result's headline).

    Returns
    -------
    CompetingRisksResult
    """
    from ..stats.finegray import FineGray

    n_given = len(s)
    s = s.assign(group=_group_labels(cohort, by)).dropna(subset=["group"])
    cif_rows = []
    for g, d in s.groupby("group", sort=True):
        for code, name in causes:
            aj = aalen_johansen(d["time_months"], d["cause"], code)
            cif_rows.append(aj.assign(group=g, cause=name)[["group", "cause", "time", "cif"]])
    base = cohort.baseline().set_index("patient_id")
    cov = covariate_frame(cohort, covariates)
    frame = pd.DataFrame({"patient_id": s.index.to_numpy(), "start": 0.0,
                          "stop": s["time_days"].to_numpy(),
                          "pain": s.index.map(base["vas_pain"]).to_numpy(),
                          "cause": s["cause"].to_numpy()}).join(cov, on="patient_id")
    n_grouped = len(frame)
    no_time = int((frame["stop"] <= 0).sum())
    frame = frame[frame["stop"] > 0]
    n_timed = len(frame)
    frame = frame.dropna().reset_index(drop=True)
    notes = []
    if no_time:
        notes.append(f"{no_time} patient(s) with no follow-up after baseline left out of the "
                     "models")
    if n_timed > len(frame):
        notes.append(f"{n_timed - len(frame)} patient(s) left out of the models for a missing "
                     "baseline pain value or covariate")
    n_ungrouped = n_given - n_grouped
    if n_ungrouped:
        notes.append(f"{n_ungrouped} patient(s) without a {by!r} group left out")
    fits: dict[str, Any] = {}
    formula = " + ".join(["pain", *formula_terms(frame, covariates)])
    cs_rows, fg_rows = [], []
    for code, name in causes:
        d = frame.assign(event=(frame["cause"] == code).astype(int))
        fit = CoxTimeVarying(ties=ties).fit(d, "patient_id", "start", "stop", "event",
                                            formula=formula)
        cs_rows += _hr_rows(fit, model="cause-specific", cause=name)
        fits[f"cause-specific: {name}"] = fit
        fgfit = FineGray(ties=ties).fit(frame, "stop", "cause", code, formula=formula)
        fg_rows += _hr_rows(fgfit, model="Fine-Gray", cause=name)
        fits[f"Fine-Gray: {name}"] = fgfit
    return CompetingRisksResult(pd.DataFrame(cs_rows + fg_rows),
                                pd.concat(cif_rows, ignore_index=True), len(frame), by, notes,
                                fits, description)


@dataclass(repr=False)
class CompetingRisksResult(Result):
    """Competing risks of death and loss of autonomy (see :func:`competing_risks`).

    Attributes
    ----------
    table : DataFrame
        model, cause, term, hazard_ratio, hr_ci_low, hr_ci_high, p_value.
    cumulative_incidence : DataFrame
        group, cause, time (months), cif.
    n_patients : int
    by : str
    notes : list of str
    fits : dict
    description : str
        What the competing events are.
    """

    table: pd.DataFrame
    cumulative_incidence: pd.DataFrame
    n_patients: int
    by: str
    notes: list[str] = field(default_factory=list)
    fits: dict[str, Any] = field(default_factory=dict)
    description: str = "Competing risks of death and tracheostomy / full-time NIV"

    def headline(self) -> str:
        return f"{self.description} by {self.by}: {self.n_patients} patients in the models"

    def plot(self, ax: Any = None) -> Any:
        """Cumulative incidence curves by group and cause
        (:func:`alspaincohort.plots.cumulative_incidence_plot`)."""
        from ..plots import cumulative_incidence_plot

        return cumulative_incidence_plot(self.cumulative_incidence, ax=ax)


CAUSES = ((1, "death"), (2, "tracheostomy or NIV"))


def _hr_rows(fit: CoxTimeVarying, **labels: Any) -> list[dict[str, Any]]:
    return [{**labels, "term": term, "hazard_ratio": r["hazard_ratio"],
             "hr_ci_low": r["hr_ci_low"], "hr_ci_high": r["hr_ci_high"],
             "p_value": r["p_value"]} for term, r in fit.summary.iterrows()]


def pain_joint_model(cohort: Cohort, pain: str = "vas_pain",
                     covariates: Sequence[str] = ("age_at_onset", "bulbar"),
                     association: str = "value", baseline: str = "weibull",
                     endpoint: str = "death", time: str = "months_since_baseline",
                     gh_points: int | None = None,
                     locf: PainCoxResult | None = None) -> RatioResult:
    """Does pain, measured with error and only at visits, predict death? The joint model of the
    pain trajectory and survival (:class:`~alspaincohort.stats.joint.JointModel`) beside the
    Cox model of the last value carried forward (:func:`pain_cox`), so that the dilution of the
    latter is seen.

    The pain score follows a linear mixed model in time (random intercept and slope per
    patient); the hazard of ``endpoint`` depends on the patient's true current pain
    ("value"), its slope ("slope") or both, and on ``covariates``.

    Parameters
    ----------
    cohort : Cohort
    pain : str
        The pain score (a visit score, default "vas_pain").
    covariates : sequence of str
        Baseline covariates of the hazard (baseline() columns, "bulbar", ...). Patients missing
        one are left out and counted in ``notes``; a covariate no patient has raises
        :class:`~alspaincohort.errors.ParameterError`.
    association : {"value", "slope", "both"}
    baseline : {"weibull", "piecewise"}
        Baseline hazard of the joint model.
    endpoint : {"death", "composite"}
    time : {"months_since_baseline", "months_since_onset"}
        The clock of both parts. On the onset clock each patient enters at baseline (delayed
        entry) and the LOCF Cox model uses the same clock. Pain measured at or after the event
        time is left out and counted.
    gh_points : int, optional
        Gauss-Hermite points per random effect of the joint model (default the model's, 5).
    locf : PainCoxResult, optional
        The carried-forward Cox model to show beside, when already fitted (e.g. by a
        report): it must be :func:`pain_cox` of the same pain score, endpoint, clock and
        covariates (checked), else :class:`~alspaincohort.errors.ParameterError`. Default:
        fitted here.

    Returns
    -------
    RatioResult
        ``table``: model ("joint" or "last value carried forward"), term ("pain (current
        value)", "pain (slope, per point/month)", or a covariate), estimate (log hazard
        ratio), std_error, hazard_ratio, hr_ci_low, hr_ci_high, p_value; ``fits``: "joint"
        (the JointModel) and "locf" (the Cox model); ``notes``.

    Examples
    --------
    >>> from alspaincohort import simulate_cohort
    >>> r = pain_joint_model(simulate_cohort(300, seed=1))
    >>> r.table["model"].unique().tolist()
    ['joint', 'last value carried forward']
    """
    from ..stats.joint import ASSOCIATIONS, BASELINES, JointModel
    from ..validation import check_choice

    check_cohort(cohort, min_patients=2)
    check_choice(association, "association", ASSOCIATIONS)
    check_choice(baseline, "baseline", BASELINES)
    check_choice(time, "time", ("months_since_baseline", "months_since_onset"))
    origin = "onset" if time == "months_since_onset" else "baseline"
    covariates = list(covariates)
    inst, item = visit_score(pain)
    s = cohort.survival(endpoint, origin).set_index("patient_id")
    cov = covariate_frame(cohort, covariates)
    absent = [c for c in covariates if cov[c].isna().all()]
    if absent:
        raise ParameterError(f"pain_joint_model: no patient has {absent}; a covariate you name "
                             "is never left out silently")
    surv = pd.DataFrame({"patient_id": s.index, "time": s["time_months"].to_numpy(),
                         "event": s["event"].astype(int).to_numpy(),
                         "entry": s["entry_months"].to_numpy(float)}).join(
        cov[covariates], on="patient_id")
    long = cohort.long(inst, item)[["patient_id", time, "value"]].rename(
        columns={time: "t", "value": "pain"})
    notes = []
    n0 = len(surv)
    surv = surv[surv["time"] > surv["entry"]].dropna(subset=[*covariates, "entry"])
    long = long.merge(surv[["patient_id", "time"]], on="patient_id")
    late = long["t"] >= long["time"]
    if late.any():
        notes.append(f"{int(late.sum())} pain value(s) measured at or after the patient's "
                     f"{endpoint} or censoring time left out")
    long = long[~late].drop(columns="time")
    surv = surv[surv["patient_id"].isin(set(long["patient_id"]))]
    if len(surv) < n0:
        notes.append(f"{n0 - len(surv)} patient(s) left out (no time at risk, a missing "
                     f"covariate or no {pain} value before the end of follow-up)")
    if len(surv) < 2 or surv["event"].sum() < 1:
        raise ModelDataError(f"pain_joint_model: {len(surv)} patient(s) and "
                             f"{int(surv['event'].sum())} event(s) with {pain} values; too few")
    terms = formula_terms(surv, covariates)
    jm = JointModel(baseline=baseline, association=association, gh_points=gh_points).fit(
        long, surv, "pain ~ t", "~ t", "patient_id", "t", "time", "event",
        surv_formula="~ " + " + ".join(terms) if terms else None,
        entry="entry" if origin == "onset" else None)
    if locf is None:
        locf = pain_cox(cohort, pain, covariates=covariates, endpoint=endpoint, origin=origin)
    elif not isinstance(locf, PainCoxResult):
        raise ParameterError(f"locf must be a PainCoxResult of pain_cox, not "
                             f"{type(locf).__name__}")
    else:
        want = ["pain", *terms]
        said = (f"time-varying (carried forward, lag 0 days) {pain} for {endpoint}, time "
                f"since {origin}")
        if list(locf.model.params_.index) != want or said not in locf.description:
            raise ParameterError(f"locf: a Cox model with terms {list(locf.model.params_.index)}"
                                 f" ({locf.description}); pain_joint_model needs pain_cox of "
                                 f"{said} with terms {want}")
    rows = []
    names = {"alpha": "pain (current value)", "alpha_slope": "pain (slope, per point/month)"}
    summ = jm.summary
    for name in [*names.keys(), *(f"surv: {t}" for t in terms)]:
        if name in summ.index:
            r = summ.loc[name]
            rows.append({"model": "joint", "term": names.get(name, name[6:]),
                         "estimate": r.estimate, "std_error": r.std_error,
                         "p_value": r.p_value, "ci_low": r.ci_low, "ci_high": r.ci_high})
    for _, r in locf.table.iterrows():
        rows.append({"model": "last value carried forward",
                     "term": "pain (last value)" if r.term == "pain" else r.term,
                     "estimate": r.estimate, "std_error": r.std_error, "p_value": r.p_value,
                     "ci_low": r.ci_low, "ci_high": r.ci_high})
    table = pd.DataFrame(rows)
    table["hazard_ratio"] = np.exp(table["estimate"])
    table["hr_ci_low"] = np.exp(table.pop("ci_low"))
    table["hr_ci_high"] = np.exp(table.pop("ci_high"))
    table = table[["model", "term", "estimate", "std_error", "hazard_ratio", "hr_ci_low",
                   "hr_ci_high", "p_value"]]
    notes += [f"last value carried forward: {n}" for n in locf.notes]
    title = (f"Joint model of {pain} and {endpoint}, {time.replace('_', ' ')} ({baseline} "
             f"baseline, association "
             f"{association}; {jm.n_subjects_} patients, {jm.n_events_} events) beside the Cox "
             "model of the last value carried forward")
    return RatioResult(table, title, ("hazard_ratio", "hr_ci_low", "hr_ci_high"),
                       ("model", "term"), notes, {"joint": jm, "locf": locf.model})
