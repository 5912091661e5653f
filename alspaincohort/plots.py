"""Figures: one function per figure, each taking ``ax=None`` and returning the Axes it drew on.

One publication style (seaborn "ticks" with a colour-blind-safe palette), applied as a context
around each function only: the user's matplotlib settings are never changed. :func:`save` writes
vector (SVG/PDF) or 300-dpi PNG files.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import numpy as np
from scipy.stats import norm

from .errors import ParameterError
from .formatting import format_p, format_p_cell

PALETTE = "colorblind"
F = TypeVar("F", bound=Callable[..., Any])


def styled(func: F) -> F:
    """Run a figure function inside the package style (seaborn "ticks", colour-blind palette)
    as a temporary context: rcParams are restored when it returns."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        import matplotlib as mpl
        import seaborn as sns
        from cycler import cycler

        style = dict(sns.axes_style("ticks"))
        style["axes.prop_cycle"] = cycler(color=sns.color_palette(PALETTE))
        with mpl.rc_context(style):
            return func(*args, **kwargs)

    return wrapper  # type: ignore[return-value]


def _axes(ax: Any, size: tuple[float, float]) -> Any:
    import matplotlib.pyplot as plt

    if ax is None:
        _, ax = plt.subplots(figsize=size)
    return ax


def save(ax_or_fig: Any, path: str | Path, dpi: int = 300) -> Path:
    """Save the figure of ``ax_or_fig``: SVG/PDF as vectors, PNG at ``dpi`` (default 300)."""
    fig = getattr(ax_or_fig, "figure", ax_or_fig)
    path = Path(path)
    fig.savefig(path, dpi=dpi, bbox_inches="tight")
    return path


@styled
def forest_plot(result: Any, ax: Any = None, reference: Any = None,
                title: str | None = None, reference_label: str = "Published pooled value"
                ) -> Any:
    """Forest plot of a meta-analysis of prevalence, laid out as metafor's ``forest``.

    One row per study (its proportion with the exact CI, marker area ~ weight), then the
    subgroup pools when the analysis has subgroups, the random-effects pool as a diamond, the
    prediction interval on its own row, and optionally a published pooled value. Text columns
    right of the axes: events / n, proportion [95% CI] and weight (%).

    Parameters
    ----------
    result : MetaPrevalenceResult
    ax : matplotlib Axes, optional
    reference : PublishedPool or (estimate, ci_low, ci_high), optional
        A published pooled value drawn as a second diamond. A :class:`PublishedPool` (e.g.
        :data:`alspaincohort.analysis.meta_prevalence.HURWITZ_2021`) labels its row and prints
        its full citation under the figure; a tuple is labelled ``reference_label``.
    title : str, optional
        Default: heterogeneity (I², τ², model) and the subgroup test.
    reference_label : str
        Row label of a tuple ``reference``.

    Returns
    -------
    The Axes (study labels left of it, text columns right of it, in the same figure).

    Examples
    --------
    >>> from alspaincohort.analysis.meta_prevalence import HURWITZ_2021, meta_prevalence
    >>> from alspaincohort.datasets import load_pain_prevalence_studies
    >>> ax = forest_plot(meta_prevalence(load_pain_prevalence_studies()), reference=HURWITZ_2021)
    >>> [t.get_text() for t in ax.texts][:3]
    ['Events / n', 'Proportion [95% CI]', 'Weight']
    """
    t = result.table
    sub = getattr(result, "subgroups", None)
    sub = sub if sub is not None else t.iloc[:0]
    level = f"{100 * getattr(result, 'level', 0.95):g}%"
    rows = len(t) + len(sub) + 2 + (reference is not None)
    ax = _axes(ax, (8, 0.3 * rows + 1.8))
    y_study = np.arange(len(t))[::-1] + rows - len(t) + 1.0
    ax.errorbar(t.proportion, y_study, xerr=[t.proportion - t.ci_low, t.ci_high - t.proportion],
                fmt="none", ecolor="0.35", elinewidth=1)
    ax.scatter(t.proportion, y_study, s=20 + 6 * t.weight, marker="s", color="0.2", zorder=3)
    where = ax.get_yaxis_transform()  # x in axes fraction, y in data
    columns = ((1.03, "Events / n"), (1.22, f"Proportion [{level} CI]"), (1.52, "Weight"))
    for x, text in columns:
        ax.text(x, rows + 0.7, text, transform=where, ha="left", va="bottom", fontsize=8,
                fontweight="bold")

    def row(y: float, cells: tuple[str, str, str]) -> None:
        for (x, _), text in zip(columns, cells, strict=True):
            ax.text(x, y, text, transform=where, ha="left", va="center", fontsize=8)

    def interval(est: float, lo: float, hi: float) -> str:
        return f"{est:.2f} [{lo:.2f}, {hi:.2f}]"

    labels, ticks = list(t.study), list(y_study)
    for yi, r in zip(y_study, t.itertuples(), strict=True):
        row(yi, (f"{r.events:,} / {r.n:,}", interval(r.proportion, r.ci_low, r.ci_high),
                 f"{r.weight:.1f}%"))
    y = rows - len(t)
    for r in sub.itertuples():  # subgroup pools between the studies and the total
        if r.ci_low == r.ci_low:
            ax.fill([r.ci_low, r.estimate, r.ci_high, r.estimate],
                    [y, y + 0.25, y, y - 0.25], color="C2", zorder=3)
        labels.append(f"{r.group} (k = {r.k})")
        ticks.append(y)
        row(y, ("", interval(r.estimate, r.ci_low, r.ci_high), ""))
        y -= 1
    p = result.pooled
    ax.fill([p["ci_low"], p["estimate"], p["ci_high"], p["estimate"]], [y, y + 0.3, y, y - 0.3],
            color="C0", zorder=3)
    labels.append(f"Random-effects model ({result.method})")
    ticks.append(y)
    row(y, (f"{int(t.events.sum()):,} / {int(t.n.sum()):,}",
            interval(p["estimate"], p["ci_low"], p["ci_high"]), "100%"))
    ax.axvline(p["estimate"], color="C0", lw=0.8, alpha=0.5)
    y -= 1
    ax.plot([p["pi_low"], p["pi_high"]], [y, y], color="C0", lw=1.2, ls=":")
    labels.append("Prediction interval")
    ticks.append(y)
    row(y, ("", f"[{p['pi_low']:.2f}, {p['pi_high']:.2f}]", ""))
    if reference is not None:
        y -= 1
        est, lo, hi = (reference.estimate, reference.ci_low, reference.ci_high) if hasattr(
            reference, "citation") else reference
        ax.fill([lo, est, hi, est], [y, y + 0.3, y, y - 0.3], color="C1", zorder=3)
        labels.append(getattr(reference, "label", reference_label))
        ticks.append(y)
        row(y, ("", interval(est, lo, hi), ""))
        if hasattr(reference, "citation"):
            import textwrap

            ax.annotate(textwrap.fill(f"{labels[-1]}: {reference.citation}", 120),
                        xy=(0, 0), xycoords="axes fraction", xytext=(0, -30),
                        textcoords="offset points", ha="left", va="top", fontsize=7)
    ax.set_yticks(ticks)
    ax.set_yticklabels(labels, fontsize=8)
    ax.set_ylim(y - 0.7, rows + 1.4)
    ax.set_xlim(0, 1)
    ax.set_xlabel("Prevalence of pain (proportion)")
    note = "" if getattr(result, "subgroup_test", None) is None else (
        f"; subgroup difference {format_p(result.subgroup_test['p_value'])}")
    ax.set_title(title or f"Heterogeneity: I² = {result.i2:.0f}%, τ² = {result.tau2:.3g} "
                 f"({result.method}, {result.transform} scale){note}", fontsize=9)
    return ax


@styled
def prevalence_plot(table: Any, ax: Any = None, title: str | None = None) -> Any:
    """Prevalence with CIs by stratum (a table of :func:`alspaincohort.prevalence`); strata
    whose numbers are suppressed (NaN, :meth:`PrevalenceResult.suppressed`) are left out."""
    table = table[np.isfinite(table["prevalence"].to_numpy(float))]  # suppressed strata
    ax = _axes(ax, (6, 0.45 * len(table) + 1.6))
    y = np.arange(len(table))[::-1]
    est = table["prevalence"].to_numpy(float)
    lo = table["ci_low"].to_numpy(float)
    hi = table["ci_high"].to_numpy(float)
    ax.errorbar(est, y, xerr=[est - lo, hi - est], fmt="o", color="C0", capsize=3)
    ax.set_yticks(y)
    ax.set_yticklabels([f"{s} (n={int(n)})" for s, n in zip(table["stratum"], table["n"],
                                                             strict=True)])
    ax.set_xlim(0, 1)
    ax.set_xlabel(f"Prevalence ({table['definition'].iloc[0]}), {table['method'].iloc[0]} CI")
    if title:
        ax.set_title(title)
    return ax


# the review's Figure 1 shading: green primary pain, blue secondary (mainly nociceptive)
PAIN_GROUP_COLOURS = {"primary": "#2e8b57", "secondary": "#1f77b4", "other": "#7f7f7f"}


@styled
def pain_type_plot(table: Any, ax: Any = None, title: str | None = None) -> Any:
    """Share of patients reporting each pain type with its CI (a table of
    :func:`alspaincohort.analysis.prevalence.pain_types`), bars coloured as the review's
    Figure 1 shades them: green primary, blue secondary; suppressed rows (NaN) left out."""
    from matplotlib.patches import Patch

    table = table[np.isfinite(table["prevalence"].to_numpy(float))]
    ax = _axes(ax, (7, 0.45 * len(table) + 1.6))
    y = np.arange(len(table))[::-1]
    est = table["prevalence"].to_numpy(float)
    colours = [PAIN_GROUP_COLOURS.get(g, "#7f7f7f") for g in table["group"]]
    ax.barh(y, est, color=colours, alpha=0.8)
    ax.errorbar(est, y, xerr=[est - table["ci_low"].to_numpy(float),
                              table["ci_high"].to_numpy(float) - est],
                fmt="none", ecolor="black", capsize=3)
    ax.set_yticks(y)
    ax.set_yticklabels([str(s).replace("_", " ") for s in table["stratum"]])
    ax.set_xlim(0, 1)
    ax.set_xlabel(f"Share of patients ever reporting the type ({table['method'].iloc[0]} CI)")
    shown = [g for g in PAIN_GROUP_COLOURS if g in set(table["group"])]
    ax.legend(handles=[Patch(color=PAIN_GROUP_COLOURS[g], label=g) for g in shown],
              loc="lower right", frameon=False)
    if title:
        ax.set_title(title)
    return ax


@styled
def coefficient_plot(table: Any, ax: Any = None, title: str | None = None) -> Any:
    """Estimates with CIs across models or terms (a table with estimate, ci_low, ci_high and a
    model or term column, e.g. a Cox result's ``table`` on the log-hazard scale)."""
    ax = _axes(ax, (6, 0.5 * len(table) + 1.5))
    y = np.arange(len(table))[::-1]
    est = table["estimate"].to_numpy(float)
    ax.errorbar(est, y, xerr=[est - table["ci_low"].to_numpy(float),
                              table["ci_high"].to_numpy(float) - est], fmt="o", capsize=3)
    ax.axvline(0, color="0.5", lw=0.8, ls="--")
    ax.set_yticks(y)
    ax.set_yticklabels(table["model"] if "model" in table.columns else table["term"])
    ax.set_xlabel("coefficient (95% CI)")
    if title:
        ax.set_title(title, fontsize=10)
    return ax


@styled
def ratio_plot(table: Any, ratio: str, low: str, high: str, label: Any = ("term",),
               ax: Any = None, title: str | None = None) -> Any:
    """Forest plot of ratios (odds or hazard ratios) with their CIs on a log axis, a line at 1.

    Parameters
    ----------
    table : DataFrame
        One row per term, with the ``ratio``, ``low`` and ``high`` columns and the ``label``
        columns (joined with ", " to name each row). Rows without a finite ratio (a term that
        could not be estimated) are left out of the figure.
    ax : matplotlib Axes, optional

    Returns
    -------
    The Axes.
    """
    t = table[np.isfinite(table[ratio].to_numpy(float))]
    ax = _axes(ax, (6, 0.45 * len(t) + 1.5))
    y = np.arange(len(t))[::-1]
    est = t[ratio].to_numpy(float)
    lo, hi = t[low].to_numpy(float), t[high].to_numpy(float)
    ax.errorbar(est, y, xerr=[est - lo, hi - est], fmt="s", capsize=3, color="C0")
    ax.axvline(1, color="0.5", lw=0.8, ls="--")
    _log_ratio_axis(ax)
    ax.set_yticks(y)
    ax.set_yticklabels([", ".join(str(r[c]) for c in label) for _, r in t.iterrows()])
    ax.set_xlabel(f"{ratio.replace('_', ' ')} (95% CI, log scale)")
    if title:
        ax.set_title(title, fontsize=10)
    return ax


NICE_RATIOS = (0.01, 0.02, 0.05, 0.1, 0.2, 0.3, 0.5, 0.7, 1, 1.5, 2, 3, 5, 7, 10, 20, 50, 100)


def _log_ratio_axis(ax: Any) -> None:
    """A log x axis for ratios with ticks at plain numbers (0.5, 1, 2), not powers of ten."""
    from matplotlib.ticker import FixedLocator, FuncFormatter, NullLocator

    ax.set_xscale("log")
    lo, hi = ax.get_xlim()
    ticks = [t for t in NICE_RATIOS if lo <= t <= hi]
    while len(ticks) > 7:  # every other tick, keeping 1
        ticks = ticks[(ticks.index(1) % 2 if 1 in ticks else 0)::2]
    ax.xaxis.set_major_locator(FixedLocator(ticks))
    ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}"))
    ax.xaxis.set_minor_locator(NullLocator())


@styled
def hazard_forest(table: Any, n: Any = None, labels: Any = None, ax: Any = None,
                  title: str | None = None, ratio: tuple[str, str, str] = (
                      "hazard_ratio", "hr_ci_low", "hr_ci_high"), name: str = "HR") -> Any:
    """Forest plot of a Cox model as survminer's ``ggforest``: one row per term with its
    label, number of patients, the ratio with its CI on a log axis, "HR (95% CI)" and the
    p-value as journals print it.

    Parameters
    ----------
    table : DataFrame
        term, p_value and the ``ratio`` columns (e.g. ``pain_cox(...).table``). Terms without
        a finite ratio are listed with "not estimable".
    n : dict, optional
        term -> patients (e.g. patients in a level of a binary term); shown in an "n" column.
    labels : dict, optional
        term -> label (words with units); default the term.
    ax : matplotlib Axes, optional
    title : str, optional
    ratio : (str, str, str)
        Columns of the ratio and its confidence limits.
    name : str
        The ratio's name in the column header ("HR", "OR").

    Returns
    -------
    The Axes (the text columns sit left and right of it, in the same figure).

    Examples
    --------
    >>> import pandas as pd
    >>> t = pd.DataFrame({"term": ["pain"], "hazard_ratio": [1.2], "hr_ci_low": [1.1],
    ...                   "hr_ci_high": [1.3], "p_value": [0.0004]})
    >>> ax = hazard_forest(t)
    >>> [x.get_text() for x in ax.texts][-2:]
    ['1.20 (1.10-1.30)', '< 0.001']
    """
    est_col, lo_col, hi_col = ratio
    labels = labels or {}
    ax = _axes(ax, (6, 0.4 * len(table) + 1.2))
    y = np.arange(len(table))[::-1]
    est = table[est_col].to_numpy(float)
    lo, hi = table[lo_col].to_numpy(float), table[hi_col].to_numpy(float)
    ok = np.isfinite(est) & np.isfinite(lo) & np.isfinite(hi)
    ax.errorbar(est[ok], y[ok], xerr=[est[ok] - lo[ok], hi[ok] - est[ok]], fmt="s", capsize=3,
                color="C0")
    ax.axvline(1, color="0.5", lw=0.8, ls="--")
    _log_ratio_axis(ax)
    ax.set_yticks([])
    ax.set_ylim(-0.8, len(table) - 0.2)
    ax.set_xlabel(f"{name} (95% CI, log scale)")
    where = ax.get_yaxis_transform()  # x in axes fraction, y in data
    head = len(table) - 0.35
    for x, text, align in ((-0.9, "term", "left"), (-0.12, "n", "right"),
                           (1.04, f"{name} (95% CI)", "left"), (1.45, "p", "left")):
        if text == "n" and n is None:
            continue
        ax.text(x, head, text, transform=where, ha=align, va="bottom", fontsize=8,
                fontweight="bold")
    for yi, (_, r) in zip(y, table.iterrows(), strict=True):
        term = str(r["term"])
        ax.text(-0.9, yi, labels.get(term, term), transform=where, ha="left", va="center",
                fontsize=8)
        if n is not None:
            count = n.get(term)
            ax.text(-0.12, yi, "" if count is None else f"{int(count):,}", transform=where,
                    ha="right", va="center", fontsize=8)
        value = (f"{r[est_col]:.2f} ({r[lo_col]:.2f}-{r[hi_col]:.2f})"
                 if np.isfinite([r[est_col], r[lo_col], r[hi_col]]).all() else "not estimable")
        ax.text(1.04, yi, value, transform=where, ha="left", va="center", fontsize=8)
        ax.text(1.45, yi, format_p_cell(float(r["p_value"])),
                transform=where, ha="left", va="center", fontsize=8)
    if title:
        ax.set_title(title, fontsize=10)
    return ax


@styled
def exposure_forest(table: Any, ax: Any = None, name: str = "OR", title: str | None = None
                    ) -> Any:
    """Forest plot of pre-diagnostic exposure ratios by drug class and window (and level), with
    the exposed cases as n (:func:`alspaincohort.analysis.prediagnostic.prediagnostic_exposure`).

    Parameters
    ----------
    table : DataFrame
        exposure_class, window, level, cases_exposed, ratio, ci_low, ci_high, p_value.
    ax : matplotlib Axes, optional
    name : str
        The ratio's name ("OR", "HR").
    title : str, optional

    Returns
    -------
    The Axes.

    Examples
    --------
    >>> import pandas as pd
    >>> t = pd.DataFrame({"exposure_class": ["opioids"], "window": ["[-10, -2) y"],
    ...                   "level": ["exposed"], "cases_exposed": [40], "ratio": [1.3],
    ...                   "ci_low": [0.9], "ci_high": [1.9], "p_value": [0.2]})
    >>> ax = exposure_forest(t)
    >>> ax.texts[-4].get_text()
    'opioids, [-10, -2) y'
    """
    level = table["level"].astype(str)
    term = (table["exposure_class"].astype(str) + ", " + table["window"].astype(str)
            + np.where(level == "exposed", "", ": " + level))
    t = table.assign(term=term.to_numpy())
    counts = t["cases_exposed"].to_numpy(float)
    n = {k: int(v) for k, v in zip(t["term"], counts, strict=True) if np.isfinite(v)}
    return hazard_forest(t, n=n, ax=ax, title=title, ratio=("ratio", "ci_low", "ci_high"),
                         name=name)


@styled
def change_plot(changes: Any, mean: float, ci_low: float, ci_high: float, measure: str,
                ax: Any = None) -> Any:
    """Histogram of per-patient changes (last - first visit) with the mean change and its CI.

    Returns
    -------
    The Axes.
    """
    ax = _axes(ax, (5, 3.5))
    ax.hist(np.asarray(changes, dtype=float), bins="auto", color="C0", alpha=0.6)
    ax.axvline(0, color="0.5", lw=0.8, ls="--")
    ax.axvline(mean, color="C3", lw=1.5)
    ax.axvspan(ci_low, ci_high, color="C3", alpha=0.15, lw=0)
    ax.set_xlabel(f"change in {measure} (last - first visit)")
    ax.set_ylabel("patients")
    return ax


@styled
def simulation_plot(replicates: Any, ax: Any = None) -> Any:
    """Error (estimate - truth) of each replicate by estimand and sample size, with the mean
    error and its Monte-Carlo 95% CI; a line at 0 (no bias).

    Returns
    -------
    The Axes.
    """
    ok = replicates[(replicates["error"] == "") & np.isfinite(
        replicates["estimate"].to_numpy(float))]
    groups = list(ok.groupby(["estimand", "n_patients"], sort=True))
    ax = _axes(ax, (6, 0.5 * len(groups) + 1.5))
    labels = []
    for i, ((est, n), g) in enumerate(groups):
        err = (g["estimate"] - g["truth"]).to_numpy(float)
        y = len(groups) - 1 - i
        ax.plot(err, np.full(len(err), y), "|", color="0.6", alpha=0.6)
        if len(err) > 1:
            half = float(norm.isf(0.025)) * err.std(ddof=1) / np.sqrt(len(err))
            ax.errorbar(err.mean(), y, xerr=half, fmt="o", color="C0", capsize=3)
        labels.append(f"{est}, n = {n}")
    ax.axvline(0, color="0.5", lw=0.8, ls="--")
    ax.set_yticks(np.arange(len(groups))[::-1])
    ax.set_yticklabels(labels)
    ax.set_xlabel("estimate - truth (replicates; mean with Monte-Carlo 95% CI)")
    return ax


@styled
def sensitivity_plot(sensitivity: Any, ax: Any = None) -> Any:
    """Indirect effect as a function of the mediator-outcome error correlation rho."""
    ax = _axes(ax, (5, 3.5))
    ax.plot(sensitivity["rho"], sensitivity["acme"], color="C0")
    ax.axhline(0, color="0.5", lw=0.8, ls="--")
    ax.axvline(0, color="0.5", lw=0.8, ls=":")
    ax.set_xlabel("sensitivity parameter ρ")
    ax.set_ylabel("indirect effect (ACME)")
    return ax


@styled
def trajectory_plot(result: Any, ax: Any = None, max_patients: int = 150, seed: int = 0) -> Any:
    """Spaghetti of observed trajectories (a random sample of patients) with the population
    mean and its 95% band, per subgroup when the model has one."""
    ax = _axes(ax, (7, 4.5))
    d = result.data
    rng = np.random.default_rng(seed)
    ids = d["patient_id"].unique()
    shown = rng.choice(ids, size=min(max_patients, len(ids)), replace=False)
    for _, g in d[d["patient_id"].isin(shown)].groupby("patient_id"):
        ax.plot(g["time"], g["value"], color="0.6", lw=0.5, alpha=0.4)
    curve = result.population_curve()
    for i, (group, g) in enumerate(curve.groupby("group", sort=True)):
        ax.fill_between(g["time"], g["ci_low"], g["ci_high"], color=f"C{i}", alpha=0.25)
        ax.plot(g["time"], g["estimate"], color=f"C{i}", lw=2, label=str(group))
    if result.by is not None:
        ax.legend(fontsize=8, frameon=False)
    ax.set_xlabel(result.time.replace("_", " ") + (" (0 = death)" if result.time ==
                                                   "months_before_death" else ""))
    ax.set_ylabel(result.measure)
    return ax


@styled
def latent_class_plot(result: Any, ax: Any = None) -> Any:
    """Class-specific mean curves of a latent-trajectory model, labelled with class shares."""
    ax = _axes(ax, (6, 4))
    curves = result.class_curves()
    shares = result.classes.set_index("class")["share"]
    for k, g in curves.groupby("class"):
        ax.plot(g["time"], g["estimate"], lw=2, color=f"C{k}",
                label=f"class {k} ({100 * shares[k]:.0f}%)")
    ax.set_xlabel("months")
    ax.set_ylabel("mean")
    ax.legend(fontsize=8, frameon=False)
    return ax


@styled
def power_curve_plot(result: Any, ax: Any = None) -> Any:
    """Power by sample size with Monte-Carlo CIs and the target power."""
    ax = _axes(ax, (5.5, 3.8))
    t = result.table
    power = t["power"].to_numpy(float)
    ax.errorbar(t["n_patients"].to_numpy(float), power,
                yerr=[power - t["ci_low"].to_numpy(float), t["ci_high"].to_numpy(float) - power],
                fmt="o-", capsize=3)
    ax.axhline(result.target_power, color="0.5", ls="--", lw=0.8)
    ax.set_ylim(0, 1.02)
    ax.set_xlabel("patients")
    ax.set_ylabel(f"power ({result.estimand})")
    return ax


@styled
def km_plot(result: Any, ax: Any = None, at_risk: bool = True, ci: bool = True,
            censor_marks: bool = True, risk_times: Any = None, xlim: Any = None,
            cumulative_events: bool = False) -> Any:
    """Kaplan-Meier curves by group (a ``kaplan_meier()`` result).

    Parameters
    ----------
    result : KaplanMeierResult
    ax : matplotlib Axes, optional
    at_risk : bool
        A numbers-at-risk table under the axis (subjects with entry < t <= exit, as the
        curves: with delayed entry a patient entering at t is counted after t).
    ci : bool
        Pointwise CI bands (of the result's ``conf_type``).
    censor_marks : bool
        "+" at each censoring time.
    risk_times : sequence of float, optional
        Times of the at-risk table (default: the x ticks). Numbers the result hides
        (``hidden_counts``, set by small-cell suppression) show as "*".
    xlim : (float, float), optional
    cumulative_events : bool
        Rows of cumulative events (at or before each time) under the numbers at risk.

    Returns
    -------
    matplotlib Axes
        The axes of the curves (the at-risk table is a second axes below it).
    """
    ax = _axes(ax, (7, 5))
    for i, (g, c) in enumerate(result.curves.groupby("group", sort=True)):
        colour = f"C{i}"
        ax.step(c["time"], c["survival"], where="post", color=colour, label=str(g))
        if ci:
            ax.fill_between(c["time"], c["ci_low"].fillna(c["survival"]),
                            c["ci_high"].fillna(c["survival"]), step="post", alpha=0.2,
                            color=colour, linewidth=0)
        if censor_marks:
            cens = c[c["n_censor"] > 0]
            ax.plot(cens["time"], cens["survival"], "+", color=colour, markersize=7,
                    linestyle="none")
    t = result.test
    label = "stratified log-rank" if t and t.get("stratified_by") else "log-rank"
    title = f"{result.endpoint} from {result.origin}"
    if t is not None:
        title += f": {label} {format_p(t['p_value'])}"
    ax.set_title(title, fontsize=10)
    ax.set_xlabel(f"months since {result.origin}")
    level = round(100 * (1 - getattr(result, "alpha", 0.05)))
    ax.set_ylabel("survival probability" + (f" ({level}% CI, {result.conf_type})" if ci else ""))
    ax.set_ylim(0, 1.02)
    if xlim is not None:
        ax.set_xlim(*xlim)
    else:
        ax.set_xlim(left=0)
    ax.legend(title=None, frameon=False)
    if at_risk:
        _at_risk_table(ax, result, risk_times, cumulative_events)
    return ax


def _at_risk_table(ax: Any, result: Any, risk_times: Any, events: bool) -> Any:
    from mpl_toolkits.axes_grid1 import make_axes_locatable

    ticks = np.asarray(risk_times if risk_times is not None else ax.get_xticks(), dtype=float)
    lo, hi = ax.get_xlim()
    ticks = ticks[(ticks >= lo) & (ticks <= hi)]
    counts = result.at_risk(ticks)
    groups = sorted(counts["group"].unique(), key=str)
    kinds = [("at risk", "n_risk")] + ([("events", "cumulative_events")] if events else [])
    rows = [(kind, col, g) for kind, col in kinds for g in groups]
    table = make_axes_locatable(ax).append_axes("bottom", size=0.25 * len(rows) + 0.3,
                                                pad=0.6, sharex=ax)
    hidden = result.hidden_counts
    for i, (kind, col, g) in enumerate(rows):
        y = len(rows) - 1 - i
        colour = f"C{groups.index(g)}"
        for r in counts[counts["group"] == g].itertuples():
            text = "*" if (kind, str(g), r.time) in hidden else str(getattr(r, col))
            table.text(r.time, y, text, ha="center", va="center", fontsize=8, color=colour)
    table.set_ylim(-0.5, len(rows) - 0.5)
    table.set_yticks(range(len(rows)))
    table.set_yticklabels([str(g) if not events else f"{g}: {'events' if kind == 'events' else 'at risk'}"
                           for kind, _, g in reversed(rows)], fontsize=8)
    table.tick_params(axis="x", labelbottom=False, length=0)
    table.tick_params(axis="y", length=0)
    for side in ("top", "right", "bottom", "left"):
        table.spines[side].set_visible(False)
    title = "Number at risk" + (" and cumulative events" if events else "")
    table.set_title(title + (" (* suppressed: small count)" if hidden else ""), fontsize=8,
                    loc="left")
    return table


@styled
def cumulative_incidence_plot(cif: Any, ax: Any = None) -> Any:
    """Cumulative incidence curves (``competing_risks().cumulative_incidence``)."""
    ax = _axes(ax, (6, 4))
    for i, ((group, cause), g) in enumerate(cif.groupby(["group", "cause"], sort=True)):
        ax.step(g["time"], g["cif"], where="post", color=f"C{i}", label=f"{cause}, {group}")
    ax.set_xlabel("months")
    ax.set_ylabel("cumulative incidence")
    ax.set_ylim(0, 1)
    ax.legend(fontsize=8, frameon=False)
    return ax


@styled
def pain_site_heatmap(cohort: Any, ax: Any = None) -> Any:
    """Body regions x pain types: % of the patients with any recorded pain site who ever
    report each combination."""
    import seaborn as sns

    ax = _axes(ax, (7, 4.5))
    ps = cohort.pain_sites
    if ps.empty:
        ax.text(0.5, 0.5, "no pain sites recorded", ha="center", va="center")
        ax.set_axis_off()
        return ax
    pairs = ps[["patient_id", "site", "pain_type"]].drop_duplicates()
    n = pairs["patient_id"].nunique()
    grid = pairs.groupby(["site", "pain_type"], observed=True).size().unstack(fill_value=0) / n
    sns.heatmap(100 * grid, ax=ax, cmap="rocket_r", annot=True, fmt=".0f",
                cbar_kws={"label": "% of patients with pain sites"})
    ax.set_xlabel("pain type")
    ax.set_ylabel("body region")
    return ax


@styled
def table_figure(display: Any, ax: Any = None, max_rows: int = 40) -> Any:
    """Render a formatted table (e.g. ``TableOne.display()``) as a figure."""
    ax = _axes(ax, (10, 0.28 * min(len(display), max_rows) + 1))
    ax.set_axis_off()
    shown = display.head(max_rows)
    tab = ax.table(cellText=shown.astype(str).to_numpy(), colLabels=list(shown.columns),
                   loc="center", cellLoc="left")
    tab.auto_set_font_size(False)
    tab.set_fontsize(7)
    tab.scale(1, 1.2)
    return ax


@styled
def schoenfeld_plot(result: Any, term: str | None = None, ax: Any = None) -> Any:
    """Scaled Schoenfeld residuals of one term against transformed time (a
    :class:`~alspaincohort.stats.zph.ZphResult`), with a natural-spline smooth (4 df) and its
    95% band; under proportional hazards the smooth stays flat at the coefficient (dashed)."""
    import formulaic
    import pandas as pd
    from statsmodels.regression.linear_model import OLS

    ax = _axes(ax, (6, 4))
    res = result.residuals
    term = term or str(result.coefficients.index[0])
    if term not in res.columns:
        raise ParameterError(f"no term {term!r}; terms: {list(result.coefficients.index)}")
    x, y = res["transformed_time"].to_numpy(), res[term].to_numpy()
    ax.scatter(x, y, s=6, alpha=0.35, color="C0", linewidths=0)
    grid = np.linspace(x.min(), x.max(), 100)
    spec = formulaic.model_matrix("cr(x, df=4, constraints='center')",
                                  pd.DataFrame({"x": x}))
    fit = OLS(y, np.asarray(spec)).fit()
    new = np.asarray(spec.model_spec.get_model_matrix(pd.DataFrame({"x": grid})))
    band = fit.get_prediction(new).summary_frame(alpha=0.05)
    ax.plot(grid, band["mean"], color="C1")
    ax.fill_between(grid, band["mean_ci_lower"], band["mean_ci_upper"], color="C1", alpha=0.2)
    ax.axhline(float(result.coefficients[term]), color="0.3", linestyle="--", linewidth=1)
    row = result.table.set_index("term").loc[term]
    ax.set_title(f"{term}: chi2 {row['chisq']:.2f}, p = {row['p_value']:.3g}", fontsize=10)
    ax.set_xlabel(f"time ({result.transform} scale)")
    ax.set_ylabel(f"beta(t) for {term}")
    return ax


@styled
def calibration_plot(result: Any, time: float | None = None, ax: Any = None) -> Any:
    """Observed (Kaplan-Meier, 95% CI) against mean predicted risk by risk group at one time,
    for each model of an :func:`~alspaincohort.analysis.incremental.incremental_value`
    result; the diagonal is perfect calibration."""
    ax = _axes(ax, (5, 5))
    cal = result.calibration
    time = float(cal["time"].iloc[0]) if time is None else float(time)
    cal = cal[cal["time"] == time]
    if cal.empty:
        raise ParameterError(f"no calibration at time {time}; times: {sorted(set(result.times))}")
    for i, (model, g) in enumerate(cal.groupby("model", sort=False)):
        ax.errorbar(g["predicted"], g["observed"],
                    yerr=[g["observed"] - g["ci_low"], g["ci_high"] - g["observed"]],
                    fmt="o-", color=f"C{i}", capsize=2, markersize=4, label=model)
    top = float(np.nanmax(cal[["predicted", "ci_high"]].to_numpy())) * 1.05
    ax.plot([0, top], [0, top], color="0.5", linestyle="--", linewidth=1)
    ax.set_xlim(0, top)
    ax.set_ylim(0, top)
    ax.set_xlabel(f"predicted risk at {time:g} months")
    ax.set_ylabel("observed risk (Kaplan-Meier)")
    ax.legend(frameon=False, fontsize=8)
    return ax


@styled
def response_plot(table: Any, ax: Any = None, title: str | None = None) -> Any:
    """The IMMPACT categories of the change in pain after each drug class's start (a table of
    :func:`alspaincohort.analysis.treatment.treatment_response`): one bar per class, split
    into the shares of no, minimal, moderate and substantial reduction; classes whose counts
    are suppressed (NaN) or without a defined change are left out."""
    cats = ("none", "minimal", "moderate", "substantial")
    shares = table[[f"{c}_share" for c in cats]].to_numpy(float)
    keep = np.isfinite(shares).all(axis=1)
    table, shares = table[keep], shares[keep]
    ax = _axes(ax, (6, 0.5 * len(table) + 1.6))
    y = np.arange(len(table))[::-1]
    left = np.zeros(len(table))
    colours = ("0.75", "#c6dbef", "#6baed6", "#08519c")
    for j, (cat, colour) in enumerate(zip(cats, colours, strict=True)):
        ax.barh(y, shares[:, j], left=left, color=colour, label=cat, height=0.6)
        left += shares[:, j]
    ax.set_yticks(y)
    ax.set_yticklabels([f"{c} (n={int(n)})" for c, n in zip(table["drug_class"],
                                                            table["n_defined"], strict=True)])
    ax.set_xlim(0, 1)
    ax.set_xlabel("share of patients by reduction in pain (IMMPACT)")
    ax.legend(loc="lower right", fontsize=8, frameon=False)
    if title:
        ax.set_title(title, fontsize=10)
    return ax


@styled
def bland_altman_plot(x: Any, y: Any, bias: float, loa_low: float, loa_high: float,
                      ax: Any = None, labels: tuple[str, str] = ("x", "y"),
                      title: str | None = None) -> Any:
    """Bland-Altman plot: the difference y - x of each pair against its mean, with the mean
    difference and the limits of agreement (:func:`alspaincohort.stats.agreement.bland_altman`
    gives them)."""
    a, b = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    ax = _axes(ax, (6, 4))
    ax.scatter((a + b) / 2, b - a, s=10, alpha=0.5, color="C0")
    for value, style, name in ((bias, "-", "mean difference"), (loa_low, "--", "limits of "
                                                                  "agreement"),
                               (loa_high, "--", None)):
        ax.axhline(value, color="C3" if style == "-" else "0.4", ls=style, lw=1, label=name)
    ax.axhline(0, color="0.8", lw=0.8)
    ax.set_xlabel(f"mean of {labels[0]} and {labels[1]}")
    ax.set_ylabel(f"{labels[1]} - {labels[0]}")
    ax.legend(fontsize=8, frameon=False)
    if title:
        ax.set_title(title, fontsize=10)
    return ax
