"""Custom staff roles: define, change, remove, list; and what a set of roles permits.

A built-in role (``access.BUILT_IN_ROLES``) cannot be changed or shadowed. Every change is
audited with the permissions before and after, so the audit log answers "who could do what,
when".
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from croupier.audit import service as audit
from croupier.audit.service import Actor, Target
from croupier.audit.tags import AuditAction
from croupier.kit.clock import utcnow
from croupier.kit.errors import Conflict, CroupierError, NotFound
from croupier.staff.access import BUILT_IN_ROLES, Permission, StaffRole, parse_permissions
from croupier.staff.models import StaffRoleRecord

_NAME = re.compile(r"^[a-z][a-z0-9_-]{1,31}$")


class InvalidRole(CroupierError):
    code = "invalid_role"
    status = 422
    title = "Role names are 2-32 lower-case letters, digits, dashes or underscores; permissions must be known"


@dataclass(frozen=True)
class Role:
    name: str
    description: str
    permissions: frozenset[Permission]
    built_in: bool


async def permissions_of(session: AsyncSession, roles: Iterable[str]) -> frozenset[Permission]:
    """The union of ``roles``' permissions; a role that no longer exists grants nothing."""
    names = set(roles)
    granted: set[Permission] = set()
    custom = names - BUILT_IN_ROLES.keys()
    for name in names & BUILT_IN_ROLES.keys():
        granted |= BUILT_IN_ROLES[name]
    if custom:
        rows = await session.scalars(
            select(StaffRoleRecord.permissions).where(StaffRoleRecord.name.in_(sorted(custom)))
        )
        for stored in rows:
            granted |= {p for p in Permission if str(p) in stored}
    return frozenset(granted)


async def exists(session: AsyncSession, name: str) -> bool:
    if name in BUILT_IN_ROLES:
        return True
    return await session.get(StaffRoleRecord, name) is not None


async def listing(session: AsyncSession) -> list[Role]:
    roles = [Role(name, _describe_built_in(name), perms, True) for name, perms in BUILT_IN_ROLES.items()]
    for row in await session.scalars(select(StaffRoleRecord).order_by(StaffRoleRecord.name)):
        roles.append(Role(row.name, row.description, parse_permissions(row.permissions), False))
    return roles


async def define(
    session: AsyncSession, *, name: str, description: str, permissions: Iterable[str], actor: Actor
) -> Role:
    """Create a custom role, or change the permissions of an existing one."""
    chosen = _valid(name, description, permissions)
    row = await session.get(StaffRoleRecord, name, with_for_update=True)
    before: list[str] = []
    if row is None:
        row = StaffRoleRecord(name=name, description=description, permissions=[], created_by=actor.id or "")
        session.add(row)
    else:
        before = sorted(row.permissions)
        row.updated_at = utcnow()
    row.description = description
    row.permissions = sorted(str(p) for p in chosen)
    audit.record(
        session,
        AuditAction.STAFF_ROLE_DEFINE,
        actor=actor,
        target=Target("staff_role", name),
        details={"before": before, "after": row.permissions},
    )
    return Role(name, description, chosen, False)


async def remove(session: AsyncSession, *, name: str, actor: Actor) -> None:
    if name in BUILT_IN_ROLES:
        raise Conflict(f"{name!r} is a built-in role; it cannot be removed.")
    gone = await session.scalar(
        delete(StaffRoleRecord).where(StaffRoleRecord.name == name).returning(StaffRoleRecord.permissions)
    )
    if gone is None:
        raise NotFound(f"No custom role named {name!r}.")
    audit.record(
        session,
        AuditAction.STAFF_ROLE_REMOVE,
        actor=actor,
        target=Target("staff_role", name),
        details={"before": sorted(gone)},
    )


def checked(name: str, description: str, permissions: Iterable[str]) -> frozenset[Permission]:
    """The permissions of a role that ``define`` would accept (``InvalidRole``, ``Conflict`` otherwise)."""
    return _valid(name, description, permissions)


def _valid(name: str, description: str, permissions: Iterable[str]) -> frozenset[Permission]:
    if not _NAME.match(name) or not description.strip() or len(description) > 200:
        raise InvalidRole()
    if name in BUILT_IN_ROLES:
        raise Conflict(f"{name!r} is a built-in role; define a custom role under another name.")
    try:
        chosen = parse_permissions(permissions)
    except ValueError as unknown:
        raise InvalidRole(f"Unknown permission {str(unknown)!r}.") from None
    if not chosen:
        raise InvalidRole("A role grants at least one permission.")
    return chosen


def _describe_built_in(name: str) -> str:
    return {
        StaffRole.SUPPORT: "Player support: finds players and reads their 360 page",
        StaffRole.KYC: "Identity reviewers: documents, checks and KYC levels",
        StaffRole.RISK: "Fraud and AML analysts: alerts, cases, rule sets, the large-transaction report",
        StaffRole.PAYMENTS: "Payments desk: withdrawals awaiting review, refunds, manual adjustments",
        StaffRole.COMPLIANCE: "Compliance officers: responsible gambling, privacy requests, reports, audit",
        StaffRole.ADMIN: "Administrators: staff, roles, keys, game providers (no player data by itself)",
    }[StaffRole(name)]
