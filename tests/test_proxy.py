"""Issue 21, caregivers and proxies: the respondent of an assessment, proxy ratings in the
generator, and proxy_agreement (the statistics are checked against R psych in
test_corpus_agreement.py; here: pairing, periods, recovery of the planted bias, and that every
other analysis reads the patient's own ratings only)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import alspaincohort as apc
from alspaincohort.analysis.proxy import proxy_agreement, severity_band
from alspaincohort.stats.agreement import bland_altman, icc


@pytest.fixture(scope="module")
def cohort() -> apc.Cohort:
    return apc.simulate_cohort(800, seed=2104, p_caregiver=0.6, proxy_bias=0.8, proxy_sd=1.2)


def test_generator_adds_caregiver_ratings_without_changing_the_patients(cohort) -> None:
    plain = apc.simulate_cohort(800, seed=2104)
    a = cohort.assessments
    assert set(a["respondent"].astype(str)) == {"patient", "caregiver"}
    own = a[a["respondent"] == "patient"].drop(columns="respondent").reset_index(drop=True)
    pd.testing.assert_frame_equal(own, plain.assessments.drop(columns="respondent")
                                  .reset_index(drop=True))
    assert plain.assessments["respondent"].isna().all()  # no proxies: every rating the patient's
    # ...and the patient's table is the table itself: no copy of millions of rows per score
    assert plain.rated_by("patient") is plain.assessments
    assert plain.rated_by("caregiver").empty
    assert len(cohort.rated_by("caregiver")) == len(cohort.scores("vas_pain",
                                                                  respondent="caregiver"))
    care = cohort.scores("vas_pain", respondent="caregiver")
    assert care["value"].between(0, 10).all()
    share = care["patient_id"].nunique() / plain.scores("vas_pain")["patient_id"].nunique()
    assert 0.5 < share < 0.7
    assert cohort.validate().empty  # the key includes the respondent
    # every analysis reads the patient's own ratings
    pd.testing.assert_frame_equal(cohort.scores("vas_pain"), plain.scores("vas_pain"))
    pd.testing.assert_frame_equal(cohort.baseline(), plain.baseline())
    pd.testing.assert_frame_equal(apc.prevalence(cohort).table, apc.prevalence(plain).table)
    with pytest.raises(apc.SchemaError, match="respondent"):
        cohort.scores("vas_pain", respondent="nurse")


def test_proxy_agreement_pairs_visits_and_recovers_the_planted_bias(cohort) -> None:
    r = proxy_agreement(cohort, periods=(6, 12))
    t = r.table.set_index(["period", "statistic"])
    assert list(r.table["period"].unique()) == ["0-6 months", "6-12 months", ">= 12 months"]
    # direct computation of the first period: the first same-day pair of each patient
    own = cohort.scores("vas_pain")
    care = cohort.scores("vas_pain", respondent="caregiver")
    j = own.merge(care, on=["patient_id", "day"], suffixes=("_p", "_c"))
    j = j[j["day"] / apc.schema.DAYS_PER_MONTH < 6].sort_values(["patient_id", "day"])
    first = j.drop_duplicates("patient_id")
    ba = bland_altman(first["value_p"], first["value_c"])
    assert t.loc[("0-6 months", "mean_difference"), "estimate"] == pytest.approx(
        ba["mean_difference"])
    assert t.loc[("0-6 months", "mean_difference"), "n_pairs"] == len(first)
    i = icc(np.column_stack([first["value_p"], first["value_c"]])).set_index("type")
    assert t.loc[("0-6 months", "icc_consistency"), "estimate"] == pytest.approx(
        i.loc["ICC3", "icc"])
    # the planted bias 0.8 (clipping at 0 and 10 pulls it in a little): within the CI, all
    # periods together
    whole = proxy_agreement(cohort).table.set_index("statistic")
    md = whole.loc["mean_difference"]
    assert md["ci_low"] < 0.8 < md["ci_high"] or abs(md["estimate"] - 0.8) < 0.15
    # SD of the differences ~ 1.2: limits of agreement ~ bias -/+ 1.96 x 1.2
    width = whole.loc["loa_high", "estimate"] - whole.loc["loa_low", "estimate"]
    assert 2 * 1.96 * 1.0 < width < 2 * 1.96 * 1.3
    assert 0 < whole.loc["weighted_kappa", "estimate"] < 1
    cells = r.count_cells("proxy")
    assert {c.row for c in cells} == set(r.table["period"])


def test_proxy_agreement_checks_its_input(cohort) -> None:
    with pytest.raises(apc.errors.ModelDataError, match="no vas_pain rating by a caregiver"):
        proxy_agreement(apc.simulate_cohort(50, seed=1))
    with pytest.raises(apc.ParameterError, match="proxy"):
        proxy_agreement(cohort, proxy="patient")
    with pytest.raises(apc.ParameterError, match="periods"):
        proxy_agreement(cohort, periods=(12, 6))
    with pytest.raises(apc.errors.ModelDataError, match="no vas_pain rating by a clinician"):
        proxy_agreement(cohort, proxy="clinician")


def test_severity_bands() -> None:
    assert severity_band([0, 0.1, 3.9, 4, 6.9, 7, 10, np.nan]).tolist() == [
        "none", "mild", "mild", "moderate", "moderate", "severe", "severe", None]
