"""All SQL of the events room: the outbox's writers and the consumers' reads and marks."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, select, text, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession

from croupier.events.kinds import EventKind
from croupier.events.models import DomainEvent, EventConsumer, EventCursor, EventReceipt
from croupier.kit.client import ClientInfo
from croupier.kit.db import execute_plain
from croupier.kit.jsonb import plain

# Any number of rows in one constant statement: the rows as one JSON document, in their order.
# One text parameter, where an array per column had psycopg walk every element in Python.
_INSERT_INTO = "INSERT INTO domain_events (kind, player_id, data, ip, user_agent, device_id)"
_ROWS = """
SELECT e.row ->> 'kind', (e.row ->> 'player_id')::uuid, e.row -> 'data',
       e.row ->> 'ip', e.row ->> 'user_agent', e.row ->> 'device_id'
FROM jsonb_array_elements(%(events)s::jsonb) WITH ORDINALITY AS e(row, n)
"""
INSERT_EVENTS = f"{_INSERT_INTO}{_ROWS}ORDER BY e.n"


def with_events(statement: str) -> str:
    """``statement`` (one INSERT or UPDATE ... RETURNING, named placeholders) and the insert of
    the events in its ``%(events)s`` parameter (``document``) as one statement: one round trip.

    The events are written only when the statement returns a row; the answer is its rows.
    Called at import time, on the statement constants of the rooms that write with events.
    """
    return f"WITH done AS ({statement.strip()}),\n{events_after('done')}\nSELECT * FROM done"  # nosec B608


def events_after(name: str) -> str:
    """The ``WITH`` entry (named ``events``) that inserts the events in ``%(events)s`` once the
    entry ``name`` before it has returned a row: for a room composing its own statement."""
    # Constants composed, no value: the values stay parameters.
    return f"events AS ({_INSERT_INTO}{_ROWS}WHERE EXISTS (SELECT FROM {name}) ORDER BY e.n)"  # nosec B608


@dataclass(frozen=True)
class NewEvent:
    kind: EventKind
    player_id: uuid.UUID | None
    data: dict[str, Any] = field(default_factory=dict)
    client: ClientInfo | None = None

    def row(self) -> dict[str, Any]:
        client = self.client
        return {
            "kind": str(self.kind),
            "player_id": None if self.player_id is None else str(self.player_id),
            "data": plain(self.data),
            "ip": client.ip if client else None,
            "user_agent": client.user_agent if client else None,
            "device_id": client.device_id if client else None,
        }


def document(events: Sequence[NewEvent]) -> str:
    """The ``%(events)s`` parameter of ``INSERT_EVENTS`` and ``with_events``."""
    return json.dumps([event.row() for event in events])


async def insert_many(session: AsyncSession, events: Sequence[NewEvent]) -> None:
    """Several events in one plain statement (a bet and its win: the hot path's one extra)."""
    if not events:
        return
    await execute_plain(session, INSERT_EVENTS, {"events": document(events)})


# Delivery -------------------------------------------------------------------------------

# The lane of events without a player (sign-in attempts for unknown addresses).
NO_PLAYER = uuid.UUID(int=0)

# "pending" in both statements below: a consumer's unprocessed events above its horizon, oldest
# first, outside lanes that back off. The horizon is read in the same statement as the receipts:
# moving the horizon prunes receipts in the same transaction, so one statement sees both before
# or both after. (Written out twice rather than composed: SQL is never built from strings here.)
_OPEN_LANES = """
WITH pending AS (
  SELECT coalesce(e.player_id, :no_player) AS player_key, e.id
  FROM domain_events AS e
  WHERE e.id > (SELECT h.horizon FROM event_consumers AS h WHERE h.name = :consumer)
    AND NOT EXISTS (
      SELECT 1 FROM event_receipts AS r WHERE r.consumer = :consumer AND r.event_id = e.id
    )
    AND NOT EXISTS (
      SELECT 1 FROM event_cursors AS c
      WHERE c.consumer = :consumer AND c.player_key = coalesce(e.player_id, :no_player)
        AND c.next_attempt_at > :now
    )
  ORDER BY e.id
  LIMIT :scan
)
INSERT INTO event_cursors (consumer, player_key)
SELECT DISTINCT :consumer, player_key FROM pending
ON CONFLICT DO NOTHING
"""
# Oldest pending event first: the outbox is worked through from its head, so the horizon can
# follow and the receipts above it stay few.
_LOCK_LANES = """
WITH pending AS (
  SELECT coalesce(e.player_id, :no_player) AS player_key, e.id
  FROM domain_events AS e
  WHERE e.id > (SELECT h.horizon FROM event_consumers AS h WHERE h.name = :consumer)
    AND NOT EXISTS (
      SELECT 1 FROM event_receipts AS r WHERE r.consumer = :consumer AND r.event_id = e.id
    )
    AND NOT EXISTS (
      SELECT 1 FROM event_cursors AS c
      WHERE c.consumer = :consumer AND c.player_key = coalesce(e.player_id, :no_player)
        AND c.next_attempt_at > :now
    )
  ORDER BY e.id
  LIMIT :scan
),
heads AS (SELECT player_key, min(id) AS head FROM pending GROUP BY player_key)
SELECT c.player_key FROM event_cursors AS c
JOIN heads AS h ON h.player_key = c.player_key
WHERE c.consumer = :consumer
  AND (c.next_attempt_at IS NULL OR c.next_attempt_at <= :now)
ORDER BY h.head
LIMIT :lanes
FOR UPDATE OF c SKIP LOCKED
"""


def _pending_params(consumer: str, scan: int, now: datetime) -> dict[str, Any]:
    return {"consumer": consumer, "scan": scan, "now": now, "no_player": NO_PLAYER}


async def ensure_consumer(session: AsyncSession, name: str) -> int:
    """The consumer's horizon, creating the consumer at 0 on first use."""
    await session.execute(
        pg_insert(EventConsumer).values(name=name).on_conflict_do_nothing(index_elements=["name"])
    )
    horizon: int = await session.scalar(select(EventConsumer.horizon).where(EventConsumer.name == name)) or 0
    return horizon


async def open_lanes(session: AsyncSession, consumer: str, *, scan: int, now: datetime) -> None:
    """A cursor row for every player with pending events (committed apart, so nobody waits on it)."""
    await session.execute(text(_OPEN_LANES), _pending_params(consumer, scan, now))


async def lock_lanes(
    session: AsyncSession, consumer: str, *, scan: int, lanes: int, now: datetime
) -> list[uuid.UUID]:
    """Lock the lanes of players with pending events that no other worker holds (``SKIP LOCKED``)."""
    params = {**_pending_params(consumer, scan, now), "lanes": lanes}
    return list((await session.scalars(text(_LOCK_LANES), params)).all())


async def pending_in_lanes(
    session: AsyncSession, consumer: str, *, lanes: Sequence[uuid.UUID], limit: int
) -> list[DomainEvent]:
    """The unprocessed events of the locked lanes, oldest first (read after the locks: fresh).

    Detached from the session: a handler reads them; nothing may write the outbox back.
    """
    horizon = select(EventConsumer.horizon).where(EventConsumer.name == consumer).scalar_subquery()
    received = select(EventReceipt.event_id).where(
        EventReceipt.consumer == consumer, EventReceipt.event_id == DomainEvent.id
    )
    stmt = (
        select(DomainEvent)
        .where(
            DomainEvent.id > horizon,
            func.coalesce(DomainEvent.player_id, NO_PLAYER).in_(list(lanes)),
            ~received.exists(),
        )
        .order_by(DomainEvent.id)
        .limit(limit)
    )
    events = list((await session.scalars(stmt)).all())
    for event in events:
        session.expunge(event)
    return events


async def lock_lane(session: AsyncSession, consumer: str, player_key: uuid.UUID) -> EventCursor:
    """One lane, created if new and locked until the transaction ends (waiting for its holder)."""
    await session.execute(
        pg_insert(EventCursor)
        .values(consumer=consumer, player_key=player_key)
        .on_conflict_do_nothing(index_elements=["consumer", "player_key"])
    )
    cursor = await session.scalar(
        select(EventCursor)
        .where(EventCursor.consumer == consumer, EventCursor.player_key == player_key)
        .with_for_update()
    )
    if cursor is None:  # pragma: no cover - inserted just above
        raise RuntimeError("broken invariant: the lane was just created")
    return cursor


async def received(session: AsyncSession, consumer: str, event_ids: Sequence[int]) -> set[int]:
    """Which of ``event_ids`` the consumer has a receipt for."""
    if not event_ids:
        return set()
    stmt = select(EventReceipt.event_id).where(
        EventReceipt.consumer == consumer, EventReceipt.event_id.in_(list(event_ids))
    )
    return set((await session.scalars(stmt)).all())


async def horizon_of(session: AsyncSession, consumer: str) -> int:
    found = await session.scalar(select(EventConsumer.horizon).where(EventConsumer.name == consumer))
    return int(found or 0)


async def mark_processed(session: AsyncSession, consumer: str, event_ids: Sequence[int]) -> None:
    if event_ids:
        await session.execute(
            pg_insert(EventReceipt)
            .values([{"consumer": consumer, "event_id": event_id} for event_id in event_ids])
            .on_conflict_do_nothing()
        )


async def advance_lanes(session: AsyncSession, consumer: str, last: Mapping[uuid.UUID, int]) -> None:
    """Each lane's newest processed event; a lane that moved is healthy again."""
    if not last:
        return
    await session.execute(
        text(
            "UPDATE event_cursors AS c SET last_event_id = v.last_id, failures = 0,"
            " next_attempt_at = NULL, last_error = NULL"
            " FROM unnest(CAST(:keys AS uuid[]), CAST(:ids AS bigint[])) AS v(player_key, last_id)"
            " WHERE c.consumer = :consumer AND c.player_key = v.player_key"
        ),
        {"consumer": consumer, "keys": list(last), "ids": list(last.values())},
    )


async def back_off(
    session: AsyncSession,
    consumer: str,
    player_key: uuid.UUID,
    *,
    error: str,
    now: datetime,
    first_seconds: float,
    longest_seconds: float,
) -> None:
    """Record a handler failure on the lane and pause it: ``first_seconds``, doubling, capped."""
    await session.execute(
        text(
            "UPDATE event_cursors SET failures = failures + 1, last_error = :error,"
            " next_attempt_at = CAST(:now AS timestamptz) + make_interval(secs =>"
            " least(:first * power(2, least(failures, 20)), :longest))"
            " WHERE consumer = :consumer AND player_key = :player_key"
        ),
        {
            "consumer": consumer,
            "player_key": player_key,
            "error": error,
            "now": now,
            "first": first_seconds,
            "longest": longest_seconds,
        },
    )


# The horizon ------------------------------------------------------------------------------


async def lock_consumer(session: AsyncSession, name: str) -> EventConsumer | None:
    """The consumer's row, unless another process is moving its horizon right now."""
    found: EventConsumer | None = await session.scalar(
        select(EventConsumer).where(EventConsumer.name == name).with_for_update(skip_locked=True)
    )
    return found


async def last_assigned_id(session: AsyncSession) -> int:
    """The highest event id handed out so far, committed or not (the sequence is not transactional)."""
    row = (
        await session.execute(
            text("SELECT CASE WHEN is_called THEN last_value ELSE 0 END FROM domain_events_id_seq")
        )
    ).one()
    return int(row[0])


async def snapshot_bounds(session: AsyncSession) -> tuple[int, int]:
    """``(xmin, xmax)`` of a fresh snapshot: the oldest transaction still running, the next to start."""
    row = (
        await session.execute(
            text(
                "SELECT pg_snapshot_xmin(s)::text::bigint, pg_snapshot_xmax(s)::text::bigint"
                " FROM pg_current_snapshot() AS s"
            )
        )
    ).one()
    return int(row[0]), int(row[1])


async def first_unprocessed(session: AsyncSession, consumer: str, *, above: int, upto: int) -> int | None:
    stmt = select(func.min(DomainEvent.id)).where(
        DomainEvent.id > above,
        DomainEvent.id <= upto,
        ~select(EventReceipt.event_id)
        .where(EventReceipt.consumer == consumer, EventReceipt.event_id == DomainEvent.id)
        .exists(),
    )
    found = await session.scalar(stmt)
    return None if found is None else int(found)


async def prune_receipts(session: AsyncSession, consumer: str, *, upto: int) -> None:
    await session.execute(
        delete(EventReceipt).where(EventReceipt.consumer == consumer, EventReceipt.event_id <= upto)
    )


async def lag(session: AsyncSession, consumer: str, *, horizon: int) -> tuple[int, datetime | None]:
    """Events the consumer has not processed yet, and when the oldest of them happened."""
    stmt = select(func.count(), func.min(DomainEvent.occurred_at)).where(
        DomainEvent.id > horizon,
        ~select(EventReceipt.event_id)
        .where(EventReceipt.consumer == consumer, EventReceipt.event_id == DomainEvent.id)
        .exists(),
    )
    count, oldest = (await session.execute(stmt)).one()
    return int(count), oldest


async def consumer_names(session: AsyncSession) -> list[str]:
    return list((await session.scalars(select(EventConsumer.name).order_by(EventConsumer.name))).all())


async def swap_lane_position(
    session: AsyncSession, consumer: str, player_key: uuid.UUID, event_id: int
) -> int | None:
    """Set a locked lane's newest event to ``event_id``; the one it had before (None for the first)."""
    row = (
        await session.execute(
            text(
                "UPDATE event_cursors AS c SET last_event_id = :event_id"
                " FROM (SELECT last_event_id FROM event_cursors"
                "       WHERE consumer = :consumer AND player_key = :player_key FOR UPDATE) AS before"
                " WHERE c.consumer = :consumer AND c.player_key = :player_key"
                " RETURNING before.last_event_id"
            ),
            {"consumer": consumer, "player_key": player_key, "event_id": event_id},
        )
    ).one_or_none()
    return None if row is None or row[0] is None else int(row[0])


async def events_by_ids(session: AsyncSession, ids: Iterable[int]) -> list[DomainEvent]:
    """The events with these ids, oldest first; ids that match nothing are left out."""
    wanted = sorted({int(i) for i in ids})
    if not wanted:
        return []
    rows = await session.scalars(
        select(DomainEvent).where(DomainEvent.id.in_(wanted)).order_by(DomainEvent.id)
    )
    return list(rows.all())


async def recent_of_player(
    session: AsyncSession, player_id: uuid.UUID, kind: EventKind, *, limit: int
) -> list[DomainEvent]:
    """The player's latest ``limit`` events of one kind, newest first (staff views read these)."""
    rows = await session.scalars(
        select(DomainEvent)
        .where(DomainEvent.player_id == player_id, DomainEvent.kind == str(kind))
        .order_by(DomainEvent.id.desc())
        .limit(limit)
    )
    return list(rows.all())


async def blank_client_details(session: AsyncSession, player_id: uuid.UUID) -> int:
    """Drop the network address, user agent and device id from the player's events (erasure)."""
    has_details = DomainEvent.ip.is_not(None) | DomainEvent.user_agent.is_not(None)
    result = await session.execute(
        update(DomainEvent)
        .where(DomainEvent.player_id == player_id, has_details | DomainEvent.device_id.is_not(None))
        .values(ip=None, user_agent=None, device_id=None)
    )
    return int(result.rowcount)  # type: ignore[attr-defined]
