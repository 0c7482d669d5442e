"""CROUPIER_EVENT_BUS=nats://…: the outbox relayed to JetStream, consumed from durable consumers,
still once in effect and in order per player."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections import defaultdict

import nats
from sqlalchemy.ext.asyncio import AsyncSession

from croupier.events.bus import STREAM, subject_of
from croupier.events.delivery import EventDelivery
from croupier.events.handlers import Handler
from croupier.events.models import DomainEvent
from croupier.kit.runtime import Runtime
from tests.events.nats_support import nats_url
from tests.events.recording import emit, handled, prepare, write
from tests.waiting import wait_until

__all__ = ["nats_url"]


def delivery(runtime: Runtime, url: str, handlers: dict[str, Handler]) -> EventDelivery:
    bus = runtime.settings.model_copy(update={"event_bus": url, "event_poll_seconds": 0.5})
    return EventDelivery(
        Runtime(bus, runtime.database, runtime.keyring, runtime.throttle), consume=True, registered=handlers
    )


def recorder(name: str) -> Handler:
    async def handle(session: AsyncSession, event: DomainEvent) -> None:
        await write(session, name, event)

    return handle


async def _count(runtime: Runtime, name: str, n: int) -> bool:
    return len(await handled(runtime, name)) >= n


class TestJetStream:
    async def test_events_go_through_the_stream_to_every_handler_in_order_per_player(
        self, runtime: Runtime, nats_url: str
    ) -> None:
        await prepare(runtime)
        players = [uuid.uuid4() for _ in range(4)]
        workers = [
            delivery(runtime, nats_url, {"js-a": recorder("js-a"), "js-b": recorder("js-b")})
            for _ in range(2)
        ]
        for worker in workers:
            await worker.start()
        try:
            produced = await asyncio.gather(*(emit(runtime, p, 6) for p in players))
            for name in ("js-a", "js-b"):
                await wait_until(lambda name=name: _count(runtime, name, 24), within=30)
        finally:
            for worker in workers:
                await worker.stop()

        for name in ("js-a", "js-b"):
            seen = await handled(runtime, name)
            assert len(seen) == len({e for e, _ in seen}) == 24
            lanes: dict[uuid.UUID | None, list[int]] = defaultdict(list)
            for event_id, player in seen:
                lanes[player].append(event_id)
            assert lanes == dict(zip(players, produced, strict=True))

    async def test_a_failed_handler_is_redelivered_and_a_republished_event_is_dropped(
        self, runtime: Runtime, nats_url: str
    ) -> None:
        await prepare(runtime)
        player = uuid.uuid4()
        attempts: defaultdict[int, int] = defaultdict(int)

        async def flaky(session: AsyncSession, event: DomainEvent) -> None:
            attempts[event.id] += 1
            await write(session, "js-flaky", event)
            if attempts[event.id] == 1 and event.data["amount"] == 1:
                raise RuntimeError("briefly away")

        worker = delivery(runtime, nats_url, {"js-flaky": flaky})
        await worker.start()
        try:
            ids = await emit(runtime, player, 3)
            await wait_until(lambda: _count(runtime, "js-flaky", 3), within=30)
            # The relay publishing the first event again (a crash before its commit): the stream drops it.
            client = await nats.connect(nats_url)
            try:
                js = client.jetstream()
                body = json.dumps({"id": ids[0]}).encode()
                subject = subject_of(DomainEvent(id=ids[0], player_id=player))
                ack = await js.publish(subject, body, stream=STREAM, headers={"Nats-Msg-Id": str(ids[0])})
                assert ack.duplicate
            finally:
                await client.close()
        finally:
            await worker.stop()

        assert [e for e, _ in await handled(runtime, "js-flaky")] == ids
        assert attempts[ids[0]] == 2
