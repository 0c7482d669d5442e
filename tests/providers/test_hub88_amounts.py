"""Hub88 amounts are 1/100000 of the currency; the ledger keeps minor units of each currency's exponent.

An amount is taken only when it is a whole number of minor units; a balance
finer than Hub88's unit (BTC's satoshi) is reported rounded down.
"""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from croupier.providers.hub88.amounts import from_minor, to_minor
from tests.providers.support import UNIT, Studio


@pytest.mark.parametrize(
    ("amount", "exponent", "minor"),
    [
        (100_000, 2, 100),  # 1 EUR
        (1_000, 2, 1),  # 1 cent
        (123, 2, None),  # 0.00123 EUR
        (100_000, 0, 1),  # 1 JPY
        (50_000, 0, None),  # half a yen
        (100, 3, 1),  # 1 fils
        (10, 3, None),
        (1, 8, 1_000),  # 0.00001 BTC is 1000 satoshi
        (0, 2, 0),
    ],
)
def test_hub88_units_to_minor_units(amount: int, exponent: int, minor: int | None) -> None:
    assert to_minor(amount, exponent) == minor


def test_a_balance_finer_than_a_hub88_unit_is_rounded_down() -> None:
    assert from_minor(1_999, 8) == 1  # 1999 satoshi
    assert from_minor(999, 8) == 0
    assert from_minor(12_345, 2) == 12_345_000


@given(minor=st.integers(min_value=0, max_value=10**15), exponent=st.sampled_from([0, 2, 3, 8]))
def test_whatever_is_reported_converts_back_to_at_most_what_is_there(minor: int, exponent: int) -> None:
    back = to_minor(from_minor(minor, exponent), exponent)

    assert back is not None
    assert back <= minor
    if exponent <= 5:
        assert back == minor


@pytest.mark.parametrize(
    ("currency", "funds", "stake_and_payout", "cash_after"),
    [
        ("EUR", 10_000, (25 * UNIT // 10, 10 * UNIT), 10_000 - 250 + 1_000),  # cents
        ("JPY", 5_000, (300 * UNIT, 1_200 * UNIT), 5_000 - 300 + 1_200),  # yen
        ("KWD", 10_000, (1_250 * UNIT // 1000, 5 * UNIT), 10_000 - 1_250 + 5_000),  # fils
        ("BTC", 100_000_000, (1, 20), 100_000_000 - 1_000 + 20_000),  # satoshi
    ],
)
async def test_a_round_in_each_exponent(
    studio: Studio, currency: str, funds: int, stake_and_payout: tuple[int, int], cash_after: int
) -> None:
    stake, payout = stake_and_payout
    player = await studio.player(funds=funds, currency=currency)
    bet = studio.bet_body(player, stake)

    placed = await studio.post("transaction/bet", bet)
    won = await studio.win(player, payout, bet["transaction_uuid"])

    assert placed["status"] == won["status"] == "RS_OK"
    assert won["currency"] == currency
    assert await studio.cash(player) == cash_after
    assert won["balance"] == from_minor(cash_after, {"EUR": 2, "JPY": 0, "KWD": 3, "BTC": 8}[currency])
    await studio.books_balance()


async def test_an_amount_a_currency_cannot_hold_moves_nothing(studio: Studio) -> None:
    player = await studio.player(funds=5_000, currency="JPY")

    answer = await studio.bet(player, UNIT // 2)  # half a yen

    assert answer["status"] == "RS_ERROR_UNKNOWN"
    assert answer["balance"] == 5_000 * UNIT
    assert await studio.cash(player) == 5_000


async def test_a_btc_balance_is_reported_rounded_down(studio: Studio) -> None:
    player = await studio.player(funds=123_456_789, currency="BTC")  # 1.23456789 BTC

    answer = await studio.balance(player)

    assert answer["balance"] == 123_456  # 1.23456 BTC
