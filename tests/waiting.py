"""Wait on a condition with a deadline, instead of sleeping and hoping it is enough."""

from __future__ import annotations

import asyncio
import inspect
import time
from collections.abc import Awaitable, Callable

Predicate = Callable[[], bool | Awaitable[bool]]


async def wait_until(predicate: Predicate, *, within: float = 5.0, interval: float = 0.02) -> None:
    """Return as soon as ``predicate()`` is true (it may be async); fail after ``within`` seconds."""
    deadline = time.monotonic() + within
    while True:
        outcome = predicate()
        if inspect.isawaitable(outcome):
            outcome = await outcome
        if outcome:
            return
        if time.monotonic() >= deadline:
            raise AssertionError(f"not true within {within} s: {getattr(predicate, '__name__', predicate)}")
        await asyncio.sleep(interval)
