"""The audit trail's section of a player's data export: every entry about the player or by them.

The trail itself is never changed: its hash chain is the proof that nobody did (``croupier
audit verify``); an erasure keeps it under the legal hold."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from croupier.audit import repository
from croupier.audit.tags import ActorType


async def export(session: AsyncSession, player_id: uuid.UUID) -> list[dict[str, Any]]:
    return [
        {
            "seq": e.seq,
            "occurred_at": e.occurred_at,
            "action": e.action,
            "outcome": e.outcome,
            "actor": e.actor_type,  # staff and operators are not named to the player
            "ip": e.ip,
            "user_agent": e.user_agent,
            "details": e.details,
        }
        for e in await repository.events_about(
            session, subject_type=str(ActorType.PLAYER), subject_id=str(player_id)
        )
    ]
