"""Load clinic and registry exports (CSV, TSV, Excel, SPSS, Stata; wide or long) into the
standard tables, driven by a YAML mapping file.

The mapping (safe-loaded YAML, validated before any data is read; every problem names the key
path) says, per file, which standard table it fills and how::

    id_column: record_id              # the patient identifier column, in every file
    date_format: "%Y-%m-%d"           # optional; otherwise ISO dates
    files:
      - path: patients.csv            # matched by file name against the paths given
        table: patients
        columns: {sex: gender, age_at_onset: age_onset, onset_site: site_onset}
        codes:                        # source code -> standard value
          sex: {1: male, 2: female}
          onset_site: {1: spinal, 2: bulbar, 3: respiratory, 4: generalised}
        baseline_date: enrol_date     # day 0 of each patient (needed when dates are used)
        dates: {onset_day: onset_date, diagnosis_day: diagnosis_date}
      - path: visits.csv
        table: assessments
        layout: wide                  # one row per visit, one column per measure
        date: visit_date              # or  day: visit_day  (days since baseline)
        measures:
          vas_mm: {instrument: vas_pain, item: mm}     # millimetres; the 0-10 score is derived
          nrs: {instrument: nrs_pain, item: total}
          alsfrs_1: {instrument: alsfrs_r, item: q1_speech}
      - path: caregiver_visits.csv    # proxy ratings: every row of the file rated by
        table: assessments            # a caregiver (patient, caregiver or clinician;
        respondent: caregiver         # default the patient); scores derived apart
        day: visit_day
        measures:
          cg_vas_mm: {instrument: vas_pain, item: mm}
      - path: long_scores.csv
        table: assessments
        layout: long                  # columns naming instrument, item and value
        day: day                      # (and optionally respondent: a column per row)
        columns: {instrument: instrument, item: item, value: value}
      - path: events.csv
        table: events
        date: event_date
        columns: {event: event_type}
        codes: {event: {1: death, 2: tracheostomy, 3: niv_full_time}}
      - path: medications.csv
        table: medications
        columns: {drug: drug_name, dose_mg_per_day: dose}
        dates: {start_day: start_date, stop_day: stop_date}

Item rows of an instrument (ALSFRS-R, HADS, BPI, ...) are scored by
:mod:`alspaincohort.instruments` into derived rows. Calendar dates become days relative to each
patient's baseline date. Breaches quarantine their source rows exactly as in
:func:`alspaincohort.load_proact`; extra rules here: ``invalid_date`` (not a date in the
mapping's ``date_format``, or not ISO 8601 without one; a time zone is refused),
``partial_date`` (a year or year-month only), ``missing_baseline``, ``unknown_code``, and, in
wide assessment files, ``instrument_range`` and ``both_item5`` before any score is derived.
Workbook cells stored as dates are read as dates whatever ``date_format`` says.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any, Literal, NoReturn

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from .. import instruments as ins
from ..cohort import Cohort
from ..drugs import classify
from ..schema import INSTRUMENTS, RESPONDENTS, TABLES
from .common import Source, Staging, check_days, decode_text, finalize, provenance, read_source
from .report import LoadError

TABLE_KEYS = {
    "patients": {"path", "table", "columns", "codes", "dates", "days", "baseline_date"},
    "assessments": {"path", "table", "layout", "date", "day", "measures", "columns",
                    "respondent"},
    "events": {"path", "table", "date", "day", "columns", "codes"},
    "medications": {"path", "table", "columns", "codes", "dates", "days"},
    "pain_sites": {"path", "table", "date", "day", "columns", "codes"},
}
# a whole ISO 8601 date, optionally with a time of day, never a time zone
ISO_DATE = r"\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?)?"
PARTIAL_DATE = r"\d{4}(?:-\d{1,2})?"
DAY_COLUMNS = {"patients": ("onset_day", "diagnosis_day", "pain_onset_day"),
               "medications": ("start_day", "stop_day")}


class MappingError(LoadError):
    """The mapping file is malformed; the message names the key path."""


def _fail(where: str, message: str, mapping_name: str) -> NoReturn:
    raise MappingError(f"mapping {where}: {message}", file=mapping_name, rule="invalid_mapping")


# The mapping's shape (types, required keys, no unknown keys) is checked by pydantic models, so
# that every wrong type gets one message naming its key path; the rules between keys (a column
# of the right table, a known instrument item, a day-precision date format) follow by hand.
class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)


class _Measure(_Strict):
    instrument: str
    item: str


Code = str | int | float | bool


class _FileEntry(_Strict):
    path: str
    table: Literal["patients", "assessments", "events", "medications", "pain_sites"]
    columns: dict[str, str] = Field(default_factory=dict)
    codes: dict[str, dict[Code, str]] = Field(default_factory=dict)
    dates: dict[str, str] = Field(default_factory=dict)
    days: dict[str, str] = Field(default_factory=dict)
    baseline_date: str | None = None
    layout: Literal["wide", "long"] | None = None
    date: str | None = None
    day: str | None = None
    measures: dict[str, _Measure] | None = None
    respondent: str | None = None


class _Mapping(_Strict):
    id_column: str
    date_format: str | None = None
    files: list[_FileEntry] = Field(min_length=1)


class _AliasRefused(yaml.YAMLError):
    pass


class _NoAliasLoader(yaml.SafeLoader):
    """Safe YAML without anchors and aliases: a mapping never needs them, and nested aliases
    expand exponentially (the "billion laughs")."""

    def compose_node(self, parent: Any, index: Any) -> Any:
        if self.check_event(yaml.AliasEvent):
            event = self.peek_event()
            raise _AliasRefused(f"YAML aliases (*{event.anchor}) are not accepted in a "
                                f"mapping, line {event.start_mark.line + 1}")
        return super().compose_node(parent, index)


def _key_path(loc: tuple[Any, ...]) -> str:
    out = ""
    for i, part in enumerate(loc):  # only 'files' is a list: other integers are dict keys
        if isinstance(part, int) and i > 0 and loc[i - 1] == "files":
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out or "(top level)"


def check_date_format(fmt: Any, name: str = "<dict>") -> None:
    """A strptime format that reads a whole calendar date (year, month and day) and no time
    zone; :class:`MappingError` otherwise."""
    import datetime as dt

    if not isinstance(fmt, str):
        _fail("date_format", f"must be a text such as '%d/%m/%Y', not {fmt!r}", name)
    if "%z" in fmt or "%Z" in fmt:
        _fail("date_format", "time zones are not accepted; give local calendar dates", name)
    probe = dt.datetime(2001, 2, 3)
    try:
        back = dt.datetime.strptime(probe.strftime(fmt), fmt)
    except ValueError as err:
        _fail("date_format", f"{fmt!r} is not a valid date format: {err}", name)
    if back.date() != probe.date():
        _fail("date_format", f"{fmt!r} does not read a whole date (year, month and day)", name)


def read_mapping(mapping: str | Path | dict[str, Any]) -> dict[str, Any]:
    """Load (YAML, safe, no aliases) and validate a mapping; raise :class:`MappingError`
    naming the key path of the first problem."""
    name = "<dict>"
    if not isinstance(mapping, dict):
        path = Path(mapping)
        name = path.name
        if not path.exists():
            raise MappingError("mapping file not found", file=name, rule="missing_file")
        text, _encoding, _notes = decode_text(path.read_bytes(), name)
        try:
            mapping = yaml.load(text, Loader=_NoAliasLoader)  # noqa: S506 - a SafeLoader
        except _AliasRefused as err:
            raise MappingError(str(err), file=name, rule="invalid_mapping") from None
        except yaml.YAMLError as err:
            raise MappingError(f"not valid YAML: {err}", file=name,
                               rule="invalid_mapping") from None
    if not isinstance(mapping, dict):
        _fail("(top level)", "must be a mapping with 'id_column' and 'files'", name)
    try:
        _Mapping.model_validate(mapping)
    except ValidationError as err:
        first = err.errors()[0]
        loc = tuple(first["loc"])
        message = first["msg"]
        if "[key]" in loc:  # a dict key of the wrong type; pydantic then names union members
            loc = loc[:loc.index("[key]")]
            message = "a code must be text or a number"
        if first["type"] == "extra_forbidden":
            message = "unknown key"
        elif first["type"] == "missing":
            message = "required key missing"
        value = first.get("input")
        shown = "" if first["type"] == "missing" else f" (got {value!r:.60})"
        raise MappingError(f"mapping {_key_path(loc)}: {message}{shown}", file=name,
                           rule="invalid_mapping") from None
    if mapping.get("date_format") is not None:
        check_date_format(mapping["date_format"], name)
    tables_seen = set()
    for i, entry in enumerate(mapping["files"]):
        where = f"files[{i}]"
        table = entry["table"]
        tables_seen.add(table)
        unknown = set(entry) - TABLE_KEYS[table]
        if unknown:
            _fail(where, f"unknown key(s) {sorted(unknown)} for table {table}; valid: "
                  f"{sorted(TABLE_KEYS[table])}", name)
        standard = {c.name for c in TABLES[table]}
        for key in ("columns", "codes", "dates", "days"):
            for col in entry.get(key, {}):
                ok = col in standard or (table == "assessments" and key == "columns"
                                         and col in ("instrument", "item", "value"))
                if table == "assessments" and col == "respondent" and key != "columns":
                    ok = False
                if not ok:
                    _fail(f"{where}.{key}.{col}", f"not a column of table {table}", name)
        for col in entry.get("dates", {}) | entry.get("days", {}):
            if col not in DAY_COLUMNS.get(table, ()):
                _fail(f"{where}.dates.{col}", f"not a day column of {table}; day columns: "
                      f"{DAY_COLUMNS.get(table, ())}", name)
        if table == "assessments":
            layout = entry.get("layout") or "wide"
            if layout == "wide":
                measures = entry.get("measures")
                if not measures:
                    _fail(f"{where}.measures", "required for a wide file: column -> "
                          "{instrument, item}", name)
                for col, spec in measures.items():
                    inst = spec["instrument"]
                    if inst not in INSTRUMENTS:
                        _fail(f"{where}.measures.{col}.instrument",
                              f"unknown instrument {inst!r}; known: {sorted(INSTRUMENTS)}", name)
                    if spec["item"] not in INSTRUMENTS[inst].ranges():
                        _fail(f"{where}.measures.{col}.item", f"{spec['item']!r} is not an item "
                              f"or score of {inst}: {sorted(INSTRUMENTS[inst].ranges())}", name)
            elif not {"instrument", "item", "value"} <= set(entry.get("columns", {})) \
                    <= {"instrument", "item", "value", "respondent"}:
                _fail(f"{where}.columns", "a long file maps instrument, item and value (and "
                      "optionally respondent)", name)
            who = entry.get("respondent")
            if who is not None and who not in RESPONDENTS:
                _fail(f"{where}.respondent", f"{who!r} is not a respondent; valid: "
                      f"{list(RESPONDENTS)}", name)
            if who is not None and "respondent" in entry.get("columns", {}):
                _fail(f"{where}.respondent", "give the respondent of the whole file or a "
                      "respondent column, not both", name)
        if table in ("assessments", "events", "pain_sites") and \
                ("date" in entry) == ("day" in entry):
            _fail(where, "give exactly one of 'date' (calendar) or 'day' (days since "
                  "baseline)", name)
    if "patients" not in tables_seen:
        _fail("files", "one file must fill the patients table", name)
    return mapping


# ----------------------------------------------------------------------------------------------
def load_tabular(paths: str | Path | Sequence[str | Path], mapping: str | Path | dict[str, Any],
                 strict: bool = False) -> Cohort:
    """Load tabular exports into a Cohort as the mapping says (see the module docstring).

    ``paths`` are the data files (or one directory holding them); each mapping entry is matched
    to a path by file name. Returns a Cohort with ``load_report``.
    """
    spec = read_mapping(mapping)
    given = [Path(paths)] if isinstance(paths, (str, Path)) else [Path(p) for p in paths]
    files: dict[str, Path] = {}
    for p in given:
        for f in (sorted(p.iterdir()) if p.is_dir() else [p]):
            files[f.name] = f
    st = Staging(strict)
    entries = sorted(spec["files"], key=lambda e: e["table"] != "patients")
    for entry in entries:
        if entry["path"] not in files:
            raise LoadError("file named in the mapping was not given", file=entry["path"],
                            rule="missing_file")
    loader = _Tabular(st, spec)
    for entry in entries:
        src = st.add(read_source(files[entry["path"]]))
        getattr(loader, entry["table"])(src, entry)
    meta = {"loader": "load_tabular", "files": [e["path"] for e in spec["files"]]}
    return finalize(st, loader.tables, meta)


class _Tabular:
    def __init__(self, st: Staging, spec: dict[str, Any]) -> None:
        self.st, self.spec = st, spec
        self.tables: dict[str, list[pd.DataFrame]] = {}
        self.baseline: pd.Series | None = None  # patient id -> baseline date

    # helpers ----------------------------------------------------------------------------------
    def put(self, table: str, frame: pd.DataFrame) -> None:
        self.tables.setdefault(table, []).append(frame)

    def ids(self, src: Source) -> np.ndarray:
        col = self.spec["id_column"]
        src.require([col])
        src.id_column = col
        ids = src.text(col)
        miss = np.flatnonzero(pd.isna(ids))
        self.st.breach(src, miss, col, [None] * len(miss), "not_null", "the patient id is missing")
        return ids

    def coded(self, src: Source, entry: dict[str, Any], std: str, column: str) -> np.ndarray:
        src.require([column])
        raw = src.text(column)
        codes = {str(k): v for k, v in (entry.get("codes", {}).get(std) or {}).items()}
        if not codes:
            return src.normalised(column)
        out = np.array([codes.get(v.strip()) if v is not None else None for v in raw],
                       dtype=object)
        bad = np.flatnonzero(pd.notna(raw) & pd.isna(out))
        self.st.breach(src, bad, column, raw[bad], "unknown_code",
                       f"the code is not in the mapping's codes for {std}: {sorted(codes)}")
        return out

    def numbers(self, src: Source, column: str) -> np.ndarray:
        src.require([column])
        return src.numeric(column, self.st)

    def dates(self, src: Source, column: str) -> np.ndarray:
        """Column of calendar dates as datetime64 (NaT when empty); bad dates are breaches."""
        src.require([column])
        raw = pd.Series(src.text(column), dtype=object).str.strip()
        fmt = self.spec.get("date_format")
        iso = _matches(raw, ISO_DATE)
        parsed = pd.Series(pd.NaT, index=raw.index, dtype="datetime64[ns]")
        # ISO dates; with a date_format, only cells a workbook stored as dates (they reach us
        # in ISO form) are ISO, the others must follow the format
        use_iso = iso if not fmt else iso & (src.encoding == "binary")
        if use_iso.any():
            parsed[use_iso] = pd.to_datetime(raw[use_iso], format="ISO8601", errors="coerce")
        rest = raw.notna().to_numpy() & ~use_iso
        if fmt and rest.any():
            parsed[rest] = pd.to_datetime(raw[rest], format=fmt, errors="coerce")
        filled = raw.notna().to_numpy()
        partial = filled & ~use_iso & _matches(raw, PARTIAL_DATE)
        if not fmt:
            rows = np.flatnonzero(partial)
            self.st.breach(src, rows, column, raw.to_numpy()[rows], "partial_date",
                           "a year or a year and month only: a whole date is needed")
        bad = np.flatnonzero(parsed.isna().to_numpy() & filled & ~(partial & (not fmt)))
        self.st.breach(src, bad, column, raw.to_numpy()[bad], "invalid_date",
                       "not a date " + (f"in format {fmt}" if fmt else
                                        "(ISO 8601 YYYY-MM-DD expected, no time zone)"))
        return parsed.to_numpy()

    def to_days(self, src: Source, ids: np.ndarray, when: np.ndarray,
                column: str) -> np.ndarray:
        if self.baseline is None:
            raise LoadError("dates need each patient's baseline date: give 'baseline_date' in "
                            "the patients entry", file=src.name, rule="missing_baseline")
        base = pd.Series(ids).map(self.baseline).to_numpy(dtype="datetime64[ns]")
        miss = np.flatnonzero(~pd.isna(when) & pd.isna(base) & pd.notna(ids))
        self.st.breach(src, miss, column, [None] * len(miss), "missing_baseline",
                       "the patient has no baseline date")
        days = (when - base) / np.timedelta64(1, "D")
        return check_days(self.st, src, np.asarray(days, dtype=np.float64), column)

    def whole_days(self, src: Source, values: np.ndarray, column: str) -> np.ndarray:
        return check_days(self.st, src, values, column)

    def day_of_row(self, src: Source, ids: np.ndarray, entry: dict[str, Any]) -> np.ndarray:
        if "date" in entry:
            day = self.to_days(src, ids, self.dates(src, entry["date"]), entry["date"])
            col = entry["date"]
        else:
            col = entry["day"]
            day = self.whole_days(src, self.numbers(src, col), col)
        miss = np.flatnonzero(np.isnan(day) & ~src.present(col))
        self.st.breach(src, miss, col, [None] * len(miss), "not_null", "the day is missing")
        return day

    def day_columns(self, src: Source, ids: np.ndarray, entry: dict[str, Any],
                    table: str) -> dict[str, np.ndarray]:
        out = {}
        for std, col in (entry.get("days") or {}).items():
            out[std] = self.whole_days(src, self.numbers(src, col), col)
        for std, col in (entry.get("dates") or {}).items():
            out[std] = self.to_days(src, ids, self.dates(src, col), col)
        return out

    # tables -----------------------------------------------------------------------------------
    def patients(self, src: Source, entry: dict[str, Any]) -> None:
        ids = self.ids(src)
        dup = np.flatnonzero(pd.Series(ids).duplicated().to_numpy() & pd.notna(ids))
        self.st.breach(src, dup, self.spec["id_column"], ids[dup], "unique_key",
                       "the patient appears twice")
        if entry.get("baseline_date"):
            base = self.dates(src, entry["baseline_date"])
            ok = self.st.ok(src) & pd.notna(ids)
            self.baseline = pd.Series(base[ok], index=ids[ok])
        frame: dict[str, Any] = {"patient_id": ids}
        for std, col in (entry.get("columns") or {}).items():
            spec = next(c for c in TABLES["patients"] if c.name == std)
            if spec.dtype == "category":
                frame[std] = self.coded(src, entry, std, col)
            elif spec.dtype == "boolean":
                frame[std] = self._booleans(src, entry, std, col)
            else:
                frame[std] = self.numbers(src, col)
        frame.update(self.day_columns(src, ids, entry, "patients"))
        frame["source"] = src.name
        frame.update(provenance(src, np.arange(src.n)))
        df = pd.DataFrame(frame)
        for required in ("onset_day",):
            if required not in df:
                df[required] = np.nan
        self.put("patients", df[self.st.ok(src) & pd.notna(ids)])

    def _booleans(self, src: Source, entry: dict[str, Any], std: str, col: str) -> np.ndarray:
        text = self.coded(src, entry, std, col)
        truth = {"true": True, "yes": True, "1": True, "false": False, "no": False, "0": False}
        out = np.array([truth.get(str(v).lower()) if v is not None else None for v in text],
                       dtype=object)
        bad = np.flatnonzero(pd.notna(text) & pd.isna(out))
        self.st.breach(src, bad, col, text[bad], "allowed_values", "not a yes/no value")
        return out

    def assessments(self, src: Source, entry: dict[str, Any]) -> None:
        ids = self.ids(src)
        day = self.day_of_row(src, ids, entry)
        if entry.get("layout", "wide") == "long":
            cols = entry["columns"]
            inst = np.array([v.strip() if v else None for v in src.text(cols["instrument"])],
                            dtype=object)
            item = np.array([v.strip() if v else None for v in src.text(cols["item"])],
                            dtype=object)
            value = self.numbers(src, cols["value"])
            rows = np.flatnonzero(self.st.ok(src) & pd.notna(ids) & ~np.isnan(day))
            frame = pd.DataFrame({
                "patient_id": ids[rows], "day": day[rows], "instrument": inst[rows],
                "item": item[rows], "value": value[rows], "derived": False,
                "source": src.name, **provenance(src, rows)}, copy=False)
            if "respondent" in cols:  # checked against RESPONDENTS by the schema (quarantine)
                who = np.array([v.strip() if v else None
                                for v in src.text(cols["respondent"])], dtype=object)
                frame["respondent"] = who[rows]
            elif entry.get("respondent"):
                frame["respondent"] = entry["respondent"]
            self.put("assessments", frame)
            return
        measures = entry["measures"]
        values = {col: self.numbers(src, col) for col in measures}
        nothing = np.flatnonzero(np.isnan(np.column_stack(list(values.values()))).all(axis=1))
        self.st.breach(src, nothing, list(measures)[0], [None] * len(nothing), "empty_record",
                       "no value in the row")
        self._check_items(src, measures, values)
        rows = np.flatnonzero(self.st.ok(src) & pd.notna(ids) & ~np.isnan(day))
        pieces = []
        for col, m in measures.items():
            v = values[col][rows]
            keep = ~np.isnan(v)
            pieces.append(pd.DataFrame({
                "patient_id": ids[rows][keep], "day": day[rows][keep],
                "instrument": m["instrument"], "item": m["item"], "value": v[keep],
                "derived": False, "source": src.name, **provenance(src, rows[keep], col)},
                copy=False))
        long = pd.concat(pieces, ignore_index=True)
        if entry.get("respondent"):
            long["respondent"] = entry["respondent"]
        self.put("assessments", long)
        self.put("assessments", _derived(long, src))

    def _check_items(self, src: Source, measures: dict[str, dict[str, str]],
                     values: dict[str, np.ndarray]) -> None:
        """Quarantine the rows whose items the instruments cannot score: a value outside its
        item's range (rule ``instrument_range``), ALSFRS-R item 5 given as both 5a and 5b
        (rule ``both_item5``). The scoring of the remaining rows then cannot fail."""
        for col, m in measures.items():
            lo, hi = INSTRUMENTS[m["instrument"]].ranges()[m["item"]]
            v = values[col]
            with np.errstate(invalid="ignore"):
                out = np.flatnonzero((v < lo) | (v > hi))
            self.st.breach(src, out, col, v[out], "instrument_range",
                           f"{m['instrument']} {m['item']} must lie in [{lo:g}, {hi:g}]")
        by_item = {(m["instrument"], m["item"]): col for col, m in measures.items()}
        a = by_item.get(("alsfrs_r", ins.Q5A))
        b = by_item.get(("alsfrs_r", ins.Q5B))
        if a is not None and b is not None:
            both = np.flatnonzero(~np.isnan(values[a]) & ~np.isnan(values[b]))
            self.st.breach(src, both, b, values[b][both], "both_item5",
                           "item 5 is answered as 5a or 5b, not both")

    def events(self, src: Source, entry: dict[str, Any]) -> None:
        ids = self.ids(src)
        day = self.day_of_row(src, ids, entry)
        event = self.coded(src, entry, "event", entry.get("columns", {}).get("event", "event"))
        rows = np.flatnonzero(self.st.ok(src) & pd.notna(ids) & ~np.isnan(day))
        self.put("events", pd.DataFrame({"patient_id": ids[rows], "day": day[rows],
                                         "event": event[rows], **provenance(src, rows)}))

    def pain_sites(self, src: Source, entry: dict[str, Any]) -> None:
        ids = self.ids(src)
        day = self.day_of_row(src, ids, entry)
        cols = entry.get("columns", {})
        site = self.coded(src, entry, "site", cols.get("site", "site"))
        kind = self.coded(src, entry, "pain_type", cols.get("pain_type", "pain_type"))
        rows = np.flatnonzero(self.st.ok(src) & pd.notna(ids) & ~np.isnan(day))
        self.put("pain_sites", pd.DataFrame({"patient_id": ids[rows], "day": day[rows],
                                             "site": site[rows], "pain_type": kind[rows],
                                             **provenance(src, rows)}))

    def medications(self, src: Source, entry: dict[str, Any]) -> None:
        ids = self.ids(src)
        cols = entry.get("columns", {})
        drug_col = cols.get("drug", "drug")
        src.require([drug_col])
        drug = np.array([v.strip().lower() if v else None for v in src.text(drug_col)],
                        dtype=object)
        miss = np.flatnonzero(pd.isna(drug))
        self.st.breach(src, miss, drug_col, [None] * len(miss), "not_null",
                       "the drug name is missing")
        frame: dict[str, Any] = {"patient_id": ids, "drug": drug}
        for std in ("dose_mg_per_day",):
            if std in cols:
                frame[std] = self.numbers(src, cols[std])
        for std in ("atc_code", "indication"):
            if std in cols:
                frame[std] = src.text(cols[std])
        frame.update(self.day_columns(src, ids, entry, "medications"))
        frame.setdefault("start_day", np.full(src.n, np.nan))
        codes, classes = classify(drug, frame.get("atc_code"))
        frame["atc_code"], frame["drug_class"] = codes, classes
        frame["source"] = src.name
        frame.update(provenance(src, np.arange(src.n)))
        df = pd.DataFrame(frame)
        self.put("medications", df[self.st.ok(src) & pd.notna(ids) & pd.notna(drug)])


def _matches(raw: pd.Series, pattern: str) -> np.ndarray:
    """Cells matching ``pattern`` in full (False for empty cells)."""
    hit = pc.match_substring_regex(pa.array(raw.to_numpy(), type=pa.string()),
                                   f"^(?:{pattern})$")
    return np.asarray(pc.fill_null(hit, False).to_numpy(zero_copy_only=False), dtype=bool)


def _derived(long: pd.DataFrame, src: Source) -> pd.DataFrame:
    """Scores of the instruments whose items a wide file holds, with the source row's
    provenance."""
    scored = ins.derive_scores(long)
    if scored.empty:
        return scored
    existing = set(zip(long.patient_id, long.day, long.instrument, long.item, strict=True))
    keep = [(p, d, i, it) not in existing for p, d, i, it in
            zip(scored.patient_id, scored.day, scored.instrument, scored.item, strict=True)]
    scored = scored[keep]
    rows = long.drop_duplicates(["patient_id", "day"]).set_index(["patient_id", "day"])["_row"]
    idx = pd.MultiIndex.from_arrays([scored.patient_id, scored.day])
    r = rows.reindex(idx).to_numpy()
    return scored.assign(source=src.name, **provenance(src, r.astype(np.int64)))
