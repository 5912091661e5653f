"""The HTML report of a whole cohort: one self-contained page (figures embedded as PNG) with
the load report, Table 1, prevalence, the meta-analysis context, depression, trajectories and
prognosis, each with a one-line plain-language reading.

Patient identifiers never appear: every section shows aggregates, Table 1 suppresses counts
below ``k``, and the load report is summarised per file and rule (no quarantined rows).
"""

from __future__ import annotations

import base64
import html
import io
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from .cohort import Cohort
from .errors import AlsPainCohortError
from .result import Result


@dataclass
class Section:
    title: str
    reading: str
    body: str


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


def _result(r: Result, size: tuple[float, float] = (7, 4.5), **plot: Any) -> str:
    """Any analysis result: its figure, then its tables and notes (the Result shape)."""
    return _png(r.plot(ax=_axes(size), **plot)) + r.to_html()


def _table(df: pd.DataFrame, decimals: int = 3) -> str:
    return df.round(decimals).to_html(index=False, border=0, classes="t", na_rep="")


def _load_section(c: Cohort) -> Section:
    lr = c.load_report
    if lr is None:
        return Section("Data", f"{c.n_patients:,} patients read from standard tables; "
                       f"{len(c.validate())} schema breaches.", _table(c.summary().reset_index()))
    summary = lr.summary()
    reading = (f"{lr.rows_read:,} rows read, {lr.rows_loaded:,} loaded and "
               f"{lr.rows_quarantined:,} quarantined (by rule in the table).")
    notes = "".join(f"<li>{html.escape(n)}</li>" for n in lr.notes)
    return Section("Data and load report", reading, _table(summary) +
                   (f"<ul>{notes}</ul>" if notes else ""))


def _table_one(c: Cohort) -> Section:
    from .analysis.table_one import table_one

    t = table_one(c, groupby="pain")
    return Section("Table 1 (baseline, by pain)", "Baseline characteristics of patients with "
                   "and without pain at baseline; counts below 5 are suppressed.",
                   t.to_html())


def _prevalence(c: Cohort) -> Section:
    from .analysis.prevalence import prevalence

    r = prevalence(c, "any_pain", by="onset_site")
    t = r.table
    all_ = t[t.stratum == "all"].iloc[0]
    reading = (f"{100 * all_.prevalence:.0f}% of patients had pain at baseline "
               f"(95% CI {100 * all_.ci_low:.0f}-{100 * all_.ci_high:.0f}%).")
    stage = prevalence(c, "any_pain", at="visits", by="kings_stage", n_boot=300)
    return Section("Prevalence of pain", reading, _result(r) +
                   "<p>By King's stage at each visit (patient-level bootstrap CIs):</p>" +
                   _result(stage))


def _meta(_: Cohort) -> Section:
    from .analysis.meta_prevalence import meta_prevalence
    from .datasets import load_pain_prevalence_studies

    r = meta_prevalence(load_pain_prevalence_studies())
    reading = (f"Published studies pool to {100 * r.pooled['estimate']:.0f}% "
               f"({100 * r.pooled['ci_low']:.0f}-{100 * r.pooled['ci_high']:.0f}%) with "
               f"I² = {r.i2:.0f}%: prevalence depends strongly on the study.")
    return Section("Published prevalence (context)", reading,
                   _result(r, (7, 0.3 * len(r.table) + 1.5), reference=(0.60, 0.50, 0.69)))


def _depression(c: Cohort) -> Section:
    from .analysis.depression import depression_adjustment

    r = depression_adjustment(c)
    t = r.table[r.table.term == r.exposure].set_index("model")
    unadj, adj = t.loc["covariates"], t.loc["depression"]
    reading = (f"Each pain point changes the ALSAQ-40 index by {unadj.estimate:.2f} before and "
               f"{adj.estimate:.2f} (95% CI {adj.ci_low:.2f} to {adj.ci_high:.2f}) after "
               f"adjusting for HADS-D ({adj.change_pct:.0f}% change).")
    return Section("Depression and quality of life", reading, _result(r, (6, 3)))


def _trajectories(c: Cohort) -> Section:
    from .analysis.trajectories import fit_trajectories

    r = fit_trajectories(c, time="months_since_baseline")
    slope = r.table.set_index("term").loc["time"]
    reading = (f"Among patients with pain, VAS changes by {slope.estimate:.2f} points per month "
               f"(95% CI {slope.ci_low:.2f} to {slope.ci_high:.2f}).")
    return Section("Pain trajectories", reading, _result(r))


def _prognosis(c: Cohort) -> Section:
    from .analysis.incremental import incremental_value
    from .analysis.prognosis import kaplan_meier, pain_cox
    from .plots import format_p

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
    return Section("Prognosis", reading, _result(km, (7, 5)) + _result(cox, (6, 4)) +
                   _result(ph) + _result(iv, (5, 4), time=12))


SECTIONS: list[tuple[str, Callable[[Cohort], Section]]] = [
    ("load", _load_section), ("table_one", _table_one), ("prevalence", _prevalence),
    ("meta", _meta), ("depression", _depression), ("trajectories", _trajectories),
    ("prognosis", _prognosis),
]

CSS = """body{font-family:sans-serif;max-width:1100px;margin:2em auto;color:#222}
h1{font-size:1.6em}h2{font-size:1.25em;margin-top:2em;border-bottom:1px solid #ccc}
p.reading{background:#f3f6fa;padding:.6em;border-left:4px solid #3b6ea5}
table.t{border-collapse:collapse;font-size:.85em;margin:.5em 0}
table.t td,table.t th{padding:.2em .6em;border-bottom:1px solid #eee}img{max-width:100%}"""


def build_report(cohort: Cohort, out: str | Path, title: str = "ALS pain cohort report",
                 progress: bool = True) -> tuple[Path, dict[str, float]]:
    """Write ``<out>/report.html``; returns its path and the seconds each section took."""
    from tqdm.auto import tqdm

    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    parts, timings = [], {}
    for name, make in tqdm(SECTIONS, desc="report", disable=not progress):
        t0 = time.perf_counter()
        try:
            sec = make(cohort)
        except AlsPainCohortError as err:  # data the section cannot use: it says why
            sec = Section(name, f"This section could not be computed: {type(err).__name__}: "
                          f"{html.escape(str(err))}", "")
        timings[name] = time.perf_counter() - t0
        parts.append(f'<section id="{name}"><h2>{html.escape(sec.title)}</h2>'
                     f'<p class="reading">{sec.reading}</p>{sec.body}</section>')
    page = (f"<!doctype html><html><head><meta charset='utf-8'><title>{html.escape(title)}"
            f"</title><style>{CSS}</style></head><body><h1>{html.escape(title)}</h1>"
            f"<p>{cohort.n_patients:,} patients. Generated by alspaincohort.</p>"
            + "".join(parts) + "</body></html>")
    path = out / "report.html"
    path.write_text(page, encoding="utf-8")
    return path, timings
