"""The project's setup: pyproject and environment.yml agree, the README's code runs, and the
Makefile offers the README's two commands."""

from __future__ import annotations

import re
from pathlib import Path

import tomllib
import yaml

ROOT = Path(__file__).resolve().parents[1]


def _name(requirement: str) -> str:
    return re.split(r"[<>=!~\[ ;]", requirement.strip(), maxsplit=1)[0].lower()


def test_environment_yml_names_the_same_runtime_packages_as_pyproject() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    runtime = {_name(r) for r in project["dependencies"]}
    dev = {_name(r) for r in project["optional-dependencies"]["dev"]}
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    conda = {_name(d) for d in env["dependencies"] if isinstance(d, str)} - {"python", "pip"}
    assert conda == runtime | dev
    # the versions too: the same constraint string for every runtime package
    pins = {_name(r): r.replace(" ", "") for r in project["dependencies"]}
    conda_pins = {_name(d): d.replace(" ", "") for d in env["dependencies"] if isinstance(d, str)}
    for name in runtime:
        assert pins[name] == conda_pins[name], name


def test_user_requested_packages_are_declared() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    names = {_name(r) for r in project["dependencies"] + project["optional-dependencies"]["dev"]}
    assert {"pandas", "statsmodels", "lifelines", "scipy", "seaborn", "jupyter"} <= names


def test_readme_gives_the_two_commands_first() -> None:
    text = (ROOT / "README.md").read_text()
    first_block = re.search(r"```sh\n(.*?)```", text, re.S)
    assert first_block is not None
    commands = [line.split("#")[0].strip() for line in first_block.group(1).splitlines()]
    assert commands == ["make demo", "make test"]
    makefile = (ROOT / "Makefile").read_text()
    for target in ("install", "demo", "test", "bench", "help"):
        assert re.search(rf"^{target}:", makefile, re.M), target


def test_readme_python_blocks_run(capsys) -> None:
    text = (ROOT / "README.md").read_text()
    blocks = re.findall(r"```python\n(.*?)```", text, re.S)
    assert blocks
    for block in blocks:
        exec(compile(block, "README.md", "exec"), {"__name__": "readme"})  # noqa: S102
    assert "Cohort(" in capsys.readouterr().out


def test_ci_runs_make_test() -> None:
    assert "make test" in (ROOT / ".ci" / "run").read_text()


def test_the_repository_stands_alone() -> None:
    """Issue 16: sources are cited in the repository (docs/sources.md), never in files outside
    it; every section a docstring cites exists."""
    root = Path(__file__).resolve().parents[1]
    sources = (root / "docs" / "sources.md").read_text(encoding="utf-8")
    sections = {int(m) for m in re.findall(r"^## (\d+)\.", sources, flags=re.M)}
    cited: set[int] = set()
    for path in [*(root / "alspaincohort").rglob("*.py"), *(root / "alspaincohort").rglob("*.csv"),
                 root / "README.md"]:
        text = path.read_text(encoding="utf-8")
        assert "DOMAIN.md" not in text and "DESIGN.md" not in text and "shared/" not in text, path
        cited |= {int(n) for n in re.findall(r"docs/sources\.md section (\d+)", text)}
    assert cited and cited <= sections, cited - sections
