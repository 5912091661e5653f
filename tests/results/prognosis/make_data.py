"""Data for the prognosis references (run from the repository root):
``python tests/results/prognosis/make_data.py`` writes

- ``survival.csv``: one row per patient of a 600-patient synthetic cohort (seed 901): days
  from baseline to death, pain group, onset site, first composite event and its cause
  (1 death, 2 tracheostomy or full-time NIV), baseline VAS pain, age at onset, bulbar onset,
  FVC % predicted, and ``ctime_cont`` = ``ctime`` minus a uniform(0, 1) jitter (tie-free times
  for ``cmprsk::crr``);
- ``tv.csv``: the (start, stop] rows of ``pain_cox`` (current VAS pain carried forward, age at
  onset, bulbar onset) for death;

then ``Rscript tests/results/prognosis/reference.R``.
"""

from pathlib import Path

import numpy as np
import pandas as pd

import alspaincohort as apc
from alspaincohort.analysis.prognosis import pain_cox

HERE = Path(__file__).resolve().parent
c = apc.simulate_cohort(600, seed=901)
s = c.survival("death", "baseline")
comp = c.survival("composite", "baseline")
b = c.baseline()
cause = comp.event_type.astype(str).map({"death": 1, "tracheostomy": 2, "niv_full_time": 2,
                                         "censored": 0})
jitter = np.random.default_rng(901).uniform(0, 1, len(comp))
pd.DataFrame({"time": s.time_days, "event": s.event,
              "pain": np.where(b.vas_pain > 0, "pain", "no pain"),
              "site": b.onset_site.astype(str), "ctime": comp.time_days, "cause": cause,
              "vas": b.vas_pain, "age": b.age_at_onset,
              "bulbar": (b.onset_site.astype(str) == "bulbar").astype(int),
              "fvc": b.fvc_percent, "ctime_cont": comp.time_days - jitter}
             ).to_csv(HERE / "survival.csv", index=False)
tv = pain_cox(c, covariates=("age_at_onset", "bulbar")).data
tv[["patient_id", "start", "stop", "event", "pain", "age_at_onset", "bulbar"]].to_csv(
    HERE / "tv.csv", index=False)
