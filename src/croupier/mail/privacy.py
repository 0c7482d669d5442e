"""The mail outbox's part in privacy requests: erasure and retention."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from croupier.mail import repository


async def erase(session: AsyncSession, player_id: uuid.UUID) -> dict[str, int]:
    # Sealed under the destroyed key already; deleted so nothing is left to relay.
    return {"mail_outbox": await repository.delete_for_player(session, player_id)}


async def delete_delivered_before(session: AsyncSession, cutoff: datetime) -> int:
    return await repository.delete_sent_before(session, cutoff)
