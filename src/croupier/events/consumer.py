"""Delivering the outbox to handlers: at least once, in order per player, idempotently.

One ``OutboxConsumer`` per registered handler name. Each batch is one
transaction:

1. the players with pending events get a lane (an ``event_cursors`` row) if
   they have none yet, in a short transaction of its own;
2. the lanes of up to ``lanes`` such players are locked with
   ``FOR UPDATE SKIP LOCKED``, so any number of processes share the work and a
   player's events are only ever handled by one of them at a time;
3. the locked lanes' unprocessed events are read (after the locks, so what
   another worker just committed is seen) and handed to the handler in id
   order, each in a savepoint; a failure rolls back that event's writes, stops
   that player's lane for this batch and backs it off, and leaves the others;
4. receipts for the handled events and the lanes' positions are written, and
   everything commits together with what the handlers wrote.

A redelivered event therefore finds its receipt and changes nothing; a crash
before commit delivers the whole batch again. Order per player is the order in
which the events became visible (their transactions committed), which for a
player's dependent events (the bet after the deposit it spends) is id order.

Receipts are kept only above the consumer's *horizon*, below which everything is
processed. Ids are handed out before commit, so an id below the newest one may
still appear; the horizon therefore only passes ids whose transactions are all
over: it notes the highest id handed out, then (a cycle later) the snapshot's
``xmax``, and advances once every transaction older than that has ended.

A commit that wrote events wakes the consumers of its own process at once, and
``EventSignal`` passes the wake-up to other processes with ``NOTIFY``; a poll
every ``event_poll_seconds`` covers anything else.
"""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

import structlog
from sqlalchemy.ext.asyncio import AsyncSession

from croupier.events import repository
from croupier.events.handlers import Handler
from croupier.events.models import DomainEvent, EventConsumer
from croupier.kit.background import Sweeper
from croupier.kit.clock import utcnow
from croupier.kit.db import Database
from croupier.kit.metrics import EVENT_CONSUMER_LAG_EVENTS, EVENT_CONSUMER_LAG_SECONDS, EVENTS_HANDLED
from croupier.kit.scrub import scrub_text

FIRST_RETRY = timedelta(seconds=1)
LONGEST_RETRY = timedelta(minutes=5)
# The horizon moves in three steps (see advance_horizon), a step at a time at most this often:
# the time between noting the last id and noting xmax is what lets a transaction that has
# drawn an id take its transaction id.
HORIZON_STEP_SECONDS = 0.1
LAG_EVERY_SECONDS = 1.0
SETTLE_EVERY_SECONDS = 1.0
ERROR_LIMIT = 500
_log = structlog.get_logger("croupier.events")


def describe_error(exc: BaseException) -> str:
    return scrub_text(f"{type(exc).__name__}: {exc}")[:ERROR_LIMIT]


def lane_of(event: DomainEvent) -> uuid.UUID:
    return event.player_id or repository.NO_PLAYER


class _HandlerFailed(Exception):
    """A handler raised in a batch run without savepoints: run it again with them."""


@dataclass(frozen=True)
class BatchReport:
    processed: int = 0
    failed: int = 0


async def handle_one(
    session: AsyncSession, name: str, handler: Handler, event: DomainEvent
) -> BaseException | None:
    """Run the handler on one event in a savepoint; the error if it failed (its writes undone)."""
    try:
        async with session.begin_nested():
            await handler(session, event)
    except Exception as exc:  # noqa: BLE001 - a handler's failure is recorded and retried, never fatal
        EVENTS_HANDLED.labels(name, "failed").inc()
        _log.warning(
            "event_handler_failed",
            consumer=name,
            event_id=event.id,
            kind=event.kind,
            error=describe_error(exc),
        )
        return exc
    EVENTS_HANDLED.labels(name, "processed").inc()
    return None


class OutboxConsumer(Sweeper):
    """One handler's consumer of the PostgreSQL outbox."""

    stop_grace_seconds = 15.0

    def __init__(
        self,
        database: Database,
        name: str,
        handler: Handler,
        *,
        sweep_seconds: float = 2.0,
        batch_size: int = 200,
        lanes: int = 100,
        first_retry: timedelta = FIRST_RETRY,
    ) -> None:
        super().__init__(database, sweep_seconds=sweep_seconds)
        self.name = name
        self.wake_key = f"events.consumer.{name}"
        self.handler = handler
        self.batch_size = batch_size
        self.lanes = lanes
        self.scan = batch_size * 4
        self.first_retry = first_retry
        self._horizon: int | None = None
        self._settled_at = self._lag_at = 0.0
        self._lag_stale = False  # events were handled since the gauges were last set

    async def drain(self) -> BatchReport:
        """Handle everything pending now (until a batch finds nothing), moving the horizon as it goes."""
        processed = failed = 0
        while not self.stopping:
            report = await self.batch()
            processed, failed = processed + report.processed, failed + report.failed
            await self.tend()
            if report.processed == 0:
                break
        if processed or self._lag_stale:
            # Caught up for now: the gauges say so at once, not at the next poll; if they were
            # set a moment ago, the next drain (due within a step, see next_sweep_seconds) does.
            self._lag_stale = time.monotonic() - self._lag_at < HORIZON_STEP_SECONDS
            if not self._lag_stale:
                await self.settle(lag=True)
        return BatchReport(processed=processed, failed=failed)

    def next_sweep_seconds(self) -> float:
        if self._lag_stale:
            return min(self.sweep_seconds, HORIZON_STEP_SECONDS)
        return self.sweep_seconds

    async def tend(self) -> None:
        """The horizon's next step every HORIZON_STEP_SECONDS, the lag gauges every LAG_EVERY_SECONDS."""
        now = time.monotonic()
        if now - self._settled_at >= HORIZON_STEP_SECONDS:
            await self.settle(lag=now - self._lag_at >= LAG_EVERY_SECONDS)

    async def batch(self) -> BatchReport:
        """One transaction: lock free lanes, handle their events in order, write the receipts.

        Optimistically without a savepoint per event (a savepoint costs two statements);
        if a handler fails, the batch is rolled back and run again with savepoints, so
        only the failing event's writes are undone. Handlers may therefore run more than
        once for one event; only what they write in the session counts.
        """
        now = utcnow()
        if self._horizon is None:
            async with self.database.unit_of_work() as session:
                self._horizon = await repository.ensure_consumer(session, self.name)
        async with self.database.unit_of_work() as session:
            await repository.open_lanes(session, self.name, scan=self.scan, now=now)
        try:
            return await self._batch(now, careful=False)
        except _HandlerFailed:
            return await self._batch(now, careful=True)

    async def _batch(self, now: datetime, *, careful: bool) -> BatchReport:
        async with self.database.unit_of_work() as session:
            lanes = await repository.lock_lanes(session, self.name, scan=self.scan, lanes=self.lanes, now=now)
            if not lanes:
                return BatchReport()
            events = await repository.pending_in_lanes(session, self.name, lanes=lanes, limit=self.batch_size)
            done: list[int] = []
            last: dict[uuid.UUID, int] = {}
            stopped: dict[uuid.UUID, BaseException] = {}
            for event in events:
                lane = lane_of(event)
                if lane in stopped:
                    continue  # a later event of a player whose earlier one failed waits for it
                if careful:
                    error = await handle_one(session, self.name, self.handler, event)
                    if error is not None:
                        stopped[lane] = error
                        continue
                else:
                    try:
                        await self.handler(session, event)
                    except Exception as exc:
                        raise _HandlerFailed from exc
                done.append(event.id)
                last[lane] = event.id
            await repository.mark_processed(session, self.name, done)
            await repository.advance_lanes(session, self.name, last)
            for lane, error in stopped.items():
                await self._back_off(session, lane, error, now)
        if not careful:
            EVENTS_HANDLED.labels(self.name, "processed").inc(len(done))
        return BatchReport(processed=len(done), failed=len(stopped))

    async def _back_off(
        self, session: AsyncSession, lane: uuid.UUID, error: BaseException, now: datetime
    ) -> None:
        await repository.back_off(
            session,
            self.name,
            lane,
            error=describe_error(error),
            now=now,
            first_seconds=self.first_retry.total_seconds(),
            longest_seconds=LONGEST_RETRY.total_seconds(),
        )

    async def settle(self, *, lag: bool = True) -> None:
        """Move the horizon a step (past what is processed and final, pruning receipts); the lag gauges."""
        self._settled_at = time.monotonic()
        async with self.database.unit_of_work() as session:
            await repository.ensure_consumer(session, self.name)
            row = await repository.lock_consumer(session, self.name)
            if row is not None:
                await advance_horizon(session, self.name, row)
                self._horizon = row.horizon
            else:
                self._horizon = await repository.horizon_of(session, self.name)
            if lag:
                self._lag_at = self._settled_at
                await publish_lag(session, self.name, horizon=self._horizon)


async def advance_horizon(session: AsyncSession, name: str, row: EventConsumer) -> None:
    """Three steps over successive calls: note the last id handed out; note the next transaction id;
    once every transaction before that has ended, ids up to the noted one are final."""
    xmin, xmax = await repository.snapshot_bounds(session)
    if row.settle_id is not None and row.settle_xmax is not None and xmin >= row.settle_xmax:
        settled = row.settle_id
        gap = await repository.first_unprocessed(session, name, above=row.horizon, upto=settled)
        horizon = settled if gap is None else gap - 1
        if horizon > row.horizon:
            await repository.prune_receipts(session, name, upto=horizon)
            row.horizon = horizon
        row.settle_id = row.settle_xmax = None
    if row.settle_id is None:
        row.settle_id = await repository.last_assigned_id(session)
    elif row.settle_xmax is None:
        # A cycle after the id was noted: whoever held an id up to it has a transaction id by now.
        row.settle_xmax = xmax
    row.updated_at = utcnow()


async def publish_lag(session: AsyncSession, name: str, *, horizon: int) -> tuple[int, float]:
    """Set the lag gauges of ``name``; ``(events, seconds)``."""
    count, oldest = await repository.lag(session, name, horizon=horizon)
    seconds = max((utcnow() - oldest).total_seconds(), 0.0) if oldest is not None else 0.0
    EVENT_CONSUMER_LAG_EVENTS.labels(name).set(count)
    EVENT_CONSUMER_LAG_SECONDS.labels(name).set(seconds)
    return count, seconds
