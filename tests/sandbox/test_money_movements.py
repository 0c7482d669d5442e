"""Refunds, payouts and chargebacks: their rules, their delayed settlement and their webhooks."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from typing import Any

import httpx
import pytest

from croupier.sandbox.psp import cards
from tests.psp_sandbox import PspSandbox, WebhookReceiver
from tests.waiting import wait_until

DEAD_HOOK = "http://127.0.0.1:9/hook"


async def create(psp: PspSandbox, path: str, body: dict[str, Any], key: str | None = None) -> httpx.Response:
    async with psp.client() as http:
        return await http.post(path, json=body, headers={"Idempotency-Key": key or uuid.uuid4().hex})


async def succeeded_payment(
    psp: PspSandbox, *, amount: int = 10_000, hook: str = DEAD_HOOK, number: str = cards.VISA
) -> dict[str, Any]:
    token = await psp.tokenize(number)
    body = {
        "amount": amount,
        "currency": "EUR",
        "token": token["token"],
        "reference": f"dep-{uuid.uuid4().hex[:12]}",
        "webhook_url": hook,
    }
    response = await create(psp, "/v1/payments", body)
    payment: dict[str, Any] = response.json()
    return payment


def refund_body(payment: dict[str, Any], amount: int, hook: str = DEAD_HOOK) -> dict[str, Any]:
    reference = f"ref-{uuid.uuid4().hex[:12]}"
    return {"payment_id": payment["id"], "amount": amount, "reference": reference, "webhook_url": hook}


async def eventually(
    probe: Callable[[], Awaitable[dict[str, Any]]], field: str, value: Any, within: float = 3.0
) -> dict[str, Any]:
    """What ``probe`` answers once its ``field`` holds ``value``."""
    found: dict[str, Any] = {}

    async def holds() -> bool:
        nonlocal found
        found = await probe()
        return bool(found[field] == value)

    await wait_until(holds, within=within, interval=0.05)
    return found


async def test_refund_settles_after_the_delay(psp: PspSandbox, psp_webhooks: WebhookReceiver) -> None:
    hook = uuid.uuid4().hex
    payment = await succeeded_payment(psp, hook=psp_webhooks.url(hook))
    body = refund_body(payment, 4000, psp_webhooks.url(hook))
    response = await create(psp, "/v1/refunds", body)
    assert response.status_code == 201
    refund = response.json()
    assert refund["id"].startswith("re_")
    assert refund["status"] == "pending"
    assert refund["failure_code"] is None
    assert (refund["payment_id"], refund["amount"], refund["currency"]) == (payment["id"], 4000, "EUR")
    assert refund["reference"] == body["reference"]
    assert (await psp.payment(payment["id"]))["refunded_amount"] == 0

    settled = await eventually(lambda: psp.refund(refund["id"]), "status", "succeeded")
    assert settled == {**refund, "status": "succeeded"}
    assert (await psp.payment(payment["id"]))["refunded_amount"] == 4000
    paid, refunded = await psp_webhooks.wait_for(hook, 2)
    assert paid.event["type"] == "payment.succeeded"
    assert refunded.event["type"] == "refund.succeeded"
    assert refunded.event["data"]["object"] == settled
    assert refunded.verified


async def test_refunds_cannot_exceed_what_is_left(psp: PspSandbox) -> None:
    payment = await succeeded_payment(psp, amount=1000)
    first = await create(psp, "/v1/refunds", refund_body(payment, 600))
    assert first.status_code == 201
    # The first refund is still pending; it counts already.
    too_much = await create(psp, "/v1/refunds", refund_body(payment, 401))
    assert too_much.status_code == 422
    assert too_much.json()["error"] == "amount_exceeds_payment"
    await create(psp, "/sandbox/payments/" + payment["id"] + "/chargeback", {"amount": 300})
    rest = await create(psp, "/v1/refunds", refund_body(payment, 101))
    assert rest.json()["error"] == "amount_exceeds_payment"
    exact = await create(psp, "/v1/refunds", refund_body(payment, 100))
    assert exact.status_code == 201
    await eventually(lambda: psp.payment(payment["id"]), "refunded_amount", 700)
    assert (await create(psp, "/v1/refunds", refund_body(payment, 1))).status_code == 422


async def test_refund_rules(psp: PspSandbox) -> None:
    declined = await succeeded_payment(psp, number=cards.DECLINED)
    assert declined["status"] == "failed"
    not_succeeded = await create(psp, "/v1/refunds", refund_body(declined, 100))
    unknown = await create(psp, "/v1/refunds", refund_body({"id": "pay_nope"}, 100))
    payment = await succeeded_payment(psp)
    body = refund_body(payment, 100)
    key = uuid.uuid4().hex
    first = await create(psp, "/v1/refunds", body, key)
    again = await create(psp, "/v1/refunds", body, key)
    changed = await create(psp, "/v1/refunds", {**body, "amount": 200}, key)
    zero = await create(psp, "/v1/refunds", refund_body(payment, 0))
    async with psp.client() as http:
        missing_key = await http.post("/v1/refunds", json=body)
        not_found = await http.get("/v1/refunds/re_nope")
    assert not_succeeded.status_code == 422
    assert not_succeeded.json()["error"] == "payment_not_succeeded"
    assert unknown.status_code == 422
    assert unknown.json()["error"] == "no_such_payment"
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json()["id"] == first.json()["id"]
    assert changed.status_code == 409
    assert changed.json()["error"] == "idempotency_key_reused"
    assert zero.json()["error"] == "invalid_request"
    assert missing_key.json()["error"] == "missing_idempotency_key"
    assert not_found.status_code == 404
    assert not_found.json()["error"] == "no_such_refund"


@pytest.mark.parametrize(
    ("number", "status", "failure_code"),
    [(cards.VISA, "paid", None), (cards.PAYOUT_REJECTED, "failed", "payout_rejected")],
)
async def test_payouts(
    psp: PspSandbox, psp_webhooks: WebhookReceiver, number: str, status: str, failure_code: str | None
) -> None:
    hook = uuid.uuid4().hex
    token = await psp.tokenize(number)
    body = {
        "amount": 5000,
        "currency": "GBP",
        "token": token["token"],
        "reference": f"wd-{uuid.uuid4().hex[:12]}",
        "webhook_url": psp_webhooks.url(hook),
    }
    key = uuid.uuid4().hex
    response = await create(psp, "/v1/payouts", body, key)
    assert response.status_code == 201
    payout = response.json()
    assert payout["id"].startswith("po_")
    assert payout["status"] == "pending"
    assert payout["failure_code"] is None
    assert {k: payout[k] for k in ("amount", "currency", "reference")} == {
        "amount": 5000,
        "currency": "GBP",
        "reference": body["reference"],
    }
    assert payout["token"] == token["token"]
    assert number not in response.text
    replay = await create(psp, "/v1/payouts", body, key)
    assert (replay.status_code, replay.json()["id"]) == (200, payout["id"])

    settled = await eventually(lambda: psp.payout(payout["id"]), "status", status)
    assert settled["failure_code"] == failure_code
    [delivery] = await psp_webhooks.wait_for(hook, 1)
    assert delivery.event["type"] == f"payout.{status}"
    assert delivery.event["data"]["object"] == settled
    assert delivery.verified


async def test_payout_errors(psp: PspSandbox) -> None:
    body = {"amount": 1, "currency": "EUR", "token": "tok_nope", "reference": "r", "webhook_url": DEAD_HOOK}
    unknown_token = await create(psp, "/v1/payouts", body)
    bad_currency = await create(psp, "/v1/payouts", {**body, "currency": "12A"})
    async with psp.client() as http:
        missing_key = await http.post("/v1/payouts", json=body)
        not_found = await http.get("/v1/payouts/po_nope")
    assert unknown_token.status_code == 422
    assert unknown_token.json()["error"] == "no_such_token"
    assert bad_currency.json()["error"] == "invalid_request"
    assert missing_key.json()["error"] == "missing_idempotency_key"
    assert not_found.status_code == 404
    assert not_found.json()["error"] == "no_such_payout"


async def test_chargeback(psp: PspSandbox, psp_webhooks: WebhookReceiver) -> None:
    hook = uuid.uuid4().hex
    payment = await succeeded_payment(psp, amount=3000, hook=psp_webhooks.url(hook))
    partial = await psp.chargeback(payment["id"], amount=1000)
    assert partial["id"].startswith("cb_")
    assert {k: partial[k] for k in ("payment_id", "amount", "currency", "reason", "reference")} == {
        "payment_id": payment["id"],
        "amount": 1000,
        "currency": "EUR",
        "reason": "fraudulent",
        "reference": payment["reference"],
    }
    rest = await psp.chargeback(payment["id"])
    assert rest["amount"] == 2000
    assert (await psp.payment(payment["id"]))["charged_back_amount"] == 3000

    deliveries = await psp_webhooks.wait_for(hook, 3)
    assert [d.event["type"] for d in deliveries] == [
        "payment.succeeded",
        "chargeback.created",
        "chargeback.created",
    ]
    assert deliveries[1].event["data"]["object"] == partial
    assert deliveries[2].event["data"]["object"]["reference"] == payment["reference"]

    async with psp.client() as http:
        nothing_left = await http.post(f"/sandbox/payments/{payment['id']}/chargeback")
        unknown = await http.post("/sandbox/payments/pay_nope/chargeback", json={})
    assert nothing_left.status_code == 422
    assert nothing_left.json()["error"] == "amount_exceeds_payment"
    assert unknown.status_code == 404
    assert unknown.json()["error"] == "no_such_payment"


async def test_chargeback_rules(psp: PspSandbox) -> None:
    payment = await succeeded_payment(psp, amount=1000)
    declined = await succeeded_payment(psp, number=cards.DECLINED)
    path = f"/sandbox/payments/{payment['id']}/chargeback"
    too_much = await create(psp, path, {"amount": 1001})
    not_succeeded = await create(psp, f"/sandbox/payments/{declined['id']}/chargeback", {})
    bad = await create(psp, path, {"amount": -1})
    key = uuid.uuid4().hex
    first = await create(psp, path, {"amount": 10, "reason": "duplicate"}, key)
    again = await create(psp, path, {"amount": 10, "reason": "duplicate"}, key)
    changed = await create(psp, path, {"amount": 11, "reason": "duplicate"}, key)
    assert too_much.json()["error"] == "amount_exceeds_payment"
    assert not_succeeded.json()["error"] == "payment_not_succeeded"
    assert bad.json()["error"] == "invalid_request"
    assert (first.status_code, again.status_code, changed.status_code) == (201, 200, 409)
    assert first.json() == again.json()
    assert first.json()["reason"] == "duplicate"
    assert (await psp.payment(payment["id"]))["charged_back_amount"] == 10
