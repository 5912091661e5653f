"""Simulation studies: estimator validation, power and sample size, locally or on Dask.

Each replicate draws a cohort with :func:`alspaincohort.simulate_cohort` (scenario = preset +
overrides) from its own child of ``numpy.random.SeedSequence(seed)`` (replicate r always gets
child r), applies an analysis and records named estimates. Because a replicate's randomness
depends only on (seed, r), results are identical whatever the backend, the number of workers or
the order in which replicates finish; an interrupted study resumes from the Parquet parts
already written (``out``), skipping finished replicates.

Performance measures (Morris, White & Crowther 2019, Stat Med 38:2074, Table 6), each with its
Monte-Carlo SE: bias, empirical SE, model SE (root mean squared SE), relative error of the
model SE (%), coverage of the CI, and rejection rate (power, or type I error under the null).

Ready-made analyses (functions of a Cohort; names for the CLI in :data:`ANALYSES`):
``pain_hr`` (log hazard ratio per point of current pain, time-varying Cox on carried-forward
VAS with age, bulbar onset, FTD, C9orf72 and definite El Escorial), ``vas_slope`` (mean VAS
slope among patients with pain, mixed model), ``vas_slope_difference`` (bulbar minus other
onset), ``prevalence_difference`` (pain at baseline, spinal minus bulbar onset, Wald CI), and
``qol_pain_effect`` (pain coefficient on ALSAQ-40 with and without HADS-D, OLS HC3).
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from .cohort import Cohort
from .errors import ModelWarning, ParameterError
from .result import Result
from .stats.base import Z95, one_blas_thread

ESTIMATE_COLUMNS = ["estimand", "estimate", "std_error", "ci_low", "ci_high", "p_value", "truth"]


# ----------------------------------------------------------------------------------------------
# ready-made analyses (module level: picklable for processes and Dask workers)
# ----------------------------------------------------------------------------------------------
def pain_hr(cohort: Cohort) -> list[dict[str, Any]]:
    """Log HR per point of current pain (:func:`~alspaincohort.pain_cox`: time-varying Cox,
    carried-forward VAS) adjusted for the generator's prognostic factors."""
    from .analysis.prognosis import pain_cox

    r = pain_cox(cohort, covariates=("age_at_onset", "bulbar", "ftd", "c9orf72",
                                     "definite_el_escorial"))
    fit = r.model
    est, se = float(fit.params_["pain"]), float(fit.bse_["pain"])
    return [_row("log_hr_pain", est, se, np.log(cohort.truth.estimands["hr_pain_per_point"]))]


def vas_slope(cohort: Cohort) -> list[dict[str, Any]]:
    """Mean VAS slope (points/month since baseline) among patients with pain."""
    from .analysis.trajectories import fit_trajectories

    r = fit_trajectories(cohort, time="months_since_baseline")
    row = r.table.set_index("term").loc["time"]
    return [_row("vas_slope", float(row.estimate), float(row.std_error),
                 cohort.truth.estimands["vas_slope_mean"], r.notes)]


def vas_slope_difference(cohort: Cohort) -> list[dict[str, Any]]:
    """Difference of the mean VAS slope, bulbar minus other onset sites
    (:func:`~alspaincohort.fit_trajectories` with ``by="bulbar"``)."""
    from .analysis.trajectories import fit_trajectories

    r = fit_trajectories(cohort, time="months_since_baseline", by="bulbar")
    row = r.table.set_index("term").loc["time:C(bulbar)[T.1.0]"]
    return [_row("vas_slope_bulbar_diff", float(row.estimate), float(row.std_error),
                 cohort.truth.estimands["vas_slope_bulbar_diff"], r.notes)]


def prevalence_difference(cohort: Cohort) -> list[dict[str, Any]]:
    """Pain prevalence at baseline, spinal minus bulbar onset (Wald CI)."""
    from .analysis.prevalence import prevalence

    t = prevalence(cohort, "any_pain", by="onset_site").table.set_index("stratum")
    p1, n1 = t.loc["spinal", "prevalence"], t.loc["spinal", "n"]
    p2, n2 = t.loc["bulbar", "prevalence"], t.loc["bulbar", "n"]
    se = float(np.sqrt(p1 * (1 - p1) / n1 + p2 * (1 - p2) / n2))
    truth = cohort.truth.estimands["pain_prevalence_by_onset_site"]
    return [_row("prevalence_spinal_minus_bulbar", float(p1 - p2), se,
                 truth["spinal"] - truth["bulbar"])]


def qol_pain_effect(cohort: Cohort) -> list[dict[str, Any]]:
    """Pain coefficient on the ALSAQ-40 index, adjusted for HADS-D (truth: the direct effect)
    and not (no closed-form truth: NaN)."""
    from .analysis.depression import depression_adjustment

    t = depression_adjustment(cohort).table
    t = t[t.term == "vas_pain"].set_index("model")
    truth = cohort.truth.estimands["qol_pain_effect_adjusted"]
    return [_row("qol_pain_adjusted", t.loc["depression", "estimate"],
                 t.loc["depression", "std_error"], truth),
            _row("qol_pain_unadjusted", t.loc["covariates", "estimate"],
                 t.loc["covariates", "std_error"], float("nan"))]


ANALYSES: dict[str, Callable[[Cohort], list[dict[str, Any]]]] = {
    "pain_hr": pain_hr,
    "vas_slope": vas_slope,
    "vas_slope_difference": vas_slope_difference,
    "prevalence_difference": prevalence_difference,
    "qol_pain_effect": qol_pain_effect,
}


def _row(name: str, est: float, se: float, truth: float, notes: Sequence[str] = ()
         ) -> dict[str, Any]:
    z = est / se if se > 0 else np.nan
    return {"estimand": name, "estimate": est, "std_error": se, "ci_low": est - Z95 * se,
            "ci_high": est + Z95 * se, "p_value": float(2 * stats.norm.sf(abs(z))),
            "truth": truth, "notes": list(notes)}


# ----------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Scenario:
    """A generating scenario: a preset and parameter overrides."""

    preset: str = "literature"
    overrides: tuple[tuple[str, Any], ...] = ()

    @classmethod
    def of(cls, scenario: str | dict[str, Any] | Scenario) -> Scenario:
        if isinstance(scenario, Scenario):
            return scenario
        if isinstance(scenario, str):
            return cls(scenario)
        if isinstance(scenario, dict):
            d = dict(scenario)
            preset = d.pop("preset", "literature")
            return cls(preset, tuple(sorted(d.items())))
        raise ParameterError("scenario must be a preset name, a dict or a Scenario")

    def __post_init__(self) -> None:
        # an unknown preset or a bad override fails here, before any replicate or progress bar
        from .synthetic.params import resolve_params

        resolve_params(self.preset, **dict(self.overrides))

    def label(self) -> str:
        extra = ", ".join(f"{k}={v}" for k, v in self.overrides)
        return self.preset + (f" ({extra})" if extra else "")


def run_replicate(scenario: Scenario, analysis: Callable[[Cohort], Any] | str, n_patients: int,
                  seed: int, replicate: int) -> list[dict[str, Any]]:
    """One replicate: cohort from child ``replicate`` of SeedSequence(seed), then the analysis.
    A failing analysis is recorded (error column), not raised, so one bad draw cannot stop a
    study."""
    from .synthetic import simulate_cohort

    func = ANALYSES[analysis] if isinstance(analysis, str) else analysis
    child = np.random.SeedSequence(seed, spawn_key=(replicate,))  # = .spawn(...)[replicate]
    # one BLAS thread per replicate, in every backend: the same replicate then gives the same
    # bits in the calling process, a process pool or a Dask worker (a multi-threaded BLAS
    # splits sums differently), and parallel replicates do not oversubscribe the cores
    with one_blas_thread():
        cohort = simulate_cohort(n_patients, seed=child, preset=scenario.preset,
                                 **dict(scenario.overrides))
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            try:
                rows = func(cohort)
                error = ""
            except Exception as err:  # noqa: BLE001 - recorded per replicate, never dropped
                rows = [dict.fromkeys(ESTIMATE_COLUMNS, np.nan)]
                error = f"{type(err).__name__}: {err}"
    # model warnings (singular or non-converged fits, numerical trouble) are counted, not lost
    notes = [str(w.message) for w in caught
             if issubclass(w.category, (ModelWarning, RuntimeWarning))
             or "Convergence" in w.category.__name__]
    for r in rows:  # a result's notes (e.g. a singular random-effect fit) count as warnings
        notes += list(r.pop("notes", []) or [])
    warning = "; ".join(dict.fromkeys(notes))
    return [{"replicate": replicate, "n_patients": n_patients, **r, "error": error,
             "warning": warning} for r in rows]


def summarise(results: pd.DataFrame, alpha: float = 0.05) -> pd.DataFrame:
    """Performance measures per (n_patients, estimand) with Monte-Carlo SEs (Morris et al.
    2019): n_sim, n_failed, n_warned (replicates whose fit warned: singular or not converged;
    the messages are in the replicates' ``warning`` column), mean, bias, bias_mcse, emp_se, emp_se_mcse, model_se,
    model_se_mcse, rel_error_model_se (%), rel_error_mcse, coverage, coverage_mcse,
    rejection, rejection_mcse."""
    rows = []
    for (n, est_name), g in results.groupby(["n_patients", "estimand"], sort=True):
        ok = g[g["error"] == ""]
        th = ok["estimate"].to_numpy(float)
        se = ok["std_error"].to_numpy(float)
        truth = float(ok["truth"].iloc[0]) if len(ok) else np.nan
        k = len(th)
        emp = th.std(ddof=1) if k > 1 else np.nan
        var_se2 = np.var(se**2, ddof=1) if k > 1 else np.nan
        model_se = np.sqrt(np.mean(se**2)) if k else np.nan
        cover = np.mean((ok["ci_low"] <= truth) & (truth <= ok["ci_high"])) if k else np.nan
        reject = np.mean(ok["p_value"] < alpha) if k else np.nan
        rows.append({
            "n_patients": n, "estimand": est_name, "truth": truth, "n_sim": k,
            "n_failed": int((g["error"] != "").sum()),
            "n_warned": int((ok["warning"].fillna("") != "").sum()) if "warning" in ok
            else 0, "mean": th.mean() if k else np.nan,
            "bias": th.mean() - truth if k else np.nan,
            "bias_mcse": np.sqrt(np.var(th, ddof=1) / k) if k > 1 else np.nan,
            "emp_se": emp, "emp_se_mcse": emp / np.sqrt(2 * (k - 1)) if k > 1 else np.nan,
            "model_se": model_se,
            "model_se_mcse": np.sqrt(var_se2 / (4 * k * model_se**2)) if k > 1 else np.nan,
            "rel_error_model_se": 100 * (model_se / emp - 1) if k > 1 else np.nan,
            "rel_error_mcse": 100 * (model_se / emp) * np.sqrt(
                var_se2 / (4 * k * model_se**4) + 1 / (2 * (k - 1))) if k > 1 else np.nan,
            "coverage": cover, "coverage_mcse": np.sqrt(cover * (1 - cover) / k) if k else
            np.nan,
            "rejection": reject, "rejection_mcse": np.sqrt(reject * (1 - reject) / k) if k
            else np.nan,
        })
    return pd.DataFrame(rows)


@dataclass(repr=False)
class SimulationResult(Result):
    """Replicate-level results and their summary (the :class:`~alspaincohort.result.Result`
    shape).

    Attributes
    ----------
    replicates : DataFrame
        replicate, n_patients, estimand, estimate, std_error, ci_low, ci_high, p_value, truth,
        error (empty when the analysis succeeded).
    table : DataFrame
        :func:`summarise` of the replicates.
    n_computed : int
        Replicates computed in this call (the others were read back from ``out``).
    """

    replicates: pd.DataFrame
    table: pd.DataFrame
    scenario: Scenario
    n_computed: int

    def plot(self, ax: Any = None) -> Any:
        """Each replicate's error against the truth (:func:`alspaincohort.plots.simulation_plot`)."""
        from .plots import simulation_plot

        return simulation_plot(self.replicates, ax=ax)

    def headline(self) -> str:
        n = self.replicates["replicate"].nunique() if len(self.replicates) else 0
        return (f"Simulation study: {n} replicate(s) per sample size "
                f"({self.n_computed} computed in this call)")

    @property
    def notes(self) -> list[str]:
        if "error" not in self.replicates or self.replicates.empty:
            return []
        failed = self.replicates[self.replicates["error"].astype(str) != ""]
        return ([f"{len(failed)} replicate row(s) failed; their errors are in "
                 "replicates['error']"] if len(failed) else [])


def _part_path(out: Path, n: int, r: int) -> Path:
    return out / f"n{n:07d}_r{r:07d}.parquet"


def simulation_study(scenario: str | dict[str, Any] | Scenario,
                     analysis: Callable[[Cohort], Any] | str, n_patients: int | Sequence[int],
                     n_replicates: int, seed: int, backend: str = "local", client: Any = None,
                     n_workers: int | None = None, out: str | Path | None = None,
                     progress: bool | None = None, alpha: float = 0.05) -> SimulationResult:
    """Run ``n_replicates`` replicates of ``analysis`` on cohorts of ``n_patients``.

    Parameters
    ----------
    scenario : str, dict or Scenario
        A preset name, a dict (``{"preset": ..., **overrides}``) or a :class:`Scenario`.
    analysis : str or callable
        A name of :data:`ANALYSES` or a picklable function Cohort -> list of dicts with the
        columns of :data:`ESTIMATE_COLUMNS`.
    n_patients : int or sequence of int
        One study per size; replicate seeds are shared across sizes.
    n_replicates : int
        Replicates per size.
    seed : int
        Replicate r draws its cohort from child r of ``SeedSequence(seed)``: the same seed gives
        identical output in every backend.
    backend : {"local", "dask"}
        Processes (``n_workers``, default all cores; 1 runs in-process) or Dask (``client``: a
        ``distributed.Client`` or a scheduler address; without it an embedded ``LocalCluster``
        of ``n_workers`` single-threaded processes).
    client : optional
        The Dask client or scheduler address.
    n_workers : int, optional
    out : str or Path, optional
        Each finished replicate is written there as a Parquet part; a rerun skips finished
        replicates (resume after interruption).
    progress : bool, optional
        A progress bar; default shown in interactive use only (:mod:`alspaincohort.progress`).
    alpha : float
        Significance level of the rejection rate.

    Returns
    -------
    SimulationResult
        ``replicates`` (replicate, n_patients, estimand, estimate, std_error, ci_low, ci_high,
        p_value, truth, error, warning); ``table``: :func:`summarise` of the replicates (n_sim,
        n_failed, n_warned, bias, coverage, ... with Monte-Carlo SEs); ``plot()``.

    Examples
    --------
    >>> r = simulation_study("literature", "vas_slope", 150, 2, seed=1, progress=False)
    >>> r.table[["estimand", "n_sim", "n_failed"]].values.tolist()
    [['vas_slope', 2, 0]]
    """
    sc = Scenario.of(scenario)
    sizes = ([int(n_patients)] if isinstance(n_patients, (int, np.integer))
             else [int(n) for n in n_patients])
    if isinstance(analysis, str) and analysis not in ANALYSES:
        raise ParameterError(f"unknown analysis {analysis!r}; known: {sorted(ANALYSES)}")
    tasks = [(n, r) for n in sizes for r in range(n_replicates)]
    out_dir = Path(out) if out is not None else None
    done: list[pd.DataFrame] = []
    if out_dir is not None:
        out_dir.mkdir(parents=True, exist_ok=True)
        remaining = []
        for n, r in tasks:
            part = _part_path(out_dir, n, r)
            if part.exists():
                done.append(pd.read_parquet(part))
            else:
                remaining.append((n, r))
        tasks = remaining
    rows = _execute(sc, analysis, tasks, seed, backend, client, n_workers, out_dir, progress)
    frames = done + [pd.DataFrame(r) for r in rows]
    reps = (pd.concat(frames, ignore_index=True) if frames else
            pd.DataFrame(columns=["replicate", "n_patients", *ESTIMATE_COLUMNS, "error"]))
    reps = reps.sort_values(["n_patients", "replicate", "estimand"], kind="stable",
                            ignore_index=True)
    return SimulationResult(reps, summarise(reps, alpha), sc, len(tasks))


def _execute(sc: Scenario, analysis: Any, tasks: list[tuple[int, int]], seed: int,
             backend: str, client: Any, n_workers: int | None, out: Path | None,
             progress: bool | None) -> list[list[dict[str, Any]]]:
    from .progress import bar as progress_bar

    bar = progress_bar(desc=sc.label(), progress=progress if tasks else False, total=len(tasks))
    results: list[list[dict[str, Any]]] = []

    def finish(rows: list[dict[str, Any]]) -> None:
        if out is not None:
            # Written under a temporary name and renamed: an interrupted study never leaves a
            # truncated part that a resume would take for a finished replicate.
            part = _part_path(out, rows[0]["n_patients"], rows[0]["replicate"])
            partial = part.with_name(part.name + ".partial")
            pd.DataFrame(rows).to_parquet(partial, index=False)
            os.replace(partial, part)
        results.append(rows)
        bar.update(1)

    try:
        if backend == "local":
            workers = n_workers or os.cpu_count() or 1
            if workers == 1:
                for n, r in tasks:
                    finish(run_replicate(sc, analysis, n, seed, r))
            else:
                with ProcessPoolExecutor(max_workers=workers) as pool:
                    futures = [pool.submit(run_replicate, sc, analysis, n, seed, r)
                               for n, r in tasks]
                    for fut in as_completed(futures):
                        finish(fut.result())
        elif backend == "dask":
            _run_dask(sc, analysis, tasks, seed, client, n_workers, finish)
        else:
            raise ParameterError("backend must be 'local' or 'dask'")
    finally:
        bar.close()
    return results


def _run_dask(sc: Scenario, analysis: Any, tasks: list[tuple[int, int]], seed: int,
              client: Any, n_workers: int | None, finish: Callable[[Any], None]) -> None:
    from distributed import Client, LocalCluster
    from distributed import as_completed as dask_completed

    own_cluster = None
    if client is None:
        own_cluster = LocalCluster(n_workers=n_workers or os.cpu_count() or 1,
                                   threads_per_worker=1, processes=True,
                                   dashboard_address=None)
        client = Client(own_cluster)
    elif isinstance(client, str):
        client = Client(client)
    try:
        futures = [client.submit(run_replicate, sc, analysis, n, seed, r, pure=False)
                   for n, r in tasks]
        for fut in dask_completed(futures):
            finish(fut.result())
    finally:
        if own_cluster is not None:
            client.close()
            own_cluster.close()


# ----------------------------------------------------------------------------------------------
@dataclass(repr=False)
class PowerCurveResult(Result):
    """Power by sample size.

    Attributes
    ----------
    table : DataFrame
        n_patients, power, mcse, ci_low, ci_high (Wilson, of the Monte-Carlo estimate), n_sim.
    smallest_n : int or None
        The smallest simulated n whose estimated power reaches ``target_power``.
    """

    table: pd.DataFrame
    smallest_n: int | None
    target_power: float
    estimand: str
    study: SimulationResult

    def plot(self, ax: Any = None) -> Any:
        from .plots import power_curve_plot

        return power_curve_plot(self, ax=ax)

    def headline(self) -> str:
        return f"Power for {self.estimand}: {self.conclusion()}"

    def conclusion(self) -> str:
        """The smallest n reaching the target power, or, when none of the sizes tried does,
        how far the largest got."""
        if self.smallest_n is not None:
            return (f"smallest n reaching {self.target_power:.0%} power: "
                    f"{self.smallest_n:,}")
        if self.table.empty:
            return "no sample size could be simulated"
        last = self.table.sort_values("n_patients").iloc[-1]
        return (f"none of the sample sizes tried reached {self.target_power:.0%} power; the "
                f"largest, {int(last.n_patients):,}, reached {last.power:.0%} (95% CI "
                f"{last.ci_low:.0%} to {last.ci_high:.0%}): try larger sample sizes")


def power_curve(scenario: str | dict[str, Any] | Scenario, analysis: Callable[..., Any] | str,
                n_patients: Sequence[int], n_replicates: int, seed: int,
                target_power: float = 0.8, estimand: str | None = None, alpha: float = 0.05,
                **kwargs: Any) -> PowerCurveResult:
    """Power (rejection rate at ``alpha``) at each sample size, with Monte-Carlo CIs.

    Parameters
    ----------
    scenario : str, dict or Scenario
        As :func:`simulation_study`.
    analysis : str or callable
        As :func:`simulation_study`.
    n_patients : sequence of int
        The sample sizes.
    n_replicates : int
        Replicates per sample size.
    seed : int
        Seed of the study; the same seed gives identical output.
    target_power : float
        The power to reach (``smallest_n``).
    estimand : str, optional
        The estimand whose test is counted (default: the analysis's first).
    alpha : float
        Significance level of each replicate's test.
    **kwargs
        Passed to :func:`simulation_study` (backend, n_workers, out, progress, ...).

    Returns
    -------
    PowerCurveResult
        ``table``: n_patients, power, mcse, ci_low, ci_high (Wilson, of the Monte-Carlo
        estimate), n_sim; ``smallest_n``; ``study`` (the :class:`SimulationResult`); ``plot()``.

    Examples
    --------
    >>> r = power_curve("literature", "vas_slope", [150], 2, seed=1, progress=False)
    >>> r.table.columns.tolist()[:2]
    ['n_patients', 'power']
    """
    from .analysis.prevalence import proportion_ci

    study = simulation_study(scenario, analysis, list(n_patients), n_replicates, seed,
                             alpha=alpha, **kwargs)
    s = study.table
    estimand = estimand or str(s["estimand"].iloc[0])
    s = s[s["estimand"] == estimand].sort_values("n_patients")
    hits = np.round(s["rejection"] * s["n_sim"])
    lo, hi = proportion_ci(hits, s["n_sim"], "wilson")
    table = pd.DataFrame({"n_patients": s["n_patients"].to_numpy(), "power":
                          s["rejection"].to_numpy(), "mcse": s["rejection_mcse"].to_numpy(),
                          "ci_low": lo, "ci_high": hi, "n_sim": s["n_sim"].to_numpy()})
    reach = table[table["power"] >= target_power]
    smallest = int(reach["n_patients"].iloc[0]) if len(reach) else None
    return PowerCurveResult(table, smallest, target_power, estimand, study)
