"""Benchmark: the mediation bootstrap against R's ``boot::boot`` (issue 19).

Goal: ``mediation(n_boot=1000)`` on 2,000 patients at least 10x faster than an R ``boot::boot``
loop doing the same product-of-coefficients bootstrap (two ``lm`` fits per replicate), the
jackknife for BCa's acceleration (two ``lm`` fits per patient) and ``boot.ci(type = c("perc",
"bca"))``, timed in the same run. Ours includes the same work:
1,000 replicates, the jackknife for BCa and both intervals, plus the sensitivity analysis.

Run: ``python benchmarks/bench_bootstrap.py [N] [B]`` (default 2,000 patients, 1,000
replicates). Needs ``Rscript`` with the boot package (Debian r-cran-boot); without it only our
time is printed.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from bench_engines import best_of  # the scripts run from this folder
from record import record  # noqa: E402 (benchmarks/record.py, beside this script)

import alspaincohort as apc
from alspaincohort.analysis.frames import analysis_frame, complete_cases

COVARIATES = ["age_at_onset", "sex", "onset_site", "alsfrs_r"]

R_SCRIPT = r"""
suppressPackageStartupMessages(library(boot))
args <- commandArgs(TRUE)
d <- read.csv(args[1], stringsAsFactors = TRUE)
B <- as.integer(args[2])
stat <- function(d, i) {
  s <- d[i, ]
  a <- coef(lm(hads_d ~ vas_pain + age_at_onset + sex + onset_site + alsfrs_r, s))[["vas_pain"]]
  f <- coef(lm(alsaq40 ~ vas_pain + hads_d + age_at_onset + sex + onset_site + alsfrs_r, s))
  ind <- a * f[["hads_d"]]
  c(ind, f[["vas_pain"]], ind + f[["vas_pain"]], ind / (ind + f[["vas_pain"]]))
}
set.seed(1)
t <- system.time({
  b <- boot(d, stat, R = B)
  # BCa's acceleration from the jackknife, computed once for the four statistics (boot.ci's
  # default regression estimate is NA when there are more patients than replicates)
  jack <- t(sapply(seq_len(nrow(d)), function(i) stat(d, -i)))
  for (j in 1:4) {
    L <- (nrow(d) - 1) * (mean(jack[, j]) - jack[, j])
    boot.ci(b, type = c("perc", "bca"), index = j, L = L)
  }
})[["elapsed"]]
cat(sprintf("%.4f\n", t))
"""


def main(n: int, b: int) -> None:
    cohort = apc.simulate_cohort(n, seed=1)
    ours = best_of(lambda: apc.mediation(cohort, n_boot=b, seed=1, progress=False))
    record("mediation_bootstrap_seconds", ours, "s")
    print(f"bootstrap: mediation, {n:,} patients, {b:,} replicates with jackknife and BCa: "
          f"{ours:.2f} s")
    if shutil.which("Rscript") is None:
        print("bootstrap: Rscript not found: no R reference")
        return
    frame = analysis_frame(cohort, ["alsaq40", "vas_pain", "hads_d", *COVARIATES], "baseline")
    frame = complete_cases(frame, list(frame.columns), "benchmark")
    with tempfile.TemporaryDirectory() as tmp:
        data, script = Path(tmp) / "d.csv", Path(tmp) / "boot.R"
        frame.to_csv(data, index=False)
        script.write_text(R_SCRIPT, encoding="utf-8")
        run = subprocess.run(["Rscript", str(script), str(data), str(b)], capture_output=True,
                             text=True, check=False)
    if run.returncode != 0:
        print(f"bootstrap: R failed: {run.stderr[-500:]}")
        return
    r_time = float(run.stdout.split()[-1])
    ratio = r_time / ours
    record("mediation_bootstrap_speedup_vs_r_boot", ratio, "x", "higher")
    goal = "met" if ratio >= 10 else "NOT met"
    print(f"bootstrap: R boot::boot + boot.ci {r_time:.2f} s: ours {ratio:.1f}x faster; goal "
          f">= 10x {goal}")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 2_000,
         int(sys.argv[2]) if len(sys.argv) > 2 else 1_000)
