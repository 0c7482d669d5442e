from __future__ import annotations

import httpx

from tests.factories import PASSWORD, player_data, register, sign_in, signed_in_player


class TestRegistration:
    async def test_registers_a_player_and_returns_its_id(self, client: httpx.AsyncClient) -> None:
        response = await client.post("/v1/players", json=player_data())
        assert response.status_code == 201
        assert set(response.json()) == {"id"}

    async def test_refuses_players_under_eighteen(self, client: httpx.AsyncClient) -> None:
        response = await client.post("/v1/players", json=player_data(date_of_birth="2015-01-01"))
        assert response.status_code == 422
        assert response.headers["content-type"] == "application/problem+json"
        assert response.json()["code"] == "underage"

    async def test_refuses_a_common_password(self, client: httpx.AsyncClient) -> None:
        response = await client.post("/v1/players", json=player_data(password="password1"))
        assert response.status_code == 422
        assert response.json()["code"] == "weak_password"

    async def test_refuses_a_second_account_for_the_same_email(self, client: httpx.AsyncClient) -> None:
        _, data = await register(client)
        again = await client.post("/v1/players", json=player_data(email=data["email"].upper()))
        assert again.status_code == 409
        assert again.json()["code"] == "email_taken"


class TestSignIn:
    async def test_returns_a_token_and_the_previous_sign_in_time(self, client: httpx.AsyncClient) -> None:
        _, data = await register(client)
        first = await sign_in(client, data["email"])
        assert first.status_code == 201
        body = first.json()
        assert body["token"].startswith("crs_")
        assert body["previous_sign_in_at"] is None
        second = await sign_in(client, data["email"])
        assert second.json()["previous_sign_in_at"] is not None
        assert second.json()["token"] != body["token"]

    async def test_unknown_email_and_wrong_password_look_the_same(self, client: httpx.AsyncClient) -> None:
        _, data = await register(client)
        wrong = await sign_in(client, data["email"], "not the password at all")
        unknown = await sign_in(client, "nobody-here@example.com", PASSWORD)
        assert wrong.status_code == unknown.status_code == 401
        strip = lambda r: {k: v for k, v in r.json().items() if k != "request_id"}  # noqa: E731
        assert strip(wrong) == strip(unknown)

    async def test_me_returns_the_decrypted_profile(self, client: httpx.AsyncClient) -> None:
        player = await signed_in_player(client, first_name="Grace", last_name="Hopper")
        response = await client.get("/v1/me", headers=player.headers)
        assert response.status_code == 200
        body = response.json()
        assert (body["email"], body["first_name"], body["last_name"]) == (player.email, "Grace", "Hopper")
        assert body["date_of_birth"] == "1990-12-10"
