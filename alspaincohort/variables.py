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


#: Labels of variables (words with units) for tables and figures; ``table_one(labels=)`` and
#: similar arguments override them.
LABELS: dict[str, str] = {
    "age_at_onset": "Age at onset, years",
    "age_at_baseline": "Age at baseline, years",
    "diagnostic_delay_months": "Diagnostic delay, months",
    "disease_duration_months": "Disease duration at baseline, months",
    "alsfrs_r": "ALSFRS-R total (0-48)",
    "progression_rate": "Progression rate, ALSFRS-R points per month",
    "fvc_percent": "FVC, % predicted",
    "vas_pain": "Pain intensity, VAS (0-10)",
    "bpi_severity": "BPI pain severity (0-10)",
    "hads_d": "HADS depression (0-21)",
    "hads_a": "HADS anxiety (0-21)",
    "adi12": "ADI-12 (12-48)",
    "alsaq40": "ALSAQ-40 index (0-100)",
    "sex": "Sex",
    "onset_site": "Site of onset",
    "el_escorial": "El Escorial category",
    "kings_stage": "King's stage",
    "mitos_stage": "MiToS stage",
    "ftd": "Frontotemporal dementia",
    "c9orf72": "C9orf72 expansion",
    "pain": "Pain at baseline (VAS > 0)",
}

#: Labels of model terms: "per unit" wording for continuous terms (a coefficient is per unit).
TERM_LABELS: dict[str, str] = {
    "pain": "Pain, per VAS point (0-10)",
    "vas_pain": "Pain, per VAS point (0-10)",
    "alsfrs_r": "ALSFRS-R, per point",
    "alsaq40": "ALSAQ-40 index, per point",
    "intercept": "Intercept",
    "age_at_onset": "Age at onset, per year",
    "bulbar": "Bulbar onset",
    "diagnostic_delay_months": "Diagnostic delay, per month",
    "progression_rate": "Progression rate, per ALSFRS-R point/month",
    "fvc_percent": "FVC, per % predicted",
    "ftd": "Frontotemporal dementia",
    "definite_el_escorial": "Definite El Escorial",
    "hads_d": "HADS depression, per point",
}

#: Short names of variables and measures inside a sentence (headlines, captions).
SHORT_LABELS: dict[str, str] = {
    "vas_pain": "pain (VAS)", "nrs_pain": "pain (NRS)", "any_pain": "any pain",
    "alsaq40": "ALSAQ-40", "hads_d": "HADS-D", "hads_a": "HADS-A", "adi12": "ADI-12",
    "bdi2": "BDI-II", "alsfrs_r": "ALSFRS-R", "fvc_percent": "FVC % predicted",
    "bpi_severity": "BPI severity", "bpi_interference": "BPI interference",
    "age_at_onset": "age at onset", "diagnostic_delay_months": "diagnostic delay",
    "progression_rate": "progression rate", "definite_el_escorial": "definite El Escorial",
    "ftd": "FTD", "onset_site": "site of onset", "kings_stage": "King's stage",
    "mitos_stage": "MiToS stage", "el_escorial": "El Escorial category",
    "months_since_baseline": "months since baseline", "months_since_onset":
    "months since onset", "harrell_c": "Harrell's C", "uno_c": "Uno's C",
    "calibration_slope": "calibration slope", "observed_expected": "observed/expected",
    "proportion_mediated": "proportion mediated", "ols": "OLS", "gee": "GEE",
}
