"""A slot machine's exact figures (its PAR sheet), by enumerating every reel-stop combination.

There are ``prod(strip lengths)`` equally likely spins (tens of millions for a
real machine), too many to play one by one. Two facts make the enumeration
cheap and still exact:

- **Reels are independent**, and a line's pay is decided left to right. So the
  spins are walked reel by reel, keeping for each line only what matters for
  the rest of the spin (the symbol it is running on and how many leading wilds
  it had, or that it has already been paid). Spins that agree on that for every
  line are merged, with their count and the sums of their pays so far, which is
  all the mean and the variance need.
- **The RTP needs no joint walk at all**: every row of a reel shows each symbol
  as often as the strip holds it, so every payline has the same expected pay,
  that of a single line.

Figures are ``Fraction``s of integer counts: nothing is sampled or rounded.
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass
from fractions import Fraction

from croupier.games.slot_machines import Machine

# A line that has not been settled yet: the symbol its run is on (None while it
# has shown only wilds) and how many wilds it started with.
_Running = tuple[str | None, int]
_PAID = ("", -1)  # the line's run has ended and its pay is counted
_START: _Running = (None, 0)


@dataclass(frozen=True)
class ParSheet:
    combinations: int
    rtp: Fraction  # expected return per unit staked
    hit_frequency: Fraction  # share of spins that pay anything
    variance: Fraction  # of the return per unit staked, per spin

    @property
    def standard_deviation(self) -> float:
        return math.sqrt(self.variance)


def _settle(machine: Machine, state: _Running, count: int) -> int:
    symbol, wilds = state
    as_wilds = machine.pay(machine.wild, wilds)
    if symbol is None:
        return as_wilds
    return max(machine.pay(symbol, count), as_wilds)


def _advance(machine: Machine, state: _Running, symbol: str, reel: int) -> tuple[_Running, int]:
    """The line's state after reel ``reel`` (0-based) shows ``symbol``, and what it settled for."""
    if state == _PAID:
        return _PAID, 0
    running, wilds = state
    if running is None:
        return ((None, wilds + 1) if symbol == machine.wild else (symbol, wilds)), 0
    if symbol in (running, machine.wild):
        return state, 0
    return _PAID, _settle(machine, state, reel)


def rtp(machine: Machine) -> Fraction:
    """Expected return per unit staked: the expected multiple of one line."""
    states: Counter[_Running] = Counter({_START: 1})
    paid = 0
    for reel, strip in enumerate(machine.reels):
        shown = Counter(strip)
        # A line settled on this reel pays the same whatever the later reels show.
        later = math.prod(len(rest) for rest in machine.reels[reel + 1 :])
        following: Counter[_Running] = Counter()
        for state, ways in states.items():
            for symbol, times in shown.items():
                after, pay = _advance(machine, state, symbol, reel)
                paid += pay * ways * times * later
                if after != _PAID:
                    following[after] += ways * times
        states = following
    reels = len(machine.reels)
    paid += sum(_settle(machine, state, reels) * ways for state, ways in states.items())
    return Fraction(paid, math.prod(len(strip) for strip in machine.reels))


def par_sheet(machine: Machine) -> ParSheet:
    # Key: every line's state and whether the spin has paid yet. Value: how many
    # partial spins share it, and the sum and sum of squares of their pays so far.
    lines = machine.paylines
    walk: dict[tuple[tuple[_Running, ...], bool], tuple[int, int, int]] = {
        ((_START,) * len(lines), False): (1, 0, 0)
    }
    for reel, strip in enumerate(machine.reels):
        length = len(strip)
        windows = Counter(
            tuple(strip[(stop + row) % length] for row in range(machine.rows)) for stop in range(length)
        )
        steps: dict[tuple[_Running, str], tuple[_Running, int]] = {}
        following: dict[tuple[tuple[_Running, ...], bool], tuple[int, int, int]] = {}
        for (states, won), (ways, total, squares) in walk.items():
            for window, times in windows.items():
                after = []
                pay = 0
                for state, line in zip(states, lines, strict=True):
                    symbol = window[line[reel]]
                    step = steps.get((state, symbol))
                    if step is None:
                        step = steps[state, symbol] = _advance(machine, state, symbol, reel)
                    after.append(step[0])
                    pay += step[1]
                merged = (tuple(after), won or pay > 0)
                _merge(
                    following,
                    merged,
                    ways=ways * times,
                    total=total * times,
                    squares=squares * times,
                    pay=pay,
                )
        walk = following
    reels = len(machine.reels)
    combinations = math.prod(len(strip) for strip in machine.reels)
    hits = first = second = 0
    for (states, won), (ways, total, squares) in walk.items():
        pay = sum(_settle(machine, state, reels) for state in states if state != _PAID)
        first += total + pay * ways
        second += squares + 2 * pay * total + pay * pay * ways
        if won or pay > 0:
            hits += ways
    staked = len(lines)
    mean = Fraction(first, combinations)
    variance = Fraction(second, combinations) - mean * mean
    return ParSheet(
        combinations=combinations,
        rtp=mean / staked,
        hit_frequency=Fraction(hits, combinations),
        variance=variance / (staked * staked),
    )


def _merge(
    into: dict[tuple[tuple[_Running, ...], bool], tuple[int, int, int]],
    key: tuple[tuple[_Running, ...], bool],
    *,
    ways: int,
    total: int,
    squares: int,
    pay: int,
) -> None:
    # Adding ``pay`` to each of ``ways`` partial spins whose pays sum to ``total``
    # (and whose squares sum to ``squares``).
    added = (ways, total + pay * ways, squares + 2 * pay * total + pay * pay * ways)
    held = into.get(key)
    into[key] = added if held is None else (held[0] + added[0], held[1] + added[1], held[2] + added[2])
