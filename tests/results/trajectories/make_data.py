"""Data for the trajectory GEE reference (run from the repository root):
``python tests/results/trajectories/make_data.py`` writes ``vas_long.csv`` (VAS of patients with
pain, months since onset, from a 300-patient synthetic cohort, seed 801, via
``alspaincohort.analysis.trajectories.trajectory_frame``); then
``Rscript tests/results/trajectories/reference.R`` fits geepack::geeglm.
"""

from pathlib import Path

import alspaincohort as apc
from alspaincohort.analysis.trajectories import trajectory_frame

HERE = Path(__file__).resolve().parent
d = trajectory_frame(apc.simulate_cohort(300, seed=801), "vas_pain", "months_since_onset",
                     by="onset_site")
d[["patient_id", "time", "value", "onset_site"]].to_csv(HERE / "vas_long.csv", index=False)
