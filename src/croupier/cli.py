"""The ``croupier`` command: serve the API and operate it."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from pathlib import Path

import pydantic
import typer
import uvicorn
from alembic.util import CommandError

from croupier.kit import migrate
from croupier.kit.commands import EXIT_REFUSED, explain, fail, run_command
from croupier.kit.errors import CroupierError
from croupier.kit.logging import configure_logging
from croupier.kit.runtime import Runtime
from croupier.kit.settings import Settings, get_settings

app = typer.Typer(
    no_args_is_help=True,
    help="Croupier: a security-first online casino backend.",
    # A traceback's local variables may hold keys, tokens or personal data.
    pretty_exceptions_show_locals=False,
)
db_app = typer.Typer(no_args_is_help=True, help="Database schema (Alembic migrations).")
app.add_typer(db_app, name="db")
ledger_app = typer.Typer(no_args_is_help=True, help="The books: check them, expire holds.")
jobs_app = typer.Typer(no_args_is_help=True, help="Background jobs and periodic tasks (procrastinate).")


@cache
def command_line() -> typer.Typer:
    """The whole ``croupier`` command, every domain's commands included."""
    from croupier.audit.cli import app as audit_app
    from croupier.backoffice.oauth.cli import app as oauth_app
    from croupier.compliance.gdpr.cli import app as gdpr_app
    from croupier.compliance.kyc.cli import app as kyc_app
    from croupier.compliance.reports.cli import reports
    from croupier.compliance.responsible.cli import app as rg_app
    from croupier.games.cli import app as fairness_app
    from croupier.identity.cli import app as players_app
    from croupier.keys.cli import app as keys_app
    from croupier.mail.cli import app as mail_app
    from croupier.payments.cli import payments_app, withdrawals_app
    from croupier.providers.cli import app as providers_app
    from croupier.risk.cli import app as risk_app
    from croupier.risk.sanctions.cli import app as sanctions_app
    from croupier.sandbox.cli import app as sandbox_app
    from croupier.simulation.cli import simulate
    from croupier.staff.cli import app as staff_app
    from croupier.wallet.cli import app as wallet_app
    from croupier.wallet.cli import ledger_app as wallet_ledger_app

    app.add_typer(keys_app, name="keys")
    app.add_typer(audit_app, name="audit")
    app.add_typer(mail_app, name="mail")
    app.add_typer(players_app, name="players")
    app.add_typer(wallet_app, name="wallet")
    ledger_app.add_typer(wallet_ledger_app)  # its commands join `croupier ledger`
    app.add_typer(ledger_app, name="ledger")
    app.add_typer(payments_app, name="payments")
    app.add_typer(withdrawals_app, name="withdrawals")
    app.add_typer(staff_app, name="staff")
    app.add_typer(oauth_app, name="oauth")
    app.add_typer(sandbox_app, name="sandbox")
    app.add_typer(fairness_app, name="fairness")
    app.add_typer(providers_app, name="providers")
    app.add_typer(risk_app, name="risk")
    app.add_typer(sanctions_app, name="sanctions")
    app.add_typer(gdpr_app, name="gdpr")
    app.add_typer(jobs_app, name="jobs")
    app.add_typer(kyc_app, name="kyc")
    app.add_typer(rg_app, name="rg")
    app.command("simulate")(simulate)
    app.command("reports")(reports)
    return app


@app.command()
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
    # uvicorn shuts down gracefully on SIGTERM, then re-raises it with the handler it
    # found installed: make that an orderly exit so the embedded database stops too.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    worker_count = workers or settings.workers
    if worker_count > 1:
        _share_metrics_between_workers(settings.data_dir / "metrics")
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
        ssl_certfile=settings.tls_certfile,
        ssl_keyfile=settings.tls_keyfile,
        log_config=None,
        server_header=False,
        date_header=True,
        # A worker imports the whole app (seconds of CPU) before it can answer the supervisor's
        # ping; uvicorn's default 5 s restarted every worker forever on a busy 2-core machine.
        timeout_worker_healthcheck=60,
    )


def _share_metrics_between_workers(folder: Path) -> None:
    """prometheus-client's multiprocess mode; must be set before workers import the metrics."""
    folder.mkdir(parents=True, exist_ok=True)
    for stale in folder.glob("*.db"):
        stale.unlink()
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = str(folder.resolve())


@contextmanager
def _alembic_refusals() -> Iterator[None]:
    """Alembic's refusals (an unknown revision, models that disagree with the migrations) exit 1."""
    try:
        yield
    except CommandError as exc:
        fail(str(exc))


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


@ledger_app.command("check")
def ledger_check() -> None:
    """Verify the books add up, the payment records with them; print each problem and exit 1 if not."""
    # Composed here, where every domain may be imported: the ledger knows nothing of payments.
    from croupier.payments import books as payment_books
    from croupier.wallet import books

    async def _work(runtime: Runtime) -> tuple[books.BooksReport, list[str]]:
        async with runtime.database.unit_of_work() as session:
            report = await books.examine(session)
            return report, report.problems + await payment_books.problems(session)

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
        command_line()()
    except CroupierError as exc:  # raised outside `run_command`, e.g. by a command's own checks
        explain(exc.detail)
        raise SystemExit(EXIT_REFUSED) from None
    except pydantic.ValidationError as exc:
        if exc.title != Settings.__name__:
            raise
        _explain_settings(exc)
        raise SystemExit(EXIT_REFUSED) from None
