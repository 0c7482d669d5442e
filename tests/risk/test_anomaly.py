"""The streaming anomaly score: learned from the player's events, kept as a feature, checkpointed."""

from __future__ import annotations

import pickle
from collections.abc import Callable

import pytest

from croupier.events.kinds import EventKind
from croupier.kit.keyring import Keyring
from croupier.kit.runtime import Runtime
from croupier.risk.anomaly import CHECKPOINT_EVERY, Scorer
from tests.risk.engine_support import emit, redeliver
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


class TestCheckpointSeal:
    """The checkpoint is a pickle: only one sealed by the engine's keyring is ever loaded."""

    def test_a_sealed_checkpoint_restores_the_model(self) -> None:
        ring = Keyring.generate()
        scorer = Scorer()
        scorer.score_and_learn({"amount": 0.5})

        restored = Scorer.restore(scorer.dump(keyring=ring), 1, keyring=ring)

        assert restored.seen == 1
        assert restored.model is not scorer.model

    @pytest.mark.parametrize(
        "tamper",
        [
            pytest.param(lambda b: b[:-1] + bytes([b[-1] ^ 1]), id="state changed"),
            pytest.param(lambda b: b[:10] + bytes([b[10] ^ 1]) + b[11:], id="seal changed"),
            pytest.param(lambda _: pickle.dumps({"not": "sealed"}), id="a bare pickle"),
            pytest.param(lambda _: b"", id="empty"),
        ],
    )
    def test_a_checkpoint_whose_seal_does_not_verify_is_never_unpickled(
        self, tamper: Callable[[bytes], bytes]
    ) -> None:
        ring = Keyring.generate()
        sealed = Scorer().dump(keyring=ring)

        restored = Scorer.restore(tamper(sealed), 500, keyring=ring)

        assert restored.seen == 0  # a fresh model

    def test_a_checkpoint_sealed_under_another_keyring_is_not_loaded(self) -> None:
        sealed = Scorer().dump(keyring=Keyring.generate())

        assert Scorer.restore(sealed, 500, keyring=Keyring.generate()).seen == 0
