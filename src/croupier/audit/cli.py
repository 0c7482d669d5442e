"""`croupier audit`: verify, anchor and read the hash-chained audit log."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC
from typing import Any

import typer
from rich import box
from rich.console import Console
from rich.table import Table
from rich.text import Text

from croupier.audit import service
from croupier.audit.models import AuditEvent
from croupier.audit.tags import AuditAction
from croupier.kit.commands import fail, run_command
from croupier.kit.runtime import Runtime

app = typer.Typer(no_args_is_help=True, help="The append-only, hash-chained audit log.")


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

    verdict = run_command(_work)
    if not verdict.ok:
        fail(
            f"audit chain broken at entry {verdict.first_bad_seq}: {verdict.reason} "
            f"({verdict.checked} entries verified before it)"
        )
    typer.echo(f"{verdict.checked} entries verified, head {verdict.head_seq}")


@app.command()
def head() -> None:
    """Print the newest link as SEQ:HEXHASH; keep it off-site for `verify --checkpoint`."""

    async def _work(runtime: Runtime) -> tuple[int, bytes]:
        async with runtime.database.unit_of_work() as session:
            return await service.head(session)

    seq, digest = run_command(_work)
    typer.echo(f"{seq}:{digest.hex()}")


@app.command("list")
def list_events(
    target_id: str | None = typer.Option(None, help="Only entries about this target (a player id …)."),
    action: str | None = typer.Option(None, help="Only this action, e.g. identity:session:sign_in."),
    limit: int = typer.Option(50, min=1, max=10_000, help="At most this many, newest first."),
    as_json: bool = typer.Option(
        False, "--json", help="One JSON object per line (every field, hashes in hex) instead of a table."
    ),
) -> None:
    """Show recent entries, newest first: a table, or JSON lines with --json."""
    known = {str(a) for a in AuditAction}
    if action is not None and action not in known:
        raise typer.BadParameter(f"unknown action; one of: {', '.join(sorted(known))}", param_hint="--action")

    async def _work(runtime: Runtime) -> Sequence[AuditEvent]:
        async with runtime.database.unit_of_work() as session:
            return await service.events(session, target_id=target_id, action=action, limit=limit)

    rows = run_command(_work)
    if as_json:
        for row in rows:
            typer.echo(json.dumps(_as_json(row), sort_keys=True, ensure_ascii=False))
        return
    # Entries hold text chosen by players and tags such as `staff:key:issue`: never
    # read as markup or emoji codes (`:key:` would print as a key).
    Console(markup=False, emoji=False, highlight=False).print(_table(rows))


def _as_json(row: AuditEvent) -> dict[str, Any]:
    return {
        "seq": row.seq,
        "occurred_at": row.occurred_at.astimezone(UTC).isoformat(),
        "action": row.action,
        "outcome": row.outcome,
        "actor_type": row.actor_type,
        "actor_id": row.actor_id,
        "target_type": row.target_type,
        "target_id": row.target_id,
        "ip": row.ip,
        "user_agent": row.user_agent,
        "details": row.details,
        "prev_hash": row.prev_hash.hex(),
        "hash": row.hash.hex(),
    }


def _table(rows: Sequence[AuditEvent]) -> Table:
    """Three columns, each entry's facts stacked in the last: whole ids and tags fit in 80 columns."""
    table = Table(
        title=Text(f"Audit log: {len(rows)} entr{'y' if len(rows) == 1 else 'ies'}"),
        box=box.SIMPLE_HEAD,
        show_lines=True,
    )
    table.add_column("Seq", justify="right", no_wrap=True)
    table.add_column("Time (UTC)", no_wrap=True)
    table.add_column("Entry", overflow="fold")
    for row in rows:
        table.add_row(
            str(row.seq),
            row.occurred_at.astimezone(UTC).strftime("%Y-%m-%d\n%H:%M:%S"),
            Text("\n").join(Text(line) for line in _entry_lines(row)),
        )
    return table


def _entry_lines(row: AuditEvent) -> list[str]:
    lines = [f"{row.action}  {row.outcome}"]
    lines.append(f"by {row.actor_type}:{row.actor_id}" if row.actor_id else f"by {row.actor_type}")
    if row.target_type:
        lines.append(f"on {row.target_type}:{row.target_id}")
    if row.ip:
        lines.append(f"from {row.ip}")
    if row.details:
        lines.append(json.dumps(row.details, sort_keys=True, ensure_ascii=False))
    return lines
