"""Benchmark: prognosis tools against their references, timed in the same run on the same data.

- concordance: Harrell's C on right-censored data, ours (O(n log^2 n)) against lifelines
  ``concordance_index``; and, when Rscript is available, Harrell's and Uno's C on
  right-censored and (start, stop] data against R ``survival::concordance`` at N patients, and
  Harrell's C again at 10 N;
- Fine-Gray (weights per risk set, robust SEs) and ``cox.zph``: ours against R ``finegray`` +
  ``coxph(..., cluster(id))``
  and ``cox.zph`` when Rscript is available (R timed inside R, data already loaded);
- ``incremental_value``: seconds per bootstrap replicate, in all and what each replicate adds
  beyond the fits on the cohort. No R package implements it; when Rscript is available the same
  replicate is timed in R as a reference that does less: ``coxph`` refits of both models from
  the cohort's estimates on the resample, then on the resample and on the cohort Harrell's and
  Uno's ``concordance`` and the calibration slope (``coxph`` of the linear predictor), without
  our time-dependent AUC, Brier score and observed/expected ratio.

Run: ``python benchmarks/bench_prognosis.py [N_PATIENTS] [--quick] [--iv-patients=N]``
(``incremental_value`` on N patients, default 2,000; 500 with ``--quick``).
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
from bench_engines import best_of  # the scripts run from this folder
from record import record  # noqa: E402 (benchmarks/record.py, beside this script)

import alspaincohort as apc
from alspaincohort.analysis.frames import covariate_frame, indicator_columns
from alspaincohort.analysis.incremental import incremental_value
from alspaincohort.analysis.prognosis import ENCALS_LIKE
from alspaincohort.stats.concordance import harrell_c, uno_c
from alspaincohort.stats.cox import CoxTimeVarying
from alspaincohort.stats.finegray import FineGray
from alspaincohort.stats.zph import cox_zph

R_SCRIPT = """
suppressMessages(library(survival))
d <- read.csv("%(path)s")
d$cf <- factor(d$cause, 0:2, c("censor", "death", "autonomy"))
d$id <- seq_len(nrow(d))
best <- function(f) min(sapply(1:3, function(i) system.time(f())[["elapsed"]]))
t_conc <- best(function() concordance(Surv(time, event) ~ lp, data = d, reverse = TRUE))
if (%(only_harrell)s) { cat(t_conc, "\\n"); quit(save = "no") }
t_uno <- best(function() concordance(Surv(time, event) ~ lp, data = d, reverse = TRUE,
                                      timewt = "n/G2", ymax = 365))
t_cp <- best(function() concordance(Surv(entry, time, event) ~ lp, data = d, reverse = TRUE))
t_fg <- best(function() {
  fg <- finegray(Surv(time, cf) ~ ., data = d[, c("time", "cf", "x1", "x2", "id")],
                 etype = "death")
  coxph(Surv(fgstart, fgstop, fgstatus) ~ x1 + x2 + cluster(id), weights = fgwt, data = fg)
})
fit <- coxph(Surv(time, event) ~ x1 + x2, data = d)
t_zph <- best(function() cox.zph(fit))
cat(t_conc, t_fg, t_zph, t_uno, t_cp, "\\n")
"""


def make_data(n: int, seed: int = 7) -> pd.DataFrame:
    """Competing-risks data with integer-day times (ties) and two covariates."""
    rng = np.random.default_rng(seed)
    x1, x2 = rng.normal(size=n), rng.binomial(1, 0.3, n)
    t1 = rng.exponential(700 / np.exp(0.4 * x1 + 0.3 * x2))
    t2 = rng.exponential(1400, n)
    c = rng.uniform(100, 1500, n)
    t = np.ceil(np.minimum.reduce([t1, t2, c]))
    cause = np.select([t1 <= np.minimum(t2, c), t2 <= np.minimum(t1, c)], [1, 2], 0)
    entry = np.floor(t * rng.uniform(0, 0.5, n))  # delayed entry for the (start, stop] timing
    return pd.DataFrame({"time": t, "cause": cause, "event": (cause == 1).astype(int),
                         "x1": x1, "x2": x2, "lp": 0.4 * x1 + 0.3 * x2, "entry": entry})


def ours_fine_gray(d: pd.DataFrame) -> int:
    """Fit the Fine-Gray model of cause 1 (weights per risk set, no expanded rows, robust SEs
    as R's cluster(id)); the rows fitted."""
    fit = FineGray().fit(d[["time", "cause", "x1", "x2"]], "time", "cause", 1,
                         formula="x1 + x2")
    return fit.n_obs_


def ours_zph(d: pd.DataFrame) -> Callable[[], object]:
    fit = CoxTimeVarying().fit(d.assign(start=0.0, id=np.arange(len(d))), "id", "start",
                               "time", "event", formula="x1 + x2")
    return lambda: cox_zph(fit)


def r_times(d: pd.DataFrame, only_harrell: bool = False) -> list[float] | None:
    if shutil.which("Rscript") is None:
        return None
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "d.csv"
        d.to_csv(path, index=False)
        script = Path(tmp) / "bench.R"
        script.write_text(R_SCRIPT % {"path": path,
                                      "only_harrell": "TRUE" if only_harrell else "FALSE"})
        r = subprocess.run(["Rscript", str(script)], capture_output=True, text=True,
                           check=False)
    if r.returncode != 0:
        print("R benchmark failed:", r.stderr.strip()[-300:])
        return None
    return [float(x) for x in r.stdout.split()]


R_REPLICATE = r"""
suppressMessages(library(survival))
a <- commandArgs(TRUE); d <- read.csv(a[1]); B <- as.integer(a[2])
cols <- setdiff(names(d), c("time", "event")); base <- head(cols, -1)
fb <- as.formula(paste("Surv(time, event) ~", paste(base, collapse = "+")))
ff <- as.formula(paste("Surv(time, event) ~", paste(cols, collapse = "+")))
m <- list(base = coxph(fb, d), full = coxph(ff, d))
set.seed(1)
one <- function() {
  s <- d[sample.int(nrow(d), replace = TRUE), ]
  for (k in c("base", "full")) {
    fit <- coxph(if (k == "base") fb else ff, s, init = coef(m[[k]]))
    for (x in list(s, d)) {
      x$lp <- predict(fit, newdata = x, type = "lp")
      concordance(Surv(time, event) ~ lp, data = x, reverse = TRUE)
      concordance(Surv(time, event) ~ lp, data = x, reverse = TRUE, timewt = "n/G2",
                  ymax = 24)
      coxph(Surv(time, event) ~ lp, x)
    }
  }
}
cat(system.time(for (b in seq_len(B)) one())[["elapsed"]] / B, "\n")
"""


def r_replicate_seconds(cohort: apc.Cohort, b: int) -> float | None:
    """R's time per replicate of the work of one ``incremental_value`` bootstrap replicate
    (``R_REPLICATE``) on the model frame ``incremental_value`` builds from ``cohort``."""
    if shutil.which("Rscript") is None:
        return None
    s = cohort.survival("death", "baseline").set_index("patient_id")
    frame = pd.DataFrame({"time": s["time_months"], "event": s["event"].astype(int)}).join(
        indicator_columns(covariate_frame(cohort, [*ENCALS_LIKE, "vas_pain"])))
    frame = frame[frame["time"] > 0].dropna()
    with tempfile.TemporaryDirectory() as tmp:
        path, script = Path(tmp) / "d.csv", Path(tmp) / "replicate.R"
        frame.to_csv(path, index=False)
        script.write_text(R_REPLICATE)
        r = subprocess.run(["Rscript", str(script), str(path), str(b)], capture_output=True,
                           text=True, check=False)
    if r.returncode != 0:
        print("R benchmark failed:", r.stderr.strip()[-300:])
        return None
    return float(r.stdout.split()[0])


def main(n: int, quick: bool, n_iv: int) -> None:
    from lifelines.utils import concordance_index

    d = make_data(n)
    print(f"prognosis: {n:,} patients, {int(d.event.sum()):,} deaths, "
          f"{int((d.cause == 2).sum()):,} competing events")
    t, e, lp, entry = (d[c].to_numpy() for c in ("time", "event", "lp", "entry"))
    ours_c = best_of(lambda: harrell_c(t, e, lp))
    ours_uno = best_of(lambda: uno_c(t, e, lp, tau=365))
    ours_cp = best_of(lambda: harrell_c(t, e, lp, start=entry))
    ll_c = best_of(lambda: concordance_index(d.time, -d.lp, d.event), repeat=1)
    ours_fg = best_of(lambda: ours_fine_gray(d))
    ours_z = best_of(ours_zph(d))
    print(f"Harrell's C : ours {ours_c:.3f} s, lifelines {ll_c:.3f} s -> "
          f"{ll_c / ours_c:.1f}x faster")
    r = r_times(d)
    if r is None:
        print(f"Fine-Gray   : ours {ours_fg:.3f} s; cox.zph ours {ours_z:.3f} s "
              "(Rscript not available, R not timed)")
    else:
        record("harrell_c_time_vs_r", ours_c / r[0], "x")
        record("uno_c_time_vs_r", ours_uno / r[3], "x")
        record("harrell_c_start_stop_time_vs_r", ours_cp / r[4], "x")
        record("finegray_time_vs_r", ours_fg / r[1], "x")
        record("cox_zph_time_vs_r", ours_z / r[2], "x")
        for name, ours, theirs in (("Harrell's C", ours_c, r[0]), ("Uno's C", ours_uno, r[3]),
                                   ("Harrell (start, stop]", ours_cp, r[4])):
            print(f"{name:<22}: ours {ours:.3f} s, R concordance {theirs:.3f} s -> "
                  f"{ours / theirs:.2f}x R's time (goal <= 1)")
        print(f"Fine-Gray   : ours {ours_fg:.3f} s, R finegray + coxph {r[1]:.3f} s -> "
              f"{r[1] / ours_fg:.2f}x")
        print(f"cox.zph     : ours {ours_z:.3f} s, R {r[2]:.3f} s -> {r[2] / ours_z:.2f}x")
        if not quick:
            big = make_data(10 * n, seed=8)
            bt, be, blp = (big[c].to_numpy() for c in ("time", "event", "lp"))
            ours_big = best_of(lambda: harrell_c(bt, be, blp))
            r_big = r_times(big, only_harrell=True)
            if r_big is not None:
                record("harrell_c_time_vs_r_10x", ours_big / r_big[0], "x")
                print(f"Harrell's C at {10 * n:,}: ours {ours_big:.3f} s, R {r_big[0]:.3f} s -> "
                      f"{ours_big / r_big[0]:.2f}x R's time (goal <= 1)")
    b = 10 if quick else 50 if n_iv <= 20_000 else 4
    c = apc.simulate_cohort(n_iv, seed=3)
    t = best_of(lambda: incremental_value(c, n_bootstrap=b, seed=1), repeat=1)
    t0 = best_of(lambda: incremental_value(c, n_bootstrap=0, seed=1))
    record("incremental_value_seconds_per_replicate", t / b, "s")
    # what each replicate adds (the fits and the calibration table on the cohort are done once)
    record("incremental_value_bootstrap_seconds_per_replicate", (t - t0) / b, "s")
    print(f"incremental_value: {n_iv:,} patients, {b} bootstrap replicates in {t:.2f} s "
          f"({t / b:.3f} s per replicate), without the bootstrap {t0:.2f} s: each replicate "
          f"adds {(t - t0) / b:.3f} s (goal < 0.02 s: "
          f"{'met' if (t - t0) / b < 0.02 else 'NOT met'})")
    r_rep = r_replicate_seconds(c, 20 if n_iv <= 20_000 else 3)
    if r_rep is not None:
        record("incremental_value_replicate_time_vs_r", (t - t0) / b / r_rep, "x")
        print(f"incremental_value replicate: ours {(t - t0) / b:.4f} s, the same refits and "
              f"concordances in R {r_rep:.4f} s -> {(t - t0) / b / r_rep:.2f}x R's time")


if __name__ == "__main__":
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    iv = [int(a.split("=", 1)[1]) for a in sys.argv[1:] if a.startswith("--iv-patients=")]
    main(int(args[0]) if args else 20000, "--quick" in sys.argv,
         iv[0] if iv else 500 if "--quick" in sys.argv else 2000)
