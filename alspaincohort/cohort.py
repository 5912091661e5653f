"""``Cohort``: the standard tables, their validation, Parquet I/O and the analysis views.

Validation is split in two: column rules (dtype, vocabulary, range, missing) run through the
pandera schemas of :mod:`alspaincohort.schema`; rules across rows and tables (unique keys, known
patients, dates relative to onset and death, instrument ranges) are vectorised here on integer
codes, because pandera's row-wise custom checks would take minutes on the 10^8-row assessment
tables of large synthetic cohorts.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pandera.pandas as pa

from . import instruments as ins
from .errors import CohortValidationError, SchemaError
from .parquet import write_parquet
from .schema import (
    DAYS_PER_MONTH,
    INSTRUMENTS,
    KEYS,
    RESPONDENTS,
    TABLE_NAMES,
    TABLES,
    check_rule_names,
    column_schema,
    empty_table,
    standardize,
)
from .variables import BASELINE_SCORES, VISIT_SCORES

BREACH_COLUMNS = ["table", "row", "column", "value", "rule"]


class Cohort:
    """A cohort in the standard tables.

    Parameters
    ----------
    patients, assessments, pain_sites, medications, events : DataFrame, optional
        The standard tables (see :mod:`alspaincohort.schema`). Missing tables are empty. Each is
        cast to its standard dtypes; a lossy cast raises :class:`~alspaincohort.errors.SchemaError`.
    truth : object, optional
        For synthetic cohorts, the frozen record of the generating parameters
        (:class:`alspaincohort.synthetic.Truth`).
    load_report : object, optional
        For loaded cohorts, the loaders' report of rows read, loaded and quarantined.
    metadata : dict, optional
        Free-form provenance (JSON-serialisable), kept through Parquet round trips.
    copy : bool
        Copy the given frames (default), so that the cohort never shares the caller's frames.
        ``False`` hands them over: the cohort may keep them as they are, and the caller must not
        change them afterwards (the generator does this with its fresh tables).
    """

    def __init__(
        self,
        patients: pd.DataFrame | None = None,
        assessments: pd.DataFrame | None = None,
        pain_sites: pd.DataFrame | None = None,
        medications: pd.DataFrame | None = None,
        events: pd.DataFrame | None = None,
        *,
        truth: Any = None,
        load_report: Any = None,
        metadata: dict[str, Any] | None = None,
        copy: bool = True,
    ) -> None:
        given = {
            "patients": patients,
            "assessments": assessments,
            "pain_sites": pain_sites,
            "medications": medications,
            "events": events,
        }
        for name, df in given.items():
            # a copy: the cohort never shares (or later changes) the caller's frame, unless
            # the caller hands its frames over (copy=False, e.g. the generator's fresh tables:
            # a million patients' assessments are 2.2 GiB)
            table = empty_table(name) if df is None else standardize(
                name, df.copy() if copy else df)
            setattr(self, name, table)
        self.truth = truth
        self.load_report = load_report
        self.metadata: dict[str, Any] = dict(metadata or {})

    patients: pd.DataFrame
    assessments: pd.DataFrame
    pain_sites: pd.DataFrame
    medications: pd.DataFrame
    events: pd.DataFrame

    # ------------------------------------------------------------------------------------------
    # basics
    # ------------------------------------------------------------------------------------------
    @contextmanager
    def memoized(self) -> Iterator[Cohort]:
        """Within the block, :meth:`baseline`, :meth:`survival` and :meth:`scores` are
        computed once per argument set and handed out as copies: a pipeline that calls many
        analyses on one cohort (the report calls ``baseline()`` eleven times and ``scores()``
        thirty-two) derives them once; :meth:`validate` keeps its patient-id index the same
        way. The cohort's tables must not change inside the block.

        Examples
        --------
        >>> from alspaincohort import simulate_cohort
        >>> c = simulate_cohort(50, seed=1)
        >>> with c.memoized():
        ...     c.baseline().equals(c.baseline())
        True
        """
        outer = self.__dict__.get("_memo")
        if outer is None:
            self._memo: dict[tuple[Any, ...], Any] | None = {}
        try:
            yield self
        finally:
            if outer is None:
                self._memo = None

    def _memo_or(self, key: tuple[Any, ...], make: Callable[[], Any], copy: bool = True
                 ) -> Any:
        """``make()``, once per ``key`` inside a :meth:`memoized` block; frames are handed out
        as copies (a caller may change its frame, never the kept one), ``copy=False`` for
        values no caller changes."""
        memo = self.__dict__.get("_memo")
        if memo is None:
            return make()
        if key not in memo:
            memo[key] = make()
        return memo[key].copy() if copy else memo[key]

    @property
    def tables(self) -> dict[str, pd.DataFrame]:
        """The five standard tables by name."""
        return {name: getattr(self, name) for name in TABLE_NAMES}

    @property
    def n_patients(self) -> int:
        return len(self.patients)

    def __repr__(self) -> str:
        sizes = ", ".join(f"{k}={len(v):,}" for k, v in self.tables.items())
        return f"Cohort({sizes})"

    @property
    def is_comparator(self) -> np.ndarray:
        """Per row of ``patients``: True for a comparator (``group`` set and not "als")."""
        group = self.patients["group"]
        return (group.notna() & (group.astype(object) != "als")).to_numpy()

    def als_only(self) -> Cohort:
        """The cohort's ALS patients (every table restricted to them): what the analyses of
        ALS patients take when the cohort also holds comparators.

        Returns
        -------
        Cohort
            A new cohort; ``metadata["selection"]`` says how many comparators were left out.
        """
        keep = ~self.is_comparator
        ids = set(self.patients.loc[keep, "patient_id"].astype(str))
        tables = {name: t[t["patient_id"].astype(str).isin(ids).to_numpy()]
                  for name, t in self.tables.items()}
        meta = {**self.metadata, "selection": f"ALS patients only: {int((~keep).sum())} "
                                              "comparator(s) left out"}
        return Cohort(**tables, truth=self.truth, load_report=self.load_report, metadata=meta)

    # ------------------------------------------------------------------------------------------
    # validation
    # ------------------------------------------------------------------------------------------
    def validate(self, raise_on_error: bool = False) -> pd.DataFrame:
        """Check every rule of :data:`alspaincohort.schema.RULES` and report every breach.

        Returns
        -------
        DataFrame
            One row per breach, empty when the cohort is valid. Columns: ``table`` (standard
            table), ``row`` (0-based row position in that table), ``column``, ``value`` (the
            offending value), ``rule`` (a stable rule name of ``schema.RULES``).

        Raises
        ------
        CohortValidationError
            When ``raise_on_error`` is True and there is at least one breach.
        """
        with self.memoized():  # the patient-id index every patient rule looks up: built once
            pieces = [self._column_breaches(name) for name in TABLE_NAMES]
            pieces += [
                self._key_breaches(),
                self._patient_breaches(),
                self._known_patient_breaches(),
                self._time_breaches(),
                self._instrument_breaches(),
                self._medication_breaches(),
            ]
        pieces = [p for p in pieces if len(p)]
        if pieces:
            out = pd.concat(pieces, ignore_index=True)
            out = out.sort_values(["table", "row", "rule"], kind="stable", ignore_index=True)
        else:
            out = pd.DataFrame({c: pd.Series(dtype=object) for c in BREACH_COLUMNS})
        out["row"] = out["row"].astype("int64")
        if raise_on_error and len(out):
            raise CohortValidationError(out)
        return out

    def _column_breaches(self, table: str) -> pd.DataFrame:
        df = getattr(self, table)
        suspect = [spec.name for spec in TABLES[table]
                   if spec.name in df.columns and _may_breach(spec, df[spec.name])]
        if not suspect:
            return _no_breaches()
        try:
            column_schema(table).select_columns(suspect).validate(df, lazy=True)
        except pa.errors.SchemaErrors as err:
            fc = err.failure_cases
            names = check_rule_names(table)
            rules = [
                "not_null"
                if str(chk).startswith("not_nullable")
                else names.get((col, int(num)) if num == num and num is not None else ("", -1),
                               "dtype")
                for col, chk, num in zip(fc["column"], fc["check"], fc["check_number"],
                                         strict=True)
            ]
            return pd.DataFrame(
                {
                    "table": table,
                    "row": fc["index"].to_numpy(),
                    "column": fc["column"].to_numpy(),
                    "value": fc["failure_case"].to_numpy(),
                    "rule": rules,
                }
            )
        return _no_breaches()

    def _key_breaches(self) -> pd.DataFrame:
        pieces = []
        for table, full_key in KEYS.items():
            df = getattr(self, table)
            if df.empty:
                continue
            key = tuple(c for c in full_key if c in df.columns)
            dup_any = _duplicated(df, key, keep=False)
            if not dup_any.any():
                continue
            later = _duplicated(df, key, keep="first")
            if table == "assessments":
                # within a duplicated key, different values are a conflict
                sub = df.loc[dup_any, [*key, "value"]]
                nvals = sub.groupby(list(key), observed=True, dropna=False)["value"].transform(
                    lambda s: s.nunique(dropna=False)
                )
                conflict = pd.Series(False, index=df.index)
                conflict.loc[nvals.index] = nvals.to_numpy() > 1
                rows = np.flatnonzero(conflict.to_numpy())
                pieces.append(_breaches(table, rows, "value", df["value"].to_numpy()[rows],
                                        "conflicting_duplicate"))
                later &= ~conflict
            rows = np.flatnonzero(later.to_numpy())
            pieces.append(_breaches(table, rows, "+".join(key), _labels(df[key[0]], rows),
                                    "unique_key"))
        return _concat(pieces)

    def _patient_breaches(self) -> pd.DataFrame:
        p = self.patients
        onset = p["onset_day"].astype("float64").to_numpy()
        diag = p["diagnosis_day"].astype("float64").to_numpy()
        pieces = []
        bad = onset > 0
        pieces.append(_breaches("patients", np.flatnonzero(bad), "onset_day", onset[bad],
                                "onset_not_after_baseline"))
        bad = diag > 0
        pieces.append(_breaches("patients", np.flatnonzero(bad), "diagnosis_day", diag[bad],
                                "diagnosis_not_after_baseline"))
        bad = diag < onset
        pieces.append(_breaches("patients", np.flatnonzero(bad), "diagnosis_day", diag[bad],
                                "onset_not_after_diagnosis"))
        deaths = self.events[self.events["event"] == "death"]
        if len(deaths):
            again = _duplicated(deaths, ("patient_id",), keep="first").to_numpy()
            rows = deaths.index.to_numpy()[again]
            pieces.append(_breaches("events", rows, "event", np.array(["death"] * len(rows)),
                                    "single_death"))
        return _concat(pieces)

    def _known_patient_breaches(self) -> pd.DataFrame:
        known, _ = self._unique_patient_ids()
        pieces = []
        for table in TABLE_NAMES[1:]:
            df = getattr(self, table)
            if df.empty:
                continue
            ok = _isin_ids(df["patient_id"], known)
            rows = np.flatnonzero(~ok)
            pieces.append(_breaches(table, rows, "patient_id", _labels(df["patient_id"], rows),
                                    "known_patient"))
        return _concat(pieces)

    def _time_breaches(self) -> pd.DataFrame:
        onset = self.patients["onset_day"].astype("float64").to_numpy()
        deaths = self.events[self.events["event"] == "death"]
        death = self._per_patient(deaths.groupby("patient_id", observed=True)["day"].min())
        pieces = []
        for table, col in (("assessments", "day"), ("pain_sites", "day"), ("events", "day"),
                           ("medications", "start_day")):
            df = getattr(self, table)
            if df.empty:
                continue
            day = df[col].to_numpy() if isinstance(df[col].dtype, np.dtype) \
                else df[col].to_numpy(dtype="float64", na_value=np.nan)
            with np.errstate(invalid="ignore"):  # NaN compares False: no breach
                after = day > self._patient_values(df["patient_id"], death, day.dtype, np.inf)
            if table == "events":
                after &= (df["event"] != "death").to_numpy()
            rows = np.flatnonzero(after)
            pieces.append(_breaches(table, rows, col, day[rows].astype("float64"),
                                    "not_after_death"))
            if table != "medications":  # medication histories may start before onset
                with np.errstate(invalid="ignore"):
                    before = day < self._patient_values(df["patient_id"], onset, day.dtype,
                                                        -np.inf)
                rows = np.flatnonzero(before)
                pieces.append(_breaches(table, rows, col, day[rows].astype("float64"),
                                        "not_before_onset"))
        return _concat(pieces)

    def _instrument_breaches(self) -> pd.DataFrame:
        a = self.assessments
        if a.empty:
            return _no_breaches()
        inst_cats = list(a["instrument"].cat.categories)
        item_cats = list(a["item"].cat.categories)
        # per (instrument, item) code pair, slot 0 of each for a missing code: the range, and
        # which breach an unknown instrument or item is; rows then take one gather each (the
        # long table has millions of rows: no per-row int64 or float copies)
        width = len(item_cats) + 1
        lo = np.full((len(inst_cats) + 1, width), np.nan)
        hi = lo.copy()
        unknown_inst = np.zeros(lo.shape, dtype=bool)
        unknown_item = np.zeros(lo.shape, dtype=bool)
        for i, name in enumerate(inst_cats, start=1):
            if name not in INSTRUMENTS:
                unknown_inst[i, :] = True
                continue
            ranges = INSTRUMENTS[name].ranges()
            for j, item in enumerate(item_cats, start=1):
                if item in ranges:
                    lo[i, j], hi[i, j] = ranges[item]
                else:
                    unknown_item[i, j] = True
        pair = a["instrument"].cat.codes.to_numpy().astype(np.int32)
        pair += 1
        pair *= width
        pair += a["item"].cat.codes.to_numpy()
        pair += 1
        value = a["value"].to_numpy()
        pieces = []
        runs = _runs(pair)
        if runs is not None:  # rows in long runs of one (instrument, item), as loaders write
            starts, ends = runs
            run_pair = pair[starts]

            def run_rows(flag: np.ndarray) -> np.ndarray:
                hit = np.flatnonzero(flag[run_pair])
                return np.concatenate([np.arange(starts[k], ends[k]) for k in hit]) \
                    if len(hit) else np.zeros(0, dtype=np.int64)

            unknown_inst_rows = run_rows(unknown_inst.ravel())
            unknown_item_rows = run_rows(unknown_item.ravel())
            out_rows = []
            lo_run, hi_run = lo.ravel()[run_pair], hi.ravel()[run_pair]
            for k in np.flatnonzero(np.isfinite(lo_run) | np.isfinite(hi_run)):
                v = value[starts[k]:ends[k]]
                # fmin / fmax skip NaN, as the row-wise comparison does
                if np.fmin.reduce(v) < lo_run[k] or np.fmax.reduce(v) > hi_run[k]:
                    with np.errstate(invalid="ignore"):
                        out_rows.append(np.flatnonzero((v < lo_run[k]) | (v > hi_run[k]))
                                        + starts[k])
            rows = np.sort(np.concatenate(out_rows)) if out_rows else np.zeros(0, np.int64)
        else:
            unknown_inst_rows = np.flatnonzero(unknown_inst.ravel()[pair])
            unknown_item_rows = np.flatnonzero(unknown_item.ravel()[pair])
            with np.errstate(invalid="ignore"):
                out = value < lo.ravel()[pair]
                out |= value > hi.ravel()[pair]
            rows = np.flatnonzero(out)
        pieces.append(_breaches("assessments", unknown_inst_rows, "instrument",
                                _labels(a["instrument"], unknown_inst_rows), "known_instrument"))
        pieces.append(_breaches("assessments", unknown_item_rows, "item",
                                _labels(a["item"], unknown_item_rows), "known_item"))
        pieces.append(_breaches("assessments", rows, "value", value[rows].astype(np.float64),
                                "instrument_range"))
        return _concat(pieces)

    def _medication_breaches(self) -> pd.DataFrame:
        m = self.medications
        if m.empty:
            return _no_breaches()
        start = m["start_day"].astype("float64").to_numpy()
        stop = m["stop_day"].astype("float64").to_numpy()
        bad = stop < start
        return _breaches("medications", np.flatnonzero(bad), "stop_day", stop[bad],
                         "stop_not_before_start")

    # per-patient lookups on the patients table's order ----------------------------------------
    def _patient_codes(self, ids: pd.Series) -> np.ndarray:
        """Position of each id in the patients table (-1 when unknown)."""
        known, first_pos = self._unique_patient_ids()
        if isinstance(ids.dtype, pd.CategoricalDtype):
            cat_idx = known.get_indexer(ids.cat.categories.astype(str))
            codes = ids.cat.codes.to_numpy()
            idx = np.where(codes >= 0, cat_idx[np.maximum(codes, 0)] if len(cat_idx) else -1, -1)
        else:
            idx = known.get_indexer(ids.astype(str))
        return np.where(idx >= 0, first_pos[np.maximum(idx, 0)] if len(first_pos) else -1, -1)

    def _unique_patient_ids(self) -> tuple[pd.Index, np.ndarray]:
        """The distinct patient ids and their first rows (once per :meth:`memoized` block)."""
        return self._memo_or(("patient_ids",), lambda: _unique_ids(self.patients["patient_id"]),
                             copy=False)

    def _patient_values(self, ids: pd.Series, per_patient: np.ndarray,
                        like: np.dtype | None = None, absent: float = np.nan) -> np.ndarray:
        """``per_patient`` (patients-table order) at each id, NaN for an unknown or missing
        id. Categorical ids (every loaded and generated table) are looked up once per category
        and then gathered with one index per row: the long tables have millions of rows.

        ``like`` an integer dtype (a day column): the values come in it when every one is a
        whole number in its range, NaN then replaced by ``absent`` (+inf: its largest value,
        -inf: its smallest), so that comparisons with the column read no float copy of it."""
        if not isinstance(ids.dtype, pd.CategoricalDtype):
            return _take(per_patient, self._patient_codes(ids))
        known, first_pos = self._unique_patient_ids()
        cat_idx = known.get_indexer(ids.cat.categories.astype(str))
        pos = np.where(cat_idx >= 0, first_pos[np.maximum(cat_idx, 0)], -1) \
            if len(first_pos) else np.full(len(cat_idx), -1)
        # a missing id has code -1, which picks the NaN appended last
        per_cat = np.append(_take(np.asarray(per_patient, dtype=np.float64), pos), np.nan)
        if like is not None and like.kind == "i":
            info = np.iinfo(like)
            filled = np.where(np.isnan(per_cat), info.max if absent > 0 else info.min, per_cat)
            if np.all(filled == np.round(filled)) and info.min <= filled.min() \
                    and filled.max() <= info.max:
                per_cat = filled.astype(like)
        return per_cat[ids.cat.codes.to_numpy()]

    def _per_patient(self, by_id: pd.Series) -> np.ndarray:
        """A per-patient Series (index patient_id) as a float array in patients-table order."""
        idx = pd.Index(by_id.index.astype(str))
        if not idx.is_unique:
            raise SchemaError("internal: per-patient values must have unique patient ids")
        pos = idx.get_indexer(self.patients["patient_id"].astype(str))
        vals = by_id.astype("float64").to_numpy()
        return np.where(pos >= 0, vals[np.maximum(pos, 0)] if len(vals) else np.nan, np.nan)

    # ------------------------------------------------------------------------------------------
    # Parquet I/O
    # ------------------------------------------------------------------------------------------
    def to_parquet(self, directory: str | Path) -> Path:
        """Write each table to ``<directory>/<table>.parquet`` plus ``metadata.json``.

        A synthetic cohort's truth goes to ``truth.json`` and its per-patient latent values to
        ``truth_patients.parquet``. :meth:`from_parquet` reads them back exactly, dtypes
        included.
        """
        directory = Path(directory)
        directory.mkdir(parents=True, exist_ok=True)
        for name, df in self.tables.items():
            write_parquet(df, directory / f"{name}.parquet")
        (directory / "metadata.json").write_text(
            json.dumps(self.metadata, indent=2, sort_keys=True, default=str) + "\n"
        )
        if self.truth is not None and hasattr(self.truth, "to_json"):
            self.truth.to_json(directory)
        return directory

    @classmethod
    def from_parquet(cls, directory: str | Path) -> Cohort:
        """Read a cohort written by :meth:`to_parquet`."""
        directory = Path(directory)
        if not directory.is_dir():
            raise SchemaError(f"{directory}: not a directory of standard-table Parquet files")
        tables = {}
        for name in TABLE_NAMES:
            path = directory / f"{name}.parquet"
            if name == "patients" and not path.exists():
                raise SchemaError(f"{path}: missing; a cohort directory needs patients.parquet")
            tables[name] = pd.read_parquet(path, engine="pyarrow") if path.exists() else None
        meta_path = directory / "metadata.json"
        metadata = json.loads(meta_path.read_text()) if meta_path.exists() else {}
        truth = None
        if (directory / "truth.json").exists():
            from .truth import Truth

            truth = Truth.from_json(directory)
        return cls(tables["patients"], tables["assessments"], tables["pain_sites"],
                   tables["medications"], tables["events"], truth=truth, metadata=metadata)

    # ------------------------------------------------------------------------------------------
    # views
    # ------------------------------------------------------------------------------------------
    def scores(self, instrument: str, item: str = "total",
               respondent: str = "patient") -> pd.DataFrame:
        """Rows of one instrument score or item given by ``respondent`` (default the patient:
        every analysis reads the patient's own ratings; "caregiver" or "clinician" for proxy
        ratings): patient_id, day, value (float64), sorted."""
        if respondent not in RESPONDENTS:
            raise SchemaError(f"respondent must be one of {RESPONDENTS}, not {respondent!r}")
        if not (isinstance(instrument, str) and isinstance(item, str)):
            return self._scores(instrument, item, respondent)
        return self._memo_or(("scores", instrument, item, respondent),
                             lambda: self._scores(instrument, item, respondent))

    def rated_by(self, respondent: str = "patient") -> pd.DataFrame:
        """The assessments given by ``respondent`` ("patient": also the rows without a
        respondent; the whole table when it has no respondent column)."""
        if respondent not in RESPONDENTS:
            raise SchemaError(f"respondent must be one of {RESPONDENTS}, not {respondent!r}")
        a = self.assessments
        mask = self._respondent_mask(respondent)
        return a if mask is None else a[mask]

    def _respondent_mask(self, respondent: str) -> np.ndarray | None:
        """The assessments rows given by ``respondent``; None when that is every row (no
        proxy rating in the table: the patient's table is the table itself, no copy of
        millions of rows)."""
        a = self.assessments
        if "respondent" not in a.columns:
            return None if respondent == "patient" else np.zeros(len(a), dtype=bool)
        r = a["respondent"]
        if isinstance(r.dtype, pd.CategoricalDtype):
            codes = r.cat.codes.to_numpy()
            cats = list(r.cat.categories)
            code = cats.index(respondent) if respondent in cats else -2
            mask = codes == code
            if respondent == "patient":
                mask |= codes < 0
        else:
            mask = (r == respondent).to_numpy(dtype=bool)
            if respondent == "patient":
                mask |= r.isna().to_numpy()
        return None if mask.all() else mask

    def _scores(self, instrument: str, item: str, respondent: str = "patient") -> pd.DataFrame:
        a = self.assessments
        sel = ((a["instrument"] == instrument) & (a["item"] == item)).to_numpy()
        mask = self._respondent_mask(respondent)
        if mask is not None:
            sel &= mask
        rows = a.loc[sel, ["patient_id", "day", "value"]]
        rows = rows[rows["value"].notna()]
        rows = rows.assign(
            patient_id=rows["patient_id"].astype(str),
            value=rows["value"].astype("float64"),
        )
        return rows.sort_values(["patient_id", "day"], kind="stable", ignore_index=True)

    def _death_day(self) -> pd.Series:
        ev = self.events
        d = ev[ev["event"] == "death"]
        return d.assign(patient_id=d["patient_id"].astype(str)).groupby("patient_id")["day"].min()

    def long(self, instrument: str, item: str = "total") -> pd.DataFrame:
        """Repeated measures of one instrument score or item, one row per patient visit.

        Returns
        -------
        DataFrame with columns
            patient_id, day (days since baseline), visit (1, 2, ... per patient), value,
            months_since_baseline, months_since_onset, months_since_diagnosis (NaN when the
            diagnosis day is unknown), months_before_death (NaN when no death is recorded).
            Months are days / 30.4375.
        """
        rows = self.scores(instrument, item)
        p = self.patients.assign(patient_id=self.patients["patient_id"].astype(str)).set_index(
            "patient_id"
        )
        # astype after map: an empty map keeps the index's (text) dtype under pandas 3
        onset = rows["patient_id"].map(p["onset_day"].astype("float64")).astype("float64")
        diag = rows["patient_id"].map(p["diagnosis_day"].astype("float64")).astype("float64")
        death = rows["patient_id"].map(self._death_day().astype("float64")).astype("float64")
        day = rows["day"].astype("float64")
        return pd.DataFrame(
            {
                "patient_id": rows["patient_id"],
                "day": rows["day"].astype("int32"),
                "visit": rows.groupby("patient_id").cumcount().astype("int32") + 1,
                "value": rows["value"],
                "months_since_baseline": day / DAYS_PER_MONTH,
                "months_since_onset": (day - onset) / DAYS_PER_MONTH,
                "months_since_diagnosis": (day - diag) / DAYS_PER_MONTH,
                "months_before_death": (death - day) / DAYS_PER_MONTH,
            }
        )

    def baseline_score(self, instrument: str, item: str = "total", window_days: int = 30
                       ) -> pd.Series:
        """Per patient, the value at the visit nearest day 0 within ``window_days`` either side
        (the earlier visit on ties).

        Returns
        -------
        Series indexed by patient_id (text), float64; patients without such a visit are absent.
        """
        rows = self.scores(instrument, item)
        rows = rows[rows["day"].abs() <= window_days]
        rows = rows.assign(dist=rows["day"].abs()).sort_values(
            ["patient_id", "dist", "day"], kind="stable"
        )
        first = rows.drop_duplicates("patient_id")
        return first.set_index("patient_id")["value"]

    def _baseline_stages(self, window_days: int) -> pd.DataFrame:
        a = self.rated_by("patient")
        near = a[(a["instrument"] == "alsfrs_r") & (a["day"].abs() <= window_days)]
        wide = ins.wide_items(near, "alsfrs_r")
        cols = ["kings_stage", "mitos_stage"]
        if wide.empty:
            return pd.DataFrame(columns=cols, dtype=float)
        wide = wide.reset_index()
        wide["patient_id"] = wide["patient_id"].astype(str)
        wide = wide.assign(dist=wide["day"].abs()).sort_values(["patient_id", "dist", "day"])
        wide = wide.drop_duplicates("patient_id").set_index("patient_id")
        for item in INSTRUMENTS["alsfrs_r"].items:
            if item not in wide:
                wide[item] = np.nan
        gastro_events = self.events[self.events["event"] == "gastrostomy"]
        g_day = gastro_events.assign(patient_id=gastro_events["patient_id"].astype(str)) \
            .groupby("patient_id")["day"].min()
        gastro = (wide.index.map(g_day).astype("float64") <= wide["day"].to_numpy())
        return pd.DataFrame(
            {
                "kings_stage": ins.kings_stage(wide, gastrostomy=np.asarray(gastro)),
                "mitos_stage": ins.mitos_stage(wide),
            },
            index=wide.index,
        )

    def baseline(self, window_days: int = 30) -> pd.DataFrame:
        """One row per patient: demographics, disease course and scores at baseline.

        A baseline score is the value at the visit nearest day 0 within ``window_days`` either
        side (the earlier visit on ties); NaN when there is none.

        Returns
        -------
        DataFrame with columns
            patient_id, sex, onset_site, el_escorial, ftd, c9orf72, age_at_onset,
            age_at_baseline (years), diagnostic_delay_months (diagnosis - onset),
            disease_duration_months (baseline - onset), alsfrs_r (total 0-48),
            progression_rate ((48 - ALSFRS-R) / months since onset, points per month),
            fvc_percent (% predicted), vas_pain (0-10), bpi_severity, hads_d, hads_a, adi12,
            alsaq40 (summary index 0-100), kings_stage (1-4), mitos_stage (0-4).
        """
        return self._memo_or(("baseline", window_days), lambda: self._baseline(window_days))

    def _baseline(self, window_days: int) -> pd.DataFrame:
        p = self.patients
        onset = p["onset_day"].astype("float64")
        duration = -onset / DAYS_PER_MONTH
        out = pd.DataFrame(
            {
                "patient_id": p["patient_id"].astype(str),
                "sex": p["sex"],
                "onset_site": p["onset_site"],
                "el_escorial": p["el_escorial"],
                "ftd": p["ftd"],
                "c9orf72": p["c9orf72"],
                "age_at_onset": p["age_at_onset"],
                "age_at_baseline": p["age_at_onset"] + (-onset) / 365.25,
                "diagnostic_delay_months": (p["diagnosis_day"].astype("float64") - onset)
                / DAYS_PER_MONTH,
                "disease_duration_months": duration,
            }
        )
        ids = out["patient_id"]
        for col in BASELINE_SCORES:
            out[col] = ids.map(self.baseline_score(*VISIT_SCORES[col], window_days)).astype(
                "float64")
        with np.errstate(divide="ignore", invalid="ignore"):
            rate = (48.0 - out["alsfrs_r"]) / duration.where(duration > 0)
        out.insert(out.columns.get_loc("alsfrs_r") + 1, "progression_rate", rate)
        stages = self._baseline_stages(window_days)
        out["kings_stage"] = ids.map(stages["kings_stage"]).astype("float64")
        out["mitos_stage"] = ids.map(stages["mitos_stage"]).astype("float64")
        if p["group"].notna().any():  # a cohort with comparators: who is who, and matching
            out["group"] = p["group"].astype(object).where(p["group"].notna(), "als").to_numpy()
            out["birth_year"] = p["birth_year"].astype("float64").to_numpy()
        return out

    def survival(self, endpoint: str = "death", origin: str = "baseline") -> pd.DataFrame:
        """Time-to-event data, one row per patient.

        ``endpoint``: "death", or "composite" (first of death, tracheostomy or full-time NIV).
        ``origin``: "baseline" (default, as every analysis), "onset" or "diagnosis". A patient without the event is censored
        at the last contact: the ``last_contact`` event when recorded, else the latest day of any
        assessment or event.

        Returns
        -------
        DataFrame with columns
            patient_id, origin_day, end_day, time_days, time_months, event (1 = endpoint, 0 =
            censored), event_type (death / tracheostomy / niv_full_time / censored),
            entry_months (time from origin to baseline: the delayed-entry time for
            left-truncated analyses; 0 for origin "baseline").
        """
        if endpoint not in ("death", "composite"):
            raise SchemaError(f"endpoint must be 'death' or 'composite', not {endpoint!r}")
        if origin not in ("onset", "diagnosis", "baseline"):
            raise SchemaError(
                f"origin must be 'onset', 'diagnosis' or 'baseline', not {origin!r}"
            )
        return self._memo_or(("survival", endpoint, origin),
                             lambda: self._survival(endpoint, origin))

    def _survival(self, endpoint: str, origin: str) -> pd.DataFrame:
        kinds = ["death"] if endpoint == "death" else ["death", "tracheostomy", "niv_full_time"]
        ev = self.events.assign(patient_id=self.events["patient_id"].astype(str))
        hits = ev[ev["event"].isin(kinds)].sort_values(["patient_id", "day"], kind="stable")
        first = hits.drop_duplicates("patient_id").set_index("patient_id")
        ids = self.patients["patient_id"].astype(str)
        last_contact = ev[ev["event"] == "last_contact"].groupby("patient_id")["day"].max()
        seen = pd.concat(
            [
                self.assessments.assign(patient_id=self.assessments["patient_id"].astype(str))
                [["patient_id", "day"]],
                ev[["patient_id", "day"]],
            ]
        ).groupby("patient_id")["day"].max()
        censor = ids.map(last_contact).astype("float64")
        censor = censor.fillna(ids.map(seen).astype("float64")).fillna(0.0)
        event_day = ids.map(first["day"]).astype("float64")
        event = event_day.notna()
        end_day = event_day.where(event, censor)
        if origin == "onset":
            origin_day = self.patients["onset_day"].astype("float64")
        elif origin == "diagnosis":
            origin_day = self.patients["diagnosis_day"].astype("float64")
        else:
            origin_day = pd.Series(0.0, index=ids.index)
        time_days = end_day - origin_day
        event_type = ids.map(first["event"].astype(str)).fillna("censored")
        return pd.DataFrame(
            {
                "patient_id": ids,
                "origin_day": origin_day.to_numpy(),
                "end_day": end_day.to_numpy(),
                "time_days": time_days.to_numpy(),
                "time_months": (time_days / DAYS_PER_MONTH).to_numpy(),
                "event": event.astype("int8").to_numpy(),
                "event_type": pd.Categorical(
                    event_type, categories=["death", "tracheostomy", "niv_full_time", "censored"]
                ),
                "entry_months": (-origin_day / DAYS_PER_MONTH).to_numpy(),
            }
        )

    def counting_process(self, instrument: str = "vas_pain", item: str = "total",
                         endpoint: str = "death", lag_days: int = 0) -> pd.DataFrame:
        """Time-varying covariate data in (start, stop] form, time in days since baseline.

        Each measurement of ``instrument``/``item`` opens an interval that lasts until the
        next measurement (its value is carried forward over missed visits) or the end of
        follow-up of :meth:`survival` (``endpoint``, origin baseline); the last interval carries
        the event. With ``lag_days`` > 0 a value applies only from ``lag_days`` after it was
        measured (to keep measurements taken close to death from predicting it); before the
        first value applies, a patient is not at risk. Measurements on or after the end of
        follow-up are left out, and so are patients with no at-risk time (e.g. an event on the
        day of their only measurement); ``attrs["n_patients_excluded"]`` counts them.

        Returns
        -------
        DataFrame with columns
            patient_id, start, stop (days since baseline; start < stop), event (1 on the interval
            that ends with the endpoint), value (the covariate over the interval), measured_day
            (when it was measured).
        """
        surv = self.survival(endpoint=endpoint, origin="baseline").set_index("patient_id")
        rows = self.scores(instrument, item)
        end = rows["patient_id"].map(surv["end_day"]).to_numpy()
        starts = rows["day"].to_numpy().astype(np.float64) + lag_days
        keep = starts < end
        rows, starts, end = rows[keep], starts[keep], end[keep]
        pid = rows["patient_id"].to_numpy()
        nxt = np.r_[starts[1:], np.nan]
        last = np.r_[pid[1:] != pid[:-1], True] if len(pid) else np.zeros(0, dtype=bool)
        stop = np.where(last, end, np.minimum(nxt, end))
        event = last & (rows["patient_id"].map(surv["event"]).to_numpy() == 1)
        out = pd.DataFrame(
            {
                "patient_id": pid,
                "start": starts,
                "stop": stop,
                "event": event.astype("int8"),
                "value": rows["value"].to_numpy(),
                "measured_day": rows["day"].to_numpy(),
            }
        )
        out = out[out["stop"] > out["start"]].reset_index(drop=True)
        out.attrs["n_patients_excluded"] = int(self.n_patients - out["patient_id"].nunique())
        return out

    # ------------------------------------------------------------------------------------------
    # summary
    # ------------------------------------------------------------------------------------------
    def summary(self, k: int = 5) -> pd.DataFrame:
        """A one-column overview: sizes, demographics, follow-up and events (no identifiers).

        Parameters
        ----------
        k : int
            Small-cell suppression (:mod:`alspaincohort.disclosure`): a count of 1 to k - 1
            patients behind a percentage or count is shown as "suppressed", and so is any
            count that would give it back (e.g. the last onset site, from the others).

        Returns
        -------
        DataFrame indexed by ``measure`` with a ``value`` column (strings for display).

        Examples
        --------
        >>> from alspaincohort import simulate_cohort
        >>> simulate_cohort(50, seed=1).summary().loc["patients", "value"]
        '50'
        """
        from .disclosure import SUPPRESSED, DisclosureControl

        b = self.baseline()
        surv = self.survival("death", "baseline")
        a = self.assessments
        rows: list[tuple[str, str]] = [
            ("patients", f"{self.n_patients:,}"),
            ("assessment rows", f"{len(a):,}"),
            ("visits (patient-days with any assessment)",
             f"{len(a[['patient_id', 'day']].drop_duplicates()):,}" if len(a) else "0"),
            ("pain-site rows", f"{len(self.pain_sites):,}"),
            ("medication rows", f"{len(self.medications):,}"),
            ("event rows", f"{len(self.events):,}"),
        ]
        if not self.n_patients:
            return pd.DataFrame(rows, columns=["measure", "value"]).set_index("measure")
        dc = DisclosureControl(k)
        pid = b["patient_id"].astype(str)

        def cell(row: str, mask: Any, ids: pd.Series = pid) -> None:
            dc.add("summary", row, "n", ids[np.asarray(mask, dtype=bool)])

        cell("patients", np.ones(len(b)))
        sex = b["sex"].astype(object)
        cell("male", sex == "male")
        cell("not male", sex.notna() & (sex != "male"))
        sites = b["onset_site"].value_counts(normalize=True)
        for site in sites.index:
            cell(f"onset {site}", b["onset_site"] == site)
        vas = b["vas_pain"]
        cell("pain", vas > 0)
        cell("no pain", vas == 0)
        spid = surv["patient_id"].astype(str)
        cell("deaths", surv["event"] == 1, spid)
        cell("alive", surv["event"] != 1, spid)
        ev = self.events.reset_index(drop=True)
        kinds = ev["event"].value_counts()
        rows_ = pd.Series([("event", i) for i in range(len(ev))])  # event rows, not patients
        dc.add("summary", "event rows", "n", rows_)
        for kind in kinds.index:
            cell(f"events: {kind}", ev["event"] == kind, rows_)
        hidden = {r for r, _ in dc.suppress().hidden_in("summary")}

        def show(row: str, text: str) -> str:
            return SUPPRESSED if row in hidden else text

        rows += [
            ("male, %", show("male", f"{100 * (sex == 'male').mean():.1f}")
             if "not male" not in hidden else SUPPRESSED),
            ("age at onset, mean (SD)",
             f"{b['age_at_onset'].mean():.1f} ({b['age_at_onset'].std():.1f})"),
        ]
        for site, share in sites.items():
            rows.append((f"onset site {site}, %", show(f"onset {site}", f"{100 * share:.1f}")))
        rows += [
            ("diagnostic delay, months, median",
             _fmt(b["diagnostic_delay_months"].median())),
            ("ALSFRS-R at baseline, mean", _fmt(b["alsfrs_r"].mean())),
            ("pain at baseline (VAS > 0), %",
             SUPPRESSED if {"pain", "no pain"} & hidden else
             _fmt(100 * (vas.dropna() > 0).mean())),
            ("HADS-D at baseline, mean", _fmt(b["hads_d"].mean())),
            ("follow-up from baseline, months, median", _fmt(surv["time_months"].median())),
            ("deaths", show("deaths", f"{int(surv['event'].sum()):,}")),
        ]
        for kind, n in kinds.items():
            rows.append((f"events: {kind}", show(f"events: {kind}", f"{n:,}")))
        return pd.DataFrame(rows, columns=["measure", "value"]).set_index("measure")


# ----------------------------------------------------------------------------------------------
# helpers
# ----------------------------------------------------------------------------------------------
def _fmt(x: float) -> str:
    return "NA" if pd.isna(x) else f"{x:.1f}"


def _no_breaches() -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype=object) for c in BREACH_COLUMNS})


def _breaches(table: str, rows: np.ndarray, column: str, values: Iterable[Any],
              rule: str) -> pd.DataFrame:
    rows = np.asarray(rows)
    if rows.size == 0:
        return _no_breaches()
    return pd.DataFrame(
        {
            "table": table,
            "row": rows.astype(np.int64),
            "column": column,
            "value": pd.Series(list(values), dtype=object).to_numpy(),
            "rule": rule,
        }
    )


def _concat(pieces: list[pd.DataFrame]) -> pd.DataFrame:
    pieces = [p for p in pieces if len(p)]
    return pd.concat(pieces, ignore_index=True) if pieces else _no_breaches()


def _take(per_patient: np.ndarray, codes: np.ndarray) -> np.ndarray:
    """per_patient[codes], NaN where the code is -1 (unknown patient)."""
    if per_patient.size == 0:
        return np.full(codes.shape, np.nan)
    return np.where(codes >= 0, per_patient[np.maximum(codes, 0)], np.nan)


def _labels(col: pd.Series, rows: np.ndarray) -> np.ndarray:
    """Values of ``col`` at ``rows`` as strings, without converting the whole column."""
    if isinstance(col.dtype, pd.CategoricalDtype):
        codes = np.asarray(col.cat.codes.to_numpy()[rows])
        cats = np.asarray(col.cat.categories.astype(str), dtype=object)
        out = np.full(len(codes), None, dtype=object)
        ok = codes >= 0
        out[ok] = cats[codes[ok]]
        return out
    return np.asarray(col.to_numpy()[rows]).astype(str)


def _unique_ids(ids: pd.Series) -> tuple[pd.Index, np.ndarray]:
    """The distinct ids (as strings) and the row position of each one's first occurrence."""
    as_str = pd.Index(ids.astype(str))
    first = ~as_str.duplicated(keep="first")
    return as_str[first], np.flatnonzero(first)


def _isin_ids(ids: pd.Series, known: pd.Index) -> np.ndarray:
    if isinstance(ids.dtype, pd.CategoricalDtype):
        cat_ok = known.get_indexer(ids.cat.categories.astype(str)) >= 0
        codes = ids.cat.codes.to_numpy()
        return np.where(codes >= 0, cat_ok[np.maximum(codes, 0)], False)
    return ids.astype(str).isin(known).to_numpy()


def _may_breach(spec: Any, col: pd.Series) -> bool:
    """False when a vectorised look proves the column keeps its pandera checks (no missing
    value where none is allowed, every category used in the vocabulary, minimum and maximum
    in range), so pandera need not scan it; True sends it to pandera, which reports each
    failing cell. On a cohort of millions of rows this turns seconds into milliseconds."""
    if isinstance(col.dtype, pd.CategoricalDtype):
        codes = col.cat.codes.to_numpy()
        if not spec.nullable and (codes < 0).any():
            return True
        if spec.values is not None:
            used = np.bincount(codes[codes >= 0], minlength=len(col.cat.categories)) > 0
            cats = col.cat.categories[used]
            return not pd.Index(cats).isin(list(spec.values)).all()
        return spec.low is not None or spec.high is not None
    if spec.values is not None or not pd.api.types.is_numeric_dtype(col.dtype):
        return True
    if col.dtype == bool:  # NumPy booleans: never missing, in range unless a range is set
        return spec.low is not None or spec.high is not None
    if isinstance(col.dtype, np.dtype) and col.dtype.kind in "iuf":
        values = col.to_numpy()  # no copy; fmin / fmax skip NaN without one either
        if not len(values):
            return False
        if values.dtype.kind == "f" and not spec.nullable and np.isnan(values).any():
            return True
        low, high = np.fmin.reduce(values), np.fmax.reduce(values)
        if low != low:  # every value missing
            return False
    else:
        values = col.to_numpy(dtype="float64", na_value=np.nan)
        missing = np.isnan(values)
        if not spec.nullable and missing.any():
            return True
        if missing.all():
            return False
        low, high = np.nanmin(values), np.nanmax(values)
    lo = -np.inf if spec.low is None else spec.low
    hi = np.inf if spec.high is None else spec.high
    return not (lo <= low and high <= hi)


def _runs(codes: np.ndarray, most: int = 4096) -> tuple[np.ndarray, np.ndarray] | None:
    """Start and end positions of the runs of equal codes, or None when there are more than
    ``most`` runs (then row-wise gathers are cheaper than a loop over runs)."""
    change = np.flatnonzero(codes[1:] != codes[:-1]) + 1
    if len(change) >= most:
        return None
    return np.r_[0, change], np.r_[change, len(codes)]


def _packed_key(df: pd.DataFrame, cols: list[str]) -> np.ndarray | None:
    """The key columns packed into one int64 per row (categorical codes and whole numbers),
    or None when they do not fit in 62 bits or a number is missing or fractional. Each column
    is added in place with its offset (no int64 copy of every column: on a long table of
    millions of rows those copies cost more than the sort)."""
    parts: list[tuple[np.ndarray, int, int]] = []  # values, offset, size
    for c in cols:
        s = df[c]
        if isinstance(s.dtype, pd.CategoricalDtype):
            parts.append((s.cat.codes.to_numpy(), 1, len(s.cat.categories) + 1))
            continue
        if pd.api.types.is_integer_dtype(s.dtype) and not s.hasnans:
            iv = s.to_numpy(dtype=s.dtype.numpy_dtype if hasattr(s.dtype, "numpy_dtype")
                            else s.dtype)
        else:
            v = s.astype("float64").to_numpy()
            if np.isnan(v).any() or (len(v) and (v != np.round(v)).any()):
                return None
            iv = v.astype(np.int64)
        lo = int(iv.min()) if len(iv) else 0
        parts.append((iv, -lo, int(iv.max()) - lo + 1 if len(iv) else 1))
    if sum(int(np.ceil(np.log2(max(size, 2)))) for _, _, size in parts) > 62:
        return None
    values, offset, _ = parts[0]
    packed = values.astype(np.int64)
    packed += offset
    for values, offset, size in parts[1:]:
        packed *= size
        packed += values
        packed += offset
    return packed


def _duplicated(df: pd.DataFrame, key: Iterable[str], keep: str | bool) -> pd.Series:
    """``df.duplicated(key)``, on one packed int64 key when the codes fit in 62 bits. Whether
    there is any duplicate at all is decided by sorting the packed keys (NumPy's integer sort
    is ~10x faster than pandas' hash table on millions of rows); only then are the flags
    computed."""
    cols = list(key)
    packed = _packed_key(df, cols)
    if packed is None:
        return df.duplicated(subset=cols, keep=keep)
    packed.sort()  # in place: a fresh array (a sorted copy of a long table's keys cost more)
    if not (packed[1:] == packed[:-1]).any():
        return pd.Series(np.zeros(len(df), dtype=bool), index=df.index)
    packed = _packed_key(df, cols)  # duplicates: the flags need the keys in row order
    assert packed is not None
    return pd.Series(packed, index=df.index).duplicated(keep=keep)
