"""Staff sign-in sessions: short idle timeout, absolute lifetime, MFA before anything else.

A new session (token ``crb_`` + 256 random bits, stored as SHA-256) starts at each sign-in
with the password. It opens nothing but the second-factor step until that is done: enrol
an authenticator app the first time, then a TOTP code (``staff.second_factor``). A session
ends after ``staff_idle_minutes`` without a request, after ``staff_session_hours`` in all,
at sign-out, and when the account is disabled.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from sqlalchemy.ext.asyncio import AsyncSession

from croupier.audit import service as audit
from croupier.audit.service import Actor
from croupier.audit.tags import AuditAction
from croupier.identity import tokens
from croupier.kit.client import ClientInfo
from croupier.kit.clock import utcnow
from croupier.kit.errors import Unauthenticated
from croupier.kit.settings import Settings
from croupier.staff import repository, roles
from croupier.staff.errors import StaffMfaRequired, StaffSessionExpired
from croupier.staff.lockout import target_of
from croupier.staff.models import StaffAccount, StaffSession
from croupier.staff.service import StaffMember

SESSION_PREFIX = "crb_"  # b for back office; `crs_` is a player's session
# last_seen_at is written at most this often, so that a busy console does not turn each
# request into a row update; the idle timeout is then exact to within this interval.
TOUCH_INTERVAL = timedelta(seconds=30)


class SessionState(StrEnum):
    MFA_ENROLLMENT_REQUIRED = "mfa_enrollment_required"
    MFA_REQUIRED = "mfa_required"
    ACTIVE = "active"


@dataclass(frozen=True)
class SignedIn:
    """A live staff session and its account, whatever its state."""

    account: StaffAccount
    session: StaffSession

    @property
    def state(self) -> SessionState:
        if self.session.mfa_at is not None:
            return SessionState.ACTIVE
        if self.account.totp_enabled_at is None:
            return SessionState.MFA_ENROLLMENT_REQUIRED
        return SessionState.MFA_REQUIRED

    @property
    def actor(self) -> Actor:
        return Actor.staff(self.account.email)

    def require_mfa_done(self) -> None:
        if self.state is not SessionState.ACTIVE:
            raise StaffMfaRequired(state=str(self.state))


@dataclass(frozen=True)
class NewSession:
    token: str
    signed_in: SignedIn
    expires_at: datetime


def is_session_token(secret: str) -> bool:
    return secret.startswith(SESSION_PREFIX)


async def start(
    session: AsyncSession, *, settings: Settings, account: StaffAccount, client: ClientInfo
) -> NewSession:
    now = utcnow()
    token, digest = tokens.new_token(SESSION_PREFIX)
    row = StaffSession(
        id=uuid.uuid4(),
        account_id=account.id,
        token_hash=digest,
        last_seen_at=now,
        expires_at=now + timedelta(hours=settings.staff_session_hours),
        ip=client.ip,
        user_agent=client.user_agent,
    )
    repository.add(session, row)
    await session.flush()
    return NewSession(token=token, signed_in=SignedIn(account, row), expires_at=row.expires_at)


async def authenticate(session: AsyncSession, *, settings: Settings, token: str) -> SignedIn:
    """The live session ``token`` stands for; refreshes its idle clock."""
    if not is_session_token(token) or len(token) > 128:
        raise Unauthenticated("Send `Authorization: Bearer <staff session token>`.")
    pair = await repository.session_and_account(session, tokens.digest(token))
    if pair is None:
        raise Unauthenticated("The staff session is unknown.")
    row, account = pair
    now = utcnow()
    if row.revoked_at is not None or account.disabled_at is not None:
        raise Unauthenticated("The staff session has ended; sign in again.")
    if row.expires_at <= now:
        raise StaffSessionExpired("The session has reached its maximum lifetime; sign in again.")
    if row.last_seen_at + timedelta(minutes=settings.staff_idle_minutes) <= now:
        raise StaffSessionExpired("The session expired after inactivity; sign in again.")
    if now - row.last_seen_at >= TOUCH_INTERVAL:
        row.last_seen_at = now  # written with the request's transaction
    return SignedIn(account, row)


async def member_of(session: AsyncSession, signed_in: SignedIn) -> StaffMember:
    """Who the session stands for, with its roles' permissions as they are now."""
    held = frozenset(signed_in.account.roles)
    return StaffMember(
        name=signed_in.account.email, roles=held, permissions=await roles.permissions_of(session, held)
    )


async def sign_out(session: AsyncSession, *, signed_in: SignedIn, client: ClientInfo) -> None:
    signed_in.session.revoked_at = utcnow()
    signed_in.session.revoked_reason = "sign_out"
    await session.flush()
    audit.record(
        session,
        AuditAction.STAFF_SESSION_SIGN_OUT,
        actor=signed_in.actor,
        target=target_of(signed_in.account),
        client=client,
        details={"session_id": str(signed_in.session.id)},
    )
