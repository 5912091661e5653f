"""Numbers, p-values and names as a paper prints them.

One place for the rules every output shares: p-values as journals print them ("p < 0.001",
never "p = 0.000"), estimates to three significant digits without "-0.000", confidence
intervals with enough decimals that the two limits differ ("0.091 to 0.102", never "0.10 to
0.10"), and code names (``vas_pain``, ``hr_ci_low``) turned into words with units.

:func:`readable_table` turns a result table into the table a reader sees; :meth:`Result.to_html`
uses it with ``readable=True`` (the HTML report does). The result tables themselves keep code
names and full precision: they are data for the next computation.
"""

from __future__ import annotations

import functools
import math
import re
from typing import Any

import numpy as np
import pandas as pd

from .variables import LABELS, SHORT_LABELS, TERM_LABELS

#: Column name -> header a reader sees.
COLUMN_LABELS: dict[str, str] = {
    "estimate": "Estimate", "std_error": "SE", "statistic": "Statistic", "z": "z", "t": "t",
    "df": "df", "p_value": "p", "test_p_value": "p (test)", "n": "n",
    "n_patients": "Patients", "patients": "Patients", "events": "Events", "cases": "With pain",
    "prevalence": "Prevalence", "proportion": "Proportion", "stratum": "Group",
    "group": "Group", "term": "Term", "model": "Model", "method": "Method", "test": "Test",
    "effect": "Effect", "metric": "Measure", "time": "Time, months", "chisq": "χ²",
    "hazard_ratio": "Hazard ratio", "odds_ratio": "Odds ratio", "weight": "Weight, %",
    "study": "Study", "variable": "Variable", "level": "Level", "k": "Studies", "i2": "I², %",
    "change_pct": "Change in the pain estimate from the model above, %",
    "base": "Base model", "full": "With pain", "difference": "Difference",
    "base_corrected": "Base model, optimism-corrected",
    "full_corrected": "With pain, optimism-corrected",
    "difference_corrected": "Difference, optimism-corrected", "n_boot": "Bootstrap replicates",
    "definition": "Definition", "by": "By", "measure": "Measure", "value": "Value",
}

#: (estimate, lower, upper) columns printed as one "estimate (lower to upper)" column.
INTERVALS: tuple[tuple[str | None, str, str], ...] = (
    ("hazard_ratio", "hr_ci_low", "hr_ci_high"), ("odds_ratio", "or_ci_low", "or_ci_high"),
    ("difference_corrected", "difference_ci_low", "difference_ci_high"),
    ("estimate", "ci_low", "ci_high"), ("prevalence", "ci_low", "ci_high"),
    ("proportion", "ci_low", "ci_high"), (None, "bca_low", "bca_high"),
)

#: Columns of analysis-scale internals that a reader's table leaves out.
INTERNAL = ("yi", "vi")

P_COLUMNS = ("p_value", "test_p_value", "q_pvalue")

_CODE = re.compile(r"\b[a-z][a-z0-9]*(?:_[a-z0-9]+)+\b|\b(?:alsaq40|adi12|bdi2|ftd|ols|gee)\b")


def format_p(p: float | None, prefix: str = "p ") -> str:
    """A p-value as journals print it: "p < 0.001", three decimals below 0.01 ("p = 0.004"),
    two above ("p = 0.43"); never "0.000".

    Examples
    --------
    >>> format_p(0.000173), format_p(0.0043), format_p(0.0123), format_p(0.4321)
    ('p < 0.001', 'p = 0.004', 'p = 0.01', 'p = 0.43')
    """
    if p is None or not np.isfinite(p):
        return f"{prefix}= NA"
    return prefix + format_p_cell(p, equals="= ")


def format_p_cell(p: float | None, equals: str = "") -> str:
    """A p-value for a table cell, by the rules of :func:`format_p` without "p": "< 0.001",
    "0.004", "0.43"; empty when missing.

    Examples
    --------
    >>> format_p_cell(0.000173), format_p_cell(0.0043), format_p_cell(0.4321)
    ('< 0.001', '0.004', '0.43')
    """
    if p is None or not np.isfinite(p):
        return ""
    if p < 0.001:
        return "< 0.001"
    if p < 0.01:
        return f"{equals}{p:.3f}"
    return f"{equals}{p:.2f}"


def _decimals(x: float, digits: int) -> int:
    if x == 0 or not np.isfinite(x):
        return 0
    return int(min(6, max(0, digits - 1 - math.floor(math.log10(abs(x))))))


def _fixed(x: float, decimals: int) -> str:
    s = f"{x:,.{decimals}f}"
    if float(s.replace(",", "")) == 0:
        return "0" if decimals == 6 else s.lstrip("-")  # below the printed precision: 0
    return s


def format_number(x: Any, digits: int = 3) -> str:
    """A number to ``digits`` significant digits in fixed notation (at most 6 decimals,
    thousands separated, never "-0.000"); empty when missing.

    Examples
    --------
    >>> format_number(0.09135), format_number(2.4849), format_number(-4e-14), format_number(2556)
    ('0.0914', '2.48', '0', '2,556')
    """
    if x is None or not np.isfinite(float(x)):
        return ""
    x = float(x)
    return _fixed(x, _decimals(x, digits))


def format_interval(estimate: float | None, low: float, high: float, digits: int = 3) -> str:
    """"estimate (low to high)" with one number of decimals for all three: ``digits``
    significant digits of the largest, more where the limits would otherwise print the same.

    Examples
    --------
    >>> format_interval(0.0914, 0.0808, 0.1019)
    '0.091 (0.081 to 0.102)'
    >>> format_interval(0.1, 0.0998, 0.1004)
    '0.1000 (0.0998 to 0.1004)'
    >>> format_interval(None, -0.5, 1.25)
    '-0.50 to 1.25'
    """
    values = [v for v in (estimate, low, high) if v is not None and np.isfinite(v)]
    if not np.isfinite([low, high]).all():
        return "" if estimate is None else format_number(estimate, digits)
    d = _decimals(max(abs(v) for v in values) or 1.0, digits)
    while _fixed(low, d) == _fixed(high, d) and low != high and d < 8:
        d += 1
    ci = f"{_fixed(low, d)} to {_fixed(high, d)}"
    return ci if estimate is None else f"{_fixed(estimate, d)} ({ci})"


def readable_name(name: Any, terms: bool = False) -> str:
    """Words for a code name: a model term (``terms=True``: "per unit" wording, interactions
    as "A × B"), or a variable; anything else with its code names replaced
    (:func:`readable_text`)."""
    s = str(name)
    if terms and ":" in s:
        return " × ".join(readable_name(p, True) for p in s.split(":"))
    table = {**LABELS, **TERM_LABELS} if terms else LABELS
    return table.get(s, readable_text(s))


def _cell(value: Any, column: str) -> str:
    """A text cell: model terms and variables by their labels, other text with its code
    names in words."""
    if value is None or value != value:
        return ""
    if column in ("term", "variable"):
        return readable_name(value, terms=column == "term")
    return readable_text(str(value))


def _whole(s: pd.Series) -> bool:
    v = s.to_numpy(float)
    v = v[np.isfinite(v)]
    return bool(len(v)) and bool(np.all(v == np.round(v))) and bool(np.all(np.abs(v) < 1e15))


def readable_text(text: str) -> str:
    """A sentence with its code names in words ("vas_pain -> alsaq40 (ols)" -> "pain (VAS)
    → ALSAQ-40 (OLS)").

    Examples
    --------
    >>> readable_text("vas_pain -> alsaq40, with and without hads_d (ols; 600 rows)")
    'pain (VAS) → ALSAQ-40, with and without HADS-D (OLS; 600 rows)'
    """
    out = _CODE.sub(lambda m: SHORT_LABELS.get(m.group(0), m.group(0).replace("_", " ")),
                    str(text))
    return out.replace("->", "→")


def readable_table(frame: pd.DataFrame, level: float = 0.95) -> tuple[pd.DataFrame, list[str]]:
    """The table a reader sees: words for headers and terms, one "estimate (CI)" column per
    interval, p-values as journals print them, three significant digits.

    Parameters
    ----------
    frame : DataFrame
        A result table (code names, full precision).
    level : float
        Confidence level named in the interval headers.

    Returns
    -------
    (DataFrame, list of str)
        The table, every cell a string; and notes: text columns with one value in every row
        (e.g. "Method: wilson") are taken out of the table and returned as notes.

    Examples
    --------
    >>> t = pd.DataFrame({"term": ["vas_pain"], "estimate": [0.1011], "ci_low": [0.0603],
    ...                   "ci_high": [0.1419], "p_value": [1.2e-6]})
    >>> shown, notes = readable_table(t)
    >>> list(shown.columns), shown.iloc[0].tolist()
    (['Term', 'Estimate (95% CI)', 'p'], ['Pain, per VAS point (0-10)', '0.101 (0.060 to 0.142)', '< 0.001'])
    """
    d = frame.drop(columns=[c for c in INTERNAL if c in frame.columns])
    notes: list[str] = []
    if len(d) > 1:
        for c in list(d.columns):
            col = d[c]
            if not pd.api.types.is_numeric_dtype(col) and col.nunique(dropna=False) == 1 \
                    and c not in ("term", "model", "group", "stratum", "study"):
                notes.append(f"{COLUMN_LABELS.get(c, readable_text(c))}: "
                             f"{readable_text(col.iloc[0])}")
                d = d.drop(columns=c)
    lv = f"{100 * level:g}% CI"
    out: dict[str, pd.Series] = {}
    done: set[str] = set()
    for col in d.columns:
        if col in done:
            continue
        for est, lo, hi in INTERVALS:
            if col in (est, lo) and lo in d and hi in d and (est is None or est in d) \
                    and lo not in done:
                head = COLUMN_LABELS.get(est, est) if est else "BCa"
                out[f"{head} ({lv})" if est else f"BCa {lv}"] = pd.Series([
                    format_interval(None if est is None else r[0], r[-2], r[-1])
                    for r in d[[c for c in (est, lo, hi) if c]].to_numpy(float)],
                    index=d.index)
                done.update(c for c in (est, lo, hi) if c)
                break
        if col in done:
            continue
        done.add(col)
        s = d[col]
        header = COLUMN_LABELS.get(col) or (lambda t: t[:1].upper() + t[1:])(readable_text(col))
        if col in P_COLUMNS:
            out[header] = s.map(lambda p: format_p_cell(float(p)) if pd.notna(p) else "")
        elif pd.api.types.is_bool_dtype(s):
            out[header] = s.map(lambda v: "yes" if v else "no")
        elif pd.api.types.is_integer_dtype(s) or (pd.api.types.is_float_dtype(s) and _whole(s)):
            out[header] = s.map(lambda v: f"{int(v):,}" if pd.notna(v) else "")
        elif pd.api.types.is_numeric_dtype(s):
            out[header] = s.map(format_number)
        else:
            out[header] = s.map(functools.partial(_cell, column=col))
    return pd.DataFrame(out, index=d.index).reset_index(drop=True), notes
