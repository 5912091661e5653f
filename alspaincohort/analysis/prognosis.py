"""Prognostic value of pain for survival.

- :func:`kaplan_meier`: survival by pain status (or any grouping) with pointwise CIs, median
  survival with CI (lifelines ``KaplanMeierFitter``), the k-group log-rank test and its
  stratified version (computed here, checked against R ``survdiff``), and a figure with numbers
  at risk under the axis.
- :func:`pain_cox`: Cox model of pain with ENCALS-like covariates (age at onset, bulbar onset,
  diagnostic delay, ALSFRS-R progression rate, FVC % predicted, FTD, definite El Escorial), on
  baseline pain or pain as a time-varying covariate carried forward between visits, with an
  optional lag (a value applies only ``lag_days`` after it was measured, so pain recorded in the
  last days of life cannot "predict" the death that causes it). Fast engine:
  :class:`alspaincohort.stats.cox.CoxTimeVarying`.
- :func:`landmark`: at each landmark (months after baseline), patients alive and followed, pain
  = last value measured up to the landmark, survival from the landmark.
- :func:`competing_risks`: cumulative incidence of death and of tracheostomy / full-time NIV
  by pain group (Aalen-Johansen, computed here because lifelines' estimator jitters tied
  times at random; equal to lifelines on tie-free data), cause-specific Cox hazard ratios and
  Fine-Gray subdistribution hazard ratios (:mod:`alspaincohort.stats.finegray`).
- Proportional hazards: ``PainCoxResult.proportional_hazards()`` (scaled Schoenfeld residual
  tests and plots, :mod:`alspaincohort.stats.zph`).
- :func:`alspaincohort.analysis.incremental.incremental_value`: does pain add prognostic value
  to a baseline model.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from ..cohort import Cohort
from ..schema import DAYS_PER_MONTH
from ..stats.cox import CoxTimeVarying

ENCALS_LIKE = ("age_at_onset", "bulbar", "diagnostic_delay_months", "progression_rate",
               "fvc_percent", "ftd", "definite_el_escorial")


def logrank(time: Any, event: Any, group: Any, strata: Any = None) -> dict[str, Any]:
    """k-group log-rank test, stratified when ``strata`` is given (observed minus expected and
    its variance summed over strata, as R ``survdiff(... + strata(s))``).

    Returns statistic, df, p_value and, per group, observed and expected events.
    """
    t = np.asarray(time, dtype=float)
    e = np.asarray(event, dtype=int)
    g_codes, groups = pd.factorize(np.asarray(group), sort=True)
    k = len(groups)
    s_codes = np.zeros(len(t), dtype=int) if strata is None else pd.factorize(
        np.asarray(strata), sort=True)[0]
    observed = np.zeros(k)
    E = np.zeros(k)
    V = np.zeros((k, k))
    for s in np.unique(s_codes):
        sel = s_codes == s
        ts, es, gs = t[sel], e[sel], g_codes[sel]
        times = np.unique(ts[es == 1])
        if not len(times):
            continue
        at_risk = np.empty((len(times), k))
        deaths = np.zeros((len(times), k))
        for j in range(k):  # loop over groups (few), counts by sorting
            tj = np.sort(ts[gs == j])
            at_risk[:, j] = len(tj) - np.searchsorted(tj, times, side="left")
            dj = ts[(gs == j) & (es == 1)]
            deaths[:, j] = np.bincount(np.searchsorted(times, dj), minlength=len(times))
        n = at_risk.sum(axis=1)
        d = deaths.sum(axis=1)
        frac = at_risk / n[:, None]
        observed += deaths.sum(axis=0)
        E += (d[:, None] * frac).sum(axis=0)
        w = np.where(n > 1, d * (n - d) / np.maximum(n - 1, 1), 0.0)
        V += np.diag((w[:, None] * frac).sum(axis=0)) - np.einsum("t,ti,tj->ij", w, frac, frac)
    diff = (observed - E)[:-1]
    stat = float(diff @ np.linalg.solve(V[:-1, :-1], diff)) if k > 1 else float("nan")
    return {"statistic": stat, "df": k - 1, "p_value": float(stats.chi2.sf(stat, k - 1)),
            "groups": list(groups), "observed": observed, "expected": E}


def aalen_johansen(time: Any, cause: Any, of_interest: int) -> pd.DataFrame:
    """Cumulative incidence of one cause with competing causes (0 = censored):
    CIF(t) = sum over event times t_j <= t of S(t_j-) d_j(cause) / n_j, with S the all-cause
    Kaplan-Meier. Tied times are handled exactly (lifelines' estimator jitters them at random).

    Returns time, cif (one row per distinct event time of any cause).
    """
    t = np.asarray(time, dtype=float)
    c = np.asarray(cause, dtype=int)
    times = np.unique(t[c > 0])
    ts = np.sort(t)
    n = len(ts) - np.searchsorted(ts, times, side="left")
    idx_all = np.searchsorted(times, t[c > 0])
    d_all = np.bincount(idx_all, minlength=len(times)).astype(float)
    idx = np.searchsorted(times, t[c == of_interest])
    d_k = np.bincount(idx, minlength=len(times)).astype(float)
    surv = np.cumprod(1 - d_all / n)
    before = np.r_[1.0, surv[:-1]]
    return pd.DataFrame({"time": times, "cif": np.cumsum(before * d_k / n)})


def _group_labels(cohort: Cohort, by: str) -> pd.Series:
    b = cohort.baseline().set_index("patient_id")
    if by == "pain":
        lab = pd.Series(np.where(b["vas_pain"] > 0, "pain", "no pain"), index=b.index)
        return lab.where(b["vas_pain"].notna())
    if by == "moderate_pain":
        lab = pd.Series(np.where(b["vas_pain"] >= 4, "VAS >= 4", "VAS < 4"), index=b.index)
        return lab.where(b["vas_pain"].notna())
    if by not in b.columns:
        raise ValueError(f"unknown grouping {by!r}: 'pain', 'moderate_pain' or a baseline() "
                         "column")
    return b[by].astype(str).where(b[by].notna())


@dataclass
class KaplanMeierResult:
    """Kaplan-Meier estimates by group.

    Attributes
    ----------
    table : DataFrame
        group, n, events, median, median_ci_low, median_ci_high (months).
    curves : DataFrame
        group, time (months), survival, ci_low, ci_high, at_risk.
    test : dict
        log-rank (stratified when requested): statistic, df, p_value, stratified_by.
    """

    table: pd.DataFrame
    curves: pd.DataFrame
    test: dict[str, Any]
    fitters: dict[str, Any]
    endpoint: str
    origin: str

    def plot(self, ax: Any = None, at_risk: bool = True) -> Any:
        from ..plots import km_plot

        return km_plot(self, ax=ax, at_risk=at_risk)

    def _repr_html_(self) -> str:
        return (self.table.round(2).to_html(index=False)
                + f"<p>log-rank {self.test['statistic']:.2f} on {self.test['df']} df, p = "
                f"{self.test['p_value']:.3g}</p>")


def kaplan_meier(cohort: Cohort, by: str = "pain", endpoint: str = "death",
                 origin: str = "baseline", strata: str | None = None) -> KaplanMeierResult:
    """Kaplan-Meier by group (``by``: "pain" = baseline VAS > 0, "moderate_pain", or a
    baseline() column), log-rank test (stratified by ``strata``, a baseline() column).

    With ``origin="onset"`` patients enter at their baseline (delayed entry), as they were
    only observed from then on."""
    from lifelines import KaplanMeierFitter
    from lifelines.utils import median_survival_times

    s = cohort.survival(endpoint, origin).set_index("patient_id")
    s["group"] = _group_labels(cohort, by)
    if strata is not None:
        s["stratum"] = cohort.baseline().set_index("patient_id")[strata].astype(str)
    s = s.dropna(subset=["group", "time_months"])
    entry = s["entry_months"] if origin != "baseline" else None
    rows, curves, fitters = [], [], {}
    for g, d in s.groupby("group", sort=True):
        kmf = KaplanMeierFitter(label=str(g)).fit(
            d["time_months"], d["event"], entry=None if entry is None else entry.loc[d.index])
        fitters[str(g)] = kmf
        ci = median_survival_times(kmf.confidence_interval_)
        rows.append({"group": g, "n": len(d), "events": int(d["event"].sum()),
                     "median": float(kmf.median_survival_time_),
                     "median_ci_low": float(ci.iloc[0, 0]),
                     "median_ci_high": float(ci.iloc[0, 1])})
        sf = kmf.survival_function_.iloc[:, 0]
        cib = kmf.confidence_interval_
        curves.append(pd.DataFrame({"group": g, "time": sf.index.to_numpy(),
                                    "survival": sf.to_numpy(), "ci_low": cib.iloc[:, 0].to_numpy(),
                                    "ci_high": cib.iloc[:, 1].to_numpy(),
                                    "at_risk": kmf.event_table["at_risk"].reindex(
                                        sf.index).to_numpy()}))
    test = logrank(s["time_months"], s["event"], s["group"],
                   None if strata is None else s["stratum"])
    test["stratified_by"] = strata
    return KaplanMeierResult(pd.DataFrame(rows), pd.concat(curves, ignore_index=True), test,
                             fitters, endpoint, origin)


# ----------------------------------------------------------------------------------------------
def _covariate_frame(cohort: Cohort, covariates: Sequence[str]) -> pd.DataFrame:
    b = cohort.baseline().set_index("patient_id")
    out = pd.DataFrame(index=b.index)
    for c in covariates:
        if c == "bulbar":
            out[c] = (b["onset_site"].astype(str) == "bulbar").astype(float).where(
                b["onset_site"].notna())
        elif c == "definite_el_escorial":
            out[c] = (b["el_escorial"].astype(str) == "definite").astype(float).where(
                b["el_escorial"].notna())
        elif c in ("ftd", "c9orf72"):
            out[c] = b[c].astype("float")
        elif c in b.columns:
            out[c] = pd.to_numeric(b[c], errors="coerce")
        else:
            raise ValueError(f"unknown covariate {c!r}")
    return out


@dataclass
class PainCoxResult:
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

    def _repr_html_(self) -> str:
        return f"<p>{self.description}</p>" + self.table.round(4).to_html(index=False)


def pain_cox(cohort: Cohort, pain: str = "vas_pain", time_varying: bool = True,
             covariates: Sequence[str] = ENCALS_LIKE, endpoint: str = "death",
             lag_days: int = 0, ties: str = "efron", robust: bool = False,
             origin: str = "baseline") -> PainCoxResult:
    """Cox model of pain (per point of the 0-10 score) with baseline covariates.

    ``origin`` sets the time scale: "baseline" (time since baseline), or "onset" /
    "diagnosis" (time since symptom onset or diagnosis, each patient entering the risk set at
    baseline: delayed entry, so risk sets compare patients at the same disease duration).
    Patients with a missing covariate (or, with origin "onset" / "diagnosis", a missing origin
    day) are left out and counted."""
    from .depression import VARIABLES

    if origin not in ("baseline", "onset", "diagnosis"):
        raise ValueError(f"origin must be 'baseline', 'onset' or 'diagnosis', not {origin!r}")

    inst, item = VARIABLES.get(pain, (pain, "total"))
    cov = _covariate_frame(cohort, covariates)
    if time_varying:
        d = cohort.counting_process(inst, item, endpoint=endpoint, lag_days=lag_days)
        d = d.rename(columns={"value": "pain"})
    else:
        s = cohort.survival(endpoint, "baseline").set_index("patient_id")
        base = cohort._baseline_rows(inst, item, 30)
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
    covariates = [c for c in covariates if c not in unavailable]
    d = d.dropna(subset=["pain", *covariates]).reset_index(drop=True)
    formula = " + ".join(["pain", *covariates])
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
             endpoint: str = "death") -> pd.DataFrame:
    """Landmark analysis: for each landmark L (months after baseline), patients alive and
    under follow-up at L, pain = last value measured at or before L, Cox model of survival
    from L.

    Returns
    -------
    DataFrame: landmark_months, n_patients, events, term, hazard_ratio, hr_ci_low, hr_ci_high,
    p_value.
    """
    from .depression import VARIABLES

    inst, item = VARIABLES.get(pain, (pain, "total"))
    s = cohort.survival(endpoint, "baseline").set_index("patient_id")
    scores = cohort.scores(inst, item)
    cov = _covariate_frame(cohort, covariates)
    rows = []
    for L in landmarks_months:
        day = L * DAYS_PER_MONTH
        at_risk = s[s["end_day"] > day]
        last = scores[scores["day"] <= day].groupby("patient_id")["value"].last()
        d = pd.DataFrame({"patient_id": at_risk.index, "start": 0.0,
                          "stop": (at_risk["end_day"] - day).to_numpy(),
                          "event": at_risk["event"].to_numpy(),
                          "pain": at_risk.index.map(last)}).join(cov, on="patient_id")
        d = d.dropna().reset_index(drop=True)
        fit = CoxTimeVarying().fit(d, "patient_id", "start", "stop", "event",
                                   formula=" + ".join(["pain", *covariates]))
        summ = fit.summary
        for term in summ.index:
            rows.append({"landmark_months": L, "n_patients": len(d), "events": fit.n_events_,
                         "term": term, "hazard_ratio": summ.loc[term, "hazard_ratio"],
                         "hr_ci_low": summ.loc[term, "hr_ci_low"],
                         "hr_ci_high": summ.loc[term, "hr_ci_high"],
                         "p_value": summ.loc[term, "p_value"]})
    return pd.DataFrame(rows)


def competing_risks(cohort: Cohort, by: str = "pain",
                    covariates: Sequence[str] = ("age_at_onset", "bulbar"),
                    ties: str = "efron") -> dict[str, Any]:
    """Death and loss of autonomy (tracheostomy or full-time NIV, whichever first) as
    competing first events from baseline.

    Returns
    -------
    dict with

    - ``cumulative_incidence``: DataFrame group, cause, time (months), cif (Aalen-Johansen by
      ``by`` group);
    - ``cause_specific``: DataFrame cause, term, hazard_ratio, hr_ci_low, hr_ci_high, p_value
      (Cox per cause with the other cause censored; baseline VAS pain per point and
      ``covariates``);
    - ``subdistribution``: the same columns for Fine-Gray subdistribution hazard ratios
      (weighted Cox on the expanded data, robust standard errors clustered by patient, as
      ``coxph(..., weights = fgwt, cluster = id)`` on ``survival::finegray`` data, close to
      ``cmprsk::crr``);
    - ``n_patients``: patients with baseline pain, covariates and time > 0.
    """
    from ..stats.finegray import finegray_rows

    s = cohort.survival("composite", "baseline").set_index("patient_id")
    cause = s["event_type"].astype(str).map({"death": 1, "tracheostomy": 2,
                                             "niv_full_time": 2, "censored": 0})
    s = s.assign(cause=cause, group=_group_labels(cohort, by)).dropna(subset=["group"])
    cif_rows = []
    for g, d in s.groupby("group", sort=True):
        for code, name in CAUSES:
            aj = aalen_johansen(d["time_months"], d["cause"], code)
            cif_rows.append(aj.assign(group=g, cause=name)[["group", "cause", "time", "cif"]])
    base = cohort.baseline().set_index("patient_id")
    cov = _covariate_frame(cohort, covariates)
    frame = pd.DataFrame({"patient_id": s.index.to_numpy(), "start": 0.0,
                          "stop": s["time_days"].to_numpy(),
                          "pain": s.index.map(base["vas_pain"]).to_numpy(),
                          "cause": s["cause"].to_numpy()}).join(cov, on="patient_id")
    frame = frame[frame["stop"] > 0].dropna().reset_index(drop=True)
    formula = " + ".join(["pain", *covariates])
    cs_rows, fg_rows = [], []
    for code, name in CAUSES:
        d = frame.assign(event=(frame["cause"] == code).astype(int))
        fit = CoxTimeVarying(ties=ties).fit(d, "patient_id", "start", "stop", "event",
                                            formula=formula)
        cs_rows += _hr_rows(fit, cause=name)
        fg = finegray_rows(frame["stop"], frame["cause"], code)
        fg = fg.join(frame.drop(columns=["start", "stop"]), on="row")
        fgfit = CoxTimeVarying(ties=ties).fit(fg, "patient_id", "start", "stop", "event",
                                              formula=formula, weights="weight", robust=True)
        fg_rows += _hr_rows(fgfit, cause=name)
    return {"cumulative_incidence": pd.concat(cif_rows, ignore_index=True),
            "cause_specific": pd.DataFrame(cs_rows),
            "subdistribution": pd.DataFrame(fg_rows),
            "n_patients": len(frame)}


CAUSES = ((1, "death"), (2, "tracheostomy or NIV"))


def _hr_rows(fit: CoxTimeVarying, **labels: Any) -> list[dict[str, Any]]:
    return [{**labels, "term": term, "hazard_ratio": r["hazard_ratio"],
             "hr_ci_low": r["hr_ci_low"], "hr_ci_high": r["hr_ci_high"],
             "p_value": r["p_value"]} for term, r in fit.summary.iterrows()]
