"""In-house bets held to the player's wager, loss and session-time limits, and every bet's answer
telling the player where they stand in their session."""

from __future__ import annotations

import uuid
from typing import Any

import httpx

from tests.compliance.responsible.support import limits, refused_by, set_limit
from tests.factories import SignedIn
from tests.payments.support import Live
from tests.sql import sql
from tests.wallet.support import deposit

DICE = {"stake": 100, "currency": "EUR", "target": 49.5, "direction": "under"}


async def funded(live: Live, amount: int = 10_000) -> SignedIn:
    player = await live.player()
    await deposit(live.runtime, uuid.UUID(player.id), amount, "EUR")
    return player


async def dice(live: Live, player: SignedIn, **bet: Any) -> httpx.Response:
    headers = {**player.headers, "Idempotency-Key": str(uuid.uuid4())}
    return await live.http.post("/v1/games/dice/rounds", json={**DICE, **bet}, headers=headers)


async def rounds_played(live: Live, player: SignedIn) -> int:
    return len((await live.get(player, "/v1/rounds"))["items"])


class TestWagerAndLossLimits:
    async def test_the_stake_that_would_pass_the_wager_limit_is_refused_and_nothing_moves(
        self, live: Live
    ) -> None:
        player = await funded(live)
        await set_limit(live.http, player, kind="wager", period="day", amount=250)
        assert [(await dice(live, player)).status_code for _ in range(2)] == [201, 201]
        before = await live.wallet(player)

        refused = await dice(live, player)

        refused_by(refused, "wager", "day")
        assert await live.wallet(player) == before
        assert await rounds_played(live, player) == 2
        assert (await dice(live, player, stake=50)).status_code == 201  # what is left may still be staked

    async def test_a_stake_is_refused_when_losing_it_could_pass_the_net_loss_limit(self, live: Live) -> None:
        player = await funded(live)
        await set_limit(live.http, player, kind="loss", period="week", amount=100)

        first = await dice(live, player)
        second = await dice(live, player)

        # The first stake could lose all 100; the second only fits if the first won some back.
        assert first.status_code == 201, first.text
        won = first.json()["payout"] >= DICE["stake"]
        if won:
            assert second.status_code == 201, second.text
        else:
            refused_by(second, "loss", "week")
        net_loss = (
            DICE["stake"] * (2 if won else 1)
            - first.json()["payout"]
            - (second.json()["payout"] if won else 0)
        )
        assert (await limits(live.http, player))[0]["used"] == net_loss


class TestTheSession:
    async def test_every_bet_answer_carries_the_time_played_and_the_net_position(self, live: Live) -> None:
        player = await funded(live)

        answers = [(await dice(live, player)).json() for _ in range(3)]

        net = 0
        for answer in answers:
            net += answer["payout"] - answer["stake"]
            session = answer["session"]
            assert (session["currency"], session["net_position"]) == ("EUR", net)
            assert session["elapsed_seconds"] >= 0
            assert (session["reality_check_due"], session["reality_check_due_at"]) == (False, None)

    async def test_the_session_time_limit_refuses_bets_once_reached(self, live: Live) -> None:
        player = await funded(live)
        await set_limit(live.http, player, kind="session", amount=30)
        assert (await dice(live, player)).status_code == 201

        # Thirty-one minutes after signing in.
        await sql(
            live.runtime,
            "UPDATE player_sessions SET created_at = created_at - interval '31 minutes' WHERE player_id = :p",
            p=uuid.UUID(player.id),
        )

        refused_by(await dice(live, player), "session", "session")
