"""Load the PRO-ACT database (``docs/sources.md`` section 3) into the standard tables.

Forms read (``PROACT_<FORM>.csv`` or ``F_PROACT_<FORM>.csv``, case-insensitive): DEMOGRAPHICS
(required), ALSHISTORY, ALSFRS, FVC, DEATHDATA, ELESCORIAL, RILUZOLE, CONMEDS. PRO-ACT carries
no pain scale: pain comes from optional questionnaire files keyed on ``subject_id`` (``pain=``)
and from analgesic CONMEDS (``medications.drug_class``). Each row of every table records its
``source`` (the form or file).

Conventions and rules beyond the schema's (each breach quarantines its source row):

- Age is at trial entry: age_at_onset = Age + Onset_Delta / 365.25 (or -Date_of_Birth / 365.25
  when Age is missing).
- Site_of_Onset text or one-hot columns: "Onset: Limb" and "Onset: Spine" -> spinal, "Onset:
  Bulbar" -> bulbar, "Onset: Limb and Bulbar" -> generalised, "Onset: Other" -> respiratory by
  default (``site_map`` overrides; the load report notes how many rows each mapping took).
- ALSHISTORY may spread one subject over several rows; different non-empty values of one field
  for one subject are a ``conflicting_duplicate``.
- ALSFRS rows with R1-R3 are ALSFRS-R, rows with Q10 the original ALSFRS; both at once is
  ``ambiguous_alsfrs_version``; 5a and 5b at once is ``both_item5``. The total is derived from
  complete items; a given total that disagrees with them is ``inconsistent_total``.
- FVC: the best of the trials (percent of predicted and litres).
- DEATHDATA: "Yes" without Death_Days is ``missing_death_day``; a death day with "No" is
  ``inconsistent_death``.
- ALSFRS rows with items 1-9 only take the version the file's columns name when they name
  one; otherwise they are ``unknown_alsfrs_version``.
- Site_of_Onset one-hot columns must be 1, 0 or empty (``allowed_values``); marks naming
  another site than the text or another mark are ``conflicting_values``.
- ALSHISTORY, ELESCORIAL, and the "No" rows of DEATHDATA and RILUZOLE reach the cohort through
  their patient: for a subject not loaded from DEMOGRAPHICS they are ``known_patient``.
- Age without Onset_Delta leaves age_at_onset empty, counted in a note of the load report.
- A row with nothing to load (no item, no value) is an ``empty_record``; a day that is not a
  whole number is ``non_integer_day``, one beyond the int32 range ``in_range``; a filled cell
  that is not a number (including the text "nan") is ``non_numeric``; a missing subject_id or
  day is ``not_null``.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from ..cohort import Cohort
from ..drugs import classify
from ..schema import ALSFRS_R_ITEMS
from .common import (
    Source,
    Staging,
    check_days,
    finalize,
    provenance,
    read_source,
    row_numbers,
)
from .report import LoadError

FORMS = ("DEMOGRAPHICS", "ALSHISTORY", "ALSFRS", "FVC", "DEATHDATA", "ELESCORIAL", "RILUZOLE",
         "CONMEDS")
ITEM_COLUMNS = dict(zip(
    ("Q1_Speech", "Q2_Salivation", "Q3_Swallowing", "Q4_Handwriting",
     "Q5a_Cutting_without_Gastrostomy", "Q5b_Cutting_with_Gastrostomy", "Q6_Dressing_and_Hygiene",
     "Q7_Turning_in_Bed", "Q8_Walking", "Q9_Climbing_Stairs", "R_1_Dyspnea", "R_2_Orthopnea",
     "R_3_Respiratory_Insufficiency"), ALSFRS_R_ITEMS, strict=True))
DEFAULT_SITE_MAP = {
    "onset: limb": "spinal",
    "onset: spine": "spinal",
    "onset: bulbar": "bulbar",
    "onset: limb and bulbar": "generalised",
    "onset: other": "respiratory",
}
ONE_HOT_SITE = {
    "Site_of_Onset___Bulbar": "onset: bulbar",
    "Site_of_Onset___Limb": "onset: limb",
    "Site_of_Onset___Limb_and_Bulbar": "onset: limb and bulbar",
    "Site_of_Onset___Other": "onset: other",
    "Site_of_Onset___Spine": "onset: spine",
}
EL_ESCORIAL_MAP = {
    "definite": "definite",
    "probable": "probable",
    "probable laboratory supported": "probable_lab_supported",
    "probable lab supported": "probable_lab_supported",
    "probable - laboratory supported": "probable_lab_supported",
    "possible": "possible",
    "suspected": "suspected",
}
QUESTIONNAIRE_COLUMNS: dict[str, tuple[str, str]] = {
    "VAS_mm": ("vas_pain", "mm"),
    "NRS": ("nrs_pain", "total"),
    "NRS_Pain": ("nrs_pain", "total"),
    "BPI_Severity": ("bpi", "severity"),
    "BPI_Interference": ("bpi", "interference"),
    "HADS_A": ("hads", "a"),
    "HADS_D": ("hads", "d"),
    "ADI12_Total": ("adi12", "total"),
    "BDI2_Total": ("bdi2", "total"),
    "painDETECT_Total": ("paindetect", "total"),
    "ALSAQ40_Physical_Mobility": ("alsaq40", "physical_mobility"),
    "ALSAQ40_ADL_Independence": ("alsaq40", "adl_independence"),
    "ALSAQ40_Eating_Drinking": ("alsaq40", "eating_drinking"),
    "ALSAQ40_Communication": ("alsaq40", "communication"),
    "ALSAQ40_Emotional_Reactions": ("alsaq40", "emotional_reactions"),
    "ALSAQ40_Summary_Index": ("alsaq40", "summary_index"),
}


def find_forms(directory: Path) -> dict[str, Path]:
    """Form name -> path for the PRO-ACT files in ``directory``."""
    found: dict[str, Path] = {}
    for path in sorted(directory.iterdir()):
        m = re.fullmatch(r"(?:F_)?PROACT_([A-Z]+)\.csv", path.name, flags=re.I)
        if not m:
            continue
        form = m.group(1).upper()
        if form in found:
            raise LoadError(f"two files for form {form}: {found[form].name} and {path.name}",
                            file=path.name, rule="duplicate_form")
        found[form] = path
    return found


class _Builder:
    """Builds standard-table pieces from sources, recording breaches in the staging area."""

    def __init__(self, staging: Staging, sources: Sequence[Source]) -> None:
        self.st = staging
        self.tables: dict[str, list[pd.DataFrame]] = {}
        self._long: list[dict[str, Any]] = []  # the assessments (see finished())
        self.cat_ids: dict[str, pd.Categorical] = {}
        self.id_present: dict[str, np.ndarray] = {}  # each source's ids not missing
        # one dictionary of subject ids for every source (DEMOGRAPHICS first): every table
        # piece then shares one categorical dtype and the pieces concatenate without
        # re-encoding millions of ids
        # (united by Arrow, in order of first appearance: one Python string per distinct id)
        seen = [src.encoded("subject_id")[1] for src in sources if src.has("subject_id")]
        self.id_values = pc.unique(pa.chunked_array(seen, type=pa.string())) if seen \
            else pa.array([], type=pa.string())
        self.id_dtype = pd.CategoricalDtype(pd.Index(self.id_values.to_pylist(), dtype=object))

    def put(self, table: str, frame: pd.DataFrame) -> None:
        self.tables.setdefault(table, []).append(frame)

    def finished(self) -> dict[str, list[pd.DataFrame]]:
        """The table pieces, the assessments as one piece built from every
        :meth:`assessments` call at once: one array per column, the categorical columns
        coded by the call (a few dozen calls of hundreds of thousands of rows each: built
        as frames and concatenated, they cost a second on a large export)."""
        return {**self.tables, **({"assessments": [self._long_frame()]} if self._long else {})}

    def _long_frame(self) -> pd.DataFrame:
        calls = self._long
        sizes = np.array([len(c["value"]) for c in calls])

        def labels(key: str) -> pd.Categorical:
            return _optional_labels([c[key] for c in calls], sizes)

        days = [c["day"] for c in calls]
        int_days = all(d.dtype == np.int32 for d in days)
        rows = [c["_row"] for c in calls]
        return pd.DataFrame({
            "patient_id": pd.Categorical.from_codes(
                np.concatenate([c["patient"] for c in calls]), dtype=self.id_dtype),
            "day": np.concatenate(days if int_days else [d.astype(np.float64) for d in days]),
            "instrument": labels("instrument"), "item": labels("item"),
            "value": np.concatenate([c["value"] for c in calls]),
            "derived": np.repeat(np.array([c["derived"] for c in calls], dtype=bool), sizes),
            "source": labels("source"), "_file": labels("_file"),
            "_row": np.concatenate(rows if len({r.dtype for r in rows}) == 1
                                   else [r.astype(np.int64) for r in rows]),
            "_col": labels("_col")}, copy=False)

    def register_ids(self, src: Source, column: str = "subject_id") -> None:
        """Read the source's id column: its patients as codes of the shared dictionary
        (``cat_ids``), which rows have one (``id_present``), and a breach for each row
        without."""
        src.require([column])
        src.id_column = column
        codes, dictionary = src.encoded(column)
        self.id_present[src.name] = codes >= 0
        if column == "subject_id":  # in the shared dictionary: mapped by Arrow
            pos = pc.index_in(dictionary, value_set=self.id_values).to_numpy(
                zero_copy_only=False)
        else:
            pos = self.id_dtype.categories.get_indexer(pd.Index(dictionary.to_pylist(),
                                                                dtype=object))
        pos = np.append(np.nan_to_num(np.asarray(pos, dtype=np.float64), nan=-1), -1)
        self.cat_ids[src.name] = pd.Categorical.from_codes(pos.astype(np.int32)[codes],
                                                           dtype=self.id_dtype)
        missing = np.flatnonzero(codes < 0)
        self.st.breach(src, missing, column, [None] * len(missing), "not_null",
                       "the subject_id is missing")

    def ids(self, src: Source, column: str = "subject_id") -> np.ndarray:
        """:meth:`register_ids`, and the ids as str / None (``Source.text``), made from the
        distinct ones: one Python string per distinct id, not per row."""
        self.register_ids(src, column)
        codes, dictionary = src.encoded(column)
        distinct = np.empty(len(dictionary) + 1, dtype=object)  # the last one: None
        distinct[:-1] = dictionary.to_pylist()
        return distinct[codes]

    def day(self, src: Source, column: str, required: bool = True) -> np.ndarray:
        src.require([column])
        d = check_days(self.st, src, src.numeric(column, self.st), column)
        if required:  # empty cells (non-numeric ones are already breaches of their own)
            miss = np.flatnonzero(np.isnan(d) & ~src.present(column))
            self.st.breach(src, miss, column, [None] * len(miss), "not_null", "the day is missing")
        return d

    def assessments(self, src: Source, rows: np.ndarray, day: np.ndarray,
                    instrument: str, item: str, value: np.ndarray, derived: bool = False,
                    source: str | None = None, column: str | None = None) -> None:
        keep = ~np.isnan(value[rows])
        r = rows[keep]
        if not len(r):
            return
        days = day[r]
        if np.all(days == np.round(days)):  # whole days (checked at the source): the schema's
            days = days.astype(np.int32)    # int32 directly, no second cast of every row
        self._long.append({
            "patient": self.cat_ids[src.name].codes[r], "day": days, "instrument": instrument,
            "item": item, "value": value[r], "derived": derived,
            "source": source or src.name, "_file": src.name, "_row": row_numbers(src, r),
            "_col": column})


def _optional_labels(names: list[str | None], sizes: np.ndarray) -> pd.Categorical:
    """A categorical of one label per call (None: missing), repeated over its rows."""
    union = list(dict.fromkeys(x for x in names if x is not None))
    code = np.int8 if len(union) < 127 else np.int16 if len(union) < 32767 else np.int32
    codes = np.array([union.index(x) if x is not None else -1 for x in names], dtype=code)
    return pd.Categorical.from_codes(np.repeat(codes, sizes), categories=union)


# ----------------------------------------------------------------------------------------------
def load_proact(directory: str | Path, pain: str | Path | Sequence[str | Path] | None = None,
                strict: bool = False, site_map: dict[str, str] | None = None) -> Cohort:
    """Load a PRO-ACT directory (and optional pain questionnaire files) into a Cohort.

    Parameters
    ----------
    directory : path
        Folder with the PRO-ACT CSV files.
    pain : path or list of paths, optional
        Files keyed on ``subject_id`` with a ``Delta`` day column: questionnaires (columns of
        :data:`QUESTIONNAIRE_COLUMNS`) or pain sites (columns ``Site`` and ``Pain_Type``).
    strict : bool
        Raise :class:`~alspaincohort.loaders.report.LoadError` on the first breach instead of
        quarantining the row.
    site_map : dict, optional
        Overrides of :data:`DEFAULT_SITE_MAP` (lower-case Site_of_Onset text -> onset site).

    Returns
    -------
    Cohort
        With ``load_report`` (:class:`~alspaincohort.loaders.report.LoadReport`).
    """
    directory = Path(directory)
    if not directory.is_dir():
        raise LoadError("not a directory", file=str(directory), rule="missing_file")
    forms = find_forms(directory)
    if "DEMOGRAPHICS" not in forms:
        raise LoadError("no PROACT_DEMOGRAPHICS.csv (or F_PROACT_DEMOGRAPHICS.csv) in the "
                        "directory", file=str(directory), rule="missing_file")
    st = Staging(strict)
    sites = {**DEFAULT_SITE_MAP, **{k.lower(): v for k, v in (site_map or {}).items()}}
    sources = {form: st.add(read_source(path)) for form, path in forms.items()}
    paths = [] if pain is None else ([pain] if isinstance(pain, (str, Path)) else list(pain))
    pain_sources = [st.add(read_source(path)) for path in paths]
    b = _Builder(st, [sources["DEMOGRAPHICS"], *(v for k, v in sources.items()
                                                  if k != "DEMOGRAPHICS"), *pain_sources])
    history = _history(b, sources.get("ALSHISTORY"), sites)
    _patients(b, sources["DEMOGRAPHICS"], history, sources.get("ELESCORIAL"))
    if "ALSFRS" in sources:
        _alsfrs(b, sources["ALSFRS"])
    if "FVC" in sources:
        _fvc(b, sources["FVC"])
    if "DEATHDATA" in sources:
        _deaths(b, sources["DEATHDATA"])
    if "RILUZOLE" in sources:
        _riluzole(b, sources["RILUZOLE"])
    if "CONMEDS" in sources:
        _conmeds(b, sources["CONMEDS"])
    for src in pain_sources:
        if src.has("Site") or src.has("Pain_Type"):
            _pain_sites(b, src)
        else:
            _questionnaire(b, src)
    meta = {"loader": "load_proact", "directory": directory.name,
            "forms": sorted(forms), "pain_files": [Path(p).name for p in paths]}
    return finalize(st, b.finished(), meta)


# ----------------------------------------------------------------------------------------------
def _history(b: _Builder, src: Source | None, sites: dict[str, str]) -> pd.DataFrame:
    """Per subject: onset_day, diagnosis_day, onset_site (from valid, consistent rows)."""
    cols = ["onset_day", "diagnosis_day", "onset_site"]
    if src is None:
        return pd.DataFrame(columns=cols)
    st = b.st
    ids = b.ids(src)
    onset = src.numeric("Onset_Delta", st) if src.has("Onset_Delta") else np.full(src.n, np.nan)
    diag = (src.numeric("Diagnosis_Delta", st) if src.has("Diagnosis_Delta")
            else np.full(src.n, np.nan))
    for name, v in (("Onset_Delta", onset), ("Diagnosis_Delta", diag)):
        check_days(st, src, v, name)
    st.link(src, np.arange(src.n), ids, "subject_id")
    text = np.full(src.n, None, dtype=object)
    if src.has("Site_of_Onset"):
        text = src.normalised("Site_of_Onset")
    site = np.array([sites.get(t) if t is not None else None for t in text], dtype=object)
    unknown = np.flatnonzero(pd.notna(text) & pd.isna(site))
    st.breach(src, unknown, "Site_of_Onset", text[unknown], "allowed_values",
              f"unknown Site_of_Onset; known: {sorted(sites)}")
    # one-hot columns: 1 marks the site, 0 or empty does not; a row whose marks (or marks and
    # text) name different onset sites is a conflict, never silently resolved
    for col, label in ONE_HOT_SITE.items():
        if not src.has(col):
            continue
        flag = src.numeric(col, st)
        odd = np.flatnonzero(~np.isnan(flag) & (flag != 0) & (flag != 1))
        st.breach(src, odd, col, flag[odd], "allowed_values", f"{col} must be 1, 0 or empty")
        marked = flag == 1
        clash = np.flatnonzero(marked & pd.notna(site) & (site != sites[label]))
        st.breach(src, clash, col, flag[clash], "conflicting_values",
                  f"{col} marks onset site '{sites[label]}' but the row already names another "
                  "(in Site_of_Onset or another Site_of_Onset___ column)")
        fill = marked & pd.isna(text)
        text[fill] = label
        site[fill] = sites[label]
    for label, target in sorted(sites.items()):
        n = int(((text == label) & st.ok(src)).sum())
        if n and label == "onset: other":
            b.st.notes.append(f"{src.name}: {n} row(s) with '{label}' mapped to onset site "
                              f"'{target}'")
    rows = pd.DataFrame({"id": ids, "onset_day": onset, "diagnosis_day": diag,
                         "onset_site": site, "row": np.arange(src.n)})
    rows = rows[st.ok(src) & b.id_present[src.name]]
    out = {}
    for col in cols:
        vals = rows[["id", col, "row"]].dropna(subset=[col])
        nuniq = vals.groupby("id")[col].transform("nunique")
        bad = vals[nuniq > 1]
        st.breach(src, bad["row"].to_numpy(), col, bad[col].to_numpy(), "conflicting_duplicate",
                  f"this subject has different {col} values on different rows")
        good = vals[nuniq == 1].drop_duplicates("id")
        out[col] = good.set_index("id")[col]
    hist = pd.DataFrame(out)
    # rules between fields, blamed on the rows that carry the offending value
    rows_by = rows.set_index("id")
    # evaluated in turn: a value rejected by one check is not compared again by the next
    checks = [
        ("onset_day", lambda h: h["onset_day"] > 0, "onset_not_after_baseline",
         "onset must be on or before trial entry (Onset_Delta <= 0)"),
        ("diagnosis_day", lambda h: h["diagnosis_day"] > 0, "diagnosis_not_after_baseline",
         "diagnosis must be on or before trial entry"),
        ("diagnosis_day", lambda h: h["diagnosis_day"] < h["onset_day"],
         "onset_not_after_diagnosis", "diagnosis is dated before onset"),
    ]
    for col, test, rule, message in checks:
        if col not in hist or hist.empty:
            continue
        subjects = hist.index[test(hist).fillna(False).to_numpy()]
        if len(subjects):
            r = rows_by.loc[rows_by.index.isin(subjects)]
            r = r[r[col].notna()]
            st.breach(src, r["row"].to_numpy(), col, r[col].to_numpy(), rule, message)
            hist.loc[subjects, col] = np.nan
    return hist


def _patients(b: _Builder, src: Source, history: pd.DataFrame, ee_src: Source | None) -> None:
    st = b.st
    ids = b.ids(src)
    dup = np.flatnonzero(pd.Series(ids).duplicated(keep="first").to_numpy() & b.id_present[src.name])
    st.breach(src, dup, "subject_id", ids[dup], "unique_key", "the subject appears twice")
    sex = np.full(src.n, None, dtype=object)
    if src.has("Sex"):
        raw = src.text("Sex")
        low = src.normalised("Sex")
        sex = np.array([{"male": "male", "m": "male", "female": "female", "f": "female"}.get(s)
                        if s is not None else None for s in low], dtype=object)
        bad = np.flatnonzero(pd.notna(low) & pd.isna(sex))
        st.breach(src, bad, "Sex", raw[bad], "allowed_values", "Sex must be Male or Female")
    age = src.numeric("Age", st) if src.has("Age") else np.full(src.n, np.nan)
    if src.has("Date_of_Birth"):
        dob = src.numeric("Date_of_Birth", st)
        age = np.where(np.isnan(age), -dob / 365.25, age)
    onset = pd.Series(ids).map(history.get("onset_day", pd.Series(dtype=float))).to_numpy(float)
    no_onset = int((~np.isnan(age) & np.isnan(onset) & st.ok(src) & b.id_present[src.name]).sum())
    if no_onset:
        st.notes.append(f"{src.name}: {no_onset} patient(s) with an age at trial entry but no "
                        "Onset_Delta: age_at_onset left empty (it is Age + Onset_Delta / 365.25)")
    frame = pd.DataFrame({
        "patient_id": b.cat_ids[src.name],
        "sex": sex,
        "age_at_onset": np.round(age + onset / 365.25, 6),
        "onset_site": pd.Series(ids).map(history.get("onset_site", pd.Series(dtype=object))),
        "onset_day": onset,
        "diagnosis_day": pd.Series(ids).map(history.get("diagnosis_day",
                                                        pd.Series(dtype=float))).to_numpy(float),
        "el_escorial": pd.Series(ids).map(_el_escorial(b, ee_src)),
        "source": "PRO-ACT",
        **provenance(src, np.arange(src.n)),
    })
    b.put("patients", frame[st.ok(src) & b.id_present[src.name]])


def _el_escorial(b: _Builder, src: Source | None) -> pd.Series:
    if src is None:
        return pd.Series(dtype=object)
    st = b.st
    ids = b.ids(src)
    src.require(["el_escorial"])
    raw = src.text("el_escorial")
    mapped = np.array([EL_ESCORIAL_MAP.get(t) if t is not None else None
                       for t in src.normalised("el_escorial")], dtype=object)
    bad = np.flatnonzero(pd.notna(raw) & pd.isna(mapped))
    st.breach(src, bad, "el_escorial", raw[bad], "allowed_values",
              f"unknown El Escorial category; known: {sorted(EL_ESCORIAL_MAP)}")
    st.link(src, np.arange(src.n), ids, "subject_id")
    df = pd.DataFrame({"id": ids, "v": mapped, "row": np.arange(src.n)})
    df = df[st.ok(src) & b.id_present[src.name] & pd.notna(mapped)]
    nuniq = df.groupby("id")["v"].transform("nunique")
    bad = df[nuniq > 1]
    st.breach(src, bad["row"].to_numpy(), "el_escorial", bad["v"].to_numpy(),
              "conflicting_duplicate", "different El Escorial categories for one subject")
    return df[nuniq == 1].drop_duplicates("id").set_index("id")["v"]


def _alsfrs(b: _Builder, src: Source) -> None:
    st = b.st
    b.register_ids(src)
    day = b.day(src, "ALSFRS_Delta")
    items = {item: (src.numeric(col, st) if src.has(col) else np.full(src.n, np.nan))
             for col, item in ITEM_COLUMNS.items()}
    q10 = (src.numeric("Q10_Respiratory", st) if src.has("Q10_Respiratory")
           else np.full(src.n, np.nan))
    given_r = (src.numeric("ALSFRS_R_Total", st) if src.has("ALSFRS_R_Total")
               else np.full(src.n, np.nan))
    given_old = (src.numeric("ALSFRS_Total", st) if src.has("ALSFRS_Total")
                 else np.full(src.n, np.nan))
    r_items = np.column_stack([items[i] for i in ALSFRS_R_ITEMS[10:]])
    is_r = ~np.isnan(r_items).all(axis=1) | ~np.isnan(given_r)
    is_old = ~np.isnan(q10) | ~np.isnan(given_old)
    # items 1-9 alone do not tell the version: the file's columns decide when they name one
    # version only; otherwise the row is quarantined
    r_cols = any(src.has(c) for c in [*list(ITEM_COLUMNS)[10:], "ALSFRS_R_Total"])
    old_cols = src.has("Q10_Respiratory") or src.has("ALSFRS_Total")
    neither = ~is_r & ~is_old
    if r_cols and not old_cols:
        is_r = is_r | neither
    elif old_cols and not r_cols:
        is_old = is_old | neither
    both = np.flatnonzero(is_r & is_old)
    st.breach(src, both, "Q10_Respiratory", q10[both], "ambiguous_alsfrs_version",
              "the row has both ALSFRS (Q10) and ALSFRS-R (R1-R3) respiratory data")
    both5 = np.flatnonzero(~np.isnan(items[ALSFRS_R_ITEMS[4]]) & ~np.isnan(items[ALSFRS_R_ITEMS[5]]))
    st.breach(src, both5, "Q5b_Cutting_with_Gastrostomy", items[ALSFRS_R_ITEMS[5]][both5],
              "both_item5", "item 5 is answered as 5a or 5b, not both")
    core = np.column_stack([items[i] for i in ALSFRS_R_ITEMS[:10]])
    nothing = np.flatnonzero(np.isnan(core).all(axis=1) & np.isnan(r_items).all(axis=1)
                             & np.isnan(q10) & np.isnan(given_r) & np.isnan(given_old))
    st.breach(src, nothing, "ALSFRS_Delta", day[nothing], "empty_record",
              "the row has no item and no total")
    unknown = np.setdiff1d(np.flatnonzero(~is_r & ~is_old), nothing)
    st.breach(src, unknown, "ALSFRS_Delta", day[unknown], "unknown_alsfrs_version",
              "items 1-9 only: without Q10 or R1-R3 (or a total) the row does not say whether "
              "it is the ALSFRS or the ALSFRS-R")
    # derived totals where the items are complete and in range
    item5 = np.where(np.isnan(items[ALSFRS_R_ITEMS[4]]), items[ALSFRS_R_ITEMS[5]],
                     items[ALSFRS_R_ITEMS[4]])
    base9 = [items[i] for i in ALSFRS_R_ITEMS[:4]] + [item5] + [items[i] for i in
                                                             ALSFRS_R_ITEMS[6:10]]
    in_range = np.all([(np.isnan(v) | ((v >= 0) & (v <= 4))) for v in [*base9, q10,
                                                                       *r_items.T]], axis=0)
    total_r = np.sum(base9, axis=0) + r_items.sum(axis=1)
    total_old = np.sum(base9, axis=0) + q10
    for given, total, mask, col in ((given_r, total_r, is_r & ~is_old, "ALSFRS_R_Total"),
                                    (given_old, total_old, is_old & ~is_r, "ALSFRS_Total")):
        bad = np.flatnonzero(mask & in_range & st.ok(src) & ~np.isnan(given) & ~np.isnan(total)
                             & (np.abs(given - total) > 1e-9))
        st.breach(src, bad, col, given[bad], "inconsistent_total",
                  "the total differs from the sum of the items")
    ok = st.ok(src) & b.id_present[src.name] & ~np.isnan(day)
    for inst, mask, total, given, extra in (
        ("alsfrs_r", ok & is_r, total_r, given_r, list(ALSFRS_R_ITEMS[10:])),
        ("alsfrs", ok & is_old, total_old, given_old, ["q10_respiratory"]),
    ):
        rows = np.flatnonzero(mask)
        columns = {v: k for k, v in ITEM_COLUMNS.items()} | {"q10_respiratory": "Q10_Respiratory"}
        for item in list(ALSFRS_R_ITEMS[:10]) + extra:
            values = q10 if item == "q10_respiratory" else items[item]
            b.assessments(src, rows, day, inst, item, values, source="PRO-ACT ALSFRS",
                          column=columns[item])
        complete = ~np.isnan(total)
        b.assessments(src, rows[complete[rows]], day, inst, "total", total, derived=True,
                      source="PRO-ACT ALSFRS")
        b.assessments(src, rows[~complete[rows]], day, inst, "total", given,
                      source="PRO-ACT ALSFRS",
                      column="ALSFRS_R_Total" if inst == "alsfrs_r" else "ALSFRS_Total")


def _fvc(b: _Builder, src: Source) -> None:
    st = b.st
    b.register_ids(src)
    day = b.day(src, "Forced_Vital_Capacity_Delta")
    def best(prefix: str) -> np.ndarray:
        cols = [c for c in src.columns if c.startswith(prefix)]
        if not cols:
            return np.full(src.n, np.nan)
        stack = np.column_stack([src.numeric(c, st) for c in cols])
        return np.fmax.reduce(stack, axis=1)  # NaN only where every trial is empty
    pct, liters = best("pct_of_Normal_Trial_"), best("Subject_Liters_Trial_")
    nothing = np.flatnonzero(np.isnan(pct) & np.isnan(liters))
    st.breach(src, nothing, "pct_of_Normal_Trial_1", [None] * len(nothing), "empty_record",
              "no FVC value in the row")
    rows = np.flatnonzero(st.ok(src) & b.id_present[src.name] & ~np.isnan(day))
    b.assessments(src, rows, day, "fvc", "percent_predicted", pct, source="PRO-ACT FVC",
                  column="pct_of_Normal_Trial_*")
    b.assessments(src, rows, day, "fvc", "liters", liters, source="PRO-ACT FVC",
                  column="Subject_Liters_Trial_*")


def _deaths(b: _Builder, src: Source) -> None:
    st = b.st
    ids = b.ids(src)
    src.require(["Subject_Died"])
    died = src.normalised("Subject_Died")
    day = b.day(src, "Death_Days", required=False) if src.has("Death_Days") else np.full(
        src.n, np.nan)
    bad = np.flatnonzero(pd.notna(died) & ~np.isin(died, ["yes", "no"]))
    st.breach(src, bad, "Subject_Died", died[bad], "allowed_values",
              "Subject_Died must be Yes, No or empty")
    miss = np.flatnonzero((died == "yes") & np.isnan(day))
    st.breach(src, miss, "Death_Days", [None] * len(miss), "missing_death_day",
              "Subject_Died is Yes but Death_Days is empty")
    incons = np.flatnonzero((died != "yes") & ~np.isnan(day))
    st.breach(src, incons, "Death_Days", day[incons], "inconsistent_death",
              "a death day is given but Subject_Died is not Yes")
    rows = np.flatnonzero(st.ok(src) & b.id_present[src.name] & (died == "yes") & ~np.isnan(day))
    st.link(src, np.flatnonzero(died != "yes"), ids, "subject_id")  # alive: no death event
    b.put("events", pd.DataFrame({"patient_id": b.cat_ids[src.name][rows], "day": day[rows],
                                  "event": "death",
                                  **provenance(src, rows)}, copy=False))


def _med_frame(ids: pd.Categorical, rows: np.ndarray, drug: np.ndarray, start: np.ndarray,
               stop: np.ndarray, atc: np.ndarray | None, dose: np.ndarray,
               indication: np.ndarray, source: str, src: Source) -> pd.DataFrame:
    codes, classes = classify(drug[rows], None if atc is None else atc[rows])
    return pd.DataFrame({
        "patient_id": ids[rows], "drug": drug[rows], "atc_code": codes, "start_day": start[rows],
        "stop_day": stop[rows], "dose_mg_per_day": dose[rows], "indication": indication[rows],
        "drug_class": classes, "source": source, **provenance(src, rows)}, copy=False)


def _riluzole(b: _Builder, src: Source) -> None:
    st = b.st
    ids = b.ids(src)
    src.require(["Subject_used_Riluzole"])
    used = src.normalised("Subject_used_Riluzole")
    bad = np.flatnonzero(pd.notna(used) & ~np.isin(used, ["yes", "no"]))
    st.breach(src, bad, "Subject_used_Riluzole", used[bad], "allowed_values",
              "Subject_used_Riluzole must be Yes, No or empty")
    start = (b.day(src, "Riluzole_use_Delta", required=False) if src.has("Riluzole_use_Delta")
             else np.full(src.n, np.nan))
    rows = np.flatnonzero(st.ok(src) & b.id_present[src.name] & (used == "yes"))
    st.link(src, np.flatnonzero(used != "yes"), ids, "subject_id")  # no riluzole: no row
    n = src.n
    b.put("medications", _med_frame(b.cat_ids[src.name], rows,
                                    np.full(n, "riluzole", dtype=object), start,
                                    np.full(n, np.nan), None, np.full(n, np.nan),
                                    np.full(n, "als", dtype=object), "PRO-ACT RILUZOLE", src))


def _conmeds(b: _Builder, src: Source) -> None:
    st = b.st
    b.register_ids(src)
    src.require(["Medication_Coded"])
    drug = src.normalised("Medication_Coded")
    miss = np.flatnonzero(pd.isna(drug))
    st.breach(src, miss, "Medication_Coded", [None] * len(miss), "not_null",
              "the medication name is missing")
    start = b.day(src, "Start_Delta", required=False) if src.has("Start_Delta") else np.full(
        src.n, np.nan)
    stop = b.day(src, "Stop_Delta", required=False) if src.has("Stop_Delta") else np.full(
        src.n, np.nan)
    dose = src.numeric("Dose", st) if src.has("Dose") else np.full(src.n, np.nan)
    atc = src.text("ATC_Code") if src.has("ATC_Code") else None
    indication = src.text("Indication") if src.has("Indication") else np.full(src.n, None,
                                                                                dtype=object)
    rows = np.flatnonzero(st.ok(src) & b.id_present[src.name])
    b.put("medications", _med_frame(b.cat_ids[src.name], rows, drug, start, stop, atc, dose,
                                    indication,
                                    "PRO-ACT CONMEDS", src))


def _questionnaire(b: _Builder, src: Source) -> None:
    st = b.st
    b.register_ids(src)
    day_col = "Delta" if src.has("Delta") else next(
        (c for c in src.columns if c.endswith("_Delta")), "Delta")
    day = b.day(src, day_col)
    known = [c for c in src.columns if c in QUESTIONNAIRE_COLUMNS]
    ignored = [c for c in src.columns if c not in known and c not in ("subject_id", day_col)]
    if not known:
        raise LoadError(f"no known questionnaire column; known: {sorted(QUESTIONNAIRE_COLUMNS)}",
                        file=src.name, line=1, rule="missing_column")
    if ignored:
        st.notes.append(f"{src.name}: column(s) {ignored} not recognised and not loaded")
    values = {c: src.numeric(c, st) for c in known}
    nothing = np.flatnonzero(np.isnan(np.column_stack(list(values.values()))).all(axis=1))
    st.breach(src, nothing, day_col, day[nothing], "empty_record", "no value in the row")
    rows = np.flatnonzero(st.ok(src) & b.id_present[src.name] & ~np.isnan(day))
    for col in known:
        inst, item = QUESTIONNAIRE_COLUMNS[col]
        b.assessments(src, rows, day, inst, item, values[col], column=col)
        if (inst, item) == ("vas_pain", "mm"):
            # the 0-10 score beside the original millimetres (an out-of-range mm value is a
            # breach of the mm row, which quarantines the whole source row)
            b.assessments(src, rows, day, "vas_pain", "total", values[col] / 10.0,
                          derived=True, column=col)


def _pain_sites(b: _Builder, src: Source) -> None:
    st = b.st
    b.register_ids(src)
    src.require(["Site", "Pain_Type"])
    day_col = "Delta" if src.has("Delta") else "Site_Delta"
    day = b.day(src, day_col)
    rows = np.flatnonzero(st.ok(src) & b.id_present[src.name] & ~np.isnan(day))
    site, kind = src.normalised_categorical("Site"), src.normalised_categorical("Pain_Type")
    b.put("pain_sites", pd.DataFrame({"patient_id": b.cat_ids[src.name][rows], "day": day[rows],
                                      "site": site[rows], "pain_type": kind[rows],
                                      **provenance(src, rows)}, copy=False))

