"""Reading the outbox as a consumer would: a player's events, oldest first."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import select

from croupier.events.models import DomainEvent
from croupier.kit.runtime import Runtime


async def events_of(runtime: Runtime, player_id: uuid.UUID | str | None, *kinds: str) -> list[DomainEvent]:
    """The player's events (or the anonymous ones, for None), oldest first, of ``kinds`` if given."""
    async with runtime.database.unit_of_work() as session:
        stmt = select(DomainEvent).order_by(DomainEvent.id)
        if player_id is None:
            stmt = stmt.where(DomainEvent.player_id.is_(None))
        else:
            stmt = stmt.where(DomainEvent.player_id == uuid.UUID(str(player_id)))
        if kinds:
            stmt = stmt.where(DomainEvent.kind.in_(kinds))
        return list((await session.scalars(stmt)).all())


def kinds(events: list[DomainEvent]) -> list[str]:
    return [event.kind for event in events]


def data(events: list[DomainEvent]) -> list[dict[str, Any]]:
    return [event.data for event in events]
