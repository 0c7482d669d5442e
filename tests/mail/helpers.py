"""Shared by the mail and identity tests: relaying the outbox, reading the mailbox, running the CLI."""

from __future__ import annotations

import logging
import re

import anyio.to_thread
import structlog
import typer
from click.testing import Result
from typer.testing import CliRunner

from croupier.kit.runtime import Runtime
from croupier.kit.settings import Settings, get_settings
from croupier.mail import mailbox
from croupier.mail.mailbox import MailboxEntry
from croupier.mail.relay import MailRelay

TOKEN = re.compile(r"token=(crp_[A-Za-z0-9_-]+)")


async def deliver(runtime: Runtime) -> list[MailboxEntry]:
    """Drain the outbox now (what the background relay would do) and return the mailbox."""
    await MailRelay.for_runtime(runtime).drain()
    return mailbox.messages(runtime.settings.mailbox_dir)


def mails(settings: Settings, *, to: str, template: str | None = None) -> list[MailboxEntry]:
    return [
        entry
        for entry in mailbox.messages(settings.mailbox_dir)
        if str(entry.message["To"]) == to
        and (template is None or entry.message["X-Croupier-Template"] == template)
    ]


def reset_token(entry: MailboxEntry) -> str:
    found = TOKEN.search(entry.body)
    assert found, entry.body
    return found.group(1)


def cli_env(settings: Settings) -> dict[str, str]:
    assert settings.database_url is not None
    assert settings.keyring is not None
    return {
        "CROUPIER_ENVIRONMENT": "test",
        "CROUPIER_DATABASE_URL": settings.database_url.get_secret_value(),
        "CROUPIER_KEYRING": settings.keyring.get_secret_value(),
        "CROUPIER_DATA_DIR": str(settings.data_dir),
        "CROUPIER_ARGON2_MEMORY_KIB": str(settings.argon2_memory_kib),
        "CROUPIER_ARGON2_TIME_COST": str(settings.argon2_time_cost),
        "CROUPIER_ARGON2_PARALLELISM": str(settings.argon2_parallelism),
    }


async def invoke(app: typer.Typer, args: list[str], settings: Settings) -> Result:
    """Run a command as `croupier` would, against the test's database and data folder.

    In a worker thread, because commands start their own event loop; the
    logging set-up a command installs is undone afterwards, since it points at
    the runner's captured (and then closed) streams.
    """
    saved_structlog = structlog.get_config()
    root = logging.getLogger()
    saved_handlers, saved_level = root.handlers[:], root.level

    def _run() -> Result:
        get_settings.cache_clear()
        try:
            return CliRunner().invoke(app, args, env=cli_env(settings))
        finally:
            get_settings.cache_clear()

    try:
        return await anyio.to_thread.run_sync(_run)
    finally:
        structlog.configure(**saved_structlog)
        root.handlers[:] = saved_handlers
        root.setLevel(saved_level)
