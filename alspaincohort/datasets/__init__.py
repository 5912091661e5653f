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
