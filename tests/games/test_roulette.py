"""European roulette: the layout's legal wagers, their pays, several wagers per spin, RTP 36/37."""

from __future__ import annotations

import contextlib
import itertools
import json
from fractions import Fraction

import pytest

from croupier.games.engines import roulette
from croupier.games.engines.roulette import RouletteBet, Wager, chosen, inside, outside
from croupier.games.errors import InvalidBet

from .stacked import draws


def spin(bet: RouletteBet, pocket: int) -> int:
    outcome = roulette.play(bet, draws([pocket], roulette.POCKETS))
    assert outcome.detail["pocket"] == pocket
    return outcome.payout


def candidates(kind: str) -> list[tuple[int, ...]]:
    if kind == "six_line":  # every pair of rows and every run of six numbers, not all 2.3M sets
        rows = [tuple(range(first, first + 3)) for first in range(1, 37, 3)]
        pairs = {a + b for a, b in itertools.combinations(rows, 2)}
        return sorted(pairs | {tuple(range(first, first + 6)) for first in range(32)})
    size = {"straight": 1, "split": 2, "street": 3, "corner": 4}[kind]
    return list(itertools.combinations(range(37), size))


def every_legal_wager() -> list[Wager]:
    """Brute force over number sets of each inside size, kept when the engine accepts them."""
    wagers = []
    for kind in ("straight", "split", "street", "corner", "six_line"):
        for numbers in candidates(kind):
            with contextlib.suppress(InvalidBet):
                wagers.append(inside(kind, numbers, 1))
    wagers += [chosen(kind, which, 1) for kind in ("dozen", "column") for which in (1, 2, 3)]
    wagers += [outside(kind, 1) for kind in ("red", "black", "odd", "even", "low", "high")]
    return wagers


def test_the_layout_has_the_standard_number_of_each_wager() -> None:
    counted = dict.fromkeys(roulette.KINDS, 0)
    for wager in every_legal_wager():
        counted[wager.kind] += 1
    assert counted == {
        "straight": 37,
        "split": 57 + 3,  # 24 across, 33 down, and 0-1, 0-2, 0-3
        "street": 12 + 2,  # the rows and the trios 0-1-2, 0-2-3
        "corner": 22 + 1,  # and 0-1-2-3
        "six_line": 11,
        "dozen": 3,
        "column": 3,
        "red": 1,
        "black": 1,
        "odd": 1,
        "even": 1,
        "low": 1,
        "high": 1,
    }


def test_every_legal_wager_returns_36_of_37() -> None:
    for wager in every_legal_wager():
        returned = sum(wager.payout(pocket) for pocket in range(37))
        assert Fraction(returned, 37 * wager.stake) == Fraction(36, 37), wager
        # The u32 mapping moves it by less than 1e-8.
        assert abs(roulette.exact_rtp(wager) - Fraction(36, 37)) < Fraction(1, 10**8)
    assert roulette.INFO.rtp == Fraction(36, 37)


@pytest.mark.parametrize(
    ("wager", "pocket", "payout"),
    [
        (inside("straight", [17], 10), 17, 360),  # 35:1
        (inside("straight", [0], 10), 0, 360),
        (inside("split", [20, 17], 10), 20, 180),  # 17:1, in any order
        (inside("street", [16, 17, 18], 10), 18, 120),  # 11:1
        (inside("corner", [17, 18, 20, 21], 10), 21, 90),  # 8:1
        (inside("corner", [0, 1, 2, 3], 10), 0, 90),
        (inside("six_line", [31, 32, 33, 34, 35, 36], 10), 31, 60),  # 5:1
        (chosen("dozen", 2, 10), 24, 30),  # 2:1
        (chosen("column", 1, 10), 34, 30),
        (outside("red", 10), 1, 20),  # 1:1
        (outside("black", 10), 2, 20),
        (outside("odd", 10), 35, 20),
        (outside("even", 10), 36, 20),
        (outside("low", 10), 18, 20),
        (outside("high", 10), 19, 20),
        (outside("high", 10), 18, 0),
        (inside("straight", [17], 10), 16, 0),
    ],
)
def test_pays(wager: Wager, pocket: int, payout: int) -> None:
    assert spin(RouletteBet((wager,)), pocket) == payout


@pytest.mark.parametrize("kind", ["red", "black", "odd", "even", "low", "high"])
def test_zero_loses_every_even_money_wager(kind: str) -> None:
    assert spin(RouletteBet((outside(kind, 10),)), 0) == 0


@pytest.mark.parametrize(
    ("kind", "numbers"),
    [
        ("straight", [37]),
        ("straight", [-1]),
        ("split", [3, 4]),  # end of one row, start of the next
        ("split", [1, 5]),  # diagonal
        ("split", [0, 4]),
        ("split", [17, 17]),
        ("street", [2, 3, 4]),
        ("street", [0, 1, 3]),
        ("corner", [3, 4, 6, 7]),  # wraps round the layout
        ("corner", [1, 2, 3, 4]),
        ("six_line", [1, 2, 3, 7, 8, 9]),
        ("six_line", [34, 35, 36, 1, 2, 3]),
        ("corner", [17, 18, 20]),
    ],
)
def test_number_sets_not_on_the_layout_are_refused(kind: str, numbers: list[int]) -> None:
    with pytest.raises(InvalidBet):
        inside(kind, numbers, 10)


def test_several_wagers_in_one_spin() -> None:
    bet = roulette.parse_bet(
        {
            "wagers": [
                {"kind": "straight", "numbers": [17], "stake": 5},
                {"kind": "split", "numbers": [17, 18], "stake": 10},
                {"kind": "dozen", "which": 2, "stake": 20},
                {"kind": "red", "stake": 50},
            ]
        }
    )
    assert bet.stake == 85
    outcome = roulette.play(bet, draws([17], roulette.POCKETS))
    assert outcome.payout == 5 * 36 + 10 * 18 + 20 * 3 + 0  # 17 is black, in the second dozen
    assert outcome.detail["color"] == "black"
    sent = json.loads(json.dumps(outcome.to_json()))
    assert [wager["payout"] for wager in sent["detail"]["wagers"]] == [180, 180, 60, 0]


@pytest.mark.parametrize(
    "bet",
    [
        {"wagers": []},
        {"wagers": [{"kind": "red", "stake": 1}] * (roulette.MAX_WAGERS + 1)},
        {"wagers": [{"kind": "orphelins", "stake": 1}]},
        {"wagers": [{"kind": "dozen", "which": 4, "stake": 1}]},
        {"wagers": [{"kind": "column", "which": True, "stake": 1}]},
        {"wagers": [{"kind": "red", "numbers": [1], "stake": 1}]},
        {"wagers": [{"kind": "straight", "numbers": [1], "stake": 0}]},
        {"wagers": [{"kind": "straight", "numbers": "17", "stake": 1}]},
        {"wagers": [{"kind": "straight", "stake": 1}]},
        {"wagers": {"kind": "red", "stake": 1}},
        {"wagers": [{"kind": "red", "stake": 1}], "extra": 1},
        {"wagers": [{"kind": "red", "stake": 10**14}, {"kind": "black", "stake": 10**14}]},
    ],
)
def test_malformed_bets_are_refused(bet: object) -> None:
    with pytest.raises(InvalidBet):
        roulette.parse_bet(bet)


def test_colours() -> None:
    assert roulette.color(0) == "green"
    assert {roulette.color(n) for n in roulette.RED} == {"red"}
    assert len(roulette.RED) == len(roulette.BLACK) == 18
    assert roulette.color(1) == "red"
    assert roulette.color(2) == "black"
