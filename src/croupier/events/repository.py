"""All SQL of the events domain that is not the outbox write itself."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from croupier.events.models import DomainEvent


async def events_by_ids(session: AsyncSession, ids: Iterable[int]) -> list[DomainEvent]:
    """The events with these ids, oldest first; ids that match nothing are left out."""
    wanted = sorted({int(i) for i in ids})
    if not wanted:
        return []
    rows = await session.scalars(
        select(DomainEvent).where(DomainEvent.id.in_(wanted)).order_by(DomainEvent.id)
    )
    return list(rows.all())
