"""The risk desk's queue in the console: unclosed cases, claim the next, notes, close.

The same casework functions as the staff API (``risk.casework``), so the timeline and the
audit log say the same whichever way an analyst worked the case.
"""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from starlette.responses import Response

from croupier.backoffice.console.pages import PREFIX, render
from croupier.backoffice.console.security import CsrfChecked
from croupier.kit.deps import DbSession, RuntimeDep
from croupier.risk import casework
from croupier.risk.cases import CaseStatus, Disposition
from croupier.staff.access import Permission
from croupier.staff.auth import require
from croupier.staff.service import StaffMember

router = APIRouter(prefix=f"{PREFIX}/cases", include_in_schema=False)

CaseReader = Annotated[StaffMember, Depends(require(Permission.RISK_READ))]
CaseWorker = Annotated[StaffMember, Depends(require(Permission.RISK_CASES_WORK))]
QUEUE_SHOWN = 100


@router.get("", response_class=HTMLResponse)
async def queue(request: Request, session: DbSession, runtime: RuntimeDep, member: CaseReader) -> Response:
    unclosed = [
        case
        for status in (CaseStatus.OPEN, CaseStatus.IN_REVIEW, CaseStatus.ESCALATED)
        for case in await casework.cases(session, status=status, limit=QUEUE_SHOWN)
    ]
    return render(request, runtime, "cases.html", member=member, section="cases", cases=unclosed, empty=False)


@router.post("/claim", response_class=HTMLResponse)
async def claim(
    request: Request, session: DbSession, runtime: RuntimeDep, member: CaseWorker, _: CsrfChecked
) -> Response:
    claimed = await casework.claim_next(session, actor=member.actor)
    if claimed is None:
        return render(request, runtime, "cases.html", member=member, section="cases", cases=[], empty=True)
    return RedirectResponse(f"{PREFIX}/cases/{claimed.case.id}", status_code=303)


@router.get("/{case_id}", response_class=HTMLResponse)
async def case_page(
    request: Request, case_id: uuid.UUID, session: DbSession, runtime: RuntimeDep, member: CaseReader
) -> Response:
    detail = await casework.case_detail(session, case_id=case_id, actor=member.actor)
    return render(
        request,
        runtime,
        "case.html",
        member=member,
        section="cases",
        detail=detail,
        dispositions=list(Disposition),
        may_work=member.may(Permission.RISK_CASES_WORK),
    )


@router.post("/{case_id}/notes")
async def add_note(
    case_id: uuid.UUID,
    session: DbSession,
    member: CaseWorker,
    _: CsrfChecked,
    text: Annotated[str, Form(min_length=1, max_length=4000)],
) -> Response:
    await casework.add_note(session, case_id=case_id, text=text, actor=member.actor)
    return RedirectResponse(f"{PREFIX}/cases/{case_id}", status_code=303)


@router.post("/{case_id}/close")
async def close(
    case_id: uuid.UUID,
    session: DbSession,
    member: CaseWorker,
    _: CsrfChecked,
    disposition: Annotated[Disposition, Form()],
    reason: Annotated[str, Form(min_length=1, max_length=2000)],
) -> Response:
    await casework.close(session, case_id=case_id, disposition=disposition, reason=reason, actor=member.actor)
    return RedirectResponse(f"{PREFIX}/cases/{case_id}", status_code=303)
