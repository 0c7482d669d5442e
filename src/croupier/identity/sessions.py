"""Signing in and out, and the bearer sessions that result (OWASP ASVS 5.0 ch. 7)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from croupier.audit import service as audit
from croupier.audit.service import Actor, Target
from croupier.audit.tags import AuditAction, Outcome
from croupier.compliance.responsible.register import service as register
from croupier.events.kinds import EventKind
from croupier.events.outbox import record_event
from croupier.identity import devices, notices, repository, tokens
from croupier.identity.errors import (
    AccountLocked,
    InvalidSession,
)
from croupier.identity.models import Player, PlayerSession, PlayerStatus
from croupier.kit.client import ClientInfo
from croupier.kit.clock import utcnow
from croupier.kit.db import autonomous_unit_of_work
from croupier.kit.errors import NotFound
from croupier.kit.metrics import SIGN_INS
from croupier.kit.settings import Settings
from croupier.mail.templates import MailTemplate
from croupier.risk import service as risk
from croupier.risk.rules import Action

# last_seen_at is written at most this often: a read-heavy session should not
# turn every request into a row update.
TOUCH_INTERVAL = timedelta(seconds=60)
# Enough of a user agent for the owner to recognise their browser in a notice.
_AGENT_IN_MAIL = 200


@dataclass(frozen=True)
class NewSession:
    token: str
    session: PlayerSession
    previous_sign_in_at: datetime | None


@dataclass(frozen=True)
class Authenticated:
    player: Player
    session: PlayerSession


async def record_failed_attempt(
    session: AsyncSession,
    *,
    settings: Settings,
    index: bytes,
    player: Player | None,
    client: ClientInfo,
    reason: str,
    action: AuditAction = AuditAction.SIGN_IN,
) -> None:
    """Count the failure and audit it in a transaction the failed request cannot undo.

    Wrong second factors count here too, wherever they are tried (sign-in,
    step-up, password reset), so every guess draws on the same lockout budget.
    """
    now = utcnow()
    async with autonomous_unit_of_work(session) as own:
        locked = await repository.count_failure(
            own,
            index,
            now=now,
            threshold=settings.lockout_threshold,
            lock_for=timedelta(minutes=settings.lockout_minutes),
        )
        target = Target.player(player.id) if player else None
        actor = Actor.player(player.id) if player else Actor.anonymous()
        audit.record(
            own,
            action,
            actor=actor,
            outcome=Outcome.FAILURE,
            target=target,
            client=client,
            details={"reason": reason},
        )
        if action is AuditAction.SIGN_IN:
            await record_event(
                own,
                EventKind.SIGN_IN_FAILED,
                player_id=player.id if player else None,
                data={"reason": reason},
                client=client,
            )
        if locked:
            audit.record(
                own,
                AuditAction.ACCOUNT_LOCK,
                actor=Actor.system(),
                target=target,
                client=client,
                details={"minutes": settings.lockout_minutes},
            )
    if action is AuditAction.SIGN_IN:
        SIGN_INS.labels(reason).inc()


async def refuse_if_locked(
    session: AsyncSession, *, player: Player, action: AuditAction, client: ClientInfo
) -> None:
    """Refuse a signed-in player's password or factor check while the address is locked.

    Otherwise a session would be a way round the lockout to keep guessing.
    """
    locked_until = await repository.guard_locked_until(session, player.email_index)
    if locked_until is not None and locked_until > utcnow():
        await audit.record_now(
            session,
            action,
            actor=Actor.player(player.id),
            outcome=Outcome.DENIED,
            target=Target.player(player.id),
            client=client,
            details={"reason": "locked"},
        )
        raise AccountLocked("Too many failed attempts on this account; try again later.")


async def start_session(
    session: AsyncSession,
    *,
    settings: Settings,
    player: Player,
    client: ClientInfo,
    mfa_at: datetime | None,
) -> NewSession:
    # The risk engine's say before the session exists (raises RiskDenied on deny).
    await risk.decide(session, action=Action.SIGN_IN, player_id=player.id, client=client, settings=settings)
    # The national self-exclusion register: a Y blocks gambling, never the sign-in itself.
    await register.screen_at_sign_in(session, settings=settings, player=player, client=client)
    now = utcnow()
    token, digest = tokens.new_token(tokens.SESSION)
    new = PlayerSession(
        id=uuid.uuid4(),
        player_id=player.id,
        token_hash=digest,
        created_at=now,
        last_seen_at=now,
        expires_at=now + timedelta(hours=settings.session_absolute_hours),
        authenticated_at=now,
        mfa_at=mfa_at,
        ip=client.ip,
        user_agent=client.user_agent,
    )
    session.add(new)
    previous = player.last_sign_in_at
    player.last_sign_in_at = now
    await session.flush()
    audit.record(
        session,
        AuditAction.SIGN_IN,
        actor=Actor.player(player.id),
        target=Target.player(player.id),
        client=client,
        details={"session_id": str(new.id), "mfa": mfa_at is not None},
    )
    new_device = await devices.is_new(session, player_id=player.id, client=client)
    await record_event(
        session,
        EventKind.SIGN_IN_SUCCEEDED,
        player_id=player.id,
        data={"session_id": str(new.id), "mfa": mfa_at is not None, "new_device": new_device},
        client=client,
    )
    if new_device:
        await notices.tell(
            session,
            player=player,
            template=MailTemplate.NEW_SIGN_IN,
            context={
                "ip": client.ip or "an unknown address",
                "user_agent": (client.user_agent or "unknown browser")[:_AGENT_IN_MAIL],
            },
        )
    SIGN_INS.labels("success").inc()
    return NewSession(token=token, session=new, previous_sign_in_at=previous)


@dataclass(frozen=True)
class Principal:
    """Who is calling, as a bet needs it: no ORM objects (``Authenticated`` has them)."""

    player_id: uuid.UUID
    session_id: uuid.UUID
    status: str
    started_at: datetime  # when the player signed in: a session's play time runs from here
    gambling_blocked_until: datetime | None


async def _admit(
    session: AsyncSession, settings: Settings, found: repository.SessionPrincipalRow, now: datetime
) -> bool:
    """The rules every authenticated request passes, whichever way it read its session.

    Refreshes ``last_seen_at`` at most every TOUCH_INTERVAL; True when it did.
    """
    if found.revoked_at is not None:
        raise InvalidSession()
    if found.expires_at <= now:
        raise InvalidSession("The session has reached its maximum lifetime.")
    if found.last_seen_at + timedelta(minutes=settings.session_idle_minutes) <= now:
        raise InvalidSession("The session expired after inactivity.")
    if found.status != PlayerStatus.ACTIVE:
        raise InvalidSession()
    if now - found.last_seen_at < TOUCH_INTERVAL:
        return False
    await repository.touch_session(session, found.session_id, now)
    return True


async def authenticate(session: AsyncSession, *, settings: Settings, token: str) -> Authenticated:
    now = utcnow()
    pair = await repository.session_and_player(session, tokens.digest(token))
    if pair is None:
        raise InvalidSession()
    found, player = pair
    if await _admit(session, settings, repository.SessionPrincipalRow.of(found, player), now):
        found.last_seen_at = now
    return Authenticated(player=player, session=found)


async def authenticate_principal(session: AsyncSession, *, settings: Settings, token: str) -> Principal:
    """``authenticate`` in one plain statement and without ORM objects, for the routes every bet takes."""
    now = utcnow()
    found = await repository.session_principal(session, tokens.digest(token))
    if found is None:
        raise InvalidSession()
    await _admit(session, settings, found, now)
    return Principal(
        player_id=found.player_id,
        session_id=found.session_id,
        status=found.status,
        started_at=found.created_at,
        gambling_blocked_until=found.gambling_blocked_until,
    )


async def sign_out(session: AsyncSession, *, auth: Authenticated, client: ClientInfo) -> None:
    auth.session.revoked_at = utcnow()
    auth.session.revoked_reason = "sign_out"
    await session.flush()
    audit.record(
        session,
        AuditAction.SIGN_OUT,
        actor=Actor.player(auth.player.id),
        target=Target("session", str(auth.session.id)),
        client=client,
    )


async def list_sessions(session: AsyncSession, *, auth: Authenticated) -> Sequence[PlayerSession]:
    return await repository.active_sessions(session, auth.player.id, utcnow())


async def revoke(
    session: AsyncSession, *, auth: Authenticated, session_id: uuid.UUID, client: ClientInfo
) -> None:
    target = await repository.get_session(session, session_id)
    # Another player's session is indistinguishable from a missing one.
    if target is None or target.player_id != auth.player.id or target.revoked_at is not None:
        raise NotFound("No such session.")
    target.revoked_at = utcnow()
    target.revoked_reason = "revoked"
    await session.flush()
    audit.record(
        session,
        AuditAction.SESSION_REVOKE,
        actor=Actor.player(auth.player.id),
        target=Target("session", str(session_id)),
        client=client,
    )


async def end_all_sessions(
    session: AsyncSession, *, player_id: uuid.UUID, reason: str, keep: uuid.UUID | None = None
) -> int:
    """End every session of the player (password change, disablement); ``keep`` survives."""
    return await repository.revoke_sessions(session, player_id, now=utcnow(), reason=reason, keep=keep)
