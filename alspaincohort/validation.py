"""Shared validators of input data, one per kind: every public function that takes such data
passes it through here (issue 15), so the same bad value gets the same error everywhere.

Each validator returns clean NumPy arrays or raises :class:`~alspaincohort.errors.ModelDataError`
naming the argument, the positions (0-based rows of the input) and the offending values, and the
rule broken. Nothing is coerced silently: a string in a numeric argument, a NaN time or an event
code of 2 is an error, never a number.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from .errors import ModelDataError, ParameterError

__all__ = ["as_numeric", "check_choice", "check_cohort", "check_counts", "check_design_frame",
           "check_event", "check_integer", "check_level", "check_positive", "check_scores",
           "check_survival"]


def _where(mask: np.ndarray, values: np.ndarray, limit: int = 5) -> str:
    idx = np.flatnonzero(mask)

    def show(v: Any) -> str:
        return repr(v.item() if isinstance(v, np.generic) else v)

    shown = ", ".join(f"row {i}: {show(values[i])}" for i in idx[:limit])
    more = f" and {len(idx) - limit} more" if len(idx) > limit else ""
    return f"{shown}{more}"


def as_numeric(values: Any, name: str, *, finite: bool = True,
               allow_missing: bool = False) -> np.ndarray:
    """A 1-d float array from ``values``; raises naming ``name`` for a value that is not a
    number (a string, a boolean mixed with numbers, None) or, when ``finite``, not finite.

    Missing values (NaN, None, pandas NA) are allowed only with ``allow_missing`` and come back
    as NaN.
    """
    if isinstance(values, (pd.Series, pd.Index)):
        raw = values.to_numpy(dtype=object, na_value=np.nan)
    else:
        raw = np.asarray(values, dtype=object)
    if raw.ndim != 1:
        raw = raw.reshape(-1) if raw.ndim == 0 else raw
        if raw.ndim != 1:
            raise ModelDataError(f"{name} must be one-dimensional, not shape {raw.shape}")
    out = np.empty(len(raw), dtype=np.float64)
    bad = np.zeros(len(raw), dtype=bool)
    for i, v in enumerate(raw):  # object arrays only; numeric input takes the fast path below
        if v is None or v is pd.NA or (isinstance(v, float) and np.isnan(v)):
            out[i] = np.nan
        elif isinstance(v, (bool, np.bool_)) or not isinstance(v, (int, float, np.number)):
            bad[i] = True
        else:
            out[i] = float(v)
    if bad.any():
        raise ModelDataError(f"{name} must be numeric; found {_where(bad, raw)}")
    missing = np.isnan(out)
    if missing.any() and not allow_missing:
        raise ModelDataError(f"{name} has missing values ({_where(missing, raw)}); drop or "
                             "impute them first")
    if finite:
        inf = np.isinf(out)
        if inf.any():
            raise ModelDataError(f"{name} must be finite; found {_where(inf, raw)}")
    return out


def _fast_numeric(values: Any) -> np.ndarray | None:
    arr = values.to_numpy() if isinstance(values, (pd.Series, pd.Index)) else np.asarray(values)
    if arr.dtype.kind in "iuf" and arr.ndim == 1:
        return arr.astype(np.float64, copy=False)
    return None


def check_event(event: Any, name: str = "event") -> np.ndarray:
    """A boolean event indicator from 0/1 (or True/False) values; anything else (2, 0.5, NaN,
    "yes") raises naming the rows."""
    if isinstance(event, np.ndarray) and event.dtype == np.bool_ and event.ndim == 1:
        return event
    arr = _fast_numeric(event)
    if arr is None:
        raw = event.to_numpy(dtype=object) if isinstance(event, pd.Series) else np.asarray(
            event, dtype=object)
        if raw.ndim != 1:
            raise ModelDataError(f"{name} must be one-dimensional, not shape {raw.shape}")
        ok = np.array([isinstance(v, (bool, np.bool_)) or (
            isinstance(v, (int, float, np.number)) and v in (0, 1)) for v in raw], dtype=bool)
        if not ok.all():
            raise ModelDataError(f"{name} must be 0/1; found {_where(~ok, raw)}")
        return raw.astype(bool)
    ok = (arr == 0) | (arr == 1)
    if not ok.all():
        raise ModelDataError(f"{name} must be 0/1 (1 = event, 0 = censored); found "
                             f"{_where(~ok, arr)}")
    return arr == 1


def check_survival(time: Any, event: Any, entry: Any = None, *,
                   names: tuple[str, str, str] = ("time", "event", "entry"),
                   ) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    """Validate a survival outcome: follow-up ``time``, 0/1 ``event`` and optional delayed
    ``entry`` (left truncation: the subject is at risk on (entry, time]).

    Rules: the arrays have one equal, non-zero length; times and entries are finite numbers;
    events are 0/1; entry < time for every subject (an empty interval holds no time at risk,
    so its event could not be counted consistently: drop such records, or say why they are
    there). Returns ``(time, event, entry)`` as float, bool and float (or None) arrays.
    """
    t_name, e_name, s_name = names
    t = _fast_numeric(time)
    t = as_numeric(time, t_name) if t is None else t
    e = check_event(event, e_name)
    if len(t) != len(e):
        raise ModelDataError(f"{t_name} ({len(t)} values) and {e_name} ({len(e)} values) "
                             "differ in length")
    if len(t) == 0:
        raise ModelDataError(f"{t_name} is empty: no subjects")
    bad = ~np.isfinite(t)
    if bad.any():
        raise ModelDataError(f"{t_name} must be finite; found {_where(bad, t)}")
    s = None
    if entry is not None:
        s = _fast_numeric(entry)
        s = as_numeric(entry, s_name) if s is None else s
        if len(s) != len(t):
            raise ModelDataError(f"{s_name} ({len(s)} values) and {t_name} ({len(t)} values) "
                                 "differ in length")
        bad = ~np.isfinite(s)
        if bad.any():
            raise ModelDataError(f"{s_name} must be finite; found {_where(bad, s)}")
        bad = s >= t
        if bad.any():
            pairs = np.array([f"{a:g} >= {b:g}" for a, b in zip(s, t, strict=True)],
                             dtype=object)
            raise ModelDataError(
                f"{s_name} must be before {t_name} (at risk on ({s_name}, {t_name}]); found "
                f"{_where(bad, pairs)}")
    return t, e, s


def _text_values(col: pd.Series) -> bool:
    return col.dtype == object or pd.api.types.is_string_dtype(col.dtype)


def check_design_frame(data: Any, formula: str, what: str = "model") -> None:
    """Validate the columns a model formula uses before a design matrix is built from them.

    Rules: ``data`` is a DataFrame holding every variable of ``formula``; the outcome (left-hand
    side) is numeric or boolean; a covariate stored as text is categorical only when it is
    meant to be: a text column whose values are mostly numbers (numbers stored as text, or a
    numeric column with a typo such as "12,5" or "n/a") raises instead of silently becoming a
    factor with one level per distinct value. Wrap a column in ``C(...)`` to declare it
    categorical. Raises :class:`ModelDataError` naming the column, rows and values.
    """
    import re

    import formulaic

    if not isinstance(data, pd.DataFrame):
        raise ModelDataError(f"{what}: data must be a pandas DataFrame, not "
                             f"{type(data).__name__}")
    try:
        parsed = formulaic.Formula(formula)
    except (formulaic.errors.FormulaicError, SyntaxError, ValueError) as err:
        raise ModelDataError(f"{what}: cannot parse the formula {formula!r}: {err}") from None
    lhs = set(parsed.lhs.required_variables) if hasattr(parsed, "lhs") else set()
    rhs = set(parsed.rhs.required_variables if hasattr(parsed, "rhs")
              else parsed.required_variables)
    missing = sorted(v for v in lhs | rhs if v not in data.columns)
    if missing:
        raise ModelDataError(f"{what}: column(s) {missing} of {formula!r} are not in the data "
                             f"(columns: {list(data.columns)[:20]})")
    for v in sorted(lhs):
        col = data[v]
        if pd.api.types.is_bool_dtype(col) or (pd.api.types.is_numeric_dtype(col)
                                               and not isinstance(col.dtype, pd.CategoricalDtype)):
            continue
        values = col.to_numpy(dtype=object)
        parsed_num = pd.to_numeric(col.astype("object"), errors="coerce")
        bad = col.notna().to_numpy() & parsed_num.isna().to_numpy()
        detail = (f"values that are not numbers: {_where(bad, values)}" if bad.any()
                  else "numbers stored as text; convert them with pandas.to_numeric")
        raise ModelDataError(f"{what}: the outcome {v!r} must be numeric ({col.dtype}); "
                             f"{detail}")
    declared = set(re.findall(r"C\(\s*([A-Za-z_][A-Za-z0-9_.]*)", formula))
    for v in sorted(rhs - declared):
        col = data[v]
        if not _text_values(col):
            continue
        present = col.notna().to_numpy()
        if not present.any():
            continue
        parsed_num = pd.to_numeric(col.astype("object"), errors="coerce").notna().to_numpy()
        share = parsed_num[present].mean()
        if share >= 0.5:
            values = col.to_numpy(dtype=object)
            bad = present & ~parsed_num
            detail = (f"; {int(bad.sum())} value(s) are not numbers: {_where(bad, values)}"
                      if bad.any() else "")
            raise ModelDataError(
                f"{what}: column {v!r} is text but {share:.0%} of its values are numbers"
                f"{detail}. Convert it with pandas.to_numeric (after fixing the values), or "
                f"write C({v}) in the formula if it really is categorical")


def check_counts(events: Any, n: Any, names: tuple[str, str] = ("events", "n")
                 ) -> tuple[np.ndarray, np.ndarray]:
    """Validate binomial counts: whole numbers, 0 <= events <= n, n >= 1, no missing values.
    Returns both as float arrays (1-d, equal length)."""
    e_name, n_name = names
    x = np.atleast_1d(as_numeric(np.atleast_1d(np.asarray(events, dtype=object)), e_name))
    m = np.atleast_1d(as_numeric(np.atleast_1d(np.asarray(n, dtype=object)), n_name))
    if len(x) != len(m):
        raise ModelDataError(f"{e_name} ({len(x)}) and {n_name} ({len(m)}) differ in length")
    for arr, name in ((x, e_name), (m, n_name)):
        frac = arr != np.round(arr)
        if frac.any():
            raise ModelDataError(f"{name} must be whole numbers; found {_where(frac, arr)}")
    bad = m < 1
    if bad.any():
        raise ModelDataError(f"{n_name} must be at least 1; found {_where(bad, m)}")
    bad = (x < 0) | (x > m)
    if bad.any():
        pairs = np.array([f"{a:g} of {b:g}" for a, b in zip(x, m, strict=True)], dtype=object)
        raise ModelDataError(f"{e_name} must be between 0 and {n_name}; found "
                             f"{_where(bad, pairs)}")
    return x, m


def check_scores(values: Any, name: str, n: int | None = None, *, low: float = -np.inf,
                 high: float = np.inf) -> np.ndarray:
    """Validate a per-subject score (a risk score, a predicted probability, an instrument
    score): finite numbers, ``n`` of them when given, within [``low``, ``high``]."""
    arr = _fast_numeric(values)
    arr = as_numeric(values, name) if arr is None else arr
    bad = ~np.isfinite(arr)
    if bad.any():
        raise ModelDataError(f"{name} must be finite numbers; found {_where(bad, arr)}")
    if n is not None and len(arr) != n:
        raise ModelDataError(f"{name} has {len(arr)} values for {n} subjects")
    bad = (arr < low) | (arr > high)
    if bad.any():
        raise ModelDataError(f"{name} must lie in [{low:g}, {high:g}]; found "
                             f"{_where(bad, arr)}")
    return arr


# ---------------------------------------------------------------------------------------------
# arguments of the analyses: the cohort itself and settings
def check_frame(data: Any, name: str, columns: Any, what: str = "model") -> pd.DataFrame:
    """A pandas DataFrame ``data`` (the argument ``name``) holding every column in ``columns``;
    :class:`ModelDataError` naming the argument and the missing columns otherwise."""
    if not isinstance(data, pd.DataFrame):
        raise ModelDataError(f"{what}: {name} must be a pandas DataFrame, not "
                             f"{type(data).__name__}")
    missing = [c for c in columns if c not in data.columns]
    if missing:
        raise ModelDataError(f"{what}: column(s) {missing} not in {name}")
    return data


def check_cohort(cohort: Any, name: str = "cohort", *, min_patients: int = 1,
                 comparators: bool = False) -> None:
    """Raise :class:`ParameterError` unless ``cohort`` is a :class:`~alspaincohort.Cohort`, and
    :class:`ModelDataError` when it has fewer than ``min_patients`` patients, or (unless the
    analysis compares them, ``comparators=True``) when it holds comparators: an analysis of
    ALS patients never mixes controls into its numbers."""
    from .cohort import Cohort

    if not isinstance(cohort, Cohort):
        raise ParameterError(f"{name} must be an alspaincohort.Cohort, not "
                             f"{type(cohort).__name__} (load data with load_proact / "
                             "load_tabular, or build Cohort(patients=..., assessments=...))")
    n = len(cohort.patients)
    if n < min_patients:
        raise ModelDataError(f"{name} has {n} patient(s); this analysis needs at least "
                             f"{min_patients}")
    if not comparators:
        k = int(cohort.is_comparator.sum())
        if k:
            groups = sorted(set(cohort.patients["group"].dropna().astype(str)) - {"als"})
            raise ModelDataError(
                f"{name} holds {k} comparator(s) (patients.group {groups}); this analysis is "
                f"of ALS patients: pass {name}.als_only(), or compare the groups with "
                "comparator_drug_use")


def check_choice(value: Any, name: str, options: Any) -> None:
    """Raise :class:`ParameterError` unless ``value`` is one of ``options``."""
    opts = tuple(options)
    try:
        ok = value in opts
    except TypeError:  # an unhashable value against a dict's keys
        ok = False
    if not ok:
        raise ParameterError(f"unknown {name} {value!r}: {name} must be one of {list(opts)}")


def check_level(value: Any, name: str = "level") -> float:
    """A confidence level (or alpha) strictly between 0 and 1; :class:`ParameterError`
    otherwise (e.g. 95 for 0.95)."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, float, np.number)) \
            or not 0 < float(value) < 1:
        raise ParameterError(f"{name} must be a number strictly between 0 and 1, not {value!r}")
    return float(value)


def check_day_window(value: Any, name: str, *, decreasing: bool = False,
                     low: int | None = None, meaning: str = "days") -> tuple[int, int]:
    """A window of two whole days: (first, last) with first <= last, or first >= last with
    ``decreasing`` (days counted back, as before death), and both >= ``low`` when given;
    :class:`ParameterError` naming ``name`` otherwise."""
    ok = (isinstance(value, (tuple, list)) and len(value) == 2
          and all(isinstance(v, (int, np.integer)) and not isinstance(v, (bool, np.bool_))
                  for v in value))
    if ok:
        first, last = int(value[0]), int(value[1])
        ok = (first >= last if decreasing else first <= last) and (
            low is None or min(first, last) >= low)
    if not ok:
        order = "first >= last" if decreasing else "first <= last"
        floor = f" >= {low}" if low is not None else ""
        raise ParameterError(f"{name} must be (first, last) whole {meaning} with {order}"
                             f"{floor}, not {value!r}")
    return first, last


def check_positive(value: Any, name: str, *, allow_zero: bool = False) -> float:
    """A finite number > 0 (a tolerance, a bandwidth), or >= 0 with ``allow_zero`` (a lag, a
    look-back); :class:`ParameterError` otherwise."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, float, np.number)) \
            or not (np.isfinite(value) and (value >= 0 if allow_zero else value > 0)):
        raise ParameterError(f"{name} must be a finite number {'>=' if allow_zero else '>'} 0, "
                             f"not {value!r}")
    return float(value)


def check_integer(value: Any, name: str, low: int = 0) -> int:
    """An integer >= ``low``; :class:`ParameterError` otherwise (floats with a fraction,
    strings and booleans included)."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)) \
            or value < low:
        raise ParameterError(f"{name} must be an integer >= {low}, not {value!r}")
    return int(value)
