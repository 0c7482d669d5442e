"""All mail SQL."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import delete, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from croupier.mail.models import OutgoingMail


def add(session: AsyncSession, mail: OutgoingMail) -> None:
    session.add(mail)


async def claim_next_due(session: AsyncSession, *, now: datetime, max_attempts: int) -> OutgoingMail | None:
    """Lock the oldest message that is due, skipping rows another relay holds.

    ``SKIP LOCKED`` lets any number of processes relay the same outbox: each
    takes a different row, and a row is locked until its sender commits.
    """
    stmt = (
        select(OutgoingMail)
        .where(
            OutgoingMail.sent_at.is_(None),
            OutgoingMail.attempts < max_attempts,
            or_(OutgoingMail.next_attempt_at.is_(None), OutgoingMail.next_attempt_at <= now),
        )
        .order_by(OutgoingMail.created_at)
        .limit(1)
        .with_for_update(skip_locked=True)
    )
    return await session.scalar(stmt)


async def counts(session: AsyncSession, *, max_attempts: int) -> tuple[int, int]:
    """(waiting to be sent, given up) among unsent messages."""
    given_up = OutgoingMail.attempts >= max_attempts
    stmt = select(
        func.count().filter(~given_up),
        func.count().filter(given_up),
    ).where(OutgoingMail.sent_at.is_(None))
    waiting, failed = (await session.execute(stmt)).one()
    return int(waiting), int(failed)


async def oldest_waiting(session: AsyncSession, *, max_attempts: int) -> datetime | None:
    """When the oldest message still to be sent (not given up on) was queued; None when none waits."""
    stmt = select(func.min(OutgoingMail.created_at)).where(
        OutgoingMail.sent_at.is_(None), OutgoingMail.attempts < max_attempts
    )
    return await session.scalar(stmt)


async def delete_for_player(session: AsyncSession, player_id: uuid.UUID) -> int:
    """Every message to the player, sent or not (erasure)."""
    result = await session.execute(delete(OutgoingMail).where(OutgoingMail.player_id == player_id))
    return int(result.rowcount)  # type: ignore[attr-defined]


async def delete_sent_before(session: AsyncSession, cutoff: datetime) -> int:
    """Delivered messages older than ``cutoff`` (retention)."""
    result = await session.execute(delete(OutgoingMail).where(OutgoingMail.sent_at < cutoff))
    return int(result.rowcount)  # type: ignore[attr-defined]
