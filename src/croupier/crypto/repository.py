from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from croupier.crypto.models import PlayerDataKey


async def get(session: AsyncSession, player_id: uuid.UUID) -> PlayerDataKey | None:
    return await session.get(PlayerDataKey, player_id)


def add(session: AsyncSession, key: PlayerDataKey) -> None:
    session.add(key)


async def lock_stale_batch(session: AsyncSession, *, current: int, limit: int) -> Sequence[PlayerDataKey]:
    """Keys wrapped under an older KEK, locked; skips rows another rewrap holds."""
    stmt = (
        select(PlayerDataKey)
        .where(PlayerDataKey.kek_version != current, PlayerDataKey.wrapped.is_not(None))
        .order_by(PlayerDataKey.player_id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    return (await session.scalars(stmt)).all()


async def count_by_kek_version(session: AsyncSession) -> dict[int, int]:
    stmt = (
        select(PlayerDataKey.kek_version, func.count())
        .where(PlayerDataKey.wrapped.is_not(None))
        .group_by(PlayerDataKey.kek_version)
    )
    return {int(v): int(n) for v, n in (await session.execute(stmt)).all()}


async def destroy(session: AsyncSession, player_id: uuid.UUID, *, now: datetime) -> bool:
    """Forget the wrapped key for good; False if it was already gone."""
    result = await session.execute(
        update(PlayerDataKey)
        .where(PlayerDataKey.player_id == player_id, PlayerDataKey.wrapped.is_not(None))
        .values(wrapped=None, destroyed_at=now)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]
