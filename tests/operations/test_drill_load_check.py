"""The drills' check after the load: what the clients were told against what PostgreSQL holds.

A round is played through the API; the check must pass when the record matches the database and
name each way it can fail to: an acknowledged round missing, a round nobody was told about, cash
the rounds do not explain.
"""

from __future__ import annotations

import uuid

import httpx

from croupier.audit.service import Actor
from croupier.kit.runtime import Runtime
from croupier.kit.settings import Settings
from croupier.operations.drills import load
from croupier.wallet import adjustments


async def played(client: httpx.AsyncClient, settings: Settings) -> tuple[load.Player, load.AckedRound]:
    """A funded drill player and one dice round it played, as the client recorded it."""
    [player] = await load.enrol(settings, 1, funds=10_000)
    signed_in = await client.post("/v1/sessions", json={"email": player.email, "password": player.password})
    assert signed_in.status_code == 201, signed_in.text
    answer = await client.post(
        "/v1/games/dice/rounds",
        json=load.DICE_BET,
        headers={"Authorization": f"Bearer {signed_in.json()['token']}", "Idempotency-Key": "round-1"},
    )
    assert answer.status_code == 201, answer.text
    body = answer.json()
    return player, load.AckedRound(player.id, "round-1", uuid.UUID(body["id"]), body["stake"], body["payout"])


async def test_a_record_that_matches_the_database_holds(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    player, acked = await played(client, settings)
    checked = await load.verify(settings, [player], load.LoadRecord(rounds=[acked]))
    assert checked.held
    assert checked.acknowledged == 1


async def test_an_acknowledged_round_the_database_lacks_is_lost(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    player, acked = await played(client, settings)
    invented = load.AckedRound(player.id, "round-2", uuid.uuid4(), 100, 0)
    checked = await load.verify(settings, [player], load.LoadRecord(rounds=[acked, invented]))
    assert not checked.held
    assert checked.lost == [f"round {invented.round_id} (key round-2)"]


async def test_a_round_no_client_was_told_about_is_reported(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    player, _ = await played(client, settings)
    checked = await load.verify(settings, [player], load.LoadRecord())
    assert checked.phantoms == [f"key round-1 of player {player.id}"]
    # Unless its outcome was unknown to the client (it gave up): then it is counted, not blamed.
    unknown = await load.verify(settings, [player], load.LoadRecord(unknown_keys={(player.id, "round-1")}))
    assert unknown.held
    assert unknown.unacknowledged == 1


async def test_cash_the_rounds_do_not_explain_is_reported(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    player, acked = await played(client, settings)
    runtime = await Runtime.start(settings)
    try:
        async with runtime.database.unit_of_work() as session:
            await adjustments.adjust(
                session,
                player_id=player.id,
                amount=1,
                currency=load.CURRENCY,
                reason="a cent from nowhere",
                key="stray",
                actor=Actor.operator("test"),
            )
    finally:
        await runtime.close()
    checked = await load.verify(settings, [player], load.LoadRecord(rounds=[acked]))
    assert not checked.held
    assert len(checked.balances_off) == 1
