"""Provider webhooks: only signed, fresh events count, and each acts exactly once in any order."""

from __future__ import annotations

import json
import time

from croupier.audit import service as audit
from croupier.audit.tags import AuditAction
from croupier.kit.metrics import REGISTRY
from croupier.payments import signatures
from tests.payments.support import CHALLENGE, Live, eventually
from tests.sql import sql


def _event(reference: str, amount: int = 1_000_000) -> bytes:
    payment = {
        "id": "pay_forged",
        "status": "succeeded",
        "amount": amount,
        "currency": "EUR",
        "reference": reference,
    }
    return json.dumps(
        {"id": "evt_forged", "type": "payment.succeeded", "created": 0, "data": {"object": payment}}
    ).encode()


async def _post(live: Live, body: bytes, signature: str | None) -> int:
    headers = {"Content-Type": "application/json"}
    if signature is not None:
        headers[signatures.SIGNATURE_HEADER] = signature
    response = await live.http.post("/v1/webhooks/psp", content=body, headers=headers)
    return response.status_code


class TestSignatures:
    async def test_forged_stale_and_unsigned_events_move_nothing_and_are_audited(self, live: Live) -> None:
        player = await live.player()
        deposit = (await live.deposit(player, 500, card=CHALLENGE)).json()
        body = _event(deposit["id"], amount=500)
        secret = live.psp.webhook_secret.encode()

        assert await _post(live, body, None) == 401
        assert await _post(live, body, signatures.sign(b"not the secret", body)) == 401
        assert (
            await _post(live, body, signatures.sign(secret, body, timestamp=int(time.time()) - 3600)) == 401
        )
        assert await _post(live, body, signatures.sign(secret, body + b" ")) == 401
        assert await _post(live, body, "t=abc,v1=zz") == 401

        assert await live.wallet(player) == {"available": 0, "held": 0}
        assert (await live.get(player, f"/v1/deposits/{deposit['id']}"))["status"] == "requires_action"
        assert await sql(live.runtime, "SELECT event_id FROM payment_events") == []
        async with live.runtime.database.unit_of_work() as session:
            rejected = await audit.events(session, action=AuditAction.WEBHOOK_REJECT)
        assert len(rejected) == 5
        assert {e.outcome for e in rejected} == {"denied"}

    async def test_a_signed_body_that_is_not_an_event_is_a_bad_request(self, live: Live) -> None:
        body = b'{"hello": "world"}'

        assert await _post(live, body, signatures.sign(live.psp.webhook_secret.encode(), body)) == 400

    async def test_a_signed_event_for_someone_unknown_is_acknowledged_and_kept(self, live: Live) -> None:
        body = _event("not-a-deposit")

        assert await _post(live, body, signatures.sign(live.psp.webhook_secret.encode(), body)) == 200
        [(outcome,)] = await sql(live.runtime, "SELECT outcome FROM payment_events")
        assert outcome == "unmatched"
        await live.books_balance()

    async def test_an_event_whose_amount_disagrees_with_the_deposit_credits_nothing(self, live: Live) -> None:
        player = await live.player()
        deposit = (await live.deposit(player, 500, card=CHALLENGE)).json()
        body = _event(deposit["id"], amount=50_000)

        assert await _post(live, body, signatures.sign(live.psp.webhook_secret.encode(), body)) == 200

        [(outcome,)] = await sql(live.runtime, "SELECT outcome FROM payment_events")
        assert outcome == "mismatch"
        assert await live.wallet(player) == {"available": 0, "held": 0}


class TestExactlyOnce:
    async def test_a_redelivered_event_changes_nothing(self, live: Live) -> None:
        player = await live.player()
        deposit = (await live.deposit(player, 800)).json()
        [event] = await eventually(
            lambda: live.psp.events(reference=deposit["id"]), lambda found: all(e["delivered"] for e in found)
        )

        for _ in range(3):
            await live.psp.redeliver(event["id"])
        await eventually(
            lambda: live.psp.events(reference=deposit["id"]), lambda found: found[0]["attempts"] >= 4
        )

        assert await live.wallet(player) == {"available": 800, "held": 0}
        [(count,)] = await sql(live.runtime, "SELECT count(*) FROM payment_events")
        assert count == 1
        await live.books_balance()

    async def test_duplicated_and_reversed_deliveries_end_in_the_same_books(self, live: Live) -> None:
        player = await live.player()
        await live.psp.pause_webhooks()
        try:
            deposit = (await live.deposit(player, 5_000, card=CHALLENGE)).json()
            payment_id = deposit["three_d_secure"]["challenge_url"].rsplit("/", 1)[1]
            await live.psp.complete_challenge(payment_id, "pass")
            await live.psp.chargeback(payment_id, amount=2_000)
        finally:
            # The chargeback arrives before the payment it reverses, every event twice.
            await live.psp.resume_webhooks(order="reverse", duplicates=1)

        done = await eventually(
            lambda: live.get(player, f"/v1/deposits/{deposit['id']}"),
            lambda d: d["charged_back_amount"] == 2_000,
        )
        await eventually(
            lambda: live.psp.events(reference=deposit["id"]),
            lambda found: all(e["delivered"] and e["attempts"] >= 2 for e in found),
        )

        assert done["status"] == "succeeded"
        assert await live.wallet(player) == {"available": 3_000, "held": 0}
        outcomes = sorted(
            row.outcome for row in await sql(live.runtime, "SELECT outcome FROM payment_events")
        )
        # The late "succeeded" says what the chargeback already implied and applied.
        assert outcomes == ["already_applied", "charged_back"]
        await live.books_balance()


def _webhooks_counted(event_type: str, outcome: str) -> float:
    labels = {"type": event_type, "outcome": outcome}
    return REGISTRY.get_sample_value("croupier_payment_webhooks_total", labels) or 0.0


class TestOutcomes:
    async def test_the_webhook_for_a_deposit_the_answer_already_credited_is_already_applied(
        self, live: Live
    ) -> None:
        before = {o: _webhooks_counted("payment.succeeded", o) for o in ("already_applied", "stale")}
        player = await live.player()

        deposit = (await live.deposit(player, 1_000)).json()
        assert deposit["status"] == "succeeded"  # credited from the provider's synchronous answer
        await eventually(
            lambda: live.psp.events(reference=deposit["id"]),
            lambda found: len(found) == 1 and found[0]["delivered"],
        )

        [(outcome,)] = await sql(live.runtime, "SELECT outcome FROM payment_events")
        assert outcome == "already_applied"
        assert _webhooks_counted("payment.succeeded", "already_applied") == before["already_applied"] + 1
        assert _webhooks_counted("payment.succeeded", "stale") == before["stale"]

    async def test_an_event_older_than_what_was_applied_is_stale(self, live: Live) -> None:
        player = await live.player()
        deposit = (await live.deposit(player, 1_000)).json()
        assert deposit["status"] == "succeeded"
        before = _webhooks_counted("payment.pending", "stale")
        payment = {"id": "pay_late", "status": "pending", "amount": 1_000, "currency": "EUR"}
        body = json.dumps(
            {
                "id": "evt_late_pending",
                "type": "payment.pending",
                "created": 0,
                "data": {"object": {**payment, "reference": deposit["id"]}},
            }
        ).encode()

        assert await _post(live, body, signatures.sign(live.psp.webhook_secret.encode(), body)) == 200

        [(outcome,)] = await sql(
            live.runtime, "SELECT outcome FROM payment_events WHERE event_id = 'evt_late_pending'"
        )
        assert outcome == "stale"
        assert _webhooks_counted("payment.pending", "stale") == before + 1
        assert (await live.get(player, f"/v1/deposits/{deposit['id']}"))["status"] == "succeeded"
