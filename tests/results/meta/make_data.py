"""Data for the meta-analysis reference numbers (run from the repository root):

``python tests/results/meta/make_data.py`` writes ``studies.csv`` (the bundled literature table)
and ``edge_cases.csv`` (hand-made studies with 0 and n events, for the continuity rule); then
``Rscript tests/results/meta/reference.R`` fits them with metafor and writes ``reference.csv``.
"""

from pathlib import Path

import pandas as pd

from alspaincohort.datasets import load_pain_prevalence_studies

HERE = Path(__file__).resolve().parent
studies = load_pain_prevalence_studies(include_unverified=True)
studies = studies.assign(bpi=studies.instrument.str.contains("BPI").astype(int))
studies[["study", "year", "n", "events", "bpi"]].to_csv(HERE / "studies.csv", index=False)
pd.DataFrame({
    "study": [f"S{i}" for i in range(1, 8)],
    "events": [0, 5, 12, 30, 48, 20, 3],
    "n": [20, 40, 50, 60, 50, 20, 90],
    "year": [2001, 2004, 2008, 2010, 2015, 2018, 2020],
    "bpi": [0, 1, 0, 1, 1, 0, 0],
}).to_csv(HERE / "edge_cases.csv", index=False)
