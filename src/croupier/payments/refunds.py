"""Refunds: staff send (part of) a deposit back to its card.

The amount is held on the player's balance when the refund is requested and
moved to the provider's clearing account when the provider confirms; a failed
refund releases the hold. The submission relay sends it to the provider after
commit.
"""

from __future__ import annotations

import uuid
from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from croupier.audit.service import Actor, Target
from croupier.audit.service import record as audit_record
from croupier.audit.tags import AuditAction, Outcome
from croupier.events.kinds import EventKind
from croupier.kit.clock import utcnow
from croupier.kit.errors import CroupierError, NotFound
from croupier.kit.idempotency import request_hash
from croupier.payments import deposits, repository
from croupier.payments.events import record_payment_event
from croupier.payments.gateway import wake_submissions
from croupier.payments.models import Deposit, Refund, RefundStatus
from croupier.payments.provider import ALREADY_APPLIED, STALE, ProviderTransfer
from croupier.wallet import service as wallet
from croupier.wallet.service import HouseAccount, HouseBook, PlayerAccount

SOURCE = "payments:refund"
# Short names for the statuses, defined once in models.RefundStatus.
REQUESTED, SUBMITTED, SUCCEEDED, FAILED = (
    RefundStatus.REQUESTED,
    RefundStatus.SUBMITTED,
    RefundStatus.SUCCEEDED,
    RefundStatus.FAILED,
)
HOLD_DAYS = 365  # until the provider answers; ``ledger check`` flags one that outlives this


class RefundNotPossible(CroupierError):
    code = "refund_not_possible"
    status = 422
    title = "This deposit cannot be refunded by that amount"


async def request(
    session: AsyncSession,
    *,
    deposit_id: uuid.UUID,
    amount: int | None,
    reason: str,
    key: str,
    actor: Actor,
) -> tuple[Refund, bool]:
    deposit = await repository.lock(session, Deposit, deposit_id)
    if deposit is None:
        raise NotFound("No such deposit.")
    digest = request_hash({"amount": amount, "reason": reason})
    existing = await repository.replay(session, Refund, digest, deposit_id=deposit_id, idempotency_key=key)
    if existing is not None:
        return existing, True
    if deposit.status != deposits.SUCCEEDED:
        raise RefundNotPossible("Only a credited deposit can be refunded.")
    left = (
        deposit.amount
        - deposit.refunded_amount
        - deposit.charged_back_amount
        - await repository.pending_refunds_total(session, deposit.id)
    )
    amount = left if amount is None else amount
    if not 0 < amount <= left:
        raise RefundNotPossible(
            f"At most {left} (minor units) of this deposit can still be refunded.", left=left
        )
    refund_id, now = uuid.uuid4(), utcnow()
    try:
        held = await wallet.hold(
            session,
            source=SOURCE,
            key=str(refund_id),
            account=PlayerAccount(deposit.player_id, deposit.currency),
            amount=amount,
            expires_at=now + timedelta(days=HOLD_DAYS),
            metadata={"refund_id": str(refund_id), "deposit_id": str(deposit.id)},
        )
    except wallet.InsufficientFunds:
        raise RefundNotPossible("The player's available balance does not cover this refund.") from None
    refund = Refund(
        id=refund_id,
        deposit_id=deposit.id,
        player_id=deposit.player_id,
        idempotency_key=key,
        request_hash=digest,
        amount=amount,
        currency=deposit.currency,
        status=REQUESTED,
        hold_id=held.id,
        requested_by=actor.id or str(actor.type),
        reason=reason[:500],
        next_attempt_at=now,
        created_at=now,
        updated_at=now,
    )
    session.add(refund)
    audit_record(
        session,
        AuditAction.REFUND_REQUEST,
        actor=actor,
        target=Target.player(deposit.player_id),
        details={
            "deposit_id": str(deposit.id),
            "refund_id": str(refund_id),
            "amount": amount,
            "reason": reason,
        },
    )
    wake_submissions(session)
    return refund, False


async def settle(session: AsyncSession, refund: Refund, report: ProviderTransfer) -> str:
    """Apply the provider's final word on a locked refund; the inbox outcome."""
    if refund.status in (SUCCEEDED, FAILED):
        return ALREADY_APPLIED if report.status == refund.status else STALE
    if report.amount != refund.amount:
        return "mismatch"
    if refund.provider_refund_id is None:
        refund.provider_refund_id = report.id
    if report.status == SUCCEEDED:
        await wallet.post_hold(
            session,
            hold_id=_hold_of(refund),
            amount=refund.amount,
            to=HouseAccount(HouseBook.PSP_CLEARING, refund.currency),
            source=SOURCE,
            key=f"settle:{refund.id}",
            kind="refund",
            metadata={"refund_id": str(refund.id), "deposit_id": str(refund.deposit_id)},
        )
        deposit = await repository.lock(session, Deposit, refund.deposit_id)
        if deposit is None:  # deposits are never deleted
            raise RuntimeError("broken invariant: deposits are never deleted")
        deposit.refunded_amount += refund.amount
        deposit.updated_at = utcnow()
        _settled(session, refund, SUCCEEDED, Outcome.SUCCESS)
        await record_payment_event(
            session,
            EventKind.REFUND,
            player_id=refund.player_id,
            data={
                "refund_id": str(refund.id),
                "deposit_id": str(refund.deposit_id),
                "amount": refund.amount,
                "currency": refund.currency,
            },
            method=deposit.method_id,
        )
    elif report.status == FAILED:
        await fail(session, refund, report.failure_code or "failed")
    else:
        return "pending"
    return f"refund_{refund.status}"


async def fail(session: AsyncSession, refund: Refund, failure_code: str) -> None:
    """The provider will not refund it (its webhook said so, or it refused the request): release the funds."""
    await wallet.void_hold(session, hold_id=_hold_of(refund))
    refund.failure_code = failure_code[:64]
    _settled(session, refund, FAILED, Outcome.FAILURE)


def _hold_of(refund: Refund) -> uuid.UUID:
    if refund.hold_id is None:  # set when the refund was requested
        raise RuntimeError("broken invariant: set when the refund was requested")
    return refund.hold_id


def _settled(session: AsyncSession, refund: Refund, status: str, outcome: Outcome) -> None:
    refund.status = status
    refund.updated_at = utcnow()
    refund.next_attempt_at = None
    audit_record(
        session,
        AuditAction.REFUND_SETTLE,
        actor=Actor.provider("psp"),
        outcome=outcome,
        target=Target.player(refund.player_id),
        details={"refund_id": str(refund.id), "status": refund.status, "failure_code": refund.failure_code},
    )
