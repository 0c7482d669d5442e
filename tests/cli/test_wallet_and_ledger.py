"""`croupier wallet adjust|balance` and `croupier ledger check|expire-holds`."""

from __future__ import annotations

import uuid

import pytest

from croupier.kit.runtime import Runtime
from tests.cli_support import acroupier, refused, succeeded, usage_error
from tests.sql import sql
from tests.wallet.support import available, deposit, make_player

pytestmark = pytest.mark.slow  # each case runs the console script


class TestAdjust:
    async def test_a_credit_prints_the_new_balance(self, env: dict[str, str], runtime: Runtime) -> None:
        player = str(await make_player(runtime))

        out = succeeded(
            await acroupier("wallet", "adjust", player, "1250", "EUR", "--reason", "goodwill", env=env)
        )

        assert f"credited 12.50 EUR {player}" in out
        assert "available 12.50 EUR" in out

    async def test_refusals_exit_1_and_move_nothing(self, env: dict[str, str], runtime: Runtime) -> None:
        player = await make_player(runtime)
        await deposit(runtime, player, 100)

        for args, reason in (
            ([str(player), "-101", "EUR"], "Not enough available EUR funds"),
            ([str(player), "100", "XYZ"], "'XYZ' is not a supported currency"),
            ([str(uuid.uuid4()), "100", "EUR"], "No such player"),
        ):
            refused(await acroupier("wallet", "adjust", *args, "--reason", "r", env=env), reason)

        assert await available(runtime, player) == (100, 0)

    async def test_a_blank_reason_is_a_usage_error(self, env: dict[str, str], runtime: Runtime) -> None:
        player = str(await make_player(runtime))

        usage_error(
            await acroupier("wallet", "adjust", player, "100", "EUR", "--reason", " ", env=env), "reason"
        )

    async def test_balance_in_major_units(self, env: dict[str, str], runtime: Runtime) -> None:
        player = await make_player(runtime)
        await deposit(runtime, player, 123_456)

        out = succeeded(await acroupier("wallet", "balance", str(player), env=env))

        assert out.splitlines()[1].split() == ["EUR", "1234.56", "0.00", "0.00"]


class TestLedger:
    async def test_check_passes_on_books_that_add_up(self, env: dict[str, str], runtime: Runtime) -> None:
        await deposit(runtime, await make_player(runtime), 1_000)

        out = succeeded(await acroupier("ledger", "check", env=env))

        assert out.startswith("OK: 2 accounts in 1 currencies, 1 transfers (0 failed attempts), 2 entries")

    async def test_check_fails_on_an_entry_that_does_not_balance(
        self, env: dict[str, str], runtime: Runtime
    ) -> None:
        transfer = await deposit(runtime, await make_player(runtime), 1_000)
        await sql(runtime, "ALTER TABLE ledger_entries DISABLE TRIGGER ledger_entries_append_only")
        await sql(
            runtime,
            "UPDATE ledger_entries SET amount = amount + 1 WHERE transfer_id = :t AND amount < 0",
            t=transfer.id,
        )
        await sql(runtime, "ALTER TABLE ledger_entries ENABLE TRIGGER ledger_entries_append_only")

        result = await acroupier("ledger", "check", env=env)

        refused(result, "problem(s) in the books")
        assert f"transfer {transfer.id}: EUR entries sum to 1, not 0" in result.stdout

    async def test_check_fails_on_payment_records_that_disagree_with_the_ledger(
        self, env: dict[str, str], runtime: Runtime
    ) -> None:
        player = await make_player(runtime)
        await sql(
            runtime,
            "INSERT INTO player_debts (player_id, currency, outstanding, created_at, updated_at)"
            " VALUES (:p, 'EUR', 700, now(), now())",
            p=player,
        )

        result = await acroupier("ledger", "check", env=env)

        refused(result, "1 problem(s) in the books")
        assert "currency EUR: players owe 700 but the receivables account says 0" in result.stdout

    async def test_expire_holds_reports_how_many(self, env: dict[str, str]) -> None:
        assert succeeded(await acroupier("ledger", "expire-holds", env=env)) == "expired 0 hold(s)\n"
