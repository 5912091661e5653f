"""Scoring rules against cases worked by hand from the published definitions (docs/sources.md section 2),
plus property tests: any valid items give scores inside the instrument's range, and stages never
fall as items decline."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from alspaincohort import instruments as ins
from alspaincohort.errors import InstrumentRangeError
from alspaincohort.schema import ALSFRS_R_ITEMS, INSTRUMENTS

NORMAL = dict.fromkeys(ALSFRS_R_ITEMS, 4.0)
NORMAL.pop("q5b_cutting_with_gastrostomy")


def items(**changes: float) -> dict[str, np.ndarray]:
    d = {**NORMAL, **changes}
    return {k: np.array([v], dtype=float) for k, v in d.items()}


# --- ALSFRS-R ---------------------------------------------------------------------------------
def test_alsfrs_r_total_and_subscores_by_hand() -> None:
    it = items(q1_speech=3, q2_salivation=2, q4_handwriting=1,
               q5a_cutting_without_gastrostomy=np.nan, q5b_cutting_with_gastrostomy=2,
               q8_walking=0, r2_orthopnea=3)
    s = ins.alsfrs_r_scores(it)
    assert s["bulbar"][0] == 3 + 2 + 4
    assert s["fine_motor"][0] == 1 + 2 + 4
    assert s["gross_motor"][0] == 4 + 0 + 4
    assert s["respiratory"][0] == 4 + 3 + 4
    assert s["total"][0] == 9 + 7 + 8 + 11 == 35


def test_alsfrs_r_missing_item_gives_nan_not_zero() -> None:
    s = ins.alsfrs_r_scores(items(q7_turning_in_bed=np.nan))
    assert np.isnan(s["total"][0]) and np.isnan(s["gross_motor"][0])
    assert s["bulbar"][0] == 12  # other domains unaffected


def test_alsfrs_r_item5_both_given_raises() -> None:
    with pytest.raises(InstrumentRangeError, match="both 5a and 5b"):
        ins.alsfrs_r_scores(items(q5b_cutting_with_gastrostomy=3))


def test_alsfrs_r_out_of_range_item_names_item_and_value() -> None:
    with pytest.raises(InstrumentRangeError, match=r"q3_swallowing.*value 5"):
        ins.alsfrs_r_scores(items(q3_swallowing=5))


def test_old_alsfrs_total() -> None:
    it = {k: np.array([4.0]) for k in ALSFRS_R_ITEMS[:10] if "5b" not in k}
    it["q10_respiratory"] = np.array([2.0])
    it["q1_speech"] = np.array([1.0])
    assert ins.alsfrs_total(it)[0] == 40 - 3 - 2


def test_dataframe_in_dataframe_out() -> None:
    df = pd.DataFrame({k: [4.0, 3.0] for k in NORMAL}, index=["a", "b"])
    out = ins.alsfrs_r_scores(df)
    assert isinstance(out, pd.DataFrame) and list(out.index) == ["a", "b"]
    assert out.loc["b", "total"] == 36


# --- King's ------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({}, 1),  # no region involved -> recoded to 1
        ({"q1_speech": 3}, 1),  # bulbar only
        ({"q1_speech": 3, "q8_walking": 3}, 2),
        ({"q4_handwriting": 3, "q5a_cutting_without_gastrostomy": 4}, 1),  # upper limb only
        ({"q4_handwriting": 4, "q5a_cutting_without_gastrostomy": 4, "q8_walking": 3}, 1),
        ({"q1_speech": 3, "q4_handwriting": 3, "q8_walking": 3}, 3),
        ({"r1_dyspnea": 0}, 4),
        ({"r1_dyspnea": 1}, 1),  # dyspnea must be 0
        ({"r3_respiratory_insufficiency": 3}, 4),
        ({"q5a_cutting_without_gastrostomy": np.nan, "q5b_cutting_with_gastrostomy": 4}, 4),
    ],
)
def test_kings_stage_by_hand(changes: dict[str, float], expected: int) -> None:
    assert ins.kings_stage(items(**changes))[0] == expected


def test_kings_upper_limb_boundary() -> None:
    # items 4 + 5 < 8 involves the upper limb: 4 + 3 = 7 involved, 4 + 4 = 8 not
    assert ins.kings_stage(items(q5a_cutting_without_gastrostomy=3, q8_walking=3))[0] == 2
    assert ins.kings_stage(items(q8_walking=3))[0] == 1


def test_kings_gastrostomy_flag_death_and_missing() -> None:
    assert ins.kings_stage(items(), gastrostomy=[True])[0] == 4
    assert ins.kings_stage(items(), dead=[True])[0] == 5
    assert np.isnan(ins.kings_stage(items(q8_walking=np.nan))[0])
    assert ins.kings_stage(items(q8_walking=np.nan), dead=[True])[0] == 5
    # item 7 is not used by King's: missing it does not matter
    assert ins.kings_stage(items(q7_turning_in_bed=np.nan))[0] == 1


# --- MiToS -------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({}, 0),
        ({"q8_walking": 1}, 1),
        ({"q8_walking": 2}, 0),
        ({"q6_dressing_hygiene": 1}, 1),
        ({"q8_walking": 0, "q6_dressing_hygiene": 0}, 1),  # one domain, however lost
        ({"q3_swallowing": 1}, 1),
        ({"q1_speech": 1}, 0),  # communicating needs speech AND handwriting
        ({"q4_handwriting": 1}, 0),
        ({"q1_speech": 1, "q4_handwriting": 1}, 1),
        ({"r1_dyspnea": 1}, 1),
        ({"r3_respiratory_insufficiency": 2}, 1),
        ({"r3_respiratory_insufficiency": 3}, 0),
        ({"q8_walking": 0, "q3_swallowing": 0, "q1_speech": 0, "q4_handwriting": 0,
          "r1_dyspnea": 0}, 4),
    ],
)
def test_mitos_stage_by_hand(changes: dict[str, float], expected: int) -> None:
    assert ins.mitos_stage(items(**changes))[0] == expected


def test_mitos_death_and_missing() -> None:
    assert ins.mitos_stage(items(), dead=[True])[0] == 5
    assert np.isnan(ins.mitos_stage(items(q6_dressing_hygiene=np.nan))[0])
    assert ins.mitos_stage(items(q2_salivation=np.nan))[0] == 0  # item 2 unused


# --- BPI ---------------------------------------------------------------------------------------
def test_bpi_by_hand_and_four_of_seven_rule() -> None:
    it = {"worst": [8, 8], "least": [2, 2], "average": [5, 5], "now": [3, np.nan],
          "general_activity": [6, 6], "mood": [4, 4], "walking_ability": [5, np.nan],
          "normal_work": [np.nan, np.nan], "relations": [np.nan, np.nan], "sleep": [7, np.nan],
          "enjoyment": [np.nan, np.nan]}
    s = ins.bpi_scores(it)
    assert s["severity"][0] == pytest.approx(4.5)
    assert np.isnan(s["severity"][1])
    assert s["interference"][0] == pytest.approx((6 + 4 + 5 + 7) / 4)  # 4 answered: valid
    assert np.isnan(s["interference"][1])  # 2 answered: invalid


def test_bpi_bands_boundaries() -> None:
    bands = ins.bpi_severity_band([0, 4, 4.5, 5, 6, 6.75, 7, 10, np.nan])
    assert list(bands.astype(object)) == ["mild", "mild", "mild", "moderate", "moderate",
                                          "moderate", "severe", "severe", np.nan]


def test_pain_change_immpact() -> None:
    cats = ins.pain_change_category([10, 10, 10, 10, 10, 0, 5], [9.5, 9, 7, 5, 12, 0, np.nan])
    assert list(cats.astype(object)) == ["none", "minimal", "moderate", "substantial", "none",
                                         np.nan, np.nan]


def test_vas_nrs_normalisation() -> None:
    assert ins.vas_mm_to_score([0, 37, 100]).tolist() == [0, 3.7, 10]
    assert ins.score_to_vas_mm([3.7]).tolist() == pytest.approx([37.0])
    with pytest.raises(InstrumentRangeError, match="101"):
        ins.vas_mm_to_score([101])
    assert ins.at_least_moderate_pain([3.9, 4, np.nan]).tolist()[:2] == [0.0, 1.0]


def test_paindetect_bands() -> None:
    assert list(ins.paindetect_band([-1, 12, 13, 18, 19, 38]).astype(str)) == [
        "unlikely", "unlikely", "uncertain", "uncertain", "likely", "likely"]
    with pytest.raises(InstrumentRangeError):
        ins.paindetect_band([39])


# --- mood --------------------------------------------------------------------------------------
def test_hads_by_hand_and_bands() -> None:
    it = {f"a{i}": [1] for i in range(1, 8)} | {f"d{i}": [i % 4] for i in range(1, 8)}
    s = ins.hads_scores(it)
    assert s["a"][0] == 7 and s["d"][0] == 1 + 2 + 3 + 0 + 1 + 2 + 3
    assert list(ins.hads_band([7, 8, 10, 11, 21]).astype(str)) == [
        "normal", "borderline", "borderline", "case", "case"]
    it["d3"] = [np.nan]
    assert np.isnan(ins.hads_scores(it)["d"][0])


def test_adi12_bdi2_bands_and_totals() -> None:
    assert ins.adi12_total({f"q{i}": [2] for i in range(1, 13)})[0] == 24
    assert list(ins.adi12_band([12, 22, 23, 29, 30, 48]).astype(str)) == [
        "none", "none", "depressive_disorder", "depressive_disorder", "major_depression",
        "major_depression"]
    with pytest.raises(InstrumentRangeError):
        ins.adi12_total({f"q{i}": [0] for i in range(1, 13)})  # items are 1-4
    assert ins.bdi2_total({f"q{i}": [1] for i in range(1, 22)})[0] == 21
    assert list(ins.bdi2_band([13, 14, 19, 20, 28, 29]).astype(str)) == [
        "minimal", "mild", "mild", "moderate", "moderate", "severe"]


def test_depression_case_cutoffs() -> None:
    assert ins.depression_case([7, 8], "hads", 8).tolist() == [0, 1]
    assert ins.depression_case([10, 11], "hads", "case").tolist() == [0, 1]
    assert ins.depression_case([29, 30], "adi12", "major_depression").tolist() == [0, 1]
    with pytest.raises(InstrumentRangeError):
        ins.depression_case([5], "phq9")


def test_alsaq40_by_hand() -> None:
    it = {f"q{i}": [0.0] for i in range(1, 41)}
    for i in range(21, 24):
        it[f"q{i}"] = [4.0]  # eating and drinking all "always"
    it["q24"] = [2.0]
    s = ins.alsaq40_scores(it)
    assert s["eating_drinking"][0] == 100
    assert s["communication"][0] == pytest.approx(100 * 2 / 28)
    assert s["physical_mobility"][0] == 0
    assert s["summary_index"][0] == pytest.approx((100 + 100 * 2 / 28) / 5)


def test_derive_scores_long_layer() -> None:
    rows = [("p1", 0, "alsfrs_r", item, 3.0) for item in NORMAL]
    rows += [("p1", 0, "vas_pain", "mm", 42.0), ("p2", 0, "alsfrs_r", "q1_speech", 4.0)]
    a = pd.DataFrame(rows, columns=["patient_id", "day", "instrument", "item", "value"])
    out = ins.derive_scores(a)
    got = {(r.patient_id, r.instrument, r.item): r.value for r in out.itertuples()}
    assert got[("p1", "alsfrs_r", "total")] == 36
    assert got[("p1", "vas_pain", "total")] == pytest.approx(4.2)
    assert ("p2", "alsfrs_r", "total") not in got  # incomplete items: no score stored
    assert out["derived"].all()


# --- properties --------------------------------------------------------------------------------
item_value = st.integers(0, 4)


@st.composite
def alsfrs_items(draw: st.DrawFn) -> dict[str, np.ndarray]:
    values = {k: np.array([float(draw(item_value))]) for k in NORMAL}
    if draw(st.booleans()):
        values["q5b_cutting_with_gastrostomy"] = values.pop("q5a_cutting_without_gastrostomy")
    return values


@settings(max_examples=200, deadline=None)
@given(alsfrs_items())
def test_scores_in_range_for_any_valid_items(it: dict[str, np.ndarray]) -> None:
    s = ins.alsfrs_r_scores(it)
    for name, (lo, hi) in INSTRUMENTS["alsfrs_r"].scores.items():
        assert lo <= s[name][0] <= hi
    assert 1 <= ins.kings_stage(it)[0] <= 4
    assert 0 <= ins.mitos_stage(it)[0] <= 4


@settings(max_examples=200, deadline=None)
@given(alsfrs_items(), st.lists(st.sampled_from(sorted(NORMAL)), min_size=1, max_size=6),
       st.booleans())
def test_stages_monotone_in_item_decline(it: dict[str, np.ndarray], declined: list[str],
                                         gastrostomy_later: bool) -> None:
    later = {k: v.copy() for k, v in it.items()}
    for name in declined:
        key = name
        if name == "q5a_cutting_without_gastrostomy" and name not in later:
            key = "q5b_cutting_with_gastrostomy"
        later[key] = np.maximum(later[key] - 1, 0)
    if gastrostomy_later and "q5a_cutting_without_gastrostomy" in later:
        later["q5b_cutting_with_gastrostomy"] = later.pop("q5a_cutting_without_gastrostomy")
    assert ins.kings_stage(later)[0] >= ins.kings_stage(it)[0]
    assert ins.mitos_stage(later)[0] >= ins.mitos_stage(it)[0]
    assert ins.alsfrs_r_scores(later)["total"][0] <= ins.alsfrs_r_scores(it)["total"][0]


@settings(max_examples=100, deadline=None)
@given(st.lists(st.integers(0, 3), min_size=14, max_size=14),
       st.lists(st.integers(0, 10), min_size=11, max_size=11),
       st.lists(st.integers(0, 4), min_size=40, max_size=40))
def test_questionnaire_scores_in_range(hads: list[int], bpi: list[int], alsaq: list[int]) -> None:
    h = ins.hads_scores({**{f"a{i + 1}": [hads[i]] for i in range(7)},
                         **{f"d{i + 1}": [hads[7 + i]] for i in range(7)}})
    assert 0 <= h["a"][0] <= 21 and 0 <= h["d"][0] <= 21
    names = ("worst", "least", "average", "now", "general_activity", "mood", "walking_ability",
             "normal_work", "relations", "sleep", "enjoyment")
    b = ins.bpi_scores({n: [v] for n, v in zip(names, bpi, strict=True)})
    assert 0 <= b["severity"][0] <= 10 and 0 <= b["interference"][0] <= 10
    q = ins.alsaq40_scores({f"q{i + 1}": [v] for i, v in enumerate(alsaq)})
    for v in q.values():
        assert 0 <= v[0] <= 100


def test_dn4_scores_and_cut_offs() -> None:
    """Issue 21: DN4 (Bouhassira 2005): 10 yes/no items, total 0-10 (>= 4 neuropathic), the 7
    interview items 0-7 (>= 3); a missing item leaves its scores missing; items are 0/1."""
    from alspaincohort.instruments import dn4_neuropathic, dn4_scores
    from alspaincohort.schema import DN4_EXAMINATION_ITEMS, DN4_INTERVIEW_ITEMS

    rng = np.random.default_rng(3)
    items = pd.DataFrame(rng.integers(0, 2, (50, 10)),
                         columns=list(DN4_INTERVIEW_ITEMS + DN4_EXAMINATION_ITEMS)).astype(float)
    items.iloc[0, 8] = np.nan
    s = dn4_scores(items)
    np.testing.assert_array_equal(s["total"][1:], items.iloc[1:].sum(axis=1))
    np.testing.assert_array_equal(s["interview"], items[list(DN4_INTERVIEW_ITEMS)].sum(axis=1))
    assert np.isnan(s["total"].iloc[0]) and not np.isnan(s["interview"].iloc[0])
    assert dn4_neuropathic([3, 4, np.nan]).tolist()[:2] == [0.0, 1.0]
    assert dn4_neuropathic([2, 3], version="interview").tolist() == [0.0, 1.0]
    with pytest.raises(InstrumentRangeError):
        dn4_neuropathic([11])
    with pytest.raises(InstrumentRangeError):
        dn4_neuropathic([1], version="short")
    bad = items.iloc[1:3].copy()
    bad.iloc[0, 0] = 2
    with pytest.raises(InstrumentRangeError):
        dn4_scores(bad)
    inst = INSTRUMENTS
    assert inst["dn4"].scores == {"total": (0, 10), "interview": (0, 7)}
    assert inst["penn_spasm"].scores == {"frequency": (0, 4)}
    assert inst["modified_ashworth"].scores == {"grade": (0, 4)}


def test_dn4_items_are_scored_into_derived_rows() -> None:
    from alspaincohort.instruments import derive_scores
    from alspaincohort.schema import DN4_EXAMINATION_ITEMS, DN4_INTERVIEW_ITEMS

    names = DN4_INTERVIEW_ITEMS + DN4_EXAMINATION_ITEMS
    long = pd.DataFrame({"patient_id": "p1", "day": 0, "instrument": "dn4", "item": list(names),
                         "value": [1.0, 1, 0, 1, 0, 0, 0, 1, 0, 1]})
    out = derive_scores(long, ["dn4"]).set_index("item")["value"]
    assert out["total"] == 5 and out["interview"] == 3
