"""Finishing a sign-in that answered ``mfa_required``: the MFA ticket and the second factor."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from croupier.kit.runtime import Runtime
from tests.factories import SignedIn, sign_in, signed_in_player
from tests.identity.mfa_support import audit_entries, code, totp_player
from tests.identity.softauthn import SoftAuthenticator, unb64url
from tests.identity.test_passkeys import passkey_player
from tests.sql import sql


def wrong_code(secret: str) -> str:
    """A code valid in none of the steps around now."""
    valid = {code(secret, steps) for steps in (-2, -1, 0, 1, 2)}
    return next(c for c in ("000000", "111111", "222222", "333333", "444444", "555555") if c not in valid)


async def ticket_for(client: httpx.AsyncClient, player: SignedIn) -> str:
    response = await sign_in(client, player.email)
    assert response.status_code == 401
    assert response.json()["code"] == "mfa_required"
    ticket: str = response.json()["mfa_ticket"]
    return ticket


async def finish(client: httpx.AsyncClient, ticket: str, **factor: Any) -> httpx.Response:
    return await client.post("/v1/sessions/mfa", json={"mfa_ticket": ticket, **factor})


async def passkey_assertion(
    client: httpx.AsyncClient, ticket: str, authenticator: SoftAuthenticator, **kwargs: Any
) -> dict[str, Any]:
    options = await client.post("/v1/sessions/mfa/passkey-options", json={"mfa_ticket": ticket})
    assert options.status_code == 200, options.text
    return authenticator.get(options.json(), **kwargs)


class TestWithAnAuthenticatorApp:
    async def test_a_ticket_and_a_code_open_a_session(self, client: httpx.AsyncClient) -> None:
        player, secret, _ = await totp_player(client)
        ticket = await ticket_for(client, player)
        response = await finish(client, ticket, otp=code(secret, 1))
        assert response.status_code == 201, response.text
        body = response.json()
        assert set(body) == {"token", "session_id", "expires_at", "previous_sign_in_at"}
        assert body["previous_sign_in_at"] is not None
        me = await client.get("/v1/me", headers={"Authorization": f"Bearer {body['token']}"})
        assert me.status_code == 200

    async def test_the_session_counts_as_second_factor_authenticated(self, client: httpx.AsyncClient) -> None:
        player, secret, _ = await totp_player(client)
        ticket = await ticket_for(client, player)
        token = (await finish(client, ticket, otp=code(secret, 1))).json()["token"]
        # A change that needs a recent second factor goes through without a step-up.
        response = await client.post(
            "/v1/me/mfa/recovery-codes", headers={"Authorization": f"Bearer {token}"}
        )
        assert response.status_code == 201

    async def test_a_ticket_works_once(self, client: httpx.AsyncClient, runtime: Runtime) -> None:
        player, _, codes = await totp_player(client)
        ticket = await ticket_for(client, player)
        assert (await finish(client, ticket, recovery_code=codes[0])).status_code == 201
        again = await finish(client, ticket, recovery_code=codes[1])
        assert again.status_code == 401
        assert again.json()["code"] == "invalid_mfa_ticket"
        denied = await audit_entries(runtime, "identity:session:sign_in", player.id)
        assert (denied[-1].outcome, denied[-1].details) == ("denied", {"reason": "ticket_used"})

    async def test_an_expired_ticket_is_refused(self, client: httpx.AsyncClient, runtime: Runtime) -> None:
        player, secret, _ = await totp_player(client)
        ticket = await ticket_for(client, player)
        await sql(runtime, "UPDATE mfa_tickets SET expires_at = now() - interval '1 second'")
        response = await finish(client, ticket, otp=code(secret, 1))
        assert response.status_code == 401
        assert response.json()["code"] == "invalid_mfa_ticket"

    async def test_tickets_expire_after_five_minutes(
        self, client: httpx.AsyncClient, runtime: Runtime
    ) -> None:
        player, _, _ = await totp_player(client)
        await ticket_for(client, player)
        [(lifetime,)] = await sql(
            runtime, "SELECT extract(epoch FROM expires_at - created_at) FROM mfa_tickets"
        )
        assert 290 <= lifetime <= 300

    async def test_an_unknown_ticket_is_refused(self, client: httpx.AsyncClient) -> None:
        response = await finish(client, "crm_not-a-real-ticket", otp="123456")
        assert response.status_code == 401
        assert response.json()["code"] == "invalid_mfa_ticket"

    async def test_a_wrong_code_is_counted_audited_and_kills_the_ticket_after_five(
        self, client: httpx.AsyncClient, runtime: Runtime
    ) -> None:
        player, secret, _ = await totp_player(client)
        ticket = await ticket_for(client, player)
        for left in (4, 3, 2, 1, 0):
            wrong = await finish(client, ticket, otp=wrong_code(secret))
            assert wrong.status_code == 401
            assert wrong.json()["code"] == "invalid_otp"
            assert wrong.json()["attempts_left"] == left
        dead = await finish(client, ticket, otp=code(secret, 1))
        assert dead.status_code == 401
        assert dead.json()["code"] == "invalid_mfa_ticket"

        [(failed,)] = await sql(runtime, "SELECT failed_attempts FROM mfa_tickets")
        assert failed == 5
        [(failures,)] = await sql(runtime, "SELECT failures FROM sign_in_guards")
        assert failures == 5
        verify = await audit_entries(runtime, "identity:mfa:verify", player.id)
        assert [(e.outcome, e.details) for e in verify] == [
            ("failure", {"method": "totp", "purpose": "sign_in"})
        ] * 5

    async def test_wrong_codes_lock_the_account_like_wrong_passwords(
        self, client: httpx.AsyncClient, runtime: Runtime
    ) -> None:
        player, secret, _ = await totp_player(client)
        wrong = wrong_code(secret)
        for _ in range(2):  # two tickets: ten wrong codes, the default threshold
            ticket = await ticket_for(client, player)
            for _ in range(5):
                await finish(client, ticket, otp=wrong)
        ticket_after = await sign_in(client, player.email)
        assert ticket_after.status_code == 423
        assert ticket_after.json()["code"] == "account_locked"
        locks = await audit_entries(runtime, "identity:account:lock", player.id)
        assert len(locks) == 1

    async def test_a_lock_stops_a_ticket_issued_before_it(self, client: httpx.AsyncClient) -> None:
        player, secret, _ = await totp_player(client)
        ticket = await ticket_for(client, player)
        for _ in range(10):
            await sign_in(client, player.email, "not the password at all")
        response = await finish(client, ticket, otp=code(secret, 1))
        assert response.status_code == 423
        assert response.json()["code"] == "account_locked"

    async def test_a_success_clears_earlier_failures(
        self, client: httpx.AsyncClient, runtime: Runtime
    ) -> None:
        player, secret, _ = await totp_player(client)
        ticket = await ticket_for(client, player)
        await finish(client, ticket, otp=wrong_code(secret))
        assert (await finish(client, ticket, otp=code(secret, 1))).status_code == 201
        assert await sql(runtime, "SELECT failures FROM sign_in_guards") == []

    @pytest.mark.parametrize(
        "factors",
        [{}, {"otp": "123456", "recovery_code": "AAAA-BBBB-CCCC-DDDD"}, {"password": "correct horse"}],
    )
    async def test_exactly_one_factor_is_sent(
        self, client: httpx.AsyncClient, factors: dict[str, str]
    ) -> None:
        player, _, _ = await totp_player(client)
        ticket = await ticket_for(client, player)
        response = await finish(client, ticket, **factors)
        assert response.status_code == 422
        assert response.json()["code"] == "validation_error"


class TestWithAPasskey:
    async def test_an_assertion_opens_a_session_and_advances_the_counter(
        self, client: httpx.AsyncClient, runtime: Runtime
    ) -> None:
        player, authenticator, _ = await passkey_player(client)
        ticket = await ticket_for(client, player)
        options = (await client.post("/v1/sessions/mfa/passkey-options", json={"mfa_ticket": ticket})).json()
        assert options["rpId"] == "localhost"
        assert [unb64url(c["id"]) for c in options["allowCredentials"]] == list(authenticator.credentials)

        response = await finish(client, ticket, passkey=authenticator.get(options))
        assert response.status_code == 201, response.text
        [(sign_count, last_used_at)] = await sql(runtime, "SELECT sign_count, last_used_at FROM passkeys")
        assert sign_count == 1
        assert last_used_at is not None
        verify = await audit_entries(runtime, "identity:mfa:verify", player.id)
        assert [(e.outcome, e.details, e.target_type) for e in verify] == [
            ("success", {"method": "passkey", "purpose": "sign_in"}, "passkey")
        ]

    async def test_a_counter_that_goes_backwards_is_refused(
        self, client: httpx.AsyncClient, runtime: Runtime
    ) -> None:
        player, authenticator, _ = await passkey_player(client)
        for _ in range(2):
            ticket = await ticket_for(client, player)
            assertion = await passkey_assertion(client, ticket, authenticator)
            assert (await finish(client, ticket, passkey=assertion)).status_code == 201
        # A copy of the key taken before those two uses still counts from 1.
        ticket = await ticket_for(client, player)
        assertion = await passkey_assertion(client, ticket, authenticator, sign_count=1)
        cloned = await finish(client, ticket, passkey=assertion)
        assert cloned.status_code == 401
        assert cloned.json()["code"] == "invalid_passkey"
        [(sign_count,)] = await sql(runtime, "SELECT sign_count FROM passkeys")
        assert sign_count == 2
        verify = await audit_entries(runtime, "identity:mfa:verify", player.id)
        assert (verify[-1].outcome, verify[-1].details["reason"]) == ("failure", "sign_count_regressed")

    async def test_an_authenticator_without_a_counter_keeps_working(self, client: httpx.AsyncClient) -> None:
        player = await signed_in_player(client)
        authenticator = SoftAuthenticator()
        options = (await client.post("/v1/me/mfa/passkeys/options", headers=player.headers)).json()
        credential = authenticator.create(options, counter=False)
        registered = await client.post(
            "/v1/me/mfa/passkeys",
            json={"name": "Counterless", "credential": credential},
            headers=player.headers,
        )
        assert registered.status_code == 201
        for _ in range(2):
            ticket = await ticket_for(client, player)
            assertion = await passkey_assertion(client, ticket, authenticator)
            assert (await finish(client, ticket, passkey=assertion)).status_code == 201

    async def test_an_assertion_for_another_origin_is_refused(self, client: httpx.AsyncClient) -> None:
        player, authenticator, _ = await passkey_player(client)
        ticket = await ticket_for(client, player)
        phished = await passkey_assertion(
            client, ticket, authenticator, origin="https://croupier.example.net"
        )
        response = await finish(client, ticket, passkey=phished)
        assert response.status_code == 401
        assert response.json()["code"] == "invalid_passkey"
        assert response.json()["attempts_left"] == 4

    async def test_an_assertion_is_good_once(self, client: httpx.AsyncClient) -> None:
        player, authenticator, _ = await passkey_player(client)
        first_ticket = await ticket_for(client, player)
        assertion = await passkey_assertion(client, first_ticket, authenticator)
        assert (await finish(client, first_ticket, passkey=assertion)).status_code == 201
        second_ticket = await ticket_for(client, player)
        assert (await finish(client, second_ticket, passkey=assertion)).status_code == 401

    async def test_a_step_up_challenge_does_not_finish_a_sign_in(self, client: httpx.AsyncClient) -> None:
        player, authenticator, _ = await passkey_player(client)
        step_up_options = await client.post(
            "/v1/sessions/current/step-up/passkey-options", headers=player.headers
        )
        assert step_up_options.status_code == 200
        ticket = await ticket_for(client, player)
        response = await finish(client, ticket, passkey=authenticator.get(step_up_options.json()))
        assert response.status_code == 401

    async def test_another_players_passkey_does_not_work(self, client: httpx.AsyncClient) -> None:
        alice, _, _ = await passkey_player(client)
        _, mallory_key, _ = await passkey_player(client)
        ticket = await ticket_for(client, alice)
        options = (await client.post("/v1/sessions/mfa/passkey-options", json={"mfa_ticket": ticket})).json()
        [mallorys] = mallory_key.credentials
        response = await finish(client, ticket, passkey=mallory_key.get(options, credential_id=mallorys))
        assert response.status_code == 401
        assert response.json()["code"] == "invalid_passkey"

    async def test_options_need_a_live_ticket_and_a_passkey(self, client: httpx.AsyncClient) -> None:
        unknown = await client.post("/v1/sessions/mfa/passkey-options", json={"mfa_ticket": "crm_nope"})
        assert unknown.status_code == 401
        assert unknown.json()["code"] == "invalid_mfa_ticket"
        player, _, _ = await totp_player(client)
        ticket = await ticket_for(client, player)
        none = await client.post("/v1/sessions/mfa/passkey-options", json={"mfa_ticket": ticket})
        assert none.status_code == 409
        assert none.json()["code"] == "no_passkeys"
