"""All exclusions SQL."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from croupier.compliance.responsible.exclusions.models import Exclusion, ExclusionKind


async def add(session: AsyncSession, exclusion: Exclusion) -> None:
    session.add(exclusion)
    await session.flush()


async def in_force(session: AsyncSession, player_id: uuid.UUID, now: datetime) -> Sequence[Exclusion]:
    """The player's exclusions that still block gambling at ``now``, oldest first."""
    stmt = (
        select(Exclusion)
        .where(Exclusion.player_id == player_id, Exclusion.blocks_until > now)
        .order_by(Exclusion.started_at, Exclusion.id)
    )
    return (await session.scalars(stmt)).all()


async def latest_block(session: AsyncSession, player_id: uuid.UUID, now: datetime) -> datetime | None:
    """The latest end among the player's exclusions still in force at ``now`` (None: none is)."""
    return await session.scalar(
        select(func.max(Exclusion.blocks_until)).where(
            Exclusion.player_id == player_id, Exclusion.blocks_until > now
        )
    )


async def open_register_block(session: AsyncSession, player_id: uuid.UUID, now: datetime) -> Exclusion | None:
    stmt = select(Exclusion).where(
        Exclusion.player_id == player_id,
        Exclusion.kind == ExclusionKind.REGISTER,
        Exclusion.blocks_until > now,
    )
    return await session.scalar(stmt)


async def lift(
    session: AsyncSession,
    exclusion_ids: Sequence[uuid.UUID],
    *,
    blocks_until: datetime,
    return_requested_at: datetime | None = None,
) -> None:
    values: dict[str, datetime] = {"blocks_until": blocks_until}
    if return_requested_at is not None:
        values["return_requested_at"] = return_requested_at
    await session.execute(update(Exclusion).where(Exclusion.id.in_(exclusion_ids)).values(**values))


async def changed_between(session: AsyncSession, start: datetime, end: datetime) -> Sequence[Exclusion]:
    """Exclusions that started, or whose player asked to return, in ``[start, end)`` (for the rg report)."""
    stmt = (
        select(Exclusion)
        .where(
            ((Exclusion.started_at >= start) & (Exclusion.started_at < end))
            | ((Exclusion.return_requested_at >= start) & (Exclusion.return_requested_at < end))
        )
        .order_by(Exclusion.started_at, Exclusion.id)
    )
    return (await session.scalars(stmt)).all()


async def all_of(session: AsyncSession, player_id: uuid.UUID) -> Sequence[Exclusion]:
    """Every exclusion the player has had, oldest first (a data export)."""
    stmt = (
        select(Exclusion).where(Exclusion.player_id == player_id).order_by(Exclusion.started_at, Exclusion.id)
    )
    return (await session.scalars(stmt)).all()
