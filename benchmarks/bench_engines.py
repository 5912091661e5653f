"""Benchmark: the LMM and Cox engines against statsmodels MixedLM, lifelines
CoxTimeVaryingFitter and (when Rscript is on the machine) lme4 and survival::coxph, all timed
in the same run on the same data (issue 5 goals: >= 50x faster than statsmodels / lifelines;
faster than R). Then how the engines' time grows from 1,000 to 100,000 patients.

Models: VAS ~ months since baseline + HADS-D with a random intercept and slope per patient;
Cox on (start, stop] rows with current pain (carried forward), age at onset and bulbar onset.
R is timed inside R (system.time around the fit only, data already loaded).

Run: ``python benchmarks/bench_engines.py [N_REFERENCE] [--quick]``.
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
from alspaincohort.stats.cox import CoxTimeVarying
from alspaincohort.stats.lmm import LinearMixedModel

LMM_FORMULA = "vas ~ months + hads_d"
COX_FORMULA = "pain + age + bulbar"


def make_data(n: int, seed: int = 1) -> tuple[pd.DataFrame, pd.DataFrame]:
    c = apc.simulate_cohort(n, seed=seed)
    b = c.baseline().set_index("patient_id")
    v = c.long("vas_pain")
    lmm = pd.DataFrame({"patient_id": v.patient_id, "vas": v.value,
                        "months": v.months_since_baseline,
                        "hads_d": v.patient_id.map(b.hads_d)}).dropna()
    cp = c.counting_process("vas_pain")
    cox = pd.DataFrame({"patient_id": cp.patient_id, "start": cp.start, "stop": cp.stop,
                        "event": cp.event, "pain": cp.value,
                        "age": cp.patient_id.map(b.age_at_onset),
                        "bulbar": (cp.patient_id.map(b.onset_site.astype(str)) == "bulbar")
                        .astype(int)})
    return lmm, cox


def best_of(f, repeat: int = 3) -> float:
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        f()
        times.append(time.perf_counter() - t0)
    return min(times)


def ours_lmm(d: pd.DataFrame, repeat: int = 3) -> float:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return best_of(lambda: LinearMixedModel().fit(d, LMM_FORMULA, "patient_id", "~ months"),
                       repeat)


def ours_cox(d: pd.DataFrame, repeat: int = 3) -> float:
    return best_of(lambda: CoxTimeVarying().fit(d, "patient_id", "start", "stop", "event",
                                                formula=COX_FORMULA), repeat)


def statsmodels_lmm(d: pd.DataFrame) -> float:
    import statsmodels.formula.api as smf

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return best_of(lambda: smf.mixedlm(LMM_FORMULA, d, groups="patient_id",
                                           re_formula="~ months").fit(reml=True), repeat=1)


def lifelines_cox(d: pd.DataFrame) -> float:
    from lifelines import CoxTimeVaryingFitter

    cols = ["patient_id", "start", "stop", "event", "pain", "age", "bulbar"]
    return best_of(lambda: CoxTimeVaryingFitter().fit(d[cols], id_col="patient_id",
                                                      start_col="start", stop_col="stop",
                                                      event_col="event"), repeat=1)


R_SCRIPT = """
suppressMessages({library(lme4); library(survival)})
a <- read.csv("%(lmm)s"); b <- read.csv("%(cox)s")
t1 <- min(replicate(3, system.time(lmer(vas ~ months + hads_d + (months | patient_id), data = a,
                                          REML = TRUE))["elapsed"]))
t2 <- min(replicate(3, system.time(coxph(Surv(start, stop, event) ~ pain + age + bulbar,
                                         data = b))["elapsed"]))
cat(t1, t2, "\\n")
"""


def r_times(lmm: pd.DataFrame, cox: pd.DataFrame) -> tuple[float, float] | None:
    if shutil.which("Rscript") is None:
        return None
    with tempfile.TemporaryDirectory() as tmp:
        lp, cp = Path(tmp) / "lmm.csv", Path(tmp) / "cox.csv"
        lmm.to_csv(lp, index=False)
        cox.to_csv(cp, index=False)
        script = Path(tmp) / "bench.R"
        script.write_text(R_SCRIPT % {"lmm": lp, "cox": cp})
        r = subprocess.run(["Rscript", str(script)], capture_output=True, text=True, check=False)
    if r.returncode != 0:
        print("R benchmark failed:", r.stderr.strip()[-300:])
        return None
    t1, t2 = (float(x) for x in r.stdout.split())
    return t1, t2


def main(n_ref: int, quick: bool) -> None:
    lmm, cox = make_data(n_ref)
    print(f"engines: {n_ref:,} patients -> LMM {len(lmm):,} visits, Cox {len(cox):,} "
          f"(start, stop] rows")
    ol, oc = ours_lmm(lmm), ours_cox(cox)
    sl, lc = statsmodels_lmm(lmm), lifelines_cox(cox)
    print(f"LMM : alspaincohort {ol:.3f} s | statsmodels MixedLM {sl:.2f} s -> {sl / ol:.0f}x "
          f"faster (goal >= 50x)")
    print(f"Cox : alspaincohort {oc:.3f} s | lifelines CoxTimeVaryingFitter {lc:.2f} s -> "
          f"{lc / oc:.0f}x faster (goal >= 50x)")
    r = r_times(lmm, cox)
    if r is None:
        print("R   : Rscript not available, lme4 / coxph not timed")
    else:
        record("lmm_time_vs_lme4", ol / r[0], "x")
        record("cox_time_vs_coxph", oc / r[1], "x")
        print(f"R   : lme4::lmer {r[0]:.3f} s -> ours {r[0] / ol:.1f}x R's speed; "
              f"survival::coxph {r[1]:.3f} s -> ours {r[1] / oc:.1f}x R's speed "
              "(goal: > 1x)")
    sizes = [1_000, 10_000] if quick else [1_000, 10_000, 100_000, 1_000_000]
    print("scaling (time per 1,000 patients should stay roughly flat; issue 19: near-linear "
          "to 1,000,000 patients):")
    per_1k = {}
    for n in sizes:
        lmm, cox = make_data(n, seed=2)
        # one LMM fit of a million patients takes a minute; the first fit of anything that
        # size also pays for first-touch memory, which the best of three leaves out
        tl, tc = ours_lmm(lmm, 1 if n >= 1_000_000 else 3), ours_cox(cox)
        per_1k[n] = (1000 * tl / n, 1000 * tc / n)
        print(f"  {n:>9,} patients: LMM {tl:7.3f} s ({1000 * tl / n:.4f} s/1k) | "
              f"Cox {tc:7.3f} s ({1000 * tc / n:.4f} s/1k)", flush=True)
        del lmm, cox
    big, small = max(per_1k), 10_000
    if big > small:
        for j, name in enumerate(("lmm", "cox")):
            growth = per_1k[big][j] / per_1k[small][j]
            record(f"{name}_growth_{small // 1000}k_to_{big // 1000}k", growth, "x")
            print(f"{name.upper()}: time per patient at {big:,} / at {small:,} = {growth:.2f} "
                  "(1 = linear)")


if __name__ == "__main__":
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    main(int(args[0]) if args else 10_000, "--quick" in sys.argv)
