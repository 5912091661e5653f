"""Exposure definitions for prescription registers: ATC drug classes, lagged windows, and
cumulative-dose and time-since-first categories.

Drug classes (:data:`EXPOSURE_CLASSES`)
---------------------------------------
Each class is a set of ATC codes or prefixes of the WHO ATC/DDD Index; a dispensing belongs to
a class when its ATC code starts with one of them. Classes may overlap (amitriptyline, N06AA09,
is both an antidepressant and a drug for neuropathic pain); each is analysed on its own, as the
register studies of pain drugs before ALS do. Sources are cited in each class's ``source`` and in
full in ``docs/sources.md`` section 6.

Windows (:class:`Window`)
-------------------------
A window is a period relative to each person's index date (the case's diagnosis date, shared by
the controls of the set): a dispensing on date d is in window [a, b) years when
index + round(365.25 a) <= d < index + round(365.25 b) (days; ``a`` may be ``None``: ever
before). The default windows are those the review's reverse-causation argument needs:
[-10, -2) years (the lagged window of the register study the review cites), ever before -2
years, and [-2, 0) years (the prodromal years, where pain from the disease itself drives
prescriptions).

Categories
----------
- cumulative DDD in the window (:data:`DDD_CUTS`: none, (0, 100], (100, 365], > 365 DDD; the
  defined daily dose of the WHO index, so 365 DDD is a year of use at the standard dose);
- time from the first dispensing (ever before the window's end) to the index date
  (:data:`SINCE_FIRST_CUTS`: never, < 5, 5-10, >= 10 years before the index date, all
  counted from before the lag).

References
----------
WHO Collaborating Centre for Drug Statistics Methodology. Guidelines for ATC classification and
DDD assignment 2024. Oslo: Norwegian Institute of Public Health; 2023.
Finnerup NB, Attal N, Haroutounian S, et al. Pharmacotherapy for neuropathic pain in adults: a
systematic review and meta-analysis. Lancet Neurol 2015;14(2):162-173.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from ..errors import ParameterError

DAYS_PER_YEAR = 365.25

ATC_PATTERN = re.compile(r"^[A-Z](?:\d{2}(?:[A-Z](?:[A-Z](?:\d{2})?)?)?)?$")
"""A valid ATC code or prefix: anatomical group (A), therapeutic subgroup (A01),
pharmacological (A01A), chemical (A01AA) or substance (A01AA01) level, upper case."""

ATC_SQL_PATTERN = r"^[A-Z]([0-9]{2}([A-Z]([A-Z]([0-9]{2})?)?)?)?$"
""":data:`ATC_PATTERN` for DuckDB's ``regexp_full_match``."""


@dataclass(frozen=True)
class ExposureClass:
    """A drug class of a prescription register: its ATC codes or prefixes and its source."""

    name: str
    codes: tuple[str, ...]
    label: str
    source: str


EXPOSURE_CLASSES: dict[str, ExposureClass] = {c.name: c for c in (
    ExposureClass("gabapentinoids", ("N03AX12", "N03AX16"), "gabapentin, pregabalin",
                  "WHO ATC index (N03AX12 gabapentin, N03AX16 pregabalin); the drugs of the "
                  "register study the review cites (mainly gabapentin); Finnerup 2015 first line"),
    ExposureClass("other_neuropathic", ("N06AA09", "N06AA10", "N06AX21", "N06AX16", "N03AF01"),
                  "tricyclics (amitriptyline, nortriptyline), SNRIs (duloxetine, venlafaxine), "
                  "carbamazepine",
                  "Finnerup 2015 (first-line tricyclics and SNRIs; carbamazepine for trigeminal "
                  "neuralgia); WHO ATC index codes"),
    ExposureClass("opioids", ("N02A",), "opioids (N02A)", "WHO ATC index, N02A Opioids"),
    ExposureClass("nsaids", ("M01A",), "NSAIDs (M01A)",
                  "WHO ATC index, M01A Anti-inflammatory and antirheumatic products, "
                  "non-steroids"),
    ExposureClass("antidepressants", ("N06A",), "antidepressants (N06A)",
                  "WHO ATC index, N06A Antidepressants"),
    ExposureClass("muscle_relaxants", ("M03",), "muscle relaxants (M03)",
                  "WHO ATC index, M03 Muscle relaxants (baclofen, tizanidine, dantrolene: the "
                  "review's antispastic drugs)"),
    ExposureClass("quinine", ("P01BC01",), "quinine", "WHO ATC index P01BC01; the review's "
                  "treatment of cramps (its Table 1)"),
    ExposureClass("mexiletine", ("C01BB02",), "mexiletine", "WHO ATC index C01BB02; the "
                  "review's treatment of cramps (its Table 1)"),
    ExposureClass("cannabinoids", ("N02BG10", "A04AD10", "A04AD11", "N03AX24"),
                  "cannabinoids (nabiximols, dronabinol, nabilone, cannabidiol)",
                  "WHO ATC index (N02BG10 cannabinoids, A04AD10 dronabinol, A04AD11 nabilone, "
                  "N03AX24 cannabidiol); the review's cannabinoids"),
)}
"""The register exposure classes, by name (see the module docstring)."""


def classes_of(code: Any) -> list[str]:
    """The exposure classes an ATC code belongs to (possibly several, possibly none).

    Examples
    --------
    >>> classes_of("N06AA09")
    ['other_neuropathic', 'antidepressants']
    >>> classes_of("C10AA01")
    []
    """
    text = str(code)
    return [c.name for c in EXPOSURE_CLASSES.values()
            if any(text.startswith(p) for p in c.codes)]


def check_classes(classes: Any, name: str = "classes") -> tuple[str, ...]:
    """Exposure class names (default all) as a tuple; :class:`ParameterError` naming the
    unknown ones otherwise."""
    if classes is None:
        return tuple(EXPOSURE_CLASSES)
    names = (classes,) if isinstance(classes, str) else tuple(classes)
    unknown = [c for c in names if c not in EXPOSURE_CLASSES]
    if unknown or not names:
        raise ParameterError(f"{name}: unknown exposure class(es) {unknown or names}: use "
                             f"{list(EXPOSURE_CLASSES)}")
    return names


def class_table(codes: Any, classes: tuple[str, ...]) -> pd.DataFrame:
    """For distinct ATC codes, one row per (atc, exposure_class) pair they belong to.

    Returns
    -------
    DataFrame
        atc, exposure_class.
    """
    rows = [(c, k) for c in codes for k in classes_of(c) if k in classes]
    return pd.DataFrame(rows, columns=["atc", "exposure_class"])


def years_to_days(years: float) -> int:
    """round(365.25 x years), the one conversion of window bounds to days."""
    return int(round(DAYS_PER_YEAR * years))


@dataclass(frozen=True)
class Window:
    """A period relative to the index date, [start_years, end_years) (see the module
    docstring).

    Parameters
    ----------
    start_years : float or None
        Start, in years relative to the index date (negative: before); ``None``: ever before.
    end_years : float
        End (excluded); <= 0 for windows before the index date.
    name : str, optional
        Label; default "[-10, -2) y" or "ever before -2 y".

    Examples
    --------
    >>> w = Window(-10, -2)
    >>> w.name, w.start_day, w.end_day
    ('[-10, -2) y', -3652, -730)
    """

    start_years: float | None
    end_years: float
    name: str = ""

    def __post_init__(self) -> None:
        for label, v in (("start_years", self.start_years), ("end_years", self.end_years)):
            if v is not None and (isinstance(v, bool) or not isinstance(v, (int, float))
                                  or not math.isfinite(v)):
                raise ParameterError(f"Window {label} must be a finite number of years, not "
                                     f"{v!r}")
        if self.end_years is None:
            raise ParameterError("Window end_years must be a number of years, not None")
        if self.start_years is not None and self.start_years >= self.end_years:
            raise ParameterError(f"Window start_years ({self.start_years}) must be before "
                                 f"end_years ({self.end_years})")
        if self.end_years > 0:
            raise ParameterError(f"Window end_years ({self.end_years}) must be <= 0: exposure "
                                 "windows end at or before the index date")
        if not self.name:
            object.__setattr__(self, "name", self.default_name())

    def default_name(self) -> str:
        def num(v: float) -> str:
            return f"{v:g}"

        if self.start_years is None:
            return f"ever before {num(self.end_years)} y"
        return f"[{num(self.start_years)}, {num(self.end_years)}) y"

    @property
    def start_day(self) -> int | None:
        """The first day of the window relative to the index date (None: no start)."""
        return None if self.start_years is None else years_to_days(self.start_years)

    @property
    def end_day(self) -> int:
        """The first day after the window, relative to the index date."""
        return years_to_days(self.end_years)


DEFAULT_WINDOWS = (Window(-10, -2), Window(None, -2), Window(-2, 0))
"""The lagged window, ever before the lag, and the prodromal years (module docstring)."""


def check_windows(windows: Any) -> tuple[Window, ...]:
    """Windows as a tuple of :class:`Window` with distinct names; a (start, end) pair is read
    as ``Window(start, end)``."""
    if isinstance(windows, Window):
        windows = (windows,)
    if windows is None or isinstance(windows, (str, bytes)):
        raise ParameterError(f"windows must be Window objects or (start_years, end_years) "
                             f"pairs, not {windows!r}")
    out = []
    for w in windows:
        if isinstance(w, Window):
            out.append(w)
        elif isinstance(w, (tuple, list)) and len(w) == 2:
            out.append(Window(w[0], w[1]))
        else:
            raise ParameterError(f"windows: {w!r} is not a Window or a (start_years, "
                                 "end_years) pair")
    names = [w.name for w in out]
    if not out or len(set(names)) != len(names):
        raise ParameterError(f"windows must be at least one, with distinct names: {names}")
    return tuple(out)


DDD_CUTS = (0.0, 100.0, 365.0)
"""Cumulative DDD categories in a window: none; (0, 100]; (100, 365]; > 365."""
DDD_LABELS = ("none", "1-100 DDD", "101-365 DDD", ">365 DDD")
SINCE_FIRST_CUTS = (5.0, 10.0)
"""Years from the first dispensing to the index date: < 5, 5-10, >= 10 (and never)."""
SINCE_FIRST_LABELS = ("never", "<5 y", "5-10 y", ">=10 y")


def ddd_category(ddd: Any) -> pd.Categorical:
    """Cumulative DDD (0 for none) into :data:`DDD_LABELS`.

    Examples
    --------
    >>> list(ddd_category([0, 30, 100, 100.5, 400]))
    ['none', '1-100 DDD', '1-100 DDD', '101-365 DDD', '>365 DDD']
    """
    v = np.asarray(ddd, dtype=float)
    if np.any(~np.isfinite(v) | (v < 0)):
        raise ParameterError("cumulative DDD must be finite and >= 0")
    codes = np.searchsorted(np.array(DDD_CUTS), v, side="left")
    return pd.Categorical.from_codes(codes, categories=list(DDD_LABELS))


def since_first_category(years: Any) -> pd.Categorical:
    """Years from the first dispensing to the index date (NaN: never) into
    :data:`SINCE_FIRST_LABELS`.

    Examples
    --------
    >>> list(since_first_category([np.nan, 2.5, 5.0, 12]))
    ['never', '<5 y', '5-10 y', '>=10 y']
    """
    v = np.asarray(years, dtype=float)
    codes = np.where(np.isnan(v), 0, 1 + np.searchsorted(np.array(SINCE_FIRST_CUTS), v,
                                                          side="right"))
    return pd.Categorical.from_codes(codes, categories=list(SINCE_FIRST_LABELS))
