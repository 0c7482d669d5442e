"""Signing a staff member in with email and password: the first of two steps.

A wrong email and a wrong password answer alike and take alike long (the password is
checked against a decoy hash when there is no account, or no password yet), so the
answer tells nobody who has an account. Success opens a session that still needs the
second factor (``staff.second_factor``); the lockout counter is cleared only once that is
done too.
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from croupier.audit import service as audit
from croupier.audit.tags import AuditAction
from croupier.identity.errors import AccountDisabled, InvalidCredentials
from croupier.identity.passwords import Passwords
from croupier.kit.client import ClientInfo
from croupier.kit.settings import Settings
from croupier.staff import repository, staff_sessions
from croupier.staff.lockout import guard_key, normalise_email, record_failure, refuse_if_locked, target_of
from croupier.staff.staff_sessions import NewSession


async def sign_in(
    session: AsyncSession,
    *,
    settings: Settings,
    passwords: Passwords,
    email: str,
    password: str,
    client: ClientInfo,
) -> NewSession:
    email = normalise_email(email)
    key = guard_key(session, email)
    account = await repository.account_by_email(session, email)
    action = AuditAction.STAFF_SESSION_SIGN_IN
    await refuse_if_locked(session, key=key, account=account, action=action, client=client)
    if not await passwords.verify(account.password_hash if account else None, password) or account is None:
        await record_failure(
            session,
            settings=settings,
            key=key,
            account=account,
            action=action,
            client=client,
            reason="invalid_credentials",
        )
        raise InvalidCredentials("The email or password is wrong.")
    if account.disabled_at is not None:
        await record_failure(
            session,
            settings=settings,
            key=key,
            account=account,
            action=action,
            client=client,
            reason="disabled",
        )
        raise AccountDisabled("This staff account is disabled.")
    if account.password_hash and passwords.needs_rehash(account.password_hash):
        account.password_hash = await passwords.hash(password)
    new = await staff_sessions.start(session, settings=settings, account=account, client=client)
    audit.record(
        session,
        action,
        actor=new.signed_in.actor,
        target=target_of(account),
        client=client,
        details={"session_id": str(new.signed_in.session.id), "state": str(new.signed_in.state)},
    )
    return new
