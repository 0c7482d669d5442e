"""Payments' section of a player's data export: cards on file, deposits, withdrawals, refunds
and chargebacks, as the player's own API shows them.

They are an AML record (kept, pseudonymous, under the legal hold): nothing is erased. No card
number is held (only the provider's token, brand, first six and last four digits)."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from croupier.payments import repository
from croupier.payments.models import Chargeback, Deposit, Refund, Withdrawal
from croupier.payments.schemas import DepositView, MethodView, RefundView, WithdrawalView


async def export(session: AsyncSession, player_id: uuid.UUID) -> dict[str, Any]:
    methods = await repository.methods(session, player_id)
    currencies = await repository.deposited_currencies(session, [m.id for m in methods])
    return {
        "payment_methods": [
            MethodView.of(m, currencies.get(m.id, set())).model_dump(mode="json") for m in methods
        ],
        "deposits": [
            DepositView.of(d).model_dump(mode="json")
            for d in await repository.all_of(session, Deposit, player_id)
        ],
        "withdrawals": [
            WithdrawalView.of(w).model_dump(mode="json")
            for w in await repository.all_of(session, Withdrawal, player_id)
        ],
        "refunds": [
            RefundView.of(r).model_dump(mode="json")
            for r in await repository.all_of(session, Refund, player_id)
        ],
        "chargebacks": [
            {
                "id": c.id,
                "deposit_id": c.deposit_id,
                "amount": c.amount,
                "currency": c.currency,
                "reason": c.reason,
                "created_at": c.created_at,
            }
            for c in await repository.all_of(session, Chargeback, player_id)
        ],
    }
