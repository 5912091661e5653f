"""Shared loading machinery: reading source files as text, recording breaches, and the final
validation that quarantines rows the standard-table rules reject.

Every source file is read with every column as text (pyarrow's CSV reader, or pandas for Excel,
SPSS and Stata files), so no value is coerced on the way in: a cell that must be a number and is
not is a breach (rule ``non_numeric``) of its row. Each standard-table row built from a source
row carries that row's provenance (``_file``, ``_row``); when :meth:`Cohort.validate` rejects a
standard-table row, the source row behind it is quarantined together with everything else built
from it, and validation runs again, so a quarantined patient takes their dependent rows along
(rule ``known_patient``). Rows read = rows loaded + rows quarantined for every file, and
every loaded row reaches the cohort: a row of a standard table built from it, or (history, El
Escorial, "No" answers) a link to its loaded patient; a loaded row that reaches nothing would
be quarantined as ``not_carried``, a safety net the fuzz tests show never fires.

Reading keeps values as they are: numbers are parsed by Arrow, which gives the double nearest
to the text (as Python's ``float``); a UTF-8 file with a few bytes that are not UTF-8 keeps
its encoding and quarantines those rows (``invalid_encoding``); control characters (NUL, ...)
quarantine their rows (``control_character``); rows with a field too many or too few are
``malformed_row`` at their true line (lines are counted as the CSV grammar reads them, so blank
lines and quoted line breaks do not shift them); header names that collide once stripped of
blanks refuse the file (``duplicate_column``); a workbook's other sheets are named in a note.

Speed. The heavy lifting on text is done by Arrow's compute kernels (the CSV reader, number
parsing, trimming and lower-casing, dictionary encoding of ids and codes, hashing ids against
the shared id dictionary): C++ over whole columns, faster than NumPy on strings and without
Python objects per cell. What Arrow hands over is NumPy (codes, days, values), and the tables
are assembled column by column into the pandas frames a :class:`~alspaincohort.cohort.Cohort`
holds, without block-consolidation or defensive copies (``DataFrame(..., copy=False)`` of
fresh arrays, ``Cohort(copy=False)``). DuckDB or polars would read as fast but hand back tables
that must still become these pandas frames; the reading is not where the time goes. Measured
by ``benchmarks/bench_loaders.py``: the 100,000-patient PRO-ACT export loads in 1.9x the time
of a bare NumPy lower bound of the mandatory work (reading, casting, the long table, its key
sort and range checks), issue 17's goal being at most 2x.
"""

from __future__ import annotations

import csv
import datetime
import io
import re
import zipfile
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
from openpyxl.utils.exceptions import InvalidFileException

from ..cohort import Cohort
from ..export import Pseudonymiser
from ..schema import TABLE_NAMES
from .report import QUARANTINE_COLUMNS, FileReport, LoadError, LoadReport

DELIMITERS = ",;\t|"


# ----------------------------------------------------------------------------------------------
# reading
# ----------------------------------------------------------------------------------------------
NUMBER_PATTERN = r"^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$|^[+-]?(?i:inf|infinity)$"
CONTROL_CHARACTERS = "[\\x00-\\x08\\x0b\\x0c\\x0e-\\x1f\\x7f]"
_CONTROL_BYTES = bytes([*range(0, 9), 11, 12, *range(14, 32), 127])
_OTHER_BYTES = bytes(b for b in range(256) if b not in _CONTROL_BYTES)


class Source:
    """One source file, every column as text (null for empty cells).

    ``lines`` holds the file line of each data row when it is not simply row + 2 (blank lines,
    quoted values with line breaks, rows refused by the parser); ``problems`` holds breaches
    found while reading (rows the parser refused, undecodable bytes, control characters) that
    :meth:`Staging.add` records; ``raw_text`` the original text of rows the parser refused.
    """

    def __init__(self, name: str, table: pa.Table, encoding: str = "utf-8",
                 delimiter: str | None = None, line_offset: int = 2,
                 lines: np.ndarray | None = None) -> None:
        self.name, self.table, self.encoding, self.delimiter = name, table, encoding, delimiter
        self.n = table.num_rows
        self.line_offset = line_offset  # line of data row 0 (header = line 1)
        self.lines = lines
        self.columns = list(table.column_names)
        self.problems: list[tuple[np.ndarray, str, list[Any], str, str]] = []
        self.notes: list[str] = []
        self.raw_text: dict[int, str] = {}
        self.id_column: str | None = None  # set by the loader that reads the ids
        self.control_characters = False  # the file's bytes hold one (set by the CSV reader)
        self._encoded: dict[str, tuple[np.ndarray, pa.Array]] = {}

    def line(self, rows: np.ndarray) -> np.ndarray:
        """1-based file lines of data rows (header = line 1)."""
        rows = np.asarray(rows, dtype=np.int64)
        return self.lines[rows] if self.lines is not None else rows + self.line_offset

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

    def encoded(self, column: str) -> tuple[np.ndarray, pa.Array]:
        """Column dictionary-encoded by Arrow: int32 codes (-1 for an empty cell) and the
        distinct values as an Arrow array (no Python strings, no pandas validation)."""
        if column not in self._encoded:
            enc = pc.dictionary_encode(self.table.column(column)).combine_chunks()
            codes = enc.indices.to_numpy(zero_copy_only=False)
            codes = np.where(pc.is_valid(enc.indices).to_numpy(zero_copy_only=False), codes,
                             -1).astype(np.int32)
            self._encoded[column] = (codes, enc.dictionary)
        return self._encoded[column]

    def normalised(self, column: str) -> np.ndarray:
        """Column as stripped lower-case strings (None for empty cells), for matching codes
        such as Yes/No or Male/Female."""
        col = pc.utf8_lower(pc.utf8_trim_whitespace(self.table.column(column)))
        return np.asarray(col.to_numpy(zero_copy_only=False), dtype=object)

    def normalised_categorical(self, column: str) -> pd.Categorical:
        """:meth:`normalised` as a categorical with sorted categories, as the standard tables
        hold such columns, encoded by Arrow (no Python string per row: a column of hundreds
        of thousands of pain sites cast from strings took a tenth of a second)."""
        col = pc.utf8_lower(pc.utf8_trim_whitespace(self.table.column(column)))
        enc = pc.dictionary_encode(col).combine_chunks()
        valid = pc.is_valid(enc.indices).to_numpy(zero_copy_only=False)
        codes = pc.fill_null(enc.indices, 0).to_numpy(zero_copy_only=False)
        order = pc.sort_indices(enc.dictionary).to_numpy(zero_copy_only=False)
        rank = np.empty(len(order), dtype=np.int32)
        rank[order] = np.arange(len(order), dtype=np.int32)
        categories = pd.Index(enc.dictionary.take(pa.array(order)).to_pylist(), dtype=object)
        return pd.Categorical.from_codes(np.where(valid, rank[codes] if len(rank) else 0, -1),
                                         categories=categories)

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
            # Arrow's parser rounds correctly (the value is the double nearest to the text, as
            # Python's float()); pandas' to_numeric does not always, so the cells that are
            # numbers are cast by Arrow and only those
            trimmed = pc.utf8_trim_whitespace(col)
            number = pc.fill_null(pc.match_substring_regex(trimmed, NUMBER_PATTERN), False)
            values = np.asarray(pc.cast(pc.if_else(number, trimmed, pa.scalar(None, pa.string())),
                                        pa.float64()).to_numpy(zero_copy_only=False),
                                dtype=np.float64)
        # a filled cell that gives no number ("four", or the text "nan") is a breach
        bad = np.flatnonzero(np.isnan(values) & self.present(column))
        if bad.size:
            staging.breach(self, bad, column, self.text(column)[bad], "non_numeric",
                           "the value is not a number")
        return values

    def raw(self, rows: np.ndarray) -> list[str]:
        import json

        sub = self.table.take(pa.array(np.asarray(rows, dtype=np.int64))).to_pylist()
        return [self.raw_text.get(int(r), json.dumps(d, ensure_ascii=False))
                for r, d in zip(rows, sub, strict=True)]

    def problem(self, rows: Any, column: str, values: Any, rule: str, message: str) -> None:
        rows = np.asarray(rows, dtype=np.int64)
        if rows.size:
            self.problems.append((rows, column, list(values), rule, message))

    def check_cells(self) -> None:
        """Cells holding control characters (a NUL byte, a form feed, ...) are breaches of
        their rows (rule ``control_character``): they would otherwise load as an id or a number
        that is not what the file shows."""
        for column in self.columns:
            col = self.table.column(column)
            if not pa.types.is_string(col.type) and not pa.types.is_large_string(col.type):
                continue
            hit = pc.fill_null(pc.match_substring_regex(col, CONTROL_CHARACTERS), False)
            rows = np.flatnonzero(np.asarray(hit.to_numpy(zero_copy_only=False), dtype=bool))
            self.problem(rows, column, [repr(v) for v in self.text(column)[rows]],
                         "control_character", "the cell holds a control character (e.g. NUL)")


def _sniff_delimiter(sample: str) -> str:
    first = sample.splitlines()[0] if sample else ""
    try:
        return csv.Sniffer().sniff(sample, delimiters=DELIMITERS).delimiter
    except csv.Error:
        counts = {d: first.count(d) for d in DELIMITERS}
        best = max(counts, key=lambda d: counts[d])
        return best if counts[best] else ","


def _check_names(names: list[str], name: str) -> list[str]:
    """Header names stripped of blanks and a BOM; duplicates (also after stripping) refuse the
    file, since one column would silently overwrite the other."""
    clean = [str(h).strip().lstrip("\ufeff").strip() for h in names]
    if len(set(clean)) != len(clean):
        dups = sorted({n for n in clean if clean.count(n) > 1})
        raise LoadError(f"duplicate column name(s) {dups} (compared without surrounding blanks)",
                        file=name, line=1, rule="duplicate_column")
    return clean


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
        source = _read_excel(path, name)
    elif suffix in (".sav", ".zsav", ".dta"):
        source = _read_stats_file(path, name, suffix)
    else:
        source = _read_csv(path, name)
    if source.encoding == "binary" or source.control_characters:
        source.check_cells()  # cell by cell only where a control character may be
    return source


def decode_text(data: bytes, name: str) -> tuple[str, str, list[str]]:
    """The file's text, its encoding and notes. UTF-8 (with or without BOM) is tried first.
    A file that is not valid UTF-8 and holds no valid multi-byte UTF-8 sequence is Latin-1
    (noted). A UTF-8 file with a few undecodable bytes stays UTF-8: those bytes become U+FFFD
    and the rows holding them are quarantined (rule ``invalid_encoding``), never the whole file
    re-read in another encoding."""
    try:
        return data.decode("utf-8-sig"), "utf-8", []
    except UnicodeDecodeError:
        pass
    text = data.decode("utf-8-sig", errors="replace")
    if re.search("[^\\x00-\\x7f\ufffd]", text) is None:
        return (data.decode("latin-1"), "latin-1",
                [f"{name}: not valid UTF-8 and no UTF-8 character in it: read as Latin-1"])
    return text, "utf-8", []


def _record_lines(text: str, delimiter: str) -> list[tuple[int, int, list[str]]]:
    """(first line, number of fields, fields) of every non-blank record after the header, as
    the CSV grammar reads them (quoted values may span lines)."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    out = []
    previous = 0
    for i, fields in enumerate(reader):
        first = previous + 1
        previous = reader.line_num
        if i == 0 or not fields:
            continue
        out.append((first, len(fields), fields))
    return out


def _read_csv(path: Path, name: str) -> Source:
    data = path.read_bytes()
    text, encoding, notes = decode_text(data, name)
    text = text.lstrip("\ufeff")
    delimiter = _sniff_delimiter(text[:65536])
    end = text.find("\n")
    first_line = (text if end < 0 else text[:end]).rstrip("\r")
    header = next(csv.reader(io.StringIO(first_line), delimiter=delimiter), [])
    if not [h for h in header if h.strip()]:
        raise LoadError("no header line", file=name, line=1, rule="empty_file")
    names = _check_names(header, name)
    refused: list[int] = []

    def invalid(row: Any) -> str:
        refused.append(row.number if row.number is not None else -1)
        return "skip"

    convert = pacsv.ConvertOptions(column_types={n: pa.string() for n in names},
                                   strings_can_be_null=True, null_values=[""],
                                   quoted_strings_can_be_null=True)
    read = pacsv.ReadOptions(column_names=names, skip_rows=1)
    parse = pacsv.ParseOptions(delimiter=delimiter, newlines_in_values=True,
                               invalid_row_handler=invalid)
    if encoding == "utf-8" and "\ufffd" not in text:  # the bytes as they are (no BOM)
        body = data[3:] if data.startswith(b"\xef\xbb\xbf") else data
    else:
        body = text.encode("utf-8")
    try:
        table = pacsv.read_csv(io.BytesIO(body), read_options=read, parse_options=parse,
                               convert_options=convert)
    except pa.ArrowInvalid as err:
        raise LoadError(f"cannot parse the file: {err}", file=name,
                        rule="malformed_file") from None
    table = table.set_column(0, names[0], pc.utf8_trim_whitespace(table.column(0)))
    lines = None
    if refused or _lines_shifted(body, table.num_rows):
        table, lines, bad = _align_records(table, text, delimiter, len(names), name)
    else:
        bad = []
    source = Source(name, table, encoding, delimiter, lines=lines)
    # one pass over the bytes, deleting all but control characters (a regex over every cell of
    # every column took 3.5 s of a 4.3 s read of the 100,000-patient export, a regex over the
    # bytes 0.8 s, this 0.1 s)
    source.control_characters = len(body.translate(None, _OTHER_BYTES)) > 0
    for row, fields in bad:
        source.raw_text[row] = delimiter.join(fields)
        source.problem([row], "", [f"{len(fields)} fields"], "malformed_row",
                       f"the line has {len(fields)} field(s) where the header has {len(names)}")
    if b'"' in body and source.n:
        _check_last_record(source, text, name)
    if "\ufffd" in text and encoding == "utf-8":
        for column in names:
            hit = pc.fill_null(pc.match_substring(table.column(column), "\ufffd"), False)
            rows = np.flatnonzero(np.asarray(hit.to_numpy(zero_copy_only=False), dtype=bool))
            source.problem(rows, column, source.text(column)[rows], "invalid_encoding",
                           "bytes that are not UTF-8 in a UTF-8 file (shown as U+FFFD)")
    source.notes = notes
    return source


def _check_last_record(source: Source, text: str, name: str) -> None:
    """A quote opened and never closed runs to the end of the file. On the last line alone it
    is a cut-off row (``malformed_row``); over several lines the rest of the file would read as
    one cell, so the file is refused, naming the line where the quote opens."""
    last = source.n - 1
    first = int(source.line(np.array([last]))[0])
    body = text.rstrip("\r\n")
    if source.lines is None:  # one line per row: the last record is the last line
        tail = body[body.rfind("\n") + 1:]
    else:
        tail = "".join(body.splitlines(keepends=True)[first - 1:])
    try:
        list(csv.reader(io.StringIO(tail, newline=""), delimiter=source.delimiter or ",",
                        strict=True))
    except csv.Error as err:
        if "unexpected end of data" not in str(err):
            return  # other strictness (a quote inside a field) reads as the parser read it
        if "\n" in tail:
            raise LoadError("a quoted value opened on this line is never closed: the rest of "
                            "the file would read as one cell", file=name, line=first,
                            rule="malformed_file") from None
        if last in source.raw_text:  # already refused for its field count
            return
        source.raw_text[last] = tail
        source.problem([last], "", ["unclosed quote"], "malformed_row",
                       "the last line ends inside a quoted value (cut off?)")


def _lines_shifted(body: bytes, n_rows: int) -> bool:
    """Whether data row i may not be on line i + 2 (a blank line, a quoted line break): the
    file has more lines than header + rows. (Counting line breaks, 0.10 s for the 100 MB of the
    100,000-patient export, beats searching for blank lines, 0.28 s.)"""
    n_lines = body.count(b"\n") + (0 if body.endswith(b"\n") else 1)
    return n_lines != n_rows + 1


def _align_records(table: pa.Table, text: str, delimiter: str, width: int,
                   name: str) -> tuple[pa.Table, np.ndarray, list[tuple[int, list[str]]]]:
    """The rows the parser read, with rows it refused (a field too many or too few) put back
    in file order as empty rows, and the file line of every row."""
    records = _record_lines(text, delimiter)
    good = [r for r in records if r[1] == width]
    if len(good) != table.num_rows:  # pragma: no cover - the two readers share the grammar
        raise LoadError(f"internal: {len(good)} records by the csv module, {table.num_rows} "
                        "by Arrow", file=name, rule="malformed_file")
    lines = np.array([r[0] for r in records], dtype=np.int64)
    is_bad = np.array([r[1] != width for r in records], dtype=bool)
    if not is_bad.any():
        return table, lines, []
    empty = pa.table({c: pa.nulls(int(is_bad.sum()), pa.string()) for c in table.column_names})
    both = pa.concat_tables([table, empty])
    order = np.empty(len(records), dtype=np.int64)
    order[~is_bad] = np.arange(table.num_rows)
    order[is_bad] = table.num_rows + np.arange(int(is_bad.sum()))
    bad = [(int(i), records[i][2]) for i in np.flatnonzero(is_bad)]
    return both.take(pa.array(order)), lines, bad


def _read_excel(path: Path, name: str) -> Source:
    """The first sheet (the others are named in a note) with the first row as the header;
    cells Excel stores as dates become ISO dates ("2015-08-20", with the time only when it is
    not midnight)."""
    try:
        sheets = pd.read_excel(path, sheet_name=None, header=None, dtype=object)
    except ImportError as err:  # a legacy .xls needs the optional xlrd package
        raise LoadError(f"cannot read this workbook format: {err}", file=name,
                        rule="malformed_file") from None
    except (ValueError, OSError, KeyError, zipfile.BadZipFile, InvalidFileException) as err:
        raise LoadError(f"not a readable Excel workbook ({type(err).__name__}: {err}); is it a "
                        "CSV or HTML file saved with an Excel name?", file=name,
                        rule="malformed_file") from None
    if not sheets:
        raise LoadError("the workbook has no sheet", file=name, rule="empty_file")
    first, *others = list(sheets)
    frame = sheets[first]
    if frame.empty:
        raise LoadError(f"sheet {first!r} is empty", file=name, line=1, rule="empty_file")
    names = _check_names([("" if pd.isna(h) else str(h)) for h in frame.iloc[0]], name)
    body = frame.iloc[1:].reset_index(drop=True)
    body.columns = names
    source = _from_pandas(name, body, "binary")
    filled = [s for s in others if not sheets[s].dropna(how="all").empty]
    if filled:
        source.notes = [f"{name}: only sheet {first!r} is read; sheet(s) {filled} with data "
                        "are not (save each table as its own file or sheet first)"]
    return source


def _read_stats_file(path: Path, name: str, suffix: str) -> Source:
    import pyreadstat

    reader = pyreadstat.read_sav if suffix != ".dta" else pyreadstat.read_dta
    try:
        frame, _ = reader(str(path))
    except (pyreadstat.ReadstatError, pyreadstat.PyreadstatError) as err:
        raise LoadError(f"not a readable {'Stata' if suffix == '.dta' else 'SPSS'} file: {err}",
                        file=name, rule="malformed_file") from None
    frame.columns = _check_names(list(frame.columns), name)
    return _from_pandas(name, frame, "binary")


def _cell_text(v: Any) -> str | None:
    if v is None or (isinstance(v, float) and np.isnan(v)) or v is pd.NaT:
        return None
    if isinstance(v, (pd.Timestamp, datetime.datetime)):
        stamp = pd.Timestamp(v)
        return (stamp.date().isoformat() if stamp == stamp.normalize()
                else stamp.isoformat())
    if isinstance(v, datetime.date):
        return v.isoformat()
    if isinstance(v, float):
        return repr(v) if not v.is_integer() else str(int(v))
    return str(v)


def _from_pandas(name: str, frame: pd.DataFrame, encoding: str) -> Source:
    cols = {str(c): pa.array([_cell_text(v) for v in frame[c].to_list()], type=pa.string())
            for c in frame.columns}
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
        self.links: list[tuple[Source, np.ndarray, np.ndarray, str]] = []
        self.refused: dict[str, np.ndarray] = {}
        self.pseudonyms = Pseudonymiser()

    def link(self, source: Source, rows: Any, ids: np.ndarray, column: str) -> None:
        """Record source rows that reach the cohort through their patient's row of the
        patients table (a disease-history or El Escorial row merged into it, a "No" in
        DEATHDATA or RILUZOLE that the cohort keeps as the absence of a death or a drug).
        :func:`finalize` quarantines them (rule ``known_patient``) when that patient is not
        loaded, and counts them as in the cohort when it is."""
        rows = np.asarray(rows, dtype=np.int64)
        self.links.append((source, rows, np.asarray(ids, dtype=object)[rows], column))

    def add(self, source: Source) -> Source:
        if source.name in self.sources:
            raise LoadError("the same file is given twice", file=source.name)
        self.sources[source.name] = source
        self.bad[source.name] = np.zeros(source.n, dtype=bool)
        self.notes.extend(source.notes)
        for rows, column, values, rule, message in source.problems:
            self.breach(source, rows, column, values, rule, message)
        # a row the parser refused holds no fields: it is reported once, as malformed_row,
        # not again for every field it lacks
        self.refused[source.name] = np.zeros(source.n, dtype=bool)
        self.refused[source.name][list(source.raw_text)] = True
        return source

    def breach(self, source: Source, rows: Any, column: str, values: Any, rule: str,
               message: str) -> None:
        rows = np.asarray(rows, dtype=np.int64)
        values = list(values) if not np.isscalar(values) else [values] * len(rows)
        refused = self.refused.get(source.name)
        if refused is not None and rows.size and refused[rows].any():
            keep = ~refused[rows]
            rows, values = rows[keep], [v for v, k in zip(values, keep, strict=True) if k]
        if rows.size == 0:
            return
        if self.strict:
            shown = values[0]
            if column in (source.id_column, "patient_id") and shown is not None:
                shown = self.pseudonyms.one(shown)  # never an identifier in a message
            raise LoadError(message, file=source.name, line=int(source.line(rows[:1])[0]),
                            column=column, value=shown, rule=rule)
        self.bad[source.name][rows] = True
        self.entries.append(pd.DataFrame({
            "file": source.name,
            "line": source.line(rows),
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
        quarantine = self._with_references(quarantine)
        report = LoadReport(files, quarantine.sort_values(["file", "row", "rule"],
                                                         kind="stable", ignore_index=True),
                            list(self.notes))
        report.check_invariant()
        return report


    def _with_references(self, quarantine: pd.DataFrame) -> pd.DataFrame:
        """Add ``patient_ref`` (the keyed hash of the row's patient id) and ``identifying``
        (the ``value`` is a patient id) to the quarantine."""
        ref: list[str | None] = [None] * len(quarantine)
        identifying = np.zeros(len(quarantine), dtype=bool)
        if len(quarantine):
            files = quarantine["file"].to_numpy()
            rows = quarantine["row"].to_numpy().astype(np.int64)
            columns = quarantine["column"].to_numpy()
            for name, src in self.sources.items():
                sel = np.flatnonzero(files == name)
                if not sel.size:
                    continue
                identifying[sel] = np.isin(columns[sel].astype(str),
                                           [str(src.id_column), "patient_id"])
                if src.id_column is None or not src.has(src.id_column):
                    continue
                ids = src.text(src.id_column)[rows[sel]]
                for i, v in zip(sel, self.pseudonyms(ids), strict=True):
                    ref[i] = v
        return quarantine.assign(patient_ref=ref, identifying=identifying)


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


def row_numbers(source: Source, rows: np.ndarray) -> np.ndarray:
    """The ``_row`` provenance of standard-table rows built from source rows ``rows``."""
    return np.asarray(rows, dtype=np.int32 if source.n < 2**31 else np.int64)


def provenance(source: Source, rows: np.ndarray, column: str | None = None) -> dict[str, Any]:
    """The ``_file``, ``_row`` (and, for values taken from one cell, ``_col``) columns of
    standard-table rows built from ``rows``."""
    out: dict[str, Any] = {
        "_file": pd.Categorical.from_codes(np.zeros(len(rows), dtype=np.int8),
                                           categories=[source.name]),
        "_row": row_numbers(source, rows)}
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
        cohort = Cohort(**frames, copy=False)  # tables built here, held by nobody else
        breaches = cohort.validate()
        if breaches.empty and not _unlinked(staging, cohort):
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
    _check_lineage(staging, cohort)
    final = _patients_as_categories(cohort.tables)
    out = Cohort(**final, metadata=metadata, copy=False)
    out.load_report = staging.report()
    return out


def _unlinked(staging: Staging, cohort: Cohort) -> bool:
    """Quarantine linked rows whose patient is not loaded; True when any was."""
    loaded = pd.Index(cohort.patients["patient_id"].astype(str).to_numpy(), dtype=object)
    found = False
    for source, rows, ids, column in staging.links:
        live = ~staging.bad[source.name][rows]
        missing = live & pd.notna(ids) & ~pd.Index(ids, dtype=object).isin(loaded)
        if missing.any():
            staging.breach(source, rows[missing], column, ids[missing], "known_patient",
                           _RULE_MESSAGES["known_patient"])
            found = True
    return found


def _check_lineage(staging: Staging, cohort: Cohort) -> None:
    """Every loaded source row must reach the cohort: a row of a standard table built from it,
    or a link to a loaded patient. A loaded row that reaches nothing is quarantined (rule
    ``not_carried``), so that no row is counted as loaded and then missing."""
    reached = {name: np.zeros(src.n, dtype=bool) for name, src in staging.sources.items()}
    for df in cohort.tables.values():
        if df is None or df.empty or "_file" not in df.columns:
            continue
        files = df["_file"].astype("category")
        codes = files.cat.codes.to_numpy()
        rows = df["_row"].to_numpy()
        for code, name in enumerate(files.cat.categories):
            reached[str(name)][rows[codes == code]] = True
    for source, rows, _ids, _column in staging.links:
        reached[source.name][rows] = True
    for name, src in staging.sources.items():
        lost = np.flatnonzero(~reached[name] & ~staging.bad[name])
        if lost.size:
            staging.breach(src, lost, "", [None] * lost.size, "not_carried",
                           "the row holds nothing the standard tables keep")


def _patients_as_categories(tables: dict[str, pd.DataFrame]) -> dict[str, pd.DataFrame]:
    """Every table's patient_id with the loaded patients, in their order, as its categories
    (ids seen only in quarantined rows leave no trace), by recoding the integer codes."""
    ids = tables["patients"]["patient_id"]
    dtype = pd.CategoricalDtype(pd.Index(ids.astype(str).to_numpy(), dtype=object))
    out = {}
    for name, df in tables.items():
        # the standard columns only (provenance dropped), in a new frame that shares their
        # data: drop() and assign() would copy every column of tables of millions of rows
        cols = {c: df[c] for c in df.columns if c not in PROVENANCE}
        col = df["patient_id"]
        if isinstance(col.dtype, pd.CategoricalDtype):
            pos = dtype.categories.get_indexer(col.cat.categories.astype(str))
            if len(pos) == len(dtype.categories) and (pos == np.arange(len(pos))).all():
                # the same ids in the same order: the codes stand (no pass over the rows)
                cols["patient_id"] = pd.Series(pd.Categorical.from_codes(
                    col.cat.codes.to_numpy(), dtype=dtype, validate=False), index=df.index)
            else:
                cols["patient_id"] = pd.Series(pd.Categorical.from_codes(
                    np.append(pos, -1)[col.cat.codes.to_numpy()], dtype=dtype),
                    index=df.index)  # -1 stays -1
        out[name] = pd.DataFrame(cols, copy=False)
    return out


PROVENANCE = ("_file", "_row", "_col")


def _concat_parts(parts: list[pd.DataFrame]) -> pd.DataFrame:
    """Concatenate table pieces column by column. Categorical columns stay categorical (codes
    concatenated when the pieces share one dtype, as the loaders' patient ids do, else their
    categories united); other columns of one dtype are joined by NumPy; a column missing from
    a piece is missing (NaN / None) on its rows. (``pd.concat`` of whole frames re-indexes
    every block and was the slowest step of loading a large cohort.) One piece is the table
    itself: copying a long table of millions of rows costs more than building it."""
    if len(parts) == 1 and isinstance(parts[0].index, pd.RangeIndex) \
            and parts[0].index.start == 0 and parts[0].index.step == 1:
        return parts[0]
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
                out[c] = pd.Categorical.from_codes(np.concatenate([a.codes for a in arrays]),
                                                   dtype=first)
            else:  # categories united in order of appearance (as union_categoricals), each
                # piece's codes recoded through a small lookup
                union = pd.Index(pd.unique(np.concatenate(
                    [np.asarray(a.categories, dtype=object) for a in arrays])))
                code_type = np.int8 if len(union) < 127 else np.int16 if len(union) < 32767 \
                    else np.int32
                codes = np.concatenate([
                    np.append(union.get_indexer(a.categories), -1).astype(code_type)[a.codes]
                    for a in arrays])
                out[c] = pd.Categorical.from_codes(codes, dtype=pd.CategoricalDtype(union))
        elif len(present) == len(parts) and len({col.dtype for col in present}) == 1:
            out[c] = np.concatenate([col.to_numpy() for col in present])
        else:
            out[c] = pd.concat([col if col is not None else pd.Series([None] * len(p),
                                                                       dtype=object)
                                for col, p in zip(cols, parts, strict=True)],
                               ignore_index=True)
    return pd.DataFrame(out, copy=False)  # fresh arrays: no block consolidation copy


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
    files = df["_file"]
    if not isinstance(files.dtype, pd.CategoricalDtype):
        files = files.astype("category")
    names = [str(name) for name in files.cat.categories]
    if not any(staging.bad[name].any() for name in names):  # nothing quarantined: no scan
        return df
    keep = np.ones(len(df), dtype=bool)
    codes = files.cat.codes.to_numpy()
    rows = df["_row"].to_numpy()
    for code, name in enumerate(names):
        sel = codes == code
        keep[sel] = ~staging.bad[name][rows[sel]]
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
