"""The national self-exclusion register (the sandbox, served over HTTP), asked at registration and
sign-in with the postcode on file: a Y blocks gambling like a self-exclusion, an N lifts that
block, and an outage blocks gambling unless the operator chose to fail open."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import httpx
import pytest

from croupier.kit.runtime import Runtime
from croupier.kit.settings import Settings
from tests.compliance.responsible.exclusion_support import exclusion_events, status
from tests.compliance.responsible.register_sandbox import RegisterSandbox
from tests.conftest import make_settings
from tests.factories import SignedIn, sign_in, signed_in_player
from tests.games.test_rounds_api import DICE, bet
from tests.sql import sql
from tests.wallet.support import deposit


def _settings(
    database_url: str, keyring_json: str, tmp_path: Path, sandbox: RegisterSandbox, **overrides: Any
) -> Settings:
    return make_settings(
        database_url,
        keyring_json,
        tmp_path,
        register_url=sandbox.base_url,
        register_api_key=sandbox.api_key,
        **overrides,
    )


@pytest.fixture
def settings(
    database_url: str, keyring_json: str, tmp_path: Path, register_sandbox: RegisterSandbox
) -> Settings:
    return _settings(database_url, keyring_json, tmp_path, register_sandbox)


def _address(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}@example.com"


async def _player(client: httpx.AsyncClient, runtime: Runtime, email: str) -> SignedIn:
    player = await signed_in_player(client, email=email)
    await deposit(runtime, uuid.UUID(player.id), 10_000, "EUR")
    return player


async def _stale(runtime: Runtime, player: SignedIn) -> None:
    """The register's answer about the player is older than the cache keeps it."""
    await sql(
        runtime,
        "UPDATE register_checks SET checked_at = checked_at - interval '25 hours' WHERE player_id = :player",
        player=uuid.UUID(player.id),
    )


async def _postcodes_sent(sandbox: RegisterSandbox, player: SignedIn) -> list[str]:
    """The postcodes the register was asked with about the player, oldest first."""
    return [c["postcode"] for c in await sandbox.checks() if c["email"] == player.email]


class TestTheRegistersAnswer:
    async def test_a_y_at_registration_blocks_gambling_and_a_later_n_at_sign_in_lifts_it(
        self, client: httpx.AsyncClient, runtime: Runtime, register_sandbox: RegisterSandbox
    ) -> None:
        player = await _player(client, runtime, _address("excluded"))

        shown = await status(client, player)
        assert shown["national_register"]["answer"] == "Y"
        assert shown["exclusion"]["gambling_blocked"] is True
        assert [e["kind"] for e in shown["exclusion"]["exclusions"]] == ["register"]
        refused = await bet(client, player, "dice", DICE)
        assert (refused.status_code, refused.json()["code"]) == (403, "gambling_blocked")

        await register_sandbox.set_answer(player.email, "N")
        asked = len(await register_sandbox.checks())
        assert (await sign_in(client, player.email)).status_code == 201
        assert len(await register_sandbox.checks()) == asked  # a fresh answer is reused
        await _stale(runtime, player)
        assert (await sign_in(client, player.email)).status_code == 201

        assert (await status(client, player))["exclusion"]["gambling_blocked"] is False
        assert (await bet(client, player, "dice", DICE)).status_code == 201
        actions = [(e["action"], e["register_answer"]) for e in await exclusion_events(runtime, player.id)]
        assert actions == [("register_blocked", "Y"), ("register_cleared", "N")]

    async def test_p_and_n_do_not_block(self, client: httpx.AsyncClient, runtime: Runtime) -> None:
        for prefix, answer in (("lapsed", "P"), ("someone", "N")):
            player = await _player(client, runtime, _address(prefix))
            shown = await status(client, player)
            assert (shown["national_register"]["answer"], shown["exclusion"]["gambling_blocked"]) == (
                answer,
                False,
            )
            assert (await bet(client, player, "dice", DICE)).status_code == 201

    async def test_an_outage_at_sign_in_blocks_gambling_until_a_check_succeeds(
        self, client: httpx.AsyncClient, runtime: Runtime, register_sandbox: RegisterSandbox
    ) -> None:
        player = await _player(client, runtime, _address("someone"))
        await register_sandbox.set_answer(player.email, "outage")
        await _stale(runtime, player)

        assert (await sign_in(client, player.email)).status_code == 201  # signing in is never refused

        shown = await status(client, player)
        assert (shown["national_register"]["answer"], shown["exclusion"]["gambling_blocked"]) == (
            "unavailable",
            True,
        )
        assert (await bet(client, player, "dice", DICE)).status_code == 403
        await register_sandbox.set_answer(player.email, "N")
        assert (await sign_in(client, player.email)).status_code == 201  # an outage is never reused
        assert (await bet(client, player, "dice", DICE)).status_code == 201


class TestThePostcode:
    async def test_the_register_is_asked_with_the_postcode_on_file_at_registration_and_sign_in(
        self, client: httpx.AsyncClient, runtime: Runtime, register_sandbox: RegisterSandbox
    ) -> None:
        player = await signed_in_player(client, email=_address("someone"), postcode="sw1a  1aa")
        assert await _postcodes_sent(register_sandbox, player) == ["SW1A 1AA"]

        moved = await client.patch("/v1/me/profile", json={"postcode": "M1 1AE"}, headers=player.headers)
        assert moved.status_code == 200, moved.text
        await _stale(runtime, player)
        assert (await sign_in(client, player.email)).status_code == 201

        assert await _postcodes_sent(register_sandbox, player) == ["SW1A 1AA", "M1 1AE"]

    async def test_it_is_sent_empty_when_there_is_none_on_file(
        self, client: httpx.AsyncClient, runtime: Runtime, register_sandbox: RegisterSandbox
    ) -> None:
        player = await signed_in_player(client, email=_address("someone"))
        await _stale(runtime, player)
        assert (await sign_in(client, player.email)).status_code == 201

        assert await _postcodes_sent(register_sandbox, player) == ["", ""]


class TestFailingOpen:
    @pytest.fixture
    def settings(
        self, database_url: str, keyring_json: str, tmp_path: Path, register_sandbox: RegisterSandbox
    ) -> Settings:
        return _settings(database_url, keyring_json, tmp_path, register_sandbox, register_on_outage="allow")

    async def test_an_outage_blocks_nothing_when_the_operator_allows_it(
        self, client: httpx.AsyncClient, runtime: Runtime
    ) -> None:
        player = await _player(client, runtime, _address("outage"))

        shown = await status(client, player)
        assert (shown["national_register"]["answer"], shown["exclusion"]["gambling_blocked"]) == (
            "unavailable",
            False,
        )
        assert (await bet(client, player, "dice", DICE)).status_code == 201


class TestTheSandbox:
    async def test_answers_by_address_and_refuses_a_wrong_key(
        self, register_sandbox: RegisterSandbox
    ) -> None:
        form = {
            "firstName": "Ada",
            "lastName": "Lovelace",
            "dateOfBirth": "1990-12-10",
            "postcode": "SW1A 1AA",
        }
        answers = {}
        async with httpx.AsyncClient(base_url=register_sandbox.base_url, timeout=10) as http:
            for prefix in ("excluded", "lapsed", "someone", "outage"):
                response = await http.post(
                    "/v2",
                    data={**form, "email": _address(prefix)},
                    headers={"X-API-Key": register_sandbox.api_key},
                )
                answers[prefix] = response.headers.get("X-Exclusion", str(response.status_code))
            wrong = await http.post(
                "/v2", data={**form, "email": "a@example.com"}, headers={"X-API-Key": "x"}
            )

        assert answers == {"excluded": "Y", "lapsed": "P", "someone": "N", "outage": "503"}
        assert wrong.status_code == 403
