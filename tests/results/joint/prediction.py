"""Reference for JointModel.predict_survival (run from the repository root after
reference.R): ``python tests/results/joint/prediction.py`` writes ``prediction_reference.csv``.

For the pbcseq data, Weibull and piecewise baselines with the value and both associations, the
probability that patients 2, 5 and 10 survive to 3 and 6 years given survival to the landmark
(2 years) and their log bilirubin values by then, at the fitted parameters (written beside
it), by direct numerical integration independent of the package's quadrature: the posterior
expectation over the random effects as a ratio of two integrals over the plane (scipy
``dblquad``, +-6 prior SDs, relative error 1e-7), each hazard integrated over time by adaptive
``quad`` (split at the baseline's knots). JM's ``survfitJM`` is not the reference: it samples
the random effects by Metropolis-Hastings (Monte Carlo error) or plugs in their mode.
"""

import warnings
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import integrate

from alspaincohort.stats.joint import JointModel

HERE = Path(__file__).resolve().parent
IDS, LANDMARK, HORIZONS = (2, 5, 10), 2.0, (3.0, 6.0)
warnings.simplefilter("ignore")
long = pd.read_csv(HERE / "pbc_long.csv")
surv = pd.read_csv(HERE / "pbc_surv.csv")
rows = []
for base in ("weibull", "piecewise"):
    for assoc in ("value", "both"):
        m = JointModel(baseline=base, association=assoc).fit(
            long, surv, "logbili ~ years", "~ years", "id", "years", "time", "death", "~ trt")
        theta = m.internal_params_.to_numpy()
        P = m._unpack(theta)
        beta, sig, L, g = P["beta"], np.exp(P["log_sigma"]), P["L"], P["gamma"]
        D = L @ L.T
        Dinv = np.linalg.inv(D)
        for sid in IDS:
            h = long[(long.id == sid) & (long.years <= LANDMARK)]
            y, tt = h.logbili.to_numpy(), h.years.to_numpy()
            trt = float(surv.loc[surv.id == sid, "trt"].iloc[0])

            def hazard(t, b, P=P, base=base, assoc=assoc, trt=trt, g=g, m=m, beta=beta):
                lin = 0.0
                if assoc in ("value", "both"):
                    lin += P["alpha"] * (beta[0] + b[0] + (beta[1] + b[1]) * t)
                if assoc in ("slope", "both"):
                    lin += P["alpha_slope"] * (beta[1] + b[1])
                if base == "weibull":
                    rho = np.exp(P["hazard"][0])
                    return rho * t ** (rho - 1) * np.exp(g[0] + g[1] * trt + lin)
                k = m._piece(np.array([t]))[0]
                return np.exp(P["hazard"][k] + g[0] * trt + lin)

            def cum(a, z, b, hazard=hazard, m=m):
                cuts = [a, *[k for k in m._bounds if a < k < z], z]
                return sum(integrate.quad(lambda t: hazard(t, b), cuts[i], cuts[i + 1],
                                          epsabs=1e-13, epsrel=1e-11)[0]
                           for i in range(len(cuts) - 1))

            def density(b0, b1, upto, y=y, tt=tt, beta=beta, sig=sig, Dinv=Dinv, cum=cum):
                b = np.array([b0, b1])
                r = y - (beta[0] + b0) - (beta[1] + b1) * tt
                return np.exp(-0.5 * r @ r / sig**2 - 0.5 * b @ Dinv @ b - cum(0.0, upto, b)
                              + 20.0)

            sd = np.sqrt(np.diag(D))
            vals = [integrate.dblquad(lambda b1, b0, u=u: density(b0, b1, u), -6 * sd[0],
                                      6 * sd[0], -6 * sd[1], 6 * sd[1], epsabs=0,
                                      epsrel=1e-7)[0] for u in (LANDMARK, *HORIZONS)]
            for u, v in zip(HORIZONS, vals[1:], strict=True):
                rows.append({"baseline": base, "association": assoc, "id": sid,
                             "landmark": LANDMARK, "time": u, "survival": v / vals[0]})
        rows += [{"baseline": base, "association": assoc, "id": -1, "landmark": np.nan,
                  "time": np.nan, "survival": np.nan, "param": n, "value": v}
                 for n, v in m.internal_params_.items()]
pd.DataFrame(rows).to_csv(HERE / "prediction_reference.csv", index=False)
