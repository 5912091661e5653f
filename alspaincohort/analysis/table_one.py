"""Table 1: descriptive statistics of a cohort at baseline, overall and by group.

Rules (each labelled in the output):

- Continuous variables: median [IQR] by default, as gtsummary (``style="mean (SD)"`` for all,
  ``normal=`` / ``nonnormal=`` per variable); the summary never depends on a normality test, so
  a table does not change style as the cohort grows. Tests: Welch's t (2 groups) or one-way
  ANOVA for variables summarised as mean (SD), Mann-Whitney U or Kruskal-Wallis otherwise.
  A continuous variable must hold numbers (a text cell is an error, never coerced).
- Categorical variables: n (%) of non-missing, every level of a categorical column (and King's
  stages 1-4, MiToS stages 0-4) shown even when empty, as 0 (0.0); chi-square test without
  continuity correction, or Fisher's exact test for a 2 x 2 table with an expected count
  below 5. The grouping variable is not a row of its own table; patients without a group are
  left out and counted in a footnote.
- Labels: words with units for the standard variables (:data:`LABELS`), ``labels=`` for any.
- Exports: :meth:`TableOne.to_html`, ``to_latex`` (every cell escaped, so underscores compile),
  ``to_docx`` (Word, through python-docx), ``to_csv`` (formula-safe); each carries the footnotes.
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

import re
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..cohort import Cohort
from ..disclosure import SUPPRESSED, CountCell, DisclosureControl, Suppression
from ..errors import ModelDataError, ParameterError
from ..export import write_csv
from ..result import Result
from ..stats.group_tests import categorical_group_test, continuous_group_test
from ..validation import check_cohort
from ..variables import LABELS

DEFAULT_CONTINUOUS = ("age_at_onset", "diagnostic_delay_months", "disease_duration_months",
                      "alsfrs_r", "progression_rate", "fvc_percent", "vas_pain", "hads_d")
TABLE = "table_one"
DEFAULT_CATEGORICAL = ("sex", "onset_site", "el_escorial", "kings_stage", "mitos_stage")
STYLES = ("median [IQR]", "mean (SD)")
LEVEL_LABELS = {"el_escorial": {"probable_lab_supported": "probable, laboratory-supported"}}
KNOWN_LEVELS = {"kings_stage": ["1", "2", "3", "4"], "mitos_stage": ["0", "1", "2", "3", "4"]}


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
    labels : dict
        Variable -> the label shown.
    groupby : str or None
        The grouping variable.
    """

    table: pd.DataFrame
    tests: pd.DataFrame
    groups: list[str]
    group_sizes: dict[str, int]
    members: dict[tuple[str, str], frozenset[Any]] = field(default_factory=dict)
    disclosure: Suppression | None = None
    cell_table: str = TABLE
    labels: dict[str, str] = field(default_factory=dict)
    groupby: str | None = None
    _own: dict[int, Suppression] = field(default_factory=dict, repr=False, compare=False)

    def count_cells(self, name: str = TABLE) -> list[CountCell]:
        """Every count the formatted table shows, as :class:`~alspaincohort.disclosure.CountCell`
        (rows as :meth:`display` names them: "n", "<variable>: <level>")."""
        return [CountCell(name, row, column, units)
                for (row, column), units in self.members.items()]

    def suppress(self, k: int = 5) -> Suppression:
        """Small-cell suppression of this table alone (:mod:`alspaincohort.disclosure`),
        computed once per ``k`` (display, footnotes and exports share it)."""
        if k not in self._own:
            dc = DisclosureControl(k)
            for c in self.count_cells():
                dc.add(c.table, c.row, c.column, c.units)
            self._own[k] = dc.suppress()
        return self._own[k]

    def suppressed(self, suppression: Suppression, name: str = TABLE) -> TableOne:
        """This table showing the cells ``suppression`` (decided with the other tables of an
        output) leaves; its table name there is ``name``."""
        return replace(self, disclosure=suppression, cell_table=name)

    def _suppression(self, suppress: bool, k: int, suppression: Suppression | None
                     ) -> Suppression | None:
        if not suppress:
            return None
        return suppression or self.disclosure or self.suppress(k)

    def footnotes(self, suppress: bool = True, k: int = 5,
                  suppression: Suppression | None = None) -> list[str]:
        """What the table's reader must know: summaries, excluded patients, suppression."""
        sup = self._suppression(suppress, k, suppression)
        hidden = sup.hidden_in(self.cell_table) if sup is not None else set()
        styles = sorted(set(self.table["summary"]) - {"n (%)"})
        text = "; ".join([*styles, "n (%) of patients with a value"]) + "."
        notes = [text[0].upper() + text[1:]]
        excluded = self.members.get(("excluded", "overall"), frozenset())
        if excluded:
            what = self.labels.get(str(self.groupby), str(self.groupby))
            count = ("a small number of patients (count suppressed)"
                     if ("excluded", "overall") in hidden else f"{len(excluded)} patient(s)")
            notes.append(f"Not in the table: {count} without a value of {what}.")
        if hidden:
            notes.append(sup.note() if sup is not None else "")
        return notes

    def display(self, suppress: bool = True, k: int = 5, decimals: int = 1,
                suppression: Suppression | None = None, raw_names: bool = False
                ) -> pd.DataFrame:
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
        raw_names : bool
            Variable and level names as in the data instead of their labels.

        Returns
        -------
        DataFrame
            variable, level, overall, one column per group, smd, p, test.
        """
        suppression = self._suppression(suppress, k, suppression)
        hidden = suppression.hidden_in(self.cell_table) if suppression is not None else set()
        small = suppression.k if suppression is not None else 0

        def name(var: str) -> str:
            return var if raw_names else self.labels.get(var, var)

        def level_name(var: str, level: str) -> str:
            return level if raw_names else LEVEL_LABELS.get(var, {}).get(level, level)

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
                rows.append({"variable": name(var), "level": "", **dict.fromkeys(cols, ""),
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
                    rows.append({"variable": "", "level": level_name(var, str(level)), **cells,
                                 "smd": "", "p": "", "test": ""})
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
                rows.append({"variable": f"{name(var)}, {summary}", "level": "", **cells,
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

    def headed(self, **kw: Any) -> pd.DataFrame:
        """:meth:`display` with the headers a paper prints (Characteristic, Overall, the
        group names capitalised, SMD, p, Test); with ``raw_names=True`` the column names."""
        d = self.display(**kw)
        if not kw.get("raw_names"):
            heads = {"variable": "Characteristic", "level": "", "overall": "Overall",
                     "smd": "SMD", "p": "p", "test": "Test"}
            d.columns = [heads.get(c, c[:1].upper() + c[1:]) for c in map(str, d.columns)]
        return d

    def to_html(self, readable: bool = True, caption: str = "Table 1. Baseline characteristics",
                **kw: Any) -> str:
        """The formatted table as an HTML fragment with its caption and footnotes (``kw`` as
        :meth:`display`; ``readable=False`` keeps variable names and column names)."""
        import html as html_

        kw.setdefault("raw_names", not readable)
        notes = "".join(f"<p><small>{html_.escape(n)}</small></p>" for n in self.footnotes(
            **_suppression_kw(kw)))
        body = self.headed(**kw).to_html(index=False, escape=True, border=0, classes="t")
        head = f"<p><b>{html_.escape(caption)}</b></p>" if caption else ""
        return f"{head}{body}{notes}"

    def to_latex(self, caption: str = "Baseline characteristics", label: str = "tab:table1",
                 **kw: Any) -> str:
        """The formatted table as a LaTeX ``table`` (booktabs rules; every name and cell
        escaped, so ``diagnostic_delay_months`` or "n (%)" compile), footnotes below it."""
        d = self.headed(**kw)
        d.columns = [str(c) for c in d.columns]
        notes = " ".join(_latex_escape(n) for n in self.footnotes(**_suppression_kw(kw)))
        styler = d.style.hide(axis="index").format(escape="latex").format_index(
            escape="latex", axis=1)
        tex = styler.to_latex(caption=_latex_escape(caption), label=label, hrules=True,
                              position="htbp", position_float="centering", environment="table")
        return tex.replace("\\end{table}", f"\\par\\footnotesize {notes}\n\\end{{table}}")

    def to_docx(self, path: str | Path, caption: str = "Table 1. Baseline characteristics",
                **kw: Any) -> Path:
        """Write the formatted table to a Word document (python-docx): caption, table with a
        header row, footnotes."""
        from docx import Document
        from docx.shared import Pt

        d = self.headed(**kw)
        doc = Document()
        doc.add_paragraph().add_run(caption).bold = True
        table = doc.add_table(rows=1, cols=len(d.columns))
        table.style = "Table Grid"
        for cell, text in zip(table.rows[0].cells, d.columns, strict=True):
            cell.text = str(text)
        for row in d.itertuples(index=False):
            for cell, text in zip(table.add_row().cells, row, strict=True):
                cell.text = str(text)
        for note in self.footnotes(**_suppression_kw(kw)):
            doc.add_paragraph().add_run(note).font.size = Pt(8)
        path = Path(path)
        doc.save(str(path))
        return path

    def to_csv(self, path: str | Path, **kw: Any) -> Path:
        """The formatted table as a formula-safe CSV (footnotes as the last rows)."""
        d = self.display(**kw)
        notes = pd.DataFrame({"variable": self.footnotes(**_suppression_kw(kw))})
        write_csv(pd.concat([d, notes], ignore_index=True).fillna(""), path)
        return Path(path)

    def headline(self) -> str:
        # the sizes are in the table's "n" row, where they can be suppressed
        if self.groupby is None:
            return "Table 1: baseline characteristics"
        return (f"Table 1: baseline characteristics by "
                f"{self.labels.get(self.groupby, self.groupby)}")

    def sections(self) -> list[tuple[str, pd.DataFrame]]:
        return [("", self.display())]

    @property
    def notes(self) -> list[str]:
        """The footnotes (what ``print`` shows under the table)."""
        return self.footnotes()

    def plot(self, ax: Any = None) -> Any:
        """The formatted table as a figure (:func:`alspaincohort.plots.table_figure`)."""
        from ..plots import table_figure

        return table_figure(self.display(), ax=ax)


def _suppression_kw(kw: dict[str, Any]) -> dict[str, Any]:
    return {key: kw[key] for key in ("suppress", "k", "suppression") if key in kw}


_LATEX = {"\\": r"\textbackslash{}", "&": r"\&", "%": r"\%", "$": r"\$", "#": r"\#",
          "_": r"\_", "{": r"\{", "}": r"\}", "~": r"\textasciitilde{}",
          "^": r"\textasciicircum{}"}


def _latex_escape(text: str) -> str:
    """LaTeX's special characters escaped in one pass (so an inserted brace is not escaped)."""
    return re.sub(r"[\\&%$#_{}~^]", lambda m: _LATEX[m.group(0)], str(text))


def _fmt(x: float, d: int) -> str:
    return "" if x is None or x != x else f"{x:.{d}f}"


def _p(test: Any) -> str:
    from ..formatting import format_p_cell

    return "" if test is None else format_p_cell(test["p_value"])


def table_one(data: Cohort | pd.DataFrame, groupby: str | None = None,
              continuous: Sequence[str] | None = None,
              categorical: Sequence[str] | None = None,
              normal: Sequence[str] = (), nonnormal: Sequence[str] = (),
              style: str = "median [IQR]", labels: dict[str, str] | None = None) -> TableOne:
    """Table 1 of a cohort's baseline (or of any DataFrame).

    Parameters
    ----------
    data : Cohort or DataFrame
        A cohort (its baseline() table is summarised) or one row per patient.
    groupby : str, optional
        A column; for a Cohort, "pain" groups by baseline VAS > 0 ("pain" / "no pain").
        Patients without a value are left out and counted in a footnote.
    continuous, categorical : sequence of str, optional
        The variables; default the main baseline() columns present (the grouping variable is
        never one of them).
    normal : sequence of str
        Continuous variables summarised as mean (SD) and tested with t / ANOVA.
    nonnormal : sequence of str
        Continuous variables summarised as median [IQR] and tested with rank tests.
    style : {"median [IQR]", "mean (SD)"}
        The summary of every other continuous variable (default median [IQR], as gtsummary).
    labels : dict, optional
        Variable -> label (words with units), over the built-in :data:`LABELS`.

    Returns
    -------
    TableOne
        ``table``: tidy numbers (variable, level, column, n, count, percent, mean, sd, median,
        q1, q3, summary); ``tests`` (variable, test, statistic, p_value, smd); ``display()``, the
        formatted table with small counts suppressed (what ``print`` shows: variable, level,
        overall, one column per group, smd, p, test); ``footnotes()``; ``to_html``,
        ``to_latex``, ``to_docx``, ``to_csv``.

    Examples
    --------
    >>> from alspaincohort import simulate_cohort
    >>> t = table_one(simulate_cohort(300, seed=1), groupby="sex")
    >>> t.groups
    ['female', 'male']
    >>> t.display().loc[1, "variable"]
    'Age at onset, years, median [IQR]'
    """
    if isinstance(data, Cohort):
        # patients and their comparators side by side only (groupby="group"), never mixed
        check_cohort(data, "data", comparators=groupby == "group")
        df = data.baseline()
    elif isinstance(data, pd.DataFrame):
        df = data.copy()
    else:
        raise ParameterError(f"data must be a Cohort or a DataFrame, not {type(data).__name__}")
    if len(df) == 0:
        raise ModelDataError("table_one: the data have no rows (no patients)")
    if style not in STYLES:
        raise ParameterError(f"style must be one of {STYLES}, not {style!r}")
    if labels is not None and not (isinstance(labels, dict) and all(
            isinstance(k, str) and isinstance(v, str) for k, v in labels.items())):
        raise ParameterError("labels must map variable names (str) to labels (str)")
    if groupby == "pain" and "pain" not in df.columns:
        pain = pd.Series(np.where(df["vas_pain"] > 0, "pain", "no pain"), index=df.index)
        df["pain"] = pain.where(df["vas_pain"].notna())
    for arg, given in (("continuous", continuous), ("categorical", categorical)):
        unknown = [c for c in (given or ()) if c not in df.columns]
        if unknown:
            raise ParameterError(f"{arg}: unknown column(s) {unknown}; the data have "
                                 f"{sorted(map(str, df.columns))}")
    cont = [c for c in (continuous or DEFAULT_CONTINUOUS) if c in df.columns and c != groupby]
    cat = [c for c in (categorical or DEFAULT_CATEGORICAL) if c in df.columns and c != groupby]
    for var in cont:
        _check_numeric(df[var], var)
    unit = (pd.Series([("patient", str(p)) for p in df["patient_id"]], index=df.index)
            if "patient_id" in df.columns else
            pd.Series([("row", i) for i in df.index], index=df.index))
    members: dict[tuple[str, str], frozenset[Any]] = {}
    if groupby is not None:
        if groupby not in df.columns:
            raise ParameterError(f"groupby column {groupby!r} not in the data")
        members[("excluded", "overall")] = frozenset(unit[df[groupby].isna().to_numpy()])
        df = df[df[groupby].notna()]
        if len(df) == 0:
            raise ModelDataError(f"table_one: no patient has a value of groupby {groupby!r}")
        groups = [str(g) for g in sorted(df[groupby].astype(str).unique())]
        group = df[groupby].astype(str)
    else:
        groups, group = [], pd.Series("overall", index=df.index)
    columns = [("overall", df)] + [(g, df[group == g]) for g in groups]
    members.update({("n", name): frozenset(unit.loc[sub.index]) for name, sub in columns})
    rows, tests = [], []
    for var in cont:
        x = df[var].astype(float)
        is_normal = var in normal or (style == "mean (SD)" and var not in nonnormal)
        summary = "mean (SD)" if is_normal else "median [IQR]"
        for name, sub in columns:
            v = x.loc[sub.index].dropna()
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
            samples = [x.loc[group.index[group == g]].dropna().to_numpy(float) for g in groups]
            tests.append(_continuous_test(var, samples, is_normal))
    for var in cat:
        values = df[var].astype(object).where(df[var].notna())
        values = values.map(lambda v: str(int(v)) if isinstance(v, float) and v == v and
                            float(v).is_integer() else (str(v) if v is not None and v == v
                                                        else None))
        levels = _levels(df[var], var, values)
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
            tab = pd.crosstab(values, group).reindex(index=levels, columns=groups, fill_value=0)
            tests.append(_categorical_test(var, tab))
    sizes = {"overall": len(df), **{g: int((group == g).sum()) for g in groups}}
    return TableOne(pd.DataFrame(rows), pd.DataFrame(
        tests, columns=["variable", "test", "statistic", "p_value", "smd"]), groups, sizes,
        members, labels={**LABELS, **(labels or {})}, groupby=groupby)


def _check_numeric(col: pd.Series, var: str) -> None:
    """A continuous variable holds numbers (or missing values): never a coerced text."""
    if pd.api.types.is_bool_dtype(col.dtype) or not (
            pd.api.types.is_numeric_dtype(col.dtype) or col.dtype == object):
        raise ParameterError(f"continuous variable {var!r} must hold numbers, not "
                             f"{col.dtype} values")
    if col.dtype != object:
        values = col.to_numpy(dtype=float, na_value=np.nan)
        bad = np.flatnonzero(np.isinf(values))
        if bad.size:
            raise ParameterError(f"continuous variable {var!r}: row {bad[0]} holds "
                                 f"{values[bad[0]]}, not a finite number")
        return
    for pos, v in enumerate(col.to_numpy()):
        if v is None or (isinstance(v, float) and v != v):
            continue
        if isinstance(v, bool) or not isinstance(v, (int, float, np.integer, np.floating)) \
                or not np.isfinite(v):
            raise ParameterError(f"continuous variable {var!r}: row {pos} holds {v!r}, "
                                 "not a finite number")


def _levels(col: pd.Series, var: str, values: pd.Series) -> list[str]:
    """Every level to show: a categorical column's categories (in their order), the known
    stages, then any other value seen (sorted)."""
    if isinstance(col.dtype, pd.CategoricalDtype):
        declared = [str(c) for c in col.cat.categories]
    else:
        declared = list(KNOWN_LEVELS.get(var, []))
    seen = sorted(set(values.dropna()) - set(declared), key=str)
    return declared + seen


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
