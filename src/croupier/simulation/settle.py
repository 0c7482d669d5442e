"""Waiting, after the last actor, until the event consumers have handled every event.

Alerts raised from events (as opposed to inline decisions) come from the outbox
consumers, a moment after each change commits. A simulation that stops its own
server at once would leave some events unhandled, and the evaluation would read
the alerts of a run cut short. The lag is read the way the event worker reports
it (``croupier.events.repository``: ``consumer_names``, ``horizon_of``, ``lag``);
where the installed Croupier has no consumers, there is nothing to wait for.
"""

from __future__ import annotations

import asyncio
import importlib
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from croupier.kit.runtime import Runtime

POLL_SECONDS = 0.5


@dataclass(frozen=True)
class Settled:
    waited: float
    pending: int | None  # events still unhandled at the end; None: no consumers to wait for


def _lag_reader() -> Callable[[AsyncSession], Awaitable[int]] | None:
    try:
        events = importlib.import_module("croupier.events.repository")
    except ModuleNotFoundError:
        return None
    names: Any = getattr(events, "consumer_names", None)
    horizon_of: Any = getattr(events, "horizon_of", None)
    lag: Any = getattr(events, "lag", None)
    if names is None or horizon_of is None or lag is None:
        return None

    async def pending(session: AsyncSession) -> int:
        total = 0
        for name in await names(session):
            count, _ = await lag(session, name, horizon=await horizon_of(session, name))
            total += int(count)
        return total

    return pending


async def wait_for_consumers(runtime: Runtime, *, within: float) -> Settled:
    """Poll the consumers' lag until it is 0 or ``within`` seconds have passed."""
    reader = _lag_reader()
    started = time.monotonic()
    if reader is None:
        return Settled(waited=0.0, pending=None)
    while True:
        async with runtime.database.unit_of_work() as session:
            pending = await reader(session)
        waited = time.monotonic() - started
        if pending == 0 or waited >= within:
            return Settled(waited=waited, pending=pending)
        await asyncio.sleep(POLL_SECONDS)
