"""Pain drugs before ALS: the pre-diagnostic exposure designs on a prescription register.

- :func:`prediagnostic_exposure`: the nested case-control design. Controls are drawn by
  incidence-density sampling (:func:`alspaincohort.registers.designs.sample_risk_sets`, as
  R's ``Epi::ccwc``), exposure is assessed in windows before each set's index date (with a
  lag, to keep prodromal prescribing out: the review's reverse-causation argument), and the
  conditional logistic model (:class:`alspaincohort.stats.ConditionalLogit`, checked against
  R's ``clogit``) gives the odds ratio, which under risk-set sampling estimates the hazard
  ratio of the full cohort.
- :func:`prediagnostic_cohort`: the cohort alternative: every person of the register followed
  to ALS with the class as a time-varying exposure, lagged, in a Cox model stratified on the
  matching variables (:class:`alspaincohort.stats.CoxTimeVarying`).

Both return one row per drug class, window and exposure level, with the counts of exposed cases
and controls (or events and person-years), suppressible as every count of an output.

References
----------
Prentice RL, Breslow NE. Retrospective studies and failure time models. Biometrika
1978;65(1):153-158.
Langholz B, Goldstein L. Risk set sampling in epidemiologic cohort studies. Stat Sci
1996;11(1):35-53.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from ..disclosure import CountCell, Suppression
from ..errors import ModelDataError, ParameterError
from ..registers.designs import (
    CaseControlSample,
    cohort_episodes,
    exposure_frame,
    exposure_history,
    sample_risk_sets,
)
from ..registers.exposure import (
    DDD_LABELS,
    DEFAULT_WINDOWS,
    SINCE_FIRST_LABELS,
    Window,
    check_classes,
    check_windows,
    ddd_category,
    since_first_category,
)
from ..registers.register import Register
from ..result import Result
from ..stats import ConditionalLogit, CoxTimeVarying
from ..validation import check_choice, check_level, check_positive

MEASURES = ("any", "ddd", "since_first")
COUNTS = ("cases_exposed", "controls_exposed")


@dataclass(repr=False)
class PrediagnosticResult(Result):
    """Odds (or hazard) ratios of ALS by drug class, window and exposure level.

    Attributes
    ----------
    table : DataFrame
        exposure_class, window, level, cases_exposed, controls_exposed (members at this level;
        for the cohort design, events and persons ever exposed), cases, controls, ratio (odds
        ratio; hazard ratio for the cohort design), ci_low, ci_high, p_value.
    design : str
        "nested case-control" or "cohort".
    notes : list of str
    sample : CaseControlSample or None
        The matched sets (holds person identifiers: never exported).
    """

    table: pd.DataFrame
    design: str
    notes: list[str] = field(default_factory=list)
    fits: dict[str, Any] = field(default_factory=dict)
    sample: CaseControlSample | None = None
    level: float = 0.95
    members: dict[tuple[str, str, str], tuple[frozenset[Any], frozenset[Any]]] = field(
        default_factory=dict)

    def headline(self) -> str:
        t = self.table
        ratio = "hazard ratios" if self.design == "cohort" else "conditional odds ratios"
        cases = int(t["cases"].max()) if len(t) else 0
        return (f"Pre-diagnostic exposure ({self.design}, {cases} cases): {ratio} of ALS by "
                f"drug class and window ({t['exposure_class'].nunique()} classes)")

    def plot(self, ax: Any = None) -> Any:
        """Forest plot by drug class and window (:func:`alspaincohort.plots.exposure_forest`)."""
        from ..plots import exposure_forest

        return exposure_forest(self.table, ax=ax,
                               name="HR" if self.design == "cohort" else "OR")

    def count_cells(self, name: str) -> list[CountCell]:
        """Exposed cases and controls of every row, and the unexposed ones a reader gets by
        subtraction."""
        cells = []
        for key, (cases, controls) in self.members.items():
            row = " / ".join(key)
            cells += [CountCell(name, row, "cases_exposed", cases),
                      CountCell(name, row, "controls_exposed", controls)]
        return cells

    def suppressed(self, suppression: Suppression, name: str) -> PrediagnosticResult:
        """A copy with the counts of the rows holding a hidden cell blanked, and a note."""
        t = self.table
        keys = t["exposure_class"] + " / " + t["window"] + " / " + t["level"]
        return self._blank_hidden_rows(suppression, name, keys, COUNTS, sample=None,
                                       members={})


def _ratio(row: pd.Series | None, name: str, short: str) -> dict[str, float]:
    """ratio, ci_low, ci_high, p_value from a model's summary row (NaN without one, or for a
    term not estimated)."""
    if row is None:
        return {"ratio": np.nan, "ci_low": np.nan, "ci_high": np.nan, "p_value": np.nan}
    return {"ratio": float(row[name]), "ci_low": float(row[f"{short}_ci_low"]),
            "ci_high": float(row[f"{short}_ci_high"]), "p_value": float(row["p_value"])}


def _levels(frame: pd.DataFrame, measure: str) -> tuple[list[str], pd.DataFrame]:
    """Exposure levels (reference first) and their 0/1 columns for the model."""
    if measure == "any":
        return ["unexposed", "exposed"], pd.DataFrame({"exposed": frame["exposed"]})
    if measure == "ddd":
        cat, labels = ddd_category(frame["ddd"]), list(DDD_LABELS)
    else:
        cat, labels = since_first_category(frame["years_since_first"]), list(SINCE_FIRST_LABELS)
    codes = np.asarray(cat.codes)
    cols = {f"level_{i}": (codes == i).astype(np.int8) for i in range(1, len(labels))}
    return labels, pd.DataFrame(cols)


def _fit_levels(f: pd.DataFrame, X: pd.DataFrame, labels: list[str], method: str,
                level: float) -> tuple[ConditionalLogit | None, list[str]]:
    """The conditional logistic model of the exposure levels ``X`` (reference left out), and
    what the notes must say.

    A level held by no case has its maximum at OR = 0: in that limit its members cannot be the
    case of their set, so the other levels' estimates are those of the model without its
    members, which is fitted (its own ratio is not estimable). A level held by no control has
    its maximum at OR = infinity: the sets whose case holds it then contribute nothing, and are
    left out. A level held by nobody is not in the model.
    """
    data = pd.concat([f[["set", "case"]], X], axis=1)
    is_case = data["case"].to_numpy() == 1
    notes, cols = [], []
    for i, col in enumerate(X.columns, start=1):
        at = data[col].to_numpy() == 1
        if not at.any():
            notes.append(f"{labels[i]}: nobody at this level (no ratio)")
            continue
        if not (at & is_case).any():
            notes.append(f"{labels[i]}: no exposed case (odds ratio 0, not estimable); its "
                         f"{int(at.sum())} control(s) left out of the other levels' model")
            data = data[~at]
            is_case = is_case[~at]
        elif not (at & ~is_case).any():
            sets = data.loc[at & is_case, "set"].unique()
            notes.append(f"{labels[i]}: no exposed control (odds ratio infinite, not "
                         f"estimable); its {len(sets)} set(s) left out of the other levels' "
                         "model")
            keep = ~data["set"].isin(sets).to_numpy()
            data, is_case = data[keep], is_case[keep]
        else:
            cols.append(col)
    if not cols:
        return None, notes
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            model = ConditionalLogit(method=method, alpha=1 - level).fit(
                data, case="case", group="set", formula=" + ".join(cols))
        notes += [str(w.message) for w in caught]
    except ModelDataError as err:
        return None, [*notes, f"no ratio: {err}"]
    return model, notes


def prediagnostic_exposure(register: Register, classes: Any = None, windows: Any = None, *,
                           measure: str = "any", controls: int = 10,
                           match: Sequence[str] = ("sex", "birth_year"),
                           caliper: int | None = None, lookback_years: float = 0.0,
                           method: str = "exact", seed: int = 0,
                           sample: CaseControlSample | None = None,
                           level: float = 0.95) -> PrediagnosticResult:
    """Conditional odds ratios of ALS for pain drugs dispensed in windows before the index
    date, in a nested case-control sample of a register.

    Parameters
    ----------
    register : Register
        From :func:`alspaincohort.registers.load_register`.
    classes : sequence of str, optional
        Drug classes of :data:`alspaincohort.registers.EXPOSURE_CLASSES` (default all).
    windows : sequence of Window, optional
        Default [-10, -2) years, ever before -2 years and [-2, 0) years.
    measure : {"any", "ddd", "since_first"}
        Any dispensing in the window; cumulative DDD in the window (none, 1-100, 101-365,
        > 365); or years from the first dispensing (before the window's end) to the index date
        (never, < 5, 5-10, >= 10).
    controls, match, caliper, lookback_years, seed
        The risk-set sampling (:func:`alspaincohort.registers.designs.sample_risk_sets`),
        unless ``sample`` is given.
    method : {"exact", "breslow", "efron"}
        The conditional likelihood (:class:`alspaincohort.stats.ConditionalLogit`).
    sample : CaseControlSample, optional
        Sets drawn before (the same sets for several analyses).
    level : float
        Confidence level.

    Returns
    -------
    PrediagnosticResult
        ``table``: exposure_class, window, level, cases_exposed, controls_exposed, cases,
        controls, ratio (conditional odds ratio against the reference level: unexposed, no
        DDD, never), ci_low, ci_high (Wald, at ``level``), p_value. A class and window whose
        model cannot be estimated (no exposed case or no exposed control: a monotone
        likelihood) has NaN ratios, and a note says why.

    Examples
    --------
    >>> from alspaincohort.synthetic import simulate_register
    >>> from alspaincohort.registers import load_register, Window
    >>> sim = simulate_register(20000, seed=1, als_incidence_scale=30)
    >>> reg = load_register(sim.persons, sim.dispensings)
    >>> res = prediagnostic_exposure(reg, ["gabapentinoids"], [Window(-10, -2)], seed=1)
    >>> res.table[["window", "level"]].iloc[0].tolist(), bool(res.table["ci_low"].iloc[0] > 1)
    (['[-10, -2) y', 'exposed'], True)
    """
    check_choice(measure, "measure", MEASURES)
    names = check_classes(classes)
    wins = check_windows(DEFAULT_WINDOWS if windows is None else windows)
    lvl = check_level(level, "level")
    if sample is None:
        sample = sample_risk_sets(register, controls=controls, match=match, caliper=caliper,
                                  lookback_years=lookback_years, seed=seed)
    elif not isinstance(sample, CaseControlSample):
        raise ParameterError(f"sample must be a CaseControlSample from sample_risk_sets, not "
                             f"{type(sample).__name__}")
    if sample.n_cases == 0:
        raise ModelDataError("prediagnostic_exposure: no case has an eligible control: "
                             f"{'; '.join(sample.notes) or 'the register holds no ALS case'}")
    history = exposure_history(register, sample.frame, names, wins)
    rows, notes, fits, members = [], list(sample.notes), {}, {}
    n_cases = int(sample.frame["case"].sum())
    n_controls = int(len(sample.frame) - n_cases)
    for cls in names:
        for w in wins:
            f = exposure_frame(sample, history, cls, w)
            labels, X = _levels(f, measure)
            model, why = _fit_levels(f, X, labels, method, lvl)
            notes += [f"{cls}, {w.name}: {n}" for n in why]
            summary = None
            if model is not None:
                fits[f"{cls} / {w.name}"] = model
                summary = model.summary  # odds ratios and Wald limits at the model's level
            member_id = f["set"].astype(str) + ":" + f["person_id"].astype(str)
            is_case = f["case"].to_numpy() == 1
            for i, lab in enumerate(labels[1:], start=1):
                col = X.columns[i - 1]
                at = X[col].to_numpy() == 1
                r = summary.loc[col] if summary is not None and col in summary.index else None
                rows.append({
                    "exposure_class": cls, "window": w.name, "level": lab,
                    "cases_exposed": int((at & is_case).sum()),
                    "controls_exposed": int((at & ~is_case).sum()),
                    "cases": n_cases, "controls": n_controls,
                    **_ratio(r, "odds_ratio", "or")})
                members[(cls, w.name, lab)] = (frozenset(member_id[at & is_case]),
                                               frozenset(member_id[at & ~is_case]))
    return PrediagnosticResult(pd.DataFrame(rows), "nested case-control", notes, fits, sample,
                               lvl, members)


def prediagnostic_cohort(register: Register, classes: Any = None, lag_years: float = 2.0, *,
                         strata: Sequence[str] = ("sex", "birth_year"),
                         level: float = 0.95) -> PrediagnosticResult:
    """Hazard ratios of ALS for pain drugs in the full cohort, the exposure time-varying and
    lagged (the cohort alternative to :func:`prediagnostic_exposure`).

    Parameters
    ----------
    register : Register
    classes : sequence of str, optional
        Drug classes (default all).
    lag_years : float
        A person is exposed from ``lag_years`` after the first dispensing of the class (the
        window "ever before -lag years" of the case-control design).
    strata : sequence of str
        Matching variables the Cox model is stratified on (sex, birth_year, region).
    level : float

    Returns
    -------
    PrediagnosticResult
        ``table``: exposure_class, window ("ever before -lag y"), level ("exposed"),
        cases_exposed (ALS diagnoses while exposed), controls_exposed (persons ever exposed
        without ALS), cases (ALS diagnoses), controls (persons without ALS), ratio (hazard
        ratio), ci_low, ci_high, p_value.

    Examples
    --------
    >>> from alspaincohort.synthetic import simulate_register
    >>> from alspaincohort.registers import load_register
    >>> sim = simulate_register(20000, seed=1, als_incidence_scale=30)
    >>> res = prediagnostic_cohort(load_register(sim.persons, sim.dispensings),
    ...                            ["gabapentinoids"])
    >>> res.table["window"].iloc[0], int(res.table["cases"].iloc[0])
    ('ever before -2 y', 376)
    """
    names = check_classes(classes)
    lvl = check_level(level, "level")
    label = Window(None, -check_positive(lag_years, "lag_years", allow_zero=True)).name
    rows, notes, fits, members = [], [], {}, {}
    for cls in names:
        ep = cohort_episodes(register, cls, lag_years, tuple(strata))
        est = None
        ev = ep["event"].to_numpy() == 1
        ex = ep["exposed"].to_numpy() == 1
        if not (ev & ex).any():
            notes.append(f"{cls}: no ALS diagnosis while exposed (hazard ratio 0, not "
                         "estimable)")
        else:
            try:
                model = CoxTimeVarying(alpha=1 - lvl).fit(
                    ep, "person_id", "start", "stop", "event", formula="exposed",
                    strata=list(strata) or None)
                est = model.summary.loc["exposed"]
                fits[cls] = model
            except ModelDataError as err:
                notes.append(f"{cls}: no ratio: {err}")
        pid = ep["person_id"].astype(str).to_numpy()
        cases = set(pid[ev])
        exposed_noncase = frozenset(set(pid[ex]) - cases)
        rows.append({
            "exposure_class": cls, "window": label, "level": "exposed",
            "cases_exposed": int((ev & ex).sum()), "controls_exposed": len(exposed_noncase),
            "cases": int(ev.sum()), "controls": int(len(set(pid)) - len(cases)),
            **_ratio(est, "hazard_ratio", "hr")})
        members[(cls, label, "exposed")] = (frozenset(pid[ev & ex]), exposed_noncase)
    return PrediagnosticResult(pd.DataFrame(rows), "cohort", notes, fits, None, lvl, members)
