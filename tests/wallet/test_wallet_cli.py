"""`croupier wallet adjust|balance` and `croupier ledger check|expire-holds`."""

from __future__ import annotations

import getpass
import uuid

from croupier.audit import service as audit
from croupier.audit.tags import AuditAction
from croupier.cli import command_line
from croupier.kit.runtime import Runtime
from croupier.wallet import service as wallet
from croupier.wallet.cli import app as wallet_app
from croupier.wallet.service import format_minor
from tests.mail.helpers import invoke
from tests.sql import sql
from tests.wallet.support import available, cash, deposit, later, make_player


async def adjustment_events(
    runtime: Runtime, player: uuid.UUID
) -> list[tuple[str, str | None, dict[str, object]]]:
    async with runtime.database.unit_of_work() as session:
        found = await audit.events(
            session, target_type="player", target_id=str(player), action=AuditAction.WALLET_ADJUST
        )
        return [(e.outcome, e.actor_id, e.details) for e in reversed(found)]


class TestAdjust:
    async def test_a_credit_is_posted_against_the_house_and_audited(self, runtime: Runtime) -> None:
        player = await make_player(runtime)

        result = await invoke(
            wallet_app,
            ["adjust", str(player), "1250", "eur", "--reason", "goodwill: ticket 42", "--key", "t42"],
            runtime.settings,
        )

        assert result.exit_code == 0, result.output
        assert f"credited 12.50 EUR {player}" in result.stdout
        assert "available 12.50 EUR" in result.stdout
        assert await available(runtime, player) == (1_250, 0)
        [(balance,)] = await sql(
            runtime, "SELECT balance FROM ledger_accounts WHERE code = 'house:adjustments:EUR'"
        )
        assert balance == -1_250
        [(outcome, actor, details)] = await adjustment_events(runtime, player)
        assert (outcome, actor) == ("success", getpass.getuser())
        assert details["amount"] == 1_250
        assert details["reason"] == "goodwill: ticket 42"
        assert details["replayed"] is False

    async def test_the_same_key_twice_adjusts_once(self, runtime: Runtime) -> None:
        player = await make_player(runtime)
        args = ["adjust", str(player), "500", "EUR", "--reason", "refund", "--key", "once"]

        await invoke(wallet_app, args, runtime.settings)
        again = await invoke(wallet_app, args, runtime.settings)

        assert again.exit_code == 0, again.output
        assert "already done with this key; nothing moved" in again.stdout
        assert await available(runtime, player) == (500, 0)

    async def test_a_debit_takes_a_negative_amount(self, runtime: Runtime) -> None:
        player = await make_player(runtime)
        await deposit(runtime, player, 1_000)

        result = await invoke(
            wallet_app,
            ["adjust", str(player), "-250", "EUR", "--reason", "duplicate deposit"],
            runtime.settings,
        )

        assert result.exit_code == 0, result.output
        assert "debited 2.50 EUR" in result.stdout
        assert await available(runtime, player) == (750, 0)

    async def test_a_debit_beyond_the_available_funds_is_refused_and_audited(self, runtime: Runtime) -> None:
        player = await make_player(runtime)
        await deposit(runtime, player, 100)

        result = await invoke(
            wallet_app, ["adjust", str(player), "-101", "EUR", "--reason", "clawback"], runtime.settings
        )

        assert result.exit_code == 1
        assert result.stderr == "croupier: Not enough available EUR funds; held funds cannot be spent.\n"
        assert await available(runtime, player) == (100, 0)
        [(outcome, _, details)] = await adjustment_events(runtime, player)
        assert outcome == "failure"
        assert details["error"] == "insufficient_funds"

    async def test_refusals(self, runtime: Runtime) -> None:
        player = await make_player(runtime)
        cases = {
            "'XYZ' is not a supported currency": ["adjust", str(player), "100", "XYZ", "--reason", "r"],
            "No such player": ["adjust", str(uuid.uuid4()), "100", "EUR", "--reason", "r"],
            "moves a non-zero amount": ["adjust", str(player), "0", "EUR", "--reason", "r"],
        }
        for reason, args in cases.items():
            result = await invoke(wallet_app, args, runtime.settings)
            assert result.exit_code == 1, (reason, result.output)
            assert result.stderr.startswith("croupier: ")
            assert reason in result.stderr

        blank = await invoke(
            wallet_app, ["adjust", str(player), "100", "EUR", "--reason", " "], runtime.settings
        )
        assert blank.exit_code == 2
        assert await sql(runtime, "SELECT id FROM ledger_transfers WHERE status = 'posted'") == []


class TestBalance:
    async def test_balances_are_printed_in_major_units(self, runtime: Runtime) -> None:
        player = await make_player(runtime)
        await deposit(runtime, player, 123_456, "EUR")
        await deposit(runtime, player, 9_000, "JPY")
        await deposit(runtime, player, 5, "BTC")

        result = await invoke(wallet_app, ["balance", str(player)], runtime.settings)

        assert result.exit_code == 0, result.output
        lines = result.stdout.splitlines()
        assert lines[1].split() == ["BTC", "0.00000005", "0.00000000", "0.00000000"]
        assert lines[2].split() == ["EUR", "1234.56", "0.00", "0.00"]
        assert lines[3].split() == ["JPY", "9000", "0", "0"]

    async def test_a_player_without_money(self, runtime: Runtime) -> None:
        player = await make_player(runtime)
        result = await invoke(wallet_app, ["balance", str(player)], runtime.settings)
        assert result.exit_code == 0
        assert "has no money" in result.stdout

    def test_minor_units_are_formatted_by_exponent(self) -> None:
        assert format_minor(5, 2) == "0.05"
        assert format_minor(-123_456, 2) == "-1234.56"
        assert format_minor(1, 3) == "0.001"
        assert format_minor(150_000_000, 8) == "1.50000000"
        assert format_minor(-7, 0) == "-7"


class TestLedgerCommands:
    async def test_check_says_ok_with_counts_then_names_problems(self, runtime: Runtime) -> None:
        player = await make_player(runtime)
        await deposit(runtime, player, 1_000)

        ok = await invoke(command_line(), ["ledger", "check"], runtime.settings)
        assert ok.exit_code == 0, ok.output
        assert ok.stdout.startswith(
            "OK: 2 accounts in 1 currencies, 1 transfers (0 failed attempts), 2 entries"
        )

        await sql(
            runtime, "UPDATE ledger_accounts SET balance = balance + 1 WHERE code = 'house:psp_clearing:EUR'"
        )
        broken = await invoke(command_line(), ["ledger", "check"], runtime.settings)

        assert broken.exit_code == 1
        assert "currency EUR: balances sum to 1, not 0" in broken.stdout
        assert "problem(s) in the books" in broken.stderr

    async def test_expire_holds_releases_lapsed_holds(self, runtime: Runtime) -> None:
        player = await make_player(runtime)
        await deposit(runtime, player, 1_000)
        async with runtime.database.unit_of_work() as session:
            await wallet.hold(
                session, source="t", key="a", account=cash(player), amount=100, expires_at=later()
            )
            await wallet.hold(
                session, source="t", key="b", account=cash(player), amount=100, expires_at=later()
            )
        await sql(
            runtime,
            "UPDATE ledger_holds SET expires_at = now() - interval '1 minute' WHERE idempotency_key = 'a'",
        )

        result = await invoke(command_line(), ["ledger", "expire-holds", "--batch", "1"], runtime.settings)

        assert result.exit_code == 0, result.output
        assert "expired 1 hold(s)" in result.stdout
        assert await available(runtime, player) == (900, 100)
