"""SQL for account changes: password resets, email verification links, and players locked for a change."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import undefer

from croupier.identity.models import EmailVerification, PasswordReset, Player


async def lock_player(session: AsyncSession, player_id: uuid.UUID) -> Player | None:
    """The player row, locked, with its password hash: concurrent changes queue behind each other."""
    stmt = (
        select(Player)
        .where(Player.id == player_id)
        .options(undefer(Player.password_hash))
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    return await session.scalar(stmt)


def add_reset(session: AsyncSession, reset: PasswordReset) -> None:
    session.add(reset)


async def reset_by_token_hash(session: AsyncSession, token_hash: bytes) -> PasswordReset | None:
    # Locked so that two confirmations of one token cannot both succeed.
    stmt = select(PasswordReset).where(PasswordReset.token_hash == token_hash).with_for_update()
    return await session.scalar(stmt)


async def retire_resets(session: AsyncSession, player_id: uuid.UUID, *, now: datetime, reason: str) -> int:
    """Close every unused reset of the player, so that only the newest link (or none) works."""
    stmt = (
        update(PasswordReset)
        .where(PasswordReset.player_id == player_id, PasswordReset.used_at.is_(None))
        .values(used_at=now, details={"retired": reason})
    )
    result = await session.execute(stmt)
    return int(result.rowcount)  # type: ignore[attr-defined]


async def resets_since(session: AsyncSession, player_id: uuid.UUID, since: datetime) -> int:
    stmt = select(func.count()).where(PasswordReset.player_id == player_id, PasswordReset.created_at >= since)
    return int(await session.scalar(stmt) or 0)


# Email verification links -----------------------------------------------------------------


def add_verification(session: AsyncSession, verification: EmailVerification) -> None:
    session.add(verification)


async def verification_by_token_hash(session: AsyncSession, token_hash: bytes) -> EmailVerification | None:
    # Locked so that two uses of one link cannot both succeed.
    stmt = select(EmailVerification).where(EmailVerification.token_hash == token_hash).with_for_update()
    return await session.scalar(stmt)


async def retire_verifications(
    session: AsyncSession, player_id: uuid.UUID, purpose: str, *, now: datetime
) -> int:
    """Close the player's unused links of one purpose, so that only the newest works."""
    stmt = (
        update(EmailVerification)
        .where(
            EmailVerification.player_id == player_id,
            EmailVerification.purpose == purpose,
            EmailVerification.used_at.is_(None),
        )
        .values(used_at=now)
    )
    result = await session.execute(stmt)
    return int(result.rowcount)  # type: ignore[attr-defined]


async def verifications_since(
    session: AsyncSession, player_id: uuid.UUID, purpose: str, since: datetime
) -> int:
    stmt = select(func.count()).where(
        EmailVerification.player_id == player_id,
        EmailVerification.purpose == purpose,
        EmailVerification.created_at >= since,
    )
    return int(await session.scalar(stmt) or 0)
