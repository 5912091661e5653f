"""Names of analysis variables: the one place they are resolved.

An analysis variable is either a *visit score* (an instrument score or item measured at visits,
e.g. ``vas_pain`` or ``hads_d``), or a *patient variable* (a column of
:meth:`alspaincohort.Cohort.baseline`, e.g. ``age_at_onset`` or ``onset_site``), or one of the
two *derived indicators* (``bulbar``, ``definite_el_escorial``). Every analysis resolves the
names users pass through :func:`canonical` (``"age"`` means ``age_at_onset`` everywhere) and
finds a visit score's instrument and item through :func:`visit_score`.

Examples
--------
>>> canonical("age")
'age_at_onset'
>>> visit_score("hads_d")
('hads', 'd')
>>> visit_score("fvc")  # an instrument of the assessments table: its total
('fvc', 'total')
"""

from __future__ import annotations

#: Visit scores: name -> (instrument, item) in the assessments table.
VISIT_SCORES: dict[str, tuple[str, str]] = {
    "alsaq40": ("alsaq40", "summary_index"),
    "vas_pain": ("vas_pain", "total"),
    "nrs_pain": ("nrs_pain", "total"),
    "bpi_severity": ("bpi", "severity"),
    "bpi_interference": ("bpi", "interference"),
    "hads_d": ("hads", "d"),
    "hads_a": ("hads", "a"),
    "adi12": ("adi12", "total"),
    "bdi2": ("bdi2", "total"),
    "alsfrs_r": ("alsfrs_r", "total"),
    "fvc_percent": ("fvc", "percent_predicted"),
}

#: The visit scores :meth:`alspaincohort.Cohort.baseline` holds as columns (value at baseline).
BASELINE_SCORES: tuple[str, ...] = ("alsfrs_r", "fvc_percent", "vas_pain", "bpi_severity",
                                    "hads_d", "hads_a", "adi12", "alsaq40")

#: Other names accepted for a variable.
ALIASES: dict[str, str] = {"age": "age_at_onset"}

#: 0/1 indicators derived from baseline columns: name -> (column, level meaning 1).
DERIVED_INDICATORS: dict[str, tuple[str, str]] = {
    "bulbar": ("onset_site", "bulbar"),
    "definite_el_escorial": ("el_escorial", "definite"),
}


def canonical(name: str) -> str:
    """The variable's canonical name (aliases resolved)."""
    return ALIASES.get(name, name)


def visit_score(name: str) -> tuple[str, str]:
    """(instrument, item) of a visit score; any other name is taken as an instrument of the
    assessments table and its ``total``."""
    name = canonical(name)
    return VISIT_SCORES.get(name, (name, "total"))
