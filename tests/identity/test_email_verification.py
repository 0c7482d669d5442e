from __future__ import annotations

import uuid

import httpx
import pytest

from croupier.kit.runtime import Runtime
from tests.factories import mailed_link, player_data, register, signed_in_player, verify_email
from tests.mail.helpers import deliver, mails
from tests.sql import sql


async def deposit(client: httpx.AsyncClient, headers: dict[str, str]) -> httpx.Response:
    body = {"amount": 1000, "currency": "EUR", "payment_token": "tok_test_1234"}
    return await client.post(
        "/v1/deposits", json=body, headers={**headers, "Idempotency-Key": str(uuid.uuid4())}
    )


class TestTheWelcomeLink:
    async def test_confirms_the_address(self, client: httpx.AsyncClient, runtime: Runtime) -> None:
        data = player_data(first_name="Hedy")
        assert (await client.post("/v1/players", json=data)).status_code == 202
        await deliver(runtime)
        [welcome] = mails(runtime.settings, to=data["email"], template="verify_email")
        assert "Hello Hedy" in welcome.body
        assert f"{runtime.settings.public_url}/verify-email?token=crv_" in welcome.body
        _, token = await mailed_link(runtime, data["email"])
        [(verified_before,)] = await sql(runtime, "SELECT email_verified_at FROM players")
        assert verified_before is None

        assert (await verify_email(client, token)).status_code == 204
        [(verified_at,)] = await sql(runtime, "SELECT email_verified_at FROM players")
        assert verified_at is not None
        [(token_hash,)] = await sql(runtime, "SELECT token_hash FROM email_verifications")
        assert token.encode() not in token_hash

    async def test_works_once(self, client: httpx.AsyncClient, runtime: Runtime) -> None:
        _, data = await register(client, verified=False)
        _, token = await mailed_link(runtime, data["email"])
        assert (await verify_email(client, token)).status_code == 204
        again = await verify_email(client, token)
        assert again.status_code == 400
        assert again.json()["code"] == "invalid_verification_token"

    async def test_an_expired_link_is_refused(self, client: httpx.AsyncClient, runtime: Runtime) -> None:
        _, data = await register(client, verified=False)
        _, token = await mailed_link(runtime, data["email"])
        await sql(runtime, "UPDATE email_verifications SET expires_at = now() - interval '1 second'")
        response = await verify_email(client, token)
        assert response.status_code == 400
        assert response.json()["code"] == "invalid_verification_token"
        [(verified_at,)] = await sql(runtime, "SELECT email_verified_at FROM players")
        assert verified_at is None

    @pytest.mark.parametrize(
        "token", ["crv_" + "A" * 43, "crp_" + "A" * 43, "not-a-token", "crs_" + "B" * 43]
    )
    async def test_unknown_tokens_are_refused_and_audited(
        self, client: httpx.AsyncClient, runtime: Runtime, token: str
    ) -> None:
        response = await verify_email(client, token)
        assert response.status_code == 400
        assert response.json()["code"] == "invalid_verification_token"
        [(outcome, details)] = await sql(
            runtime, "SELECT outcome, details FROM audit_events WHERE action = 'identity:email:verify'"
        )
        assert (outcome, details) == ("failure", {"reason": "token_unknown"})

    async def test_a_new_link_retires_the_old_one(self, client: httpx.AsyncClient, runtime: Runtime) -> None:
        player = await signed_in_player(client, verified=False)
        _, first = await mailed_link(runtime, player.email)
        asked = await client.post("/v1/me/email-verification", headers=player.headers)
        assert asked.status_code == 202, asked.text
        _, second = await mailed_link(runtime, player.email)
        assert second != first
        assert (await verify_email(client, first)).status_code == 400
        assert (await verify_email(client, second)).status_code == 204
        done = await client.post("/v1/me/email-verification", headers=player.headers)
        assert done.status_code == 409
        assert done.json()["code"] == "email_already_verified"

    async def test_a_password_reset_also_confirms_the_address(
        self, client: httpx.AsyncClient, runtime: Runtime
    ) -> None:
        _, data = await register(client, verified=False)
        assert (await client.post("/v1/password-resets", json={"email": data["email"]})).status_code == 202
        _, token = await mailed_link(runtime, data["email"], template="password_reset")
        body = {"token": token, "new_password": "a brand new passphrase for 2027"}
        assert (await client.post("/v1/password-resets/confirm", json=body)).status_code == 204
        [(verified_at,)] = await sql(runtime, "SELECT email_verified_at FROM players")
        assert verified_at is not None


class TestDeposits:
    async def test_an_unconfirmed_address_cannot_deposit(self, client: httpx.AsyncClient) -> None:
        player = await signed_in_player(client, verified=False)
        response = await deposit(client, player.headers)
        assert response.status_code == 403
        assert response.json()["code"] == "email_unverified"

    async def test_a_confirmed_address_gets_past_the_check(self, client: httpx.AsyncClient) -> None:
        player = await signed_in_player(client)
        response = await deposit(client, player.headers)
        # No provider is configured in this app: the refusal comes from payments, after the check.
        assert response.json()["code"] != "email_unverified"
