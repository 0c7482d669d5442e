"""The audit log in the console: the latest entries, a filter, and the chain's verification.

The filter is posted, not put in the URL: staff actors are named by their email. Reading
and verifying are audited (``backoffice.audit_log``); verifying walks the whole chain with
``audit.service.verify``, as ``croupier audit verify`` does.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse
from starlette.responses import Response

from croupier.audit.service import Verdict
from croupier.backoffice import audit_log
from croupier.backoffice.console.pages import PREFIX, render
from croupier.backoffice.console.security import CsrfChecked
from croupier.kit.deps import Client, DbSession, RuntimeDep
from croupier.kit.runtime import Runtime
from croupier.staff.access import Permission
from croupier.staff.auth import require
from croupier.staff.service import StaffMember

router = APIRouter(prefix=f"{PREFIX}/audit", include_in_schema=False)

AuditReader = Annotated[StaffMember, Depends(require(Permission.AUDIT_READ))]
Field = Annotated[str, Form(max_length=64)]


async def _page(  # noqa: PLR0917 - what every view of the page needs
    request: Request,
    session: DbSession,
    runtime: Runtime,
    client: Client,
    member: StaffMember,
    chosen: audit_log.Filter,
    verdict: Verdict | None = None,
) -> Response:
    entries = await audit_log.read(session, reader=member.actor, client=client, chosen=chosen)
    return render(
        request,
        runtime,
        "audit.html",
        member=member,
        section="audit",
        entries=entries,
        chosen=chosen,
        head=await audit_log.head(session),
        verdict=verdict,
    )


@router.get("", response_class=HTMLResponse)
async def latest(
    request: Request, session: DbSession, runtime: RuntimeDep, client: Client, member: AuditReader
) -> Response:
    return await _page(request, session, runtime, client, member, audit_log.Filter())


@router.post("", response_class=HTMLResponse)
async def filtered(  # noqa: PLR0917 - one parameter per form field and dependency
    request: Request,
    session: DbSession,
    runtime: RuntimeDep,
    client: Client,
    member: AuditReader,
    _: CsrfChecked,
    action_prefix: Field = "",
    actor_id: Field = "",
    target_id: Field = "",
) -> Response:
    chosen = audit_log.Filter(action_prefix.strip(), actor_id.strip(), target_id.strip())
    return await _page(request, session, runtime, client, member, chosen)


@router.post("/verify", response_class=HTMLResponse)
async def verify(  # noqa: PLR0917 - one parameter per form field and dependency
    request: Request,
    session: DbSession,
    runtime: RuntimeDep,
    client: Client,
    member: AuditReader,
    _: CsrfChecked,
    checkpoint: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    verdict = await audit_log.verify(session, reader=member.actor, client=client, checkpoint=checkpoint)
    return await _page(request, session, runtime, client, member, audit_log.Filter(), verdict)
