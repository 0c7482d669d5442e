"""What each kind of approval request does once approved: the one module here that knows the domains.

Each handler calls the owning domain's service, as the checker, inside the transaction
that records the approval; an error from the domain rolls both back.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from croupier.backoffice.approvals.service import ApprovalKind, Handler
from croupier.payments import withdrawals
from croupier.risk import rulesets
from croupier.staff.service import StaffMember
from croupier.wallet import adjustments


async def approve_withdrawal(
    session: AsyncSession, payload: Mapping[str, Any], checker: StaffMember
) -> Mapping[str, Any]:
    done = await withdrawals.review(
        session,
        withdrawal_id=uuid.UUID(str(payload["withdrawal_id"])),
        approve=True,
        actor=checker.actor,
        note="four-eyes approval",
    )
    return {"withdrawal_id": str(done.id), "status": str(done.status)}


async def adjust_balance(
    session: AsyncSession, payload: Mapping[str, Any], checker: StaffMember
) -> Mapping[str, Any]:
    done = await adjustments.adjust(
        session,
        player_id=uuid.UUID(str(payload["player_id"])),
        amount=int(payload["amount"]),
        currency=str(payload["currency"]),
        reason=str(payload["reason"]),
        key=str(payload["key"]),
        actor=checker.actor,
    )
    return {"transfer_id": str(done.id), "replayed": done.replayed}


async def publish_rule_set(
    session: AsyncSession, payload: Mapping[str, Any], checker: StaffMember
) -> Mapping[str, Any]:
    published = await rulesets.publish(
        session,
        set_name=str(payload["name"]),
        actor=checker.actor,
        expect=rulesets.DraftState(version=int(payload["version"]), digest=str(payload["digest"])),
    )
    return {"name": published.name, "version": published.version, "status": published.status}


HANDLERS: Mapping[str, Handler] = {
    ApprovalKind.WITHDRAWAL_APPROVE: approve_withdrawal,
    ApprovalKind.WALLET_ADJUST: adjust_balance,
    ApprovalKind.RULE_SET_PUBLISH: publish_rule_set,
}
