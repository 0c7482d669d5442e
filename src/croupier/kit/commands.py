"""What every ``croupier`` sub-command shares: one runner and one way to fail.

Exit status, for every command: 0 done, 1 refused or a check failed (the reason on
standard error as ``croupier: <reason>``), 2 a usage error (click's own message).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager
from typing import NoReturn, TypeVar

import typer
from sqlalchemy import text
from sqlalchemy.exc import OperationalError

from croupier.kit.errors import CroupierError
from croupier.kit.logging import configure_logging
from croupier.kit.runtime import Runtime
from croupier.kit.settings import get_settings

T = TypeVar("T")

EXIT_REFUSED = 1
"""A refusal (unknown id, insufficient funds …) or a check that found a problem."""


class DatabaseUnreachable(CroupierError):
    code = "database_unreachable"
    status = 503
    title = "The database is unreachable"


def explain(reason: str) -> None:
    """Print ``croupier: <reason>`` on standard error: the one form of every failure."""
    typer.echo(f"croupier: {reason}", err=True)


def fail(reason: str) -> NoReturn:
    """Explain why, and exit 1."""
    explain(reason)
    raise typer.Exit(EXIT_REFUSED)


@contextmanager
def refusals() -> Iterator[None]:
    """A ``CroupierError`` raised inside fails the command with its detail (never its traceback)."""
    try:
        yield
    except CroupierError as exc:
        fail(exc.detail)


@asynccontextmanager
async def command_runtime(*, quiet: bool = True) -> AsyncIterator[Runtime]:
    """The same runtime the service uses, on the same data folder or database."""
    settings = get_settings()
    if quiet:
        configure_logging("warning")
    runtime = await Runtime.start(settings)
    try:
        await _check_reachable(runtime)
        yield runtime
    finally:
        await runtime.close()


async def _check_reachable(runtime: Runtime) -> None:
    """A wrong address or a stopped server is said in one line, before the command starts."""
    try:
        async with runtime.database.engine.connect() as conn:
            await conn.execute(text("SELECT 1"))
    except (OSError, OperationalError) as exc:
        # libpq's first line names the host and port (never the password).
        reason = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0]
        raise DatabaseUnreachable(f"cannot reach the database: {reason}") from None


def run_command(work: Callable[[Runtime], Awaitable[T]], *, quiet: bool = True) -> T:
    """Run ``work`` against the configured database and keyring; a refusal exits 1 with its reason."""

    async def _main() -> T:
        async with command_runtime(quiet=quiet) as runtime:
            return await work(runtime)

    with refusals():
        return asyncio.run(_main())
