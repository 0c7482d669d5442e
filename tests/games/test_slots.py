"""Slots: machine files, line wins with a substituting wild, and the exact RTP enumeration."""

from __future__ import annotations

import itertools
import json
import math
from fractions import Fraction

import pytest

from croupier.games import slot_math
from croupier.games.engines import slots
from croupier.games.errors import InvalidBet
from croupier.games.slot_machines import LineWin, Machine, MachineDataError, load_machine

from .stacked import Stacked, draws, value_for

TINY = """
code = "tiny"
name = "Tiny"
rows = 3
wild = "W"
paylines = [[1, 1, 1, 1, 1], [0, 0, 0, 0, 0], [2, 2, 2, 2, 2], [0, 1, 2, 1, 0], [2, 1, 0, 1, 2]]
reels = [
    ["A", "W", "B", "C"],
    ["B", "A", "C", "W"],
    ["A", "C", "W", "B"],
    ["C", "A", "B", "A"],
    ["A", "B", "C", "W"],
]
[symbols]
W = "Wild"
A = "Ace"
B = "Bee"
C = "Sea"
[pays]
W = { 3 = 20, 4 = 50, 5 = 100 }
A = { 3 = 5, 4 = 10, 5 = 20 }
B = { 3 = 2, 4 = 4, 5 = 8 }
C = { 3 = 1, 4 = 2, 5 = 3 }
"""

# Reels of different lengths, two rows, and a pay for two of a kind.
ODD = """
code = "odd"
name = "Odd"
rows = 2
wild = "W"
paylines = [[0, 0, 0, 0, 0], [1, 1, 1, 1, 1], [0, 1, 0, 1, 0]]
reels = [
    ["A", "B", "W", "A"],
    ["B", "A", "A", "C", "W", "B", "C", "A"],
    ["W", "C"],
    ["A", "C", "B", "W"],
    ["C", "A", "B", "A"],
]
[symbols]
W = "Wild"
A = "Ace"
B = "Bee"
C = "Sea"
[pays]
W = { 4 = 40, 5 = 200 }
A = { 2 = 1, 3 = 4, 4 = 12, 5 = 30 }
B = { 3 = 3, 4 = 9, 5 = 25 }
C = { 3 = 2, 4 = 6, 5 = 15 }
"""


@pytest.fixture(scope="module")
def tiny() -> Machine:
    return load_machine(TINY)


@pytest.mark.parametrize(
    ("line", "win"),
    [
        ("A A A B C", ("A", 3, 5)),
        ("A A A A A", ("A", 5, 20)),
        ("W A A B C", ("A", 3, 5)),  # a leading wild stands in for the line's symbol
        ("A W A A C", ("A", 4, 10)),  # ... and so does one in the middle
        ("W W A A A", ("A", 5, 20)),
        ("B B W W A", ("B", 4, 4)),
        ("W W W A B", ("W", 3, 20)),  # three wilds pay more than four aces: the better pays, once
        ("W W W B C", ("W", 3, 20)),
        ("W W W W A", ("W", 4, 50)),
        ("W W W A A", ("A", 5, 20)),  # equal pays (three wilds, five aces): reported as the symbol's run
        ("W W W W W", ("W", 5, 100)),
        ("A B A A A", ("A", 1, 0)),  # runs start on the leftmost reel
        ("B A A A A", ("B", 1, 0)),
        ("W A B B B", ("A", 2, 0)),
        ("A A B A A", ("A", 2, 0)),
    ],
)
def test_line_pays_left_to_right_with_the_wild_substituting(
    tiny: Machine, line: str, win: tuple[str, int, int]
) -> None:
    assert tiny.line_pay(line.split()) == win


def test_the_window_is_the_stop_and_the_symbols_below_it_wrapping(tiny: Machine) -> None:
    spin = slots.spin(tiny, draws([0, 3, 2, 1, 3], 4))
    assert spin.stops == (0, 3, 2, 1, 3)
    assert spin.window == (
        ("A", "W", "B"),
        ("W", "B", "A"),  # stop 3 of 4 wraps round to the top of the strip
        ("W", "B", "A"),
        ("A", "B", "A"),
        ("W", "A", "B"),
    )


def test_several_lines_win_at_once_and_each_pays_its_line_bet_multiple(tiny: Machine) -> None:
    spin = slots.spin(tiny, draws([0, 3, 2, 1, 3], 4))
    # Top A W W A W: A x5. Middle W B B B A: B x4. Bottom B A A A B: B x1 (nothing).
    # V A B A B W: nothing. Inverted V B B W B W: B x5.
    assert spin.wins == (
        LineWin(line=0, symbol="B", count=4, multiple=4),
        LineWin(line=1, symbol="A", count=5, multiple=20),
        LineWin(line=4, symbol="B", count=5, multiple=8),
    )
    assert spin.multiple == 32


def brute_force(machine: Machine) -> tuple[Fraction, Fraction, Fraction]:
    """RTP, hit frequency and variance by playing every stop combination through the engine."""
    combinations = list(itertools.product(*(range(len(strip)) for strip in machine.reels)))
    lengths = [len(strip) for strip in machine.reels]
    staked = len(machine.paylines)
    returns = []
    for stops in combinations:
        source = Stacked(value_for(stop, length) for stop, length in zip(stops, lengths, strict=True))
        spin = slots.spin(machine, source)
        returns.append(Fraction(spin.multiple, staked))
    count = len(returns)
    mean = sum(returns, Fraction(0)) / count
    variance = sum(((value - mean) ** 2 for value in returns), Fraction(0)) / count
    hits = Fraction(sum(1 for value in returns if value), count)
    return mean, hits, variance


@pytest.mark.parametrize("text", [TINY, ODD])
def test_enumerated_figures_equal_playing_every_spin(text: str) -> None:
    machine = load_machine(text)
    mean, hits, variance = brute_force(machine)
    sheet = slot_math.par_sheet(machine)
    assert sheet.combinations == math.prod(len(strip) for strip in machine.reels) == 1024
    assert sheet.rtp == mean
    assert sheet.hit_frequency == hits
    assert sheet.variance == variance
    assert slot_math.rtp(machine) == mean


def test_classic_machine() -> None:
    machine = slots.MACHINES["classic"]
    assert machine.name == "Croupier Classic"
    assert len(machine.reels) == 5
    assert machine.rows == 3
    assert len(machine.paylines) == 10
    assert len(machine.symbols) == 8
    assert {len(strip) for strip in machine.reels} == {32}


def test_classic_machine_figures_are_pinned() -> None:
    """Changing a strip or a pay must be a deliberate, reviewed change of these figures."""
    sheet = slots.par_sheet("classic")
    assert sheet.combinations == 32**5
    assert sheet.rtp == Fraction(2017579, 2097152)  # 96.2057 %
    assert sheet.hit_frequency == Fraction(15899, 32768)  # 48.52 %
    assert sheet.variance == Fraction(762163594016111, 109951162777600)  # sd 2.63 stakes
    assert Fraction(94, 100) < sheet.rtp < Fraction(97, 100)
    assert slots.machine_rtp("classic") == sheet.rtp == slots.INFO.rtp


def test_bet_is_a_line_bet_on_every_line() -> None:
    bet = slots.parse_bet({"machine": "classic", "line_bet": 25})
    assert bet.stake == 250
    outcome = slots.play(bet, draws([0, 0, 0, 0, 0], 32))
    assert outcome.stake == 250
    sent = json.loads(json.dumps(outcome.to_json()))
    assert outcome.payout == 25 * sum(line["multiple"] for line in sent["detail"]["lines"])


@pytest.mark.parametrize(
    "bet",
    [
        {"machine": "nope", "line_bet": 1},
        {"machine": "classic", "line_bet": 0},
        {"machine": "classic", "line_bet": True},
        {"machine": "classic", "line_bet": 10**14},  # the stake, ten lines of it, is too large
        {"machine": "classic"},
        {"machine": "classic", "line_bet": 1, "lines": 5},
    ],
)
def test_malformed_bets_are_refused(bet: object) -> None:
    with pytest.raises(InvalidBet):
        slots.parse_bet(bet)


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        (('["A", "W", "B", "C"],', '["A", "W", "B"],'), "not a power of two"),
        (('["A", "W", "B", "C"],', '["A", "W", "B", "X"],'), "unknown symbols"),
        (('wild = "W"', 'wild = "X"'), "wild is not a symbol"),
        (("[2, 1, 0, 1, 2]]", "[2, 1, 0, 1, 3]]"), "bad row"),
        (("[2, 1, 0, 1, 2]]", "[2, 1, 0, 1]]"), "one row per reel"),
        (("[2, 1, 0, 1, 2]]", "[1, 1, 1, 1, 1]]"), "listed twice"),
        (("A = { 3 = 5, 4 = 10, 5 = 20 }", "A = { 3 = 5, 4 = 1, 5 = 20 }"), "must not fall"),
        (("A = { 3 = 5, 4 = 10, 5 = 20 }", "A = { 3 = 5, 6 = 10 }"), "runs must be"),
        (("A = { 3 = 5, 4 = 10, 5 = 20 }", "Z = { 3 = 5 }"), "unknown symbol"),
        (("rows = 3", "rows = 0"), "rows"),
        (('C = "Sea"', 'C = "Sea"\nD = "Dee"'), "symbols on no reel"),
        (('code = "tiny"', ""), "malformed"),
    ],
)
def test_broken_machine_files_are_refused(change: tuple[str, str], problem: str) -> None:
    old, new = change
    assert old in TINY
    with pytest.raises(MachineDataError, match=problem):
        load_machine(TINY.replace(old, new, 1))
