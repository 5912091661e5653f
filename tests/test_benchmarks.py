"""The benchmark harness (issue 19): every benchmark hands its figures to benchmarks/record.py,
and run.py flags a figure worse than the committed one by more than its noise."""

from __future__ import annotations

import ast
import importlib.util
import json
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[1] / "benchmarks"


def _module(name: str):  # type: ignore[no-untyped-def]
    sys.path.insert(0, str(BENCH))
    try:
        spec = importlib.util.spec_from_file_location(name, BENCH / f"{name}.py")
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        return module
    finally:
        sys.path.remove(str(BENCH))


def test_record_prints_a_figure_and_worse_respects_noise(capsys: pytest.CaptureFixture[str]
                                                         ) -> None:
    rec = _module("record")
    rec.record("x_vs_r", 0.5, "x")
    line = capsys.readouterr().out.strip()
    assert line.startswith("@figure ")
    fig = json.loads(line[len("@figure "):])
    assert fig == {"name": "x_vs_r", "value": 0.5, "unit": "x", "better": "lower"}
    assert rec.worse(fig, {**fig, "value": 0.59}) is None  # +18%: within the 20% noise
    assert rec.worse(fig, {**fig, "value": 0.65}) == pytest.approx(0.3)
    assert rec.worse(fig, {**fig, "value": 0.1}) is None  # better
    up = {**fig, "better": "higher", "value": 10.0}
    assert rec.worse(up, {**up, "value": 7.0}) == pytest.approx(0.3)
    assert rec.worse(up, {**up, "value": 12.0}) is None
    peak = {"name": "p", "value": 4.0, "unit": "GiB", "better": "lower"}
    assert rec.worse(peak, {**peak, "value": 4.4}) == pytest.approx(0.1)
    with pytest.raises(ValueError, match="better"):
        rec.record("bad", 1, "x", "smaller")


def test_every_benchmark_records_its_figures() -> None:
    run = _module("run")
    scripts = [s for s, _ in run.BENCHMARKS]
    assert sorted(scripts) == sorted(p.name for p in BENCH.glob("bench_*.py"))
    for script in scripts:
        tree = ast.parse((BENCH / script).read_text(encoding="utf-8"))
        calls = [n for n in ast.walk(tree) if isinstance(n, ast.Call)
                 and getattr(n.func, "id", None) == "record"]
        assert calls, f"{script} records no figure"
