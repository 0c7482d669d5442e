"""``croupier serve`` with a pool of three connections takes a burst ten times larger.

A real process over real HTTP, with the sandbox provider: concurrent deposits,
password changes (wrong, right and throttled) and dice rounds, from one player
and from several, are all answered without a 5xx, and ``/readyz`` answers while
they are being served (before, the burst froze every request for 30 s).
"""

from __future__ import annotations

import asyncio
import shutil
import tempfile
import uuid
from collections.abc import Awaitable, Iterator
from pathlib import Path

import httpx
import pytest

from croupier.kit.runtime import Runtime
from croupier.kit.settings import Settings
from tests.factories import SignedIn, signed_in_player
from tests.psp_sandbox import PspSandbox
from tests.test_serve_process import Server, stop_embedded_database

pytestmark = pytest.mark.slow

DICE = {"stake": 100, "currency": "EUR", "target": 49.5, "direction": "under"}
READY_WITHIN_SECONDS = 5.0


@pytest.fixture
def server(psp: PspSandbox, settings: Settings) -> Iterator[Server]:
    """``croupier serve`` on the test's database and keyring, with a pool of three connections."""
    # Outside pytest's temp tree, as in test_serve_process: the embedded server's user must reach it.
    root = Path(tempfile.mkdtemp(prefix="croupier-load-"))
    root.chmod(0o755)
    served = Server(root / "data", root / "serve.log")
    _small_pool(served, psp)
    assert settings.database_url is not None
    assert settings.keyring is not None
    served.env["CROUPIER_DATABASE_URL"] = settings.database_url.get_secret_value()
    served.env["CROUPIER_KEYRING"] = settings.keyring.get_secret_value()
    try:
        yield served
    finally:
        served.kill()
        stop_embedded_database(served.data_dir)
        shutil.rmtree(root, ignore_errors=True)


def _small_pool(server: Server, psp: PspSandbox) -> None:
    server.env.update(
        {
            "CROUPIER_DATABASE_POOL_SIZE": "2",
            "CROUPIER_DATABASE_MAX_OVERFLOW": "1",
            # Generous: the burst must queue, not be shed, on a busy machine.
            "CROUPIER_DATABASE_POOL_TIMEOUT_SECONDS": "20",
            "CROUPIER_PUBLIC_URL": server.base_url,
            "CROUPIER_PSP_URL": psp.base_url,
            "CROUPIER_PSP_API_KEY": psp.api_key,
            "CROUPIER_PSP_WEBHOOK_SECRETS": psp.webhook_secret,
            # Six players register and sign in; their password changes are the seventh and on.
            "CROUPIER_IP_SIGN_IN_RATE": "6/minute",
            "CROUPIER_ARGON2_MEMORY_KIB": "19456",
            "CROUPIER_ARGON2_TIME_COST": "2",
            "CROUPIER_ARGON2_PARALLELISM": "1",
        }
    )


async def _deposit(http: httpx.AsyncClient, psp: PspSandbox, player: SignedIn, amount: int) -> httpx.Response:
    token = (await psp.tokenize())["token"]
    headers = {**player.headers, "Idempotency-Key": str(uuid.uuid4())}
    body = {"amount": amount, "currency": "EUR", "payment_token": token}
    return await http.post("/v1/deposits", json=body, headers=headers)


def _bet(http: httpx.AsyncClient, player: SignedIn) -> Awaitable[httpx.Response]:
    headers = {**player.headers, "Idempotency-Key": str(uuid.uuid4())}
    return http.post("/v1/games/dice/rounds", json=DICE, headers=headers)


def _change_password(http: httpx.AsyncClient, player: SignedIn, current: str) -> Awaitable[httpx.Response]:
    body = {"current_password": current, "new_password": f"a new passphrase {uuid.uuid4().hex}"}
    return http.post("/v1/me/password", json=body, headers=player.headers)


async def test_a_burst_ten_times_the_pool_is_served_and_readiness_answers_meanwhile(
    server: Server, psp: PspSandbox, runtime: Runtime
) -> None:
    server.start()
    await asyncio.to_thread(server.wait_ready)

    async with httpx.AsyncClient(base_url=server.base_url, timeout=60) as http:
        many = [await signed_in_player(http, runtime=runtime) for _ in range(4)]
        for player in many:
            assert (await _deposit(http, psp, player, 5_000)).status_code == 201
        one = many[0]
        # Changing the password ends every session, so those players do nothing else.
        guesser, changer = (
            await signed_in_player(http, runtime=runtime),
            await signed_in_player(http, runtime=runtime),
        )

        burst = [
            *(_deposit(http, psp, one, 1_000) for _ in range(10)),
            *(_deposit(http, psp, p, 1_000) for p in many for _ in range(2)),
            *(_change_password(http, guesser, "not the password at all") for _ in range(8)),
            *(_change_password(http, changer, changer.password) for _ in range(4)),
            *(_bet(http, one) for _ in range(10)),
            *(_bet(http, p) for p in many for _ in range(2)),
        ]
        tasks = [asyncio.ensure_future(request) for request in burst]
        try:
            # The burst is being served once its first answer is out; probe readiness then.
            await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
            ready = await http.get("/readyz", timeout=READY_WITHIN_SECONDS)
            still_running = sum(not task.done() for task in tasks)
        finally:
            answers = await asyncio.gather(*tasks)

    assert ready.status_code == 200, ready.text
    assert still_running > 0, "readiness should have been probed while the burst was being served"
    assert [(r.status_code, r.text[:200]) for r in answers if r.status_code >= 500] == []
    assert {r.status_code for r in answers if r.request.url.path != "/v1/me/password"} == {201}
    changes = {r.status_code for r in answers if r.request.url.path == "/v1/me/password"}
    assert changes <= {204, 401, 403, 429}, changes
    assert 429 in changes
    assert "Traceback" not in server.stderr()
