"""The standard tables of a cohort: columns, dtypes, vocabularies, ranges and named rules.

Every loader ends in these tables, the synthetic generator starts from them and every analysis
reads them. Time is integer days relative to each patient's study baseline
(day 0 = enrolment / first visit); onset and diagnosis are days <= 0.

Tables
------
patients
    patient_id, sex, age_at_onset, onset_site, onset_day, diagnosis_day, el_escorial, ftd,
    c9orf72, sod1, pain_onset_day, presenting_symptom, group, birth_year, region, index_date,
    matched_set, source. ``group`` marks comparators (population, healthy, neurological
    controls; missing means an ALS patient), with their matching variables and the calendar
    date of their day 0: every analysis of ALS patients refuses a cohort holding comparators
    until :meth:`~alspaincohort.Cohort.als_only` selects the patients.
assessments
    patient_id, day, instrument, item, value, derived.
pain_sites
    patient_id, day, site, pain_type.
medications
    patient_id, drug, atc_code, start_day, stop_day, dose_mg_per_day, indication.
events
    patient_id, day, event.

Column-level rules (dtype, missing values, vocabularies, ranges) are pandera schemas built from
:data:`TABLES`; :func:`column_schema` returns them. Rules that span rows or tables (unique keys,
known patients, onset/diagnosis order, nothing after death, instrument ranges) are vectorised
functions in :mod:`alspaincohort.cohort`. Every rule has a stable name listed in :data:`RULES`.

The instrument registry :data:`INSTRUMENTS` gives the valid range of every item and score; the
sources of the ranges are in ``docs/sources.md`` section 2 and in each instrument's ``source``.
Use :func:`register_instrument` to add a local instrument.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import pandera.pandas as pa

from .drugs import CLASSES as DRUG_CLASSES
from .errors import ParameterError, SchemaError

# ----------------------------------------------------------------------------------------------
# Vocabularies
# ----------------------------------------------------------------------------------------------
SEXES = ("female", "male")
ONSET_SITES = ("spinal", "bulbar", "respiratory", "generalised")
EL_ESCORIAL = ("definite", "probable", "probable_lab_supported", "possible", "suspected")
PAIN_TYPES = ("cramp", "spasticity", "musculoskeletal", "neuropathic", "pressure", "other",
              "niv_interface", "itch")
PAIN_TYPE_GROUPS = {"cramp": "primary", "spasticity": "primary", "neuropathic": "primary",
                    "musculoskeletal": "secondary", "pressure": "secondary",
                    "niv_interface": "secondary", "itch": "other", "other": "other"}
"""Primary pain (from the disease: neuropathic, cramps, spasticity) and secondary pain (mainly
nociceptive: musculoskeletal from weakness and immobility, pressure, the NIV mask or interface),
as the review groups them (docs/sources.md section 1); itch and other types are neither."""
PAIN_SITES = (
    "head",
    "neck",
    "shoulders",
    "arms",
    "hands",
    "chest",
    "upper_back",
    "lower_back",
    "hips",
    "legs",
    "feet",
    "generalised",
)
EVENTS = ("death", "tracheostomy", "niv_full_time", "gastrostomy", "withdrawal", "last_contact")
GROUPS = ("als", "control_population", "control_healthy", "control_neurological")
"""Who a person is (``patients.group``; missing means an ALS patient): a patient, or a
comparator from the population, a healthy volunteer, or a person with another neurological or
neuromuscular disease."""
PRESENTING_SYMPTOMS = ("limb_weakness", "bulbar", "respiratory", "cramps", "pain",
                       "fasciculations", "other")
"""The first symptom the patient noticed (``patients.presenting_symptom``)."""
RESPONDENTS = ("patient", "caregiver", "clinician")
"""Who gave an assessment (``assessments.respondent``; missing means the patient)."""

DAYS_PER_MONTH = 365.25 / 12
"""Days in a month for every days-to-months conversion (365.25 / 12 = 30.4375)."""

# ----------------------------------------------------------------------------------------------
# Rules
# ----------------------------------------------------------------------------------------------
RULES: dict[str, str] = {
    "required_column": "a required column is missing from the table",
    "dtype": "the column's values cannot be read as its standard dtype",
    "not_null": "a required value is missing",
    "allowed_values": "the value is not in the column's vocabulary",
    "in_range": "the value is outside the column's allowed range",
    "unique_key": "the row repeats the key of another row of the table",
    "known_patient": "the patient_id is not in the patients table",
    "onset_not_after_baseline": "onset_day must be <= 0 (onset before or at study baseline)",
    "diagnosis_not_after_baseline": "diagnosis_day must be <= 0",
    "onset_not_after_diagnosis": "diagnosis_day must be >= onset_day",
    "not_before_onset": "a visit or event is dated before the patient's onset",
    "not_after_death": "a visit or event is dated after the patient's death",
    "single_death": "a patient has more than one death event",
    "known_instrument": "the instrument is not in the instrument registry",
    "known_item": "the item is not an item or score of its instrument",
    "instrument_range": "the value is outside the valid range of its instrument item or score",
    "stop_not_before_start": "a medication's stop_day is before its start_day",
    "conflicting_duplicate": "two rows with the same key carry different values",
}


# ----------------------------------------------------------------------------------------------
# Column specifications -> pandera schemas
# ----------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class ColumnSpec:
    """One column of a standard table.

    ``dtype`` is the canonical pandas dtype: ``"category"`` columns take their categories from
    ``values`` when given (a closed vocabulary) and from the data otherwise.
    """

    name: str
    dtype: str
    required: bool = True
    nullable: bool = False
    values: tuple[str, ...] | None = None
    low: float | None = None
    high: float | None = None
    description: str = ""


def _spec(*cols: ColumnSpec) -> tuple[ColumnSpec, ...]:
    return cols


TABLES: dict[str, tuple[ColumnSpec, ...]] = {
    "patients": _spec(
        ColumnSpec("patient_id", "category", description="pseudonymous patient identifier"),
        ColumnSpec("sex", "category", nullable=True, values=SEXES),
        ColumnSpec("age_at_onset", "float64", nullable=True, low=10.0, high=110.0,
                   description="years"),
        ColumnSpec("onset_site", "category", nullable=True, values=ONSET_SITES),
        ColumnSpec("onset_day", "Int32", nullable=True,
                   description="days from baseline to symptom onset, <= 0 (missing if unknown)"),
        ColumnSpec("diagnosis_day", "Int32", required=False, nullable=True),
        ColumnSpec("el_escorial", "category", required=False, nullable=True, values=EL_ESCORIAL),
        ColumnSpec("ftd", "boolean", required=False, nullable=True),
        ColumnSpec("c9orf72", "boolean", required=False, nullable=True),
        ColumnSpec("sod1", "boolean", required=False, nullable=True),
        ColumnSpec(
            "pain_onset_day",
            "Int32",
            required=False,
            nullable=True,
            description="day pain first began; may precede motor onset (pre-diagnostic pain)",
        ),
        ColumnSpec("presenting_symptom", "category", required=False, nullable=True,
                   values=PRESENTING_SYMPTOMS,
                   description="the first symptom noticed (pain as the presenting symptom)"),
        ColumnSpec("group", "category", required=False, nullable=True, values=GROUPS,
                   description="ALS patient (also when missing) or comparator group"),
        ColumnSpec("birth_year", "Int32", required=False, nullable=True, low=1880, high=2030,
                   description="matching variable"),
        ColumnSpec("region", "category", required=False, nullable=True,
                   description="matching variable"),
        ColumnSpec("index_date", "datetime64[ns]", required=False, nullable=True,
                   description="calendar date of the person's day 0 (a control takes its "
                               "case's index date)"),
        ColumnSpec("matched_set", "Int32", required=False, nullable=True,
                   description="the matched set of a case and its controls"),
        ColumnSpec("source", "category", required=False, nullable=True),
    ),
    "assessments": _spec(
        ColumnSpec("patient_id", "category"),
        ColumnSpec("day", "int32"),
        ColumnSpec("instrument", "category"),
        ColumnSpec("item", "category"),
        ColumnSpec("value", "float64", nullable=True),
        ColumnSpec(
            "derived",
            "bool",
            required=False,
            description="True for scores computed by alspaincohort.instruments",
        ),
        ColumnSpec("source", "category", required=False, nullable=True,
                   description="where the value came from (form or file)"),
        ColumnSpec("respondent", "category", required=False, nullable=True, values=RESPONDENTS,
                   description="who rated: the patient (also when missing), a caregiver or a "
                               "clinician (proxy ratings)"),
    ),
    "pain_sites": _spec(
        ColumnSpec("patient_id", "category"),
        ColumnSpec("day", "int32"),
        ColumnSpec("site", "category", values=PAIN_SITES),
        ColumnSpec("pain_type", "category", values=PAIN_TYPES),
    ),
    "medications": _spec(
        ColumnSpec("patient_id", "category"),
        ColumnSpec("drug", "category"),
        ColumnSpec("atc_code", "category", required=False, nullable=True),
        ColumnSpec("start_day", "Int32", nullable=True),
        ColumnSpec("stop_day", "Int32", required=False, nullable=True),
        ColumnSpec("dose_mg_per_day", "float64", required=False, nullable=True, low=0.0),
        ColumnSpec("indication", "category", required=False, nullable=True),
        ColumnSpec("drug_class", "category", required=False, nullable=True,
                   values=DRUG_CLASSES,
                   description="alspaincohort.drugs class"),
        ColumnSpec("source", "category", required=False, nullable=True),
    ),
    "events": _spec(
        ColumnSpec("patient_id", "category"),
        ColumnSpec("day", "int32"),
        ColumnSpec("event", "category", values=EVENTS),
    ),
}

TABLE_NAMES: tuple[str, ...] = tuple(TABLES)

KEYS: dict[str, tuple[str, ...]] = {
    "patients": ("patient_id",),
    "assessments": ("patient_id", "day", "instrument", "item", "respondent"),
    "pain_sites": ("patient_id", "day", "site", "pain_type"),
    "medications": ("patient_id", "drug", "start_day"),
    "events": ("patient_id", "day", "event"),
}
"""The unique key of each table (rule ``unique_key``); an optional key column absent from a
table (``respondent``) is left out of its key."""


def column_names(table: str) -> list[str]:
    """All standard columns of ``table`` in their canonical order."""
    return [c.name for c in TABLES[table]]


def _checks(spec: ColumnSpec) -> tuple[list[pa.Check], list[str]]:
    checks: list[pa.Check] = []
    rules: list[str] = []
    if spec.values is not None:
        checks.append(pa.Check.isin(list(spec.values)))
        rules.append("allowed_values")
    if spec.low is not None or spec.high is not None:
        lo = -np.inf if spec.low is None else spec.low
        hi = np.inf if spec.high is None else spec.high
        checks.append(pa.Check.in_range(lo, hi))
        rules.append("in_range")
    return checks, rules


def column_schema(table: str) -> pa.DataFrameSchema:
    """The pandera schema of the column-level rules of ``table``.

    Dtypes are not checked here: :func:`standardize` has already cast every column (or raised).
    """
    columns = {}
    for spec in TABLES[table]:
        checks, _ = _checks(spec)
        columns[spec.name] = pa.Column(
            checks=checks, nullable=spec.nullable, required=spec.required, name=spec.name
        )
    return pa.DataFrameSchema(columns, name=table, strict=False)


def check_rule_names(table: str) -> dict[tuple[str, int], str]:
    """Map (column, pandera check number) to the rule name of that check."""
    out: dict[tuple[str, int], str] = {}
    for spec in TABLES[table]:
        _, rules = _checks(spec)
        for i, rule in enumerate(rules):
            out[(spec.name, i)] = rule
    return out


# ----------------------------------------------------------------------------------------------
# Casting to the standard dtypes (lossless or an error)
# ----------------------------------------------------------------------------------------------
def empty_table(table: str) -> pd.DataFrame:
    """An empty standard table with the canonical dtypes."""
    return standardize(table, pd.DataFrame({c.name: [] for c in TABLES[table]}))


def _cast_column(table: str, spec: ColumnSpec, col: pd.Series) -> pd.Series:
    """Cast one column to its standard dtype, raising SchemaError on any lossy conversion."""
    target = spec.dtype
    if str(col.dtype) == target and target != "category":
        return col
    if target == "category":
        if isinstance(col.dtype, pd.CategoricalDtype):
            return col
        as_str = col.astype("string")
        return as_str.astype("category").cat.rename_categories(lambda c: str(c))
    if target == "datetime64[ns]":
        if pd.api.types.is_datetime64_any_dtype(col.dtype):
            return col.astype(target)
        parsed = pd.to_datetime(col.astype("string"), errors="coerce", format="ISO8601")
        bad = parsed.isna() & col.notna()
        if bad.any():
            _raise_uncastable(table, spec, col, bad)
        return parsed.astype(target)
    if target == "bool":
        if col.dtype == bool:
            return col
        if col.isna().any() or not col.isin([True, False, 0, 1]).all():
            _raise_uncastable(table, spec, col, col.isna() | ~col.isin([True, False, 0, 1]))
        return col.astype(bool)
    if target == "boolean":
        try:
            return col.astype("boolean")
        except (TypeError, ValueError):
            bad = ~col.isna() & ~col.isin([True, False, 0, 1])
            _raise_uncastable(table, spec, col, bad)
    numeric = pd.to_numeric(col, errors="coerce")
    bad = numeric.isna() & col.notna()
    if bad.any():
        _raise_uncastable(table, spec, col, bad)
    if target in ("int32", "Int32"):
        finite = numeric.dropna()
        frac = finite != np.round(finite)
        if frac.any():
            _raise_uncastable(table, spec, col, numeric.notna() & (numeric != np.round(numeric)))
        if target == "int32" and numeric.isna().any():
            _raise_uncastable(table, spec, col, numeric.isna())
        too_big = numeric.abs() > np.iinfo(np.int32).max
        if too_big.any():
            _raise_uncastable(table, spec, col, too_big.fillna(False))
        return numeric.astype(target)
    return numeric.astype(target)


def _missing_column(spec: ColumnSpec, n: int) -> pd.Series:
    """An optional column the input lacks: all missing (False for ``bool``), built directly in
    its standard dtype. (An object column of ``pd.NA`` cast to a category took several GiB and
    most of the generator's time for a million patients: 117 million rows.)"""
    if spec.dtype == "category":
        values: Any = pd.Categorical.from_codes(np.full(n, -1, dtype=np.int8), categories=[])
    elif spec.dtype == "bool":
        values = np.zeros(n, dtype=bool)
    elif spec.dtype in ("Int32", "boolean"):
        values = pd.array(np.zeros(n, dtype=np.int32 if spec.dtype == "Int32" else bool),
                          dtype=spec.dtype)
        values[:] = pd.NA
    elif spec.dtype.startswith("datetime64"):
        values = np.full(n, np.datetime64("NaT"), dtype=spec.dtype)
    else:
        values = np.full(n, np.nan, dtype=spec.dtype)
    return pd.Series(values, name=spec.name)


def _plain(value: Any) -> Any:
    """A NumPy scalar as the plain Python value (for readable messages)."""
    return value.item() if isinstance(value, np.generic) else value


def _raise_uncastable(table: str, spec: ColumnSpec, col: pd.Series, bad: pd.Series) -> None:
    rows = np.flatnonzero(bad.to_numpy())
    shown = ", ".join(f"row {r} value {_plain(col.iloc[r])!r}" for r in rows[:5])
    more = f" (and {len(rows) - 5} more)" if len(rows) > 5 else ""
    raise SchemaError(
        f"table {table!r}, column {spec.name!r}: {len(rows)} value(s) cannot be read as "
        f"{spec.dtype} (rule 'dtype'): {shown}{more}"
    )


def standardize(table: str, df: pd.DataFrame) -> pd.DataFrame:
    """Return ``df`` with the standard columns of ``table`` in canonical order and dtypes.

    Missing optional columns are added as all-missing; extra columns are kept after the standard
    ones. Casting is lossless or raises :class:`SchemaError` naming the table, column, rows and
    values (rule ``dtype``); a missing required column raises with rule ``required_column``. The
    index is reset to 0..n-1 so that validation rows are positions.
    """
    if table not in TABLES:
        raise SchemaError(f"unknown table {table!r}; the standard tables are {TABLE_NAMES}")
    missing = [c.name for c in TABLES[table] if c.required and c.name not in df.columns]
    if missing:
        raise SchemaError(
            f"table {table!r} is missing required column(s) {missing} (rule 'required_column')"
        )
    n = len(df)
    if _already_standard(table, df):
        return df
    out: dict[str, Any] = {}
    for spec in TABLES[table]:
        if spec.name in df.columns:
            col = df[spec.name]
            if not isinstance(col.index, pd.RangeIndex) or not col.index.equals(
                    pd.RangeIndex(n)):
                col = col.reset_index(drop=True)  # (a copy: avoided when already 0..n-1)
            out[spec.name] = _cast_column(table, spec, col)
        else:
            out[spec.name] = _missing_column(spec, n)
    extra = [c for c in df.columns if c not in out]
    same_index = isinstance(df.index, pd.RangeIndex) and df.index.equals(pd.RangeIndex(n))
    for c in extra:  # (provenance columns of a loaded long table: no copy of millions of rows)
        out[c] = df[c] if same_index else df[c].reset_index(drop=True)
    result = pd.DataFrame(out, copy=False)
    result.index = pd.RangeIndex(n)
    return result


def _already_standard(table: str, df: pd.DataFrame) -> bool:
    """True when ``df`` has every standard column first, in order, with its standard dtype, and
    a 0..n-1 index: then :func:`standardize` returns it as is (no copy of large tables)."""
    specs = TABLES[table]
    if list(df.columns[: len(specs)]) != [s.name for s in specs]:
        return False
    if not df.index.equals(pd.RangeIndex(len(df))):
        return False
    for spec in specs:
        dtype = df[spec.name].dtype
        if spec.dtype == "category":
            if not isinstance(dtype, pd.CategoricalDtype):
                return False
        elif str(dtype) != spec.dtype:
            return False
    return True


# ----------------------------------------------------------------------------------------------
# Instrument registry
# ----------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Instrument:
    """An instrument: the valid range of each item and of each score derived from the items.

    Attributes
    ----------
    name : str
        The value of ``assessments.instrument``.
    items : Mapping[str, tuple[float, float]]
        Item name -> (low, high), inclusive.
    scores : Mapping[str, tuple[float, float]]
        Score name ("total", "severity", "d", ...) -> (low, high), inclusive.
    description, source : str
        What it measures and where the ranges come from.
    """

    name: str
    items: Mapping[str, tuple[float, float]]
    scores: Mapping[str, tuple[float, float]]
    description: str = ""
    source: str = ""
    higher_is_worse: bool = True

    def ranges(self) -> dict[str, tuple[float, float]]:
        """Item and score ranges together."""
        return {**dict(self.items), **dict(self.scores)}


ALSFRS_R_ITEMS = (
    "q1_speech",
    "q2_salivation",
    "q3_swallowing",
    "q4_handwriting",
    "q5a_cutting_without_gastrostomy",
    "q5b_cutting_with_gastrostomy",
    "q6_dressing_hygiene",
    "q7_turning_in_bed",
    "q8_walking",
    "q9_climbing_stairs",
    "r1_dyspnea",
    "r2_orthopnea",
    "r3_respiratory_insufficiency",
)
ALSFRS_ITEMS = ALSFRS_R_ITEMS[:10] + ("q10_respiratory",)
BPI_SEVERITY_ITEMS = ("worst", "least", "average", "now")
BPI_INTERFERENCE_ITEMS = (
    "general_activity",
    "mood",
    "walking_ability",
    "normal_work",
    "relations",
    "sleep",
    "enjoyment",
)
HADS_A_ITEMS = tuple(f"a{i}" for i in range(1, 8))
HADS_D_ITEMS = tuple(f"d{i}" for i in range(1, 8))
ADI12_ITEMS = tuple(f"q{i}" for i in range(1, 13))
BDI2_ITEMS = tuple(f"q{i}" for i in range(1, 22))
DN4_INTERVIEW_ITEMS = ("burning", "painful_cold", "electric_shocks", "tingling",
                       "pins_and_needles", "numbness", "itching")
DN4_EXAMINATION_ITEMS = ("touch_hypoesthesia", "pinprick_hypoesthesia", "brushing")
ALSAQ40_ITEMS = tuple(f"q{i}" for i in range(1, 41))
ALSAQ40_SCALES: dict[str, tuple[int, int]] = {
    "physical_mobility": (1, 10),
    "adl_independence": (11, 20),
    "eating_drinking": (21, 23),
    "communication": (24, 30),
    "emotional_reactions": (31, 40),
}


def _uniform(items: tuple[str, ...], lo: float, hi: float) -> dict[str, tuple[float, float]]:
    return {i: (lo, hi) for i in items}


INSTRUMENTS: dict[str, Instrument] = {}


def register_instrument(instrument: Instrument, replace: bool = False) -> None:
    """Add an instrument to the registry (``replace=True`` to overwrite an existing one)."""
    if instrument.name in INSTRUMENTS and not replace:
        raise ParameterError(
            f"instrument {instrument.name!r} is already registered; pass replace=True"
        )
    for name, (lo, hi) in instrument.ranges().items():
        if not lo <= hi:
            raise ParameterError(f"instrument {instrument.name!r} item {name!r}: low > high")
    INSTRUMENTS[instrument.name] = instrument


for _inst in (
    Instrument(
        "alsfrs_r",
        _uniform(ALSFRS_R_ITEMS, 0, 4),
        {
            "total": (0, 48),
            "bulbar": (0, 12),
            "fine_motor": (0, 12),
            "gross_motor": (0, 12),
            "respiratory": (0, 12),
        },
        "ALS Functional Rating Scale, revised: 12 items 0-4 (4 = normal), total 0-48",
        "Cedarbaum 1999; docs/sources.md section 2",
        higher_is_worse=False,
    ),
    Instrument(
        "alsfrs",
        _uniform(ALSFRS_ITEMS, 0, 4),
        {"total": (0, 40)},
        "original ALSFRS: 10 items 0-4, one respiratory item, total 0-40",
        "docs/sources.md section 2",
        higher_is_worse=False,
    ),
    Instrument(
        "vas_pain",
        {"mm": (0, 100)},
        {"total": (0, 10)},
        "pain visual analogue scale; 'mm' is the original 0-100 mm line, 'total' the 0-10 score",
        "docs/sources.md section 2",
    ),
    Instrument(
        "nrs_pain",
        {},
        {"total": (0, 10)},
        "pain numeric rating scale 0-10",
        "docs/sources.md section 2",
    ),
    Instrument(
        "bpi",
        _uniform(BPI_SEVERITY_ITEMS + BPI_INTERFERENCE_ITEMS, 0, 10),
        {"severity": (0, 10), "interference": (0, 10)},
        "Brief Pain Inventory short form: severity (4 items) and interference (7 items), 0-10",
        "Cleeland 1994; docs/sources.md section 2",
    ),
    Instrument(
        "hads",
        _uniform(HADS_A_ITEMS + HADS_D_ITEMS, 0, 3),
        {"a": (0, 21), "d": (0, 21)},
        "Hospital Anxiety and Depression Scale: anxiety (a) and depression (d), 7 items 0-3 each",
        "Zigmond & Snaith 1983; docs/sources.md section 2",
    ),
    Instrument(
        "adi12",
        _uniform(ADI12_ITEMS, 1, 4),
        {"total": (12, 48)},
        "ALS Depression Inventory: 12 items 1-4, total 12 (best) to 48 (worst)",
        "Kübler 2005; docs/sources.md section 2",
    ),
    Instrument(
        "bdi2",
        _uniform(BDI2_ITEMS, 0, 3),
        {"total": (0, 63)},
        "Beck Depression Inventory II: 21 items 0-3, total 0-63",
        "Beck 1996; docs/sources.md section 2",
    ),
    Instrument(
        "paindetect",
        {},
        {"total": (-1, 38)},
        "painDETECT neuropathic pain questionnaire, total -1 to 38",
        "Freynhagen 2006; docs/sources.md section 2",
    ),
    Instrument(
        "dn4",
        _uniform(DN4_INTERVIEW_ITEMS + DN4_EXAMINATION_ITEMS, 0, 1),
        {"total": (0, 10), "interview": (0, 7)},
        "DN4 neuropathic pain questionnaire: 7 interview items and 3 examination items, each "
        "yes (1) or no (0); total 0-10 (neuropathic >= 4), interview 0-7 (>= 3)",
        "Bouhassira 2005; docs/sources.md section 2",
    ),
    Instrument(
        "penn_spasm",
        {},
        {"frequency": (0, 4)},
        "Penn Spasm Frequency Scale: 0 no spasms ... 4 more than 10 spasms an hour",
        "Penn 1989; docs/sources.md section 2",
    ),
    Instrument(
        "modified_ashworth",
        {},
        {"grade": (0, 4)},
        "Modified Ashworth Scale of muscle tone: grades 0, 1, 1+ (coded 1.5), 2, 3, 4 (the "
        "highest grade over the muscle groups examined)",
        "Bohannon & Smith 1987; docs/sources.md section 2",
    ),
    Instrument(
        "alsaq40",
        _uniform(ALSAQ40_ITEMS, 0, 4),
        {**_uniform(tuple(ALSAQ40_SCALES), 0, 100), "summary_index": (0, 100)},
        "ALS Assessment Questionnaire: 40 items (0 = never ... 4 = always), 5 scales 0-100, "
        "higher = worse; summary_index = mean of the 5 scales",
        "Jenkinson 1999; docs/sources.md section 2 (transform unverified)",
    ),
    Instrument(
        "sf36_bodily_pain",
        {},
        {"total": (0, 100)},
        "SF-36 Bodily Pain scale, 0-100, 100 = no pain",
        "docs/sources.md section 2",
        higher_is_worse=False,
    ),
    Instrument(
        "fvc",
        {"liters": (0, 10)},
        {"percent_predicted": (0, 200)},
        "forced vital capacity: litres and % of predicted",
        "PRO-ACT FVC form; docs/sources.md section 3",
        higher_is_worse=False,
    ),
):
    register_instrument(_inst)


def instrument_ranges_frame() -> pd.DataFrame:
    """The registry as a table: instrument, item, low, high, kind ("item" or "score")."""
    rows = []
    for inst in INSTRUMENTS.values():
        for kind, mapping in (("item", inst.items), ("score", inst.scores)):
            for item, (lo, hi) in mapping.items():
                rows.append((inst.name, item, float(lo), float(hi), kind))
    return pd.DataFrame(rows, columns=["instrument", "item", "low", "high", "kind"])


__all__ = [
    "DAYS_PER_MONTH",
    "EL_ESCORIAL",
    "EVENTS",
    "INSTRUMENTS",
    "KEYS",
    "ONSET_SITES",
    "PAIN_SITES",
    "PAIN_TYPE_GROUPS",
    "RESPONDENTS",
    "PAIN_TYPES",
    "RULES",
    "SEXES",
    "TABLES",
    "TABLE_NAMES",
    "ColumnSpec",
    "Instrument",
    "column_schema",
    "empty_table",
    "instrument_ranges_frame",
    "register_instrument",
    "standardize",
]
