"""Dice: a roll from 0.00 to 100.00; the player wins under or over a target.

- **Roll**: ``floor(float * 10001)`` hundredths, 0 to 10000 (one float; Stake's
  mapping). It is kept as an integer of hundredths, never as a float.
- **Win**: ``under`` wins when roll < target, ``over`` when roll > target; a roll
  equal to the target loses.
- **Chance and multiplier, as Stake shows them**: the win chance is the target
  (under) or 100 - target (over), in percent with two decimals; the multiplier
  is ``(100 - 1) / chance``, the 1 % house edge, rounded *down* to four decimals.
  The payout is ``floor(stake * multiplier)``.
- **Limits**: the chance must lie between 0.01 % and 98 %: targets 0.01-98.00
  under and 2.00-99.99 over. The highest multiplier is therefore 9900.
- **Exact RTP**: the roll has 10001 values but the chance is shown out of 10000,
  so a bet wins chance x 10000/10001 of the time and returns 9900/10001 = 98.990 %
  of its stake; the multiplier's rounding takes up to 0.01 % more. ``exact_rtp``
  gives a bet's figure (98.980-98.990 % over all targets), counting the u32
  values behind each roll.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from typing import Literal

from croupier.games import bet_input
from croupier.games.errors import InvalidBet
from croupier.games.fairness import U32_SPACE, FloatSource, draw, preimages
from croupier.games.outcome import JSON, GameInfo, Outcome, floor_multiply

CODE = "dice"
ROLLS = 10001  # 0.00 ... 100.00
MIN_CHANCE = 1  # 0.01 %, in hundredths of a percent
MAX_CHANCE = 9800  # 98.00 %
RETURN_PERCENT = 99  # 100 % less the 1 % house edge

INFO = GameInfo(
    code=CODE,
    name="Dice",
    rtp=Fraction(RETURN_PERCENT, 100),
    rtp_is_exact=False,
    rtp_note="nominal: a 1 % edge on the chance shown; over the 10001 possible rolls a bet's exact RTP "
    "is 98.980-98.990 %",
)

Direction = Literal["under", "over"]


@dataclass(frozen=True)
class DiceBet:
    stake: int
    target: int  # hundredths: 5050 is 50.50
    direction: Direction

    def __post_init__(self) -> None:
        bet_input.check_stake(self.stake)
        if self.direction not in ("under", "over"):
            raise InvalidBet('direction must be "under" or "over"')
        if isinstance(self.target, bool) or not isinstance(self.target, int):
            raise InvalidBet("target must be an integer of hundredths")
        if not MIN_CHANCE <= self.chance <= MAX_CHANCE:
            low, high = (MIN_CHANCE, MAX_CHANCE) if self.direction == "under" else (200, 9999)
            raise InvalidBet(
                f"target for {self.direction} must be between {_hundredths(low)} and {_hundredths(high)}"
            )

    @property
    def chance(self) -> int:
        """The win chance shown to the player, in hundredths of a percent."""
        return self.target if self.direction == "under" else 10000 - self.target

    @property
    def multiplier(self) -> Fraction:
        return Fraction(RETURN_PERCENT * 100 * 10000 // self.chance, 10000)

    def wins(self, roll: int) -> bool:
        return roll < self.target if self.direction == "under" else roll > self.target


def parse_bet(data: object) -> DiceBet:
    fields = bet_input.require_mapping(data)
    bet_input.reject_unknown(fields, ("stake", "target", "direction"))
    direction = bet_input.text(fields, "direction")
    if direction not in ("under", "over"):
        raise InvalidBet('bet.direction must be "under" or "over"')
    return DiceBet(
        stake=bet_input.integer(fields, "stake"),
        target=bet_input.hundredths(fields, "target"),
        direction="under" if direction == "under" else "over",
    )


def roll(source: FloatSource) -> int:
    """The roll in hundredths, 0 to 10000."""
    return draw(source, ROLLS)


def play(bet: DiceBet, source: FloatSource) -> Outcome:
    result = roll(source)
    won = bet.wins(result)
    payout = floor_multiply(bet.stake, bet.multiplier) if won else 0
    detail: dict[str, JSON] = {
        "roll": _hundredths(result),
        "target": _hundredths(bet.target),
        "direction": bet.direction,
        "chance": _hundredths(bet.chance),
        "multiplier": _multiplier(bet.multiplier),
        "win": won,
    }
    return Outcome(game=CODE, stake=bet.stake, payout=payout, detail=detail)


def win_probability(bet: DiceBet) -> Fraction:
    """Exact, over the 2**32 float values (each roll has 429 437 or 429 438 of them)."""
    low, high = (0, bet.target) if bet.direction == "under" else (bet.target + 1, ROLLS)
    return Fraction(preimages(low, high, ROLLS), U32_SPACE)


def exact_rtp(bet: DiceBet) -> Fraction:
    """Expected payout per unit staked, before the payout's rounding to a minor unit."""
    return win_probability(bet) * bet.multiplier


def _hundredths(value: int) -> str:
    return f"{value // 100}.{value % 100:02d}"


def _multiplier(value: Fraction) -> str:
    ten_thousandths = value.numerator * 10000 // value.denominator
    return f"{ten_thousandths // 10000}.{ten_thousandths % 10000:04d}"
