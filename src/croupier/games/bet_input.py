"""Reading a bet from its JSON form, refusing anything malformed with ``InvalidBet``.

The HTTP layer and the verifier both hand the engines plain mappings; these
helpers give every engine the same strict reading: no unknown keys, no booleans
passed off as numbers, no floats where an amount is expected.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal, InvalidOperation

from croupier.games.errors import InvalidBet

# A sanity bound, not a table limit (those are policy and live with the rounds):
# the largest multiplier of any game (9900x at dice) times this still fits a signed
# 64-bit column.
MAX_STAKE = 10**14


def require_mapping(data: object, what: str = "bet") -> Mapping[str, object]:
    if not isinstance(data, Mapping):
        raise InvalidBet(f"{what} must be an object")
    return data


def reject_unknown(data: Mapping[str, object], allowed: Sequence[str], what: str = "bet") -> None:
    unknown = sorted(str(key) for key in data if key not in allowed)
    if unknown:
        raise InvalidBet(f"{what} has unknown fields: {', '.join(unknown)}")


def integer(data: Mapping[str, object], key: str, what: str = "bet") -> int:
    value = data.get(key)
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidBet(f"{what}.{key} must be an integer")
    return value


def text(data: Mapping[str, object], key: str, what: str = "bet") -> str:
    value = data.get(key)
    if not isinstance(value, str):
        raise InvalidBet(f"{what}.{key} must be a string")
    return value


def integer_list(data: Mapping[str, object], key: str, what: str = "bet") -> tuple[int, ...]:
    value = data.get(key)
    if not isinstance(value, list | tuple) or not all(
        isinstance(item, int) and not isinstance(item, bool) for item in value
    ):
        raise InvalidBet(f"{what}.{key} must be a list of integers")
    return tuple(value)


def hundredths(data: Mapping[str, object], key: str, what: str = "bet") -> int:
    """A decimal with at most two places ("50.5", 50.5 or 50) as an integer of hundredths.

    A JSON number arrives as a float; its shortest decimal form is what the client
    wrote, so ``str`` recovers it exactly before any arithmetic.
    """
    value = data.get(key)
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise InvalidBet(f"{what}.{key} must be a decimal number")
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        raise InvalidBet(f"{what}.{key} must be a decimal number") from None
    if not number.is_finite():
        raise InvalidBet(f"{what}.{key} must be a decimal number")
    scaled = number * 100
    if scaled != scaled.to_integral_value():
        raise InvalidBet(f"{what}.{key} has more than two decimal places")
    return int(scaled)


def check_stake(stake: int, what: str = "stake") -> None:
    if isinstance(stake, bool) or not isinstance(stake, int):
        raise InvalidBet(f"{what} must be an integer amount of minor units")
    if not 0 < stake <= MAX_STAKE:
        raise InvalidBet(f"{what} must be between 1 and {MAX_STAKE} minor units")
