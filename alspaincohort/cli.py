"""The ``alspaincohort`` command.

Subcommands: ``simulate`` (draw a synthetic cohort and write it), ``summary`` (validate a cohort
directory and print its overview), ``validate`` (load any input kind and print its load report
or schema breaches; exit 1 when any), ``power`` (power by sample size from simulations),
``report`` (the HTML report of a cohort).
Patient identifiers are never printed: breaches are reported by file, line, column, rule and a
pseudonymous reference (``p:`` and a keyed hash) of the patient.

Exit codes of every subcommand: 0 success; 1 (``validate``) rows quarantined or breaches found;
2 unusable input (a missing or unreadable file, a malformed mapping, a ``--strict`` breach, a
bad option value).
"""

from __future__ import annotations

import json
from enum import Enum
from pathlib import Path
from typing import Annotated

import pandas as pd
import typer

from .cohort import Cohort
from .errors import AlsPainCohortError
from .export import Pseudonymiser, write_csv

app = typer.Typer(
    name="alspaincohort",
    help="Epidemiology of pain in ALS: validate, summarise and simulate cohorts. Exit codes: 0 "
    "success; 1 rows quarantined or breaches found (validate); 2 unusable input.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


class OutputFormat(str, Enum):
    parquet = "parquet"
    proact = "proact"
    both = "both"


InputPath = Annotated[Path, typer.Argument(help="A standard-tables directory, a PRO-ACT "
                                            "directory, or data files with --mapping.")]
MappingOption = Annotated[Path | None, typer.Option(help="YAML mapping for tabular files.")]


def _load_or_exit(path: Path, mapping: Path | None, strict: bool = False) -> Cohort:
    """:func:`load_any`, or the error on stderr and exit code 2 (unusable input)."""
    try:
        return load_any(path, mapping, strict)
    except AlsPainCohortError as err:
        typer.echo(f"error: {err}", err=True)
        raise typer.Exit(2) from None


def load_any(path: Path, mapping: Path | None = None, strict: bool = False) -> Cohort:
    """A standard-tables directory, a PRO-ACT directory (pain files beside it are picked up) or
    tabular files described by a mapping."""
    from .loaders import load_proact, load_tabular
    from .loaders.proact import find_forms

    if mapping is not None:
        return load_tabular(path, mapping, strict=strict)
    if path.is_dir() and (path / "patients.parquet").exists():
        return Cohort.from_parquet(path)
    if path.is_dir() and (path / "cohort" / "patients.parquet").exists():  # simulate's OUT
        return Cohort.from_parquet(path / "cohort")
    if path.is_dir() and find_forms(path):
        pain = [p for p in (path / "pain_questionnaire.csv", path / "pain_sites.csv")
                if p.exists()]
        return load_proact(path, pain=pain or None, strict=strict)
    raise AlsPainCohortError(
        f"{path}: not a standard-tables directory (patients.parquet) nor a PRO-ACT directory "
        "(PROACT_*.csv); for other files give --mapping"
    )


@app.command()
def simulate(
    out: Annotated[Path | None, typer.Option(
        "--out", help="Output directory: standard tables in OUT/cohort, PRO-ACT files in "
        "OUT/proact.")] = None,
    n: Annotated[int, typer.Option("--n", min=1, help="Number of patients.")] = 1000,
    seed: Annotated[int, typer.Option("--seed", help="Random seed (same seed, same cohort).")] = 1,
    preset: Annotated[str, typer.Option("--preset", help="Parameter preset.")] = "literature",
    format: Annotated[
        OutputFormat,
        typer.Option("--format", help="parquet: standard tables in OUT/cohort; proact: "
                     "PRO-ACT CSV files in OUT/proact; both: the two."),
    ] = OutputFormat.parquet,
    set_param: Annotated[
        list[str] | None,
        typer.Option("--set", help="Override a parameter, NAME=JSON_VALUE (repeatable)."),
    ] = None,
    list_params: Annotated[bool, typer.Option(
        "--list-params", help="Print the generating parameters (value under --preset, "
        "default, valid range, source) and exit.")] = False,
) -> None:
    """Draw a synthetic ALS pain cohort with known ground truth and write it under OUT
    (OUT/cohort for standard tables, OUT/proact for PRO-ACT files, whatever the format)."""
    from .synthetic import simulate_cohort, to_proact

    if list_params:
        table = _parameter_table(preset)
        typer.echo(f"generating parameters under preset {preset!r} (NAME=VALUE for --set):")
        for r in table.itertuples():
            extra = "" if r.value == r.default else f" (default {r.default})"
            typer.echo(f"  {r.name} = {r.value}{extra}\n      {r.description}"
                       f"{'; range ' + r.range if r.range else ''}; source: {r.source}")
        return
    if out is None:
        raise typer.BadParameter("--out is required (or --list-params)", param_hint="--out")
    overrides = _overrides(set_param)
    try:
        cohort = simulate_cohort(n, seed=seed, preset=preset, **overrides)
    except AlsPainCohortError as err:
        typer.echo(f"error: {err}", err=True)
        raise typer.Exit(2) from None
    written = []
    if format is not OutputFormat.proact:
        cohort.to_parquet(out / "cohort")
        written.append(out / "cohort")
    if format is not OutputFormat.parquet:
        to_proact(cohort, out / "proact")
        written.append(out / "proact")
    typer.echo(f"wrote {cohort!r} to {' and '.join(map(str, written))}")


def _parameter_table(preset: str) -> pd.DataFrame:
    """Every generating parameter: name, value under ``preset``, default, range, source and
    description; an unknown preset exits 2."""
    from .synthetic.params import PARAMS, resolve_params

    try:
        values = resolve_params(preset)
    except AlsPainCohortError as err:
        typer.echo(f"error: {err}", err=True)
        raise typer.Exit(2) from None

    def bounds(p: object) -> str:
        low, high = getattr(p, "low", None), getattr(p, "high", None)
        return "" if low is None and high is None else f"{low} to {high}"

    return pd.DataFrame([{
        "name": name, "value": json.dumps(values[name]), "default": json.dumps(p.default),
        "range": bounds(p), "description": p.description, "source": p.source}
        for name, p in PARAMS.items()])


@app.command()
def summary(path: InputPath, mapping: MappingOption = None) -> None:
    """Validate a cohort and print its summary (no patient identifiers)."""
    cohort = _load_or_exit(path, mapping)
    breaches = cohort.validate()
    typer.echo(f"Cohort at {path}: {cohort!r}")
    typer.echo(f"schema breaches: {len(breaches)}")
    if len(breaches):
        typer.echo(breaches["rule"].value_counts().to_string())
    typer.echo(cohort.summary().to_string())


@app.command()
def validate(
    path: InputPath,
    mapping: MappingOption = None,
    strict: Annotated[bool, typer.Option(help="Stop at the first breach.")] = False,
    report: Annotated[Path | None, typer.Option(help="Write the quarantined rows to this "
                                                "CSV (and a summary beside it).")] = None,
    with_identifiers: Annotated[bool, typer.Option(
        "--with-identifiers", help="Put the raw source rows and patient ids in the --report "
        "file (by default it holds pseudonymous references only).")] = False,
    max_rows: Annotated[int, typer.Option(help="Breaches to print at most.")] = 50,
) -> None:
    """Load and validate a cohort; print the load report (or every schema breach).

    Patients are named by pseudonymous references (p:...), never by their ids.
    Exit codes: 0 all rows loaded and valid; 1 rows quarantined or breaches found; 2 the input
    is unusable (missing or unreadable file, malformed mapping, --strict breach).
    """
    cohort = _load_or_exit(path, mapping, strict)
    if cohort.load_report is not None:
        lr = cohort.load_report
        typer.echo(str(lr))
        if report is not None:
            lr.to_csv(report, identifiers=with_identifiers)
            typer.echo(f"quarantined rows written to {report}")
        if len(lr.quarantine):
            cols = ["file", "line", "patient_ref", "column", "value", "rule"]
            typer.echo(lr.safe_quarantine()[cols].head(max_rows).to_string(index=False))
        if lr.rows_quarantined:
            raise typer.Exit(1)
        return
    breaches = cohort.validate()
    if breaches.empty:
        typer.echo(f"{path}: valid ({cohort!r})")
        return
    typer.echo(f"{path}: {len(breaches)} breach(es)")
    pseudonyms = Pseudonymiser()
    ids = breaches["column"].astype(str) == "patient_id"
    shown = breaches.assign(value=breaches["value"].astype(object).where(
        ~ids, pd.Series(pseudonyms(breaches["value"]), index=breaches.index)))
    typer.echo(shown.head(max_rows).to_string(index=False))
    raise typer.Exit(1)


@app.command(context_settings={"allow_extra_args": True})
def power(
    ctx: typer.Context,
    out: Annotated[Path, typer.Option("--out", help="Directory for results (resumable).")],
    n: Annotated[list[int], typer.Option("--n", help="Sample sizes: --n 200 400 800 (or repeat "
                                         "--n).")],
    scenario: Annotated[str, typer.Option(help="Preset of the generating scenario.")] =
    "literature",
    analysis: Annotated[str, typer.Option(help="pain_hr, vas_slope, vas_slope_difference, "
                                          "prevalence_difference or qol_pain_effect.")] =
    "pain_hr",
    replicates: Annotated[int, typer.Option(help="Replicates per sample size.")] = 500,
    seed: Annotated[int, typer.Option(help="Seed of the study.")] = 1,
    target: Annotated[float, typer.Option(help="Target power.")] = 0.8,
    workers: Annotated[int | None, typer.Option(help="Worker processes (default: cores).")] =
    None,
    scheduler: Annotated[str | None, typer.Option(help="Dask scheduler address; runs on that "
                                                  "cluster.")] = None,
    set_param: Annotated[list[str] | None, typer.Option("--set", help="Override a scenario "
                                                        "parameter, NAME=JSON_VALUE.")] = None,
) -> None:
    """Power by sample size from simulated cohorts; results appended under OUT (a rerun
    resumes), summary written to OUT/summary.csv and OUT/power.csv."""
    from .simulation import power_curve

    try:
        sizes = list(n) + [int(a) for a in ctx.args]
    except ValueError:
        raise typer.BadParameter(f"unexpected argument(s) {ctx.args}; sample sizes are "
                                 "whole numbers") from None
    overrides = _overrides(set_param)
    try:
        res = power_curve({"preset": scenario, **overrides}, analysis, sizes, replicates, seed,
                          target_power=target, backend="dask" if scheduler else "local",
                          client=scheduler, n_workers=workers, out=out / "replicates")
    except AlsPainCohortError as err:
        typer.echo(f"error: {err}", err=True)
        raise typer.Exit(2) from None
    write_csv(res.study.table, out / "summary.csv")
    write_csv(res.table, out / "power.csv")
    typer.echo(res.table.round(4).to_string(index=False))
    typer.echo(res.conclusion())


def _overrides(items: list[str] | None) -> dict[str, object]:
    overrides: dict[str, object] = {}
    for item in items or []:
        name, sep, raw = item.partition("=")
        if not sep:
            raise typer.BadParameter(f"--set {item!r}: expected NAME=VALUE")
        try:
            overrides[name] = json.loads(raw)
        except json.JSONDecodeError:
            overrides[name] = raw
    return overrides


@app.command()
def report(
    path: InputPath,
    out: Annotated[Path, typer.Option("--out", help="Output directory for report.html.")],
    mapping: MappingOption = None,
) -> None:
    """Write one self-contained HTML report of a cohort (no patient identifiers)."""
    from .report import build_report

    cohort = _load_or_exit(path, mapping)
    page, timings = build_report(cohort, out)
    for name, seconds in timings.items():
        typer.echo(f"  {name:<13} {seconds:6.1f} s")
    typer.echo(f"report written to {page}")


def main() -> None:
    """Entry point of the console script."""
    app()


if __name__ == "__main__":
    main()
