"""Write the data sets on which the LMM and Cox engines are compared with R (issue 5).

Run from the repository root: ``python tests/results/engines/make_data.py``; then
``Rscript tests/results/engines/reference.R`` fits them with lme4 and survival and writes
``reference.csv``. The tests read the CSV files and ``reference.csv``; they need no R.

Data sets
---------
lmm_vas.csv          synthetic cohort (literature preset, 400 patients), VAS over visits:
                     unbalanced (missed visits, deaths), random intercept and slope.
lmm_singular.csv     synthetic cohort whose VAS slopes do not vary between patients
                     (vas_slope_sd = 0): a random slope whose variance is near zero.
lmm_alsfrs.csv       synthetic cohort, ALSFRS-R total, random intercept only, categorical
                     onset site and age as fixed effects.
lmm_grunfeld.csv     statsmodels' Grunfeld investment panel (10 firms x 20 years), classic
                     public data: random intercept and slope on value by firm.
cox_tv.csv           (start, stop] data from a synthetic cohort: current pain (carried forward)
                     plus baseline covariates; times in days, so tied event times occur.
cox_ties.csv         the same intervals coarsened to 30-day units: heavy ties.
cox_baseline.csv     plain Cox data (start = 0): survival from baseline on baseline covariates.
cox_stanford.csv     lifelines' Stanford heart transplant data (counting process), public.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import statsmodels.api as sm
from lifelines.datasets import load_stanford_heart_transplants

import alspaincohort as apc

HERE = Path(__file__).resolve().parent


def _vas(cohort: apc.Cohort) -> pd.DataFrame:
    v = cohort.long("vas_pain")
    b = cohort.baseline()[["patient_id", "hads_d", "onset_site", "age_at_onset"]]
    v = v.merge(b, on="patient_id")
    v["bulbar"] = (v.onset_site == "bulbar").astype(int)
    return v[["patient_id", "months_since_baseline", "value", "hads_d", "bulbar"]].rename(
        columns={"months_since_baseline": "months", "value": "vas"})


def main() -> None:
    _vas(apc.simulate_cohort(400, seed=501)).to_csv(HERE / "lmm_vas.csv", index=False)
    _vas(apc.simulate_cohort(300, seed=502, vas_slope_sd=0.0)).to_csv(
        HERE / "lmm_singular.csv", index=False)
    c = apc.simulate_cohort(300, seed=503)
    a = c.long("alsfrs_r").merge(c.baseline()[["patient_id", "onset_site", "age_at_onset"]],
                                 on="patient_id")
    a = a[["patient_id", "months_since_onset", "value", "onset_site", "age_at_onset"]]
    a.rename(columns={"value": "alsfrs", "months_since_onset": "months"}).to_csv(
        HERE / "lmm_alsfrs.csv", index=False)
    g = sm.datasets.grunfeld.load_pandas().data
    g.assign(value=g.value / 1000, capital=g.capital / 1000).to_csv(
        HERE / "lmm_grunfeld.csv", index=False)

    c = apc.simulate_cohort(600, seed=504, hr_pain_per_point=1.2)
    cp = c.counting_process("vas_pain")
    b = c.baseline().set_index("patient_id")
    cp = cp.assign(
        age=cp.patient_id.map(b.age_at_onset),
        bulbar=(cp.patient_id.map(b.onset_site.astype(str)) == "bulbar").astype(int),
        ftd=cp.patient_id.map(b.ftd.astype(int)),
        sex=cp.patient_id.map(b.sex.astype(str)),
    ).rename(columns={"value": "pain"}).drop(columns="measured_day")
    cp.to_csv(HERE / "cox_tv.csv", index=False)
    # 30-day units: each interval ends at ceil(stop / 30) and starts where the previous one
    # ended; intervals that collapse are dropped and a patient's event moves to the patient's
    # last remaining interval
    coarse = cp.assign(stop=np.ceil(cp.stop / 30))
    coarse["start"] = coarse.groupby("patient_id").stop.shift(1).fillna(0.0)
    had_event = coarse.groupby("patient_id").event.transform("max")
    coarse = coarse[coarse.stop > coarse.start].copy()
    is_last = ~coarse.patient_id.duplicated(keep="last")
    coarse["event"] = (is_last & (coarse.patient_id.map(had_event.groupby(
        cp.patient_id).max()) == 1)).astype(int)
    coarse.to_csv(HERE / "cox_ties.csv", index=False)

    s = c.survival("death", "baseline").set_index("patient_id")
    base = b[["vas_pain", "age_at_onset", "progression_rate"]].dropna()
    base = base.assign(start=0.0, stop=s.loc[base.index, "time_days"],
                       event=s.loc[base.index, "event"])
    base = base[base.stop > 0].reset_index()
    base.to_csv(HERE / "cox_baseline.csv", index=False)
    load_stanford_heart_transplants().to_csv(HERE / "cox_stanford.csv", index=False)


if __name__ == "__main__":
    main()
