"""The layer picture of issue 16, held by tests on the package's own imports.

Layers, top to bottom: ``cli`` -> ``report``, ``simulation`` -> ``analysis`` -> ``stats`` ->
``loaders``, ``synthetic`` -> ``cohort`` -> ``instruments``, ``schema``, ``plots`` and the
leaves (``errors``, ``variables``, ``truth``, ...). A module imports only from its own layer or
below, and never another module's private name (``_name``), nor reaches into an object's
private attribute (``obj._name`` for anything but ``self`` / ``cls``).
"""

from __future__ import annotations

import ast
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
         "alspaincohort.loaders": 2, "alspaincohort.synthetic": 2, "alspaincohort.cohort": 1,
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
         "finegray_rows", "mediation_effects"]


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
