"""Every docstring example in the package runs and shows what it prints (issue 16: the
examples are documentation a reader copies; four of them showed numbers the code does not
give before this test ran them)."""

from __future__ import annotations

import doctest
import importlib
import pkgutil

import numpy as np
import pandas as pd
import pytest

import alspaincohort

MODULES = sorted(m.name for m in pkgutil.walk_packages(alspaincohort.__path__,
                                                       "alspaincohort.")
                 if not m.name.endswith("__main__"))


def test_examples_exist() -> None:
    finder = doctest.DocTestFinder()
    n = sum(len(t.examples) for name in MODULES
            for t in finder.find(importlib.import_module(name)))
    assert n >= 35


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples_run(name: str) -> None:
    module = importlib.import_module(name)
    result = doctest.testmod(module, extraglobs={"np": np, "pd": pd}, report=True,
                             optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert result.failed == 0, f"{result.failed} failing example(s) in {name}"


def _documented_parameters(doc: str) -> set[str]:
    import re

    section = doc.split("Parameters\n----------\n", 1)[-1].split("Returns\n-------", 1)[0]
    names: set[str] = set()
    for line in section.splitlines():
        m = re.match(r"^(\*{0,2}[A-Za-z_][\w, *]*?)(?: :|$)", line)
        if m and not line.startswith(" "):
            names |= {n.strip().lstrip("*") for n in m.group(1).split(",")}
    return names


@pytest.mark.parametrize("name", sorted(alspaincohort._ANALYSES))
def test_public_analyses_have_numpydoc(name: str) -> None:
    """Issue 16: every public analysis documents every parameter, what it returns (each
    column) and an example that runs (the doctests above run it)."""
    import inspect

    func = getattr(alspaincohort, name)
    doc = inspect.getdoc(func) or ""
    for section in ("Parameters\n----------", "Returns\n-------", "Examples\n--------"):
        assert section in doc, f"{name}: no {section.splitlines()[0]} section"
    params = [p for p in inspect.signature(func).parameters]
    missing = [p for p in params if p not in _documented_parameters(doc)]
    assert not missing, f"{name}: parameters not documented: {missing}"
