"""`croupier risk`: the risk desk's commands (alerts, cases, AML reports)."""

from __future__ import annotations

import typer

from croupier.risk import cases_cli

app = typer.Typer(no_args_is_help=True, help="Risk: alerts, cases and AML reports.")
cases_cli.register(app)
