"""Launching a third-party game: a signed-in player gets a short-lived token for themselves only,
which ends with the sign-in session it was launched from."""

from __future__ import annotations

import hashlib
import uuid
from datetime import UTC, datetime
from typing import Any

import httpx

from tests.factories import SignedIn, signed_in_player
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


class TestTheSignInSessionItWasLaunchedFrom:
    """A launched game takes bets only while the sign-in session it was launched from lasts."""

    async def _playing(self, studio: Studio) -> tuple[SignedIn, Player, dict[str, Any]]:
        """A funded player, their launched game, and a bet placed in it."""
        me = await signed_in_player(studio.http)
        launch = await _launch(studio.http, me.headers)
        assert launch.status_code == 201, launch.text
        player = Player(id=uuid.UUID(me.id), token=launch.json()["token"])
        await deposit(studio.runtime, player.id, 2_000)
        placed = studio.bet_body(player, 5 * UNIT)
        assert (await studio.post("transaction/bet", placed))["status"] == "RS_OK"
        return me, player, placed

    async def test_the_token_names_the_session_and_a_test_token_none(self, studio: Studio) -> None:
        me = await signed_in_player(studio.http)
        await _launch(studio.http, me.headers)
        await studio.token(uuid.UUID(me.id))

        rows = await studio.sql("SELECT sign_in_session_id FROM game_tokens ORDER BY created_at")

        assert rows == [(await _session_id(studio, me),), (None,)]

    async def test_after_signing_out_the_game_takes_no_bets_but_settles_the_ones_placed(
        self, studio: Studio
    ) -> None:
        me, player, placed = await self._playing(studio)
        signed_out = await studio.http.delete("/v1/sessions/current", headers=me.headers)
        assert signed_out.status_code == 204

        bet = await studio.bet(player, 5 * UNIT)
        balance = await studio.balance(player)
        win = await studio.win(player, 8 * UNIT, placed["transaction_uuid"])

        assert bet["status"] == balance["status"] == "RS_ERROR_TOKEN_EXPIRED"
        assert bet["balance"] == 15 * UNIT
        assert win["status"] == "RS_OK"
        assert await studio.cash(player) == 2_000 - 500 + 800
        await studio.books_balance()

    async def test_a_session_past_its_lifetime_or_revoked_ends_the_game_too(self, studio: Studio) -> None:
        _, aged, placed = await self._playing(studio)
        _, revoked, _ = await self._playing(studio)
        await studio.sql(
            "UPDATE player_sessions SET expires_at = now() - interval '1 second' WHERE player_id = :p",
            p=aged.id,
        )
        await studio.sql(
            "UPDATE player_sessions SET revoked_at = now(), revoked_reason = 'revoked' WHERE player_id = :p",
            p=revoked.id,
        )

        assert (await studio.bet(aged, 5 * UNIT))["status"] == "RS_ERROR_TOKEN_EXPIRED"
        assert (await studio.bet(revoked, 5 * UNIT))["status"] == "RS_ERROR_TOKEN_EXPIRED"
        assert (await studio.rollback(aged, placed["transaction_uuid"]))["status"] == "RS_OK"
        assert await studio.cash(aged) == 2_000
        assert await studio.cash(revoked) == 2_000 - 500

    async def test_a_session_idle_in_croupier_while_the_game_is_played_keeps_the_game(
        self, studio: Studio
    ) -> None:
        # A player in a provider's game calls the provider, not Croupier: the game's own token
        # measures their inactivity, not the sign-in session's last-seen time.
        _, player, _ = await self._playing(studio)
        await studio.sql(
            "UPDATE player_sessions SET last_seen_at = now() - interval '2 hours' WHERE player_id = :p",
            p=player.id,
        )

        assert (await studio.bet(player, 5 * UNIT))["status"] == "RS_OK"


async def _session_id(studio: Studio, me: SignedIn) -> uuid.UUID:
    [(session_id,)] = await studio.sql(
        "SELECT id FROM player_sessions WHERE player_id = :p", p=uuid.UUID(me.id)
    )
    found: uuid.UUID = session_id
    return found
