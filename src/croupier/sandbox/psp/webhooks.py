"""Signed webhook delivery: ordered per payment, concurrent across them, retried, pausable.

Every event belongs to a *lane* (the payment it concerns, or the payout):
deliveries in one lane go one at a time in creation order, so a receiver sees
``payment.succeeded`` before that payment's refund or chargeback; lanes run
side by side, so an unreachable receiver only holds up its own lane. A failed
attempt (no 2xx, or no answer) is retried with exponential backoff until the
retry window closes; a lane waiting out its backoff holds no delivery slot.

Tests can pause delivery, let events pile up, and resume them in either order
with extra copies: what a real provider does on a bad day.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import time
from collections import deque
from dataclasses import dataclass, field
from typing import Any, Literal

import httpx
import structlog

from croupier.payments.signatures import SIGNATURE_HEADER, sign
from croupier.sandbox.psp.config import PspConfig

_log = structlog.get_logger("croupier.sandbox.psp.webhooks")

Order = Literal["fifo", "reverse"]


@dataclass(eq=False)
class Event:
    id: str
    seq: int
    type: str
    object_id: str
    reference: str
    created: int
    url: str = field(repr=False)
    body: bytes = field(repr=False)
    delivered: bool = False
    attempts: int = 0
    # Retried until the retry window closed, and then abandoned.
    given_up: bool = False

    def summary(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "type": self.type,
            "object_id": self.object_id,
            "reference": self.reference,
            "delivered": self.delivered,
            "attempts": self.attempts,
            "given_up": self.given_up,
        }


@dataclass(eq=False)
class _Delivery:
    event: Event
    lane: str
    # The retry window opens at the first attempt, so time spent paused does not use it up.
    deadline: float | None = None
    in_flight: bool = False
    failures: int = 0


def event_body(event_id: str, event_type: str, created: int, obj: dict[str, Any]) -> bytes:
    payload = {"id": event_id, "type": event_type, "created": created, "data": {"object": obj}}
    return json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode()


class WebhookDispatcher:
    """Owns the events and delivers them; everything but the HTTP calls runs without awaiting."""

    def __init__(self, config: PspConfig) -> None:
        self._config = config
        self._secret = config.webhook_secret.encode()
        self._events: dict[str, Event] = {}
        self._seq = itertools.count(1)
        self._lanes: dict[str, deque[_Delivery]] = {}
        self._lane_tasks: dict[str, asyncio.Task[None]] = {}
        self._batch: asyncio.Task[None] | None = None
        self._extra_lanes = itertools.count(1)
        # Lanes deliver only while _open is set; a resumed batch only needs _unpaused.
        self._open = asyncio.Event()
        self._unpaused = asyncio.Event()
        self._open.set()
        self._unpaused.set()
        self._slots = asyncio.Semaphore(config.delivery_concurrency)
        self._client: httpx.AsyncClient | None = None
        self._running = False

    async def start(self) -> None:
        self._client = httpx.AsyncClient(
            timeout=self._config.webhook_timeout,
            follow_redirects=False,
            headers={"User-Agent": "croupier-sandbox-psp"},
        )
        self._running = True
        for lane in list(self._lanes):
            self._ensure_lane_task(lane)

    async def stop(self) -> None:
        self._running = False
        tasks = [*self._lane_tasks.values(), *([self._batch] if self._batch else [])]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        if self._client is not None:
            await self._client.aclose()
            self._client = None

    # Events

    def publish(
        self, *, event_id: str, event_type: str, obj: dict[str, Any], reference: str, url: str, lane: str
    ) -> Event:
        created = int(time.time())
        event = Event(
            id=event_id,
            seq=next(self._seq),
            type=event_type,
            object_id=str(obj["id"]),
            reference=reference,
            created=created,
            url=url,
            body=event_body(event_id, event_type, created, obj),
        )
        self._events[event.id] = event
        self._enqueue(_Delivery(event, lane))
        _log.info("psp.event", event_id=event.id, type=event_type, object_id=event.object_id)
        return event

    def get(self, event_id: str) -> Event | None:
        return self._events.get(event_id)

    def events(self, reference: str | None = None) -> list[Event]:
        return [e for e in self._events.values() if reference is None or e.reference == reference]

    def redeliver(self, event: Event) -> None:
        """One more delivery of ``event``, on a lane of its own so nothing queued delays it."""
        self._enqueue(_Delivery(event, f"redelivery-{next(self._extra_lanes)}"))

    # Pause and resume

    @property
    def _paused(self) -> bool:
        return not self._unpaused.is_set()

    def pause(self) -> None:
        self._open.clear()
        self._unpaused.clear()

    def resume(self, *, order: Order, duplicates: int) -> int:
        """Deliver what queued while paused in ``order``, each ``1 + duplicates`` times; returns how many."""
        if not self._paused:
            return 0
        queued: list[_Delivery] = []
        for lane in self._lanes.values():
            waiting = [d for d in lane if not d.in_flight]
            queued.extend(waiting)
            for delivery in waiting:
                lane.remove(delivery)
        queued.sort(key=lambda d: d.event.seq, reverse=order == "reverse")
        self._unpaused.set()
        previous = self._batch
        self._batch = asyncio.get_running_loop().create_task(
            self._run_batch(previous, queued, 1 + duplicates)
        )
        return len(queued)

    async def _run_batch(
        self, previous: asyncio.Task[None] | None, queued: list[_Delivery], passes: int
    ) -> None:
        if previous is not None:
            await asyncio.gather(previous, return_exceptions=True)
        missed: list[_Delivery] = []
        try:
            for round_ in range(passes):
                batch = queued if round_ == 0 else [_Delivery(d.event, d.lane) for d in queued]
                for delivery in batch:
                    await self._unpaused.wait()
                    # One attempt each, so that a dead receiver cannot hold up the whole batch.
                    if not await self._attempt(delivery):
                        missed.append(delivery)
        finally:
            # Misses go back to the front of their lanes, ahead of anything newer, and are retried there.
            for delivery in sorted(missed, key=lambda d: d.event.seq, reverse=True):
                self._lanes.setdefault(delivery.lane, deque()).appendleft(delivery)
                self._ensure_lane_task(delivery.lane)
            if self._batch is asyncio.current_task():
                self._batch = None
            if not self._paused and self._batch is None:
                self._open.set()

    # Delivery

    def _enqueue(self, delivery: _Delivery) -> None:
        self._lanes.setdefault(delivery.lane, deque()).append(delivery)
        self._ensure_lane_task(delivery.lane)

    def _ensure_lane_task(self, lane: str) -> None:
        # Before start and after stop, deliveries wait in their lanes.
        if self._running and lane not in self._lane_tasks:
            self._lane_tasks[lane] = asyncio.get_running_loop().create_task(self._drain(lane))

    async def _drain(self, key: str) -> None:
        lane = self._lanes[key]
        current: _Delivery | None = None
        backoff = self._config.retry_initial_backoff
        try:
            while lane:
                await self._open.wait()
                if not lane:
                    break
                delivery = lane[0]
                if delivery is not current:
                    current, backoff = delivery, self._config.retry_initial_backoff
                if await self._attempt(delivery) or self._expired(delivery):
                    # Not popleft: a resumed batch may have put a miss back in front meanwhile.
                    lane.remove(delivery)
                    continue
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, self._config.retry_max_backoff)
        finally:
            # No await since the loop's last check: nothing was appended in between.
            del self._lane_tasks[key]
            if not lane:
                self._lanes.pop(key, None)

    def _expired(self, delivery: _Delivery) -> bool:
        if delivery.deadline is not None and time.monotonic() >= delivery.deadline:
            _log.warning("psp.webhook_given_up", event_id=delivery.event.id, attempts=delivery.event.attempts)
            delivery.event.given_up = True
            return True
        return False

    async def _attempt(self, delivery: _Delivery) -> bool:
        client = self._client
        if client is None:
            raise RuntimeError("the webhook dispatcher is not started")
        event = delivery.event
        if delivery.deadline is None:
            delivery.deadline = time.monotonic() + self._config.retry_window
        delivery.in_flight = True
        outcome: str
        try:
            async with self._slots:
                event.attempts += 1
                # Signed at each attempt: the timestamp must be fresh for the receiver's tolerance window.
                headers = {
                    "Content-Type": "application/json",
                    SIGNATURE_HEADER: sign(self._secret, event.body),
                }
                response = await client.post(event.url, content=event.body, headers=headers)
        except (httpx.HTTPError, httpx.InvalidURL) as exc:
            outcome = type(exc).__name__
        else:
            if response.is_success:
                event.delivered = True
                return True
            outcome = f"HTTP {response.status_code}"
        finally:
            delivery.in_flight = False
        delivery.failures += 1
        # The first failure is news; the retries after it would flood the log of a long outage.
        log = _log.warning if delivery.failures == 1 else _log.debug
        log("psp.webhook_failed", event_id=event.id, attempt=event.attempts, outcome=outcome)
        return False
