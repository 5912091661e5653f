"""Table 1: descriptive statistics of a cohort at baseline, overall and by group.

Rules (each labelled in the output):

- Continuous variables: mean (SD) when a Shapiro-Wilk test on all non-missing values does not
  reject normality at 0.05 (on at most 5,000 values, the first 5,000 of a fixed permutation),
  otherwise median [IQR]; ``normal=`` / ``nonnormal=`` override. Tests: Welch's t (2 groups) or
  one-way ANOVA for normal variables, Mann-Whitney U or Kruskal-Wallis otherwise.
- Categorical variables: n (%) of non-missing; chi-square test without continuity correction,
  or Fisher's exact test for a 2 x 2 table with an expected count below 5.
- Standardised mean differences for two groups: |m1 - m2| / sqrt((s1^2 + s2^2) / 2), and for
  categorical variables the multi-level SMD of Yang & Dalton (2012).
- Small-cell suppression in exports (``k``, default 5): a count between 1 and k - 1 hides its
  whole row (every group and the overall column, zeros included), and when a variable would
  then have exactly one hidden row, the smallest other row (a zero row or the missing row if it
  is the smallest) is hidden too, so no hidden count can be recovered by subtraction from the
  totals shown (tested by solving the linear system of the shown totals). A variable with a
  single level cannot be protected this way; its counts equal the group sizes.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from ..cohort import Cohort
from ..errors import ModelDataError, ParameterError
from ..export import write_csv
from ..result import Result
from ..stats.group_tests import categorical_group_test, continuous_group_test

DEFAULT_CONTINUOUS = ("age_at_onset", "diagnostic_delay_months", "disease_duration_months",
                      "alsfrs_r", "progression_rate", "fvc_percent", "vas_pain", "hads_d")
DEFAULT_CATEGORICAL = ("sex", "onset_site", "el_escorial", "kings_stage", "mitos_stage")


def smd_continuous(a: np.ndarray, b: np.ndarray) -> float:
    """|mean a - mean b| / sqrt((var a + var b) / 2), sample variances."""
    va, vb = np.var(a, ddof=1), np.var(b, ddof=1)
    pooled = np.sqrt((va + vb) / 2)
    return float(abs(np.mean(a) - np.mean(b)) / pooled) if pooled > 0 else float("nan")


def smd_categorical(pa: np.ndarray, pb: np.ndarray) -> float:
    """Yang & Dalton (2012) SMD of two vectors of level proportions (first level dropped)."""
    t, c = np.asarray(pa, float)[1:], np.asarray(pb, float)[1:]
    S = (np.diag(t) - np.outer(t, t) + np.diag(c) - np.outer(c, c)) / 2
    diff = t - c
    if not diff.size:
        return float("nan")
    try:
        return float(np.sqrt(diff @ np.linalg.pinv(S) @ diff))
    except np.linalg.LinAlgError:
        return float("nan")


@dataclass(repr=False)
class TableOne(Result):
    """Table 1 (the :class:`~alspaincohort.result.Result` shape; ``print(t)`` and the notebook
    show :meth:`display`, the formatted table with small counts suppressed).

    Attributes
    ----------
    table : DataFrame
        Tidy numbers, one row per variable x level x column: variable, level (empty for
        continuous; "missing" rows count missing values), column ("overall" or a group),
        n (non-missing), count, percent, mean, sd, median, q1, q3, summary ("mean (SD)",
        "median [IQR]" or "n (%)").
    tests : DataFrame
        variable, test, statistic, p_value, smd (two groups only).
    groups : list of str
    """

    table: pd.DataFrame
    tests: pd.DataFrame
    groups: list[str]
    group_sizes: dict[str, int]

    def display(self, suppress: bool = True, k: int = 5, decimals: int = 1) -> pd.DataFrame:
        """The formatted table: one row per variable (and level), one column per group plus
        overall, SMD, p and test; counts below ``k`` suppressed when ``suppress``."""
        t = self.table.copy()
        hidden = _suppressed(t, k) if suppress else set()
        cols = ["overall", *self.groups]
        rows = []
        for var, g in t.groupby("variable", sort=False):
            test = self.tests.set_index("variable").loc[var] if var in set(
                self.tests.variable) else None
            summary = g["summary"].iloc[0]
            if summary == "n (%)":
                rows.append({"variable": var, "level": "", **dict.fromkeys(cols, ""),
                             "smd": _fmt(test["smd"] if test is not None else np.nan, 3),
                             "p": _p(test), "test": test["test"] if test is not None else ""})
                for level, gl in g.groupby("level", sort=False):
                    cells = {}
                    for _, r in gl.iterrows():
                        if (var, level) in hidden:
                            cells[r["column"]] = f"<{k}" if 0 < r["count"] < k else "suppressed"
                        else:
                            pct = "" if level == "missing" else \
                                f" ({r['percent']:.{decimals}f})"
                            cells[r["column"]] = f"{int(r['count'])}{pct}"
                    rows.append({"variable": "", "level": str(level), **cells, "smd": "",
                                 "p": "", "test": ""})
            else:
                cells = {}
                for _, r in g[g["level"] == ""].iterrows():
                    if summary == "mean (SD)":
                        cells[r["column"]] = (f"{r['mean']:.{decimals}f} "
                                              f"({r['sd']:.{decimals}f})")
                    else:
                        cells[r["column"]] = (f"{r['median']:.{decimals}f} "
                                              f"[{r['q1']:.{decimals}f}, {r['q3']:.{decimals}f}]")
                rows.append({"variable": f"{var}, {summary}", "level": "", **cells,
                             "smd": _fmt(test["smd"] if test is not None else np.nan, 3),
                             "p": _p(test), "test": test["test"] if test is not None else ""})
                miss = g[g["level"] == "missing"]
                if len(miss) and miss["count"].sum() > 0:
                    mcells = {}
                    for _, r in miss.iterrows():
                        if (var, "missing") in hidden:
                            mcells[r["column"]] = f"<{k}" if 0 < r["count"] < k else "suppressed"
                        else:
                            mcells[r["column"]] = str(int(r["count"]))
                    rows.append({"variable": "", "level": "missing", **mcells, "smd": "",
                                 "p": "", "test": ""})
        head = {"variable": "n", "level": "", "overall": str(self.group_sizes["overall"]),
                **{g: str(self.group_sizes[g]) for g in self.groups}, "smd": "", "p": "",
                "test": ""}
        return pd.DataFrame([head, *rows], columns=["variable", "level", *cols, "smd", "p",
                                                    "test"])

    def to_html(self, **kw: Any) -> str:
        return self.display(**kw).to_html(index=False)

    def to_latex(self, **kw: Any) -> str:
        return self.display(**kw).to_latex(index=False)

    def to_csv(self, path: str | Path, **kw: Any) -> Path:
        write_csv(self.display(**kw), path)
        return Path(path)

    def headline(self) -> str:
        sizes = ", ".join(f"{g} n = {n}" for g, n in self.group_sizes.items())
        return f"Table 1: {sizes}" if sizes else "Table 1"

    def sections(self) -> list[tuple[str, pd.DataFrame]]:
        return [("", self.display())]

    def plot(self, ax: Any = None) -> Any:
        """The formatted table as a figure (:func:`alspaincohort.plots.table_figure`)."""
        from ..plots import table_figure

        return table_figure(self.display(), ax=ax)


def _fmt(x: float, d: int) -> str:
    return "" if x is None or x != x else f"{x:.{d}f}"


def _p(test: Any) -> str:
    if test is None or test["p_value"] != test["p_value"]:
        return ""
    p = test["p_value"]
    return "<0.001" if p < 0.001 else f"{p:.3f}"


def _suppressed(t: pd.DataFrame, k: int) -> set[tuple[str, Any]]:
    """(variable, level) rows hidden: rows with a count in 1..k-1 anywhere, plus the smallest
    other row of any variable left with a single hidden row."""
    hidden: set[tuple[str, Any]] = set()
    counted = t[t["count"].notna()]
    for var, g in counted.groupby("variable", sort=False):
        small = g[(g["count"] > 0) & (g["count"] < k)]
        rows = set(small["level"])
        if len(rows) == 1:  # hide a complement too, a zero row if it is the smallest
            totals = g.groupby("level", sort=False)["count"].sum().drop(list(rows),
                                                                      errors="ignore")
            if len(totals):
                rows.add(totals.idxmin())
        hidden |= {(var, r) for r in rows}
    return hidden


def table_one(data: Cohort | pd.DataFrame, groupby: str | None = None,
              continuous: Sequence[str] | None = None,
              categorical: Sequence[str] | None = None,
              normal: Sequence[str] = (), nonnormal: Sequence[str] = ()) -> TableOne:
    """Table 1 of a cohort's baseline (or of any DataFrame).

    Parameters
    ----------
    data : Cohort or DataFrame
        A cohort (its baseline() table is summarised) or one row per patient.
    groupby : str, optional
        A column; for a Cohort, "pain" groups by baseline VAS > 0 ("pain" / "no pain").
    continuous, categorical : sequence of str, optional
        The variables; default the main baseline() columns present.
    normal : sequence of str
        Continuous variables summarised as mean (SD) and tested with t / ANOVA.
    nonnormal : sequence of str
        Continuous variables summarised as median [IQR] and tested with rank tests.

    Returns
    -------
    TableOne
        ``table``: tidy numbers (variable, level, column, n, count, percent, mean, sd, median,
        q1, q3, summary); ``tests`` (variable, test, statistic, p_value, smd); ``display()``, the
        formatted table with small counts suppressed (what ``print`` shows); ``to_html``,
        ``to_latex``, ``to_csv``.

    Examples
    --------
    >>> from alspaincohort import simulate_cohort
    >>> t = table_one(simulate_cohort(300, seed=1), groupby="sex")
    >>> t.groups
    ['female', 'male']
    """
    if isinstance(data, Cohort):
        df = data.baseline()
    elif isinstance(data, pd.DataFrame):
        df = data.copy()
    else:
        raise ParameterError(f"data must be a Cohort or a DataFrame, not {type(data).__name__}")
    if len(df) == 0:
        raise ModelDataError("table_one: the data have no rows (no patients)")
    if groupby == "pain" and "pain" not in df.columns:
        labels = pd.Series(np.where(df["vas_pain"] > 0, "pain", "no pain"), index=df.index)
        df["pain"] = labels.where(df["vas_pain"].notna())
    for arg, given in (("continuous", continuous), ("categorical", categorical)):
        unknown = [c for c in (given or ()) if c not in df.columns]
        if unknown:
            raise ParameterError(f"{arg}: unknown column(s) {unknown}; the data have "
                                 f"{sorted(map(str, df.columns))}")
    cont = [c for c in (continuous or DEFAULT_CONTINUOUS) if c in df.columns]
    cat = [c for c in (categorical or DEFAULT_CATEGORICAL) if c in df.columns]
    if groupby is not None:
        if groupby not in df.columns:
            raise ParameterError(f"groupby column {groupby!r} not in the data")
        df = df[df[groupby].notna()]
        groups = [str(g) for g in sorted(df[groupby].astype(str).unique())]
        labels = df[groupby].astype(str)
    else:
        groups, labels = [], pd.Series("overall", index=df.index)
    columns = [("overall", df)] + [(g, df[labels == g]) for g in groups]
    rows, tests = [], []
    for var in cont:
        x = pd.to_numeric(df[var], errors="coerce").astype(float)
        is_normal = _is_normal(x.dropna().to_numpy(), var, normal, nonnormal)
        summary = "mean (SD)" if is_normal else "median [IQR]"
        for name, sub in columns:
            v = pd.to_numeric(sub[var], errors="coerce").astype(float).dropna()
            rows.append({"variable": var, "level": "", "column": name, "n": len(v),
                         "count": np.nan, "percent": np.nan, "mean": v.mean(),
                         "sd": v.std(ddof=1), "median": v.median(), "q1": v.quantile(0.25),
                         "q3": v.quantile(0.75), "summary": summary})
            rows.append({"variable": var, "level": "missing", "column": name, "n": len(sub),
                         "count": int(sub[var].isna().sum()), "percent": np.nan,
                         "summary": summary})
        if groups:
            samples = [pd.to_numeric(df.loc[labels == g, var], errors="coerce").dropna()
                       .to_numpy(float) for g in groups]
            tests.append(_continuous_test(var, samples, is_normal))
    for var in cat:
        values = df[var].astype(object).where(df[var].notna())
        values = values.map(lambda v: str(int(v)) if isinstance(v, float) and v == v and
                            float(v).is_integer() else (str(v) if v is not None and v == v
                                                        else None))
        levels = sorted(values.dropna().unique(), key=str)
        for name, sub in columns:
            sv = values.loc[sub.index]
            n = int(sv.notna().sum())
            for level in levels:
                c = int((sv == level).sum())
                rows.append({"variable": var, "level": level, "column": name, "n": n,
                             "count": c, "percent": 100 * c / n if n else np.nan,
                             "summary": "n (%)"})
            rows.append({"variable": var, "level": "missing", "column": name, "n": len(sv),
                         "count": int(sv.isna().sum()), "percent": np.nan,
                         "summary": "n (%)"})
        if groups:
            tab = pd.crosstab(values, labels).reindex(index=levels, columns=groups, fill_value=0)
            tests.append(_categorical_test(var, tab))
    sizes = {"overall": len(df), **{g: int((labels == g).sum()) for g in groups}}
    return TableOne(pd.DataFrame(rows), pd.DataFrame(
        tests, columns=["variable", "test", "statistic", "p_value", "smd"]), groups, sizes)


def _is_normal(x: np.ndarray, var: str, normal: Sequence[str], nonnormal: Sequence[str]) -> bool:
    if var in normal:
        return True
    if var in nonnormal:
        return False
    if len(x) < 3 or np.ptp(x) == 0:
        return False
    if len(x) > 5000:
        x = x[np.random.default_rng(0).permutation(len(x))[:5000]]
    return bool(stats.shapiro(x).pvalue >= 0.05)


def _continuous_test(var: str, samples: list[np.ndarray], is_normal: bool) -> dict[str, Any]:
    ok = [s for s in samples if len(s) >= 2]
    smd = smd_continuous(samples[0], samples[1]) if len(samples) == 2 and len(ok) == 2 else \
        float("nan")
    return {"variable": var, **continuous_group_test(samples, is_normal), "smd": smd}


def _categorical_test(var: str, tab: pd.DataFrame) -> dict[str, Any]:
    tab = tab.loc[tab.sum(axis=1) > 0, tab.sum(axis=0) > 0]
    smd = float("nan")
    if tab.shape[1] == 2:
        p = (tab / tab.sum(axis=0)).to_numpy()
        smd = smd_categorical(p[:, 0], p[:, 1])
    return {"variable": var, **categorical_group_test(tab), "smd": smd}
