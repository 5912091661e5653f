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
- Small-cell suppression (``k``, default 5) by :mod:`alspaincohort.disclosure`, the one
  mechanism every output of the package uses: a count of 1 to k - 1 is hidden, and so is every
  count that would let a reader solve a hidden one from the numbers shown (group sizes, the
  overall column, the other levels, the missing row). Every hidden cell reads "suppressed",
  whatever the reason, and a column of a variable with a hidden cell shows counts without
  percentages (a count and its percentage give the denominator, and with it the hidden cell).
  A continuous summary of fewer than k values is suppressed too; one of no values reads
  "no values". In a report, the cells of
  Table 1 are suppressed together with those of the other tables (``display(suppression=)``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from ..cohort import Cohort
from ..disclosure import SUPPRESSED, CountCell, DisclosureControl, Suppression
from ..errors import ModelDataError, ParameterError
from ..export import write_csv
from ..result import Result
from ..stats.group_tests import categorical_group_test, continuous_group_test

DEFAULT_CONTINUOUS = ("age_at_onset", "diagnostic_delay_months", "disease_duration_months",
                      "alsfrs_r", "progression_rate", "fvc_percent", "vas_pain", "hads_d")
TABLE = "table_one"
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
    group_sizes : dict
        Patients per column ("overall" and each group).
    members : dict
        (row, column) -> the units (``("patient", id)`` or ``("row", index)``) each shown count
        counts, for :mod:`alspaincohort.disclosure` (never shown).
    """

    table: pd.DataFrame
    tests: pd.DataFrame
    groups: list[str]
    group_sizes: dict[str, int]
    members: dict[tuple[str, str], frozenset[Any]] = field(default_factory=dict)
    disclosure: Suppression | None = None
    cell_table: str = TABLE

    def count_cells(self, name: str = TABLE) -> list[CountCell]:
        """Every count the formatted table shows, as :class:`~alspaincohort.disclosure.CountCell`
        (rows as :meth:`display` names them: "n", "<variable>: <level>")."""
        return [CountCell(name, row, column, units)
                for (row, column), units in self.members.items()]

    def suppress(self, k: int = 5) -> Suppression:
        """Small-cell suppression of this table alone (:mod:`alspaincohort.disclosure`)."""
        dc = DisclosureControl(k)
        for c in self.count_cells():
            dc.add(c.table, c.row, c.column, c.units)
        return dc.suppress()

    def suppressed(self, suppression: Suppression, name: str = TABLE) -> TableOne:
        """This table showing the cells ``suppression`` (decided with the other tables of an
        output) leaves; its table name there is ``name``."""
        return replace(self, disclosure=suppression, cell_table=name)

    def display(self, suppress: bool = True, k: int = 5, decimals: int = 1,
                suppression: Suppression | None = None) -> pd.DataFrame:
        """The formatted table: one row per variable (and level), one column per group plus
        overall, SMD, p and test.

        Parameters
        ----------
        suppress : bool
            Hide small counts (module docstring); ``False`` shows every count.
        k : int
            Counts of 1 to k - 1 are small.
        decimals : int
            Decimals of summaries and percentages.
        suppression : Suppression, optional
            The cells to hide, decided with the other tables of an output
            (:mod:`alspaincohort.disclosure`); default: the one given to :meth:`suppressed`,
            else this table alone with ``k``.

        Returns
        -------
        DataFrame
            variable, level, overall, one column per group, smd, p, test.
        """
        if suppress and suppression is None:
            suppression = self.disclosure or self.suppress(k)
        hidden = (suppression.hidden_in(self.cell_table) if suppress and suppression is not None
                  else set())
        small = suppression.k if suppress and suppression is not None else 0
        t = self.table
        cols = ["overall", *self.groups]
        tests = self.tests.set_index("variable")
        rows = []
        for var, g in t.groupby("variable", sort=False):
            test = tests.loc[var] if var in tests.index else None
            stats_cells = {"smd": _fmt(test["smd"] if test is not None else np.nan, 3),
                           "p": _p(test), "test": test["test"] if test is not None else ""}
            summary = g["summary"].iloc[0]
            if summary == "n (%)":
                rows.append({"variable": var, "level": "", **dict.fromkeys(cols, ""),
                             **stats_cells})
                no_pct = {c for r, c in hidden if r.startswith(f"{var}: ")}
                for level, gl in g.groupby("level", sort=False):
                    cells = {}
                    for _, r in gl.iterrows():
                        if (f"{var}: {level}", r["column"]) in hidden:
                            cells[r["column"]] = SUPPRESSED
                        elif level == "missing" or r["column"] in no_pct:
                            cells[r["column"]] = str(int(r["count"]))
                        else:
                            cells[r["column"]] = (f"{int(r['count'])} "
                                                  f"({r['percent']:.{decimals}f})")
                    rows.append({"variable": "", "level": str(level), **cells, "smd": "",
                                 "p": "", "test": ""})
            else:
                cells = {}
                for _, r in g[g["level"] == ""].iterrows():
                    if r["n"] == 0:
                        cells[r["column"]] = "no values"
                    elif 0 < r["n"] < small:
                        cells[r["column"]] = SUPPRESSED
                    elif summary == "mean (SD)":
                        cells[r["column"]] = (f"{r['mean']:.{decimals}f} "
                                              f"({r['sd']:.{decimals}f})")
                    else:
                        cells[r["column"]] = (f"{r['median']:.{decimals}f} "
                                              f"[{r['q1']:.{decimals}f}, {r['q3']:.{decimals}f}]")
                rows.append({"variable": f"{var}, {summary}", "level": "", **cells,
                             **stats_cells})
                miss = g[g["level"] == "missing"]
                if len(miss) and miss["count"].sum() > 0:
                    mcells = {r["column"]: SUPPRESSED if (f"{var}: missing", r["column"])
                              in hidden else str(int(r["count"])) for _, r in miss.iterrows()}
                    rows.append({"variable": "", "level": "missing", **mcells, "smd": "",
                                 "p": "", "test": ""})
        head = {"variable": "n", "level": "",
                **{c: SUPPRESSED if ("n", c) in hidden else str(self.group_sizes[c])
                   for c in cols}, "smd": "", "p": "", "test": ""}
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
        # the sizes are in the table's "n" row, where they can be suppressed
        return f"Table 1 by {', '.join(self.groups)}" if self.groups else "Table 1"

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
    unit = (pd.Series([("patient", str(p)) for p in df["patient_id"]], index=df.index)
            if "patient_id" in df.columns else
            pd.Series([("row", i) for i in df.index], index=df.index))
    members: dict[tuple[str, str], frozenset[Any]] = {
        ("n", name): frozenset(unit.loc[sub.index]) for name, sub in columns}
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
            if df[var].isna().any():  # the missing row is shown
                members[(f"{var}: missing", name)] = frozenset(unit.loc[sub.index[
                    sub[var].isna().to_numpy()]])
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
                members[(f"{var}: {level}", name)] = frozenset(unit.loc[sv.index[
                    (sv == level).to_numpy()]])
                c = int((sv == level).sum())
                rows.append({"variable": var, "level": level, "column": name, "n": n,
                             "count": c, "percent": 100 * c / n if n else np.nan,
                             "summary": "n (%)"})
            rows.append({"variable": var, "level": "missing", "column": name, "n": len(sv),
                         "count": int(sv.isna().sum()), "percent": np.nan,
                         "summary": "n (%)"})
            members[(f"{var}: missing", name)] = frozenset(unit.loc[sv.index[
                sv.isna().to_numpy()]])
        if groups:
            tab = pd.crosstab(values, labels).reindex(index=levels, columns=groups, fill_value=0)
            tests.append(_categorical_test(var, tab))
    sizes = {"overall": len(df), **{g: int((labels == g).sum()) for g in groups}}
    return TableOne(pd.DataFrame(rows), pd.DataFrame(
        tests, columns=["variable", "test", "statistic", "p_value", "smd"]), groups, sizes,
        members)


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
