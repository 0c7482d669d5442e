"""Alembic environment: always handed a live connection by croupier.kit.migrate."""

from __future__ import annotations

from alembic import context
from sqlalchemy import text

from croupier.models import Base

connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError("run migrations through `croupier db upgrade`")

# Fail fast instead of queueing behind a long transaction while holding locks.
connection.execute(text("SET lock_timeout = '5s'"))
connection.execute(text("SET statement_timeout = '5min'"))
context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    compare_type=True,
    transaction_per_migration=True,
)
with context.begin_transaction():
    context.run_migrations()
