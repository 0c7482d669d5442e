"""Payments and four-eyes in the console: withdrawals awaiting review, and approval requests.

Approving a withdrawal above the four-eyes threshold only asks: it then waits on the
approvals page for a colleague, who cannot be the one who asked. The same functions as the
staff API (``backoffice.withdrawals``, ``backoffice.approvals``).
"""

from __future__ import annotations

import uuid
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from starlette.responses import Response

from croupier.backoffice import withdrawals as decisions
from croupier.backoffice.approvals import service as approvals
from croupier.backoffice.approvals.kinds import HANDLERS
from croupier.backoffice.approvals.models import ApprovalRequest, ApprovalStatus
from croupier.backoffice.console.pages import PREFIX, render
from croupier.backoffice.console.security import CsrfChecked
from croupier.backoffice.withdrawals import approve_or_ask
from croupier.kit.deps import Client, DbSession, RuntimeDep
from croupier.payments import withdrawals
from croupier.staff.access import Permission
from croupier.staff.auth import require
from croupier.staff.service import StaffMember

router = APIRouter(prefix=PREFIX, include_in_schema=False)

Reviewer = Annotated[StaffMember, Depends(require(Permission.WITHDRAWALS_REVIEW))]
Approver = Annotated[StaffMember, Depends(require(*sorted(approvals.APPROVER_PERMISSIONS)))]
Done = Literal["approved", "asked", "rejected"]
Note = Annotated[str, Form(max_length=500)]


@router.get("/withdrawals", response_class=HTMLResponse)
async def withdrawal_queue(
    request: Request,
    session: DbSession,
    runtime: RuntimeDep,
    member: Reviewer,
    done: Annotated[Done | None, Query()] = None,
) -> Response:
    queue = await withdrawals.review_queue(session, limit=100)
    return render(
        request, runtime, "withdrawals.html", member=member, section="withdrawals", queue=queue, done=done
    )


@router.post("/withdrawals/{withdrawal_id}/approve")
async def approve_withdrawal(  # noqa: PLR0917 - one parameter per form field and dependency
    withdrawal_id: uuid.UUID,
    session: DbSession,
    runtime: RuntimeDep,
    client: Client,
    member: Reviewer,
    _: CsrfChecked,
    note: Note = "",
) -> Response:
    outcome = await approve_or_ask(
        session, runtime.settings, withdrawal_id=withdrawal_id, staff=member, note=note or None, client=client
    )
    done = "asked" if isinstance(outcome, ApprovalRequest) else "approved"
    return RedirectResponse(f"{PREFIX}/withdrawals?done={done}", status_code=303)


@router.post("/withdrawals/{withdrawal_id}/reject")
async def reject_withdrawal(
    withdrawal_id: uuid.UUID,
    session: DbSession,
    member: Reviewer,
    _: CsrfChecked,
    note: Annotated[str, Form(min_length=1, max_length=500)],
) -> Response:
    await decisions.review(session, withdrawal_id=withdrawal_id, approve=False, actor=member.actor, note=note)
    return RedirectResponse(f"{PREFIX}/withdrawals?done=rejected", status_code=303)


@router.get("/approvals", response_class=HTMLResponse)
async def approval_queue(
    request: Request,
    session: DbSession,
    runtime: RuntimeDep,
    member: Approver,
    done: Annotated[Done | None, Query()] = None,
) -> Response:
    pending = await approvals.listing(session, viewer=member, status=ApprovalStatus.PENDING, limit=100)
    return render(
        request, runtime, "approvals.html", member=member, section="approvals", pending=pending, done=done
    )


@router.post("/approvals/{request_id}/approve")
async def approve(  # noqa: PLR0917 - one parameter per form field and dependency
    request_id: uuid.UUID,
    request: Request,
    session: DbSession,
    runtime: RuntimeDep,
    client: Client,
    member: Approver,
    _: CsrfChecked,
    note: Note = "",
) -> Response:
    _done, effect = await approvals.approve(
        session, request_id=request_id, checker=member, note=note or None, handlers=HANDLERS, client=client
    )
    if effect.shown_once:
        # A secret made by the action (a new OAuth client's): on this page, once, never in a URL.
        pending = await approvals.listing(session, viewer=member, status=ApprovalStatus.PENDING, limit=100)
        return render(
            request,
            runtime,
            "approvals.html",
            member=member,
            section="approvals",
            pending=pending,
            done="approved",
            shown_once={**effect.summary, **effect.shown_once},
        )
    return RedirectResponse(f"{PREFIX}/approvals?done=approved", status_code=303)


@router.post("/approvals/{request_id}/reject")
async def reject(
    request_id: uuid.UUID,
    session: DbSession,
    client: Client,
    member: Approver,
    _: CsrfChecked,
    note: Annotated[str, Form(min_length=1, max_length=500)],
) -> Response:
    await approvals.reject(session, request_id=request_id, checker=member, note=note, client=client)
    return RedirectResponse(f"{PREFIX}/approvals?done=rejected", status_code=303)
