"""Signing in with the password, and the second factor when the player has one.

The one flow outside ``mfa`` that needs the second factors' checks, so it sits
beside the routers that wire the sub-packages together rather than in
``sessions``, which every sub-package imports.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from croupier.audit import service as audit
from croupier.audit.service import Actor
from croupier.audit.tags import AuditAction, Outcome
from croupier.events.kinds import EventKind
from croupier.events.outbox import record_event
from croupier.identity import repository, tokens
from croupier.identity.errors import (
    AccountDisabled,
    AccountLocked,
    InvalidCredentials,
    InvalidOtp,
    MfaRequired,
)
from croupier.identity.factors import factors
from croupier.identity.mfa import service as mfa
from croupier.identity.models import MfaTicket, PlayerStatus
from croupier.identity.passwords import Passwords
from croupier.identity.players import email_key
from croupier.identity.sessions import NewSession, record_failed_attempt, start_session
from croupier.kit.client import ClientInfo
from croupier.kit.clock import utcnow
from croupier.kit.db import autonomous_unit_of_work
from croupier.kit.metrics import SIGN_INS
from croupier.kit.settings import Settings

MFA_TICKET_TTL = timedelta(minutes=5)


async def sign_in(
    session: AsyncSession,
    *,
    settings: Settings,
    passwords: Passwords,
    email: str,
    password: str,
    otp: str | None,
    recovery_code: str | None,
    client: ClientInfo,
) -> NewSession:
    index = email_key(session, email)
    now = utcnow()
    locked_until = await repository.guard_locked_until(session, index)
    if locked_until is not None and locked_until > now:
        await audit.record_now(
            session,
            AuditAction.SIGN_IN,
            actor=Actor.anonymous(),
            outcome=Outcome.DENIED,
            client=client,
            details={"reason": "locked"},
        )
        locked_player = await repository.player_by_email_index(session, index)
        async with autonomous_unit_of_work(session) as own:
            await record_event(
                own,
                EventKind.SIGN_IN_FAILED,
                player_id=locked_player.id if locked_player else None,
                data={"reason": "locked"},
                client=client,
            )
        SIGN_INS.labels("locked").inc()
        raise AccountLocked("Sign-in is locked for this account; try again later or reset the password.")

    player = await repository.player_by_email_index(session, index)
    if not await passwords.verify(player.password_hash if player else None, password):
        await record_failed_attempt(
            session,
            settings=settings,
            index=index,
            player=player,
            client=client,
            reason="invalid_credentials",
        )
        raise InvalidCredentials("The email or password is wrong.")
    if player is None:  # verify() is False without a stored hash; this satisfies the type checker
        raise InvalidCredentials("The email or password is wrong.")
    if player.status != PlayerStatus.ACTIVE:
        await record_failed_attempt(
            session, settings=settings, index=index, player=player, client=client, reason="disabled"
        )
        raise AccountDisabled("This account is disabled.")

    mfa_at: datetime | None = None
    available = await factors(session, player)
    if available.any:
        if (otp is not None and available.totp) or recovery_code is not None:
            method = await mfa.verify_code(
                session,
                player=player,
                otp=otp if available.totp else None,
                recovery_code=recovery_code,
                client=client,
                purpose="sign_in",
            )
        else:
            ticket = await issue_mfa_ticket(session, player_id=player.id)
            SIGN_INS.labels("mfa_required").inc()
            raise MfaRequired(mfa_ticket=ticket, methods=available.methods)
        if method is None:
            await record_failed_attempt(
                session, settings=settings, index=index, player=player, client=client, reason="invalid_otp"
            )
            raise InvalidOtp("The second factor is wrong or was already used.")
        mfa_at = now

    if passwords.needs_rehash(player.password_hash):
        player.password_hash = await passwords.hash(password)
    await repository.clear_guard(session, index)
    return await start_session(session, settings=settings, player=player, client=client, mfa_at=mfa_at)


async def issue_mfa_ticket(session: AsyncSession, *, player_id: uuid.UUID) -> str:
    """A short-lived proof that the password was right; kept although the request fails."""
    token, digest = tokens.new_token(tokens.MFA_TICKET)
    async with autonomous_unit_of_work(session) as own:
        own.add(MfaTicket(player_id=player_id, token_hash=digest, expires_at=utcnow() + MFA_TICKET_TTL))
    return token
