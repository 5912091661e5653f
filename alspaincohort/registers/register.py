"""A population register held in DuckDB: persons and their dispensed prescriptions.

A national register holds millions of people and hundreds of millions of dispensings, more
than pandas should hold. :func:`load_register` therefore keeps the data in DuckDB (embedded,
no server): the persons, validated, as a table; the dispensings as a view over the source files
(Parquet or CSV), with the rows that break a rule left out through an anti-join on their row
numbers. Every design (:mod:`alspaincohort.registers.designs`) runs as SQL on these two
relations and brings only its analysis frame into memory.

Tables
------
persons (one row per person of the source population)
    person_id; sex ("female" / "male"); birth_year; region (optional, a matching variable);
    entry_date, exit_date (the person is observed in the register on [entry_date, exit_date]:
    immigration or the register's start, and death, emigration or the end of follow-up);
    als_date (the ALS diagnosis date, the index date of a case; missing for everyone else).
dispensings (one row per dispensing)
    person_id; date; atc (WHO ATC code); ddd (defined daily doses dispensed; may be missing).

Rules (each breach quarantines the row, named in the load report as in the other loaders):
``required_column``, ``not_null``, ``dtype`` (a date, year or number that cannot be read),
``allowed_values`` (sex), ``in_range`` (birth year 1880-2030; DDD finite and >= 0),
``unique_key`` (a person_id repeated: the later rows), ``exit_not_before_entry``,
``index_within_observation`` (an ALS date outside [entry_date, exit_date]), ``atc_code`` (not a
WHO ATC code: letters and digits in the index's pattern, upper case, no spaces),
``known_person`` (a dispensing of a person not loaded) and ``outside_observation`` (a
dispensing dated outside the person's [entry_date, exit_date]). Nothing is coerced: "f" is
not "female" unless ``codes`` maps it, a lower-case ATC code is quarantined.

Why DuckDB and not pandas or Dask: the designs are joins, windows and grouped aggregates over
the dispensings, which DuckDB runs out of core on Parquet with all cores and no server;
``benchmarks/bench_register.py`` times it against the same pipeline in pandas.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..errors import ParameterError
from ..export import Pseudonymiser
from ..loaders.report import QUARANTINE_COLUMNS, FileReport, LoadError, LoadReport
from .exposure import ATC_SQL_PATTERN

PERSON_COLUMNS = ("person_id", "sex", "birth_year", "entry_date", "exit_date", "als_date")
PERSON_OPTIONAL = ("region",)
DISPENSING_COLUMNS = ("person_id", "date", "atc", "ddd")
SEXES = ("female", "male")
BIRTH_YEARS = (1880, 2030)

RULES = {
    "required_column": "a required column is missing from the file",
    "not_null": "a required value is missing",
    "dtype": "the value cannot be read as its type (ISO date YYYY-MM-DD, integer year, number)",
    "allowed_values": "the value is not in the column's vocabulary",
    "in_range": "the value is outside the column's allowed range",
    "unique_key": "the person_id repeats an earlier row's",
    "exit_not_before_entry": "exit_date is before entry_date",
    "index_within_observation": "als_date is outside [entry_date, exit_date]",
    "atc_code": "the ATC code does not follow the WHO ATC pattern (e.g. N03AX12)",
    "known_person": "the dispensing's person_id is not in the loaded persons",
    "outside_observation": "the dispensing is dated outside the person's [entry_date, exit_date]",
}


def _connect(database: str | Path | None, threads: int | None, memory_limit: str | None
             ) -> Any:
    import duckdb

    con = duckdb.connect(str(database) if database is not None else ":memory:")
    con.execute("SET enable_progress_bar = false")
    if threads is not None:
        con.execute(f"SET threads = {int(threads)}")
    if memory_limit is not None:
        con.execute("SET memory_limit = ?", [str(memory_limit)])
    return con


def _quote(name: str) -> str:
    return '"' + str(name).replace('"', '""') + '"'


def _literal(text: str) -> str:
    return "'" + str(text).replace("'", "''") + "'"


class _Source:
    """One input (file or frame) registered in DuckDB as a relation with a 0-based ``_row``."""

    def __init__(self, con: Any, item: Any, label: str, name: str) -> None:
        self.name = name
        if isinstance(item, pd.DataFrame):
            self.file = label
            frame = item.reset_index(drop=True)
            frame = frame.assign(_row=np.arange(len(frame), dtype=np.int64))
            con.register(f"{name}_frame", frame)
            self.sql = f"SELECT * FROM {name}_frame"
            self.kind = "frame"
        else:
            path = Path(item)
            if not path.is_file():
                raise LoadError("file not found", file=str(path), rule="missing_file")
            self.file = path.name
            suffix = path.suffix.lower()
            if suffix == ".parquet":
                self.sql = (f"SELECT * EXCLUDE (file_row_number), file_row_number AS _row "
                            f"FROM read_parquet({_literal(str(path))}, file_row_number = true)")
                self.kind = "parquet"
            elif suffix in (".csv", ".txt", ".gz"):
                # every value as text, so that a value that is not a date or a number is
                # reported as such (never guessed); rows numbered in file order (DuckDB keeps
                # the insertion order of a scan)
                self.sql = (f"SELECT *, row_number() OVER () - 1 AS _row FROM read_csv("
                            f"{_literal(str(path))}, all_varchar = true, header = true)")
                self.kind = "csv"
            else:
                raise LoadError("a register file must be Parquet (.parquet) or CSV (.csv)",
                                file=str(path), rule="file_type")
        con.execute(f"CREATE OR REPLACE TEMP VIEW {name} AS {self.sql}")
        described = con.execute(f"DESCRIBE {name}").fetchall()
        self.types = {r[0]: str(r[1]).upper() for r in described}
        self.n = int(con.execute(f"SELECT count(*) FROM {name}").fetchone()[0])

    def require(self, columns: Sequence[str], mapping: Mapping[str, str]) -> dict[str, str]:
        """Standard name -> source column, raising ``required_column`` for any absent."""
        out = {}
        for c in columns:
            src = mapping.get(c, c)
            if src not in self.types:
                raise LoadError(f"required column missing (has {sorted(self.types)[:12]})",
                                file=self.file, column=src, rule="required_column")
            out[c] = src
        return out


def _as_list(value: Any) -> list[Any]:
    if isinstance(value, (str, Path, pd.DataFrame)):
        return [value]
    if isinstance(value, Sequence) and value:
        return list(value)
    raise ParameterError(f"expected a path, a DataFrame or a non-empty list of them, not "
                         f"{type(value).__name__}")


class Register:
    """A loaded population register (see the module docstring). Built by
    :func:`load_register`.

    Attributes
    ----------
    con : duckdb.DuckDBPyConnection
        The connection holding ``persons`` (table) and ``dispensings`` (view).
    load_report : LoadReport
        Rows read, loaded and quarantined per file, and every quarantined row.
    n_persons, n_cases, n_dispensings : int
    period : tuple of Timestamp
        The first entry_date and the last exit_date.
    """

    def __init__(self, con: Any, report: LoadReport) -> None:
        self.con = con
        self.load_report = report
        n, cases, first, last = con.execute(
            "SELECT count(*), count(als_date), min(entry_date), max(exit_date) FROM persons"
        ).fetchone()
        self.n_persons, self.n_cases = int(n), int(cases)
        self.period = (pd.Timestamp(first), pd.Timestamp(last))
        self.n_dispensings = int(con.execute("SELECT count(*) FROM dispensings").fetchone()[0])
        self.has_region = "region" in {r[0] for r in con.execute("DESCRIBE persons").fetchall()}

    def __repr__(self) -> str:
        return (f"Register({self.n_persons} persons, {self.n_cases} ALS cases, "
                f"{self.n_dispensings} dispensings, {self.period[0].date()} to "
                f"{self.period[1].date()})")

    def summary(self) -> pd.DataFrame:
        """Counts only (no identifier): persons, cases, person-years, dispensings.

        Returns
        -------
        DataFrame
            quantity, value.
        """
        py = self.con.execute("SELECT sum(datediff('day', entry_date, exit_date)) / 365.25 "
                              "FROM persons").fetchone()[0]
        return pd.DataFrame({"quantity": ["persons", "ALS cases", "person-years",
                                          "dispensings", "first date", "last date"],
                             "value": [self.n_persons, self.n_cases, round(float(py or 0), 1),
                                       self.n_dispensings, str(self.period[0].date()),
                                       str(self.period[1].date())]})

    def query(self, sql: str, params: Sequence[Any] | None = None) -> pd.DataFrame:
        """Run SQL on the register's relations (``persons``, ``dispensings``) and return a
        DataFrame (for aggregate queries: do not pull the dispensings into memory)."""
        return self.con.execute(sql, list(params or [])).fetchdf()

    def close(self) -> None:
        """Close the DuckDB connection."""
        self.con.close()


def load_register(persons: Any, dispensings: Any, *, columns: Mapping[str, str] | None = None,
                  codes: Mapping[str, Mapping[str, str]] | None = None, strict: bool = False,
                  database: str | Path | None = None, threads: int | None = None,
                  memory_limit: str | None = None) -> Register:
    """Load a population register: persons and dispensings, validated, into DuckDB.

    Parameters
    ----------
    persons : path, DataFrame, or list of them
        The persons (Parquet or CSV files, or frames); columns as in the module docstring.
    dispensings : path, DataFrame, or list of them
        The dispensings; a register split by year is a list of files.
    columns : mapping, optional
        Standard column name -> the source's name (e.g. ``{"person_id": "lopnr",
        "date": "EDATUM", "atc": "ATC", "ddd": "antal_ddd"}``); one mapping for both tables.
    codes : mapping, optional
        Per column, source value -> standard value, applied before the vocabulary check (e.g.
        ``{"sex": {"1": "male", "2": "female"}}``); counted in the report's notes.
    strict : bool
        Raise :class:`~alspaincohort.loaders.LoadError` at the first breach instead of
        quarantining.
    database : path, optional
        A DuckDB database file to hold the validated persons (default in memory).
    threads, memory_limit : optional
        DuckDB settings (default: all cores, 80% of memory).

    Returns
    -------
    Register
        With ``load_report``: for every file, rows read = rows loaded + rows quarantined.

    Examples
    --------
    >>> from alspaincohort.synthetic import simulate_register
    >>> sim = simulate_register(2000, seed=1)
    >>> reg = load_register(sim.persons, sim.dispensings)
    >>> reg.load_report.rows_quarantined, reg.n_persons
    (0, 2000)
    """
    mapping = dict(columns or {})
    code_maps = {k: {str(a): str(b) for a, b in v.items()} for k, v in (codes or {}).items()}
    unknown = [k for k in code_maps if k not in ("sex",)]
    if unknown:
        raise ParameterError(f"codes: only 'sex' takes a code mapping, not {unknown}")
    con = _connect(database, threads, memory_limit)
    report = LoadReport()
    bad_frames: list[pd.DataFrame] = []
    pseudo = Pseudonymiser()

    # ---- persons ----------------------------------------------------------------------------
    p_sources = [_Source(con, item, f"persons[{i}]", f"persons_src{i}")
                 for i, item in enumerate(_as_list(persons))]
    parts = []
    region = mapping.get("region", "region")
    has_region = any(region in s.types for s in p_sources)
    for i, s in enumerate(p_sources):
        cols = s.require(PERSON_COLUMNS, mapping)
        cols["region"] = region if region in s.types else ""
        parts.append(_person_select(s, cols, i, code_maps.get("sex")))
    con.execute("CREATE OR REPLACE TEMP TABLE persons_raw AS " + " UNION ALL ".join(parts))
    id_type = con.execute("SELECT typeof(person_id) FROM persons_raw LIMIT 1").fetchone()
    # repeated ids: found by a grouped count, and only their rows ranked (a rank of every
    # row by id cost most of the persons' validation at 2 million people)
    con.execute("""CREATE OR REPLACE TEMP TABLE persons_dup AS
        SELECT _src, _row FROM (
          SELECT _src, _row, row_number() OVER (PARTITION BY person_id ORDER BY _src, _row)
                 AS rank
          FROM persons_raw WHERE person_id IN (
            SELECT person_id FROM persons_raw WHERE person_id IS NOT NULL
            GROUP BY person_id HAVING count(*) > 1))
        WHERE rank > 1""")
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE persons_flags AS
        SELECT r.*,
          person_id IS NULL AS f_id_null,
          d._row IS NOT NULL AS f_dup,
          sex_raw IS NULL AS f_sex_null,
          sex_raw IS NOT NULL AND sex NOT IN ('female', 'male') AS f_sex_value,
          birth_raw IS NULL AS f_birth_null,
          birth_raw IS NOT NULL AND birth_year IS NULL AS f_birth_dtype,
          birth_year IS NOT NULL AND (birth_year < {BIRTH_YEARS[0]}
              OR birth_year > {BIRTH_YEARS[1]}) AS f_birth_range,
          entry_raw IS NULL AS f_entry_null,
          entry_raw IS NOT NULL AND entry_date IS NULL AS f_entry_dtype,
          exit_raw IS NULL AS f_exit_null,
          exit_raw IS NOT NULL AND exit_date IS NULL AS f_exit_dtype,
          als_raw IS NOT NULL AND als_date IS NULL AS f_als_dtype,
          exit_date < entry_date AS f_order,
          als_date IS NOT NULL AND (als_date < entry_date OR als_date > exit_date) AS f_index
        FROM persons_raw r LEFT JOIN persons_dup d ON r._src = d._src AND r._row = d._row""")
    checks = [
        ("f_id_null", "not_null", "person_id", "person_id"),
        ("f_dup", "unique_key", "person_id", "person_id"),
        ("f_sex_null", "not_null", "sex", "sex_raw"),
        ("f_sex_value", "allowed_values", "sex", "sex_raw"),
        ("f_birth_null", "not_null", "birth_year", "birth_raw"),
        ("f_birth_dtype", "dtype", "birth_year", "birth_raw"),
        ("f_birth_range", "in_range", "birth_year", "birth_raw"),
        ("f_entry_null", "not_null", "entry_date", "entry_raw"),
        ("f_entry_dtype", "dtype", "entry_date", "entry_raw"),
        ("f_exit_null", "not_null", "exit_date", "exit_raw"),
        ("f_exit_dtype", "dtype", "exit_date", "exit_raw"),
        ("f_als_dtype", "dtype", "als_date", "als_raw"),
        ("f_order", "exit_not_before_entry", "exit_date", "exit_raw"),
        ("f_index", "index_within_observation", "als_date", "als_raw"),
    ]
    any_bad = " OR ".join(f"coalesce({f}, false)" for f, *_ in checks)
    bad = con.execute(f"SELECT * FROM persons_flags WHERE {any_bad}").fetchdf()
    bad_frames.append(_quarantine(bad, checks, p_sources, "person_id", strict, pseudo))
    region_sql = "region::VARCHAR AS region," if has_region else ""
    con.execute(f"""
        CREATE OR REPLACE TABLE persons AS
        SELECT person_id, sex::VARCHAR AS sex, birth_year::INTEGER AS birth_year,
               {region_sql} entry_date, exit_date, als_date
        FROM persons_flags WHERE NOT ({any_bad})""")
    con.execute("DROP TABLE persons_flags")
    con.execute("DROP TABLE persons_dup")
    con.execute("DROP TABLE persons_raw")
    for i, s in enumerate(p_sources):
        n_bad = int((bad["_src"] == i).sum()) if len(bad) else 0
        report.files.append(FileReport(s.file, s.n, s.n - n_bad, n_bad))

    # ---- dispensings ------------------------------------------------------------------------
    d_sources = [_Source(con, item, f"dispensings[{i}]", f"dispensings_src{i}")
                 for i, item in enumerate(_as_list(dispensings))]
    id_sql_type = id_type[0] if id_type else "VARCHAR"
    parts = []
    for i, s in enumerate(d_sources):
        cols = s.require(DISPENSING_COLUMNS, mapping)
        parts.append(_dispensing_select(s, cols, i, id_sql_type))
    con.execute("CREATE OR REPLACE TEMP VIEW dispensings_raw AS " + " UNION ALL ".join(parts))
    d_checks = [
        ("f_id_null", "not_null", "person_id", "person_id"),
        ("f_unknown", "known_person", "person_id", "person_id"),
        ("f_date_null", "not_null", "date", "date_raw"),
        ("f_date_dtype", "dtype", "date", "date_raw"),
        ("f_outside", "outside_observation", "date", "date_raw"),
        ("f_atc_null", "not_null", "atc", "atc"),
        ("f_atc", "atc_code", "atc", "atc"),
        ("f_ddd_dtype", "dtype", "ddd", "ddd_raw"),
        ("f_ddd_range", "in_range", "ddd", "ddd_raw"),
    ]
    # the ATC pattern is checked once per distinct code (a register holds a few thousand codes
    # in hundreds of millions of rows: a regular expression on every row took 2.8 s of 7 at 111
    # million rows); the rows are then flagged by membership of the few bad codes
    con.execute("CREATE OR REPLACE TEMP TABLE atc_codes AS SELECT DISTINCT atc FROM "
                "dispensings_raw WHERE atc IS NOT NULL")
    bad_codes = [r[0] for r in con.execute(
        f"SELECT atc FROM atc_codes WHERE NOT regexp_full_match(atc, "
        f"{_literal(ATC_SQL_PATTERN)}) ORDER BY atc").fetchall()]
    con.execute("DELETE FROM atc_codes WHERE NOT regexp_full_match(atc, "
                f"{_literal(ATC_SQL_PATTERN)})")
    atc_bad = (f"d.atc IN ({', '.join(_literal(c) for c in bad_codes)})" if bad_codes
               else "false")
    flags = f"""
          d.person_id IS NULL AS f_id_null,
          d.person_id IS NOT NULL AND p.person_id IS NULL AS f_unknown,
          d.date_raw IS NULL AS f_date_null,
          d.date_raw IS NOT NULL AND d.date IS NULL AS f_date_dtype,
          p.person_id IS NOT NULL AND (d.date < p.entry_date OR d.date > p.exit_date)
              AS f_outside,
          d.atc IS NULL AS f_atc_null,
          {atc_bad} AS f_atc,
          d.ddd_raw IS NOT NULL AND d.ddd IS NULL AS f_ddd_dtype,
          d.ddd IS NOT NULL AND (isnan(d.ddd) OR isinf(d.ddd) OR d.ddd < 0) AS f_ddd_range"""
    d_any = " OR ".join(f"coalesce({f}, false)" for f, *_ in d_checks)
    # two cheap passes find the bad rows (the checks of each row alone, which Parquet
    # statistics mostly answer; and the join with the persons on the id and date only), and
    # only those rows are then read in full with every flag
    alone = " OR ".join(f"({f})" for f in (
        "d.person_id IS NULL", "d.date_raw IS NULL", "d.date_raw IS NOT NULL AND d.date IS NULL",
        "d.atc IS NULL", atc_bad, "d.ddd_raw IS NOT NULL AND d.ddd IS NULL",
        "d.ddd IS NOT NULL AND (isnan(d.ddd) OR isinf(d.ddd) OR d.ddd < 0)"))
    con.execute(f"""CREATE OR REPLACE TEMP TABLE dispensings_bad_rows AS
        SELECT d._src, d._row FROM dispensings_raw d WHERE {alone}
        UNION ALL
        SELECT d._src, d._row FROM (SELECT _src, _row, person_id, date FROM dispensings_raw
                                    WHERE person_id IS NOT NULL) d
          LEFT JOIN persons p ON d.person_id = p.person_id
        WHERE p.person_id IS NULL OR d.date < p.entry_date OR d.date > p.exit_date""")
    n_bad = con.execute("SELECT count(*) FROM dispensings_bad_rows").fetchone()[0]
    bad_d = pd.DataFrame(columns=["_src", "_row"]) if not n_bad else con.execute(f"""
        SELECT * FROM (
          SELECT d._src, d._row, d.person_id, d.date_raw, d.atc, d.ddd_raw, {flags}
          FROM (SELECT * FROM dispensings_raw WHERE (_src, _row) IN (
                  SELECT DISTINCT (_src, _row) FROM dispensings_bad_rows)) d
          LEFT JOIN persons p ON d.person_id = p.person_id)
        WHERE {d_any}""").fetchdf()
    con.execute("DROP TABLE dispensings_bad_rows")
    bad_frames.append(_quarantine(bad_d, d_checks, d_sources, "person_id", strict, pseudo))
    if len(bad_d):
        con.register("bad_dispensing_rows", bad_d[["_src", "_row"]])
        con.execute("CREATE OR REPLACE TABLE bad_dispensings AS SELECT * FROM "
                    "bad_dispensing_rows")
        con.unregister("bad_dispensing_rows")
        con.execute("""CREATE OR REPLACE VIEW dispensings AS
            SELECT person_id, date, atc, ddd FROM dispensings_raw d
            ANTI JOIN bad_dispensings b ON d._src = b._src AND d._row = b._row""")
    else:
        con.execute("CREATE OR REPLACE VIEW dispensings AS "
                    "SELECT person_id, date, atc, ddd FROM dispensings_raw")
    for i, s in enumerate(d_sources):
        n_bad = int((bad_d["_src"] == i).sum()) if len(bad_d) else 0
        report.files.append(FileReport(s.file, s.n, s.n - n_bad, n_bad))
    frames = [f for f in bad_frames if len(f)]
    if frames:
        report.quarantine = pd.concat(frames, ignore_index=True).sort_values(
            ["file", "row", "rule"], kind="stable", ignore_index=True)
    for column, m in code_maps.items():
        report.notes.append(f"{column}: source codes mapped as {json.dumps(m)}")
    report.check_invariant()
    return Register(con, report)


def _text(s: _Source, col: str) -> str:
    """The column as text; in a text column (CSV, or text in a frame or Parquet file) an empty
    or blank value is missing, as a CSV writer writes a missing value."""
    c = _quote(col)
    return f"nullif(trim({c}), '')" if s.types[col] == "VARCHAR" else f"{c}::VARCHAR"


def _date(s: _Source, col: str) -> tuple[str, str]:
    """(raw text, DATE value) of a date column: a DATE as it is; a timestamp only at midnight
    (a time of day is not a date: a dtype breach, never truncated); text parsed as an ISO
    date."""
    c, kind = _quote(col), s.types[col]
    # a typed column is its own raw value (cast to text only in the few rows reported: a
    # cast of every date to text cost a second per 100 million rows)
    if kind == "DATE":
        return c, c
    if kind.startswith("TIMESTAMP"):
        return c, f"CASE WHEN {c} = date_trunc('day', {c}) THEN {c}::DATE END"
    text = _text(s, col)
    return text, f"TRY_CAST({text} AS DATE)"


def _person_select(s: _Source, cols: dict[str, str], i: int,
                   sex_codes: Mapping[str, str] | None) -> str:
    sex = _text(s, cols["sex"])
    if sex_codes:
        cases = " ".join(f"WHEN {sex} = {_literal(a)} THEN {_literal(b)}"
                         for a, b in sex_codes.items())
        sex_std = f"CASE {cases} ELSE {sex} END"
    else:
        sex_std = sex
    pid = _quote(cols["person_id"])
    pid_sql = (f"nullif(trim({pid}), '')" if s.kind == "csv" and "VARCHAR" in
               s.types[cols["person_id"]] else pid)
    if s.kind == "csv":
        # an id column of digits only is read as a number, as Parquet registers store it
        pid_sql = f"coalesce(TRY_CAST({pid_sql} AS BIGINT)::VARCHAR, {pid_sql})"
    region = f"{_text(s, cols['region'])} AS region," if cols.get("region") else \
        "NULL::VARCHAR AS region,"
    dates = {k: _date(s, cols[k]) for k in ("entry_date", "exit_date", "als_date")}
    birth = _text(s, cols["birth_year"])
    return f"""SELECT {i} AS _src, _row, {pid_sql} AS person_id,
        {sex} AS sex_raw, {sex_std} AS sex,
        {birth} AS birth_raw,
        CASE WHEN TRY_CAST({birth} AS DOUBLE) = round(TRY_CAST({birth} AS DOUBLE))
             THEN TRY_CAST(TRY_CAST({birth} AS DOUBLE) AS INTEGER) END AS birth_year,
        {region}
        {dates['entry_date'][0]} AS entry_raw, {dates['entry_date'][1]} AS entry_date,
        {dates['exit_date'][0]} AS exit_raw, {dates['exit_date'][1]} AS exit_date,
        {dates['als_date'][0]} AS als_raw, {dates['als_date'][1]} AS als_date
        FROM {s.name}"""


def _dispensing_select(s: _Source, cols: dict[str, str], i: int, id_type: str) -> str:
    pid = _quote(cols["person_id"])
    src_type = s.types[cols["person_id"]]
    if s.kind == "csv":
        text = f"nullif(trim({pid}), '')"
        pid_sql = f"coalesce(TRY_CAST({text} AS BIGINT)::VARCHAR, {text})"
        if id_type != "VARCHAR":
            pid_sql = f"TRY_CAST({text} AS BIGINT)"
    elif ("VARCHAR" in src_type) != (id_type == "VARCHAR"):
        pid_sql = f"{pid}::VARCHAR" if id_type == "VARCHAR" else f"TRY_CAST({pid} AS BIGINT)"
    else:
        pid_sql = pid
    date_raw, date_val = _date(s, cols["date"])
    atc = _quote(cols["atc"])
    atc_sql = f"nullif({atc}, '')" if s.kind == "csv" else f"{atc}::VARCHAR"
    ddd = _quote(cols["ddd"])
    numeric = any(t in s.types[cols["ddd"]] for t in ("DOUBLE", "FLOAT", "INT", "DECIMAL"))
    ddd_raw = ddd if numeric else _text(s, cols["ddd"])
    ddd_val = f"{ddd}::DOUBLE" if numeric else f"TRY_CAST({ddd_raw} AS DOUBLE)"
    return f"""SELECT {i} AS _src, _row, {pid_sql} AS person_id,
        {date_raw} AS date_raw, {date_val} AS date,
        {atc_sql} AS atc, {ddd_raw} AS ddd_raw, {ddd_val} AS ddd
        FROM {s.name}"""


def _quarantine(bad: pd.DataFrame, checks: list[tuple[str, str, str, str]],
                sources: list[_Source], id_col: str, strict: bool,
                pseudo: Pseudonymiser) -> pd.DataFrame:
    """One quarantine row per (source row, rule broken), in the loaders' columns."""
    if bad.empty:
        return pd.DataFrame(columns=QUARANTINE_COLUMNS)
    out = []
    for flag, rule, column, value_col in checks:
        hit = bad[bad[flag].fillna(False).astype(bool)]
        if hit.empty:
            continue
        values = hit[value_col].astype(object).where(hit[value_col].notna(), None)
        files = [sources[int(k)].file for k in hit["_src"]]
        kinds = [sources[int(k)].kind for k in hit["_src"]]
        rows = hit["_row"].to_numpy(dtype=np.int64)
        lines = np.where(np.array(kinds) == "csv", rows + 2, rows + 1)
        if strict:
            shown = values.iloc[0]
            if column == id_col and shown is not None:
                shown = pseudo.one(shown)
            raise LoadError(RULES[rule], file=files[0], line=int(lines[0]), column=column,
                            value=shown, rule=rule)
        raw = hit.drop(columns=[c for c in hit.columns if c.startswith("f_")]).drop(
            columns=["_src", "_row"]).astype(str).to_dict("records")
        out.append(pd.DataFrame({
            "file": files, "line": lines, "row": rows, "column": column,
            "value": [None if v is None else str(v) for v in values],
            "rule": rule, "message": RULES[rule],
            "raw": [json.dumps(r) for r in raw],
            "patient_ref": pseudo(hit[id_col].astype(object).where(hit[id_col].notna(), None)),
            "identifying": column == id_col,
        }))
    return pd.concat(out, ignore_index=True) if out else pd.DataFrame(columns=QUARANTINE_COLUMNS)
