"""A JSON body that names a key twice is refused before any endpoint reads it.

``{"stake": -100, "stake": 100}`` is 100 to Python's parser (the last value wins) and
-100 to parsers that keep the first: a proxy, a signature checker or an audit log
could read a different request from the one Croupier acts on. So every such body,
on every endpoint, nested or escaped, is answered 422 ``duplicate_json_key``.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from croupier.api import create_app
from croupier.kit.http import has_duplicate_keys
from croupier.kit.runtime import Runtime
from tests.conftest import TEST_IP, make_settings
from tests.factories import SignedIn, signed_in_player
from tests.wallet.support import deposit

PROBLEM_JSON = "application/problem+json"


def assert_refused(response: httpx.Response) -> None:
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == PROBLEM_JSON
    body = response.json()
    assert body["code"] == "duplicate_json_key"
    assert body["request_id"] == response.headers["x-request-id"]


async def funded(client: httpx.AsyncClient, runtime: Runtime) -> SignedIn:
    player = await signed_in_player(client)
    await deposit(runtime, uuid.UUID(player.id), 100_000, "EUR")
    return player


async def balance(client: httpx.AsyncClient, player: SignedIn) -> int:
    [eur] = (await client.get("/v1/wallet", headers=player.headers)).json()["balances"]
    available: int = eur["available"]
    return available


async def _post(client: httpx.AsyncClient, path: str, raw: bytes) -> httpx.Response:
    return await client.post(path, content=raw, headers={"content-type": "application/json"})


class TestDuplicateKeysAreRefused:
    async def test_a_bet_with_two_stakes_moves_no_money(
        self, client: httpx.AsyncClient, runtime: Runtime
    ) -> None:
        player = await funded(client, runtime)
        raw = b'{"stake": -100, "stake": 100, "currency": "EUR", "target": 49.5, "direction": "under"}'
        response = await client.post(
            "/v1/games/dice/rounds",
            content=raw,
            headers={**player.headers, "content-type": "application/json", "Idempotency-Key": "dup-1"},
        )
        assert_refused(response)
        assert await balance(client, player) == 100_000
        assert (await client.get("/v1/rounds", headers=player.headers)).json()["items"] == []

    @pytest.mark.parametrize(
        "raw",
        [
            pytest.param(b'{"email": "a@example.com", "email": "b@example.com"}', id="top-level"),
            pytest.param(b'{"email": "a@example.com", "\\u0065mail": "b@example.com"}', id="escaped"),
            pytest.param(b'{"a": {"b": 1, "b": 2}}', id="nested"),
            pytest.param(b'[{"x": [1, {"y": 1, "y": 1}]}]', id="in-an-array"),
            pytest.param(b'  \n{"email": 1, "email": 1}', id="leading-whitespace"),
        ],
    )
    async def test_wherever_the_key_repeats(self, client: httpx.AsyncClient, raw: bytes) -> None:
        assert_refused(await _post(client, "/v1/players", raw))

    @pytest.mark.parametrize("content_type", ["text/plain", "application/merge-patch+json", None])
    async def test_whatever_the_content_type(
        self, client: httpx.AsyncClient, content_type: str | None
    ) -> None:
        headers = {"content-type": content_type} if content_type else {}
        response = await client.post("/v1/sessions", content=b'{"email": 1, "email": 2}', headers=headers)
        assert_refused(response)

    async def test_on_the_signed_provider_callbacks_before_the_signature(
        self, client: httpx.AsyncClient
    ) -> None:
        raw = b'{"user": "p", "amount": 100, "amount": -100, "request_uuid": "r"}'
        response = await client.post(
            "/providers/hub88/any-studio/transaction/bet",
            content=raw,
            headers={"content-type": "application/json", "X-Hub88-Signature": "c2lnbmVk"},
        )
        assert_refused(response)

    async def test_on_the_payment_webhook(self, database_url: str, keyring_json: str, tmp_path: Path) -> None:
        settings = make_settings(
            database_url, keyring_json, tmp_path, psp_api_key="psp-key", psp_webhook_secrets="whsec"
        )
        runtime = await Runtime.start(settings)
        try:
            transport = httpx.ASGITransport(app=create_app(runtime=runtime), client=(TEST_IP, 40000))
            async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
                raw = b'{"id": "evt_1", "type": "payment.succeeded", "type": "payment.failed"}'
                assert_refused(await client.post("/v1/webhooks/psp", content=raw))
        finally:
            await runtime.close()

    async def test_in_a_chunked_body(self, client: httpx.AsyncClient) -> None:
        async def chunks() -> AsyncIterator[bytes]:
            yield b'{"email": "a@example.com", '
            yield b'"email": "b@example.com"}'

        response = await client.post(
            "/v1/players", content=chunks(), headers={"content-type": "application/json"}
        )
        assert "content-length" not in response.request.headers
        assert_refused(response)


class TestWhatIsNotADuplicate:
    async def test_the_same_key_in_sibling_objects(self, client: httpx.AsyncClient, runtime: Runtime) -> None:
        player = await funded(client, runtime)
        body = {
            "currency": "EUR",
            "wagers": [{"kind": "red", "stake": 100}, {"kind": "black", "stake": 100}],
        }
        response = await client.post(
            "/v1/games/roulette/rounds",
            json=body,
            headers={**player.headers, "Idempotency-Key": str(uuid.uuid4())},
        )
        assert response.status_code == 201, response.text

    async def test_malformed_json_is_still_malformed(self, client: httpx.AsyncClient) -> None:
        response = await _post(client, "/v1/players", b'{"email": 1, "email": ')
        assert response.json()["code"] == "malformed_body"

    @pytest.mark.parametrize(
        "raw",
        [b"", b'"a string"', b"42", b'{"a": 1, "b": {"a": 2}}', b"[1, 1]", b"[" * 5000, b'{"a":'],
    )
    def test_the_check_itself(self, raw: bytes) -> None:
        assert has_duplicate_keys(raw) is False


class TestDeclaredInOpenApi:
    async def test_every_operation_with_a_body_declares_it(self, client: httpx.AsyncClient) -> None:
        schema = (await client.get("/openapi.json")).json()
        for path, operations in schema["paths"].items():
            for method, operation in operations.items():
                if "requestBody" in operation:
                    assert "`duplicate_json_key`" in operation["responses"]["422"]["description"], (
                        method,
                        path,
                    )
