"""Card rules without a server: Luhn, brands, expiry, security codes, what each test card does."""

from __future__ import annotations

import pytest

from croupier.sandbox.psp import cards
from croupier.sandbox.psp.cards import CardError


@pytest.mark.parametrize(
    ("number", "brand"),
    [
        ("4242424242424242", "visa"),
        ("4000056655665556", "visa"),
        ("4222222222222", "visa"),  # 13 digits
        ("5555555555554444", "mastercard"),
        ("5105105105105100", "mastercard"),
        ("2223003122003222", "mastercard"),
        ("2720999999999996", "mastercard"),
        ("378282246310005", "amex"),
        ("371449635398431", "amex"),
        ("6011111111111117", "discover"),
        ("6500000000000002", "discover"),
        ("3530111333300000", "unknown"),  # JCB
        ("2220999999999991", "unknown"),  # just below the Mastercard 2-series
        ("6200000000000005", "unknown"),
    ],
)
def test_brand(number: str, brand: str) -> None:
    assert cards.normalize_number(number) == number
    assert cards.brand(number) == brand


@pytest.mark.parametrize("typed", ["4242 4242 4242 4242", "4242-4242-4242-4242", " 4242424242424242 "])
def test_spaces_and_dashes_are_ignored(typed: str) -> None:
    assert cards.normalize_number(typed) == "4242424242424242"


@pytest.mark.parametrize(
    "number",
    [
        "4242424242424241",  # Luhn fails
        "424242424242",  # 12 digits
        "42424242424242424242",  # 20 digits
        "4242x24242424242",
        "",
        "٤٢٤٢٤٢٤٢٤٢٤٢٤٢٤٢",  # non-ASCII digits
    ],
)
def test_invalid_numbers(number: str) -> None:
    with pytest.raises(CardError) as raised:
        cards.normalize_number(number)
    assert raised.value.code == "invalid_card_number"
    assert number not in raised.value.message or not number


@pytest.mark.parametrize("cvc", ["123", "1234"])
def test_good_cvc(cvc: str) -> None:
    cards.check_cvc(cvc)


@pytest.mark.parametrize("cvc", ["", "12", "12345", "12a", "١٢٣"])
def test_bad_cvc(cvc: str) -> None:
    with pytest.raises(CardError) as raised:
        cards.check_cvc(cvc)
    assert raised.value.code == "invalid_cvc"


def test_a_card_is_good_through_its_expiry_month() -> None:
    cards.check_expiry(5, 2030, today_month=5, today_year=2030)
    cards.check_expiry(1, 2031, today_month=12, today_year=2030)
    for month, year in [(4, 2030), (12, 2029)]:
        with pytest.raises(CardError) as raised:
            cards.check_expiry(month, year, today_month=5, today_year=2030)
        assert raised.value.code == "card_expired"


def test_test_card_behaviour() -> None:
    assert cards.requires_challenge(cards.CHALLENGE)
    assert not cards.requires_challenge(cards.VISA)
    assert cards.authorization_failure(cards.DECLINED) == "card_declined"
    assert cards.authorization_failure(cards.INSUFFICIENT_FUNDS) == "insufficient_funds"
    for good in (cards.VISA, cards.MASTERCARD, cards.AMEX, cards.PAYOUT_REJECTED, cards.CHALLENGE):
        assert cards.authorization_failure(good) is None
    assert cards.payout_failure(cards.PAYOUT_REJECTED) == "payout_rejected"
    assert cards.payout_failure(cards.VISA) is None
    for number in (cards.VISA, cards.MASTERCARD, cards.AMEX, cards.CHALLENGE, cards.DECLINED):
        assert cards.normalize_number(number) == number


def test_every_card_of_the_decline_range_is_declined_with_a_fingerprint_of_its_own() -> None:
    # 4000 00xx xxxx 0002, Luhn-valid: distinct cards, as card testing uses them.
    numbers = ["4000001234550002", "4000001234630002", "4000001234710002"]
    assert [cards.normalize_number(n) for n in numbers] == numbers
    assert {cards.authorization_failure(n) for n in numbers} == {"card_declined"}
    assert cards.authorization_failure("4000011234550002") is None
