"""The payments desk: staff review withdrawals above the threshold and refund deposits.

Every route needs a staff key with the ``payments`` role; every decision is
audited under the key's name.
"""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query, Response

from croupier.kit.deps import DbSession
from croupier.kit.errors import Forbidden, NotFound, Unauthenticated, responses
from croupier.kit.idempotency import (
    IdempotencyKey,
    IdempotencyKeyRequired,
    IdempotencyKeyReused,
    mark_replayed,
)
from croupier.payments import refunds, repository, withdrawals
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
    rows = await repository.awaiting_review(session, limit)
    return StaffWithdrawalList(items=[StaffWithdrawalView.of(w) for w in rows])


@router.post(
    "/withdrawals/{withdrawal_id}/approve",
    summary="Approve a withdrawal; it is paid out next",
    responses=responses(*_STAFF, NotFound, withdrawals.NotAwaitingReview),
)
async def approve(
    withdrawal_id: uuid.UUID, body: ReviewWithdrawal, session: DbSession, staff: PaymentsStaff
) -> StaffWithdrawalView:
    done = await withdrawals.review(
        session, withdrawal_id=withdrawal_id, approve=True, actor=staff.actor, note=body.note
    )
    return StaffWithdrawalView.of(done)


@router.post(
    "/withdrawals/{withdrawal_id}/reject",
    summary="Reject a withdrawal; the funds return to the player",
    responses=responses(*_STAFF, NotFound, withdrawals.NotAwaitingReview),
)
async def reject(
    withdrawal_id: uuid.UUID, body: RejectWithdrawal, session: DbSession, staff: PaymentsStaff
) -> StaffWithdrawalView:
    done = await withdrawals.review(
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
