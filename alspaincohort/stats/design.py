"""Design matrices from formulas (formulaic), with missing rows dropped and counted and every
other problem (non-finite values, rank deficiency) raised with the column and rows named."""

from __future__ import annotations

import re
import warnings
from dataclasses import dataclass

import formulaic
import numpy as np
import pandas as pd

from ..errors import ModelDataError, ModelWarning
from ..validation import check_design_frame

__all__ = ["Design", "ModelDataError", "ModelWarning", "build", "check_rank", "complete_rows",
           "warn_dropped"]


@dataclass
class Design:
    """Arrays for one fit, all aligned on ``rows`` (positions in the input data)."""

    rows: np.ndarray
    y: np.ndarray | None
    X: np.ndarray
    x_names: list[str]
    n_dropped: int
    spec: object = None  # formulaic ModelSpec of the right-hand side, for predictions


def _check_finite(name: str, values: np.ndarray, rows: np.ndarray) -> None:
    bad = ~np.isfinite(values)
    if bad.any():
        where = np.flatnonzero(bad.reshape(len(values), -1).any(axis=1))
        raise ModelDataError(
            f"column {name!r} has {len(where)} non-finite value(s) at data row(s) "
            f"{rows[where][:10].tolist()}"
        )


def check_rank(X: np.ndarray, names: list[str], what: str = "design matrix") -> None:
    """Raise naming the columns that make ``X`` rank deficient."""
    if X.shape[1] == 0:
        return
    if X.shape[0] == 0:
        raise ModelDataError(f"{what}: no complete rows to fit")
    rank = np.linalg.matrix_rank(X)
    if rank == X.shape[1]:
        return
    # find columns that are linear combinations of the previous ones
    dependent: list[str] = []
    for j in range(1, X.shape[1] + 1):
        if np.linalg.matrix_rank(X[:, :j]) < j - len(dependent):
            dependent.append(names[j - 1])
    raise ModelDataError(
        f"singular {what}: rank {rank} < {X.shape[1]} columns; column(s) {dependent} are linear "
        "combinations of the others (or constant)"
    )


_NAME = r"[A-Za-z_][A-Za-z0-9_]*"
_SIMPLE = re.compile(rf"^\s*(?:({_NAME})\s*~)?\s*({_NAME}(?:\s*\+\s*{_NAME})*)\s*$")


class _ColumnsSpec:
    """Stand-in for a formulaic ModelSpec when the right-hand side is a plain sum of numeric
    columns: the same column names and the same ``get_model_matrix`` interface."""

    def __init__(self, columns: list[str], intercept: bool) -> None:
        self.columns, self.intercept = columns, intercept

    def get_model_matrix(self, data: pd.DataFrame) -> pd.DataFrame:
        out = data[self.columns].astype(np.float64)
        if self.intercept:
            out.insert(0, "Intercept", 1.0)
        return out


def _simple_terms(data: pd.DataFrame, formula: str) -> tuple[str | None, list[str]] | None:
    """(outcome, columns) when ``formula`` is 'y ~ a + b' over numeric columns, else None."""
    m = _SIMPLE.match(formula)
    if m is None:
        return None
    lhs, rhs = m.group(1), [t.strip() for t in m.group(2).split("+")]
    cols = ([lhs] if lhs else []) + rhs
    if len(set(rhs)) != len(rhs) or any(c not in data.columns for c in cols):
        return None
    if not all(pd.api.types.is_numeric_dtype(data[c]) and not pd.api.types.is_bool_dtype(data[c])
               for c in cols):
        return None
    return lhs, rhs


def _build_simple(data: pd.DataFrame, lhs: str | None, rhs: list[str], extra: list[str],
                  intercept: bool, keep: np.ndarray | None) -> Design:
    used = ([lhs] if lhs else []) + rhs
    ok = data[used + extra].notna().all(axis=1).to_numpy()
    if keep is not None:
        ok = ok & np.asarray(keep, dtype=bool)
    rows = np.flatnonzero(ok)
    X = data[rhs].to_numpy(dtype=np.float64)[rows]
    for j, name in enumerate(rhs):
        _check_finite(name, X[:, j], rows)
    names = list(rhs)
    if intercept:
        X = np.column_stack([np.ones(len(rows)), X])
        names = ["Intercept", *names]
    y = None
    if lhs:
        y = data[lhs].to_numpy(dtype=np.float64)[rows]
        _check_finite(lhs, y, rows)
    return Design(rows=rows, y=y, X=X, x_names=names, n_dropped=len(data) - len(rows),
                  spec=_ColumnsSpec(rhs, intercept))


def build(data: pd.DataFrame, formula: str, extra: list[str] | None = None,
          intercept: bool = True, what: str = "model",
          keep: np.ndarray | None = None) -> Design:
    """y (when the formula has a left-hand side) and X from ``formula``.

    Rows with a missing value in any used variable or in ``extra`` columns, or False in
    ``keep``, are dropped and counted; non-finite values raise :class:`ModelDataError`.
    """
    if not isinstance(data, pd.DataFrame):
        raise ModelDataError(f"{what}: data must be a pandas DataFrame")
    data = data.reset_index(drop=True)  # rows are positions from here on
    extra = list(extra or [])
    missing_cols = [c for c in extra if c not in data.columns]
    if missing_cols:
        raise ModelDataError(f"{what}: column(s) {missing_cols} not in the data")
    simple = _simple_terms(data, formula)
    if simple is None:
        check_design_frame(data, formula, what)
    if simple is not None:  # fast path, same result as formulaic for a sum of numeric columns
        return _build_simple(data, simple[0], simple[1], extra, intercept, keep)
    try:
        mm = formulaic.model_matrix(formula, data, na_action="drop")
    except (formulaic.errors.FormulaicError, KeyError, NameError) as err:
        raise ModelDataError(f"{what}: cannot build the design of {formula!r}: {err}") from None
    if isinstance(mm, formulaic.ModelMatrices) and len(mm) == 2:
        lhs, rhs = mm
        index = lhs.index.intersection(rhs.index)
    else:
        lhs, rhs = None, mm
        index = rhs.index
    if extra:
        index = index.intersection(data.index[data[extra].notna().all(axis=1)])
    if keep is not None:
        index = index.intersection(data.index[np.asarray(keep, dtype=bool)])
    rows = np.sort(np.asarray(index, dtype=np.int64))
    index = pd.Index(rows)
    X_df = rhs.loc[index]
    names = [str(c) for c in X_df.columns]
    if not intercept and "Intercept" in names:
        X_df = X_df.drop(columns="Intercept")
        names = [n for n in names if n != "Intercept"]
    X = np.asarray(X_df, dtype=np.float64)
    for j, name in enumerate(names):
        _check_finite(name, X[:, j], rows)
    y = None
    if lhs is not None:
        y = np.asarray(lhs.loc[index], dtype=np.float64).ravel()
        _check_finite(str(lhs.columns[0]), y, rows)
    return Design(rows=rows, y=y, X=X, x_names=names, n_dropped=len(data) - len(rows),
                  spec=rhs.model_spec)


def complete_rows(data: pd.DataFrame, formula: str) -> np.ndarray:
    """Boolean mask of the rows where every variable of ``formula`` is present."""
    mm = formulaic.model_matrix(formula, data.reset_index(drop=True), na_action="drop")
    mask = np.zeros(len(data), dtype=bool)
    mask[np.asarray(mm.index, dtype=np.int64)] = True
    return mask


def warn_dropped(n_dropped: int, n_total: int, what: str) -> None:
    if n_dropped:
        warnings.warn(
            f"{what}: {n_dropped} of {n_total} rows dropped for missing values",
            ModelWarning,
            stacklevel=3,
        )
