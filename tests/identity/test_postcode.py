"""The postcode: optional at registration, kept sealed in one form (upper case, single spaces),
shown and changed with the profile. Anything but a plausible postcode is refused and writes nothing."""

from __future__ import annotations

import httpx
import pytest

from croupier.kit.runtime import Runtime
from tests.factories import player_data, signed_in_player
from tests.risk.sanctions.support import screenings_of
from tests.sql import sql

REFUSED = [
    "",
    "   ",
    "S",
    "SW1A 1AA 12",  # 11 characters
    "SW1A_1AA",
    "SW1A/1AA",
    "<b>SW1A",
    "-SW1A 1AA",
    "SW1A--1AA",
    "ŚW1A 1AA",
    "STRAßE",  # upper case would make it ASCII
    "SW1A\x001AA",
    12345,
]


def _problem(response: httpx.Response, status: int, code: str) -> None:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["code"] == code


class TestAtRegistration:
    @pytest.mark.parametrize(
        ("given", "kept"),
        [
            ("  sw1a   1aa ", "SW1A 1AA"),
            ("ec1a\t1bb", "EC1A 1BB"),
            ("1000-001", "1000-001"),
            ("75008", "75008"),
        ],
    )
    async def test_is_kept_sealed_in_one_form_and_shown_in_the_profile(
        self, client: httpx.AsyncClient, runtime: Runtime, given: str, kept: str
    ) -> None:
        player = await signed_in_player(client, postcode=given)

        me = await client.get("/v1/me", headers=player.headers)

        assert me.json()["postcode"] == kept
        [(sealed,)] = await sql(runtime, "SELECT postcode_enc FROM players WHERE id = :p", p=player.id)
        assert kept.encode() not in sealed

    async def test_is_optional(self, client: httpx.AsyncClient, runtime: Runtime) -> None:
        player = await signed_in_player(client)

        assert (await client.get("/v1/me", headers=player.headers)).json()["postcode"] is None
        assert await sql(runtime, "SELECT postcode_enc FROM players WHERE id = :p", p=player.id) == [(None,)]

    @pytest.mark.parametrize("postcode", REFUSED)
    async def test_anything_else_is_refused_and_creates_no_player(
        self, client: httpx.AsyncClient, runtime: Runtime, postcode: object
    ) -> None:
        data = player_data(postcode=postcode)

        _problem(await client.post("/v1/players", json=data), 422, "validation_error")

        assert await sql(runtime, "SELECT count(*) FROM players") == [(0,)]
        assert await sql(runtime, "SELECT count(*) FROM mail_outbox") == [(0,)]


class TestInTheProfile:
    async def test_a_player_sets_changes_and_removes_it_without_touching_the_name(
        self, client: httpx.AsyncClient
    ) -> None:
        player = await signed_in_player(client)

        added = await client.patch("/v1/me/profile", json={"postcode": "m1 1ae"}, headers=player.headers)
        assert added.status_code == 200, added.text
        assert (added.json()["postcode"], added.json()["first_name"]) == ("M1 1AE", "Ada")
        renamed = await client.patch("/v1/me/profile", json={"first_name": "Grace"}, headers=player.headers)
        assert (renamed.json()["postcode"], renamed.json()["first_name"]) == ("M1 1AE", "Grace")
        removed = await client.patch("/v1/me/profile", json={"postcode": None}, headers=player.headers)
        assert removed.status_code == 200, removed.text

        me = (await client.get("/v1/me", headers=player.headers)).json()
        assert (me["postcode"], me["first_name"]) == (None, "Grace")

    async def test_a_new_postcode_alone_is_not_screened_against_sanctions_lists(
        self, client: httpx.AsyncClient, runtime: Runtime
    ) -> None:
        player = await signed_in_player(client)

        changed = await client.patch("/v1/me/profile", json={"postcode": "M1 1AE"}, headers=player.headers)

        assert changed.status_code == 200, changed.text
        assert [s.trigger for s in await screenings_of(runtime, player.id)] == ["registration"]
        actions = await sql(
            runtime,
            "SELECT action FROM audit_events WHERE target_id = :p AND action LIKE 'identity:profile:%'",
            p=player.id,
        )
        assert actions == [("identity:profile:postcode_change",)]

    @pytest.mark.parametrize("postcode", ["", "SW1A_1AA", "SW1A 1AA 12"])
    async def test_a_bad_postcode_changes_nothing(self, client: httpx.AsyncClient, postcode: str) -> None:
        player = await signed_in_player(client, postcode="M1 1AE")

        _problem(
            await client.patch(
                "/v1/me/profile", json={"first_name": "Grace", "postcode": postcode}, headers=player.headers
            ),
            422,
            "validation_error",
        )

        me = (await client.get("/v1/me", headers=player.headers)).json()
        assert (me["postcode"], me["first_name"]) == ("M1 1AE", "Ada")
