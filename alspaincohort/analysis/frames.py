"""From a Cohort to the analysis frame a model takes: the shared first step of the analyses.

Variable names resolve through :mod:`alspaincohort.variables` (one place). Missing values are
never dropped silently: :func:`complete_cases` drops and reports them or raises, naming each
variable's count of missing values.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import pandas as pd

from ..cohort import Cohort
from ..errors import ModelDataError, ParameterError
from ..validation import check_choice, check_cohort, check_integer
from ..variables import DERIVED_INDICATORS, VISIT_SCORES, canonical


def analysis_frame(cohort: Cohort, variables: Sequence[str], design: str = "baseline",
                   window_days: int = 30) -> pd.DataFrame:
    """The variables of an analysis, one row per patient or per visit.

    Parameters
    ----------
    cohort : Cohort
    variables : sequence of str
        Visit scores (:data:`alspaincohort.variables.VISIT_SCORES`) and baseline() columns
        (aliases such as ``"age"`` resolved).
    design : {"baseline", "repeated"}
        "baseline": one row per patient, visit scores at the visit nearest day 0 within
        ``window_days``; "repeated": one row per visit where any visit score is measured
        (patient variables repeated on each visit).
    window_days : int

    Returns
    -------
    DataFrame with patient_id, day (repeated only) and one column per variable (canonical
    names); categorical columns keep only the levels present.

    Examples
    --------
    >>> from alspaincohort import simulate_cohort
    >>> c = simulate_cohort(n_patients=30, seed=1)
    >>> list(analysis_frame(c, ["vas_pain", "age"]).columns)
    ['patient_id', 'vas_pain', 'age_at_onset']
    """
    check_cohort(cohort, min_patients=1)
    check_choice(design, "design", ("baseline", "repeated"))
    check_integer(window_days, "window_days")
    names = [canonical(v) for v in variables]
    visit_vars = [v for v in names if v in VISIT_SCORES]
    patient_vars = [v for v in names if v not in VISIT_SCORES]
    b = cohort.baseline(window_days).set_index("patient_id")
    unknown = [v for v in patient_vars if v not in b.columns]
    if unknown:
        raise ParameterError(f"unknown variable(s) {unknown}: use {sorted(VISIT_SCORES)} or "
                             f"baseline() columns ({', '.join(map(str, b.columns))})")
    if design == "baseline":
        out = pd.DataFrame(index=b.index)
        for v in visit_vars:
            out[v] = out.index.map(cohort.baseline_score(*VISIT_SCORES[v], window_days))
        for v in patient_vars:
            out[v] = used_levels(b[v])
        return out.reset_index()
    frame = None
    for v in visit_vars:
        s = cohort.scores(*VISIT_SCORES[v]).rename(columns={"value": v})
        frame = s if frame is None else frame.merge(s, on=["patient_id", "day"], how="outer")
    if frame is None:
        raise ParameterError("the repeated design needs at least one visit-level variable")
    for v in patient_vars:
        frame[v] = used_levels(frame["patient_id"].map(b[v]))
    return frame.sort_values(["patient_id", "day"], kind="stable", ignore_index=True)


def covariate_frame(cohort: Cohort, covariates: Sequence[str], window_days: int = 30
                    ) -> pd.DataFrame:
    """Baseline covariates, one row per patient (index patient_id).

    Parameters
    ----------
    cohort : Cohort
    covariates : sequence of str
        baseline() columns (aliases resolved) or derived indicators ("bulbar",
        "definite_el_escorial"); ``ftd`` and ``c9orf72`` become 0/1.

    Returns
    -------
    DataFrame indexed by patient_id, one column per covariate as named: numeric columns as
    float, categorical ones as categories of the levels present (dummy-coded by the formula
    or :func:`indicator_columns`), missing values kept.
    """
    b = cohort.baseline(window_days).set_index("patient_id")
    out = pd.DataFrame(index=b.index)
    for c in covariates:
        col_name = canonical(c)
        if c in DERIVED_INDICATORS:
            src, level = DERIVED_INDICATORS[c]
            out[c] = (b[src].astype(str) == level).astype(float).where(b[src].notna())
        elif col_name in b.columns:
            col = b[col_name]
            if pd.api.types.is_bool_dtype(col) or pd.api.types.is_numeric_dtype(col) or \
                    col_name in ("ftd", "c9orf72"):
                out[c] = col.astype("float")
            else:  # categorical: kept as categories, dummy-coded by the formula (C(...))
                out[c] = col.astype("category").cat.remove_unused_categories()
        else:
            raise ParameterError(
                f"unknown covariate {c!r}: use {sorted(DERIVED_INDICATORS)} or a baseline() "
                f"column ({', '.join(sorted(map(str, b.columns)))})")
    return out


def complete_cases(d0: pd.DataFrame, used: Sequence[str], what: str, minimum: int = 3
                   ) -> pd.DataFrame:
    """Rows complete in ``used``, unused factor levels removed.

    Raises
    ------
    ModelDataError
        When fewer than ``minimum`` rows remain; the message names each variable's count of
        missing values.
    """
    d = d0.dropna(subset=list(used)).reset_index(drop=True)
    if len(d) < minimum:
        missing = {v: int(d0[v].isna().sum()) for v in used if d0[v].isna().any()}
        raise ModelDataError(f"{what}: {len(d)} complete row(s) of {len(d0)} (missing values "
                             f"per variable: {missing}); the models need at least {minimum}")
    return d.apply(used_levels)  # levels left only in dropped rows would be all-zero dummies


def used_levels(col: pd.Series) -> pd.Series:
    """A categorical column with only the levels present (an unused level would become an
    all-zero dummy column and a rank-deficient design); other columns unchanged."""
    if isinstance(col.dtype, pd.CategoricalDtype):
        return col.cat.remove_unused_categories()
    return col


def formula_terms(frame: pd.DataFrame, columns: Sequence[str]) -> list[str]:
    """Formula terms: the name of a numeric column, ``C(name)`` for any other (categorical,
    text, boolean: dummy-coded, first level the reference).

    Examples
    --------
    >>> formula_terms(pd.DataFrame({"age": [60.0], "site": ["bulbar"]}), ["age", "site"])
    ['age', 'C(site)']
    """
    return [c if pd.api.types.is_numeric_dtype(frame[c])
            and not pd.api.types.is_bool_dtype(frame[c]) else f"C({c})" for c in columns]


def indicator_columns(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with each categorical column replaced by 0/1 indicators ``{name}_{level}`` of
    its levels after the first (the reference); missing values stay missing."""
    out = {}
    for c in frame.columns:
        col = frame[c]
        if not isinstance(col.dtype, pd.CategoricalDtype):
            out[c] = col
            continue
        for level in list(col.cat.categories)[1:]:
            name = f"{c}_{re.sub(r'[^0-9A-Za-z]+', '_', str(level))}"
            out[name] = (col == level).astype(float).where(col.notna())
    return pd.DataFrame(out, index=frame.index)
