"""A stacked stream for tests: chosen draws instead of HMAC output.

``value_for(k, n)`` is the smallest u32 that an engine's ``floor(float * n)``
turns into k, so a test can say which pocket, stop or card comes next.
"""

from __future__ import annotations

from collections.abc import Iterable

from croupier.games import cards


def value_for(k: int, n: int) -> int:
    assert 0 <= k < n
    return -(-k * 2**32 // n)


class Stacked:
    def __init__(self, values: Iterable[int], position: int = 0) -> None:
        self._values = list(values)
        self._position = position

    @property
    def position(self) -> int:
        return self._position

    def next_u32(self) -> int:
        if self._position >= len(self._values):
            raise AssertionError("the engine drew more than the test stacked")
        value = self._values[self._position]
        self._position += 1
        return value


def draws(outcomes: Iterable[int], n: int) -> Stacked:
    """A stream whose draws among n outcomes are ``outcomes``, in order."""
    return Stacked(value_for(k, n) for k in outcomes)


def deck(*labels: str) -> Stacked:
    """A stream that deals these cards, in order ("AS", "10H", ...)."""
    return draws((cards.card(label) for label in labels), cards.DECK)
