"""Prevalence of pain: named definitions, timing, strata, confidence intervals, standardisation
and determinants.

Confidence intervals for a proportion (pure functions on counts, checked against statsmodels'
``proportion_confint``): Wilson score (default), Clopper-Pearson exact, Jeffreys (equal-tailed
Beta(x + 1/2, n - x + 1/2) interval with the lower bound 0 when x = 0 and the upper bound 1 when
x = n, as in Brown, Cai & DasGupta 2001). When patients contribute several visits
(``at="visits"``) the default CI is a patient-level cluster bootstrap (percentile).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike
from scipy import stats

from .. import instruments as ins
from ..cohort import Cohort
from ..disclosure import CountCell, Suppression
from ..drugs import PAIN_CLASSES
from ..errors import ModelDataError, ParameterError
from ..result import RatioResult, Result
from ..schema import PAIN_TYPE_GROUPS, PAIN_TYPES
from ..stats.logistic import fit_logit
from ..validation import check_choice, check_cohort, check_day_window, check_integer, check_level
from ..variables import canonical

CI_METHODS = ("wilson", "clopper-pearson", "jeffreys", "cluster-bootstrap")


# ----------------------------------------------------------------------------------------------
# confidence intervals (pure)
# ----------------------------------------------------------------------------------------------
def proportion_ci(cases: ArrayLike, n: ArrayLike, method: str = "wilson", level: float = 0.95
                  ) -> tuple[np.ndarray, np.ndarray]:
    """Lower and upper confidence limits of cases / n (arrays).

    Parameters
    ----------
    cases, n : array-like
        Whole numbers with 0 <= cases <= n and n >= 1 (checked: a proportion of 0 / 0 has no
        confidence interval).
    method : {"wilson", "clopper-pearson", "jeffreys"}
    level : float
        Confidence level in (0, 1).

    Returns
    -------
    (ndarray, ndarray)
        Lower and upper limits.

    Examples
    --------
    >>> lo, hi = proportion_ci([3], [10], "clopper-pearson")
    >>> round(float(lo[0]), 4), round(float(hi[0]), 4)
    (0.0667, 0.6525)
    """
    from ..validation import check_counts

    if not (isinstance(level, (int, float)) and 0 < level < 1):
        raise ParameterError(f"level must be in (0, 1), not {level!r}")
    shape = np.broadcast_shapes(np.shape(cases), np.shape(n))
    x, n = check_counts(np.broadcast_to(cases, shape).ravel(),
                        np.broadcast_to(n, shape).ravel(), ("cases", "n"))
    x, n = x.reshape(shape), n.reshape(shape)
    alpha = 1 - level
    with np.errstate(invalid="ignore", divide="ignore"):
        if method == "wilson":
            z = stats.norm.ppf(1 - alpha / 2)
            p = x / n
            centre = (p + z**2 / (2 * n)) / (1 + z**2 / n)
            half = z * np.sqrt(p * (1 - p) / n + z**2 / (4 * n**2)) / (1 + z**2 / n)
            # exact limits at the boundaries (the formula gives them up to rounding)
            return (np.where(x == 0, 0.0, centre - half), np.where(x == n, 1.0, centre + half))
        if method == "clopper-pearson":
            lo = np.where(x > 0, stats.beta.ppf(alpha / 2, x, n - x + 1), 0.0)
            hi = np.where(x < n, stats.beta.ppf(1 - alpha / 2, x + 1, n - x), 1.0)
            return lo, hi
        if method == "jeffreys":
            lo = np.where(x > 0, stats.beta.ppf(alpha / 2, x + 0.5, n - x + 0.5), 0.0)
            hi = np.where(x < n, stats.beta.ppf(1 - alpha / 2, x + 0.5, n - x + 0.5), 1.0)
            return lo, hi
    raise ParameterError(f"method must be one of {CI_METHODS[:3]}, not {method!r}")


def cluster_bootstrap_ci(case: ArrayLike, cluster: ArrayLike, n_boot: int = 2000,
                         level: float = 0.95, seed: int | np.random.Generator | None = 0
                         ) -> tuple[float, float]:
    """Percentile CI of the mean of ``case`` resampling whole clusters (patients)."""
    rng = np.random.default_rng(seed)
    case = np.asarray(case, dtype=float)
    codes, _ = pd.factorize(np.asarray(cluster))
    k = codes.max() + 1
    sums = np.bincount(codes, case, minlength=k)
    counts = np.bincount(codes, minlength=k).astype(float)
    draws = rng.integers(0, k, size=(n_boot, k))
    est = sums[draws].sum(axis=1) / counts[draws].sum(axis=1)
    alpha = 1 - level
    lo, hi = np.quantile(est, [alpha / 2, 1 - alpha / 2])
    return float(lo), float(hi)


# ----------------------------------------------------------------------------------------------
# definitions: cohort -> one row per assessed visit (patient_id, day, case in {0, 1})
# ----------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Definition:
    name: str
    description: str
    func: Callable[[Cohort], pd.DataFrame]


DEFINITIONS: dict[str, Definition] = {}


def register_definition(name: str, func: Callable[[Cohort], pd.DataFrame],
                        description: str, replace: bool = False) -> None:
    """Add a pain definition: ``func(cohort)`` returns patient_id, day, case (0/1) per visit."""
    if name in DEFINITIONS and not replace:
        raise ParameterError(f"definition {name!r} exists; pass replace=True")
    DEFINITIONS[name] = Definition(name, description, func)


def pain_scores(cohort: Cohort) -> pd.DataFrame:
    """Pain intensity 0-10 per visit: the VAS score, else the NRS (patient_id, day, value)."""
    vas = cohort.scores("vas_pain", "total")
    nrs = cohort.scores("nrs_pain", "total")
    both = pd.concat([vas.assign(pref=0), nrs.assign(pref=1)], ignore_index=True)
    both = both.sort_values(["patient_id", "day", "pref"], kind="stable")
    return both.drop_duplicates(["patient_id", "day"])[["patient_id", "day", "value"]] \
        .reset_index(drop=True)


def _threshold(score: Callable[[Cohort], pd.DataFrame], cut: float,
               strict: bool = False) -> Callable[[Cohort], pd.DataFrame]:
    def f(cohort: Cohort) -> pd.DataFrame:
        s = score(cohort)
        case = s["value"] > cut if strict else s["value"] >= cut
        return s.assign(case=case.astype(float))[["patient_id", "day", "case"]]
    return f


def _sites(pain_type: str | tuple[str, ...] | None) -> Callable[[Cohort], pd.DataFrame]:
    types = (pain_type,) if isinstance(pain_type, str) else pain_type

    def f(cohort: Cohort) -> pd.DataFrame:
        visits = pain_scores(cohort)[["patient_id", "day"]]
        ps = cohort.pain_sites
        if types is not None:
            ps = ps[ps["pain_type"].isin(list(types))]
        hits = set(zip(ps["patient_id"].astype(str), ps["day"], strict=True))
        case = [(p, d) in hits for p, d in zip(visits["patient_id"], visits["day"], strict=True)]
        return visits.assign(case=np.asarray(case, dtype=float))
    return f


def _analgesics(cohort: Cohort) -> pd.DataFrame:
    a = cohort.assessments
    visits = a[["patient_id", "day"]].drop_duplicates()
    visits = visits.assign(patient_id=visits["patient_id"].astype(str)).reset_index(drop=True)
    m = cohort.medications
    if "drug_class" in m.columns:
        m = m[m["drug_class"].isin(PAIN_CLASSES)]
    else:
        m = m.iloc[0:0]
    m = m.assign(patient_id=m["patient_id"].astype(str),
                 start=m["start_day"].astype("float64").fillna(-np.inf),
                 stop=m["stop_day"].astype("float64").fillna(np.inf))
    j = visits.merge(m[["patient_id", "start", "stop"]], on="patient_id", how="left")
    active = (j["start"] <= j["day"]) & (j["day"] <= j["stop"])
    case = active.groupby([j["patient_id"], j["day"]]).any()
    return visits.assign(case=visits.set_index(["patient_id", "day"]).index.map(case)
                         .astype(float))


register_definition("any_pain", _threshold(pain_scores, 0.0, strict=True),
                    "any pain: VAS (0-10) or NRS > 0")
register_definition("moderate_pain", _threshold(pain_scores, 4.0),
                    "at least moderate pain: VAS/NRS >= 4 (docs/sources.md s2)")
register_definition("bpi_moderate_or_severe",
                    _threshold(lambda c: c.scores("bpi", "severity"), 5.0),
                    "BPI severity >= 5 (moderate or severe band)")
register_definition("bpi_severe", _threshold(lambda c: c.scores("bpi", "severity"), 7.0),
                    "BPI severity >= 7 (severe band)")
register_definition("any_pain_site", _sites(None),
                    "any pain site reported at a visit with a pain score")
for _t in PAIN_TYPES:
    register_definition(_t, _sites(_t), f"{_t} pain reported at a visit with a pain score")
for _g in ("primary", "secondary"):
    register_definition(f"{_g}_pain",
                        _sites(tuple(t for t, g in PAIN_TYPE_GROUPS.items() if g == _g)),
                        f"{_g} pain (types {', '.join(t for t, g in PAIN_TYPE_GROUPS.items() if g == _g)}) "
                        "reported at a visit with a pain score")

CHRONIC_DAYS = 91
"""Three months (IASP / ICD-11: pain that persists or recurs for longer than 3 months; Treede et
al. 2019, docs/sources.md section 2)."""


def _chronic(cohort: Cohort) -> pd.DataFrame:
    """A visit is a case when its pain score is > 0 and so is every measured visit back to one
    at least :data:`CHRONIC_DAYS` earlier (visits without a score do not break the run)."""
    s = pain_scores(cohort)
    pain = (s["value"] > 0).to_numpy()
    pid = s["patient_id"].to_numpy()
    change = np.r_[True, (pid[1:] != pid[:-1]) | (pain[1:] != pain[:-1])]
    run = np.cumsum(change)
    day = s["day"].to_numpy(dtype=float)
    run_start = pd.Series(day).groupby(run).transform("min").to_numpy()
    case = pain & (day - run_start >= CHRONIC_DAYS)
    return s.assign(case=case.astype(float))[["patient_id", "day", "case"]]


register_definition("chronic_pain", _chronic,
                    f"chronic pain: VAS or NRS > 0 at the visit and at every measured visit of "
                    f"the {CHRONIC_DAYS} days (3 months) before it")
register_definition("dn4_neuropathic",
                    _threshold(lambda c: c.scores("dn4", "total"), ins.DN4_CUTOFFS["total"]),
                    "neuropathic pain likely: DN4 total >= 4")
register_definition("analgesic_use", _analgesics,
                    "any analgesic, neuropathic, antispastic or anti-cramp drug active at the "
                    "visit (alspaincohort.drugs classes)")


# ----------------------------------------------------------------------------------------------
def visit_stages(cohort: Cohort) -> pd.DataFrame:
    """King's and MiToS stage at every visit with complete ALSFRS-R items (patient_id, day,
    kings_stage, mitos_stage); gastrostomy events count for King's stage 4."""
    wide = ins.wide_items(cohort.rated_by("patient"), "alsfrs_r")
    if wide.empty:
        return pd.DataFrame(columns=["patient_id", "day", "kings_stage", "mitos_stage"])
    wide = wide.reset_index()
    wide["patient_id"] = wide["patient_id"].astype(str)
    for item in ins.INSTRUMENTS["alsfrs_r"].items:
        if item not in wide:
            wide[item] = np.nan
    ev = cohort.events[cohort.events["event"] == "gastrostomy"]
    g_day = ev.assign(patient_id=ev["patient_id"].astype(str)).groupby("patient_id")["day"].min()
    gastro = wide["patient_id"].map(g_day).astype(float).to_numpy() <= wide["day"].to_numpy()
    return pd.DataFrame({"patient_id": wide["patient_id"], "day": wide["day"],
                         "kings_stage": ins.kings_stage(wide, gastrostomy=gastro),
                         "mitos_stage": ins.mitos_stage(wide)})


def _strata(cohort: Cohort, rows: pd.DataFrame, by: str | Sequence[str] | None, at: Any,
            age_bands: Sequence[float], depression_cutoff: float) -> pd.Series:
    if by is None:
        return pd.Series("all", index=rows.index)
    if not isinstance(by, str):  # several variables: their combinations ("bulbar, female")
        parts = pd.concat([_strata(cohort, rows, b, at, age_bands, depression_cutoff)
                           for b in by], axis=1)
        combined = parts.astype(str).agg(", ".join, axis=1)
        return combined.where(parts.notna().all(axis=1))
    by = canonical(by)
    if by in ("kings_stage", "mitos_stage") and at == "visits":
        st = visit_stages(cohort).set_index(["patient_id", "day"])[by]
        key = pd.MultiIndex.from_arrays([rows["patient_id"], rows["day"]])
        return pd.Series(st.reindex(key).to_numpy(), index=rows.index).map(
            lambda v: f"{by.split('_')[0]} {int(v)}" if v == v else np.nan)
    b = cohort.baseline().set_index("patient_id")
    if by == "age_band":
        bands = pd.cut(b["age_at_onset"], list(age_bands), right=False)
        values = bands.astype(str).where(bands.notna())
    elif by == "depression":
        labels = np.where(b["hads_d"] >= depression_cutoff, f"HADS-D >= {depression_cutoff:g}",
                          f"HADS-D < {depression_cutoff:g}").astype(object)
        values = pd.Series(labels, index=b.index).where(b["hads_d"].notna())
    elif by in ("kings_stage", "mitos_stage"):
        values = b[by].map(lambda v: f"{by.split('_')[0]} {int(v)}" if v == v else np.nan)
    elif by in b.columns:
        col = b[by]
        if pd.api.types.is_float_dtype(col) and col.nunique() > 20:
            raise ParameterError(f"by {by!r} is continuous ({col.nunique()} distinct values): "
                                 "stratify by a grouping (e.g. 'age_band' with age_bands=...) "
                                 "or a categorical column")
        values = col.astype(object)
    else:
        raise ParameterError(f"unknown stratum {by!r}: a baseline() column, 'age_band' or "
                         "'depression'")
    return rows["patient_id"].map(values)


def select_cases(rows: pd.DataFrame, at: Any, window_days: int) -> pd.DataFrame:
    """The case rows (patient_id, day, case) a prevalence counts at ``at``.

    ``at``: "baseline" (the visit nearest day 0 within ``window_days``, earlier on ties),
    "period" (any visit: first day, case if any visit is a case), "visits" (every visit) or a
    (first_day, last_day) window (the first visit inside it). Rows with an unknown case status
    are not counted.
    """
    rows = rows.dropna(subset=["case"])
    if at == "visits":
        return rows
    if at == "period":
        return rows.groupby("patient_id", as_index=False).agg(day=("day", "min"),
                                                              case=("case", "max"))
    if at == "baseline":
        near = rows[rows["day"].abs() <= window_days]
        near = near.assign(dist=near["day"].abs()).sort_values(["patient_id", "dist", "day"])
        return near.drop_duplicates("patient_id").drop(columns="dist")
    if isinstance(at, (tuple, list)) and len(at) == 2:
        lo, hi = at
        inside = rows[(rows["day"] >= lo) & (rows["day"] <= hi)].sort_values(["patient_id",
                                                                              "day"])
        return inside.drop_duplicates("patient_id")
    raise ParameterError("at must be 'baseline', 'period', 'visits' or a (first_day, last_day) "
                     "window")


@dataclass(repr=False)
class PrevalenceResult(Result):
    """Prevalence by stratum (the :class:`~alspaincohort.result.Result` shape).

    Attributes
    ----------
    table : DataFrame
        definition, by, stratum, n (patients, or visits for at="visits"), n_patients, cases,
        prevalence, ci_low, ci_high, method. A "standardised" row is added when a standard
        population is given (its n and cases are the crude totals).
    definition : str
    at : str or tuple
    notes : list of str
    rows : DataFrame or None
        The case rows counted (patient_id, day, case, stratum), kept in memory for
        :meth:`count_cells`; never shown or exported.
    window_before_death : (int, int) or None
        The end-of-life window (days before death) when the prevalence is one.
    """

    table: pd.DataFrame
    definition: str
    at: Any
    notes: list[str] = field(default_factory=list)
    rows: pd.DataFrame | None = None
    window_before_death: tuple[int, int] | None = None

    def count_cells(self, name: str) -> list[CountCell]:
        """n, cases and n - cases of every stratum (and n_patients for visits) as
        :class:`~alspaincohort.disclosure.CountCell`; units are patients, or visits for
        ``at="visits"``."""
        if self.rows is None:
            return []
        visits = isinstance(self.at, str) and self.at == "visits"
        r = self.rows
        unit = (pd.Series(list(zip(["visit"] * len(r), r["patient_id"].astype(str), r["day"],
                                   strict=True)), index=r.index) if visits else
                pd.Series([("patient", str(p)) for p in r["patient_id"]], index=r.index))
        patient = pd.Series([("patient", str(p)) for p in r["patient_id"]], index=r.index)
        cells = []
        for stratum in self.table.loc[self.table["stratum"] != "standardised", "stratum"]:
            g = r if stratum == "all" else r[r["stratum"] == stratum]
            case = g["case"].to_numpy() == 1
            cells += [CountCell(name, str(stratum), "n", frozenset(unit[g.index])),
                      CountCell(name, str(stratum), "cases", frozenset(unit[g.index[case]])),
                      CountCell(name, str(stratum), "n - cases",
                                frozenset(unit[g.index[~case]]))]
            if visits:
                cells.append(CountCell(name, str(stratum), "n_patients",
                                       frozenset(patient[g.index])))
        return cells

    def suppressed(self, suppression: Suppression, name: str) -> PrevalenceResult:
        """A copy whose strata with a hidden count show no numbers (n, n_patients, cases,
        prevalence and CI are NaN), with a note; the standardised row goes with "all"."""
        rows = {r for r, _ in suppression.hidden_in(name)}
        if not rows:
            return self
        t = self.table.copy()
        hide = t["stratum"].astype(str).isin(rows)
        if "all" in rows:
            hide |= t["stratum"] == "standardised"
        numbers = ["n", "n_patients", "cases", "prevalence", "ci_low", "ci_high"]
        t[numbers] = t[numbers].astype(float)
        t.loc[hide, numbers] = np.nan
        shown = ", ".join(map(str, t.loc[hide, "stratum"]))
        return replace(self, table=t, notes=[*self.notes, f"{shown}: {suppression.note()}"],
                       rows=None)

    def headline(self) -> str:
        where = f"at {self.at}" if self.window_before_death is None else (
            f"{'at any visit' if self.at == 'period' else 'per visit'} from "
            f"{self.window_before_death[0]} to {self.window_before_death[1]} days before death")
        return (f"Prevalence of {self.definition} ({DEFINITIONS[self.definition].description}) "
                f"{where}")

    def plot(self, ax: Any = None, title: str | None = None) -> Any:
        """Prevalence with CIs by stratum (:func:`alspaincohort.plots.prevalence_plot`)."""
        from ..plots import prevalence_plot

        return prevalence_plot(self.table, ax=ax, title=title)


def prevalence(cohort: Cohort, definition: str = "any_pain", at: Any = None,
               by: str | Sequence[str] | None = None, ci: str | None = None,
               level: float = 0.95,
               window_days: int = 30, age_bands: Sequence[float] = (0, 50, 60, 70, 80, 120),
               depression_cutoff: float = 8, standard: pd.DataFrame | None = None,
               n_boot: int = 2000, seed: int | None = 0,
               window_before_death: tuple[int, int] | None = None) -> PrevalenceResult:
    """Prevalence of a pain definition, overall or by stratum.

    Parameters
    ----------
    cohort : Cohort
    definition : str
        A name in :data:`DEFINITIONS` (any_pain, moderate_pain, bpi_moderate_or_severe,
        bpi_severe, any_pain_site, cramp, spasticity, musculoskeletal, neuropathic, pressure,
        other, analgesic_use, or one added with :func:`register_definition`).
    at : "baseline" | (first_day, last_day) | "period" | "visits"
        Point prevalence at the visit nearest day 0 (within ``window_days``; the default); point
        prevalence at each patient's first visit in a window of days; period prevalence (case at
        any visit of follow-up, or of the window before death); or every visit (patients
        counted once per visit; CIs by cluster bootstrap; stages are then the stage at each
        visit). With ``window_before_death`` only "period" (the default there) and "visits".
    by : str or list of str, optional
        onset_site, sex, age_band (``age_bands`` edges, years at onset), kings_stage,
        mitos_stage, depression (HADS-D >= ``depression_cutoff``) or any categorical baseline()
        column; a list stratifies by the combinations of its variables ("bulbar, female").
        Patients without a stratum value are in the "all" row only, counted in ``notes``.
    ci : str, optional
        wilson (default), clopper-pearson, jeffreys or cluster-bootstrap (default for visits).
    level : float
        Confidence level (0 < level < 1).
    window_days : int
        Baseline window, days either side of day 0.
    age_bands : sequence of float
        Edges of the age bands (years at onset; left-closed).
    depression_cutoff : float
        HADS-D threshold of ``by="depression"``.
    standard : DataFrame, optional
        Reference population for direct age-sex standardisation: columns age_band (as produced
        with ``age_bands``, e.g. "[60, 70)"), sex and weight. The standardised prevalence
        is sum(w_s p_s) / sum(w_s) over strata present in the cohort, with a normal CI from
        Var = sum(w_s^2 p_s (1 - p_s) / n_s) / (sum w_s)^2.
    n_boot : int
        Bootstrap replicates of the cluster bootstrap.
    seed : int or None
        Seed of the cluster bootstrap.
    window_before_death : (first, last) days, optional
        End of life: count only the visits from ``first`` to ``last`` days before each
        patient's death, both included (``(30, 0)``: the last month of life, as in the
        review's "pain in 52% of patients in the last month of life"). The denominator is the
        patients who died with an assessment of ``definition`` in that window; patients alive
        at the end of follow-up, and deaths without such an assessment, are counted in
        ``notes``. For severity use a severity definition (``moderate_pain``,
        ``bpi_moderate_or_severe``, ``bpi_severe``).

    Returns
    -------
    PrevalenceResult
        ``table``: definition, by, stratum, n (patients, or visits for at="visits"), n_patients,
        cases, prevalence, ci_low, ci_high, method (a "standardised" row with ``standard``);
        ``notes``; ``plot()``.

    Examples
    --------
    >>> from alspaincohort import simulate_cohort
    >>> r = prevalence(simulate_cohort(300, seed=1), by="sex")
    >>> r.table["stratum"].tolist()
    ['all', 'female', 'male']
    """
    check_cohort(cohort, min_patients=1)
    check_choice(definition, "definition", sorted(DEFINITIONS))
    death_window = None if window_before_death is None else check_day_window(
        window_before_death, "window_before_death", decreasing=True, low=0,
        meaning="days before death, e.g. (30, 0),")
    if at is None:
        at = "baseline" if death_window is None else "period"
    elif death_window is not None and not (isinstance(at, str) and at in ("period", "visits")):
        raise ParameterError(f"at must be 'period' or 'visits' with window_before_death (the "
                             f"visits are those of the window), not {at!r}")
    method = ci or ("cluster-bootstrap" if isinstance(at, str) and at == "visits" else "wilson")
    check_choice(method, "ci", CI_METHODS)
    check_level(level)
    check_integer(window_days, "window_days", 0)
    if method == "cluster-bootstrap":
        check_integer(n_boot, "n_boot", 1)
    notes = []
    rows = DEFINITIONS[definition].func(cohort)
    if death_window is not None:
        rows, note = _before_death(cohort, rows, death_window, definition)
        notes.append(note)
    rows = select_cases(rows, at, window_days)
    if rows.empty:
        where = (f"{death_window[0]} to {death_window[1]} days before death"
                 if death_window is not None else f"{at!r} (window {window_days} days)")
        raise ModelDataError(f"prevalence: no patient has an assessment of {definition!r} "
                             f"at {where}")
    if by is not None and not isinstance(by, str):
        by = list(by)
        if not by or not all(isinstance(b, str) for b in by):
            raise ParameterError(f"by must be a variable name or a non-empty list of names, not "
                                 f"{by!r}")
    rows = rows.assign(stratum=_strata(cohort, rows, by, at, age_bands, depression_cutoff))
    by_label = "" if by is None else by if isinstance(by, str) else " x ".join(by)
    if by is not None and rows["stratum"].isna().any():
        lost = rows[rows["stratum"].isna()]
        notes.append(f"{lost['patient_id'].nunique()} patient(s) ({len(lost)} row(s)) without a "
                     f"{by_label!r} value are counted in 'all' only")
    out = []
    groups = [("all", rows)] if by is None else list(rows.dropna(subset=["stratum"]).groupby(
        "stratum", sort=True))
    if by is not None:
        groups = [("all", rows), *groups]
    for name, g in groups:
        n, cases = len(g), float(g["case"].sum())
        if n == 0:
            continue
        if method == "cluster-bootstrap":
            lo, hi = cluster_bootstrap_ci(g["case"], g["patient_id"], n_boot, level, seed)
        else:
            lo_a, hi_a = proportion_ci(cases, n, method, level)
            lo, hi = float(lo_a), float(hi_a)
        out.append({"definition": definition, "by": by_label, "stratum": name, "n": n,
                    "n_patients": int(g["patient_id"].nunique()), "cases": int(cases),
                    "prevalence": cases / n, "ci_low": lo, "ci_high": hi, "method": method})
    table = pd.DataFrame(out)
    if standard is not None:
        table = pd.concat([table, _standardised(cohort, rows, standard, age_bands, definition,
                                                level)], ignore_index=True)
    return PrevalenceResult(table, definition, at, notes, rows, death_window)


def _before_death(cohort: Cohort, rows: pd.DataFrame, window: tuple[int, int],
                  definition: str) -> tuple[pd.DataFrame, str]:
    """The case rows of the patients who died, dated ``window`` days before their death, and
    the note on the denominator."""
    s = cohort.survival("death")
    died = s[s["event"] == 1]
    death_day = pd.Series(died["end_day"].to_numpy(), index=died["patient_id"].astype(str))
    before = death_day.reindex(rows["patient_id"].astype(str)).to_numpy() \
        - rows["day"].to_numpy(dtype=float)
    inside = (before <= window[0]) & (before >= window[1]) & rows["case"].notna().to_numpy()
    kept = rows[inside]
    seen = kept["patient_id"].nunique()
    note = (f"end of life: visits {window[0]} to {window[1]} days before death; {len(died)} "
            f"patient(s) died, {seen} with an assessment of {definition!r} in that window (the "
            f"denominator), {len(died) - seen} without; {len(s) - len(died)} patient(s) with no "
            "recorded death are not counted")
    return kept, note


def _standardised(cohort: Cohort, rows: pd.DataFrame, standard: pd.DataFrame,
                  age_bands: Sequence[float], definition: str, level: float) -> pd.DataFrame:
    need = {"age_band", "sex", "weight"}
    if not need <= set(standard.columns):
        raise ParameterError(f"the standard population needs columns {sorted(need)}")
    b = cohort.baseline().set_index("patient_id")
    band = pd.cut(b["age_at_onset"], list(age_bands), right=False).astype(str)
    r = rows.assign(age_band=rows["patient_id"].map(band),
                    sex=rows["patient_id"].map(b["sex"].astype(str)))
    cells = r.groupby(["age_band", "sex"])["case"].agg(["sum", "count"]).reset_index()
    cells = cells.merge(standard.assign(sex=standard["sex"].astype(str),
                                        age_band=standard["age_band"].astype(str)),
                        on=["age_band", "sex"])
    if cells.empty:
        raise ParameterError(
            "no stratum of the standard population matches the cohort: its age bands are "
            f"{sorted(r['age_band'].dropna().unique())} and sexes {sorted(r['sex'].dropna().unique())}"
        )
    p = cells["sum"] / cells["count"]
    w = cells["weight"] / cells["weight"].sum()
    est = float((w * p).sum())
    se = float(np.sqrt((w**2 * p * (1 - p) / cells["count"]).sum()))
    z = stats.norm.ppf(0.5 + level / 2)
    return pd.DataFrame([{"definition": definition, "by": "age_band x sex", "stratum":
                          "standardised", "n": int(cells["count"].sum()),
                          "n_patients": int(r["patient_id"].nunique()),
                          "cases": int(cells["sum"].sum()), "prevalence": est,
                          "ci_low": max(0.0, est - z * se), "ci_high": min(1.0, est + z * se),
                          "method": "direct standardisation (normal)"}])


def pain_determinants(cohort: Cohort, definition: str = "any_pain", at: Any = "baseline",
                      covariates: Sequence[str] = ("onset_site", "kings_stage", "hads_d",
                                                   "age_at_onset", "sex"),
                      window_days: int = 30) -> RatioResult:
    """Logistic regression of a pain definition on baseline covariates (statsmodels Logit).

    Parameters
    ----------
    cohort : Cohort
    definition : str
        A prevalence definition (:data:`DEFINITIONS`).
    at : "baseline" | (first_day, last_day) | "period" | "visits"
        Which visit gives each patient's case status (see :func:`prevalence`).
    covariates : sequence of str
        baseline() columns (aliases resolved; categorical ones dummy-coded).
    window_days : int
        Baseline window, days either side of day 0.

    Returns
    -------
    RatioResult
        ``table``: term, odds_ratio, ci_low, ci_high, p_value, estimate (log odds), std_error;
        ``notes`` counts the patients left out for missing values; ``fits`` the logistic model;
        ``.plot()`` draws the odds ratios.

    Examples
    --------
    >>> from alspaincohort import simulate_cohort
    >>> r = pain_determinants(simulate_cohort(300, seed=1), covariates=("hads_d", "sex"))
    >>> r.table["term"].tolist()
    ['C(sex)[T.male]', 'hads_d']
    """
    check_cohort(cohort, min_patients=1)
    check_choice(definition, "definition", sorted(DEFINITIONS))
    check_integer(window_days, "window_days", 0)
    covariates = [canonical(c) for c in covariates]
    if not covariates:
        raise ParameterError("covariates: give at least one baseline() column")
    rows = select_cases(DEFINITIONS[definition].func(cohort), at, window_days)
    b = cohort.baseline().set_index("patient_id")
    unknown = [c for c in covariates if c not in b.columns]
    if unknown:
        raise ParameterError(f"covariates: unknown column(s) {unknown}; baseline() has "
                             f"{sorted(b.columns)}")
    d = rows.set_index("patient_id")[["case"]].join(b[covariates])
    n_all = len(d)
    d = d.dropna()
    if d.empty or d["case"].nunique() < 2:
        raise ModelDataError(
            f"pain_determinants: {len(d)} complete patient(s) of {n_all}, "
            f"{int(d['case'].sum()) if len(d) else 0} with {definition!r}; a logistic model "
            "needs complete patients with and without it")
    terms = [f"C({c})" if not pd.api.types.is_numeric_dtype(d[c]) else c for c in covariates]
    fit = fit_logit("case ~ " + " + ".join(terms), d.reset_index(), "pain_determinants")
    ci = fit.conf_int()
    out = pd.DataFrame({"term": fit.params.index, "odds_ratio": np.exp(fit.params.to_numpy()),
                        "ci_low": np.exp(ci[0].to_numpy()), "ci_high": np.exp(ci[1].to_numpy()),
                        "p_value": fit.pvalues.to_numpy(), "estimate": fit.params.to_numpy(),
                        "std_error": fit.bse.to_numpy()})
    notes = ([f"{n_all - len(d)} of {n_all} patient(s) left out for a missing value of "
              f"{definition!r} or a covariate"] if n_all > len(d) else [])
    return RatioResult(out[out.term != "Intercept"].reset_index(drop=True),
                       f"Odds ratios of {definition!r} at {at} ({len(d)} patients, logistic "
                       "regression)", ("odds_ratio", "ci_low", "ci_high"), ("term",),
                       notes, {"logit": fit})





@dataclass(repr=False)
class PainTypeResult(PrevalenceResult):
    """Period prevalence of each pain type with the review's primary / secondary grouping
    (:func:`pain_types`; the :class:`PrevalenceResult` shape, one stratum per pain type).

    Attributes
    ----------
    table : DataFrame
        group ("primary", "secondary" or "other"), stratum (the pain type, or primary_pain /
        secondary_pain: any type of the group), n (patients with a pain assessment),
        n_patients, cases (patients ever reporting it), prevalence, ci_low, ci_high, method,
        definition, by ("pain type"), sites (the three body regions most often reported with
        the type, with the % of its cases reporting each).
    """

    def headline(self) -> str:
        return ("Pain types over follow-up, primary (neuropathic, cramps, spasticity) and "
                "secondary (mainly nociceptive), as the review's Figure 1 groups them")

    def plot(self, ax: Any = None, title: str | None = None) -> Any:
        """The prevalence of each type with its CI, coloured by group
        (:func:`alspaincohort.plots.pain_type_plot`)."""
        from ..plots import pain_type_plot

        return pain_type_plot(self.table, ax=ax, title=title)


def pain_types(cohort: Cohort, level: float = 0.95, ci: str = "wilson") -> PainTypeResult:
    """The review's Figure 1 from a cohort: the share of patients who ever report each pain
    type over follow-up, primary and secondary pain grouped as the review groups them
    (:data:`alspaincohort.schema.PAIN_TYPE_GROUPS`; Chiò 2017, docs/sources.md section 1), with
    the body regions each type is reported at.

    Each row is :func:`prevalence` with ``at="period"`` of the type's definition (a patient
    is a case when a site of that type is recorded at any visit; the denominator is every
    patient with a pain assessment), so the numbers are the same as calling it type by type.

    Parameters
    ----------
    cohort : Cohort
    level : float
        Confidence level of the intervals.
    ci : str
        "wilson", "clopper-pearson" or "jeffreys".

    Returns
    -------
    PainTypeResult
        ``table`` columns: see :class:`PainTypeResult` (the primary types reported, then
        primary_pain; the secondary types, then secondary_pain; then the other types); ``rows`` keeps the case rows for
        small-cell suppression.

    Examples
    --------
    >>> from alspaincohort import simulate_cohort
    >>> r = pain_types(simulate_cohort(300, seed=1))
    >>> set(r.table["group"]) <= {"primary", "secondary", "other"}
    True
    """
    check_cohort(cohort, min_patients=1)
    check_choice(ci, "ci", CI_METHODS[:3])
    check_level(level)
    ps = cohort.pain_sites
    reported = [t for t in PAIN_TYPES if (ps["pain_type"] == t).any()]
    if not reported:
        raise ModelDataError("pain_types: no pain site is recorded in the cohort")
    tables, rows, notes = [], [], []
    sites = ps[["patient_id", "site", "pain_type"]].drop_duplicates()
    order = [*(t for t in reported if PAIN_TYPE_GROUPS[t] == "primary"), "primary_pain",
             *(t for t in reported if PAIN_TYPE_GROUPS[t] == "secondary"), "secondary_pain",
             *(t for t in reported if PAIN_TYPE_GROUPS[t] == "other")]
    for name in order:
        r = prevalence(cohort, name, at="period", ci=ci, level=level)
        # primary_pain / secondary_pain: the whole group (any of its types)
        t = r.table.assign(stratum=name, group=PAIN_TYPE_GROUPS.get(name, name.split("_")[0]))
        if name in PAIN_TYPE_GROUPS:
            s = sites[sites["pain_type"] == name]
            share = s.groupby("site", observed=True)["patient_id"].nunique().sort_values(
                ascending=False, kind="stable") / max(int(t["cases"].iloc[0]), 1)
            t["sites"] = ", ".join(f"{k} {100 * v:.0f}%" for k, v in share.head(3).items())
        else:
            t["sites"] = ""
        tables.append(t)
        assert r.rows is not None
        rows.append(r.rows.assign(stratum=name))
        notes += [n for n in r.notes if n not in notes]
    table = pd.concat(tables, ignore_index=True).assign(by="pain type")
    cols = ["group", "stratum", "n", "n_patients", "cases", "prevalence", "ci_low", "ci_high",
            "method", "definition", "by", "sites"]
    return PainTypeResult(table[cols], "pain types", "period", notes,
                          pd.concat(rows, ignore_index=True))
