"""Synthetic population registers with ALS cases, controls and dispensing histories, with a
planted exposure-ALS effect in a lag window (or none), for testing the pre-diagnostic designs
on known truth. The data are synthetic: no person in them exists.

The model
---------
Population
    ``n_people`` persons, half women, born uniformly in 1925-1985, in 21 regions of unequal
    size, observed from the register's start (2005-07-01; immigrants, 8%, later) until death
    (Gompertz hazard exp(-10.5 + 0.095 age) per year), emigration (0.3% per year) or the end of
    follow-up (2019-12-31): 14.5 calendar years of dispensings.
Dispensings
    Treatment courses start at a rate per person-year that rises with age (``COURSES``: each
    register exposure class of :mod:`alspaincohort.registers.exposure`, with the ATC codes of
    its usual drugs, and background chronic and acute drugs: statins, antihypertensives,
    antibiotics, ...), each with a geometric number of dispensings a drawn interval apart
    (jittered 0.8-1.2x) and a DDD per dispensing; dispensings after exit are not recorded.
    Around 50 dispensings per person, as a national prescribed-drug register.
ALS
    Incidence by age band (:data:`ALS_INCIDENCE`, per 100,000 person-years, times 1.3 in men,
    times ``als_incidence_scale``), multiplied by ``effect_hr`` while the person has a
    dispensing of ``effect_class`` in ``effect_window`` before the current date (the planted
    effect: exactly the exposure "any dispensing in [-10, -2) years" of the designs). Drawn by
    thinning a Poisson process at the person's maximal rate, so the exposure is time-varying.
    A case is followed after diagnosis for a gamma-distributed survival (median ~30 months).
Reverse causation
    A share ``prodromal_share`` of cases starts a pain-drug course (gabapentinoid, opioid or
    NSAID) in the two years before diagnosis: prodromal pain, which no lag of 2 years or more
    sees, and which a window reaching the index date mistakes for an effect (the review's
    argument for the lag).

Presets: ``"registry"`` (gabapentinoids, HR 1.84 in [-10, -2) years, the review's figure) and
``"registry_null"`` (HR 1: no effect, prodromal use kept).

Why not built from the cohort generator: that one draws clinic visits of ALS patients from
baseline on; a register draws a whole population's calendar time, where ALS is rare.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..errors import ParameterError
from ..registers.exposure import EXPOSURE_CLASSES, Window
from ..validation import check_integer, check_positive

EPOCH = np.datetime64("1970-01-01", "D")
START = np.datetime64("2005-07-01", "D")
END = np.datetime64("2019-12-31", "D")
YEAR = 365.25

ALS_INCIDENCE = ((0, 40, 0.4), (40, 50, 1.5), (50, 60, 4.0), (60, 70, 8.5), (70, 80, 10.5),
                 (80, 200, 6.5))
"""ALS incidence per 100,000 person-years by age band [low, high) in women (men x 1.3):
the shape of population-based European registers (rising to a peak at 70-79)."""

COURSES: tuple[tuple[str, tuple[str, ...], float, float, float, float, float], ...] = (
    # name, ATC codes, courses per person-year at 50, per-year age slope (log), mean
    # dispensings per course, days between dispensings, DDD per dispensing
    ("gabapentinoids", ("N03AX12", "N03AX12", "N03AX16"), 0.010, 0.03, 5, 45, 30),
    ("other_neuropathic", ("N06AA09", "N06AX21", "N06AX16", "N03AF01"), 0.008, 0.02, 5, 60, 30),
    ("opioids", ("N02AX02", "N02AA05", "N02AJ06", "N02AA01"), 0.045, 0.03, 2, 30, 15),
    ("nsaids", ("M01AE01", "M01AE02", "M01AB05", "M01AH01"), 0.10, 0.0, 1.5, 30, 20),
    ("antidepressants", ("N06AB04", "N06AB06", "N06AX11", "N06AB10"), 0.025, 0.0, 8, 90, 90),
    ("muscle_relaxants", ("M03BX01", "M03BX02"), 0.004, 0.02, 4, 60, 30),
    ("quinine", ("P01BC01",), 0.002, 0.05, 3, 90, 60),
    ("mexiletine", ("C01BB02",), 0.0002, 0.0, 3, 90, 60),
    ("cannabinoids", ("N02BG10", "A04AD11"), 0.0005, 0.0, 3, 60, 20),
    ("chronic", ("C10AA01", "C10AA05", "C09AA02", "C07AB02", "C08CA01", "B01AC06", "A10BA02",
                 "H03AA01", "A02BC01", "R03AK06", "C03CA01", "G04CA02"), 0.165, 0.04, 22, 90, 90),
    ("acute", ("J01CA04", "J01CE02", "J01FA09", "J01MA02", "D07AC01", "R06AE07", "S01AA01"),
     0.40, 0.01, 1, 1, 7),
)
"""The treatment courses drawn (see the module docstring)."""

ATC_CODES: tuple[str, ...] = tuple(dict.fromkeys(c for course in COURSES for c in course[1]))
"""Every ATC code the courses dispense (the categories of the ``atc`` column)."""

PRESETS: dict[str, dict[str, Any]] = {
    "registry": {"effect_class": "gabapentinoids", "effect_hr": 1.84,
                 "effect_window": (-10.0, -2.0)},
    "registry_null": {"effect_class": "gabapentinoids", "effect_hr": 1.0,
                      "effect_window": (-10.0, -2.0)},
}
"""Synthetic register presets: a planted effect, and none."""

CHUNK = 100_000
"""Persons generated together (each chunk its own random stream: output depends on the number
of persons and the seed only)."""


@dataclass
class SyntheticRegister:
    """A synthetic register: the two tables (frames, or the Parquet paths written) and the
    truth planted in it.

    Attributes
    ----------
    persons, dispensings : DataFrame or Path
        As :func:`alspaincohort.registers.load_register` reads them.
    truth : dict
        effect_class, effect_hr, effect_window (years), n_people, n_cases, n_dispensings,
        seed, preset and every parameter.
    """

    persons: pd.DataFrame | Path
    dispensings: pd.DataFrame | Path
    truth: dict[str, Any] = field(default_factory=dict)


def simulate_register(n_people: int = 20_000, *, seed: int = 0, preset: str = "registry",
                      out: str | Path | None = None, effect_class: str | None = None,
                      effect_hr: float | None = None,
                      effect_window: tuple[float, float] | None = None,
                      als_incidence_scale: float = 1.0, prodromal_share: float = 0.25,
                      ) -> SyntheticRegister:
    """Simulate a population register (see the module docstring for the model).

    Parameters
    ----------
    n_people : int
        Persons in the population.
    seed : int
        The same seed gives identical tables.
    preset : {"registry", "registry_null"}
        Planted effect (HR 1.84 of gabapentinoids in [-10, -2) years) or none.
    out : path, optional
        A directory: write ``persons.parquet`` and ``dispensings.parquet`` there (row groups
        of 100,000 persons' dispensings: the memory stays that of one chunk) and return their
        paths. Default: return DataFrames.
    effect_class, effect_hr, effect_window : optional
        Override the preset's planted effect (class of :data:`EXPOSURE_CLASSES`, hazard ratio
        > 0, (start, end) years before the current date).
    als_incidence_scale : float
        Multiplies the ALS incidence (tests use ~30 to have hundreds of cases in small
        populations).
    prodromal_share : float
        Share of cases with a pain-drug course in the two years before diagnosis.

    Returns
    -------
    SyntheticRegister

    Examples
    --------
    >>> sim = simulate_register(3000, seed=2, als_incidence_scale=30)
    >>> sorted(sim.persons.columns)
    ['als_date', 'birth_year', 'entry_date', 'exit_date', 'person_id', 'region', 'sex']
    >>> list(sim.dispensings.columns), sim.truth["effect_hr"]
    (['person_id', 'date', 'atc', 'ddd'], 1.84)
    """
    n = check_integer(n_people, "n_people", low=1)
    seed = check_integer(seed, "seed", low=0)
    if preset not in PRESETS:
        raise ParameterError(f"unknown preset {preset!r}: use one of {list(PRESETS)}")
    spec = dict(PRESETS[preset])
    for key, value in (("effect_class", effect_class), ("effect_hr", effect_hr),
                       ("effect_window", effect_window)):
        if value is not None:
            spec[key] = value
    if spec["effect_class"] not in EXPOSURE_CLASSES:
        raise ParameterError(f"effect_class {spec['effect_class']!r} is not one of "
                             f"{list(EXPOSURE_CLASSES)}")
    hr = check_positive(spec["effect_hr"], "effect_hr")
    window = Window(*spec["effect_window"])
    if window.start_years is None:
        raise ParameterError("effect_window needs a start (years before the current date)")
    scale = check_positive(als_incidence_scale, "als_incidence_scale")
    if not 0 <= float(prodromal_share) <= 1:
        raise ParameterError(f"prodromal_share must be in [0, 1], not {prodromal_share!r}")
    params = {"effect_class": spec["effect_class"], "effect_hr": hr,
              "effect_window": (window.start_years, window.end_years),
              "als_incidence_scale": scale, "prodromal_share": float(prodromal_share)}
    streams = np.random.SeedSequence(seed).spawn((n + CHUNK - 1) // CHUNK)
    writer = None
    persons_parts, disp_parts = [], []
    n_disp = 0
    out_dir = Path(out) if out is not None else None
    try:
        for k, ss in enumerate(streams):
            lo, hi = k * CHUNK, min(n, (k + 1) * CHUNK)
            persons, disp = _chunk(np.random.default_rng(ss), lo, hi - lo, params, window)
            n_disp += len(disp)
            if out_dir is None:
                persons_parts.append(persons)
                disp_parts.append(disp)
                continue
            import pyarrow as pa
            import pyarrow.parquet as pq

            # dates as Parquet DATE, as registers store them (a timestamp costs a check that
            # it holds no time of day on every row)
            table = pa.Table.from_pandas(disp, preserve_index=False)
            table = table.set_column(1, "date", table.column("date").cast(pa.date32()))
            if writer is None:
                out_dir.mkdir(parents=True, exist_ok=True)
                writer = pq.ParquetWriter(out_dir / "dispensings.parquet", table.schema)
            writer.write_table(table)
            persons_parts.append(persons)
    finally:
        if writer is not None:
            writer.close()
    persons_all = pd.concat(persons_parts, ignore_index=True)
    truth = {**params, "preset": preset, "seed": seed, "n_people": n,
             "n_cases": int(persons_all["als_date"].notna().sum()), "n_dispensings": n_disp}
    if out_dir is None:
        return SyntheticRegister(persons_all, pd.concat(disp_parts, ignore_index=True), truth)
    import pyarrow as pa
    import pyarrow.parquet as pq

    ptable = pa.Table.from_pandas(persons_all, preserve_index=False)
    for name in ("entry_date", "exit_date", "als_date"):
        i = ptable.schema.get_field_index(name)
        ptable = ptable.set_column(i, name, ptable.column(name).cast(pa.date32()))
    pq.write_table(ptable, out_dir / "persons.parquet")
    return SyntheticRegister(out_dir / "persons.parquet", out_dir / "dispensings.parquet", truth)


def _dates(days: np.ndarray) -> np.ndarray:
    return (EPOCH + days.astype("timedelta64[D]")).astype("datetime64[s]")


def _incidence(age: np.ndarray) -> np.ndarray:
    """ALS incidence per person-day at ``age`` (years), women."""
    out = np.zeros_like(age, dtype=float)
    for low, high, rate in ALS_INCIDENCE:
        out[(age >= low) & (age < high)] = rate
    return out / 1e5 / YEAR


def _chunk(rng: np.random.Generator, first_id: int, n: int, params: dict[str, Any],
           window: Window) -> tuple[pd.DataFrame, pd.DataFrame]:
    start, end = int((START - EPOCH).astype(int)), int((END - EPOCH).astype(int))
    male = rng.random(n) < 0.5
    birth_year = rng.integers(1925, 1986, n)
    birth = ((birth_year - 1970).astype("datetime64[Y]").astype("datetime64[D]")
             - EPOCH).astype(np.int64) + rng.integers(0, 365, n)
    sizes = 1.0 / (np.arange(21) + 3.0)
    region = rng.choice(21, size=n, p=sizes / sizes.sum())
    immigrant = rng.random(n) < 0.08
    entry = np.where(immigrant, start + rng.integers(0, end - start, n), start)
    age_entry = (entry - birth) / YEAR
    # Gompertz death: H(a, a + t) = (exp(c + b (a + t)) - exp(c + b a)) / b per year
    b, c = 0.095, -10.5
    e = rng.exponential(1.0, n)
    t_death = np.log(e * b / np.exp(c + b * age_entry) + 1.0) / b * YEAR
    t_emig = rng.exponential(1 / 0.003, n) * YEAR
    exit_ = np.maximum(np.minimum(entry + np.minimum(t_death, t_emig).astype(np.int64), end),
                       entry + 1)
    # treatment courses
    course_rows = []
    fu_years = (exit_ - entry) / YEAR
    mid_age = age_entry + fu_years / 2
    for ci, (_name, codes, rate, slope, mean_n, _gap, _ddd) in enumerate(COURSES):
        lam = rate * np.exp(slope * (mid_age - 50)) * fu_years
        count = rng.poisson(lam)
        who = np.repeat(np.arange(n), count)
        m = len(who)
        course_rows.append(pd.DataFrame({
            "who": who, "course": ci,
            "start": entry[who] + (rng.random(m) * (exit_[who] - entry[who])).astype(np.int64),
            "n": rng.geometric(1.0 / mean_n, m) if mean_n > 1 else np.ones(m, dtype=np.int64),
            "code": rng.integers(0, len(codes), m)}))
    courses = pd.concat(course_rows, ignore_index=True)
    disp = _expand(rng, courses, exit_)
    # ALS by thinning, exposure: a dispensing of the effect class in the window
    prefixes = EXPOSURE_CLASSES[params["effect_class"]].codes
    in_class = np.isin(disp["atc"].to_numpy(),
                       [i for i, c in enumerate(ATC_CODES) if c.startswith(prefixes)])
    ex_who = disp["who"].to_numpy()[in_class]
    ex_day = disp["day"].to_numpy()[in_class]
    key = ex_who.astype(np.int64) * 100_000 + ex_day
    key.sort()
    sex_hr = np.where(male, 1.3, 1.0)
    hr = params["effect_hr"]
    peak = np.array([r for _, _, r in ALS_INCIDENCE]).max()
    hmax = peak / 1e5 / YEAR * sex_hr * params["als_incidence_scale"] * max(hr, 1.0)
    n_cand = rng.poisson(hmax * (exit_ - entry))
    cw = np.repeat(np.arange(n), n_cand)
    ct = entry[cw] + np.ceil(rng.random(len(cw)) * (exit_[cw] - entry[cw])).astype(np.int64)
    age_t = (ct - birth[cw]) / YEAR
    lo, hi = window.start_day, window.end_day
    base = cw.astype(np.int64) * 100_000
    exposed = np.searchsorted(key, base + ct + hi, side="left") > np.searchsorted(
        key, base + ct + lo, side="left")
    h = _incidence(age_t) * sex_hr[cw] * params["als_incidence_scale"] * np.where(exposed, hr, 1)
    accept = rng.random(len(cw)) < h / hmax[cw]
    als = np.full(n, -1, dtype=np.int64)
    if accept.any():
        a_who, a_t = cw[accept], ct[accept]
        order = np.lexsort((a_t, a_who))
        a_who, a_t = a_who[order], a_t[order]
        first = np.r_[True, a_who[1:] != a_who[:-1]]
        als[a_who[first]] = a_t[first]
    case = als >= 0
    survival = rng.gamma(2.0, 544.0, n).astype(np.int64) + 1  # median ~913 days
    exit_ = np.where(case, np.minimum(exit_, als + survival), exit_)
    # prodromal pain-drug courses in the two years before diagnosis
    pro = case & (rng.random(n) < params["prodromal_share"])
    pw = np.flatnonzero(pro)
    lag2 = int(round(2 * YEAR))
    pstart = np.maximum(als[pw] - rng.integers(1, lag2 + 1, len(pw)), entry[pw])
    kinds = {"gabapentinoids": 0.4, "opioids": 0.3, "nsaids": 0.3}
    names = [c[0] for c in COURSES]
    pc = rng.choice([names.index(k) for k in kinds], size=len(pw), p=list(kinds.values()))
    prodromal = pd.DataFrame({"who": pw, "course": pc, "start": pstart,
                              "n": rng.geometric(1 / 4, len(pw)),
                              "code": rng.integers(0, 2, len(pw))})
    disp = pd.concat([disp, _expand(rng, prodromal, exit_)], ignore_index=True)
    disp = disp[disp["day"].to_numpy() <= exit_[disp["who"].to_numpy()]]
    disp = disp.sort_values(["who", "day"], kind="stable", ignore_index=True)
    ids = np.arange(first_id + 1, first_id + n + 1, dtype=np.int64)
    persons = pd.DataFrame({
        "person_id": ids,
        "sex": np.where(male, "male", "female"),
        "birth_year": birth_year.astype(np.int32),
        "region": np.char.add("R", np.char.zfill((region + 1).astype(str), 2)),
        "entry_date": _dates(entry), "exit_date": _dates(exit_),
        "als_date": pd.Series(_dates(np.where(case, als, 0))).where(case)})
    dispensings = pd.DataFrame({"person_id": ids[disp["who"].to_numpy()],
                                "date": _dates(disp["day"].to_numpy()),
                                "atc": pd.Categorical.from_codes(disp["atc"].to_numpy(),
                                                                 categories=list(ATC_CODES)),
                                "ddd": disp["ddd"].to_numpy()})
    return persons, dispensings


def _expand(rng: np.random.Generator, courses: pd.DataFrame, exit_: np.ndarray
            ) -> pd.DataFrame:
    """One row per dispensing of each course: dates start + jittered intervals, recorded up to
    the person's exit."""
    n = courses["n"].to_numpy().astype(np.int64)
    total = int(n.sum())
    if total == 0:
        return pd.DataFrame({"who": np.zeros(0, np.int64), "day": np.zeros(0, np.int64),
                             "atc": np.zeros(0, np.int16), "ddd": np.zeros(0)})
    course_of = np.repeat(np.arange(len(courses)), n)
    ci = courses["course"].to_numpy()[course_of]
    gaps = np.array([c[5] for c in COURSES], dtype=float)[ci]
    step = np.round(gaps * rng.uniform(0.8, 1.2, total)).astype(np.int64)
    first = np.r_[0, np.cumsum(n)[:-1]]
    step[first] = 0
    csum = np.cumsum(step)
    offset = csum - np.repeat(csum[first], n)
    who = courses["who"].to_numpy()[course_of]
    day = courses["start"].to_numpy()[course_of] + offset
    code_idx = courses["code"].to_numpy()[course_of]
    atc = np.empty(total, dtype=np.int16)
    ddd = np.empty(total)
    for k, course in enumerate(COURSES):
        sel = ci == k
        if sel.any():
            index = np.array([ATC_CODES.index(c) for c in course[1]], dtype=np.int16)
            atc[sel] = index[code_idx[sel] % len(course[1])]
            ddd[sel] = course[6]
    ddd *= rng.choice(np.array([0.5, 1.0, 1.0, 2.0]), total)  # pack sizes
    keep = day <= exit_[who]
    return pd.DataFrame({"who": who[keep], "day": day[keep], "atc": atc[keep],
                         "ddd": ddd[keep]})
