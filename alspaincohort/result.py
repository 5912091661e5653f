"""The one shape every analysis returns.

A :class:`Result` has

- ``table``: a tidy DataFrame, the main numbers (its columns are documented by each analysis);
- ``notes``: what the user must know about the rows (patients left out and why, terms that
  could not be estimated), never silently;
- ``models``: the fitted :mod:`alspaincohort.stats` models it used, by name;
- ``headline()``: one line saying what was estimated;
- ``summary()`` / ``str(result)``: the headline, the tables and the notes as text (what
  ``print(result)`` shows); ``to_html()`` (and ``_repr_html_``): the same in a notebook;
- ``to_frame()``: a copy of ``table``;
- ``plot(ax=None)``: the result's figure on ``ax`` (a new figure when omitted), returning the
  Axes; the package's style is applied as a context, the user's matplotlib settings are never
  changed;
- ``count_cells(name)`` / ``suppressed(suppression, name)``: the counts of patients it shows,
  and itself with small cells hidden, so that an output suppresses every table together
  (:mod:`alspaincohort.disclosure`).

Analyses subclass it (as dataclasses with ``repr=False``) and say what is special through
:meth:`Result.headline`, :meth:`Result.sections` (further tables to show) and
:meth:`Result.plot`. :mod:`alspaincohort.report` and :mod:`alspaincohort.simulation` consume this
shape only.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import pandas as pd

from .errors import ParameterError


class Result:
    """Base of the analyses' results (see the module docstring)."""

    table: pd.DataFrame

    # ------------------------------------------------------------------------------------------
    def headline(self) -> str:
        """One line: what was estimated, on whom."""
        return f"{type(self).__name__}: {len(self.table)} row(s)"

    def sections(self) -> list[tuple[str, pd.DataFrame]]:
        """The tables shown by :meth:`summary` and in a notebook: (caption, frame) pairs, the
        main ``table`` first."""
        return [("", self.table)]

    def _notes(self) -> list[str]:
        notes = getattr(self, "notes", None)
        return list(notes) if notes else []

    @property
    def models(self) -> dict[str, Any]:
        """The fitted models this result holds, by name: the entries of its ``fits`` dict and
        every attribute holding a fitted model (ours, or a statsmodels results object)."""
        out: dict[str, Any] = {}
        for name, value in vars(self).items():
            if name == "fits" and isinstance(value, dict):
                out.update(value)
            elif _is_model(value):
                out[name] = value
        return out

    def to_frame(self) -> pd.DataFrame:
        """A copy of ``table``."""
        return self.table.copy()

    # ------------------------------------------------------------------------------------------
    def count_cells(self, name: str) -> list[Any]:
        """The counts of patients (or visits) this result shows, as
        :class:`~alspaincohort.disclosure.CountCell` of table ``name``, for small-cell
        suppression across an output (:mod:`alspaincohort.disclosure`); none by default
        (estimates only)."""
        return []

    def suppressed(self, suppression: Any, name: str) -> Result:
        """This result as an output shows it once ``suppression`` (decided over every table of
        the output) is applied to its cells of table ``name``; itself when it shows no counts."""
        return self

    def _blank_hidden_rows(self, suppression: Any, name: str, keys: pd.Series,
                           columns: Sequence[str], **changes: Any) -> Any:
        """For :meth:`suppressed`: a copy (``dataclasses.replace``, with ``changes``) whose rows
        holding a hidden cell of table ``name`` (rows named by ``keys``, aligned with
        ``table``) show NaN in ``columns``, with a note naming them; itself when none is
        hidden."""
        rows = {r for r, _ in suppression.hidden_in(name)}
        hide = keys.astype(str).isin(rows).to_numpy()
        if not hide.any():
            return self
        t = self.table.copy()
        cols = list(columns)
        t[cols] = t[cols].astype(float)
        t.loc[hide, cols] = np.nan
        shown = ", ".join(map(str, keys[hide]))
        return replace(self, table=t,  # type: ignore[type-var]
                       notes=[*self._notes(), f"{shown}: {suppression.note()}"], **changes)

    def plot(self, ax: Any = None) -> Any:
        """The result's figure (subclasses draw it); returns the Axes."""
        raise ParameterError(f"{type(self).__name__} has no figure; its numbers are in .table")

    # ------------------------------------------------------------------------------------------
    def summary(self, decimals: int = 3) -> str:
        """Headline, tables and notes as text."""
        lines = [self.headline()]
        for caption, frame in self.sections():
            lines.append("")
            if caption:
                lines.append(caption)
            lines.append(_text(frame, decimals))
        if self._notes():
            lines.append("")
            lines += [f"note: {n}" for n in self._notes()]
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.summary()

    def __repr__(self) -> str:
        return f"<{type(self).__name__}: {self.headline()}>"

    def _repr_html_(self) -> str:
        return Result.to_html(self)  # the whole result, even where a subclass exports less

    def to_html(self, readable: bool = False) -> str:
        """Headline, tables and notes as an HTML fragment (what a notebook shows).

        Parameters
        ----------
        readable : bool
            Tables as a reader sees them (:func:`alspaincohort.formatting.readable_table`:
            words for headers and terms, "estimate (CI)" columns, p-values as journals print
            them); default the tables as they are, at 4 significant digits.
        """
        from .formatting import readable_table, readable_text

        tell = readable_text if readable else str
        parts = [f"<p><b>{html.escape(tell(self.headline()))}</b></p>"]
        for caption, frame in self.sections():
            if caption:
                parts.append(f"<p>{html.escape(tell(caption))}</p>")
            if readable:
                frame, notes = readable_table(frame, getattr(self, "level", 0.95))
                parts.append(frame.to_html(index=False, na_rep="", border=0, classes="t"))
                parts += [f"<p class='small'>{html.escape(n)}</p>" for n in notes]
            else:
                parts.append(frame.to_html(index=False, na_rep="",
                                           float_format=lambda x: f"{x:.4g}"))
        parts += [f"<p><i>note: {html.escape(tell(n))}</i></p>" for n in self._notes()]
        return "\n".join(parts)


def _is_model(value: Any) -> bool:
    """A fitted model: ours (``params_``) or a statsmodels results object (``params``,
    ``bse``)."""
    return hasattr(value, "params_") or (hasattr(value, "params") and hasattr(value, "bse"))


def _text(frame: pd.DataFrame, decimals: int) -> str:
    if frame.empty:
        return "(no rows)"
    num = frame.select_dtypes("number").columns
    return frame.round({c: decimals for c in num}).to_string(index=False, na_rep="")


@dataclass(repr=False)
class RatioResult(Result):
    """A table of ratios (odds or hazard ratios) with confidence limits, one row per term.

    Attributes
    ----------
    table : DataFrame
        One row per term; the columns are documented by the analysis that made it.
    title : str
        The headline.
    ratio : tuple of str
        Columns of the ratio and its lower and upper confidence limits.
    label : tuple of str
        Columns that name a row in the figure (e.g. ("term",) or ("landmark_months", "term")).
    notes : list of str
    fits : dict
        The fitted models, by name.
    """

    table: pd.DataFrame
    title: str
    ratio: tuple[str, str, str]
    label: Sequence[str]
    notes: list[str] = field(default_factory=list)
    fits: dict[str, Any] = field(default_factory=dict)

    def headline(self) -> str:
        return self.title

    def plot(self, ax: Any = None) -> Any:
        """Forest plot of the ratios on a log axis (:func:`alspaincohort.plots.ratio_plot`)."""
        from .plots import ratio_plot

        return ratio_plot(self.table, *self.ratio, label=self.label, ax=ax)
