"""Bundled literature tables, listed with descriptions and references in ``manifest.csv``."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

HERE = Path(__file__).resolve().parent


def manifest() -> pd.DataFrame:
    """The datasets manifest: dataset, file, loader, description, references."""
    return pd.read_csv(HERE / "manifest.csv")


def load_pain_prevalence_studies() -> pd.DataFrame:
    """Published prevalence of pain in ALS, one row per study (``docs/sources.md`` section 4).

    Columns: study (label), author, year, n, events (patients with pain), percent_reported
    (the published percentage when the count is derived from it), count_source ("reported" or
    "derived": round(n x percent / 100), halves to even), instrument, setting, source, note.
    Compare pooled results with Hurwitz 2021 (ALSFTD 22:449): 21 studies, pooled 60% (95% CI
    50-69%), I^2 = 94%.
    """
    return pd.read_csv(HERE / "pain_prevalence_studies.csv", encoding="utf-8")
