from __future__ import annotations

import uuid

import httpx

from croupier.kit.runtime import Runtime
from tests.factories import mailed_link, register, sign_in, signed_in_player
from tests.mail.helpers import deliver, mails
from tests.sql import sql


def fresh_email() -> str:
    return f"moved-{uuid.uuid4().hex[:10]}@example.org"


async def change(client: httpx.AsyncClient, headers: dict[str, str], new_email: str) -> httpx.Response:
    return await client.post("/v1/me/email", json={"new_email": new_email}, headers=headers)


async def confirm(client: httpx.AsyncClient, token: str) -> httpx.Response:
    return await client.post("/v1/email-changes/confirm", json={"token": token})


async def changed(
    client: httpx.AsyncClient, runtime: Runtime, headers: dict[str, str], new_email: str
) -> None:
    """Ask for the change and use the link mailed to the new address."""
    response = await change(client, headers, new_email)
    assert response.status_code == 202, response.text
    _, token = await mailed_link(runtime, new_email, template="confirm_email_change")
    confirmed = await confirm(client, token)
    assert confirmed.status_code == 204, confirmed.text


class TestChangingTheEmail:
    async def test_signs_in_with_the_new_address_only(
        self, client: httpx.AsyncClient, runtime: Runtime
    ) -> None:
        player = await signed_in_player(client)
        new_email = fresh_email()
        await changed(client, runtime, player.headers, new_email)

        assert (await sign_in(client, new_email.upper())).status_code == 201
        assert (await sign_in(client, player.email)).status_code == 401
        me = await client.get("/v1/me", headers=player.headers)
        assert me.json()["email"] == new_email
        assert me.json()["email_verified"] is True

    async def test_nothing_changes_until_the_new_address_confirms(
        self, client: httpx.AsyncClient, runtime: Runtime
    ) -> None:
        player = await signed_in_player(client)
        new_email = fresh_email()
        assert (await change(client, player.headers, new_email)).status_code == 202
        assert (await client.get("/v1/me", headers=player.headers)).json()["email"] == player.email
        assert (await sign_in(client, new_email)).status_code == 401
        await deliver(runtime)
        [link] = mails(runtime.settings, to=new_email, template="confirm_email_change")
        assert "/confirm-email-change?token=crv_" in link.body

    async def test_the_link_works_once(self, client: httpx.AsyncClient, runtime: Runtime) -> None:
        player = await signed_in_player(client)
        new_email = fresh_email()
        assert (await change(client, player.headers, new_email)).status_code == 202
        _, token = await mailed_link(runtime, new_email, template="confirm_email_change")
        assert (await confirm(client, token)).status_code == 204
        again = await confirm(client, token)
        assert again.status_code == 400
        assert again.json()["code"] == "invalid_verification_token"

    async def test_the_address_is_stored_sealed_and_re_indexed(
        self, client: httpx.AsyncClient, runtime: Runtime
    ) -> None:
        player = await signed_in_player(client)
        [(old_index,)] = await sql(runtime, "SELECT email_index FROM players WHERE id = :id", id=player.id)
        new_email = fresh_email()
        await changed(client, runtime, player.headers, new_email)
        [(index, sealed)] = await sql(
            runtime, "SELECT email_index, email_enc FROM players WHERE id = :id", id=player.id
        )
        assert index != old_index
        assert new_email.encode() not in sealed
        for (pending,) in await sql(runtime, "SELECT new_email_enc FROM email_verifications"):
            assert pending is None or new_email.encode() not in pending

    async def test_the_old_address_is_told(self, client: httpx.AsyncClient, runtime: Runtime) -> None:
        player = await signed_in_player(client)
        new_email = fresh_email()
        await changed(client, runtime, player.headers, new_email)
        await deliver(runtime)
        [notice] = mails(runtime.settings, to=player.email, template="email_changed")
        assert f"to m***@{new_email.split('@')[1]}" in notice.body
        assert new_email not in notice.body
        assert not mails(runtime.settings, to=new_email, template="email_changed")
        outcomes = await sql(
            runtime,
            "SELECT action, outcome, details FROM audit_events"
            " WHERE action LIKE 'identity:email:change%' ORDER BY seq",
        )
        assert [tuple(row) for row in outcomes] == [
            ("identity:email:change_request", "success", {}),
            ("identity:email:change", "success", {}),
        ]


class TestAnAddressInUse:
    async def test_gets_the_same_answer_as_a_free_one_and_its_owner_is_told(
        self, client: httpx.AsyncClient, runtime: Runtime
    ) -> None:
        _, taken = await register(client)
        player = await signed_in_player(client)
        refused = await change(client, player.headers, taken["email"].upper())
        accepted = await change(client, player.headers, fresh_email())
        assert (refused.status_code, refused.content) == (accepted.status_code, accepted.content)
        assert refused.status_code == 202

        await deliver(runtime)
        [note] = mails(runtime.settings, to=taken["email"], template="email_change_attempt")
        assert "nothing was changed" in note.body
        assert player.email not in note.body
        assert not mails(runtime.settings, to=taken["email"].upper(), template="confirm_email_change")
        assert (await client.get("/v1/me", headers=player.headers)).json()["email"] == player.email
        assert (await sign_in(client, player.email)).status_code == 201


class TestRefusals:
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

    async def test_an_address_registered_since_the_link_was_sent_is_refused(
        self, client: httpx.AsyncClient, runtime: Runtime
    ) -> None:
        player = await signed_in_player(client)
        new_email = fresh_email()
        assert (await change(client, player.headers, new_email)).status_code == 202
        _, token = await mailed_link(runtime, new_email, template="confirm_email_change")
        await register(client, email=new_email)
        response = await confirm(client, token)
        assert response.status_code == 409
        assert response.json()["code"] == "email_taken"
        assert (await client.get("/v1/me", headers=player.headers)).json()["email"] == player.email
