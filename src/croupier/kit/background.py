"""A background task that drains a queue table now and then, and at once when woken.

A commit that queues work calls the wake-up function the running task leaves
in ``Database.shared`` under ``wake_key`` (so the committer needs no import of
the task); a periodic sweep covers work other processes queued or left behind.
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

import structlog

from croupier.kit.db import Database

_log = structlog.get_logger("croupier.background")


class Sweeper:
    name: str = "sweeper"
    wake_key: str = "sweeper.wake"
    stop_grace_seconds: float = 10.0

    def __init__(self, database: Database, *, sweep_seconds: float) -> None:
        self.database = database
        self.sweep_seconds = sweep_seconds
        self._wake = asyncio.Event()
        self._stopping = False
        self._task: asyncio.Task[None] | None = None

    @property
    def stopping(self) -> bool:
        return self._stopping

    async def drain(self) -> Any:
        """Do everything that is due now (stopping early once ``stopping`` is set)."""
        raise NotImplementedError

    def wake(self) -> None:
        self._wake.set()

    def next_sweep_seconds(self) -> float:
        """How long to wait for a wake-up before the next drain (shorter when a follow-up is due)."""
        return self.sweep_seconds

    def start(self) -> None:
        if self._task is not None:
            return
        self._stopping = False
        self.database.shared[self.wake_key] = self.wake
        self._task = asyncio.create_task(self._run(), name=f"croupier-{self.name}")

    async def stop(self) -> None:
        """Let the current item finish (for a grace period), then end the task."""
        task, self._task = self._task, None
        if self.database.shared.get(self.wake_key) == self.wake:
            del self.database.shared[self.wake_key]
        if task is None:
            return
        self._stopping = True
        self._wake.set()
        try:
            await asyncio.wait_for(task, timeout=self.stop_grace_seconds)
        except TimeoutError:
            _log.warning("background_stop_timeout", task=self.name)

    async def _run(self) -> None:
        while not self._stopping:
            # Cleared before draining: a wake-up during the drain is not lost.
            self._wake.clear()
            try:
                await self.drain()
            except Exception:  # noqa: BLE001 - the database may be briefly away; the sweep retries
                _log.exception("background_error", task=self.name)
            if self._stopping:
                break
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout=self.next_sweep_seconds())
