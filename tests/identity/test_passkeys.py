"""Passkeys (WebAuthn) as a second factor: registering, listing and removing them.

Signing in and stepping up with them is in test_mfa_sign_in.py and test_step_up.py.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from croupier.kit.runtime import Runtime
from tests.factories import SignedIn, sign_in, signed_in_player
from tests.identity.mfa_support import RECOVERY_CODE, age_session, audit_entries, enable_totp
from tests.identity.softauthn import SoftAuthenticator, b64url, unb64url
from tests.sql import sql


async def register_passkey(
    client: httpx.AsyncClient, player: SignedIn, authenticator: SoftAuthenticator, name: str = "Security key"
) -> dict[str, Any]:
    options = await client.post("/v1/me/mfa/passkeys/options", headers=player.headers)
    assert options.status_code == 200, options.text
    credential = authenticator.create(options.json())
    response = await client.post(
        "/v1/me/mfa/passkeys", json={"name": name, "credential": credential}, headers=player.headers
    )
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


async def step_up_with_recovery_code(client: httpx.AsyncClient, player: SignedIn, recovery_code: str) -> None:
    response = await client.post(
        "/v1/sessions/current/step-up", json={"recovery_code": recovery_code}, headers=player.headers
    )
    assert response.status_code == 200, response.text


async def passkey_player(client: httpx.AsyncClient) -> tuple[SignedIn, SoftAuthenticator, dict[str, Any]]:
    player = await signed_in_player(client)
    authenticator = SoftAuthenticator()
    registered = await register_passkey(client, player, authenticator)
    return player, authenticator, registered


class TestRegistrationOptions:
    async def test_name_the_relying_party_and_store_a_short_lived_challenge(
        self, client: httpx.AsyncClient, runtime: Runtime
    ) -> None:
        player = await signed_in_player(client)
        response = await client.post("/v1/me/mfa/passkeys/options", headers=player.headers)
        assert response.status_code == 200
        options = response.json()
        assert options["rp"] == {"id": "localhost", "name": "Croupier"}
        assert options["user"]["name"] == player.email
        assert unb64url(options["user"]["id"]) == bytes.fromhex(player.id.replace("-", ""))
        assert options["attestation"] == "none"
        assert options["excludeCredentials"] == []
        [(purpose, challenge, expires_at)] = await sql(
            runtime,
            "SELECT purpose, challenge, expires_at FROM webauthn_challenges",
        )
        assert purpose == "register"
        assert b64url(bytes(challenge)) == options["challenge"]
        assert expires_at <= datetime.now(UTC) + timedelta(minutes=5)

    async def test_exclude_the_players_existing_passkeys(self, client: httpx.AsyncClient) -> None:
        player, authenticator, registered = await passkey_player(client)
        await step_up_with_recovery_code(client, player, registered["recovery_codes"][0])
        options = (await client.post("/v1/me/mfa/passkeys/options", headers=player.headers)).json()
        [excluded] = options["excludeCredentials"]
        assert unb64url(excluded["id"]) in authenticator.credentials
        assert excluded["transports"] == ["usb"]


class TestRegistering:
    async def test_the_first_passkey_comes_with_recovery_codes(
        self, client: httpx.AsyncClient, runtime: Runtime
    ) -> None:
        player = await signed_in_player(client)
        authenticator = SoftAuthenticator()
        registered = await register_passkey(client, player, authenticator, name="Blue key")
        assert registered["name"] == "Blue key"
        assert registered["transports"] == ["usb"]
        assert registered["last_used_at"] is None
        codes = registered["recovery_codes"]
        assert len(codes) == 10
        assert all(RECOVERY_CODE.match(c) for c in codes)

        [(credential_id, public_key, sign_count)] = await sql(
            runtime,
            "SELECT credential_id, public_key, sign_count FROM passkeys WHERE player_id = CAST(:p AS uuid)",
            p=player.id,
        )
        [created] = authenticator.credentials
        assert bytes(credential_id) == created
        assert len(public_key) > 64
        assert sign_count == 0
        me = (await client.get("/v1/me", headers=player.headers)).json()
        assert me["mfa"] == {"totp": False, "passkeys": 1, "recovery_codes_left": 10}
        registered_events = await audit_entries(runtime, "identity:mfa:passkey_register", player.id)
        assert [(e.outcome, e.target_id) for e in registered_events] == [("success", registered["id"])]

    async def test_signing_in_then_asks_for_the_passkey(self, client: httpx.AsyncClient) -> None:
        player, _, _ = await passkey_player(client)
        response = await sign_in(client, player.email)
        assert response.status_code == 401
        assert response.json()["methods"] == ["passkey", "recovery_code"]

    async def test_another_factor_needs_step_up_and_brings_no_new_codes(
        self, client: httpx.AsyncClient
    ) -> None:
        player = await signed_in_player(client)
        _, codes = await enable_totp(client, player)
        refused = await client.post("/v1/me/mfa/passkeys/options", headers=player.headers)
        assert refused.status_code == 403
        assert refused.json()["code"] == "step_up_required"

        stepped = await client.post(
            "/v1/sessions/current/step-up", json={"recovery_code": codes[0]}, headers=player.headers
        )
        assert stepped.status_code == 200
        registered = await register_passkey(client, player, SoftAuthenticator())
        assert registered["recovery_codes"] is None
        # The set from the authenticator app is still the one that works.
        assert (await sign_in(client, player.email, recovery_code=codes[1])).status_code == 201

    async def test_registration_needs_a_recent_password_even_for_the_first_factor(
        self, client: httpx.AsyncClient, runtime: Runtime
    ) -> None:
        player = await signed_in_player(client)
        await age_session(runtime, player, minutes=11)
        refused = await client.post("/v1/me/mfa/passkeys/options", headers=player.headers)
        assert refused.status_code == 403
        assert refused.json()["methods"] == ["password"]

    async def test_a_challenge_is_good_for_one_registration(self, client: httpx.AsyncClient) -> None:
        player = await signed_in_player(client)
        options = (await client.post("/v1/me/mfa/passkeys/options", headers=player.headers)).json()
        authenticator = SoftAuthenticator()
        first = authenticator.create(options)
        second = authenticator.create(options)
        ok = await client.post(
            "/v1/me/mfa/passkeys", json={"name": "One", "credential": first}, headers=player.headers
        )
        assert ok.status_code == 201
        await step_up_with_recovery_code(client, player, ok.json()["recovery_codes"][0])
        replay = await client.post(
            "/v1/me/mfa/passkeys", json={"name": "Two", "credential": second}, headers=player.headers
        )
        assert replay.status_code == 422
        assert replay.json()["code"] == "passkey_registration_failed"
        assert replay.json()["reason"] == "challenge"

    async def test_an_expired_challenge_is_refused(self, client: httpx.AsyncClient, runtime: Runtime) -> None:
        player = await signed_in_player(client)
        options = (await client.post("/v1/me/mfa/passkeys/options", headers=player.headers)).json()
        await sql(runtime, "UPDATE webauthn_challenges SET expires_at = now() - interval '1 second'")
        response = await client.post(
            "/v1/me/mfa/passkeys",
            json={"name": "Late", "credential": SoftAuthenticator().create(options)},
            headers=player.headers,
        )
        assert response.status_code == 422
        assert response.json()["reason"] == "challenge"

    async def test_a_response_made_for_another_origin_is_refused_and_audited(
        self, client: httpx.AsyncClient, runtime: Runtime
    ) -> None:
        player = await signed_in_player(client)
        options = (await client.post("/v1/me/mfa/passkeys/options", headers=player.headers)).json()
        phished = SoftAuthenticator(origin="https://croupier.example.net").create(options)
        response = await client.post(
            "/v1/me/mfa/passkeys", json={"name": "Phished", "credential": phished}, headers=player.headers
        )
        assert response.status_code == 422
        assert response.json()["reason"] == "attestation"
        assert await sql(runtime, "SELECT 1 FROM passkeys") == []
        failures = await audit_entries(runtime, "identity:mfa:passkey_register", player.id)
        assert [(e.outcome, e.details) for e in failures] == [("failure", {"reason": "attestation"})]

    async def test_garbage_is_a_clean_refusal(self, client: httpx.AsyncClient) -> None:
        player = await signed_in_player(client)
        for credential in (
            {},
            {"id": "x", "rawId": "x", "type": "public-key", "response": {"clientDataJSON": "!"}},
        ):
            response = await client.post(
                "/v1/me/mfa/passkeys", json={"name": "Junk", "credential": credential}, headers=player.headers
            )
            assert response.status_code == 422, response.text
            assert response.json()["code"] == "passkey_registration_failed"

    async def test_a_credential_belongs_to_one_account_only(self, client: httpx.AsyncClient) -> None:
        player, authenticator, _ = await passkey_player(client)
        other = await signed_in_player(client)
        options = (await client.post("/v1/me/mfa/passkeys/options", headers=other.headers)).json()
        [existing] = authenticator.credentials
        again = authenticator.create(options, reuse=existing)
        response = await client.post(
            "/v1/me/mfa/passkeys", json={"name": "Mine", "credential": again}, headers=other.headers
        )
        assert response.status_code == 409
        assert response.json()["code"] == "passkey_exists"
        assert (await client.get("/v1/me/mfa/passkeys", headers=other.headers)).json() == []
        assert len((await client.get("/v1/me/mfa/passkeys", headers=player.headers)).json()) == 1


class TestListingAndRemoving:
    async def test_lists_only_my_passkeys(self, client: httpx.AsyncClient) -> None:
        player, _, registered = await passkey_player(client)
        await passkey_player(client)
        listed = (await client.get("/v1/me/mfa/passkeys", headers=player.headers)).json()
        assert [p["id"] for p in listed] == [registered["id"]]
        assert "recovery_codes" not in listed[0]

    async def test_another_players_passkey_is_not_found(self, client: httpx.AsyncClient) -> None:
        _, _, registered = await passkey_player(client)
        intruder = await signed_in_player(client)
        response = await client.delete(f"/v1/me/mfa/passkeys/{registered['id']}", headers=intruder.headers)
        assert response.status_code == 404
        assert response.json()["code"] == "not_found"

    async def test_removing_needs_step_up(self, client: httpx.AsyncClient) -> None:
        player, _, registered = await passkey_player(client)
        # Registered on a password-only session: nothing yet proves the passkey here.
        response = await client.delete(f"/v1/me/mfa/passkeys/{registered['id']}", headers=player.headers)
        assert response.status_code == 403
        assert response.json()["code"] == "step_up_required"
        assert response.json()["methods"] == ["passkey", "recovery_code"]

    async def test_removing_the_last_factor_turns_mfa_off(
        self, client: httpx.AsyncClient, runtime: Runtime
    ) -> None:
        player, _, registered = await passkey_player(client)
        await step_up_with_recovery_code(client, player, registered["recovery_codes"][0])
        response = await client.delete(f"/v1/me/mfa/passkeys/{registered['id']}", headers=player.headers)
        assert response.status_code == 204
        assert (await client.get("/v1/me/mfa/passkeys", headers=player.headers)).json() == []
        assert (await sign_in(client, player.email)).status_code == 201
        # The codes protected nothing any more and are gone.
        assert (
            await sql(runtime, "SELECT 1 FROM recovery_codes WHERE player_id = CAST(:p AS uuid)", p=player.id)
        ) == []
        removed = await audit_entries(runtime, "identity:mfa:passkey_remove", player.id)
        assert [(e.outcome, e.target_id) for e in removed] == [("success", registered["id"])]
