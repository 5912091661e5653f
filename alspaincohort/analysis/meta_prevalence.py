"""Meta-analysis of published pain prevalence: the DataFrame layer over
:mod:`alspaincohort.stats.meta` (which follows metafor's ``escalc`` + ``rma``)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from ..errors import ModelDataError, ParameterError
from ..result import Result
from ..stats import meta
from ..validation import check_counts


@dataclass(frozen=True)
class PublishedPool:
    """A published pooled prevalence to compare with (a diamond in :meth:`MetaPrevalenceResult.plot`).

    Attributes
    ----------
    estimate, ci_low, ci_high : float
        Pooled proportion and its confidence limits.
    label : str
        Short label for the figure row.
    citation : str
        Full reference, printed under the figure.
    """

    estimate: float
    ci_low: float
    ci_high: float
    label: str
    citation: str


HURWITZ_2021 = PublishedPool(
    0.60, 0.50, 0.69, "Hurwitz et al. 2021 (21 studies)",
    "Hurwitz N, Radakovic R, Boyce E, Peryer G. Prevalence of pain in amyotrophic lateral "
    "sclerosis: a systematic review and meta-analysis. Amyotroph Lateral Scler Frontotemporal "
    "Degener 2021;22(7-8):449-458. Pooled 60% (95% CI 50-69%), I² = 94%.")
"""Hurwitz 2021, the published pooled prevalence of pain in ALS (docs/sources.md section 4)."""


@dataclass(repr=False)
class MetaPrevalenceResult(Result):
    """Pooled prevalence of a random-effects meta-analysis.

    Attributes
    ----------
    pooled : dict
        estimate, ci_low, ci_high, pi_low, pi_high on the proportion scale.
    pooled_transformed : dict
        The same on the analysis scale (logit, double arcsine or raw), plus se.
    tau2, tau2_ci, i2, i2_ci, h2, q, q_df, q_pvalue :
        Heterogeneity: tau^2 with its Q-profile CI, I^2 (%) with CI, H^2, Cochran's Q.
    table : DataFrame
        One row per study: study, events, n, proportion, ci_low, ci_high (exact Clopper-Pearson
        CI of the study's proportion), yi, vi (transformed value and variance), weight (%).
    subgroups : DataFrame or None
        With ``subgroup=``: one row per group (group, k, estimate, ci_low, ci_high, i2) and the
        between-group test in ``subgroup_test`` (statistic, df, p_value; the moderator test of
        the mixed-effects model with the group as a factor).
    regression : DataFrame or None
        With ``moderators=``: term, estimate, std_error, statistic, p_value, ci_low, ci_high on
        the analysis scale; omnibus moderator test in ``moderator_test``.
    transform, method, ci : str
    """

    pooled: dict[str, float]
    pooled_transformed: dict[str, float]
    tau2: float
    tau2_ci: tuple[float, float]
    i2: float
    i2_ci: tuple[float, float]
    h2: float
    q: float
    q_df: int
    q_pvalue: float
    table: pd.DataFrame
    transform: str
    method: str
    ci: str
    subgroups: pd.DataFrame | None = None
    subgroup_test: dict[str, float] | None = None
    regression: pd.DataFrame | None = None
    moderator_test: dict[str, float] | None = None
    labels: dict[str, Any] = field(default_factory=dict)

    level: float = 0.95

    def headline(self) -> str:
        p = self.pooled
        lv = f"{100 * self.level:g}%"
        return (f"pooled prevalence {100 * p['estimate']:.1f}% ({lv} CI "
                f"{100 * p['ci_low']:.1f}-{100 * p['ci_high']:.1f}%; prediction interval "
                f"{100 * p['pi_low']:.1f}-{100 * p['pi_high']:.1f}%), {len(self.table)} studies, "
                f"I2 = {self.i2:.0f}% ({self.i2_ci[0]:.0f}-{self.i2_ci[1]:.0f}%), tau2 = "
                f"{self.tau2:.3g}; {self.method}, {self.transform}, {self.ci} CI")

    def sections(self) -> list[tuple[str, pd.DataFrame]]:
        out = [("", self.table)]
        if self.subgroups is not None:
            out.append(("Subgroups", self.subgroups))
        if self.regression is not None:
            out.append(("Meta-regression", self.regression))
        return out

    def plot(self, ax: Any = None, reference: Any = None, title: str | None = None) -> Any:
        """Forest plot (:func:`alspaincohort.plots.forest_plot`); ``reference`` is a published
        pooled value to draw beside ours: a :class:`PublishedPool` such as
        :data:`HURWITZ_2021`, labelled with its citation, or (estimate, ci_low, ci_high)."""
        from ..plots import forest_plot

        return forest_plot(self, ax=ax, reference=reference, title=title)


def meta_prevalence(studies: pd.DataFrame, events: str = "events", n: str = "n",
                    transform: str = "logit", method: str = "REML", ci: str = "wald",
                    study: str | None = "study", subgroup: str | None = None,
                    moderators: list[str] | None = None, level: float = 0.95
                    ) -> MetaPrevalenceResult:
    """Random-effects meta-analysis of prevalence (one row per study).

    Parameters
    ----------
    studies : DataFrame
        With the columns named by ``events`` and ``n`` (and ``study`` for labels).
    events, n : str
        Columns of the number with pain and the study size.
    transform : {"logit", "double_arcsine", "raw"}
        Analysis scale. The Freeman-Tukey double arcsine is back-transformed with Miller's
        inversion at the harmonic mean of the study sizes (metafor ``transf.ipft.hm``).
    method : {"REML", "DL", "PM"}
        tau^2 estimator (REML, DerSimonian-Laird, Paule-Mandel).
    ci : {"wald", "hartung-knapp"}
        Normal-theory CI, or the Hartung-Knapp t-based CI (no truncation, as metafor "knha").
    study : str, optional
        Column of study labels.
    subgroup : str, optional
        Column defining groups: each is pooled on its own (same settings) and the difference is
        tested with the mixed-effects moderator test.
    moderators : list of str, optional
        Study-level numeric columns for a meta-regression (mixed-effects model).
    level : float
        Confidence level of every interval.

    Studies with 0 or n events use the continuity rule of :mod:`alspaincohort.stats.meta`.

    Returns
    -------
    MetaPrevalenceResult
        ``table`` (one row per study: study, events, n, proportion, ci_low, ci_high, yi, vi,
        weight); ``pooled`` (estimate, ci_low, ci_high, pi_low, pi_high); tau2, tau2_ci, i2,
        i2_ci, h2, q, q_df, q_pvalue; ``subgroups`` / ``regression`` when asked; ``plot()`` (forest
        plot).

    Examples
    --------
    >>> from alspaincohort.datasets import load_pain_prevalence_studies
    >>> r = meta_prevalence(load_pain_prevalence_studies())
    >>> 0.5 < r.pooled["estimate"] < 0.7
    True
    """
    if ci not in ("wald", "hartung-knapp"):
        raise ParameterError(f"ci must be 'wald' or 'hartung-knapp', not {ci!r}")
    if not (isinstance(level, (int, float)) and 0 < level < 1):
        raise ParameterError(f"level must be in (0, 1), not {level!r}")
    test = "knha" if ci == "hartung-knapp" else "wald"
    missing = [c for c in (events, n) if c not in studies.columns]
    if missing:
        raise ModelDataError(f"column(s) {missing} not in the studies table")
    if not isinstance(studies, pd.DataFrame) or studies.empty:
        raise ModelDataError("studies must be a non-empty DataFrame, one row per study")
    d = studies.reset_index(drop=True)
    x, size = check_counts(d[events], d[n], (events, n))
    y, v = meta.effect_sizes(x, size, transform)
    fit = meta.rma(y, v, method=method, test=test)
    nh = len(size) / np.sum(1.0 / size)
    crit = stats.t.ppf(0.5 + level / 2, fit.df_test) if fit.df_test else \
        stats.norm.ppf(0.5 + level / 2)
    est, se = float(fit.beta[0]), float(fit.se[0])
    pi_se = np.sqrt(se**2 + fit.tau2)
    tr = {"estimate": est, "se": se, "ci_low": est - crit * se, "ci_high": est + crit * se,
          "pi_low": est - crit * pi_se, "pi_high": est + crit * pi_se}
    pooled = {k: float(meta.back_transform(tr[k], transform, nh))
              for k in ("estimate", "ci_low", "ci_high", "pi_low", "pi_high")}
    t_lo, t_hi = meta.tau2_confint(y, v, level=level) if len(d) > 1 else (np.nan, np.nan)
    s2 = fit.s2_typical
    labels = d[study].astype(str) if study and study in d else pd.Series(
        [f"study {i + 1}" for i in range(len(d))])
    alpha = 1 - level
    table = pd.DataFrame({
        "study": labels.to_numpy(),
        "events": x.astype(int),
        "n": size.astype(int),
        "proportion": x / size,
        "ci_low": np.where(x > 0, stats.beta.ppf(alpha / 2, x, size - x + 1), 0.0),
        "ci_high": np.where(x < size, stats.beta.ppf(1 - alpha / 2, x + 1, size - x), 1.0),
        "yi": y,
        "vi": v,
        "weight": fit.weights,
    })
    result = MetaPrevalenceResult(
        pooled=pooled, pooled_transformed=tr, tau2=fit.tau2, tau2_ci=(t_lo, t_hi),
        i2=fit.i2, i2_ci=(100 * t_lo / (t_lo + s2), 100 * t_hi / (t_hi + s2)), h2=fit.h2,
        q=fit.q, q_df=fit.q_df, q_pvalue=fit.q_pvalue, table=table, transform=transform,
        method=method, ci=ci, level=level)
    if subgroup is not None:
        result.subgroups, result.subgroup_test = _subgroups(d, subgroup, events, n, transform,
                                                            method, ci, study, y, v, test,
                                                            level)
    if moderators:
        X = np.column_stack([np.ones(len(d)), d[moderators].to_numpy(float)])
        mf = meta.rma(y, v, X, method=method, test=test, names=["intercept", *moderators])
        crit = stats.t.ppf(0.5 + level / 2, mf.df_test) if mf.df_test else \
            stats.norm.ppf(0.5 + level / 2)
        stat = mf.beta / mf.se
        pval = 2 * (stats.t.sf(np.abs(stat), mf.df_test) if mf.df_test else stats.norm.sf(
            np.abs(stat)))
        result.regression = pd.DataFrame({
            "term": ["intercept", *moderators], "estimate": mf.beta, "std_error": mf.se,
            "statistic": stat, "p_value": pval, "ci_low": mf.beta - crit * mf.se,
            "ci_high": mf.beta + crit * mf.se})
        result.moderator_test = {"statistic": mf.qm, "df": len(moderators),
                                 "p_value": mf.qm_pvalue, "tau2": mf.tau2}
    return result


def _subgroups(d: pd.DataFrame, subgroup: str, events: str, n: str, transform: str,
               method: str, ci: str, study: str | None, y: np.ndarray, v: np.ndarray,
               test: str, level: float) -> tuple[pd.DataFrame, dict[str, float]]:
    rows = []
    for label, g in d.groupby(subgroup, sort=True):
        # a single-study group is that study's own estimate and CI (metafor, k = 1)
        r = meta_prevalence(g, events, n, transform, method,
                            ci if len(g) > 1 else "wald", study, level=level)
        rows.append({"group": label, "k": len(g), "estimate": r.pooled["estimate"],
                     "ci_low": r.pooled["ci_low"], "ci_high": r.pooled["ci_high"],
                     "i2": r.i2})
    dummies = pd.get_dummies(d[subgroup].astype("category"), drop_first=True, dtype=float)
    X = np.column_stack([np.ones(len(d)), dummies.to_numpy()])
    mf = meta.rma(y, v, X, method=method, test=test,
                  names=["intercept", *[f"{subgroup}={c}" for c in dummies.columns]])
    return pd.DataFrame(rows), {"statistic": mf.qm, "df": X.shape[1] - 1,
                                "p_value": mf.qm_pvalue}
