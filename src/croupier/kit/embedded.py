"""Embedded PostgreSQL for a machine with nothing configured.

``pgserver`` ships a real PostgreSQL server in a wheel. Every Croupier process
that opens the same data folder shares one server: pgserver keeps a list of the
processes holding it and stops the server when the last one exits, so
``croupier serve`` and any ``croupier`` command can run side by side.
"""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Any

import psycopg

DATABASE_NAME = "croupier"


def start_embedded_server(data_dir: Path, *, delete_on_exit: bool = False) -> Any:
    """Start (or attach to) the embedded server and return its pgserver handle.

    ``delete_on_exit`` removes the cluster when the last process using it exits
    (test servers); otherwise the server stops and the data stays.
    """
    warnings.filterwarnings("ignore", message="XDG_RUNTIME_DIR")
    from pgserver import postgres_server  # lazily: a configured database never needs it

    data_dir = data_dir.resolve()
    data_dir.mkdir(parents=True, exist_ok=True)
    mode = "delete" if delete_on_exit else "stop"
    try:
        return postgres_server.get_server(data_dir / "pg", cleanup_mode=mode)
    except FileExistsError:
        # pgserver creates the folder before taking its inter-process lock: a second
        # process starting at the same instant loses that race; the server is there now.
        return postgres_server.get_server(data_dir / "pg", cleanup_mode=mode)


def embedded_url(server: Any, database: str = DATABASE_NAME) -> str:
    """Create ``database`` on the embedded server if needed; return its SQLAlchemy URL."""
    admin_uri: str = server.get_uri("postgres")
    with psycopg.connect(admin_uri, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (database,)).fetchone()
        if exists is None:
            conn.execute(f'CREATE DATABASE "{database}"')  # name is a module constant
    return to_sqlalchemy_url(server.get_uri(database))


def to_sqlalchemy_url(url: str) -> str:
    """Normalise ``postgres://`` and ``postgresql://`` URLs to the psycopg 3 driver."""
    for prefix in ("postgresql+psycopg://", "postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    raise ValueError("database URL must be a postgresql:// URL")


def libpq_conninfo(url: str) -> str:
    """The connection string psycopg itself takes for a SQLAlchemy URL, as SQLAlchemy would pass it.

    Several hosts (``?host=a:5432&host=b:5432&target_session_attrs=read-write``, SQLAlchemy's form)
    become libpq's ``host=a,b port=5432,5432``; a plain text substitution would leave libpq one
    host named ``a:5432``.
    """
    from sqlalchemy.dialects.postgresql.psycopg import PGDialect_psycopg
    from sqlalchemy.engine import make_url

    dialect = PGDialect_psycopg()  # type: ignore[no-untyped-call]
    _, params = dialect.create_connect_args(make_url(to_sqlalchemy_url(url)))  # type: ignore[no-untyped-call]
    return psycopg.conninfo.make_conninfo(**{k: str(v) for k, v in params.items()})
