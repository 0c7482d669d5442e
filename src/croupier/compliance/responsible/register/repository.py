"""All register SQL."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from croupier.compliance.responsible.register.models import RegisterCheck


async def last_check(session: AsyncSession, player_id: uuid.UUID) -> RegisterCheck | None:
    return await session.scalar(select(RegisterCheck).where(RegisterCheck.player_id == player_id))


async def save_check(
    session: AsyncSession,
    *,
    player_id: uuid.UUID,
    answer: str,
    unique_id: str | None,
    trigger: str,
    at: datetime,
) -> None:
    values = {"answer": answer, "unique_id": unique_id, "trigger": trigger, "checked_at": at}
    await session.execute(
        insert(RegisterCheck)
        .values(player_id=player_id, **values)
        .on_conflict_do_update(index_elements=[RegisterCheck.player_id], set_=values)
    )
