"""Database engine and the unit of work.

One transaction per request, job or command. Services receive the session,
``flush()`` when they need generated values, and never commit: the unit of work
commits when the block ends normally and rolls back on any exception. Hooks let
a domain write at the last moment before commit (the audit chain) or act only
once the data is durable (waking the outbox relay).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

import psycopg
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine

from croupier.kit.embedded import embedded_url, start_embedded_server, to_sqlalchemy_url
from croupier.kit.settings import Settings

BeforeCommit = Callable[[AsyncSession], Awaitable[None]]
AfterCommit = Callable[[], Awaitable[None]]

_BEFORE = "croupier.before_commit"
_AFTER = "croupier.after_commit"


def before_commit(session: AsyncSession, key: str, hook: BeforeCommit) -> None:
    """Run ``hook`` once, inside the transaction, just before it commits."""
    session.info.setdefault(_BEFORE, {}).setdefault(key, hook)


def after_commit(session: AsyncSession, key: str, hook: AfterCommit) -> None:
    """Run ``hook`` once after a successful commit; dropped on rollback."""
    session.info.setdefault(_AFTER, {}).setdefault(key, hook)


@dataclass
class Database:
    engine: AsyncEngine
    sessionmaker: async_sessionmaker[AsyncSession]
    url: str
    # Process-wide collaborators (the keyring) that every session can reach.
    shared: dict[str, Any]
    embedded_server: Any = field(default=None, repr=False)

    @classmethod
    def connect(cls, settings: Settings) -> Database:
        server = None
        if settings.database_url is None:
            server = start_embedded_server(settings.data_dir)
            url = embedded_url(server)
        else:
            url = to_sqlalchemy_url(settings.database_url.get_secret_value())
        return cls.from_url(
            url,
            pool_size=settings.database_pool_size,
            max_overflow=settings.database_max_overflow,
            embedded_server=server,
        )

    @classmethod
    def from_url(
        cls,
        url: str,
        *,
        pool_size: int = 5,
        max_overflow: int = 5,
        embedded_server: Any = None,
    ) -> Database:
        engine = create_async_engine(
            url,
            pool_size=pool_size,
            max_overflow=max_overflow,
            pool_pre_ping=True,
            connect_args={"application_name": "croupier"},
        )
        # Autonomous transactions get a pool of their own: they are opened by
        # requests that already hold a connection from the main pool, so sharing
        # it would let a burst of failing requests wait on each other forever.
        autonomous = create_async_engine(
            url,
            pool_size=2,
            max_overflow=max(4, max_overflow),
            pool_pre_ping=True,
            connect_args={"application_name": "croupier-autonomous"},
        )
        shared: dict[str, Any] = {_AUTONOMOUS_ENGINE: autonomous}
        maker = async_sessionmaker(
            engine, expire_on_commit=False, autoflush=False, info={SHARED_INFO: shared}
        )
        return cls(engine=engine, sessionmaker=maker, url=url, shared=shared, embedded_server=embedded_server)

    async def dispose(self) -> None:
        await self.engine.dispose()
        await self.shared[_AUTONOMOUS_ENGINE].dispose()

    @asynccontextmanager
    async def unit_of_work(self) -> AsyncIterator[AsyncSession]:
        async with self.sessionmaker() as session, _committing(session):
            yield session


async def driver_connection(session: AsyncSession) -> psycopg.AsyncConnection[Any]:
    """The psycopg connection under the session, inside the unit of work's transaction.

    For the few statements every bet runs: they skip SQLAlchemy's compilation and
    result layers. Only plain statements belong here; the ORM never sees them.
    """
    connection = await session.connection()
    raw = await connection.get_raw_connection()
    driver = raw.driver_connection
    if not isinstance(driver, psycopg.AsyncConnection):
        raise TypeError("the database driver is not psycopg's asynchronous connection")
    return driver


async def execute_plain(
    session: AsyncSession, statement: str, params: Sequence[Any] | Mapping[str, Any]
) -> psycopg.AsyncCursor[Any]:
    """Run one plain statement (psycopg placeholders) on the driver's connection; its cursor.

    Errors come out as SQLAlchemy's (``IntegrityError``, ``OperationalError`` ...),
    so the handlers that map them, the conflict retry included, treat both paths alike.
    """
    connection = await driver_connection(session)
    try:
        return await connection.execute(statement, params)
    except psycopg.Error as exc:
        raise DBAPIError.instance(statement, params, exc, psycopg.Error) from exc


SHARED_INFO = "croupier.shared"
_AUTONOMOUS_ENGINE = "autonomous_engine"


def shared_context(session: AsyncSession) -> dict[str, Any]:
    """Process-wide collaborators (the keyring) reachable from any session."""
    shared: dict[str, Any] = session.info.setdefault(SHARED_INFO, {})
    return shared


@asynccontextmanager
async def autonomous_unit_of_work(session: AsyncSession) -> AsyncIterator[AsyncSession]:
    """A second transaction on its own connection, committed whatever the first one does.

    For security bookkeeping that must survive the request's rollback: a failed
    sign-in is counted and audited even though the request itself fails.
    """
    shared = shared_context(session)
    bind = shared.get(_AUTONOMOUS_ENGINE, session.bind)
    info = {SHARED_INFO: shared}
    async with (
        AsyncSession(bind=bind, expire_on_commit=False, autoflush=False, info=info) as other,
        _committing(other),
    ):
        yield other


@asynccontextmanager
async def _committing(session: AsyncSession) -> AsyncIterator[None]:
    try:
        yield
        # Hooks may register further hooks (an audit entry written by a hook).
        while hooks := session.info.pop(_BEFORE, None):
            for hook in hooks.values():
                await hook(session)
        await session.commit()
    except BaseException:
        await session.rollback()
        session.info.pop(_BEFORE, None)
        session.info.pop(_AFTER, None)
        raise
    for after in session.info.pop(_AFTER, {}).values():
        await after()
