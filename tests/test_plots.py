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
