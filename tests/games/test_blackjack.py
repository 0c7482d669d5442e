"""Blackjack: deals, naturals, busts, pushes, the dealer's soft 17, doubles, splits, and the stored state.

Cards are stacked in dealing order: player, dealer up card, player, dealer hole
card, then each card as the round asks for it.
"""

from __future__ import annotations

import json

import pytest

from croupier.games import cards
from croupier.games.engines import blackjack
from croupier.games.engines.blackjack import BlackjackBet, BlackjackState
from croupier.games.errors import InvalidAction, InvalidBet

from .stacked import Stacked, deck


def play(stake: int, labels: str, *actions: str) -> tuple[BlackjackState, Stacked]:
    source = deck(*labels.split())
    state = blackjack.start(BlackjackBet(stake), source)
    for action in actions:
        state = blackjack.act(state, action, source)
    return state, source


def hand(labels: str) -> tuple[int, ...]:
    return tuple(cards.card(label) for label in labels.split())


def results(state: BlackjackState) -> list[tuple[str, int, int]]:
    settlement = blackjack.settle(state)
    return [(hand.result, hand.stake, hand.payout) for hand in settlement.hands]


def test_a_natural_pays_3_to_2() -> None:
    state, _ = play(100, "AS 9D KH 7C")
    assert state.finished
    assert results(state) == [("blackjack", 100, 250)]


def test_a_natural_pays_3_to_2_rounded_down_to_the_minor_unit() -> None:
    state, _ = play(3, "AS 9D KH 7C")
    assert results(state) == [("blackjack", 3, 7)]  # 7.5


def test_natural_against_natural_pushes() -> None:
    state, _ = play(100, "AS AD KH QC")
    assert results(state) == [("push", 100, 100)]


def test_the_dealer_peeks_a_natural_ends_the_round_at_the_original_stake() -> None:
    state, source = play(100, "10S AD 9H KC 5D")
    assert state.finished
    assert state.legal_actions() == ()
    assert results(state) == [("lose", 100, 0)]
    assert source.position == 4  # no card drawn after the deal
    with pytest.raises(InvalidAction):
        blackjack.act(state, "double", source)


def test_a_bust_loses_and_the_dealer_does_not_draw() -> None:
    state, source = play(100, "10S 6D 5H 10C KD 9S", "hit")
    assert state.hands[0].busted
    assert state.finished
    assert len(state.dealer) == 2
    assert source.position == 5
    assert results(state) == [("bust", 100, 0)]


def test_equal_totals_push() -> None:
    state, _ = play(100, "10S 10D 8H 8C", "stand")
    assert results(state) == [("push", 100, 100)]


def test_higher_total_wins_even_money() -> None:
    state, _ = play(100, "10S 10D 9H 8C", "stand")
    assert results(state) == [("win", 100, 200)]


def test_the_dealer_stands_on_soft_17() -> None:
    state, source = play(100, "10S AD 8H 6C 5S", "stand")
    assert len(state.dealer) == 2
    assert source.position == 4
    assert results(state) == [("win", 100, 200)]


def test_the_dealer_draws_to_soft_16_and_hard_16() -> None:
    state, _ = play(100, "10S AD 7H 5C 2S", "stand")  # soft 16, then soft 18
    assert [blackjack.points(state.dealer)] == [(18, True)]
    assert results(state) == [("lose", 100, 0)]
    state, _ = play(100, "10S 10D 8H 6C 9S", "stand")  # hard 16, then bust
    assert results(state) == [("win", 100, 200)]


def test_hitting_to_21_stands_by_itself() -> None:
    state, _ = play(100, "5S 10D 6H 7C KD 2S", "hit")  # 21; dealer 17 + nothing
    assert state.hands[0].done
    assert state.finished
    assert results(state) == [("win", 100, 200)]


def test_a_double_takes_one_card_and_doubles_the_stake() -> None:
    state, source = play(100, "6S 10D 5H 7C KS 4D")
    assert blackjack.additional_stake(state, "double") == 100
    assert blackjack.additional_stake(state, "hit") == 0
    state = blackjack.act(state, "double", source)
    assert state.hands[0].doubled
    assert state.hands[0].cards == hand("6S 5H KS")
    assert state.finished  # the dealer's 17 stands; the 4D is never dealt
    assert source.position == 5
    assert results(state) == [("win", 200, 400)]
    assert blackjack.settle(state).stake == 200


def test_a_double_only_on_the_first_two_cards() -> None:
    state, source = play(100, "2S 10D 3H 7C 2D")
    state = blackjack.act(state, "hit", source)
    assert "double" not in state.legal_actions()
    with pytest.raises(InvalidAction):
        blackjack.additional_stake(state, "double")


def test_a_split_plays_two_hands_each_with_the_original_stake() -> None:
    # 8-8 against a 6: split; first hand 8+3 doubles to 8+3+10, second 8+9 stands; dealer 6+10+7 busts.
    state, source = play(100, "8S 6D 8H 10C 3D 10H 9C 7S")
    assert blackjack.additional_stake(state, "split") == 100
    state = blackjack.act(state, "split", source)
    # The first hand gets its second card at once, the second when play reaches it.
    assert [h.cards for h in state.hands] == [hand("8S 3D"), hand("8H")]
    assert blackjack.additional_stake(state, "double") == 100  # doubling after a split
    state = blackjack.act(state, "double", source)
    assert [h.cards for h in state.hands] == [hand("8S 3D 10H"), hand("8H 9C")]
    assert state.active == 1
    final = blackjack.act(state, "stand", source)
    assert final.finished
    assert results(final) == [("win", 200, 400), ("win", 100, 200)]
    assert blackjack.settle(final).stake == final.total_stake == 300
    assert final.extra_stake == 200  # the split's 100 and the double's 100


def test_split_aces_take_one_card_each_and_21_is_not_a_blackjack() -> None:
    state, _ = play(100, "AS 10D AH 7C KD AC", "split")
    assert [h.cards for h in state.hands] == [hand("AS KD"), hand("AH AC")]
    assert all(h.done for h in state.hands)  # no hit, no resplit of the second pair of aces
    assert state.finished
    # Dealer 17 stands. A+K = 21 is paid 1:1; A+A = soft 12 loses.
    assert results(state) == [("win", 100, 200), ("lose", 100, 0)]


def test_resplitting_up_to_four_hands() -> None:
    state, source = play(10, "8S 10D 8H 7C 8D 8C 8S", "split")
    assert len(state.hands) == 2
    assert "split" in state.legal_actions()
    state = blackjack.act(state, "split", source)
    assert len(state.hands) == 3
    state = blackjack.act(state, "split", source)
    assert len(state.hands) == 4
    assert "split" not in state.legal_actions()
    with pytest.raises(InvalidAction):
        blackjack.act(state, "split", source)


def test_only_cards_of_the_same_rank_split() -> None:
    state, _ = play(100, "KS 9D QH 7C")
    assert state.legal_actions() == ("hit", "stand", "double")


def test_illegal_and_unknown_actions_are_refused() -> None:
    state, source = play(100, "10S 10D 8H 8C")
    with pytest.raises(InvalidAction) as refused:
        blackjack.act(state, "surrender", source)
    assert refused.value.code == "invalid_action"
    with pytest.raises(InvalidAction):
        blackjack.act(state, "insurance", source)
    with pytest.raises(InvalidAction):
        blackjack.settle(state)  # not finished
    finished = blackjack.act(state, "stand", source)
    with pytest.raises(InvalidAction):
        blackjack.act(finished, "hit", source)


def test_the_stream_must_be_where_the_round_stopped() -> None:
    state, _ = play(100, "2S 10D 3H 7C 2D")
    with pytest.raises(ValueError, match="stream"):
        blackjack.act(state, "hit", deck("2S", "10D", "3H", "7C", "2D"))
    with pytest.raises(ValueError, match="beginning"):
        blackjack.start(BlackjackBet(100), Stacked([0, 0, 0, 0, 0], position=1))


def test_the_state_round_trips_through_json_between_actions() -> None:
    labels = ["8S", "6D", "8H", "10C", "3D", "10H", "9C", "7S"]
    direct, _ = play(100, " ".join(labels), "split", "double", "stand")
    state = blackjack.start(BlackjackBet(100), deck(*labels))
    for action in ("split", "double", "stand"):
        # Each request loads the stored state and a stream resumed at its position.
        state = BlackjackState.from_json(json.loads(json.dumps(state.to_json())))
        resumed = deck(*labels)
        for _ in range(state.position):
            resumed.next_u32()
        state = blackjack.act(state, action, resumed)
    assert state == direct
    assert BlackjackState.from_json(json.loads(json.dumps(state.to_json()))) == state


@pytest.mark.parametrize(
    "damage",
    [
        {"version": 2},
        {"stake": 0},
        {"stake": "100"},
        {"finished": 1},
        {"dealer": [52, 1]},
        {"dealer": [1]},
        {"hands": []},
        {"hands": [{"cards": [1, 2], "stake": 10, "doubled": False, "from_split": False}]},
        {"active": 5},
        {"position": -1},
    ],
)
def test_a_damaged_state_is_refused(damage: dict[str, object]) -> None:
    state, _ = play(100, "10S 10D 8H 8C")
    with pytest.raises(ValueError, match=r"blackjack state|expected|no card|hands"):
        BlackjackState.from_json({**state.to_json(), **damage})


def test_the_public_view_hides_the_hole_card_until_the_round_ends() -> None:
    state, source = play(100, "10S 9D 8H 8C")
    view = blackjack.public_view(state)
    assert view["dealer"] == ["9D"]
    assert view["hands"] == [
        {"cards": ["10S", "8H"], "total": 18, "stake": 100, "doubled": False, "done": False}
    ]
    assert view["actions"] == ["hit", "stand", "double"]
    finished = blackjack.act(state, "stand", source)
    assert blackjack.public_view(finished)["dealer"] == ["9D", "8C"]


def test_the_outcome_describes_the_round() -> None:
    state, _ = play(100, "AS 9D KH 7C")
    outcome = blackjack.outcome(state)
    assert (outcome.stake, outcome.payout) == (100, 250)
    assert outcome.detail == {
        "dealer": {"cards": ["9D", "7C"], "total": 16},
        "hands": [
            {
                "cards": ["AS", "KH"],
                "total": 21,
                "stake": 100,
                "payout": 250,
                "result": "blackjack",
                "doubled": False,
            }
        ],
    }
    json.dumps(outcome.to_json())


@pytest.mark.parametrize("bet", [{"stake": 0}, {"stake": "100"}, {}, {"stake": 100, "side_bet": 5}])
def test_malformed_bets_are_refused(bet: object) -> None:
    with pytest.raises(InvalidBet):
        blackjack.parse_bet(bet)
