"""Does pain add prognostic value to a baseline survival model?

:func:`incremental_value` fits a baseline Cox model (ENCALS-like predictors re-estimated on the
cohort, or the published ENCALS linear predictor) and the same model plus pain, on the same
patients, and compares them by

- the likelihood-ratio test of the added terms;
- discrimination: Harrell's C, Uno's C (truncated at the last time of interest) and the
  cumulative/dynamic time-dependent AUC at each time;
- accuracy and calibration at each time: IPCW Brier score, observed / expected risk (1 -
  Kaplan-Meier over mean predicted risk), calibration slope (the Cox coefficient of the
  linear predictor), and a calibration table by risk group (``.plot_calibration()``);

each as apparent value, optimism-corrected value (Harrell's bootstrap: refit both models on
each bootstrap sample, optimism = performance on that sample - performance of the refitted
models on the original data; corrected = apparent - mean optimism) and, for the difference
between the models, a bootstrap percentile interval. Patients are resampled with their whole
record and every replicate uses ``seed``; a replicate whose fit fails is counted, not hidden.

The metrics come from :mod:`alspaincohort.stats.concordance` and
:mod:`alspaincohort.stats.prediction` (checked against ``survival::concordance`` and
``riskRegression::Score``); the Cox fits from :class:`~alspaincohort.stats.cox.CoxTimeVarying`.
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Sequence
from concurrent.futures import (
    FIRST_COMPLETED,
    Executor,
    ProcessPoolExecutor,
    as_completed,
    wait,
)
from contextlib import nullcontext
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from ..cohort import Cohort
from ..errors import ModelDataError, ModelWarning, ParameterError
from ..progress import bar
from ..result import Result
from ..stats.base import one_blas_thread
from ..stats.concordance import CensoringDistribution, harrell_and_uno_c
from ..stats.cox import CoxTimeVarying
from ..stats.prediction import brier_score, kaplan_meier_risk, time_dependent_auc
from ..stats.survival import kaplan_meier_table, survival_at
from ..validation import check_cohort, check_integer
from .frames import covariate_frame, indicator_columns
from .prognosis import ENCALS_LIKE

ENCALS_PUBLISHED = {"t_slope": -1.837, "t_diagnostic_delay": -2.373, "t_age": -0.267,
                    "t_fvc": 0.477, "bulbar": 0.269, "definite_el_escorial": 0.233,
                    "ftd": 0.388, "c9orf72": 0.256}


def encals_linear_predictor(cohort: Cohort) -> pd.Series:
    """The published ENCALS linear predictor at baseline (a per-patient variable, not an analysis).

    Westeneng et al. 2018 (docs/sources.md section 6), with the transformations and coefficients
    as seen in public code (not verified against the paper): tAGE = (age at onset / 100)^-2,
    tDXDELAY = (delay / 10)^-0.5 + ln(delay / 10) (delay in months), tSLOPE = (-slope + 0.1)^-0.5
    with slope = (ALSFRS-R - 48) / months since onset (= -progression_rate), tFVC =
    (FVC / 100)^-1 + (FVC / 100)^-0.5; LP = -1.837 tSLOPE - 2.373 tDXDELAY - 0.267 tAGE + 0.477
    tFVC + 0.269 bulbar + 0.233 definite El Escorial + 0.388 FTD + 0.256 C9orf72. Higher =
    higher risk. The published model's outcome is time from onset to death, tracheostomy or
    > 23 h/day NIV.

    Parameters
    ----------
    cohort : Cohort

    Returns
    -------
    Series
        The linear predictor, indexed by patient_id; NaN where a predictor is missing or out of
        the transformations' domain (delay or FVC <= 0).

    Examples
    --------
    >>> from alspaincohort import simulate_cohort
    >>> lp = encals_linear_predictor(simulate_cohort(50, seed=1))
    >>> lp.index.name
    'patient_id'
    """
    check_cohort(cohort)
    b = cohort.baseline().set_index("patient_id")
    cov = covariate_frame(cohort, ("bulbar", "definite_el_escorial", "ftd", "c9orf72"))
    delay = b["diagnostic_delay_months"].where(b["diagnostic_delay_months"] > 0) / 10
    fvc = b["fvc_percent"].where(b["fvc_percent"] > 0) / 100
    slope = -b["progression_rate"]
    parts = {
        "t_slope": (-slope + 0.1) ** -0.5,
        "t_diagnostic_delay": delay ** -0.5 + np.log(delay),
        "t_age": (b["age_at_onset"] / 100) ** -2,
        "t_fvc": fvc ** -1 + fvc ** -0.5,
        "bulbar": cov["bulbar"], "definite_el_escorial": cov["definite_el_escorial"],
        "ftd": cov["ftd"], "c9orf72": cov["c9orf72"],
    }
    lp = sum(ENCALS_PUBLISHED[k] * v.astype(float) for k, v in parts.items())
    return pd.Series(lp, index=b.index, name="encals_lp")


def _fit(frame: pd.DataFrame, cols: list[str]) -> CoxTimeVarying:
    d = frame.assign(_id=np.arange(len(frame)), _start=0.0)
    return CoxTimeVarying().fit(d, "_id", "_start", "time", "event", formula=" + ".join(cols))


@dataclass
class _Outcome:
    """Follow-up of one data set (the cohort, or a bootstrap sample) as arrays, with what the
    metrics of every model on it share: the censoring distribution G and the Kaplan-Meier
    risk at each time (computed once per data set, not once per model and metric)."""

    time: np.ndarray
    event: np.ndarray
    X: np.ndarray  # every full-model column; the base model's are the first ones
    censoring: CensoringDistribution = field(init=False, repr=False)
    km_risk: dict[float, float] = field(init=False, repr=False, default_factory=dict)

    def __post_init__(self) -> None:
        self.censoring = CensoringDistribution(self.time, self.event)

    def take(self, rows: np.ndarray) -> _Outcome:
        return _Outcome(self.time[rows], self.event[rows], self.X[rows])

    def observed_risk(self, at: float) -> float:
        """1 - Kaplan-Meier survival at ``at``."""
        if at not in self.km_risk:
            self.km_risk[at] = kaplan_meier_risk(self.time, self.event, at)
        return self.km_risk[at]


def _predict(model: CoxTimeVarying, X: np.ndarray, cols: list[str],
             times: Sequence[float]) -> tuple[np.ndarray, np.ndarray]:
    """Linear predictor x'beta and the predicted risk F(t) = 1 - exp(-H0(t) exp(x'beta)) of
    the model of ``cols`` (the first columns of ``X``)."""
    eta = X[:, :len(cols)] @ model.params_.reindex(cols, fill_value=0.0).to_numpy()
    return eta, 1.0 - np.exp(-np.outer(np.exp(eta), model.baseline_cumulative_hazard_at(times)))


def _metrics(model: CoxTimeVarying, data: _Outcome, cols: list[str],
             times: Sequence[float], training: bool = False) -> dict[tuple[str, float], float]:
    """Every metric of the model of ``cols`` on ``data`` (``training``: the data the model
    was fitted on, where the calibration slope is 1 exactly: the Cox score equations at the
    estimate, multiplied by it, are the score of the slope at 1, so no fit is needed)."""
    t, e = data.time, data.event
    eta, risk = _predict(model, data.X, cols, times)
    slope = 1.0 if training else CoxTimeVarying().fit_arrays(
        eta[:, None], t, e, init=np.ones(1)).params_.iloc[0]
    g = data.censoring
    harrell, uno = harrell_and_uno_c(t, e, eta, tau=max(times), censoring=g)
    out = {("harrell_c", np.nan): harrell, ("uno_c", float(max(times))): uno,
           ("calibration_slope", np.nan): float(slope)}
    for j, at in enumerate(times):
        out[("auc", float(at))] = time_dependent_auc(t, e, eta, at, censoring=g)
        out[("brier", float(at))] = brier_score(t, e, risk[:, j], at, censoring=g)
        out[("observed_expected", float(at))] = data.observed_risk(at) / risk[:, j].mean()
    return out


def _calibration_table(frame: pd.DataFrame, models: dict[str, CoxTimeVarying],
                       cols: dict[str, list[str]], times: Sequence[float],
                       n_groups: int) -> pd.DataFrame:
    time, event = frame["time"].to_numpy(dtype=float), frame["event"].to_numpy()
    rows = []
    for name, model in models.items():
        _, risk = _predict(model, frame[cols[name]].to_numpy(dtype=float), cols[name], times)
        for j, at in enumerate(times):
            group = pd.qcut(risk[:, j], n_groups, labels=False, duplicates="drop")
            for g in np.unique(group):
                sel = group == g
                # log-log interval (lifelines' "exponential Greenwood"); NaN beyond the
                # group's last follow-up time, where nothing is observed
                km = survival_at(kaplan_meier_table(time[sel], event[sel]), [at]).iloc[0]
                rows.append({"model": name, "time": float(at), "group": int(g) + 1,
                             "n": int(sel.sum()), "predicted": float(risk[sel, j].mean()),
                             "observed": 1 - km["survival"], "ci_low": 1 - km["ci_high"],
                             "ci_high": 1 - km["ci_low"]})
    return pd.DataFrame(rows)


@dataclass(repr=False)
class IncrementalValueResult(Result):
    """Base model against base model + added terms.

    Attributes
    ----------
    table : DataFrame
        One row per metric (and time): metric (harrell_c, uno_c, calibration_slope, auc,
        brier, observed_expected), time (months; NaN where the metric has none; for uno_c the
        truncation time), base, full, difference (full - base; apparent), base_corrected,
        full_corrected, difference_corrected (optimism-corrected), difference_ci_low,
        difference_ci_high (bootstrap percentile interval of the apparent difference in the
        bootstrap samples; none for the calibration slope, which is 1 in-sample).
    lr_test : dict
        statistic, df, p_value of the added terms (same patients in both models).
    calibration : DataFrame
        model, time, group (by predicted risk), n, predicted (mean predicted risk), observed
        (1 - Kaplan-Meier at time), ci_low, ci_high (95%, log-log; NaN where the group's
        survival is still 1 or the time is beyond its follow-up, as R's ``survfit``).
    fits : dict
        "base" and "full" fitted :class:`~alspaincohort.stats.cox.CoxTimeVarying` (also
        ``models``).
    coefficients : DataFrame
        model, term, hazard_ratio, hr_ci_low, hr_ci_high, p_value.
    n_patients, n_events, n_dropped_patients : int
        Patients used (complete for every base and added term, time > 0), their events, and
        the patients left out.
    n_bootstrap, n_bootstrap_failed : int
    """

    table: pd.DataFrame
    lr_test: dict[str, Any]
    calibration: pd.DataFrame
    fits: dict[str, CoxTimeVarying]
    coefficients: pd.DataFrame
    times: tuple[float, ...]
    n_patients: int
    n_events: int
    n_dropped_patients: int
    n_bootstrap: int
    n_bootstrap_failed: int
    description: str
    bootstrap: pd.DataFrame = field(repr=False, default_factory=pd.DataFrame)

    def plot_calibration(self, time: float | None = None, ax: Any = None) -> Any:
        from ..plots import calibration_plot

        return calibration_plot(self, time=time, ax=ax)

    def plot(self, ax: Any = None, time: float | None = None) -> Any:
        """The calibration figure (:meth:`plot_calibration`)."""
        return self.plot_calibration(time=time, ax=ax)

    def headline(self) -> str:
        from ..formatting import format_p

        lr = self.lr_test
        return (f"{self.description}; likelihood ratio {lr['statistic']:.2f} on {lr['df']} df, "
                f"{format_p(lr['p_value'])}")

    def sections(self) -> list[tuple[str, pd.DataFrame]]:
        return [("", self.table), ("Coefficients", self.coefficients)]

    @property
    def notes(self) -> list[str]:
        out = []
        if self.n_dropped_patients:
            out.append(f"{self.n_dropped_patients} patient(s) left out (a missing base or added"
                       " term, or no time at risk)")
        if self.n_bootstrap_failed:
            out.append(f"{self.n_bootstrap_failed} of {self.n_bootstrap} bootstrap replicates "
                       "could not be fitted and were left out")
        return out


def incremental_value(cohort: Cohort, base: Sequence[str] | str = ENCALS_LIKE,
                      added: Sequence[str] = ("vas_pain",), times: Sequence[float] = (12, 24),
                      endpoint: str = "death", n_bootstrap: int = 200, seed: int = 0,
                      n_groups: int = 5, progress: bool | None = None,
                      n_workers: int | None = 1, executor: Executor | None = None
                      ) -> IncrementalValueResult:
    """Prognostic value of ``added`` (baseline columns, e.g. VAS pain) beyond ``base``.

    Parameters
    ----------
    cohort : Cohort
    base : sequence of str or "encals_published"
        Baseline predictors re-estimated on the cohort (default ENCALS-like: age at onset,
        bulbar onset, diagnostic delay, progression rate, FVC, FTD, definite El Escorial;
        predictors missing for every patient are left out and named), or
        ``"encals_published"``: the published ENCALS linear predictor
        (:func:`encals_linear_predictor`) as the single baseline term (its coefficient
        re-estimated, i.e. recalibrated, on the cohort).
    added : sequence of str
        Terms added to the base model (baseline() columns).
    times : sequence of float
        Months after baseline for AUC, Brier score, observed/expected and calibration.
    endpoint : {"death", "composite"}
        Time from baseline to death, or to death, tracheostomy or full-time NIV.
    n_bootstrap : int
        Bootstrap replicates for optimism correction and the difference intervals (0 = none).
    seed : int
        Seed of the bootstrap.
    n_groups : int
        Risk groups of the calibration table.
    progress : bool, optional
        A progress bar over the bootstrap; default shown in interactive use only
        (:mod:`alspaincohort.progress`).
    n_workers : int or None
        Processes for the bootstrap (default 1: in this process; None: one per core). The
        resamples are drawn here in order, so the result is the same for any number.
    executor : concurrent.futures.Executor, optional
        Run the bootstrap's chunks on this executor instead (a process pool already started,
        or a Dask client's ``get_executor()``); ``n_workers`` then sizes the chunks only. The
        result is the same.

    Returns
    -------
    IncrementalValueResult
        ``table``: metric, time, base, full, difference, base_corrected, full_corrected,
        difference_corrected, difference_ci_low, difference_ci_high; ``lr_test``;
        ``calibration``; ``coefficients``; ``fits`` / ``models`` ("base", "full"); ``notes``;
        ``plot()`` (calibration).

    Examples
    --------
    >>> from alspaincohort import simulate_cohort
    >>> r = incremental_value(simulate_cohort(300, seed=1), n_bootstrap=0)
    >>> "harrell_c" in set(r.table["metric"])
    True
    """
    check_cohort(cohort, min_patients=1)
    check_integer(n_bootstrap, "n_bootstrap", 0)
    check_integer(n_groups, "n_groups", 2)
    if n_workers is not None:
        check_integer(n_workers, "n_workers", 1)
    if executor is not None and not isinstance(executor, Executor):
        raise ParameterError(f"executor must be a concurrent.futures.Executor, not "
                             f"{type(executor).__name__}")
    times = tuple(float(t) for t in times)
    if not times or min(times) <= 0:
        raise ParameterError("times must be positive months after baseline")
    s = cohort.survival(endpoint, "baseline").set_index("patient_id")
    frame = pd.DataFrame({"time": s["time_months"], "event": s["event"].astype(int)})
    if isinstance(base, str):
        if base != "encals_published":
            raise ParameterError("base must be a sequence of predictors or 'encals_published'")
        frame["encals_lp"] = encals_linear_predictor(cohort)
        base_cols, unavailable = ["encals_lp"], []
    else:
        cov = covariate_frame(cohort, list(base))
        unavailable = [c for c in base if cov[c].isna().all()]
        if unavailable and tuple(base) != ENCALS_LIKE:
            raise ParameterError(f"incremental_value: no patient has {unavailable}; a "
                                 "covariate you name is never left out silently")
        cov = indicator_columns(cov[[c for c in base if c not in unavailable]])
        base_cols = list(cov.columns)
        frame = frame.join(cov)
    add = indicator_columns(covariate_frame(cohort, list(added)))
    if add.isna().all().any():
        raise ParameterError(f"incremental_value: no patient has "
                             f"{list(add.columns[add.isna().all()])}")
    frame = frame.join(add)
    full_cols = base_cols + list(add.columns)
    frame = frame[frame["time"] > 0].dropna(subset=["time", "event", *full_cols])
    if frame["event"].sum() < 2 * len(full_cols):
        raise ModelDataError(f"incremental_value: {int(frame['event'].sum())} events for "
                             f"{len(full_cols)} terms; too few to compare models")
    for at in times:  # accuracy at a time beyond follow-up would be an extrapolation
        if not ((frame["time"] <= at) & (frame["event"] == 1)).any() \
                or not (frame["time"] > at).any():
            raise ParameterError(
                f"times: {at:g} months is outside the follow-up (events from "
                f"{frame.loc[frame['event'] == 1, 'time'].min():.1f} to last follow-up "
                f"{frame['time'].max():.1f} months); choose times with events before them and "
                "patients still followed after them")
    cols = {"base": base_cols, "full": full_cols}
    models = {k: _fit(frame, c) for k, c in cols.items()}
    data = _Outcome(frame["time"].to_numpy(dtype=float), frame["event"].to_numpy(dtype=int),
                    frame[full_cols].to_numpy(dtype=float))
    apparent = {k: _metrics(models[k], data, cols[k], times, training=True) for k in cols}
    lrt = 2 * (models["full"].llf_ - models["base"].llf_)
    lr_test = {"statistic": float(lrt), "df": len(full_cols) - len(base_cols),
               "p_value": float(stats.chi2.sf(lrt, len(full_cols) - len(base_cols)))}

    inits = {k: m.params_.reindex(cols[k], fill_value=0.0).to_numpy() for k, m in models.items()}
    boot_rows, failed = _bootstrap(data, inits, cols, times, n_bootstrap, seed, n_workers,
                                   progress, executor)
    n = len(frame)
    boot = pd.DataFrame(boot_rows)
    table = _summary_table(apparent, boot)
    coefs = pd.concat([m.summary.reset_index(names="term").assign(model=k)
                       for k, m in models.items()], ignore_index=True)[
        ["model", "term", "hazard_ratio", "hr_ci_low", "hr_ci_high", "p_value"]]
    base_desc = ("published ENCALS linear predictor (recalibrated)" if isinstance(base, str)
                 else ", ".join(base_cols))
    desc = (f"{endpoint} from baseline: base model ({base_desc}) vs + {', '.join(added)}; "
            f"{n} patients, {int(frame['event'].sum())} events; {n_bootstrap} bootstrap "
            f"replicates ({failed} failed)"
            + (f"; not in the data, left out: {', '.join(unavailable)}" if unavailable else ""))
    return IncrementalValueResult(
        table=table, lr_test=lr_test,
        calibration=_calibration_table(frame, models, cols, times, n_groups),
        fits=models, coefficients=coefs, times=times, n_patients=n,
        n_events=int(frame["event"].sum()), n_dropped_patients=cohort.n_patients - n,
        n_bootstrap=n_bootstrap, n_bootstrap_failed=failed, description=desc, bootstrap=boot)


def _bootstrap(data: _Outcome, inits: dict[str, np.ndarray], cols: dict[str, list[str]],
               times: Sequence[float], n_bootstrap: int, seed: int, n_workers: int | None,
               progress: bool | None, executor: Executor | None = None
               ) -> tuple[list[dict[str, Any]], int]:
    """Every replicate's rows and the number that failed. Resamples are drawn in order from
    one generator and handed out in chunks (to a process pool when ``n_workers`` > 1, or to
    ``executor``), at most two chunks per worker in flight, so memory stays bounded and the
    result does not depend on the number of workers."""
    rng = np.random.default_rng(seed)
    n = len(data.time)
    workers = n_workers or os.cpu_count() or 1
    size = 1 if workers == 1 else max(1, -(-n_bootstrap // (4 * workers)))
    starts = range(0, n_bootstrap, size)

    def draws(lo: int) -> list[tuple[int, np.ndarray]]:
        return [(b, rng.integers(0, n, n)) for b in range(lo, min(lo + size, n_bootstrap))]

    done: dict[int, tuple[list[dict[str, Any]], int]] = {}
    with bar(total=n_bootstrap, desc="incremental_value bootstrap", progress=progress) as pb:
        if workers == 1 and executor is None:
            for lo in starts:
                done[lo] = _replicates(data, inits, cols, times, draws(lo))
                pb.update(min(size, n_bootstrap - lo))
        else:
            with (nullcontext(executor) if executor is not None
                  else ProcessPoolExecutor(max_workers=workers)) as pool:
                pending: dict[Any, int] = {}
                for lo in starts:
                    if len(pending) >= 2 * workers:
                        finished, _ = wait(pending, return_when=FIRST_COMPLETED)
                        for fut in finished:
                            first = pending.pop(fut)
                            done[first] = fut.result()
                            pb.update(min(size, n_bootstrap - first))
                    pending[pool.submit(_replicates, data, inits, cols, times,
                                        draws(lo))] = lo
                for fut in as_completed(pending):
                    done[pending[fut]] = fut.result()
                    pb.update(min(size, n_bootstrap - pending[fut]))
    rows = [r for lo in sorted(done) for r in done[lo][0]]
    return rows, sum(f for _, f in done.values())


def _replicates(data: _Outcome, inits: dict[str, np.ndarray], cols: dict[str, list[str]],
                times: Sequence[float], draws: list[tuple[int, np.ndarray]]
                ) -> tuple[list[dict[str, Any]], int]:
    """The rows of the replicates ``draws`` (replicate number, resampled rows) and how many
    failed (module level: a process pool runs it)."""
    rows: list[dict[str, Any]] = []
    failed = 0
    with one_blas_thread():  # small matrices: threads only fight other jobs for the cores
        for b, idx in draws:
            out = _replicate(data.take(idx), data, inits, cols, times)
            if out is None:
                failed += 1
                continue
            rows += [{"replicate": b, **r} for r in out]
    return rows, failed


def _replicate(sample: _Outcome, data: _Outcome, inits: dict[str, np.ndarray],
               cols: dict[str, list[str]], times: Sequence[float]
               ) -> list[dict[str, Any]] | None:
    """Apparent (on the bootstrap sample) and test (on the original data) metrics of both
    models refitted on one bootstrap sample (Newton-Raphson started from the estimates on the
    original data: the same maximum in fewer steps); None when a fit fails or does not converge
    to finite coefficients (e.g. a sample in which a binary predictor separates the events)."""
    with warnings.catch_warnings():
        warnings.simplefilter("error", ModelWarning)
        # overflow on the way to a diverging fit; the fit then fails or warns (above)
        warnings.simplefilter("ignore", RuntimeWarning)
        try:
            out = []
            for k, init in inits.items():
                c = cols[k]
                fit = CoxTimeVarying().fit_arrays(sample.X[:, :len(c)], sample.time,
                                                  sample.event, names=c, init=init)
                app = _metrics(fit, sample, c, times, training=True)
                test = _metrics(fit, data, c, times)
                out += [{"model": k, "metric": key[0], "time": key[1], "apparent": app[key],
                         "test": test[key]} for key in app]
        except (ModelDataError, ModelWarning):
            return None
    return out


def _summary_table(apparent: dict[str, dict[tuple[str, float], float]],
                   boot: pd.DataFrame) -> pd.DataFrame:
    rows = []
    for key in apparent["base"]:
        metric, at = key
        row: dict[str, Any] = {"metric": metric, "time": at, "base": apparent["base"][key],
                               "full": apparent["full"][key]}
        row["difference"] = row["full"] - row["base"]
        if len(boot):
            sel = boot[(boot["metric"] == metric)
                       & ((boot["time"] == at) | (np.isnan(at) & boot["time"].isna()))]
            wide = sel.pivot(index="replicate", columns="model", values=["apparent", "test"])
            optimism = (wide["apparent"] - wide["test"]).mean()
            diff_boot = wide["apparent"]["full"] - wide["apparent"]["base"]
            diff_opt = ((wide["apparent"]["full"] - wide["test"]["full"])
                        - (wide["apparent"]["base"] - wide["test"]["base"])).mean()
            row["base_corrected"] = row["base"] - optimism["base"]
            row["full_corrected"] = row["full"] - optimism["full"]
            row["difference_corrected"] = row["difference"] - diff_opt
            # the apparent calibration slope is 1 by construction: no interval for it
            row["difference_ci_low"], row["difference_ci_high"] = (
                (np.nan, np.nan) if metric == "calibration_slope"
                else np.nanpercentile(diff_boot, [2.5, 97.5]))
        else:
            for c in ("base_corrected", "full_corrected", "difference_corrected",
                      "difference_ci_low", "difference_ci_high"):
                row[c] = np.nan
        rows.append(row)
    return pd.DataFrame(rows)
