"""``croupier drill``: run one drill, or all of them as the monthly crash-recovery test."""

from __future__ import annotations

import typer

app = typer.Typer(no_args_is_help=True, help="Drills: break something under load and measure what users saw.")

# Each drill module adds its command to ``app`` when imported, one line per drill below.
from croupier.operations.drills import (  # noqa: E402
    failover,  # noqa: F401
    restore,  # noqa: F401
)
