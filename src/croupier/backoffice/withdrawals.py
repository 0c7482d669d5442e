"""Staff decisions on a withdrawal: done at once, or, above the four-eyes threshold, asked of a colleague.

The staff API, the console and the operator's commands all come here, so the rules are in
one place. A withdrawal that leaves review by any path but the approval request's own
(rejected or approved directly, cancelled by the player) closes its pending request in the
same transaction, so no request waits for an action that can no longer be done.
"""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from croupier.audit.service import Actor
from croupier.backoffice.approvals import service as approvals
from croupier.backoffice.approvals.models import ApprovalRequest
from croupier.backoffice.approvals.service import ApprovalKind
from croupier.kit.client import ClientInfo
from croupier.kit.settings import Settings
from croupier.payments import withdrawals
from croupier.payments.models import Withdrawal
from croupier.staff.service import StaffMember


def _subject(withdrawal_id: uuid.UUID) -> str:
    return f"withdrawal:{withdrawal_id}"


async def _close_request(
    session: AsyncSession, withdrawal_id: uuid.UUID, *, actor: Actor, because: str
) -> None:
    # Before the withdrawal is locked: the order approving takes (the request, then the withdrawal).
    await approvals.close_pending(
        session,
        kind=ApprovalKind.WITHDRAWAL_APPROVE,
        subject=_subject(withdrawal_id),
        actor=actor,
        because=because,
    )


async def review(
    session: AsyncSession, *, withdrawal_id: uuid.UUID, approve: bool, actor: Actor, note: str | None
) -> Withdrawal:
    """A decision taken by one person (a rejection, an approval at or below the threshold, or an
    operator's command); a pending four-eyes request for the withdrawal is closed with it."""
    because = "the withdrawal was approved directly" if approve else "the withdrawal was rejected"
    await _close_request(session, withdrawal_id, actor=actor, because=because)
    return await withdrawals.review(
        session, withdrawal_id=withdrawal_id, approve=approve, actor=actor, note=note
    )


async def cancel(
    session: AsyncSession, *, player_id: uuid.UUID, withdrawal_id: uuid.UUID, client: ClientInfo | None
) -> Withdrawal:
    """The player cancels while it waits for review; a pending request for it is closed."""
    # Closed before the ownership check in ``cancel``: someone else's withdrawal raises there and
    # the whole transaction, the closing included, rolls back.
    await _close_request(
        session, withdrawal_id, actor=Actor.player(player_id), because="the player cancelled the withdrawal"
    )
    return await withdrawals.cancel(session, player_id=player_id, withdrawal_id=withdrawal_id, client=client)


async def approve_or_ask(
    session: AsyncSession,
    settings: Settings,
    *,
    withdrawal_id: uuid.UUID,
    staff: StaffMember,
    note: str | None,
    client: ClientInfo,
) -> Withdrawal | ApprovalRequest:
    """The approved withdrawal, or the approval request a second member of staff must decide."""
    withdrawal = await withdrawals.awaiting_review(session, withdrawal_id=withdrawal_id)
    if not withdrawals.needs_four_eyes(settings, amount=withdrawal.amount, currency=withdrawal.currency):
        # At or below the threshold (raised since a request was made for it, if one is pending:
        # only then is the withdrawal locked before the request, and PostgreSQL ends a deadlock).
        return await review(session, withdrawal_id=withdrawal_id, approve=True, actor=staff.actor, note=note)
    asked, _ = await approvals.ask(
        session,
        settings,
        kind=ApprovalKind.WITHDRAWAL_APPROVE,
        subject=_subject(withdrawal.id),
        payload={
            "withdrawal_id": str(withdrawal.id),
            "amount": withdrawal.amount,
            "currency": withdrawal.currency,
        },
        maker=staff,
        reason=note,
        client=client,
    )
    return asked
