"""SQL behind the evaluation of detection quality: which typologies were alerted for which players."""

from __future__ import annotations

import uuid
from collections.abc import Collection

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from croupier.risk.models import RiskAlert


async def alerted_typologies(
    session: AsyncSession, player_ids: Collection[uuid.UUID]
) -> list[tuple[uuid.UUID, str]]:
    """Each (player, typology) pair with at least one alert, for the given players."""
    if not player_ids:
        return []
    rows = await session.execute(
        select(RiskAlert.player_id, RiskAlert.typology)
        .where(RiskAlert.player_id.in_(list(player_ids)))
        .distinct()
    )
    return [(player_id, typology) for player_id, typology in rows.tuples()]
