"""Webhook delivery: signatures, retries, order, pause and resume, duplicates, redelivery."""

from __future__ import annotations

import uuid
from typing import Any

from croupier.payments.signatures import SignatureError, verify
from croupier.sandbox.psp import cards
from tests.psp_sandbox import PspSandbox, WebhookReceiver
from tests.waiting import wait_until


async def payment(
    psp: PspSandbox, hook_url: str, *, number: str = cards.VISA, amount: int = 1000
) -> dict[str, Any]:
    token = await psp.tokenize(number)
    async with psp.client() as http:
        response = await http.post(
            "/v1/payments",
            json={
                "amount": amount,
                "currency": "EUR",
                "token": token["token"],
                "reference": f"dep-{uuid.uuid4().hex[:12]}",
                "webhook_url": hook_url,
            },
            headers={"Idempotency-Key": uuid.uuid4().hex},
        )
    assert response.status_code == 201
    result: dict[str, Any] = response.json()
    return result


async def test_a_failing_receiver_gets_retries(psp: PspSandbox, psp_webhooks: WebhookReceiver) -> None:
    hook = uuid.uuid4().hex
    psp_webhooks.fail(hook, 2)
    paid = await payment(psp, psp_webhooks.url(hook))
    attempts = await psp_webhooks.wait_for(hook, 3, answered_ok=False)
    assert [a.answered for a in attempts] == [500, 500, 200]
    assert len({a.body for a in attempts}) == 1, "every attempt carries the same body"
    assert all(a.verified for a in attempts)
    # Backoff: about 0.1 s, then 0.2 s.
    assert attempts[1].received_at - attempts[0].received_at >= 0.08
    assert attempts[2].received_at - attempts[1].received_at >= 0.16
    [event] = await psp.events(paid["reference"])
    assert event == {
        "id": attempts[0].event["id"],
        "type": "payment.succeeded",
        "object_id": paid["id"],
        "reference": paid["reference"],
        "delivered": True,
        "attempts": 3,
        "given_up": False,
    }


async def test_slow_and_dead_receivers_do_not_hold_up_others(
    psp: PspSandbox, psp_webhooks: WebhookReceiver
) -> None:
    slow = [uuid.uuid4().hex for _ in range(3)]
    for name in slow:
        psp_webhooks.stall(name, 1, seconds=1.5)
        await payment(psp, psp_webhooks.url(name))
    await payment(psp, "http://127.0.0.1:9/nobody-listens")
    healthy = uuid.uuid4().hex
    ok = await payment(psp, psp_webhooks.url(healthy))
    [delivery] = await psp_webhooks.wait_for(healthy, 1, within=1.0)
    assert delivery.event["data"]["object"]["id"] == ok["id"]
    assert all(psp_webhooks.received(name) == [] for name in slow), "the slow ones are still answering"
    for name in slow:
        await psp_webhooks.wait_for(name, 1)


async def test_events_of_one_payment_arrive_in_order(psp: PspSandbox, psp_webhooks: WebhookReceiver) -> None:
    hook = uuid.uuid4().hex
    # The receiver refuses the first event for a while: what follows must wait its turn.
    psp_webhooks.fail(hook, 3)
    paid = await payment(psp, psp_webhooks.url(hook), amount=500)
    await psp.chargeback(paid["id"], amount=100)
    await psp.chargeback(paid["id"], amount=200)
    deliveries = await psp_webhooks.wait_for(hook, 3)
    assert [d.event["type"] for d in deliveries] == [
        "payment.succeeded",
        "chargeback.created",
        "chargeback.created",
    ]
    assert [d.event["data"]["object"]["amount"] for d in deliveries] == [500, 100, 200]
    events = await psp.events(paid["reference"])
    assert [e["type"] for e in events] == ["payment.succeeded", "chargeback.created", "chargeback.created"]
    assert [e["attempts"] for e in events] == [4, 1, 1]


async def test_pause_then_resume_in_reverse_with_duplicates(
    psp: PspSandbox, psp_webhooks: WebhookReceiver
) -> None:
    hook = uuid.uuid4().hex
    await psp.pause_webhooks()
    try:
        made = [await payment(psp, psp_webhooks.url(hook), amount=100 * (i + 1)) for i in range(3)]
        assert psp_webhooks.received(hook) == []
        for made_payment in made:
            [event] = await psp.events(made_payment["reference"])
            assert not event["delivered"]
    finally:
        await psp.resume_webhooks(order="reverse", duplicates=1)
    deliveries = await psp_webhooks.wait_for(hook, 6)
    ids = [d.event["data"]["object"]["id"] for d in deliveries]
    newest_first = [m["id"] for m in reversed(made)]
    assert ids == newest_first + newest_first
    assert all(d.verified for d in deliveries)
    # A duplicate is the same event: same id, same body.
    assert deliveries[0].body == deliveries[3].body
    # Two attempts each, the delivery and its duplicate: none went out while paused.
    for m in made:
        [event] = await psp.events(m["reference"])
        assert (event["delivered"], event["attempts"]) == (True, 2)

    # After the batch, delivery is back to normal.
    later = await payment(psp, psp_webhooks.url(hook))
    [*_, last] = await psp_webhooks.wait_for(hook, 7)
    assert last.event["data"]["object"]["id"] == later["id"]


async def test_resume_in_creation_order(psp: PspSandbox, psp_webhooks: WebhookReceiver) -> None:
    hook = uuid.uuid4().hex
    await psp.pause_webhooks()
    try:
        made = [await payment(psp, psp_webhooks.url(hook)) for _ in range(3)]
    finally:
        await psp.resume_webhooks()
    deliveries = await psp_webhooks.wait_for(hook, 3)
    assert [d.event["data"]["object"]["id"] for d in deliveries] == [m["id"] for m in made]

    async def events() -> list[dict[str, Any]]:
        return [event for m in made for event in await psp.events(m["reference"])]

    async def all_delivered() -> bool:
        return all(event["delivered"] for event in await events())

    await wait_until(all_delivered)
    # Each event was sent once, and its delivery is over: no duplicates unless asked.
    assert [event["attempts"] for event in await events()] == [1, 1, 1]
    assert len(psp_webhooks.received(hook)) == 3


async def test_settlements_while_paused_are_held_too(psp: PspSandbox, psp_webhooks: WebhookReceiver) -> None:
    hook = uuid.uuid4().hex
    await psp.pause_webhooks()
    try:
        paid = await payment(psp, psp_webhooks.url(hook))
        async with psp.client() as http:
            refund = await http.post(
                "/v1/refunds",
                json={
                    "payment_id": paid["id"],
                    "amount": 10,
                    "reference": "r1",
                    "webhook_url": psp_webhooks.url(hook),
                },
                headers={"Idempotency-Key": uuid.uuid4().hex},
            )
        assert refund.status_code == 201

        async def refund_settled() -> bool:
            return (await psp.refund(refund.json()["id"]))["status"] == "succeeded"

        await wait_until(refund_settled)  # the refund settles; its event waits
        assert psp_webhooks.received(hook) == []
    finally:
        await psp.resume_webhooks(order="reverse")
    deliveries = await psp_webhooks.wait_for(hook, 2)
    assert [d.event["type"] for d in deliveries] == ["refund.succeeded", "payment.succeeded"]


async def test_redeliver(psp: PspSandbox, psp_webhooks: WebhookReceiver) -> None:
    hook = uuid.uuid4().hex
    paid = await payment(psp, psp_webhooks.url(hook))
    [first] = await psp_webhooks.wait_for(hook, 1)
    await psp.redeliver(first.event["id"])
    first_again, second = await psp_webhooks.wait_for(hook, 2)
    assert first_again is first
    assert second.body == first.body
    assert second.verified
    [event] = await psp.events(paid["reference"])
    assert event["attempts"] == 2
    async with psp.client() as http:
        missing = await http.post("/sandbox/events/evt_nope/redeliver")
    assert missing.status_code == 404
    assert missing.json()["error"] == "no_such_event"


async def test_event_listing(psp: PspSandbox) -> None:
    reference_less = await psp.events()
    assert isinstance(reference_less, list)
    paid = await payment(psp, "http://127.0.0.1:9/nobody")
    await psp.chargeback(paid["id"])
    events = await psp.events(paid["reference"])
    assert [(e["type"], e["object_id"] == paid["id"]) for e in events] == [
        ("payment.succeeded", True),
        ("chargeback.created", False),
    ]
    assert all(e["reference"] == paid["reference"] and not e["delivered"] for e in events)
    everything = await psp.events()
    assert {e["id"] for e in events} <= {e["id"] for e in everything}
    assert await psp.events("no-such-reference") == []


async def test_resume_without_pause_and_bad_resume_bodies(psp: PspSandbox) -> None:
    async with psp.client() as http:
        idle = await http.post("/sandbox/webhooks/resume")
        bad = [
            await http.post("/sandbox/webhooks/resume", json={"order": "random"}),
            await http.post("/sandbox/webhooks/resume", json={"duplicates": -1}),
            await http.post("/sandbox/webhooks/resume", json={"duplicates": "2"}),
        ]
    assert idle.status_code == 200
    assert idle.json() == {"paused": False, "released": 0}
    for response in bad:
        assert response.status_code == 422
        assert response.json()["error"] == "invalid_request"


async def test_signatures_are_fresh_and_bound_to_the_body(
    psp: PspSandbox, psp_webhooks: WebhookReceiver
) -> None:
    hook = uuid.uuid4().hex
    await payment(psp, psp_webhooks.url(hook))
    [delivery] = await psp_webhooks.wait_for(hook, 1)
    assert delivery.signature is not None
    stamp, _, digest = delivery.signature.partition(",")
    assert stamp.startswith("t=")
    assert digest.startswith("v1=")
    # The receiver's own check fails for another body or another secret.
    for secret, body in [(psp_webhooks.secret, delivery.body + b" "), (b"other", delivery.body)]:
        try:
            verify([secret], body, delivery.signature)
        except SignatureError:
            continue
        raise AssertionError("a changed body or secret must not verify")
