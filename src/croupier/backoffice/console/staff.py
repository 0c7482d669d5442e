"""Staff accounts and roles in the console: invite, disable and enable, grant and revoke roles;
define, change and remove custom roles. Granting a role asks a second admin (four eyes), as
the staff API does; revoking is immediate.

The same functions as the staff API and ``croupier staff`` (``staff.accounts``,
``staff.roles``), so the audit log says the same whichever way an admin worked. An
invitation's one-time link is shown once, in the page that answers the invitation form,
never in a URL.
"""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from starlette.responses import Response

from croupier.backoffice.approvals.models import ApprovalRequest
from croupier.backoffice.console.pages import PREFIX, render
from croupier.backoffice.console.security import CsrfChecked
from croupier.backoffice.role_grants import define_or_ask, grant_or_ask, invite_and_ask
from croupier.kit.deps import Client, DbSession, RuntimeDep
from croupier.staff import accounts, roles
from croupier.staff.access import Permission
from croupier.staff.auth import require
from croupier.staff.service import StaffMember

router = APIRouter(prefix=PREFIX, include_in_schema=False)

StaffManager = Annotated[StaffMember, Depends(require(Permission.STAFF_MANAGE))]
RoleManager = Annotated[StaffMember, Depends(require(Permission.ROLES_MANAGE))]
RoleField = Annotated[str, Form(min_length=2, max_length=32)]
STAFF = f"{PREFIX}/staff"
ROLES = f"{PREFIX}/roles"


async def _staff_page(
    request: Request,
    session: DbSession,
    runtime: RuntimeDep,
    member: StaffMember,
    *,
    invitation: accounts.Invitation | None = None,
    asked: uuid.UUID | None = None,
) -> Response:
    return render(
        request,
        runtime,
        "staff.html",
        member=member,
        section="staff",
        accounts=await accounts.listing(session),
        roles=await roles.listing(session),
        invitation=invitation,
        asked=asked,
        accept_url=accounts.accept_url(runtime.settings, invitation.token) if invitation else None,
    )


@router.get("/staff", response_class=HTMLResponse)
async def staff_page(
    request: Request,
    session: DbSession,
    runtime: RuntimeDep,
    member: StaffManager,
    asked: Annotated[uuid.UUID | None, Query()] = None,
) -> Response:
    return await _staff_page(request, session, runtime, member, asked=asked)


@router.post("/staff/invite", response_class=HTMLResponse)
async def invite(  # noqa: PLR0917 - one parameter per form field and dependency
    request: Request,
    session: DbSession,
    runtime: RuntimeDep,
    member: StaffManager,
    client: Client,
    _: CsrfChecked,
    email: Annotated[str, Form(min_length=3, max_length=320)],
    role: Annotated[list[str], Form(max_length=20)],
    display_name: Annotated[str, Form(max_length=100)] = "",
) -> Response:
    """The token is in this page only: the answer to a POST, never cached (``no-store``)."""
    made, _asked = await invite_and_ask(
        session,
        runtime.settings,
        email=email,
        roles=role,
        display_name=display_name.strip() or None,
        staff=member,
        client=client,
    )
    return await _staff_page(request, session, runtime, member, invitation=made)


@router.post("/staff/{account_id}/disable")
async def disable(
    account_id: uuid.UUID, session: DbSession, member: StaffManager, _: CsrfChecked
) -> Response:
    await accounts.disable(session, account_id=account_id, actor=member.actor)
    return RedirectResponse(STAFF, status_code=303)


@router.post("/staff/{account_id}/enable")
async def enable(account_id: uuid.UUID, session: DbSession, member: StaffManager, _: CsrfChecked) -> Response:
    await accounts.enable(session, account_id=account_id, actor=member.actor)
    return RedirectResponse(STAFF, status_code=303)


@router.post("/staff/{account_id}/grant")
async def grant(  # noqa: PLR0917 - one parameter per form field and dependency
    account_id: uuid.UUID,
    session: DbSession,
    runtime: RuntimeDep,
    client: Client,
    member: StaffManager,
    _: CsrfChecked,
    role: RoleField,
) -> Response:
    """As ``PUT /v1/staff/accounts/{id}/roles/{role}`` does (one call, so the two cannot drift):
    a request another admin approves on the approvals page."""
    done = await grant_or_ask(
        session, runtime.settings, account_id=account_id, role=role, staff=member, client=client
    )
    if isinstance(done, ApprovalRequest):
        return RedirectResponse(f"{STAFF}?asked={done.id}", status_code=303)
    return RedirectResponse(STAFF, status_code=303)


@router.post("/staff/{account_id}/revoke")
async def revoke(
    account_id: uuid.UUID, session: DbSession, member: StaffManager, _: CsrfChecked, role: RoleField
) -> Response:
    await accounts.revoke(session, account_id=account_id, role=role, actor=member.actor)
    return RedirectResponse(STAFF, status_code=303)


@router.get("/roles", response_class=HTMLResponse)
async def roles_page(
    request: Request, session: DbSession, runtime: RuntimeDep, member: RoleManager
) -> Response:
    return render(
        request,
        runtime,
        "roles.html",
        member=member,
        section="roles",
        roles=await roles.listing(session),
        permissions=[str(p) for p in Permission],
    )


@router.post("/roles")
async def define_role(  # noqa: PLR0917 - one parameter per form field and dependency
    session: DbSession,
    runtime: RuntimeDep,
    client: Client,
    member: RoleManager,
    _: CsrfChecked,
    name: Annotated[str, Form(max_length=32)],
    description: Annotated[str, Form(max_length=200)],
    permission: Annotated[list[str], Form(max_length=len(Permission))] = [],  # noqa: B006 - FastAPI copies it
) -> Response:
    """Create a custom role, or change one (the ticked permissions replace the old ones): checked
    now, done when a second member with ``roles:manage`` approves it on the approvals page."""
    await define_or_ask(
        session,
        runtime.settings,
        name=name,
        description=description,
        permissions=permission,
        staff=member,
        client=client,
    )
    return RedirectResponse(f"{PREFIX}/approvals", status_code=303)


@router.post("/roles/{name}/remove")
async def remove_role(name: str, session: DbSession, member: RoleManager, _: CsrfChecked) -> Response:
    await roles.remove(session, name=name, actor=member.actor)
    return RedirectResponse(ROLES, status_code=303)
