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


def test_memory_and_work_figures_are_judged_strictly() -> None:
    rec = _module("record")
    mem = {"name": "m", "value": 1000.0, "unit": "bytes", "better": "lower"}
    assert rec.worse(mem, {**mem, "value": 1080.0}) is None  # +8%: within 10%
    assert rec.worse(mem, {**mem, "value": 1200.0}) == pytest.approx(0.2)
    assert rec.worse(mem, {**mem, "value": 1200.0}, widen=2.5) is None  # other library versions
    it = {"name": "i", "value": 3.0, "unit": "iterations", "better": "lower"}
    assert rec.worse(it, {**it, "value": 4.0}) is None
    assert rec.worse(it, {**it, "value": 6.0}) == pytest.approx(1.0)
    rows = {"name": "r", "value": 0.0, "unit": "count", "better": "lower"}
    assert rec.worse(rows, {**rows, "value": 1.0}) == float("inf")  # from none to some
    assert {"bytes", "bytes-ratio", "iterations", "count"} == rec.STRICT
    with pytest.raises(ValueError, match="unit must be one of"):
        rec.record("bad", 1, "seconds")


@pytest.mark.parametrize(("figure", "value", "fails"), [
    ("finegray_rows_per_subject", 173.0, True),  # the expansion is back
    ("generator_bytes_per_patient", 3600.0, False),  # +1%: noise
    ("generator_bytes_per_patient", 4500.0, True),
    ("some_time_vs_r", 9.0, False),  # a wall-clock ratio is printed, never fails
])
def test_quick_run_fails_on_a_memory_or_work_regression_only(
        monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str],
        figure: str, value: float, fails: bool) -> None:
    run = _module("run")
    rec = _module("record")
    base = [{"bench": "b", "name": "finegray_rows_per_subject", "value": 1.0, "unit": "count",
             "better": "lower"},
            {"bench": "b", "name": "generator_bytes_per_patient", "value": 3552.0,
             "unit": "bytes", "better": "lower"},
            {"bench": "b", "name": "some_time_vs_r", "value": 0.5, "unit": "x",
             "better": "lower"}]
    now = [{**f, "value": value} if f["name"] == figure else f for f in base]
    monkeypatch.setattr(run, "BENCHMARKS", [("bench_memory.py", [])])
    monkeypatch.setattr(run, "run", lambda script, args: (0, now))
    monkeypatch.setattr(run, "RESULTS", tmp_path / "bench-quick.json")
    monkeypatch.setattr(run, "committed", lambda: {
        "commit": "abc", "date": "d", "versions": rec.versions(), "figures": base})
    assert run.main() == (1 if fails else 0)
    out = capsys.readouterr().out
    assert ("fails the run" in out) == fails
    assert json.loads((tmp_path / "bench-quick.json").read_text())["figures"] == now


def test_committed_quick_figures_cover_every_memory_figure() -> None:
    """CI compares each run with benchmarks/results/bench-quick.json: every figure
    bench_memory.py records must be there, or its regressions would pass unseen."""
    tree = ast.parse((BENCH / "bench_memory.py").read_text(encoding="utf-8"))
    names = {n.args[0].value for n in ast.walk(tree) if isinstance(n, ast.Call)
             and getattr(n.func, "id", None) == "record"}
    committed = json.loads((BENCH / "results" / "bench-quick.json").read_text())
    assert names == {f["name"] for f in committed["figures"]}
    assert committed["quick"] and "versions" in committed


def test_register_benchmark_pipelines_agree(tmp_path: Path) -> None:
    """bench_register.py's two pipelines (DuckDB, and plain pandas as the reference) build the
    same sets and give the same odds ratios, on a small register."""
    import numpy as np
    import pandas as pd

    from alspaincohort.synthetic import simulate_register

    simulate_register(20_000, seed=3, als_incidence_scale=20, out=tmp_path)
    bench = _module("bench_register")
    duck = bench.duckdb_pipeline(str(tmp_path))
    plain = bench.pandas_pipeline(str(tmp_path))
    from io import StringIO

    table = pd.read_json(StringIO(duck["table"]), orient="split").set_index(
        ["exposure_class", "window"])["ratio"]
    ref = pd.Series({(c, w): r for c, w, r in plain["ratios"]})
    ours = table.reindex(ref.index)
    assert (ours.isna() == ref.isna()).all() and ref.notna().sum() >= 15
    assert np.allclose(ours.dropna(), ref.dropna(), rtol=1e-9)
    assert duck["rows"] == plain["rows"]
