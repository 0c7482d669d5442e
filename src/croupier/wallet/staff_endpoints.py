"""The payments desk adjusts a player's balance over HTTP (``croupier wallet adjust`` at the command line).

An adjustment up to the currency's four-eyes threshold is made at once; a larger one
becomes an approval request, made when a second member of staff approves it. Either
way the Idempotency-Key makes a retry safe: the same key answers the same adjustment or
request, and a key reused for a different adjustment is refused.
"""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Response

from croupier.backoffice.approvals import service as approvals
from croupier.backoffice.approvals.schemas import ApprovalView
from croupier.backoffice.approvals.service import ApprovalKind
from croupier.kit.deps import Client, DbSession, SettingsDep
from croupier.kit.errors import Forbidden, NotFound, Unauthenticated, responses
from croupier.kit.idempotency import (
    IdempotencyKey,
    IdempotencyKeyRequired,
    IdempotencyKeyReused,
    mark_replayed,
)
from croupier.kit.jsonb import plain
from croupier.staff.auth import AdjustStaff
from croupier.wallet import adjustments
from croupier.wallet.schemas import AdjustmentView, CreateAdjustment
from croupier.wallet.service import InsufficientFunds, InvalidAmount, UnknownCurrency

router = APIRouter(prefix="/v1/staff", tags=["staff: payments"])


@router.post(
    "/players/{player_id}/adjustments",
    status_code=201,
    summary="Credit or debit a player's cash (above the four-eyes threshold: 202, ask a colleague)",
    description="Up to `CROUPIER_FOUR_EYES_ADJUSTMENT_MINOR` (by absolute amount) the adjustment is"
    " made at once (201). Above it the call makes an approval request (202) that another member of"
    " staff with `wallet:adjust` approves at `POST /v1/staff/approvals/{id}/approve`.",
    responses={
        **responses(
            Unauthenticated,
            Forbidden,
            NotFound,
            adjustments.ReasonRequired,
            InvalidAmount,
            UnknownCurrency,
            InsufficientFunds,
            IdempotencyKeyRequired,
            IdempotencyKeyReused,
        ),
        202: {"model": ApprovalView, "description": "An approval request, waiting for a second member"},
    },
)
async def adjust(
    *,
    player_id: uuid.UUID,
    body: CreateAdjustment,
    session: DbSession,
    settings: SettingsDep,
    staff: AdjustStaff,
    client: Client,
    key: IdempotencyKey,
    response: Response,
) -> AdjustmentView | ApprovalView:
    reason = await adjustments.check(
        session, player_id=player_id, amount=body.amount, currency=body.currency, reason=body.reason
    )
    subject = f"adjustment:{player_id}:{key}"
    payload = plain(
        {
            "player_id": str(player_id),
            "amount": body.amount,
            "currency": body.currency,
            "reason": reason,
            "key": key,
        }
    )
    earlier = await approvals.latest_for(session, kind=ApprovalKind.WALLET_ADJUST, subject=subject)
    at_once = not adjustments.needs_four_eyes(settings, amount=body.amount, currency=body.currency)
    # A key the ledger has seen is answered by the ledger: the same adjustment, or refused.
    if earlier is None and (at_once or await adjustments.made_with(session, key=key)):
        done = await adjustments.adjust(
            session,
            player_id=player_id,
            amount=body.amount,
            currency=body.currency,
            reason=reason,
            key=key,
            actor=staff.actor,
            client=client,
        )
        mark_replayed(response, done.replayed)
        return AdjustmentView(
            transfer_id=done.id,
            player_id=player_id,
            amount=body.amount,
            currency=body.currency,
            created_at=done.created_at,
        )
    if earlier is None:
        earlier, created = await approvals.ask(
            session,
            settings,
            kind=ApprovalKind.WALLET_ADJUST,
            subject=subject,
            payload=payload,
            maker=staff,
            reason=reason,
            client=client,
        )
    else:
        created = False
    if earlier.payload != payload:
        raise IdempotencyKeyReused("This Idempotency-Key was used for another adjustment.")
    mark_replayed(response, not created)
    response.status_code = 202
    return ApprovalView.of(earlier)
