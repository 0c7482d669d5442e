"""Mail the player about security events, to the address on file, through the sealed outbox."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import FastAPI

from croupier.kit.runtime import Runtime
from tests.factories import SignedIn, sign_in, signed_in_player
from tests.identity.mfa_support import enable_totp
from tests.identity.softauthn import SoftAuthenticator
from tests.identity.test_passkeys import register_passkey, step_up_with_recovery_code
from tests.mail.helpers import deliver, mails
from tests.sql import sql

OTHER_BROWSER = {"User-Agent": "Mozilla/5.0 (X11; Linux x86_64) Firefox/133.0"}


@pytest.fixture
async def far_away(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    """A client on another network than the ``client`` fixture's (198.51.100.0/24)."""
    transport = httpx.ASGITransport(app=app, client=("203.0.113.9", 40000))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        yield http


async def notices(runtime: Runtime, player: SignedIn, template: str) -> list[str]:
    await deliver(runtime)
    return [entry.body for entry in mails(runtime.settings, to=player.email, template=template)]


class TestNewDevice:
    async def test_the_first_sign_in_and_a_known_device_are_not_announced(
        self, client: httpx.AsyncClient, runtime: Runtime
    ) -> None:
        player = await signed_in_player(client)
        assert (await sign_in(client, player.email)).status_code == 201
        assert await notices(runtime, player, "new_sign_in") == []

    async def test_another_browser_is_announced_once(
        self, client: httpx.AsyncClient, runtime: Runtime
    ) -> None:
        player = await signed_in_player(client)
        for _ in range(2):
            assert (await sign_in(client, player.email, headers=OTHER_BROWSER)).status_code == 201
        [body] = await notices(runtime, player, "new_sign_in")
        assert "Firefox/133.0" in body
        assert "198.51.100.7" in body

    async def test_another_network_is_announced(
        self, client: httpx.AsyncClient, far_away: httpx.AsyncClient, runtime: Runtime
    ) -> None:
        player = await signed_in_player(client)
        assert (await sign_in(far_away, player.email)).status_code == 201
        [body] = await notices(runtime, player, "new_sign_in")
        assert "203.0.113.9" in body

    async def test_devices_are_stored_as_keyed_hashes(
        self, client: httpx.AsyncClient, runtime: Runtime
    ) -> None:
        player = await signed_in_player(client)
        assert (await sign_in(client, player.email, headers=OTHER_BROWSER)).status_code == 201
        rows = await sql(runtime, "SELECT device_hash FROM known_devices")
        assert len(rows) == 2
        for (device_hash,) in rows:
            assert len(device_hash) == 32
            assert b"Firefox" not in device_hash
            assert b"198.51.100" not in device_hash


class TestSecondFactors:
    async def test_an_authenticator_app_added_and_removed_and_a_recovery_code_used(
        self, client: httpx.AsyncClient, runtime: Runtime
    ) -> None:
        player = await signed_in_player(client)
        _, codes = await enable_totp(client, player)
        await step_up_with_recovery_code(client, player, codes[0])
        assert (await client.delete("/v1/me/mfa/totp", headers=player.headers)).status_code == 204

        added, removed = sorted(
            await notices(runtime, player, "mfa_changed"), key=lambda body: "removed" in body
        )
        assert "An authenticator app was set up for your Croupier account on" in added
        assert "The authenticator app was removed from your Croupier account on" in removed
        [used] = await notices(runtime, player, "recovery_code_used")
        assert "9 are left" in used

    async def test_a_passkey_added_and_removed(self, client: httpx.AsyncClient, runtime: Runtime) -> None:
        player = await signed_in_player(client)
        registered = await register_passkey(client, player, SoftAuthenticator())
        await step_up_with_recovery_code(client, player, registered["recovery_codes"][0])
        removed = await client.delete(f"/v1/me/mfa/passkeys/{registered['id']}", headers=player.headers)
        assert removed.status_code == 204
        bodies = await notices(runtime, player, "mfa_changed")
        assert sorted(body.split("\n")[2][:30] for body in bodies) == [
            "A passkey was added to your Cr",
            "A passkey was removed from you",
        ]

    async def test_a_refused_change_sends_nothing(self, client: httpx.AsyncClient, runtime: Runtime) -> None:
        player = await signed_in_player(client)
        enrol = await client.post("/v1/me/mfa/totp", headers=player.headers)
        wrong = await client.post("/v1/me/mfa/totp/confirm", json={"otp": "000000"}, headers=player.headers)
        assert (enrol.status_code, wrong.status_code) == (201, 401)
        assert await notices(runtime, player, "mfa_changed") == []

    async def test_notices_are_sealed_in_the_outbox(
        self, client: httpx.AsyncClient, runtime: Runtime
    ) -> None:
        player = await signed_in_player(client)
        await enable_totp(client, player)
        for (sealed,) in await sql(runtime, "SELECT sealed FROM mail_outbox WHERE template = 'mfa_changed'"):
            assert player.email.encode() not in sealed
            assert b"authenticator" not in sealed
