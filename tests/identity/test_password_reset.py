from __future__ import annotations

import hashlib
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pyotp
import pytest

from croupier.api import create_app
from croupier.kit.runtime import Runtime
from tests.conftest import TEST_IP, make_settings
from tests.factories import SignedIn, sign_in, signed_in_player
from tests.mail.helpers import deliver, mails, reset_token
from tests.sql import sql

NEW_PASSWORD = "an entirely new passphrase, 2026 edition"


async def ask_reset(client: httpx.AsyncClient, email: str) -> httpx.Response:
    return await client.post("/v1/password-resets", json={"email": email})


async def confirm(client: httpx.AsyncClient, token: str, **extra: str) -> httpx.Response:
    body = {"token": token, "new_password": NEW_PASSWORD, **extra}
    return await client.post("/v1/password-resets/confirm", json=body)


async def mailed_token(client: httpx.AsyncClient, runtime: Runtime, email: str) -> str:
    assert (await ask_reset(client, email)).status_code == 202
    await deliver(runtime)
    return reset_token(mails(runtime.settings, to=email, template="password_reset")[0])


class TestResetByMail:
    async def test_reset_end_to_end(self, client: httpx.AsyncClient, runtime: Runtime) -> None:
        player = await signed_in_player(client)
        asked = await ask_reset(client, player.email)
        assert asked.status_code == 202
        await deliver(runtime)

        [mail] = mails(runtime.settings, to=player.email, template="password_reset")
        assert mail.path.suffix == ".eml"
        token = reset_token(mail)
        assert token.startswith("crp_")
        assert f"{runtime.settings.public_url}/reset-password?token={token}" in mail.body

        response = await confirm(client, token)
        assert response.status_code == 204, response.text
        # Every session ends, the current one too: whoever had the password is out.
        assert (await client.get("/v1/me", headers=player.headers)).status_code == 401
        assert (await sign_in(client, player.email, player.password)).status_code == 401
        assert (await sign_in(client, player.email, NEW_PASSWORD)).status_code == 201

        await deliver(runtime)
        [notice] = mails(runtime.settings, to=player.email, template="password_changed")
        assert "was reset on" in notice.body
        actions = await sql(
            runtime,
            "SELECT action, outcome FROM audit_events WHERE action LIKE 'identity:password:%' ORDER BY seq",
        )
        assert [tuple(row) for row in actions] == [
            ("identity:password:reset_request", "success"),
            ("identity:password:reset", "success"),
        ]

    async def test_nothing_in_the_database_gives_the_link_or_the_address_away(
        self, client: httpx.AsyncClient, runtime: Runtime
    ) -> None:
        player = await signed_in_player(client)
        token = await mailed_token(client, runtime, player.email)
        for (sealed,) in await sql(runtime, "SELECT sealed FROM mail_outbox"):
            assert player.email.encode() not in sealed
            assert player.email.split("@")[0].encode() not in sealed
            assert token.encode() not in sealed
            assert token[4:20].encode() not in sealed
        [(token_hash, details)] = await sql(runtime, "SELECT token_hash, details FROM password_resets")
        assert token_hash == hashlib.sha256(token.encode()).digest()
        assert token not in str(details)
        for (details,) in await sql(runtime, "SELECT details FROM audit_events"):
            assert token not in str(details)
            assert player.email not in str(details)

    async def test_a_token_works_once(self, client: httpx.AsyncClient, runtime: Runtime) -> None:
        player = await signed_in_player(client)
        token = await mailed_token(client, runtime, player.email)
        assert (await confirm(client, token)).status_code == 204
        again = await confirm(client, token)
        assert again.status_code == 400
        assert again.json()["code"] == "invalid_reset_token"

    async def test_an_expired_token_is_refused(self, client: httpx.AsyncClient, runtime: Runtime) -> None:
        player = await signed_in_player(client)
        token = await mailed_token(client, runtime, player.email)
        await sql(runtime, "UPDATE password_resets SET expires_at = now() - interval '1 minute'")
        response = await confirm(client, token)
        assert response.status_code == 400
        assert response.json()["code"] == "invalid_reset_token"
        assert (await sign_in(client, player.email, player.password)).status_code == 201

    async def test_a_newer_link_retires_the_older_one(
        self, client: httpx.AsyncClient, runtime: Runtime
    ) -> None:
        player = await signed_in_player(client)
        first = await mailed_token(client, runtime, player.email)
        await ask_reset(client, player.email)
        await deliver(runtime)
        tokens = {reset_token(m) for m in mails(runtime.settings, to=player.email, template="password_reset")}
        [second] = tokens - {first}
        assert (await confirm(client, first)).json()["code"] == "invalid_reset_token"
        assert (await confirm(client, second)).status_code == 204

    async def test_an_unknown_token_is_refused(self, client: httpx.AsyncClient) -> None:
        for token in ("crp_" + "x" * 43, "something else"):
            response = await confirm(client, token)
            assert response.status_code == 400
            assert response.json()["code"] == "invalid_reset_token"

    async def test_a_weak_password_leaves_the_token_usable(
        self, client: httpx.AsyncClient, runtime: Runtime
    ) -> None:
        player = await signed_in_player(client)
        token = await mailed_token(client, runtime, player.email)
        weak = await client.post(
            "/v1/password-resets/confirm", json={"token": token, "new_password": "password1"}
        )
        assert weak.status_code == 422
        assert weak.json()["code"] == "weak_password"
        assert (await confirm(client, token)).status_code == 204

    async def test_resetting_lifts_a_sign_in_lockout(
        self, client: httpx.AsyncClient, runtime: Runtime
    ) -> None:
        player = await signed_in_player(client)
        await lock(runtime, player)
        assert (await sign_in(client, player.email, player.password)).json()["code"] == "account_locked"
        token = await mailed_token(client, runtime, player.email)
        assert (await confirm(client, token)).status_code == 204
        assert (await sign_in(client, player.email, NEW_PASSWORD)).status_code == 201

    async def test_a_disabled_account_gets_no_link(self, client: httpx.AsyncClient, runtime: Runtime) -> None:
        player = await signed_in_player(client)
        await sql(runtime, "UPDATE players SET status = 'disabled' WHERE id = :id", id=player.id)
        assert (await ask_reset(client, player.email)).status_code == 202
        await deliver(runtime)
        assert not mails(runtime.settings, to=player.email, template="password_reset")


class TestNoEnumeration:
    async def test_an_unknown_address_gets_the_same_answer_and_no_mail(
        self, client: httpx.AsyncClient, runtime: Runtime
    ) -> None:
        player = await signed_in_player(client)
        await deliver(runtime)
        before = len(await sql(runtime, "SELECT id FROM mail_outbox"))

        unknown = await ask_reset(client, "nobody-at-all@example.com")
        assert len(await sql(runtime, "SELECT id FROM mail_outbox")) == before
        assert await sql(runtime, "SELECT id FROM password_resets") == []
        known = await ask_reset(client, player.email)

        assert unknown.status_code == known.status_code == 202
        assert unknown.content == known.content
        strip = lambda r: {k: v for k, v in r.headers.items() if k != "x-request-id"}  # noqa: E731
        assert strip(unknown) == strip(known)
        await deliver(runtime)
        assert not mails(runtime.settings, to="nobody-at-all@example.com")
        assert mails(runtime.settings, to=player.email, template="password_reset")

    async def test_links_per_account_are_capped(self, client: httpx.AsyncClient, runtime: Runtime) -> None:
        player = await signed_in_player(client)
        for _ in range(7):
            assert (await ask_reset(client, player.email)).status_code == 202
        await deliver(runtime)
        assert len(mails(runtime.settings, to=player.email, template="password_reset")) == 5


@pytest.fixture
async def strict_client(
    database_url: str, keyring_json: str, tmp_path: Path
) -> AsyncIterator[httpx.AsyncClient]:
    settings = make_settings(database_url, keyring_json, tmp_path, ip_sign_in_rate="3/minute")
    runtime = await Runtime.start(settings)
    transport = httpx.ASGITransport(app=create_app(runtime=runtime), client=(TEST_IP, 40000))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        yield http
    await runtime.close()


class TestThrottling:
    async def test_requests_are_throttled_per_address(self, strict_client: httpx.AsyncClient) -> None:
        statuses = [(await ask_reset(strict_client, f"a{i}@example.com")).status_code for i in range(4)]
        assert statuses == [202, 202, 202, 429]
        refused = [(await confirm(strict_client, "crp_" + "y" * 43)).status_code for _ in range(4)]
        assert refused == [400, 400, 400, 429]


# Second factors ---------------------------------------------------------------------


async def lock(runtime: Runtime, player: SignedIn) -> None:
    await sql(
        runtime,
        "INSERT INTO sign_in_guards (email_index, failures, locked_until, updated_at) "
        "SELECT email_index, 0, now() + interval '30 minutes', now() FROM players WHERE id = :id",
        id=player.id,
    )


async def enable_totp(client: httpx.AsyncClient, player: SignedIn) -> tuple[pyotp.TOTP, list[str]]:
    enrolled = await client.post("/v1/me/mfa/totp", headers=player.headers)
    assert enrolled.status_code == 201, enrolled.text
    totp = pyotp.TOTP(enrolled.json()["secret"])
    confirmed = await client.post("/v1/me/mfa/totp/confirm", json={"otp": totp.now()}, headers=player.headers)
    assert confirmed.status_code == 200, confirmed.text
    return totp, confirmed.json()["recovery_codes"]


async def next_code(runtime: Runtime, player: SignedIn, totp: pyotp.TOTP) -> str:
    """The code of the step after the last one used: valid now, and not a replay."""
    [(last_step,)] = await sql(runtime, "SELECT totp_last_step FROM players WHERE id = :id", id=player.id)
    return str(totp.generate_otp(last_step + 1))


class TestResetWithMfa:
    async def test_a_second_factor_is_demanded(self, client: httpx.AsyncClient, runtime: Runtime) -> None:
        player = await signed_in_player(client)
        totp, _ = await enable_totp(client, player)
        token = await mailed_token(client, runtime, player.email)

        bare = await confirm(client, token)
        assert bare.status_code == 401
        assert bare.json()["code"] == "mfa_required"
        assert bare.json()["methods"] == ["totp", "recovery_code"]

        code = await next_code(runtime, player, totp)
        wrong = await confirm(client, token, otp=f"{(int(code) + 1) % 1_000_000:06d}")
        assert wrong.status_code == 401
        assert wrong.json()["code"] == "invalid_otp"
        # Counted against the lockout like a wrong password at sign-in.
        [(failures,)] = await sql(runtime, "SELECT failures FROM sign_in_guards")
        assert failures == 1

        assert (await confirm(client, token, otp=code)).status_code == 204
        assert await sql(runtime, "SELECT failures FROM sign_in_guards") == []
        # The reset changed the password, not the factors.
        again = await sign_in(client, player.email, NEW_PASSWORD)
        assert again.status_code == 401
        assert again.json()["code"] == "mfa_required"

    async def test_a_recovery_code_will_do(self, client: httpx.AsyncClient, runtime: Runtime) -> None:
        player = await signed_in_player(client)
        _, codes = await enable_totp(client, player)
        token = await mailed_token(client, runtime, player.email)
        assert (await confirm(client, token, recovery_code=codes[0])).status_code == 204
        reused = await sign_in(client, player.email, NEW_PASSWORD, recovery_code=codes[0])
        assert reused.status_code == 401

    async def test_a_locked_account_cannot_guess_codes_through_the_link(
        self, client: httpx.AsyncClient, runtime: Runtime
    ) -> None:
        player = await signed_in_player(client)
        totp, _ = await enable_totp(client, player)
        token = await mailed_token(client, runtime, player.email)
        await lock(runtime, player)
        response = await confirm(client, token, otp=await next_code(runtime, player, totp))
        assert response.status_code == 423
        assert response.json()["code"] == "account_locked"
