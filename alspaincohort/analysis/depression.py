"""Depression as covariate, confounder and mediator of pain's effect on quality of life.

- :func:`depression_adjustment`: the exposure (pain) coefficient in nested models - unadjusted,
  + covariates, + depression, + pain x depression - with change-in-estimate and tests between
  models. Baseline design: OLS with HC3 robust SEs (R ``lm`` + ``sandwich::vcovHC``, the
  default type) and likelihood-ratio tests; repeated design: GEE (exchangeable or AR(1),
  robust SEs, :class:`alspaincohort.stats.gee.GEE`, checked against geepack) with robust Wald
  tests, or the mixed-model engine (random intercept, ML) with likelihood-ratio tests.
- :func:`mediation`: natural direct and indirect effects of a linear mediator / outcome model
  pair (no exposure-mediator interaction): NIE = a b, NDE = c', proportion mediated; patient
  bootstrap CIs (percentile and BCa); Imai, Keele & Yamamoto (2010, Stat Sci 25:51) sensitivity
  to an unmeasured mediator-outcome confounder, ACME(rho) = a (s_y / s_m)
  (rho_tilde - rho sqrt((1 - rho_tilde^2) / (1 - rho^2))), with s_m, s_y the residual SDs of
  the mediator model and of the outcome model without the mediator and rho_tilde the
  correlation of those residuals.
- :func:`pain_depression_association`: odds ratios of pain given depression case status and of
  depression given pain (crude and adjusted), with the instrument and cut-off in the output.

Variables are visit scores (:data:`alspaincohort.variables.VISIT_SCORES`: pain, depression and QoL
scores at a visit) or baseline() columns (age_at_onset, sex, onset_site, ...). Missing values: listwise deletion on
the variables of the largest model, reported (``n_dropped``); ``missing="mice"`` instead pools
``n_imputations`` chained-equation imputations (:mod:`alspaincohort.stats.mice`) with Rubin's
rules and Barnard-Rubin degrees of freedom.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from .. import instruments as ins
from ..cohort import Cohort
from ..errors import ModelDataError, ParameterError
from ..progress import bar
from ..result import RatioResult, Result
from ..stats.base import Z95, one_blas_thread
from ..stats.bootstrap import bca_interval, jackknife_influence, percentile_interval
from ..stats.design import build, check_rank
from ..stats.logistic import fit_logit
from ..stats.mediation import (
    mediation_effects,
    mediation_effects_jackknife,
    mediation_effects_resampled,
    row_outer_products,
)
from ..validation import check_choice, check_cohort, check_integer, check_level
from ..variables import canonical
from .frames import analysis_frame, complete_cases, formula_terms


@dataclass(repr=False)
class DepressionAdjustmentResult(Result):
    """The exposure coefficient across nested models.

    Attributes
    ----------
    table : DataFrame
        model (unadjusted, covariates, depression, interaction), method, term, estimate,
        std_error, ci_low, ci_high, p_value, n, change_pct (change of the exposure estimate
        from the previous model, %), test (vs the previous model), statistic, df,
        test_p_value. The interaction model adds a row for the pain x depression term.
    fits : dict
        The fitted model objects by model name (also ``models``).
    n_dropped : int
        Rows left out for missing values (listwise, common to all models).
    """

    table: pd.DataFrame
    fits: dict[str, Any]
    n_dropped: int
    exposure: str
    depression: str
    outcome: str
    method: str
    pooled: pd.DataFrame | None = None

    def plot(self, ax: Any = None) -> Any:
        from ..plots import coefficient_plot

        return coefficient_plot(self.table[self.table.term == self.exposure], ax=ax,
                                title=f"{self.exposure} -> {self.outcome} ({self.method})")

    def headline(self) -> str:
        return (f"{self.exposure} -> {self.outcome}, with and without {self.depression} "
                f"({self.method}; {int(self.table['n'].iloc[0])} rows)")

    @property
    def notes(self) -> list[str]:
        return ([f"{self.n_dropped} row(s) left out for a missing value (listwise, the same "
                 "rows in every model)"] if self.n_dropped else [])

    def sections(self) -> list[tuple[str, pd.DataFrame]]:
        out = [("", self.table)]
        if self.pooled is not None:
            out.append(("Pooled over imputations (Rubin's rules)", self.pooled))
        return out


MODEL_NAMES = ("unadjusted", "covariates", "depression", "interaction")


def depression_adjustment(
    cohort: Cohort, outcome: str = "alsaq40", exposure: str = "vas_pain",
    depression: str = "hads_d",
    covariates: Sequence[str] = ("age", "sex", "onset_site", "alsfrs_r"),
    design: str = "baseline", method: str | None = None, cov_struct: str = "exchangeable",
    missing: str = "listwise", n_imputations: int = 20, seed: int = 0,
) -> DepressionAdjustmentResult:
    """The pain coefficient on QoL with and without depression in the model.

    Four nested models of ``outcome``: unadjusted (exposure only), + covariates, + depression,
    + exposure x depression; the exposure's estimate in each, its change from the previous model
    and a test of each added block.

    Parameters
    ----------
    cohort : Cohort
    outcome, exposure, depression : str
        Visit scores (:data:`alspaincohort.variables.VISIT_SCORES`), e.g. "alsaq40", "vas_pain",
        "hads_d" (or "adi12", "bdi2").
    covariates : sequence of str
        baseline() columns (aliases such as "age" resolved; categorical ones dummy-coded).
    design : {"baseline", "repeated"}
        One row per patient (values at baseline) or one per visit.
    method : {"ols", "gee", "mixed"}, optional
        OLS with HC3 SEs and t tests (baseline default), GEE with robust SEs (repeated default)
        or a random-intercept mixed model (ML, likelihood-ratio tests; repeated).
    cov_struct : {"exchangeable", "ar1", "independence"}
        GEE working correlation.
    missing : {"listwise", "mice"}
        Listwise deletion on the variables of the largest model (counted in ``notes``), or
        chained-equation multiple imputation pooled by Rubin's rules (baseline OLS only).
    n_imputations : int
        Imputations for ``missing="mice"`` (at least 2).
    seed : int
        Seed of the imputations.

    Returns
    -------
    DepressionAdjustmentResult
        ``table``: model, method, term, estimate, std_error, ci_low, ci_high, p_value, n,
        change_pct (change of the exposure estimate from the previous model, %), test (vs the
        previous model), statistic, df, test_p_value; ``pooled`` (with ``missing="mice"``);
        ``fits`` / ``models``: the fitted models by name.

    Examples
    --------
    >>> from alspaincohort import simulate_cohort
    >>> r = depression_adjustment(simulate_cohort(300, seed=1))
    >>> r.table["model"].unique().tolist()
    ['unadjusted', 'covariates', 'depression', 'interaction']
    """
    method = method or ("ols" if design == "baseline" else "gee")
    check_choice(method, "method", ("ols", "gee", "mixed"))
    check_choice(missing, "missing", ("listwise", "mice"))
    if missing == "mice":
        if design != "baseline":
            raise ParameterError("missing='mice': multiple imputation is available for the "
                                 "baseline design")
        check_integer(n_imputations, "n_imputations", 2)
    covs = [canonical(c) for c in covariates]
    d0 = analysis_frame(cohort, [outcome, exposure, depression, *covs], design)
    used = [outcome, exposure, depression, *covs]
    d = complete_cases(d0, used, "depression_adjustment")
    n_dropped = len(d0) - len(d)
    cov_terms = formula_terms(d, covs)
    rhs = {
        "unadjusted": [exposure],
        "covariates": [exposure, *cov_terms],
        "depression": [exposure, *cov_terms, depression],
        "interaction": [exposure, *cov_terms, depression, f"{exposure}:{depression}"],
    }
    models: dict[str, Any] = {}
    rows = []
    previous: Any = None
    for name in MODEL_NAMES:
        formula = f"{outcome} ~ " + " + ".join(rhs[name])
        fit, est, cov, llf = _fit(method, d, formula, cov_struct)
        models[name] = fit
        names = list(est.index)
        test: Any = np.nan
        stat = df = pval = np.nan
        if previous is not None:
            added = [t for t in names if t not in previous[0].index]
            test, stat, df, pval = _compare(method, previous, (est, cov, llf), added)
        for term in [exposure] + ([f"{exposure}:{depression}"] if name == "interaction"
                                  else []):
            se = float(np.sqrt(cov.loc[term, term]))
            z = float(est[term]) / se
            # OLS: t on the residual df (R's lm + coeftest); GEE and mixed: normal (geepack,
            # lme4's Wald z)
            ref = stats.t(float(fit.df_resid)) if method == "ols" else stats.norm
            crit = float(ref.ppf(0.975))
            rows.append({"model": name, "method": method, "term": term,
                         "estimate": float(est[term]), "std_error": se,
                         "ci_low": float(est[term]) - crit * se,
                         "ci_high": float(est[term]) + crit * se,
                         "p_value": float(2 * ref.sf(abs(z))), "n": len(d),
                         "change_pct": np.nan, "test": test, "statistic": stat, "df": df,
                         "test_p_value": pval})
        previous = (est, cov, llf)
    table = pd.DataFrame(rows)
    expo = table[table.term == exposure].reset_index()
    for i in range(1, len(expo)):
        prev = expo.loc[i - 1, "estimate"]
        table.loc[expo.loc[i, "index"], "change_pct"] = 100 * (expo.loc[i, "estimate"] - prev) \
            / prev if prev != 0 else np.nan
    result = DepressionAdjustmentResult(table, models, n_dropped, exposure, depression, outcome,
                                        method)
    if missing == "mice":
        result.pooled = _mice(d0[used], outcome, rhs, exposure, n_imputations, seed)
    return result


def _fit(method: str, d: pd.DataFrame, formula: str, cov_struct: str
         ) -> tuple[Any, pd.Series, pd.DataFrame, float]:
    import statsmodels.formula.api as smf

    if method == "ols":
        from ..validation import check_design_frame

        check_design_frame(d, formula, "ols")
        X = build(d, formula, what="ols").X
        check_rank(X, [f"column {j}" for j in range(X.shape[1])], f"ols design of {formula!r}")
        if len(d) <= X.shape[1]:
            raise ModelDataError(f"ols: {len(d)} complete rows for {X.shape[1]} coefficients "
                                 f"of {formula!r} leave no residual degrees of freedom")
        # t reference distribution with n - p df, as R's lm + sandwich::vcovHC + coeftest
        fit = smf.ols(formula, d).fit(cov_type="HC3", use_t=True)
        return fit, fit.params, fit.cov_params(), float(fit.llf)
    if method == "gee":
        from ..stats.gee import GEE

        fit = GEE(cov_struct).fit(d, formula, "patient_id")
        return fit, fit.params_, fit.cov_params_, float("nan")
    if method == "mixed":
        import warnings

        from ..stats.design import ModelWarning
        from ..stats.lmm import LinearMixedModel

        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ModelWarning)
            fit = LinearMixedModel(reml=False).fit(d, formula, "patient_id")
        return fit, fit.params_, fit.cov_params_, float(fit.llf_)
    raise ParameterError("method must be 'ols', 'gee' or 'mixed'")


def _compare(method: str, small: tuple[Any, ...], big: tuple[Any, ...],
             added: list[str]) -> tuple[str, float, float, float]:
    est, cov, llf = big
    if method in ("ols", "mixed"):
        stat = 2 * (llf - small[2])
        return "likelihood ratio", float(stat), float(len(added)), float(stats.chi2.sf(
            stat, len(added)))
    b = est[added].to_numpy()
    V = cov.loc[added, added].to_numpy()
    stat = float(b @ np.linalg.solve(V, b))
    return "robust Wald", stat, float(len(added)), float(stats.chi2.sf(stat, len(added)))


def _mice(d: pd.DataFrame, outcome: str, rhs: dict[str, list[str]], exposure: str,
          m: int, seed: int) -> pd.DataFrame:
    """Pooled exposure coefficient of each model over m chained-equation imputations
    (:func:`alspaincohort.stats.mice.impute`: categorical covariates imputed as categories, all
    draws from ``seed``), combined with Rubin's rules and Barnard-Rubin df
    (:func:`alspaincohort.stats.mice.pool`, as ``mice::pool``). Model-based OLS standard errors
    in each imputed dataset, as ``mice::pool`` of ``lm`` fits."""
    import statsmodels.formula.api as smf

    from ..stats.mice import impute, pool

    completed = impute(d, m=m, seed=seed)
    rows = []
    for name, terms in rhs.items():
        formula = f"{outcome} ~ " + " + ".join(terms)
        fits = [smf.ols(formula, c).fit() for c in completed]
        r = pool([f.params[exposure] for f in fits], [f.bse[exposure] ** 2 for f in fits],
                 df_complete=float(fits[0].df_resid))
        rows.append({"model": name, "term": exposure, "estimate": r["estimate"],
                     "std_error": r["std_error"], "ci_low": r["ci_low"],
                     "ci_high": r["ci_high"], "df": r["df"], "fmi": r["fmi"],
                     "n_imputations": m})
    return pd.DataFrame(rows)


# ----------------------------------------------------------------------------------------------
@dataclass(repr=False)
class MediationResult(Result):
    """Natural direct and indirect effects per unit of exposure.

    Attributes
    ----------
    table : DataFrame
        effect (indirect, direct, total, proportion_mediated), estimate, ci_low, ci_high
        (percentile), bca_low, bca_high (BCa), n_boot.
    sensitivity : DataFrame
        rho, acme: the indirect effect under a mediator-outcome error correlation rho.
    rho_at_zero : float
        The rho at which the indirect effect vanishes (= rho_tilde).
    covariate_terms : list of str
        The covariate columns of both models (categorical covariates as their dummies).
    """

    table: pd.DataFrame
    sensitivity: pd.DataFrame
    rho_at_zero: float
    n: int
    n_dropped: int
    boot: np.ndarray = field(repr=False)
    covariate_terms: list[str] = field(default_factory=list)

    def plot(self, ax: Any = None) -> Any:
        from ..plots import sensitivity_plot

        return sensitivity_plot(self.sensitivity, ax=ax)

    def headline(self) -> str:
        return (f"Mediation ({self.n} patients): indirect effect with bootstrap CIs; the "
                f"indirect effect vanishes at rho = {self.rho_at_zero:.2f}")

    @property
    def notes(self) -> list[str]:
        return ([f"{self.n_dropped} patient(s) left out for a missing value"]
                if self.n_dropped else [])


def mediation(cohort: Cohort, exposure: str = "vas_pain", mediator: str = "hads_d",
              outcome: str = "alsaq40",
              covariates: Sequence[str] = ("age", "sex", "onset_site", "alsfrs_r"),
              n_boot: int = 1000, seed: int | None = 0, level: float = 0.95,
              rho: Sequence[float] = tuple(np.round(np.arange(-0.9, 0.91, 0.05), 2)),
              progress: bool | None = None) -> MediationResult:
    """Mediation of the exposure's effect on the outcome through the mediator.

    Baseline data, linear models: mediator ~ exposure + covariates; outcome ~ exposure +
    mediator + covariates (no exposure-mediator interaction). The bootstrap resamples patients
    with ``numpy.random.default_rng(seed)``.

    Parameters
    ----------
    cohort : Cohort
    exposure, mediator, outcome : str
        Visit scores at baseline (e.g. "vas_pain", "hads_d", "alsaq40").
    covariates : sequence of str
        baseline() columns (aliases resolved; categorical ones dummy-coded).
    n_boot : int
        Bootstrap replicates (>= 1).
    seed : int or None
        Seed of the bootstrap; the same seed gives identical output.
    level : float
        Confidence level of the intervals (0 < level < 1).
    rho : sequence of float
        Mediator-outcome error correlations of the sensitivity analysis (Imai, Keele &
        Yamamoto 2010).
    progress : bool, optional
        A progress bar over the bootstrap; default shown in interactive use only
        (:mod:`alspaincohort.progress`).

    Returns
    -------
    MediationResult
        ``table``: effect (indirect, direct, total, proportion_mediated), estimate, ci_low,
        ci_high (percentile), bca_low, bca_high (BCa; empty where the interval does not exist),
        n_boot; ``sensitivity`` (rho, acme); ``rho_at_zero``; ``notes`` (patients left out).

    Examples
    --------
    >>> from alspaincohort import simulate_cohort
    >>> r = mediation(simulate_cohort(300, seed=1), n_boot=50)
    >>> r.table["effect"].tolist()
    ['indirect', 'direct', 'total', 'proportion_mediated']
    """
    check_integer(n_boot, "n_boot", 1)
    check_level(level)
    # every matrix here is small: BLAS threads gain nothing and, idle-spinning after each
    # call, take the cores from other jobs (benchmarks/bench_threads.py)
    with one_blas_thread():
        return _mediation(cohort, exposure, mediator, outcome, covariates, n_boot, seed, level,
                          rho, progress)


def _mediation(cohort: Cohort, exposure: str, mediator: str, outcome: str,
               covariates: Sequence[str], n_boot: int, seed: int | None, level: float,
               rho: Sequence[float], progress: bool | None) -> MediationResult:
    covs = [canonical(c) for c in covariates]
    d0 = analysis_frame(cohort, [outcome, exposure, mediator, *covs], "baseline")
    d = complete_cases(d0, list(d0.columns), "mediation")
    dummies = pd.get_dummies(d[covs], drop_first=True, dtype=float) if covs else \
        pd.DataFrame(index=d.index)
    cov_x = dummies.to_numpy(float)
    one = np.ones((len(d), 1))
    x = d[exposure].to_numpy(float)[:, None]
    mm = d[mediator].to_numpy(float)
    yy = d[outcome].to_numpy(float)
    X_m = np.hstack([one, x, cov_x])
    X_y = np.hstack([one, x, mm[:, None], cov_x])
    names = [str(c) for c in dummies.columns]
    est = mediation_effects(X_m, mm, X_y, yy, ["intercept", exposure, *names],
                            ["intercept", exposure, mediator, *names])
    rng = np.random.default_rng(seed)
    n = len(d)
    boot = np.empty((n_boot, 4))
    chunk = max(1, 60_000 // n)  # resamples per batch: a counts matrix of at most 480 kB
    # with few resamples per batch (large cohorts) the rows' outer products, which do not
    # change between batches, are made once (at 100,000 patients they were 28 of 43 ms per
    # resample); small cohorts make them per batch, holding no more memory
    outer = row_outer_products(X_m, X_y) if chunk < 8 else None
    with bar(desc="mediation bootstrap", progress=progress, total=n_boot) as shown:
        for lo in range(0, n_boot, chunk):
            hi = min(n_boot, lo + chunk)
            counts = np.stack([np.bincount(rng.integers(0, n, n), minlength=n)
                               for _ in range(hi - lo)])
            boot[lo:hi] = mediation_effects_resampled(X_m, mm, X_y, yy, counts, outer)
            shown.update(hi - lo)
        jack = mediation_effects_jackknife(X_m, mm, X_y, yy)
    pct = np.array([[(r := percentile_interval(boot[:, j], level))["low"], r["high"]]
                    for j in range(4)]).T
    bca = np.array([_bca(boot[:, j], est[j], jack[:, j], level) for j in range(4)])
    table = pd.DataFrame({"effect": ["indirect", "direct", "total", "proportion_mediated"],
                          "estimate": est, "ci_low": pct[0], "ci_high": pct[1],
                          "bca_low": bca[:, 0], "bca_high": bca[:, 1], "n_boot": n_boot})
    # sensitivity (Imai, Keele & Yamamoto 2010)
    res_m = mm - X_m @ np.linalg.lstsq(X_m, mm, rcond=None)[0]
    X_r = np.hstack([one, x, cov_x])
    res_y = yy - X_r @ np.linalg.lstsq(X_r, yy, rcond=None)[0]
    a = np.linalg.lstsq(X_m, mm, rcond=None)[0][1]
    rt = float(np.corrcoef(res_m, res_y)[0, 1])
    sm_, sy = res_m.std(), res_y.std()
    rho_arr = np.asarray(rho, dtype=float)
    acme = a * sy / sm_ * (rt - rho_arr * np.sqrt((1 - rt**2) / (1 - rho_arr**2)))
    sens = pd.DataFrame({"rho": rho_arr, "acme": acme})
    return MediationResult(table, sens, rt, n, len(d0) - n, boot, names)


def _bca(boot: np.ndarray, est: float, jack: np.ndarray, level: float) -> tuple[float, float]:
    """BCa limits (boot.ci's, :func:`alspaincohort.stats.bootstrap.bca_interval`); NaN where
    the interval does not exist (every replicate on one side of the estimate, or no
    influence), which the table then shows instead of a made-up limit."""
    if not np.isfinite(est) or not np.isfinite(jack).all():
        return float("nan"), float("nan")
    try:
        r = bca_interval(boot, est, jackknife_influence(jack), level)
    except ModelDataError:
        return float("nan"), float("nan")
    return r["low"], r["high"]


# ----------------------------------------------------------------------------------------------
def pain_depression_association(
    cohort: Cohort, pain: str = "any_pain", depression: str = "hads_d",
    cutoffs: Sequence[float | str] = (8, 11),
    covariates: Sequence[str] = ("age", "sex", "onset_site"),
) -> RatioResult:
    """Association of pain (a prevalence definition at baseline) and depression case status.

    Parameters
    ----------
    cohort : Cohort
    pain : str
        A prevalence definition (:data:`alspaincohort.analysis.prevalence.DEFINITIONS`).
    depression : {"hads_d", "adi12", "bdi2"}
        The depression instrument.
    cutoffs : sequence of float or str
        Case thresholds: numbers, or named cut-offs of the instrument ("case", "borderline",
        "major_depression", ...; docs/sources.md section 2).
    covariates : sequence of str
        baseline() columns of the adjusted (logistic) models.

    Returns
    -------
    RatioResult
        ``table``: one row per cut-off and direction: instrument, cutoff, direction ("pain given
        depression" or "depression given pain"), n, p_outcome_exposed, p_outcome_unexposed,
        risk_ratio, odds_ratio (crude), or_ci_low, or_ci_high (Woolf), p_value (Fisher exact),
        adjusted_or, adj_ci_low, adj_ci_high (logistic regression on ``covariates``); ``notes``
        (patients left out); ``fits`` (the logistic models); ``.plot()`` the adjusted ORs.

    Examples
    --------
    >>> from alspaincohort import simulate_cohort
    >>> r = pain_depression_association(simulate_cohort(300, seed=1), cutoffs=(8,))
    >>> r.table["direction"].tolist()
    ['pain given depression', 'depression given pain']
    """
    from .prevalence import DEFINITIONS, select_cases

    key = {"hads_d": "hads", "adi12": "adi12", "bdi2": "bdi2"}
    check_cohort(cohort, min_patients=1)
    check_choice(depression, "depression", sorted(key))
    check_choice(pain, "pain", sorted(DEFINITIONS))
    covs = [canonical(c) for c in covariates]
    d = analysis_frame(cohort, [depression, *covs], "baseline").set_index("patient_id")
    cases = select_cases(DEFINITIONS[pain].func(cohort), "baseline", 30).set_index("patient_id")
    joined = d.join(cases["case"].rename("pain"), how="inner").reset_index()
    d = complete_cases(joined, [depression, *covs, "pain"],
                       "pain_depression_association").set_index("patient_id")
    fits: dict[str, Any] = {}
    rows = []
    for cut in cutoffs:
        dep = ins.depression_case(d[depression], key[depression], cut)
        threshold = ins.DEPRESSION_CUTOFFS[(key[depression], "d" if depression == "hads_d"
                                            else "total")].get(cut, cut) if isinstance(
            cut, str) else cut
        frame = d.assign(dep=dep)
        tab = pd.crosstab(frame["dep"], frame["pain"]).reindex(index=[0.0, 1.0],
                                                               columns=[0.0, 1.0], fill_value=0)
        a, b_, c, dd = (tab.loc[1.0, 1.0], tab.loc[1.0, 0.0], tab.loc[0.0, 1.0],
                        tab.loc[0.0, 0.0])
        with np.errstate(divide="ignore", invalid="ignore"):
            odds = (a * dd) / (b_ * c)
            se = np.sqrt(1 / a + 1 / b_ + 1 / c + 1 / dd)
        p = stats.fisher_exact(tab.to_numpy()).pvalue
        terms = " + ".join(formula_terms(frame, covs))
        for direction, out, expo in (("pain given depression", "pain", "dep"),
                                     ("depression given pain", "dep", "pain")):
            fit = fit_logit(f"{out} ~ {expo}" + (f" + {terms}" if terms else ""),
                            frame.reset_index(), f"pain_depression_association ({direction}, "
                            f"cut-off {cut!r})")
            fits[f"{direction}, cut-off {threshold}"] = fit
            ci = fit.conf_int().loc[expo]
            exposed = frame[frame[expo] == 1][out].mean()
            unexposed = frame[frame[expo] == 0][out].mean()
            rows.append({"instrument": depression, "cutoff": threshold, "direction": direction,
                         "n": len(frame), "p_outcome_exposed": exposed,
                         "p_outcome_unexposed": unexposed,
                         "risk_ratio": exposed / unexposed if unexposed else np.nan,
                         "odds_ratio": float(odds), "or_ci_low": float(np.exp(np.log(odds)
                                                                           - Z95 * se)),
                         "or_ci_high": float(np.exp(np.log(odds) + Z95 * se)),
                         "p_value": float(p), "adjusted_or": float(np.exp(fit.params[expo])),
                         "adj_ci_low": float(np.exp(ci[0])), "adj_ci_high": float(np.exp(ci[1]))})
    notes = [f"{len(joined) - len(d)} of {len(joined)} patient(s) with a baseline pain "
             "status left out for a missing value"] if len(joined) > len(d) else []
    return RatioResult(pd.DataFrame(rows), f"Pain ({pain}) and depression ({depression}) at "
                       f"baseline, {len(d)} patients: adjusted odds ratios",
                       ("adjusted_or", "adj_ci_low", "adj_ci_high"), ("direction", "cutoff"),
                       notes, fits)
