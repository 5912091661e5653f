"""Prescription registers (issue 20): the loader and its quarantine, the risk-set sampler
(invariants, and agreement in distribution with R's ``Epi::ccwc``), exposure windows against a
brute-force computation, the cohort episodes, and the designs' recovery of a planted effect
(coverage over seeds) and their behaviour without one (rejection rate)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from alspaincohort.analysis.prediagnostic import prediagnostic_cohort, prediagnostic_exposure
from alspaincohort.disclosure import DisclosureControl
from alspaincohort.errors import ParameterError
from alspaincohort.loaders import LoadError
from alspaincohort.registers import (
    EXPOSURE_CLASSES,
    Window,
    classes_of,
    load_register,
)
from alspaincohort.registers.designs import (
    cohort_episodes,
    exposure_history,
    sample_risk_sets,
)
from alspaincohort.synthetic import simulate_register

CCWC = Path(__file__).parent / "results" / "ccwc"
ORIGIN = pd.Timestamp("2000-01-01")


@pytest.fixture(scope="module")
def sim():
    return simulate_register(20_000, seed=7, als_incidence_scale=30)


@pytest.fixture(scope="module")
def reg(sim):
    return load_register(sim.persons, sim.dispensings)


def _persons() -> pd.DataFrame:
    return pd.DataFrame({
        "person_id": [1, 2, 3, 4],
        "sex": ["female", "male", "female", "male"],
        "birth_year": [1950, 1960, 1950, 1961],
        "entry_date": ["2005-07-01"] * 4,
        "exit_date": ["2019-12-31", "2019-12-31", "2018-03-01", "2019-12-31"],
        "als_date": ["2015-01-10", "", "", ""]})


def _dispensings() -> pd.DataFrame:
    return pd.DataFrame({
        "person_id": [1, 1, 2, 3, 4],
        "date": ["2008-02-01", "2014-06-01", "2010-01-01", "2011-05-05", "2012-01-01"],
        "atc": ["N03AX12", "N02AX02", "M01AE01", "N03AX16", "C10AA01"],
        "ddd": ["30", "15", "20", "", "90"]})


# --- the loader ----------------------------------------------------------------------------------
def test_exposure_classes_have_codes_and_sources() -> None:
    assert set(EXPOSURE_CLASSES) >= {"gabapentinoids", "other_neuropathic", "opioids",
                                     "nsaids", "antidepressants", "muscle_relaxants",
                                     "quinine", "mexiletine", "cannabinoids"}
    assert EXPOSURE_CLASSES["gabapentinoids"].codes == ("N03AX12", "N03AX16")
    assert classes_of("N02AJ06") == ["opioids"] and classes_of("P01BC01") == ["quinine"]
    assert all(c.source for c in EXPOSURE_CLASSES.values())


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_loader_reads_csv_and_parquet_alike(tmp_path: Path, fmt: str) -> None:
    p, d = _persons(), _dispensings()
    if fmt == "csv":
        p.to_csv(tmp_path / "persons.csv", index=False)
        d.to_csv(tmp_path / "dispensings.csv", index=False)
    else:
        p.replace("", None).assign(
            **{c: pd.to_datetime(p[c].replace("", None)) for c in
               ("entry_date", "exit_date", "als_date")}).to_parquet(tmp_path / "persons.parquet")
        d.assign(date=pd.to_datetime(d["date"]).dt.date,
                 ddd=pd.to_numeric(d["ddd"].replace("", None))).to_parquet(
            tmp_path / "dispensings.parquet")
    reg = load_register(tmp_path / f"persons.{fmt}", tmp_path / f"dispensings.{fmt}")
    assert (reg.n_persons, reg.n_cases, reg.n_dispensings) == (4, 1, 5)
    assert reg.load_report.rows_quarantined == 0
    got = reg.query("SELECT person_id, date, atc, ddd FROM dispensings ORDER BY person_id, date")
    assert got["ddd"].isna().sum() == 1 and got["atc"].tolist()[0] == "N03AX12"
    assert str(got["date"].iloc[0].date()) == "2008-02-01"


BREACHES = [
    # (table, column, bad value, rule)
    ("persons", "person_id", "", "not_null"),
    ("persons", "person_id", "1", "unique_key"),
    ("persons", "sex", "F", "allowed_values"),
    ("persons", "birth_year", "19x0", "dtype"),
    ("persons", "birth_year", "1870", "in_range"),
    ("persons", "birth_year", "1950.5", "dtype"),
    ("persons", "entry_date", "2005-13-01", "dtype"),
    ("persons", "exit_date", "2004-01-01", "exit_not_before_entry"),
    ("persons", "als_date", "2004-01-01", "index_within_observation"),
    ("dispensings", "person_id", "99", "known_person"),
    ("dispensings", "date", "01/02/2010", "dtype"),
    ("dispensings", "date", "2001-01-01", "outside_observation"),
    ("dispensings", "atc", "n03ax12", "atc_code"),
    ("dispensings", "atc", "N03 AX12", "atc_code"),
    ("dispensings", "ddd", "-3", "in_range"),
    ("dispensings", "ddd", "thirty", "dtype"),
]


@pytest.mark.parametrize(("table", "column", "value", "rule"), BREACHES)
def test_each_breach_quarantines_its_row_with_its_rule(tmp_path: Path, table: str, column: str,
                                                       value: str, rule: str) -> None:
    p, d = _persons(), _dispensings()
    frame = p if table == "persons" else d
    frame[column] = frame[column].astype(object)
    row = 1
    frame.loc[row, column] = value
    p.to_csv(tmp_path / "persons.csv", index=False)
    d.to_csv(tmp_path / "dispensings.csv", index=False)
    reg = load_register(tmp_path / "persons.csv", tmp_path / "dispensings.csv")
    rep = reg.load_report
    q = rep.quarantine
    mine = q[q["file"] == f"{table}.csv"]
    assert mine["rule"].tolist() == [rule] and mine["column"].tolist() == [column]
    assert mine["row"].tolist() == [row] and mine["line"].tolist() == [row + 2]  # header: 1
    for f in rep.files:
        assert f.rows_read == f.rows_loaded + f.rows_quarantined
    # a person left out takes their dispensings along, each reported
    others = q[q["file"] != f"{table}.csv"]
    assert others["rule"].tolist() == (["known_person"] if table == "persons" else [])
    # nothing identifying in what is printed or exported
    safe = rep.safe_quarantine()
    assert "raw" not in safe.columns
    if column == "person_id":
        assert value not in safe["value"].astype(str).tolist() or value == ""


def test_dispensings_of_a_quarantined_person_are_quarantined_too(tmp_path: Path) -> None:
    p, d = _persons(), _dispensings()
    p.loc[1, "sex"] = "x"
    reg = load_register(p, d)
    q = reg.load_report.quarantine
    assert set(zip(q["file"], q["rule"], strict=True)) == {("persons[0]", "allowed_values"),
                                                          ("dispensings[0]", "known_person")}
    assert reg.n_persons == 3 and reg.n_dispensings == 4


def test_strict_raises_naming_file_line_column_rule_and_no_identifier(tmp_path: Path) -> None:
    p, d = _persons(), _dispensings()
    d["person_id"] = d["person_id"].astype(object)
    d.loc[2, "person_id"] = "SECRET-77"
    p.to_csv(tmp_path / "persons.csv", index=False)
    d.to_csv(tmp_path / "dispensings.csv", index=False)
    with pytest.raises(LoadError) as err:
        load_register(tmp_path / "persons.csv", tmp_path / "dispensings.csv", strict=True)
    e = err.value
    assert (e.file, e.line, e.column, e.rule) == ("dispensings.csv", 4, "person_id",
                                                  "known_person")
    assert "SECRET" not in str(e)


def test_missing_column_and_codes_mapping() -> None:
    with pytest.raises(LoadError, match="required_column"):
        load_register(_persons().drop(columns="birth_year"), _dispensings())
    p = _persons().assign(sex=["2", "1", "2", "1"])
    reg = load_register(p, _dispensings(), codes={"sex": {"1": "male", "2": "female"}})
    assert reg.load_report.rows_quarantined == 0
    assert reg.query("SELECT sex FROM persons ORDER BY person_id")["sex"].tolist() == [
        "female", "male", "female", "male"]
    assert any("sex" in n for n in reg.load_report.notes)
    renamed = _dispensings().rename(columns={"person_id": "lopnr", "date": "EDATUM"})
    reg = load_register(_persons().rename(columns={"person_id": "lopnr"}), renamed,
                        columns={"person_id": "lopnr", "date": "EDATUM"})
    assert reg.n_dispensings == 5


def test_timestamp_with_a_time_of_day_is_not_a_date() -> None:
    d = _dispensings().assign(date=pd.to_datetime(_dispensings()["date"]))
    d.loc[0, "date"] = pd.Timestamp("2008-02-01 13:45")
    reg = load_register(_persons(), d)
    q = reg.load_report.quarantine
    assert q[["column", "rule"]].values.tolist() == [["date", "dtype"]]


def test_several_dispensing_files_each_reported(tmp_path: Path) -> None:
    d = _dispensings()
    d.iloc[:3].to_csv(tmp_path / "d2008.csv", index=False)
    bad = d.iloc[3:].copy()
    bad.loc[bad.index[0], "atc"] = "??"
    bad.to_csv(tmp_path / "d2012.csv", index=False)
    reg = load_register(_persons(), [tmp_path / "d2008.csv", tmp_path / "d2012.csv"])
    files = {f.file: (f.rows_read, f.rows_loaded, f.rows_quarantined)
             for f in reg.load_report.files}
    assert files["d2008.csv"] == (3, 3, 0) and files["d2012.csv"] == (2, 1, 1)
    assert reg.n_dispensings == 4


def test_csv_row_numbers_follow_the_file_at_scale(tmp_path: Path) -> None:
    """DuckDB numbers CSV rows in file order (its scans keep insertion order), on a file
    large enough to be read in parallel."""
    n = 300_000
    rng = np.random.default_rng(0)
    d = pd.DataFrame({"person_id": rng.integers(1, 5, n), "date": "2012-01-01",
                      "atc": "C10AA01", "ddd": "90"})
    bad_rows = [7, 123_456, n - 1]
    d.loc[bad_rows, "atc"] = "bad"
    d.to_csv(tmp_path / "big.csv", index=False)
    reg = load_register(_persons(), tmp_path / "big.csv", threads=2)
    q = reg.load_report.quarantine
    assert q["row"].tolist() == bad_rows and (q["line"] == q["row"] + 2).all()
    assert reg.n_dispensings == n - 3


def test_bad_arguments_raise_our_errors() -> None:
    with pytest.raises(ParameterError, match="codes"):
        load_register(_persons(), _dispensings(), codes={"atc": {"a": "b"}})
    with pytest.raises(LoadError, match="file not found"):
        load_register("/nonexistent/persons.parquet", _dispensings())
    with pytest.raises(ParameterError):
        load_register(42, _dispensings())
    with pytest.raises(ParameterError, match="end_years"):
        Window(-2, 1)
    with pytest.raises(ParameterError, match="before"):
        Window(-2, -5)


# --- risk-set sampling -----------------------------------------------------------------------
def test_sets_obey_the_risk_set_rules(reg, sim) -> None:
    s = sample_risk_sets(reg, controls=5, seed=3)
    f = s.frame
    persons = sim.persons.set_index("person_id")
    m = f.join(persons, on="person_id", rsuffix="_p")
    ctl = m[m["case"] == 0]
    t = ctl["index_date"]
    assert (ctl["entry_date"] <= t).all() and (ctl["exit_date"] >= t).all()
    assert (ctl["als_date"].isna() | (ctl["als_date"] > t)).all()
    assert (ctl["sex"] == ctl["sex_p"]).all() and (ctl["birth_year"] == ctl["birth_year_p"]).all()
    cases = m[m["case"] == 1]
    assert (cases["als_date"] == cases["index_date"]).all()
    assert not f.duplicated(["set", "person_id"]).any()
    per_set = f.groupby("set")["case"].agg(["sum", "size"])
    assert ((per_set["size"] - per_set["sum"]) <= 5 * per_set["sum"]).all()
    assert s.n_cases + s.n_unmatched == reg.n_cases
    # future cases serve as controls
    assert ctl["als_date"].notna().any()
    # the same seed gives the same sets, another seed others
    assert sample_risk_sets(reg, controls=5, seed=3).frame.equals(f)
    assert not sample_risk_sets(reg, controls=5, seed=4).frame.equals(f)


def test_caliper_lookback_and_incomplete_sets(reg, sim) -> None:
    s = sample_risk_sets(reg, controls=3, match=("sex",), caliper=1, seed=1)
    m = s.frame.merge(sim.persons[["person_id", "birth_year"]], on="person_id",
                      suffixes=("_set", ""))
    case_year = m[m["case"] == 1].set_index("set")["birth_year"]
    assert (m["birth_year"] - m["set"].map(case_year)).abs().max() <= 1
    assert s.frame.groupby("set")["case"].sum().max() == 1  # one case per set with a caliper
    look = sample_risk_sets(reg, controls=3, lookback_years=5, seed=1)
    early = (sim.persons["als_date"] - sim.persons["entry_date"]).dt.days < round(5 * 365.25)
    assert look.n_excluded_lookback == int((early & sim.persons["als_date"].notna()).sum()) > 0
    assert any("less than 5 years" in n for n in look.notes)
    many = sample_risk_sets(reg, controls=500, match=("sex", "birth_year", "region"), seed=1)
    assert many.n_incomplete > 0 and any("fewer than 500" in n for n in many.notes)
    with pytest.raises(ParameterError, match="caliper"):
        sample_risk_sets(reg, caliper=1)
    with pytest.raises(ParameterError, match="matching variable"):
        sample_risk_sets(reg, match=("postcode",))


def test_a_case_without_a_matching_value_is_counted_not_lost(sim) -> None:
    persons = sim.persons.copy()
    cases = persons.index[persons["als_date"].notna()][:5]
    persons.loc[cases, "region"] = None
    reg = load_register(persons, sim.dispensings)
    s = sample_risk_sets(reg, controls=3, match=("sex", "birth_year", "region"), seed=1)
    assert s.n_cases + s.n_unmatched + s.n_excluded_lookback == reg.n_cases
    assert any("5 case(s) left out: a matching variable" in n for n in s.notes)
    assert not s.frame["person_id"].isin(persons.loc[cases, "person_id"]).any()
    assert s.frame["region"].notna().all()


def _ccwc_register() -> tuple[object, pd.DataFrame]:
    d = pd.read_csv(CCWC / "population.csv")
    day = pd.to_timedelta
    persons = pd.DataFrame({
        "person_id": d["person_id"], "sex": d["sex"], "birth_year": d["birth_year"],
        "entry_date": ORIGIN + day(d["entry"], "D"), "exit_date": ORIGIN + day(d["exit"], "D"),
        "als_date": (ORIGIN + day(d["als"].fillna(0), "D")).where(d["als"].notna())})
    disp = pd.DataFrame({"person_id": [1], "date": [ORIGIN + day(d.loc[0, "entry"], "D")],
                         "atc": ["C10AA01"], "ddd": [1.0]})
    return load_register(persons, disp), d


def _set_keys(frame: pd.DataFrame) -> pd.Series:
    keys = frame[frame["case"] == 1].groupby("set")["person_id"].apply(
        lambda x: "+".join(str(v) for v in sorted(x)))
    return frame["set"].map(keys)


def test_risk_sets_equal_ccwc_risk_sets() -> None:
    reg, _ = _ccwc_register()
    full = sample_risk_sets(reg, controls=10_000, seed=0).frame
    full["key"] = _set_keys(full)
    ours = full.groupby(["key", "case"]).size().rename("n").reset_index()
    ref = pd.read_csv(CCWC / "sets.csv", dtype={"set": str})
    ref = ref.rename(columns={"set": "key", "fail": "case"})
    merged = ref.merge(ours, on=["key", "case"], how="outer", suffixes=("_r", ""))
    assert len(merged) == len(ref) == 56 and (merged["n"] == merged["n_r"]).all()
    # tied cases share a set, as in ccwc
    assert (ref.loc[ref["case"] == 1, "n"] == 2).sum() == 2


def test_sampling_agrees_in_distribution_with_ccwc() -> None:
    reg, _ = _ccwc_register()
    r = pd.read_csv(CCWC / "ccwc_counts.csv", dtype={"set": str})
    runs_r = int(r["runs"].iloc[0])
    runs = 300
    draws = []
    for seed in range(runs):
        f = sample_risk_sets(reg, controls=3, seed=seed).frame
        f["key"] = _set_keys(f)
        draws.append(f.loc[f["case"] == 0, ["key", "person_id"]])
    ours = pd.concat(draws).value_counts().rename("count").reset_index()
    both = r.rename(columns={"set": "key"}).merge(ours, on=["key", "person_id"], how="outer",
                                                  suffixes=("_r", "")).fillna(0)
    # the same support: every control ccwc draws is one we draw, and no other
    assert ((both["count_r"] > 0) == (both["count"] > 0)).all()
    sets = pd.read_csv(CCWC / "sets.csv", dtype={"set": str}).pivot(
        index="set", columns="fail", values="n")
    # per set, a chi-square test of homogeneity of the two samplers' control counts
    p_values = []
    for key, g in both.groupby("key"):
        table = np.vstack([g["count"].to_numpy(), g["count_r"].to_numpy()])
        p_values.append(stats.chi2_contingency(table)[1])
        # and both draw each eligible person with probability k x cases / risk-set size
        expect = min(1.0, 3 * sets.loc[key, 1] / sets.loc[key, 0])
        for col, n in (("count", runs), ("count_r", runs_r)):
            z = (g[col] / n - expect) / np.sqrt(max(expect * (1 - expect), 1e-12) / n)
            assert np.abs(z).max() < 4.5
    # the per-set tests are independent: their p-values are uniform under agreement
    assert stats.kstest(p_values, "uniform").pvalue > 0.001
    assert min(p_values) > 0.0005


# --- exposure windows ------------------------------------------------------------------------
def test_exposure_history_equals_brute_force(reg, sim) -> None:
    s = sample_risk_sets(reg, controls=2, seed=5)
    wins = (Window(-10, -2), Window(None, -2), Window(-2, 0), Window(-3.5, -1.25))
    h = exposure_history(reg, s.frame, ["gabapentinoids", "opioids"], wins)
    members = s.frame[["person_id", "index_date"]].drop_duplicates()
    d = sim.dispensings.merge(members, on="person_id")
    d["cls"] = d["atc"].astype(str).map(lambda c: (classes_of(c) or [None])[0])
    d = d[d["cls"].isin(["gabapentinoids", "opioids"])]
    for w in wins:
        lo = -np.inf if w.start_day is None else w.start_day
        rel = (d["date"] - d["index_date"]).dt.days
        inw = d[(rel >= lo) & (rel < w.end_day)]
        brute = inw.groupby(["person_id", "index_date", "cls"]).agg(
            n=("ddd", "size"), ddd=("ddd", "sum")).reset_index()
        got = h[(h["window"] == w.name) & (h["n_dispensings"] > 0)]
        merged = brute.merge(got, left_on=["person_id", "index_date", "cls"],
                             right_on=["person_id", "index_date", "exposure_class"],
                             how="outer")
        assert len(merged) == len(brute) == len(got)
        assert (merged["n"] == merged["n_dispensings"]).all()
        assert np.allclose(merged["ddd_x"], merged["ddd_y"])
        first = d[rel < w.end_day].groupby(["person_id", "index_date", "cls"])["date"].min()
        hw = h[h["window"] == w.name].set_index(["person_id", "index_date", "exposure_class"])
        since = ((first.index.get_level_values(1) - first) .dt.days / 365.25)
        assert np.allclose(hw["years_since_first"].sort_index().to_numpy(),
                           since.sort_index().to_numpy())


def test_cohort_episodes_split_at_the_lagged_first_dispensing(reg, sim) -> None:
    ep = cohort_episodes(reg, "gabapentinoids", lag_years=2)
    assert (ep["start"] < ep["stop"]).all()
    assert ep.groupby("person_id")["event"].sum().max() == 1
    assert ep["event"].sum() == reg.n_cases
    first = sim.dispensings[sim.dispensings["atc"].astype(str).str.startswith(
        ("N03AX12", "N03AX16"))].groupby("person_id")["date"].min()
    origin = sim.persons["entry_date"].min()
    switch = (first - origin).dt.days + round(2 * 365.25) - 1
    split = ep[ep.duplicated("person_id", keep=False)]
    exposed_start = split[split["exposed"] == 1].set_index("person_id")["start"]
    assert (exposed_start == switch.reindex(exposed_start.index)).all()
    # person-days add up to the follow-up to ALS or exit
    p = sim.persons.set_index("person_id")
    end = p["als_date"].fillna(p["exit_date"]).where(p["als_date"].isna()
                                                     | (p["als_date"] <= p["exit_date"]))
    days = (end - p["entry_date"]).dt.days + 1
    assert (ep.assign(d=ep["stop"] - ep["start"]).groupby("person_id")["d"].sum()
            == days.reindex(ep["person_id"].unique())).all()


# --- the designs on known truth --------------------------------------------------------------
def test_result_shape_suppression_and_plot(reg) -> None:
    import matplotlib

    matplotlib.use("Agg")
    res = prediagnostic_exposure(reg, ["gabapentinoids", "quinine", "mexiletine"],
                                 [Window(-10, -2), Window(-2, 0)], controls=4, seed=2)
    t = res.table
    assert list(t.columns) == ["exposure_class", "window", "level", "cases_exposed",
                               "controls_exposed", "cases", "controls", "ratio", "ci_low",
                               "ci_high", "p_value"]
    gaba = t[t["exposure_class"] == "gabapentinoids"]
    assert (gaba["ratio"] > 1).all() and gaba["ci_low"].notna().all()
    assert any("mexiletine" in n for n in res.notes)  # too rare here: said, never hidden
    ax = res.plot()
    assert len(ax.texts) > 0
    counts = t[["cases_exposed", "controls_exposed"]].to_numpy()
    assert ((counts > 0) & (counts < 30)).any()  # quinine's handful
    dc = DisclosureControl(k=30)
    for c in res.count_cells("pre"):
        dc.add(c.table, c.row, c.column, c.units)
    sup = dc.suppress()
    shown = res.suppressed(sup, "pre")
    hidden_rows = {r for r, _ in sup.hidden_in("pre")}
    assert hidden_rows
    assert shown.table["cases_exposed"].isna().sum() >= 1 and shown.sample is None
    assert "person_id" not in shown.to_html() and "person_id" not in str(shown)


def test_cohort_and_case_control_estimate_the_same_ratio(reg) -> None:
    cc = prediagnostic_exposure(reg, ["gabapentinoids"], [Window(None, -2)], controls=10,
                                seed=1).table.iloc[0]
    co = prediagnostic_cohort(reg, ["gabapentinoids"], lag_years=2).table.iloc[0]
    # two estimates of one hazard ratio from overlapping data: within their joint error
    se_cc = (np.log(cc["ci_high"]) - np.log(cc["ci_low"])) / (2 * 1.959964)
    assert abs(np.log(cc["ratio"]) - np.log(co["ratio"])) < 2 * se_cc
    assert co["cases"] == reg.n_cases


def _replicate(seed: int, preset: str) -> tuple[float, float, float]:
    sim = simulate_register(10_000, seed=seed, preset=preset, als_incidence_scale=60)
    reg = load_register(sim.persons, sim.dispensings)
    row = prediagnostic_exposure(reg, ["gabapentinoids"], [Window(-10, -2)], controls=5,
                                 seed=seed).table.iloc[0]
    reg.close()
    return row["ratio"], row["ci_low"], row["ci_high"]


@pytest.mark.slow
def test_planted_effect_is_covered_at_the_nominal_rate() -> None:
    """60 registers with HR 1.84 in [-10, -2) years: the 95% CI covers it ~57 times."""
    truth = simulate_register(10, seed=0).truth
    hr = truth["effect_hr"]
    reps = np.array([_replicate(s, "registry") for s in range(60)])
    covered = int(((reps[:, 1] <= hr) & (hr <= reps[:, 2])).sum())
    assert covered >= 52  # binomial(60, 0.95): P(<= 51) = 0.4%
    log_or = np.log(reps[:, 0])
    se_mean = log_or.std(ddof=1) / np.sqrt(len(log_or))
    assert abs(log_or.mean() - np.log(hr)) < 3 * se_mean


@pytest.mark.slow
def test_null_register_rejects_at_five_percent() -> None:
    reps = np.array([_replicate(1000 + s, "registry_null") for s in range(60)])
    rejected = int(((reps[:, 1] > 1) | (reps[:, 2] < 1)).sum())
    assert rejected <= 8  # binomial(60, 0.05): P(>= 9) = 0.1%


def test_prodromal_use_biases_a_window_reaching_the_index_date() -> None:
    """The null register: no effect in any lag, but prodromal prescribing makes [-2, 0)
    years look harmful: the reason for the lag."""
    sim = simulate_register(20_000, seed=11, preset="registry_null", als_incidence_scale=40)
    reg = load_register(sim.persons, sim.dispensings)
    t = prediagnostic_exposure(reg, ["gabapentinoids"], [Window(-10, -2), Window(-2, 0)],
                               controls=5, seed=1).table.set_index("window")
    assert t.loc["[-2, 0) y", "ci_low"] > 1.5
    assert t.loc["[-10, -2) y", "ci_low"] < 1 < t.loc["[-10, -2) y", "ci_high"]


def pq_type(path: Path, column: str) -> str:
    import pyarrow.parquet as pq

    return str(pq.read_schema(path).field(column).type)


def test_generator_is_reproducible_and_writes_parquet(tmp_path: Path) -> None:
    a = simulate_register(3000, seed=4)
    b = simulate_register(3000, seed=4)
    assert a.persons.equals(b.persons) and a.dispensings.equals(b.dispensings)
    out = simulate_register(3000, seed=4, out=tmp_path)
    back = pd.read_parquet(out.persons)
    for c in ("entry_date", "exit_date", "als_date"):  # Parquet DATE, as registers store them
        back[c] = pd.to_datetime(back[c]).astype(a.persons[c].dtype)
    pd.testing.assert_frame_equal(back, a.persons)
    assert pq_type(out.dispensings, "date") == "date32[day]"
    assert len(pd.read_parquet(out.dispensings)) == len(a.dispensings)
    assert json.loads(json.dumps(out.truth))["n_dispensings"] == len(a.dispensings)
    with pytest.raises(ParameterError, match="effect_hr"):
        simulate_register(100, effect_hr=0)
    with pytest.raises(ParameterError, match="preset"):
        simulate_register(100, preset="nope")
