"""Issue, revoke and check staff keys.

A key is a bearer secret (``crk_`` + 256 random bits) shown once when issued;
only its SHA-256 is stored. Each key has one role, and each staff route names
the role it needs (least privilege). Issuing and revoking are audited; so is
every action taken with a key, under the key's name.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from enum import StrEnum

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from croupier.audit import service as audit
from croupier.audit.service import Actor, Target
from croupier.audit.tags import AuditAction
from croupier.identity import tokens
from croupier.kit.clock import utcnow
from croupier.kit.errors import Conflict, CroupierError, Forbidden, NotFound, Unauthenticated
from croupier.staff.models import StaffKey

KEY_PREFIX = "crk_"
_NAME = re.compile(r"^[a-z0-9][a-z0-9._-]{1,63}$")


class StaffRole(StrEnum):
    PAYMENTS = "payments"  # reviews withdrawals, refunds deposits
    RISK = "risk"  # fraud and AML analysts: rule sets, alerts, cases, AML reports
    KYC = "kyc"  # reviews identity documents, sets and overrides KYC levels
    COMPLIANCE = "compliance"  # responsible gambling, privacy requests, regulator reports


class InvalidStaffName(CroupierError):
    code = "invalid_staff_name"
    status = 422
    title = "Staff key names are 2-64 lower-case letters, digits, dots, dashes or underscores"


@dataclass(frozen=True)
class StaffMember:
    name: str
    role: StaffRole

    @property
    def actor(self) -> Actor:
        return Actor.staff(self.name)


async def issue(session: AsyncSession, *, name: str, role: StaffRole, issued_by: str) -> str:
    """Create a key and return its secret, which is never shown again."""
    if not _NAME.match(name):
        raise InvalidStaffName()
    if await session.scalar(select(StaffKey.id).where(StaffKey.name == name)) is not None:
        raise Conflict(f"A staff key named {name!r} exists; revoke it or pick another name.")
    secret, digest = tokens.new_token(KEY_PREFIX)
    session.add(StaffKey(id=uuid.uuid4(), name=name, role=role, token_hash=digest, issued_by=issued_by[:64]))
    audit.record(
        session,
        AuditAction.STAFF_KEY_ISSUE,
        actor=Actor.operator(issued_by),
        target=Target("staff", name),
        details={"role": str(role)},
    )
    return secret


async def revoke(session: AsyncSession, *, name: str, revoked_by: str) -> None:
    done = await session.execute(
        update(StaffKey)
        .where(StaffKey.name == name, StaffKey.revoked_at.is_(None))
        .values(revoked_at=utcnow())
        .returning(StaffKey.id)
    )
    if done.first() is None:
        raise NotFound(f"No active staff key named {name!r}.")
    audit.record(
        session, AuditAction.STAFF_KEY_REVOKE, actor=Actor.operator(revoked_by), target=Target("staff", name)
    )


async def listing(session: AsyncSession) -> list[StaffKey]:
    return list((await session.scalars(select(StaffKey).order_by(StaffKey.name))).all())


async def authenticate(
    session: AsyncSession, *, secret: str, role: StaffRole, also: frozenset[StaffRole] = frozenset()
) -> StaffMember:
    """The member a key belongs to, if it is active and has ``role`` (or one of ``also``)."""
    if not secret.startswith(KEY_PREFIX) or len(secret) > 128:
        raise Unauthenticated("Send `Authorization: Bearer <staff key>`.")
    key = await session.scalar(
        select(StaffKey).where(StaffKey.token_hash == tokens.digest(secret), StaffKey.revoked_at.is_(None))
    )
    if key is None:
        raise Unauthenticated("The staff key is unknown or revoked.")
    if key.role != role and key.role not in also:
        raise Forbidden(f"This needs the {' or '.join(sorted({role, *also}))} role.")
    key.last_used_at = utcnow()
    return StaffMember(name=key.name, role=StaffRole(key.role))
