"""First-to-last change (the published VAS analysis) against R on 240 drawn datasets (issue 15).

Chain: ``tests/results/trajectories/corpus/make_first_last.py`` draws long VAS data (1-300
patients, 1-8 visits, patients without pain, whole and half millimetres, tied and zero
changes, constant changes, single patients) in shuffled row order; ``first_last.R`` applies
the same selection and computes ``t.test`` and ``wilcox.test`` (paired, R's defaults), stored
in ``first_last_reference.csv.gz``. No R is needed here.

Compared per dataset: the number of patients, the interval summaries, the mean change, the
t-based CI, t and its p-value, the signed-rank V and its p-value, to 1e-9 relative. Where R
stops (fewer than two patients, or every change the same: "data are essentially constant"),
ours raises ``ModelDataError`` saying why.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from alspaincohort import Cohort
from alspaincohort.analysis.trajectories import first_last_change
from alspaincohort.errors import ModelDataError

CORPUS = Path(__file__).parent / "results" / "trajectories" / "corpus"
DATA = pd.read_csv(CORPUS / "first_last_data.csv.gz")
SPEC = pd.read_csv(CORPUS / "first_last_spec.csv")
REF = pd.read_csv(CORPUS / "first_last_reference.csv.gz", float_precision="round_trip")


def _cohort(k: int) -> Cohort:
    d = DATA[DATA["dataset"] == k]
    ids = d["patient_id"].unique()
    patients = pd.DataFrame({"patient_id": ids, "sex": None, "age_at_onset": None,
                             "onset_site": None, "onset_day": None})
    assessments = d.drop(columns="dataset").assign(instrument="vas_pain", item="total")
    return Cohort(patients=patients, assessments=assessments)


def test_corpus_spans_the_space() -> None:
    assert len(SPEC) >= 200
    assert set(SPEC["scenario"]) == {"typical", "ties", "constant", "no_pain_mix"}
    msgs = REF["message"].dropna()
    assert (msgs == "data are essentially constant").sum() >= 5
    assert (msgs == "not enough 'x' observations").sum() >= 5
    n = REF[REF["quantity"] == "n"]["value"]
    assert (n.between(2, 49)).sum() >= 40 and (n >= 50).sum() >= 40  # exact and normal p


@pytest.mark.parametrize("k", SPEC["dataset"].tolist())
def test_first_last_change_agrees_with_r(k: int, agree) -> None:
    ref = REF[REF["dataset"] == k].set_index("quantity")
    cohort = _cohort(k)
    only = bool(SPEC.loc[k, "only_with_pain"])
    if "t_error" in ref.index or ref.loc["n", "value"] < 2:
        reason = "fewer than two" if ref.loc["n", "value"] < 2 else "the same"
        with pytest.raises(ModelDataError, match=reason):
            first_last_change(cohort, only_with_pain=only)
        agree.refuse("First-last change (t.test, wilcox.test)", k)
        return
    r = first_last_change(cohort, only_with_pain=only).table.iloc[0]
    for q in ("n", "median_interval_days", "min_interval_days", "max_interval_days",
              "mean_change", "ci_low", "ci_high", "t_statistic", "t_p_value",
              "wilcoxon_statistic", "wilcoxon_p_value"):
        agree("First-last change (t.test, wilcox.test)", q, r[q], ref.loc[q, "value"],
              dataset=k, rtol=1e-9, atol=1e-12)
