"""Percentile and BCa bootstrap intervals against R ``boot.ci`` on the same replicates, on a
corpus of 240 drawn datasets (issue 15).

Chain: ``tests/results/bootstrap/corpus/make_bootstrap.py`` draws data and bootstrap
replicates of smooth, discrete and edge-of-support statistics (19-1,999 replicates, 3-200
observations, levels 0.8-0.99), with jackknife influence values; ``bootstrap.R`` (boot
1.3.28.1) stores ``perc.ci`` and ``bca.ci`` limits, whether boot warned of extreme order
statistics, and where it stops. CI needs no R. Limits within 1e-10 relative; where boot stops
we raise ``ModelDataError``.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from alspaincohort.errors import ModelDataError
from alspaincohort.stats.bootstrap import bca_interval, percentile_interval

CORPUS = Path(__file__).parent / "results" / "bootstrap" / "corpus"
EXACT = {"float_precision": "round_trip"}  # replicates tied with t0 must stay tied
REPS = {k: g["t"].to_numpy() for k, g in
        pd.read_csv(CORPUS / "replicates.csv.gz", **EXACT).groupby("dataset")}
INFL = {k: g["L"].to_numpy() for k, g in
        pd.read_csv(CORPUS / "influence.csv.gz", **EXACT).groupby("dataset")}
SPEC = pd.read_csv(CORPUS / "spec.csv", **EXACT)
REF = {k: g.set_index("quantity")["value"] for k, g in
       pd.read_csv(CORPUS / "reference.csv.gz").groupby("dataset")}


def test_corpus_spans_the_space() -> None:
    assert len(SPEC) >= 200
    assert set(SPEC["statistic"]) == {"mean", "ratio", "correlation", "product", "median_int",
                                      "max"}
    ref = pd.concat(REF.values())
    assert (ref.index == "bca_error").sum() >= 10
    assert (ref[ref.index == "perc_extreme"] == 1).sum() >= 10


@pytest.mark.parametrize("k", SPEC["dataset"].tolist())
def test_intervals_agree_with_boot_ci(k: int, agree) -> None:
    spec, ref, t, L = SPEC.iloc[k], REF[k], REPS[k], INFL[k]
    level = float(spec["level"])
    if "perc_error" in ref.index:
        with pytest.raises(ModelDataError, match="finite bootstrap replicate"):
            percentile_interval(t, level)
        agree.refuse("Percentile interval (boot.ci)", k)
        return
    p = percentile_interval(t, level)
    agree("Percentile interval (boot.ci)", "limits", [p["low"], p["high"]],
          [ref["perc_low"], ref["perc_high"]], dataset=k, rtol=1e-10, atol=1e-14)
    assert p["extreme"] == bool(ref["perc_extreme"])
    if "bca_error" in ref.index:
        with pytest.raises(ModelDataError, match="BCa interval"):
            bca_interval(t, float(spec["t0"]), L, level)
        agree.refuse("BCa interval (boot.ci)", k)
        return
    b = bca_interval(t, float(spec["t0"]), L, level)
    agree("BCa interval (boot.ci)", "limits", [b["low"], b["high"]],
          [ref["bca_low"], ref["bca_high"]], dataset=k, rtol=1e-10, atol=1e-14)
    assert b["extreme"] == bool(ref["bca_extreme"])
    assert np.isfinite(b["bias_correction"]) and np.isfinite(b["acceleration"])
