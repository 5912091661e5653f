"""Data for the joint-model references (run from the repository root):
``python tests/results/joint/make_data.py`` writes, for synthetic ALS cohorts of 300 and 1,000
patients (seeds 2201, 2202; patients with pain only), ``als_<n>_long.csv`` (patient, months
since baseline, VAS pain; measurements before death or censoring) and ``als_<n>_surv.csv``
(patient, months from baseline to death or censoring, death, age at onset / 10, bulbar onset);
then ``Rscript tests/results/joint/reference.R`` exports ``pbc_long.csv`` / ``pbc_surv.csv``
from R's ``survival::pbcseq`` and fits ``JM::jointModel`` on every data set.
"""

from pathlib import Path

import pandas as pd

import alspaincohort as apc

HERE = Path(__file__).resolve().parent

for n, seed in ((300, 2201), (1000, 2202)):
    c = apc.simulate_cohort(n, seed=seed)
    s = c.survival("death", "baseline")
    b = c.baseline().set_index("patient_id")
    vas = c.long("vas_pain")
    with_pain = set(vas.loc[vas.value > 0, "patient_id"])
    surv = pd.DataFrame({"id": s.patient_id.astype(str), "time": s.time_months,
                         "death": s.event.astype(int)})
    surv = surv[surv.id.isin(with_pain) & (surv.time > 0)].reset_index(drop=True)
    surv["age10"] = (b.loc[surv.id, "age_at_onset"] / 10).round(4).to_numpy()
    surv["bulbar"] = (b.loc[surv.id, "onset_site"].astype(str) == "bulbar").astype(int).to_numpy()
    long = vas[vas.patient_id.isin(set(surv.id))][["patient_id", "months_since_baseline",
                                                   "value"]]
    long.columns = ["id", "months", "vas"]
    long = long.merge(surv[["id", "time"]], on="id")
    long = long[long.months < long.time].drop(columns="time")
    surv = surv[surv.id.isin(set(long.id))]
    long.round(6).to_csv(HERE / f"als_{n}_long.csv", index=False)
    surv.round(6).to_csv(HERE / f"als_{n}_surv.csv", index=False)
