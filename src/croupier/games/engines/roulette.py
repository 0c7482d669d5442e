"""European roulette: one zero, 37 pockets, several wagers per spin.

- **Pocket**: ``floor(float * 37)`` (one float; Stake's mapping).
- **Wagers** and what they cover, on the usual layout of three columns
  (1-4-7..., 2-5-8..., 3-6-9...) and twelve rows (1-2-3, 4-5-6, ...):

  ============  =================================================  =====
  kind          numbers                                            pays
  ============  =================================================  =====
  straight      any one of 0-36                                    35:1
  split         two neighbours in a row or a column; 0-1, 0-2, 0-3 17:1
  street        a row; the trios 0-1-2 and 0-2-3                   11:1
  corner        four numbers meeting at a corner; 0-1-2-3          8:1
  six_line      two neighbouring rows                              5:1
  dozen         ``which`` 1 (1-12), 2 (13-24) or 3 (25-36)         2:1
  column        ``which`` 1 (1, 4, ... 34), 2 or 3                 2:1
  red, black,   18 numbers each; zero loses them all (no           1:1
  odd, even,    la partage, no en prison)
  low, high
  ============  =================================================  =====

  A wager covering n numbers returns ``stake * 36 / n`` when it wins, a whole
  number for every kind, so no rounding ever applies and the RTP of every wager
  is 36/37. (Counting the u32 values behind each pocket moves it by less than
  1e-8; ``exact_rtp`` gives that figure.)
- A spin takes 1 to ``MAX_WAGERS`` wagers; its stake is their sum.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

from croupier.games import bet_input
from croupier.games.errors import InvalidBet
from croupier.games.fairness import U32_SPACE, FloatSource, draw, preimages
from croupier.games.outcome import JSON, GameInfo, Outcome

CODE = "roulette"
POCKETS = 37
MAX_WAGERS = 50

INFO = GameInfo(
    code=CODE,
    name="European Roulette",
    rtp=Fraction(36, 37),
    rtp_is_exact=True,
    rtp_note="the same for every wager; counting the 32-bit draws behind each pocket moves it by less "
    "than 0.000001 %",
)

RED = frozenset({1, 3, 5, 7, 9, 12, 14, 16, 18, 19, 21, 23, 25, 27, 30, 32, 34, 36})
BLACK = frozenset(range(1, 37)) - RED


def _row(first: int) -> frozenset[int]:
    return frozenset({first, first + 1, first + 2})


# Inside wagers: every number set the layout allows, by kind.
_INSIDE: dict[str, frozenset[frozenset[int]]] = {
    "straight": frozenset(frozenset({n}) for n in range(POCKETS)),
    "split": frozenset(
        [frozenset({n, n + 1}) for n in range(1, 36) if n % 3 != 0]
        + [frozenset({n, n + 3}) for n in range(1, 34)]
        + [frozenset({0, n}) for n in (1, 2, 3)]
    ),
    "street": frozenset(
        [_row(first) for first in range(1, 37, 3)] + [frozenset({0, 1, 2}), frozenset({0, 2, 3})]
    ),
    "corner": frozenset(
        [frozenset({n, n + 1, n + 3, n + 4}) for n in range(1, 33) if n % 3 != 0] + [frozenset({0, 1, 2, 3})]
    ),
    "six_line": frozenset(_row(first) | _row(first + 3) for first in range(1, 34, 3)),
}

_OUTSIDE: dict[str, frozenset[int]] = {
    "red": RED,
    "black": BLACK,
    "odd": frozenset(range(1, 37, 2)),
    "even": frozenset(range(2, 37, 2)),
    "low": frozenset(range(1, 19)),
    "high": frozenset(range(19, 37)),
}

_CHOSEN: dict[str, tuple[frozenset[int], frozenset[int], frozenset[int]]] = {
    "dozen": (frozenset(range(1, 13)), frozenset(range(13, 25)), frozenset(range(25, 37))),
    "column": (frozenset(range(1, 37, 3)), frozenset(range(2, 37, 3)), frozenset(range(3, 37, 3))),
}

KINDS = (*_INSIDE, *_CHOSEN, *_OUTSIDE)


@dataclass(frozen=True)
class Wager:
    kind: str
    numbers: frozenset[int]
    stake: int

    def __post_init__(self) -> None:
        bet_input.check_stake(self.stake, f"{self.kind} stake")
        if self.kind in _INSIDE:
            if self.numbers not in _INSIDE[self.kind]:
                raise InvalidBet(f"{sorted(self.numbers)} is not a {self.kind} on the layout")
        elif self.kind in _CHOSEN:
            if self.numbers not in _CHOSEN[self.kind]:
                raise InvalidBet(f"not a {self.kind}")
        elif self.kind in _OUTSIDE:
            if self.numbers != _OUTSIDE[self.kind]:
                raise InvalidBet(f"{self.kind} covers fixed numbers")
        else:
            raise _unknown_kind(self.kind)

    @property
    def returns(self) -> int:
        """What a win pays back per unit staked, stake included (36 / numbers covered)."""
        return 36 // len(self.numbers)

    def payout(self, pocket: int) -> int:
        return self.stake * self.returns if pocket in self.numbers else 0


def inside(kind: str, numbers: list[int] | tuple[int, ...], stake: int) -> Wager:
    if len(set(numbers)) != len(numbers):
        raise InvalidBet("a number appears twice in the wager")
    return Wager(kind, frozenset(numbers), stake)


def _unknown_kind(kind: str) -> InvalidBet:
    return InvalidBet(f"unknown wager kind {kind!r}; the kinds are {', '.join(KINDS)}")


def chosen(kind: str, which: int, stake: int) -> Wager:
    if kind not in _CHOSEN:
        raise _unknown_kind(kind)
    if isinstance(which, bool) or which not in (1, 2, 3):
        raise InvalidBet(f"{kind} must be 1, 2 or 3")
    return Wager(kind, _CHOSEN[kind][which - 1], stake)


def outside(kind: str, stake: int) -> Wager:
    if kind not in _OUTSIDE:
        raise _unknown_kind(kind)
    return Wager(kind, _OUTSIDE[kind], stake)


@dataclass(frozen=True)
class RouletteBet:
    wagers: tuple[Wager, ...]

    def __post_init__(self) -> None:
        if not 1 <= len(self.wagers) <= MAX_WAGERS:
            raise InvalidBet(f"a spin takes 1 to {MAX_WAGERS} wagers")
        bet_input.check_stake(self.stake, "total stake")

    @property
    def stake(self) -> int:
        return sum(wager.stake for wager in self.wagers)


def parse_bet(data: object) -> RouletteBet:
    """``{"wagers": [{"kind": "split", "numbers": [17, 20], "stake": 100}, {"kind": "dozen",
    "which": 2, "stake": 50}, {"kind": "red", "stake": 10}]}``."""
    fields = bet_input.require_mapping(data)
    bet_input.reject_unknown(fields, ("wagers",))
    items = fields.get("wagers")
    if not isinstance(items, list | tuple):
        raise InvalidBet("bet.wagers must be a list")
    return RouletteBet(tuple(_parse_wager(item) for item in items))


def _parse_wager(item: object) -> Wager:
    fields = bet_input.require_mapping(item, "wager")
    kind = bet_input.text(fields, "kind", "wager")
    stake = bet_input.integer(fields, "stake", "wager")
    if kind in _INSIDE:
        bet_input.reject_unknown(fields, ("kind", "numbers", "stake"), "wager")
        return inside(kind, bet_input.integer_list(fields, "numbers", "wager"), stake)
    if kind in _CHOSEN:
        bet_input.reject_unknown(fields, ("kind", "which", "stake"), "wager")
        return chosen(kind, bet_input.integer(fields, "which", "wager"), stake)
    bet_input.reject_unknown(fields, ("kind", "stake"), "wager")
    return outside(kind, stake)


def spin(source: FloatSource) -> int:
    return draw(source, POCKETS)


def color(pocket: int) -> str:
    return "green" if pocket == 0 else "red" if pocket in RED else "black"


def play(bet: RouletteBet, source: FloatSource) -> Outcome:
    pocket = spin(source)
    wagers: list[JSON] = [
        {
            "kind": wager.kind,
            "numbers": sorted(wager.numbers),
            "stake": wager.stake,
            "payout": wager.payout(pocket),
        }
        for wager in bet.wagers
    ]
    detail: dict[str, JSON] = {"pocket": pocket, "color": color(pocket), "wagers": wagers}
    payout = sum(wager.payout(pocket) for wager in bet.wagers)
    return Outcome(game=CODE, stake=bet.stake, payout=payout, detail=detail)


def exact_rtp(wager: Wager) -> Fraction:
    """The wager's RTP counting, for each pocket, the u32 values that land on it."""
    values = sum(preimages(pocket, pocket + 1, POCKETS) for pocket in wager.numbers)
    return Fraction(values * wager.returns, U32_SPACE)
