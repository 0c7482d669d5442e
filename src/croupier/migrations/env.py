"""Alembic environment: always handed a live connection by croupier.kit.migrate."""

from __future__ import annotations

from alembic import context
from sqlalchemy import text

from croupier.kit.migrate import LOCK_TIMEOUT
from croupier.models import Base

connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError("run migrations through `croupier db upgrade`")

# Fail fast instead of queueing behind a long transaction while holding locks.
connection.execute(text(f"SET lock_timeout = '{LOCK_TIMEOUT}'"))
connection.execute(text("SET statement_timeout = '5min'"))


def include_name(name: str | None, type_: str, parent_names: object) -> bool:  # noqa: ARG001 - Alembic's hook signature
    """procrastinate's own tables come from its shipped SQL (migration 0015), not from the models."""
    return not (type_ == "table" and name is not None and name.startswith("procrastinate_"))


context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    compare_type=True,
    transaction_per_migration=True,
    include_name=include_name,
)
with context.begin_transaction():
    context.run_migrations()
