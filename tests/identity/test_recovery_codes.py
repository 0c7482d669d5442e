"""Recovery codes: the way back in when the second factor is lost."""

from __future__ import annotations

import hashlib

import httpx

from croupier.kit.runtime import Runtime
from tests.factories import sign_in, signed_in_player
from tests.identity.mfa_support import RECOVERY_CODE, age_session, audit_entries, code, totp_player
from tests.sql import sql


class TestUsingARecoveryCode:
    async def test_signs_in_once_and_only_once(self, client: httpx.AsyncClient, runtime: Runtime) -> None:
        player, _, codes = await totp_player(client)
        first = await sign_in(client, player.email, recovery_code=codes[0])
        assert first.status_code == 201, first.text
        again = await sign_in(client, player.email, recovery_code=codes[0])
        assert again.status_code == 401
        assert again.json()["code"] == "invalid_otp"
        # The others still work.
        assert (await sign_in(client, player.email, recovery_code=codes[1])).status_code == 201
        me = (await client.get("/v1/me", headers=player.headers)).json()
        assert me["mfa"]["recovery_codes_left"] == 8

        used = await audit_entries(runtime, "identity:mfa:recovery_use", player.id)
        assert [(e.outcome, e.details) for e in used] == [("success", {"left": 9}), ("success", {"left": 8})]
        verify = await audit_entries(runtime, "identity:mfa:verify", player.id)
        assert [(e.outcome, e.details["method"]) for e in verify][-3:] == [
            ("success", "recovery_code"),
            ("failure", "recovery_code"),
            ("success", "recovery_code"),
        ]
        assert codes[0] not in str(await sql(runtime, "SELECT details FROM audit_events"))

    async def test_is_read_without_dashes_and_in_any_case(self, client: httpx.AsyncClient) -> None:
        player, _, codes = await totp_player(client)
        typed = codes[3].replace("-", "").lower()
        assert (await sign_in(client, player.email, recovery_code=typed)).status_code == 201

    async def test_another_players_code_does_not_work(self, client: httpx.AsyncClient) -> None:
        alice, _, _ = await totp_player(client)
        _, _, bobs_codes = await totp_player(client)
        response = await sign_in(client, alice.email, recovery_code=bobs_codes[0])
        assert response.status_code == 401

    async def test_finishes_a_sign_in_that_asked_for_a_second_factor(self, client: httpx.AsyncClient) -> None:
        player, _, codes = await totp_player(client)
        ticket = (await sign_in(client, player.email)).json()["mfa_ticket"]
        response = await client.post(
            "/v1/sessions/mfa", json={"mfa_ticket": ticket, "recovery_code": codes[0]}
        )
        assert response.status_code == 201, response.text

    async def test_codes_are_stored_only_as_hashes(self, client: httpx.AsyncClient, runtime: Runtime) -> None:
        player, _, codes = await totp_player(client)
        rows = await sql(
            runtime, "SELECT code_hash FROM recovery_codes WHERE player_id = CAST(:p AS uuid)", p=player.id
        )
        stored = {bytes(r.code_hash) for r in rows}
        assert stored == {hashlib.sha256(c.replace("-", "").encode()).digest() for c in codes}
        assert not any(c.encode() in h or c.replace("-", "").encode() in h for c in codes for h in stored)


class TestRegenerating:
    async def test_needs_step_up_and_voids_the_old_set(
        self, client: httpx.AsyncClient, runtime: Runtime
    ) -> None:
        player, secret, old = await totp_player(client)
        # A fresh password-only session is not enough once a second factor exists.
        refused = await client.post("/v1/me/mfa/recovery-codes", headers=player.headers)
        assert refused.status_code == 403
        assert refused.json()["code"] == "step_up_required"

        stepped = await client.post(
            "/v1/sessions/current/step-up", json={"otp": code(secret, 1)}, headers=player.headers
        )
        assert stepped.status_code == 200, stepped.text
        response = await client.post("/v1/me/mfa/recovery-codes", headers=player.headers)
        assert response.status_code == 201
        new = response.json()["recovery_codes"]
        assert len(new) == 10
        assert all(RECOVERY_CODE.match(c) for c in new)
        assert not set(new) & set(old)

        assert (await sign_in(client, player.email, recovery_code=old[1])).status_code == 401
        assert (await sign_in(client, player.email, recovery_code=new[1])).status_code == 201
        [(count,)] = await sql(
            runtime, "SELECT count(*) FROM recovery_codes WHERE player_id = CAST(:p AS uuid)", p=player.id
        )
        assert count == 10
        regenerated = await audit_entries(runtime, "identity:mfa:recovery_regenerate", player.id)
        assert [e.outcome for e in regenerated] == ["success"]

    async def test_a_stepped_up_session_goes_stale(self, client: httpx.AsyncClient, runtime: Runtime) -> None:
        player, _, codes = await totp_player(client)
        signed = await sign_in(client, player.email, recovery_code=codes[0])
        headers = {"Authorization": f"Bearer {signed.json()['token']}"}
        assert (await client.post("/v1/me/mfa/recovery-codes", headers=headers)).status_code == 201
        await age_session(runtime, player, minutes=11)
        stale = await client.post("/v1/me/mfa/recovery-codes", headers=headers)
        assert stale.status_code == 403

    async def test_is_refused_without_a_second_factor(self, client: httpx.AsyncClient) -> None:
        player = await signed_in_player(client)
        response = await client.post("/v1/me/mfa/recovery-codes", headers=player.headers)
        assert response.status_code == 409
        assert response.json()["code"] == "mfa_not_enabled"
