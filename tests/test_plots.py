"""Every plot function renders on the Agg backend and returns the Axes it drew on; figures save
as vector (SVG, PDF) and 300-dpi PNG."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import pytest  # noqa: E402

import alspaincohort as apc  # noqa: E402
from alspaincohort import plots  # noqa: E402


@pytest.fixture(scope="module")
def cohort() -> apc.Cohort:
    return apc.simulate_cohort(300, seed=51)


def _figures(cohort: apc.Cohort) -> dict[str, object]:
    from alspaincohort.analysis.prognosis import competing_risks, kaplan_meier
    from alspaincohort.analysis.table_one import table_one

    return {
        "forest": lambda ax: apc.meta_prevalence(
            apc.datasets.load_pain_prevalence_studies()).plot(ax=ax),
        "forest_subgroups": lambda ax: apc.meta_prevalence(
            apc.datasets.load_pain_prevalence_studies().assign(
                kind=lambda d: d.instrument.str.contains("BPI").map({True: "BPI",
                                                                     False: "other"})),
            subgroup="kind").plot(ax=ax),
        "prevalence": lambda ax: apc.prevalence(cohort, by="onset_site").plot(ax=ax),
        "km": lambda ax: kaplan_meier(cohort).plot(ax=ax),
        "cif": lambda ax: plots.cumulative_incidence_plot(
            competing_risks(cohort).cumulative_incidence, ax=ax),
        "spaghetti": lambda ax: apc.fit_trajectories(cohort).plot(ax=ax),
        "latent": lambda ax: apc.latent_trajectories(cohort, n_classes=(1, 2),
                                                     n_starts=1).plot(ax=ax),
        "heatmap": lambda ax: plots.pain_site_heatmap(cohort, ax=ax),
        "coefficients": lambda ax: apc.depression_adjustment(cohort).plot(ax=ax),
        "sensitivity": lambda ax: apc.mediation(cohort, n_boot=20).plot(ax=ax),
        "table_one": lambda ax: plots.table_figure(table_one(cohort, groupby="pain").display(),
                                                   ax=ax),
    }


def test_every_plot_returns_the_axes_it_drew_on(cohort: apc.Cohort) -> None:
    import alspaincohort.datasets  # noqa: F401

    for name, draw in _figures(cohort).items():
        fig, ax = plt.subplots()
        out = draw(ax)
        assert out is ax, name
        assert ax.has_data() or ax.tables or ax.images or ax.collections, name
        plt.close(fig)


@pytest.mark.parametrize("suffix", [".svg", ".pdf", ".png"])
def test_save_vector_and_png(cohort: apc.Cohort, tmp_path: Path, suffix: str) -> None:
    ax = apc.prevalence(cohort, by="onset_site").plot()
    path = plots.save(ax, tmp_path / f"fig{suffix}")
    assert path.stat().st_size > 1000
    if suffix == ".png":
        img = plt.imread(path)
        assert img.shape[0] > 600  # 300 dpi
    plt.close("all")


def test_plots_leave_the_users_matplotlib_settings_alone(cohort: apc.Cohort) -> None:
    """Issue 16: no sns.set_theme on the user's session; the style is a context."""
    before = {k: v for k, v in plt.rcParams.items() if k != "backend"}
    for draw in _figures(cohort).values():
        fig, ax = plt.subplots()
        draw(ax)
        plt.close(fig)
    after = {k: v for k, v in plt.rcParams.items() if k != "backend"}
    changed = [k for k in before if str(before[k]) != str(after[k])]
    assert changed == []


def test_km_plot_elements(cohort: apc.Cohort) -> None:
    """Censor marks, CI bands and an at-risk table whose first column equals the table's n."""
    from alspaincohort.analysis.prognosis import kaplan_meier

    km = kaplan_meier(cohort)
    fig, ax = plt.subplots()
    km.plot(ax=ax, risk_times=[0, 12, 24])
    marks = [line for line in ax.lines if line.get_marker() == "+"]
    assert len(marks) == len(km.table)
    assert len(ax.collections) == len(km.table)  # one CI band per group
    table_ax = [a for a in fig.axes if a is not ax][0]
    first = sorted((t for t in table_ax.texts if t.get_position()[0] == 0),
                   key=lambda t: -t.get_position()[1])
    assert [int(t.get_text()) for t in first] == km.table.sort_values("group")["n"].tolist()
    plt.close(fig)


def test_km_options_and_survival_at_times(cohort: apc.Cohort) -> None:
    """Issue 18: CI bands off, the CI type on the axis, cumulative-event rows equal to
    at_risk(), survival at 12 and 24 months with CIs in .table (as survival_at on each curve),
    the formatted table with the median in months and "NR" when not reached."""
    import numpy as np

    from alspaincohort.analysis.prognosis import kaplan_meier
    from alspaincohort.stats.survival import kaplan_meier_table, survival_at

    km = kaplan_meier(cohort, times=(6, 12, 24))
    for g, d in km.data.groupby("group"):
        ref = survival_at(kaplan_meier_table(d["time"], d["event"]), [6, 12, 24])
        row = km.table.set_index("group").loc[g]
        np.testing.assert_array_equal([row[f"survival_{t}m"] for t in (6, 12, 24)],
                                      ref["survival"])
        np.testing.assert_array_equal([row[f"survival_{t}m_ci_low"] for t in (6, 12, 24)],
                                      ref["ci_low"])
    fig, ax = plt.subplots()
    km.plot(ax=ax, ci=False, risk_times=[0, 12, 24], cumulative_events=True)
    assert len(ax.collections) == 0 and "(95% CI" not in ax.get_ylabel()
    table_ax = [a for a in fig.axes if a is not ax][0]
    shown = {(t.get_position()[1], t.get_position()[0]): int(t.get_text())
             for t in table_ax.texts}
    counts = km.at_risk([0, 12, 24])
    groups = sorted(counts["group"].unique())
    rows = [("n_risk", g) for g in groups] + [("cumulative_events", g) for g in groups]
    for i, (col, g) in enumerate(rows):
        y = len(rows) - 1 - i
        for r in counts[counts["group"] == g].itertuples():
            assert shown[(y, r.time)] == getattr(r, col)
    assert counts.loc[counts.time == 0, "cumulative_events"].eq(0).all()
    plt.close(fig)
    fig, ax = plt.subplots()
    kaplan_meier(cohort, conf_type="log").plot(ax=ax)
    assert "95% CI, log" in ax.get_ylabel()
    plt.close(fig)
    f = km.formatted()
    assert list(f.columns[:4]) == ["group", "patients", "events", "median, months (95% CI)"]
    assert "survival at 24 months, % (95% CI)" in f.columns
    never = kaplan_meier(apc.simulate_cohort(60, seed=2), times=(1,))
    never.table.loc[:, ["median", "median_ci_high"]] = np.nan
    assert never.formatted()["median, months (95% CI)"].str.contains("NR").all()
    with pytest.raises(apc.errors.ParameterError, match="times"):
        kaplan_meier(cohort, times=("12",))


def test_cox_forest_is_ggforest_like(cohort: apc.Cohort) -> None:
    """Issue 18: PainCoxResult.plot() shows term labels, patients, HR (95% CI) and p as
    journals print them, one row per term; coefficient_plot takes a Cox table."""
    import re

    import numpy as np

    cox = apc.pain_cox(cohort)
    fig, ax = plt.subplots()
    cox.plot(ax=ax)
    texts = [t.get_text() for t in ax.texts]
    assert {"term", "n", "HR (95% CI)", "p"} <= set(texts)
    counts = cox.term_counts()
    for _, r in cox.table.iterrows():
        assert f"{r.hazard_ratio:.2f} ({r.hr_ci_low:.2f}-{r.hr_ci_high:.2f})" in texts
        assert f"{counts[r.term]:,}" in texts
    assert "Pain, per VAS point (0-10)" in texts and "Bulbar onset" in texts
    in_model = cohort.baseline().set_index("patient_id").loc[
        cox.data.patient_id.unique()]
    assert counts["bulbar"] == int((in_model.onset_site == "bulbar").sum())
    assert counts["pain"] == cox.n_patients
    p_cells = [t for t in texts if re.fullmatch(r"< 0\.001|0\.\d{2,3}|1\.00", t)]
    assert len(p_cells) == len(cox.table) and "0.000" not in texts
    labels = [t.get_text() for t in ax.get_xticklabels()]
    assert "1" in labels and not any("times" in x or "^" in x for x in labels)
    plt.close(fig)
    fig, ax = plt.subplots()
    plots.coefficient_plot(cox.table, ax=ax)
    assert [t.get_text() for t in ax.get_yticklabels()] == cox.table["term"].tolist()
    plt.close(fig)
    assert plots.format_p_cell(np.nan) == "" and plots.format_p_cell(0.0001) == "< 0.001"
