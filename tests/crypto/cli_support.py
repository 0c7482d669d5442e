"""Run `croupier` sub-commands in-process against a test's own database."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import structlog
import typer
from typer.testing import CliRunner, Result

from croupier.kit.settings import get_settings


@contextmanager
def _logging_restored() -> Iterator[None]:
    # Commands call configure_logging(), which binds the stream of the moment
    # (the runner's capture); later tests must not keep writing into it.
    saved = structlog.get_config()
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    try:
        yield
    finally:
        structlog.configure(**saved)
        root.handlers[:] = handlers
        root.setLevel(level)


def invoke(
    app: typer.Typer,
    args: Sequence[str],
    *,
    database_url: str,
    data_dir: Path,
    keyring_file: Path | None = None,
    keyring: str | None = None,
) -> Result:
    """Exactly one of ``keyring_file`` or ``keyring`` (inline JSON) names the keys."""
    env: dict[str, str | None] = {
        "CROUPIER_ENVIRONMENT": "test",
        "CROUPIER_DATABASE_URL": database_url,
        "CROUPIER_DATA_DIR": str(data_dir),
        "CROUPIER_KEYRING_FILE": str(keyring_file) if keyring_file else None,
        "CROUPIER_KEYRING": keyring,
        "COLUMNS": "250",  # wide tables: no folded cells in assertions
    }
    get_settings.cache_clear()
    try:
        with _logging_restored():
            return CliRunner().invoke(app, list(args), env=env, catch_exceptions=False)
    finally:
        get_settings.cache_clear()


async def ainvoke(
    app: typer.Typer,
    args: Sequence[str],
    *,
    database_url: str,
    data_dir: Path,
    keyring_file: Path | None = None,
    keyring: str | None = None,
) -> Result:
    """From an async test: commands run their own event loop, so on another thread."""
    return await asyncio.to_thread(
        invoke,
        app,
        args,
        database_url=database_url,
        data_dir=data_dir,
        keyring_file=keyring_file,
        keyring=keyring,
    )
