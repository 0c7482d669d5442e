"""Lockout of staff sign-ins: the players' policy and counters, under a key of its own.

Failures are counted per email blind index in ``sign_in_guards`` (the identity domain's
counter), with the purpose ``staff.email`` so a staff address never shares a counter with
a player's. An unknown address locks exactly like a real one, so a lockout tells nobody
which addresses have accounts. Wrong passwords and wrong TOTP codes draw on the same budget
(``lockout_threshold`` failures lock for ``lockout_minutes``).
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from croupier.audit import service as audit
from croupier.audit.service import Actor, Target
from croupier.audit.tags import AuditAction, Outcome
from croupier.crypto.blind_index import blind_index
from croupier.identity import repository as guards
from croupier.identity.errors import AccountLocked
from croupier.kit.client import ClientInfo
from croupier.kit.clock import utcnow
from croupier.kit.db import autonomous_unit_of_work
from croupier.kit.keyring import keyring_of
from croupier.kit.settings import Settings
from croupier.staff.models import StaffAccount


def normalise_email(email: str) -> str:
    return email.strip().casefold()


def guard_key(session: AsyncSession, email: str) -> bytes:
    return blind_index(keyring_of(session), "staff.email", normalise_email(email))


def target_of(account: StaffAccount) -> Target:
    return Target("staff_account", str(account.id))


async def refuse_if_locked(
    session: AsyncSession,
    *,
    key: bytes,
    account: StaffAccount | None,
    action: AuditAction,
    client: ClientInfo,
) -> None:
    locked_until = await guards.guard_locked_until(session, key)
    if locked_until is None or locked_until <= utcnow():
        return
    await audit.record_now(
        session,
        action,
        actor=Actor.anonymous(),
        outcome=Outcome.DENIED,
        target=target_of(account) if account else None,
        client=client,
        details={"reason": "locked"},
    )
    raise AccountLocked("Too many failed attempts on this account; try again later.")


async def record_failure(
    session: AsyncSession,
    *,
    settings: Settings,
    key: bytes,
    account: StaffAccount | None,
    action: AuditAction,
    client: ClientInfo,
    reason: str,
) -> None:
    """Count the failure and audit it in a transaction the failing request cannot undo."""
    async with autonomous_unit_of_work(session) as own:
        locked = await guards.count_failure(
            own,
            key,
            now=utcnow(),
            threshold=settings.lockout_threshold,
            lock_for=timedelta(minutes=settings.lockout_minutes),
        )
        target = target_of(account) if account else None
        audit.record(
            own,
            action,
            actor=Actor.anonymous(),
            outcome=Outcome.FAILURE,
            target=target,
            client=client,
            details={"reason": reason},
        )
        if locked:
            audit.record(
                own,
                AuditAction.STAFF_ACCOUNT_LOCK,
                actor=Actor.system(),
                target=target,
                client=client,
                details={"minutes": settings.lockout_minutes},
            )


async def clear(session: AsyncSession, key: bytes) -> None:
    await guards.clear_guard(session, key)
