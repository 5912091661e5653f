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
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from .cohort import Cohort
from .disclosure import DisclosureControl, Suppression
from .errors import AlsPainCohortError
from .result import Result


@dataclass
class Part:
    """A result shown in a section: its figure (unless ``figure`` is False), then its tables."""

    result: Result
    size: tuple[float, float] = (7, 4.5)
    figure: bool = True
    plot: dict[str, Any] = field(default_factory=dict)
    caption: str = ""


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


def _png(ax: Any) -> str:
    fig = getattr(ax, "figure", ax)
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=110, bbox_inches="tight")
    data = base64.b64encode(buf.getvalue()).decode("ascii")
    return f'<img alt="figure" src="data:image/png;base64,{data}"/>'


def _render(part: Part, r: Result) -> str:
    """Any analysis result: its figure, then its tables and notes (the Result shape)."""
    cap = f"<p>{html.escape(part.caption)}</p>" if part.caption else ""
    fig = _png(r.plot(ax=_axes(part.size), **part.plot)) if part.figure else ""
    return cap + fig + r.to_html()


def _table(df: pd.DataFrame, decimals: int = 3) -> str:
    return df.round(decimals).to_html(index=False, border=0, classes="t", na_rep="")


def has_pain(cohort: Cohort) -> bool:
    """Whether the cohort holds any pain intensity (VAS or NRS) measurement."""
    from .analysis.prevalence import pain_scores

    return not pain_scores(cohort).empty


@dataclass(repr=False)
class _Html(Result):
    """Fixed HTML (no counts of patients) shown as a part."""

    fragment: str

    def to_html(self) -> str:
        return self.fragment


def _load_section(c: Cohort) -> Section:
    lr = c.load_report
    if lr is None:
        sizes = c.summary().iloc[:6].reset_index()  # table sizes only: counts of patients by
        # characteristic are in Table 1, where small cells are controlled
        return Section("Data", f"{c.n_patients:,} patients read from standard tables; "
                       f"{len(c.validate())} schema breaches.", [Part(_Html(_table(sizes)), figure=False)])
    summary = lr.summary()
    reading = (f"{lr.rows_read:,} rows read, {lr.rows_loaded:,} loaded and "
               f"{lr.rows_quarantined:,} quarantined (by rule in the table).")
    notes = "".join(f"<li>{html.escape(n)}</li>" for n in lr.notes)
    fragment = _table(summary) + (f"<ul>{notes}</ul>" if notes else "")
    return Section("Data and load report", reading, [Part(_Html(fragment), figure=False)])


def _table_one(c: Cohort) -> Section:
    from .analysis.table_one import table_one

    if has_pain(c):
        t = table_one(c, groupby="pain")
        reading = ("Baseline characteristics of patients with and without pain at baseline "
                   "(VAS > 0).")
    else:
        t = table_one(c)
        reading = "Baseline characteristics of all patients (no pain measurements to group by)."
    return Section("Table 1 (baseline)", reading, [Part(t, figure=False)])


def _prevalence(c: Cohort) -> Section:
    from .analysis.prevalence import prevalence

    r = prevalence(c, "any_pain", by="onset_site")
    stage = prevalence(c, "any_pain", at="visits", by="kings_stage", n_boot=300)

    def reading(shown: list[Result]) -> str:
        t = shown[0].table
        all_ = t[t.stratum == "all"].iloc[0]
        if all_.prevalence != all_.prevalence:
            return "Prevalence of pain at baseline: suppressed (small numbers)."
        return (f"{100 * all_.prevalence:.0f}% of patients had pain at baseline "
                f"(95% CI {100 * all_.ci_low:.0f}-{100 * all_.ci_high:.0f}%).")

    return Section("Prevalence of pain", reading, [
        Part(r), Part(stage, caption="By King's stage at each visit (patient-level bootstrap "
                                     "CIs):")])


def _meta(_: Cohort) -> Section:
    from .analysis.meta_prevalence import meta_prevalence
    from .datasets import load_pain_prevalence_studies

    r = meta_prevalence(load_pain_prevalence_studies())
    reading = (f"Published studies pool to {100 * r.pooled['estimate']:.0f}% "
               f"({100 * r.pooled['ci_low']:.0f}-{100 * r.pooled['ci_high']:.0f}%) with "
               f"I² = {r.i2:.0f}%: prevalence depends strongly on the study.")
    return Section("Published prevalence (context)", reading,
                   [Part(r, (7, 0.3 * len(r.table) + 1.5),
                         plot={"reference": (0.60, 0.50, 0.69)})])


def _depression(c: Cohort) -> Section:
    from .analysis.depression import depression_adjustment

    r = depression_adjustment(c)
    t = r.table[r.table.term == r.exposure].set_index("model")
    unadj, adj = t.loc["covariates"], t.loc["depression"]
    reading = (f"Each pain point changes the ALSAQ-40 index by {unadj.estimate:.2f} before and "
               f"{adj.estimate:.2f} (95% CI {adj.ci_low:.2f} to {adj.ci_high:.2f}) after "
               f"adjusting for HADS-D ({adj.change_pct:.0f}% change).")
    return Section("Depression and quality of life", reading, [Part(r, (6, 3))])


def _trajectories(c: Cohort) -> Section:
    from .analysis.trajectories import fit_trajectories

    if not has_pain(c):
        r = fit_trajectories(c, measure="alsfrs_r", time="months_since_baseline",
                             only_with_pain=False)
        slope = r.table.set_index("term").loc["time"]
        return Section("ALSFRS-R trajectory", f"ALSFRS-R changes by {slope.estimate:.2f} points "
                       f"per month (95% CI {slope.ci_low:.2f} to {slope.ci_high:.2f}).",
                       [Part(r)])
    r = fit_trajectories(c, time="months_since_baseline")
    slope = r.table.set_index("term").loc["time"]
    reading = (f"Among patients with pain, VAS changes by {slope.estimate:.2f} points per month "
               f"(95% CI {slope.ci_low:.2f} to {slope.ci_high:.2f}).")
    return Section("Pain trajectories", reading, [Part(r)])


def _km_reading(shown: list[Result]) -> str:
    t = shown[0].table
    if t[["n", "events"]].isna().any(axis=None):
        return "Overall survival: patients and deaths suppressed (small numbers)."
    med = t.iloc[0]
    when = ("not reached" if med["median"] != med["median"] else f"{med['median']:.1f} months")
    return (f"{int(t['events'].sum()):,} deaths among {int(t['n'].sum()):,} patients; "
            f"median survival from baseline {when}.")


def _prognosis(c: Cohort) -> Section:
    from .analysis.incremental import incremental_value
    from .analysis.prognosis import kaplan_meier, pain_cox
    from .plots import format_p

    if not has_pain(c):
        km = kaplan_meier(c, by=None)
        return Section("Survival", _km_reading,
                       [Part(km, (7, 5), plot={"risk_times": km.risk_times()})])
    km = kaplan_meier(c)
    cox = pain_cox(c)
    hr = cox.table.set_index("term").loc["pain"]
    ph = cox.proportional_hazards()
    iv = incremental_value(c, n_bootstrap=50, seed=1)
    dc = iv.table.set_index("metric").loc["harrell_c"]
    reading = (f"Each point of current pain multiplies the hazard of death by "
               f"{hr.hazard_ratio:.2f} (95% CI {hr.hr_ci_low:.2f}-{hr.hr_ci_high:.2f}), "
               "adjusted for ENCALS-like predictors (proportional hazards: global test "
               f"{format_p(ph.table.p_value.iloc[-1])}). Adding baseline pain to the "
               f"ENCALS-like model changes Harrell's C by {dc.difference_corrected:+.3f} after "
               f"optimism correction (bootstrap 95% CI of the difference "
               f"{dc.difference_ci_low:+.3f} to {dc.difference_ci_high:+.3f}; likelihood-ratio "
               f"{format_p(iv.lr_test['p_value'])}).")
    return Section("Prognosis", reading, [
        Part(km, (7, 5), plot={"risk_times": km.risk_times()}), Part(cox, (6, 4)), Part(ph),
        Part(iv, (5, 4), plot={"time": 12})])


SECTIONS: list[tuple[str, Callable[[Cohort], Section]]] = [
    ("load", _load_section), ("table_one", _table_one), ("prevalence", _prevalence),
    ("meta", _meta), ("depression", _depression), ("trajectories", _trajectories),
    ("prognosis", _prognosis),
]


def plan_report(cohort: Cohort, k: int = 5, progress: bool = False
                ) -> tuple[dict[str, Section], DisclosureControl, Suppression, dict[str, float]]:
    """Compute every section of the report and decide its small-cell suppression.

    Parameters
    ----------
    cohort : Cohort
    k : int
        Counts of 1 to k - 1 are small (default 5).
    progress : bool
        A progress bar.

    Returns
    -------
    (sections, control, suppression, timings)
        The sections by name (a section that cannot be computed says why in its reading),
        the :class:`~alspaincohort.disclosure.DisclosureControl` holding every count the page
        shows (table names ``<section>.<part>``), its :class:`Suppression` and the seconds each
        section took.
    """
    from tqdm.auto import tqdm

    pain = has_pain(cohort)
    sections: dict[str, Section] = {}
    timings: dict[str, float] = {}
    for name, make in tqdm(SECTIONS, desc="report", disable=not progress):
        t0 = time.perf_counter()
        if not pain and name in ("prevalence", "depression"):
            sec = Section(name, f"Not computed: the data hold no pain measurements (VAS or NRS), "
                          f"so {NEEDS_PAIN[name]} cannot be estimated.")
        else:
            try:
                sec = make(cohort)
            except AlsPainCohortError as err:  # data the section cannot use: it says why
                sec = Section(name, f"This section could not be computed: "
                              f"{type(err).__name__}: {err}")
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
                 progress: bool = True, k: int = 5) -> tuple[Path, dict[str, float]]:
    """Write ``<out>/report.html``.

    Parameters
    ----------
    cohort : Cohort
    out : str or Path
        Folder (created if needed).
    title : str
    progress : bool
        A progress bar over the sections.
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
    for name, sec in sections.items():
        shown = [p.result.suppressed(suppression, f"{name}.{i}") for i, p in
                 enumerate(sec.parts)]
        body = "".join(_render(p, r) for p, r in zip(sec.parts, shown, strict=True))
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
