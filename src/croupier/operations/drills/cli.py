"""``croupier drill``: run one drill, or all of them as the monthly crash-recovery test."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import click
import typer

from croupier.kit.commands import fail
from croupier.operations.drills import monthly as monthly_test

app = typer.Typer(no_args_is_help=True, help="Drills: break something under load and measure what users saw.")

# Each drill module adds its command to ``app`` when imported (the imports at the end).


def _drills() -> dict[str, bool]:
    """Every drill command but this one, in the order they were added: whether each has ``--quick``."""
    group = typer.main.get_command(app)
    commands: dict[str, click.Command] = getattr(group, "commands", {})
    return {
        name: any(param.name == "quick" for param in command.params)
        for name, command in commands.items()
        if name != "monthly"
    }


@app.command("monthly")
def monthly(
    out: Annotated[Path, typer.Option(help="Folder for the dated report.")] = Path("drill-reports"),
    drill: Annotated[
        list[str] | None, typer.Option("--drill", help="Run only this drill (repeatable); default: all.")
    ] = None,
    quick: Annotated[
        bool, typer.Option("--quick", help="The short version of each drill, as CI runs them.")
    ] = False,
) -> None:
    """Run every drill, write a dated Markdown report, and exit 1 if any promise broke."""
    drills = _drills()
    known = list(drills)
    unknown = sorted(set(drill or []) - set(known))
    if unknown:
        raise typer.BadParameter(
            f"no drill named {', '.join(unknown)} (known: {', '.join(known)})", param_hint="--drill"
        )
    if not (drill or known):
        fail("no drills are installed")
    started = monthly_test.now()
    runs = []
    for name in drill or known:
        typer.echo(f"drill {name} …", err=True)
        runs.append(monthly_test.run_drill(name, quick=quick and drills[name]))
        typer.echo(f"  {'held' if runs[-1].held else 'BROKEN'} in {runs[-1].seconds:.0f} s", err=True)
    report = monthly_test.report_markdown(runs, started=started, quick=quick)
    path = monthly_test.write_report(out, report, started=started)
    typer.echo(f"report: {path}")
    for run in runs:
        typer.echo(f"{run.name}: {'held' if run.held else 'BROKEN'}")
    broken = [run.name for run in runs if not run.held]
    if broken:
        fail(f"promises broken in: {', '.join(broken)} (see {path})")


# The drills, in the order the monthly test runs them.
from croupier.operations.drills import (  # noqa: E402
    balancer,  # noqa: F401
    failover,  # noqa: F401
    patroni,  # noqa: F401
    restore,  # noqa: F401
)
