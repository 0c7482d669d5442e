"""The ``croupier`` command: serve the API and operate it."""

from __future__ import annotations

import asyncio
import importlib
import os
import signal
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pydantic
import typer

from croupier.kit import migrate
from croupier.kit.commands import EXIT_REFUSED, explain, fail, run_command
from croupier.kit.errors import CroupierError
from croupier.kit.logging import configure_logging
from croupier.kit.runtime import Runtime
from croupier.kit.settings import Settings, get_settings

# Every command, in the order `croupier --help` lists them: None for those of this module, else
# the domain's "module:attribute", a Typer app (a command group) or a function (one command).
# A domain's module is imported only when the command line names it: some take a second or
# more to import (risk's loads river).
_COMMANDS: dict[str, str | None] = {
    "serve": None,
    "simulate": "croupier.simulation.cli:simulate",
    "reports": "croupier.compliance.reports.cli:reports",
    "db": None,
    "keys": "croupier.keys.cli:app",
    "audit": "croupier.audit.cli:app",
    "mail": "croupier.mail.cli:app",
    "players": "croupier.identity.cli:app",
    "wallet": "croupier.wallet.cli:app",
    # Its commands join `croupier ledger`, next to `check` (composed here).
    "ledger": "croupier.wallet.cli:ledger_app",
    "payments": "croupier.payments.cli:payments_app",
    "withdrawals": "croupier.payments.cli:withdrawals_app",
    "staff": "croupier.staff.cli:app",
    "oauth": "croupier.backoffice.oauth.cli:app",
    "sandbox": "croupier.sandbox.cli:app",
    "fairness": "croupier.games.cli:app",
    "providers": "croupier.providers.cli:app",
    "risk": "croupier.risk.cli:app",
    "sanctions": "croupier.risk.sanctions.cli:app",
    "gdpr": "croupier.compliance.gdpr.cli:app",
    "jobs": None,
    "kyc": "croupier.compliance.kyc.cli:app",
    "rg": "croupier.compliance.responsible.cli:app",
    "backup": "croupier.operations.backup_cli:app",
    "drill": "croupier.operations.drills.cli:app",
}

db_app = typer.Typer(no_args_is_help=True, help="Database schema (Alembic migrations).")
jobs_app = typer.Typer(no_args_is_help=True, help="Background jobs and periodic tasks (procrastinate).")


def command_line(args: Sequence[str] = ()) -> typer.Typer:
    """The ``croupier`` command for the arguments ARGS: of the domains, only the one they name is imported.

    Arguments that name no command (none, ``--help``, a mistyped name) get every domain's
    commands, so that help and click's "did you mean" suggestions consider them all.
    """
    named = next((arg for arg in args if not arg.startswith("-")), None)
    root = typer.Typer(
        no_args_is_help=True,
        help="Croupier: a security-first online casino backend.",
        # A traceback's local variables may hold keys, tokens or personal data.
        pretty_exceptions_show_locals=False,
    )
    for name, source in _COMMANDS.items():
        if name == "serve":
            root.command()(serve)
        elif name == "db":
            root.add_typer(db_app, name=name)
        elif name == "jobs":
            root.add_typer(jobs_app, name=name)
        elif source is not None and (named == name or named not in _COMMANDS):
            _add_domain(root, name, source)
    return root


def _add_domain(root: typer.Typer, name: str, source: str) -> None:
    """Import one domain's commands (SOURCE, "module:attribute") and add them to ROOT as ``croupier NAME``."""
    module, _, attribute = source.partition(":")
    found = getattr(importlib.import_module(module), attribute)
    if name == "ledger":
        ledger = typer.Typer(no_args_is_help=True, help="The books: check them, expire holds.")
        ledger.command("check")(ledger_check)
        ledger.add_typer(found)
        root.add_typer(ledger, name=name)
    elif isinstance(found, typer.Typer):
        root.add_typer(found, name=name)
    else:
        root.command(name)(found)


def serve(
    host: str | None = typer.Option(None, help="Overrides CROUPIER_HOST."),
    port: int | None = typer.Option(None, help="Overrides CROUPIER_PORT."),
    workers: int | None = typer.Option(None, help="Overrides CROUPIER_WORKERS."),
) -> None:
    """Run the HTTP API (on an embedded PostgreSQL when no database is configured)."""
    settings = get_settings()
    configure_logging(settings.log_level)
    if settings.embedded or settings.keyring is None:
        # Start the embedded server, generate development keys and migrate once,
        # here, so that a problem is reported before any worker starts.
        async def _prepare(_: Runtime) -> None:
            return None

        run_command(_prepare, quiet=False)
    # uvicorn shuts down gracefully on SIGTERM (after the app's drain, kit.shutdown), then
    # re-raises it with the handler it found installed: make that an orderly exit (0) so the
    # embedded database stops too. With several workers the supervisor handles SIGTERM itself
    # and passes it to each worker, which drains and stops; the supervisor then returns.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    worker_count = workers or settings.workers
    if worker_count > 1:
        _share_metrics_between_workers(settings.data_dir / "metrics")
    import uvicorn

    from croupier.kit.ops import start_metrics_listener

    start_metrics_listener(settings)
    uvicorn.run(
        "croupier.serving:create_app",
        factory=True,
        host=host or settings.host,
        port=port or settings.port,
        workers=worker_count,
        proxy_headers=True,
        forwarded_allow_ips=settings.trusted_proxies,
        **_tls_options(settings),
        # After the drain (kit.shutdown): how long in-flight requests may take before they are cancelled.
        timeout_graceful_shutdown=settings.shutdown_timeout_seconds,
        log_config=None,
        server_header=False,
        date_header=True,
        # A worker imports the whole app (seconds of CPU) before it can answer the supervisor's
        # ping; uvicorn's default 5 s restarted every worker forever on a busy 2-core machine.
        timeout_worker_healthcheck=60,
    )


def _tls_options(settings: Settings) -> dict[str, Any]:
    """uvicorn's TLS options: the context comes whole from kit.tls (uvicorn cannot set a minimum version)."""
    if settings.tls_certfile is None:
        return {}
    from croupier.kit.tls import uvicorn_context

    options: dict[str, Any] = {
        "ssl_certfile": settings.tls_certfile,
        "ssl_keyfile": settings.tls_keyfile,
        "ssl_ca_certs": settings.tls_client_ca,
        "ssl_context_factory": uvicorn_context,
    }
    if settings.tls_client_ca is not None:
        # Tells the app which connections presented a certificate (the ASGI tls extension).
        options["http"] = "croupier.kit.tls:ClientCertificateProtocol"
    return options


def _share_metrics_between_workers(folder: Path) -> None:
    """prometheus-client's multiprocess mode; must be set before workers import the metrics."""
    folder.mkdir(parents=True, exist_ok=True)
    for stale in folder.glob("*.db"):
        stale.unlink()
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = str(folder.resolve())


@contextmanager
def _alembic_refusals() -> Iterator[None]:
    """Alembic's refusals (an unknown revision, models that disagree with the migrations) exit 1.

    So does a migration that waited longer than its lock timeout (``migrations/env.py``): it
    gave up rather than queue every request behind it, and its transaction rolled back.
    """
    from alembic.util import CommandError
    from psycopg.errors import LockNotAvailable
    from sqlalchemy.exc import DBAPIError

    try:
        yield
    except CommandError as exc:
        fail(str(exc))
    except DBAPIError as exc:
        if not isinstance(exc.orig, LockNotAvailable):
            raise
        fail(
            f"a migration waited more than {migrate.LOCK_TIMEOUT} for a lock that a running transaction "
            "holds, and was rolled back; run it again once that transaction ends "
            "(pg_stat_activity shows it)"
        )


@db_app.command("upgrade")
def db_upgrade(revision: str = typer.Argument("head")) -> None:
    """Apply migrations up to REVISION."""

    async def _work(runtime: Runtime) -> str | None:
        await migrate.upgrade(runtime.database.engine, revision)
        return await migrate.current(runtime.database.engine)

    with _alembic_refusals():
        reached = run_command(_work)
    typer.echo(f"database at revision {reached}")


@db_app.command("current")
def db_current() -> None:
    """Print the applied revision."""

    async def _work(runtime: Runtime) -> str | None:
        return await migrate.current(runtime.database.engine)

    typer.echo(run_command(_work) or "empty")


@db_app.command("check")
def db_check() -> None:
    """Fail when the models and the migrations disagree."""

    async def _work(runtime: Runtime) -> None:
        await migrate.upgrade(runtime.database.engine)
        await migrate.check(runtime.database.engine)

    with _alembic_refusals():
        run_command(_work)
    typer.echo("models and migrations agree")


@db_app.command("revision")
def db_revision(message: str) -> None:
    """Autogenerate a migration from the models (development)."""

    async def _work(runtime: Runtime) -> None:
        await migrate.upgrade(runtime.database.engine)
        await migrate.revision(runtime.database.engine, message)

    with _alembic_refusals():
        run_command(_work)


def ledger_check() -> None:
    """Verify the books add up, the payment records with them; print each problem and exit 1 if not."""
    # Composed in operations.monitoring, where every domain may be imported (the ledger knows
    # nothing of payments); the periodic check (monitoring:run_checks) runs the same.
    from croupier.operations.monitoring import checks
    from croupier.wallet import books

    async def _work(runtime: Runtime) -> tuple[books.BooksReport, list[str]]:
        async with runtime.database.unit_of_work() as session:
            return await checks.examine_books(session)

    report, problems = run_command(_work)
    if problems:
        for problem in problems:
            typer.echo(problem)
        fail(f"{len(problems)} problem(s) in the books")
    typer.echo(
        f"OK: {report.accounts} accounts in {report.currencies} currencies, "
        f"{report.transfers} transfers ({report.failed_transfers} failed attempts), "
        f"{report.entries} entries, {report.pending_holds} pending holds"
    )


@jobs_app.command("worker")
def jobs_worker(
    concurrency: int | None = typer.Option(None, min=1, max=64, help="Overrides CROUPIER_JOBS_CONCURRENCY."),
) -> None:
    """Run background jobs and periodic tasks until stopped (SIGINT or SIGTERM)."""
    from croupier.jobs import jobs_for

    async def _work(runtime: Runtime) -> None:
        jobs = jobs_for(runtime)
        await jobs.open()
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(signum, stop.set)
        jobs.start_worker(name="worker", concurrency=concurrency or runtime.settings.jobs_concurrency)
        typer.echo("jobs worker started", err=True)
        try:
            await stop.wait()
        finally:
            await jobs.close()

    run_command(_work, quiet=False)


def _explain_settings(invalid: pydantic.ValidationError) -> None:
    """Name the variable and the rule broken, never the value: it may be a secret."""
    for error in invalid.errors(include_input=False, include_url=False):
        name = "_".join(str(part) for part in error["loc"]).upper()
        explain(f"CROUPIER_{name}: {error['msg']}" if name else error["msg"])


def main() -> None:
    """The console script. Exit status: 0 done, 1 refused or a check failed, 2 a usage error."""
    try:
        # Standalone: click prints usage errors (exit 2) and exits with a command's status.
        command_line(sys.argv[1:])()
    except CroupierError as exc:  # raised outside `run_command`, e.g. by a command's own checks
        explain(exc.detail)
        raise SystemExit(EXIT_REFUSED) from None
    except pydantic.ValidationError as exc:
        if exc.title != Settings.__name__:
            raise
        _explain_settings(exc)
        raise SystemExit(EXIT_REFUSED) from None
