"""Shared loading machinery: reading source files as text, recording breaches, and the final
validation that quarantines rows the standard-table rules reject.

Every source file is read with every column as text (pyarrow's CSV reader, or pandas for Excel,
SPSS and Stata files), so no value is coerced on the way in: a cell that must be a number and is
not is a breach (rule ``non_numeric``) of its row. Each standard-table row built from a source
row carries that row's provenance (``_file``, ``_row``); when :meth:`Cohort.validate` rejects a
standard-table row, the source row behind it is quarantined together with everything else built
from it, and validation runs again, so a quarantined patient takes their dependent rows along
(rule ``known_patient``). Rows read = rows loaded + rows quarantined for every file.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from ..cohort import Cohort
from ..schema import TABLE_NAMES
from .report import QUARANTINE_COLUMNS, FileReport, LoadError, LoadReport

DELIMITERS = ",;\t|"


# ----------------------------------------------------------------------------------------------
# reading
# ----------------------------------------------------------------------------------------------
class Source:
    """One source file, every column as text (null for empty cells)."""

    def __init__(self, name: str, table: pa.Table, encoding: str = "utf-8",
                 delimiter: str | None = None, line_offset: int = 2) -> None:
        self.name, self.table, self.encoding, self.delimiter = name, table, encoding, delimiter
        self.n = table.num_rows
        self.line_offset = line_offset  # line of data row 0 (header = line 1)
        self.columns = list(table.column_names)
        self._categorical: dict[str, pd.Categorical] = {}

    def has(self, column: str) -> bool:
        return column in self.columns

    def require(self, columns: Iterable[str]) -> None:
        missing = [c for c in columns if c not in self.columns]
        if missing:
            hint = ""
            if len(self.columns) == 1:
                hint = (" (the header reads as one column only: is the delimiter one of "
                        "',', ';', tab or '|'?)")
            raise LoadError(f"missing required column(s) {missing}; found {self.columns}{hint}",
                            file=self.name, line=1, rule="missing_column")

    def text(self, column: str) -> np.ndarray:
        """Column as an object array of str / None."""
        return np.asarray(self.table.column(column).to_numpy(zero_copy_only=False), dtype=object)

    def categorical(self, column: str) -> pd.Categorical:
        """Column as a pandas Categorical (dictionary-encoded by Arrow, no Python strings)."""
        if column in self._categorical:
            return self._categorical[column]
        enc = pc.dictionary_encode(self.table.column(column)).combine_chunks()
        codes = enc.indices.to_numpy(zero_copy_only=False)
        codes = np.where(pc.is_valid(enc.indices).to_numpy(zero_copy_only=False), codes, -1)
        cats = pd.Index(enc.dictionary.to_pylist(), dtype=object)
        out = pd.Categorical.from_codes(codes.astype(np.int32), categories=cats)
        self._categorical[column] = out
        return out

    def normalised(self, column: str) -> np.ndarray:
        """Column as stripped lower-case strings (None for empty cells), for matching codes
        such as Yes/No or Male/Female."""
        col = pc.utf8_lower(pc.utf8_trim_whitespace(self.table.column(column)))
        return np.asarray(col.to_numpy(zero_copy_only=False), dtype=object)

    def present(self, column: str) -> np.ndarray:
        return np.asarray(pc.is_valid(self.table.column(column)).to_numpy(zero_copy_only=False),
                          dtype=bool)

    def numeric(self, column: str, staging: Staging) -> np.ndarray:
        """Column as float64 (NaN for empty cells); non-numeric cells are breaches of their
        rows (rule ``non_numeric``) and come back as NaN."""
        col = self.table.column(column)
        try:
            values = np.asarray(pc.cast(col, pa.float64()).to_numpy(zero_copy_only=False),
                                dtype=np.float64)
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
            values = pd.to_numeric(pd.Series(self.text(column), dtype=object),
                                   errors="coerce").to_numpy(dtype=np.float64)
        # a filled cell that gives no number ("four", or the text "nan") is a breach
        bad = np.flatnonzero(np.isnan(values) & self.present(column))
        if bad.size:
            staging.breach(self, bad, column, self.text(column)[bad], "non_numeric",
                           "the value is not a number")
        return values

    def raw(self, rows: np.ndarray) -> list[str]:
        import json

        sub = self.table.take(pa.array(np.asarray(rows, dtype=np.int64))).to_pylist()
        return [json.dumps(r, ensure_ascii=False) for r in sub]


def _sniff_delimiter(sample: str) -> str:
    first = sample.splitlines()[0] if sample else ""
    try:
        return csv.Sniffer().sniff(sample, delimiters=DELIMITERS).delimiter
    except csv.Error:
        counts = {d: first.count(d) for d in DELIMITERS}
        best = max(counts, key=lambda d: counts[d])
        return best if counts[best] else ","


def read_source(path: str | Path, name: str | None = None) -> Source:
    """Read a CSV/TSV (any of , ; tab | as delimiter; UTF-8, UTF-8 with BOM or Latin-1),
    Excel (.xlsx/.xls), SPSS (.sav) or Stata (.dta) file with every column as text."""
    path = Path(path)
    name = name or path.name
    if not path.exists():
        raise LoadError("file not found", file=name, rule="missing_file")
    if path.stat().st_size == 0:
        raise LoadError("the file is empty", file=name, rule="empty_file")
    suffix = path.suffix.lower()
    if suffix in (".xlsx", ".xlsm", ".xls"):
        return _from_pandas(name, pd.read_excel(path, dtype=object), "binary")
    if suffix in (".sav", ".zsav", ".dta"):
        import pyreadstat

        reader = pyreadstat.read_sav if suffix != ".dta" else pyreadstat.read_dta
        frame, _ = reader(str(path))
        return _from_pandas(name, frame, "binary")
    head = path.open("rb").read(65536)
    encoding = "utf-8"
    try:
        sample = head.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        if err.start < len(head) - 4:  # not just a character cut at the sample's end
            encoding = "latin-1"
        sample = head.decode("utf-8-sig" if encoding == "utf-8" else "latin-1", errors="ignore")
    delimiter = _sniff_delimiter(sample)
    header = next(csv.reader(io.StringIO(sample.splitlines()[0] if sample else ""),
                             delimiter=delimiter), [])
    if not [h for h in header if h.strip()]:
        raise LoadError("no header line", file=name, line=1, rule="empty_file")
    names = [h.strip().lstrip("\ufeff") for h in header]
    if len(set(names)) != len(names):
        dups = sorted({n for n in names if names.count(n) > 1})
        raise LoadError(f"duplicate column name(s) {dups}", file=name, line=1,
                        rule="duplicate_column")
    convert = pacsv.ConvertOptions(column_types={n: pa.string() for n in names},
                                   strings_can_be_null=True, null_values=[""],
                                   quoted_strings_can_be_null=True)
    read = pacsv.ReadOptions(encoding="utf8" if encoding == "utf-8" else "latin1",
                             column_names=names, skip_rows=1)
    parse = pacsv.ParseOptions(delimiter=delimiter, newlines_in_values=False)
    try:
        table = pacsv.read_csv(path, read_options=read, parse_options=parse,
                               convert_options=convert)
    except pa.ArrowInvalid as err:
        if "UTF8" in str(err) or "utf8" in str(err).lower():
            read = pacsv.ReadOptions(encoding="latin1", column_names=names, skip_rows=1)
            table = pacsv.read_csv(path, read_options=read, parse_options=parse,
                                   convert_options=convert)
            encoding = "latin-1"
        else:
            raise LoadError(f"cannot parse the file: {err}", file=name,
                            rule="malformed_file") from None
    table = table.set_column(0, names[0], pc.utf8_trim_whitespace(table.column(0)))
    return Source(name, table, encoding, delimiter)


def _from_pandas(name: str, frame: pd.DataFrame, encoding: str) -> Source:
    cols = {}
    for c in frame.columns:
        s = frame[c]
        text = s.map(lambda v: None if v is None or (isinstance(v, float) and np.isnan(v))
                     else (v.isoformat() if hasattr(v, "isoformat") else
                           (repr(v) if isinstance(v, float) and not v.is_integer() else
                            str(int(v)) if isinstance(v, float) else str(v))))
        cols[str(c).strip()] = pa.array(text.to_list(), type=pa.string())
    return Source(name, pa.table(cols), encoding, None)


# ----------------------------------------------------------------------------------------------
# staging: breaches by file and row
# ----------------------------------------------------------------------------------------------
class Staging:
    """Collects breaches against source rows; ``strict`` raises on the first one."""

    def __init__(self, strict: bool = False) -> None:
        self.strict = strict
        self.sources: dict[str, Source] = {}
        self.bad: dict[str, np.ndarray] = {}
        self.entries: list[pd.DataFrame] = []
        self.notes: list[str] = []

    def add(self, source: Source) -> Source:
        if source.name in self.sources:
            raise LoadError("the same file is given twice", file=source.name)
        self.sources[source.name] = source
        self.bad[source.name] = np.zeros(source.n, dtype=bool)
        return source

    def breach(self, source: Source, rows: Any, column: str, values: Any, rule: str,
               message: str) -> None:
        rows = np.asarray(rows, dtype=np.int64)
        if rows.size == 0:
            return
        values = list(values) if not np.isscalar(values) else [values] * len(rows)
        if self.strict:
            raise LoadError(message, file=source.name, line=int(rows[0]) + source.line_offset,
                            column=column, value=values[0], rule=rule)
        self.bad[source.name][rows] = True
        self.entries.append(pd.DataFrame({
            "file": source.name,
            "line": rows + source.line_offset,
            "row": rows,
            "column": column,
            "value": [None if v is None else str(v) for v in values],
            "rule": rule,
            "message": message,
            "raw": source.raw(rows),
        }))

    def ok(self, source: Source) -> np.ndarray:
        return ~self.bad[source.name]

    def report(self) -> LoadReport:
        files = []
        for name, src in self.sources.items():
            n_bad = int(self.bad[name].sum())
            files.append(FileReport(name, src.n, src.n - n_bad, n_bad))
        quarantine = (pd.concat(self.entries, ignore_index=True) if self.entries
                      else pd.DataFrame(columns=QUARANTINE_COLUMNS))
        report = LoadReport(files, quarantine.sort_values(["file", "row", "rule"],
                                                         kind="stable", ignore_index=True),
                            list(self.notes))
        report.check_invariant()
        return report


INT32_MAX = 2**31 - 1


def check_days(staging: Staging, source: Source, values: np.ndarray, column: str) -> np.ndarray:
    """Days must be whole numbers (rule ``non_integer_day``) within the int32 range of the
    standard tables (rule ``in_range``); breaches quarantine their rows."""
    finite = ~np.isnan(values)
    frac = np.flatnonzero(finite & np.isfinite(values) & (values != np.round(values)))
    staging.breach(source, frac, column, values[frac], "non_integer_day",
                   "a day must be a whole number")
    big = np.flatnonzero(finite & (np.abs(values) > INT32_MAX))
    staging.breach(source, big, column, values[big], "in_range",
                   f"a day must lie within +-{INT32_MAX:,}")
    return values


def provenance(source: Source, rows: np.ndarray, column: str | None = None) -> dict[str, Any]:
    """The ``_file``, ``_row`` (and, for values taken from one cell, ``_col``) columns of
    standard-table rows built from ``rows``."""
    out: dict[str, Any] = {
        "_file": pd.Categorical.from_codes(np.zeros(len(rows), dtype=np.int8),
                                           categories=[source.name]),
        "_row": np.asarray(rows, dtype=np.int64)}
    if column is not None:
        out["_col"] = pd.Categorical.from_codes(np.zeros(len(rows), dtype=np.int8),
                                                categories=[column])
    return out


def finalize(staging: Staging, tables: dict[str, list[pd.DataFrame]],
             metadata: dict[str, Any], max_rounds: int = 10) -> Cohort:
    """Assemble the standard tables, quarantine the source rows of every rule breach (and of
    everything built from them), and return the cohort with its load report."""
    frames = {}
    for name in TABLE_NAMES:
        parts = [p for p in tables.get(name, []) if len(p)]
        if parts:
            frames[name] = _concat_parts(parts)
        else:
            frames[name] = None
    for _ in range(max_rounds):
        frames = {k: _drop_bad(staging, v) for k, v in frames.items()}
        cohort = Cohort(**frames)
        breaches = cohort.validate()
        if breaches.empty:
            break
        for table, group in breaches.groupby("table", sort=True):
            df = cohort.tables[table]
            for rule, g in group.groupby("rule", sort=True):  # few breaches: cheap
                cols = ["_file", "_row"] + (["_col"] if "_col" in df.columns else [])
                prov = df.iloc[g["row"].to_numpy()][cols]
                for (file, col, msg_rule), gg in _by_file(prov, g, rule):
                    src = staging.sources[file]
                    staging.breach(src, gg["_row"].to_numpy(), col, gg["value"].to_numpy(),
                                   msg_rule, _RULE_MESSAGES.get(msg_rule, msg_rule))
        frames = cohort.tables
    else:  # pragma: no cover - validation converges in a few rounds
        raise LoadError("internal: quarantine did not converge")
    final = _patients_as_categories(
        {k: v.drop(columns=["_file", "_row", "_col"], errors="ignore")
         for k, v in cohort.tables.items()})
    out = Cohort(**final, metadata=metadata)
    out.load_report = staging.report()
    return out


def _patients_as_categories(tables: dict[str, pd.DataFrame]) -> dict[str, pd.DataFrame]:
    """Every table's patient_id with the loaded patients, in their order, as its categories
    (ids seen only in quarantined rows leave no trace), by recoding the integer codes."""
    ids = tables["patients"]["patient_id"]
    dtype = pd.CategoricalDtype(pd.Index(ids.astype(str).to_numpy(), dtype=object))
    out = {}
    for name, df in tables.items():
        col = df["patient_id"]
        if isinstance(col.dtype, pd.CategoricalDtype):
            pos = dtype.categories.get_indexer(col.cat.categories.astype(str))
            codes = col.cat.codes.to_numpy()
            new = pd.Categorical.from_codes(np.where(codes >= 0, pos[np.maximum(codes, 0)], -1),
                                            dtype=dtype)
            df = df.assign(patient_id=new)
        out[name] = df
    return out


def _concat_parts(parts: list[pd.DataFrame]) -> pd.DataFrame:
    """Concatenate table pieces column by column. Categorical columns stay categorical (codes
    concatenated when the pieces share one dtype, as the loaders' patient ids do, else their
    categories united); other columns of one dtype are joined by NumPy; a column missing from
    a piece is missing (NaN / None) on its rows. (``pd.concat`` of whole frames re-indexes
    every block and was the slowest step of loading a large cohort.)"""
    columns = list(dict.fromkeys(c for p in parts for c in p.columns))
    out: dict[str, Any] = {}
    for c in columns:
        cols = [p[c] if c in p.columns else None for p in parts]
        present = [col for col in cols if col is not None]
        if all(isinstance(col.dtype, pd.CategoricalDtype) for col in present):
            first = present[0].dtype
            arrays = [col.array if col is not None else pd.Categorical.from_codes(
                np.full(len(p), -1, dtype=np.int8), dtype=first) for col, p in zip(
                    cols, parts, strict=True)]
            if all(a.dtype is first or a.dtype == first for a in arrays):
                codes = np.concatenate([np.asarray(a.codes, dtype=np.int32) for a in arrays])
                out[c] = pd.Categorical.from_codes(codes, dtype=first)
            else:
                out[c] = pd.api.types.union_categoricals(arrays)
        elif len(present) == len(parts) and len({col.dtype for col in present}) == 1:
            out[c] = np.concatenate([col.to_numpy() for col in present])
        else:
            out[c] = pd.concat([col if col is not None else pd.Series([None] * len(p),
                                                                       dtype=object)
                                for col, p in zip(cols, parts, strict=True)],
                               ignore_index=True)
    return pd.DataFrame(out)


def _by_file(prov: pd.DataFrame, g: pd.DataFrame, rule: str) -> Iterable[Any]:
    column = g["column"].to_numpy().astype(object)
    if "_col" in prov.columns:  # name the source cell, not the standard column
        src_col = prov["_col"].to_numpy()
        use = (column == "value") & pd.notna(src_col)
        column = np.where(use, src_col, column)
    values = [v.item() if isinstance(v, np.generic) else v for v in g["value"].to_numpy()]
    joined = prov[["_file", "_row"]].reset_index(drop=True).assign(column=column, value=values)
    for (file, column), gg in joined.groupby(["_file", "column"], sort=True, observed=True):
        gg = gg.drop_duplicates("_row")
        yield (file, column, rule), gg


def _drop_bad(staging: Staging, df: pd.DataFrame | None) -> pd.DataFrame | None:
    if df is None or df.empty:
        return df
    keep = np.ones(len(df), dtype=bool)
    files = df["_file"].astype("category")
    codes = files.cat.codes.to_numpy()
    rows = df["_row"].to_numpy()
    for code, name in enumerate(files.cat.categories):
        sel = codes == code
        keep[sel] = ~staging.bad[str(name)][rows[sel]]
    if keep.all():
        return df
    return df[keep].reset_index(drop=True)


_RULE_MESSAGES = {
    "known_patient": "the patient is not in the patients table (or was quarantined)",
    "unique_key": "the row repeats the key of another row",
    "conflicting_duplicate": "another row with the same key carries a different value",
    "instrument_range": "the value is outside its instrument's valid range",
    "not_after_death": "dated after the patient's death",
    "not_before_onset": "dated before the patient's onset",
    "allowed_values": "the value is not in the column's vocabulary",
    "in_range": "the value is outside the column's allowed range",
    "not_null": "a required value is missing",
    "single_death": "the patient has more than one death",
    "onset_not_after_diagnosis": "diagnosis is dated before onset",
    "onset_not_after_baseline": "onset is dated after baseline",
    "diagnosis_not_after_baseline": "diagnosis is dated after baseline",
    "stop_not_before_start": "the medication stops before it starts",
    "known_instrument": "unknown instrument",
    "known_item": "unknown item of its instrument",
}
