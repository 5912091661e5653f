"""Benchmark: the joint model of VAS pain and death against R ``JM::jointModel`` (issue 22
goal: >= 10x faster on the same data and the same quadrature, at 300, 2,000 and 10,000
patients, with how time grows), timed in the same run.

Data: the ``latent_pain_hazard`` preset (the hazard follows the true pain trajectory), VAS
over months since baseline with a random intercept and slope, death with age at onset / 10
and bulbar onset; Weibull baseline, current-value association (JM's "weibull-PH-aGH",
pseudo-adaptive Gauss-Hermite with 5 points per random effect on both sides: JM would drop to 3
from 2,000 VAS values on, ours does not; 15-point Gauss-Kronrod).
Both sides include their own mixed-model fit (JM's ``lme`` is fitted and timed in R). R is
timed inside R (``system.time``), ours in Python, each once per size (JM at 10,000 patients
takes minutes). The log-likelihoods are printed side by side.

JM is not a Debian package: build it from its public source (github.com/drizopoulos/JM,
``R CMD INSTALL``) as ``tests/results/joint/reference.R`` says; without it the R side is
skipped.

Run: ``python benchmarks/bench_joint.py [N ...]`` (default 300, 2,000 and 10,000 patients).
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path

import pandas as pd
from record import record  # noqa: E402 (benchmarks/record.py, beside this script)

import alspaincohort as apc
from alspaincohort.stats.joint import JointModel

R_SCRIPT = """
suppressMessages({library(nlme); library(survival); library(JM)})
long <- read.csv("%(long)s"); surv <- read.csv("%(surv)s")
t <- system.time({
  lf <- lme(vas ~ months, random = ~ months | id, data = long)
  cf <- coxph(Surv(time, death) ~ age10 + bulbar, data = surv, x = TRUE)
  fit <- jointModel(lf, cf, timeVar = "months", method = "weibull-PH-aGH",
                    control = list(GHk = 5))
})[["elapsed"]]
cat(t, sprintf("%%.6f", as.numeric(logLik(fit))), "\\n")
"""


def make_data(n: int, seed: int = 22) -> tuple[pd.DataFrame, pd.DataFrame]:
    c = apc.simulate_cohort(n, seed=seed, preset="latent_pain_hazard")
    s = c.survival("death", "baseline")
    b = c.baseline().set_index("patient_id")
    ids = pd.factorize(s["patient_id"].astype(str), sort=True)[0] + 1
    surv = pd.DataFrame({"id": ids, "time": s["time_months"].to_numpy(),
                         "death": s["event"].astype(int).to_numpy(),
                         "age10": (b.loc[s["patient_id"].astype(str), "age_at_onset"]
                                   / 10).to_numpy(),
                         "bulbar": (b.loc[s["patient_id"].astype(str), "onset_site"]
                                    .astype(str) == "bulbar").astype(int).to_numpy()})
    surv = surv[surv["time"] > 0]
    v = c.long("vas_pain")
    idmap = dict(zip(s["patient_id"].astype(str), ids, strict=True))
    long = pd.DataFrame({"id": v["patient_id"].astype(str).map(idmap),
                         "months": v["months_since_baseline"], "vas": v["value"]})
    long = long.merge(surv[["id", "time"]], on="id")
    long = long[long["months"] < long["time"]].drop(columns="time")
    surv = surv[surv["id"].isin(set(long["id"]))]
    return long.sort_values(["id", "months"]), surv.sort_values("id")


def jm(long: pd.DataFrame, surv: pd.DataFrame) -> tuple[float, float] | None:
    if shutil.which("Rscript") is None:
        return None
    with tempfile.TemporaryDirectory() as tmp:
        lp, sp, rp = Path(tmp) / "l.csv", Path(tmp) / "s.csv", Path(tmp) / "jm.R"
        long.to_csv(lp, index=False)
        surv.to_csv(sp, index=False)
        rp.write_text(R_SCRIPT % {"long": lp, "surv": sp})
        r = subprocess.run(["Rscript", str(rp)], capture_output=True, text=True, check=False)
    if r.returncode != 0:
        print("joint: JM not timed:", r.stderr.strip()[-300:])
        return None
    t, ll = r.stdout.split()
    return float(t), float(ll)


def main(sizes: list[int]) -> None:
    previous = None
    for n in sizes:
        long, surv = make_data(n)
        t0 = time.perf_counter()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            m = JointModel().fit(long, surv, "vas ~ months", "~ months", "id", "months", "time",
                                 "death", "~ age10 + bulbar")
        ours = time.perf_counter() - t0
        record(f"joint_seconds_{n}", ours, "s")
        growth = "" if previous is None else (
            f"; x{ours / previous[1]:.1f} the time for x{n / previous[0]:.1f} the patients")
        previous = (n, ours)
        print(f"joint: {len(surv):,} patients, {len(long):,} VAS values, "
              f"{int(surv['death'].sum()):,} deaths: ours {ours:.2f} s (log-likelihood "
              f"{m.llf_:.4f}){growth}")
        r = jm(long, surv)
        if r is None:
            continue
        t, ll = r
        record(f"joint_vs_jm_{n}", ours / t, "x")
        print(f"joint: JM::jointModel {t:.2f} s (log-likelihood {ll:.4f}) -> {ours / t:.3f}x "
              f"JM's time, {t / ours:.1f}x faster (goal >= 10x: "
              f"{'met' if t / ours >= 10 else 'NOT met'}); log-likelihood ours - JM = "
              f"{m.llf_ - ll:+.2e}")


if __name__ == "__main__":
    main([int(a) for a in sys.argv[1:]] or [300, 2000, 10000])
