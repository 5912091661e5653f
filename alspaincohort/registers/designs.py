"""The pre-diagnostic exposure designs on a :class:`~alspaincohort.registers.Register`, as SQL
in DuckDB: risk-set sampling of matched controls, exposure in lagged windows, and the full
cohort's (start, stop] episodes with a time-varying lagged exposure.

Nested case-control sampling (:func:`sample_risk_sets`)
    Incidence-density sampling as R's ``Epi::ccwc``: each case's index date t is its ALS
    diagnosis; its risk set is every person of the same matching values (or within the birth-year
    caliper) observed at t (entry_date <= t <= exit_date) and not a case by t (no ALS diagnosis
    on or before t): a control may become a case later, and may be sampled for several sets.
    Cases diagnosed on the same date with the same matching values share one set, with
    ``controls`` x their number of controls (ccwc's rule; with a caliper every case has its own
    set). Controls are drawn without replacement within a set, uniformly, from the seed. A set
    with fewer eligible persons than wanted keeps them all (incomplete, counted); a case with
    none is left out (counted, never silently).
Exposure (:func:`exposure_history`)
    For each member (person, index date), exposure class and window: the number of dispensings
    in the window, their summed DDD (dispensings without DDD are counted apart), and the date
    of the first dispensing before the window's end. One pass over the dispensings, semi-joined
    to the sampled persons before the ATC classes are attached.
Full cohort (:func:`cohort_episodes`)
    Every person at risk from entry_date to the first of ALS diagnosis and exit_date, on the
    calendar time scale in days (at risk on day d: the interval (d - 1, d]), split where the
    exposure starts: ``lag_years`` after the first dispensing of the class. The case-control
    sets are samples of this cohort's risk sets, so a Cox model stratified on the matching
    variables estimates the same hazard ratio as the conditional logistic model on the sets.

References
----------
Langholz B, Goldstein L. Risk set sampling in epidemiologic cohort studies. Stat Sci
1996;11(1):35-53.
Carstensen B, Plummer M, Laara E, Hills M. Epi: A Package for Statistical Analysis in
Epidemiology. R package (function ccwc).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from ..errors import ParameterError
from ..validation import check_integer, check_positive
from .exposure import (
    Window,
    check_classes,
    check_windows,
    class_table,
    years_to_days,
)
from .register import Register

MATCH_VARIABLES = ("sex", "birth_year", "region")


@dataclass
class CaseControlSample:
    """Matched sets drawn by :func:`sample_risk_sets`.

    Attributes
    ----------
    frame : DataFrame
        set, person_id, case (1 / 0), index_date, and the matching variables; one row per
        member of a set (a person sampled for several sets has several rows).
    n_cases, n_unmatched, n_incomplete, n_excluded_lookback : int
        Cases in sets; cases without any eligible control or without a value of a matching
        variable (left out); sets with fewer controls than wanted; cases left out for a
        look-back shorter than ``lookback_years``.
    controls, match, caliper, lookback_years, seed
        The settings.
    """

    frame: pd.DataFrame
    n_cases: int
    n_unmatched: int
    n_incomplete: int
    n_excluded_lookback: int
    controls: int
    match: tuple[str, ...]
    caliper: int | None
    lookback_years: float
    seed: int
    notes: list[str] = field(default_factory=list)


def _check_register(register: Any) -> Register:
    if not isinstance(register, Register):
        raise ParameterError(f"register must be an alspaincohort.registers.Register (from "
                             f"load_register), not {type(register).__name__}")
    return register


def check_match(register: Register, match: Any) -> tuple[str, ...]:
    """Matching variables among :data:`MATCH_VARIABLES` that the register has."""
    names = (match,) if isinstance(match, str) else tuple(match or ())
    unknown = [m for m in names if m not in MATCH_VARIABLES]
    if unknown:
        raise ParameterError(f"match: unknown matching variable(s) {unknown}: use "
                             f"{list(MATCH_VARIABLES)}")
    if "region" in names and not register.has_region:
        raise ParameterError("match: 'region' is not a column of this register's persons")
    return names


def sample_risk_sets(register: Register, controls: int = 10,
                     match: Sequence[str] = ("sex", "birth_year"), caliper: int | None = None,
                     lookback_years: float = 0.0, seed: int = 0) -> CaseControlSample:
    """Nested case-control sets by incidence-density sampling (module docstring).

    Parameters
    ----------
    register : Register
    controls : int
        Controls per case (>= 1).
    match : sequence of str
        Exact matching variables among sex, birth_year, region.
    caliper : int, optional
        Match birth year within +/- ``caliper`` years instead of exactly (``birth_year`` must
        then not be in ``match``).
    lookback_years : float
        Cases and controls must have been in the register this long before the index date
        (their dispensings are then observable over the window).
    seed : int

    Returns
    -------
    CaseControlSample

    Examples
    --------
    >>> from alspaincohort.synthetic import simulate_register
    >>> from alspaincohort.registers import load_register
    >>> sim = simulate_register(5000, seed=3, als_incidence_scale=30)
    >>> s = sample_risk_sets(load_register(sim.persons, sim.dispensings), controls=4, seed=1)
    >>> int(s.frame.groupby("set")["case"].sum().min()), s.n_unmatched
    (1, 0)
    """
    reg = _check_register(register)
    k = check_integer(controls, "controls", low=1)
    seed = check_integer(seed, "seed", low=0)
    names = check_match(reg, match)
    if caliper is not None:
        caliper = check_integer(caliper, "caliper", low=0)
        if "birth_year" in names:
            raise ParameterError("caliper matches birth_year within +/- caliper years: leave "
                                 "birth_year out of match")
    look = years_to_days(check_positive(lookback_years, "lookback_years", allow_zero=True))
    con = reg.con
    cols = ", ".join([*names, *(["birth_year"] if caliper is not None else [])])
    n_all = reg.n_cases
    # a case without a value of a matching variable (region is optional) has no stratum
    known = "".join(f" AND {m} IS NOT NULL" for m in names)
    n_unknown = int(con.execute(f"SELECT count(*) FROM persons WHERE als_date IS NOT NULL "
                                f"AND NOT (true{known})").fetchone()[0])
    con.execute(f"""CREATE OR REPLACE TEMP TABLE ncc_cases AS
        SELECT person_id, als_date AS t {', ' + cols if cols else ''} FROM persons
        WHERE als_date IS NOT NULL AND als_date - entry_date >= {look}{known}""")
    n_cases = int(con.execute("SELECT count(*) FROM ncc_cases").fetchone()[0])
    n_short = n_all - n_unknown - n_cases
    if caliper is None:  # ccwc: tied cases of one matching stratum share a set
        key = ", ".join(["t", *names])
        con.execute(f"""CREATE OR REPLACE TEMP TABLE ncc_case_sets AS
            SELECT *, dense_rank() OVER (ORDER BY {key}) AS set_id FROM ncc_cases""")
    else:
        con.execute("""CREATE OR REPLACE TEMP TABLE ncc_case_sets AS
            SELECT *, row_number() OVER (ORDER BY t, person_id) AS set_id FROM ncc_cases""")
    # every person, sorted by matching stratum (and birth year, for a caliper) then id: the
    # pool of a set is a contiguous slice, and its eligibility at the set's date is evaluated
    # there in NumPy (a join of sets and persons materialised every (set, candidate) pair: 23
    # million at 2 million people, most of the design's time)
    exact = list(names)
    strata = ", ".join(exact) if exact else "1"
    order = ", ".join([*exact, *(["birth_year"] if caliper is not None else []), "person_id"])
    pool = con.execute(f"""
        SELECT person_id, dense_rank() OVER (ORDER BY {strata}) AS grp, birth_year,
               datediff('day', DATE '1970-01-01', entry_date) AS entry,
               datediff('day', DATE '1970-01-01', exit_date) AS exit,
               coalesce(datediff('day', DATE '1970-01-01', als_date), 2147483647) AS als
        FROM persons ORDER BY {order}""").fetchnumpy()
    sets_sql = (f"SELECT set_id, min(t) AS t, count(*) AS n_case, "
                f"min(datediff('day', DATE '1970-01-01', t)) AS t_day, "
                f"min(birth_year) AS birth_year"
                f"{''.join(', min(' + m + ') AS ' + m for m in names if m != 'birth_year')} "
                f"FROM ncc_case_sets GROUP BY set_id")
    sets = con.execute(f"""
        SELECT s.*, g.grp FROM ({sets_sql}) s JOIN (
            SELECT DISTINCT {strata if exact else '1 AS one'}, dense_rank() OVER
                (ORDER BY {strata}) AS grp FROM persons) g
          ON {' AND '.join(f's.{m} = g.{m}' for m in exact) if exact else 'true'}
        ORDER BY set_id""").fetchnumpy()
    set_ids = np.asarray(sets["set_id"], dtype=np.int64)
    need = k * np.asarray(sets["n_case"], dtype=np.int64)
    grp = np.asarray(pool["grp"], dtype=np.int64)
    by = np.asarray(pool["birth_year"], dtype=np.int64)
    pool_key = grp * 10_000 + by if caliper is not None else grp
    entry, exit_ = (np.asarray(pool["entry"], np.int64), np.asarray(pool["exit"], np.int64))
    als = np.asarray(pool["als"], np.int64)
    person = np.asarray(pool["person_id"])
    t_day = np.asarray(sets["t_day"], np.int64)
    s_grp = np.asarray(sets["grp"], np.int64)
    s_by = np.asarray(sets["birth_year"], np.int64)
    if caliper is not None:
        lo_key, hi_key = s_grp * 10_000 + s_by - caliper, s_grp * 10_000 + s_by + caliper
    else:
        lo_key = hi_key = s_grp
    start = np.searchsorted(pool_key, lo_key, side="left")
    stop = np.searchsorted(pool_key, hi_key, side="right")
    rng = np.random.default_rng(seed)
    available = np.zeros(len(set_ids), dtype=np.int64)
    chosen_set, chosen_person = [], []
    for i in range(len(set_ids)):
        sl = slice(start[i], stop[i])
        t = t_day[i]
        ok = np.flatnonzero((entry[sl] <= t - look) & (exit_[sl] >= t) & (als[sl] > t))
        available[i] = len(ok)
        if len(ok) == 0:
            continue
        pick = ok if len(ok) <= need[i] else np.sort(rng.choice(ok, size=need[i],
                                                                replace=False))
        chosen_person.append(person[sl][pick])
        chosen_set.append(np.full(len(pick), set_ids[i]))
    chosen = pd.DataFrame({
        "set_id": np.concatenate(chosen_set) if chosen_set else np.zeros(0, np.int64),
        "person_id": np.concatenate(chosen_person) if chosen_person else person[:0],
        "case": 0})
    matched = available > 0
    case_rows = con.execute("SELECT set_id, person_id, 1 AS \"case\" FROM ncc_case_sets "
                            "ORDER BY set_id, person_id").fetchdf()
    case_rows = case_rows[np.isin(case_rows["set_id"].to_numpy(), set_ids[matched])]
    frame = pd.concat([case_rows, chosen], ignore_index=True)
    info = pd.DataFrame({"set_id": set_ids, "index_date": pd.to_datetime(sets["t"])})
    for m in names:
        info[m] = sets[m]
    if "birth_year" in names:
        info["birth_year"] = info["birth_year"].astype(np.int64)
    frame = frame.merge(info, on="set_id", how="left").sort_values(
        ["set_id", "case", "person_id"], ascending=[True, False, True], ignore_index=True)
    # sets renumbered 1..S over the matched sets
    frame.insert(0, "set", pd.factorize(frame.pop("set_id"))[0] + 1)
    frame["case"] = frame["case"].astype(np.int8)
    n_unmatched = int(np.asarray(sets["n_case"])[~matched].sum())
    n_incomplete = int(((available < need) & matched).sum())
    notes = []
    if n_unknown:
        notes.append(f"{n_unknown} case(s) left out: a matching variable "
                     f"({', '.join(names)}) is missing")
    if n_short:
        notes.append(f"{n_short} case(s) left out: in the register less than "
                     f"{lookback_years:g} years before diagnosis")
    if n_unmatched:
        notes.append(f"{n_unmatched} case(s) left out: no eligible control with the same "
                     f"{', '.join(names) or 'values'} at the index date")
    if n_incomplete:
        notes.append(f"{n_incomplete} set(s) have fewer than {k} controls per case (all "
                     "eligible persons were taken)")
    for tbl in ("ncc_cases", "ncc_case_sets"):
        con.execute(f"DROP TABLE IF EXISTS {tbl}")
    return CaseControlSample(frame, n_cases - n_unmatched, n_unmatched + n_unknown,
                             n_incomplete, n_short, k, names, caliper, float(lookback_years),
                             seed, notes)


def _class_relation(register: Register, classes: tuple[str, ...]) -> None:
    """The ``exposure_atc`` table: (atc, exposure_class) for the register's distinct codes."""
    codes = register.con.execute("SELECT DISTINCT atc FROM atc_codes").fetchnumpy()["atc"]
    table = class_table([str(c) for c in codes], classes)
    register.con.register("exposure_atc_frame", table)
    register.con.execute("CREATE OR REPLACE TEMP TABLE exposure_atc AS "
                         "SELECT * FROM exposure_atc_frame")
    register.con.unregister("exposure_atc_frame")


def exposure_history(register: Register, members: pd.DataFrame, classes: Any = None,
                     windows: Any = None) -> pd.DataFrame:
    """Dispensings of each exposure class in each window before each member's index date.

    Parameters
    ----------
    register : Register
    members : DataFrame
        person_id and index_date (e.g. :attr:`CaseControlSample.frame`).
    classes : sequence of str, optional
        Exposure classes (default all of :data:`~alspaincohort.registers.EXPOSURE_CLASSES`).
    windows : sequence of Window, optional
        Default :data:`~alspaincohort.registers.DEFAULT_WINDOWS`.

    Returns
    -------
    DataFrame
        person_id, index_date, exposure_class, window, n_dispensings, ddd (sum of the known
        DDD), n_missing_ddd, years_since_first (index date minus the first dispensing before
        the window's end, in years; NaN if none). One row per member, class and window with at
        least one dispensing before the window's end.
    """
    from .exposure import DEFAULT_WINDOWS

    reg = _check_register(register)
    names = check_classes(classes)
    wins = check_windows(DEFAULT_WINDOWS if windows is None else windows)
    if not isinstance(members, pd.DataFrame) or not {"person_id", "index_date"} <= set(
            members.columns):
        raise ParameterError("members must be a DataFrame with person_id and index_date")
    con = reg.con
    _class_relation(reg, names)
    m = members[["person_id", "index_date"]].drop_duplicates()
    con.register("exposure_members_frame", m)
    con.execute("CREATE OR REPLACE TEMP TABLE exposure_members AS SELECT person_id, "
                "index_date::DATE AS index_date FROM exposure_members_frame")
    con.unregister("exposure_members_frame")
    last_end = max(w.end_day for w in wins)
    parts = []
    for i, w in enumerate(wins):
        lo = "" if w.start_day is None else f"d.date >= m.index_date + {w.start_day} AND "
        inwin = f"{lo}d.date < m.index_date + {w.end_day}"
        before = f"d.date < m.index_date + {w.end_day}"
        parts.append(
            f"count(*) FILTER (WHERE {inwin}) AS n_{i}, "
            f"coalesce(sum(d.ddd) FILTER (WHERE {inwin}), 0) AS ddd_{i}, "
            f"count(*) FILTER (WHERE {inwin} AND d.ddd IS NULL) AS miss_{i}, "
            f"min(d.date) FILTER (WHERE {before}) AS first_{i}")
    wide = con.execute(f"""
        WITH d AS (
          SELECT d.person_id, d.date, d.ddd, c.exposure_class
          FROM (SELECT person_id, date, ddd, atc FROM dispensings
                WHERE person_id IN (SELECT person_id FROM exposure_members)) d
          JOIN exposure_atc c ON d.atc = c.atc)
        SELECT m.person_id, m.index_date, d.exposure_class, {', '.join(parts)}
        FROM exposure_members m JOIN d ON d.person_id = m.person_id
        WHERE d.date < m.index_date + {last_end}
        GROUP BY m.person_id, m.index_date, d.exposure_class""").fetchdf()
    out = []
    for i, w in enumerate(wins):
        first = pd.to_datetime(wide[f"first_{i}"])
        part = pd.DataFrame({
            "person_id": wide["person_id"], "index_date": pd.to_datetime(wide["index_date"]),
            "exposure_class": wide["exposure_class"], "window": w.name,
            "n_dispensings": wide[f"n_{i}"].astype(np.int64),
            "ddd": wide[f"ddd_{i}"].astype(float),
            "n_missing_ddd": wide[f"miss_{i}"].astype(np.int64),
            "years_since_first": (pd.to_datetime(wide["index_date"]) - first).dt.days / 365.25})
        out.append(part[first.notna()])
    con.execute("DROP TABLE IF EXISTS exposure_members")
    cols = ["person_id", "index_date", "exposure_class", "window", "n_dispensings", "ddd",
            "n_missing_ddd", "years_since_first"]
    return pd.concat(out, ignore_index=True)[cols] if out else pd.DataFrame(columns=cols)


def exposure_frame(sample: CaseControlSample, history: pd.DataFrame, exposure_class: str,
                   window: Window) -> pd.DataFrame:
    """The analysis frame of one class and window: the sets' members with their exposure.

    Returns
    -------
    DataFrame
        The sample's columns plus exposed (0/1: a dispensing in the window), ddd (summed in
        the window), n_missing_ddd and years_since_first (NaN: never before the window's end).
    """
    h = history[(history["exposure_class"] == exposure_class)
                & (history["window"] == window.name)]
    h = h[["person_id", "index_date", "n_dispensings", "ddd", "n_missing_ddd",
           "years_since_first"]]
    f = sample.frame.merge(h, on=["person_id", "index_date"], how="left")
    f["n_dispensings"] = f["n_dispensings"].fillna(0).astype(np.int64)
    f["ddd"] = f["ddd"].fillna(0.0)
    f["n_missing_ddd"] = f["n_missing_ddd"].fillna(0).astype(np.int64)
    f["exposed"] = (f["n_dispensings"] > 0).astype(np.int8)
    return f


def cohort_episodes(register: Register, exposure_class: str, lag_years: float = 2.0,
                    strata: Sequence[str] = ("sex", "birth_year")) -> pd.DataFrame:
    """The full cohort's (start, stop] episodes with a lagged time-varying exposure.

    Parameters
    ----------
    register : Register
    exposure_class : str
    lag_years : float
        Exposed from ``lag_years`` after the first dispensing of the class (>= 0).
    strata : sequence of str
        Matching variables kept for a stratified Cox model.

    Returns
    -------
    DataFrame
        person_id, the strata columns, start, stop (days since the register's first entry
        date; at risk on (start, stop]), event (1: ALS diagnosed at stop), exposed (0 / 1).
    """
    reg = _check_register(register)
    (name,) = check_classes([exposure_class], "exposure_class")
    lag = years_to_days(check_positive(lag_years, "lag_years", allow_zero=True))
    cols = check_match(reg, strata)
    _class_relation(reg, (name,))
    origin = reg.period[0].date()
    sel = ", ".join(f"b.{c}" for c in cols)
    sel = sel + ", " if sel else ""
    return reg.con.execute(f"""
        WITH first AS (
          SELECT d.person_id, min(d.date) AS first FROM dispensings d
          JOIN exposure_atc c ON d.atc = c.atc GROUP BY d.person_id),
        b AS (
          SELECT p.*, datediff('day', DATE '{origin}', p.entry_date) - 1 AS s,
                 datediff('day', DATE '{origin}', least(p.exit_date,
                     coalesce(p.als_date, p.exit_date))) AS e,
                 (p.als_date IS NOT NULL AND p.als_date <= p.exit_date)::INTEGER AS ev,
                 datediff('day', DATE '{origin}', f.first) + {lag} - 1 AS x
          FROM persons p LEFT JOIN first f ON f.person_id = p.person_id)
        SELECT b.person_id, {sel} s AS start, e AS stop, ev AS event,
               (x IS NOT NULL AND x <= s)::INTEGER AS exposed
          FROM b WHERE x IS NULL OR x <= s OR x >= e
        UNION ALL
        SELECT b.person_id, {sel} s AS start, x AS stop, 0 AS event, 0 AS exposed
          FROM b WHERE x > s AND x < e
        UNION ALL
        SELECT b.person_id, {sel} x AS start, e AS stop, ev AS event, 1 AS exposed
          FROM b WHERE x > s AND x < e
        ORDER BY person_id, start""").fetchdf()


def to_cohort(register: Register, sample: CaseControlSample,
              lookback_years: float = 15.0) -> Any:
    """The matched sets as a :class:`~alspaincohort.Cohort` with comparators: one patient per
    member of a set (a person sampled for two sets is two patients: each has its own day 0),
    their dispensings as medications on the day axis of their index date.

    Parameters
    ----------
    register : Register
    sample : CaseControlSample
    lookback_years : float
        Dispensings from this long before the index date up to the index date are kept.

    Returns
    -------
    Cohort
        ``patients``: patient_id ("s<set>:<person_id>"), sex, birth_year, region (when
        matched on), age_at_onset, onset_site and onset_day (missing: a register has no
        symptom onset), group ("als" for the cases, "control_population" for the controls),
        index_date, matched_set, diagnosis_day (0 for the cases). ``medications``: drug and
        atc_code (the ATC code), drug_class (:mod:`alspaincohort.drugs`), start_day and
        stop_day (the dispensing's day relative to the index date; dispensings of one code on
        one day are one row).
    """
    from ..cohort import Cohort
    from ..drugs import classify

    reg = _check_register(register)
    if not isinstance(sample, CaseControlSample):
        raise ParameterError(f"sample must be a CaseControlSample, not {type(sample).__name__}")
    look = years_to_days(check_positive(lookback_years, "lookback_years", allow_zero=True))
    f = sample.frame
    con = reg.con
    con.register("sample_members_frame", f[["set", "person_id", "index_date"]])
    con.execute("CREATE OR REPLACE TEMP TABLE sample_members AS SELECT set, person_id, "
                "index_date::DATE AS index_date FROM sample_members_frame")
    con.unregister("sample_members_frame")
    info = con.execute("SELECT m.set, m.person_id, p.sex, p.birth_year FROM sample_members m "
                       "JOIN persons p ON p.person_id = m.person_id").fetchdf()
    disp = con.execute(f"""
        SELECT m.set, m.person_id, d.atc,
               datediff('day', m.index_date, d.date) AS day, sum(d.ddd) AS ddd
        FROM sample_members m JOIN dispensings d ON d.person_id = m.person_id
        WHERE d.date >= m.index_date - {look} AND d.date <= m.index_date
        GROUP BY ALL""").fetchdf()
    con.execute("DROP TABLE IF EXISTS sample_members")
    members = f.merge(info, on=["set", "person_id"], how="left", suffixes=("", "_p"))
    pid = "s" + members["set"].astype(str) + ":" + members["person_id"].astype(str)
    patients = pd.DataFrame({
        "patient_id": pid,
        "sex": members["sex"] if "sex" in members.columns else members["sex_p"],
        "birth_year": members["birth_year"] if "birth_year" in members.columns
        else members["birth_year_p"],
        "group": np.where(members["case"] == 1, "als", "control_population"),
        "age_at_onset": np.nan, "onset_site": None,
        "onset_day": pd.Series(pd.NA, index=members.index, dtype="Int32"),
        "index_date": pd.to_datetime(members["index_date"]),
        "matched_set": members["set"].astype(np.int64),
        "diagnosis_day": pd.Series(0, index=members.index, dtype="Int32").where(
            members["case"] == 1)})
    if "region" in members.columns:
        patients["region"] = members["region"]
    atc = disp["atc"].astype(str).to_numpy(dtype=object)
    cls = classify(atc, atc)[1]
    meds = pd.DataFrame({
        "patient_id": "s" + disp["set"].astype(str) + ":" + disp["person_id"].astype(str),
        "drug": atc, "atc_code": atc, "drug_class": cls,
        "start_day": disp["day"].astype("int64"), "stop_day": disp["day"].astype("int64")})
    return Cohort(patients=patients, medications=meds,
                  metadata={"source": "register nested case-control sample",
                            "controls": sample.controls, "match": list(sample.match)})
