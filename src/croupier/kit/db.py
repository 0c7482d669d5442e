"""Database engine and the unit of work.

One transaction per request, job or command. Services receive the session,
``flush()`` when they need generated values, and never commit: the unit of work
commits when the block ends normally and rolls back on any exception. Hooks let
a domain write at the last moment before commit (the audit chain) or act only
once the data is durable (waking the outbox relay).

Three pools, so that nothing waits on itself: the main one (one connection per
request or job at a time), the autonomous one (second transactions opened by a
request that holds a main connection) and a two-connection pool for readiness
probes. A connection is waited for at most ``pool_timeout`` seconds; then
SQLAlchemy's ``TimeoutError`` answers 503 ``database_busy``.
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
from croupier.kit.pools import MeasuredAutonomousPool, MeasuredPool
from croupier.kit.settings import Settings

BeforeCommit = Callable[[AsyncSession], Awaitable[None]]
AfterCommit = Callable[[], Awaitable[None]]

# Seconds a readiness probe waits for its own connection; the probe itself has a deadline too.
HEALTH_POOL_TIMEOUT_SECONDS = 1.0
_BEFORE = "croupier.before_commit"
_AFTER = "croupier.after_commit"


def before_commit(session: AsyncSession, key: str, hook: BeforeCommit) -> None:
    """Run ``hook`` once, inside the transaction, just before it commits."""
    session.info.setdefault(_BEFORE, {}).setdefault(key, hook)


def after_commit(session: AsyncSession, key: str, hook: AfterCommit) -> None:
    """Run ``hook`` once after a successful commit; dropped on rollback."""
    session.info.setdefault(_AFTER, {}).setdefault(key, hook)


def registered_after_commit(session: AsyncSession, key: str) -> bool:
    """Whether a hook under ``key`` waits for this session's next commit."""
    return key in session.info.get(_AFTER, {})


@dataclass
class Database:
    engine: AsyncEngine
    sessionmaker: async_sessionmaker[AsyncSession]
    url: str
    # Process-wide collaborators (the keyring) that every session can reach.
    shared: dict[str, Any]
    # Readiness probes only: a pool of two, so a saturated main pool cannot delay them.
    health_engine: AsyncEngine
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
            pool_timeout=settings.database_pool_timeout_seconds,
            embedded_server=server,
        )

    @classmethod
    def from_url(
        cls,
        url: str,
        *,
        pool_size: int = 5,
        max_overflow: int = 5,
        pool_timeout: float = 5.0,
        embedded_server: Any = None,
    ) -> Database:
        engine = create_async_engine(
            url,
            pool_size=pool_size,
            max_overflow=max_overflow,
            pool_timeout=pool_timeout,
            pool_pre_ping=True,
            poolclass=MeasuredPool,
            connect_args={"application_name": "croupier"},
        )
        # Autonomous transactions get a pool of their own: they are opened by
        # requests that already hold a connection from the main pool, so sharing
        # it would let a burst of such requests wait on each other until they time out.
        autonomous = create_async_engine(
            url,
            pool_size=2,
            max_overflow=max(4, max_overflow),
            pool_timeout=pool_timeout,
            pool_pre_ping=True,
            poolclass=MeasuredAutonomousPool,
            connect_args={"application_name": "croupier-autonomous"},
        )
        health = create_async_engine(
            url,
            pool_size=1,
            max_overflow=1,
            pool_timeout=HEALTH_POOL_TIMEOUT_SECONDS,
            pool_pre_ping=True,
            connect_args={"application_name": "croupier-health"},
        )
        shared: dict[str, Any] = {_AUTONOMOUS_ENGINE: autonomous}
        maker = async_sessionmaker(
            engine, expire_on_commit=False, autoflush=False, info={SHARED_INFO: shared}
        )
        return cls(
            engine=engine,
            sessionmaker=maker,
            url=url,
            shared=shared,
            health_engine=health,
            embedded_server=embedded_server,
        )

    @property
    def autonomous_engine(self) -> AsyncEngine:
        engine: AsyncEngine = self.shared[_AUTONOMOUS_ENGINE]
        return engine

    async def dispose(self) -> None:
        await self.engine.dispose()
        await self.shared[_AUTONOMOUS_ENGINE].dispose()
        await self.health_engine.dispose()

    @asynccontextmanager
    async def unit_of_work(self) -> AsyncIterator[AsyncSession]:
        """A transaction on a main-pool connection.

        Never open one while holding another (a request's ``DbSession`` included):
        a burst of such requests holds the whole pool while each waits for a second
        connection. Release the first (``commit_now``) or use the autonomous pool.
        """
        async with self.sessionmaker() as session, _committing(session):
            yield session

    @asynccontextmanager
    async def autonomous_unit_of_work(self) -> AsyncIterator[AsyncSession]:
        """A transaction from the autonomous pool, for a caller that may hold a main-pool connection."""
        async with _autonomous(self.shared[_AUTONOMOUS_ENGINE], self.shared) as session:
            yield session


_DRIVER = "croupier.driver_connection"


async def driver_connection(session: AsyncSession) -> psycopg.AsyncConnection[Any]:
    """The psycopg connection under the session, inside the unit of work's transaction.

    For the few statements every bet runs: they skip SQLAlchemy's compilation and
    result layers. Only plain statements belong here; the ORM never sees them.
    """
    # Kept for the transaction: asking the session again costs a greenlet switch per statement.
    transaction = session.sync_session.get_transaction()
    cached = session.info.get(_DRIVER)
    if cached is not None and transaction is not None and cached[0] is transaction and transaction.is_active:
        driver: psycopg.AsyncConnection[Any] = cached[1]
        return driver
    connection = await session.connection()
    raw = await connection.get_raw_connection()
    found = raw.driver_connection
    if not isinstance(found, psycopg.AsyncConnection):
        raise TypeError("the database driver is not psycopg's asynchronous connection")
    session.info[_DRIVER] = (session.sync_session.get_transaction(), found)
    return found


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
    async with _autonomous(shared.get(_AUTONOMOUS_ENGINE, session.bind), shared) as other:
        yield other


@asynccontextmanager
async def _autonomous(bind: Any, shared: dict[str, Any]) -> AsyncIterator[AsyncSession]:
    info = {SHARED_INFO: shared}
    async with (
        AsyncSession(bind=bind, expire_on_commit=False, autoflush=False, info=info) as other,
        _committing(other),
    ):
        yield other


async def commit_now(session: AsyncSession) -> None:
    """Commit what the unit of work did so far, hooks included, and give its connection back.

    For a request that goes on to wait for something slow (the payment provider)
    or to open units of work of its own: it must not sit on a pooled connection
    meanwhile. The session stays usable; its next statement takes a connection
    again, in a new transaction that the unit of work commits as usual.
    """
    await _commit(session)
    await _after_commit(session)


async def _commit(session: AsyncSession) -> None:
    # Hooks may register further hooks (an audit entry written by a hook).
    while hooks := session.info.pop(_BEFORE, None):
        for hook in hooks.values():
            await hook(session)
    await session.commit()


async def _after_commit(session: AsyncSession) -> None:
    for after in session.info.pop(_AFTER, {}).values():
        await after()


@asynccontextmanager
async def _committing(session: AsyncSession) -> AsyncIterator[None]:
    try:
        yield
        await _commit(session)
    except BaseException:
        await session.rollback()
        session.info.pop(_BEFORE, None)
        session.info.pop(_AFTER, None)
        raise
    await _after_commit(session)
