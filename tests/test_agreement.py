"""The ``agree`` fixture the corpus tests compare through can fail, and records what it saw."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import Agreement


def test_agree_passes_within_tolerance_and_records_the_worst() -> None:
    a = Agreement()
    a("est", "q", [1.0, 2.0 + 1e-9, np.nan], [1.0, 2.0, np.nan], dataset=0, rtol=1e-8)
    a("est", "q", [10.0], [10.0 + 1e-8], dataset=1, rtol=1e-8)
    a.refuse("est", 2)
    row = a.table().iloc[0]
    assert (row["datasets"], row["refused"], row["values"]) == (2, 1, 3)
    assert row["worst_abs"] == pytest.approx(1e-8, rel=1e-6)
    assert row["worst_rel"] == pytest.approx(1e-9, rel=1e-6)
    assert row["share_of_tolerance"] == pytest.approx(0.1, rel=1e-6)


@pytest.mark.parametrize(("ours", "ref", "message"), [
    ([1.0, 2.1], [1.0, 2.0], "beyond rtol"),
    ([1.0, np.nan], [1.0, 2.0], "NaN at \\[1\\] in one only"),
    ([np.inf], [1e308], "infinite values differ"),
    ([1.0, 2.0], [1.0], "shape"),
])
def test_agree_fails_on_a_difference(ours, ref, message) -> None:
    with pytest.raises(AssertionError, match=message):
        Agreement()("est", "q", ours, ref, dataset=0, rtol=1e-6)


def test_scale_and_criterion() -> None:
    a = Agreement()
    a("est", "coef", [1e-9], [0.0], dataset=0, rtol=1e-6, scale=[0.01])  # 1e-9 <= 1e-8
    with pytest.raises(AssertionError):
        a("est", "coef", [1e-7], [0.0], dataset=0, rtol=1e-6, scale=[0.01])
    a.criterion("est", "deviance", 10.0, 12.5, dataset=0, scale=10.0)
    a.criterion("est", "deviance", 10.0 + 1e-12, 10.0, dataset=1, scale=10.0)
    row = a.table().set_index("quantity").loc["deviance"]
    assert row["ours_lower_by"] == 2.5 and row["worst_abs"] == pytest.approx(1e-12, rel=1e-3)
