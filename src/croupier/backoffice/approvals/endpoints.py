"""The approvals desk: requests waiting for a second member of staff, and their decisions.

Every route admits a member holding any permission that some kind of request needs; each
request is shown only to members who hold the permission it needs, and to its maker
(anyone else gets 403 `approval_permission_missing`). Deciding needs that permission and not being the maker.
"""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Response

from croupier.backoffice.approvals import service as approvals
from croupier.backoffice.approvals.kinds import HANDLERS
from croupier.backoffice.approvals.models import ApprovalStatus
from croupier.backoffice.approvals.schemas import (
    ApprovalDone,
    ApprovalList,
    ApprovalView,
    ApproveBody,
    RejectBody,
)
from croupier.kit.deps import Client, DbSession
from croupier.kit.errors import CroupierError, Forbidden, NotFound, Unauthenticated, responses
from croupier.staff.auth import require
from croupier.staff.service import StaffMember

router = APIRouter(prefix="/v1/staff/approvals", tags=["staff: approvals"])
Approver = Annotated[StaffMember, Depends(require(*sorted(approvals.APPROVER_PERMISSIONS)))]
_STAFF = (Unauthenticated, Forbidden)
_DECIDE: tuple[type[CroupierError], ...] = (
    *_STAFF,
    NotFound,
    approvals.ApprovalOwnRequest,
    approvals.ApprovalPermissionMissing,
    approvals.ApprovalBeneficiary,
    approvals.ApprovalExpired,
    approvals.ApprovalNotPending,
)


@router.get(
    "", summary="Approval requests you may decide or made (pending by default)", responses=responses(*_STAFF)
)
async def list_requests(
    session: DbSession,
    staff: Approver,
    status: ApprovalStatus = ApprovalStatus.PENDING,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> ApprovalList:
    rows = await approvals.listing(session, viewer=staff, status=status, limit=limit)
    return ApprovalList(items=[ApprovalView.of(r) for r in rows])


@router.get("/{request_id}", summary="One approval request", responses=responses(*_STAFF, NotFound))
async def show_request(request_id: uuid.UUID, session: DbSession, staff: Approver) -> ApprovalView:
    return ApprovalView.of(await approvals.show(session, request_id=request_id, viewer=staff))


@router.post(
    "/{request_id}/approve",
    summary="Approve a request; its action is done in the same transaction",
    description="Errors of the action itself (e.g. 409 `withdrawal_not_awaiting_review`) leave the"
    " request pending; reject it if it can no longer be done. A secret the action makes (a new"
    " OAuth client's `client_secret`) is in this answer's `effect` only, once: it is stored nowhere.",
    responses=responses(*_DECIDE),
)
async def approve_request(  # noqa: PLR0917 - the path, the body and four dependencies
    request_id: uuid.UUID,
    body: ApproveBody,
    session: DbSession,
    staff: Approver,
    client: Client,
    response: Response,
) -> ApprovalDone:
    row, effect = await approvals.approve(
        session, request_id=request_id, checker=staff, note=body.note, handlers=HANDLERS, client=client
    )
    if effect.shown_once:
        response.headers["Cache-Control"] = "no-store"
    return ApprovalDone(**ApprovalView.of(row).model_dump(), effect={**effect.summary, **effect.shown_once})


@router.post(
    "/{request_id}/reject",
    summary="Reject a request; nothing of its action is done",
    responses=responses(*_DECIDE),
)
async def reject_request(
    request_id: uuid.UUID, body: RejectBody, session: DbSession, staff: Approver, client: Client
) -> ApprovalView:
    row = await approvals.reject(session, request_id=request_id, checker=staff, note=body.note, client=client)
    return ApprovalView.of(row)


@router.post(
    "/{request_id}/cancel",
    summary="Withdraw your own pending request",
    responses=responses(
        *_STAFF, NotFound, approvals.ApprovalNotMaker, approvals.ApprovalExpired, approvals.ApprovalNotPending
    ),
)
async def cancel_request(
    request_id: uuid.UUID, session: DbSession, staff: Approver, client: Client
) -> ApprovalView:
    return ApprovalView.of(await approvals.cancel(session, request_id=request_id, maker=staff, client=client))
