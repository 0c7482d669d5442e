"""The domain events' part in an erasure: what they say stays (the risk engine's and the AML
record), how to reach the device that sent them goes."""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from croupier.events import repository


async def erase(session: AsyncSession, player_id: uuid.UUID) -> dict[str, int]:
    return {"domain_events_blanked": await repository.blank_client_details(session, player_id)}
