"""Playing cards dealt from an infinite deck: each card is ``floor(float * 52)``.

The 52 indices follow Stake's published card order, so third-party verifiers
show the same cards: ranks from 2 up to the ace, and within a rank the suits
diamonds, hearts, spades, clubs. Index i is rank ``i // 4``, suit ``i % 4``
(0 is the two of diamonds, 51 the ace of clubs).

An infinite deck (every card drawn independently) means no shoe to shuffle,
store or count, and every round can be verified on its own.
"""

from __future__ import annotations

from croupier.games.fairness import FloatSource, draw

DECK = 52
RANKS = ("2", "3", "4", "5", "6", "7", "8", "9", "10", "J", "Q", "K", "A")
SUITS = ("D", "H", "S", "C")  # diamonds, hearts, spades, clubs


def deal(source: FloatSource) -> int:
    return draw(source, DECK)


def rank(card: int) -> str:
    return RANKS[card // 4]


def suit(card: int) -> str:
    return SUITS[card % 4]


def label(card: int) -> str:
    """``"QD"`` for the queen of diamonds, ``"10S"`` for the ten of spades."""
    return rank(card) + suit(card)


def card(label_text: str) -> int:
    """The index of a card given by its label (the inverse of ``label``)."""
    return RANKS.index(label_text[:-1]) * 4 + SUITS.index(label_text[-1])
