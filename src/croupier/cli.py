"""The ``croupier`` command: serve the API and operate it."""

from __future__ import annotations

import os
import signal
import sys
from pathlib import Path

import click
import typer
import uvicorn

from croupier.kit import migrate
from croupier.kit.commands import run_with_runtime
from croupier.kit.errors import CroupierError
from croupier.kit.logging import configure_logging
from croupier.kit.runtime import Runtime
from croupier.kit.settings import get_settings

app = typer.Typer(no_args_is_help=True, help="Croupier: a security-first online casino backend.")
db_app = typer.Typer(no_args_is_help=True, help="Database schema (Alembic migrations).")
app.add_typer(db_app, name="db")


def _register_domain_commands() -> None:
    from croupier.audit.cli import app as audit_app
    from croupier.games.cli import app as fairness_app
    from croupier.identity.cli import app as players_app
    from croupier.keys.cli import app as keys_app
    from croupier.mail.cli import app as mail_app
    from croupier.payments.cli import payments_app, withdrawals_app
    from croupier.providers.cli import app as providers_app
    from croupier.sandbox.cli import app as sandbox_app
    from croupier.staff.cli import app as staff_app
    from croupier.wallet.cli import app as wallet_app
    from croupier.wallet.cli import ledger_app

    app.add_typer(keys_app, name="keys")
    app.add_typer(audit_app, name="audit")
    app.add_typer(mail_app, name="mail")
    app.add_typer(players_app, name="players")
    app.add_typer(wallet_app, name="wallet")
    app.add_typer(ledger_app, name="ledger")
    app.add_typer(payments_app, name="payments")
    app.add_typer(withdrawals_app, name="withdrawals")
    app.add_typer(staff_app, name="staff")
    app.add_typer(sandbox_app, name="sandbox")
    app.add_typer(fairness_app, name="fairness")
    app.add_typer(providers_app, name="providers")


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

        run_with_runtime(_prepare, quiet=False)
    # uvicorn shuts down gracefully on SIGTERM, then re-raises it with the handler it
    # found installed: make that an orderly exit so the embedded database stops too.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    worker_count = workers or settings.workers
    if worker_count > 1:
        _share_metrics_between_workers(settings.data_dir / "metrics")
    uvicorn.run(
        "croupier.api:create_app",
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
    )


def _share_metrics_between_workers(folder: Path) -> None:
    """prometheus-client's multiprocess mode; must be set before workers import the metrics."""
    folder.mkdir(parents=True, exist_ok=True)
    for stale in folder.glob("*.db"):
        stale.unlink()
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = str(folder.resolve())


@db_app.command("upgrade")
def db_upgrade(revision: str = typer.Argument("head")) -> None:
    """Apply migrations up to REVISION."""

    async def _work(runtime: Runtime) -> str | None:
        await migrate.upgrade(runtime.database.engine, revision)
        return await migrate.current(runtime.database.engine)

    typer.echo(f"database at revision {run_with_runtime(_work)}")


@db_app.command("current")
def db_current() -> None:
    """Print the applied revision."""

    async def _work(runtime: Runtime) -> str | None:
        return await migrate.current(runtime.database.engine)

    typer.echo(run_with_runtime(_work) or "empty")


@db_app.command("check")
def db_check() -> None:
    """Fail when the models and the migrations disagree."""

    async def _work(runtime: Runtime) -> None:
        await migrate.upgrade(runtime.database.engine)
        await migrate.check(runtime.database.engine)

    run_with_runtime(_work)
    typer.echo("models and migrations agree")


@db_app.command("revision")
def db_revision(message: str) -> None:
    """Autogenerate a migration from the models (development)."""

    async def _work(runtime: Runtime) -> None:
        await migrate.upgrade(runtime.database.engine)
        await migrate.revision(runtime.database.engine, message)

    run_with_runtime(_work)


def main() -> None:
    _register_domain_commands()
    try:
        app(standalone_mode=False)
    except CroupierError as exc:
        typer.echo(f"croupier: {exc.detail}", err=True)
        raise SystemExit(1) from None
    except click.exceptions.Abort:
        raise SystemExit(130) from None
    except click.exceptions.ClickException as exc:
        exc.show()
        raise SystemExit(exc.exit_code) from None
