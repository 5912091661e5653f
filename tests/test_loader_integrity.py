"""Loaders lose nothing and change nothing (issue 17): every loaded row reaches the cohort,
every loaded value equals its input cell, every refused row is reported with its true line,
and nothing identifying leaves through what is printed or exported.

The fuzz test draws seeded corruptions of a small PRO-ACT export (cells replaced by numbers
near the ranges' edges, text, control characters, partial numbers, other patients' ids, blank
lines, rows cut short or given a field too many) and checks, beyond rows read = loaded +
quarantined, that no loaded row is missing from the cohort (the ``not_carried`` safety net never
fires) and that every loaded questionnaire and ALSFRS item value equals float() of its cell."""

from __future__ import annotations

import csv
import io
import shutil
import time
import tracemalloc
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

import alspaincohort as apc
from alspaincohort.cli import app
from alspaincohort.export import neutralise_formulas, write_csv
from alspaincohort.loaders import EXAMPLES, LoadError, MappingError, read_mapping
from alspaincohort.loaders.proact import ITEM_COLUMNS, QUESTIONNAIRE_COLUMNS
from alspaincohort.synthetic import to_proact

REDCAP = EXAMPLES / "redcap"
PAIN = ("pain_questionnaire.csv", "pain_sites.csv")


@pytest.fixture(scope="module")
def small_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return to_proact(apc.simulate_cohort(20, seed=5), tmp_path_factory.mktemp("small"))


def copy(src: Path, dst: Path) -> Path:
    shutil.rmtree(dst, ignore_errors=True)
    shutil.copytree(src, dst)
    return dst


def load(d: Path, **kw) -> apc.Cohort:
    return apc.load_proact(d, pain=[d / p for p in PAIN if (d / p).exists()], **kw)


def edit(d: Path, name: str, fn) -> None:
    df = pd.read_csv(d / name, dtype=str, keep_default_na=False)
    fn(df)
    df.to_csv(d / name, index=False)


def setcells(d: Path, name: str, row: int, values: dict[str, str]) -> None:
    df = pd.read_csv(d / name, dtype=str, keep_default_na=False)
    for col, v in values.items():
        df.loc[row, col] = v
    df.to_csv(d / name, index=False)


def rules(c: apc.Cohort, file: str | None = None) -> dict[int, set[str]]:
    q = c.load_report.quarantine
    if file is not None:
        q = q[q.file == file]
    out: dict[int, set[str]] = {}
    for line, rule in zip(q.line, q.rule, strict=True):
        out.setdefault(int(line), set()).add(rule)
    return out


# --- silent loss in load_proact -----------------------------------------------------------------
def test_alsfrs_items_1_to_9_only_are_reported_or_loaded(small_dir: Path, tmp_path: Path) -> None:
    d = copy(small_dir, tmp_path / "a")
    resp = ["R_1_Dyspnea", "R_2_Orthopnea", "R_3_Respiratory_Insufficiency", "ALSFRS_R_Total",
            "Q10_Respiratory", "ALSFRS_Total"]
    setcells(d, "PROACT_ALSFRS.csv", 3, dict.fromkeys(resp, ""))
    c = load(d)
    assert rules(c, "PROACT_ALSFRS.csv") == {5: {"unknown_alsfrs_version"}}
    # a file that names one version only: the items are that version's, none lost
    alsfrs = pd.read_csv(d / "PROACT_ALSFRS.csv", dtype=str, keep_default_na=False)
    alsfrs.drop(columns=["Q10_Respiratory", "ALSFRS_Total"]).to_csv(d / "PROACT_ALSFRS.csv",
                                                                     index=False)
    c = load(d)
    assert rules(c, "PROACT_ALSFRS.csv") == {}
    raw = pd.read_csv(d / "PROACT_ALSFRS.csv", dtype=str).iloc[3]
    a = c.assessments
    got = a[(a.patient_id.astype(str) == raw.subject_id) & (a.day == int(raw.ALSFRS_Delta))
            & (a.instrument == "alsfrs_r")]
    assert len(got) == 9 and "total" not in set(got.item.astype(str))


def test_rows_of_unknown_subjects_are_known_patient_breaches(small_dir: Path,
                                                            tmp_path: Path) -> None:
    d = copy(small_dir, tmp_path / "g")
    forms = ["PROACT_ALSHISTORY.csv", "PROACT_ELESCORIAL.csv", "PROACT_DEATHDATA.csv",
             "PROACT_RILUZOLE.csv"]
    for f in forms:
        setcells(d, f, 0, {"subject_id": "GHOST"})
    setcells(d, "PROACT_DEATHDATA.csv", 0, {"Subject_Died": "No", "Death_Days": ""})
    c = load(d)
    for f in forms:
        assert rules(c, f)[2] == {"known_patient"}, f
    rep = c.load_report
    assert rep.rows_read == rep.rows_loaded + rep.rows_quarantined


def test_age_without_onset_is_noted(small_dir: Path, tmp_path: Path) -> None:
    d = copy(small_dir, tmp_path / "o")
    setcells(d, "PROACT_ALSHISTORY.csv", 2, {"Onset_Delta": ""})
    c = load(d)
    assert any("1 patient(s) with an age at trial entry but no Onset_Delta" in n
               for n in c.load_report.notes)
    assert c.patients.age_at_onset.isna().sum() == 1


def test_conflicting_onset_site_columns_are_quarantined(small_dir: Path, tmp_path: Path) -> None:
    d = copy(small_dir, tmp_path / "s")

    def conflict(df: pd.DataFrame) -> None:
        text = df["Site_of_Onset"].str.lower()
        i = int(np.flatnonzero(text == "onset: limb")[0])
        j = int(np.flatnonzero(text == "onset: bulbar")[0])
        df.loc[i, "Site_of_Onset___Bulbar"] = "1"          # text says limb, a flag bulbar
        df.loc[j, "Site_of_Onset"] = ""                     # two flags, two sites
        df.loc[j, "Site_of_Onset___Spine"] = "1"
        k = int(np.flatnonzero(text == "onset: limb")[1])
        df.loc[k, "Site_of_Onset___Limb"] = "2"             # not a flag
        df.attrs["lines"] = (i + 2, j + 2, k + 2)

    df = pd.read_csv(d / "PROACT_ALSHISTORY.csv", dtype=str, keep_default_na=False)
    conflict(df)
    df.to_csv(d / "PROACT_ALSHISTORY.csv", index=False)
    i, j, k = df.attrs["lines"]
    got = rules(load(d), "PROACT_ALSHISTORY.csv")
    assert got == {i: {"conflicting_values"}, j: {"conflicting_values"}, k: {"allowed_values"}}


def test_loaded_values_equal_their_cells_exactly(small_dir: Path, tmp_path: Path) -> None:
    d = copy(small_dir, tmp_path / "v")
    edit(d, "pain_questionnaire.csv", lambda df: df.__setitem__(
        "ALSAQ40_Physical_Mobility", "96.3"))
    setcells(d, "PROACT_ALSFRS.csv", 1, {"Q1_Speech": "4.0000001"})
    c = load(d)
    a = c.assessments
    assert a.value.dtype == np.float64
    mob = a[a.item == "physical_mobility"].value
    assert len(mob) and (mob == 96.3).all()
    assert rules(c, "PROACT_ALSFRS.csv") == {3: {"instrument_range"}}
    vas = a[(a.instrument == "vas_pain") & (a.item == "total")].value
    assert (vas == np.round(vas, 1)).all()  # mm / 10, no float32 noise


# --- reading ------------------------------------------------------------------------------------
def test_one_latin1_byte_after_64kib_quarantines_its_row_only(small_dir: Path,
                                                             tmp_path: Path) -> None:
    d = copy(small_dir, tmp_path / "e")
    f = d / "PROACT_CONMEDS.csv"
    text = f.read_text(encoding="utf-8").replace("paracetamol", "Paracétamol")
    filler = "".join(f"SYN00001,vitamin {i},,0,,,,\n" for i in range(3000))
    body = text.encode("utf-8") + filler.encode() + b"SYN00001,caf\xe9,,0,,,,\n"
    assert len(body) > 65536
    f.write_bytes(body)
    c = load(d)
    lines = body.count(b"\n")
    assert rules(c, "PROACT_CONMEDS.csv") == {lines: {"invalid_encoding"}}
    para = c.medications[c.medications.drug == "paracétamol"]
    assert len(para) and (para.drug_class == "nonopioid_analgesic").all()
    # a file with no UTF-8 character at all is Latin-1, said in a note
    f.write_bytes(text.encode("latin-1"))
    c = load(d)
    assert (c.medications.drug == "paracétamol").any()
    assert any("read as Latin-1" in n for n in c.load_report.notes)


def test_control_characters_quarantine_their_rows(small_dir: Path, tmp_path: Path) -> None:
    d = copy(small_dir, tmp_path / "n")
    f = d / "PROACT_FVC.csv"
    lines = f.read_bytes().split(b"\n")
    lines[3] = lines[3].replace(b"SYN", b"SY\x00N", 1)
    lines[5] = lines[5] + b"\x00"
    f.write_bytes(b"\n".join(lines))
    c = load(d)
    got = rules(c, "PROACT_FVC.csv")  # "107.8\x00" is also not a number
    assert set(got) == {4, 6} and all("control_character" in r for r in got.values())
    assert "nan" not in set(c.patients.patient_id.astype(str))


def test_lines_are_true_after_blank_lines_and_line_breaks(small_dir: Path,
                                                         tmp_path: Path) -> None:
    d = copy(small_dir, tmp_path / "l")
    f = d / "PROACT_CONMEDS.csv"
    df = pd.read_csv(f, dtype=str, keep_default_na=False)
    df.loc[1, "Indication"] = "pain\nat night"
    df.loc[4, "Dose"] = "a lot"
    text = df.to_csv(index=False, lineterminator="\n")
    text = text.replace("\n", "\n\n", 1)  # a blank line after the header
    f.write_text(text)
    line = text.splitlines().index(next(x for x in text.splitlines() if "a lot" in x)) + 1
    assert rules(load(d), "PROACT_CONMEDS.csv") == {line: {"non_numeric"}}


def test_rows_cut_short_or_too_long_are_reported_not_fatal(small_dir: Path,
                                                          tmp_path: Path) -> None:
    d = copy(small_dir, tmp_path / "t")
    f = d / "PROACT_FVC.csv"
    lines = f.read_text().rstrip("\n").split("\n")
    lines[4] = lines[4] + ",1"
    lines[-1] = lines[-1].rsplit(",", 1)[0]
    f.write_text("\n".join(lines))
    c = load(d)
    assert rules(c, "PROACT_FVC.csv") == {5: {"malformed_row"}, len(lines): {"malformed_row"}}
    fvc = c.load_report.files[[x.file for x in c.load_report.files].index("PROACT_FVC.csv")]
    assert fvc.rows_read == len(lines) - 1 and fvc.rows_quarantined == 2


def test_an_unclosed_quote_is_named_never_swallows_the_file(small_dir: Path,
                                                             tmp_path: Path) -> None:
    d = copy(small_dir, tmp_path / "q")
    f = d / "PROACT_CONMEDS.csv"
    lines = f.read_text().rstrip("\n").split("\n")
    f.write_text("\n".join([*lines[:5], lines[5].replace(",", ',"', 1), *lines[6:]]) + "\n")
    with pytest.raises(LoadError, match="never closed") as err:
        load(d)
    assert err.value.line == 6 and err.value.rule == "malformed_file"
    f.write_text("\n".join([*lines[:-1], lines[-1].rsplit(",", 1)[0] + ',"4']))
    assert rules(load(d), "PROACT_CONMEDS.csv") == {len(lines): {"malformed_row"}}


# --- load_tabular ---------------------------------------------------------------------------------
def test_tabular_out_of_range_cells_quarantine_their_rows(tmp_path: Path) -> None:
    d = copy(REDCAP, tmp_path / "r")
    v = pd.read_csv(d / "visits.csv", dtype=str, keep_default_na=False)
    v.loc[0, "vas_mm"] = "150"
    v.loc[38, "alsfrs_7"] = "7"
    i5 = int(np.flatnonzero(v.alsfrs_5a != "")[5])
    v.loc[i5, "alsfrs_5b"] = "2"
    v.to_csv(d / "visits.csv", index=False)
    c = apc.load_tabular(d, d / "mapping.yaml")
    assert rules(c, "visits.csv") == {2: {"instrument_range"}, 40: {"instrument_range"},
                                      i5 + 2: {"both_item5"}}


def test_dates_partial_and_with_time_zone(tmp_path: Path) -> None:
    d = copy(REDCAP, tmp_path / "d")
    m = read_mapping(d / "mapping.yaml")
    m.pop("date_format")
    setcells(d, "patients.csv", 0, {"onset_date": "2013-11"})
    setcells(d, "patients.csv", 1, {"onset_date": "2016-04-12T00:00:00+02:00"})
    c = apc.load_tabular(d, m)
    assert rules(c, "patients.csv") == {2: {"partial_date"}, 3: {"invalid_date"}}


def test_excel_sheets_headers_and_date_cells(tmp_path: Path) -> None:
    d = copy(REDCAP, tmp_path / "x")
    p = pd.read_csv(d / "patients.csv", dtype=str, keep_default_na=False)
    for col in ("enrol_date", "onset_date", "diagnosis_date"):
        p[col] = pd.to_datetime(p[col])
    with pd.ExcelWriter(d / "patients.xlsx") as w:
        p.to_excel(w, sheet_name="patients", index=False)
        p.head(2).to_excel(w, sheet_name="more", index=False)
    (d / "patients.csv").unlink()
    m = read_mapping(d / "mapping.yaml")
    m["files"][0]["path"] = "patients.xlsx"
    c = apc.load_tabular(d, m)  # date_format "%Y-%m-%d"; the date cells read as dates
    assert c.load_report.rows_quarantined == 0 and len(c.patients) == len(p)
    assert any("sheet(s) ['more']" in n for n in c.load_report.notes)
    p["gender "] = p["gender"]
    p.to_excel(d / "patients.xlsx", index=False)
    with pytest.raises(LoadError, match="duplicate column") as err:
        apc.load_tabular(d, m)
    assert err.value.rule == "duplicate_column"


@pytest.mark.parametrize(("name", "content"), [
    ("patients.xlsx", b"record_id,gender\n1,2\n"), ("patients.xlsx", b"<html><table>"),
    ("patients.xls", b"record_id,gender\n1,2\n"), ("patients.sav", b"junk"),
    ("patients.dta", b"junk")])
def test_files_in_disguise_raise_load_error(tmp_path: Path, name: str, content: bytes) -> None:
    (tmp_path / name).write_bytes(content)
    m = read_mapping(REDCAP / "mapping.yaml")
    m["files"] = [dict(m["files"][0], path=name)]
    with pytest.raises(LoadError) as err:
        apc.load_tabular(tmp_path / name, m)
    assert err.value.rule == "malformed_file" and err.value.file == name


# --- mapping files ----------------------------------------------------------------------------------
def test_latin1_mapping_and_yaml_aliases(tmp_path: Path) -> None:
    f = tmp_path / "m.yaml"
    f.write_bytes((REDCAP / "mapping.yaml").read_text().replace(
        "# Mapping", "# Mappíng").encode("latin-1"))
    assert read_mapping(f)["id_column"] == "record_id"
    laughs = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for i in range(1, 12):
        laughs.append(f"{chr(97 + i)}: &{chr(97 + i)} [" + ",".join(
            [f"*{chr(96 + i)}"] * 9) + "]")
    f.write_text("id_column: x\nfiles:\n  - path: p.csv\n    table: patients\n    codes:\n"
                 "      sex: {1: male}\n" + "\n".join(laughs) + "\n")
    tracemalloc.start()
    start = time.perf_counter()
    with pytest.raises(MappingError, match="aliases"):
        read_mapping(f)
    elapsed = time.perf_counter() - start
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert peak < 50e6, (peak, elapsed)


# --- nothing identifying leaves -----------------------------------------------------------------------
def test_cli_prints_and_exports_no_identifier(small_dir: Path, tmp_path: Path) -> None:
    d = copy(small_dir, tmp_path / "c")
    ids = set(pd.read_csv(d / "PROACT_DEMOGRAPHICS.csv", dtype=str).subject_id)
    dem = pd.read_csv(d / "PROACT_DEMOGRAPHICS.csv", dtype=str, keep_default_na=False)
    pd.concat([dem, dem.iloc[[0]]]).to_csv(d / "PROACT_DEMOGRAPHICS.csv", index=False)
    setcells(d, "PROACT_CONMEDS.csv", 0, {"subject_id": "GHOST-42"})
    setcells(d, "PROACT_FVC.csv", 0, {"pct_of_Normal_Trial_1": "=1+1"})
    runner = CliRunner()
    r = runner.invoke(app, ["validate", str(d), "--report", str(tmp_path / "q.csv")])
    assert r.exit_code == 1
    assert {"unique_key", "known_patient", "non_numeric"} <= set(
        r.output.split()), r.output
    text = r.output + (tmp_path / "q.csv").read_text() + (tmp_path / "q_summary.csv").read_text()
    for i in ids | {"GHOST-42"}:
        assert i not in text, i
    assert "p:" in r.output
    q = pd.read_csv(tmp_path / "q.csv", dtype=str, keep_default_na=False)
    assert "raw" not in q.columns and not q.value.str.startswith("=").any()
    assert "'=1+1" in set(q.value)
    r = runner.invoke(app, ["validate", str(d), "--report", str(tmp_path / "full.csv"),
                            "--with-identifiers"])
    full = (tmp_path / "full.csv").read_text()
    assert "GHOST-42" in full and "raw" in full.splitlines()[0]
    r = runner.invoke(app, ["validate", str(d), "--strict"])
    assert r.exit_code == 2 and not any(i in r.output for i in ids)


def test_cli_malformed_mapping_exits_2_without_traceback(tmp_path: Path) -> None:
    m = tmp_path / "m.yaml"
    m.write_text("id_column: record_id\nfiles:\n  - path: patients.csv\n    table: [patients]\n")
    r = CliRunner().invoke(app, ["validate", str(REDCAP), "--mapping", str(m)])
    assert r.exit_code == 2 and "Traceback" not in r.output
    assert "files[0].table" in r.output
    assert r.exception is None or isinstance(r.exception, SystemExit)
    r = CliRunner().invoke(app, ["--help"], env={"COLUMNS": "400"})
    assert "Exit codes: 0 success; 1 rows quarantined" in r.output


@pytest.mark.parametrize("cell", ["=1+1", "+SUM(A1)", "-cmd|' /C calc'!A0", "@x", "\tx", "\r=1"])
def test_every_csv_is_formula_safe(cell: str, tmp_path: Path) -> None:
    out = write_csv(pd.DataFrame({"v": [cell, "-12", "+3.5", "1e-3", "plain"]}), tmp_path / "f.csv")
    with out.open(newline="") as fh:
        got = list(csv.reader(fh))[1:]
    assert got[0][0] == "'" + cell
    assert [g[0] for g in got[1:]] == ["-12", "+3.5", "1e-3", "plain"]
    assert neutralise_formulas(pd.DataFrame({cell: [1]})).columns[0] == "'" + cell


# --- the fuzz -------------------------------------------------------------------------------------------
VALUES = ["", "nan", "NaN", "4", "4.0000001", "-0", "116.3", "1e400", "-1", "0x10", " 3 ",
          "1,5", "three", "=1+1", "SYN00002", "GHOST", "2016-08", "\x00", "4\x00", "é",
          "Onset: Bulbar", "Yes", "No", "2147483648", "12.5", "0.1"]
FILES = ["PROACT_ALSFRS.csv", "PROACT_DEMOGRAPHICS.csv", "PROACT_ALSHISTORY.csv",
         "PROACT_FVC.csv", "PROACT_DEATHDATA.csv", "PROACT_ELESCORIAL.csv", "PROACT_RILUZOLE.csv",
         "PROACT_CONMEDS.csv", "pain_questionnaire.csv", "pain_sites.csv"]


def _corrupt(d: Path, rng: np.random.Generator, files: list[str] = FILES) -> None:
    for _ in range(int(rng.integers(1, 7))):
        name = files[int(rng.integers(len(files)))]
        f = d / name
        kind = rng.random()
        if kind < 0.8:
            rows = list(csv.reader(io.StringIO(f.read_text(encoding="utf-8",
                                                           errors="surrogateescape"))))
            r = int(rng.integers(1, len(rows)))
            c = int(rng.integers(len(rows[r]))) if rows[r] else 0
            if rows[r]:
                rows[r][c] = VALUES[int(rng.integers(len(VALUES)))]
            buf = io.StringIO()
            csv.writer(buf, lineterminator="\n").writerows(rows)
            f.write_text(buf.getvalue(), encoding="utf-8", errors="surrogateescape")
        else:
            lines = f.read_bytes().split(b"\n")
            r = int(rng.integers(1, max(len(lines) - 1, 2)))
            if kind < 0.87:
                lines.insert(r, b"")                      # a blank line
            elif kind < 0.9:
                lines[r] = lines[r].rsplit(b",", 1)[0]    # a field too few
            elif kind < 0.94:
                cut = int(rng.integers(len(lines[r]) + 1))
                lines[r] = lines[r][:cut] + b'"' + lines[r][cut:]  # a stray quote
            else:
                lines[r] = lines[r] + b",1"               # a field too many
            f.write_bytes(b"\n".join(lines))


def _expected_cells(d: Path, c: apc.Cohort) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(expected, loaded): one row per loaded questionnaire / ALSFRS item cell."""
    q = c.load_report.quarantine
    out = []
    given: set[tuple[str, int, float]] = set()
    for name, columns, day_col in (
            ("pain_questionnaire.csv", {k: v for k, v in QUESTIONNAIRE_COLUMNS.items()}, "Delta"),
            ("PROACT_ALSFRS.csv", {k: ("alsfrs", v) for k, v in ITEM_COLUMNS.items()},
             "ALSFRS_Delta")):
        src = apc.loaders.common.read_source(d / name)
        bad = set(q[q.file == name].row.astype(int))
        ids = src.text("subject_id")
        days = src.text(day_col)
        for col, (_inst, item) in columns.items():
            if not src.has(col):
                continue
            cells = src.text(col)
            for r in range(src.n):
                if r in bad or cells[r] is None:
                    continue
                out.append((ids[r].strip(), int(float(days[r])), item, float(cells[r])))
        if name == "PROACT_ALSFRS.csv":  # a total given where the items are incomplete
            given = {(ids[r].strip(), int(float(days[r])), float(t))
                     for col in ("ALSFRS_R_Total", "ALSFRS_Total") if src.has(col)
                     for r, t in enumerate(src.text(col)) if t is not None and r not in bad}
    expected = pd.DataFrame(out, columns=["patient_id", "day", "item", "value"])
    a = c.assessments
    totals = a[~a.derived & (a.source.astype(str) == "PRO-ACT ALSFRS") & (a.item == "total")]
    assert {(str(p), int(d_), float(v)) for p, d_, v in zip(
        totals.patient_id, totals.day, totals.value, strict=True)} <= given
    keep = ~a.derived & a.source.astype(str).isin(["pain_questionnaire.csv", "PRO-ACT ALSFRS"])
    keep &= ~((a.source.astype(str) == "PRO-ACT ALSFRS") & (a.item == "total"))
    loaded = pd.DataFrame({"patient_id": a.patient_id.astype(str)[keep],
                           "day": a.day[keep].astype(int), "item": a.item.astype(str)[keep],
                           "value": a.value[keep]})
    key = ["patient_id", "day", "item", "value"]
    return (expected.sort_values(key, ignore_index=True),
            loaded.sort_values(key, ignore_index=True))


def _fuzz(fresh, files: list[str], load_fn, cells_fn, cases: int, seed: int
          ) -> tuple[int, int]:
    """Corrupt a fresh copy ``cases`` times and check each load: a named refusal of the whole
    input, or rows read = loaded + quarantined per file, no loaded row missing from the cohort,
    a valid cohort, and every loaded value equal to float() of its cell. Returns (loads
    checked, rows quarantined)."""
    rng = np.random.default_rng(seed)
    n_cases = quarantined = 0
    for case in range(cases):
        d = fresh()
        _corrupt(d, rng, files)
        try:
            c = load_fn(d)
        except LoadError as err:  # a documented, named refusal of the whole input
            assert err.rule in {"missing_column", "duplicate_column", "empty_file",
                                "malformed_file"}, err
            continue
        n_cases += 1
        rep = c.load_report
        for f in rep.files:
            assert f.rows_read == f.rows_loaded + f.rows_quarantined
        assert "not_carried" not in set(rep.quarantine.rule), rep.quarantine
        assert c.validate().empty
        expected, loaded = cells_fn(d, c)
        pd.testing.assert_frame_equal(expected, loaded, check_dtype=False, check_exact=True,
                                      obj=f"case {case}")
        quarantined += rep.rows_quarantined
    return n_cases, quarantined


def test_fuzz_every_loaded_row_and_value_reaches_the_cohort(small_dir: Path,
                                                            tmp_path: Path) -> None:
    n_cases, quarantined = _fuzz(lambda: copy(small_dir, tmp_path / "fuzz"), FILES, load,
                                 _expected_cells, 160, 20261122)
    assert n_cases >= 100 and quarantined > 0


# --- the fuzz of load_tabular (the REDCap example and its mapping) ----------------------------
TABULAR = ["patients.csv", "visits.csv", "events.csv", "medications.csv"]
MEASURES = {col: (m["instrument"], m["item"]) for col, m in
            read_mapping(REDCAP / "mapping.yaml")["files"][1]["measures"].items()}


def _tabular_cells(d: Path, c: apc.Cohort) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(expected, loaded): one row per loaded measure cell of visits.csv."""
    q = c.load_report.quarantine
    src = apc.loaders.common.read_source(d / "visits.csv")
    bad = set(q[q.file == "visits.csv"].row.astype(int))
    ids = src.text("record_id")
    out = []
    for col, (inst, item) in MEASURES.items():
        if not src.has(col):
            continue
        cells = src.text(col)
        for r in range(src.n):
            if r not in bad and cells[r] is not None:
                out.append((ids[r].strip(), inst, item, float(cells[r])))
    key = ["patient_id", "instrument", "item", "value"]
    expected = pd.DataFrame(out, columns=key)
    a = c.assessments[~c.assessments.derived]
    loaded = pd.DataFrame({"patient_id": a.patient_id.astype(str),
                           "instrument": a.instrument.astype(str), "item": a.item.astype(str),
                           "value": a.value})
    return (expected.sort_values(key, ignore_index=True),
            loaded.sort_values(key, ignore_index=True))


def test_fuzz_load_tabular_every_loaded_row_and_value_reaches_the_cohort(
        tmp_path: Path) -> None:
    """The tabular loader under the same corruptions as the PRO-ACT fuzz: rows read = loaded +
    quarantined per file, no loaded row missing from the cohort, a valid cohort, and every
    loaded measure equal to float() of its cell."""
    def fresh() -> Path:
        d = tmp_path / "fuzz"
        shutil.rmtree(d, ignore_errors=True)
        d.mkdir()
        for name in TABULAR:
            shutil.copy(REDCAP / name, d / name)
        return d

    n_cases, quarantined = _fuzz(
        fresh, TABULAR, lambda d: apc.load_tabular([d / n for n in TABULAR],
                                                   REDCAP / "mapping.yaml"),
        _tabular_cells, 300, 20261123)
    assert n_cases >= 200 and quarantined > 0
