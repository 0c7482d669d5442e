"""Authenticator-app (TOTP) second factor, end to end over HTTP."""

from __future__ import annotations

import base64
import re
import time
from urllib.parse import parse_qs, urlparse

import httpx
import pytest

from croupier.kit.runtime import Runtime
from tests.factories import SignedIn, sign_in, signed_in_player
from tests.identity.mfa_support import (
    RECOVERY_CODE,
    STEP,
    age_session,
    audit_entries,
    away_from_step_boundary,
    code,
    enable_totp,
    totp_player,
)
from tests.sql import sql


class TestEnrolment:
    async def test_returns_a_base32_secret_and_an_otpauth_uri(self, client: httpx.AsyncClient) -> None:
        player = await signed_in_player(client)
        response = await client.post("/v1/me/mfa/totp", headers=player.headers)
        assert response.status_code == 201
        body = response.json()
        assert re.fullmatch(r"[A-Z2-7]{32}", body["secret"])
        uri = urlparse(body["otpauth_uri"])
        assert uri.scheme == "otpauth"
        assert uri.netloc == "totp"
        query = parse_qs(uri.query)
        assert query["secret"] == [body["secret"]]
        assert query["issuer"] == ["Croupier"]

    async def test_confirming_activates_it_and_returns_ten_recovery_codes(
        self, client: httpx.AsyncClient
    ) -> None:
        player = await signed_in_player(client)
        _, codes = await enable_totp(client, player)
        assert len(codes) == len(set(codes)) == 10
        assert all(RECOVERY_CODE.match(c) for c in codes)
        me = (await client.get("/v1/me", headers=player.headers)).json()
        assert me["mfa"] == {"totp": True, "passkeys": 0, "recovery_codes_left": 10}

    async def test_the_secret_is_stored_only_encrypted(
        self, client: httpx.AsyncClient, runtime: Runtime
    ) -> None:
        player = await signed_in_player(client)
        secret = (await client.post("/v1/me/mfa/totp", headers=player.headers)).json()["secret"]
        [(pending, active)] = await sql(
            runtime,
            "SELECT totp_pending_enc, totp_secret_enc FROM players WHERE id = CAST(:p AS uuid)",
            p=player.id,
        )
        assert active is None
        assert secret.encode() not in pending
        assert base64.b32decode(secret) not in pending

        await client.post("/v1/me/mfa/totp/confirm", json={"otp": code(secret)}, headers=player.headers)
        [(pending, active, enabled_at, last_step)] = await sql(
            runtime,
            "SELECT totp_pending_enc, totp_secret_enc, totp_enabled_at, totp_last_step"
            " FROM players WHERE id = CAST(:p AS uuid)",
            p=player.id,
        )
        assert pending is None
        assert enabled_at is not None
        assert secret.encode() not in active
        assert base64.b32decode(secret) not in active
        # The confirming code's step is spent.
        assert abs(last_step - int(time.time()) // STEP) <= 1

    async def test_a_wrong_code_activates_nothing_and_is_audited(
        self, client: httpx.AsyncClient, runtime: Runtime
    ) -> None:
        player = await signed_in_player(client)
        secret = (await client.post("/v1/me/mfa/totp", headers=player.headers)).json()["secret"]
        await away_from_step_boundary()
        wrong = await client.post(
            "/v1/me/mfa/totp/confirm", json={"otp": code(secret, steps=3)}, headers=player.headers
        )
        assert wrong.status_code == 401
        assert wrong.json()["code"] == "invalid_otp"
        [(pending, enabled_at)] = await sql(
            runtime,
            "SELECT totp_pending_enc, totp_enabled_at FROM players WHERE id = CAST(:p AS uuid)",
            p=player.id,
        )
        assert pending is not None
        assert enabled_at is None
        assert (
            await sql(runtime, "SELECT 1 FROM recovery_codes WHERE player_id = CAST(:p AS uuid)", p=player.id)
            == []
        )
        failures = await audit_entries(runtime, "identity:mfa:totp_confirm", player.id)
        assert [f.outcome for f in failures] == ["failure"]
        assert secret not in str(failures)

    async def test_confirming_without_enrolling_is_a_conflict(self, client: httpx.AsyncClient) -> None:
        player = await signed_in_player(client)
        response = await client.post(
            "/v1/me/mfa/totp/confirm", json={"otp": "123456"}, headers=player.headers
        )
        assert response.status_code == 409
        assert response.json()["code"] == "totp_not_pending"

    async def test_enrolment_is_audited_without_the_secret(
        self, client: httpx.AsyncClient, runtime: Runtime
    ) -> None:
        player = await signed_in_player(client)
        secret, codes = await enable_totp(client, player)
        enrolled = await audit_entries(runtime, "identity:mfa:totp_enroll", player.id)
        confirmed = await audit_entries(runtime, "identity:mfa:totp_confirm", player.id)
        assert [e.outcome for e in enrolled] == ["success"]
        assert [e.outcome for e in confirmed] == ["success"]
        everything = str(await sql(runtime, "SELECT details FROM audit_events"))
        assert secret not in everything
        assert not any(c in everything for c in codes)

    async def test_re_enrolment_needs_step_up_and_replaces_the_secret_only_once_confirmed(
        self, client: httpx.AsyncClient
    ) -> None:
        player, old, recovery = await totp_player(client)
        # This session was opened with the password alone, before the app existed.
        refused = await client.post("/v1/me/mfa/totp", headers=player.headers)
        assert refused.status_code == 403
        assert refused.json()["code"] == "step_up_required"

        stepped = await client.post(
            "/v1/sessions/current/step-up", json={"recovery_code": recovery[0]}, headers=player.headers
        )
        assert stepped.status_code == 200, stepped.text
        new = (await client.post("/v1/me/mfa/totp", headers=player.headers)).json()["secret"]
        assert new != old
        # Only pending: the old app still signs in.
        assert (await sign_in(client, player.email, otp=code(old, 1))).status_code == 201

        confirm = await client.post(
            "/v1/me/mfa/totp/confirm", json={"otp": code(new)}, headers=player.headers
        )
        assert confirm.status_code == 200
        await away_from_step_boundary()
        assert (await sign_in(client, player.email, otp=code(old, 1))).status_code == 401
        assert (await sign_in(client, player.email, otp=code(new, 1))).status_code == 201


class TestSignInWithTotp:
    async def test_without_a_code_answers_mfa_required_with_a_ticket(self, client: httpx.AsyncClient) -> None:
        player, _, _ = await totp_player(client)
        response = await sign_in(client, player.email)
        assert response.status_code == 401
        body = response.json()
        assert body["code"] == "mfa_required"
        assert body["mfa_ticket"].startswith("crm_")
        assert body["methods"] == ["totp", "recovery_code"]

    async def test_with_the_right_code_opens_a_session(self, client: httpx.AsyncClient) -> None:
        player, secret, _ = await totp_player(client)
        response = await sign_in(client, player.email, otp=code(secret, 1))
        assert response.status_code == 201, response.text
        assert response.json()["token"].startswith("crs_")

    async def test_a_code_works_only_once(self, client: httpx.AsyncClient) -> None:
        player, secret, _ = await totp_player(client)
        otp = code(secret, 1)
        assert (await sign_in(client, player.email, otp=otp)).status_code == 201
        replay = await sign_in(client, player.email, otp=otp)
        assert replay.status_code == 401
        assert replay.json()["code"] == "invalid_otp"

    async def test_the_code_that_confirmed_enrolment_is_spent(self, client: httpx.AsyncClient) -> None:
        player = await signed_in_player(client)
        secret = (await client.post("/v1/me/mfa/totp", headers=player.headers)).json()["secret"]
        await away_from_step_boundary()
        otp = code(secret)
        await client.post("/v1/me/mfa/totp/confirm", json={"otp": otp}, headers=player.headers)
        assert (await sign_in(client, player.email, otp=otp)).status_code == 401

    @pytest.mark.parametrize(("steps", "accepted"), [(-1, True), (1, True), (-2, False), (2, False)])
    async def test_one_step_of_clock_drift_is_tolerated_two_are_not(
        self, client: httpx.AsyncClient, runtime: Runtime, steps: int, accepted: bool
    ) -> None:
        player, secret, _ = await totp_player(client)
        # As if the last code had been used long ago, so that an earlier step is still unspent.
        await sql(
            runtime, "UPDATE players SET totp_last_step = NULL WHERE id = CAST(:p AS uuid)", p=player.id
        )
        await away_from_step_boundary()
        response = await sign_in(client, player.email, otp=code(secret, steps))
        assert response.status_code == (201 if accepted else 401), response.text

    async def test_a_wrong_code_is_audited_and_counts_toward_lockout(
        self, client: httpx.AsyncClient, runtime: Runtime
    ) -> None:
        player, secret, _ = await totp_player(client)
        await away_from_step_boundary()
        wrong = await sign_in(client, player.email, otp=code(secret, 5))
        assert wrong.status_code == 401
        assert wrong.json()["code"] == "invalid_otp"
        [(failures,)] = await sql(runtime, "SELECT failures FROM sign_in_guards")
        assert failures == 1
        verify = await audit_entries(runtime, "identity:mfa:verify", player.id)
        assert [(e.outcome, e.details["method"]) for e in verify] == [("failure", "totp")]
        sign_ins = await audit_entries(runtime, "identity:session:sign_in", player.id)
        assert sign_ins[-1].outcome == "failure"
        assert sign_ins[-1].details == {"reason": "invalid_otp"}


class TestDisabling:
    async def test_needs_a_recent_second_factor_and_then_turns_mfa_off(
        self, client: httpx.AsyncClient, runtime: Runtime
    ) -> None:
        player, secret, recovery = await totp_player(client)
        signed = await sign_in(client, player.email, recovery_code=recovery[0])
        assert signed.status_code == 201
        mfa_session = SignedIn(player.id, player.email, player.password, signed.json()["token"])
        await age_session(runtime, mfa_session, minutes=11)

        refused = await client.delete("/v1/me/mfa/totp", headers=mfa_session.headers)
        assert refused.status_code == 403
        assert refused.json()["code"] == "step_up_required"
        assert refused.json()["methods"] == ["totp", "recovery_code"]

        stepped = await client.post(
            "/v1/sessions/current/step-up", json={"otp": code(secret, 1)}, headers=mfa_session.headers
        )
        assert stepped.status_code == 200, stepped.text
        assert set(stepped.json()) == {"mfa_at"}
        assert (await client.delete("/v1/me/mfa/totp", headers=mfa_session.headers)).status_code == 204

        assert (await sign_in(client, player.email)).status_code == 201
        me = (await client.get("/v1/me", headers=mfa_session.headers)).json()
        assert me["mfa"] == {"totp": False, "passkeys": 0, "recovery_codes_left": 0}
        [(active, last_step)] = await sql(
            runtime,
            "SELECT totp_secret_enc, totp_last_step FROM players WHERE id = CAST(:p AS uuid)",
            p=player.id,
        )
        assert (active, last_step) == (None, None)
        disabled = await audit_entries(runtime, "identity:mfa:totp_disable", player.id)
        assert [e.outcome for e in disabled] == ["success"]

    async def test_without_an_authenticator_app_is_not_found(self, client: httpx.AsyncClient) -> None:
        player = await signed_in_player(client)
        response = await client.delete("/v1/me/mfa/totp", headers=player.headers)
        assert response.status_code == 404
        assert response.json()["code"] == "totp_not_enabled"
