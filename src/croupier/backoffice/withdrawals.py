"""A staff approval of a withdrawal: done at once, or, above the four-eyes threshold, asked of a colleague.

The staff API and the console both come here, so the rule is in one place.
"""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from croupier.backoffice.approvals import service as approvals
from croupier.backoffice.approvals.models import ApprovalRequest
from croupier.backoffice.approvals.service import ApprovalKind
from croupier.kit.client import ClientInfo
from croupier.kit.settings import Settings
from croupier.payments import withdrawals
from croupier.payments.models import Withdrawal
from croupier.staff.service import StaffMember


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
        return await withdrawals.review(
            session, withdrawal_id=withdrawal_id, approve=True, actor=staff.actor, note=note
        )
    asked, _ = await approvals.ask(
        session,
        settings,
        kind=ApprovalKind.WITHDRAWAL_APPROVE,
        subject=f"withdrawal:{withdrawal.id}",
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
