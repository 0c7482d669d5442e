"""Player debts: what a chargeback took that the player's balance did not cover.

A debt is money the casino is owed, so it is booked on the house receivables
account (the ledger stays balanced) and mirrored per player in
``player_debts``. The player's next deposits pay it off first, and withdrawals
wait until it is paid.
"""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from croupier.kit.clock import utcnow
from croupier.kit.errors import CroupierError
from croupier.payments import repository


class OutstandingDebt(CroupierError):
    code = "outstanding_debt"
    status = 422
    title = "A debt to the casino must be paid first"


async def take_from_deposit(
    session: AsyncSession, *, player_id: uuid.UUID, currency: str, amount: int
) -> int:
    """Lock the player's debt and reduce it by what ``amount`` covers; how much was collected."""
    debt = await repository.lock_debt(session, player_id, currency)
    if debt is None or debt.outstanding <= 0:
        return 0
    collected = min(debt.outstanding, amount)
    debt.outstanding -= collected
    debt.updated_at = utcnow()
    return collected


async def record(session: AsyncSession, *, player_id: uuid.UUID, currency: str, amount: int) -> None:
    await repository.add_debt(session, player_id=player_id, currency=currency, amount=amount, now=utcnow())


async def refuse_if_owing(session: AsyncSession, *, player_id: uuid.UUID, currency: str) -> None:
    owed = await repository.owed(session, player_id, currency)
    if owed > 0:
        raise OutstandingDebt(
            f"You owe {owed} {currency} (minor units) from a reversed card payment; deposit to settle it.",
            currency=currency,
            outstanding=owed,
        )
