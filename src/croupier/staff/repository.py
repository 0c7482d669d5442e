"""All SQL of staff accounts, their invitations and their sessions.

(Keys and roles keep theirs in ``service.py`` and ``roles.py`` for now.)
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import undefer

from croupier.staff.models import StaffAccount, StaffInvitation, StaffSession


async def account_by_email(session: AsyncSession, email: str) -> StaffAccount | None:
    return await session.scalar(
        select(StaffAccount).where(StaffAccount.email == email).options(undefer(StaffAccount.password_hash))
    )


async def lock_account(session: AsyncSession, account_id: uuid.UUID) -> StaffAccount | None:
    """The account row locked, its secrets loaded: concurrent changes (a TOTP step, a
    grant, a disablement) then apply one after the other."""
    return await session.scalar(
        select(StaffAccount)
        .where(StaffAccount.id == account_id)
        .options(
            undefer(StaffAccount.password_hash),
            undefer(StaffAccount.totp_secret_enc),
            undefer(StaffAccount.totp_pending_enc),
        )
        .with_for_update()
        .execution_options(populate_existing=True)
    )


async def accounts(session: AsyncSession) -> Sequence[StaffAccount]:
    return (
        await session.scalars(
            select(StaffAccount).order_by(StaffAccount.email).options(undefer(StaffAccount.password_hash))
        )
    ).all()


async def insert_account(
    session: AsyncSession, *, account_id: uuid.UUID, email: str, display_name: str, roles: list[str], by: str
) -> bool:
    """Create the account unless the email has one (a concurrent invitation included)."""
    created = await session.scalar(
        insert(StaffAccount)
        .values(id=account_id, email=email, display_name=display_name, roles=roles, invited_by=by)
        .on_conflict_do_nothing(index_elements=[StaffAccount.email])
        .returning(StaffAccount.id)
    )
    return created is not None


def add(session: AsyncSession, row: StaffInvitation | StaffSession) -> None:
    session.add(row)


async def spend_invitation(session: AsyncSession, token_hash: bytes, *, now: datetime) -> uuid.UUID | None:
    """Mark an unused, unexpired invitation used; its account, or None. Atomic: used once."""
    return await session.scalar(
        update(StaffInvitation)
        .where(
            StaffInvitation.token_hash == token_hash,
            StaffInvitation.used_at.is_(None),
            StaffInvitation.expires_at > now,
        )
        .values(used_at=now)
        .returning(StaffInvitation.account_id)
    )


async def void_invitations(session: AsyncSession, account_id: uuid.UUID, *, now: datetime) -> None:
    """Older links of an account stop working when a new one is issued."""
    await session.execute(
        update(StaffInvitation)
        .where(StaffInvitation.account_id == account_id, StaffInvitation.used_at.is_(None))
        .values(used_at=now)
    )


async def session_and_account(
    session: AsyncSession, token_hash: bytes
) -> tuple[StaffSession, StaffAccount] | None:
    """A session by its token's hash, with its account: one query per staff request."""
    row = (
        await session.execute(
            select(StaffSession, StaffAccount)
            .join(StaffAccount, StaffAccount.id == StaffSession.account_id)
            .where(StaffSession.token_hash == token_hash)
        )
    ).first()
    return None if row is None else (row[0], row[1])


async def end_sessions(session: AsyncSession, account_id: uuid.UUID, *, now: datetime, reason: str) -> int:
    ended = await session.execute(
        update(StaffSession)
        .where(StaffSession.account_id == account_id, StaffSession.revoked_at.is_(None))
        .values(revoked_at=now, revoked_reason=reason)
        .returning(StaffSession.id)
    )
    return len(ended.all())


async def lock_sealed_secrets(session: AsyncSession) -> Sequence[StaffAccount]:
    """Every account with a TOTP secret (enrolled or pending), locked, secrets loaded."""
    return (
        await session.scalars(
            select(StaffAccount)
            .where((StaffAccount.totp_secret_enc.is_not(None)) | (StaffAccount.totp_pending_enc.is_not(None)))
            .options(undefer(StaffAccount.totp_secret_enc), undefer(StaffAccount.totp_pending_enc))
            .order_by(StaffAccount.id)
            .with_for_update()
        )
    ).all()
