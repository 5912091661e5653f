"""Pain treatment: when a drug class is started, and how pain responds to it.

- :func:`treatment_initiation`: time from baseline to the first start of a drug class (opioids
  by default) with death as a competing event: Aalen-Johansen cumulative incidence by group,
  cause-specific Cox and Fine-Gray models (the engines of
  :func:`alspaincohort.analysis.prognosis.competing_risks`). Patients already on the class at
  baseline are prevalent users, not at risk of starting it, and are left out (a new-user
  design), with the count in ``notes``.
- :func:`treatment_response`: pain before and after each patient's start of a drug class, with
  the IMMPACT categories of the change (:func:`alspaincohort.instruments.pain_change_category`:
  >= 10% minimal, >= 30% moderate, >= 50% substantial reduction; Dworkin et al. 2008), per
  class, with the mean change, its t interval and the Wilcoxon signed-rank test.

Drug classes are those of :mod:`alspaincohort.drugs` (``medications.drug_class``, or classified
from the drug names and ATC codes where the column is absent).

References
----------
Dworkin RH, Turk DC, Wyrwich KW, et al. Interpreting the clinical importance of treatment
outcomes in chronic pain clinical trials: IMMPACT recommendations. J Pain 2008;9(2):105-121.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from ..cohort import Cohort
from ..disclosure import CountCell, Suppression
from ..drugs import CLASSES, classify
from ..errors import ModelDataError, ParameterError
from ..instruments import pain_change_category
from ..result import Result
from ..schema import DAYS_PER_MONTH
from ..stats.rank_tests import signed_rank_test
from ..validation import check_choice, check_cohort, check_day_window, check_level
from ..variables import visit_score
from .prognosis import CompetingRisksResult, PainCoxResult, fit_competing

TREATED_CLASSES = tuple(c for c in CLASSES if c != "other")
IMMPACT = ("none", "minimal", "moderate", "substantial")


def medication_classes(cohort: Cohort) -> pd.DataFrame:
    """The medications with their drug class: patient_id (str), drug, drug_class, start_day,
    stop_day (float, NaN when unknown), dose_mg_per_day (NaN when absent).

    Examples
    --------
    >>> from alspaincohort import simulate_cohort
    >>> m = medication_classes(simulate_cohort(50, seed=1))
    >>> "opioid" in set(m["drug_class"])
    True
    """
    m = cohort.medications
    if "drug_class" in m.columns:
        cls = m["drug_class"].astype(object).to_numpy()
    else:
        atc = m["atc_code"].astype(object).to_numpy() if "atc_code" in m.columns else None
        cls = classify(m["drug"].astype(object).to_numpy(), atc)[1]
    return pd.DataFrame({
        "patient_id": m["patient_id"].astype(str).to_numpy(),
        "drug": m["drug"].astype(object).to_numpy(),
        "drug_class": cls,
        "start_day": m["start_day"].astype("float64").to_numpy(),
        "stop_day": (m["stop_day"].astype("float64").to_numpy() if "stop_day" in m.columns
                     else np.full(len(m), np.nan)),
        "dose_mg_per_day": (m["dose_mg_per_day"].astype("float64").to_numpy()
                            if "dose_mg_per_day" in m.columns else np.full(len(m), np.nan)),
    })


def treatment_initiation(cohort: Cohort, drug_class: str = "opioid", by: str = "pain",
                         covariates: Sequence[str] = ("age_at_onset", "bulbar"),
                         ties: str = "efron") -> CompetingRisksResult:
    """Time from baseline to the first start of a drug class, death competing.

    Parameters
    ----------
    cohort : Cohort
    drug_class : str
        A class of :mod:`alspaincohort.drugs` (default "opioid").
    by : str
        Grouping of the cumulative incidence curves: "pain" (baseline VAS > 0),
        "moderate_pain" (VAS >= 4) or a baseline() column.
    covariates : sequence of str
        Covariates of the Cox and Fine-Gray models besides baseline VAS pain.
    ties : {"efron", "breslow"}

    Returns
    -------
    CompetingRisksResult
        ``table``: model (cause-specific, Fine-Gray), cause (``"<class> start"``, "death"),
        term, hazard_ratio, hr_ci_low, hr_ci_high, p_value; ``cumulative_incidence``: group,
        cause, time (months since baseline), cif (Aalen-Johansen); ``n_patients``; ``notes``
        (prevalent users, unknown start days, patients left out of the models); ``fits``.
        A start is the first ``start_day`` > 0 of a drug of the class, counted when it falls
        within follow-up (on or before death or the last contact); patients on the class at
        baseline (a start on or before day 0 without a stop before day 0) are left out, as are
        patients whose only starts of the class have no day.

    Examples
    --------
    >>> from alspaincohort import simulate_cohort
    >>> r = treatment_initiation(simulate_cohort(400, seed=1))
    >>> sorted(r.table["cause"].unique())
    ['death', 'opioid start']
    """
    check_cohort(cohort, min_patients=1)
    check_choice(drug_class, "drug_class", TREATED_CLASSES)
    m = medication_classes(cohort)
    m = m[m["drug_class"] == drug_class]
    on_at_baseline = (m["start_day"] <= 0) & ~(m["stop_day"] < 0)
    prevalent = set(m.loc[on_at_baseline, "patient_id"])
    later = m[m["start_day"] > 0].groupby("patient_id")["start_day"].min()
    undated = set(m.loc[m["start_day"].isna(), "patient_id"]) - prevalent - set(later.index)
    s = cohort.survival("death", "baseline").set_index("patient_id")
    s = s[~s.index.isin(prevalent | undated)]
    start = later.reindex(s.index).to_numpy()
    started = start <= s["end_day"].to_numpy()  # NaN (no start) compares False
    days = np.where(started, start, s["time_days"].to_numpy())
    cause = np.where(started, 1, np.where(s["event"].to_numpy() == 1, 2, 0))
    s = s.assign(time_days=days, time_months=days / DAYS_PER_MONTH, cause=cause)
    name = f"{drug_class} start"
    result = fit_competing(cohort, s, ((1, name), (2, "death")), by, covariates, ties,
                           f"Time to the first {drug_class} start from baseline, death "
                           "competing")
    notes = []
    if prevalent:
        notes.append(f"{len(prevalent)} patient(s) already on {drug_class} drugs at baseline "
                     "(a start on or before day 0) left out: prevalent users are not at risk "
                     "of starting")
    if undated:
        notes.append(f"{len(undated)} patient(s) whose {drug_class} start has no day left out")
    late = int((later.reindex(s.index) > s["end_day"]).sum())
    if late:
        notes.append(f"{late} start(s) after the end of follow-up not counted")
    return replace(result, notes=notes + result.notes)


@dataclass(repr=False)
class TreatmentResponseResult(Result):
    """Pain before and after the start of each drug class (see :func:`treatment_response`).

    Attributes
    ----------
    table : DataFrame
        One row per drug class: drug_class, n_starts (patients with a dated start of the
        class), n_paired (with pain measured before and after), before_mean, after_mean,
        change_mean (after - before), change_ci_low, change_ci_high (t interval), p_value
        (Wilcoxon signed-rank; NaN when every change is 0 or fewer than 2 pairs), n_defined
        (pairs with pain before > 0, where a % change exists), then for each IMMPACT category
        (none, minimal, moderate, substantial) its count and share of ``n_defined``.
    measure, before, after : as given
    level : float
    notes : list of str
    pairs : DataFrame or None
        patient_id, drug_class, start_day, before, after, category: kept in memory for
        :meth:`count_cells`; never shown or exported.
    """

    table: pd.DataFrame
    measure: str
    before: tuple[int, int]
    after: tuple[int, int]
    level: float = 0.95
    notes: list[str] = field(default_factory=list)
    pairs: pd.DataFrame | None = None

    def headline(self) -> str:
        return (f"Pain ({self.measure}) from {self.before[0]} to {self.before[1]} days around "
                f"the start of a drug class and from {self.after[0]} to {self.after[1]} days "
                "after it")

    def plot(self, ax: Any = None) -> Any:
        """Shares of the IMMPACT categories by class
        (:func:`alspaincohort.plots.response_plot`)."""
        from ..plots import response_plot

        return response_plot(self.table, ax=ax)

    def count_cells(self, name: str) -> list[CountCell]:
        """n_starts, n_paired, n_defined and each IMMPACT count of every class."""
        if self.pairs is None:
            return []
        cells = []
        for cls, g in self.pairs.groupby("drug_class", sort=True):
            ids = g["patient_id"].astype(str)
            paired = g["before"].notna() & g["after"].notna()
            defined = paired & (g["before"] > 0)
            cells += [CountCell(name, str(cls), "n_starts", frozenset(ids)),
                      CountCell(name, str(cls), "n_paired", frozenset(ids[paired])),
                      CountCell(name, str(cls), "n_defined", frozenset(ids[defined]))]
            cells += [CountCell(name, str(cls), cat, frozenset(ids[defined
                                                                   & (g["category"] == cat)]))
                      for cat in IMMPACT]
        return cells

    def suppressed(self, suppression: Suppression, name: str) -> TreatmentResponseResult:
        """A copy whose classes with a hidden count show no counts or shares, with a note."""
        t = self.table
        return self._blank_hidden_rows(suppression, name, t["drug_class"],
                                       [c for c in t.columns if c != "drug_class"], pairs=None)


def treatment_response(cohort: Cohort, drug_class: str | Sequence[str] | None = None,
                       measure: str = "vas_pain", before: tuple[int, int] = (-90, 0),
                       after: tuple[int, int] = (14, 120),
                       level: float = 0.95) -> TreatmentResponseResult:
    """Pain before and after the start of a drug class, with the IMMPACT categories of the
    change.

    Parameters
    ----------
    cohort : Cohort
    drug_class : str or list of str, optional
        Classes of :mod:`alspaincohort.drugs`; default every pain class
        (:data:`alspaincohort.drugs.PAIN_CLASSES`) that some patient starts.
    measure : str
        The pain score (vas_pain, nrs_pain, or a visit score of :mod:`alspaincohort.variables`).
    before : (first, last) days
        The window before the start, relative to the start day (default (-90, 0): the last
        measurement in the 90 days up to and including the start day).
    after : (first, last) days
        The window after the start (default (14, 120): the last measurement from two weeks to
        four months after it).
    level : float
        Confidence level of the interval of the mean change.

    Returns
    -------
    TreatmentResponseResult
        ``table`` as documented on :class:`TreatmentResponseResult`; each patient counts once
        per class, at the first dated start of the class; a start whose windows hold no
        measurement counts in n_starts only. A named class that no patient starts on a known
        day, or a measure with no measurement, raises
        :class:`~alspaincohort.errors.ModelDataError`.

    Examples
    --------
    >>> from alspaincohort import simulate_cohort
    >>> r = treatment_response(simulate_cohort(600, seed=2), "opioid")
    >>> r.table[["drug_class", "n_starts"]].shape
    (1, 2)
    """
    from ..drugs import PAIN_CLASSES

    check_cohort(cohort, min_patients=1)
    check_level(level)
    b_win = check_day_window(before, "before", meaning="days relative to the start")
    a_win = check_day_window(after, "after", meaning="days relative to the start")
    if a_win[0] <= b_win[1]:
        raise ParameterError(f"after {a_win} must begin after the end of before {b_win} (a "
                             "measurement cannot be both)")
    m = medication_classes(cohort)
    m = m[m["start_day"].notna()]
    if drug_class is None:
        classes = [c for c in PAIN_CLASSES if (m["drug_class"] == c).any()]
    else:
        classes = [drug_class] if isinstance(drug_class, str) else list(drug_class)
        for c in classes:
            check_choice(c, "drug_class", TREATED_CLASSES)
        absent = [c for c in classes if not (m["drug_class"] == c).any()]
        if absent:
            raise ModelDataError(f"treatment_response: no dated start of {absent} in the "
                                 "cohort")
    if not classes:
        raise ModelDataError("treatment_response: no dated start of a pain drug class")
    inst, item = visit_score(measure)
    scores = cohort.scores(inst, item)
    scores = scores[scores["value"].notna()]
    if scores.empty:
        raise ModelDataError(f"treatment_response: no {measure} measurement in the cohort")
    scores = pd.DataFrame({"patient_id": scores["patient_id"].astype(str).to_numpy(),
                           "day": scores["day"].to_numpy(dtype=float),
                           "value": scores["value"].to_numpy(dtype=float)})
    first = (m[m["drug_class"].isin(classes)].groupby(["drug_class", "patient_id"])
             ["start_day"].min().reset_index())
    pairs = first.assign(before=_last_in(first, scores, b_win),
                         after=_last_in(first, scores, a_win))
    pairs["category"] = np.asarray(pain_change_category(pairs["before"], pairs["after"]),
                                   dtype=object)
    rows = [_response_row(cls, pairs[pairs["drug_class"] == cls], level) for cls in classes]
    notes = [f"each patient counts once per class, at the first dated start; {measure} is the "
             f"last measurement from {b_win[0]} to {b_win[1]} days and from {a_win[0]} to "
             f"{a_win[1]} days relative to it"]
    return TreatmentResponseResult(pd.DataFrame(rows), measure, b_win, a_win, level, notes,
                                   pairs)


def _last_in(starts: pd.DataFrame, scores: pd.DataFrame, window: tuple[int, int]) -> np.ndarray:
    """For each start, the last score of its patient from window[0] to window[1] days
    relative to the start day (NaN when none)."""
    j = starts.reset_index(drop=True).reset_index().merge(scores, on="patient_id")
    rel = j["day"] - j["start_day"]
    j = j[(rel >= window[0]) & (rel <= window[1])].sort_values(["index", "day"])
    last = j.groupby("index")["value"].last()
    return last.reindex(np.arange(len(starts))).to_numpy()


def _response_row(cls: str, g: pd.DataFrame, level: float) -> dict[str, Any]:
    paired = g.dropna(subset=["before", "after"])
    change = (paired["after"] - paired["before"]).to_numpy()
    n = len(change)
    row: dict[str, Any] = {"drug_class": cls, "n_starts": len(g), "n_paired": n,
                           "before_mean": paired["before"].mean() if n else np.nan,
                           "after_mean": paired["after"].mean() if n else np.nan,
                           "change_mean": change.mean() if n else np.nan}
    if n >= 2:
        half = stats.t.ppf(0.5 + level / 2, n - 1) * change.std(ddof=1) / np.sqrt(n)
        row["change_ci_low"], row["change_ci_high"] = row["change_mean"] - half, \
            row["change_mean"] + half
        row["p_value"] = (signed_rank_test(paired["after"], paired["before"])["p_value"]
                          if np.any(change != 0) else np.nan)
    else:
        row["change_ci_low"] = row["change_ci_high"] = row["p_value"] = np.nan
    defined = paired[paired["before"] > 0]
    row["n_defined"] = len(defined)
    for cat in IMMPACT:
        k = int((defined["category"] == cat).sum())
        row[cat] = k
        row[f"{cat}_share"] = k / len(defined) if len(defined) else np.nan
    return row


def treatment_prognosis(cohort: Cohort, classes: Sequence[str] = ("opioid", "benzodiazepine"),
                        endpoint: str = "composite", pain_rise: float = 2.0,
                        covariates: Sequence[str] = ("age_at_onset", "bulbar"),
                        ties: str = "efron", robust: bool = True) -> PainCoxResult:
    """Starting opioids or sedatives, and a rise in pain, as time-varying predictors of death or
    loss of autonomy ("increase of pain and the need of sedative-analgesic drugs" predict
    deterioration, says the review).

    Parameters
    ----------
    cohort : Cohort
    classes : sequence of str
        Drug classes of :mod:`alspaincohort.drugs`; each gives a term ``on_<class>``, 0 before
        the patient's first start of the class and 1 from that day on (a patient already on it
        at baseline is exposed throughout).
    endpoint : {"composite", "death"}
        The first of death, tracheostomy or full-time NIV (default), or death.
    pain_rise : float
        The term ``pain_rise`` is 1 while the current VAS (carried forward) is at least this
        many points above the patient's first VAS.
    covariates : sequence of str
        Baseline covariates (as :func:`alspaincohort.analysis.prognosis.pain_cox`).
    ties : {"efron", "breslow"}
    robust : bool
        Robust standard errors clustered by patient (default: a patient's rows are split at
        each start).

    Returns
    -------
    PainCoxResult
        ``table``: term (pain, pain_rise, on_<class>..., covariates), estimate, hazard_ratio,
        std_error, z, p_value, ci_low, ci_high, hr_ci_low, hr_ci_high; ``model``; ``data``
        (the (start, stop] rows, split at each class's first start; days since baseline);
        ``n_patients``, ``n_dropped_patients``.

    Examples
    --------
    >>> from alspaincohort import simulate_cohort
    >>> r = treatment_prognosis(simulate_cohort(500, seed=4), classes=("opioid",))
    >>> r.table["term"].tolist()[:3]
    ['pain', 'pain_rise', 'on_opioid']
    """
    from ..stats.cox import CoxTimeVarying
    from ..validation import check_positive
    from .frames import covariate_frame, formula_terms

    check_cohort(cohort, min_patients=1)
    check_choice(endpoint, "endpoint", ("composite", "death"))
    check_positive(pain_rise, "pain_rise")
    classes = [classes] if isinstance(classes, str) else list(classes)
    if not classes or len(set(classes)) < len(classes):
        raise ParameterError(f"classes must be distinct drug classes, not {classes!r}")
    for c in classes:
        check_choice(c, "classes", TREATED_CLASSES)
    d = cohort.counting_process("vas_pain", "total", endpoint=endpoint).rename(
        columns={"value": "pain"})
    d = d.dropna(subset=["pain"])
    first_value = d.groupby("patient_id")["pain"].transform("first")
    d = d.assign(pain_rise=(d["pain"] - first_value >= pain_rise).astype("int8"))
    m = medication_classes(cohort)
    starts = m[m["start_day"].notna()].groupby(["drug_class", "patient_id"])["start_day"].min()
    for cls in classes:
        switch = (starts.loc[cls] if cls in starts.index.get_level_values(0)
                  else pd.Series(dtype=float))
        d = split_at(d, d["patient_id"].map(switch).to_numpy(dtype=float), f"on_{cls}")
    cov = covariate_frame(cohort, covariates)
    d = d.join(cov, on="patient_id")
    d = d.dropna(subset=list(covariates)).reset_index(drop=True)
    terms = ["pain", "pain_rise", *[f"on_{c}" for c in classes]]
    never = [t for t in terms[2:] if not d[t].any()]
    if never:
        raise ModelDataError(f"treatment_prognosis: no patient in the model is ever exposed to "
                             f"{[t[3:] for t in never]}: drop it from classes")
    formula = " + ".join([*terms, *formula_terms(d, covariates)])
    model = CoxTimeVarying(ties=ties).fit(d, "patient_id", "start", "stop", "event",
                                          formula=formula, robust=robust)
    used = int(d["patient_id"].nunique())
    desc = (f"Cox model of {endpoint} with current pain, a rise of >= {pain_rise:g} VAS points "
            f"since the first, and the start of {', '.join(classes)} (time-varying), "
            f"{used} patients, {model.n_events_} events")
    return PainCoxResult(model.summary.reset_index(names="term"), model, d, used,
                         cohort.n_patients - used, desc)


def split_at(d: pd.DataFrame, switch: np.ndarray, column: str) -> pd.DataFrame:
    """(start, stop] rows split at each row's ``switch`` day where it falls inside the row,
    with ``column`` = 1 on the rows from the switch on (0 before it, and 0 where ``switch`` is
    NaN); the event stays on the later part.

    Examples
    --------
    >>> d = pd.DataFrame({"patient_id": ["a"], "start": [0.0], "stop": [10.0], "event": [1]})
    >>> split_at(d, np.array([4.0]), "on")[["start", "stop", "event", "on"]].values.tolist()
    [[0.0, 4.0, 0.0, 0.0], [4.0, 10.0, 1.0, 1.0]]
    """
    start, stop = d["start"].to_numpy(dtype=float), d["stop"].to_numpy(dtype=float)
    with np.errstate(invalid="ignore"):
        cut = (start < switch) & (switch < stop)
    d = d.assign(_switch=switch)
    left = d[cut].assign(stop=switch[cut], event=0)
    right = d[cut].assign(start=switch[cut])
    out = pd.concat([d[~cut], left, right]).sort_values(["patient_id", "start"],
                                                        kind="stable")
    with np.errstate(invalid="ignore"):
        on = (out["start"].to_numpy() >= out["_switch"].to_numpy()).astype("int8")
    return out.drop(columns="_switch").assign(**{column: on}).reset_index(drop=True)
