"""Slot machines as data: symbols, paytable, paylines and reel strips from a TOML file.

A machine file (see ``data/slots/``) holds::

    code = "classic"            # what a bet names
    name = "Croupier Classic"
    rows = 3                    # visible rows
    wild = "W"                  # the symbol that substitutes for every other
    paylines = [[1, 1, 1, 1, 1], ...]   # one row index per reel, top row 0
    reels = [["W", "7", ...], ...]      # one strip per reel
    [symbols]                   # id = display name
    [pays.<id>]                 # run length = multiple of the line bet

**Window.** A reel showing stop s shows strip[s], strip[s + 1], ... downwards,
wrapping round the end of the strip.

**Line wins** read from the leftmost reel: the line's symbol is the first symbol
that is not wild, and the run is how many reels from the left show it or a wild.
A line that starts with wilds could also pay as a run of wilds alone; the line
pays the better of the two, once. There are no scatters.

**Strip lengths are powers of two**, so ``floor(float * length)`` gives every stop
exactly the same number of the 2**32 float values and the enumerated RTP is the
true RTP rather than an approximation of it.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from importlib import resources
from types import MappingProxyType
from typing import Any

MACHINES_PACKAGE = "croupier.games.data.slots"


class MachineDataError(ValueError):
    """A machine file that does not describe a playable machine."""


@dataclass(frozen=True)
class LineWin:
    line: int  # index into the machine's paylines
    symbol: str
    count: int
    multiple: int  # of the line bet


@dataclass(frozen=True, eq=False)
class Machine:
    code: str
    name: str
    rows: int
    wild: str
    symbols: Mapping[str, str]
    pays: Mapping[str, Mapping[int, int]]
    paylines: tuple[tuple[int, ...], ...]
    reels: tuple[tuple[str, ...], ...]

    def __post_init__(self) -> None:
        _validate(self)

    def window(self, stops: Sequence[int]) -> tuple[tuple[str, ...], ...]:
        """The visible symbols, reel by reel, top row first."""
        return tuple(
            tuple(strip[(stop + row) % len(strip)] for row in range(self.rows))
            for strip, stop in zip(self.reels, stops, strict=True)
        )

    def pay(self, symbol: str, count: int) -> int:
        return self.pays.get(symbol, {}).get(count, 0)

    def line_pay(self, symbols: Sequence[str]) -> tuple[str, int, int]:
        """(symbol, run length, multiple) of the best win on one line; multiple 0 if none."""
        wild = self.wild
        wilds = 0
        while wilds < len(symbols) and symbols[wilds] == wild:
            wilds += 1
        if wilds == len(symbols):
            return wild, wilds, self.pay(wild, wilds)
        symbol = symbols[wilds]
        count = wilds + 1
        while count < len(symbols) and symbols[count] in (symbol, wild):
            count += 1
        as_symbol = self.pay(symbol, count)
        as_wilds = self.pay(wild, wilds)
        if as_wilds > as_symbol:
            return wild, wilds, as_wilds
        return symbol, count, as_symbol

    def line_wins(self, window: Sequence[Sequence[str]]) -> tuple[LineWin, ...]:
        wins = []
        for index, rows in enumerate(self.paylines):
            symbols = [reel[row] for reel, row in zip(window, rows, strict=True)]
            symbol, count, multiple = self.line_pay(symbols)
            if multiple:
                wins.append(LineWin(index, symbol, count, multiple))
        return tuple(wins)


def parse_machine(document: Mapping[str, Any]) -> Machine:
    """A machine from a parsed TOML document; ``MachineDataError`` if anything is off."""
    try:
        pays = {
            str(symbol): MappingProxyType({int(count): multiple for count, multiple in table.items()})
            for symbol, table in document["pays"].items()
        }
        return Machine(
            code=document["code"],
            name=document["name"],
            rows=document["rows"],
            wild=document["wild"],
            symbols=MappingProxyType(dict(document["symbols"])),
            pays=MappingProxyType(pays),
            paylines=tuple(tuple(line) for line in document["paylines"]),
            reels=tuple(tuple(strip) for strip in document["reels"]),
        )
    except MachineDataError:
        raise
    except (KeyError, TypeError, ValueError, AttributeError) as error:
        raise MachineDataError(f"malformed machine: {error!r}") from error


def load_machine(text: str) -> Machine:
    return parse_machine(tomllib.loads(text))


def bundled_machines() -> dict[str, Machine]:
    """Every machine shipped in ``croupier/games/data/slots``, by code."""
    machines: dict[str, Machine] = {}
    for entry in sorted(resources.files(MACHINES_PACKAGE).iterdir(), key=lambda item: item.name):
        if entry.name.endswith(".toml"):
            machine = load_machine(entry.read_text(encoding="utf-8"))
            if machine.code in machines:
                raise MachineDataError(f"two machine files use the code {machine.code!r}")
            machines[machine.code] = machine
    return machines


def _validate(machine: Machine) -> None:
    def check(condition: bool, problem: str) -> None:
        if not condition:
            raise MachineDataError(f"{machine.code or 'machine'}: {problem}")

    check(isinstance(machine.code, str) and machine.code.isidentifier(), "code must be an identifier")
    check(isinstance(machine.name, str) and bool(machine.name.strip()), "name is empty")
    check(_is_int(machine.rows) and machine.rows >= 1, "rows must be a positive integer")
    check(all(isinstance(name, str) for name in machine.symbols.values()), "symbol names must be strings")
    check(machine.wild in machine.symbols, "the wild is not a symbol")
    reels = len(machine.reels)
    check(reels >= 3, "a machine needs at least three reels")
    for index, strip in enumerate(machine.reels):
        length = len(strip)
        check(length >= machine.rows, f"reel {index + 1} is shorter than the window")
        check(length & (length - 1) == 0, f"reel {index + 1}: strip length {length} is not a power of two")
        unknown = sorted(set(strip) - set(machine.symbols))
        check(not unknown, f"reel {index + 1} has unknown symbols {unknown}")
    shown = set().union(*machine.reels)
    check(shown == set(machine.symbols), f"symbols on no reel: {sorted(set(machine.symbols) - shown)}")
    check(len(machine.paylines) >= 1, "no paylines")
    check(len(set(machine.paylines)) == len(machine.paylines), "a payline is listed twice")
    for number, line in enumerate(machine.paylines, start=1):
        check(len(line) == reels, f"payline {number} does not have one row per reel")
        check(all(_is_int(row) and 0 <= row < machine.rows for row in line), f"payline {number}: bad row")
    check(set(machine.pays) <= set(machine.symbols), "the paytable names an unknown symbol")
    check(bool(machine.pays), "the paytable is empty")
    for symbol, table in machine.pays.items():
        check(all(2 <= count <= reels for count in table), f"pays for {symbol}: runs must be 2-{reels} long")
        check(all(_is_int(multiple) and multiple > 0 for multiple in table.values()), f"pays for {symbol}")
        ordered = [table[count] for count in sorted(table)]
        check(ordered == sorted(ordered), f"pays for {symbol} must not fall as the run grows")


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)
