"""The books check names each way the ledger can stop adding up.

Each test breaks the books one way with raw SQL (turning off the guard that
would stop it where there is one) and expects that problem to be named.
"""

from __future__ import annotations

import uuid

import pytest

from croupier.kit.runtime import Runtime
from croupier.wallet import books
from croupier.wallet import service as wallet
from tests.sql import sql
from tests.wallet.support import bet, cash, deposit, later, make_player


async def problems(runtime: Runtime) -> list[str]:
    async with runtime.database.unit_of_work() as session:
        return await books.check_books(session)


@pytest.fixture
async def player(runtime: Runtime) -> uuid.UUID:
    """A player with some history: a deposit, two bets, a pending hold."""
    player_id = await make_player(runtime)
    await deposit(runtime, player_id, 1_000)
    await bet(runtime, player_id, 100)
    await bet(runtime, player_id, 50)
    async with runtime.database.unit_of_work() as session:
        await wallet.hold(
            session, source="test", key="h", account=cash(player_id), amount=200, expires_at=later()
        )
    return player_id


def player_code(player_id: uuid.UUID) -> str:
    return f"player:{player_id}:cash:EUR"


async def without_entry_guard(runtime: Runtime, statement: str, **params: object) -> None:
    """Run ``statement`` with the append-only trigger on ledger_entries switched off."""
    await sql(runtime, "ALTER TABLE ledger_entries DISABLE TRIGGER ledger_entries_append_only")
    await sql(runtime, statement, **params)
    await sql(runtime, "ALTER TABLE ledger_entries ENABLE TRIGGER ledger_entries_append_only")


class TestBooksCheck:
    @pytest.mark.usefixtures("player")
    async def test_books_that_add_up_have_no_problems(self, runtime: Runtime) -> None:
        async with runtime.database.unit_of_work() as session:
            report = await books.examine(session)
        assert report.ok
        assert report.problems == []
        assert (report.transfers, report.entries, report.pending_holds, report.currencies) == (3, 6, 1, 1)

    @pytest.mark.usefixtures("player")
    async def test_a_currency_whose_balances_do_not_sum_to_zero(self, runtime: Runtime) -> None:
        await sql(
            runtime, "UPDATE ledger_accounts SET balance = balance + 7 WHERE code = 'house:psp_clearing:EUR'"
        )

        found = await problems(runtime)

        assert "currency EUR: balances sum to 7, not 0" in found
        assert "account house:psp_clearing:EUR: balance -993 but its entries sum to -1000" in found

    async def test_a_balance_that_is_not_the_sum_of_its_entries(
        self, runtime: Runtime, player: uuid.UUID
    ) -> None:
        # Money moved between two rows without entries: the currency still sums to zero.
        await sql(
            runtime, "UPDATE ledger_accounts SET balance = balance + 5 WHERE code = :c", c=player_code(player)
        )
        await sql(
            runtime, "UPDATE ledger_accounts SET balance = balance - 5 WHERE code = 'house:psp_clearing:EUR'"
        )

        found = await problems(runtime)

        assert sorted(found) == [
            "account house:psp_clearing:EUR: balance -1005 but its entries sum to -1000",
            f"account {player_code(player)}: balance 855 but its entries sum to 850",
        ]

    async def test_an_entry_whose_running_balance_is_wrong(self, runtime: Runtime, player: uuid.UUID) -> None:
        [(entry_id,)] = await sql(
            runtime,
            "SELECT e.id FROM ledger_entries e JOIN ledger_accounts a ON a.id = e.account_id"
            " WHERE a.code = :c AND e.amount = -100",
            c=player_code(player),
        )
        await without_entry_guard(
            runtime, "UPDATE ledger_entries SET balance_after = 1 WHERE id = :i", i=entry_id
        )

        assert await problems(runtime) == [
            f"entry {entry_id} on {player_code(player)}: balance_after 1 but the running total is 900"
        ]

    async def test_held_funds_that_are_not_the_sum_of_the_pending_holds(
        self, runtime: Runtime, player: uuid.UUID
    ) -> None:
        await sql(runtime, "UPDATE ledger_holds SET amount = 150")

        assert await problems(runtime) == [
            f"account {player_code(player)}: held 200 but its pending holds sum to 150"
        ]

    async def test_a_negative_player_balance(self, runtime: Runtime, player: uuid.UUID) -> None:
        # The CHECK constraint stops this; someone dropped it.
        await sql(
            runtime,
            "ALTER TABLE ledger_accounts DROP CONSTRAINT ck_ledger_accounts_player_funds_non_negative",
        )
        await sql(
            runtime,
            "UPDATE ledger_accounts SET balance = -1, held = 0 WHERE code = :c",
            c=player_code(player),
        )

        found = await problems(runtime)

        assert f"account {player_code(player)}: negative player funds (balance -1, held 0)" in found

    async def test_a_pending_hold_past_its_expiry(self, runtime: Runtime, player: uuid.UUID) -> None:
        [(hold_id,)] = await sql(
            runtime, "UPDATE ledger_holds SET expires_at = now() - interval '1 hour' RETURNING id"
        )

        [problem] = await problems(runtime)

        assert problem.startswith(f"hold {hold_id} on {player_code(player)}: still pending, expired at ")
        async with runtime.database.unit_of_work() as session:
            assert await wallet.expire_holds(session) == 1
        assert await problems(runtime) == []

    @pytest.mark.usefixtures("player")
    async def test_a_hold_that_expired_moments_ago_is_not_yet_a_problem(self, runtime: Runtime) -> None:
        await sql(runtime, "UPDATE ledger_holds SET expires_at = now() - interval '1 second'")
        assert await problems(runtime) == []

    @pytest.mark.usefixtures("player")
    async def test_a_transfer_whose_entries_do_not_sum_to_zero(self, runtime: Runtime) -> None:
        [(transfer_id, account_id)] = await sql(
            runtime,
            "SELECT e.transfer_id, e.account_id FROM ledger_entries e JOIN ledger_accounts a"
            " ON a.id = e.account_id WHERE a.code = 'house:psp_clearing:EUR'",
        )
        await without_entry_guard(
            runtime,
            "UPDATE ledger_entries SET amount = -999, balance_after = -999 WHERE account_id = :a",
            a=account_id,
        )
        await sql(runtime, "UPDATE ledger_accounts SET balance = -999 WHERE id = :a", a=account_id)

        found = await problems(runtime)

        assert f"transfer {transfer_id}: EUR entries sum to 1, not 0" in found
        assert "currency EUR: balances sum to 1, not 0" in found

    @pytest.mark.usefixtures("player")
    async def test_a_posted_transfer_without_entries(self, runtime: Runtime) -> None:
        transfer_id = uuid.uuid4()
        await sql(
            runtime,
            "INSERT INTO ledger_transfers (id, source, idempotency_key, request_hash, kind, status, metadata)"
            " VALUES (:i, 'test', 'ghost', '\\x00', 'bet', 'posted', '{}')",
            i=transfer_id,
        )

        assert await problems(runtime) == [f"transfer {transfer_id}: posted but has no entries"]

    async def test_a_failed_attempt_leaves_the_books_clean(self, runtime: Runtime, player: uuid.UUID) -> None:
        with pytest.raises(wallet.InsufficientFunds):
            await bet(runtime, player, 10_000)
        async with runtime.database.unit_of_work() as session:
            report = await books.examine(session)
        assert report.ok
        assert report.failed_transfers == 1
