"""Data for the prognosis references (run from the repository root):
``python tests/results/prognosis/make_data.py`` writes ``survival.csv`` (one row per patient of
a 600-patient synthetic cohort, seed 901: months from baseline to death, pain group, onset site,
first composite event cause); then ``Rscript tests/results/prognosis/reference.R``.
"""

from pathlib import Path

import numpy as np
import pandas as pd

import alspaincohort as apc

HERE = Path(__file__).resolve().parent
c = apc.simulate_cohort(600, seed=901)
s = c.survival("death", "baseline")
comp = c.survival("composite", "baseline")
b = c.baseline()
cause = comp.event_type.astype(str).map({"death": 1, "tracheostomy": 2, "niv_full_time": 2,
                                         "censored": 0})
pd.DataFrame({"time": s.time_days, "event": s.event,
              "pain": np.where(b.vas_pain > 0, "pain", "no pain"),
              "site": b.onset_site.astype(str), "ctime": comp.time_days, "cause": cause}
             ).to_csv(HERE / "survival.csv", index=False)
