"""Proving a second factor after the password.

Two places: finishing a sign-in that answered ``mfa_required`` (the MFA ticket
stands for the password), and stepping an existing session up before a
sensitive change. Every wrong answer is counted against the account's lockout
budget, like a wrong password, and against the ticket's own small budget.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from croupier.audit import service as audit
from croupier.audit.service import Actor, Target
from croupier.audit.tags import AuditAction, Outcome
from croupier.identity import repository, sessions, tokens
from croupier.identity.errors import AccountDisabled, InvalidOtp, WrongPassword
from croupier.identity.factors import Method, factors
from croupier.identity.mfa import passkeys
from croupier.identity.mfa import repository as mfa_repository
from croupier.identity.mfa import service as mfa
from croupier.identity.mfa.passkeys import PasskeyRejected, Purpose
from croupier.identity.models import MfaTicket, Player, PlayerStatus
from croupier.identity.passwords import Passwords
from croupier.identity.sessions import Authenticated, NewSession
from croupier.kit.client import ClientInfo
from croupier.kit.clock import utcnow
from croupier.kit.db import autonomous_unit_of_work
from croupier.kit.errors import CroupierError
from croupier.kit.settings import Settings

# Wrong answers one ticket survives; the account lockout still applies on top.
MAX_TICKET_FAILURES = 5


class InvalidMfaTicket(CroupierError):
    code = "invalid_mfa_ticket"
    status = 401
    title = "MFA ticket unknown, used or expired"


class FactorNotAccepted(CroupierError):
    code = "factor_not_accepted"
    status = 422
    title = "This account cannot step up with that proof"


@dataclass(frozen=True)
class Proof:
    """What the player sent; the request bodies allow exactly one."""

    otp: str | None = None
    recovery_code: str | None = None
    passkey: dict[str, Any] | None = None
    password: str | None = None


@dataclass(frozen=True)
class SteppedUp:
    mfa_at: datetime | None
    authenticated_at: datetime | None


async def _second_factor(
    session: AsyncSession,
    *,
    settings: Settings,
    player: Player,
    proof: Proof,
    client: ClientInfo,
    purpose: Purpose,
) -> Method | None:
    """The method that proved the second factor, or None; audited either way."""
    if proof.passkey is not None:
        ok = await passkeys.verify_assertion(
            session,
            settings=settings,
            player=player,
            credential=proof.passkey,
            purpose=purpose,
            client=client,
        )
        return Method.PASSKEY if ok else None
    return await mfa.verify_code(
        session,
        player=player,
        otp=proof.otp,
        recovery_code=proof.recovery_code,
        client=client,
        purpose=purpose,
    )


def _rejected(proof: Proof, **extra: Any) -> CroupierError:
    if proof.passkey is not None:
        return PasskeyRejected("The passkey did not verify; request new options and try again.", **extra)
    return InvalidOtp("The second factor is wrong or was already used.", **extra)


# Finishing a sign-in ------------------------------------------------------------------------


async def _open_ticket(session: AsyncSession, *, token: str, client: ClientInfo) -> tuple[MfaTicket, Player]:
    ticket = await mfa_repository.ticket_by_token_hash(session, tokens.digest(token))
    if ticket is None:
        raise InvalidMfaTicket("Sign in with the password again.")
    player = await repository.get_player(session, ticket.player_id)
    if player is None:
        raise InvalidMfaTicket("Sign in with the password again.")
    dead = None
    if ticket.used_at is not None:
        dead = "ticket_used"
    elif ticket.expires_at <= utcnow():
        dead = "ticket_expired"
    elif ticket.failed_attempts >= MAX_TICKET_FAILURES:
        dead = "ticket_exhausted"
    if dead is not None:
        await audit.record_now(
            session,
            AuditAction.SIGN_IN,
            actor=Actor.player(player.id),
            outcome=Outcome.DENIED,
            target=Target.player(player.id),
            client=client,
            details={"reason": dead},
        )
        raise InvalidMfaTicket("Sign in with the password again.")
    if player.status != PlayerStatus.ACTIVE:
        raise AccountDisabled("This account is disabled.")
    return ticket, player


async def sign_in_passkey_options(
    session: AsyncSession, *, settings: Settings, token: str, client: ClientInfo
) -> dict[str, Any]:
    _, player = await _open_ticket(session, token=token, client=client)
    return await passkeys.authentication_options(
        session, settings=settings, player=player, purpose=Purpose.SIGN_IN
    )


async def complete_sign_in(
    session: AsyncSession, *, settings: Settings, token: str, proof: Proof, client: ClientInfo
) -> NewSession:
    """Exchange an MFA ticket and a second factor for a session."""
    ticket, player = await _open_ticket(session, token=token, client=client)
    await sessions.refuse_if_locked(session, player=player, action=AuditAction.MFA_VERIFY, client=client)
    method = await _second_factor(
        session, settings=settings, player=player, proof=proof, client=client, purpose=Purpose.SIGN_IN
    )
    if method is None:
        async with autonomous_unit_of_work(session) as own:
            failures = await mfa_repository.count_ticket_failure(own, ticket.id)
        await sessions.record_failed_attempt(
            session,
            settings=settings,
            index=player.email_index,
            player=player,
            client=client,
            reason="invalid_passkey" if proof.passkey is not None else "invalid_otp",
        )
        raise _rejected(proof, attempts_left=max(0, MAX_TICKET_FAILURES - failures))
    now = utcnow()
    # Conditional, so that of two requests racing with one ticket only one gets a session.
    if not await mfa_repository.spend_ticket(session, ticket.id, now=now, max_failures=MAX_TICKET_FAILURES):
        raise InvalidMfaTicket("Sign in with the password again.")
    await repository.clear_guard(session, player.email_index)
    return await sessions.start_session(session, settings=settings, player=player, client=client, mfa_at=now)


# Stepping a session up ------------------------------------------------------------------------


async def step_up_options(
    session: AsyncSession, *, settings: Settings, auth: Authenticated
) -> dict[str, Any]:
    return await passkeys.authentication_options(
        session, settings=settings, player=auth.player, purpose=Purpose.STEP_UP
    )


async def step_up(
    session: AsyncSession,
    *,
    settings: Settings,
    passwords: Passwords,
    auth: Authenticated,
    proof: Proof,
    client: ClientInfo,
) -> SteppedUp:
    """Refresh the session's strong authentication: ``mfa_at`` with a second factor, or
    ``authenticated_at`` with the password for a player who has no second factor.

    A password never stands in for a second factor the player has set up.
    """
    player = auth.player
    available = await factors(session, player)
    if available.any and proof.password is not None:
        raise FactorNotAccepted(
            "This account has a second factor; step up with it.", methods=available.methods
        )
    if not available.any and proof.password is None:
        raise FactorNotAccepted(
            "This account has no second factor; step up with the password.", methods=["password"]
        )
    await sessions.refuse_if_locked(session, player=player, action=AuditAction.MFA_VERIFY, client=client)

    now = utcnow()
    if available.any:
        method = await _second_factor(
            session, settings=settings, player=player, proof=proof, client=client, purpose=Purpose.STEP_UP
        )
        if method is None:
            await sessions.record_failed_attempt(
                session,
                settings=settings,
                index=player.email_index,
                player=player,
                client=client,
                reason="invalid_passkey" if proof.passkey is not None else "invalid_otp",
                action=AuditAction.STEP_UP,
            )
            raise _rejected(proof)
        auth.session.mfa_at = now
        used = method.value
    else:
        locked = await mfa_repository.lock_player_secrets(session, player.id)
        password = proof.password or ""
        if locked is None or not await passwords.verify(locked.password_hash, password):
            await sessions.record_failed_attempt(
                session,
                settings=settings,
                index=player.email_index,
                player=player,
                client=client,
                reason="wrong_password",
                action=AuditAction.STEP_UP,
            )
            raise WrongPassword("The password is wrong.")
        auth.session.authenticated_at = now
        used = "password"
    await session.flush()
    audit.record(
        session,
        AuditAction.STEP_UP,
        actor=Actor.player(player.id),
        target=Target("session", str(auth.session.id)),
        client=client,
        details={"method": used},
    )
    return SteppedUp(
        mfa_at=auth.session.mfa_at if available.any else None,
        authenticated_at=None if available.any else auth.session.authenticated_at,
    )
