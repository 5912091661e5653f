"""Pain and pain drugs before ALS onset, from the patient tables.

- :func:`pain_before_onset`: the share of patients whose pain began before motor onset
  (``patients.pain_onset_day`` < ``onset_day``; the review: 25% of patients with pain in a
  case-control study, half in the largest survey), the share for whom pain was the presenting
  symptom (``patients.presenting_symptom``; 34% in that survey), each among patients with pain
  and among all patients, with Wilson CIs; and the time from pain onset to motor onset among
  those with pain first (median with its distribution-free CI, quartiles).
- :func:`comparator_drug_use`: pain-drug use in a window before the index date (day 0) of ALS
  patients against their comparators (``patients.group``): per drug class, the share in each
  group with its Wilson CI, and the odds ratio ALS vs comparators, conditional on the matched
  set (:class:`alspaincohort.stats.ConditionalLogit`) when ``patients.matched_set`` is given,
  unconditional (logistic) otherwise.

References
----------
Hurwitz N, Radakovic R, Boyce E, Peryer G. Prevalence of pain in amyotrophic lateral sclerosis:
a systematic review and meta-analysis. Amyotroph Lateral Scler Frontotemporal Degener
2021;22(7-8):449-458 (background for the figures above, as cited by the review).
Conover WJ. Practical Nonparametric Statistics. 3rd ed. New York: Wiley; 1999 (the binomial
confidence interval of a quantile).
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from ..cohort import Cohort
from ..disclosure import CountCell, Suppression
from ..errors import ModelDataError, ParameterError
from ..result import Result
from ..schema import DAYS_PER_MONTH
from ..stats import ConditionalLogit
from ..stats.logistic import fit_logit
from ..validation import check_cohort, check_day_window, check_level
from .prevalence import proportion_ci
from .treatment import TREATED_CLASSES, medication_classes

COUNT_COLUMNS = ("cases", "n")


@dataclass(repr=False)
class PainOnsetResult(Result):
    """Pain before onset and as the presenting symptom.

    Attributes
    ----------
    table : DataFrame
        measure, denominator ("patients with pain" / "all patients"), cases, n, share, ci_low,
        ci_high.
    timing : DataFrame
        The months from pain onset to motor onset among patients with pain first: n, median,
        ci_low, ci_high (the median's distribution-free CI), q1, q3.
    notes : list of str
    """

    table: pd.DataFrame
    timing: pd.DataFrame
    notes: list[str] = field(default_factory=list)
    level: float = 0.95
    units: dict[tuple[str, str], tuple[frozenset[Any], frozenset[Any]]] = field(
        default_factory=dict)

    def headline(self) -> str:
        first = self.table.iloc[0]
        return (f"Pain before motor onset: {first['share']:.1%} of {int(first['n'])} patients "
                "with pain (and as the presenting symptom)")

    def sections(self) -> list[tuple[str, pd.DataFrame]]:
        return [("", self.table), ("months from pain onset to motor onset", self.timing)]

    def plot(self, ax: Any = None) -> Any:
        """The shares with their CIs (:func:`alspaincohort.plots.prevalence_plot`)."""
        from ..plots import prevalence_plot

        t = self.table.assign(stratum=self.table["measure"] + ", "
                              + self.table["denominator"], prevalence=self.table["share"],
                              definition="share", method="Wilson")
        return prevalence_plot(t, ax=ax, title="Pain before ALS onset")

    def count_cells(self, name: str) -> list[CountCell]:
        cells = []
        for (measure, denom), (cases, n) in self.units.items():
            row = f"{measure} / {denom}"
            cells += [CountCell(name, row, "cases", cases), CountCell(name, row, "n", n),
                      CountCell(name, row, "n - cases", n - cases)]
        return cells

    def suppressed(self, suppression: Suppression, name: str) -> PainOnsetResult:
        """A copy whose rows holding a hidden count show no numbers, with a note."""
        t = self.table
        return self._blank_hidden_rows(suppression, name, t["measure"] + " / " + t["denominator"],
                                       ["cases", "n", "share", "ci_low", "ci_high"], units={})


def _median_ci(x: np.ndarray, level: float) -> tuple[float, float]:
    """The distribution-free CI of the median: order statistics whose binomial(n, 1/2) ranks
    cover at least ``level`` (Conover 1999)."""
    x = np.sort(x)
    n = len(x)
    if n == 0:
        return np.nan, np.nan
    # r: the largest rank with P(B <= r - 1) <= (1 - level) / 2, B ~ binomial(n, 1/2); the
    # interval [X_(r), X_(n - r + 1)] covers the median with probability >= level
    r = int(stats.binom.ppf((1 - level) / 2, n, 0.5))
    if r < 1:
        return float(x[0]), float(x[-1])
    return float(x[r - 1]), float(x[n - r])


def pain_before_onset(cohort: Cohort, level: float = 0.95) -> PainOnsetResult:
    """Pain before motor onset and pain as the presenting symptom.

    Parameters
    ----------
    cohort : Cohort
        ALS patients (``cohort.als_only()`` where it holds comparators), with
        ``patients.onset_day`` and ``pain_onset_day`` (missing: no pain recorded), and
        optionally ``presenting_symptom``.
    level : float
        Confidence level.

    Returns
    -------
    PainOnsetResult
        ``table``: measure ("pain before motor onset", "pain as presenting symptom"),
        denominator ("patients with pain", "all patients"), cases, n, share, ci_low, ci_high
        (Wilson). ``timing``: n, median, ci_low, ci_high, q1, q3 (months from pain onset to
        motor onset, patients with pain first). Patients without a known onset_day are left
        out of the first measure and counted in ``notes``; those without a recorded presenting
        symptom, of the second.

    Examples
    --------
    >>> from alspaincohort import simulate_cohort
    >>> r = pain_before_onset(simulate_cohort(400, seed=2))
    >>> r.table[["measure", "denominator"]].iloc[0].tolist()
    ['pain before motor onset', 'patients with pain']
    """
    check_cohort(cohort, min_patients=1)
    lvl = check_level(level, "level")
    p = cohort.patients
    pid = p["patient_id"].astype(str).to_numpy()
    onset = p["onset_day"].astype("float64").to_numpy()
    pain = p["pain_onset_day"].astype("float64").to_numpy()
    has_pain = np.isfinite(pain)
    known = np.isfinite(onset)
    notes = []
    if (~known).any():
        notes.append(f"{int((~known).sum())} patient(s) without a known onset_day left out of "
                     "'pain before motor onset'")
    before = has_pain & known & (pain < onset)
    symptom = p["presenting_symptom"].astype(object)
    sym_known = symptom.notna().to_numpy()
    presenting = sym_known & (symptom.to_numpy() == "pain")
    if not sym_known.any():
        notes.append("no presenting symptom recorded (patients.presenting_symptom): that "
                     "measure has no patients")
    elif (~sym_known).any():
        notes.append(f"{int((~sym_known).sum())} patient(s) without a recorded presenting "
                     "symptom left out of 'pain as presenting symptom'")
    rows, units = [], {}
    for measure, hit, base in (("pain before motor onset", before, known),
                               ("pain as presenting symptom", presenting, sym_known)):
        for denom, among in (("patients with pain", base & has_pain),
                             ("all patients", base)):
            n, k = int(among.sum()), int((hit & among).sum())
            lo, hi = proportion_ci([k], [n], "wilson", lvl) if n else ([np.nan], [np.nan])
            rows.append({"measure": measure, "denominator": denom, "cases": k, "n": n,
                         "share": k / n if n else np.nan, "ci_low": float(lo[0]),
                         "ci_high": float(hi[0])})
            units[(measure, denom)] = (frozenset(pid[hit & among]), frozenset(pid[among]))
    lead = (onset[before] - pain[before]) / DAYS_PER_MONTH
    lo_m, hi_m = _median_ci(lead, lvl)
    timing = pd.DataFrame([{
        "n": len(lead), "median": float(np.median(lead)) if len(lead) else np.nan,
        "ci_low": lo_m, "ci_high": hi_m,
        "q1": float(np.percentile(lead, 25)) if len(lead) else np.nan,
        "q3": float(np.percentile(lead, 75)) if len(lead) else np.nan}])
    return PainOnsetResult(pd.DataFrame(rows), timing, notes, lvl, units)


@dataclass(repr=False)
class ComparatorResult(Result):
    """Pain-drug use before the index date, ALS patients against comparators.

    Attributes
    ----------
    table : DataFrame
        drug_class, als_users, als_n, als_share, comparator_users, comparator_n,
        comparator_share (with Wilson ci_low / ci_high of each share: als_ci_low, als_ci_high,
        comparator_ci_low, comparator_ci_high), odds_ratio, or_ci_low, or_ci_high, p_value,
        model ("conditional" on the matched sets, or "logistic").
    notes : list of str
    """

    table: pd.DataFrame
    window: tuple[int, int]
    notes: list[str] = field(default_factory=list)
    fits: dict[str, Any] = field(default_factory=dict)
    level: float = 0.95
    units: dict[tuple[str, str], frozenset[Any]] = field(default_factory=dict)

    def headline(self) -> str:
        t = self.table
        n = int(t["als_n"].max()) if len(t) else 0
        m = int(t["comparator_n"].max()) if len(t) else 0
        return (f"Pain drugs in days [{self.window[0]}, {self.window[1]}) of the index date: "
                f"{n} ALS patients against {m} comparators")

    def plot(self, ax: Any = None) -> Any:
        """Odds ratios by drug class (:func:`alspaincohort.plots.ratio_plot`)."""
        from ..plots import ratio_plot

        return ratio_plot(self.table, "odds_ratio", "or_ci_low", "or_ci_high",
                          label=("drug_class",), ax=ax)

    def count_cells(self, name: str) -> list[CountCell]:
        cells = []
        for (cls, col), units in self.units.items():
            cells.append(CountCell(name, cls, col, units))
        return cells

    def suppressed(self, suppression: Suppression, name: str) -> ComparatorResult:
        """A copy whose drug classes holding a hidden count show no group numbers, with a
        note."""
        t = self.table
        cols = [c for c in t.columns if c.startswith(("als_", "comparator_"))]
        return self._blank_hidden_rows(suppression, name, t["drug_class"], cols, units={})


def comparator_drug_use(cohort: Cohort, window: tuple[int, int] = (-3652, -730),
                        classes: Any = None, level: float = 0.95) -> ComparatorResult:
    """Pain-drug use in a window before day 0, ALS patients against their comparators.

    Parameters
    ----------
    cohort : Cohort
        ALS patients and comparators (``patients.group``); each person's day 0 is their index
        date (a control takes its case's). With ``patients.matched_set`` for every person the
        odds ratio is conditional on the sets.
    window : (int, int)
        Days [start, end) relative to day 0 (default [-10, -2) years: 3652 and 730 days, as
        :class:`~alspaincohort.registers.Window` converts them).
        A medication counts when it runs in the window: start_day < end and stop_day (or
        start_day, for a dispensing without a stop) >= start.
    classes : sequence of str, optional
        Drug classes of :mod:`alspaincohort.drugs` (default every treated class the cohort
        has).
    level : float

    Returns
    -------
    ComparatorResult
        ``table`` (see the class). A class no one in a group used has no odds ratio, with a
        note.

    Examples
    --------
    >>> from alspaincohort.synthetic import simulate_register
    >>> from alspaincohort.registers import load_register
    >>> from alspaincohort.registers.designs import sample_risk_sets, to_cohort
    >>> sim = simulate_register(20000, seed=1, als_incidence_scale=30)
    >>> reg = load_register(sim.persons, sim.dispensings)
    >>> c = to_cohort(reg, sample_risk_sets(reg, controls=4, seed=1))
    >>> r = comparator_drug_use(c, classes=["neuropathic_agent"])
    >>> r.table["model"].iloc[0]
    'conditional'
    """
    check_cohort(cohort, min_patients=2, comparators=True)
    lvl = check_level(level, "level")
    lo, hi = check_day_window(window, "window")
    p = cohort.patients
    comp = cohort.is_comparator
    if comp.all() or not comp.any():
        raise ModelDataError("comparator_drug_use needs ALS patients and comparators "
                             f"(patients.group): found {int((~comp).sum())} and "
                             f"{int(comp.sum())}")
    has_set = p["matched_set"].notna().to_numpy()
    if has_set.any() and not has_set.all():
        raise ModelDataError(f"comparator_drug_use: patients.matched_set is missing for "
                             f"{int((~has_set).sum())} of {len(p)} persons: give every person "
                             "a matched set (conditional odds ratios) or none (unconditional)")
    meds = medication_classes(cohort)
    start = meds["start_day"].to_numpy()
    stop = np.where(np.isnan(meds["stop_day"].to_numpy()), start, meds["stop_day"].to_numpy())
    in_window = (start < hi) & (stop >= lo)
    no_start = int(np.isnan(start).sum())
    meds = meds[in_window]
    present = [c for c in TREATED_CLASSES if c in set(meds["drug_class"])]
    if classes is None:
        names = present
    else:
        names = [classes] if isinstance(classes, str) else list(classes)
        unknown = [c for c in names if c not in TREATED_CLASSES]
        if unknown or not names:
            raise ParameterError(f"classes: unknown drug class(es) {unknown or names}: use "
                                 f"{list(TREATED_CLASSES)}")
    pid = p["patient_id"].astype(str).to_numpy()
    matched = bool(has_set.all())
    rows, notes, fits, units = [], [], {}, {}
    if no_start:
        notes.append(f"{no_start} medication row(s) without a start_day cannot be placed in "
                     "the window and are left out")
    for cls in names:
        users = set(meds.loc[meds["drug_class"] == cls, "patient_id"])
        used = np.isin(pid, list(users))
        row: dict[str, Any] = {"drug_class": cls}
        for label, g in (("als", ~comp), ("comparator", comp)):
            k, n = int((used & g).sum()), int(g.sum())
            ci = proportion_ci([k], [n], "wilson", lvl)
            row.update({f"{label}_users": k, f"{label}_n": n, f"{label}_share": k / n,
                        f"{label}_ci_low": float(ci[0][0]), f"{label}_ci_high": float(ci[1][0])})
            units[(cls, f"{label}_users")] = frozenset(pid[used & g])
            units[(cls, f"{label}_n")] = frozenset(pid[g])
        data = pd.DataFrame({"case": (~comp).astype(int), "used": used.astype(int)})
        est = (np.nan, np.nan, np.nan, np.nan)  # odds ratio, its Wald limits, p-value
        try:
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                if matched:
                    data["set"] = p["matched_set"].astype("int64").to_numpy()
                    model = ConditionalLogit(alpha=1 - lvl).fit(data, case="case", group="set",
                                                                formula="used")
                    r = model.summary.loc["used"]
                    est = (r["odds_ratio"], r["or_ci_low"], r["or_ci_high"], r["p_value"])
                else:
                    model = fit_logit("case ~ used", data, "comparator_drug_use")
                    lo, hi = np.exp(model.conf_int(alpha=1 - lvl).loc["used"])
                    est = (np.exp(model.params["used"]), lo, hi, model.pvalues["used"])
            notes += [f"{cls}: {w.message}" for w in caught]
            fits[cls] = model
        except ModelDataError as err:
            notes.append(f"{cls}: no odds ratio: {err}")
        row.update({"odds_ratio": float(est[0]), "or_ci_low": float(est[1]),
                    "or_ci_high": float(est[2]), "p_value": float(est[3]),
                    "model": "conditional" if matched else "logistic"})
        rows.append(row)
    if not matched:
        notes.append("no matched sets (patients.matched_set): odds ratios are unconditional")
    return ComparatorResult(pd.DataFrame(rows), (lo, hi), notes, fits, lvl, units)
