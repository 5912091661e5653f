"""Shared test fixtures: ``agree`` compares ours with a reference and records how close it came.

Every corpus test (ours against R on hundreds of drawn datasets, issue 15) compares through
``agree``. Besides asserting, it keeps, per estimator and quantity, the datasets compared, the
values compared and the worst absolute and relative difference. ``make agreement`` runs the
corpora with ``ALSPAIN_AGREEMENT=<file>`` set and prints that table; without the variable nothing
is written.

The relative difference is ``|ours - ref| / scale``, where ``scale`` is ``|ref|`` unless the test
passes the scale its tolerance is defined on (e.g. ``max(|estimate|, SE)`` for coefficients that
can be near zero); a value where that scale is zero counts in the absolute column only. The
share of tolerance is the worst ``|ours - ref| / (atol + rtol * scale)``: below 1 passes.
"""

from __future__ import annotations

import os
from collections.abc import Hashable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest


@dataclass
class _Record:
    rtol: float
    atol: float
    datasets: set[Hashable] = field(default_factory=set)
    values: int = 0
    max_abs: float = 0.0
    max_rel: float = 0.0
    best_gain: float = 0.0
    max_share: float = 0.0


@dataclass
class Agreement:
    """Assert ours equals a reference within a tolerance, and record the worst difference."""

    records: dict[tuple[str, str], _Record] = field(default_factory=dict)
    refused: dict[str, set[Hashable]] = field(default_factory=dict)

    def __call__(self, estimator: str, quantity: str, ours: Any, ref: Any, *,
                 dataset: Hashable, rtol: float, atol: float = 0.0,
                 scale: Any = None) -> None:
        """Assert ``|ours - ref| <= atol + rtol * scale`` elementwise; NaN must match NaN."""
        o = np.atleast_1d(np.asarray(ours, dtype=float))
        r = np.atleast_1d(np.asarray(ref, dtype=float))
        where = f"{estimator} {quantity} (dataset {dataset})"
        assert o.shape == r.shape, f"{where}: shape {o.shape} vs reference {r.shape}"
        nan_o, nan_r = np.isnan(o), np.isnan(r)
        assert np.array_equal(nan_o, nan_r), (
            f"{where}: NaN at {np.flatnonzero(nan_o != nan_r).tolist()} in one only\n"
            f"ours {o}\nref  {r}")
        ok = ~nan_o
        inf = ok & (np.isinf(o) | np.isinf(r))
        assert np.array_equal(o[inf], r[inf]), f"{where}: infinite values differ"
        ok &= ~inf
        s = np.abs(r) if scale is None else np.broadcast_to(
            np.asarray(scale, dtype=float), r.shape)
        diff = np.abs(o[ok] - r[ok])
        s = s[ok]
        rel = np.divide(diff, s, out=np.zeros_like(diff), where=s > 0)
        rec = self.records.setdefault((estimator, quantity), _Record(rtol, atol))
        rec.datasets.add(dataset)
        rec.values += int(ok.sum())
        if diff.size:
            rec.max_abs = max(rec.max_abs, float(diff.max()))
            rec.max_rel = max(rec.max_rel, float(rel.max()))
        bound = atol + rtol * s
        share = np.divide(diff, bound, out=np.where(diff > 0, np.inf, 0.0), where=bound > 0)
        if share.size:
            rec.max_share = max(rec.max_share, float(share.max()))
        bad = diff > bound
        assert not bad.any(), (
            f"{where}: {int(bad.sum())} of {diff.size} values beyond rtol {rtol:g}, atol {atol:g}; "
            f"worst |diff| {diff.max():.3g}, relative {rel.max():.3g}\n"
            f"ours {o[ok][bad]}\nref  {r[ok][bad]}")

    def criterion(self, estimator: str, quantity: str, ours: float, ref: float, *,
                  dataset: Hashable, scale: float) -> None:
        """Record a minimised criterion (deviance, -2 log L) of ours against R's at R's estimate.

        Where R stops short of its optimum the comparison is the criterion: the caller asserts
        ours is no higher (its own rule); this records the worst excess ``ours - ref`` (in the
        absolute and relative columns; 0 when ours is never higher) and the largest improvement
        (``ours_lower_by``).
        """
        rec = self.records.setdefault((estimator, quantity), _Record(np.nan, np.nan))
        rec.datasets.add(dataset)
        rec.values += 1
        excess = float(ours) - float(ref)
        rec.max_abs = max(rec.max_abs, excess)
        rec.max_rel = max(rec.max_rel, excess / scale)
        rec.best_gain = max(rec.best_gain, -excess)

    def refuse(self, estimator: str, dataset: Hashable) -> None:
        """Count a dataset where R stops and ours raises its own error (no number to compare)."""
        self.refused.setdefault(estimator, set()).add(dataset)

    def table(self) -> pd.DataFrame:
        """One row per estimator and quantity: datasets, values, worst differences, tolerance."""
        rows = [{"estimator": est, "quantity": q, "datasets": len(rec.datasets),
                 "refused": len(self.refused.get(est, ())),
                 "values": rec.values, "worst_abs": rec.max_abs, "worst_rel": rec.max_rel,
                 "ours_lower_by": rec.best_gain,
                 "share_of_tolerance": rec.max_share, "rtol": rec.rtol, "atol": rec.atol}
                for (est, q), rec in self.records.items()]
        return (pd.DataFrame(rows).sort_values(["estimator", "quantity"])
                if rows else pd.DataFrame())


_AGREEMENT = Agreement()


@pytest.fixture
def agree() -> Agreement:
    """The session's :class:`Agreement` recorder (see the module docstring)."""
    return _AGREEMENT


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    out = os.environ.get("ALSPAIN_AGREEMENT")
    if out:
        _AGREEMENT.table().to_csv(Path(out), index=False)
