"""The ``alspaincohort`` command.

Subcommands: ``simulate`` (draw a synthetic cohort and write it), ``summary`` (validate a cohort
directory and print its overview), ``validate`` (print every schema breach; exit 1 when any).
Patient identifiers are never printed: breaches are reported by table, row, column and rule.
"""

from __future__ import annotations

import json
from enum import Enum
from pathlib import Path
from typing import Annotated

import typer

from .cohort import Cohort
from .errors import AlsPainCohortError

app = typer.Typer(
    name="alspaincohort",
    help="Epidemiology of pain in ALS: validate, summarise and simulate cohorts.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


class OutputFormat(str, Enum):
    parquet = "parquet"
    proact = "proact"
    both = "both"


def _load(path: Path) -> Cohort:
    try:
        return Cohort.from_parquet(path)
    except AlsPainCohortError as err:
        typer.echo(f"error: {err}", err=True)
        raise typer.Exit(2) from None


@app.command()
def simulate(
    out: Annotated[Path, typer.Option("--out", help="Output directory.")],
    n: Annotated[int, typer.Option("--n", min=1, help="Number of patients.")] = 1000,
    seed: Annotated[int, typer.Option("--seed", help="Random seed (same seed, same cohort).")] = 1,
    preset: Annotated[str, typer.Option("--preset", help="Parameter preset.")] = "literature",
    format: Annotated[
        OutputFormat,
        typer.Option("--format", help="parquet: standard tables; proact: PRO-ACT CSV files; "
                     "both: OUT/cohort and OUT/proact."),
    ] = OutputFormat.parquet,
    set_param: Annotated[
        list[str] | None,
        typer.Option("--set", help="Override a parameter, NAME=JSON_VALUE (repeatable)."),
    ] = None,
) -> None:
    """Draw a synthetic ALS pain cohort with known ground truth and write it to OUT."""
    from .synthetic import simulate_cohort, to_proact

    overrides = {}
    for item in set_param or []:
        name, sep, raw = item.partition("=")
        if not sep:
            raise typer.BadParameter(f"--set {item!r}: expected NAME=VALUE")
        try:
            overrides[name] = json.loads(raw)
        except json.JSONDecodeError:
            overrides[name] = raw
    try:
        cohort = simulate_cohort(n, seed=seed, preset=preset, **overrides)
    except AlsPainCohortError as err:
        typer.echo(f"error: {err}", err=True)
        raise typer.Exit(2) from None
    if format is OutputFormat.parquet:
        cohort.to_parquet(out)
    elif format is OutputFormat.proact:
        to_proact(cohort, out)
    else:
        cohort.to_parquet(out / "cohort")
        to_proact(cohort, out / "proact")
    typer.echo(f"wrote {cohort!r} to {out}")


@app.command()
def summary(path: Annotated[Path, typer.Argument(help="A standard-tables directory.")]) -> None:
    """Validate a cohort and print its summary (no patient identifiers)."""
    cohort = _load(path)
    breaches = cohort.validate()
    typer.echo(f"Cohort at {path}: {cohort!r}")
    typer.echo(f"schema breaches: {len(breaches)}")
    if len(breaches):
        typer.echo(breaches["rule"].value_counts().to_string())
    typer.echo(cohort.summary().to_string())


@app.command()
def validate(
    path: Annotated[Path, typer.Argument(help="A standard-tables directory.")],
    max_rows: Annotated[int, typer.Option(help="Breaches to print at most.")] = 50,
) -> None:
    """Print every schema breach of a cohort; exit code 1 when there is any."""
    cohort = _load(path)
    breaches = cohort.validate()
    if breaches.empty:
        typer.echo(f"{path}: valid ({cohort!r})")
        return
    typer.echo(f"{path}: {len(breaches)} breach(es)")
    typer.echo(breaches.head(max_rows).to_string(index=False))
    raise typer.Exit(1)


def main() -> None:
    """Entry point of the console script."""
    app()


if __name__ == "__main__":
    main()
