"""Video slots: the machines in ``games/data/slots`` (see ``slot_machines`` for their rules).

- **Spin**: one float per reel, in reel order; reel i stops at
  ``floor(float * length of strip i)`` and shows that stop and the ones below it.
- **Bet**: a line bet in minor units on every payline of the machine, so the
  stake is ``line_bet * paylines``. Each winning line pays ``line_bet * multiple``;
  multiples are whole numbers, so payouts need no rounding.
- **RTP**: exact, from enumerating every combination of stops (``slot_math``).
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from functools import cache

from croupier.games import bet_input, slot_math
from croupier.games.errors import InvalidBet
from croupier.games.fairness import FloatSource, draw
from croupier.games.outcome import JSON, GameInfo, Outcome
from croupier.games.slot_machines import LineWin, Machine, bundled_machines

CODE = "slots"
MACHINES: dict[str, Machine] = bundled_machines()
DEFAULT_MACHINE = "classic"


@cache
def par_sheet(machine_code: str) -> slot_math.ParSheet:
    return slot_math.par_sheet(MACHINES[machine_code])


@cache
def machine_rtp(machine_code: str) -> Fraction:
    return slot_math.rtp(MACHINES[machine_code])


INFO = GameInfo(
    code=CODE,
    name="Slots",
    rtp=machine_rtp(DEFAULT_MACHINE),
    rtp_is_exact=True,
    rtp_note="per machine: "
    + ", ".join(f"{m.name} ({c}) {float(machine_rtp(c) * 100):.4f} %" for c, m in sorted(MACHINES.items())),
)


@dataclass(frozen=True)
class SlotsBet:
    machine: str
    line_bet: int

    def __post_init__(self) -> None:
        if self.machine not in MACHINES:
            known = ", ".join(sorted(MACHINES))
            raise InvalidBet(f"unknown machine {self.machine!r}; the machines are {known}")
        bet_input.check_stake(self.line_bet, "line bet")
        bet_input.check_stake(self.stake)

    @property
    def stake(self) -> int:
        return self.line_bet * len(MACHINES[self.machine].paylines)


@dataclass(frozen=True)
class Spin:
    stops: tuple[int, ...]
    window: tuple[tuple[str, ...], ...]  # reel by reel, top row first
    wins: tuple[LineWin, ...]

    @property
    def multiple(self) -> int:
        """The spin's total pay, in line bets."""
        return sum(win.multiple for win in self.wins)


def parse_bet(data: object) -> SlotsBet:
    """``{"machine": "classic", "line_bet": 10}``."""
    fields = bet_input.require_mapping(data)
    bet_input.reject_unknown(fields, ("machine", "line_bet"))
    return SlotsBet(machine=bet_input.text(fields, "machine"), line_bet=bet_input.integer(fields, "line_bet"))


def spin(machine: Machine, source: FloatSource) -> Spin:
    stops = tuple(draw(source, len(strip)) for strip in machine.reels)
    window = machine.window(stops)
    return Spin(stops=stops, window=window, wins=machine.line_wins(window))


def play(bet: SlotsBet, source: FloatSource) -> Outcome:
    result = spin(MACHINES[bet.machine], source)
    lines: list[JSON] = [
        {
            "line": win.line,
            "symbol": win.symbol,
            "count": win.count,
            "multiple": win.multiple,
            "payout": bet.line_bet * win.multiple,
        }
        for win in result.wins
    ]
    detail: dict[str, JSON] = {
        "machine": bet.machine,
        "line_bet": bet.line_bet,
        "stops": list(result.stops),
        "window": [list(reel) for reel in result.window],
        "lines": lines,
    }
    return Outcome(game=CODE, stake=bet.stake, payout=bet.line_bet * result.multiple, detail=detail)
