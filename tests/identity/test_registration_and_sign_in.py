from __future__ import annotations

import httpx

from tests.factories import PASSWORD, player_data, register, sign_in, signed_in_player


class TestRegistration:
    async def test_answers_202_without_the_player_id_which_me_gives_after_sign_in(
        self, client: httpx.AsyncClient
    ) -> None:
        data = player_data()
        response = await client.post("/v1/players", json=data)
        assert response.status_code == 202
        assert response.json()["status"] == "verification_sent"
        assert "id" not in response.json()
        signed_in = await sign_in(client, data["email"])
        assert signed_in.status_code == 201
        me = await client.get("/v1/me", headers={"Authorization": f"Bearer {signed_in.json()['token']}"})
        assert me.json()["email"] == data["email"]
        assert me.json()["email_verified"] is False
        assert me.json()["id"]

    async def test_refuses_players_under_eighteen(self, client: httpx.AsyncClient) -> None:
        response = await client.post("/v1/players", json=player_data(date_of_birth="2015-01-01"))
        assert response.status_code == 422
        assert response.headers["content-type"] == "application/problem+json"
        assert response.json()["code"] == "underage"

    async def test_refuses_a_common_password(self, client: httpx.AsyncClient) -> None:
        response = await client.post("/v1/players", json=player_data(password="password1"))
        assert response.status_code == 422
        assert response.json()["code"] == "weak_password"

    async def test_a_second_registration_of_an_address_creates_no_account(
        self, client: httpx.AsyncClient
    ) -> None:
        _, data = await register(client)
        again = await client.post(
            "/v1/players", json=player_data(email=data["email"].upper(), password="another passphrase 42")
        )
        assert again.status_code == 202
        # The account keeps its password: the second registration changed nothing.
        assert (await sign_in(client, data["email"])).status_code == 201
        assert (await sign_in(client, data["email"], "another passphrase 42")).status_code == 401


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
