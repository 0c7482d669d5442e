"""Players screened at registration and when they change their name; payments paused by a blocking hit."""

from __future__ import annotations

import uuid
from pathlib import Path

import httpx
import pytest

from croupier.kit.runtime import Runtime
from croupier.kit.settings import Settings
from croupier.risk.sanctions.formats import ListFormat
from tests.conftest import make_settings
from tests.factories import SignedIn, register, signed_in_player
from tests.kyc_support import verify_kyc
from tests.risk.sanctions.support import alerts_of, clear, hits_of, load, screenings_of

KARIMOV = {"first_name": "Rustam", "last_name": "Karimov", "date_of_birth": "1970-01-12", "country": "IR"}


@pytest.fixture
def settings(database_url: str, keyring_json: str, tmp_path: Path) -> Settings:
    # A configured provider, so that the deposit route reaches its checks; none is ever called.
    return make_settings(
        database_url, keyring_json, tmp_path, psp_api_key="sk_test_unused", psp_webhook_secrets="whsec_unused"
    )


class TestAtRegistration:
    async def test_a_listed_person_registering_gets_a_blocking_hit_and_an_alert(
        self, client: httpx.AsyncClient, runtime: Runtime
    ) -> None:
        await load(runtime, "sdn.csv", ListFormat.OFAC_CSV)

        player_id, _ = await register(client, **KARIMOV)

        [hit] = await hits_of(runtime, player_id)
        assert hit.status == "open"
        assert hit.blocking
        assert hit.score >= runtime.settings.sanctions_block_threshold
        assert {"dob_exact", "country_match"} <= set(hit.reasons)
        [alert] = await alerts_of(runtime, player_id)
        assert (alert.typology, alert.id) == ("sanctions", hit.alert_id)
        assert "payments_blocked" in alert.reasons

    async def test_every_registration_is_screened_and_recorded_without_the_players_name(
        self, client: httpx.AsyncClient, runtime: Runtime
    ) -> None:
        await load(runtime, "sdn.csv", ListFormat.OFAC_CSV)

        player_id, _ = await register(client, first_name="Ada", last_name="Lovelace")

        [screening] = await screenings_of(runtime, player_id)
        assert screening.trigger == "registration"
        assert screening.list_version is not None
        assert await hits_of(runtime, player_id) == []
        assert "Lovelace" not in str(screening.best)

    async def test_a_namesake_born_decades_apart_is_recorded_but_not_raised(
        self, client: httpx.AsyncClient, runtime: Runtime
    ) -> None:
        await load(runtime, "sdn.csv", ListFormat.OFAC_CSV)

        player_id, _ = await register(client, **{**KARIMOV, "date_of_birth": "1999-05-05", "country": "MT"})

        [screening] = await screenings_of(runtime, player_id)
        assert screening.best[0]["matched_name"].endswith("KARIMOV")
        assert "dob_conflict" in screening.best[0]["reasons"]
        assert await hits_of(runtime, player_id) == []
        assert await alerts_of(runtime, player_id) == []

    async def test_registering_with_an_address_already_taken_stores_no_screening(
        self, client: httpx.AsyncClient, runtime: Runtime
    ) -> None:
        await load(runtime, "sdn.csv", ListFormat.OFAC_CSV)
        player_id, data = await register(client, **KARIMOV)

        again = await client.post("/v1/players", json=data)

        assert again.status_code == 202
        assert len(await screenings_of(runtime, player_id)) == 1
        assert len(await hits_of(runtime, player_id)) == 1

    async def test_registration_without_any_list_loaded_screens_against_nothing(
        self, client: httpx.AsyncClient, runtime: Runtime
    ) -> None:
        player_id, _ = await register(client, **KARIMOV)

        [screening] = await screenings_of(runtime, player_id)
        assert (screening.list_version, screening.top_score) == (None, 0.0)


class TestNameChange:
    async def test_a_new_name_is_sealed_answered_and_screened(
        self, client: httpx.AsyncClient, runtime: Runtime
    ) -> None:
        await load(runtime, "eu.xml", ListFormat.EU_XML)
        player = await signed_in_player(client, date_of_birth="1968-07-21", country="RU")

        response = await client.patch(
            "/v1/me/profile",
            json={"first_name": "Sergey", "last_name": "Vorontsov"},
            headers=player.headers,
        )

        assert response.status_code == 200, response.text
        assert (response.json()["first_name"], response.json()["last_name"]) == ("Sergey", "Vorontsov")
        me = await client.get("/v1/me", headers=player.headers)
        assert me.json()["last_name"] == "Vorontsov"
        screenings = await screenings_of(runtime, player.id)
        assert [s.trigger for s in screenings] == ["registration", "name_change"]
        [hit] = await hits_of(runtime, player.id)
        assert "dob_month" in hit.reasons

    @pytest.mark.parametrize(
        "body", [{}, {"first_name": ""}, {"first_name": "A\x00"}, {"middle_name": "X"}, {"last_name": None}]
    )
    async def test_an_empty_or_malformed_change_is_refused(
        self, client: httpx.AsyncClient, body: dict[str, object]
    ) -> None:
        player = await signed_in_player(client)

        response = await client.patch("/v1/me/profile", json=body, headers=player.headers)

        assert response.status_code == 422
        assert response.json()["code"] == "validation_error"

    async def test_changing_a_name_needs_a_session(self, client: httpx.AsyncClient) -> None:
        response = await client.patch("/v1/me/profile", json={"first_name": "Eve"})

        assert response.status_code == 401


async def _blocked(client: httpx.AsyncClient, runtime: Runtime) -> tuple[SignedIn, uuid.UUID]:
    await load(runtime, "sdn.csv", ListFormat.OFAC_CSV)
    player = await signed_in_player(client, **KARIMOV)
    [hit] = await hits_of(runtime, player.id)
    return player, hit.id


async def _deposit(client: httpx.AsyncClient, player: SignedIn) -> httpx.Response:
    return await client.post(
        "/v1/deposits",
        json={"amount": 1000, "currency": "EUR", "payment_token": "tok_unused"},
        headers={**player.headers, "Idempotency-Key": str(uuid.uuid4())},
    )


async def _withdraw(client: httpx.AsyncClient, player: SignedIn) -> httpx.Response:
    return await client.post(
        "/v1/withdrawals",
        json={"amount": 1000, "currency": "EUR", "payment_method_id": str(uuid.uuid4())},
        headers={**player.headers, "Idempotency-Key": str(uuid.uuid4())},
    )


class TestBlockingHit:
    async def test_deposits_and_withdrawals_are_refused_with_a_stable_code_and_no_detail(
        self, client: httpx.AsyncClient, runtime: Runtime
    ) -> None:
        player, _ = await _blocked(client, runtime)

        for response in (await _deposit(client, player), await _withdraw(client, player)):
            assert response.status_code == 403, response.text
            assert response.headers["content-type"].startswith("application/problem+json")
            problem = response.json()
            assert problem["code"] == "sanctions_review_pending"
            assert "KARIMOV" not in response.text
            assert "score" not in response.text

    async def test_once_cleared_payments_go_on_to_their_own_checks(
        self, client: httpx.AsyncClient, runtime: Runtime
    ) -> None:
        player, hit_id = await _blocked(client, runtime)

        await clear(runtime, hit_id)
        await verify_kyc(client, runtime, player.id)  # past the KYC gate too

        response = await _withdraw(client, player)
        assert response.status_code == 404, response.text  # the made-up card, not the screening
        assert response.json()["code"] == "not_found"

    async def test_a_player_without_a_hit_is_not_held_up(
        self, client: httpx.AsyncClient, runtime: Runtime
    ) -> None:
        await load(runtime, "sdn.csv", ListFormat.OFAC_CSV)
        player = await signed_in_player(client)
        await verify_kyc(client, runtime, player.id)  # past the KYC gate too

        response = await _withdraw(client, player)

        assert response.json()["code"] == "not_found"
