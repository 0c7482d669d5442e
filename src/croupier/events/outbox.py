"""Writing a domain event inside the transaction that makes the change.

The event is flushed with the change and commits or rolls back with it: no event
without its change, no change without its event. Delivery to consumers happens
after commit, from the table.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any

from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncSession

from croupier.events.kinds import EventKind
from croupier.events.models import DomainEvent
from croupier.kit.client import ClientInfo
from croupier.kit.jsonb import plain


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
    return event_id
