"""Raising alerts: one per suspicion, however often it is reported."""

from __future__ import annotations

from sqlalchemy import select

from croupier.kit.runtime import Runtime
from croupier.risk.alerts import raise_alert
from croupier.risk.models import RiskAlert
from croupier.risk.typologies import Typology
from tests.wallet.support import make_player


async def test_the_same_suspicion_raised_twice_opens_one_alert(runtime: Runtime) -> None:
    player_id = await make_player(runtime)

    ids = []
    for _ in range(2):
        async with runtime.database.unit_of_work() as session:
            ids.append(
                await raise_alert(
                    session,
                    player_id=player_id,
                    typology=Typology.VELOCITY,
                    source="rule:deposit_velocity@1",
                    score=1.7,
                    reasons=["deposits_per_hour_above_5"],
                    event_ids=[41, 42],
                    dedupe_key="rule:deposit_velocity@1:42",
                )
            )

    assert ids[0] is not None
    assert ids[1] is None
    async with runtime.database.unit_of_work() as session:
        alerts = (await session.scalars(select(RiskAlert).where(RiskAlert.player_id == player_id))).all()
    assert [(a.typology, a.score, a.reasons, a.event_ids) for a in alerts] == [
        ("velocity", 1.0, ["deposits_per_hour_above_5"], [41, 42])
    ]
