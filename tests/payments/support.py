"""A Croupier served over real HTTP next to the sandbox provider, so webhooks can reach it."""

from __future__ import annotations

import asyncio
import socket
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import httpx
import pytest

from croupier.api import create_app
from croupier.kit.runtime import Runtime
from croupier.kit.settings import Settings
from croupier.payments import books as payment_books
from croupier.wallet import books
from tests.conftest import make_settings
from tests.factories import SignedIn, signed_in_player
from tests.kyc_support import verify_kyc
from tests.psp_sandbox import PspSandbox, serve_asgi

T = TypeVar("T")
VISA = "4242424242424242"
MASTERCARD = "5555555555554444"
AMEX = "378282246310005"
CHALLENGE = "4000000000003220"
DECLINED = "4000000000000002"
NO_FUNDS = "4000000000009995"
PAYOUTS_FAIL = "4000000000000341"


@dataclass
class Live:
    http: httpx.AsyncClient
    runtime: Runtime
    psp: PspSandbox
    base_url: str

    @property
    def settings(self) -> Settings:
        return self.runtime.settings

    async def player(self, *, kyc: str | None = None) -> SignedIn:
        """A signed-in player; ``kyc="full"`` verifies it through the staff API first."""
        player = await signed_in_player(self.http, runtime=self.runtime)
        if kyc is not None:
            await verify_kyc(self.http, self.runtime, player.id, kyc)
        return player

    async def deposit(
        self,
        player: SignedIn,
        amount: int,
        *,
        card: str = VISA,
        currency: str = "EUR",
        key: str | None = None,
    ) -> httpx.Response:
        token = (await self.psp.tokenize(card))["token"]
        return await self.post_deposit(
            player, {"amount": amount, "currency": currency, "payment_token": token}, key
        )

    async def post_deposit(
        self, player: SignedIn, body: dict[str, Any], key: str | None = None
    ) -> httpx.Response:
        headers = {**player.headers, "Idempotency-Key": key or str(uuid.uuid4())}
        return await self.http.post("/v1/deposits", json=body, headers=headers)

    async def funded(
        self, amount: int = 10_000, *, card: str = VISA, currency: str = "EUR", kyc: str | None = "full"
    ) -> tuple[SignedIn, str]:
        """A signed-in player with a credited deposit, verified to KYC level ``full`` (so it may
        withdraw) unless ``kyc`` says otherwise; returns the card's method id."""
        player = await self.player(kyc=kyc)
        response = await self.deposit(player, amount, card=card, currency=currency)
        assert response.status_code == 201, response.text
        assert response.json()["status"] == "succeeded", response.text
        return player, response.json()["payment_method_id"]

    async def withdraw(
        self, player: SignedIn, amount: int, method_id: str, *, currency: str = "EUR", key: str | None = None
    ) -> httpx.Response:
        headers = {**player.headers, "Idempotency-Key": key or str(uuid.uuid4())}
        body = {"amount": amount, "currency": currency, "payment_method_id": method_id}
        return await self.http.post("/v1/withdrawals", json=body, headers=headers)

    async def wallet(self, player: SignedIn, currency: str = "EUR") -> dict[str, int]:
        response = await self.http.get("/v1/wallet", headers=player.headers)
        assert response.status_code == 200, response.text
        for balance in response.json()["balances"]:
            if balance["currency"] == currency:
                return {"available": balance["available"], "held": balance["held"]}
        return {"available": 0, "held": 0}

    async def get(self, player: SignedIn, path: str) -> dict[str, Any]:
        response = await self.http.get(path, headers=player.headers)
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body

    async def books_balance(self) -> None:
        async with self.runtime.database.unit_of_work() as session:
            problems = await books.check_books(session) + await payment_books.problems(session)
        assert problems == []


async def eventually(
    probe: Callable[[], Awaitable[T]], until: Callable[[T], bool], within: float = 15.0
) -> T:
    """Poll ``probe`` until its value satisfies ``until`` (webhooks arrive asynchronously);
    fail the test when it never does."""
    deadline = time.monotonic() + within
    while True:
        value = await probe()
        if until(value):
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"not within {within} s; last seen: {value!r}")
        await asyncio.sleep(0.05)


async def payment_of(live: Live, deposit_id: str) -> str:
    """The provider's payment id of a deposit, once its first event has been delivered."""
    [event] = await eventually(
        lambda: live.psp.events(reference=deposit_id), lambda found: len(found) == 1 and found[0]["delivered"]
    )
    payment = await live.psp.payment(event["object_id"])
    return str(payment["id"])


async def serve(settings: Settings) -> AsyncIterator[tuple[Runtime, str]]:
    """The app on a real socket in this event loop, its lifespan (relays) running."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    settings = settings.model_copy(
        update={"public_url": f"http://127.0.0.1:{port}", "host": "127.0.0.1", "port": port}
    )
    runtime = await Runtime.start(settings)
    try:
        async with serve_asgi(create_app(runtime=runtime), sock=sock) as base_url:
            yield runtime, base_url
    finally:
        await runtime.close()


def live_settings(
    database_url: str, keyring_json: str, data_dir: Path, psp: PspSandbox, **overrides: Any
) -> Settings:
    values: dict[str, Any] = {
        "psp_url": psp.base_url,
        "psp_api_key": psp.api_key,
        "psp_webhook_secrets": psp.webhook_secret,
        "payout_sweep_seconds": 0.5,
    }
    values.update(overrides)
    return make_settings(database_url, keyring_json, data_dir, **values)


@pytest.fixture
async def live(database_url: str, keyring_json: str, tmp_path: Path, psp: PspSandbox) -> AsyncIterator[Live]:
    async for runtime, base_url in serve(live_settings(database_url, keyring_json, tmp_path, psp)):
        async with httpx.AsyncClient(base_url=base_url, timeout=30) as http:
            yield Live(http=http, runtime=runtime, psp=psp, base_url=base_url)
