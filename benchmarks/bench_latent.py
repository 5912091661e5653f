"""Benchmark: the latent-class mixed model against R ``lcmm::hlme`` (issue 19 goal: the same
log-likelihood as hlme from the same starts and >= 10x faster), timed in the same run on the
same data.

Data: the VAS pain trajectories (months since baseline) of patients with some pain in a
synthetic cohort, as ``latent_trajectories`` fits them. Model: 2 classes, class-specific
intercept and slope, a random intercept and slope with a shared covariance (hlme's
``mixture = ~ time, random = ~ time, nwg = FALSE``). Both start from the same values (hlme's
``B``; ``LatentClassMixedModel(n_starts=0, init=...)``): the pooled least-squares line
shifted by half the spread of the patients' own intercepts either way, equal shares, the
covariance of the patients' own lines and the residual SD of the pooled line.

hlme runs with its default convergence criteria (what its users wait for); ours with its
default, tighter ``tol`` (Newton decrement 1e-10). R is timed inside R (``system.time``
around ``hlme`` only, best of 3, data already loaded); ours is the best of 3 too. hlme's
log-likelihood is corrected for its single-precision 2 pi (see
``tests/test_corpus_latent_class.py``) before the two are compared.

lcmm is not a Debian package: build it from its public source as the header of
``tests/results/trajectories/corpus/latent.R`` says; without it the R side is skipped.

Run: ``python benchmarks/bench_latent.py [N ...]`` (default 300, 2,000 and 10,000 cohort
patients).
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
from record import record  # noqa: E402 (benchmarks/record.py, beside this script)

import alspaincohort as apc
from alspaincohort.analysis.trajectories import trajectory_frame
from alspaincohort.stats.latent_class import LatentClassMixedModel

#: hlme adds 0.5 log(float32(2 pi) / 2 pi) to minus the log-likelihood per measurement.
_HLME_2PI = 0.5 * np.log(float(np.float32(2 * np.pi)) / (2 * np.pi))

R_SCRIPT = """
suppressMessages(library(lcmm))
d <- read.csv("%(data)s")
B <- scan("%(start)s", quiet = TRUE)
fit <- NULL
t <- min(replicate(3, system.time(fit <<- hlme(y ~ t, mixture = ~ t, random = ~ t,
  subject = "g", ng = 2, nwg = FALSE, data = d, B = B, verbose = FALSE))["elapsed"]))
cat(t, sprintf("%%.12f", fit$loglik), fit$conv, fit$niter, "\\n")
"""


def make_data(n: int, seed: int = 1) -> pd.DataFrame:
    d = trajectory_frame(apc.simulate_cohort(n, seed=seed))
    codes = pd.factorize(d["patient_id"], sort=True)[0] + 1
    return pd.DataFrame({"g": codes, "t": d["time"].to_numpy(float),
                         "y": d["value"].to_numpy(float)}).sort_values(["g", "t"],
                                                                       kind="stable")


def start(d: pd.DataFrame) -> dict:
    """The shared start (see the module docstring)."""
    X = np.column_stack([np.ones(len(d)), d["t"]])
    beta, *_ = np.linalg.lstsq(X, d["y"].to_numpy(), rcond=None)
    sigma = float(np.std(d["y"].to_numpy() - X @ beta))
    own = []
    for _, g in d.groupby("g"):
        if g["t"].nunique() > 1:
            own.append(np.polyfit(g["t"], g["y"], 1)[::-1])
    lines = np.array(own)
    cov = np.cov(lines.T)
    shift = 0.5 * float(np.sqrt(cov[0, 0]))
    return {"shares": [0.5, 0.5], "betas": [[beta[0] - shift, beta[1]],
                                            [beta[0] + shift, beta[1]]],
            "re_cov": cov.tolist(), "residual_sd": sigma}


def hlme_vector(init: dict) -> list[float]:
    """hlme's B: class logit, intercepts, slopes, D's upper triangle by column, sigma."""
    b = np.asarray(init["betas"])
    D = np.asarray(init["re_cov"])
    return [float(np.log(init["shares"][0] / init["shares"][1])), *b[:, 0], *b[:, 1],
            D[0, 0], D[0, 1], D[1, 1], init["residual_sd"]]


def ours(d: pd.DataFrame, init: dict) -> tuple[float, LatentClassMixedModel]:
    times, m = [], None
    for _ in range(3):
        m = LatentClassMixedModel(n_classes=2, n_starts=0)
        t0 = time.perf_counter()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            m.fit(d, "y", "t", "g", init=init)
        times.append(time.perf_counter() - t0)
    assert m is not None
    return min(times), m


def hlme(d: pd.DataFrame, init: dict) -> tuple[float, float, int, int] | None:
    if shutil.which("Rscript") is None:
        return None
    with tempfile.TemporaryDirectory() as tmp:
        dp, sp, rp = Path(tmp) / "d.csv", Path(tmp) / "b.txt", Path(tmp) / "hlme.R"
        d.to_csv(dp, index=False)
        sp.write_text(" ".join(repr(float(x)) for x in hlme_vector(init)))
        rp.write_text(R_SCRIPT % {"data": dp, "start": sp})
        r = subprocess.run(["Rscript", str(rp)], capture_output=True, text=True, check=False)
    if r.returncode != 0:
        print("latent: hlme not timed:", r.stderr.strip()[-300:])
        return None
    t, ll, conv, niter = r.stdout.split()
    return float(t), float(ll), int(conv), int(niter)


def main(sizes: list[int]) -> None:
    for n in sizes:
        d = make_data(n)
        init = start(d)
        seconds, m = ours(d, init)
        print(f"latent: {n:,} cohort patients -> {d['g'].nunique():,} with pain, "
              f"{len(d):,} measurements; 2 classes from the same start")
        r = hlme(d, init)
        if r is None:
            print(f"latent: alspaincohort {seconds:.3f} s, log-likelihood {m.llf_:.6f}; "
                  f"lcmm::hlme not available")
            continue
        t, ll, conv, niter = r
        ll_corrected = ll + _HLME_2PI * len(d)
        ratio = seconds / t
        record(f"latent_vs_hlme_{n}", ratio, "x")
        print(f"latent: alspaincohort {seconds:.3f} s (log-likelihood {m.llf_:.6f}, "
              f"{m.n_em_iter_} EM + {m.n_newton_iter_} Newton steps) | lcmm::hlme {t:.3f} s (log-likelihood "
              f"{ll_corrected:.6f} after its 2 pi correction, conv {conv}, {niter} "
              f"iterations) -> {ratio:.3f}x hlme's time, {1 / ratio:.1f}x faster (goal >= "
              f"10x: {'met' if ratio <= 0.1 else 'NOT met'}); log-likelihood ours - hlme = "
              f"{m.llf_ - ll_corrected:+.2e} (goal >= -1e-6 relative: "
              f"{'met' if m.llf_ - ll_corrected >= -1e-6 * abs(ll_corrected) else 'NOT met'})")


if __name__ == "__main__":
    main([int(a) for a in sys.argv[1:]] or [300, 2000, 10000])
