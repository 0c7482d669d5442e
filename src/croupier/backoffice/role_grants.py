"""A role granted by a member of staff: asked of a second admin, in the staff API and the console alike.

A role the account holds already needs nobody; any other grant is a four-eyes request
(``staff_role_grant``) that another member with ``staff:manage``, not the grantee, approves
(``approvals.kinds.grant_role``). An invitation by a member of staff names the roles it asks
for: the account starts with none, and each is such a request. The operator's ``croupier
staff invite`` and ``croupier staff accounts grant`` stay one-person commands (the first admin
has to come from somewhere; whoever runs them holds the database and the keys).
"""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from croupier.backoffice.approvals import service as approvals
from croupier.backoffice.approvals.models import ApprovalRequest
from croupier.backoffice.approvals.service import ApprovalKind
from croupier.kit.client import ClientInfo
from croupier.kit.settings import Settings
from croupier.staff import accounts, roles
from croupier.staff.service import StaffMember


async def grant_or_ask(
    session: AsyncSession,
    settings: Settings,
    *,
    account_id: uuid.UUID,
    role: str,
    staff: StaffMember,
    client: ClientInfo | None,
) -> accounts.AccountView | ApprovalRequest:
    """The account, if it holds the role already; else the approval request a second admin decides."""
    account = await accounts.grantable(session, account_id=account_id, role=role)
    if role in account.roles:
        return account
    asked, _ = await approvals.ask(
        session,
        settings,
        kind=ApprovalKind.STAFF_ROLE_GRANT,
        subject=f"staff_account:{account.id}:role:{role}",
        payload={"account_id": str(account.id), "role": role},
        maker=staff,
        reason=None,
        client=client,
    )
    return asked


async def invite_and_ask(
    session: AsyncSession,
    settings: Settings,
    *,
    email: str,
    roles: list[str],
    display_name: str | None,
    staff: StaffMember,
    client: ClientInfo | None,
) -> tuple[accounts.Invitation, list[ApprovalRequest]]:
    """The invitation (its token shown once), and a grant request for each role it names."""
    made = await accounts.invite(
        session,
        settings=settings,
        email=email,
        role_names=roles,
        display_name=display_name,
        actor=staff.actor,
        grant_roles=False,
    )
    asked = []
    for role in sorted(set(roles)):
        outcome = await grant_or_ask(
            session, settings, account_id=made.account.id, role=role, staff=staff, client=client
        )
        if isinstance(outcome, ApprovalRequest):
            asked.append(outcome)
    return made, asked


async def define_or_ask(
    session: AsyncSession,
    settings: Settings,
    *,
    name: str,
    description: str,
    permissions: list[str],
    staff: StaffMember,
    client: ClientInfo | None,
) -> ApprovalRequest:
    """A custom role's definition or change, checked now and asked of a second member with
    ``roles:manage`` (changing a role widens what everyone holding it may do)."""
    chosen = roles.checked(name, description, permissions)
    asked, _ = await approvals.ask(
        session,
        settings,
        kind=ApprovalKind.STAFF_ROLE_DEFINE,
        subject=f"staff_role:{name}",
        payload={"name": name, "description": description, "permissions": sorted(str(p) for p in chosen)},
        maker=staff,
        reason=None,
        client=client,
    )
    return asked
