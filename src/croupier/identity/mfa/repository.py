"""All SQL of the second factors: TOTP secrets, recovery codes, passkeys, ceremony challenges, MFA tickets.

Single-use things (recovery codes, challenges, tickets) are spent with one
conditional ``UPDATE … RETURNING``, so two concurrent requests cannot both
spend the same one.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from datetime import datetime

from sqlalchemy import delete, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import undefer

from croupier.identity.models import MfaTicket, Passkey, Player, RecoveryCode, WebAuthnChallenge

# Players --------------------------------------------------------------------------


async def lock_player_secrets(session: AsyncSession, player_id: uuid.UUID) -> Player | None:
    """The player row locked, with its TOTP columns loaded fresh from the database.

    ``populate_existing``: the player is usually already in the session from an
    unlocked read; without it a concurrent request's newer ``totp_last_step``
    would be hidden behind the stale copy and a code could be used twice.
    ``FOR NO KEY UPDATE`` (``key_share``) still lets the autonomous bookkeeping
    transactions insert rows that reference the player while this one waits on
    them; a plain ``FOR UPDATE`` would deadlock against them.
    """
    stmt = (
        select(Player)
        .where(Player.id == player_id)
        .options(
            undefer(Player.password_hash), undefer(Player.totp_secret_enc), undefer(Player.totp_pending_enc)
        )
        .with_for_update(key_share=True)
        .execution_options(populate_existing=True)
    )
    return await session.scalar(stmt)


# Recovery codes ----------------------------------------------------------------------


async def replace_recovery_codes(
    session: AsyncSession, player_id: uuid.UUID, code_hashes: Iterable[bytes], *, now: datetime
) -> None:
    await session.execute(delete(RecoveryCode).where(RecoveryCode.player_id == player_id))
    session.add_all(
        RecoveryCode(player_id=player_id, code_hash=digest, created_at=now) for digest in code_hashes
    )
    await session.flush()


async def delete_recovery_codes(session: AsyncSession, player_id: uuid.UUID) -> None:
    await session.execute(delete(RecoveryCode).where(RecoveryCode.player_id == player_id))


async def spend_recovery_code(
    session: AsyncSession, player_id: uuid.UUID, code_hash: bytes, *, now: datetime
) -> bool:
    stmt = (
        update(RecoveryCode)
        .where(
            RecoveryCode.player_id == player_id,
            RecoveryCode.code_hash == code_hash,
            RecoveryCode.used_at.is_(None),
        )
        .values(used_at=now)
        .returning(RecoveryCode.id)
    )
    return (await session.execute(stmt)).scalar_one_or_none() is not None


# Passkeys ------------------------------------------------------------------------------


async def list_passkeys(session: AsyncSession, player_id: uuid.UUID) -> Sequence[Passkey]:
    stmt = select(Passkey).where(Passkey.player_id == player_id).order_by(Passkey.created_at, Passkey.id)
    return (await session.scalars(stmt)).all()


async def add_passkey(
    session: AsyncSession,
    *,
    player_id: uuid.UUID,
    credential_id: bytes,
    public_key: bytes,
    sign_count: int,
    transports: list[str],
    name: str,
    now: datetime,
) -> Passkey | None:
    """Insert unless the credential is already registered (to anyone); None when it was."""
    stmt = (
        insert(Passkey)
        .values(
            id=uuid.uuid4(),
            player_id=player_id,
            credential_id=credential_id,
            public_key=public_key,
            sign_count=sign_count,
            transports=transports,
            name=name,
            created_at=now,
        )
        .on_conflict_do_nothing(index_elements=[Passkey.credential_id])
        .returning(Passkey)
    )
    return await session.scalar(stmt)


async def get_passkey(session: AsyncSession, passkey_id: uuid.UUID) -> Passkey | None:
    return await session.get(Passkey, passkey_id)


async def lock_passkey_by_credential(
    session: AsyncSession, player_id: uuid.UUID, credential_id: bytes
) -> Passkey | None:
    stmt = (
        select(Passkey)
        .where(Passkey.player_id == player_id, Passkey.credential_id == credential_id)
        .with_for_update(key_share=True)
        .execution_options(populate_existing=True)
    )
    return await session.scalar(stmt)


async def delete_passkey(session: AsyncSession, passkey_id: uuid.UUID) -> None:
    await session.execute(delete(Passkey).where(Passkey.id == passkey_id))


# WebAuthn challenges ---------------------------------------------------------------------


def add_challenge(session: AsyncSession, challenge: WebAuthnChallenge) -> None:
    session.add(challenge)


async def spend_challenge(
    session: AsyncSession, player_id: uuid.UUID, purpose: str, challenge: bytes, *, now: datetime
) -> bool:
    stmt = (
        update(WebAuthnChallenge)
        .where(
            WebAuthnChallenge.player_id == player_id,
            WebAuthnChallenge.purpose == purpose,
            WebAuthnChallenge.challenge == challenge,
            WebAuthnChallenge.used_at.is_(None),
            WebAuthnChallenge.expires_at > now,
        )
        .values(used_at=now)
        .returning(WebAuthnChallenge.id)
    )
    return (await session.execute(stmt)).scalar_one_or_none() is not None


async def delete_stale_challenges(session: AsyncSession, player_id: uuid.UUID, *, now: datetime) -> None:
    """Drop the player's spent and expired challenges, so the table stays small."""
    await session.execute(
        delete(WebAuthnChallenge).where(
            WebAuthnChallenge.player_id == player_id,
            (WebAuthnChallenge.used_at.is_not(None)) | (WebAuthnChallenge.expires_at <= now),
        )
    )


# MFA tickets -------------------------------------------------------------------------------


async def ticket_by_token_hash(session: AsyncSession, token_hash: bytes) -> MfaTicket | None:
    return await session.scalar(select(MfaTicket).where(MfaTicket.token_hash == token_hash))


async def count_ticket_failure(session: AsyncSession, ticket_id: uuid.UUID) -> int:
    stmt = (
        update(MfaTicket)
        .where(MfaTicket.id == ticket_id)
        .values(failed_attempts=MfaTicket.failed_attempts + 1)
        .returning(MfaTicket.failed_attempts)
    )
    return int((await session.execute(stmt)).scalar_one())


async def spend_ticket(
    session: AsyncSession, ticket_id: uuid.UUID, *, now: datetime, max_failures: int
) -> bool:
    stmt = (
        update(MfaTicket)
        .where(
            MfaTicket.id == ticket_id,
            MfaTicket.used_at.is_(None),
            MfaTicket.expires_at > now,
            MfaTicket.failed_attempts < max_failures,
        )
        .values(used_at=now)
        .returning(MfaTicket.id)
    )
    return (await session.execute(stmt)).scalar_one_or_none() is not None
