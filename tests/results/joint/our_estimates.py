"""Our estimates, for JM to start from (run from the repository root after make_data.py and
before reference.R): ``python tests/results/joint/our_estimates.py`` fits
``alspaincohort.stats.joint.JointModel`` (5 Gauss-Hermite points) to every data set, baseline and
association of the references and writes ``our_estimates.csv`` (data, method, param, name, value)
in JM's names: betas1, betas2, sigma, D11, D21, D22, gammas*, alpha, Dalpha, sigma.t, xi*.

JM's optimiser stops early on several of these data sets even with tightened tolerances (its
log-likelihood up to 0.2 below ours); reference.R therefore also runs JM from these values with
the tightened tolerances: where JM then stays, is its maximum.
"""

import sys
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

from alspaincohort.stats.joint import JointModel

HERE = Path(__file__).resolve().parent
SETS = {"pbc": ("logbili", "years", "~ trt"), "als_300": ("vas", "months", "~ age10 + bulbar"),
        "als_1000": ("vas", "months", "~ age10 + bulbar")}
rows = []
warnings.simplefilter("ignore")
for data, (y, t, w) in SETS.items():
    long = pd.read_csv(HERE / f"{data}_long.csv")
    surv = pd.read_csv(HERE / f"{data}_surv.csv")
    for baseline in ("weibull", "piecewise"):
        for param in ("value", "slope", "both"):
            m = JointModel(baseline=baseline, association=param, gh_points=5).fit(
                long, surv, f"{y} ~ {t}", f"~ {t}", "id", t, "time", "death", w)
            p = m.params_
            out = {"betas1": p["long: Intercept"], "betas2": p[f"long: {t}"],
                   "sigma": np.exp(p["log_sigma"]), "D11": p["D: Intercept,Intercept"],
                   "D21": p[f"D: {t},Intercept"], "D22": p[f"D: {t},{t}"]}
            for j, name in enumerate(n for n in p.index if n.startswith("surv: ")):
                out[f"gammas{j + 1}"] = p[name]
            if "alpha" in p:
                out["alpha"] = p["alpha"]
            if "alpha_slope" in p:
                out["Dalpha"] = p["alpha_slope"]
            if "log_shape" in p:
                out["sigma.t"] = np.exp(p["log_shape"])
            for j, name in enumerate(n for n in p.index if n.startswith("log_xi_")):
                out[f"xi{j + 1}"] = np.exp(p[name])
            rows += [{"data": data, "method": f"{baseline}-PH-aGH", "param": param,
                      "name": k, "value": repr(float(v))} for k, v in out.items()]
            print(data, baseline, param, f"{m.llf_:.6f}", file=sys.stderr)
pd.DataFrame(rows).to_csv(HERE / "our_estimates.csv", index=False)
