"""Card numbers: normalising, Luhn, brands, expiry, and what each test card does.

The behaviour of the test cards follows the numbers most providers document,
so that a developer's muscle memory works here too.
"""

from __future__ import annotations

from croupier.kit.scrub import luhn_valid

VISA = "4242424242424242"
MASTERCARD = "5555555555554444"
AMEX = "378282246310005"
CHALLENGE = "4000000000003220"
DECLINED = "4000000000000002"
INSUFFICIENT_FUNDS = "4000000000009995"
PAYOUT_REJECTED = "4000000000000341"

_AUTHORIZATION_FAILURES = {DECLINED: "card_declined", INSUFFICIENT_FUNDS: "insufficient_funds"}
_PAYOUT_FAILURES = {PAYOUT_REJECTED: "payout_rejected"}


class CardError(Exception):
    """The card data is unusable; ``code`` is the API's error code."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def normalize_number(raw: str) -> str:
    """The digits of ``raw`` without the spaces and dashes people type; raises CardError."""
    digits = raw.replace(" ", "").replace("-", "")
    if not (digits.isascii() and digits.isdigit() and 13 <= len(digits) <= 19 and luhn_valid(digits)):
        raise CardError("invalid_card_number", "The card number is not valid.")
    return digits


def check_cvc(cvc: str) -> None:
    if not (cvc.isascii() and cvc.isdigit() and 3 <= len(cvc) <= 4):
        raise CardError("invalid_cvc", "The security code must be 3 or 4 digits.")


def check_expiry(month: int, year: int, *, today_month: int, today_year: int) -> None:
    # A card is good until the last day of its expiry month.
    if (year, month) < (today_year, today_month):
        raise CardError("card_expired", "The card has expired.")


def brand(digits: str) -> str:
    if digits.startswith("4"):
        return "visa"
    if 51 <= int(digits[:2]) <= 55 or 2221 <= int(digits[:4]) <= 2720:
        return "mastercard"
    if digits.startswith(("34", "37")):
        return "amex"
    if digits.startswith(("6011", "65")):
        return "discover"
    return "unknown"


def requires_challenge(digits: str) -> bool:
    return digits == CHALLENGE


# Besides DECLINED itself, every number of this range is declined: card testing tries many
# distinct cards, each with a fingerprint of its own.
DECLINED_RANGE = ("400000", "0002")


def authorization_failure(digits: str) -> str | None:
    """The failure code an authorization on this card gets, or None when it succeeds."""
    first, last = DECLINED_RANGE
    if digits.startswith(first) and digits.endswith(last):
        return "card_declined"
    return _AUTHORIZATION_FAILURES.get(digits)


def payout_failure(digits: str) -> str | None:
    return _PAYOUT_FAILURES.get(digits)
