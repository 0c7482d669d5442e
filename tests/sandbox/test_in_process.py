"""The provider app with settings the shared sandbox process does not use, served in the test's loop."""

from __future__ import annotations

import secrets
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any, cast

import httpx
import pytest

from croupier.sandbox.psp import PspConfig, cards, create_psp_app
from tests.psp_sandbox import WebhookReceiver, serve_asgi
from tests.waiting import wait_until


@dataclass
class Sandbox:
    http: httpx.AsyncClient
    hooks: WebhookReceiver


@pytest.fixture
async def sandbox() -> AsyncIterator[Sandbox]:
    config = PspConfig(
        api_key=secrets.token_urlsafe(16),
        webhook_secret=secrets.token_urlsafe(16),
        challenge_above=5000,
        payout_delay=0.05,
        refund_delay=0.05,
        retry_initial_backoff=0.02,
        retry_max_backoff=0.05,
        retry_window=0.4,
    )
    hooks = WebhookReceiver(config.webhook_secret)
    async with serve_asgi(hooks) as hooks_url, serve_asgi(create_psp_app(config)) as psp_url:
        hooks.base_url = hooks_url
        headers = {"Authorization": f"Bearer {config.api_key}"}
        async with httpx.AsyncClient(base_url=psp_url, headers=headers, timeout=10) as http:
            yield Sandbox(http, hooks)


async def pay(sandbox: Sandbox, amount: int, number: str = cards.VISA, hook: str = "h") -> dict[str, Any]:
    token = await sandbox.http.post(
        "/v1/tokens", json={"number": number, "exp_month": 1, "exp_year": 2099, "cvc": "123"}
    )
    response = await sandbox.http.post(
        "/v1/payments",
        json={
            "amount": amount,
            "currency": "EUR",
            "token": token.json()["token"],
            "reference": uuid.uuid4().hex,
            "webhook_url": sandbox.hooks.url(hook),
        },
        headers={"Idempotency-Key": uuid.uuid4().hex},
    )
    assert response.status_code == 201, response.text
    result: dict[str, Any] = response.json()
    return result


async def test_large_payments_are_challenged(sandbox: Sandbox) -> None:
    assert (await pay(sandbox, 4999))["status"] == "succeeded"
    large = await pay(sandbox, 5000, hook="large")
    assert large["status"] == "requires_action"
    assert large["next_action"]["url"].endswith(f"/3ds/{large['id']}")
    done = await sandbox.http.post(f"/3ds/{large['id']}", data={"outcome": "pass"})
    assert done.json() == {"id": large["id"], "status": "succeeded"}
    [delivery] = await sandbox.hooks.wait_for("large", 1)
    assert delivery.verified


async def test_a_declined_card_is_still_declined_after_the_challenge(sandbox: Sandbox) -> None:
    payment = await pay(sandbox, 9000, cards.DECLINED, hook="declined")
    assert payment["status"] == "requires_action"
    await sandbox.http.post(f"/3ds/{payment['id']}", json={"outcome": "pass"})
    after = (await sandbox.http.get(f"/v1/payments/{payment['id']}")).json()
    assert (after["status"], after["failure_code"]) == ("failed", "card_declined")
    [delivery] = await sandbox.hooks.wait_for("declined", 1)
    assert delivery.event["type"] == "payment.failed"


async def test_delivery_gives_up_when_the_retry_window_closes(sandbox: Sandbox) -> None:
    sandbox.hooks.fail("down", 1000)
    payment = await pay(sandbox, 100, hook="down")

    async def event() -> dict[str, Any]:
        response = await sandbox.http.get("/sandbox/events", params={"reference": payment["reference"]})
        [found] = response.json()
        return cast(dict[str, Any], found)

    async def given_up() -> bool:
        return bool((await event())["given_up"])

    await wait_until(given_up)
    gave_up = await event()
    assert not gave_up["delivered"]
    assert 3 <= gave_up["attempts"] <= 25
    # Every attempt reached the receiver, and the event is out of the queue: nothing follows.
    assert len(sandbox.hooks.received("down", answered_ok=False)) == gave_up["attempts"]
