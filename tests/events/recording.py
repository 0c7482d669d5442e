"""Handlers for the delivery tests: they write what they were given into a table of the test's own,
in the consumer's transaction, so a double delivery that got through would break its primary key."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from croupier.events.kinds import EventKind
from croupier.events.models import DomainEvent
from croupier.events.outbox import record_event
from croupier.kit.runtime import Runtime
from tests.sql import sql

CREATE = (
    "CREATE TABLE IF NOT EXISTS handled (consumer text NOT NULL, event_id bigint NOT NULL,"
    " player_id uuid, kind text NOT NULL, seq bigserial, PRIMARY KEY (consumer, event_id))"
)


async def prepare(runtime: Runtime) -> None:
    await sql(runtime, CREATE)


async def write(session: AsyncSession, consumer: str, event: DomainEvent) -> None:
    await session.execute(
        text("INSERT INTO handled (consumer, event_id, player_id, kind) VALUES (:c, :e, :p, :k)"),
        {"c": consumer, "e": event.id, "p": event.player_id, "k": event.kind},
    )


async def record(session: AsyncSession, event: DomainEvent) -> None:
    """A handler named in settings (``probe=tests.events.recording:record``) by the worker test."""
    await write(session, "probe", event)


async def handled(runtime: Runtime, consumer: str) -> list[tuple[int, uuid.UUID | None]]:
    """``(event_id, player_id)`` in the order the handler saw them."""
    rows = await sql(
        runtime, "SELECT event_id, player_id FROM handled WHERE consumer = :c ORDER BY seq", c=consumer
    )
    return [(int(r[0]), r[1]) for r in rows]


async def emit(runtime: Runtime, player_id: uuid.UUID | None, n: int = 1, **data: Any) -> list[int]:
    """``n`` bets of ``player_id``, each committed on its own; their ids."""
    ids = []
    for i in range(n):
        async with runtime.database.unit_of_work() as session:
            ids.append(
                await record_event(
                    session, EventKind.BET, player_id=player_id, data={"amount": i + 1, **data}
                )
            )
    return ids
