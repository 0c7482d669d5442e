"""Domain events through NATS JetStream, for consumers spread over machines.

The relay is an outbox consumer like any other (``nats-relay``): it publishes
each event to the stream ``CROUPIER_EVENTS`` on the subject
``croupier.events.<player>`` with ``Nats-Msg-Id`` set to the event id, so a
publish repeated after a crash is dropped by the stream's duplicate window, and
waits for the stream's acknowledgement before the event counts as relayed. It
relays a player's events one after the other, in the order the outbox
consumer hands them over, and stamps each with the id of the player's previous
relayed event (``Croupier-Prev``).

Each handler reads through a durable pull consumer named after it, which any
number of processes share. Idempotency and order per player are kept in
PostgreSQL, as for the outbox consumer: the player's lane is locked, a message
whose event has a receipt is acknowledged and skipped, and one whose previous
event has none yet is handed back (``nak`` with a short delay) until it has.
The handler's writes and the receipt commit together; the message is
acknowledged after the commit.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
import uuid
from datetime import datetime
from typing import Any

import nats
import structlog
from nats.aio.client import Client as NatsClient
from nats.aio.msg import Msg
from nats.errors import TimeoutError as NatsTimeout
from nats.js import JetStreamContext
from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy, StreamConfig
from nats.js.errors import NotFoundError
from sqlalchemy.ext.asyncio import AsyncSession

from croupier.events import repository
from croupier.events.consumer import SETTLE_EVERY_SECONDS, OutboxConsumer, handle_one, lane_of
from croupier.events.handlers import Handler
from croupier.events.models import DomainEvent, EventConsumer
from croupier.events.signal import EventSignal
from croupier.kit.db import Database
from croupier.kit.metrics import EVENTS_HANDLED
from croupier.kit.settings import Settings

STREAM = "CROUPIER_EVENTS"
SUBJECTS = "croupier.events.>"
RELAY = "nats-relay"
PREV_HEADER = "Croupier-Prev"
# Long enough to cover a relay that crashed after publishing and before its commit, then restarted.
DUPLICATE_WINDOW_SECONDS = 15 * 60.0
ACK_WAIT_SECONDS = 30.0
OUT_OF_ORDER_DELAY_SECONDS = 0.2
FAILED_DELAY_SECONDS = 1.0
_log = structlog.get_logger("croupier.events")


def subject_of(event: DomainEvent) -> str:
    return f"croupier.events.{lane_of(event).hex}"


def encode(event: DomainEvent) -> bytes:
    return json.dumps(
        {
            "id": event.id,
            "kind": event.kind,
            "player_id": str(event.player_id) if event.player_id else None,
            "occurred_at": event.occurred_at.isoformat(),
            "data": event.data,
            "ip": event.ip,
            "user_agent": event.user_agent,
            "device_id": event.device_id,
        },
        separators=(",", ":"),
    ).encode()


def decode(payload: bytes) -> DomainEvent:
    """The event as the outbox holds it (a detached row: handlers read it, nobody writes it)."""
    body: dict[str, Any] = json.loads(payload)
    return DomainEvent(
        id=int(body["id"]),
        kind=str(body["kind"]),
        player_id=uuid.UUID(body["player_id"]) if body["player_id"] else None,
        occurred_at=datetime.fromisoformat(body["occurred_at"]),
        data=body["data"],
        ip=body["ip"],
        user_agent=body["user_agent"],
        device_id=body["device_id"],
    )


class JetStreamBus:
    def __init__(self, database: Database, url: str, *, settings: Settings) -> None:
        self.database = database
        self.url = url
        self.settings = settings
        self.nc: NatsClient | None = None
        self.relay: OutboxConsumer | None = None
        self.readers: list[JetStreamReader] = []

    async def start(self, handlers: dict[str, Handler], signal: EventSignal) -> None:
        self.nc = await nats.connect(self.url, name="croupier", max_reconnect_attempts=-1)
        js = self.nc.jetstream()
        await ensure_stream(js)
        self.relay = OutboxConsumer(
            self.database,
            RELAY,
            Relay(js).publish,
            sweep_seconds=self.settings.event_poll_seconds,
            batch_size=self.settings.event_batch_size,
        )
        signal.subscribe(self.relay.wake)
        self.relay.start()
        for name, handler in handlers.items():
            reader = JetStreamReader(
                self.database, js, name, handler, batch_size=self.settings.event_batch_size
            )
            await reader.start()
            self.readers.append(reader)

    async def stop(self) -> None:
        for reader in self.readers:
            await reader.stop()
        self.readers = []
        if self.relay is not None:
            await self.relay.stop()
        if self.nc is not None:
            await self.nc.close()


async def ensure_stream(js: JetStreamContext) -> None:
    config = StreamConfig(
        name=STREAM,
        subjects=[SUBJECTS],
        duplicate_window=DUPLICATE_WINDOW_SECONDS,
        description="Croupier's domain events, one subject per player",
    )
    try:
        await js.stream_info(STREAM)
    except NotFoundError:
        await js.add_stream(config)


class Relay:
    """The outbox consumer's handler that publishes to JetStream."""

    def __init__(self, js: JetStreamContext) -> None:
        self.js = js

    async def publish(self, session: AsyncSession, event: DomainEvent) -> None:
        previous = await repository.swap_lane_position(session, RELAY, lane_of(event), event.id)
        headers = {"Nats-Msg-Id": str(event.id), PREV_HEADER: "" if previous is None else str(previous)}
        await self.js.publish(subject_of(event), encode(event), stream=STREAM, headers=headers)


class JetStreamReader:
    """One handler's durable JetStream consumer."""

    def __init__(
        self,
        database: Database,
        js: JetStreamContext,
        name: str,
        handler: Handler,
        *,
        batch_size: int = 100,
        fetch_timeout: float = 1.0,
    ) -> None:
        self.database = database
        self.js = js
        self.name = name
        self.handler = handler
        self.batch_size = batch_size
        self.fetch_timeout = fetch_timeout
        self._task: asyncio.Task[None] | None = None
        self._stopping = False
        self._horizon = 0
        self._settled_at = 0.0

    async def start(self) -> None:
        async with self.database.unit_of_work() as session:
            self._horizon = await repository.ensure_consumer(session, self.name)
        config = ConsumerConfig(
            durable_name=self.name,
            ack_policy=AckPolicy.EXPLICIT,
            deliver_policy=DeliverPolicy.ALL,
            ack_wait=ACK_WAIT_SECONDS,
            max_deliver=-1,
        )
        self.subscription = await self.js.pull_subscribe(
            SUBJECTS, durable=self.name, stream=STREAM, config=config
        )
        self._stopping = False
        self._task = asyncio.create_task(self._run(), name=f"croupier-jetstream-{self.name}")

    async def stop(self) -> None:
        self._stopping = True
        task, self._task = self._task, None
        if task is not None:
            try:
                await asyncio.wait_for(task, timeout=self.fetch_timeout + 15)
            except TimeoutError:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task

    async def _run(self) -> None:
        while not self._stopping:
            try:
                messages = await self.subscription.fetch(self.batch_size, timeout=self.fetch_timeout)
            except NatsTimeout:
                messages = []
            except Exception:  # noqa: BLE001 - the server may be briefly away; fetch again
                _log.exception("jetstream_fetch_failed", consumer=self.name)
                await asyncio.sleep(1.0)
                continue
            for message in messages:
                try:
                    await self.process(message)
                except Exception:  # noqa: BLE001 - the database may be briefly away: redelivered later
                    _log.exception("jetstream_process_failed", consumer=self.name)
                    await message.nak(delay=FAILED_DELAY_SECONDS)
            if time.monotonic() - self._settled_at >= SETTLE_EVERY_SECONDS:
                await self._settle()

    async def process(self, message: Msg) -> str:
        """Handle one message; what became of it: processed, duplicate, waiting or failed."""
        event = decode(message.data)
        previous = (message.headers or {}).get(PREV_HEADER) or None
        async with self.database.unit_of_work() as session:
            await repository.lock_lane(session, self.name, lane_of(event))
            wanted = [event.id] + ([int(previous)] if previous else [])
            have = await repository.received(session, self.name, wanted)
            horizon = await repository.horizon_of(session, self.name)
            if event.id in have or event.id <= horizon:
                outcome = "duplicate"
            elif previous and int(previous) > horizon and int(previous) not in have:
                outcome = "waiting"
            elif await handle_one(session, self.name, self.handler, event) is not None:
                outcome = "failed"
            else:
                await repository.mark_processed(session, self.name, [event.id])
                await repository.advance_lanes(session, self.name, {lane_of(event): event.id})
                outcome = "processed"
        if outcome in ("processed", "duplicate"):
            if outcome == "duplicate":
                EVENTS_HANDLED.labels(self.name, "duplicate").inc()
            await message.ack()
        else:
            await message.nak(
                delay=OUT_OF_ORDER_DELAY_SECONDS if outcome == "waiting" else FAILED_DELAY_SECONDS
            )
        return outcome

    async def _settle(self) -> None:
        from croupier.events.consumer import advance_horizon, publish_lag

        self._settled_at = time.monotonic()
        try:
            async with self.database.unit_of_work() as session:
                row: EventConsumer | None = await repository.lock_consumer(session, self.name)
                if row is not None:
                    await advance_horizon(session, self.name, row)
                    self._horizon = row.horizon
                await publish_lag(session, self.name, horizon=self._horizon)
        except Exception:  # noqa: BLE001 - only bookkeeping; the next cycle tries again
            _log.exception("event_settle_failed", consumer=self.name)
