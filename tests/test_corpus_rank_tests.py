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
def test_rank_tests_agree_with_wilcox_test(k: int, agree) -> None:
    ref = REF[REF["dataset"] == k].iloc[0]
    x, y, z = _sample(k, "x"), _sample(k, "y"), _sample(k, "z")
    w = rank_sum_test(x, y)
    est = "Rank-sum test (wilcox.test)"
    agree(est, "W", w["statistic"], ref["w"], dataset=k, rtol=0, atol=1e-9)
    agree(est, "p-value", w["p_value"], ref["p_w"], dataset=k, rtol=1e-9, atol=1e-12)
    est = "Signed-rank test (wilcox.test, paired)"
    if np.isnan(ref["p_v"]):
        with pytest.raises(ModelDataError):
            signed_rank_test(x, z)
        agree.refuse(est, k)
        return
    v = signed_rank_test(x, z)
    agree(est, "V = W+", v["statistic"], ref["v"], dataset=k, rtol=0, atol=1e-9)
    agree(est, "p-value", v["p_value"], ref["p_v"], dataset=k, rtol=1e-9, atol=1e-12)


def test_corpus_covers_both_methods() -> None:
    methods = {rank_sum_test(_sample(k, "x"), _sample(k, "y"))["method"] for k in REF["dataset"]}
    assert methods == {"exact", "normal approximation with continuity correction"}
