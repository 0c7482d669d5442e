"""`croupier gdpr`: erase a player, run retention, show the record of processing.

Rules live in ``erasure``, ``retention`` and ``processing``; these commands only parse,
call and print. The operator is the login name of whoever runs the command (the audit actor).
"""

from __future__ import annotations

import json
import uuid
from dataclasses import asdict
from enum import StrEnum
from typing import Annotated

import typer

from croupier.audit.service import operator
from croupier.compliance.gdpr import erasure, processing, retention
from croupier.kit.client import ClientInfo
from croupier.kit.commands import run_command
from croupier.kit.runtime import Runtime

app = typer.Typer(no_args_is_help=True, help="Privacy: erasure, retention, the record of processing.")


class Format(StrEnum):
    MARKDOWN = "markdown"
    JSON = "json"


@app.command()
def erase(
    player_id: Annotated[uuid.UUID, typer.Argument(metavar="PLAYER_ID", help="The player's id (a UUID).")],
    reason: Annotated[str, typer.Option("--reason", help="Why (audited); name no one in it.")],
) -> None:
    """Erase a player: destroy their data key, blank their personal data, keep the AML records on hold."""
    if not reason.strip():
        raise typer.BadParameter("give a reason", param_hint="--reason")

    async def _work(runtime: Runtime) -> erasure.Erased:
        async with runtime.database.unit_of_work() as session:
            return await erasure.erase(
                session,
                player_id=player_id,
                actor=operator(),
                client=ClientInfo.command_line(),
                reason=reason,
            )

    done = run_command(_work)
    verb = "already erased" if done.already else "erased"
    typer.echo(f"{verb} {done.player_id} at {done.erased_at.isoformat()} (erasure {done.erasure_id})")
    for what, count in done.removed.items():
        typer.echo(f"  removed {what}: {count}")
    for hold in done.legal_hold:
        typer.echo(f"  legal hold until {hold.until.isoformat()}: {hold.records} ({hold.basis})")


@app.command("retention")
def run_retention() -> None:
    """Remove what is past its period in the record of processing; print what was removed."""

    async def _work(runtime: Runtime) -> list[retention.Swept]:
        async with runtime.database.unit_of_work() as session:
            return await retention.run(session, actor=operator())

    for line in run_command(_work):
        typer.echo(
            f"{line.name}: removed {line.removed} (older than {line.cutoff.isoformat()}; kept {line.period})"
        )


@app.command("processing")
def show_processing(
    output: Annotated[
        Format, typer.Option("--format", help="markdown (as in the README) or json: one object a line.")
    ] = Format.MARKDOWN,
) -> None:
    """The record of processing activities (GDPR article 30): data, purpose, basis, retention, erasure."""
    if output is Format.JSON:
        for activity in processing.activities():
            row = asdict(activity)
            row["period_days"] = activity.period.days if activity.period is not None else None
            del row["period"]
            typer.echo(json.dumps(row, ensure_ascii=False))
    else:
        typer.echo(processing.markdown_table())
