"""Pain before onset and comparators in the standard schema (issue 20): pain before motor onset
and as the presenting symptom, recovered from the generator's truth; cohorts holding
comparators (refused by the analyses of ALS patients, compared by comparator_drug_use,
described by table_one by group, and kept through Parquet)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import alspaincohort as apc
from alspaincohort.disclosure import DisclosureControl
from alspaincohort.errors import ModelDataError
from alspaincohort.registers.designs import sample_risk_sets, to_cohort
from alspaincohort.stats import ConditionalLogit


@pytest.fixture(scope="module")
def mixed() -> apc.Cohort:
    sim = apc.simulate_register(20_000, seed=5, als_incidence_scale=30)
    reg = apc.load_register(sim.persons, sim.dispensings)
    return to_cohort(reg, sample_risk_sets(reg, controls=4, seed=2))


@pytest.mark.parametrize("seed", [1, 2])
def test_pain_before_onset_recovers_the_generators_share(seed: int) -> None:
    c = apc.simulate_cohort(5000, seed=seed)
    truth = c.truth.params["p_pain_before_onset"]
    r = apc.pain_before_onset(c)
    row = r.table.iloc[0]
    assert row["measure"] == "pain before motor onset"
    assert row["ci_low"] <= truth <= row["ci_high"]
    p = c.patients
    has_pain = p["pain_onset_day"].notna()
    assert row["n"] == has_pain.sum()
    # pain is the presenting symptom exactly when it came first (the generator's rule)
    assert (r.table.iloc[2]["cases"], r.table.iloc[2]["n"]) == (row["cases"], row["n"])
    lead = r.timing.iloc[0]
    assert lead["n"] == row["cases"] and 0 < lead["ci_low"] <= lead["median"] <= lead["ci_high"]
    # the generator's lead: gamma(shape 2, scale 3 months) + 1 day; its median is covered
    from scipy import stats

    true_median = stats.gamma.ppf(0.5, 2, scale=3.0) + 1 / 30.4375
    assert lead["ci_low"] <= true_median <= lead["ci_high"]


def test_pain_before_onset_counts_what_it_leaves_out() -> None:
    c = apc.simulate_cohort(300, seed=3)
    p = c.patients.copy()
    p.loc[p.index[:7], "onset_day"] = pd.NA
    p["presenting_symptom"] = p["presenting_symptom"].where(p.index >= 10)
    r = apc.pain_before_onset(apc.Cohort(**{**c.tables, "patients": p}))
    assert any("7 patient(s) without a known onset_day" in n for n in r.notes)
    assert any("10 patient(s) without a recorded presenting symptom" in n for n in r.notes)
    assert r.table.iloc[1]["n"] == 293 and r.table.iloc[3]["n"] == 290
    dc = DisclosureControl(k=500)
    for cell in r.count_cells("t"):
        dc.add(cell.table, cell.row, cell.column, cell.units)
    shown = r.suppressed(dc.suppress(), "t")
    assert shown.table["cases"].isna().any() and "suppressed" in " ".join(shown.notes)


def test_the_median_ci_is_the_binomial_order_statistic_interval() -> None:
    from alspaincohort.analysis.before_onset import _median_ci

    x = np.arange(1.0, 21.0)  # n = 20: ranks 6 and 15 (binomial(20, 1/2): 95.9%)
    assert _median_ci(x, 0.95) == (6.0, 15.0)
    assert _median_ci(np.array([3.0]), 0.95) == (3.0, 3.0)


def test_analyses_of_als_patients_refuse_comparators_until_selected(mixed) -> None:
    with pytest.raises(ModelDataError, match="comparator.*als_only"):
        apc.prevalence(mixed)
    with pytest.raises(ModelDataError, match="comparator"):
        apc.table_one(mixed, groupby="sex")
    als = mixed.als_only()
    assert len(als.patients) == int((~mixed.is_comparator).sum())
    assert set(als.medications["patient_id"].astype(str)) <= set(
        als.patients["patient_id"].astype(str))
    assert "comparator(s) left out" in als.metadata["selection"]
    t = apc.table_one(mixed, groupby="group")
    assert t.groups == ["als", "control_population"]


def test_comparator_drug_use_is_the_conditional_model_of_the_sets(mixed) -> None:
    r = apc.comparator_drug_use(mixed, classes=["neuropathic_agent", "opioid"])
    row = r.table.set_index("drug_class").loc["neuropathic_agent"]
    # the same numbers by hand: users in [-3652, -730) days, clogit on the matched sets
    m = mixed.medications
    used = m[(m["drug_class"] == "neuropathic_agent") & (m["start_day"] >= -3652)
             & (m["start_day"] < -730)]["patient_id"].astype(str).unique()
    p = mixed.patients
    d = pd.DataFrame({"set": p["matched_set"].astype(int),
                      "case": (~mixed.is_comparator).astype(int),
                      "used": p["patient_id"].astype(str).isin(used).astype(int)})
    fit = ConditionalLogit().fit(d, case="case", group="set", formula="used")
    assert row["odds_ratio"] == pytest.approx(float(fit.odds_ratios_["used"]), rel=1e-12)
    assert row["als_users"] == d.loc[d["case"] == 1, "used"].sum()
    assert row["model"] == "conditional"
    # the register's planted effect (gabapentin, HR 1.84 in [-10, -2) years) shows
    assert row["or_ci_low"] > 1
    # without matched sets: unconditional, and said so
    unmatched = apc.Cohort(**{**mixed.tables,
                              "patients": p.assign(matched_set=pd.NA)})
    u = apc.comparator_drug_use(unmatched, classes=["opioid"])
    assert u.table["model"].iloc[0] == "logistic" and any("unconditional" in n
                                                          for n in u.notes)
    # small counts hidden together with what would give them back
    dc = DisclosureControl(k=200)
    for cell in r.count_cells("c"):
        dc.add(cell.table, cell.row, cell.column, cell.units)
    shown = r.suppressed(dc.suppress(), "c")
    hidden = shown.table.set_index("drug_class")["als_users"].isna()
    assert hidden["neuropathic_agent"] and shown.notes[-1].startswith("neuropathic_agent")
    assert shown.table["odds_ratio"].equals(r.table["odds_ratio"]) and not shown.units
    # a matched set for some persons only: refused, never silently unconditional
    partial = p.assign(matched_set=p["matched_set"].where(p.index >= 3))
    with pytest.raises(ModelDataError, match="matched_set is missing for 3 of"):
        apc.comparator_drug_use(apc.Cohort(**{**mixed.tables, "patients": partial}))
    # a medication without a start day is counted, not silently dropped
    meds = mixed.medications.copy()
    meds["start_day"] = meds["start_day"].astype("Int32")
    meds.loc[meds.index[:4], "start_day"] = pd.NA
    r = apc.comparator_drug_use(apc.Cohort(**{**mixed.tables, "medications": meds}),
                                classes=["opioid"])
    assert any("4 medication row(s) without a start_day" in n for n in r.notes)


def test_comparators_survive_parquet(mixed, tmp_path: Path) -> None:
    back = apc.Cohort.from_parquet(mixed.to_parquet(tmp_path / "c"))
    pd.testing.assert_frame_equal(back.patients, mixed.patients)
    assert back.patients["index_date"].dtype == "datetime64[ns]"
