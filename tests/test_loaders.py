"""Loaders: round trips from synthetic cohorts, a corpus of broken files (one per rule, each
yielding exactly its rule), encodings and delimiters, file formats, mapping errors, strict mode,
and a property test: whatever corruption, only documented errors or quarantined rows, and rows
read = rows loaded + rows quarantined for every file."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

import alspaincohort as apc
from alspaincohort.cli import app
from alspaincohort.loaders import EXAMPLES, LoadError, MappingError, read_mapping
from alspaincohort.synthetic import to_proact
from alspaincohort.synthetic.redcap import to_redcap

REDCAP = EXAMPLES / "redcap"


@pytest.fixture(scope="module")
def source_cohort() -> apc.Cohort:
    return apc.simulate_cohort(120, seed=77)


@pytest.fixture(scope="module")
def proact_dir(source_cohort: apc.Cohort, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return to_proact(source_cohort, tmp_path_factory.mktemp("proact"))


def load_dir(d: Path, **kw) -> apc.Cohort:
    pain = [p for p in (d / "pain_questionnaire.csv", d / "pain_sites.csv") if p.exists()]
    return apc.load_proact(d, pain=pain or None, **kw)


def _values(c: apc.Cohort, pairs: list[tuple[str, str]]) -> pd.DataFrame:
    a = c.assessments
    key = a.instrument.astype(str) + "/" + a.item.astype(str)
    sub = a[key.isin([f"{i}/{t}" for i, t in pairs])]
    out = pd.DataFrame({"patient_id": sub.patient_id.astype(str), "day": sub.day,
                        "key": key[sub.index], "value": sub.value.astype(float)})
    return out.sort_values(["patient_id", "day", "key"], ignore_index=True)


# --- round trips -------------------------------------------------------------------------------
def test_proact_round_trip(source_cohort: apc.Cohort, proact_dir: Path) -> None:
    """simulate -> to_proact -> load_proact gives back the cohort, apart from NOT_CARRIED."""
    loaded = load_dir(proact_dir)
    rep = loaded.load_report
    assert rep.rows_quarantined == 0 and rep.rows_read == rep.rows_loaded > 0
    assert loaded.validate().empty
    p0 = source_cohort.patients.assign(patient_id=lambda d: d.patient_id.astype(str))
    p1 = loaded.patients.assign(patient_id=lambda d: d.patient_id.astype(str))
    for col in ("patient_id", "onset_day", "diagnosis_day"):
        assert p0[col].tolist() == p1[col].tolist(), col
    for col in ("sex", "onset_site", "el_escorial"):
        assert p0[col].astype(str).tolist() == p1[col].astype(str).tolist(), col
    np.testing.assert_allclose(p1.age_at_onset, p0.age_at_onset, atol=1e-6)
    pairs = [(i, t) for i, t in zip(source_cohort.assessments.instrument.astype(str),
                                    source_cohort.assessments.item.astype(str), strict=True)]
    pairs = sorted(set(pairs))
    a0, a1 = _values(source_cohort, pairs), _values(loaded, pairs)
    pd.testing.assert_frame_equal(a0, a1, check_dtype=False, rtol=1e-6)
    d0 = source_cohort.events[source_cohort.events.event == "death"]
    d1 = loaded.events
    assert sorted(zip(d0.patient_id.astype(str), d0.day, strict=True)) == sorted(
        zip(d1.patient_id.astype(str), d1.day, strict=True))
    m0 = source_cohort.medications.assign(patient_id=lambda d: d.patient_id.astype(str))
    m1 = loaded.medications.assign(patient_id=lambda d: d.patient_id.astype(str))
    key = ["patient_id", "drug", "start_day"]
    m0 = m0.sort_values(key, ignore_index=True)
    m1 = m1.sort_values(key, ignore_index=True)
    for col in ("patient_id", "drug", "atc_code", "start_day", "drug_class"):
        assert m0[col].astype(str).tolist() == m1[col].astype(str).tolist(), col
    s0 = source_cohort.pain_sites.astype(str).sort_values(list(source_cohort.pain_sites.columns))
    s1 = loaded.pain_sites.astype(str).sort_values(list(loaded.pain_sites.columns))
    assert s0.values.tolist() == s1.values.tolist()
    assert (loaded.patients.source == "PRO-ACT").all()
    assert set(loaded.assessments.source.astype(str)) >= {"PRO-ACT ALSFRS", "PRO-ACT FVC"}


def test_redcap_example_round_trip(tmp_path: Path) -> None:
    c = apc.simulate_cohort(40, seed=31)
    to_redcap(c, tmp_path, seed=1)
    loaded = apc.load_tabular(tmp_path, REDCAP / "mapping.yaml")
    assert loaded.load_report.rows_quarantined == 0
    assert loaded.validate().empty
    p0, p1 = c.patients, loaded.patients
    assert p0.patient_id.astype(str).tolist() == p1.patient_id.astype(str).tolist()
    for col in ("onset_day", "diagnosis_day"):
        assert p0[col].tolist() == p1[col].tolist()
    assert p0.sex.astype(str).tolist() == p1.sex.astype(str).tolist()
    assert p0.ftd.tolist() == p1.ftd.tolist()
    pairs = [("alsfrs_r", "q1_speech"), ("alsfrs_r", "total"), ("hads", "d"),
             ("fvc", "percent_predicted"), ("vas_pain", "total")]
    pd.testing.assert_frame_equal(_values(c, pairs), _values(loaded, pairs), check_dtype=False,
                                  rtol=1e-5)
    deaths0 = c.events[c.events.event == "death"].day.tolist()
    assert sorted(deaths0) == sorted(loaded.events[loaded.events.event == "death"].day.tolist())


def test_bundled_redcap_example_loads() -> None:
    c = apc.load_tabular(REDCAP, REDCAP / "mapping.yaml")
    rep = c.load_report
    assert rep.rows_quarantined == 0 and rep.rows_read == rep.rows_loaded
    assert c.n_patients == 30 and c.validate().empty
    b = c.baseline()
    assert b.alsfrs_r.notna().all() and b.kings_stage.notna().all()


# --- broken PRO-ACT files: one per rule ---------------------------------------------------------
Edit = Callable[[Path], None]


def edit_csv(name: str, f: Callable[[pd.DataFrame], pd.DataFrame]) -> Edit:
    def run(d: Path) -> None:
        df = pd.read_csv(d / name, dtype=str, keep_default_na=False)
        f(df).to_csv(d / name, index=False)
    return run


def set_cell(name: str, row: int, col: str, value: str) -> Edit:
    def f(df: pd.DataFrame) -> pd.DataFrame:
        df.loc[row, col] = value
        return df
    return edit_csv(name, f)


def first_death_row(d: Path) -> int:
    df = pd.read_csv(d / "PROACT_DEATHDATA.csv", dtype=str, keep_default_na=False)
    return int(np.flatnonzero(df.Subject_Died == "Yes")[0])


def visit_after_death(d: Path) -> None:
    deaths = pd.read_csv(d / "PROACT_DEATHDATA.csv")
    sid = deaths[deaths.Subject_Died == "Yes"].iloc[0]
    df = pd.read_csv(d / "PROACT_ALSFRS.csv", dtype=str, keep_default_na=False)
    i = int(np.flatnonzero(df.subject_id == sid.subject_id)[0])
    df.loc[i, "ALSFRS_Delta"] = str(int(sid.Death_Days) + 10)
    df.to_csv(d / "PROACT_ALSFRS.csv", index=False)


def duplicate_visit(conflicting: bool) -> Edit:
    def f(df: pd.DataFrame) -> pd.DataFrame:
        extra = df.iloc[[0]].copy()
        if conflicting:
            extra["pct_of_Normal_Trial_1"] = "55.5"
        return pd.concat([df, extra], ignore_index=True)
    return edit_csv("PROACT_FVC.csv", f)


def unknown_patient(df: pd.DataFrame) -> pd.DataFrame:
    extra = df.iloc[[0]].copy()
    extra["subject_id"] = "NOBODY"
    return pd.concat([df, extra], ignore_index=True)


CORPUS: list[tuple[str, str, Edit]] = [
    ("allowed_values", "PROACT_DEMOGRAPHICS.csv", set_cell("PROACT_DEMOGRAPHICS.csv", 0, "Sex",
                                                           "X")),
    ("allowed_values", "PROACT_ALSHISTORY.csv", set_cell("PROACT_ALSHISTORY.csv", 1,
                                                         "Site_of_Onset", "Onset: Elbow")),
    ("instrument_range", "PROACT_ALSFRS.csv", set_cell("PROACT_ALSFRS.csv", 2, "Q3_Swallowing",
                                                       "7")),
    ("non_numeric", "PROACT_ALSFRS.csv", set_cell("PROACT_ALSFRS.csv", 3, "Q1_Speech", "four")),
    ("onset_not_after_diagnosis", "PROACT_ALSHISTORY.csv",
     edit_csv("PROACT_ALSHISTORY.csv", lambda df: df.assign(
         Diagnosis_Delta=np.where(df.index == 4, "-5000", df.Diagnosis_Delta)))),
    ("onset_not_after_baseline", "PROACT_ALSHISTORY.csv",
     set_cell("PROACT_ALSHISTORY.csv", 5, "Onset_Delta", "30")),
    ("not_after_death", "PROACT_ALSFRS.csv", visit_after_death),
    ("conflicting_duplicate", "PROACT_FVC.csv", duplicate_visit(True)),
    ("unique_key", "PROACT_FVC.csv", duplicate_visit(False)),
    ("known_patient", "PROACT_ALSFRS.csv", edit_csv("PROACT_ALSFRS.csv", unknown_patient)),
    ("missing_death_day", "PROACT_DEATHDATA.csv",
     lambda d: set_cell("PROACT_DEATHDATA.csv", first_death_row(d), "Death_Days", "")(d)),
    ("inconsistent_death", "PROACT_DEATHDATA.csv",
     lambda d: set_cell("PROACT_DEATHDATA.csv", first_death_row(d), "Subject_Died", "No")(d)),
    ("both_item5", "PROACT_ALSFRS.csv",
     lambda d: (set_cell("PROACT_ALSFRS.csv", 6, "Q5b_Cutting_with_Gastrostomy", "2")(d),
                set_cell("PROACT_ALSFRS.csv", 6, "Q5a_Cutting_without_Gastrostomy", "2")(d))),
    ("inconsistent_total", "PROACT_ALSFRS.csv",
     set_cell("PROACT_ALSFRS.csv", 7, "ALSFRS_R_Total", "47")),
    ("non_integer_day", "PROACT_FVC.csv",
     set_cell("PROACT_FVC.csv", 8, "Forced_Vital_Capacity_Delta", "12.5")),
    ("in_range", "PROACT_FVC.csv",
     set_cell("PROACT_FVC.csv", 8, "Forced_Vital_Capacity_Delta", "1e300")),
    ("non_numeric", "PROACT_FVC.csv",
     set_cell("PROACT_FVC.csv", 8, "Forced_Vital_Capacity_Delta", "nan")),
    ("not_null", "PROACT_FVC.csv", set_cell("PROACT_FVC.csv", 9, "subject_id", "")),
    ("empty_record", "PROACT_FVC.csv", set_cell("PROACT_FVC.csv", 10, "pct_of_Normal_Trial_1",
                                                "")),
    ("ambiguous_alsfrs_version", "PROACT_ALSFRS.csv",
     set_cell("PROACT_ALSFRS.csv", 11, "Q10_Respiratory", "3")),
    ("conflicting_duplicate", "PROACT_ALSHISTORY.csv",
     edit_csv("PROACT_ALSHISTORY.csv", lambda df: pd.concat(
         [df, df.iloc[[0]].assign(Onset_Delta="-999", Site_of_Onset="")], ignore_index=True))),
]


@pytest.mark.parametrize(("rule", "file", "edit"), CORPUS,
                         ids=[f"{c[0]}-{c[1]}" for c in CORPUS])
def test_broken_file_yields_exactly_its_rule(rule: str, file: str, edit: Edit,
                                             proact_dir: Path, tmp_path: Path) -> None:
    d = tmp_path / "p"
    shutil.copytree(proact_dir, d)
    edit(d)
    loaded = load_dir(d)
    q = loaded.load_report.quarantine
    mine = q[q.file == file]
    assert set(mine.rule) == {rule}, q[["file", "line", "column", "value", "rule"]]
    # anything elsewhere is the cascade of a quarantined patient, nothing else
    assert set(q[q.file != file].rule) <= {"known_patient"}
    for f in loaded.load_report.files:
        assert f.rows_read == f.rows_loaded + f.rows_quarantined
    entry = mine.iloc[0]
    assert entry.line == entry.row + 2 and entry.raw.startswith("{")
    assert loaded.validate().empty


def test_strict_raises_with_file_line_column_value_rule(proact_dir: Path, tmp_path: Path) -> None:
    d = tmp_path / "p"
    shutil.copytree(proact_dir, d)
    set_cell("PROACT_ALSFRS.csv", 3, "Q1_Speech", "four")(d)
    with pytest.raises(LoadError) as err:
        load_dir(d, strict=True)
    e = err.value
    assert (e.file, e.line, e.column, e.value, e.rule) == ("PROACT_ALSFRS.csv", 5, "Q1_Speech",
                                                           "four", "non_numeric")
    assert "PROACT_ALSFRS.csv" in str(e) and "line 5" in str(e)


def test_missing_forms_columns_empty_and_header_only(proact_dir: Path, tmp_path: Path) -> None:
    d = tmp_path / "p"
    shutil.copytree(proact_dir, d)
    (d / "PROACT_DEMOGRAPHICS.csv").unlink()
    with pytest.raises(LoadError, match="DEMOGRAPHICS") as err:
        load_dir(d)
    assert err.value.rule == "missing_file"
    shutil.copy(proact_dir / "PROACT_DEMOGRAPHICS.csv", d)
    edit_csv("PROACT_ALSFRS.csv", lambda df: df.drop(columns="ALSFRS_Delta"))(d)
    with pytest.raises(LoadError, match="ALSFRS_Delta") as err:
        load_dir(d)
    assert err.value.rule == "missing_column" and err.value.file == "PROACT_ALSFRS.csv"
    (d / "PROACT_ALSFRS.csv").write_text("")
    with pytest.raises(LoadError, match="empty") as err:
        load_dir(d)
    assert err.value.rule == "empty_file"
    header = (proact_dir / "PROACT_ALSFRS.csv").read_text().splitlines()[0]
    (d / "PROACT_ALSFRS.csv").write_text(header + "\n")
    loaded = load_dir(d)
    f = next(f for f in loaded.load_report.files if f.file == "PROACT_ALSFRS.csv")
    assert (f.rows_read, f.rows_loaded) == (0, 0)
    assert loaded.long("alsfrs_r").empty


def test_f_prefix_and_duplicate_forms(proact_dir: Path, tmp_path: Path) -> None:
    d = tmp_path / "p"
    shutil.copytree(proact_dir, d)
    for f in d.glob("PROACT_*.csv"):
        f.rename(d / f"F_{f.name}")
    assert load_dir(d).n_patients == 120
    shutil.copy(proact_dir / "PROACT_FVC.csv", d)
    with pytest.raises(LoadError, match="two files for form FVC"):
        load_dir(d)


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "latin-1"])
@pytest.mark.parametrize("delimiter", [",", ";", "\t"])
def test_encodings_and_delimiters(encoding: str, delimiter: str, proact_dir: Path,
                                  tmp_path: Path) -> None:
    d = tmp_path / "p"
    shutil.copytree(proact_dir, d)
    med = pd.read_csv(d / "PROACT_CONMEDS.csv", dtype=str, keep_default_na=False)
    med.loc[0, "Medication_Coded"] = "Paracétamol"
    med.to_csv(d / "PROACT_CONMEDS.csv", index=False, sep=delimiter, encoding=encoding)
    demo = pd.read_csv(d / "PROACT_DEMOGRAPHICS.csv", dtype=str, keep_default_na=False)
    demo.to_csv(d / "PROACT_DEMOGRAPHICS.csv", index=False, sep=delimiter, encoding=encoding)
    loaded = load_dir(d)
    assert loaded.load_report.rows_quarantined == 0
    assert "paracétamol" in set(loaded.medications.drug.astype(str))
    assert loaded.n_patients == 120


def test_wrong_delimiter_is_named(proact_dir: Path, tmp_path: Path) -> None:
    d = tmp_path / "p"
    shutil.copytree(proact_dir, d)
    text = (d / "PROACT_FVC.csv").read_text().replace(",", ":")
    (d / "PROACT_FVC.csv").write_text(text)
    with pytest.raises(LoadError, match="delimiter") as err:
        load_dir(d)
    assert err.value.rule == "missing_column"


# --- tabular: formats and mapping errors --------------------------------------------------------
@pytest.mark.parametrize("suffix", [".xlsx", ".sav", ".dta", ".tsv"])
def test_tabular_formats_load_like_csv(suffix: str, tmp_path: Path) -> None:
    import pyreadstat

    shutil.copytree(REDCAP, tmp_path / "r")
    d = tmp_path / "r"
    patients = pd.read_csv(d / "patients.csv")
    target = d / f"patients{suffix}"
    if suffix == ".xlsx":
        patients.to_excel(target, index=False)
    elif suffix == ".sav":
        pyreadstat.write_sav(patients, str(target))
    elif suffix == ".dta":
        pyreadstat.write_dta(patients, str(target))
    else:
        patients.to_csv(target, sep="\t", index=False)
    (d / "patients.csv").unlink()
    mapping = read_mapping(d / "mapping.yaml")
    mapping["files"][0]["path"] = target.name
    loaded = apc.load_tabular([p for p in d.iterdir() if p.suffix != ".yaml"], mapping)
    reference = apc.load_tabular(REDCAP, REDCAP / "mapping.yaml")
    assert loaded.load_report.rows_quarantined == 0
    for col in ("patient_id", "sex", "onset_site", "onset_day", "diagnosis_day", "ftd"):
        assert loaded.patients[col].astype(str).tolist() == \
            reference.patients[col].astype(str).tolist(), col
    np.testing.assert_allclose(loaded.patients.age_at_onset, reference.patients.age_at_onset)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda m: m.pop("id_column"), "id_column"),
        (lambda m: m["files"][0].update(table="people"), r"files\[0\].table"),
        (lambda m: m["files"][0]["columns"].update(height="h"), "not a column of table patients"),
        (lambda m: m["files"][1]["measures"].update(x={"instrument": "phq9", "item": "total"}),
         "unknown instrument 'phq9'"),
        (lambda m: m["files"][1]["measures"].update(x={"instrument": "hads", "item": "z"}),
         "not an item or score of hads"),
        (lambda m: m["files"][1].update(layout="diagonal"), "layout"),
        (lambda m: m["files"][2].update(day="d"), "exactly one of 'date'"),
        (lambda m: m.update(extra=1), "unknown key"),
        # every wrong type names its key (issue 17)
        (lambda m: m["files"][0].update(table=["patients"]), r"files\[0\]\.table"),
        (lambda m: m["files"][0].update(codes=[1, 2]), r"files\[0\]\.codes: Input should be a valid "
         "dictionary"),
        (lambda m: m["files"][0]["codes"].update(sex=["male"]), r"files\[0\]\.codes\.sex"),
        (lambda m: m["files"][1]["measures"]["vas_mm"].update(item=["mm"]),
         r"files\[1\]\.measures\.vas_mm\.item"),
        (lambda m: m["files"][1]["measures"]["vas_mm"].update(instrument=7),
         r"files\[1\]\.measures\.vas_mm\.instrument"),
        (lambda m: m.update(date_format=5), "date_format: Input should be a valid string"),
        (lambda m: m.update(date_format="%Q"), "date_format: '%Q' is not a valid date format"),
        (lambda m: m.update(date_format="%Y-%m"), "does not read a whole date"),
        (lambda m: m.update(date_format="%Y-%m-%d%z"), "time zones"),
        (lambda m: m.update(files="patients.csv"), r"files: Input should be a valid list"),
        (lambda m: m["files"][0]["codes"]["sex"].update({1: 2}), r"codes\.sex\.1: Input should "
         "be a valid string"),
        (lambda m: m["files"][0]["codes"].update(sex={(1, 2): "x"}),
         r"codes\.sex\.\(1, 2\): a code must be text or a number"),
        (lambda m: m["files"][0]["columns"].update(str=5), r"files\[0\]\.columns\.str:"),
    ],
)
def test_mapping_errors_name_the_key(change, message: str) -> None:
    m = read_mapping(REDCAP / "mapping.yaml")
    change(m)
    with pytest.raises(MappingError, match=message):
        read_mapping(m)


def test_mapping_file_problems(tmp_path: Path) -> None:
    bad = tmp_path / "m.yaml"
    bad.write_text("files: [unclosed\n")
    with pytest.raises(MappingError, match="not valid YAML"):
        read_mapping(bad)
    bad.write_text("!!python/object/apply:os.system ['echo hi']\n")
    with pytest.raises(MappingError):  # safe_load: no code from input files
        read_mapping(bad)
    with pytest.raises(MappingError, match="not found"):
        read_mapping(tmp_path / "none.yaml")


def test_tabular_unknown_code_and_bad_date(tmp_path: Path) -> None:
    shutil.copytree(REDCAP, tmp_path / "r")
    d = tmp_path / "r"
    p = pd.read_csv(d / "patients.csv", dtype=str, keep_default_na=False)
    p.loc[0, "gender"] = "9"
    p.loc[1, "onset_date"] = "31/02/2019"
    p.to_csv(d / "patients.csv", index=False)
    c = apc.load_tabular(d, d / "mapping.yaml")
    q = c.load_report.quarantine
    own = q[q.file == "patients.csv"].set_index("row").rule.to_dict()
    assert own == {0: "unknown_code", 1: "invalid_date"}
    assert set(q[q.file != "patients.csv"].rule) <= {"known_patient"}
    c.load_report.check_invariant()
    c.load_report.to_csv(tmp_path / "q.csv")
    assert (tmp_path / "q_summary.csv").exists()
    assert len(pd.read_csv(tmp_path / "q.csv")) == len(q)


def test_tabular_respondent_per_file_and_per_row(tmp_path: Path) -> None:
    """Issue 21: a file's ``respondent:`` marks every row of it (a caregiver's BPI items are
    scored apart from the patient's on the same day: before, the scores grouped by patient and
    day only, and the pivot took the first item of either), a long file can name the
    respondent per row, and a value that is not a respondent is quarantined (never coerced)."""
    (tmp_path / "patients.csv").write_text("id,sex,age,site\nP1,male,60,spinal\n"
                                           "P2,female,55,bulbar\n")
    items = "id,day,w,l,a,n\n"
    (tmp_path / "pat.csv").write_text(items + "P1,0,5,3,4,2\nP2,0,2,1,2,1\n")
    (tmp_path / "cg.csv").write_text(items + "P1,0,7,5,6,4\n")
    (tmp_path / "long.csv").write_text("id,day,instrument,item,value,who\n"
                                       "P1,30,vas_pain,total,4,caregiver\n"
                                       "P2,30,vas_pain,total,3,patient\n"
                                       "P2,60,vas_pain,total,3,Nurse\n")
    bpi = {c: {"instrument": "bpi", "item": i} for c, i in
           (("w", "worst"), ("l", "least"), ("a", "average"), ("n", "now"))}
    mapping = {"id_column": "id", "files": [
        {"path": "patients.csv", "table": "patients",
         "columns": {"sex": "sex", "age_at_onset": "age", "onset_site": "site"}},
        {"path": "pat.csv", "table": "assessments", "day": "day", "measures": bpi},
        {"path": "cg.csv", "table": "assessments", "day": "day", "measures": bpi,
         "respondent": "caregiver"},
        {"path": "long.csv", "table": "assessments", "layout": "long", "day": "day",
         "columns": {"instrument": "instrument", "item": "item", "value": "value",
                     "respondent": "who"}}]}
    c = apc.load_tabular(tmp_path, mapping)
    own = c.scores("bpi", "severity").set_index("patient_id").value.to_dict()
    assert own == {"P1": 3.5, "P2": 1.5}  # mean of 5, 3, 4, 2: the patient's own items
    proxy = c.scores("bpi", "severity", respondent="caregiver")
    assert proxy.value.tolist() == [5.5] and proxy.patient_id.tolist() == ["P1"]
    assert c.scores("vas_pain", respondent="caregiver").day.tolist() == [30]
    assert c.scores("vas_pain").patient_id.tolist() == ["P2"]
    q = c.load_report.quarantine
    assert q[["file", "rule"]].values.tolist() == [["long.csv", "allowed_values"]]
    assert q.value.tolist() == ["Nurse"]
    c.load_report.check_invariant()
    for bad, message in (({"respondent": "nurse"}, r"files\[2\]\.respondent: 'nurse' is not"),
                         ({"respondent": "caregiver", "layout": "long",
                           "columns": {"instrument": "i", "item": "t", "value": "v",
                                       "respondent": "w"}, "measures": None},
                          "not both")):
        m = {**mapping, "files": [*mapping["files"][:2], {**mapping["files"][2], **bad},
                                  mapping["files"][3]]}
        with pytest.raises(MappingError, match=message):
            read_mapping(m)


# --- property test -------------------------------------------------------------------------------
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(edits=st.lists(st.tuples(st.sampled_from(["PROACT_ALSFRS.csv", "PROACT_DEMOGRAPHICS.csv",
                                           "PROACT_ALSHISTORY.csv", "PROACT_FVC.csv",
                                           "PROACT_DEATHDATA.csv", "pain_questionnaire.csv"]),
                          st.integers(0, 60), st.integers(0, 30),
                          st.one_of(st.text(max_size=6), st.integers(-1000, 1000).map(str),
                                    st.floats(allow_nan=True).map(str), st.just(""))),
                min_size=1, max_size=8))
def test_corrupted_files_give_only_documented_outcomes(edits, proact_dir: Path,
                                                       tmp_path_factory) -> None:
    d = tmp_path_factory.mktemp("corrupt")
    for f in proact_dir.iterdir():
        shutil.copy(f, d)
    for name, row, col, value in edits:
        df = pd.read_csv(d / name, dtype=str, keep_default_na=False)
        df.iloc[row % len(df), col % len(df.columns)] = value
        df.to_csv(d / name, index=False)
    try:
        loaded = load_dir(d)
    except LoadError:
        return  # a documented, named error (e.g. a required column renamed)
    rep = loaded.load_report
    for f in rep.files:
        assert f.rows_read == f.rows_loaded + f.rows_quarantined
    assert loaded.validate().empty


# --- CLI ------------------------------------------------------------------------------------------
def test_cli_validate_reports_and_exit_codes(proact_dir: Path, tmp_path: Path) -> None:
    runner = CliRunner()
    r = runner.invoke(app, ["validate", str(proact_dir)])
    assert r.exit_code == 0 and "0 quarantined" in r.output
    d = tmp_path / "p"
    shutil.copytree(proact_dir, d)
    set_cell("PROACT_ALSFRS.csv", 2, "Q3_Swallowing", "7")(d)
    r = runner.invoke(app, ["validate", str(d), "--report", str(tmp_path / "q.csv")])
    assert r.exit_code == 1 and "instrument_range" in r.output
    assert (tmp_path / "q.csv").exists()
    r = runner.invoke(app, ["validate", str(d), "--strict"])
    assert r.exit_code == 2 and "Q3_Swallowing" in r.output
    r = runner.invoke(app, ["validate", str(REDCAP), "--mapping", str(REDCAP / "mapping.yaml")])
    assert r.exit_code == 0
    r = runner.invoke(app, ["validate", str(tmp_path)])
    assert r.exit_code == 2


def test_derive_scores_refuses_an_unknown_respondent() -> None:
    """derive_scores scores each respondent's items apart; a respondent that is none of the
    schema's would have its rows scored under nobody (lost), so it is refused."""
    from alspaincohort.errors import SchemaError
    from alspaincohort.instruments import derive_scores

    rows = pd.DataFrame({"patient_id": ["P1"] * 4, "day": [0] * 4, "instrument": ["bpi"] * 4,
                         "item": ["worst", "least", "average", "now"],
                         "value": [5.0, 3.0, 4.0, 2.0]})
    ok = derive_scores(rows.assign(respondent=[None, None, None, None]))
    assert ok.loc[ok.item == "severity", "value"].tolist() == [3.5]
    assert ok.respondent.astype(str).tolist()[0] == "patient"
    with pytest.raises(SchemaError, match="nurse"):
        derive_scores(rows.assign(respondent="nurse"))
