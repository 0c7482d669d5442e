"""`croupier audit`: verify, anchor and read the hash-chained audit log."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC
from typing import TypeVar

import typer
from rich.console import Console
from rich.table import Table

from croupier.audit import service
from croupier.audit.models import AuditEvent
from croupier.audit.tags import AuditAction
from croupier.kit.commands import run_with_runtime
from croupier.kit.errors import CroupierError
from croupier.kit.runtime import Runtime

app = typer.Typer(no_args_is_help=True, help="The append-only, hash-chained audit log.")
T = TypeVar("T")


def _run(work: Callable[[Runtime], Awaitable[T]]) -> T:
    """Run against the configured database and keyring; a configuration error exits 1."""
    try:
        return run_with_runtime(work)
    except CroupierError as exc:
        typer.echo(f"error: {exc.detail}", err=True)
        raise typer.Exit(1) from None


def _checkpoint(value: str | None) -> tuple[int, bytes] | None:
    if value is None:
        return None
    try:
        return service.parse_checkpoint(value)
    except ValueError as exc:
        raise typer.BadParameter(str(exc)) from None


@app.command()
def verify(
    checkpoint: str | None = typer.Option(
        None,
        metavar="SEQ:HEXHASH",
        help="A head recorded earlier with `croupier audit head`; detects a truncated tail.",
    ),
) -> None:
    """Check every link of the chain; exit 1 naming the first entry that does not fit."""
    anchor = _checkpoint(checkpoint)

    async def _work(runtime: Runtime) -> service.Verdict:
        async with runtime.database.unit_of_work() as session:
            return await service.verify(session, checkpoint=anchor)

    verdict = _run(_work)
    if not verdict.ok:
        typer.echo(f"audit chain broken at entry {verdict.first_bad_seq}: {verdict.reason}", err=True)
        typer.echo(f"{verdict.checked} entries verified before it", err=True)
        raise typer.Exit(1)
    typer.echo(f"{verdict.checked} entries verified, head {verdict.head_seq}")


@app.command()
def head() -> None:
    """Print the newest link as SEQ:HEXHASH; keep it off-site for `verify --checkpoint`."""

    async def _work(runtime: Runtime) -> tuple[int, bytes]:
        async with runtime.database.unit_of_work() as session:
            return await service.head(session)

    seq, digest = _run(_work)
    typer.echo(f"{seq}:{digest.hex()}")


@app.command("list")
def list_events(
    target_id: str | None = typer.Option(None, help="Only entries about this target (a player id …)."),
    action: str | None = typer.Option(None, help="Only this action, e.g. identity:session:sign_in."),
    limit: int = typer.Option(50, min=1, max=10_000, help="At most this many, newest first."),
) -> None:
    """Show recent entries as a table, newest first."""
    known = {str(a) for a in AuditAction}
    if action is not None and action not in known:
        raise typer.BadParameter(f"unknown action; one of: {', '.join(sorted(known))}", param_hint="--action")

    async def _work(runtime: Runtime) -> Sequence[AuditEvent]:
        async with runtime.database.unit_of_work() as session:
            return await service.events(session, target_id=target_id, action=action, limit=limit)

    rows = _run(_work)
    table = Table(title=f"Audit log: {len(rows)} entr{'y' if len(rows) == 1 else 'ies'}")
    for name in ("Seq", "Time (UTC)", "Action", "Outcome", "Actor", "Target", "IP", "Details"):
        table.add_column(name, overflow="fold")
    for row in rows:
        table.add_row(
            str(row.seq),
            row.occurred_at.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S"),
            row.action,
            row.outcome,
            f"{row.actor_type}:{row.actor_id}" if row.actor_id else row.actor_type,
            f"{row.target_type}:{row.target_id}" if row.target_type else "",
            row.ip or "",
            json.dumps(row.details, sort_keys=True, ensure_ascii=False) if row.details else "",
        )
    Console().print(table)
