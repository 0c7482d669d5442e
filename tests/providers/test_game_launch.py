"""Launching a third-party game: a signed-in player gets a short-lived token for themselves only."""

from __future__ import annotations

import hashlib
import uuid
from datetime import UTC, datetime

import httpx

from tests.factories import signed_in_player
from tests.providers.support import GAME, UNIT, Player, Studio
from tests.wallet.support import deposit


async def _launch(
    client: httpx.AsyncClient, headers: dict[str, str] | None, **body: object
) -> httpx.Response:
    return await client.post(
        "/v1/games/launch", json={"game_code": GAME, "currency": "EUR", **body}, headers=headers
    )


async def test_a_player_launches_a_game_and_its_provider_plays_with_the_token(studio: Studio) -> None:
    me = await signed_in_player(studio.http)

    response = await _launch(studio.http, me.headers)

    assert response.status_code == 201, response.text
    launch = response.json()
    assert launch["provider"] == "studio"
    assert launch["game_code"] == GAME
    assert launch["currency"] == "EUR"
    assert launch["user"] == me.id
    assert launch["token"].startswith("crg_")
    minutes_left = (datetime.fromisoformat(launch["expires_at"]) - datetime.now(UTC)).total_seconds() / 60
    assert 4 < minutes_left <= 5
    player = Player(id=uuid.UUID(me.id), token=launch["token"])
    await deposit(studio.runtime, player.id, 2_000)
    assert (await studio.balance(player))["balance"] == 20 * UNIT
    assert (await studio.bet(player, 5 * UNIT))["status"] == "RS_OK"


async def test_the_token_is_stored_only_as_its_sha256(studio: Studio) -> None:
    me = await signed_in_player(studio.http)

    token = (await _launch(studio.http, me.headers)).json()["token"]

    assert await studio.sql("SELECT token_hash FROM game_tokens") == [
        (hashlib.sha256(token.encode()).digest(),)
    ]


async def test_a_launch_needs_a_session(studio: Studio) -> None:
    response = await _launch(studio.http, None)

    assert response.status_code == 401


async def test_a_player_cannot_launch_for_someone_else(studio: Studio) -> None:
    me, other = await signed_in_player(studio.http), await signed_in_player(studio.http)

    response = await _launch(studio.http, me.headers, player_id=other.id)

    assert response.status_code == 422
    assert response.json()["code"] == "validation_error"
    assert await studio.sql("SELECT player_id FROM game_tokens") == []


async def test_an_unknown_game_is_not_found(studio: Studio) -> None:
    me = await signed_in_player(studio.http)

    response = await _launch(studio.http, me.headers, game_code="clt_unknown")

    assert response.status_code == 404


async def test_a_game_of_a_disabled_provider_is_not_found(studio: Studio) -> None:
    me = await signed_in_player(studio.http)
    await studio.sql("UPDATE game_providers SET enabled = false")

    response = await _launch(studio.http, me.headers)

    assert response.status_code == 404


async def test_a_currency_croupier_does_not_hold_is_refused(studio: Studio) -> None:
    me = await signed_in_player(studio.http)

    response = await _launch(studio.http, me.headers, currency="XYZ")

    assert response.status_code == 422
    assert response.json()["code"] == "unknown_currency"
