"""Raising an alert: the one door through which rules, the anomaly model and screening report."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from croupier.kit.jsonb import plain
from croupier.risk.models import RiskAlert
from croupier.risk.typologies import Typology


async def raise_alert(
    session: AsyncSession,
    *,
    player_id: uuid.UUID,
    typology: Typology,
    source: str,
    score: float,
    reasons: Sequence[str],
    event_ids: Sequence[int],
    dedupe_key: str,
) -> uuid.UUID | None:
    """Open an alert in ``session``'s transaction; None if ``dedupe_key`` was raised before.

    ``dedupe_key`` identifies the suspicion, not the call: e.g. the rule and the
    event that triggered it, so a redelivered event changes nothing.
    """
    return await session.scalar(
        insert(RiskAlert)
        .values(
            id=uuid.uuid4(),
            player_id=player_id,
            typology=str(typology),
            source=source[:128],
            score=min(max(float(score), 0.0), 1.0),
            reasons=plain(list(reasons)),
            event_ids=list(event_ids),
            dedupe_key=dedupe_key[:200],
        )
        .on_conflict_do_nothing(index_elements=[RiskAlert.dedupe_key])
        .returning(RiskAlert.id)
    )
