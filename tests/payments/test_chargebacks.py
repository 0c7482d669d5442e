"""Chargebacks take the money back from the player's balance; what it cannot cover is a debt,
paid off by the next deposit, and no withdrawal leaves while it is owed."""

from __future__ import annotations

from croupier.audit import service as audit
from croupier.audit.tags import AuditAction
from tests.payments.support import Live, eventually, payment_of
from tests.sql import sql


class TestChargebacks:
    async def test_a_covered_chargeback_is_taken_from_the_balance(self, live: Live) -> None:
        player = await live.player()
        deposit = (await live.deposit(player, 3_000)).json()
        payment_id = await payment_of(live, deposit["id"])

        await live.psp.chargeback(payment_id, amount=1_000, reason="fraudulent")
        await eventually(
            lambda: live.get(player, f"/v1/deposits/{deposit['id']}"),
            lambda d: d["charged_back_amount"] == 1_000,
        )

        assert await live.wallet(player) == {"available": 2_000, "held": 0}
        assert await sql(live.runtime, "SELECT * FROM player_debts") == []
        statement = (await live.get(player, "/v1/wallet/transactions"))["items"]
        assert [(e["kind"], e["amount"]) for e in statement] == [("chargeback", -1_000), ("deposit", 3_000)]
        await live.books_balance()

    async def test_what_the_balance_cannot_cover_becomes_a_debt_never_a_negative_balance(
        self, live: Live
    ) -> None:
        player, method = await live.funded(5_000)
        deposit = (await live.get(player, "/v1/deposits"))["items"][0]
        payment_id = await payment_of(live, deposit["id"])
        # The player spends most of it (a withdrawal holds 4,000 of the 5,000).
        assert (await live.withdraw(player, 4_000, method)).status_code == 201
        await eventually(lambda: live.wallet(player), lambda w: w["held"] == 0)

        await live.psp.chargeback(payment_id, amount=5_000)
        await eventually(
            lambda: live.get(player, f"/v1/deposits/{deposit['id']}"),
            lambda d: d["charged_back_amount"] == 5_000,
        )

        assert await live.wallet(player) == {"available": 0, "held": 0}
        [(outstanding,)] = await sql(live.runtime, "SELECT outstanding FROM player_debts")
        assert outstanding == 4_000
        [(receivable,)] = await sql(
            live.runtime, "SELECT balance FROM ledger_accounts WHERE code = 'house:receivables:EUR'"
        )
        assert receivable == -4_000
        [(recovered, debt)] = await sql(live.runtime, "SELECT recovered_amount, debt_amount FROM chargebacks")
        assert (recovered, debt) == (1_000, 4_000)
        async with live.runtime.database.unit_of_work() as session:
            [event] = await audit.events(session, action=AuditAction.CHARGEBACK)
        assert (event.details["recovered"], event.details["debt"]) == (1_000, 4_000)
        await live.books_balance()

        # No withdrawal while the debt is owed ...
        response = await live.withdraw(player, 1, method)
        assert response.status_code == 422
        # The debt is checked before the balance: a refusal for funds would not show the rule works.
        assert response.json()["code"] == "outstanding_debt"

        # ... and the next deposit pays it off first.
        assert (await live.deposit(player, 6_000)).json()["status"] == "succeeded"
        assert await live.wallet(player) == {"available": 2_000, "held": 0}
        assert await sql(live.runtime, "SELECT outstanding FROM player_debts") == [(0,)]
        [(receivable,)] = await sql(
            live.runtime, "SELECT balance FROM ledger_accounts WHERE code = 'house:receivables:EUR'"
        )
        assert receivable == 0
        response = await live.withdraw(player, 1_000, method)
        assert response.status_code == 201, response.text
        await live.books_balance()

    async def test_a_repeated_chargeback_event_takes_the_money_once(self, live: Live) -> None:
        player = await live.player()
        deposit = (await live.deposit(player, 3_000)).json()
        payment_id = await payment_of(live, deposit["id"])
        await live.psp.chargeback(payment_id, amount=3_000)
        events = await eventually(
            lambda: live.psp.events(reference=deposit["id"]),
            lambda found: len(found) == 2 and all(e["delivered"] for e in found),
        )

        for event in events:
            await live.psp.redeliver(event["id"])
        await eventually(
            lambda: live.psp.events(reference=deposit["id"]),
            lambda found: all(e["attempts"] >= 2 for e in found),
        )

        assert await live.wallet(player) == {"available": 0, "held": 0}
        assert await sql(live.runtime, "SELECT count(*) FROM chargebacks") == [(1,)]
        await live.books_balance()
