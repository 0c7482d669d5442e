"""The payments desk: staff review withdrawals above the threshold and refund deposits.

Every route needs a staff key with the ``payments`` role; every decision is
audited under the key's name. Approving a withdrawal above the four-eyes threshold
takes a second member of staff (``backoffice.approvals``).
"""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query, Response

from croupier.backoffice import withdrawals as decisions
from croupier.backoffice.approvals.models import ApprovalRequest
from croupier.backoffice.approvals.schemas import ApprovalView
from croupier.backoffice.withdrawals import approve_or_ask
from croupier.kit.deps import Client, DbSession, SettingsDep
from croupier.kit.errors import Forbidden, NotFound, Unauthenticated, responses
from croupier.kit.idempotency import (
    IdempotencyKey,
    IdempotencyKeyRequired,
    IdempotencyKeyReused,
    mark_replayed,
)
from croupier.payments import refunds, withdrawals
from croupier.payments.schemas import (
    CreateRefund,
    RefundView,
    RejectWithdrawal,
    ReviewWithdrawal,
    StaffWithdrawalList,
    StaffWithdrawalView,
)
from croupier.staff.auth import PaymentsStaff, RefundStaff

router = APIRouter(prefix="/v1/staff", tags=["staff: payments"])
_STAFF = (Unauthenticated, Forbidden)


@router.get(
    "/withdrawals/awaiting-review",
    summary="Withdrawals waiting for a decision, oldest first",
    responses=responses(*_STAFF),
)
async def awaiting_review(
    session: DbSession,
    staff: PaymentsStaff,  # noqa: ARG001 - the role check is the point
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> StaffWithdrawalList:
    rows = await withdrawals.review_queue(session, limit=limit)
    return StaffWithdrawalList(items=[StaffWithdrawalView.of(w) for w in rows])


@router.post(
    "/withdrawals/{withdrawal_id}/approve",
    summary="Approve a withdrawal; it is paid out next (above the four-eyes threshold: 202, ask a colleague)",
    description="Above `CROUPIER_FOUR_EYES_WITHDRAWAL_MINOR` the call makes an approval request"
    " (202) and the withdrawal keeps waiting until another member of staff approves the request"
    " at `POST /v1/staff/approvals/{id}/approve`; asking again answers the pending request.",
    responses={
        **responses(*_STAFF, NotFound, withdrawals.NotAwaitingReview),
        202: {"model": ApprovalView, "description": "An approval request, waiting for a second member"},
    },
)
async def approve(
    *,
    withdrawal_id: uuid.UUID,
    body: ReviewWithdrawal,
    session: DbSession,
    settings: SettingsDep,
    staff: PaymentsStaff,
    client: Client,
    response: Response,
) -> StaffWithdrawalView | ApprovalView:
    done = await approve_or_ask(
        session, settings, withdrawal_id=withdrawal_id, staff=staff, note=body.note, client=client
    )
    if isinstance(done, ApprovalRequest):
        response.status_code = 202
        return ApprovalView.of(done)
    return StaffWithdrawalView.of(done)


@router.post(
    "/withdrawals/{withdrawal_id}/reject",
    summary="Reject a withdrawal; the funds return to the player",
    description="A pending four-eyes request to approve it is closed (`cancelled`) in the same transaction.",
    responses=responses(*_STAFF, NotFound, withdrawals.NotAwaitingReview),
)
async def reject(
    withdrawal_id: uuid.UUID, body: RejectWithdrawal, session: DbSession, staff: PaymentsStaff
) -> StaffWithdrawalView:
    done = await decisions.review(
        session, withdrawal_id=withdrawal_id, approve=False, actor=staff.actor, note=body.note
    )
    return StaffWithdrawalView.of(done)


@router.post(
    "/deposits/{deposit_id}/refunds",
    status_code=201,
    summary="Refund (part of) a deposit to its card",
    responses=responses(
        *_STAFF, NotFound, refunds.RefundNotPossible, IdempotencyKeyRequired, IdempotencyKeyReused
    ),
)
async def refund(
    *,
    deposit_id: uuid.UUID,
    body: CreateRefund,
    session: DbSession,
    staff: RefundStaff,
    key: IdempotencyKey,
    response: Response,
) -> RefundView:
    done, replayed = await refunds.request(
        session, deposit_id=deposit_id, amount=body.amount, reason=body.reason, key=key, actor=staff.actor
    )
    mark_replayed(response, replayed)
    return RefundView.of(done)
