"""Rank tests against R ``wilcox.test`` on 240 drawn sample pairs (issue 15).

Chain: ``tests/results/rank_tests/make_data.py`` (sizes 1-80 on both sides of R's exact
threshold of 50, ties from rounding, zero paired differences) -> ``reference.R`` (R defaults)
-> ``reference.csv``. CI needs no R.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from alspaincohort.errors import ModelDataError
from alspaincohort.stats.rank_tests import rank_sum_test, signed_rank_test

HERE = Path(__file__).parent / "results" / "rank_tests"
DATA = pd.read_csv(HERE / "data.csv.gz")
REF = pd.read_csv(HERE / "reference.csv")


def _sample(k: int, name: str) -> np.ndarray:
    return DATA[(DATA["dataset"] == k) & (DATA["sample"] == name)]["value"].to_numpy()


@pytest.mark.parametrize("k", REF["dataset"].tolist())
def test_rank_tests_agree_with_wilcox_test(k: int) -> None:
    ref = REF[REF["dataset"] == k].iloc[0]
    x, y, z = _sample(k, "x"), _sample(k, "y"), _sample(k, "z")
    w = rank_sum_test(x, y)
    assert w["statistic"] == pytest.approx(ref["w"], abs=1e-9)
    assert w["p_value"] == pytest.approx(ref["p_w"], rel=1e-9, abs=1e-12)
    if np.isnan(ref["p_v"]):
        with pytest.raises(ModelDataError):
            signed_rank_test(x, z)
        return
    v = signed_rank_test(x, z)
    assert v["statistic"] == pytest.approx(ref["v"], abs=1e-9)  # V = W+, not min(W+, W-)
    assert v["p_value"] == pytest.approx(ref["p_v"], rel=1e-9, abs=1e-12)


def test_corpus_covers_both_methods() -> None:
    methods = {rank_sum_test(_sample(k, "x"), _sample(k, "y"))["method"] for k in REF["dataset"]}
    assert methods == {"exact", "normal approximation with continuity correction"}
