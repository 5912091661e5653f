"""Prevalence, Table 1 and meta-analysis of published prevalence (issue 6).

References: statsmodels ``proportion_confint`` for the proportion CIs; metafor 3.8 for the
meta-analysis (``tests/results/meta/``: ``make_data.py`` writes the data, ``reference.R`` the
numbers, which these tests read); scipy for Table 1's tests; hand computation for the rest.
Coverage tolerance: the empirical coverage of 4,000 simulated samples must lie within 0.03 of
0.95 for Wilson and Jeffreys (their coverage oscillates around nominal; Brown, Cai & DasGupta
2001) and at or above 0.95 - 0.01 for Clopper-Pearson (conservative by construction).
"""

from __future__ import annotations

import re
from pathlib import Path

import matplotlib
import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats
from statsmodels.stats.proportion import proportion_confint

import alspaincohort as apc
from alspaincohort.analysis.meta_prevalence import meta_prevalence
from alspaincohort.analysis.prevalence import (
    DEFINITIONS,
    cluster_bootstrap_ci,
    pain_determinants,
    prevalence,
    proportion_ci,
    register_definition,
)
from alspaincohort.analysis.table_one import smd_categorical, table_one
from alspaincohort.datasets import load_pain_prevalence_studies, manifest
from alspaincohort.errors import ModelDataError, ParameterError
from alspaincohort.stats import meta

matplotlib.use("Agg")
META = Path(__file__).resolve().parent / "results" / "meta"


# --- proportion CIs ----------------------------------------------------------------------------
@pytest.mark.parametrize(("ours", "theirs"), [("wilson", "wilson"),
                                               ("clopper-pearson", "beta"),
                                               ("jeffreys", "jeffreys")])
def test_proportion_ci_agrees_with_statsmodels(ours: str, theirs: str) -> None:
    x = np.array([0, 1, 3, 10, 25, 49, 50, 0, 7, 100])
    n = np.array([50, 50, 20, 40, 50, 50, 50, 1, 7, 400])
    lo, hi = proportion_ci(x, n, ours)
    ref_lo, ref_hi = proportion_confint(x, n, alpha=0.05, method=theirs)
    inner = (x > 0) & (x < n)
    np.testing.assert_allclose(lo[inner], ref_lo[inner], atol=1e-12)
    np.testing.assert_allclose(hi[inner], ref_hi[inner], atol=1e-12)
    assert np.all((lo >= 0) & (hi <= 1) & (lo <= x / n) & (x / n <= hi))
    # boundaries: exact 0 / 1 (statsmodels' Jeffreys keeps the unmodified beta quantile there;
    # ours applies the Brown-Cai-DasGupta modification the module documents)
    assert np.all(lo[x == 0] == 0) and np.all(hi[x == n] == 1)
    if ours != "jeffreys":
        np.testing.assert_allclose(lo[~inner], ref_lo[~inner], atol=1e-12)
        np.testing.assert_allclose(hi[~inner], ref_hi[~inner], atol=1e-12)
    else:
        np.testing.assert_allclose(hi[x == 0], ref_hi[x == 0], atol=1e-12)
        np.testing.assert_allclose(lo[x == n], ref_lo[x == n], atol=1e-12)


@pytest.mark.parametrize("p", [0.1, 0.5, 0.75])
@pytest.mark.parametrize("n", [30, 120])
def test_proportion_ci_coverage_by_simulation(p: float, n: int) -> None:
    rng = np.random.default_rng(int(p * 1000) + n)
    x = rng.binomial(n, p, size=4000)
    for method, check in (("wilson", lambda c: abs(c - 0.95) < 0.03),
                          ("jeffreys", lambda c: abs(c - 0.95) < 0.03),
                          ("clopper-pearson", lambda c: c >= 0.94)):
        lo, hi = proportion_ci(x, np.full_like(x, n), method)
        coverage = np.mean((lo <= p) & (p <= hi))
        assert check(coverage), (method, coverage)


def test_cluster_bootstrap_covers_with_correlated_visits() -> None:
    """Patients with 4 visits sharing a patient-level propensity: the cluster bootstrap covers
    the true prevalence near the nominal rate; a naive Wilson CI on visits would not."""
    rng = np.random.default_rng(1)
    truth, hits, naive_hits = 0.4, 0, 0
    reps = 150
    for _ in range(reps):
        propensity = rng.beta(0.8, 1.2, size=120)  # mean 0.4
        case = rng.random((120, 4)) < propensity[:, None]
        lo, hi = cluster_bootstrap_ci(case.ravel(), np.repeat(np.arange(120), 4), n_boot=400,
                                      seed=rng)
        hits += lo <= truth <= hi
        nl, nh = proportion_ci(case.sum(), case.size, "wilson")
        naive_hits += nl <= truth <= nh
    assert 0.88 <= hits / reps <= 0.99
    assert naive_hits / reps < hits / reps


# --- prevalence on cohorts -----------------------------------------------------------------------
@pytest.fixture(scope="module")
def cohort() -> apc.Cohort:
    return apc.simulate_cohort(5000, seed=61)


def test_prevalence_recovers_truth_by_onset_site(cohort: apc.Cohort) -> None:
    r = prevalence(cohort, "any_pain", by="onset_site").table.set_index("stratum")
    truth = cohort.truth.estimands["pain_prevalence_by_onset_site"]
    for site, p in truth.items():
        row = r.loc[site]
        se = np.sqrt(p * (1 - p) / row.n)
        assert abs(row.prevalence - p) < 3 * se, site
        assert 0 <= row.ci_low <= row.prevalence <= row.ci_high <= 1
    overall = r.loc["all"]
    assert overall.n == cohort.n_patients and overall.method == "wilson"


def test_prevalence_table_columns_and_invariants(cohort: apc.Cohort) -> None:
    for name in DEFINITIONS:
        if name == "dn4_neuropathic":  # the generator draws no DN4 (tested on its own)
            with pytest.raises(apc.errors.ModelDataError, match="dn4_neuropathic"):
                prevalence(cohort, name)
            continue
        t = prevalence(cohort, name).table
        assert list(t.columns) == ["definition", "by", "stratum", "n", "n_patients", "cases",
                                   "prevalence", "ci_low", "ci_high", "method"]
        assert t.prevalence.between(0, 1).all() and (t.cases <= t.n).all()
        assert ((t.ci_low <= t.prevalence) & (t.prevalence <= t.ci_high)).all()
    any_pain = prevalence(cohort, "any_pain").table.prevalence.iloc[0]
    moderate = prevalence(cohort, "moderate_pain").table.prevalence.iloc[0]
    period = prevalence(cohort, "any_pain", at="period").table.prevalence.iloc[0]
    assert moderate < any_pain <= period  # nested definitions, longer period


def test_prevalence_timing_and_stage_strata(cohort: apc.Cohort) -> None:
    window = prevalence(cohort, "any_pain", at=(150, 250)).table.iloc[0]
    assert window.n < cohort.n_patients  # only patients with a visit in the window
    visits = prevalence(cohort, "any_pain", at="visits", by="kings_stage", n_boot=200).table
    assert visits.method.eq("cluster-bootstrap").all()
    assert (visits.n >= visits.n_patients).all()
    assert set(visits.stratum) >= {"all", "kings 1", "kings 4"}
    dep = prevalence(cohort, "any_pain", by="depression").table.set_index("stratum")
    assert dep.loc["HADS-D >= 8", "prevalence"] > dep.loc["HADS-D < 8", "prevalence"]


def test_direct_standardisation_by_hand() -> None:
    c = apc.simulate_cohort(800, seed=62)
    std = pd.DataFrame({"age_band": ["[50, 60)", "[60, 70)"] * 2,
                        "sex": ["male", "male", "female", "female"], "weight": [3, 1, 1, 3]})
    t = prevalence(c, "any_pain", by="age_band", standard=std).table
    row = t[t.stratum == "standardised"].iloc[0]
    b = c.baseline()
    b = b.assign(band=pd.cut(b.age_at_onset, [0, 50, 60, 70, 80, 120], right=False).astype(str),
                 case=(b.vas_pain > 0).astype(float))
    num = den = var = 0.0
    for _, s in std.iterrows():
        cell = b[(b.band == s.age_band) & (b.sex == s.sex)].case
        if cell.empty:  # strata absent from the cohort are left out (documented)
            continue
        num += s.weight * cell.mean()
        den += s.weight
        var += s.weight**2 * cell.mean() * (1 - cell.mean()) / len(cell)
    assert row.prevalence == pytest.approx(num / den, rel=1e-12)
    assert row.ci_high - row.prevalence == pytest.approx(1.959963985 * np.sqrt(var) / den,
                                                         rel=1e-6)
    with pytest.raises(ValueError, match="no stratum of the standard population"):
        prevalence(c, "any_pain", standard=std.assign(age_band="[50.0, 60.0)"))


def test_user_definition_and_unknowns(cohort: apc.Cohort) -> None:
    def severe_vas(c: apc.Cohort) -> pd.DataFrame:
        s = c.scores("vas_pain", "total")
        return s.assign(case=(s.value >= 7).astype(float))[["patient_id", "day", "case"]]

    register_definition("vas_7", severe_vas, "VAS >= 7", replace=True)
    assert prevalence(cohort, "vas_7").table.prevalence.iloc[0] < 0.1
    with pytest.raises(ValueError, match="unknown definition"):
        prevalence(cohort, "pain_of_the_soul")
    with pytest.raises(ValueError, match="unknown stratum"):
        prevalence(cohort, "any_pain", by="shoe_size")


def test_pain_determinants(cohort: apc.Cohort) -> None:
    import statsmodels.formula.api as smf

    r = pain_determinants(cohort, covariates=("onset_site", "hads_d", "age_at_onset"))
    t = r.table
    dropped = int(re.match(r"(\d+) of (\d+)", r.notes[0]).group(1)) if r.notes else 0
    assert int(r.models["logit"].nobs) + dropped == cohort.n_patients
    assert r.plot() is not None
    # spinal, the first category, is the reference: bulbar onset has less pain (generator)
    bulbar = t[t.term.str.contains("bulbar")].iloc[0]
    assert bulbar.odds_ratio < 1 and bulbar.ci_high < 1
    hads = t[t.term == "hads_d"].iloc[0]
    assert hads.odds_ratio > 1 and hads.p_value < 0.001
    b = cohort.baseline().assign(case=lambda d: (d.vas_pain > 0).astype(float))
    ref = smf.logit("case ~ C(onset_site) + hads_d + age_at_onset", b.dropna(
        subset=["vas_pain", "hads_d"])).fit(disp=False)
    np.testing.assert_allclose(t.estimate.to_numpy(), ref.params.to_numpy()[1:], rtol=1e-8)


def test_prevalence_plot_returns_axes(cohort: apc.Cohort) -> None:
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots()
    out = prevalence(cohort, "any_pain", by="onset_site").plot(ax=ax)
    assert out is ax and len(ax.get_yticklabels()) == 5
    plt.close(fig)


# --- Table 1 ------------------------------------------------------------------------------------
@pytest.fixture
def small() -> pd.DataFrame:
    return pd.DataFrame({
        "grp": ["a"] * 6 + ["b"] * 6,
        "x": [1.0, 2.0, 3.0, 4.0, 5.0, np.nan, 2.0, 4.0, 6.0, 8.0, 10.0, 12.0],
        "sex": ["male", "female", "male", "male", None, "male",
                "female", "female", "male", "female", "female", "female"],
    })


def test_table_one_by_hand(small: pd.DataFrame) -> None:
    t = table_one(small, groupby="grp", continuous=["x"], categorical=["sex"], normal=["x"])
    tab = t.table.set_index(["variable", "level", "column"])
    a = tab.loc[("x", "", "a")]
    assert a["n"] == 5 and a["mean"] == 3.0 and a["sd"] == pytest.approx(np.std([1, 2, 3, 4, 5],
                                                                                 ddof=1))
    assert tab.loc[("x", "missing", "a"), "count"] == 1
    assert tab.loc[("sex", "male", "a"), "count"] == 4
    assert tab.loc[("sex", "male", "a"), "percent"] == pytest.approx(80.0)
    assert tab.loc[("sex", "missing", "a"), "count"] == 1
    assert tab.loc[("sex", "female", "overall"), "count"] == 6
    tests = t.tests.set_index("variable")
    welch = stats.ttest_ind([1, 2, 3, 4, 5], [2, 4, 6, 8, 10, 12], equal_var=False)
    assert tests.loc["x", "test"] == "Welch t-test"
    assert tests.loc["x", "p_value"] == pytest.approx(welch.pvalue)
    smd = abs(3 - 7) / np.sqrt((np.var([1, 2, 3, 4, 5], ddof=1) + np.var([2, 4, 6, 8, 10, 12],
                                                                           ddof=1)) / 2)
    assert tests.loc["x", "smd"] == pytest.approx(smd)
    # 2 x 2 table with small expected counts -> Fisher
    fisher = stats.fisher_exact([[1, 5], [4, 1]])
    assert tests.loc["sex", "test"] == "Fisher exact"
    assert tests.loc["sex", "p_value"] == pytest.approx(fisher.pvalue)
    p1, p2 = np.array([1 / 5, 4 / 5]), np.array([5 / 6, 1 / 6])
    binary = abs(p1[1] - p2[1]) / np.sqrt((p1[1] * p1[0] + p2[1] * p2[0]) / 2)
    assert tests.loc["sex", "smd"] == pytest.approx(binary)
    assert smd_categorical(p1, p2) == pytest.approx(binary)


def test_table_one_style_is_fixed_and_chosen(tmp_path: Path) -> None:
    """Issue 18: median [IQR] by default whatever the data (no normality test switching it),
    mean (SD) when asked; the test follows the summary."""
    rng = np.random.default_rng(3)
    d = pd.DataFrame({"g": rng.choice(["u", "v", "w"], 300), "normal": rng.normal(50, 10, 300),
                      "skewed": rng.exponential(2.0, 300)})
    t = table_one(d, groupby="g", continuous=["normal", "skewed"], categorical=[])
    tests = t.tests.set_index("variable")
    assert set(tests["test"]) == {"Kruskal-Wallis"}
    shown = t.display()
    assert {"normal, median [IQR]", "skewed, median [IQR]"} <= set(shown.variable)
    t = table_one(d, groupby="g", continuous=["normal", "skewed"], categorical=[],
                  style="mean (SD)", nonnormal=["skewed"])
    tests = t.tests.set_index("variable")
    assert tests.loc["normal", "test"] == "one-way ANOVA"
    assert tests.loc["skewed", "test"] == "Kruskal-Wallis"
    assert {"normal, mean (SD)", "skewed, median [IQR]"} <= set(t.display().variable)
    for n in (500, 2000):  # the style of a cohort's Table 1 does not change with its size
        assert "Age at onset, years, median [IQR]" in set(
            table_one(apc.simulate_cohort(n, seed=1)).display().variable)
    with pytest.raises(ParameterError, match="style"):
        table_one(d, style="mean")


def test_table_one_labels_levels_groups_and_exclusions() -> None:
    """Labels with units; empty levels as 0 (0.0); the grouping variable is not a row; patients
    without a group are counted in a footnote (suppressed when small)."""
    c = apc.simulate_cohort(200, seed=8)
    b = c.baseline()
    b.loc[b.index[:7], "sex"] = None
    t = table_one(b, groupby="sex", labels={"diagnostic_delay_months": "Delay to diagnosis, mo"})
    shown = t.display()
    assert "Delay to diagnosis, mo, median [IQR]" in set(shown.variable)
    assert "Site of onset" in set(shown.variable) and "Sex" not in set(shown.variable)
    raw = t.display(raw_names=True)
    assert "sex" not in set(raw.variable)
    el = raw.index[raw.variable == "el_escorial"][0]
    suspected = raw.loc[el:].query("level == 'suspected'").iloc[0]
    assert suspected["overall"] == "0 (0.0)"
    assert t.group_sizes["overall"] == 193
    assert "Not in the table: 7 patient(s) without a value of Sex." in t.footnotes()
    b = c.baseline()
    b.loc[b.index[:3], "sex"] = None
    small = table_one(b, groupby="sex")
    assert any("a small number of patients (count suppressed)" in n for n in small.footnotes())
    assert "Not in the table: 3 patient(s) without a value of Sex." in small.footnotes(
        suppress=False)


def test_table_one_refuses_text_in_a_continuous_column() -> None:
    d = pd.DataFrame({"x": [1.0, "2.5", 3.0], "g": ["a", "b", "a"]})
    with pytest.raises(ParameterError, match=r"'x': row 1 holds '2.5'"):
        table_one(d, continuous=["x"], categorical=[])
    with pytest.raises(ParameterError, match=r"'x': row 1 holds inf, not a finite number"):
        table_one(pd.DataFrame({"x": [1.0, np.inf]}), continuous=["x"], categorical=[])
    with pytest.raises(ModelDataError, match="no patient has a value of groupby 'g'"):
        table_one(pd.DataFrame({"x": [1.0, 2.0], "g": [None, None]}), groupby="g",
                  continuous=["x"], categorical=[])
    with pytest.raises(ParameterError, match="must hold numbers"):
        table_one(pd.DataFrame({"x": ["a", "b"]}).astype("string"), continuous=["x"],
                  categorical=[])


def test_table_one_exports(tmp_path: Path) -> None:
    """HTML, LaTeX (escaped: underscores and % compile), Word and CSV carry the same cells and
    the footnotes; print shows the formatted table."""
    import docx

    t = table_one(apc.simulate_cohort(120, seed=2), groupby="pain",
                  labels={"alsfrs_r": "ALSFRS_R & total, 100%"})
    shown = t.display()
    tex = t.to_latex()
    body = tex[tex.index("\\midrule"):tex.index("\\bottomrule")]
    assert "ALSFRS\\_R \\& total, 100\\%" in body
    for line in body.splitlines()[1:]:  # every row: ncol - 1 separators, no bare specials
        bare = re.sub(r"\\[_%&#$]", "", line)
        assert bare.count("&") == len(shown.columns) - 1, line
        assert not re.search(r"[_%#$]", bare), line
    assert "\\footnotesize Median [IQR]" in tex and "\\caption{Baseline characteristics}" in tex
    html_ = t.to_html()
    assert "<table" in html_ and "Median [IQR]; n (%)" in html_
    doc = docx.Document(str(t.to_docx(tmp_path / "t1.docx")))
    cells = [[c.text for c in r.cells] for r in doc.tables[0].rows]
    assert cells[0] == list(t.headed().columns) == [
        "Characteristic", "", "Overall", "No pain", "Pain", "SMD", "p", "Test"]
    assert cells[1:] == shown.astype(str).values.tolist()
    assert any(p.text.startswith("Median [IQR]") for p in doc.paragraphs)
    back = pd.read_csv(t.to_csv(tmp_path / "t1.csv"), dtype=str, keep_default_na=False)
    assert back.iloc[:len(shown)].values.tolist() == shown.astype(str).values.tolist()
    assert back.iloc[len(shown)]["variable"].startswith("Median [IQR]")
    text = str(t)
    assert "Age at onset, years, median [IQR]" in text and "note: Median [IQR]" in text


def test_table_one_on_cohort_suppresses_small_counts(cohort: apc.Cohort) -> None:
    small = apc.simulate_cohort(60, seed=63)
    shown = table_one(small, groupby="pain").display(k=5)
    text = shown.to_string()
    counts = shown[shown.level != ""][["overall", "no pain", "pain"]].to_numpy().ravel()
    for cell in counts:
        if cell and cell[0].isdigit():
            assert int(cell.split()[0]) == 0 or int(cell.split()[0]) >= 5, text


@settings(max_examples=200, deadline=None)
@given(st.lists(st.lists(st.integers(0, 30), min_size=2, max_size=3), min_size=2, max_size=5),
       st.integers(2, 10), st.integers(0, 3))
def test_suppression_never_leaks_a_small_count(cells: list[list[int]], k: int,
                                               missing: int) -> None:
    """Table 1 of one variable by group: every count 1..k-1 is hidden, and no hidden count is
    a linear function of what is shown (group sizes, overall column, levels, missing row),
    checked by solving that system independently of the suppression code."""
    width = min(len(r) for r in cells)
    m = np.array([r[:width] for r in cells])  # levels x groups
    m = m[m.sum(axis=1) > 0]
    if m.shape[0] == 0:
        return
    levels, groups = m.shape
    values = [f"L{i}" for i in range(levels) for j in range(groups) for _ in range(m[i, j])]
    labels = [f"g{j}" for i in range(levels) for j in range(groups) for _ in range(m[i, j])]
    values += [None] * missing
    labels += ["g0"] * missing
    df = pd.DataFrame({"v": values, "g": labels})
    shown = table_one(df, groupby="g", continuous=[], categorical=["v"]).display(k=k)
    cols = ["overall", *sorted(set(labels))]
    grid = {(str(r.level) or str(r.variable), c): getattr(r, c) if c != "overall" else r.overall
            for r in shown.itertuples() for c in cols if (r.level or r.variable == "n")}
    truth = {}
    for c in cols:
        sel = df if c == "overall" else df[df.g == c]
        truth[("n", c)] = len(sel)
        truth[("missing", c)] = int(sel.v.isna().sum())
        for i in range(levels):
            truth[(f"L{i}", c)] = int((sel.v == f"L{i}").sum())
    for key, cell in grid.items():  # shown cells are true, small ones are hidden
        if cell == "suppressed":
            continue
        assert int(str(cell).split()[0]) == truth[key], (key, cell)
        assert not 0 < truth[key] < k, (key, cell, k)
    unknowns = sorted(key for key, cell in grid.items() if cell == "suppressed")
    if not unknowns:
        return
    for col in {c for _, c in unknowns}:  # count / percent would give the denominator
        assert not any("(" in str(cell) for (r, c), cell in grid.items() if c == col), shown
    index = {u: p for p, u in enumerate(unknowns)}
    rows_ = [f"L{i}" for i in range(levels)] + ["missing"]
    eqs = []
    for c in cols:  # levels + missing = n in every column
        eqs.append(([(r, c) for r in rows_], [("n", c)]))
    for r in [*rows_, "n"]:  # overall = sum of the groups
        eqs.append(([(r, "overall")], [(r, g) for g in cols[1:]]))
    A = []
    for plus, minus in eqs:
        e = np.zeros(len(unknowns))
        for key in plus:
            if key in index:
                e[index[key]] += 1
        for key in minus:
            if key in index:
                e[index[key]] -= 1
        A.append(e)
    A = np.array(A)
    rank = np.linalg.matrix_rank(A)
    for key, p in index.items():
        unit = np.zeros(len(unknowns))
        unit[p] = 1
        assert np.linalg.matrix_rank(np.vstack([A, unit])) > rank, (m, k, key)


# --- meta-analysis vs metafor --------------------------------------------------------------------
REF = pd.read_csv(META / "reference.csv")
CASES = sorted(set(zip(REF["dataset"], REF["transform"], REF["method"], REF["test"],
                       strict=True)))


@pytest.mark.parametrize(("dataset", "transform", "method", "test"), CASES,
                         ids=["-".join(c) for c in CASES])
def test_meta_prevalence_agrees_with_metafor(dataset: str, transform: str, method: str,
                                             test: str) -> None:
    d = pd.read_csv(META / f"{dataset}.csv")
    r = REF[(REF["dataset"] == dataset) & (REF["transform"] == transform)
            & (REF["method"] == method) & (REF["test"] == test)].set_index("quantity")["value"]
    ci = "hartung-knapp" if test == "knha" else "wald"
    res = meta_prevalence(d, transform=transform, method=method, ci=ci, moderators=["year"],
                          subgroup="bpi")
    tr, p = res.pooled_transformed, res.pooled
    ours = {"estimate": tr["estimate"], "se": tr["se"], "ci_low": tr["ci_low"],
            "ci_high": tr["ci_high"], "pi_low": tr["pi_low"], "pi_high": tr["pi_high"],
            "tau2": res.tau2, "i2": res.i2, "h2": res.h2, "q": res.q, "q_pvalue": res.q_pvalue,
            "p_estimate": p["estimate"], "p_ci_low": p["ci_low"], "p_ci_high": p["ci_high"],
            "p_pi_low": p["pi_low"], "p_pi_high": p["pi_high"], "tau2_ci_low": res.tau2_ci[0],
            "tau2_ci_high": res.tau2_ci[1], "i2_ci_low": res.i2_ci[0],
            "i2_ci_high": res.i2_ci[1]}
    for i, row in enumerate(res.table.itertuples(), start=1):
        ours[f"yi_{i}"], ours[f"vi_{i}"], ours[f"weight_{i}"] = row.yi, row.vi, row.weight
    reg = res.regression.set_index("term")
    ours.update({"year_b0": reg.loc["intercept", "estimate"], "year_b1": reg.loc["year",
                                                                                "estimate"],
                 "year_se0": reg.loc["intercept", "std_error"],
                 "year_se1": reg.loc["year", "std_error"], "year_qm": res.moderator_test[
                     "statistic"], "year_qmp": res.moderator_test["p_value"],
                 "year_tau2": res.moderator_test["tau2"], "bpi_qm": res.subgroup_test[
                     "statistic"], "bpi_qmp": res.subgroup_test["p_value"]})
    if method == "REML":
        fit = meta.rma(res.table.yi, res.table.vi, method="REML")
        ours["tau2_se"] = fit.tau2_se
    compared = 0
    for name, value in r.items():
        if name not in ours:
            continue
        np.testing.assert_allclose(ours[name], value, rtol=1e-6, atol=1e-10, err_msg=name)
        compared += 1
    assert compared >= 40


def test_meta_prevalence_on_the_bundled_studies_is_close_to_the_published_pool() -> None:
    """13 of the 21 studies of Hurwitz 2021 (the unverified survey left out by default):
    pooled 60% (50-69%), I2 94% published."""
    studies = load_pain_prevalence_studies()
    r = meta_prevalence(studies)
    assert 0.5 <= r.pooled["estimate"] <= 0.69 and r.i2 > 90
    assert r.pooled["pi_low"] < r.pooled["ci_low"] < r.pooled["estimate"] < r.pooled["ci_high"]
    assert r.table.weight.sum() == pytest.approx(100)
    assert "pooled prevalence" in r.summary()


def test_forest_plot_has_metafor_columns_and_the_cited_published_pool() -> None:
    """Issue 18: events / n, proportion [CI] and weight beside every study; the pool, the
    prediction interval and the published value on rows of their own, the citation in full."""
    import matplotlib.pyplot as plt
    from matplotlib.patches import Polygon

    from alspaincohort.analysis.meta_prevalence import HURWITZ_2021

    r = meta_prevalence(load_pain_prevalence_studies())
    fig, ax = plt.subplots()
    assert r.plot(ax=ax, reference=HURWITZ_2021) is ax
    texts = [t.get_text() for t in ax.texts]
    assert texts[:3] == ["Events / n", "Proportion [95% CI]", "Weight"]
    for s in r.table.itertuples():
        assert f"{s.events:,} / {s.n:,}" in texts
        assert f"{s.proportion:.2f} [{s.ci_low:.2f}, {s.ci_high:.2f}]" in texts
        assert f"{s.weight:.1f}%" in texts
    p = r.pooled
    assert f"{p['estimate']:.2f} [{p['ci_low']:.2f}, {p['ci_high']:.2f}]" in texts
    assert f"[{p['pi_low']:.2f}, {p['pi_high']:.2f}]" in texts
    ticks = [t.get_text() for t in ax.get_yticklabels()]
    assert ticks[:len(r.table)] == list(r.table.study)
    assert ticks[-3:] == ["Random-effects model (REML)", "Prediction interval",
                          HURWITZ_2021.label]
    diamonds = [q for q in ax.patches if isinstance(q, Polygon)]
    assert len(diamonds) == 2  # ours and the published one
    assert [tuple(d.get_xy()[:3, 0]) for d in diamonds] == [
        (p["ci_low"], p["estimate"], p["ci_high"]), (0.50, 0.60, 0.69)]
    citation = [a.get_text() for a in ax.texts if "Hurwitz N" in a.get_text()]
    assert len(citation) == 1 and "2021;22(7-8):449-458" in citation[0].replace("\n", " ")
    assert "I² = 95%" in ax.get_title()
    plt.close(fig)


def test_continuity_rule_and_bad_input() -> None:
    y, v = meta.effect_sizes([0, 10], [10, 10], "logit")
    assert y[0] == pytest.approx(np.log(0.5 / 10.5)) and v[0] == pytest.approx(1 / 0.5 + 1 / 10.5)
    assert y[1] == pytest.approx(np.log(10.5 / 0.5))
    y, v = meta.effect_sizes([0], [10], "double_arcsine")
    assert np.isfinite(y).all() and v[0] == pytest.approx(1 / 42)
    with pytest.raises(ValueError, match="events"):
        meta.effect_sizes([11], [10])
    with pytest.raises(ValueError, match="whole numbers"):
        meta_prevalence(pd.DataFrame({"events": [1.5, 2], "n": [10, 10]}))


def test_bundled_dataset_and_manifest() -> None:
    s = load_pain_prevalence_studies(include_unverified=True)
    assert len(s) == 14 and (s.events <= s.n).all()
    default = load_pain_prevalence_studies()
    assert list(default.study) == list(s.study[s.attribution != "unverified"])
    assert set(s.study[s.attribution == "unverified"]) == {"Survey 2016"}
    assert set(s.attribution) == {"primary", "review table", "unverified"}
    assert s[["design", "setting", "instrument", "source"]].ne("").all().all()
    stated = s[s.design != "not recorded"]
    assert stated.design_source.ne("").all() and (s.design_source[s.design == "not recorded"]
                                                  == "").all()
    derived = s[s.count_source == "derived"]
    assert (derived.events == (derived.n * derived.percent_reported / 100).round()).all()
    reported = s[s.count_source == "reported"]
    assert set(reported.author.str[:5]) >= {"Chiò", "Åkerb", "Vogt"}
    m = manifest()
    assert "pain_prevalence_studies" in set(m.dataset) and m.references.str.len().gt(20).all()


@pytest.mark.parametrize("ci", ["wald", "hartung-knapp"])
def test_meta_level_reaches_regression_and_subgroups(ci: str) -> None:
    """Issue 15: ``level`` was ignored in meta-regression CIs and subgroup pooling, and a
    single-study subgroup got a NaN CI. Reference: tests/results/meta/level.R (metafor, 90%)."""
    here = Path(__file__).parent / "results" / "meta"
    studies = pd.read_csv(here / "studies.csv")
    ref = pd.read_csv(here / "level.csv")
    ref = ref[ref["test"] == ("knha" if ci == "hartung-knapp" else "z")]
    r = apc.meta_prevalence(studies, moderators=["year"], ci=ci, level=0.9)
    reg = ref[ref["what"] == "regression"]
    np.testing.assert_allclose(r.regression[["ci_low", "ci_high"]].to_numpy(),
                               reg[["ci_low", "ci_high"]].to_numpy(), rtol=1e-6)
    grouped = studies.assign(g=["a"] + ["b"] * (len(studies) - 1))
    s = apc.meta_prevalence(grouped, subgroup="g", ci=ci, level=0.9).subgroups.set_index("group")
    for g in ("a", "b"):
        row = ref[ref["what"] == f"subgroup_{g}"].iloc[0]
        np.testing.assert_allclose(s.loc[g, ["estimate", "ci_low", "ci_high"]].to_numpy(float),
                                   row[["estimate", "ci_low", "ci_high"]].to_numpy(float),
                                   rtol=1e-6)


def test_prevalence_by_a_list_and_missing_strata_are_counted() -> None:
    """Issue 16: by accepts a list (strata are the combinations); patients without a stratum
    are named in notes, not dropped silently; a continuous column is refused."""
    c = apc.simulate_cohort(400, seed=62)
    r = apc.prevalence(c, by=["onset_site", "sex"])
    t = r.table.set_index("stratum")
    assert t.loc["all", "by"] == "onset_site x sex"
    b = c.baseline()
    one = b[(b.onset_site.astype(str) == "bulbar") & (b.sex.astype(str) == "female")]
    assert t.loc["bulbar, female", "n"] == one.vas_pain.notna().sum()
    assert t.drop(index="all")["n"].sum() == t.loc["all", "n"]
    p = c.patients.copy()
    p.loc[p.index[:7], "sex"] = None
    r2 = apc.prevalence(apc.Cohort(patients=p, assessments=c.assessments), by="sex")
    assert r2.notes and "counted in 'all' only" in r2.notes[0]
    with pytest.raises(apc.ParameterError, match="continuous"):
        apc.prevalence(c, by="age")


def test_end_of_life_prevalence_counts_the_window_before_each_death() -> None:
    """Issue 21: prevalence(window_before_death=(30, 0)) is the share of patients who died with
    a pain assessment in their last 30 days who had pain at one of those visits; the
    denominator and the deaths left out are stated; the window is checked."""
    c = apc.simulate_cohort(600, seed=211)
    ev = c.events[c.events["event"].astype(str) == "death"]
    death = pd.Series(ev["day"].to_numpy(), index=ev["patient_id"].astype(str))
    vas = c.scores("vas_pain").assign(patient_id=lambda d: d["patient_id"].astype(str))
    vas = vas[vas["value"].notna() & vas["patient_id"].isin(death.index)]
    before = vas["patient_id"].map(death) - vas["day"]
    for first, last in ((30, 0), (90, 31), (180, 0)):
        inside = vas[(before >= last) & (before <= first)]
        cases = (inside["value"] > 0).groupby(inside["patient_id"]).any()
        r = apc.prevalence(c, window_before_death=(first, last))
        row = r.table.iloc[0]
        assert (row["n"], row["cases"]) == (len(cases), int(cases.sum()))
        assert row["prevalence"] == pytest.approx(cases.mean())
        assert f"{len(death)} patient(s) died, {len(cases)} with an assessment" in r.notes[0]
        assert f"from {first} to {last} days before death" in r.headline()
    per_visit = apc.prevalence(c, window_before_death=(30, 0), at="visits", n_boot=50)
    inside = vas[(before >= 0) & (before <= 30)]
    assert per_visit.table.iloc[0]["n"] == len(inside)
    assert per_visit.table.iloc[0]["cases"] == int((inside["value"] > 0).sum())
    by_sex = apc.prevalence(c, window_before_death=(30, 0), by="sex").table
    assert by_sex.loc[by_sex.stratum != "all", "n"].sum() == by_sex.iloc[0]["n"]
    for bad in ((0, 30), (30,), (-1, -5), (30.5, 0), "30", (True, 0)):
        with pytest.raises(apc.ParameterError, match="window_before_death"):
            apc.prevalence(c, window_before_death=bad)
    with pytest.raises(apc.ParameterError, match="'period' or 'visits'"):
        apc.prevalence(c, window_before_death=(30, 0), at="baseline")
    no_deaths = apc.Cohort(patients=c.patients, assessments=c.assessments)
    with pytest.raises(apc.errors.ModelDataError, match="days before death"):
        apc.prevalence(no_deaths, window_before_death=(30, 0))


def test_chronic_primary_secondary_and_dn4_definitions() -> None:
    """Issue 21: chronic pain (VAS > 0 at every measured visit over >= 91 days), primary and
    secondary pain (the review's grouping of pain types) and DN4 >= 4, each against a direct
    computation."""
    from alspaincohort.analysis.prevalence import DEFINITIONS
    from alspaincohort.schema import PAIN_TYPE_GROUPS

    c = apc.simulate_cohort(300, seed=2105)
    rows = DEFINITIONS["chronic_pain"].func(c).set_index(["patient_id", "day"])["case"]
    vas = c.scores("vas_pain")
    for pid, g in list(vas.groupby("patient_id"))[:60]:
        days, vals = g["day"].to_numpy(), g["value"].to_numpy()
        for i, (d, v) in enumerate(zip(days, vals, strict=True)):
            j = i
            while j > 0 and vals[j - 1] > 0:
                j -= 1
            expect = float(v > 0 and d - days[j] >= 91)
            assert rows[(pid, d)] == expect, (pid, d)
    r = apc.prevalence(c, "chronic_pain", at="visits", n_boot=20).table.iloc[0]
    assert 0 < r["cases"] < r["n"]
    visits = DEFINITIONS["any_pain_site"].func(c).set_index(["patient_id", "day"])
    ps = c.pain_sites.assign(pid=c.pain_sites["patient_id"].astype(str),
                             group=c.pain_sites["pain_type"].astype(str).map(PAIN_TYPE_GROUPS))
    for group in ("primary", "secondary"):
        got = DEFINITIONS[f"{group}_pain"].func(c).set_index(["patient_id", "day"])["case"]
        hits = set(zip(ps.loc[ps.group == group, "pid"], ps.loc[ps.group == group, "day"],
                       strict=True))
        expect = [float(k in hits) for k in visits.index]
        np.testing.assert_array_equal(got.reindex(visits.index).to_numpy(), expect)
    assert PAIN_TYPE_GROUPS["niv_interface"] == "secondary" and \
        PAIN_TYPE_GROUPS["cramp"] == "primary"
    # DN4: a cohort with DN4 totals
    dn4 = pd.DataFrame({"patient_id": c.patients["patient_id"].iloc[:4].astype(str), "day": 0,
                        "instrument": "dn4", "item": "total", "value": [2.0, 4.0, 7.0, 3.0],
                        "derived": True})
    c2 = apc.Cohort(patients=c.patients, assessments=pd.concat([c.assessments, dn4],
                                                               ignore_index=True))
    t = apc.prevalence(c2, "dn4_neuropathic").table.iloc[0]
    assert (t["n"], t["cases"]) == (4, 2)


def test_pain_types_is_the_review_figure_1_from_a_cohort() -> None:
    """Issue 21: each row of pain_types() is prevalence(..., at="period") of that type (same
    numbers), grouped primary / secondary as the review groups them, the sites are the
    regions most often reported with the type (recounted here), small cells are suppressed
    like any prevalence, and the figure colours the groups."""
    import matplotlib.pyplot as plt

    from alspaincohort.analysis.prevalence import pain_types
    from alspaincohort.disclosure import DisclosureControl
    from alspaincohort.schema import PAIN_TYPE_GROUPS

    c = apc.simulate_cohort(600, seed=2110)
    r = pain_types(c)
    t = r.table.set_index("stratum")
    assert list(t.index[:t.index.get_loc("primary_pain") + 1]) == [
        s for s in t.index if t.loc[s, "group"] == "primary"]
    for name, row in t.iterrows():
        direct = prevalence(c, str(name), at="period").table.iloc[0]
        assert (row.cases, row.n) == (direct.cases, direct.n), name
        assert row.ci_low == pytest.approx(direct.ci_low, abs=1e-12)
        assert row.group == PAIN_TYPE_GROUPS.get(str(name), str(name).split("_")[0])
    ps = c.pain_sites[["patient_id", "site", "pain_type"]].drop_duplicates()
    cramp = ps[ps.pain_type == "cramp"].groupby("site", observed=True).patient_id.nunique()
    top = cramp.sort_values(ascending=False, kind="stable").index[0]
    assert t.loc["cramp", "sites"].startswith(
        f"{top} {100 * cramp[top] / t.loc['cramp', 'cases']:.0f}%")
    assert t.loc["primary_pain", "cases"] >= t.loc[
        [s for s in t.index if PAIN_TYPE_GROUPS.get(s) == "primary"], "cases"].max()
    # suppression: a threshold above the smallest count hides that row and says so
    dc = DisclosureControl(k=int(t.cases.min()) + 1)
    for cell in r.count_cells("types"):
        dc.add(cell.table, cell.row, cell.column, cell.units)
    hidden = r.suppressed(dc.suppress(), "types")
    assert hidden.table.prevalence.isna().sum() >= 1 and hidden.notes
    fig, ax = plt.subplots()
    assert r.plot(ax=ax) is ax
    plt.close(fig)
    with pytest.raises(ModelDataError, match="no pain site"):
        pain_types(apc.simulate_cohort(50, seed=1, pain_prob_reference=0.0,
                                       pain_or_depression=1.0))
