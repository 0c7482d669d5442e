"""All identity SQL."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from sqlalchemy import Boolean, delete, func, literal_column, select, text, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import undefer

from croupier.identity.models import (
    EmailVerification,
    KnownDevice,
    MfaTicket,
    Passkey,
    PasswordReset,
    Player,
    PlayerSession,
    RecoveryCode,
    SignInGuard,
    WebAuthnChallenge,
)
from croupier.kit.days import day_params, local_day
from croupier.kit.db import execute_plain


async def email_taken(session: AsyncSession, email_index: bytes) -> bool:
    found = await session.scalar(select(Player.id).where(Player.email_index == email_index))
    return found is not None


async def player_by_email_index(session: AsyncSession, email_index: bytes) -> Player | None:
    stmt = select(Player).where(Player.email_index == email_index).options(undefer(Player.password_hash))
    return await session.scalar(stmt)


async def get_player(
    session: AsyncSession, player_id: uuid.UUID, *, for_update: bool = False
) -> Player | None:
    stmt = select(Player).where(Player.id == player_id)
    if for_update:
        stmt = stmt.with_for_update()
    return await session.scalar(stmt)


async def get_player_with_secrets(session: AsyncSession, player_id: uuid.UUID) -> Player | None:
    stmt = (
        select(Player)
        .where(Player.id == player_id)
        .options(
            undefer(Player.password_hash), undefer(Player.totp_secret_enc), undefer(Player.totp_pending_enc)
        )
        .with_for_update()
    )
    return await session.scalar(stmt)


async def gambling_blocked_until(
    session: AsyncSession, player_id: uuid.UUID, *, lock: bool = False
) -> tuple[bool, datetime | None]:
    """``(player exists, until when gambling is blocked)``."""
    stmt = select(Player.gambling_blocked_until).where(Player.id == player_id)
    if lock:
        stmt = stmt.with_for_update()
    row = (await session.execute(stmt)).first()
    return (False, None) if row is None else (True, row[0])


async def set_gambling_blocked_until(
    session: AsyncSession, player_id: uuid.UUID, until: datetime | None
) -> None:
    await session.execute(update(Player).where(Player.id == player_id).values(gambling_blocked_until=until))


# Sign-in guards -------------------------------------------------------------


async def guard_locked_until(session: AsyncSession, email_index: bytes) -> datetime | None:
    return await session.scalar(
        select(SignInGuard.locked_until).where(SignInGuard.email_index == email_index)
    )


async def count_failure(
    session: AsyncSession, email_index: bytes, *, now: datetime, threshold: int, lock_for: timedelta
) -> bool:
    """Add one failure atomically; True when this failure locks the address."""
    upsert = (
        insert(SignInGuard)
        .values(email_index=email_index, failures=1, updated_at=now)
        .on_conflict_do_update(
            index_elements=[SignInGuard.email_index],
            set_={"failures": SignInGuard.failures + 1, "updated_at": now},
        )
        .returning(SignInGuard.failures)
    )
    failures = int((await session.execute(upsert)).scalar_one())
    if failures < threshold:
        return False
    await session.execute(
        update(SignInGuard)
        .where(SignInGuard.email_index == email_index)
        .values(failures=0, locked_until=now + lock_for)
    )
    return True


async def clear_guard(session: AsyncSession, email_index: bytes) -> None:
    await session.execute(delete(SignInGuard).where(SignInGuard.email_index == email_index))


# Sessions -------------------------------------------------------------------


async def session_and_player(session: AsyncSession, token_hash: bytes) -> tuple[PlayerSession, Player] | None:
    """A session by its token's hash, with its player: one query on every authenticated request."""
    row = (
        await session.execute(
            select(PlayerSession, Player)
            .join(Player, Player.id == PlayerSession.player_id)
            .where(PlayerSession.token_hash == token_hash)
        )
    ).first()
    return None if row is None else (row[0], row[1])


@dataclass(frozen=True)
class SessionPrincipalRow:
    session_id: uuid.UUID
    player_id: uuid.UUID
    revoked_at: datetime | None
    expires_at: datetime
    last_seen_at: datetime
    status: str  # the player's
    created_at: datetime  # when the player signed in
    gambling_blocked_until: datetime | None  # the player's

    @classmethod
    def of(cls, found: PlayerSession, player: Player) -> SessionPrincipalRow:
        """The same values from ``session_and_player``'s ORM objects."""
        return cls(
            found.id,
            found.player_id,
            found.revoked_at,
            found.expires_at,
            found.last_seen_at,
            player.status,
            found.created_at,
            player.gambling_blocked_until,
        )


_SESSION_PRINCIPAL = (
    "SELECT s.id, s.player_id, s.revoked_at, s.expires_at, s.last_seen_at, p.status, s.created_at,"
    " p.gambling_blocked_until"
    " FROM player_sessions AS s JOIN players AS p ON p.id = s.player_id WHERE s.token_hash = %s"
)


async def session_principal(session: AsyncSession, token_hash: bytes) -> SessionPrincipalRow | None:
    """What ``session_and_player`` reads, as plain values (no ORM objects), in one plain statement."""
    row = await (await execute_plain(session, _SESSION_PRINCIPAL, (token_hash,))).fetchone()
    return None if row is None else SessionPrincipalRow(*row)


async def active_sessions(
    session: AsyncSession, player_id: uuid.UUID, now: datetime
) -> Sequence[PlayerSession]:
    stmt = (
        select(PlayerSession)
        .where(
            PlayerSession.player_id == player_id,
            PlayerSession.revoked_at.is_(None),
            PlayerSession.expires_at > now,
        )
        .order_by(PlayerSession.created_at.desc())
    )
    return (await session.scalars(stmt)).all()


async def get_session(session: AsyncSession, session_id: uuid.UUID) -> PlayerSession | None:
    return await session.get(PlayerSession, session_id)


async def touch_session(session: AsyncSession, session_id: uuid.UUID, now: datetime) -> None:
    await session.execute(
        update(PlayerSession).where(PlayerSession.id == session_id).values(last_seen_at=now)
    )


async def revoke_sessions(
    session: AsyncSession,
    player_id: uuid.UUID,
    *,
    now: datetime,
    reason: str,
    keep: uuid.UUID | None = None,
) -> int:
    stmt = (
        update(PlayerSession)
        .where(PlayerSession.player_id == player_id, PlayerSession.revoked_at.is_(None))
        .values(revoked_at=now, revoked_reason=reason)
    )
    if keep is not None:
        stmt = stmt.where(PlayerSession.id != keep)
    result = await session.execute(stmt)
    return int(result.rowcount)  # type: ignore[attr-defined]


# Second factors ----------------------------------------------------------------


async def passkey_count(session: AsyncSession, player_id: uuid.UUID) -> int:
    return int(await session.scalar(select(func.count()).where(Passkey.player_id == player_id)) or 0)


async def unused_recovery_codes(session: AsyncSession, player_id: uuid.UUID) -> int:
    stmt = select(func.count()).where(RecoveryCode.player_id == player_id, RecoveryCode.used_at.is_(None))
    return int(await session.scalar(stmt) or 0)


# Known devices -------------------------------------------------------------------


async def remember_device(
    session: AsyncSession, player_id: uuid.UUID, device_hash: bytes, *, now: datetime
) -> bool:
    """Record a sign-in from the device; True when it is new and the player had signed in from another.

    ``xmax = 0`` tells an inserted row from an updated one in PostgreSQL's ``RETURNING``.
    """
    upsert = (
        insert(KnownDevice)
        .values(player_id=player_id, device_hash=device_hash, first_seen_at=now, last_seen_at=now)
        .on_conflict_do_update(
            index_elements=[KnownDevice.player_id, KnownDevice.device_hash], set_={"last_seen_at": now}
        )
        .returning(literal_column("xmax = 0", Boolean))
    )
    inserted = bool((await session.execute(upsert)).scalar_one())
    if not inserted:
        return False
    others = select(func.count()).where(
        KnownDevice.player_id == player_id, KnownDevice.device_hash != device_hash
    )
    return int(await session.scalar(others) or 0) > 0


async def players_after(session: AsyncSession, after: uuid.UUID | None, limit: int) -> Sequence[Player]:
    """Players in id order after ``after``: a keyset page for a walk over every player."""
    stmt = select(Player).order_by(Player.id).limit(limit)
    if after is not None:
        stmt = stmt.where(Player.id > after)
    return (await session.scalars(stmt)).all()


# Privacy: what is held about a player, and erasing it ----------------------------


async def sessions_of(session: AsyncSession, player_id: uuid.UUID) -> Sequence[PlayerSession]:
    """Every session row the player has, newest first (expired and revoked ones included)."""
    stmt = select(PlayerSession).where(PlayerSession.player_id == player_id)
    return (await session.scalars(stmt.order_by(PlayerSession.created_at.desc()))).all()


async def known_devices_of(session: AsyncSession, player_id: uuid.UUID) -> Sequence[KnownDevice]:
    stmt = select(KnownDevice).where(KnownDevice.player_id == player_id)
    return (await session.scalars(stmt.order_by(KnownDevice.first_seen_at))).all()


async def delete_sessions_ended_before(session: AsyncSession, cutoff: datetime) -> int:
    """Session rows that expired or were revoked before ``cutoff`` (retention)."""
    ended = (PlayerSession.expires_at < cutoff) | (PlayerSession.revoked_at < cutoff)
    result = await session.execute(delete(PlayerSession).where(ended))
    return int(result.rowcount)  # type: ignore[attr-defined]


async def erase_player_rows(session: AsyncSession, player: Player) -> dict[str, int]:
    """Delete every identity row about ``player`` but the player row itself; counts per table."""
    counts: dict[str, int] = {}
    for model in (
        PlayerSession,
        RecoveryCode,
        Passkey,
        WebAuthnChallenge,
        MfaTicket,
        PasswordReset,
        EmailVerification,
        KnownDevice,
    ):
        result = await session.execute(delete(model).where(model.player_id == player.id))
        counts[model.__tablename__] = int(result.rowcount)  # type: ignore[attr-defined]
    await session.execute(delete(SignInGuard).where(SignInGuard.email_index == player.email_index))
    return counts


_REGISTRATIONS = (
    "SELECT {day} AS day, count(*) AS players FROM players"
    " WHERE created_at >= :start AND created_at < :end GROUP BY 1"
)


async def registrations_by_day(
    session: AsyncSession, *, start: datetime, end: datetime, timezone: str, cutover: time
) -> dict[date, int]:
    """How many players registered in ``[start, end)``, per gaming day."""
    rows = await session.execute(
        text(_REGISTRATIONS.format(day=local_day("created_at"))),
        {"start": start, "end": end, **day_params(timezone=timezone, cutover=cutover)},
    )
    return {row.day: int(row.players) for row in rows}
