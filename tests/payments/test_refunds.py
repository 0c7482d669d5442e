"""Refunds: staff send a deposit back to its card; the amount is held until the provider confirms."""

from __future__ import annotations

import uuid

from croupier.payments.cli import payments_app
from croupier.staff import service as staff
from croupier.staff.service import StaffRole
from tests.mail.helpers import invoke
from tests.payments.support import Live, eventually, payment_of
from tests.sql import sql


async def _desk(live: Live) -> dict[str, str]:
    async with live.runtime.database.unit_of_work() as session:
        secret = await staff.issue(session, name="dora", role=StaffRole.PAYMENTS, issued_by="test")
    return {"Authorization": f"Bearer {secret}", "Idempotency-Key": str(uuid.uuid4())}


class TestRefunds:
    async def test_a_partial_refund_is_held_then_settled(self, live: Live) -> None:
        player = await live.player()
        deposit = (await live.deposit(player, 5_000)).json()
        desk = await _desk(live)
        await live.psp.pause_webhooks()
        try:
            response = await live.http.post(
                f"/v1/staff/deposits/{deposit['id']}/refunds",
                json={"amount": 2_000, "reason": "duplicate"},
                headers=desk,
            )

            assert response.status_code == 201, response.text
            assert response.json()["status"] in {"requested", "submitted"}
            # Until the provider's word arrives, the amount is held, not gone.
            await eventually(
                lambda: sql(live.runtime, "SELECT status FROM refunds"), lambda r: r == [("submitted",)]
            )
            assert await live.wallet(player) == {"available": 3_000, "held": 2_000}
        finally:
            await live.psp.resume_webhooks()
        done = await eventually(
            lambda: live.get(player, f"/v1/deposits/{deposit['id']}"), lambda d: d["refunded_amount"] == 2_000
        )
        assert done["refunded_amount"] == 2_000
        assert await live.wallet(player) == {"available": 3_000, "held": 0}
        [(status,)] = await sql(live.runtime, "SELECT status FROM refunds")
        assert status == "succeeded"
        again = await live.http.post(
            f"/v1/staff/deposits/{deposit['id']}/refunds",
            json={"amount": 2_000, "reason": "duplicate"},
            headers=desk,
        )
        assert again.headers["idempotent-replayed"] == "true"
        assert await sql(live.runtime, "SELECT count(*) FROM refunds") == [(1,)]
        await live.books_balance()

    async def test_no_more_than_is_left_and_no_more_than_the_player_still_has(self, live: Live) -> None:
        player, method = await live.funded(5_000)
        [deposit] = (await live.get(player, "/v1/deposits"))["items"]
        path = f"/v1/staff/deposits/{deposit['id']}/refunds"

        too_much = await live.http.post(
            path, json={"amount": 5_001, "reason": "x"}, headers=await _desk(live)
        )
        assert (too_much.status_code, too_much.json()["code"]) == (422, "refund_not_possible")

        assert (await live.withdraw(player, 4_500, method)).status_code == 201
        spent = await live.http.post(
            path,
            json={"amount": 1_000, "reason": "x"},
            headers={**(await _other_desk(live)), "Idempotency-Key": "r2"},
        )
        assert (spent.status_code, spent.json()["code"]) == (422, "refund_not_possible")
        assert await sql(live.runtime, "SELECT count(*) FROM refunds") == [(0,)]

    async def test_a_refund_from_the_command_line(self, live: Live) -> None:
        player = await live.player()
        deposit = (await live.deposit(player, 1_200)).json()

        result = await invoke(
            payments_app, ["refund", deposit["id"], "--reason", "customer request"], live.settings
        )

        assert result.exit_code == 0, result.output
        assert '"amount": 1200' in result.stdout
        await eventually(
            lambda: live.get(player, f"/v1/deposits/{deposit['id']}"), lambda d: d["refunded_amount"] == 1_200
        )
        assert await live.wallet(player) == {"available": 0, "held": 0}
        await live.books_balance()

    async def test_refunds_the_provider_refuses_fail_and_release_their_holds(self, live: Live) -> None:
        player = await live.player()
        deposit = (await live.deposit(player, 5_000)).json()
        payment_id = await payment_of(live, deposit["id"])
        desk = await _desk(live)
        path = f"/v1/staff/deposits/{deposit['id']}/refunds"
        await live.psp.pause_webhooks()
        try:
            # Charged back at the provider, not yet told to Croupier: the provider refuses any refund.
            await live.psp.chargeback(payment_id, amount=5_000)
            for key in ("r-1", "r-2"):
                response = await live.http.post(
                    path, json={"amount": 1_000, "reason": "x"}, headers={**desk, "Idempotency-Key": key}
                )
                assert response.status_code == 201, response.text

            refused = await eventually(
                lambda: sql(live.runtime, "SELECT status, failure_code, provider_refund_id FROM refunds"),
                lambda rows: len(rows) == 2 and all(row.status == "failed" for row in rows),
            )

            assert [(r.failure_code, r.provider_refund_id) for r in refused] == [
                ("amount_exceeds_payment", None),
                ("amount_exceeds_payment", None),
            ]
            assert await live.wallet(player) == {"available": 5_000, "held": 0}
        finally:
            await live.psp.resume_webhooks()
        done = await eventually(
            lambda: live.get(player, f"/v1/deposits/{deposit['id']}"),
            lambda d: d["charged_back_amount"] == 5_000,
        )
        assert done["refunded_amount"] == 0
        assert await live.wallet(player) == {"available": 0, "held": 0}
        await live.books_balance()


async def _other_desk(live: Live) -> dict[str, str]:
    async with live.runtime.database.unit_of_work() as session:
        secret = await staff.issue(session, name="erin", role=StaffRole.PAYMENTS, issued_by="test")
    return {"Authorization": f"Bearer {secret}"}
