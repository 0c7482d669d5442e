"""Blackjack, as a state machine the HTTP layer can store between requests.

Rules:

- **Deck**: infinite; every card is ``floor(float * 52)`` in Stake's card order
  (``games.cards``).
- **Deal**: player, dealer (up card), player, dealer (hole card), then the cards
  each action needs, in the order they are needed, then the dealer's draws. The
  next card of the round is always the next float of the bet's stream, so a round
  is reproducible from its seeds, nonce and the player's actions.
- **Naturals**: the dealer checks the hole card at once (peek), so a dealer
  blackjack ends the round before the player acts and costs only the original
  stake. A player blackjack pays 3:2, rounded down to the minor unit
  (``floor(stake * 5 / 2)`` back), and pushes against a dealer blackjack. No
  insurance and no even money are offered.
- **Player**: hit, stand, double (on the first two cards of any hand, also after
  a split: one more card, then the hand stands) and split (two cards of the same
  rank, so a king and a queen cannot be split; up to ``MAX_HANDS`` hands). Split
  aces take one card each and stand; they cannot be split again. A split hand's
  21 is not a blackjack. A hand that reaches 21 stands by itself. No surrender.
- **Dealer**: draws to 17 and stands on every 17, soft 17 included. When every
  player hand has busted the dealer does not draw.
- **RTP**: 99.49 % (house edge 0.51 %) for a player of perfect basic strategy,
  computed exactly for the infinite deck in ``tests/games/test_blackjack_rtp.py``
  (99.4883 %); players who stray from it get less. It depends on the player's
  choices, so it is declared as an approximation.

Money: ``additional_stake(state, action)`` is what the wallet must take before a
double or a split is applied (the acting hand's stake); ``settle`` gives every
hand's return and the total staked.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from fractions import Fraction
from typing import Literal

from croupier.games import bet_input, cards
from croupier.games.errors import InvalidAction
from croupier.games.fairness import FloatSource
from croupier.games.outcome import JSON, GameInfo, Outcome, floor_multiply

CODE = "blackjack"
MAX_HANDS = 4
STATE_VERSION = 1
BLACKJACK_RETURN = Fraction(5, 2)  # stake back plus 3:2

INFO = GameInfo(
    code=CODE,
    name="Blackjack",
    rtp=Fraction(9949, 10000),
    rtp_is_exact=False,
    rtp_note="with perfect basic strategy (99.4883 %): infinite deck, S17, DAS, 4 hands, peek, 3:2",
)

Action = Literal["hit", "stand", "double", "split"]
ACTIONS: tuple[Action, ...] = ("hit", "stand", "double", "split")


@dataclass(frozen=True)
class BlackjackBet:
    stake: int

    def __post_init__(self) -> None:
        bet_input.check_stake(self.stake)


def parse_bet(data: object) -> BlackjackBet:
    """``{"stake": 100}``."""
    fields = bet_input.require_mapping(data)
    bet_input.reject_unknown(fields, ("stake",))
    return BlackjackBet(stake=bet_input.integer(fields, "stake"))


def points(hand_cards: tuple[int, ...]) -> tuple[int, bool]:
    """The best total of the cards and whether it is soft (an ace counted as 11)."""
    total = 0
    aces = 0
    for card in hand_cards:
        rank = cards.rank(card)
        if rank == "A":
            aces += 1
            total += 1
        else:
            total += 10 if rank in ("10", "J", "Q", "K") else int(rank)
    if aces and total + 10 <= 21:
        return total + 10, True
    return total, False


def is_natural(hand_cards: tuple[int, ...]) -> bool:
    return len(hand_cards) == 2 and points(hand_cards)[0] == 21


@dataclass(frozen=True)
class Hand:
    cards: tuple[int, ...]
    stake: int
    doubled: bool = False
    from_split: bool = False
    done: bool = False  # takes no more actions

    @property
    def total(self) -> int:
        return points(self.cards)[0]

    @property
    def busted(self) -> bool:
        return self.total > 21

    @property
    def blackjack(self) -> bool:
        return not self.from_split and is_natural(self.cards)


@dataclass(frozen=True)
class BlackjackState:
    """A round in play or finished; immutable, and stored as ``to_json()`` between requests."""

    stake: int  # the opening stake, before any double or split
    hands: tuple[Hand, ...]
    dealer: tuple[int, ...]  # up card, hole card, then the dealer's draws
    active: int  # the hand to act on; len(hands) once the player is done
    position: int  # floats of the bet's stream used so far
    finished: bool

    @property
    def total_stake(self) -> int:
        return sum(hand.stake for hand in self.hands)

    @property
    def extra_stake(self) -> int:
        """What doubles and splits have added to the opening stake so far."""
        return self.total_stake - self.stake

    def legal_actions(self) -> tuple[Action, ...]:
        if self.finished or self.active >= len(self.hands):
            return ()
        hand = self.hands[self.active]
        legal: list[Action] = ["hit", "stand"]
        if len(hand.cards) == 2:
            legal.append("double")
            if cards.rank(hand.cards[0]) == cards.rank(hand.cards[1]) and len(self.hands) < MAX_HANDS:
                legal.append("split")
        return tuple(legal)

    def to_json(self) -> dict[str, JSON]:
        hands: list[JSON] = [
            {
                "cards": list(hand.cards),
                "stake": hand.stake,
                "doubled": hand.doubled,
                "from_split": hand.from_split,
                "done": hand.done,
            }
            for hand in self.hands
        ]
        return {
            "version": STATE_VERSION,
            "stake": self.stake,
            "hands": hands,
            "dealer": list(self.dealer),
            "active": self.active,
            "position": self.position,
            "finished": self.finished,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, object]) -> BlackjackState:
        """The inverse of ``to_json``; ``ValueError`` for anything that is not a state it wrote."""
        try:
            if data["version"] != STATE_VERSION:
                raise ValueError(f"unknown blackjack state version {data['version']!r}")
            hands_data = data["hands"]
            if not isinstance(hands_data, list) or not 1 <= len(hands_data) <= MAX_HANDS:
                raise ValueError("hands must be a list of 1 to 4 hands")
            hands = tuple(
                Hand(
                    cards=_cards(hand["cards"]),
                    stake=_integer(hand["stake"], 1),
                    doubled=_flag(hand["doubled"]),
                    from_split=_flag(hand["from_split"]),
                    done=_flag(hand["done"]),
                )
                for hand in hands_data
            )
            state = cls(
                stake=_integer(data["stake"], 1),
                hands=hands,
                dealer=_cards(data["dealer"]),
                active=_integer(data["active"], 0),
                position=_integer(data["position"], 0),
                finished=_flag(data["finished"]),
            )
        except (KeyError, TypeError) as error:
            raise ValueError(f"malformed blackjack state: {error!r}") from error
        if state.active > len(state.hands) or len(state.dealer) < 2:
            raise ValueError("inconsistent blackjack state")
        return state


def start(bet: BlackjackBet, source: FloatSource) -> BlackjackState:
    """Deal a new round from the start of the bet's stream."""
    if source.position != 0:
        raise ValueError("a round starts at the beginning of its bet's stream")
    first, up, second, hole = (cards.deal(source) for _ in range(4))
    hand = Hand(cards=(first, second), stake=bet.stake)
    dealer = (up, hole)
    if is_natural(hand.cards) or is_natural(dealer):
        # The dealer peeks: either natural ends the round before the player acts.
        return BlackjackState(bet.stake, (replace(hand, done=True),), dealer, 1, source.position, True)
    return BlackjackState(bet.stake, (hand,), dealer, 0, source.position, False)


def additional_stake(state: BlackjackState, action: str) -> int:
    """What the wallet must take for ``action`` before it is applied: 0 for hit and stand."""
    _check_legal(state, action)
    return state.hands[state.active].stake if action in ("double", "split") else 0


def act(state: BlackjackState, action: str, source: FloatSource) -> BlackjackState:
    _check_legal(state, action)
    if source.position != state.position:
        raise ValueError(f"the stream is at {source.position}, the round at {state.position}")
    hands = list(state.hands)
    hand = hands[state.active]
    if action == "hit":
        drawn = (*hand.cards, cards.deal(source))
        hands[state.active] = replace(hand, cards=drawn, done=points(drawn)[0] >= 21)
    elif action == "stand":
        hands[state.active] = replace(hand, done=True)
    elif action == "double":
        drawn = (*hand.cards, cards.deal(source))
        hands[state.active] = replace(hand, cards=drawn, stake=hand.stake * 2, doubled=True, done=True)
    else:
        left, right = (Hand(cards=(card,), stake=hand.stake, from_split=True) for card in hand.cards)
        hands[state.active : state.active + 1] = [left, right]
    return _advance(replace(state, hands=tuple(hands)), source)


@dataclass(frozen=True)
class HandResult:
    stake: int
    payout: int
    result: Literal["blackjack", "win", "push", "lose", "bust"]


@dataclass(frozen=True)
class Settlement:
    hands: tuple[HandResult, ...]

    @property
    def stake(self) -> int:
        """Everything staked on the round, doubles and splits included."""
        return sum(hand.stake for hand in self.hands)

    @property
    def payout(self) -> int:
        return sum(hand.payout for hand in self.hands)


def settle(state: BlackjackState) -> Settlement:
    if not state.finished:
        raise InvalidAction("the round is not finished")
    dealer_total = points(state.dealer)[0]
    dealer_natural = is_natural(state.dealer)
    return Settlement(tuple(_settle_hand(hand, dealer_total, dealer_natural) for hand in state.hands))


def outcome(state: BlackjackState) -> Outcome:
    settlement = settle(state)
    hands: list[JSON] = [
        {
            "cards": [cards.label(card) for card in hand.cards],
            "total": hand.total,
            "stake": result.stake,
            "payout": result.payout,
            "result": result.result,
            "doubled": hand.doubled,
        }
        for hand, result in zip(state.hands, settlement.hands, strict=True)
    ]
    detail: dict[str, JSON] = {
        "dealer": {"cards": [cards.label(card) for card in state.dealer], "total": points(state.dealer)[0]},
        "hands": hands,
    }
    return Outcome(game=CODE, stake=settlement.stake, payout=settlement.payout, detail=detail)


def public_view(state: BlackjackState) -> dict[str, JSON]:
    """What the player may see: the hole card stays face down until the round is over."""
    dealer = state.dealer if state.finished else state.dealer[:1]
    hands: list[JSON] = [
        {
            "cards": [cards.label(card) for card in hand.cards],
            "total": hand.total,
            "stake": hand.stake,
            "doubled": hand.doubled,
            "done": hand.done,
        }
        for hand in state.hands
    ]
    return {
        "dealer": [cards.label(card) for card in dealer],
        "hands": hands,
        "active": state.active if not state.finished else None,
        "actions": list(state.legal_actions()),
        "finished": state.finished,
    }


def _check_legal(state: BlackjackState, action: str) -> None:
    if action not in ACTIONS:
        raise InvalidAction(f"unknown action {action!r}")
    if state.finished:
        raise InvalidAction("the round is finished")
    if action not in state.legal_actions():
        raise InvalidAction(f"{action} is not allowed now")


def _advance(state: BlackjackState, source: FloatSource) -> BlackjackState:
    """Deal split hands their second card, skip hands that take no action, then let the dealer play."""
    hands = list(state.hands)
    active = state.active
    while active < len(hands):
        hand = hands[active]
        if len(hand.cards) == 1:
            drawn = (*hand.cards, cards.deal(source))
            split_aces = cards.rank(drawn[0]) == "A"
            hand = hands[active] = replace(hand, cards=drawn, done=split_aces or points(drawn)[0] == 21)
        if not hand.done:
            break
        active += 1
    dealer = state.dealer
    finished = active == len(hands)
    if finished and not all(hand.busted for hand in hands):
        while _dealer_draws(dealer):
            dealer = (*dealer, cards.deal(source))
    return replace(
        state, hands=tuple(hands), dealer=dealer, active=active, position=source.position, finished=finished
    )


def _dealer_draws(dealer: tuple[int, ...]) -> bool:
    return points(dealer)[0] < 17  # stands on soft 17 too


def _settle_hand(hand: Hand, dealer_total: int, dealer_natural: bool) -> HandResult:
    stake = hand.stake
    if hand.blackjack:
        if dealer_natural:
            return HandResult(stake, stake, "push")
        return HandResult(stake, floor_multiply(stake, BLACKJACK_RETURN), "blackjack")
    if dealer_natural:
        return HandResult(stake, 0, "lose")
    if hand.busted:
        return HandResult(stake, 0, "bust")
    if dealer_total > 21 or hand.total > dealer_total:
        return HandResult(stake, 2 * stake, "win")
    if hand.total == dealer_total:
        return HandResult(stake, stake, "push")
    return HandResult(stake, 0, "lose")


# Wrong types raise TypeError, which from_json reports as ValueError like the rest.
def _integer(value: object, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"expected an integer, got {value!r}")
    if value < minimum:
        raise ValueError(f"expected an integer >= {minimum}, got {value!r}")
    return value


def _flag(value: object) -> bool:
    if not isinstance(value, bool):
        raise TypeError(f"expected true or false, got {value!r}")
    return value


def _cards(value: object) -> tuple[int, ...]:
    if not isinstance(value, list):
        raise TypeError(f"expected a list of cards, got {value!r}")
    return tuple(_card(card) for card in value)


def _card(value: object) -> int:
    index = _integer(value, 0)
    if index >= cards.DECK:
        raise ValueError(f"no card {index}")
    return index
