"""Withdrawals: closed-loop payouts to a card the player deposited with.

The amount is held on the player's balance from the request until the
provider confirms the payout (then it moves to the provider's clearing
account) or fails (then the hold is released). Withdrawals above the
currency's threshold wait for staff review; the player can cancel until a
withdrawal is approved. Approved withdrawals go to the provider through the
submission relay, after commit.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from croupier.audit.service import Actor, Target
from croupier.audit.service import record as audit_record
from croupier.audit.tags import AuditAction, Outcome
from croupier.compliance.kyc import gate as kyc
from croupier.compliance.responsible import harm_markers
from croupier.events.kinds import EventKind
from croupier.kit.client import ClientInfo
from croupier.kit.clock import utcnow
from croupier.kit.errors import Conflict, CroupierError, NotFound
from croupier.kit.idempotency import request_hash
from croupier.kit.settings import Settings
from croupier.payments import debts, repository
from croupier.payments.events import record_payment_event
from croupier.payments.gateway import wake_submissions
from croupier.payments.models import Withdrawal, WithdrawalStatus
from croupier.payments.provider import ALREADY_APPLIED, STALE, ProviderTransfer, refuse_above_limit
from croupier.risk import service as risk
from croupier.risk.rules import Action
from croupier.risk.sanctions.gate import refuse_if_under_review
from croupier.wallet import service as wallet
from croupier.wallet.service import HouseAccount, HouseBook, PlayerAccount

SOURCE = "payments:withdrawal"
# Short names for the statuses, defined once in models.WithdrawalStatus.
PENDING_APPROVAL, APPROVED, SUBMITTED, PAID, FAILED, CANCELLED, REJECTED = (
    WithdrawalStatus.PENDING_APPROVAL,
    WithdrawalStatus.APPROVED,
    WithdrawalStatus.SUBMITTED,
    WithdrawalStatus.PAID,
    WithdrawalStatus.FAILED,
    WithdrawalStatus.CANCELLED,
    WithdrawalStatus.REJECTED,
)
OPEN = (PENDING_APPROVAL, APPROVED, SUBMITTED)


class ClosedLoop(CroupierError):
    code = "closed_loop"
    status = 422
    title = "Withdrawals go back to a card you deposited with"


class NotCancellable(CroupierError):
    code = "withdrawal_not_cancellable"
    status = 409
    title = "The withdrawal can no longer be cancelled"


class NotAwaitingReview(Conflict):
    code = "withdrawal_not_awaiting_review"
    title = "The withdrawal is not waiting for review"


def needs_review(settings: Settings, *, amount: int, currency: str) -> bool:
    threshold = settings.withdrawal_approval_thresholds.get(currency)
    return threshold is None or amount > threshold


def needs_four_eyes(settings: Settings, *, amount: int, currency: str) -> bool:
    """Whether approving the withdrawal takes two members of staff (one asks, another approves)."""
    threshold = settings.four_eyes_withdrawal_minor.get(currency)
    return threshold is None or amount > threshold


async def request(
    session: AsyncSession,
    settings: Settings,
    *,
    player_id: uuid.UUID,
    key: str,
    amount: int,
    currency: str,
    method_id: uuid.UUID,
    client: ClientInfo | None = None,
) -> tuple[Withdrawal, bool]:
    """Hold the funds and record the withdrawal; ``(withdrawal, replayed)``."""
    # Sanctions screening: an open blocking hit pauses withdrawals until an analyst clears it.
    await refuse_if_under_review(session, player_id=player_id)
    digest = request_hash({"amount": amount, "currency": currency, "method": str(method_id)})
    existing = await repository.replay(session, Withdrawal, digest, player_id=player_id, idempotency_key=key)
    if existing is not None:
        return existing, True
    await kyc.require_for_withdrawal(session, settings, player_id=player_id)
    # The provider's limit (settings.psp_max_amount, the adapter's too): the payout would be refused.
    refuse_above_limit(amount, settings.psp_max_amount)
    method = await repository.method(session, method_id)
    if method is None or method.player_id != player_id:
        raise NotFound("No such payment method.")
    await wallet.exponent(session, currency)  # before the row, whose currency must exist
    await risk.decide(
        session,
        action=Action.WITHDRAWAL,
        player_id=player_id,
        client=client,
        amount=amount,
        currency=currency,
        settings=settings,
    )
    withdrawal_id, now = uuid.uuid4(), utcnow()
    review = needs_review(settings, amount=amount, currency=currency)
    withdrawal = await repository.claim(
        session,
        Withdrawal,
        {
            "id": withdrawal_id,
            "player_id": player_id,
            "method_id": method_id,
            "idempotency_key": key,
            "request_hash": digest,
            "amount": amount,
            "currency": currency,
            "status": PENDING_APPROVAL if review else APPROVED,
            "next_attempt_at": None if review else now,
            "created_at": now,
            "updated_at": now,
        },
        ["player_id", "idempotency_key"],
    )
    if withdrawal is None:  # a concurrent first attempt with this key committed meanwhile
        existing = await repository.replay(
            session, Withdrawal, digest, player_id=player_id, idempotency_key=key
        )
        if existing is None:  # pragma: no cover - the conflicting row is committed when we get here
            raise RuntimeError("withdrawal key conflict without a stored withdrawal")
        return existing, True
    deposited = await repository.deposited_currencies(session, [method_id])
    if currency not in deposited.get(method_id, set()):
        raise ClosedLoop(f"This card has no successful {currency} deposit; withdraw to one that has.")
    await debts.refuse_if_owing(session, player_id=player_id, currency=currency)
    held = await wallet.hold(
        session,
        source=SOURCE,
        key=str(withdrawal_id),
        account=PlayerAccount(player_id, currency),
        amount=amount,
        expires_at=now + timedelta(days=settings.withdrawal_hold_days),
        metadata={"withdrawal_id": str(withdrawal_id)},
    )
    withdrawal.hold_id = held.id
    audit_record(
        session,
        AuditAction.WITHDRAWAL_REQUEST,
        actor=Actor.player(player_id),
        target=Target.player(player_id),
        client=client,
        details={
            "withdrawal_id": str(withdrawal_id),
            "amount": amount,
            "currency": currency,
            "review": review,
        },
    )
    await record_payment_event(
        session,
        EventKind.WITHDRAWAL_REQUESTED,
        player_id=player_id,
        data={"withdrawal_id": str(withdrawal_id), "amount": amount, "currency": currency, "review": review},
        method=method_id,
        client=client,
    )
    if not review:
        wake_submissions(session)
    return withdrawal, False


async def own(session: AsyncSession, *, player_id: uuid.UUID, withdrawal_id: uuid.UUID) -> Withdrawal:
    """The player's own withdrawal, locked; anyone else's is "not found" (it reveals nothing)."""
    found = await repository.lock(session, Withdrawal, withdrawal_id, player_id=player_id)
    if found is None:
        raise NotFound("No such withdrawal.")
    return found


async def cancel(
    session: AsyncSession,
    *,
    player_id: uuid.UUID,
    withdrawal_id: uuid.UUID,
    client: ClientInfo | None = None,
) -> Withdrawal:
    withdrawal = await own(session, player_id=player_id, withdrawal_id=withdrawal_id)
    if withdrawal.status == CANCELLED:
        return withdrawal
    if withdrawal.status != PENDING_APPROVAL:
        raise NotCancellable(f"The withdrawal is {withdrawal.status}.", withdrawal_status=withdrawal.status)
    await _release(session, withdrawal, CANCELLED)
    audit_record(
        session,
        AuditAction.WITHDRAWAL_CANCEL,
        actor=Actor.player(player_id),
        target=Target.player(player_id),
        client=client,
        details={"withdrawal_id": str(withdrawal.id)},
    )
    # Money taken back from a withdrawal, usually to keep playing: a marker of harm.
    await harm_markers.cancelled_withdrawal(
        session,
        player_id=player_id,
        withdrawal_id=withdrawal.id,
        amount=withdrawal.amount,
        currency=withdrawal.currency,
        client=client,
    )
    return withdrawal


async def awaiting_review(session: AsyncSession, *, withdrawal_id: uuid.UUID) -> Withdrawal:
    """The withdrawal, locked, if it waits for a staff decision (``NotFound``, ``NotAwaitingReview``)."""
    withdrawal = await repository.lock(session, Withdrawal, withdrawal_id)
    if withdrawal is None:
        raise NotFound("No such withdrawal.")
    if withdrawal.status != PENDING_APPROVAL:
        raise NotAwaitingReview(
            f"The withdrawal is {withdrawal.status}.", withdrawal_status=withdrawal.status
        )
    return withdrawal


async def review(
    session: AsyncSession, *, withdrawal_id: uuid.UUID, approve: bool, actor: Actor, note: str | None
) -> Withdrawal:
    """A staff decision on a withdrawal above the threshold."""
    withdrawal = await awaiting_review(session, withdrawal_id=withdrawal_id)
    now = utcnow()
    withdrawal.reviewed_by, withdrawal.reviewed_at = actor.id, now
    withdrawal.review_note = (note or "")[:500] or None
    if approve:
        withdrawal.status, withdrawal.next_attempt_at, withdrawal.updated_at = APPROVED, now, now
        wake_submissions(session)
    else:
        await _release(session, withdrawal, REJECTED)
    audit_record(
        session,
        AuditAction.WITHDRAWAL_APPROVE if approve else AuditAction.WITHDRAWAL_REJECT,
        actor=actor,
        target=Target.player(withdrawal.player_id),
        details={"withdrawal_id": str(withdrawal.id), "amount": withdrawal.amount, "note": note},
    )
    return withdrawal


async def _release(session: AsyncSession, withdrawal: Withdrawal, status: str) -> None:
    if withdrawal.hold_id is None:  # set when the withdrawal was requested
        raise RuntimeError("broken invariant: set when the withdrawal was requested")
    await wallet.void_hold(session, hold_id=withdrawal.hold_id)
    withdrawal.status = status
    withdrawal.next_attempt_at = None
    withdrawal.updated_at = utcnow()


async def fail(session: AsyncSession, withdrawal: Withdrawal, failure_code: str) -> None:
    """The provider will not pay it out: release the funds."""
    await _release(session, withdrawal, FAILED)
    withdrawal.failure_code = failure_code[:64]
    audit_record(
        session,
        AuditAction.WITHDRAWAL_FAIL,
        actor=Actor.provider("psp"),
        outcome=Outcome.FAILURE,
        target=Target.player(withdrawal.player_id),
        details={"withdrawal_id": str(withdrawal.id), "failure_code": withdrawal.failure_code},
    )
    await record_payment_event(
        session,
        EventKind.WITHDRAWAL_FAILED,
        player_id=withdrawal.player_id,
        data={
            "withdrawal_id": str(withdrawal.id),
            "amount": withdrawal.amount,
            "currency": withdrawal.currency,
            "failure_code": withdrawal.failure_code,
        },
        method=withdrawal.method_id,
    )


async def settle(session: AsyncSession, withdrawal: Withdrawal, report: ProviderTransfer) -> str:
    """Apply the provider's final word on a locked withdrawal's payout; the inbox outcome."""
    if withdrawal.status not in (APPROVED, SUBMITTED):
        return ALREADY_APPLIED if report.status == withdrawal.status else STALE
    if report.amount != withdrawal.amount:
        return "mismatch"
    if withdrawal.provider_payout_id is None:
        withdrawal.provider_payout_id = report.id
    if report.status == FAILED:
        await fail(session, withdrawal, report.failure_code or "failed")
        return "payout_failed"
    if report.status != PAID:
        return "pending"
    if withdrawal.hold_id is None:  # set when the withdrawal was requested
        raise RuntimeError("broken invariant: set when the withdrawal was requested")
    await wallet.post_hold(
        session,
        hold_id=withdrawal.hold_id,
        amount=withdrawal.amount,
        to=HouseAccount(HouseBook.PSP_CLEARING, withdrawal.currency),
        source=SOURCE,
        key=f"paid:{withdrawal.id}",
        kind="withdrawal",
        metadata={"withdrawal_id": str(withdrawal.id)},
    )
    withdrawal.status = PAID
    withdrawal.next_attempt_at = None
    withdrawal.updated_at = utcnow()
    audit_record(
        session,
        AuditAction.WITHDRAWAL_PAID,
        actor=Actor.provider("psp"),
        target=Target.player(withdrawal.player_id),
        details={"withdrawal_id": str(withdrawal.id), "amount": withdrawal.amount},
    )
    await record_payment_event(
        session,
        EventKind.WITHDRAWAL_PAID,
        player_id=withdrawal.player_id,
        data={
            "withdrawal_id": str(withdrawal.id),
            "amount": withdrawal.amount,
            "currency": withdrawal.currency,
        },
        method=withdrawal.method_id,
    )
    return "paid"


async def review_queue(session: AsyncSession, *, limit: int = 50) -> Sequence[Withdrawal]:
    """Withdrawals waiting for a staff decision, oldest first."""
    return await repository.awaiting_review(session, limit)
