"""Connection pools that say how busy they are: waiters and the time taken to get a connection.

SQLAlchemy's queue pool counts what is checked out but not who waits, nor for how long.
A subclass measures ``_do_get``, the one place a caller blocks for a connection (or opens
a new one): a waiter is counted only when every connection the pool may open is out.
"""

from __future__ import annotations

import functools
import time
from typing import ClassVar

from prometheus_client import Gauge, Histogram
from sqlalchemy.pool import AsyncAdaptedQueuePool, ConnectionPoolEntry, Pool

from croupier.kit.metrics import (
    DATABASE_POOL_IN_USE,
    DATABASE_POOL_LIMIT,
    DATABASE_POOL_WAIT,
    DATABASE_POOL_WAITING,
)

# A connection given back less than this long ago is handed out again without the pre-ping.
TRUSTED_FOR_SECONDS = 1.0
_RETURNED_AT = "croupier.returned_at"


class MeasuredPool(AsyncAdaptedQueuePool):
    """Also pings only the connections that sat idle: the pre-ping is a round trip on every
    checkout otherwise, a tenth of a Hub88 bet's server CPU. A connection that was in use
    less than ``TRUSTED_FOR_SECONDS`` ago is trusted; if the database went away meanwhile
    (a failover), its first statement fails, which answers 503 ``database_unavailable`` and
    makes SQLAlchemy recycle every older pooled connection, as a failed ping would have.
    """

    label: ClassVar[str] = "main"

    def _do_get(self) -> ConnectionPoolEntry:
        full = self.checkedout() >= self.size() + max(self._max_overflow, 0)
        waiting, wait = _children(self.label)
        if full:
            waiting.inc()
        started = time.perf_counter()
        try:
            record = super()._do_get()
        finally:
            wait.observe(time.perf_counter() - started)
            if full:
                waiting.dec()
        returned = record.info.get(_RETURNED_AT)  # cleared when the connection is replaced
        if returned is not None and time.monotonic() - returned < TRUSTED_FOR_SECONDS:
            record.fresh = True  # type: ignore[attr-defined]  # SQLAlchemy skips the pre-ping
        return record

    def _do_return_conn(self, record: ConnectionPoolEntry) -> None:
        record.info[_RETURNED_AT] = time.monotonic()
        super()._do_return_conn(record)


@functools.cache
def _children(label: str) -> tuple[Gauge, Histogram]:
    # Looked up once: ``labels()`` takes a lock and builds a key on every checkout otherwise.
    return DATABASE_POOL_WAITING.labels(label), DATABASE_POOL_WAIT.labels(label)


class MeasuredAutonomousPool(MeasuredPool):
    label: ClassVar[str] = "autonomous"


def sample(pool: Pool) -> None:
    """Set the in-use and limit gauges of a measured pool (called periodically, not per checkout)."""
    if isinstance(pool, MeasuredPool):
        DATABASE_POOL_IN_USE.labels(pool.label).set(pool.checkedout())
        DATABASE_POOL_LIMIT.labels(pool.label).set(pool.size() + max(pool._max_overflow, 0))
