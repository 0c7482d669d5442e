"""Alembic, driven from Python so the migrations ship inside the package.

Alembic itself is imported when a migration runs: every ``croupier`` command imports this
module (through the runtime), and few of them migrate.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import text
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine

if TYPE_CHECKING:
    from alembic.config import Config

MIGRATIONS = Path(__file__).resolve().parent.parent / "migrations"
# Any constant; makes concurrent upgrades (several processes starting) take turns.
_MIGRATION_LOCK = 7_421_001
# How long a migration waits for a table lock before giving up: longer, and every request
# touching that table would queue behind it (expand/contract, docs/operations.md).
LOCK_TIMEOUT = "5s"


def alembic_config(connection: Connection | None = None) -> Config:
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.set_main_option(
        "file_template", "%%(year)d_%%(month).2d_%%(day).2d_%%(hour).2d%%(minute).2d-%%(rev)s_%%(slug)s"
    )
    cfg.attributes["connection"] = connection
    return cfg


def _upgrade(connection: Connection, revision: str) -> None:
    from alembic import command

    connection.execute(text("SELECT pg_advisory_lock(:k)"), {"k": _MIGRATION_LOCK})
    try:
        command.upgrade(alembic_config(connection), revision)
    except BaseException:
        # A failed statement aborted the transaction; the unlock below needs a usable one.
        connection.rollback()
        raise
    finally:
        connection.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": _MIGRATION_LOCK})


async def upgrade(engine: AsyncEngine, revision: str = "head") -> None:
    async with engine.connect() as conn:
        await conn.run_sync(_upgrade, revision)
        await conn.commit()


async def current(engine: AsyncEngine) -> str | None:
    async with engine.connect() as conn:
        exists = await conn.scalar(text("SELECT to_regclass('alembic_version') IS NOT NULL"))
        if not exists:
            return None
        version: str | None = await conn.scalar(text("SELECT version_num FROM alembic_version"))
        return version


def _check(connection: Connection) -> None:
    from alembic import command

    command.check(alembic_config(connection))


async def check(engine: AsyncEngine) -> None:
    """Raise when the models and the migrations disagree."""
    async with engine.connect() as conn:
        await conn.run_sync(_check)


def _revision(connection: Connection, message: str) -> None:
    from alembic import command

    command.revision(alembic_config(connection), message=message, autogenerate=True)


async def revision(engine: AsyncEngine, message: str) -> None:
    async with engine.connect() as conn:
        await conn.run_sync(_revision, message)
