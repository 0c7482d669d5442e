"""Payments by test card, idempotency, the API key, and the 3-D Secure challenge."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import httpx
import pytest

from croupier.sandbox.psp import cards
from tests.psp_sandbox import PspSandbox, WebhookReceiver


def payment_body(token: str, hook: str, **overrides: Any) -> dict[str, Any]:
    return {
        "amount": 2500,
        "currency": "EUR",
        "token": token,
        "reference": f"dep-{uuid.uuid4().hex[:12]}",
        "webhook_url": hook,
        **overrides,
    }


async def pay(psp: PspSandbox, body: dict[str, Any], key: str | None = None) -> httpx.Response:
    async with psp.client() as http:
        return await http.post(
            "/v1/payments", json=body, headers={"Idempotency-Key": key or uuid.uuid4().hex}
        )


@pytest.mark.parametrize(
    "case",
    [
        (cards.VISA, "succeeded", None, "visa"),
        (cards.MASTERCARD, "succeeded", None, "mastercard"),
        (cards.AMEX, "succeeded", None, "amex"),
        ("6011111111111117", "succeeded", None, "discover"),
        (cards.PAYOUT_REJECTED, "succeeded", None, "visa"),
        (cards.DECLINED, "failed", "card_declined", "visa"),
        (cards.INSUFFICIENT_FUNDS, "failed", "insufficient_funds", "visa"),
    ],
)
async def test_outcome_by_card_and_its_webhook(
    psp: PspSandbox, psp_webhooks: WebhookReceiver, case: tuple[str, str, str | None, str]
) -> None:
    number, status, failure_code, brand = case
    token = await psp.tokenize(number, cvc="1234" if brand == "amex" else "123")
    hook = uuid.uuid4().hex
    body = payment_body(token["token"], psp_webhooks.url(hook))
    response = await pay(psp, body)
    assert response.status_code == 201
    payment = response.json()
    assert payment["id"].startswith("pay_")
    assert payment["status"] == status
    assert payment["failure_code"] == failure_code
    assert payment["next_action"] is None
    assert payment["brand"] == brand
    assert payment["last4"] == number[-4:]
    assert payment["token"] == token["token"]
    assert (payment["amount"], payment["currency"], payment["reference"]) == (2500, "EUR", body["reference"])
    assert (payment["refunded_amount"], payment["charged_back_amount"]) == (0, 0)
    assert dt.datetime.fromisoformat(payment["created_at"]).utcoffset() == dt.timedelta(0)
    assert number not in response.text
    assert await psp.payment(payment["id"]) == payment

    [delivery] = await psp_webhooks.wait_for(hook, 1)
    assert delivery.verified, delivery.signature_error
    event = delivery.event
    assert event["type"] == f"payment.{status}"
    assert event["id"].startswith("evt_")
    assert isinstance(event["created"], int)
    assert event["data"]["object"] == payment
    assert set(event) == {"id", "type", "created", "data"}


async def test_idempotency(psp: PspSandbox) -> None:
    token = await psp.tokenize()
    body = payment_body(token["token"], "http://127.0.0.1:9/hook")
    key = uuid.uuid4().hex
    first = await pay(psp, body, key)
    again = await pay(psp, body, key)
    changed = await pay(psp, {**body, "amount": 2600}, key)
    assert first.status_code == 201
    assert again.status_code == 200
    assert again.json() == first.json()
    assert changed.status_code == 409
    assert changed.json()["error"] == "idempotency_key_reused"
    # Keys are per endpoint: the same key on another endpoint is a new request.
    async with psp.client() as http:
        payout = await http.post(
            "/v1/payouts",
            json={k: body[k] for k in ("amount", "currency", "token", "reference", "webhook_url")},
            headers={"Idempotency-Key": key},
        )
        missing = await http.post("/v1/payments", json=body)
        blank = await http.post("/v1/payments", json=body, headers={"Idempotency-Key": ""})
    assert payout.status_code == 201
    assert missing.status_code == 400
    assert missing.json()["error"] == "missing_idempotency_key"
    assert blank.json()["error"] == "missing_idempotency_key"


async def test_api_key_is_required(psp: PspSandbox) -> None:
    token = await psp.tokenize()
    body = payment_body(token["token"], "http://127.0.0.1:9/hook")
    wrong = [
        {},
        {"Authorization": "Bearer wrong"},
        {"Authorization": f"Basic {psp.api_key}"},
        {"Authorization": psp.api_key},
        {"Authorization": f"Bearer {psp.api_key}x"},
    ]
    async with psp.client(authenticated=False) as http:
        for headers in wrong:
            for method, path in [
                ("POST", "/v1/payments"),
                ("GET", "/v1/payments/pay_x"),
                ("POST", "/v1/refunds"),
                ("GET", "/v1/refunds/re_x"),
                ("POST", "/v1/payouts"),
                ("GET", "/v1/payouts/po_x"),
                ("POST", "/sandbox/payments/pay_x/chargeback"),
                ("POST", "/sandbox/webhooks/pause"),
                ("POST", "/sandbox/webhooks/resume"),
                ("POST", "/sandbox/events/evt_x/redeliver"),
                ("GET", "/sandbox/events"),
            ]:
                response = await http.request(
                    method, path, json=body, headers={**headers, "Idempotency-Key": "k"}
                )
                assert response.status_code == 401, (method, path, headers)
                assert response.json()["error"] == "unauthorized"
        good = await http.get("/v1/payments/pay_x", headers={"Authorization": f"bearer {psp.api_key}"})
    assert good.status_code == 404
    assert good.json()["error"] == "no_such_payment"


@pytest.mark.parametrize(
    "overrides",
    [
        {"amount": 0},
        {"amount": -5},
        {"amount": 10.5},
        {"amount": "100"},
        {"amount": True},
        {"amount": 2**53},
        {"currency": "eur"},
        {"currency": "EURO"},
        {"reference": ""},
        {"webhook_url": "ftp://example.org/hook"},
        {"webhook_url": "not a url"},
        {"webhook_url": "http://"},
        {"return_url": "javascript:alert(1)"},
        {"extra": 1},
    ],
)
async def test_bad_payment_requests(psp: PspSandbox, overrides: dict[str, Any]) -> None:
    token = await psp.tokenize()
    response = await pay(psp, payment_body(token["token"], "http://127.0.0.1:9/hook", **overrides))
    assert response.status_code == 422
    assert response.json()["error"] == "invalid_request"


async def test_unknown_token(psp: PspSandbox) -> None:
    response = await pay(psp, payment_body("tok_doesnotexist", "http://127.0.0.1:9/hook"))
    assert response.status_code == 422
    assert response.json()["error"] == "no_such_token"


async def challenged_payment(
    psp: PspSandbox, hook: str, number: str = cards.CHALLENGE, **overrides: Any
) -> dict[str, Any]:
    token = await psp.tokenize(number)
    response = await pay(psp, payment_body(token["token"], hook, **overrides))
    assert response.status_code == 201
    payment: dict[str, Any] = response.json()
    assert payment["status"] == "requires_action"
    return payment


async def test_three_d_secure_pass(psp: PspSandbox, psp_webhooks: WebhookReceiver) -> None:
    hook = uuid.uuid4().hex
    payment = await challenged_payment(psp, psp_webhooks.url(hook))
    assert payment["next_action"] == {
        "type": "three_ds_challenge",
        "url": f"{psp.base_url}/3ds/{payment['id']}",
    }
    assert payment["failure_code"] is None

    async with httpx.AsyncClient(timeout=10) as browser:
        page = await browser.get(payment["next_action"]["url"])
        assert page.status_code == 200
        assert page.headers["content-type"].startswith("text/html")
        assert '<form method="post">' in page.text
        assert 'name="outcome" value="pass"' in page.text
        assert 'name="outcome" value="fail"' in page.text
        assert cards.CHALLENGE not in page.text
        # Nothing is delivered while the player has not answered.
        assert psp_webhooks.received(hook) == []
        done = await browser.post(payment["next_action"]["url"], data={"outcome": "pass"})
        assert done.status_code == 200
        assert done.json() == {"id": payment["id"], "status": "succeeded"}
        again = await browser.post(payment["next_action"]["url"], data={"outcome": "fail"})
        assert again.status_code == 409
        assert again.json()["error"] == "challenge_already_completed"
        page_again = await browser.get(payment["next_action"]["url"])
        assert page_again.status_code == 409

    after = await psp.payment(payment["id"])
    assert after["status"] == "succeeded"
    assert after["next_action"] is None
    [delivery] = await psp_webhooks.wait_for(hook, 1)
    assert delivery.verified
    assert delivery.event["type"] == "payment.succeeded"
    assert delivery.event["data"]["object"] == after


async def test_three_d_secure_fail_by_json(psp: PspSandbox, psp_webhooks: WebhookReceiver) -> None:
    hook = uuid.uuid4().hex
    payment = await challenged_payment(psp, psp_webhooks.url(hook))
    async with httpx.AsyncClient(base_url=psp.base_url, timeout=10) as browser:
        done = await browser.post(f"/3ds/{payment['id']}", json={"outcome": "fail"})
    assert done.status_code == 200
    assert done.json() == {"id": payment["id"], "status": "failed"}
    after = await psp.payment(payment["id"])
    assert (after["status"], after["failure_code"]) == ("failed", "three_ds_failed")
    [delivery] = await psp_webhooks.wait_for(hook, 1)
    assert delivery.event["type"] == "payment.failed"


async def test_three_d_secure_redirects_to_the_return_url(psp: PspSandbox) -> None:
    payment = await challenged_payment(
        psp, "http://127.0.0.1:9/hook", return_url="https://casino.example/deposits/42?step=3ds"
    )
    done_payment = await psp.complete_challenge(payment["id"], "pass")
    assert done_payment["status"] == "succeeded"
    other = await challenged_payment(psp, "http://127.0.0.1:9/hook", return_url="https://casino.example/back")
    async with httpx.AsyncClient(base_url=psp.base_url, timeout=10) as browser:
        done = await browser.post(f"/3ds/{other['id']}", data={"outcome": "fail"})
    assert done.status_code == 303
    assert done.headers["location"] == "https://casino.example/back"


async def test_three_d_secure_errors(psp: PspSandbox) -> None:
    plain = (await pay(psp, payment_body((await psp.tokenize())["token"], "http://127.0.0.1:9/h"))).json()
    payment = await challenged_payment(psp, "http://127.0.0.1:9/hook")
    async with httpx.AsyncClient(base_url=psp.base_url, timeout=10) as browser:
        unknown = await browser.get("/3ds/pay_nope")
        no_challenge = await browser.post(f"/3ds/{plain['id']}", data={"outcome": "pass"})
        bad_outcomes = [
            await browser.post(f"/3ds/{payment['id']}", data={"outcome": "maybe"}),
            await browser.post(f"/3ds/{payment['id']}", data={}),
            await browser.post(f"/3ds/{payment['id']}", json=["pass"]),
            await browser.post(
                f"/3ds/{payment['id']}", content=b"{", headers={"Content-Type": "application/json"}
            ),
            await browser.post(
                f"/3ds/{payment['id']}", content=b"outcome=\xff", headers={"Content-Type": "x/y"}
            ),
            await browser.post(f"/3ds/{payment['id']}", data={"outcome": "pass" * 2000}),
        ]
    assert unknown.status_code == 404
    assert unknown.json()["error"] == "no_such_challenge"
    assert no_challenge.status_code == 404
    for response in bad_outcomes:
        assert response.status_code == 422, response.text
        assert response.json()["error"] == "invalid_request"
    assert (await psp.payment(payment["id"]))["status"] == "requires_action"
