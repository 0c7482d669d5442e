"""The streaming anomaly score: learned from the player's events, kept as a feature, checkpointed."""

from __future__ import annotations

from croupier.events.kinds import EventKind
from croupier.kit.runtime import Runtime
from croupier.risk.anomaly import CHECKPOINT_EVERY
from tests.risk.support import emit, redeliver
from tests.sql import sql
from tests.wallet.support import make_player


async def _score(runtime: Runtime, player: object) -> float:
    [(score,)] = await sql(
        runtime, "SELECT anomaly_score FROM risk_player_state WHERE player_id = :p", p=player
    )
    return float(score)


async def test_an_event_unlike_the_players_history_scores_high_and_the_shadow_rule_records_it(
    runtime: Runtime,
) -> None:
    player = await make_player(runtime)
    await emit(runtime, EventKind.DEPOSIT_CONFIRMED, player, amount=10_000, currency="EUR")
    for n in range(CHECKPOINT_EVERY + 50):
        await emit(runtime, EventKind.BET, player, amount=100 + n % 7, currency="EUR")
    await redeliver(runtime)
    usual = await _score(runtime, player)

    await emit(runtime, EventKind.WITHDRAWAL_REQUESTED, player, amount=5_000_000, currency="EUR")
    await redeliver(runtime)

    assert usual < 0.5
    assert await _score(runtime, player) > 0.9
    [row] = await sql(
        runtime, "SELECT decision, shadow FROM risk_decisions WHERE action = 'event:withdrawal_requested'"
    )
    assert (row.decision, row.shadow) == ("allow", ["rule:anomalous_behaviour@1:anomaly"])
    [(seen,)] = await sql(runtime, "SELECT events_seen FROM risk_models WHERE name = 'half_space_trees'")
    assert seen >= CHECKPOINT_EVERY
