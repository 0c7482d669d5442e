"""A burst of requests larger than the connection pool: served or shed, never frozen.

No request holds one pooled connection while it waits for another, so a burst
queues for connections instead of deadlocking on them; when the pool stays full
for the whole bounded wait, the answer is 503 ``database_busy`` with
``Retry-After``; and readiness probes have a connection of their own.

The app runs on a real socket (the sandbox provider calls back over HTTP) with a
pool of three connections, so a dozen concurrent requests exhaust it.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Awaitable
from contextlib import AsyncExitStack, asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.factories import SignedIn
from tests.payments.support import VISA, Live, eventually, live_settings, serve
from tests.psp_sandbox import PspSandbox
from tests.sql import sql

POOL = {"database_pool_size": 2, "database_max_overflow": 1}
POOL_CONNECTIONS = 3
DICE = {"stake": 100, "currency": "EUR", "target": 49.5, "direction": "under"}
# Generous: a burst on a busy machine must queue, not be shed. The old frozen pool answered after 30 s.
QUEUEING_TIMEOUT = 20.0
READY_WITHIN_SECONDS = 5.0


async def _live(
    stack: AsyncExitStack, live_args: tuple[str, str, Path, PspSandbox], **overrides: Any
) -> Live:
    settings = live_settings(*live_args, **{**POOL, **overrides})
    runtime, base_url = await stack.enter_async_context(asynccontextmanager(serve)(settings))
    http = await stack.enter_async_context(httpx.AsyncClient(base_url=base_url, timeout=60))
    return Live(http=http, runtime=runtime, psp=live_args[3], base_url=base_url)


@pytest.fixture
async def crowded(
    database_url: str, keyring_json: str, tmp_path: Path, psp: PspSandbox
) -> AsyncIterator[Live]:
    """Three connections, a long queueing wait, and an address throttle the burst exceeds
    (six players register and sign in; their password changes are the seventh and on)."""
    async with AsyncExitStack() as stack:
        yield await _live(
            stack,
            (database_url, keyring_json, tmp_path, psp),
            database_pool_timeout_seconds=QUEUEING_TIMEOUT,
            ip_sign_in_rate="6/minute",
        )


@pytest.fixture
async def saturated(
    database_url: str, keyring_json: str, tmp_path: Path, psp: PspSandbox
) -> AsyncIterator[Live]:
    """Three connections and a short wait, for a pool that stays full."""
    async with AsyncExitStack() as stack:
        args = (database_url, keyring_json, tmp_path, psp)
        yield await _live(stack, args, database_pool_timeout_seconds=0.5)


async def _tokens(live: Live, count: int) -> list[str]:
    return [(await live.psp.tokenize(VISA))["token"] for _ in range(count)]


def _deposit(live: Live, player: SignedIn, token: str, key: str | None = None) -> Awaitable[httpx.Response]:
    headers = {**player.headers, "Idempotency-Key": key or str(uuid.uuid4())}
    body = {"amount": 1_000, "currency": "EUR", "payment_token": token}
    return live.http.post("/v1/deposits", json=body, headers=headers)


def _bet(live: Live, player: SignedIn) -> Awaitable[httpx.Response]:
    headers = {**player.headers, "Idempotency-Key": str(uuid.uuid4())}
    return live.http.post("/v1/games/dice/rounds", json=DICE, headers=headers)


def _change_password(live: Live, player: SignedIn, current: str) -> Awaitable[httpx.Response]:
    body = {"current_password": current, "new_password": f"a new passphrase {uuid.uuid4().hex}"}
    return live.http.post("/v1/me/password", json=body, headers=player.headers)


def _pool_is_full(live: Live) -> Awaitable[int]:
    async def checked_out() -> int:
        return int(live.runtime.database.engine.pool.checkedout())  # type: ignore[attr-defined]

    return eventually(checked_out, lambda n: n >= POOL_CONNECTIONS, within=10)


def _server_errors(responses: list[httpx.Response]) -> list[tuple[int, str]]:
    return [(r.status_code, r.text[:200]) for r in responses if r.status_code >= 500]


class TestABurstLargerThanThePool:
    async def test_deposits_password_changes_and_bets_are_answered_and_readiness_stays_fast(
        self, crowded: Live
    ) -> None:
        live = crowded
        players = [(await live.funded(5_000))[0] for _ in range(4)]
        one, many = players[0], players
        # Changing the password ends every session, so that player does nothing else.
        guesser, changer = await live.player(), await live.player()
        tokens = await _tokens(live, 12 + 2 * len(many))

        burst: list[Awaitable[httpx.Response]] = [
            *(_deposit(live, one, tokens.pop()) for _ in range(12)),
            *(_deposit(live, p, tokens.pop()) for p in many for _ in range(2)),
            *(_change_password(live, guesser, "not the password at all") for _ in range(8)),
            *(_change_password(live, changer, changer.password) for _ in range(4)),
            *(_bet(live, one) for _ in range(12)),
            *(_bet(live, p) for p in many for _ in range(2)),
        ]
        tasks = [asyncio.ensure_future(request) for request in burst]
        try:
            await _pool_is_full(live)
            ready = await asyncio.wait_for(live.http.get("/readyz"), READY_WITHIN_SECONDS)
            still_running = sum(not task.done() for task in tasks)
        finally:
            answers = await asyncio.gather(*tasks)

        assert ready.status_code == 200, ready.text
        assert still_running > 0, "readiness should have been probed while the burst was being served"
        assert _server_errors(answers) == []
        assert {r.status_code for r in answers if r.request.url.path != "/v1/me/password"} == {201}
        changes = {r.status_code for r in answers if r.request.url.path == "/v1/me/password"}
        # Done, wrong password, signed out by the change, throttled.
        assert changes <= {204, 403, 401, 429}, changes
        assert 429 in changes, "the address throttle should have refused some password changes"
        await live.books_balance()

    async def test_fifty_identical_deposits_make_one_deposit_and_answer_it_every_time(
        self, crowded: Live
    ) -> None:
        live = crowded
        player = await live.player()
        [token] = await _tokens(live, 1)
        key = str(uuid.uuid4())

        answers = await asyncio.gather(*(_deposit(live, player, token, key) for _ in range(50)))

        assert _server_errors(answers) == []
        created = [r for r in answers if r.status_code == 201]
        refused = [r for r in answers if r.status_code != 201]
        assert all(r.status_code == 409 and r.json()["code"] == "concurrent_attempt" for r in refused)
        assert {r.json()["id"] for r in created} == {created[0].json()["id"]}
        assert {r.json()["status"] for r in created} == {"succeeded"}
        first = [r for r in created if r.headers.get("Idempotent-Replayed") != "true"]
        assert len(first) == 1
        [(deposits,)] = await sql(live.runtime, "SELECT count(*) FROM deposits")
        assert deposits == 1
        assert await live.wallet(player) == {"available": 1_000, "held": 0}
        await live.books_balance()


class TestAPoolThatStaysFull:
    async def test_requests_are_shed_with_503_database_busy_and_retry_after(self, saturated: Live) -> None:
        live = saturated
        player, _ = await live.funded(5_000)
        [token] = await _tokens(live, 1)
        engine = live.runtime.database.engine

        async with AsyncExitStack() as held:
            for _ in range(POOL_CONNECTIONS):
                await held.enter_async_context(engine.connect())
            bet = await _bet(live, player)
            deposit = await _deposit(live, player, token)
            ready = await live.http.get("/readyz")

        for shed in (bet, deposit):
            assert shed.status_code == 503, shed.text
            assert shed.headers["content-type"] == "application/problem+json"
            assert shed.json()["code"] == "database_busy"
            assert int(shed.headers["Retry-After"]) >= 1
        assert ready.status_code == 200, ready.text
        # Connections free again: the same requests go through.
        assert (await _bet(live, player)).status_code == 201
        assert (await _deposit(live, player, token)).status_code == 201
