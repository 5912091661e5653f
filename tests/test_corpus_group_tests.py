"""Table 1's group tests against R on a corpus of 240 drawn datasets (issue 15).

Chain: ``tests/results/table_one/corpus/make_group_tests.py`` draws 2-4 groups of 1-150
values (normal, skewed, heavily tied, constant within a group) and contingency tables of 2-5
levels by 2-4 groups (expected counts from below 1 to hundreds, empty levels and groups);
``group_tests.R`` stores ``t.test``, ``oneway.test``, ``wilcox.test``, ``kruskal.test``,
``chisq.test(correct = FALSE)`` and ``fisher.test`` results. CI needs no R. Statistics and
p-values within 1e-6 relative.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from alspaincohort.stats.group_tests import categorical_group_test, continuous_group_test

CORPUS = Path(__file__).parent / "results" / "table_one" / "corpus"
CONT = {k: g for k, g in pd.read_csv(CORPUS / "continuous.csv.gz").groupby("dataset")}
TABS = {k: g for k, g in pd.read_csv(CORPUS / "tables.csv.gz").groupby("dataset")}
SPEC = pd.read_csv(CORPUS / "spec.csv")
REF = {k: g.set_index("quantity")["value"] for k, g in
       pd.read_csv(CORPUS / "reference.csv.gz").groupby("dataset")}


def test_corpus_spans_the_space() -> None:
    assert len(SPEC) >= 200
    assert set(SPEC["shape"]) == {"normal", "skewed", "tied", "constant_group"}
    assert set(SPEC["groups"]) == {2, 3, 4}
    ref = pd.concat(REF.values())
    assert ref.index.isin(["fisher_p"]).sum() >= 20
    assert (ref[ref.index == "min_expected"] < 5).sum() >= 50


@pytest.mark.parametrize("k", SPEC["dataset"].tolist())
def test_continuous_tests_agree_with_r(k: int, agree) -> None:
    d, ref = CONT[k], REF.get(k, pd.Series(dtype=float))
    samples = [g["value"].to_numpy() for _, g in d.groupby("group")]
    for normal, name in ((True, "normal"), (False, "rank")):
        ours = continuous_group_test(samples, normal)
        if f"{name}_p" not in ref.index:  # fewer than two groups with two values
            assert ours["test"] == "" and np.isnan(ours["p_value"])
            agree.refuse(f"Table 1 {name} test", k)
            continue
        est = ("Table 1 normal test (t.test / oneway.test)" if normal
               else "Table 1 rank test (wilcox.test / kruskal.test)")
        agree(est, "statistic", ours["statistic"], ref[f"{name}_statistic"], dataset=k,
              rtol=1e-6, atol=1e-12)
        agree(est, "p-value", ours["p_value"], ref[f"{name}_p"], dataset=k, rtol=1e-6,
              atol=1e-300)


@pytest.mark.parametrize("k", SPEC["dataset"].tolist())
def test_categorical_tests_agree_with_r(k: int, agree) -> None:
    t, ref = TABS[k], REF.get(k, pd.Series(dtype=float))
    table = t.pivot(index="row", columns="col", values="count").to_numpy()
    ours = categorical_group_test(table)
    if "chisq_p" not in ref.index:
        assert ours["test"] == "" and np.isnan(ours["p_value"])
        agree.refuse("Table 1 chi-square test (chisq.test)", k)
        return
    if "fisher_p" in ref.index and ref["min_expected"] < 5:
        assert ours["test"] == "Fisher exact"
        agree("Table 1 Fisher test (fisher.test)", "p-value", ours["p_value"], ref["fisher_p"],
              dataset=k, rtol=1e-6)
        return
    assert ours["test"].startswith("chi-square")
    est = "Table 1 chi-square test (chisq.test)"
    agree(est, "statistic", ours["statistic"], ref["chisq_statistic"], dataset=k, rtol=1e-6,
          atol=1e-12)
    agree(est, "p-value", ours["p_value"], ref["chisq_p"], dataset=k, rtol=1e-6, atol=1e-300)
