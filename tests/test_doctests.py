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
