"""Scoring of the instruments used in ALS pain research: pure, vectorised functions.

Every function takes item values as a mapping of item name to array (a ``dict`` of arrays or a
wide ``DataFrame`` with one column per item) and returns arrays (or a DataFrame when given one).
Item values outside the item's range raise :class:`~alspaincohort.errors.InstrumentRangeError`
naming the item, the position and the value.

Missing items
-------------
A missing item (NaN) never counts as 0. The rule for each score is stated in its docstring:
sums and means of fixed item sets (ALSFRS-R, HADS, ADI-12, BDI-II, ALSAQ-40 scales, BPI severity)
are NaN when any item is missing (no prorating); BPI interference follows the published rule
(mean of the answered items when at least 4 of 7 are answered). Stages are NaN when any item they
need is missing, except that death gives stage 5 whatever the items.

Sources of each rule are in ``docs/sources.md`` section 2 and in each function's docstring.
Where a source is marked "unverified" there, the docstring says so.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, TypeAlias

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike, NDArray

from .errors import InstrumentRangeError, SchemaError
from .schema import (
    ADI12_ITEMS,
    ALSAQ40_SCALES,
    ALSFRS_ITEMS,
    ALSFRS_R_ITEMS,
    BDI2_ITEMS,
    BPI_INTERFERENCE_ITEMS,
    BPI_SEVERITY_ITEMS,
    DN4_EXAMINATION_ITEMS,
    DN4_INTERVIEW_ITEMS,
    HADS_A_ITEMS,
    HADS_D_ITEMS,
    INSTRUMENTS,
    RESPONDENTS,
)

Items: TypeAlias = Mapping[str, ArrayLike] | pd.DataFrame
FloatArray = NDArray[np.float64]

# short names of the ALSFRS-R items used by the staging rules
Q1, Q2, Q3, Q4, Q5A, Q5B, Q6, Q7, Q8, Q9, R1, R2, R3 = ALSFRS_R_ITEMS


# ----------------------------------------------------------------------------------------------
# helpers
# ----------------------------------------------------------------------------------------------
def _item(items: Items, name: str, instrument: str, required: bool = True) -> FloatArray:
    """One item as a float64 array, range-checked against the registry."""
    if name not in items:
        if not required:
            return np.full(_length(items), np.nan)
        raise InstrumentRangeError(f"{instrument}: item {name!r} is missing from the input")
    values = np.asarray(pd.to_numeric(pd.Series(np.asarray(items[name])), errors="raise"),
                        dtype=np.float64)
    lo, hi = INSTRUMENTS[instrument].ranges()[name]
    _check_range(values, lo, hi, f"{instrument} item {name!r}")
    return values


def _length(items: Items) -> int:
    for v in (items.values() if not isinstance(items, pd.DataFrame) else [items.index]):
        return len(np.asarray(v))
    return 0


def _check_range(values: FloatArray, lo: float, hi: float, what: str) -> None:
    bad = ~np.isnan(values) & ((values < lo) | (values > hi))
    if bad.any():
        pos = np.flatnonzero(bad)
        shown = ", ".join(f"position {p} value {values[p]:g}" for p in pos[:5])
        raise InstrumentRangeError(
            f"{what}: {len(pos)} value(s) outside [{lo:g}, {hi:g}]: {shown}"
            + (" ..." if len(pos) > 5 else "")
        )


def _sum_all(items: Items, names: Sequence[str], instrument: str) -> FloatArray:
    """Sum of the items; NaN where any is missing."""
    stack = np.column_stack([_item(items, n, instrument) for n in names])
    return stack.sum(axis=1)  # NaN propagates: a missing item gives NaN


def _output(items: Items, result: dict[str, Any]) -> Any:
    if isinstance(items, pd.DataFrame):
        return pd.DataFrame(result, index=items.index)
    return result


def _as_float(x: ArrayLike) -> FloatArray:
    return np.asarray(pd.to_numeric(pd.Series(np.asarray(x, dtype=object)), errors="raise"),
                      dtype=np.float64)


def _band(values: ArrayLike, edges: Sequence[float], labels: Sequence[str],
          lo: float, hi: float, what: str) -> pd.Categorical:
    """Ordered categorical band: ``labels[k]`` for edges[k-1] <= x < edges[k]; NaN stays NaN."""
    x = _as_float(values)
    _check_range(x, lo, hi, what)
    codes = np.searchsorted(np.asarray(edges, dtype=float), x, side="right")
    codes = np.where(np.isnan(x), -1, codes)
    return pd.Categorical.from_codes(codes, categories=list(labels), ordered=True)


# ----------------------------------------------------------------------------------------------
# ALSFRS-R and ALSFRS
# ----------------------------------------------------------------------------------------------
def alsfrs_item5(items: Items) -> tuple[FloatArray, NDArray[np.bool_]]:
    """Item 5 of the ALSFRS-R and whether it was scored with gastrostomy.

    Item 5 is answered as 5a (cutting food, no gastrostomy) or 5b (with gastrostomy), never
    both: a row with both raises. Returns (value, gastrostomy) where gastrostomy is True when
    5b was used.
    """
    a = _item(items, Q5A, "alsfrs_r", required=False)
    b = _item(items, Q5B, "alsfrs_r", required=False)
    both = ~np.isnan(a) & ~np.isnan(b)
    if both.any():
        pos = np.flatnonzero(both)
        raise InstrumentRangeError(
            f"alsfrs_r item 5: both 5a and 5b are given at position(s) {pos[:5].tolist()}; "
            "exactly one of them is answered"
        )
    gastro = ~np.isnan(b)
    return np.where(gastro, b, a), gastro


def alsfrs_r_scores(items: Items) -> Any:
    """ALSFRS-R total (0-48) and the four domain subscores (0-12 each).

    Domains (docs/sources.md section 2): bulbar = items 1-3, fine motor = items 4-6 (5 = 5a or
    5b), gross motor = 7-9, respiratory = R1-R3. A score is NaN when any of its items is missing.

    Returns
    -------
    dict or DataFrame with keys/columns ``total``, ``bulbar``, ``fine_motor``, ``gross_motor``,
    ``respiratory``.
    """
    q5, _ = alsfrs_item5(items)
    bulbar = _sum_all(items, (Q1, Q2, Q3), "alsfrs_r")
    fine = _item(items, Q4, "alsfrs_r") + q5 + _item(items, Q6, "alsfrs_r")
    gross = _sum_all(items, (Q7, Q8, Q9), "alsfrs_r")
    resp = _sum_all(items, (R1, R2, R3), "alsfrs_r")
    return _output(
        items,
        {
            "total": bulbar + fine + gross + resp,
            "bulbar": bulbar,
            "fine_motor": fine,
            "gross_motor": gross,
            "respiratory": resp,
        },
    )


def alsfrs_total(items: Items) -> FloatArray:
    """Original ALSFRS total (0-40): items 1-9 (5 = 5a or 5b) plus the single item 10.

    NaN when any item is missing.
    """
    q5, _ = alsfrs_item5(items)
    names = [n for n in ALSFRS_ITEMS if n not in (Q5A, Q5B)]
    stack = np.column_stack([_item(items, n, "alsfrs") for n in names] + [q5])
    return stack.sum(axis=1)


def kings_stage(
    items: Items, gastrostomy: ArrayLike | None = None, dead: ArrayLike | None = None
) -> FloatArray:
    """King's clinical stage (1-5) from ALSFRS-R items.

    Rules (Balendra 2014 as implemented in public code; unverified against the paper,
    docs/sources.md section 2): a region is involved when bulbar items 1+2+3 < 12, upper limb
    items 4+5 < 8, lower limb item 8 < 4; the stage is the number of involved regions, with 0
    recoded to 1. Stage 4 when gastrostomy (item 5b used, or ``gastrostomy`` True), dyspnea
    R1 = 0 or respiratory insufficiency R3 < 4. Stage 5 when ``dead``. The paper's split of 4
    into 4A (gastrostomy) / 4B (NIV) is not made.

    Missing: NaN when any of items 1, 2, 3, 4, 5 (a or b), 8, R1, R3 is missing, unless dead.
    """
    q5, used_5b = alsfrs_item5(items)
    q1, q2, q3 = (_item(items, n, "alsfrs_r") for n in (Q1, Q2, Q3))
    q4, q8 = _item(items, Q4, "alsfrs_r"), _item(items, Q8, "alsfrs_r")
    r1, r3 = _item(items, R1, "alsfrs_r"), _item(items, R3, "alsfrs_r")
    regions = (
        ((q1 + q2 + q3) < 12).astype(float)
        + ((q4 + q5) < 8).astype(float)
        + (q8 < 4).astype(float)
    )
    stage = np.maximum(regions, 1.0)
    gastro = used_5b.copy()
    if gastrostomy is not None:
        gastro |= np.asarray(gastrostomy, dtype=bool)
    stage = np.where(gastro | (r1 == 0) | (r3 < 4), 4.0, stage)
    missing = np.isnan(np.column_stack([q1, q2, q3, q4, q5, q8, r1, r3])).any(axis=1)
    stage = np.where(missing, np.nan, stage)
    if dead is not None:
        stage = np.where(np.asarray(dead, dtype=bool), 5.0, stage)
    return stage


def mitos_stage(items: Items, dead: ArrayLike | None = None) -> FloatArray:
    """MiToS stage (0-5) from ALSFRS-R items (Chiò 2015, Table 1).

    A functional domain is lost when: movement, walking (item 8) <= 1 OR dressing and hygiene
    (item 6) <= 1; swallowing, item 3 <= 1; communicating, speech (item 1) <= 1 AND handwriting
    (item 4) <= 1; breathing, dyspnea (R1) <= 1 OR respiratory insufficiency (R3) <= 2. The stage
    is the number of domains lost; 5 is death.

    Missing: NaN when any of items 1, 3, 4, 6, 8, R1, R3 is missing, unless dead.
    """
    q1, q3, q4, q6, q8, r1, r3 = (
        _item(items, n, "alsfrs_r") for n in (Q1, Q3, Q4, Q6, Q8, R1, R3)
    )
    movement = (q8 <= 1) | (q6 <= 1)
    swallowing = q3 <= 1
    communicating = (q1 <= 1) & (q4 <= 1)
    breathing = (r1 <= 1) | (r3 <= 2)
    stage = (
        movement.astype(float)
        + swallowing.astype(float)
        + communicating.astype(float)
        + breathing.astype(float)
    )
    missing = np.isnan(np.column_stack([q1, q3, q4, q6, q8, r1, r3])).any(axis=1)
    stage = np.where(missing, np.nan, stage)
    if dead is not None:
        stage = np.where(np.asarray(dead, dtype=bool), 5.0, stage)
    return stage


# ----------------------------------------------------------------------------------------------
# Pain
# ----------------------------------------------------------------------------------------------
def bpi_scores(items: Items) -> Any:
    """Brief Pain Inventory (short form) severity and interference, each 0-10.

    Severity = mean of worst, least, average and now; NaN when any of the four is missing.
    Interference = mean of the answered items among general activity, mood, walking ability,
    normal work, relations, sleep and enjoyment, valid when at least 4 of the 7 are answered
    (Cleeland's scoring rule, docs/sources.md section 2); NaN otherwise.

    Returns
    -------
    dict or DataFrame with ``severity`` and ``interference``.
    """
    sev = np.column_stack([_item(items, n, "bpi") for n in BPI_SEVERITY_ITEMS]).mean(axis=1)
    inter_items = np.column_stack(
        [_item(items, n, "bpi", required=False) for n in BPI_INTERFERENCE_ITEMS]
    )
    answered = (~np.isnan(inter_items)).sum(axis=1)
    total = np.nansum(inter_items, axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        inter = np.where(answered >= 4, total / np.maximum(answered, 1), np.nan)
    return _output(items, {"severity": sev, "interference": inter})


def bpi_severity_band(severity: ArrayLike) -> pd.Categorical:
    """BPI severity band: mild (< 5), moderate (5 to < 7), severe (>= 7).

    The published bands are 0-4 mild, 5-6 moderate, 7-10 severe on whole numbers; means between
    whole numbers fall in the band of the whole number below them (4.5 is mild, 6.75 moderate).
    """
    return _band(severity, [5, 7], ["mild", "moderate", "severe"], 0, 10, "BPI severity")


def pain_change_category(before: ArrayLike, after: ArrayLike) -> pd.Categorical:
    """IMMPACT category of a change in pain intensity, by % reduction from ``before``.

    >= 50% substantial, >= 30% moderate, >= 10% minimal, otherwise none (including increases).
    NaN where either value is missing or ``before`` is 0 (a % change is undefined).
    """
    b, a = _as_float(before), _as_float(after)
    with np.errstate(invalid="ignore", divide="ignore"):
        reduction = np.where(b > 0, 100.0 * (b - a) / b, np.nan)
    codes = np.searchsorted(np.array([10.0, 30.0, 50.0]), reduction, side="right")
    codes = np.where(np.isnan(reduction), -1, codes)
    return pd.Categorical.from_codes(
        codes, categories=["none", "minimal", "moderate", "substantial"], ordered=True
    )


def vas_mm_to_score(mm: ArrayLike) -> FloatArray:
    """VAS on the 100 mm line to the common 0-10 pain score (mm / 10)."""
    x = _as_float(mm)
    _check_range(x, 0, 100, "VAS (mm)")
    return x / 10.0


def score_to_vas_mm(score: ArrayLike) -> FloatArray:
    """The common 0-10 pain score back to VAS millimetres (score * 10)."""
    x = _as_float(score)
    _check_range(x, 0, 10, "pain score (0-10)")
    return x * 10.0


def at_least_moderate_pain(score: ArrayLike) -> NDArray[np.float64]:
    """1.0 where the 0-10 pain score is >= 4 ("at least moderate"), 0.0 below, NaN if missing."""
    x = _as_float(score)
    _check_range(x, 0, 10, "pain score (0-10)")
    return np.where(np.isnan(x), np.nan, (x >= 4).astype(float))


def paindetect_band(total: ArrayLike) -> pd.Categorical:
    """painDETECT: <= 12 neuropathic component unlikely, 13-18 uncertain, >= 19 likely."""
    return _band(total, [13, 19], ["unlikely", "uncertain", "likely"], -1, 38, "painDETECT")


# ----------------------------------------------------------------------------------------------
# Mood
# ----------------------------------------------------------------------------------------------
def hads_scores(items: Items) -> Any:
    """HADS anxiety (``a``) and depression (``d``) subscales, each the sum of 7 items (0-21).

    NaN when any item of the subscale is missing.
    """
    a = _sum_all(items, HADS_A_ITEMS, "hads") if HADS_A_ITEMS[0] in items else np.full(
        _length(items), np.nan
    )
    d = _sum_all(items, HADS_D_ITEMS, "hads") if HADS_D_ITEMS[0] in items else np.full(
        _length(items), np.nan
    )
    return _output(items, {"a": a, "d": d})


def hads_band(score: ArrayLike) -> pd.Categorical:
    """HADS subscale band: 0-7 normal, 8-10 borderline, >= 11 probable case."""
    return _band(score, [8, 11], ["normal", "borderline", "case"], 0, 21, "HADS subscale")


def adi12_total(items: Items) -> FloatArray:
    """ADI-12 total: sum of 12 items scored 1-4 (12 best, 48 worst); NaN if any is missing."""
    return _sum_all(items, ADI12_ITEMS, "adi12")


def adi12_band(total: ArrayLike) -> pd.Categorical:
    """ADI-12: < 23 none, 23-29 any depressive disorder, >= 30 major depression."""
    return _band(
        total,
        [23, 30],
        ["none", "depressive_disorder", "major_depression"],
        12,
        48,
        "ADI-12 total",
    )


def bdi2_total(items: Items) -> FloatArray:
    """BDI-II total: sum of 21 items scored 0-3 (0-63); NaN if any is missing."""
    return _sum_all(items, BDI2_ITEMS, "bdi2")


def bdi2_band(total: ArrayLike) -> pd.Categorical:
    """BDI-II: 0-13 minimal, 14-19 mild, 20-28 moderate, 29-63 severe."""
    return _band(
        total, [14, 20, 29], ["minimal", "mild", "moderate", "severe"], 0, 63, "BDI-II total"
    )


DEPRESSION_CUTOFFS: dict[tuple[str, str], dict[str, float]] = {
    ("hads", "d"): {"borderline": 8, "case": 11},
    ("adi12", "total"): {"depressive_disorder": 23, "major_depression": 30},
    ("bdi2", "total"): {"mild": 14, "moderate": 20, "severe": 29},
}
"""Published cut-offs of each depression instrument (instrument, score) -> {level: threshold}."""


def depression_case(score: ArrayLike, instrument: str = "hads", cutoff: float | str = 8) -> Any:
    """1.0 where a depression score is at or above a cut-off, 0.0 below, NaN when missing.

    ``cutoff`` is a number or a level name of :data:`DEPRESSION_CUTOFFS` (e.g. ``"case"`` for
    HADS-D >= 11, ``"major_depression"`` for ADI-12 >= 30).
    """
    key = {"hads": ("hads", "d"), "adi12": ("adi12", "total"), "bdi2": ("bdi2", "total")}
    if instrument not in key:
        raise InstrumentRangeError(
            f"unknown depression instrument {instrument!r}; one of {sorted(key)}"
        )
    levels = DEPRESSION_CUTOFFS[key[instrument]]
    threshold = levels[cutoff] if isinstance(cutoff, str) else float(cutoff)
    lo, hi = INSTRUMENTS[key[instrument][0]].scores[key[instrument][1]]
    x = _as_float(score)
    _check_range(x, lo, hi, f"{instrument} score")
    return np.where(np.isnan(x), np.nan, (x >= threshold).astype(float))


def dn4_scores(items: Items) -> Any:
    """DN4: ``total`` = sum of the 10 items (7 interview, 3 examination), each 0 (no) or 1
    (yes), 0-10; ``interview`` = sum of the 7 interview items, 0-7 (the self-report version).
    A score is NaN when any of its items is missing (Bouhassira 2005, docs/sources.md
    section 2).

    Examples
    --------
    >>> dn4_scores({name: [1, 0] for name in DN4_INTERVIEW_ITEMS + DN4_EXAMINATION_ITEMS})
    {'total': array([10.,  0.]), 'interview': array([7., 0.])}
    """
    return _output(items, {
        "total": _sum_all(items, DN4_INTERVIEW_ITEMS + DN4_EXAMINATION_ITEMS, "dn4"),
        "interview": _sum_all(items, DN4_INTERVIEW_ITEMS, "dn4")})


DN4_CUTOFFS = {"total": 4.0, "interview": 3.0}
"""Neuropathic pain likely at or above: total >= 4 of 10, interview >= 3 of 7 (Bouhassira
2005)."""


def dn4_neuropathic(score: ArrayLike, version: str = "total") -> NDArray[np.float64]:
    """1.0 where a DN4 score reaches its cut-off (total >= 4, interview >= 3), 0.0 below, NaN
    when missing."""
    if version not in DN4_CUTOFFS:
        raise InstrumentRangeError(f"DN4 version must be 'total' or 'interview', not "
                                   f"{version!r}")
    x = _as_float(score)
    _check_range(x, *INSTRUMENTS["dn4"].scores[version], f"DN4 {version}")
    return np.where(np.isnan(x), np.nan, (x >= DN4_CUTOFFS[version]).astype(float))


# ----------------------------------------------------------------------------------------------
# Quality of life
# ----------------------------------------------------------------------------------------------
def alsaq40_scores(items: Items) -> Any:
    """ALSAQ-40 scale scores 0-100 (higher = worse) and their mean, the summary index.

    Items are scored 0 (never) to 4 (always / cannot do at all). Each scale is
    100 * sum(items) / (4 * number of items): physical mobility 1-10, ADL/independence 11-20,
    eating and drinking 21-23, communication 24-30, emotional reactions 31-40 (Jenkinson 1999;
    transform unverified, docs/sources.md section 2). A scale is NaN when any of its items is
    missing; the summary index is NaN when any scale is.

    Returns
    -------
    dict or DataFrame with one key/column per scale and ``summary_index``.
    """
    out: dict[str, FloatArray] = {}
    for scale, (first, last) in ALSAQ40_SCALES.items():
        names = [f"q{i}" for i in range(first, last + 1)]
        out[scale] = 100.0 * _sum_all(items, names, "alsaq40") / (4.0 * len(names))
    out["summary_index"] = np.column_stack(list(out.values())).mean(axis=1)
    return _output(items, out)


# ----------------------------------------------------------------------------------------------
# DataFrame layer: long assessments -> derived scores
# ----------------------------------------------------------------------------------------------
_SCORERS: dict[str, Any] = {
    "alsfrs_r": alsfrs_r_scores,
    "alsfrs": lambda items: {"total": alsfrs_total(items)},
    "bpi": bpi_scores,
    "hads": hads_scores,
    "adi12": lambda items: {"total": adi12_total(items)},
    "bdi2": lambda items: {"total": bdi2_total(items)},
    "alsaq40": alsaq40_scores,
    "dn4": dn4_scores,
    "vas_pain": lambda items: {"total": vas_mm_to_score(items["mm"])},
}


def wide_items(assessments: pd.DataFrame, instrument: str) -> pd.DataFrame:
    """Item rows of one instrument as one row per (patient_id, day), one column per item.

    Score rows (``derived`` or named like a score) are left out.
    """
    inst = INSTRUMENTS[instrument]
    rows = assessments[
        (assessments["instrument"] == instrument) & assessments["item"].isin(list(inst.items))
    ]
    if rows.empty:
        return pd.DataFrame(columns=list(inst.items), index=pd.MultiIndex.from_tuples(
            [], names=["patient_id", "day"]), dtype=float)
    wide = rows.pivot_table(
        index=["patient_id", "day"], columns="item", values="value", aggfunc="first",
        observed=True,
    )
    wide.columns = [str(c) for c in wide.columns]
    return wide.astype(np.float64)


def derive_scores(assessments: pd.DataFrame, instruments: Sequence[str] | None = None
                  ) -> pd.DataFrame:
    """Scores computed from item rows, as long rows marked ``derived=True``.

    For each instrument with item rows (ALSFRS-R, ALSFRS, BPI, HADS, ADI-12, BDI-II, ALSAQ-40,
    VAS in mm), the items of each (patient_id, day) are scored by the functions above. Scores
    that cannot be computed (missing items) are left out rather than stored as NaN. With a
    ``respondent`` column the items of each respondent are scored apart (a caregiver's items
    never fill in the patient's; a missing respondent is the patient) and the scores keep it.

    Returns
    -------
    DataFrame with columns patient_id, day, instrument, item, value, derived (and respondent
    when the input has it).
    """
    if "respondent" in assessments.columns:
        who = assessments["respondent"].astype("object").where(
            assessments["respondent"].notna(), "patient")
        unknown = sorted(set(who) - set(RESPONDENTS), key=str)
        if unknown:  # their rows would otherwise be scored under nobody, i.e. lost
            raise SchemaError(f"assessments.respondent: {unknown} not among {RESPONDENTS} "
                              "(rule 'allowed_values')")
        parts = [derive_scores(assessments[who == r].drop(columns="respondent"), instruments)
                 .assign(respondent=r) for r in RESPONDENTS if (who == r).any()]
        out = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(
            columns=["patient_id", "day", "instrument", "item", "value", "derived"])
        out["respondent"] = pd.Categorical(out.get("respondent", []), categories=RESPONDENTS)
        return out
    chosen = list(_SCORERS) if instruments is None else list(instruments)
    pieces = []
    for name in chosen:
        wide = wide_items(assessments, name)
        if wide.empty:
            continue
        scores = pd.DataFrame(_SCORERS[name](wide), index=wide.index)
        long = scores.stack(future_stack=True).rename("value").reset_index()
        long.columns = ["patient_id", "day", "item", "value"]
        long = long[long["value"].notna()]
        long.insert(2, "instrument", name)
        long["derived"] = True
        pieces.append(long)
    if not pieces:
        return pd.DataFrame(columns=["patient_id", "day", "instrument", "item", "value", "derived"])
    return pd.concat(pieces, ignore_index=True)
