"""The command line and progress bars as a new user meets them (issue 18)."""

from __future__ import annotations

import io
import sys
import types
from pathlib import Path

import pytest
from typer.testing import CliRunner

import alspaincohort as apc
from alspaincohort import progress
from alspaincohort.cli import app
from alspaincohort.errors import ParameterError
from alspaincohort.simulation import Scenario, power_curve
from alspaincohort.synthetic.params import PARAMS, PRESETS


class _Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.mark.parametrize("fmt, folders", [("parquet", ["cohort"]), ("proact", ["proact"]),
                                          ("both", ["cohort", "proact"])])
def test_simulate_writes_one_layout_whatever_the_format(tmp_path: Path, fmt: str,
                                                       folders: list[str]) -> None:
    """OUT/cohort and OUT/proact for every format, so `summary OUT/cohort` (or OUT) works
    after any simulate."""
    out = tmp_path / fmt
    r = CliRunner().invoke(app, ["simulate", "--n", "25", "--seed", "2", "--out", str(out),
                                 "--format", fmt])
    assert r.exit_code == 0, r.output
    assert sorted(p.name for p in out.iterdir()) == folders
    for folder in folders:
        s = CliRunner().invoke(app, ["summary", str(out / folder)])
        assert s.exit_code == 0 and "schema breaches: 0" in s.output, s.output
    if "cohort" in folders:  # the simulate folder itself is accepted too
        s = CliRunner().invoke(app, ["summary", str(out)])
        assert s.exit_code == 0 and "patients=25" in s.output


def test_simulate_lists_its_parameters() -> None:
    r = CliRunner().invoke(app, ["simulate", "--list-params"])
    assert r.exit_code == 0, r.output
    names = [line.split(" = ")[0].strip() for line in r.output.splitlines()
             if line.startswith("  ") and not line.startswith("   ") and " = " in line]
    assert names == list(PARAMS)
    assert "source: docs/sources.md section 5" in r.output
    preset = next(p for p in PRESETS if PRESETS[p])
    r = CliRunner().invoke(app, ["simulate", "--list-params", "--preset", preset])
    assert r.exit_code == 0 and "(default " in r.output
    r = CliRunner().invoke(app, ["simulate", "--list-params", "--preset", "nope"])
    assert r.exit_code == 2 and "unknown preset 'nope'" in r.output
    r = CliRunner().invoke(app, ["simulate", "--n", "5"])
    assert r.exit_code == 2 and "--out" in r.output


def test_power_says_when_no_size_reaches_the_target(tmp_path: Path) -> None:
    r = CliRunner().invoke(app, ["power", "--n", "30", "--replicates", "2", "--target", "0.99",
                                 "--analysis", "pain_hr", "--workers", "1",
                                 "--out", str(tmp_path / "pw")])
    assert r.exit_code == 0, r.output
    assert "None" not in r.output
    assert "none of the sample sizes tried reached 99% power; the largest, 30" in r.output


def test_a_bad_scenario_fails_before_any_work(tmp_path: Path, capsys: pytest.CaptureFixture[str]
                                              ) -> None:
    """The preset and overrides are checked when the scenario is made: no progress bar, no
    replicate, no output folder."""
    with pytest.raises(ParameterError, match="unknown preset 'nope'"):
        Scenario("nope")
    with pytest.raises(ParameterError, match="p_male"):
        Scenario.of({"preset": "literature", "p_male": 3})
    with pytest.raises(ParameterError, match="unknown preset"):
        power_curve("nope", "vas_slope", [40], 2, seed=1, progress=True,
                    out=tmp_path / "never")
    assert capsys.readouterr().err == ""
    assert not (tmp_path / "never").exists()
    r = CliRunner().invoke(app, ["power", "--scenario", "nope", "--n", "40", "--out",
                                 str(tmp_path / "pw")])
    assert r.exit_code == 2 and "%|" not in r.output and "unknown preset" in r.output


def test_progress_follows_interactive_use(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "stderr", io.StringIO())
    assert not progress.interactive() and not progress.enabled(None)
    assert progress.enabled(True) and not progress.enabled(False)
    monkeypatch.setattr(sys, "stderr", _Tty())
    assert progress.interactive() and progress.enabled(None) and not progress.enabled(False)
    monkeypatch.setattr(sys, "stderr", io.StringIO())
    kernel = types.SimpleNamespace(config={"IPKernelApp": {}})
    monkeypatch.setitem(sys.modules, "IPython",
                        types.SimpleNamespace(get_ipython=lambda: kernel))
    assert progress.interactive()
    monkeypatch.setitem(sys.modules, "IPython", types.SimpleNamespace(get_ipython=lambda: None))
    assert not progress.interactive()


@pytest.mark.parametrize("run, label", [
    (lambda c, p: apc.incremental_value(c, n_bootstrap=3, seed=1, progress=p),
     "incremental_value bootstrap"),
    (lambda c, p: apc.latent_trajectories(c, n_classes=(1, 2), n_starts=1, progress=p),
     "latent_trajectories"),
    (lambda c, p: apc.mediation(c, n_boot=5, progress=p), "mediation bootstrap"),
])
def test_long_functions_show_progress_in_interactive_use(
        monkeypatch: pytest.MonkeyPatch, run: object, label: str) -> None:
    """Default (progress=None): a bar on a terminal, nothing when stderr is not one."""
    cohort = apc.simulate_cohort(120, seed=4)
    quiet = io.StringIO()
    monkeypatch.setattr(sys, "stderr", quiet)
    run(cohort, None)  # type: ignore[operator]
    assert quiet.getvalue() == ""
    tty = _Tty()
    monkeypatch.setattr(sys, "stderr", tty)
    run(cohort, None)  # type: ignore[operator]
    assert label in tty.getvalue()
    forced = io.StringIO()
    monkeypatch.setattr(sys, "stderr", forced)
    run(cohort, True)  # type: ignore[operator]
    assert label in forced.getvalue()
