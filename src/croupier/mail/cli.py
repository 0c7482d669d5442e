"""`croupier mail`: read the development mailbox and relay the outbox by hand."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from croupier.kit.commands import fail, run_command
from croupier.kit.runtime import Runtime
from croupier.kit.settings import get_settings
from croupier.mail import mailbox
from croupier.mail.relay import DrainReport, MailRelay

app = typer.Typer(no_args_is_help=True, help="Outgoing mail: the development mailbox and the outbox relay.")


@app.command("list")
def list_messages(
    limit: Annotated[int, typer.Option(min=1, help="How many of the newest messages.")] = 20,
) -> None:
    """Recent messages in the development mailbox (CROUPIER_MAIL_BACKEND=mailbox)."""
    settings = get_settings()
    entries = mailbox.messages(settings.mailbox_dir)[:limit]
    # Addresses and subjects are text from outside: never markup or emoji codes.
    console = Console(markup=False, emoji=False, highlight=False)
    if not entries:
        console.print(f"no messages in {settings.mailbox_dir}")
        return
    table = Table("id", "time (UTC)", "to", "subject")
    for entry in entries:
        table.add_row(
            entry.id[:8],
            entry.date.strftime("%Y-%m-%d %H:%M:%S"),
            str(entry.message["To"]),
            str(entry.message["Subject"]),
        )
    console.print(table)


@app.command("show")
def show(
    message_id: Annotated[str, typer.Argument(metavar="ID", help="A message id, or its first characters.")],
) -> None:
    """Print one message from the development mailbox."""
    settings = get_settings()
    try:
        entry = mailbox.find(settings.mailbox_dir, message_id)
    except mailbox.UnknownMessage as exc:
        fail(str(exc))
    for header in ("Date", "From", "To", "Subject", "Message-ID"):
        typer.echo(f"{header}: {entry.message[header]}")
    typer.echo("")
    typer.echo(entry.body)


@app.command("relay")
def relay() -> None:
    """Send everything that is due in the outbox now, then exit."""

    async def _work(runtime: Runtime) -> tuple[DrainReport, tuple[int, int]]:
        relay = MailRelay.for_runtime(runtime)
        report = await relay.drain()
        return report, await relay.counts()

    report, (waiting, given_up) = run_command(_work)
    typer.echo(f"sent {report.sent}, failed {report.failed}; {waiting} waiting, {given_up} given up")
