"""Staff accounts: invitation, the password set from it, roles, disablement.

An admin (``staff:manage``) or an operator at the command line invites a person by email
with one or more roles; the invitation is a one-time token (shown once, stored as its
SHA-256) that sets the password. Signing in is ``staff.sign_in``. Every change here is
audited with who made it; disabling an account ends all its sessions at once, and a role
granted or revoked applies from the next request (permissions are read on each one).
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from sqlalchemy.ext.asyncio import AsyncSession

from croupier.audit import service as audit
from croupier.audit.service import Actor
from croupier.audit.tags import ActorType, AuditAction
from croupier.identity import tokens
from croupier.identity.passwords import Passwords, check_policy
from croupier.kit.client import ClientInfo
from croupier.kit.clock import utcnow
from croupier.kit.errors import Conflict, NotFound
from croupier.kit.settings import Settings
from croupier.staff import repository, roles
from croupier.staff.errors import InvalidInvitation, InvalidStaffEmail, StaffAccountExists
from croupier.staff.lockout import normalise_email, target_of
from croupier.staff.models import StaffAccount, StaffInvitation

INVITATION_PREFIX = "cri_"
_EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]+\.[^@\s]+$")
_EMAIL_MAX = 64
_NAME_MAX = 100


class AccountState(StrEnum):
    INVITED = "invited"  # the invitation has not set a password yet
    ACTIVE = "active"
    DISABLED = "disabled"


@dataclass(frozen=True)
class AccountView:
    id: uuid.UUID
    email: str
    display_name: str
    roles: tuple[str, ...]
    state: AccountState
    mfa_enrolled: bool
    last_sign_in_at: datetime | None
    created_at: datetime

    @classmethod
    def of(cls, account: StaffAccount) -> AccountView:
        return cls(
            id=account.id,
            email=account.email,
            display_name=account.display_name,
            roles=tuple(sorted(account.roles)),
            state=state_of(account),
            mfa_enrolled=account.totp_enabled_at is not None,
            last_sign_in_at=account.last_sign_in_at,
            created_at=account.created_at,
        )


@dataclass(frozen=True)
class Invitation:
    account: AccountView
    token: str
    expires_at: datetime


AccountChange = Callable[[AsyncSession, uuid.UUID, Actor], Awaitable["AccountView"]]


def state_of(account: StaffAccount) -> AccountState:
    """(``password_hash`` is deferred: load it with the row, as the repository does.)"""
    if account.disabled_at is not None:
        return AccountState.DISABLED
    return AccountState.INVITED if account.password_hash is None else AccountState.ACTIVE


async def invite(
    session: AsyncSession,
    *,
    settings: Settings,
    email: str,
    role_names: list[str],
    display_name: str | None,
    actor: Actor,
    grant_roles: bool = True,
) -> Invitation:
    """Create an account (or renew a pending one's invitation) and return the token, shown once.

    With ``grant_roles=False`` the roles are checked but not given: the caller asks for each
    (a four-eyes grant), and the account has none until a second admin approves.
    """
    email = normalise_email(email)
    if len(email) > _EMAIL_MAX or not _EMAIL.match(email):
        raise InvalidStaffEmail()
    name = (display_name or email.split("@")[0]).strip()[:_NAME_MAX] or email
    chosen = sorted(set(role_names))
    if not chosen:
        raise Conflict("Give the account at least one role.")
    for role in chosen:
        if not await roles.exists(session, role):
            raise NotFound(f"No role named {role!r}; `croupier staff roles list` shows them.")
    now = utcnow()
    account_id = uuid.uuid4()
    by = (actor.id or str(actor.type))[:64]
    given = chosen if grant_roles else []
    created = await repository.insert_account(
        session, account_id=account_id, email=email, display_name=name, roles=given, by=by
    )
    if not created:
        found = await repository.account_by_email(session, email)
        if found is None or found.password_hash is not None or found.disabled_at is not None:
            raise StaffAccountExists(f"A staff account has the email {email!r}.")
        # Not accepted yet: a new link replaces the old ones, with the roles given now.
        account = await _locked(session, found.id)
        if grant_roles:
            account.roles = chosen
        account.display_name = name
        await repository.void_invitations(session, account.id, now=now)
    else:
        account = await _locked(session, account_id)
    token, digest = tokens.new_token(INVITATION_PREFIX)
    expires_at = now + timedelta(hours=settings.staff_invitation_hours)
    repository.add(
        session,
        StaffInvitation(id=uuid.uuid4(), account_id=account.id, token_hash=digest, expires_at=expires_at),
    )
    await session.flush()
    audit.record(
        session,
        AuditAction.STAFF_ACCOUNT_INVITE,
        actor=actor,
        target=target_of(account),
        details={
            "email": email,
            "roles": given,
            "roles_asked": [] if grant_roles else chosen,
            "renewed": not created,
        },
    )
    return Invitation(account=AccountView.of(account), token=token, expires_at=expires_at)


def accept_url(settings: Settings, token: str) -> str:
    """The console page where the invited person chooses their password (the API's
    ``POST /v1/staff/invitations/{token}/accept`` does the same for a program)."""
    return f"{settings.public_url.rstrip('/')}/console/invitations/{token}"


async def accept(
    session: AsyncSession, *, passwords: Passwords, token: str, password: str, client: ClientInfo
) -> AccountView:
    """Set the password from an invitation, once; signing in is a separate step."""
    if not token.startswith(INVITATION_PREFIX) or len(token) > 128:
        raise InvalidInvitation()
    account_id = await repository.spend_invitation(session, tokens.digest(token), now=utcnow())
    if account_id is None:
        raise InvalidInvitation()
    account = await _locked(session, account_id)
    if account.disabled_at is not None or account.password_hash is not None:
        raise InvalidInvitation()
    # A weak password raises before anything is written: the invitation stays usable.
    checked = check_policy(
        password, context=(account.email, account.email.split("@")[0], account.display_name)
    )
    account.password_hash = await passwords.hash(checked)
    audit.record(
        session,
        AuditAction.STAFF_ACCOUNT_ACCEPT,
        actor=Actor.staff(account.email),
        target=target_of(account),
        client=client,
    )
    return AccountView.of(account)


async def listing(session: AsyncSession) -> list[AccountView]:
    return [AccountView.of(account) for account in await repository.accounts(session)]


async def find(session: AsyncSession, email: str) -> uuid.UUID:
    account = await repository.account_by_email(session, normalise_email(email))
    if account is None:
        raise NotFound(f"No staff account with the email {email!r}.")
    return account.id


async def disable(session: AsyncSession, *, account_id: uuid.UUID, actor: Actor) -> AccountView:
    """Refuse the account from now on; every one of its sessions ends at once."""
    account = await _locked(session, account_id)
    if actor.type == ActorType.STAFF and actor.id == account.email:
        raise Conflict("An admin cannot disable their own account; ask another admin.")
    if account.disabled_at is None:
        now = utcnow()
        account.disabled_at = now
        ended = await repository.end_sessions(session, account.id, now=now, reason="disabled")
        audit.record(
            session,
            AuditAction.STAFF_ACCOUNT_DISABLE,
            actor=actor,
            target=target_of(account),
            details={"sessions_ended": ended},
        )
    return AccountView.of(account)


async def enable(session: AsyncSession, *, account_id: uuid.UUID, actor: Actor) -> AccountView:
    account = await _locked(session, account_id)
    if account.disabled_at is not None:
        account.disabled_at = None
        audit.record(session, AuditAction.STAFF_ACCOUNT_ENABLE, actor=actor, target=target_of(account))
    return AccountView.of(account)


async def grantable(session: AsyncSession, *, account_id: uuid.UUID, role: str) -> AccountView:
    """The account, after checking that it and the role exist (``NotFound``); whether it holds
    the role already is in its ``roles``. Granting over HTTP asks a second admin first."""
    account = await _locked(session, account_id)
    if not await roles.exists(session, role):
        raise NotFound(f"No role named {role!r}; `croupier staff roles list` shows them.")
    return AccountView.of(account)


async def grant(session: AsyncSession, *, account_id: uuid.UUID, role: str, actor: Actor) -> AccountView:
    account = await _locked(session, account_id)
    if not await roles.exists(session, role):
        raise NotFound(f"No role named {role!r}; `croupier staff roles list` shows them.")
    if role not in account.roles:
        before = sorted(account.roles)
        account.roles = sorted({*before, role})
        audit.record(
            session,
            AuditAction.STAFF_ACCOUNT_GRANT,
            actor=actor,
            target=target_of(account),
            details={"role": role, "before": before, "after": account.roles},
        )
    return AccountView.of(account)


async def revoke(session: AsyncSession, *, account_id: uuid.UUID, role: str, actor: Actor) -> AccountView:
    account = await _locked(session, account_id)
    if role not in account.roles:
        raise NotFound(f"The account does not hold the role {role!r}.")
    before = sorted(account.roles)
    account.roles = [r for r in before if r != role]
    audit.record(
        session,
        AuditAction.STAFF_ACCOUNT_REVOKE,
        actor=actor,
        target=target_of(account),
        details={"role": role, "before": before, "after": account.roles},
    )
    return AccountView.of(account)


async def _locked(session: AsyncSession, account_id: uuid.UUID) -> StaffAccount:
    account = await repository.lock_account(session, account_id)
    if account is None:
        raise NotFound("No such staff account.")
    return account
