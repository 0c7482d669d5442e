"""Raising an alert: the one door through which rules, the anomaly model and screening report.

Each new alert joins the player's open case, or opens one (``casework.collect``),
in the same transaction: an alert is never left outside a case.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy.ext.asyncio import AsyncSession

from croupier.kit.jsonb import plain
from croupier.risk import case_repository as repository
from croupier.risk import casework
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
    event that triggered it, so a redelivered event changes nothing (nor any case).
    """
    alert_id = await repository.insert_alert(
        session,
        {
            "id": uuid.uuid4(),
            "player_id": player_id,
            "typology": str(typology),
            "source": source[:128],
            "score": min(max(float(score), 0.0), 1.0),
            "reasons": plain(list(reasons)),
            "event_ids": list(event_ids),
            "dedupe_key": dedupe_key[:200],
        },
    )
    if alert_id is not None:
        await casework.collect(
            session, alert_id=alert_id, player_id=player_id, typology=typology, source=source[:128]
        )
    return alert_id
