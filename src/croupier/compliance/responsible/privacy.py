"""Responsible gambling's part in privacy requests: the player's limits, their history and the
reality-check interval, for the export (articles 15 and 20).

Nothing here is erased: the limits a player set and the markers of harm are kept, pseudonymous,
as the regulator's record of how the player was protected (the ``responsible_gambling`` activity
of the record of processing).
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from croupier.compliance.responsible import repository


async def export(session: AsyncSession, player_id: uuid.UUID) -> dict[str, Any]:
    limits = [
        {
            "currency": row.currency,
            "kind": row.kind,
            "period": row.period,
            "amount": row.amount,
            "pending_amount": row.pending_amount,
            "pending_removal": row.pending_removal,
            "requested_at": row.requested_at.isoformat() if row.requested_at else None,
            "confirmable_at": row.confirmable_at.isoformat() if row.confirmable_at else None,
        }
        for row in await repository.limits(session, player_id)
        if row.amount is not None or row.pending_amount is not None or row.pending_removal
    ]
    history = [
        {
            "at": change.at.isoformat(),
            "currency": change.currency,
            "kind": change.kind,
            "period": change.period,
            "change": change.change,
            "previous": change.previous,
            "amount": change.amount,
        }
        for change in await repository.changes_of(session, player_id)
    ]
    reality = await repository.reality_settings(session, player_id)
    return {
        "limits": limits,
        "limit_history": history,
        "reality_check_minutes": None if reality is None else reality.reality_check_minutes,
    }
