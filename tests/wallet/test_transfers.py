"""Transfers: balanced legs, supported currencies, players never below zero, locks, buckets."""

from __future__ import annotations

import asyncio
import uuid

import pytest
from sqlalchemy.exc import DBAPIError, IntegrityError

from croupier.kit.errors import NotFound
from croupier.kit.runtime import Runtime
from croupier.wallet import books
from croupier.wallet import service as wallet
from croupier.wallet.service import (
    REVENUE_BUCKETS,
    HouseBook,
    InsufficientFunds,
    InvalidAmount,
    Leg,
    UnbalancedTransfer,
    UnknownCurrency,
)
from tests.sql import sql
from tests.wallet.support import (
    available,
    bet,
    bonus,
    cash,
    deposit,
    house,
    key,
    make_player,
)


async def assert_books_balance(runtime: Runtime) -> None:
    async with runtime.database.unit_of_work() as session:
        assert await books.check_books(session) == []


class TestBalancedTransfers:
    async def test_a_deposit_and_a_bet_move_money_and_record_running_balances(self, runtime: Runtime) -> None:
        player = await make_player(runtime)

        first = await deposit(runtime, player, 10_000)
        await bet(runtime, player, 2_500)

        assert not first.replayed
        assert first.kind == "deposit"
        assert await available(runtime, player) == (7_500, 0)
        async with runtime.database.unit_of_work() as session:
            listed = await wallet.entries(session, player_id=player)
        assert [(e.kind, e.amount, e.balance_after) for e in listed] == [
            ("bet", -2_500, 7_500),
            ("deposit", 10_000, 10_000),
        ]
        [(revenue,)] = await sql(
            runtime, "SELECT sum(balance) FROM ledger_accounts WHERE code LIKE 'house:revenue:EUR:%'"
        )
        assert revenue == 2_500
        await assert_books_balance(runtime)

    @pytest.mark.parametrize(
        ("currency", "exponent", "amount"),
        [("JPY", 0, 5_000), ("EUR", 2, 1_999), ("KWD", 3, 12_345), ("BTC", 8, 150_000_000)],
    )
    async def test_currencies_of_every_exponent(
        self, runtime: Runtime, currency: str, exponent: int, amount: int
    ) -> None:
        player = await make_player(runtime)

        await deposit(runtime, player, amount, currency)
        await bet(runtime, player, 1, currency)

        async with runtime.database.unit_of_work() as session:
            assert await wallet.exponent(session, currency) == exponent
            [balance] = await wallet.balances(session, player_id=player)
        assert (balance.currency, balance.available, balance.held, balance.bonus) == (
            currency,
            amount - 1,
            0,
            0,
        )
        await assert_books_balance(runtime)

    async def test_every_seeded_currency_has_its_iso_exponent(self, runtime: Runtime) -> None:
        async with runtime.database.unit_of_work() as session:
            known = await wallet.exponents(session)
        assert known == {
            **dict.fromkeys(["EUR", "USD", "GBP", "CAD", "AUD", "SEK", "NOK", "CHF"], 2),
            **dict.fromkeys(["JPY", "KRW"], 0),
            **dict.fromkeys(["KWD", "BHD"], 3),
            **dict.fromkeys(["BTC", "LTC"], 8),
        }

    async def test_cash_and_bonus_are_separate_books(self, runtime: Runtime) -> None:
        player = await make_player(runtime)
        await deposit(runtime, player, 1_000)
        async with runtime.database.unit_of_work() as session:
            await wallet.transfer(
                session,
                source="test",
                key=key(),
                kind="bonus_grant",
                legs=[Leg(bonus(player), 300), Leg(house(HouseBook.ADJUSTMENTS), -300)],
            )
            [balance] = await wallet.balances(session, player_id=player)
        assert (balance.available, balance.bonus) == (1_000, 300)

    async def test_a_house_account_may_go_negative(self, runtime: Runtime) -> None:
        player = await make_player(runtime)

        async with runtime.database.unit_of_work() as session:
            await wallet.transfer(
                session,
                source="test",
                key=key(),
                kind="win",
                legs=[Leg(house(HouseBook.REVENUE), -700), Leg(cash(player), 700)],
            )

        [(revenue,)] = await sql(
            runtime, "SELECT sum(balance) FROM ledger_accounts WHERE code LIKE 'house:revenue:EUR:%'"
        )
        assert revenue == -700
        assert await available(runtime, player) == (700, 0)


class TestRefusedTransfers:
    @pytest.mark.parametrize(
        "amounts",
        [
            pytest.param([-100, 99], id="legs-do-not-sum-to-zero"),
            pytest.param([-100, 100, 0], id="a-zero-leg"),
            pytest.param([], id="no-legs"),
        ],
    )
    async def test_unbalanced_legs_are_refused(self, runtime: Runtime, amounts: list[int]) -> None:
        player = await make_player(runtime)
        await deposit(runtime, player, 1_000)
        accounts = [cash(player), house(HouseBook.REVENUE), house(HouseBook.FEES)]
        legs = [Leg(account, amount) for account, amount in zip(accounts, amounts, strict=False)]

        with pytest.raises(UnbalancedTransfer):
            async with runtime.database.unit_of_work() as session:
                await wallet.transfer(session, source="test", key=key(), kind="bet", legs=legs)

        assert await available(runtime, player) == (1_000, 0)
        [(count,)] = await sql(runtime, "SELECT count(*) FROM ledger_transfers")
        assert count == 1  # the deposit only

    async def test_legs_must_balance_in_each_currency_not_in_total(self, runtime: Runtime) -> None:
        player = await make_player(runtime)
        await deposit(runtime, player, 1_000)

        with pytest.raises(UnbalancedTransfer) as refused:
            async with runtime.database.unit_of_work() as session:
                await wallet.transfer(
                    session,
                    source="test",
                    key=key(),
                    kind="exchange",
                    legs=[Leg(cash(player, "EUR"), -100), Leg(house(HouseBook.REVENUE, "USD"), 100)],
                )
        assert refused.value.extra["currencies"] == ["EUR", "USD"]
        assert refused.value.status == 422

    @pytest.mark.parametrize("currency", ["XYZ", "eur", ""])
    async def test_unknown_currencies_are_refused(self, runtime: Runtime, currency: str) -> None:
        player = await make_player(runtime)

        with pytest.raises(UnknownCurrency) as refused:
            async with runtime.database.unit_of_work() as session:
                await wallet.transfer(
                    session,
                    source="test",
                    key=key(),
                    kind="deposit",
                    legs=[
                        Leg(cash(player, currency), 100),
                        Leg(house(HouseBook.PSP_CLEARING, currency), -100),
                    ],
                )
        assert refused.value.status == 422
        [(count,)] = await sql(runtime, "SELECT count(*) FROM ledger_accounts")
        assert count == 0

    async def test_a_player_cannot_go_below_zero(self, runtime: Runtime) -> None:
        player = await make_player(runtime)
        await deposit(runtime, player, 500)

        with pytest.raises(InsufficientFunds) as refused:
            await bet(runtime, player, 501)

        assert refused.value.status == 422
        assert refused.value.extra["currency"] == "EUR"
        assert await available(runtime, player) == (500, 0)
        [(status, error_code)] = await sql(
            runtime, "SELECT status, error_code FROM ledger_transfers WHERE kind = 'bet'"
        )
        assert (status, error_code) == ("failed", "insufficient_funds")
        await assert_books_balance(runtime)

    async def test_a_balance_beyond_the_bigint_range_is_refused_and_nothing_moves(
        self, runtime: Runtime
    ) -> None:
        player = await make_player(runtime)
        await deposit(runtime, player, 2**63 - 1)

        with pytest.raises(InvalidAmount):
            await deposit(runtime, player, 1)

        assert await available(runtime, player) == (2**63 - 1, 0)
        assert await sql(runtime, "SELECT count(*) FROM ledger_transfers") == [(1,)]
        await assert_books_balance(runtime)

    async def test_a_refused_transfer_leaves_the_rest_of_the_unit_of_work_usable(
        self, runtime: Runtime
    ) -> None:
        player = await make_player(runtime)
        await deposit(runtime, player, 500)

        async with runtime.database.unit_of_work() as session:
            with pytest.raises(InsufficientFunds):
                await wallet.transfer(
                    session,
                    source="test",
                    key=key(),
                    kind="bet",
                    legs=[Leg(cash(player), -900), Leg(house(HouseBook.REVENUE), 900)],
                )
            # The refusal wrote nothing (every check comes before the first write); the session carries on.
            await wallet.transfer(
                session,
                source="test",
                key=key(),
                kind="bet",
                legs=[Leg(cash(player), -200), Leg(house(HouseBook.REVENUE), 200)],
            )

        assert await available(runtime, player) == (300, 0)
        await assert_books_balance(runtime)

    async def test_accounts_are_created_on_first_use_and_only_for_real_players(
        self, runtime: Runtime
    ) -> None:
        player = await make_player(runtime)
        assert await sql(runtime, "SELECT code FROM ledger_accounts") == []

        await deposit(runtime, player, 100)

        codes = {code for (code,) in await sql(runtime, "SELECT code FROM ledger_accounts")}
        assert codes == {f"player:{player}:cash:EUR", "house:psp_clearing:EUR"}
        with pytest.raises(NotFound):
            await deposit(runtime, uuid.uuid4(), 100)


class TestDatabaseGuards:
    async def test_the_database_refuses_a_negative_player_balance_whatever_the_code_does(
        self, runtime: Runtime
    ) -> None:
        player = await make_player(runtime)
        await deposit(runtime, player, 100)
        code = f"player:{player}:cash:EUR"

        with pytest.raises(IntegrityError, match="ck_ledger_accounts_player_funds_non_negative"):
            await sql(runtime, "UPDATE ledger_accounts SET balance = -1 WHERE code = :code", code=code)
        with pytest.raises(IntegrityError, match="ck_ledger_accounts_player_funds_non_negative"):
            await sql(runtime, "UPDATE ledger_accounts SET held = 101 WHERE code = :code", code=code)
        # House accounts are not constrained: the house pays winners before it earns.
        await sql(runtime, "UPDATE ledger_accounts SET balance = -1 WHERE code = 'house:psp_clearing:EUR'")

    async def test_entries_cannot_be_changed_or_deleted(self, runtime: Runtime) -> None:
        player = await make_player(runtime)
        await deposit(runtime, player, 100)

        with pytest.raises(DBAPIError, match="append-only"):
            await sql(runtime, "UPDATE ledger_entries SET amount = amount * 2")
        with pytest.raises(DBAPIError, match="append-only"):
            await sql(runtime, "DELETE FROM ledger_entries")
        with pytest.raises(DBAPIError, match="append-only"):
            await sql(runtime, "TRUNCATE ledger_entries CASCADE")
        [(count,)] = await sql(runtime, "SELECT count(*) FROM ledger_entries")
        assert count == 2


class TestConcurrency:
    async def test_concurrent_bets_on_one_player_lose_no_update_and_never_overdraw(
        self, runtime: Runtime
    ) -> None:
        player = await make_player(runtime)
        await deposit(runtime, player, 1_000)

        outcomes = await asyncio.gather(
            *(bet(runtime, player, 100) for _ in range(14)), return_exceptions=True
        )

        won = [o for o in outcomes if isinstance(o, wallet.TransferResult)]
        refused = [o for o in outcomes if isinstance(o, InsufficientFunds)]
        assert (len(won), len(refused)) == (10, 4), outcomes
        assert await available(runtime, player) == (0, 0)
        await assert_books_balance(runtime)

    async def test_opposite_transfers_between_two_players_do_not_deadlock(self, runtime: Runtime) -> None:
        alice, bob = await make_player(runtime), await make_player(runtime)
        await deposit(runtime, alice, 10_000)
        await deposit(runtime, bob, 10_000)

        async def pay(payer: uuid.UUID, payee: uuid.UUID) -> None:
            async with runtime.database.unit_of_work() as session:
                await wallet.transfer(
                    session,
                    source="test",
                    key=key(),
                    kind="transfer",
                    legs=[Leg(cash(payer), -10), Leg(cash(payee), 9), Leg(house(HouseBook.FEES), 1)],
                )

        await asyncio.wait_for(
            asyncio.gather(*(pay(alice, bob) if i % 2 else pay(bob, alice) for i in range(30))), timeout=60
        )

        assert await available(runtime, alice) == (10_000 - 15, 0)
        assert await available(runtime, bob) == (10_000 - 15, 0)
        await assert_books_balance(runtime)

    async def test_revenue_is_spread_over_buckets(self, runtime: Runtime) -> None:
        player = await make_player(runtime)
        await deposit(runtime, player, 10_000)

        for _ in range(40):
            await bet(runtime, player, 10)

        rows = await sql(
            runtime, "SELECT code, balance FROM ledger_accounts WHERE code LIKE 'house:revenue:EUR:%'"
        )
        assert 1 < len(rows) <= REVENUE_BUCKETS
        assert sum(balance for _, balance in rows) == 400
        assert all(0 <= int(code.rsplit(":", 1)[1]) < REVENUE_BUCKETS for code, _ in rows)
