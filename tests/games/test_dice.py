"""Dice: the roll, the win rule at the target, Stake's chance and multiplier, limits and RTP."""

from __future__ import annotations

from fractions import Fraction

import pytest

from croupier.games.engines import dice
from croupier.games.engines.dice import DiceBet
from croupier.games.errors import InvalidBet

from .stacked import draws


def play(bet: DiceBet, roll: int) -> tuple[bool, int]:
    outcome = dice.play(bet, draws([roll], dice.ROLLS))
    assert outcome.detail["roll"] == f"{roll // 100}.{roll % 100:02d}"
    return bool(outcome.detail["win"]), outcome.payout


def test_the_roll_is_one_of_10001_hundredths() -> None:
    assert dice.roll(draws([0], 10001)) == 0
    assert dice.roll(draws([10000], 10001)) == 10000


def test_under_wins_strictly_below_the_target() -> None:
    bet = DiceBet(stake=100, target=5050, direction="under")
    assert play(bet, 5049) == (True, 196)  # 99 / 50.50 = 1.96039... shown and paid as 1.9603
    assert play(bet, 5050) == (False, 0)
    assert play(bet, 0) == (True, 196)


def test_over_wins_strictly_above_the_target() -> None:
    bet = DiceBet(stake=100, target=5050, direction="over")
    assert bet.chance == 4950
    assert play(bet, 5051) == (True, 200)  # 99 / 49.50 = 2
    assert play(bet, 5050) == (False, 0)
    assert play(bet, 10000) == (True, 200)


@pytest.mark.parametrize(
    ("direction", "target", "chance", "multiplier"),
    [
        ("under", 5000, "50.00", "1.9800"),
        ("over", 5000, "50.00", "1.9800"),
        ("under", 3300, "33.00", "3.0000"),
        ("under", 6666, "66.66", "1.4851"),  # 1.48514... rounded down
        ("under", 1, "0.01", "9900.0000"),
        ("over", 9999, "0.01", "9900.0000"),
        ("under", 9800, "98.00", "1.0102"),
        ("over", 200, "98.00", "1.0102"),
    ],
)
def test_chance_and_multiplier_as_shown(direction: str, target: int, chance: str, multiplier: str) -> None:
    bet = dice.parse_bet({"stake": 1, "target": target / 100, "direction": direction})
    detail = dice.play(bet, draws([0], dice.ROLLS)).detail
    assert (detail["chance"], detail["multiplier"]) == (chance, multiplier)


def test_the_limits_are_winnable_by_exactly_one_roll() -> None:
    assert play(DiceBet(1, 1, "under"), 0) == (True, 9900)
    assert play(DiceBet(1, 1, "under"), 1) == (False, 0)
    assert play(DiceBet(1, 9999, "over"), 10000) == (True, 9900)
    assert play(DiceBet(1, 9999, "over"), 9999) == (False, 0)


@pytest.mark.parametrize(
    ("direction", "target"),
    [("under", 0), ("under", 9801), ("over", 199), ("over", 10000), ("under", -5), ("over", 12000)],
)
def test_targets_outside_the_chance_limits_are_refused(direction: str, target: int) -> None:
    with pytest.raises(InvalidBet) as refused:
        DiceBet(stake=100, target=target, direction=direction)  # type: ignore[arg-type]
    assert refused.value.code == "invalid_bet"


def test_payout_is_stake_times_multiplier_rounded_down() -> None:
    assert play(DiceBet(stake=1, target=5000, direction="under"), 0)[1] == 1  # 1.98
    assert play(DiceBet(stake=3, target=5000, direction="under"), 0)[1] == 5  # 5.94
    assert play(DiceBet(stake=10_000, target=6666, direction="under"), 0)[1] == 14_851


def test_reading_a_bet_from_json() -> None:
    assert dice.parse_bet({"stake": 250, "target": 50.5, "direction": "over"}) == DiceBet(250, 5050, "over")
    assert dice.parse_bet({"stake": 250, "target": "2", "direction": "over"}) == DiceBet(250, 200, "over")
    assert dice.parse_bet({"stake": 250, "target": 98, "direction": "under"}) == DiceBet(250, 9800, "under")


@pytest.mark.parametrize(
    "bet",
    [
        {"stake": 100, "target": 50.505, "direction": "under"},
        {"stake": 100, "target": "NaN", "direction": "under"},
        {"stake": 100, "target": "fifty", "direction": "under"},
        {"stake": 100, "target": True, "direction": "under"},
        {"stake": 100, "target": 50, "direction": "sideways"},
        {"stake": 1.5, "target": 50, "direction": "under"},
        {"stake": True, "target": 50, "direction": "under"},
        {"stake": 0, "target": 50, "direction": "under"},
        {"stake": 10**15, "target": 50, "direction": "under"},
        {"stake": 100, "target": 50},
        {"stake": 100, "target": 50, "direction": "under", "auto": True},
        [100, 50, "under"],
    ],
)
def test_malformed_bets_are_refused(bet: object) -> None:
    with pytest.raises(InvalidBet):
        dice.parse_bet(bet)


def test_exact_rtp_counts_the_10001_rolls() -> None:
    # 50 under wins on 0.00-49.99: 5000 of the 10001 rolls, paid 1.98.
    bet = DiceBet(1, 5000, "under")
    assert dice.exact_rtp(bet) == pytest.approx(Fraction(5000, 10001) * Fraction(198, 100), rel=1e-8)
    assert dice.win_probability(bet) == pytest.approx(Fraction(5000, 10001), rel=1e-8)
    # Every roll's share of the 2**32 float values is 1/10001 within 1e-8 relative.
    assert dice.win_probability(DiceBet(1, 10000 - 1, "over")) == pytest.approx(1 / 10001, rel=1e-5)


def test_exact_rtp_of_every_legal_bet_is_just_under_99_percent() -> None:
    bets = [DiceBet(1, target, "under") for target in range(1, 9801)]
    bets += [DiceBet(1, target, "over") for target in range(200, 10000)]
    rtps = [dice.exact_rtp(bet) for bet in bets]
    assert Fraction(98980, 100000) < min(rtps)
    # Above 9900/10001 only by the rolls' unequal shares of the 2**32 values (< 10001 / 2**32).
    assert max(rtps) < Fraction(9900, 10001) * (1 + Fraction(10001, 2**32))
    assert dice.INFO.rtp == Fraction(99, 100)
    assert dice.INFO.house_edge == Fraction(1, 100)
