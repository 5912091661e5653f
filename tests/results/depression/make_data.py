"""Data for the depression-analysis references (run from the repository root):
``python tests/results/depression/make_data.py`` writes ``baseline.csv`` (one row per patient)
and ``repeated.csv`` (one row per visit) from a synthetic cohort (literature preset, 400
patients, seed 701) through ``alspaincohort.analysis.frames.analysis_frame``; then
``Rscript tests/results/depression/reference.R`` fits lm + sandwich (HC3) and geepack models.
"""

from pathlib import Path

import alspaincohort as apc
from alspaincohort.analysis.frames import analysis_frame

HERE = Path(__file__).resolve().parent
c = apc.simulate_cohort(400, seed=701)
cols = ["alsaq40", "vas_pain", "hads_d", "age_at_onset", "sex", "onset_site", "alsfrs_r"]
analysis_frame(c, cols, "baseline").dropna().to_csv(HERE / "baseline.csv", index=False)
analysis_frame(c, cols, "repeated").dropna().to_csv(HERE / "repeated.csv", index=False)
