"""Schema rules (each breach found with its rule name), validate() reporting several breaches at
once, the exact Parquet round trip, and the views checked by hand on a small fixture."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd
import pytest

import alspaincohort as apc
from alspaincohort import Cohort, CohortValidationError, SchemaError
from alspaincohort.schema import DAYS_PER_MONTH, RULES, standardize

DPM = DAYS_PER_MONTH


def fixture_tables() -> dict[str, pd.DataFrame]:
    """Two patients worked by hand: P1 dies on day 200, P2 is censored at day 300."""
    patients = pd.DataFrame(
        {
            "patient_id": ["P1", "P2"],
            "sex": ["male", "female"],
            "age_at_onset": [60.0, 50.0],
            "onset_site": ["spinal", "bulbar"],
            "onset_day": [-365, -200],
            "diagnosis_day": [-100, -50],
        }
    )
    alsfrs_p1_day0 = {"q1_speech": 4, "q2_salivation": 4, "q3_swallowing": 4,
                      "q4_handwriting": 3, "q5a_cutting_without_gastrostomy": 3,
                      "q6_dressing_hygiene": 3, "q7_turning_in_bed": 3, "q8_walking": 1,
                      "q9_climbing_stairs": 1, "r1_dyspnea": 4, "r2_orthopnea": 4,
                      "r3_respiratory_insufficiency": 4}
    rows = [("P1", 0, "alsfrs_r", k, v) for k, v in alsfrs_p1_day0.items()]
    rows += [
        ("P1", 0, "alsfrs_r", "total", 38.0),
        ("P1", 0, "vas_pain", "total", 3.0),
        ("P1", 90, "vas_pain", "total", 5.0),
        ("P1", 0, "hads", "d", 9.0),
        ("P2", 10, "vas_pain", "total", 0.0),
        ("P2", -20, "alsfrs_r", "total", 40.0),
        ("P2", 12, "alsfrs_r", "total", 39.0),
        ("P2", 120, "fvc", "percent_predicted", 81.5),
    ]
    assessments = pd.DataFrame(rows, columns=["patient_id", "day", "instrument", "item", "value"])
    events = pd.DataFrame(
        {
            "patient_id": ["P1", "P1", "P2"],
            "day": [150, 200, 300],
            "event": ["niv_full_time", "death", "last_contact"],
        }
    )
    pain_sites = pd.DataFrame({"patient_id": ["P1"], "day": [0], "site": ["legs"],
                               "pain_type": ["cramp"]})
    medications = pd.DataFrame({"patient_id": ["P1"], "drug": ["baclofen"],
                                "atc_code": ["M03BX01"], "start_day": [-30], "stop_day": [60]})
    return {"patients": patients, "assessments": assessments, "events": events,
            "pain_sites": pain_sites, "medications": medications}


@pytest.fixture
def cohort() -> Cohort:
    return Cohort(**fixture_tables())


def test_fixture_is_valid(cohort: Cohort) -> None:
    breaches = cohort.validate()
    assert breaches.empty, breaches
    assert list(breaches.columns) == ["table", "row", "column", "value", "rule"]


# each rule: a mutation that breaks it, and the (table, row, column) it must be reported at
Mutation = Callable[[dict[str, pd.DataFrame]], None]


def _set(table: str, row: int, col: str, value: object) -> Mutation:
    def f(t: dict[str, pd.DataFrame]) -> None:
        t[table] = t[table].astype({col: object}) if isinstance(value, str) else t[table]
        t[table].loc[row, col] = value
    return f


def _append(table: str, **values: object) -> Mutation:
    def f(t: dict[str, pd.DataFrame]) -> None:
        t[table] = pd.concat([t[table], pd.DataFrame([values])], ignore_index=True)
    return f


CASES: list[tuple[str, Mutation, str, str]] = [
    ("allowed_values", _set("patients", 1, "sex", "unknown"), "patients", "sex"),
    ("allowed_values", _set("pain_sites", 0, "site", "elbow"), "pain_sites", "site"),
    ("allowed_values", _set("events", 2, "event", "holiday"), "events", "event"),
    ("in_range", _set("patients", 0, "age_at_onset", 140.0), "patients", "age_at_onset"),
    ("not_null", _set("assessments", 3, "instrument", None), "assessments", "instrument"),
    ("unique_key", _append("patients", patient_id="P1", sex="male", age_at_onset=60.0,
                           onset_site="spinal", onset_day=-365, diagnosis_day=-100),
     "patients", "patient_id"),
    ("unique_key", _append("assessments", patient_id="P1", day=0, instrument="hads", item="d",
                           value=9.0), "assessments", "patient_id+day+instrument+item+respondent"),
    ("conflicting_duplicate", _append("assessments", patient_id="P1", day=0, instrument="hads",
                                      item="d", value=12.0), "assessments", "value"),
    ("known_patient", _append("events", patient_id="P9", day=10, event="death"), "events",
     "patient_id"),
    ("onset_not_after_baseline", _set("patients", 0, "onset_day", 5), "patients", "onset_day"),
    ("diagnosis_not_after_baseline", _set("patients", 0, "diagnosis_day", 3), "patients",
     "diagnosis_day"),
    ("onset_not_after_diagnosis", _set("patients", 0, "diagnosis_day", -400), "patients",
     "diagnosis_day"),
    ("not_before_onset", _set("assessments", 14, "day", -370), "assessments", "day"),
    ("not_after_death", _set("assessments", 14, "day", 201), "assessments", "day"),
    ("not_after_death", _set("events", 0, "day", 250), "events", "day"),
    ("single_death", _append("events", patient_id="P1", day=199, event="death"), "events",
     "event"),
    ("known_instrument", _set("assessments", 13, "instrument", "phq9"), "assessments",
     "instrument"),
    ("known_item", _set("assessments", 13, "item", "worst"), "assessments", "item"),
    ("instrument_range", _set("assessments", 13, "value", 11.0), "assessments", "value"),
    ("instrument_range", _set("assessments", 0, "value", 5.0), "assessments", "value"),
    ("stop_not_before_start", _set("medications", 0, "stop_day", -31), "medications",
     "stop_day"),
]


@pytest.mark.parametrize(("rule", "mutate", "table", "column"), CASES,
                         ids=[f"{c[0]}-{c[2]}-{c[3]}" for c in CASES])
def test_each_rule_rejects_its_breach(rule: str, mutate: Mutation, table: str,
                                      column: str) -> None:
    assert rule in RULES
    tables = fixture_tables()
    mutate(tables)
    breaches = Cohort(**tables).validate()
    hit = breaches[(breaches["rule"] == rule) & (breaches["table"] == table)]
    assert len(hit) >= 1, breaches
    assert (hit["column"] == column).all()


def test_every_rule_is_exercised() -> None:
    exercised = {c[0] for c in CASES} | {"required_column", "dtype"}
    assert exercised == set(RULES)


def test_validate_reports_several_breaches_at_once_and_raises() -> None:
    tables = fixture_tables()
    for mutate in (CASES[0][1], CASES[3][1], CASES[13][1], CASES[18][1]):
        mutate(tables)
    cohort = Cohort(**tables)
    breaches = cohort.validate()
    assert {"allowed_values", "in_range", "not_after_death", "instrument_range"} <= set(
        breaches["rule"])
    with pytest.raises(CohortValidationError) as err:
        cohort.validate(raise_on_error=True)
    assert err.value.breaches.equals(breaches)
    assert "rule 'allowed_values'" in str(err.value)


def test_missing_column_and_uncastable_values_raise_with_names() -> None:
    tables = fixture_tables()
    with pytest.raises(SchemaError, match=r"missing required column.*onset_day.*required_column"):
        Cohort(patients=tables["patients"].drop(columns="onset_day"))
    bad = tables["assessments"].astype({"value": object})
    bad.loc[3, "value"] = "four"
    with pytest.raises(SchemaError, match=r"'value'.*rule 'dtype'.*row 3 value 'four'"):
        Cohort(patients=tables["patients"], assessments=bad)
    huge = tables["events"].astype({"day": float})
    huge.loc[0, "day"] = 1e12
    with pytest.raises(SchemaError, match=r"'day'.*int32.*row 0"):
        standardize("events", huge)
    frac = tables["patients"].astype({"onset_day": float})
    frac.loc[1, "onset_day"] = -200.5
    with pytest.raises(SchemaError, match=r"onset_day.*row 1 value -200.5"):
        standardize("patients", frac)


def test_parquet_round_trip_is_exact(cohort: Cohort, tmp_path) -> None:
    cohort.metadata["note"] = "fixture"
    cohort.to_parquet(tmp_path)
    back = Cohort.from_parquet(tmp_path)
    for name, table in cohort.tables.items():
        pd.testing.assert_frame_equal(back.tables[name], table, check_exact=True)
        assert back.tables[name].dtypes.equals(table.dtypes)
    assert back.metadata == {"note": "fixture"}


def test_from_parquet_errors(tmp_path) -> None:
    with pytest.raises(SchemaError, match="not a directory"):
        Cohort.from_parquet(tmp_path / "nope")
    with pytest.raises(SchemaError, match="patients.parquet"):
        Cohort.from_parquet(tmp_path)


# --- views -------------------------------------------------------------------------------------
def test_baseline_by_hand(cohort: Cohort) -> None:
    b = cohort.baseline().set_index("patient_id")
    p1, p2 = b.loc["P1"], b.loc["P2"]
    assert p1["alsfrs_r"] == 38
    assert p1["disease_duration_months"] == pytest.approx(365 / DPM)
    assert p1["diagnostic_delay_months"] == pytest.approx(265 / DPM)
    assert p1["progression_rate"] == pytest.approx(10 / (365 / DPM))
    assert p1["age_at_baseline"] == pytest.approx(60 + 365 / 365.25)
    assert p1["vas_pain"] == 3 and p1["hads_d"] == 9
    # P1 items: bulbar 12, arm 3+3=6 < 8, leg walking 1 < 4 -> King's 2; MiToS walking<=1 -> 1
    assert p1["kings_stage"] == 2 and p1["mitos_stage"] == 1
    # P2: ALSFRS-R at days -20 and 12 -> nearest to 0 is 12; no items -> no stages
    assert p2["alsfrs_r"] == 39 and np.isnan(p2["kings_stage"])
    assert p2["vas_pain"] == 0
    assert np.isnan(p2["fvc_percent"])  # day 120 is outside the +-30-day window


def test_baseline_window_tie_takes_earlier() -> None:
    t = fixture_tables()
    t["assessments"] = pd.concat([t["assessments"], pd.DataFrame(
        [("P2", -12, "alsfrs_r", "total", 41.0)], columns=t["assessments"].columns[:5])],
        ignore_index=True)
    assert Cohort(**t).baseline().set_index("patient_id").loc["P2", "alsfrs_r"] == 41


def test_long_by_hand(cohort: Cohort) -> None:
    v = cohort.long("vas_pain")
    assert list(v.columns) == ["patient_id", "day", "visit", "value", "months_since_baseline",
                               "months_since_onset", "months_since_diagnosis",
                               "months_before_death"]
    p1 = v[v.patient_id == "P1"].reset_index(drop=True)
    assert p1["visit"].tolist() == [1, 2]
    assert p1.loc[1, "months_since_onset"] == pytest.approx((90 + 365) / DPM)
    assert p1.loc[1, "months_since_diagnosis"] == pytest.approx((90 + 100) / DPM)
    assert p1.loc[1, "months_before_death"] == pytest.approx((200 - 90) / DPM)
    assert v[v.patient_id == "P2"]["months_before_death"].isna().all()


def test_survival_by_hand(cohort: Cohort) -> None:
    s = cohort.survival("death", "onset").set_index("patient_id")
    assert s.loc["P1", "event"] == 1 and s.loc["P1", "time_days"] == 200 + 365
    assert s.loc["P2", "event"] == 0 and s.loc["P2", "time_days"] == 300 + 200
    assert s.loc["P1", "entry_months"] == pytest.approx(365 / DPM)
    c = cohort.survival("composite", "baseline").set_index("patient_id")
    assert c.loc["P1", "time_days"] == 150 and c.loc["P1", "event_type"] == "niv_full_time"
    d = cohort.survival("death", "diagnosis").set_index("patient_id")
    assert d.loc["P2", "time_days"] == 350
    with pytest.raises(SchemaError, match="endpoint"):
        cohort.survival("relapse")


def test_survival_censors_at_latest_record_without_last_contact() -> None:
    t = fixture_tables()
    t["events"] = t["events"][t["events"].event != "last_contact"]
    s = Cohort(**t).survival("death", "baseline").set_index("patient_id")
    assert s.loc["P2", "time_days"] == 120 and s.loc["P2", "event"] == 0


def test_summary_has_no_identifiers(cohort: Cohort) -> None:
    text = cohort.summary().to_string()
    assert "P1" not in text and "P2" not in text
    assert "patients" in text


def test_summary_suppresses_small_counts() -> None:
    """Issue 17: counts of 1-4 patients behind the summary's lines are hidden, and the event
    kinds cannot be recovered from the event-row total."""
    import alspaincohort as apc

    c = apc.simulate_cohort(40, seed=5)
    s = c.summary()["value"]
    kinds = c.events["event"].value_counts()
    small = [k for k, n in kinds.items() if 0 < n < 5]
    assert small, kinds
    for kind in small:
        assert s[f"events: {kind}"] == "suppressed"
    shown = [int(s[f"events: {k}"].replace(",", "")) for k in kinds.index
             if s[f"events: {k}"] != "suppressed"]
    hidden = [k for k in kinds.index if s[f"events: {k}"] == "suppressed"]
    assert len(hidden) != 1 or int(s["event rows"].replace(",", "")) - sum(shown) >= 5
    assert c.summary(k=1)["value"].ne("suppressed").all()


def test_cohort_does_not_keep_the_callers_frame() -> None:
    """Issue 16: changing the frame given to Cohort afterwards leaves the cohort unchanged."""
    import alspaincohort as apc

    c = apc.simulate_cohort(20, seed=1)
    p = c.patients.copy()
    c2 = Cohort(patients=p, assessments=c.assessments)
    before = c2.patients["age_at_onset"].copy()
    p.loc[p.index[0], "age_at_onset"] = 999.0
    pd.testing.assert_series_equal(c2.patients["age_at_onset"], before)


def test_memoized_hands_out_copies_of_one_derivation() -> None:
    """Inside ``memoized()``, baseline / survival / scores are derived once and each caller
    gets its own copy (changing it changes nothing for the next caller); outside, and after
    the block, every call derives afresh; the results equal those without the block."""
    c = apc.simulate_cohort(80, seed=4)
    plain = (c.baseline(), c.survival("composite", "onset"), c.scores("vas_pain"))
    with c.memoized():
        with c.memoized():  # nested: the outer block's memo stays
            first = c.baseline()
        first["age_at_onset"] = -1.0
        again = c.baseline()
        assert again is not first
        pd.testing.assert_frame_equal(again, plain[0])
        pd.testing.assert_frame_equal(c.survival("composite", "onset"), plain[1])
        pd.testing.assert_frame_equal(c.scores("vas_pain"), plain[2])
        with pytest.raises(apc.errors.SchemaError, match="endpoint"):
            c.survival("tracheostomy")
    after = c.baseline()
    assert after is not again
    pd.testing.assert_frame_equal(after, plain[0])


def test_instrument_checks_agree_in_any_row_order() -> None:
    """The instrument checks read long runs of one (instrument, item), as loaders write
    them, run by run, and shuffled rows row by row: both find the same breaches (values out
    of range, unknown instruments and items, with missing values among them)."""
    c = apc.simulate_cohort(400, seed=3)
    a = c.assessments.copy()
    rng = np.random.default_rng(0)
    bad = rng.choice(len(a), 40, replace=False)
    a.loc[bad[:15], "value"] = 999.0
    a.loc[bad[15:20], "value"] = -5.0
    a.loc[bad[20:25], "value"] = np.nan
    a["instrument"] = a["instrument"].cat.add_categories(["phq9"])
    a.loc[bad[25:30], "instrument"] = "phq9"
    a["item"] = a["item"].cat.add_categories(["worst"])
    a.loc[bad[30:], "item"] = "worst"
    grouped = a.sort_values(["instrument", "item"], kind="stable").reset_index(drop=True)
    shuffled = grouped.sample(frac=1.0, random_state=1).reset_index(drop=True)
    assert len(grouped) > 10_000  # enough runs when shuffled for the row-wise path

    def found(assessments: pd.DataFrame) -> pd.DataFrame:
        b = Cohort(patients=c.patients, assessments=assessments, pain_sites=c.pain_sites,
                   medications=c.medications, events=c.events).validate()
        b = b[b["rule"].isin(["instrument_range", "known_instrument", "known_item"])]
        key = assessments.iloc[b["row"].to_numpy()][["patient_id", "day", "instrument",
                                                        "item"]].astype(str)
        return pd.concat([b[["rule", "column"]].reset_index(drop=True),
                          key.reset_index(drop=True)], axis=1).sort_values(
            list(key.columns) + ["rule"]).reset_index(drop=True)

    on_runs, row_wise = found(grouped), found(shuffled)
    assert set(on_runs["rule"]) == {"instrument_range", "known_instrument", "known_item"}
    pd.testing.assert_frame_equal(on_runs, row_wise)
