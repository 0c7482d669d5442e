"""Request throttling on the ``limits`` library: in memory for one process, Redis for many."""

from __future__ import annotations

from limits import RateLimitItem, parse
from limits.aio.strategies import MovingWindowRateLimiter
from limits.storage import storage_from_string


class Throttle:
    def __init__(self, storage_uri: str) -> None:
        self._limiter = MovingWindowRateLimiter(storage_from_string(storage_uri))
        self._items: dict[str, RateLimitItem] = {}

    def _item(self, rate: str) -> RateLimitItem:
        if rate not in self._items:
            self._items[rate] = parse(rate)
        return self._items[rate]

    async def hit(self, rate: str, *identifiers: str) -> bool:
        """Count one attempt; False when the caller is over ``rate``."""
        return await self._limiter.hit(self._item(rate), *identifiers)

    async def reset(self) -> None:
        await self._limiter.storage.reset()
