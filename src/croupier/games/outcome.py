"""What every engine declares about itself and what a finished round returns.

Amounts are integer minor units of the bet's currency. A payout is the whole
amount returned to the player (stake included), so a losing round pays 0 and
the player's net result is ``payout - stake``. Where a multiplier is not a whole
number the payout is rounded down to the minor unit (``floor_multiply``): the
player is never paid a fraction the casino cannot pay, and the rounding never
favours the player, so it can only lower the RTP by less than one minor unit
per round.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import TypeAlias

# Read-only container types, so that a list[int] or a dict[str, str] is JSON as it is.
JSON: TypeAlias = Mapping[str, "JSON"] | Sequence["JSON"] | str | int | float | bool | None


@dataclass(frozen=True)
class GameInfo:
    code: str
    name: str
    rtp: Fraction
    # False where the declared figure is an approximation (blackjack depends on
    # the player's decisions) or nominal (dice: see the engine's exact_rtp).
    rtp_is_exact: bool
    rtp_note: str

    @property
    def house_edge(self) -> Fraction:
        return 1 - self.rtp


@dataclass(frozen=True)
class Outcome:
    game: str
    stake: int
    payout: int
    detail: dict[str, JSON]

    @property
    def net(self) -> int:
        return self.payout - self.stake

    def to_json(self) -> dict[str, JSON]:
        return {"game": self.game, "stake": self.stake, "payout": self.payout, "detail": self.detail}


def floor_multiply(amount: int, multiplier: Fraction) -> int:
    """``floor(amount x multiplier)`` in exact integer arithmetic, never through a float."""
    return amount * multiplier.numerator // multiplier.denominator
