"""An amount the provider would refuse is refused first: 422, nothing stored, nothing sent.

The provider's maximum is part of its adapter (the protocol's JSON-safe limit),
lowered by ``CROUPIER_PSP_MAX_AMOUNT``. Croupier reaches the sandbox here through
a recording proxy, so the tests see every call the provider received.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import httpx
import pytest
from starlette.types import Receive, Scope, Send

from tests.payments.support import Live, live_settings, serve
from tests.psp_sandbox import PspSandbox, serve_asgi
from tests.sql import sql
from tests.wallet.support import deposit as credit

LIMIT = 50_000
_HOP_BY_HOP = {b"host", b"content-length", b"transfer-encoding", b"connection", b"content-encoding"}


class RecordingProxy:
    """Forwards every request to ``upstream`` and remembers its method and path."""

    def __init__(self, upstream: str) -> None:
        self.upstream = upstream
        self.base_url = ""
        self.calls: list[str] = []

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return
        body, more = b"", True
        while more:
            message = await receive()
            body += message.get("body", b"")
            more = message.get("more_body", False)
        self.calls.append(f"{scope['method']} {scope['path']}")
        headers = [(k, v) for k, v in scope["headers"] if k.lower() not in _HOP_BY_HOP]
        url = scope["path"] + (f"?{scope['query_string'].decode()}" if scope["query_string"] else "")
        async with httpx.AsyncClient(base_url=self.upstream) as http:
            answer = await http.request(scope["method"], url, content=body, headers=headers)
        out = [(k, v) for k, v in answer.headers.raw if k.lower() not in _HOP_BY_HOP]
        out.append((b"content-length", str(len(answer.content)).encode()))
        await send({"type": "http.response.start", "status": answer.status_code, "headers": out})
        await send({"type": "http.response.body", "body": answer.content})


@pytest.fixture
async def proxy(psp: PspSandbox) -> AsyncIterator[RecordingProxy]:
    recorder = RecordingProxy(psp.base_url)
    async with serve_asgi(recorder) as base_url:
        recorder.base_url = base_url
        yield recorder


@pytest.fixture
async def limited(
    database_url: str, keyring_json: str, tmp_path: Path, psp: PspSandbox, proxy: RecordingProxy
) -> AsyncIterator[Live]:
    settings = live_settings(
        database_url,
        keyring_json,
        tmp_path,
        psp,
        psp_url=proxy.base_url,
        psp_max_amount=LIMIT,
    )
    async with (
        asynccontextmanager(serve)(settings) as (runtime, base_url),
        httpx.AsyncClient(base_url=base_url, timeout=30) as http,
    ):
        yield Live(http=http, runtime=runtime, psp=psp, base_url=base_url)


def _refused(response: httpx.Response, maximum: int) -> None:
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["code"] == "amount_above_provider_limit"
    assert response.json()["maximum"] == maximum


class TestTheProvidersMaximum:
    async def test_a_deposit_above_it_is_refused_before_the_provider_is_called(
        self, limited: Live, proxy: RecordingProxy
    ) -> None:
        player = await limited.player()
        token = (await limited.psp.tokenize())["token"]

        body = {"amount": LIMIT, "currency": "EUR", "payment_token": token}
        at_limit = await limited.post_deposit(player, body)
        assert at_limit.status_code == 201, at_limit.text
        assert any(call.startswith("POST /v1/payments") for call in proxy.calls)
        proxy.calls.clear()

        above = await limited.post_deposit(player, {**body, "amount": LIMIT + 1})

        _refused(above, LIMIT)
        assert proxy.calls == []
        [(deposits,)] = await sql(limited.runtime, "SELECT count(*) FROM deposits")
        assert deposits == 1

    async def test_a_withdrawal_above_it_is_refused_and_nothing_is_held(
        self, limited: Live, proxy: RecordingProxy
    ) -> None:
        player, method = await limited.funded(LIMIT)
        # Winnings: more on the balance than the provider pays out at once.
        await credit(limited.runtime, uuid.UUID(player.id), LIMIT, "EUR")
        proxy.calls.clear()

        above = await limited.withdraw(player, LIMIT + 1, method)

        _refused(above, LIMIT)
        assert proxy.calls == []
        [(withdrawals,)] = await sql(limited.runtime, "SELECT count(*) FROM withdrawals")
        assert withdrawals == 0
        assert await limited.wallet(player) == {"available": 2 * LIMIT, "held": 0}


class TestTheProtocolsMaximum:
    async def test_a_deposit_json_cannot_carry_exactly_is_refused_by_default(self, live: Live) -> None:
        player = await live.player()
        token = (await live.psp.tokenize())["token"]

        above = await live.post_deposit(player, {"amount": 2**53, "currency": "EUR", "payment_token": token})

        _refused(above, 2**53 - 1)
        [(deposits,)] = await sql(live.runtime, "SELECT count(*) FROM deposits")
        assert deposits == 0
