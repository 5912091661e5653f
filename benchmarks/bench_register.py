"""Benchmark: the pre-diagnostic exposure pipeline on a national-size prescription register
(issue 20 goal: 2,000,000 people and ~100,000,000 dispensing rows in Parquet; load and validate
them, build the nested case-control sets with 10 controls per case, assess lagged exposure to
every ATC class in every default window, and fit the conditional logistic models; under 60 s
and 8 GiB on 2 cores, and at least 20x the rows per second of the same pipeline written plainly
in pandas on a register 10x smaller).

Each pipeline runs in its own process, so its peak memory (max RSS) is its own; generating the
register is not timed (it is written once to a cache directory and reused). The pandas pipeline
makes the same sets (the same random keys in the same order) and must give the same table: the
run checks that its odds ratios equal DuckDB's.

Run: ``python benchmarks/bench_register.py [N_PEOPLE] [SMALLER]`` (default 2,000,000 and 10).
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
from record import record  # noqa: E402 (benchmarks/record.py, beside this script)

CACHE = Path(os.environ.get("ALSPAIN_BENCH_CACHE", Path(tempfile.gettempdir())
                            / "alspaincohort-bench"))


def register_files(n: int) -> tuple[Path, dict]:
    """The cached synthetic register of ``n`` people (generated once, not timed)."""
    from alspaincohort.synthetic import simulate_register

    out = CACHE / f"register-{n}-seed1"
    meta = out / "truth.json"
    if not meta.exists():
        t0 = time.perf_counter()
        sim = simulate_register(n, seed=1, out=out)
        meta.write_text(json.dumps(sim.truth))
        print(f"register: generated {n:,} people, {sim.truth['n_dispensings']:,} dispensings "
              f"in {time.perf_counter() - t0:.0f} s (not timed) at {out}", flush=True)
    return out, json.loads(meta.read_text())


def duckdb_pipeline(folder: str) -> dict:
    from alspaincohort.analysis.prediagnostic import prediagnostic_exposure
    from alspaincohort.registers import load_register
    from alspaincohort.registers.designs import sample_risk_sets

    f = Path(folder)
    t0 = time.perf_counter()
    reg = load_register(f / "persons.parquet", f / "dispensings.parquet")
    t1 = time.perf_counter()
    sample = sample_risk_sets(reg, controls=10, seed=1)
    t2 = time.perf_counter()
    res = prediagnostic_exposure(reg, sample=sample)
    t3 = time.perf_counter()
    return {"seconds": t3 - t0, "load": t1 - t0, "sample": t2 - t1, "exposure_and_fit": t3 - t2,
            "rows": sum(f.rows_read for f in reg.load_report.files
                        if f.file.startswith("dispensings")), "cases": sample.n_cases,
            "peak_gib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20,
            "table": res.table.to_json(orient="split")}


def pandas_pipeline(folder: str) -> dict:
    """The same pipeline written plainly in pandas (the reference)."""
    from alspaincohort.registers.exposure import (
        ATC_PATTERN,
        DEFAULT_WINDOWS,
        EXPOSURE_CLASSES,
        class_table,
    )
    from alspaincohort.stats import ConditionalLogit

    f = Path(folder)
    t0 = time.perf_counter()
    import pyarrow.parquet as pq

    # dates as datetime64 (pyarrow's fast path; datetime.date objects would be slower)
    p = pq.read_table(f / "persons.parquet").to_pandas(date_as_object=False)
    d = pq.read_table(f / "dispensings.parquet").to_pandas(date_as_object=False)
    d["atc"] = d["atc"].astype(str)
    rows = len(d)
    # validation: the loader's rules
    obs = d[["person_id"]].merge(p[["person_id", "entry_date", "exit_date"]], on="person_id",
                                 how="left")
    bad = (d["person_id"].isna() | obs["entry_date"].isna().to_numpy() | d["date"].isna()
           | ~d["atc"].str.fullmatch(ATC_PATTERN.pattern)
           | (d["ddd"] < 0) | (d["date"].to_numpy() < obs["entry_date"].to_numpy())
           | (d["date"].to_numpy() > obs["exit_date"].to_numpy()))
    d = d[~bad.to_numpy()]
    # risk-set sampling (as sample_risk_sets: sets by date and matching values in that order;
    # each set's pool its stratum's persons by id, eligible at the date; the same draws)
    cases = p[p["als_date"].notna()].rename(columns={"als_date": "t"})
    key = ["t", "sex", "birth_year"]
    cases = cases.sort_values(key)
    cases["set_id"] = cases.groupby(key, sort=True).ngroup() + 1
    sets = cases.groupby("set_id").agg(t=("t", "min"), n_case=("person_id", "size"),
                                       sex=("sex", "min"), birth_year=("birth_year", "min"))
    pool = p.sort_values(["sex", "birth_year", "person_id"])
    strata = dict(tuple(pool.groupby(["sex", "birth_year"], sort=False)))
    rng = np.random.default_rng(1)
    picked = []
    for set_id, s in sets.iterrows():
        g = strata.get((s["sex"], s["birth_year"]))
        if g is None:
            continue
        ok = np.flatnonzero(((g["entry_date"] <= s["t"]) & (g["exit_date"] >= s["t"])
                             & (g["als_date"].isna() | (g["als_date"] > s["t"]))).to_numpy())
        need = 10 * s["n_case"]
        pick = ok if len(ok) <= need else np.sort(rng.choice(ok, size=need, replace=False))
        picked.append(pd.DataFrame({"set_id": set_id,
                                    "person_id": g["person_id"].to_numpy()[pick]}))
    cand = pd.concat(picked, ignore_index=True)
    frame = pd.concat([cases[["set_id", "person_id"]].assign(case=1),
                       cand.assign(case=0)])
    frame = frame[frame["set_id"].isin(cand["set_id"])]
    frame["index_date"] = frame["set_id"].map(sets["t"])
    # exposure: dispensings of the members, classes by ATC code, windows before the index
    members = frame[["person_id", "index_date"]].drop_duplicates()
    dm = d[d["person_id"].isin(members["person_id"])].merge(members, on="person_id")
    ct = class_table(dm["atc"].unique(), tuple(EXPOSURE_CLASSES))
    dm = dm.merge(ct, on="atc")
    rel = (dm["date"] - dm["index_date"]).dt.days
    out = []
    for w in DEFAULT_WINDOWS:
        inw = (rel < w.end_day) & ((rel >= w.start_day) if w.start_day is not None else True)
        g = dm[inw].groupby(["person_id", "index_date", "exposure_class"]).size()
        exposed = g.rename("n").reset_index()
        for cls in EXPOSURE_CLASSES:
            e = exposed[exposed["exposure_class"] == cls]
            fr = frame.merge(e[["person_id", "index_date", "n"]], on=["person_id", "index_date"],
                             how="left")
            fr["exposed"] = fr["n"].notna().astype(int)
            at = fr["exposed"] == 1
            if not (at & (fr["case"] == 1)).any() or not (at & (fr["case"] == 0)).any():
                out.append((cls, w.name, np.nan))
                continue
            m = ConditionalLogit().fit(fr[["set_id", "case", "exposed"]], case="case",
                                       group="set_id", formula="exposed")
            out.append((cls, w.name, float(m.odds_ratios_["exposed"])))
    seconds = time.perf_counter() - t0
    return {"seconds": seconds, "rows": rows, "ratios": out,
            "peak_gib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20}


def child(kind: str, folder: Path) -> dict:
    proc = subprocess.run([sys.executable, __file__, f"--{kind}", str(folder)],
                          capture_output=True, text=True, check=False,
                          cwd=Path(__file__).resolve().parent.parent)
    if proc.returncode != 0:
        raise SystemExit(f"{kind} pipeline failed:\n{proc.stderr[-3000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main(n: int, smaller: int) -> None:
    big, truth = register_files(n)
    small, truth_small = register_files(n // smaller)
    duck = child("duckdb", big)
    print(f"register (DuckDB): {n:,} people, {duck['rows']:,} dispensing rows, "
          f"{duck['cases']:,} cases x 10 controls, 9 classes x 3 windows: "
          f"{duck['seconds']:.1f} s (load and validate {duck['load']:.1f} s, sets "
          f"{duck['sample']:.1f} s, exposure and models {duck['exposure_and_fit']:.1f} s), "
          f"peak {duck['peak_gib']:.2f} GiB, {duck['rows'] / duck['seconds']:,.0f} rows/s")
    duck_small = child("duckdb", small)
    plain = child("pandas", small)
    print(f"register (pandas): {n // smaller:,} people, {plain['rows']:,} rows: "
          f"{plain['seconds']:.1f} s, peak {plain['peak_gib']:.2f} GiB, "
          f"{plain['rows'] / plain['seconds']:,.0f} rows/s; DuckDB on the same register "
          f"{duck_small['seconds']:.1f} s")
    # the two pipelines agree on the smaller register
    from io import StringIO

    table = pd.read_json(StringIO(duck_small["table"]), orient="split")
    ours = table.set_index(["exposure_class", "window"])["ratio"]
    ref = pd.Series({(c, w): r for c, w, r in plain["ratios"]})
    diff = np.nanmax(np.abs(np.log(ours.reindex(ref.index).to_numpy()) - np.log(ref.to_numpy())))
    same_na = (ours.reindex(ref.index).isna().to_numpy() == ref.isna().to_numpy()).all()
    print(f"register: DuckDB and pandas odds ratios agree to {diff:.1e} on the log scale "
          f"({'the same' if same_na else 'DIFFERENT'} classes not estimable)")
    speed = (duck["rows"] / duck["seconds"]) / (plain["rows"] / plain["seconds"])
    print(f"register: DuckDB at full size {speed:.1f}x the rows per second of pandas at 1/"
          f"{smaller} size")
    goal = duck["seconds"] < 60 and duck["peak_gib"] < 8 and speed >= 20
    print(f"register: goal (< 60 s, < 8 GiB, >= 20x pandas' rows/s) "
          f"{'met' if goal else 'NOT met'}")
    record("register_seconds", duck["seconds"], "s")
    record("register_peak", duck["peak_gib"], "GiB")
    record("register_rows_per_second_vs_pandas", speed, "x", better="higher")
    record("register_pandas_seconds", plain["seconds"], "s")
    if diff > 1e-8 or not same_na:
        raise SystemExit("register: DuckDB and pandas pipelines disagree")
    del truth, truth_small


if __name__ == "__main__":
    if len(sys.argv) > 2 and sys.argv[1] in ("--duckdb", "--pandas"):
        run = duckdb_pipeline if sys.argv[1] == "--duckdb" else pandas_pipeline
        print(json.dumps(run(sys.argv[2])))
    else:
        main(int(sys.argv[1]) if len(sys.argv) > 1 else 2_000_000,
             int(sys.argv[2]) if len(sys.argv) > 2 else 10)
