"""Hub88 amounts are integers in 1/100000 of the currency; the ledger's are minor units.

With EUR (exponent 2) one cent is 1000 Hub88 units, so a Hub88 amount that is
not a multiple of 1000 cannot be booked exactly and is refused, never rounded.
With BTC (exponent 8) one Hub88 unit is 1000 satoshi: every amount converts.
Balances reported back are rounded down, so a player is never shown money that
is not there.
"""

from __future__ import annotations

UNIT_EXPONENT = 5
_POWERS_OF_TEN: tuple[int, ...] = tuple(int(10**n) for n in range(UNIT_EXPONENT + 10))


def to_minor(amount: int, exponent: int) -> int | None:
    """``amount`` Hub88 units in minor units of a currency with ``exponent``; None if not exact."""
    if exponent >= UNIT_EXPONENT:
        return amount * _POWERS_OF_TEN[exponent - UNIT_EXPONENT]
    minor, rest = divmod(amount, _POWERS_OF_TEN[UNIT_EXPONENT - exponent])
    return None if rest else minor


def from_minor(minor: int, exponent: int) -> int:
    """``minor`` units in Hub88 units, rounded down when the currency is finer than 1/100000."""
    if exponent <= UNIT_EXPONENT:
        return minor * _POWERS_OF_TEN[UNIT_EXPONENT - exponent]
    return minor // _POWERS_OF_TEN[exponent - UNIT_EXPONENT]
