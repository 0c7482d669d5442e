"""Issue, revoke and check staff keys, the credentials of machines.

A key is a bearer secret (``crk_`` + 256 random bits) shown once when issued;
only its SHA-256 is stored. Each key is scoped by one role (built-in or custom),
and each staff route names the permission it needs (least privilege). Issuing and
revoking are audited; so is every use of a key (``staff.auth``), under its name.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from croupier.audit import service as audit
from croupier.audit.service import Actor, Target
from croupier.audit.tags import AuditAction
from croupier.identity import tokens
from croupier.kit.clock import utcnow
from croupier.kit.errors import Conflict, CroupierError, NotFound, Unauthenticated
from croupier.staff import roles
from croupier.staff.access import Permission, StaffRole
from croupier.staff.models import StaffKey

__all__ = ["StaffMember", "StaffRole", "authenticate", "issue", "listing", "revoke"]

KEY_PREFIX = "crk_"
_NAME = re.compile(r"^[a-z0-9][a-z0-9._-]{1,63}$")


class InvalidStaffName(CroupierError):
    code = "invalid_staff_name"
    status = 422
    title = "Staff key names are 2-64 lower-case letters, digits, dots, dashes or underscores"


@dataclass(frozen=True)
class StaffMember:
    """Who is calling a staff route: a key (a machine) or, signed in, a person."""

    name: str
    roles: frozenset[str]
    permissions: frozenset[Permission]

    @property
    def actor(self) -> Actor:
        return Actor.staff(self.name)

    def may(self, *permissions: Permission) -> bool:
        """Whether the member holds at least one of ``permissions``."""
        return not self.permissions.isdisjoint(permissions)


async def issue(session: AsyncSession, *, name: str, role: str, issued_by: str) -> str:
    """Create a key and return its secret, which is never shown again."""
    if not _NAME.match(name):
        raise InvalidStaffName()
    if not await roles.exists(session, role):
        raise NotFound(f"No role named {role!r}; `croupier staff roles list` shows them.")
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


async def authenticate(session: AsyncSession, *, secret: str) -> StaffMember:
    """The member an active key stands for, with its role's permissions as they are now."""
    if not secret.startswith(KEY_PREFIX) or len(secret) > 128:
        raise Unauthenticated("Send `Authorization: Bearer <staff key>`.")
    key = await session.scalar(
        select(StaffKey).where(StaffKey.token_hash == tokens.digest(secret), StaffKey.revoked_at.is_(None))
    )
    if key is None:
        raise Unauthenticated("The staff key is unknown or revoked.")
    key.last_used_at = utcnow()
    return StaffMember(
        name=key.name,
        roles=frozenset({key.role}),
        permissions=await roles.permissions_of(session, [key.role]),
    )
