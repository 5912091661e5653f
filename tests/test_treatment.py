"""Issue 21, treatment: drug classes (combinations, cannabinoids, benzodiazepines, ...), opioid
doses in morphine milligram equivalents (CDC 2022), time to the first start of a drug class
with death competing, and the IMMPACT response of pain to a start.

The competing-risks engines (Aalen-Johansen, Fine-Gray) are checked against R in
test_corpus_competing.py; here: the follow-up they are given is built as documented (checked
against an independent construction), prevalent users are left out and said, the generator's
planted link between pain and opioid starts is found, and the response table matches a direct
computation.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import alspaincohort as apc
from alspaincohort.analysis.treatment import treatment_initiation, treatment_response
from alspaincohort.drugs import (
    ATC_CLASS,
    CLASSES,
    MME_PER_MG,
    PAIN_CLASSES,
    classify,
    components,
    morphine_equivalents,
)
from alspaincohort.schema import TABLES
from alspaincohort.stats.survival import aalen_johansen


def test_classes_of_single_drugs_combinations_and_atc_codes() -> None:
    names = ["Baclofen 10mg tab", "co-codamol", "Acetaminophen-Codeine 300/30",
             "Paracetamol/Codeine 500/30 mg", "tramadol + paracetamol", "nabiximols", "Sativex",
             "levetiracetam", "clonidine", "lidocaine 5% plaster", "diazepam", "midazolam",
             "methylprednisolone", "sertraline", "duloxetine", "Vitamin D", None,
             "paracetamol and ibuprofen"]
    codes, classes = classify(np.array(names, dtype=object))
    assert classes.tolist() == [
        "antispastic", "opioid", "opioid", "opioid", "opioid", "cannabinoid", "cannabinoid",
        "anticramp", "antispastic", "topical_analgesic", "benzodiazepine", "benzodiazepine",
        "corticosteroid", "antidepressant", "neuropathic_agent", "other", "other",
        "nonopioid_analgesic"]
    # combinations take the ATC code of the combination where the index has one (N02AJ)
    assert codes[1] == codes[2] == codes[3] == "N02AJ06" and codes[4] == "N02AJ13"
    assert codes[17] is None  # two non-opioid analgesics: no combination code known here
    assert components("Acetaminophen-Codeine 300/30") == ("paracetamol", "codeine")
    # an ATC code decides the class of an unknown name, the most specific rule first: other
    # N03AX antiepileptics are not gabapentinoids (levetiracetam was, by the prefix N03AX1)
    _, by_code = classify(np.array(["x"] * 8, dtype=object),
                          np.array(["N03AX14", "N03AX12", "N03AX11", "N02BG10", "N02BE01",
                                    "N02AJ06", "N05BA01", None], dtype=object))
    assert by_code.tolist() == ["anticramp", "neuropathic_agent", "other", "cannabinoid",
                                "nonopioid_analgesic", "opioid", "benzodiazepine", "other"]
    assert {cls for _, cls in ATC_CLASS} <= set(CLASSES) and set(PAIN_CLASSES) < set(CLASSES)
    spec = {c.name: c for c in TABLES["medications"]}["drug_class"]
    assert tuple(spec.values) == CLASSES


def test_morphine_milligram_equivalents_follow_the_cdc_2022_table() -> None:
    # Dowell et al. 2022, table: mg/day times the factor; fentanyl per microgram/hour
    for drug, factor in MME_PER_MG.items():
        assert morphine_equivalents([drug], [10.0])[0] == pytest.approx(10 * factor)
    assert (MME_PER_MG["oxycodone"], MME_PER_MG["tramadol"], MME_PER_MG["methadone"]) == \
        (1.5, 0.2, 4.7)
    # a 25 microgram/hour patch is 0.6 mg/day: 60 MME
    assert morphine_equivalents(["fentanyl 25 mcg/h patch"], [0.6])[0] == pytest.approx(60.0)
    got = morphine_equivalents(["buprenorphine", "co-codamol", "baclofen", "morphine", None],
                               [10, 8, 30, np.nan, 5])
    assert np.isnan(got[0]) and np.isnan(got[1]) and np.isnan(got[3])
    assert got[2] == 0.0 and got[4] == 0.0
    with pytest.raises(apc.ParameterError, match="differ in length"):
        morphine_equivalents(["morphine"], [1, 2])


def _independent_follow_up(c: apc.Cohort) -> pd.DataFrame:
    """Time to the first opioid start, death competing, built row by row from the tables."""
    med = c.medications.assign(pid=c.medications["patient_id"].astype(str))
    surv = c.survival("death").set_index("patient_id")
    rows = []
    for pid, s in surv.iterrows():
        mine = med[(med["pid"] == pid) & (med["drug_class"].astype(str) == "opioid")]
        starts = mine["start_day"].astype("float64")
        stops = mine["stop_day"].astype("float64")
        if ((starts <= 0) & ~(stops < 0)).any():
            continue  # prevalent user
        later = starts[starts > 0]
        if later.empty and starts.isna().any():
            continue  # undated
        first = later.min() if not later.empty else np.inf
        if first <= s["end_day"]:
            rows.append((pid, first, 1))
        else:
            rows.append((pid, s["time_days"], 2 if s["event"] == 1 else 0))
    return pd.DataFrame(rows, columns=["patient_id", "days", "cause"]).set_index("patient_id")


def test_time_to_first_opioid_is_built_as_documented_and_finds_the_planted_link() -> None:
    c = apc.simulate_cohort(900, seed=2101)
    # make some patients prevalent users and one start undated
    med = c.medications.copy()
    opioid = np.flatnonzero(med["drug_class"].astype(str) == "opioid")
    med.loc[med.index[opioid[:25]], "start_day"] = -10
    med.loc[med.index[opioid[25:28]], "start_day"] = pd.NA
    c2 = apc.Cohort(patients=c.patients, assessments=c.assessments, events=c.events,
                    medications=med, pain_sites=c.pain_sites)
    r = treatment_initiation(c2, "opioid", by="pain")
    ref = _independent_follow_up(c2)
    starts = med.assign(pid=med["patient_id"].astype(str))
    on = starts[(starts["drug_class"].astype(str) == "opioid")
                & (starts["start_day"].astype("float64") <= 0)]
    assert on["pid"].nunique() >= 25
    assert any(f"{on['pid'].nunique()} patient(s) already on opioid drugs at baseline" in n
               for n in r.notes)
    assert any("3 patient(s) whose opioid start has no day" in n for n in r.notes)
    b = c2.baseline().set_index("patient_id")
    group = np.where(b["vas_pain"] > 0, "pain", "no pain")
    ref = ref.assign(group=pd.Series(group, index=b.index).reindex(ref.index))
    cif = r.cumulative_incidence
    for (g, cause), name in zip([(g, k) for g in ("no pain", "pain") for k in (1, 2)],
                                ["opioid start", "death"] * 2, strict=True):
        d = ref[ref["group"] == g]
        aj = aalen_johansen(d["days"] / apc.schema.DAYS_PER_MONTH, d["cause"], cause)
        mine = cif[(cif["group"] == g) & (cif["cause"] == name)]
        np.testing.assert_allclose(mine["cif"].to_numpy(), aj["cif"].to_numpy(), rtol=1e-12)
        np.testing.assert_allclose(mine["time"].to_numpy(), aj["time"].to_numpy(), rtol=1e-12)
    # the generator starts an opioid at the first visit with pain >= 7: baseline pain raises
    # the subdistribution hazard of a start
    fg = r.table[(r.table.model == "Fine-Gray") & (r.table.cause == "opioid start")]
    pain = fg.set_index("term").loc["pain"]
    assert pain["hazard_ratio"] > 1.2 and pain["p_value"] < 1e-6
    assert "opioid start" in r.headline()


def test_treatment_initiation_checks_its_class() -> None:
    c = apc.simulate_cohort(60, seed=3)
    with pytest.raises(apc.ParameterError, match="drug_class"):
        treatment_initiation(c, "opiods")


def test_treatment_response_matches_a_direct_computation() -> None:
    c = apc.simulate_cohort(1200, seed=2102)
    r = treatment_response(c, ["opioid", "neuropathic_agent"], before=(-60, 0), after=(30, 150))
    med = c.medications.assign(pid=c.medications["patient_id"].astype(str),
                               cls=c.medications["drug_class"].astype(str))
    vas = c.scores("vas_pain").assign(pid=lambda d: d["patient_id"].astype(str))
    vas = vas[vas["value"].notna()]
    for cls in ("opioid", "neuropathic_agent"):
        starts = med[(med["cls"] == cls) & med["start_day"].notna()].groupby("pid")[
            "start_day"].min()
        before, after = [], []
        for pid, day in starts.items():
            mine = vas[vas["pid"] == pid]
            rel = mine["day"] - day
            b = mine[(rel >= -60) & (rel <= 0)].sort_values("day")["value"]
            a = mine[(rel >= 30) & (rel <= 150)].sort_values("day")["value"]
            before.append(b.iloc[-1] if len(b) else np.nan)
            after.append(a.iloc[-1] if len(a) else np.nan)
        before, after = np.array(before), np.array(after)
        ok = ~np.isnan(before) & ~np.isnan(after)
        row = r.table.set_index("drug_class").loc[cls]
        assert row["n_starts"] == len(starts) and row["n_paired"] == ok.sum()
        if not ok.any():  # the generator's neuropathic agents start before the first VAS
            assert cls == "neuropathic_agent" and np.isnan(row["change_mean"])
            assert row["n_defined"] == 0 and np.isnan(row["none_share"])
            continue
        assert row["change_mean"] == pytest.approx((after[ok] - before[ok]).mean())
        defined = ok & (before > 0)
        red = 100 * (before[defined] - after[defined]) / before[defined]
        expect = {"substantial": (red >= 50).sum(), "moderate": ((red >= 30) & (red < 50)).sum(),
                  "minimal": ((red >= 10) & (red < 30)).sum(), "none": (red < 10).sum()}
        assert {k: row[k] for k in expect} == expect
        assert row["n_defined"] == defined.sum()
        assert sum(row[f"{k}_share"] for k in expect) == pytest.approx(1.0)
        assert row["change_ci_low"] < row["change_mean"] < row["change_ci_high"]
    cells = r.count_cells("response")
    assert {cell.row for cell in cells} == {"opioid", "neuropathic_agent"}


def test_treatment_response_windows_are_checked() -> None:
    c = apc.simulate_cohort(80, seed=4)
    for bad in ((0, -90), (1.5, 3), "x", (True, 3)):
        with pytest.raises(apc.ParameterError, match="before"):
            treatment_response(c, "opioid", before=bad)
    with pytest.raises(apc.ParameterError, match="must begin after the end"):
        treatment_response(c, "opioid", before=(-30, 10), after=(5, 60))
    with pytest.raises(apc.ParameterError, match="drug_class"):
        treatment_response(c, "aspirin")


def test_treatment_prognosis_splits_follow_up_at_each_start() -> None:
    """on_<class> switches on at the first start and stays on; the follow-up (total time,
    events) is that of the counting-process data; the model is the engine's fit of exactly
    those rows, and equals a fit of rows split independently, day by day."""
    from alspaincohort.analysis.treatment import split_at, treatment_prognosis
    from alspaincohort.stats.cox import CoxTimeVarying

    c = apc.simulate_cohort(700, seed=2103)
    r = treatment_prognosis(c, classes=("opioid", "neuropathic_agent"), endpoint="death",
                            covariates=("age_at_onset",))
    d = r.data
    cp = c.counting_process("vas_pain", endpoint="death").dropna(subset=["value"])
    span = lambda f: (f["stop"] - f["start"]).groupby(f["patient_id"]).sum()  # noqa: E731
    pd.testing.assert_series_equal(span(d), span(cp).loc[span(d).index], check_names=False)
    assert d["event"].sum() == cp[cp["patient_id"].isin(d["patient_id"])]["event"].sum()
    med = c.medications.assign(pid=c.medications["patient_id"].astype(str),
                               cls=c.medications["drug_class"].astype(str))
    first = med[med["cls"] == "opioid"].groupby("pid")["start_day"].min().astype("float64")
    sw = d["patient_id"].map(first).to_numpy(dtype=float)
    expect = np.where(np.isnan(sw), 0, d["start"].to_numpy() >= sw)
    np.testing.assert_array_equal(d["on_opioid"].to_numpy(), expect)
    assert (d.groupby("patient_id")["on_opioid"].diff().fillna(0) >= 0).all()  # stays on
    # the same model from rows split one start at a time by the documented rule
    rows = []
    for _, row in cp[cp["patient_id"].isin(d["patient_id"])].iterrows():
        s = first.get(row["patient_id"], np.nan)
        if row["start"] < s < row["stop"]:
            rows += [{**row, "stop": s, "event": 0}, {**row, "start": s}]
        else:
            rows.append(dict(row))
    mine = pd.DataFrame(rows)
    mine["on_opioid"] = (mine["start"] >= mine["patient_id"].map(first)).astype(int)
    assert len(mine) == len(split_at(cp[cp["patient_id"].isin(d["patient_id"])],
                                     cp[cp["patient_id"].isin(d["patient_id"])]["patient_id"]
                                     .map(first).to_numpy(dtype=float), "on"))
    assert int(mine["on_opioid"].sum()) == int(d["on_opioid"].sum())
    table = r.table.set_index("term")
    assert list(table.index) == ["pain", "pain_rise", "on_opioid", "on_neuropathic_agent",
                                 "age_at_onset"]
    refit = CoxTimeVarying().fit(d, "patient_id", "start", "stop", "event",
                                 formula="pain + pain_rise + on_opioid + on_neuropathic_agent"
                                         " + age_at_onset", robust=True)
    np.testing.assert_allclose(table["estimate"], refit.params_, rtol=1e-10)
    with pytest.raises(apc.ParameterError, match="distinct"):
        treatment_prognosis(c, classes=("opioid", "opioid"))
    with pytest.raises(apc.errors.ModelDataError, match="ever exposed"):
        treatment_prognosis(c, classes=("corticosteroid",))


def test_bundled_treatment_table_of_the_review() -> None:
    """Table 1 of Chiò 2017 as bundled: 16 rows in the review's order, the primary targets
    (neuropathic pain, cramps, spasticity: the review's * rows) before the secondary ones (its
    † rows), every drug class one of the package's classes and matching what the package's
    classifier says of the named drug, response counts consistent with the published
    percentages, and mg-per-day doses ordered."""
    from alspaincohort.datasets import load_pain_treatment_studies, manifest

    t = load_pain_treatment_studies()
    assert t.row.tolist() == list(range(1, 17))
    assert t.pain_group.tolist() == ["primary"] * 11 + ["secondary"] * 5
    assert t.target.str.startswith(("neuropathic", "cramps", "spasticity")).sum() == 11
    for classes in t.drug_class:
        assert set(classes.split(";")) <= set(CLASSES), classes
    single = t[t.drug.isin(["gabapentin", "pregabalin", "mexiletine", "levetiracetam"])]
    assert (classify(single.drug.to_numpy(dtype=object))[1] == single.drug_class.to_numpy()).all()
    both = t[t.responders.notna()]
    assert both.row.tolist() == [12, 13] and (both.responders <= both.evaluated).all()
    # the review's percentages: 15 of 27 "55.5%" (truncated), 36 of 49 "73%"
    assert np.floor(1000 * both.responders / both.evaluated).tolist() == [555, 734]
    dose = t.dropna(subset=["dose_low_mg_per_day"])
    assert (dose.dose_low_mg_per_day <= dose.dose_high_mg_per_day).all() and len(dose) == 10
    assert (t.n.dropna() > 0).all() and t.n.isna().sum() == 3  # the EFNS guideline rows
    assert "pain_treatment_studies" in set(manifest().dataset)
