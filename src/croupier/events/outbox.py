"""Writing a domain event inside the transaction that makes the change.

The event is flushed with the change and commits or rolls back with it: no event
without its change, no change without its event. Delivery to consumers happens
after commit, from the table: a commit that wrote events calls the wake-up the
process's event signal leaves in ``Database.shared`` under ``WAKE_KEY`` (see
``croupier.events.signal``), and consumers elsewhere poll as a fallback.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncSession

from croupier.events import repository
from croupier.events.kinds import EventKind
from croupier.events.models import DomainEvent
from croupier.events.repository import NewEvent, events_after, with_events
from croupier.kit.client import ClientInfo
from croupier.kit.db import after_commit, shared_context
from croupier.kit.jsonb import plain

WAKE_KEY = "events.wake"

__all__ = [
    "WAKE_KEY",
    "NewEvent",
    "alongside",
    "events_after",
    "record_event",
    "record_events",
    "with_events",
]


async def record_event(
    session: AsyncSession,
    kind: EventKind,
    *,
    player_id: uuid.UUID | None,
    data: Mapping[str, Any] | None = None,
    client: ClientInfo | None = None,
) -> int:
    """Append an event to the outbox in ``session``'s transaction; returns its id.

    ``data`` holds what consumers need (amounts in minor units, currency,
    references), never secrets or card numbers.
    """
    event_id: int = (
        await session.execute(
            insert(DomainEvent)
            .values(
                kind=str(kind),
                player_id=player_id,
                data=plain(dict(data or {})),
                ip=client.ip if client else None,
                user_agent=client.user_agent if client else None,
                device_id=client.device_id if client else None,
            )
            .returning(DomainEvent.id)
        )
    ).scalar_one()
    wake_after_commit(session)
    return event_id


async def record_events(session: AsyncSession, events: Sequence[NewEvent]) -> None:
    """Append several events in one statement (a bet and its win), in the order given."""
    if events:
        await repository.insert_many(session, events)
        wake_after_commit(session)


def alongside(session: AsyncSession, events: Sequence[NewEvent]) -> str:
    """The ``%(events)s`` parameter of a statement made by ``repository.with_events``: ``events``
    are written by that statement, and delivered once its transaction commits."""
    if events:
        wake_after_commit(session)
    return repository.document(events)


def wake_after_commit(session: AsyncSession) -> None:
    """Once the transaction commits, wake whatever delivers events in this process."""
    shared = shared_context(session)

    async def wake() -> None:
        signal: Callable[[], None] | None = shared.get(WAKE_KEY)
        if signal is not None:
            signal()

    after_commit(session, WAKE_KEY, wake)
