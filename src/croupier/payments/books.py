"""Payments' part of the books check: what the payment tables claim agrees with the ledger.

These rules read the ledger's tables next to the payments tables on purpose:
a reconciliation is exactly a comparison of two records of the same money.
"""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

MAX_PER_RULE = 50

# Per currency: the receivables account is minus what players owe.
_DEBTS_VS_RECEIVABLES = text(
    """
    WITH owed AS (SELECT currency, sum(outstanding) AS total FROM player_debts GROUP BY currency),
         booked AS (
            SELECT currency, -sum(balance) AS total FROM ledger_accounts
            WHERE kind = 'receivables' AND player_id IS NULL GROUP BY currency
         )
    SELECT coalesce(o.currency, b.currency), coalesce(o.total, 0), coalesce(b.total, 0)
    FROM owed o FULL JOIN booked b ON o.currency = b.currency
    WHERE coalesce(o.total, 0) <> coalesce(b.total, 0)
    """
)

# A withdrawal or refund still open holds its funds; a settled one's hold is settled the same way.
_HOLDS_OUT_OF_STEP = text(
    """
    SELECT kind, id, status, hold_status FROM (
        SELECT 'withdrawal' AS kind, w.id, w.status, h.status AS hold_status,
               CASE WHEN w.status IN ('pending_approval', 'approved', 'submitted') THEN 'pending'
                    WHEN w.status = 'paid' THEN 'posted' ELSE 'voided' END AS expected
        FROM withdrawals w JOIN ledger_holds h ON h.id = w.hold_id
        UNION ALL
        SELECT 'refund', r.id, r.status, h.status,
               CASE WHEN r.status IN ('requested', 'submitted') THEN 'pending'
                    WHEN r.status = 'succeeded' THEN 'posted' ELSE 'voided' END
        FROM refunds r JOIN ledger_holds h ON h.id = r.hold_id
    ) AS paired
    WHERE hold_status <> expected
    LIMIT :limit
    """
)

_REVERSED_BEYOND_DEPOSIT = text(
    """
    SELECT d.id, d.amount, coalesce(sum(c.amount), 0), d.charged_back_amount
    FROM deposits d LEFT JOIN chargebacks c ON c.deposit_id = d.id
    GROUP BY d.id HAVING coalesce(sum(c.amount), 0) <> d.charged_back_amount
    LIMIT :limit
    """
)


async def problems(session: AsyncSession) -> list[str]:
    found = [
        f"currency {currency}: players owe {owed} but the receivables account says {booked}"
        for currency, owed, booked in await session.execute(_DEBTS_VS_RECEIVABLES)
    ]
    found += [
        f"{kind} {row_id}: {status} but its hold is {hold_status}"
        for kind, row_id, status, hold_status in await session.execute(
            _HOLDS_OUT_OF_STEP, {"limit": MAX_PER_RULE}
        )
    ]
    found += [
        f"deposit {deposit_id}: charged back {recorded} but its chargebacks sum to {total}"
        for deposit_id, _, total, recorded in await session.execute(
            _REVERSED_BEYOND_DEPOSIT, {"limit": MAX_PER_RULE}
        )
    ]
    return found
