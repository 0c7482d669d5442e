from __future__ import annotations

import uuid

import httpx

from croupier.kit.runtime import Runtime
from tests.factories import register, sign_in, signed_in_player
from tests.mail.helpers import deliver, mails
from tests.sql import sql


def fresh_email() -> str:
    return f"moved-{uuid.uuid4().hex[:10]}@example.org"


async def change(client: httpx.AsyncClient, headers: dict[str, str], new_email: str) -> httpx.Response:
    return await client.post("/v1/me/email", json={"new_email": new_email}, headers=headers)


class TestChangingTheEmail:
    async def test_signs_in_with_the_new_address_only(self, client: httpx.AsyncClient) -> None:
        player = await signed_in_player(client)
        new_email = fresh_email()
        response = await change(client, player.headers, new_email)
        assert response.status_code == 204, response.text

        assert (await sign_in(client, new_email.upper())).status_code == 201
        assert (await sign_in(client, player.email)).status_code == 401
        me = await client.get("/v1/me", headers=player.headers)
        assert me.json()["email"] == new_email

    async def test_the_address_is_stored_sealed_and_re_indexed(
        self, client: httpx.AsyncClient, runtime: Runtime
    ) -> None:
        player = await signed_in_player(client)
        [(old_index,)] = await sql(runtime, "SELECT email_index FROM players WHERE id = :id", id=player.id)
        new_email = fresh_email()
        assert (await change(client, player.headers, new_email)).status_code == 204
        [(index, sealed)] = await sql(
            runtime, "SELECT email_index, email_enc FROM players WHERE id = :id", id=player.id
        )
        assert index != old_index
        assert new_email.encode() not in sealed

    async def test_the_old_address_is_told(self, client: httpx.AsyncClient, runtime: Runtime) -> None:
        player = await signed_in_player(client)
        new_email = fresh_email()
        assert (await change(client, player.headers, new_email)).status_code == 204
        await deliver(runtime)
        [notice] = mails(runtime.settings, to=player.email, template="email_changed")
        assert f"to m***@{new_email.split('@')[1]}" in notice.body
        assert new_email not in notice.body
        assert not mails(runtime.settings, to=new_email, template="email_changed")
        [(outcome, details)] = await sql(
            runtime, "SELECT outcome, details FROM audit_events WHERE action = 'identity:email:change'"
        )
        assert (outcome, details) == ("success", {})


class TestRefusals:
    async def test_an_address_in_use_is_refused(self, client: httpx.AsyncClient) -> None:
        _, taken = await register(client)
        player = await signed_in_player(client)
        response = await change(client, player.headers, taken["email"].upper())
        assert response.status_code == 409
        assert response.json()["code"] == "email_taken"
        assert (await sign_in(client, player.email)).status_code == 201

    async def test_needs_a_recent_step_up(self, client: httpx.AsyncClient, runtime: Runtime) -> None:
        player = await signed_in_player(client)
        await sql(
            runtime,
            "UPDATE player_sessions SET authenticated_at = now() - interval '1 hour' WHERE player_id = :id",
            id=player.id,
        )
        response = await change(client, player.headers, fresh_email())
        assert response.status_code == 403
        assert response.json()["code"] == "step_up_required"

    async def test_rejects_a_malformed_address(self, client: httpx.AsyncClient) -> None:
        player = await signed_in_player(client)
        response = await change(client, player.headers, "not-an-address")
        assert response.status_code == 422
