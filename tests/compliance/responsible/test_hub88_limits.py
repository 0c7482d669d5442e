"""Hub88 bets are held to the same limits: a refusal is answered ``RS_ERROR_LIMIT_REACHED``, and
wins and rollbacks count back against the net loss. A game launched from a sign-in session is
played in it: its bets stop at the session-time limit and its play counts in the session's net
position, as in-house play does."""

from __future__ import annotations

import uuid
from decimal import Decimal

import httpx

from croupier.kit.runtime import Runtime
from tests.compliance.responsible.support import limits, set_limit
from tests.factories import SignedIn, signed_in_player
from tests.providers.support import EUR_CENT, GAME, Player, Studio, new_key, register, uid
from tests.sql import sql
from tests.wallet.support import deposit


async def test_a_hub88_bet_past_a_limit_is_refused_and_a_win_counts_against_the_net_loss(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    key = new_key()
    await register(runtime, "studio", key, EUR=Decimal("50.00"))
    studio = Studio(http=client, runtime=runtime, name="studio", key=key)
    signed_in = await signed_in_player(client)
    player_id = uuid.UUID(signed_in.id)
    await deposit(runtime, player_id, 10_000, "EUR")
    player = Player(id=player_id, token=await studio.token(player_id))
    await set_limit(client, signed_in, kind="loss", period="day", amount=300)

    placed = await studio.bet(player, 300 * EUR_CENT, transaction_uuid=(bet_uuid := uid()))
    refused = await studio.bet(player, 100 * EUR_CENT)

    assert placed["status"] == "RS_OK"
    assert refused["status"] == "RS_ERROR_LIMIT_REACHED"
    assert await studio.cash(player) == 10_000 - 300
    # A win of 200 brings the net loss to 100: a stake of 200 fits again, one of 201 would not.
    assert (await studio.win(player, 200 * EUR_CENT, bet_uuid))["status"] == "RS_OK"
    assert (await limits(client, signed_in))[0]["used"] == 100
    assert (await studio.bet(player, 201 * EUR_CENT))["status"] == "RS_ERROR_LIMIT_REACHED"
    assert (await studio.bet(player, 200 * EUR_CENT))["status"] == "RS_OK"
    await studio.books_balance()


async def launched(studio: Studio, signed_in: SignedIn) -> Player:
    """The player's game, launched from their sign-in session as a browser would."""
    response = await studio.http.post(
        "/v1/games/launch", json={"game_code": GAME, "currency": "EUR"}, headers=signed_in.headers
    )
    assert response.status_code == 201, response.text
    return Player(id=uuid.UUID(signed_in.id), token=response.json()["token"])


async def playing(client: httpx.AsyncClient, runtime: Runtime) -> tuple[Studio, SignedIn]:
    """A registered studio and a signed-in player with 100 EUR."""
    key = new_key()
    await register(runtime, "studio", key, EUR=Decimal("50.00"))
    signed_in = await signed_in_player(client)
    await deposit(runtime, uuid.UUID(signed_in.id), 10_000, "EUR")
    return Studio(http=client, runtime=runtime, name="studio", key=key), signed_in


async def age_sign_in(runtime: Runtime, signed_in: SignedIn, minutes: int) -> None:
    """Move the player's sign-in back ``minutes``, as that much play would."""
    await sql(
        runtime,
        "UPDATE player_sessions SET created_at = created_at - make_interval(mins => :m) WHERE player_id = :p",
        m=minutes,
        p=uuid.UUID(signed_in.id),
    )


class TestTheSessionTimeLimit:
    async def test_a_hub88_bet_is_refused_once_reached_and_what_was_placed_still_settles(
        self, client: httpx.AsyncClient, runtime: Runtime
    ) -> None:
        studio, signed_in = await playing(client, runtime)
        await set_limit(client, signed_in, kind="session", amount=30)
        player = await launched(studio, signed_in)
        won, rolled_back = studio.bet_body(player, 100 * EUR_CENT), studio.bet_body(player, 100 * EUR_CENT)
        assert (await studio.post("transaction/bet", won))["status"] == "RS_OK"
        assert (await studio.post("transaction/bet", rolled_back))["status"] == "RS_OK"

        # Thirty-one minutes after signing in.
        await age_sign_in(runtime, signed_in, 31)
        refused = await studio.bet(player, 100 * EUR_CENT)

        assert refused["status"] == "RS_ERROR_LIMIT_REACHED"
        assert refused["balance"] == (10_000 - 200) * EUR_CENT
        assert await studio.cash(player) == 10_000 - 200
        # Wins and rollbacks are never refused by a limit.
        assert (await studio.win(player, 300 * EUR_CENT, won["transaction_uuid"]))["status"] == "RS_OK"
        assert (await studio.rollback(player, rolled_back["transaction_uuid"]))["status"] == "RS_OK"
        assert await studio.cash(player) == 10_000 - 100 + 300
        await studio.books_balance()

    async def test_it_counts_from_the_sign_in_not_from_the_launch(
        self, client: httpx.AsyncClient, runtime: Runtime
    ) -> None:
        studio, signed_in = await playing(client, runtime)
        await set_limit(client, signed_in, kind="session", amount=30)
        await age_sign_in(runtime, signed_in, 31)

        player = await launched(studio, signed_in)

        assert (await studio.bet(player, 100 * EUR_CENT))["status"] == "RS_ERROR_LIMIT_REACHED"
        assert await studio.cash(player) == 10_000

    async def test_an_operators_test_token_has_no_sign_in_session_to_time(
        self, client: httpx.AsyncClient, runtime: Runtime
    ) -> None:
        studio, signed_in = await playing(client, runtime)
        await set_limit(client, signed_in, kind="session", amount=30)
        await age_sign_in(runtime, signed_in, 31)
        player = Player(id=uuid.UUID(signed_in.id), token=await studio.token(uuid.UUID(signed_in.id)))

        assert (await studio.bet(player, 100 * EUR_CENT))["status"] == "RS_OK"


async def test_hub88_play_counts_in_the_sign_in_sessions_net_position_beside_in_house_play(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    studio, signed_in = await playing(client, runtime)
    player = await launched(studio, signed_in)
    won, rolled_back = studio.bet_body(player, 300 * EUR_CENT), studio.bet_body(player, 200 * EUR_CENT)
    await studio.post("transaction/bet", won)
    await studio.post("transaction/bet", rolled_back)
    await studio.win(player, 100 * EUR_CENT, won["transaction_uuid"])
    await studio.rollback(player, rolled_back["transaction_uuid"])
    dice = await client.post(
        "/v1/games/dice/rounds",
        json={"stake": 100, "currency": "EUR", "target": 49.5, "direction": "under"},
        headers={**signed_in.headers, "Idempotency-Key": uid()},
    )
    assert dice.status_code == 201, dice.text

    check = await client.get("/v1/rg/reality-check", headers=signed_in.headers)

    assert check.status_code == 200, check.text
    hub88_net = -300 + 100
    assert check.json()["net_positions"] == {"EUR": hub88_net + dice.json()["payout"] - 100}
    assert dice.json()["session"]["net_position"] == hub88_net + dice.json()["payout"] - 100
