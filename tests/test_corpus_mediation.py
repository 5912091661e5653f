"""Mediation point estimates (product of coefficients) against R ``lm`` on a corpus of 240
drawn datasets (issue 15).

Chain: ``tests/results/depression/corpus/make_mediation.py`` draws 6-1,000 patients with a
continuous or binary exposure, no to strong mediation, a covariate factor with a rare level,
nearly and exactly collinear covariates; ``mediation.R`` stores a, b, the direct, indirect and
total effects and the proportion mediated from ``lm``, or "aliased" where ``lm`` drops a term.
CI needs no R. Estimates within 1e-6 relative (of max(|value|, 1e-8)); an aliased design
raises ``ModelDataError`` naming the column.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from alspaincohort.errors import ModelDataError
from alspaincohort.stats.mediation import mediation_effects

CORPUS = Path(__file__).parent / "results" / "depression" / "corpus"
DATA = {k: g for k, g in pd.read_csv(CORPUS / "mediation_data.csv.gz").groupby("dataset")}
SPEC = pd.read_csv(CORPUS / "mediation_spec.csv")
REF = {k: g.set_index("quantity")["value"] for k, g in
       pd.read_csv(CORPUS / "mediation_reference.csv.gz").groupby("dataset")}


def test_corpus_spans_the_space() -> None:
    assert len(SPEC) >= 200
    assert set(SPEC["design"]) == {"plain", "rare_level", "near_collinear", "collinear"}
    assert sum("aliased" in r.index for r in REF.values()) >= 10


@pytest.mark.parametrize("k", SPEC["dataset"].tolist())
def test_mediation_effects_agree_with_lm(k: int, agree) -> None:
    d, ref = DATA[k], REF[k]
    site = pd.get_dummies(d["site"], drop_first=True, dtype=float)
    one = np.ones(len(d))
    X_m = np.column_stack([one, d["x"], d["age"], site])
    X_y = np.column_stack([one, d["x"], d["m"], d["age"], site])
    names = list(site.columns)
    args = (X_m, d["m"].to_numpy(), X_y, d["y"].to_numpy(), ["intercept", "x", "age", *names],
            ["intercept", "x", "m", "age", *names])
    if "aliased" in ref.index:
        with pytest.raises(ModelDataError, match="linear combinations|complete rows"):
            mediation_effects(*args)
        agree.refuse("Mediation effects (lm)", k)
        return
    ours = mediation_effects(*args)
    want = ref[["indirect", "direct", "total", "proportion"]].to_numpy()
    agree("Mediation effects (lm)", "indirect, direct, total, proportion", ours, want,
          dataset=k, rtol=1e-6, atol=1e-8 * 1e-6)
