"""What a process runs to deliver domain events: the wake-up signal and one consumer per handler.

``croupier serve`` runs it in every API process unless ``CROUPIER_EVENT_CONSUMER=off``
(then only the signal, which tells the workers, and a probe that keeps the lag
gauges current); ``croupier risk worker`` runs it as a process of its own. With
``CROUPIER_EVENT_BUS=nats://…`` the consumers read JetStream instead, fed by a
relay that is itself an outbox consumer (``nats-relay``).
"""

from __future__ import annotations

import structlog

from croupier.events import handlers, repository
from croupier.events.consumer import OutboxConsumer, publish_lag
from croupier.events.handlers import Handler
from croupier.events.signal import EventSignal
from croupier.kit.background import Sweeper
from croupier.kit.db import Database
from croupier.kit.runtime import Runtime

LAG_PROBE_SECONDS = 5.0
_log = structlog.get_logger("croupier.events")


class LagProbe(Sweeper):
    """Keeps the lag gauges of every known consumer current in a process that runs none."""

    name = "event-lag"
    wake_key = "events.lag.wake"

    def __init__(self, database: Database, *, sweep_seconds: float = LAG_PROBE_SECONDS) -> None:
        super().__init__(database, sweep_seconds=sweep_seconds)

    async def drain(self) -> None:
        async with self.database.unit_of_work() as session:
            for name in await repository.consumer_names(session):
                await publish_lag(session, name, horizon=await repository.horizon_of(session, name))


class EventDelivery:
    def __init__(
        self, runtime: Runtime, *, consume: bool, registered: dict[str, Handler] | None = None
    ) -> None:
        self.runtime = runtime
        self.consume = consume
        self.handlers = handlers.registered() if registered is None else registered
        settings = runtime.settings
        # Listen only where something here consumes: the handlers, or the relay to the bus.
        self.signal = EventSignal(
            runtime.database, listen=consume and bool(self.handlers or settings.event_bus)
        )
        self.workers: list[Sweeper] = []
        self._bus = None
        if consume and settings.event_bus:
            from croupier.events.bus import JetStreamBus

            self._bus = JetStreamBus(runtime.database, settings.event_bus, settings=settings)
        elif consume:
            self.workers = [
                OutboxConsumer(
                    runtime.database,
                    name,
                    handler,
                    sweep_seconds=settings.event_poll_seconds,
                    batch_size=settings.event_batch_size,
                )
                for name, handler in self.handlers.items()
            ]
        else:
            self.workers = [LagProbe(runtime.database)]

    @classmethod
    def for_runtime(cls, runtime: Runtime, *, consume: bool | None = None) -> EventDelivery:
        """``consume``: deliver to handlers here (default: unless ``CROUPIER_EVENT_CONSUMER=off``)."""
        if consume is None:
            consume = runtime.settings.event_consumer == "on"
        handlers.load_builtin()
        handlers.load(runtime.settings.event_handlers)
        return cls(runtime, consume=consume)

    async def start(self) -> None:
        self.signal.start()
        if self._bus is not None:
            await self._bus.start(self.handlers, self.signal)
        for worker in self.workers:
            self.signal.subscribe(worker.wake)
            worker.start()
        _log.info("event_delivery_started", consume=self.consume, handlers=sorted(self.handlers))

    async def stop(self) -> None:
        for worker in self.workers:
            await worker.stop()
        if self._bus is not None:
            await self._bus.stop()
        await self.signal.stop()
