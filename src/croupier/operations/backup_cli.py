"""``croupier backup``: base backups, WAL archiving and point-in-time recovery."""

from __future__ import annotations

import typer

app = typer.Typer(no_args_is_help=True, help="Backups and point-in-time recovery.")
