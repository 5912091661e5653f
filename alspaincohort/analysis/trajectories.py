"""Longitudinal pain trajectories.

- :func:`fit_trajectories`: mean trajectory of a repeated measure on a chosen clock (months
  since onset, diagnosis or baseline, or months before death for end-of-life pain), linear or
  natural cubic spline time (formulaic ``cr``), optional subgroup interaction, covariates;
  fitted by the mixed-model engine (random intercept or intercept and slope) or by GEE
  (population average, robust SEs). Pattern-mixture view: ``by="dropout"`` groups patients by
  how long they were followed (the last visit's month since baseline, cut at
  ``dropout_cuts``), so the trajectories of patients who die or drop out early are seen next
  to those followed long; differences between patterns show how much a pooled trajectory
  depends on who stays (MAR would make them compatible).
- :func:`first_last_change`: per-patient change from first to last visit, as in the published
  VAS study (+1 point over a median 104 days).
- :func:`latent_trajectories`: latent-class linear mixed models (class-specific fixed effects,
  shared random-effect covariance and residual variance; lcmm's ``hlme``), fitted by
  :class:`alspaincohort.stats.latent_class.LatentClassMixedModel` for each number of classes;
  BIC chooses (table of log-likelihood, BIC and relative entropy per k).
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from ..cohort import Cohort
from ..errors import ModelDataError, ParameterError
from ..progress import bar
from ..result import Result
from ..stats.base import Z95
from ..stats.design import ModelWarning
from ..stats.gee import GEE
from ..stats.latent_class import LatentClassMixedModel
from ..stats.lmm import LinearMixedModel
from ..stats.rank_tests import signed_rank_test
from ..validation import check_choice, check_cohort, check_integer
from ..variables import DERIVED_INDICATORS, VISIT_SCORES, visit_score
from .frames import covariate_frame, formula_terms

CLOCKS = ("months_since_onset", "months_since_diagnosis", "months_since_baseline",
          "months_before_death")


def trajectory_frame(cohort: Cohort, measure: str = "vas_pain",
                     time: str = "months_since_baseline", only_with_pain: bool = True,
                     covariates: Sequence[str] = (), by: str | None = None,
                     dropout_cuts: Sequence[float] = (6, 12)) -> pd.DataFrame:
    """Long data: patient_id, day, value, time (on the chosen clock; for months_before_death
    time = -months before death, so time runs towards death at 0), covariates and ``by``."""
    check_cohort(cohort, min_patients=1)
    check_choice(time, "time", CLOCKS)
    inst, item = visit_score(measure)
    d = cohort.long(inst, item)
    if d["value"].notna().sum() == 0:
        raise ModelDataError(f"no {measure!r} measurements in the cohort (measures: "
                             f"{sorted(VISIT_SCORES)} or an instrument of the assessments table)")
    if time == "months_before_death":
        d = d[d["months_before_death"].notna()].assign(time=-d["months_before_death"])
    else:
        d = d.assign(time=d[time])
    d = d[d["time"].notna()]
    if only_with_pain and inst in ("vas_pain", "nrs_pain"):
        with_pain = d.groupby("patient_id")["value"].transform("max") > 0
        d = d[with_pain]
    if d.empty:
        raise ModelDataError(f"no {measure!r} measurement on the {time} clock"
                             + (" in patients with some pain" if only_with_pain else ""))
    b = cohort.baseline().set_index("patient_id")
    special = by in ("dropout", "depression")
    cov = covariate_frame(cohort, [*covariates, *([by] if by is not None and not special
                                                    else [])])
    for c in covariates:
        d[c] = d["patient_id"].map(cov[c])
    if by == "dropout":
        last = d.groupby("patient_id")["months_since_baseline"].transform("max")
        edges = [-np.inf, *dropout_cuts, np.inf]
        labels = [f"followed < {dropout_cuts[0]:g} months"] + [
            f"{lo:g}-{hi:g} months" for lo, hi in zip(dropout_cuts[:-1], dropout_cuts[1:],
                                                       strict=True)] + [
            f"followed >= {dropout_cuts[-1]:g} months"]
        d["dropout"] = pd.cut(last, edges, labels=labels, right=False).astype(str)
    elif by is not None:
        if by == "depression":
            d[by] = np.where(d["patient_id"].map(b["hads_d"]) >= 8, "HADS-D >= 8", "HADS-D < 8")
        elif by in DERIVED_INDICATORS:
            d[by] = d["patient_id"].map(cov[by])  # 0/1: C(by)[T.1.0] contrasts 1 with 0
        else:
            d[by] = d["patient_id"].map(cov[by]).astype(str)
    return d.reset_index(drop=True)


@dataclass(repr=False)
class TrajectoryResult(Result):
    """A fitted mean trajectory (the :class:`~alspaincohort.result.Result` shape).

    Attributes
    ----------
    table : DataFrame
        Fixed effects: term, estimate, std_error, z, p_value, ci_low, ci_high.
    model : LinearMixedModel or GEE
    data : DataFrame
        The long data used (patient_id, time, value, ...).
    time, measure, method, by : str
    notes : list of str
        The fit's warnings (e.g. a singular random-effect covariance), never hidden.
    """

    table: pd.DataFrame
    model: Any
    data: pd.DataFrame
    time: str
    measure: str
    method: str
    by: str | None
    spec: Any = field(repr=False, default=None)
    notes: list[str] = field(default_factory=list)

    def headline(self) -> str:
        n = self.data["patient_id"].nunique()
        return (f"Mean {self.measure} trajectory on {self.time} ({self.method}"
                + (f", by {self.by}" if self.by else "") + f"): {n} patients, "
                f"{len(self.data)} measurements")

    def population_curve(self, grid: Sequence[float] | None = None, level: str | None = None
                         ) -> pd.DataFrame:
        """Mean trajectory on a time grid with 95% CIs, for each subgroup when the model has
        one.

        The curve is the model's mean for a reference patient: numeric covariates at their
        mean over the rows used, categorical covariates at their most frequent level (the
        first in sorted order on ties), so it does not depend on the order of the data.

        Returns
        -------
        DataFrame: time, group ("all" without subgroups), estimate, std_error, ci_low,
        ci_high.
        """
        if grid is None:
            lo, hi = np.quantile(self.data["time"], [0.02, 0.98])
            points = np.linspace(lo, hi, 40)
        else:
            points = np.asarray(grid, dtype=float)
        grid_values = points
        levels = [None] if self.by is None else ([level] if level else
                                                 sorted(self.data[self.by].unique()))
        rows = []
        reference = {}
        for c in self.data.columns:
            if c in ("time", self.by):
                continue
            col = self.data[c]
            if pd.api.types.is_numeric_dtype(col) and not pd.api.types.is_bool_dtype(col):
                reference[c] = col.mean()
            else:
                counts = col.value_counts(sort=False)
                modal = counts[counts == counts.max()].index
                reference[c] = sorted(modal, key=str)[0] if len(modal) else np.nan
        ref = pd.DataFrame({c: [v] * len(grid_values) for c, v in reference.items()})
        for c in reference:
            if isinstance(self.data[c].dtype, pd.CategoricalDtype):
                ref[c] = pd.Categorical(ref[c], categories=self.data[c].cat.categories)
        for lv in levels:
            new = ref.assign(time=grid_values)
            if self.by is not None:
                new[self.by] = lv
                if isinstance(self.data[self.by].dtype, pd.CategoricalDtype):
                    new[self.by] = pd.Categorical(new[self.by],
                                                  categories=self.data[self.by].cat.categories)
            X = np.asarray(self.spec.get_model_matrix(new)[list(self.table["term"])], dtype=float)
            beta = self.table["estimate"].to_numpy()
            cov = self._cov()
            est = X @ beta
            se = np.sqrt(np.einsum("ij,jk,ik->i", X, cov, X))
            rows.append(pd.DataFrame({"time": grid_values,
                                      "group": lv if lv is not None else "all",
                                      "estimate": est, "std_error": se, "ci_low": est - Z95 * se,
                                      "ci_high": est + Z95 * se}))
        return pd.concat(rows, ignore_index=True)

    def _cov(self) -> np.ndarray:
        return np.asarray(self.model.cov_params_.loc[list(self.table["term"]),
                                                    list(self.table["term"])], dtype=float)

    def individual_curves(self, patient_ids: Sequence[str], grid: Sequence[float]
                          ) -> pd.DataFrame:
        """Predicted curves of individual patients (mixed model only: fixed + BLUPs)."""
        if self.method != "mixed":
            raise ParameterError("individual curves need the mixed model")
        first = self.data.drop_duplicates("patient_id").set_index("patient_id")
        rows = []
        for pid in patient_ids:
            new = pd.DataFrame({"time": np.asarray(grid, float)})
            for c in self.data.columns:
                if c not in ("time",):
                    new[c] = first.loc[pid, c] if c != "patient_id" else pid
            new["patient_id"] = pid
            rows.append(new.assign(predicted=self.model.predict(new).to_numpy()))
        return pd.concat(rows, ignore_index=True)[["patient_id", "time", "predicted"]]

    def plot(self, ax: Any = None, max_patients: int = 150, seed: int = 0) -> Any:
        from ..plots import trajectory_plot

        return trajectory_plot(self, ax=ax, max_patients=max_patients, seed=seed)


def _model_notes(caught: list[warnings.WarningMessage]) -> list[str]:
    """The messages of the model warnings caught (kept as the result's notes); any other
    warning is issued again."""
    notes = []
    for w in caught:
        if issubclass(w.category, ModelWarning):
            notes.append(str(w.message))
        else:
            warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)
    return notes


def fit_trajectories(cohort: Cohort, measure: str = "vas_pain",
                     time: str = "months_since_baseline", covariates: Sequence[str] = (),
                     random: str = "slope", spline_df: int | None = None,
                     by: str | None = None, method: str = "mixed",
                     cov_struct: str = "exchangeable", only_with_pain: bool = True,
                     dropout_cuts: Sequence[float] = (6, 12)) -> TrajectoryResult:
    """Mean trajectory of ``measure`` over ``time`` (see the module docstring).

    Parameters
    ----------
    cohort : Cohort
    measure : str
        A visit score or an instrument of the assessments table (default "vas_pain").
    time : {"months_since_baseline", "months_since_onset", "months_since_diagnosis", "months_before_death"}
        The clock (default: since baseline, as every analysis).
    covariates : sequence of str
        baseline() columns (categorical ones dummy-coded) or the derived indicators "bulbar" /
        "definite_el_escorial".
    random : {"slope", "intercept"}
        Random intercept and slope on linear time, or a random intercept (mixed model).
    spline_df : int, optional
        A natural cubic spline of time with that many degrees of freedom instead of linear time.
    by : str, optional
        onset_site, sex, depression (HADS-D >= 8), dropout (pattern mixture), a derived
        indicator (0/1, e.g. "bulbar") or any baseline() column, entered with its interaction
        with time.
    method : {"mixed", "gee"}
    cov_struct : {"exchangeable", "ar1", "independence"}
        GEE working correlation.
    only_with_pain : bool
        Patients with some pain only (pain measures).
    dropout_cuts : sequence of float
        Months of follow-up that define the dropout patterns of ``by="dropout"``.

    Returns
    -------
    TrajectoryResult
        ``table``: term, estimate, std_error, z, p_value, ci_low, ci_high (fixed effects);
        ``model``; ``data`` (the long data used); ``notes`` (the fit's warnings, e.g. a singular
        random-effect covariance); ``population_curve()``, ``individual_curves()``, ``plot()``.

    Examples
    --------
    >>> from alspaincohort import simulate_cohort
    >>> r = fit_trajectories(simulate_cohort(300, seed=1))
    >>> r.table["term"].tolist()
    ['Intercept', 'time']
    """
    check_choice(random, "random", ("intercept", "slope"))
    check_choice(method, "method", ("mixed", "gee"))
    if spline_df is not None:
        check_integer(spline_df, "spline_df", 2)
    d = trajectory_frame(cohort, measure, time, only_with_pain, covariates, by, dropout_cuts)
    # centred natural cubic regression spline (its raw basis sums to one, like the intercept)
    time_term = ("time" if spline_df is None
                 else f"cr(time, df={spline_df}, constraints='center')")
    terms = formula_terms(d, covariates)
    rhs = [time_term] + terms
    if by is not None:
        rhs = [f"{time_term} * C({by})"] + terms
    formula = "value ~ " + " + ".join(rhs)
    model: Any
    if method == "mixed":
        re = "~ time" if random == "slope" else "~ 1"
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", ModelWarning)
            model = LinearMixedModel().fit(d, formula, "patient_id", re)
        notes = _model_notes(caught)
        table = model.summary.reset_index(names="term")
        spec = model.model_spec_
    elif method == "gee":
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", ModelWarning)
            model = GEE(cov_struct).fit(d, formula, "patient_id")
        notes = _model_notes(caught)
        table = model.summary.reset_index(names="term")
        spec = model.model_spec_
    else:
        raise ParameterError("method must be 'mixed' or 'gee'")
    return TrajectoryResult(table, model, d, time, measure, method, by, spec, notes)


# ----------------------------------------------------------------------------------------------
def first_last_change(cohort: Cohort, measure: str = "vas_pain", only_with_pain: bool = True
                      ) -> FirstLastChangeResult:
    """Change from each patient's first to last visit (patients with >= 2 visits).

    Parameters
    ----------
    cohort : Cohort
    measure : str
        A visit score or instrument (default "vas_pain").
    only_with_pain : bool
        For pain measures, only patients with some pain at any visit.

    Returns
    -------
    FirstLastChangeResult
        ``table``, one row: measure, n, median_interval_days, min_interval_days,
        max_interval_days, mean_change, ci_low, ci_high (95%, t), t_statistic, t_p_value (paired
        t test), wilcoxon_statistic (R's V: sum of the ranks of positive changes),
        wilcoxon_p_value (R's ``wilcox.test(last, first, paired = TRUE)``: exact below 50 pairs
        without ties or zeros, else normal with continuity correction); ``patients``
        (patient_id, first_day, last_day, first, last, interval_days, change; never printed);
        ``notes``; ``plot()`` (histogram of the changes).

    Raises
    ------
    ModelDataError
        Fewer than two patients qualify, or every change is the same (the paired t test is
        undefined; R's ``t.test`` stops there too).

    Examples
    --------
    >>> from alspaincohort import simulate_cohort
    >>> r = first_last_change(simulate_cohort(300, seed=1))
    >>> int(r.table["n"].iloc[0]) == len(r.patients)
    True
    """
    check_cohort(cohort, min_patients=1)
    inst, item = visit_score(measure)
    d = cohort.long(inst, item).sort_values(["patient_id", "day"])
    if only_with_pain and inst in ("vas_pain", "nrs_pain"):
        d = d[d.groupby("patient_id")["value"].transform("max") > 0]
    g = d.groupby("patient_id")
    p = pd.DataFrame({"first_day": g["day"].first(), "last_day": g["day"].last(),
                      "first": g["value"].first(), "last": g["value"].last(),
                      "visits": g.size()})
    p = p[p["visits"] >= 2].drop(columns="visits")
    p["interval_days"] = p["last_day"] - p["first_day"]
    p["change"] = p["last"] - p["first"]
    p = p.reset_index()
    ch = p["change"].to_numpy(dtype=float)
    n = len(ch)
    if n < 2:
        raise ModelDataError(
            f"first_last_change: {n} patient(s) with two or more {measure} visits"
            f"{' and some pain' if only_with_pain else ''}; the paired tests need at least "
            "two (fewer than two patients)")
    mean, se = ch.mean(), ch.std(ddof=1) / np.sqrt(n)
    if se < 10 * np.finfo(float).eps * abs(mean) or se == 0:  # R's t.test rule
        raise ModelDataError(
            f"first_last_change: every patient's change is the same ({mean:g}); the paired t "
            "test is undefined (R: 'data are essentially constant')")
    crit = stats.t.ppf(0.975, n - 1)
    t_stat = mean / se
    w = signed_rank_test(p["last"], p["first"])
    table = pd.DataFrame([{
        "measure": measure, "n": n, "median_interval_days": float(p["interval_days"].median()),
        "min_interval_days": int(p["interval_days"].min()),
        "max_interval_days": int(p["interval_days"].max()), "mean_change": float(mean),
        "ci_low": float(mean - crit * se), "ci_high": float(mean + crit * se),
        "t_statistic": float(t_stat), "t_p_value": float(2 * stats.t.sf(abs(t_stat), n - 1)),
        "wilcoxon_statistic": w["statistic"], "wilcoxon_p_value": w["p_value"]}])
    n_single = int((g.size() < 2).sum())
    notes = ([f"{n_single} patient(s) with a single {measure} visit not counted"]
             if n_single else [])
    return FirstLastChangeResult(table, p, measure, notes)


@dataclass(repr=False)
class FirstLastChangeResult(Result):
    """Change from first to last visit (the :class:`~alspaincohort.result.Result` shape).

    Attributes
    ----------
    table : DataFrame
        One row: measure, n, median_interval_days, min_interval_days, max_interval_days,
        mean_change, ci_low, ci_high (95%, t), t_statistic, t_p_value (paired t test),
        wilcoxon_statistic (R's V), wilcoxon_p_value.
    patients : DataFrame
        patient_id, first_day, last_day, first, last, interval_days, change (identifiers: not
        printed, not exported by ``to_frame``).
    measure : str
    notes : list of str
    """

    table: pd.DataFrame
    patients: pd.DataFrame
    measure: str
    notes: list[str] = field(default_factory=list)

    def headline(self) -> str:
        r = self.table.iloc[0]
        return (f"Change of {self.measure} from first to last visit: mean {r['mean_change']:.2f}"
                f" (95% CI {r['ci_low']:.2f} to {r['ci_high']:.2f}), {int(r['n'])} patients")

    def plot(self, ax: Any = None) -> Any:
        """Histogram of the changes with the mean and its CI
        (:func:`alspaincohort.plots.change_plot`)."""
        from ..plots import change_plot

        r = self.table.iloc[0]
        return change_plot(self.patients["change"], r["mean_change"], r["ci_low"],
                           r["ci_high"], self.measure, ax=ax)


# ----------------------------------------------------------------------------------------------
@dataclass(repr=False)
class LatentTrajectoryResult(Result):
    """Latent-class trajectories.

    Attributes
    ----------
    selection : DataFrame
        n_classes, log_likelihood, n_parameters, bic, entropy (relative, 1 = perfectly
        separated), smallest_class (share), converged.
    n_classes : int
        Chosen by the lowest BIC.
    classes : DataFrame
        For the chosen model: class, share, intercept, slope.
    posterior : DataFrame
        patient_id, class (most probable), and p_0 ... p_{K-1}.
    """

    selection: pd.DataFrame
    n_classes: int
    classes: pd.DataFrame
    posterior: pd.DataFrame
    data: pd.DataFrame
    fits: dict[int, LatentClassMixedModel] = field(repr=False)

    def class_curves(self, grid: Sequence[float] | None = None) -> pd.DataFrame:
        """Class-specific mean curves: time, class, estimate."""
        g = (np.linspace(self.data["time"].min(), self.data["time"].max(), 40) if grid is None
             else np.asarray(grid, dtype=float))
        return pd.concat([pd.DataFrame({"time": g, "class": int(r["class"]),
                                        "estimate": r["intercept"] + r["slope"] * g})
                          for _, r in self.classes.iterrows()], ignore_index=True)

    def plot(self, ax: Any = None) -> Any:
        from ..plots import latent_class_plot

        return latent_class_plot(self, ax=ax)

    @property
    def table(self) -> pd.DataFrame:
        """The model selection table (``selection``)."""
        return self.selection

    def headline(self) -> str:
        return (f"Latent-class trajectories: {self.n_classes} class(es) chosen by BIC, "
                f"{self.posterior.shape[0]} patients")

    def sections(self) -> list[tuple[str, pd.DataFrame]]:
        return [("Model selection", self.selection),
                (f"Classes of the {self.n_classes}-class model", self.classes)]


def latent_trajectories(cohort: Cohort, measure: str = "vas_pain",
                        time: str = "months_since_baseline",
                        n_classes: Sequence[int] = range(1, 5), n_starts: int = 5,
                        seed: int | None = 0, only_with_pain: bool = True,
                        progress: bool | None = None
                        ) -> LatentTrajectoryResult:
    """Latent-class linear mixed models (linear time, random intercept and slope), one for
    each k in ``n_classes``; BIC chooses k.

    Each model is :class:`alspaincohort.stats.latent_class.LatentClassMixedModel` (lcmm's
    ``hlme``), best of ``n_starts`` seeded k-means starts, checked against ``hlme``.

    Parameters
    ----------
    cohort : Cohort
    measure : str
        Repeated measure (default VAS pain).
    time : str
        Clock, one of :data:`CLOCKS`.
    n_classes : sequence of int
        Numbers of classes to fit.
    n_starts : int
        Seeded starts per model.
    seed : int or None
        The same seed gives identical output.
    only_with_pain : bool
        Keep only patients with some pain (VAS / NRS > 0 at a visit).
    progress : bool, optional
        A progress bar over the class numbers; default shown in interactive use only
        (:mod:`alspaincohort.progress`).

    Returns
    -------
    LatentTrajectoryResult
        ``selection``: n_classes, log_likelihood, n_parameters, bic, entropy,
        smallest_class, converged; ``classes``: class, share, intercept, slope (classes
        ordered by intercept); ``posterior``: patient_id, class, p_0 ... ; ``fits``: the
        fitted models by k.

    Examples
    --------
    >>> from alspaincohort import simulate_cohort
    >>> res = latent_trajectories(simulate_cohort(200, seed=2), n_classes=[1, 2], seed=1)
    >>> list(res.selection.columns)[:4]
    ['n_classes', 'log_likelihood', 'n_parameters', 'bic']
    """
    n_classes = [check_integer(k, "n_classes", 1) for k in n_classes]
    if not n_classes:
        raise ParameterError("n_classes: give at least one number of classes")
    check_integer(n_starts, "n_starts", 1)
    d = trajectory_frame(cohort, measure, time, only_with_pain)
    fits: dict[int, LatentClassMixedModel] = {}
    rows = []
    for K in bar(n_classes, "latent_trajectories: classes", progress):
        m = LatentClassMixedModel(n_classes=int(K), n_starts=n_starts, seed=seed)
        m.fit(d, "value", "time", "patient_id")
        fits[int(K)] = m
        rows.append({"n_classes": int(K), "log_likelihood": m.llf_,
                     "n_parameters": len(m.params_), "bic": m.bic_, "entropy": m.entropy_,
                     "smallest_class": float(m.shares_.min()), "converged": m.converged_})
    selection = pd.DataFrame(rows)
    K = int(selection.loc[selection["bic"].idxmin(), "n_classes"])
    best = fits[K]
    order = np.argsort(best.betas_[:, 0], kind="stable")  # classes ordered by intercept
    classes = pd.DataFrame({"class": np.arange(K), "share": best.shares_[order],
                            "intercept": best.betas_[order, 0],
                            "slope": best.betas_[order, 1]})
    tau = best.posterior_.iloc[:, order].to_numpy()
    post = pd.DataFrame(tau, columns=[f"p_{k}" for k in range(K)])
    post.insert(0, "class", tau.argmax(axis=1))
    post.insert(0, "patient_id", best.posterior_.index.to_numpy())
    return LatentTrajectoryResult(selection, K, classes, post, d, fits)
