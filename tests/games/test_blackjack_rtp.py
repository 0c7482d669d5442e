"""The declared blackjack RTP is what Croupier's rules return to a player of perfect basic strategy.

With an infinite deck every card has the same odds whatever was dealt before,
so the best play depends only on the hand's total (and whether it is soft) and
the dealer's up card, and the expected return can be computed exactly rather
than simulated: the dealer's final totals by recursion (standing on all 17s,
conditioned on no dealer blackjack, since the dealer peeks), then the player's
best choice among stand, hit, double and split at every decision. Splits follow
the engine's rules: double after split, aces once with one card each, other
pairs resplit up to four hands.
"""

from __future__ import annotations

from fractions import Fraction
from functools import cache

from croupier.games.engines import blackjack

# Card values with their odds: 2-9, the four ten-valued ranks, the ace as 11.
CARDS = {value: Fraction(1, 13) for value in range(2, 10)} | {10: Fraction(4, 13), 11: Fraction(1, 13)}
BUST = 22


def add(total: int, soft_aces: int, card: int) -> tuple[int, int]:
    total += card
    soft_aces += card == 11
    while total > 21 and soft_aces:
        total -= 10
        soft_aces -= 1
    return total, soft_aces


@cache
def dealer_finishes(total: int, soft_aces: int) -> dict[int, Fraction]:
    if total >= 17:  # soft 17 included
        return {min(total, BUST): Fraction(1)}
    finishes: dict[int, Fraction] = {}
    for card, odds in CARDS.items():
        for final, chance in dealer_finishes(*add(total, soft_aces, card)).items():
            finishes[final] = finishes.get(final, Fraction(0)) + odds * chance
    return finishes


@cache
def dealer(up: int) -> dict[int, Fraction]:
    """The dealer's final totals given the up card, knowing the hole card makes no blackjack."""
    holes = {card: odds for card, odds in CARDS.items() if up + card != 21}
    weight = sum(holes.values())
    finishes: dict[int, Fraction] = {}
    for hole, odds in holes.items():
        for final, chance in dealer_finishes(*add(*add(0, 0, up), hole)).items():
            finishes[final] = finishes.get(final, Fraction(0)) + odds / weight * chance
    return finishes


def stand(total: int, up: int) -> Fraction:
    if total > 21:
        return Fraction(-1)
    return sum(
        (
            chance * (1 if final == BUST or total > final else 0 if total == final else -1)
            for final, chance in dealer(up).items()
        ),
        Fraction(0),
    )


@cache
def hit(total: int, soft_aces: int, up: int) -> Fraction:
    value = Fraction(0)
    for card, odds in CARDS.items():
        after, soft = add(total, soft_aces, card)
        value += odds * (Fraction(-1) if after > 21 else max(stand(after, up), hit(after, soft, up)))
    return value


def double(total: int, soft_aces: int, up: int) -> Fraction:
    return 2 * sum(
        (odds * stand(add(total, soft_aces, card)[0], up) for card, odds in CARDS.items()), Fraction(0)
    )


def unsplit(first: int, second: int, up: int) -> Fraction:
    total, soft = add(*add(0, 0, first), second)
    return max(stand(total, up), hit(total, soft, up), double(total, soft, up))


@cache
def split(pair: int, up: int, waiting: int, hands: int) -> Fraction:
    """Expected return of ``waiting`` split hands still to get their second card, ``hands`` in all."""
    if waiting == 0:
        return Fraction(0)
    value = Fraction(0)
    for card, odds in CARDS.items():
        # Split aces take one card and stand.
        played = stand(add(11, 1, card)[0], up) if pair == 11 else unsplit(pair, card, up)
        best = played + split(pair, up, waiting - 1, hands)
        if card == pair != 11 and hands < blackjack.MAX_HANDS:
            best = max(best, split(pair, up, waiting + 1, hands + 1))
        value += odds * best
    return value


def basic_strategy_rtp() -> Fraction:
    expected = Fraction(0)
    for up, up_odds in CARDS.items():
        dealer_blackjack = CARDS[10] if up == 11 else CARDS[11] if up == 10 else Fraction(0)
        for first, first_odds in CARDS.items():
            for second, second_odds in CARDS.items():
                odds = up_odds * first_odds * second_odds
                if first + second == 21:  # pays 3:2 unless the dealer has one too
                    expected += odds * (1 - dealer_blackjack) * Fraction(3, 2)
                    continue
                best = unsplit(first, second, up)
                if first == second:
                    best = max(best, split(first, up, 2, 2))
                expected += odds * (-dealer_blackjack + (1 - dealer_blackjack) * best)
    return 1 + expected


def test_the_dealer_busts_as_published_for_an_infinite_deck() -> None:
    assert round(float(dealer(6)[BUST]), 4) == 0.4232


def test_declared_rtp_is_the_basic_strategy_return() -> None:
    computed = basic_strategy_rtp()
    assert abs(computed - blackjack.INFO.rtp) < Fraction(1, 10_000), float(computed)
    assert not blackjack.INFO.rtp_is_exact
