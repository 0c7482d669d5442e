"""`croupier keys`: the keyring and the data keys it wraps."""

from __future__ import annotations

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from croupier.audit.service import operator
from croupier.keys import rotation
from croupier.kit.client import ClientInfo
from croupier.kit.commands import fail, run_command
from croupier.kit.keyring import Keyring
from croupier.kit.runtime import Runtime

app = typer.Typer(no_args_is_help=True, help="Key-encryption keys: generate, rotate, re-wrap, retire.")


@app.command()
def generate() -> None:
    """Print a new production keyring (JSON) to standard output."""
    typer.echo(
        "Store this keyring in a secret store (CROUPIER_KEYRING) or a file only the service "
        "can read (CROUPIER_KEYRING_FILE, mode 0600). Losing it loses every player's personal "
        "data; leaking it exposes them.",
        err=True,
    )
    typer.echo(Keyring.generate().to_json(), nl=False)


@app.command()
def status() -> None:
    """KEK versions in the keyring and how many data keys each one wraps (never key bytes)."""

    async def _work(runtime: Runtime) -> rotation.KeyStatus:
        async with runtime.database.unit_of_work() as session:
            return await rotation.status(session, source=runtime.keyring)

    report = run_command(_work)
    console = Console()
    console.print(f"Keyring: {report.source}" + ("" if report.writable else " (read-only)"))
    table = Table()
    table.add_column("KEK version", justify="right")
    table.add_column("Data keys", justify="right")
    table.add_column("State")
    for v in report.versions:
        if not v.in_keyring:
            state = "[bold red]MISSING from the keyring: these data keys cannot be read[/]"
        elif v.newest:
            state = "newest: wraps new data keys"
        elif v.data_keys:
            state = "old: run `croupier keys rewrap`"
        else:
            state = "old, unused: can be retired"
        table.add_row(str(v.version), str(v.data_keys), state)
    console.print(table)
    if report.unreadable:
        fail(f"{report.unreadable} data key(s) wrapped under a KEK version missing from the keyring")


@app.command()
def rotate() -> None:
    """Add a KEK version to the keyring file; new data keys are wrapped under it."""

    async def _work(runtime: Runtime) -> int:
        async with runtime.database.unit_of_work() as session:
            version = await rotation.rotate(
                session,
                source=runtime.keyring,
                actor=operator(),
                client=ClientInfo.command_line(),
            )
        await rotation.wait_for_propagation()
        return version

    version = run_command(_work)
    typer.echo(f"KEK version {version} added; now run `croupier keys rewrap`")


@app.command()
def rewrap(
    batch: int = typer.Option(rotation.DEFAULT_BATCH, min=1, max=100_000, help="Data keys per transaction."),
) -> None:
    """Re-wrap every data key under the newest KEK; safe to interrupt and run again."""
    console = Console(stderr=True)
    with Progress(
        TextColumn("re-wrapping data keys"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
    ) as progress:
        task = progress.add_task("rewrap", total=None)

        def _advance(done: int, total: int) -> None:
            progress.update(task, completed=done, total=total)

        async def _work(runtime: Runtime) -> rotation.RewrapReport:
            return await rotation.rewrap_all(
                runtime.database,
                actor=operator(),
                client=ClientInfo.command_line(),
                batch=batch,
                on_progress=_advance,
            )

        report = run_command(_work)
    typer.echo(
        f"{report.rewrapped} data key(s) re-wrapped under KEK version {report.kek_version} "
        f"in {report.batches} batch(es); {report.remaining} remain under older versions"
    )
    if report.remaining:
        typer.echo("another rewrap may still be running; run this command again to finish", err=True)


@app.command()
def retire(version: int = typer.Argument(..., help="The KEK version to remove.")) -> None:
    """Remove an old KEK version; refused while any data key still depends on it."""

    async def _work(runtime: Runtime) -> None:
        async with runtime.database.unit_of_work() as session:
            await rotation.retire(
                session,
                source=runtime.keyring,
                version=version,
                actor=operator(),
                client=ClientInfo.command_line(),
            )

    run_command(_work)
    typer.echo(f"KEK version {version} retired")
