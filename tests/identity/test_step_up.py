"""Stepping a session up before a sensitive change: the second factor if there is one, else the password."""

from __future__ import annotations

from datetime import datetime

import httpx
import pytest

from croupier.kit.runtime import Runtime
from tests.factories import sign_in, signed_in_player
from tests.identity.mfa_support import age_session, audit_entries, code, totp_player
from tests.identity.test_mfa_sign_in import wrong_code
from tests.identity.test_passkeys import passkey_player
from tests.sql import sql

STEP_UP = "/v1/sessions/current/step-up"


class TestWithoutASecondFactor:
    async def test_the_password_refreshes_a_stale_session(
        self, client: httpx.AsyncClient, runtime: Runtime
    ) -> None:
        player = await signed_in_player(client)
        await age_session(runtime, player, minutes=11)
        refused = await client.post("/v1/me/mfa/totp", headers=player.headers)
        assert refused.status_code == 403
        assert refused.json()["code"] == "step_up_required"
        assert refused.json()["methods"] == ["password"]

        response = await client.post(STEP_UP, json={"password": player.password}, headers=player.headers)
        assert response.status_code == 200, response.text
        assert set(response.json()) == {"authenticated_at"}
        assert datetime.fromisoformat(response.json()["authenticated_at"])
        assert (await client.post("/v1/me/mfa/totp", headers=player.headers)).status_code == 201
        stepped = await audit_entries(runtime, "identity:session:step_up", player.id)
        assert [(e.outcome, e.details) for e in stepped] == [("success", {"method": "password"})]

    async def test_a_wrong_password_is_refused_audited_and_counted(
        self, client: httpx.AsyncClient, runtime: Runtime
    ) -> None:
        player = await signed_in_player(client)
        response = await client.post(
            STEP_UP, json={"password": "not the password at all"}, headers=player.headers
        )
        assert response.status_code == 403
        assert response.json()["code"] == "wrong_password"
        failed = await audit_entries(runtime, "identity:session:step_up", player.id)
        assert [(e.outcome, e.details) for e in failed] == [("failure", {"reason": "wrong_password"})]
        [(failures,)] = await sql(runtime, "SELECT failures FROM sign_in_guards")
        assert failures == 1
        assert "not the password" not in str(await sql(runtime, "SELECT details FROM audit_events"))

    async def test_a_second_factor_the_player_does_not_have_is_not_accepted(
        self, client: httpx.AsyncClient
    ) -> None:
        player = await signed_in_player(client)
        response = await client.post(STEP_UP, json={"otp": "123456"}, headers=player.headers)
        assert response.status_code == 422
        assert response.json()["code"] == "factor_not_accepted"
        assert response.json()["methods"] == ["password"]


class TestWithASecondFactor:
    async def test_the_password_does_not_count(self, client: httpx.AsyncClient) -> None:
        player, _, _ = await totp_player(client)
        response = await client.post(STEP_UP, json={"password": player.password}, headers=player.headers)
        assert response.status_code == 422
        assert response.json()["code"] == "factor_not_accepted"
        assert response.json()["methods"] == ["totp", "recovery_code"]
        still = await client.delete("/v1/me/mfa/totp", headers=player.headers)
        assert still.status_code == 403
        assert still.json()["code"] == "step_up_required"

    async def test_signing_in_with_the_second_factor_counts(self, client: httpx.AsyncClient) -> None:
        player, _, codes = await totp_player(client)
        token = (await sign_in(client, player.email, recovery_code=codes[0])).json()["token"]
        response = await client.delete("/v1/me/mfa/totp", headers={"Authorization": f"Bearer {token}"})
        assert response.status_code == 204

    async def test_a_code_refreshes_the_second_factor_time(
        self, client: httpx.AsyncClient, runtime: Runtime
    ) -> None:
        player, secret, _ = await totp_player(client)
        response = await client.post(STEP_UP, json={"otp": code(secret, 1)}, headers=player.headers)
        assert response.status_code == 200, response.text
        assert set(response.json()) == {"mfa_at"}
        [(mfa_at,)] = await sql(
            runtime, "SELECT mfa_at FROM player_sessions WHERE player_id = CAST(:p AS uuid)", p=player.id
        )
        assert mfa_at == datetime.fromisoformat(response.json()["mfa_at"])
        assert (await client.delete("/v1/me/mfa/totp", headers=player.headers)).status_code == 204
        stepped = await audit_entries(runtime, "identity:session:step_up", player.id)
        assert [(e.outcome, e.details) for e in stepped] == [("success", {"method": "totp"})]

    async def test_the_window_closes_again(self, client: httpx.AsyncClient, runtime: Runtime) -> None:
        player, secret, _ = await totp_player(client)
        await client.post(STEP_UP, json={"otp": code(secret, 1)}, headers=player.headers)
        await age_session(runtime, player, minutes=11)
        response = await client.delete("/v1/me/mfa/totp", headers=player.headers)
        assert response.status_code == 403
        assert response.json()["window_minutes"] == 10

    async def test_a_recovery_code_works_and_is_spent(self, client: httpx.AsyncClient) -> None:
        player, _, codes = await totp_player(client)
        first = await client.post(STEP_UP, json={"recovery_code": codes[0]}, headers=player.headers)
        assert first.status_code == 200
        again = await client.post(STEP_UP, json={"recovery_code": codes[0]}, headers=player.headers)
        assert again.status_code == 401
        assert again.json()["code"] == "invalid_otp"

    async def test_a_wrong_code_is_refused_audited_and_counted(
        self, client: httpx.AsyncClient, runtime: Runtime
    ) -> None:
        player, secret, _ = await totp_player(client)
        response = await client.post(STEP_UP, json={"otp": wrong_code(secret)}, headers=player.headers)
        assert response.status_code == 401
        assert response.json()["code"] == "invalid_otp"
        verify = await audit_entries(runtime, "identity:mfa:verify", player.id)
        assert [(e.outcome, e.details) for e in verify][-1] == (
            "failure",
            {"method": "totp", "purpose": "step_up"},
        )
        stepped = await audit_entries(runtime, "identity:session:step_up", player.id)
        assert [(e.outcome, e.details) for e in stepped] == [("failure", {"reason": "invalid_otp"})]
        [(failures,)] = await sql(runtime, "SELECT failures FROM sign_in_guards")
        assert failures == 1

    async def test_guessing_codes_runs_into_the_lockout(self, client: httpx.AsyncClient) -> None:
        player, secret, _ = await totp_player(client)
        for _ in range(10):
            await client.post(STEP_UP, json={"otp": wrong_code(secret)}, headers=player.headers)
        locked = await client.post(STEP_UP, json={"otp": code(secret, 1)}, headers=player.headers)
        assert locked.status_code == 423
        assert locked.json()["code"] == "account_locked"

    async def test_a_passkey_works(self, client: httpx.AsyncClient, runtime: Runtime) -> None:
        player, authenticator, registered = await passkey_player(client)
        options = await client.post(f"{STEP_UP}/passkey-options", headers=player.headers)
        assert options.status_code == 200
        [(purpose,)] = await sql(runtime, "SELECT purpose FROM webauthn_challenges WHERE used_at IS NULL")
        assert purpose == "step_up"
        response = await client.post(
            STEP_UP, json={"passkey": authenticator.get(options.json())}, headers=player.headers
        )
        assert response.status_code == 200, response.text
        assert set(response.json()) == {"mfa_at"}
        removed = await client.delete(f"/v1/me/mfa/passkeys/{registered['id']}", headers=player.headers)
        assert removed.status_code == 204

    async def test_a_sign_in_passkey_challenge_does_not_step_up(self, client: httpx.AsyncClient) -> None:
        player, authenticator, _ = await passkey_player(client)
        ticket = (await sign_in(client, player.email)).json()["mfa_ticket"]
        options = (await client.post("/v1/sessions/mfa/passkey-options", json={"mfa_ticket": ticket})).json()
        response = await client.post(
            STEP_UP, json={"passkey": authenticator.get(options)}, headers=player.headers
        )
        assert response.status_code == 401
        assert response.json()["code"] == "invalid_passkey"

    async def test_passkey_options_need_a_passkey(self, client: httpx.AsyncClient) -> None:
        player, _, _ = await totp_player(client)
        response = await client.post(f"{STEP_UP}/passkey-options", headers=player.headers)
        assert response.status_code == 409
        assert response.json()["code"] == "no_passkeys"


class TestRequestShape:
    @pytest.mark.parametrize("body", [{}, {"otp": "123456", "password": "correct horse battery staple"}])
    async def test_exactly_one_proof(self, client: httpx.AsyncClient, body: dict[str, str]) -> None:
        player = await signed_in_player(client)
        response = await client.post(STEP_UP, json=body, headers=player.headers)
        assert response.status_code == 422
        assert response.json()["code"] == "validation_error"

    async def test_needs_a_session(self, client: httpx.AsyncClient) -> None:
        response = await client.post(STEP_UP, json={"password": "correct horse battery staple"})
        assert response.status_code == 401
        assert response.json()["code"] == "invalid_session"
