"""Waking consumers once events are committed: in this process at once, in others by NOTIFY.

A commit that wrote events calls ``EventSignal.wake`` (the outbox leaves an
after-commit hook for it). That wakes this process's consumers directly and asks
the notifier task to send ``NOTIFY croupier_events``: one notification per
burst of commits (at most 50 a second), from a connection of its own, outside every money
transaction (a NOTIFY inside them would serialise their commits on
PostgreSQL's notification lock). Processes that run consumers ``LISTEN`` and
wake theirs; a lost notification costs at most one poll interval.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable

import psycopg
import structlog
from sqlalchemy import text

from croupier.events.outbox import WAKE_KEY
from croupier.kit.db import Database
from croupier.kit.embedded import libpq_conninfo

CHANNEL = "croupier_events"
RECONNECT_SECONDS = 1.0
# At most one NOTIFY per this interval, however many commits: under a steady stream of bets
# the other processes are woken 50 times a second, not once per commit.
NOTIFY_INTERVAL_SECONDS = 0.02
_log = structlog.get_logger("croupier.events")


def libpq_url(database: Database) -> str:
    """The database's address for a plain psycopg connection (the listener's)."""
    return libpq_conninfo(database.url)


class EventSignal:
    def __init__(self, database: Database, *, listen: bool, notify: bool = True) -> None:
        self.database = database
        self.listen = listen
        self.notify = notify
        self._targets: list[Callable[[], None]] = []
        self._pending = asyncio.Event()
        self._tasks: list[asyncio.Task[None]] = []
        self.listening = asyncio.Event()

    def subscribe(self, wake: Callable[[], None]) -> None:
        """Call ``wake`` whenever events may be waiting (committed here or announced by NOTIFY)."""
        self._targets.append(wake)

    def wake(self) -> None:
        self._wake_local()
        self._pending.set()

    def _wake_local(self) -> None:
        for target in self._targets:
            target()

    def start(self) -> None:
        if self._tasks:
            return
        self.database.shared[WAKE_KEY] = self.wake
        if self.notify:
            self._tasks.append(asyncio.create_task(self._notifier(), name="croupier-events-notify"))
        if self.listen:
            self._tasks.append(asyncio.create_task(self._listener(), name="croupier-events-listen"))

    async def stop(self) -> None:
        if self.database.shared.get(WAKE_KEY) == self.wake:
            del self.database.shared[WAKE_KEY]
        tasks, self._tasks = self._tasks, []
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def _notifier(self) -> None:
        while True:
            await self._pending.wait()
            # Cleared before sending: commits during the send make one more notification, not none.
            self._pending.clear()
            try:
                async with self.database.autonomous_unit_of_work() as session:
                    await session.execute(text("SELECT pg_notify(:channel, '')"), {"channel": CHANNEL})
            except Exception:  # noqa: BLE001 - the consumers' poll covers a notification not sent
                _log.warning("event_notify_failed")
                await asyncio.sleep(RECONNECT_SECONDS)
            else:
                await asyncio.sleep(NOTIFY_INTERVAL_SECONDS)

    async def _listener(self) -> None:
        while True:
            try:
                async with await psycopg.AsyncConnection.connect(
                    libpq_url(self.database), autocommit=True, application_name="croupier-events"
                ) as connection:
                    await connection.execute(f"LISTEN {CHANNEL}")
                    self.listening.set()
                    # Whatever was announced while not listening is looked for now.
                    self._wake_local()
                    async for _ in connection.notifies():
                        self._wake_local()
            except (OSError, psycopg.Error):
                self.listening.clear()
                _log.warning("event_listen_lost")
                await asyncio.sleep(RECONNECT_SECONDS)
