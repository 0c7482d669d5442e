"""`croupier ledger check` also reconciles the payment tables with the ledger."""

from __future__ import annotations

from croupier.cli import command_line
from croupier.payments import books as payment_books
from tests.mail.helpers import invoke
from tests.payments.support import Live
from tests.sql import sql


async def _problems(live: Live) -> list[str]:
    async with live.runtime.database.unit_of_work() as session:
        return await payment_books.problems(session)


async def test_payment_records_that_disagree_with_the_ledger_are_named(live: Live) -> None:
    player, method = await live.funded(300_000)
    withdrawal = (await live.withdraw(player, 200_000, method)).json()
    assert withdrawal["status"] == "pending_approval"
    assert await _problems(live) == []
    assert (await invoke(command_line(), ["ledger", "check"], live.settings)).exit_code == 0

    await sql(live.runtime, "UPDATE withdrawals SET status = 'paid'")
    await sql(
        live.runtime,
        "INSERT INTO player_debts (player_id, currency, outstanding, created_at, updated_at)"
        " VALUES (:player, 'EUR', 700, now(), now())",
        player=player.id,
    )
    await sql(live.runtime, "UPDATE deposits SET charged_back_amount = 5")

    problems = await _problems(live)
    deposit_id = (await live.get(player, "/v1/deposits"))["items"][0]["id"]
    assert problems == [
        "currency EUR: players owe 700 but the receivables account says 0",
        f"withdrawal {withdrawal['id']}: paid but its hold is pending",
        f"deposit {deposit_id}: charged back 5 but its chargebacks sum to 0",
    ]
    result = await invoke(command_line(), ["ledger", "check"], live.settings)
    assert result.exit_code == 1
    assert "players owe 700" in result.stdout
