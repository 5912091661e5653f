"""The load report: per source file, rows read / loaded / quarantined, and every quarantined row
with the rule it broke. Invariant, for every file: rows read = rows loaded + rows quarantined."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from ..errors import AlsPainCohortError
from ..export import write_csv

QUARANTINE_COLUMNS = ["file", "line", "row", "column", "value", "rule", "message", "raw",
                      "patient_ref", "identifying"]
SAFE_COLUMNS = ["file", "line", "row", "patient_ref", "column", "value", "rule", "message"]


class LoadError(AlsPainCohortError, ValueError):
    """A file cannot be loaded, or (``strict=True``) a row breaks a rule.

    Attributes: ``file``, ``line`` (1-based line in the file, header = 1, when known), ``column``,
    ``value``, ``rule``.
    """

    def __init__(self, message: str, file: str | None = None, line: int | None = None,
                 column: str | None = None, value: Any = None, rule: str | None = None) -> None:
        self.file, self.line, self.column, self.value, self.rule = file, line, column, value, rule
        where = []
        if file is not None:
            where.append(f"file {file}")
        if line is not None:
            where.append(f"line {line}")
        if column is not None:
            where.append(f"column {column!r}")
        if value is not None:
            where.append(f"value {value!r}")
        if rule is not None:
            where.append(f"rule {rule!r}")
        super().__init__(f"{', '.join(where)}: {message}" if where else message)


@dataclass
class FileReport:
    """Row counts of one source file."""

    file: str
    rows_read: int
    rows_loaded: int = 0
    rows_quarantined: int = 0


@dataclass
class LoadReport:
    """What a loader read, loaded and quarantined.

    Attributes
    ----------
    files : list of FileReport
        One entry per source file.
    quarantine : DataFrame
        One row per breach: file, line (1-based line in the file, header = 1; for Excel/SPSS/
        Stata the data row + 1), row (0-based data row), column, value, rule, message, raw (the
        source row as JSON), patient_ref (a keyed one-way hash of the row's patient id, the
        same for every row of one patient within this report), identifying (the value is a
        patient id). A row that breaks several rules appears once per rule. It holds
        identifiers (``raw``, and ``value`` where ``identifying``): print or export
        :meth:`safe_quarantine` instead, as every output of the package does.
    notes : list of str
        Documented mappings applied (e.g. how many "Onset: Other" became respiratory).
    """

    files: list[FileReport] = field(default_factory=list)
    quarantine: pd.DataFrame = field(
        default_factory=lambda: pd.DataFrame(columns=QUARANTINE_COLUMNS))
    notes: list[str] = field(default_factory=list)

    @property
    def rows_read(self) -> int:
        return sum(f.rows_read for f in self.files)

    @property
    def rows_loaded(self) -> int:
        return sum(f.rows_loaded for f in self.files)

    @property
    def rows_quarantined(self) -> int:
        return sum(f.rows_quarantined for f in self.files)

    def summary(self) -> pd.DataFrame:
        """Per file: rows_read, rows_loaded, rows_quarantined and one column per rule (number
        of breaches of that rule)."""
        base = pd.DataFrame([vars(f) for f in self.files],
                            columns=["file", "rows_read", "rows_loaded", "rows_quarantined"])
        if len(self.quarantine):
            counts = self.quarantine.groupby(["file", "rule"]).size().unstack(fill_value=0)
            base = base.merge(counts, left_on="file", right_index=True, how="left")
            base[list(counts.columns)] = base[list(counts.columns)].fillna(0).astype(int)
        return base

    def check_invariant(self) -> None:
        """Raise when any file's rows read != rows loaded + rows quarantined."""
        for f in self.files:
            if f.rows_read != f.rows_loaded + f.rows_quarantined:
                raise AlsPainCohortError(
                    f"internal: {f.file}: {f.rows_read} rows read but {f.rows_loaded} loaded + "
                    f"{f.rows_quarantined} quarantined"
                )

    def safe_quarantine(self) -> pd.DataFrame:
        """The quarantine without identifiers: no ``raw`` row, and a patient id in ``value``
        replaced by its ``patient_ref``.

        Returns
        -------
        DataFrame
            Columns file, line, row, patient_ref, column, value, rule, message.
        """
        q = self.quarantine
        if q.empty:
            return pd.DataFrame(columns=SAFE_COLUMNS)
        value = q["value"].where(~q["identifying"].astype(bool), q["patient_ref"])
        return q.assign(value=value)[SAFE_COLUMNS]

    def to_csv(self, path: str | Path, identifiers: bool = False) -> Path:
        """Write the quarantined rows to ``path`` and the per-file summary beside it
        (``<stem>_summary.csv``), both safe to open in a spreadsheet (no formula runs).

        Parameters
        ----------
        path : str or Path
        identifiers : bool
            False (default): :meth:`safe_quarantine`, no identifier. True: every column of
            ``quarantine``, raw source rows and patient ids included (to fix the source).

        Returns
        -------
        Path
        """
        path = Path(path)
        write_csv(self.quarantine if identifiers else self.safe_quarantine(), path)
        write_csv(self.summary(), path.with_name(f"{path.stem}_summary.csv"))
        return path

    def __str__(self) -> str:
        lines = [f"load report: {self.rows_read} rows read, {self.rows_loaded} loaded, "
                 f"{self.rows_quarantined} quarantined"]
        lines.append(self.summary().to_string(index=False))
        lines += [f"note: {n}" for n in self.notes]
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        notes = "".join(f"<li>{n}</li>" for n in self.notes)
        return (f"<p>{self.rows_read} rows read, {self.rows_loaded} loaded, "
                f"{self.rows_quarantined} quarantined</p>" + self.summary().to_html(index=False)
                + (f"<ul>{notes}</ul>" if notes else ""))

