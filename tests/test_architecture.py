"""The layer picture of issue 16, held by tests on the package's own imports.

Layers, top to bottom: ``cli`` -> ``report``, ``simulation`` -> ``analysis`` -> ``stats`` ->
``loaders``, ``synthetic`` -> ``cohort`` -> ``instruments``, ``schema``, ``plots`` and the
leaves (``errors``, ``variables``, ``truth``, ...). A module imports only from its own layer or
below, and never another module's private name (``_name``), nor reaches into an object's
private attribute (``obj._name`` for anything but ``self`` / ``cls``).
"""

from __future__ import annotations

import ast
import functools
import html
import importlib
from pathlib import Path

import pytest

import alspaincohort

PACKAGE = Path(alspaincohort.__file__).parent
FILES = sorted(PACKAGE.rglob("*.py"))


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def _imports(path: Path, module: str | None = None) -> list[tuple[int, str, list[str]]]:
    """(line, absolute module, names) of every import inside the package, lazy ones too."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    here = (module or _module_name(path)).split(".")
    if path.name != "__init__.py":
        here = here[:-1]
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = here[: len(here) - node.level + 1]
                mod = ".".join(base + ([node.module] if node.module else []))
            else:
                mod = node.module or ""
            if mod.startswith("alspaincohort"):
                out.append((node.lineno, mod, [a.name for a in node.names]))
        elif isinstance(node, ast.Import):
            for a in node.names:
                if a.name.startswith("alspaincohort"):
                    out.append((node.lineno, a.name, []))
    return out


def _private(name: str) -> bool:
    return name.startswith("_") and not name.startswith("__")


def _private_uses(path: Path, module: str | None = None) -> list[str]:
    bad = [f"line {line}: from {mod} import {n}" for line, mod, names in _imports(path, module)
           for n in names if _private(n)]
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and _private(node.attr):
            owner = node.value
            if not (isinstance(owner, ast.Name) and owner.id in ("self", "cls")):
                bad.append(f"line {node.lineno}: {ast.unparse(node)}")
    return bad


@pytest.mark.parametrize("path", FILES, ids=lambda p: str(p.relative_to(PACKAGE)))
def test_no_private_name_crosses_a_module(path: Path) -> None:
    bad = _private_uses(path)
    assert not bad, f"{path.name} reaches into private names: {bad}"


LAYER = {"alspaincohort.cli": 6, "alspaincohort.__main__": 7, "alspaincohort.report": 5,
         "alspaincohort.simulation": 5, "alspaincohort.analysis": 4, "alspaincohort.stats": 3,
         "alspaincohort.loaders": 2, "alspaincohort.registers": 2, "alspaincohort.synthetic": 2,
         "alspaincohort.cohort": 1,
         "alspaincohort.validation": 1}


def _layer(module: str) -> int:
    for prefix, level in LAYER.items():
        if module == prefix or module.startswith(prefix + "."):
            return level
    return 0  # the leaves: errors, schema, instruments, variables, plots, truth, ...


@pytest.mark.parametrize("path", FILES, ids=lambda p: str(p.relative_to(PACKAGE)))
def test_imports_run_down_the_layers(path: Path) -> None:
    me = _module_name(path)
    if me == "alspaincohort":
        return  # the package's front door re-exports from every layer (lazily)
    up = [f"line {line}: {mod}" for line, mod, _ in _imports(path)
          if _layer(mod) > _layer(me) and mod != "alspaincohort"]
    # validation.check_cohort names the Cohort type (the same layer); nothing else runs up
    assert not up, f"{me} (layer {_layer(me)}) imports from a higher layer: {up}"


def test_the_checks_can_fail(tmp_path: Path) -> None:
    """The scanners see a private import, a reach into a private attribute and an upward
    import (a probe file read as if it were ``alspaincohort/stats/probe.py``)."""
    fake = tmp_path / "probe.py"
    fake.write_text("from ..cohort import _hidden\nfrom ..analysis import frames\n"
                    "x = frames._secret\ny = self._ok\n")
    name = "alspaincohort.stats.probe"
    bad = _private_uses(fake, name)
    up = [mod for _, mod, _ in _imports(fake, name) if _layer(mod) > _layer(name)]
    assert bad == ["line 1: from alspaincohort.cohort import _hidden", "line 3: frames._secret"]
    assert up == ["alspaincohort.analysis"]


STATS = ["LinearMixedModel", "CoxTimeVarying", "GEE", "LatentClassMixedModel", "Estimator",
         "cox_zph", "aalen_johansen", "logrank_test", "kaplan_meier_table", "harrell_c",
         "uno_c", "rma", "pool", "bca_interval", "time_dependent_auc", "brier_score",
         "finegray_rows", "FineGray", "mediation_effects"]


@pytest.mark.parametrize("name", STATS)
def test_stats_exports_its_estimators(name: str) -> None:
    stats = importlib.import_module("alspaincohort.stats")
    assert name in stats.__all__ and getattr(stats, name) is not None


@pytest.mark.parametrize("name", alspaincohort.__all__)
def test_top_level_names_import(name: str) -> None:
    assert getattr(alspaincohort, name) is not None


@pytest.mark.parametrize("cls", ["LinearMixedModel", "CoxTimeVarying", "GEE",
                                 "LatentClassMixedModel"])
def test_models_share_the_estimator_contract(cls: str) -> None:
    from alspaincohort.errors import NotFittedError, ParameterError
    from alspaincohort.stats import Estimator

    Model = getattr(importlib.import_module("alspaincohort.stats"), cls)
    assert issubclass(Model, Estimator)
    m = Model()
    assert m.alpha == 0.05 and "not fitted" in repr(m) and not m.is_fitted
    for attr in ("summary", "params_"):
        with pytest.raises((NotFittedError, AttributeError)):
            getattr(m, attr)
    with pytest.raises(NotFittedError, match="not fitted"):
        m.conf_int()
    with pytest.raises(ParameterError, match="alpha"):
        Model(alpha=95)


# ----------------------------------------------------------------------------------------------
# every public analysis returns the one Result shape
# ----------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def small_cohort() -> alspaincohort.Cohort:
    return alspaincohort.simulate_cohort(300, seed=2026)


def _calls(c: alspaincohort.Cohort) -> dict[str, object]:
    from alspaincohort.datasets import load_pain_prevalence_studies

    a = alspaincohort
    return {
        "prevalence": lambda: a.prevalence(c, by="onset_site"),
        "pain_determinants": lambda: a.pain_determinants(c),
        "pain_types": lambda: a.pain_types(c),
        "table_one": lambda: a.table_one(c, groupby="sex"),
        "meta_prevalence": lambda: a.meta_prevalence(load_pain_prevalence_studies()),
        "depression_adjustment": lambda: a.depression_adjustment(c),
        "mediation": lambda: a.mediation(c, n_boot=20),
        "pain_depression_association": lambda: a.pain_depression_association(c),
        "fit_trajectories": lambda: a.fit_trajectories(c),
        "first_last_change": lambda: a.first_last_change(c),
        "latent_trajectories": lambda: a.latent_trajectories(c, n_classes=(1, 2), n_starts=1),
        "kaplan_meier": lambda: a.kaplan_meier(c),
        "pain_cox": lambda: a.pain_cox(c, covariates=("age_at_onset", "bulbar")),
        "pain_joint_model": lambda: a.pain_joint_model(c),
        "landmark": lambda: a.landmark(c, (6,)),
        "competing_risks": lambda: a.competing_risks(c),
        "incremental_value": lambda: a.incremental_value(c, n_bootstrap=5, seed=1),
        "cox_zph": lambda: a.cox_zph(a.pain_cox(c, covariates=("age_at_onset",)).model),
        "simulation_study": lambda: a.simulation_study("literature", "vas_slope", 150, 2,
                                                       seed=1, progress=False),
        "power_curve": lambda: a.power_curve("literature", "vas_slope", [150], 2, seed=1,
                                             progress=False),
        "treatment_initiation": lambda: a.treatment_initiation(c),
        "treatment_response": lambda: a.treatment_response(c),
        "treatment_prognosis": lambda: a.treatment_prognosis(c, classes=("opioid",)),
        "proxy_agreement": lambda: a.proxy_agreement(
            a.simulate_cohort(200, seed=2026, p_caregiver=0.5)),
        "pain_before_onset": lambda: a.pain_before_onset(c),
        "comparator_drug_use": lambda: a.comparator_drug_use(_comparators()),
        "prediagnostic_exposure": lambda: a.prediagnostic_exposure(
            _register(), ["gabapentinoids", "opioids"], controls=3, seed=1),
        "prediagnostic_cohort": lambda: a.prediagnostic_cohort(_register(), ["gabapentinoids"]),
    }


@functools.lru_cache(maxsize=1)
def _register() -> object:
    sim = alspaincohort.simulate_register(5000, seed=2026, als_incidence_scale=30)
    return alspaincohort.load_register(sim.persons, sim.dispensings)


def _comparators() -> alspaincohort.Cohort:
    from alspaincohort.registers.designs import sample_risk_sets, to_cohort

    return to_cohort(_register(), sample_risk_sets(_register(), controls=3, seed=1))


NOT_ANALYSES = {"encals_linear_predictor"}  # a per-patient score (a variable), not an analysis
ANALYSES = sorted(n for n in alspaincohort._ANALYSES if n not in NOT_ANALYSES)


def test_every_analysis_is_covered(small_cohort: alspaincohort.Cohort) -> None:
    assert set(_calls(small_cohort)) == set(ANALYSES)


@pytest.mark.parametrize("name", ANALYSES)
def test_every_analysis_returns_the_result_shape(name: str,
                                                 small_cohort: alspaincohort.Cohort) -> None:
    import warnings

    import matplotlib
    import pandas as pd
    from matplotlib.figure import Figure

    from alspaincohort.result import Result

    before = dict(matplotlib.rcParams)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        r = _calls(small_cohort)[name]()  # type: ignore[operator]
    assert isinstance(r, Result), type(r)
    assert isinstance(r.table, pd.DataFrame) and not r.table.empty
    text = str(r)
    assert text.startswith(r.headline()) and "dataclass" not in text and len(text) < 20_000
    assert repr(r).startswith(f"<{type(r).__name__}: ")
    assert html.escape(r.headline()) in r._repr_html_()
    pd.testing.assert_frame_equal(r.to_frame(), r.table)
    assert isinstance(r.models, dict)
    assert "patient_id" not in r.to_frame().columns and "patient_id" not in text
    if name != "table_one":
        ax = Figure().subplots()
        assert r.plot(ax=ax) is ax
    assert dict(matplotlib.rcParams) == before  # no global matplotlib state changed


def test_defaults_agree() -> None:
    """One default time origin across survival(), kaplan_meier, pain_cox, fit_trajectories and
    the trajectory frame: time since baseline (defined for every patient)."""
    import inspect

    from alspaincohort.analysis.trajectories import trajectory_frame

    def default(f: object, name: str) -> object:
        return inspect.signature(f).parameters[name].default  # type: ignore[arg-type]

    assert default(alspaincohort.Cohort.survival, "origin") == "baseline"
    assert default(alspaincohort.kaplan_meier, "origin") == "baseline"
    assert default(alspaincohort.pain_cox, "origin") == "baseline"
    assert default(alspaincohort.fit_trajectories, "time") == "months_since_baseline"
    assert default(trajectory_frame, "time") == "months_since_baseline"


@pytest.mark.parametrize("name", ["pain_cox", "landmark", "competing_risks",
                                  "treatment_initiation", "treatment_prognosis",
                                  "depression_adjustment", "mediation", "pain_determinants",
                                  "fit_trajectories", "pain_depression_association",
                                  "incremental_value"])
def test_a_categorical_covariate_is_never_left_out(name: str,
                                                   small_cohort: alspaincohort.Cohort) -> None:
    """Issue 16: pain_cox(covariates=("onset_site",)) used to fit a model without it."""
    import warnings

    a = alspaincohort
    c = small_cohort
    call = {
        "pain_cox": lambda: a.pain_cox(c, covariates=("onset_site",)),
        "landmark": lambda: a.landmark(c, (6,), covariates=("onset_site",)),
        "competing_risks": lambda: a.competing_risks(c, covariates=("onset_site",)),
        "depression_adjustment": lambda: a.depression_adjustment(c, covariates=("onset_site",)),
        "mediation": lambda: a.mediation(c, covariates=("onset_site",), n_boot=5),
        "pain_determinants": lambda: a.pain_determinants(c, covariates=("onset_site",)),
        "fit_trajectories": lambda: a.fit_trajectories(c, covariates=("onset_site",)),
        "pain_depression_association": lambda: a.pain_depression_association(
            c, covariates=("onset_site",)),
        "incremental_value": lambda: a.incremental_value(c, base=("onset_site",),
                                                         n_bootstrap=0),
        "treatment_initiation": lambda: a.treatment_initiation(c, covariates=("onset_site",)),
        "treatment_prognosis": lambda: a.treatment_prognosis(c, classes=("opioid",),
                                                             covariates=("onset_site",)),
    }[name]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        r = call()
    used = [str(t) for m in r.models.values()
            for t in (m.params_.index if hasattr(m, "params_") else m.params.index)]
    used += getattr(r, "covariate_terms", [])
    assert any("onset_site" in t for t in used), used
