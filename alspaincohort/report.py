"""The HTML report of a whole cohort: one self-contained page (figures embedded as PNG) with
the load report, Table 1, prevalence, the meta-analysis context, depression, trajectories and
prognosis, each with a one-line plain-language reading.

Nothing identifying leaves: every section shows aggregates, and the load report is summarised
per file and rule (no quarantined rows). Small cells are controlled for the page as a whole
(:mod:`alspaincohort.disclosure`): every count of patients or visits the page shows (Table 1,
the prevalence tables, the Kaplan-Meier table and its numbers at risk) is registered, counts of
1 to ``k - 1`` are hidden, and so is every count that would let a reader solve a hidden one from
the others, across tables. The readings quote only numbers left shown.

Without pain measurements (public PRO-ACT carries none), the report says so at the top, names
the analyses that rules out, and still gives the cohort description (Table 1 overall), the
ALSFRS-R trajectory and overall survival.
"""

from __future__ import annotations

import base64
import html
import io
import os
import time
from collections.abc import Callable
from concurrent.futures import Executor, Future, ProcessPoolExecutor, ThreadPoolExecutor
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from .cohort import Cohort
from .disclosure import DisclosureControl, Suppression
from .errors import AlsPainCohortError, ModelDataError
from .formatting import format_interval, format_p, readable_text
from .result import Result
from .stats.base import one_blas_thread


@dataclass
class Part:
    """A result shown in a section: its figure (unless ``figure`` is False) with
    ``figure_caption``, then its tables under ``caption``. Both say what is shown, in words."""

    result: Result
    caption: str
    figure_caption: str = ""
    size: tuple[float, float] = (7, 4.5)
    figure: bool = True
    plot: dict[str, Any] = field(default_factory=dict)
    html: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not self.caption or (self.figure and not self.figure_caption):
            raise ValueError("every table and figure of the report needs a caption")


@dataclass
class Section:
    title: str
    reading: str | Callable[[list[Result]], str]
    parts: list[Part] = field(default_factory=list)


NEEDS_PAIN = {"prevalence": "prevalence of pain", "depression": "depression and quality of life "
              "(pain as the exposure)", "trajectories": "pain trajectories (the ALSFRS-R "
              "trajectory is shown instead)", "prognosis": "pain as a prognostic factor (overall "
              "survival is shown instead)"}


def _axes(size: tuple[float, float] = (7, 4.5)) -> Any:
    """Axes on a figure outside pyplot (no backend is chosen, nothing global changes)."""
    from matplotlib.figure import Figure

    return Figure(figsize=size).subplots()


def _first_drawing() -> None:
    """Draw and encode one small figure (without pyplot's global state): loads the fonts and
    the renderer once."""
    from matplotlib.figure import Figure

    fig = Figure(figsize=(2, 2))
    ax = fig.add_subplot()
    ax.plot([0, 1], [0, 1], label="warm")
    ax.set_title("warm")
    ax.legend()
    fig.savefig(io.BytesIO(), format="png", dpi=110, bbox_inches="tight")


def _png(ax: Any, alt: str) -> str:
    fig = getattr(ax, "figure", ax)
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=110, bbox_inches="tight")
    data = base64.b64encode(buf.getvalue()).decode("ascii")
    return f'<img alt="{html.escape(alt)}" src="data:image/png;base64,{data}"/>'


def _render(part: Part, r: Result, numbers: dict[str, int]) -> str:
    """Any analysis result: its numbered, captioned figure, then its numbered, captioned
    tables and notes (the Result shape, as a reader sees it)."""
    out = ""
    if part.figure:
        numbers["figure"] += 1
        cap = html.escape(part.figure_caption)
        out = (f"<figure>{_png(r.plot(ax=_axes(part.size), **part.plot), part.figure_caption)}"
               f"<figcaption><b>Figure {numbers['figure']}.</b> {cap}</figcaption></figure>")
    numbers["table"] += 1
    return (out + f"<p class='caption'><b>Table {numbers['table']}.</b> "
            f"{html.escape(part.caption)}</p>" + r.to_html(readable=True, **part.html))


def _table(df: pd.DataFrame, decimals: int = 3) -> str:
    return df.round(decimals).to_html(index=False, border=0, classes="t", na_rep="")


def has_pain(cohort: Cohort) -> bool:
    """Whether the cohort holds any pain intensity (VAS or NRS) measurement."""
    return not (cohort.scores("vas_pain").empty and cohort.scores("nrs_pain").empty)


@dataclass(repr=False)
class _Html(Result):
    """Fixed HTML (no counts of patients) shown as a part."""

    fragment: str

    def to_html(self, readable: bool = True) -> str:
        return self.fragment


def _load_section(c: Cohort) -> Section:
    lr = c.load_report
    if lr is None:
        sizes = c.summary().iloc[:6].reset_index()  # table sizes only: counts of patients by
        # characteristic are in Table 1, where small cells are controlled
        sizes.columns = ["Table", "Rows"]
        return Section("Data", f"{c.n_patients:,} patients read from standard tables; "
                       f"{len(c.validate())} schema breaches.",
                       [Part(_Html(_table(sizes)), "Size of each standard table.", figure=False)])
    summary = lr.summary()
    reading = (f"{lr.rows_read:,} rows read, {lr.rows_loaded:,} loaded and "
               f"{lr.rows_quarantined:,} quarantined (by rule in the table).")
    notes = "".join(f"<li>{html.escape(n)}</li>" for n in lr.notes)
    summary.columns = [readable_text(str(col)).capitalize() for col in summary.columns]
    fragment = _table(summary) + (f"<ul>{notes}</ul>" if notes else "")
    return Section("Data and load report", reading, [
        Part(_Html(fragment), "Rows read, loaded and quarantined, by file and rule.",
             figure=False)])


def _table_one(c: Cohort) -> Section:
    from .analysis.table_one import table_one

    if has_pain(c):
        t = table_one(c, groupby="pain")
        reading = ("Baseline characteristics of patients with and without pain at baseline "
                   "(VAS > 0).")
        caption = ("Baseline characteristics, overall and by pain at baseline (VAS > 0): "
                   "standardised mean differences (SMD) and tests between the groups.")
    else:
        t = table_one(c)
        reading = "Baseline characteristics of all patients (no pain measurements to group by)."
        caption = "Baseline characteristics of all patients."
    return Section("Table 1 (baseline)", reading,
                   [Part(t, caption, figure=False, html={"caption": ""})])


def _prevalence(c: Cohort) -> Section:
    from .analysis.prevalence import prevalence

    r = prevalence(c, "any_pain", by="onset_site")
    stage = prevalence(c, "any_pain", at="visits", by="kings_stage", n_boot=300)
    parts = [
        Part(r, "Patients with any pain (VAS or NRS > 0) at baseline, overall and by site of "
                "onset: prevalence with Wilson 95% CI.",
             "Prevalence of any pain at baseline by site of onset, with 95% CIs."),
        Part(stage, "Visits with any pain by King's stage at the visit: prevalence with "
                    "patient-level (cluster) bootstrap 95% CI; n counts visits.",
             "Prevalence of any pain at visits by King's stage, with cluster-bootstrap 95% "
             "CIs.")]
    end = _end_of_life(c)
    if end is not None:
        parts.append(Part(end, "End of life: patients who died with a pain assessment in their "
                               "last 30 days, and those with any pain (VAS or NRS > 0) at one "
                               "of those visits: prevalence with Wilson 95% CI.",
                          figure=False))

    def reading(shown: list[Result]) -> str:
        t = shown[0].table
        all_ = t[t.stratum == "all"].iloc[0]
        if all_.prevalence != all_.prevalence:
            return "Prevalence of pain at baseline: suppressed (small numbers)."
        text = (f"{100 * all_.prevalence:.0f}% of patients had pain at baseline "
                f"(95% CI {format_interval(None, 100 * all_.ci_low, 100 * all_.ci_high, 2)}%).")
        if end is not None:
            e = shown[-1].table.iloc[0]
            text += (" In the last 30 days of life: suppressed (small numbers)."
                     if e.prevalence != e.prevalence else
                     f" In the last 30 days of life {100 * e.prevalence:.0f}% of the patients "
                     f"assessed then had pain (95% CI "
                     f"{format_interval(None, 100 * e.ci_low, 100 * e.ci_high, 2)}%; the "
                     "review cites 52% with pain almost all the time or often).")
        return text

    return Section("Prevalence of pain", reading, parts)


def _end_of_life(c: Cohort) -> Result | None:
    """Pain in the last 30 days of life, when some patient who died was assessed then."""
    from .analysis.prevalence import prevalence

    if not c.survival("death")["event"].any():
        return None
    try:
        return prevalence(c, "any_pain", window_before_death=(30, 0))
    except ModelDataError:  # no patient who died was assessed in the last 30 days
        return None


def _meta(_: Cohort) -> Section:
    from .analysis.meta_prevalence import HURWITZ_2021, meta_prevalence
    from .datasets import load_pain_prevalence_studies

    r = meta_prevalence(load_pain_prevalence_studies())
    p = r.pooled
    reading = (f"{len(r.table)} published studies pool to {100 * p['estimate']:.0f}% "
               f"(95% CI {format_interval(None, 100 * p['ci_low'], 100 * p['ci_high'], 2)}%) "
               f"with I² = {r.i2:.0f}%: prevalence depends strongly on the study. A new study "
               f"would be expected between {100 * p['pi_low']:.0f}% and {100 * p['pi_high']:.0f}%"
               f" (prediction interval); {HURWITZ_2021.label} published "
               f"{100 * HURWITZ_2021.estimate:.0f}%.")
    return Section("Published prevalence (context)", reading, [
        Part(r, "Published studies of pain prevalence in ALS (bundled table; a study whose "
                "attribution is unverified is left out): patients with pain / patients, "
                "proportion with exact 95% CI and random-effects weight.",
             "Forest plot of published pain prevalence: each study with its exact 95% CI, the "
             "random-effects pool (diamond), its prediction interval, and the published pool "
             "of Hurwitz et al. 2021.",
             (8, 0.3 * len(r.table) + 3), plot={"reference": HURWITZ_2021})])


def _depression(c: Cohort) -> Section:
    from .analysis.depression import depression_adjustment, mediation

    r = depression_adjustment(c)
    m = mediation(c, n_boot=500, seed=1, progress=False)
    t = r.table[r.table.term == r.exposure].set_index("model")
    without, with_ = t.loc["covariates"], t.loc["depression"]
    eff = m.table.set_index("effect")
    ind, prop = eff.loc["indirect"], eff.loc["proportion_mediated"]

    def ci(row: pd.Series) -> str:
        return format_interval(row.estimate, row.ci_low, row.ci_high)

    side = pd.DataFrame({
        "Quantity": ["Pain estimate without HADS-D", "Pain estimate with HADS-D",
                     "Difference (indirect effect)", "Proportion of the total"],
        "Estimate (95% CI)": [ci(without), ci(with_), ci(ind), ci(prop)],
        "If depression is a confounder": [
            "biased by depression", "the effect of pain", "the confounding bias removed",
            "not meaningful"],
        "If depression is a mediator": [
            "total effect of pain", "direct effect (not through depression)",
            "effect of pain through depression", "proportion mediated"],
    })
    reading = (f"Per VAS point, ALSAQ-40 is {without.estimate:.2f} points higher without and "
               f"{with_.estimate:.2f} (95% CI {format_interval(None, with_.ci_low, with_.ci_high)}"
               f") with HADS-D in the model, a change of {with_.change_pct:.0f}% relative to the "
               f"model without it. The data cannot say whether depression is a confounder or a "
               f"mediator: if it precedes pain, {with_.estimate:.2f} is the effect of pain; if "
               f"pain causes depression, {ind.estimate:.2f} "
               f"({format_interval(None, ind.ci_low, ind.ci_high)}), "
               f"{100 * prop.estimate:.0f}% of the total, runs through it. An unmeasured "
               f"mediator-outcome confounder with correlation {m.rho_at_zero:.2f} would remove "
               f"the indirect effect.")
    return Section("Depression and quality of life: confounder or mediator?", reading, [
        Part(_Html(_table(side)), "The same numbers under the two causal readings of "
             "depression (HADS-D): adjustment (models with and without HADS-D, OLS with HC3 "
             "CIs) and mediation (direct and indirect effect, patient bootstrap percentile "
             "CIs, 500 replicates). Both use baseline values and the same covariates.",
             figure=False),
        Part(r, "Nested models of ALSAQ-40 on pain: unadjusted, + covariates (age, sex, site "
                "of onset, ALSFRS-R), + HADS-D, + pain x HADS-D; each with its test against "
                "the model above.",
             "Pain coefficient on ALSAQ-40 (points per VAS point) in each nested model, with "
             "95% CIs.", (6, 3)),
        Part(m, "Mediation of the pain effect on ALSAQ-40 through HADS-D: indirect, direct "
                "and total effects per VAS point and the proportion mediated, with bootstrap "
                "percentile and BCa 95% CIs.",
             "Sensitivity of the indirect effect to a mediator-outcome error correlation ρ "
             "(Imai, Keele and Yamamoto 2010).", (5, 3.5))])


def _trajectories(c: Cohort) -> Section:
    from .analysis.trajectories import fit_trajectories

    if not has_pain(c):
        r = fit_trajectories(c, measure="alsfrs_r", time="months_since_baseline",
                             only_with_pain=False)
        slope = r.table.set_index("term").loc["time"]
        return Section("ALSFRS-R trajectory", f"ALSFRS-R changes by {slope.estimate:.2f} points "
                       f"per month (95% CI {format_interval(None, slope.ci_low, slope.ci_high)}"
                       ").", [Part(r, "Linear mixed model of ALSFRS-R on months since baseline "
                                      "(random intercept and slope): fixed effects.",
                                   "ALSFRS-R over months since baseline: patients' "
                                   "trajectories and the mean line.")])
    r = fit_trajectories(c, time="months_since_baseline")
    slope = r.table.set_index("term").loc["time"]
    reading = (f"Among patients with pain, VAS changes by {slope.estimate:.2f} points per month "
               f"(95% CI {format_interval(None, slope.ci_low, slope.ci_high)}).")
    parts = [
        Part(r, "Linear mixed model of pain (VAS 0-10) on months since baseline among patients "
                "with pain (random intercept and slope): fixed effects; the time term is the "
                "change per month.",
             "Pain (VAS) over months since baseline: patients' trajectories and the mean "
             "line.")]
    death = _before_death_trajectory(c)
    if death is not None:
        d_slope = death.table.set_index("term").loc["time"]
        reading += (f" Counted back from death, among the patients with pain who died, VAS "
                    f"changes by {d_slope.estimate:.2f} points per month towards death (95% CI "
                    f"{format_interval(None, d_slope.ci_low, d_slope.ci_high)}).")
        parts.append(Part(
            death, "Linear mixed model of pain (VAS 0-10) on the months-before-death clock "
                   "(time = minus the months before death, 0 at death) among patients with "
                   "pain who died: fixed effects; the time term is the change per month as "
                   "death approaches.",
            "Pain (VAS) over the months before death (0 = death): patients' trajectories "
            "and the mean line."))
    return Section("Pain trajectories", reading, parts)


def _before_death_trajectory(c: Cohort) -> Result | None:
    """The pain trajectory on the months-before-death clock, when deaths with pain exist."""
    from .analysis.trajectories import fit_trajectories

    if not c.survival("death")["event"].any():
        return None
    try:
        return fit_trajectories(c, time="months_before_death")
    except ModelDataError:  # no patient with pain who died has a VAS measurement
        return None


def _km_reading(shown: list[Result]) -> str:
    t = shown[0].table
    if t[["n", "events"]].isna().any(axis=None):
        return "Overall survival: patients and deaths suppressed (small numbers)."
    med = t.iloc[0]
    when = ("not reached" if med["median"] != med["median"] else f"{med['median']:.1f} months")
    return (f"{int(t['events'].sum()):,} deaths among {int(t['n'].sum()):,} patients; "
            f"median survival from baseline {when}.")


KM_CAPTION = ("Kaplan-Meier survival from baseline to death: patients, deaths, median "
              "survival and survival at 12 and 24 months, with 95% CIs (log-log).")
KM_FIGURE = ("Kaplan-Meier survival from baseline with 95% CI bands (log-log), censoring "
             "marks, and the numbers at risk below.")


def _prognosis(c: Cohort, pool: Executor | None = None,
               joint: Future[Any] | None = None) -> Section:
    """The prognosis section. ``pool`` (its workers started) runs the bootstrap, and ``joint``
    is the joint model already being fitted: :func:`plan_report` starts both before the
    sections; alone, the section does both itself."""
    from .analysis.incremental import incremental_value
    from .analysis.prognosis import kaplan_meier, pain_cox, pain_joint_model

    if not has_pain(c):
        km = kaplan_meier(c, by=None)
        return Section("Survival", _km_reading,
                       [Part(km, KM_CAPTION, KM_FIGURE, (7, 5),
                             plot={"risk_times": km.risk_times()})])
    km = kaplan_meier(c)
    cox = pain_cox(c)
    hr = cox.table.set_index("term").loc["pain"]
    ph = cox.proportional_hazards()
    # the report's longest step: its bootstrap on every core (the same numbers on any number)
    iv = incremental_value(c, n_bootstrap=50, seed=1, progress=False,
                           n_workers=None if pool is None else os.cpu_count() or 1,
                           executor=pool)
    jm: Result | None
    try:
        # 4 Gauss-Hermite points per random effect (the model's default is 5): on a synthetic
        # cohort the association moved by under 0.005 of its standard error between 4 and 7
        # points (tests/test_joint.py), for 40% less work
        jm = joint.result() if joint is not None else pain_joint_model(c, gh_points=4)
    except AlsPainCohortError as err:  # the rest of the section stands without it
        jm, joint_note = None, readable_text(str(err))
    dc = iv.table.set_index("metric").loc["harrell_c"]
    dc_text = format_interval(dc.difference_corrected, dc.difference_ci_low,
                              dc.difference_ci_high, 2).replace(" (", " (bootstrap 95% CI ")
    reading = (f"Each point of current pain multiplies the hazard of death by "
               f"{hr.hazard_ratio:.2f} (95% CI "
               f"{format_interval(None, hr.hr_ci_low, hr.hr_ci_high)}), "
               "adjusted for ENCALS-like predictors (proportional hazards: global test "
               f"{format_p(ph.table.p_value.iloc[-1])}). Adding baseline pain to the "
               f"ENCALS-like model changes Harrell's C by {dc_text} after optimism "
               "correction (likelihood-ratio "
               f"{format_p(iv.lr_test['p_value'])}).")
    if jm is None:
        reading += f" The joint model of pain and survival was not computed: {joint_note}"
    else:
        jt = jm.table.set_index(["model", "term"])
        jv = jt.loc[("joint", "pain (current value)")]
        lv = jt.loc[("last value carried forward", "pain (last value)")]
        reading += (" Treating pain as measured with error (a joint model of the pain "
                    "trajectory and survival, adjusted for age at onset and bulbar onset), "
                    "each point of true current pain gives a hazard ratio of "
                    f"{jv.hazard_ratio:.2f} (95% CI "
                    f"{format_interval(None, jv.hr_ci_low, jv.hr_ci_high)}) against "
                    f"{lv.hazard_ratio:.2f} for the last value carried forward with the same "
                    "covariates.")
    parts = [
        Part(km, KM_CAPTION.replace("death:", "death by pain at baseline (VAS > 0):"),
             KM_FIGURE.replace("baseline", "baseline by pain at baseline", 1), (7, 5),
             plot={"risk_times": km.risk_times()}),
        Part(cox, "Cox model of death with current pain (VAS, carried forward) as a "
                  "time-varying covariate, adjusted for ENCALS-like predictors: hazard ratios "
                  "per unit with 95% CIs.",
             "Hazard ratios of the Cox model with 95% CIs (log scale); patients per term.",
             (7, 4)),
        Part(ph, "Test of proportional hazards (scaled Schoenfeld residuals, Kaplan-Meier time "
                 "transform) for each term and globally.",
             "Scaled Schoenfeld residuals of pain over time with a smooth: a flat line means "
             "proportional hazards."),
        Part(iv, "Discrimination and calibration of the ENCALS-like model without and with "
                 "baseline pain: apparent and optimism-corrected (bootstrap, 50 replicates) "
                 "values and the difference with its 95% CI.",
             "Calibration at 12 months: observed risk of death (Kaplan-Meier, 95% CI) against "
             "mean predicted risk by risk group, for the models without and with baseline "
             "pain; the diagonal is perfect calibration.", (5, 4), plot={"time": 12})]
    if jm is not None:
        parts.append(Part(
            jm, "Joint model of the VAS trajectory (mixed model, random intercept and slope; 4 "
                "Gauss-Hermite points per random effect) and death (Weibull baseline, age at "
                "onset and bulbar onset), linked by the true current pain, beside the Cox "
                "model of the last value carried forward with the same covariates: hazard "
                "ratios with 95% CIs. Measurement error and stale values dilute the "
                "carried-forward hazard ratio towards 1.",
            "Hazard ratios of both models with 95% CIs (log scale).", (7, 4)))
    return Section("Prognosis", reading, parts)


#: Section titles (the title a section keeps when it cannot be computed).
TITLES = {"load": "Data and load report", "table_one": "Table 1 (baseline)",
          "prevalence": "Prevalence of pain", "meta": "Published prevalence (context)",
          "depression": "Depression and quality of life: confounder or mediator?",
          "trajectories": "Pain trajectories", "prognosis": "Prognosis"}

#: What a section needs beyond pain: visit scores, and deaths for survival.
REQUIRES: dict[str, tuple[str, ...]] = {"depression": ("hads_d", "alsaq40"),
                                        "prognosis": ("death",)}


def _absent(cohort: Cohort, name: str) -> str:
    """The data a section needs that the cohort does not hold, in words ("" when none)."""
    from .variables import SHORT_LABELS, visit_score

    held = {str(v) for v in cohort.assessments["instrument"].dropna().unique()}
    missing = []
    for need in REQUIRES.get(name, ()):
        if need == "death":
            if not (cohort.events["event"].astype(str) == "death").any():
                missing.append("deaths (events of kind 'death')")
        elif visit_score(need)[0] not in held:
            missing.append(f"{SHORT_LABELS.get(need, need)} scores")
    return " and no ".join(missing)


SECTIONS: list[tuple[str, Callable[..., Section]]] = [
    ("load", _load_section), ("table_one", _table_one), ("prevalence", _prevalence),
    ("meta", _meta), ("depression", _depression), ("trajectories", _trajectories),
    ("prognosis", _prognosis),
]


def plan_report(cohort: Cohort, k: int = 5, progress: bool | None = False
                ) -> tuple[dict[str, Section], DisclosureControl, Suppression, dict[str, float]]:
    """Compute every section of the report and decide its small-cell suppression.

    Parameters
    ----------
    cohort : Cohort
    k : int
        Counts of 1 to k - 1 are small (default 5).
    progress : bool, optional
        A progress bar over the sections (``None``: in interactive use only).

    Returns
    -------
    (sections, control, suppression, timings)
        The sections by name (a section that cannot be computed says why in its reading),
        the :class:`~alspaincohort.disclosure.DisclosureControl` holding every count the page
        shows (table names ``<section>.<part>``), its :class:`Suppression` and the seconds each
        section took.
    """
    from .analysis.prognosis import pain_joint_model
    from .progress import bar

    pain = has_pain(cohort)
    sections: dict[str, Section] = {}
    timings: dict[str, float] = {}
    with cohort.memoized(), ExitStack() as stack:  # baseline() and survival(): once each
        extra: dict[str, dict[str, Any]] = {}
        if pain and not _absent(cohort, "prognosis"):
            # the prognosis section's two long steps start now: its bootstrap's worker
            # processes (before any thread runs: no fork beside a running thread), then the
            # joint model in a thread of this process, fitted on the core the
            # single-threaded sections leave idle (NumPy releases the GIL in its array work;
            # one BLAS thread per process throughout)
            workers = os.cpu_count() or 1
            pool = stack.enter_context(ProcessPoolExecutor(max_workers=workers))
            # one short task per worker, each busy long enough that the next needs a new one
            list(pool.map(time.sleep, [0.05] * workers))
            stack.enter_context(one_blas_thread())
            side = stack.enter_context(ThreadPoolExecutor(max_workers=1))
            extra["prognosis"] = {"pool": pool,
                                  "joint": side.submit(pain_joint_model, cohort, gh_points=4)}
            # then matplotlib's first drawing (fonts, renderer: ~0.3 s), which the figures
            # would otherwise pay after the sections; no figure is drawn while they run
            side.submit(_first_drawing)
        for name, make in bar(SECTIONS, "report", progress):
            t0 = time.perf_counter()
            absent = _absent(cohort, name)
            if not pain and name in ("prevalence", "depression"):
                sec = Section(TITLES[name], f"Not computed: the data hold no pain measurements "
                              f"(VAS or NRS), so {NEEDS_PAIN[name]} cannot be estimated.")
            elif absent:
                sec = Section(TITLES[name], f"Not computed: the data hold no {absent}, which "
                              "this section needs.")
            else:
                try:
                    sec = make(cohort, **extra.get(name, {}))
                except AlsPainCohortError as err:  # data the section cannot use: it says why
                    sec = Section(TITLES[name], f"Not computed: {readable_text(str(err))}")
            timings[name] = time.perf_counter() - t0
            sections[name] = sec
    t0 = time.perf_counter()
    control = DisclosureControl(k)
    for name, sec in sections.items():
        for i, part in enumerate(sec.parts):
            for cell in part.result.count_cells(f"{name}.{i}"):
                control.add(cell.table, cell.row, cell.column, cell.units)
    suppression = control.suppress()
    timings["disclosure"] = time.perf_counter() - t0
    return sections, control, suppression, timings


CSS = """body{font-family:sans-serif;max-width:1100px;margin:2em auto;color:#222}
h1{font-size:1.6em}h2{font-size:1.25em;margin-top:2em;border-bottom:1px solid #ccc}
p.reading{background:#f3f6fa;padding:.6em;border-left:4px solid #3b6ea5}
table.t{border-collapse:collapse;font-size:.85em;margin:.5em 0}
table.t td,table.t th{padding:.2em .6em;border-bottom:1px solid #eee}img{max-width:100%}"""


def build_report(cohort: Cohort, out: str | Path, title: str = "ALS pain cohort report",
                 progress: bool | None = None, k: int = 5) -> tuple[Path, dict[str, float]]:
    """Write ``<out>/report.html``.

    Parameters
    ----------
    cohort : Cohort
    out : str or Path
        Folder (created if needed).
    title : str
    progress : bool, optional
        A progress bar over the sections; default shown in interactive use only
        (:mod:`alspaincohort.progress`).
    k : int
        Counts of 1 to k - 1 are suppressed, with every count that would reveal them
        (module docstring).

    Returns
    -------
    (Path, dict)
        The page and the seconds each section (and the disclosure control) took.
    """
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    sections, _, suppression, timings = plan_report(cohort, k, progress)
    parts = []
    numbers = {"figure": 0, "table": 0}
    for name, sec in sections.items():
        shown = [p.result.suppressed(suppression, f"{name}.{i}") for i, p in
                 enumerate(sec.parts)]
        body = "".join(_render(p, r, numbers) for p, r in zip(sec.parts, shown, strict=True))
        reading = sec.reading(shown) if callable(sec.reading) else sec.reading
        parts.append(f'<section id="{name}"><h2>{html.escape(sec.title)}</h2>'
                     f'<p class="reading">{html.escape(reading)}</p>{body}</section>')
    intro = f"<p>{cohort.n_patients:,} patients. Generated by alspaincohort. " \
        f"{html.escape(suppression.note())}</p>"
    if not has_pain(cohort):
        ruled = "; ".join(NEEDS_PAIN.values())
        intro += ("<p class='reading'><b>No pain measurements were found</b> (no VAS or NRS "
                  f"pain scores). Ruled out: {html.escape(ruled)}. The cohort description, "
                  "ALSFRS-R trajectory and survival below do not need pain.</p>")
    page = (f"<!doctype html><html><head><meta charset='utf-8'><title>{html.escape(title)}"
            f"</title><style>{CSS}</style></head><body><h1>{html.escape(title)}</h1>"
            + intro + "".join(parts) + "</body></html>")
    path = out / "report.html"
    path.write_text(page, encoding="utf-8")
    return path, timings
