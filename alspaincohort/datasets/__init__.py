"""Bundled literature tables, listed with descriptions and references in ``manifest.csv``."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

HERE = Path(__file__).resolve().parent


def manifest() -> pd.DataFrame:
    """The datasets manifest: dataset, file, loader, description, references."""
    return pd.read_csv(HERE / "manifest.csv")


def load_pain_prevalence_studies(include_unverified: bool = False) -> pd.DataFrame:
    """Published prevalence of pain in ALS, one row per study (``docs/sources.md`` section 4).

    Parameters
    ----------
    include_unverified : bool
        Also return studies whose attribution is unverified (``attribution == "unverified"``:
        today the 424-patient survey cited as reference 17 of Chiò 2017, whose attribution to
        Stephens 2016 could not be checked). They are left out by default so that the default
        pooled analysis rests only on studies that can be traced.

    Returns
    -------
    DataFrame
        One row per study: study (label), author, year, n, events (patients with pain),
        percent_reported (the published percentage when the count is derived from it),
        count_source ("reported" or "derived": round(n x percent / 100), halves to even),
        design (as the title or the tabulating review states it; "not recorded" otherwise),
        design_source (where the design was read), setting, instrument, attribution
        ("primary": the paper or its abstract; "review table": as tabulated in the review in
        Behav Neurol 2016; "unverified"), source (where n, events, setting and instrument were
        read), note.

    Notes
    -----
    Compare pooled results with Hurwitz 2021 (ALSFTD 22:449): 21 studies, pooled 60% (95% CI
    50-69%), I^2 = 94% (:data:`alspaincohort.analysis.meta_prevalence.HURWITZ_2021`).

    Examples
    --------
    >>> studies = load_pain_prevalence_studies()
    >>> bool((studies.attribution != "unverified").all())
    True
    """
    table = pd.read_csv(HERE / "pain_prevalence_studies.csv", encoding="utf-8",
                        keep_default_na=False, na_values={"percent_reported": [""]})
    if not include_unverified:
        table = table[table.attribution != "unverified"].reset_index(drop=True)
    return table


def load_pain_treatment_studies() -> pd.DataFrame:
    """Table 1 of the review (Chiò, Mora, Lauria, *Lancet Neurol* 2017;16:144-157; docs/sources.md
    section 1): studies of pharmacological treatments for pain in ALS, one row per drug and
    target as the review tabulates them.

    Returns
    -------
    DataFrame
        row (the review's order), target (the pain treated), pain_group ("primary": the
        review's * rows, neuropathic pain, cramps, spasticity; "secondary": its † rows, mainly
        nociceptive), drug (as the review names it), drug_class (the
        :data:`alspaincohort.drugs.CLASSES` it falls in; several joined by ";"),
        review_reference (the review's reference number), design, n and n_unit (patients,
        participants or centres; NA for guidelines), population ("ALS", or the condition of
        a study without ALS patients), responders and evaluated (the counts behind a response
        proportion, where the review gives them; NA otherwise), result (the review's summary),
        dose_low_mg_per_day and dose_high_mg_per_day (the drug's mg per day; NA when the review
        gives none or gives it per injection or in morphine equivalents), dose_text (the dose
        as the review states it), comment.

    Examples
    --------
    >>> t = load_pain_treatment_studies()
    >>> t.groupby("pain_group").size().to_dict()
    {'primary': 11, 'secondary': 5}
    """
    table = pd.read_csv(HERE / "pain_treatment_studies.csv", encoding="utf-8",
                        dtype={"n": "Int64", "responders": "Int64", "evaluated": "Int64",
                               "review_reference": "Int64", "row": "Int64"})
    for col in ("target", "pain_group", "drug", "drug_class", "design", "n_unit", "population",
                "result", "dose_text", "comment"):
        table[col] = table[col].astype("string")
    return table
