"""``verify_round`` recomputes a past round from its revealed seeds, bet and actions alone."""

from __future__ import annotations

import json

import pytest

from croupier.games import fairness
from croupier.games.engines import GAMES, blackjack, dice, roulette, slots
from croupier.games.errors import GameError, InvalidAction, InvalidBet, InvalidSeed, UnknownGame
from croupier.games.fairness import FairStream
from croupier.games.verify import verify_round

SERVER = "18e93f4a7b5b58d2569765766d1b6c3296bbd8430d6f20249044d72f14720159"
CLIENT = "bb62964774"

BETS = {
    "dice": {"stake": 100, "target": 50, "direction": "over"},
    "roulette": {
        "wagers": [{"kind": "straight", "numbers": [28], "stake": 10}, {"kind": "even", "stake": 5}]
    },
    "slots": {"machine": "classic", "line_bet": 10},
}


def test_a_stake_verified_roll() -> None:
    outcome = verify_round("dice", SERVER, CLIENT, 1, bet=BETS["dice"])
    assert outcome.detail["roll"] == "77.18"
    assert (outcome.stake, outcome.payout) == (100, 198)
    outcome = verify_round("roulette", SERVER, CLIENT, 1, bet=BETS["roulette"])
    assert outcome.detail["pocket"] == 28
    assert (outcome.stake, outcome.payout) == (15, 360 + 10)


@pytest.mark.parametrize("game", ["dice", "roulette", "slots"])
def test_verifying_gives_what_was_played(game: str) -> None:
    server, client = fairness.new_server_seed(), fairness.new_client_seed()
    for nonce in range(50):
        source = FairStream(server, client, nonce)
        if game == "dice":
            played = dice.play(dice.parse_bet(BETS[game]), source)
        elif game == "roulette":
            played = roulette.play(roulette.parse_bet(BETS[game]), source)
        else:
            played = slots.play(slots.parse_bet(BETS[game]), source)
        assert verify_round(game, server, client, nonce, bet=BETS[game]) == played
        assert verify_round(game, server, client, nonce, bet=BETS[game]) == played
        json.dumps(played.to_json())


def play_blackjack(server: str, client: str, nonce: int) -> tuple[blackjack.BlackjackState, list[str]]:
    """A round played live, one request at a time, with a simple strategy; its actions."""
    state = blackjack.start(blackjack.BlackjackBet(100), FairStream(server, client, nonce))
    actions: list[str] = []
    while not state.finished:
        legal = state.legal_actions()
        hand = state.hands[state.active]
        if "split" in legal:
            action = "split"
        elif "double" in legal and hand.total in (10, 11):
            action = "double"
        else:
            action = "hit" if hand.total < 17 else "stand"
        stored = json.loads(json.dumps(state.to_json()))
        state = blackjack.BlackjackState.from_json(stored)
        state = blackjack.act(state, action, FairStream(server, client, nonce, state.position))
        actions.append(action)
    return state, actions


def test_verifying_blackjack_replays_the_actions() -> None:
    server, client = fairness.new_server_seed(), fairness.new_client_seed()
    for nonce in range(200):
        state, actions = play_blackjack(server, client, nonce)
        assert verify_round("blackjack", server, client, nonce, bet={"stake": 100}, actions=actions) == (
            blackjack.outcome(state)
        )


def test_an_unfinished_or_overplayed_blackjack_round_is_refused() -> None:
    server, client = fairness.new_server_seed(), fairness.new_client_seed()
    nonce = next(n for n in range(100) if play_blackjack(server, client, n)[1])  # a round with actions
    _, actions = play_blackjack(server, client, nonce)
    with pytest.raises(InvalidAction, match="unfinished"):
        verify_round("blackjack", server, client, nonce, bet={"stake": 100}, actions=actions[:-1])
    with pytest.raises(InvalidAction):
        verify_round("blackjack", server, client, nonce, bet={"stake": 100}, actions=[*actions, "hit"])


def test_refusals() -> None:
    with pytest.raises(UnknownGame) as unknown:
        verify_round("crash", SERVER, CLIENT, 1, bet={})
    assert unknown.value.code == "unknown_game"
    with pytest.raises(InvalidAction):
        verify_round("dice", SERVER, CLIENT, 1, bet=BETS["dice"], actions=["hit"])
    with pytest.raises(InvalidSeed):
        verify_round("dice", SERVER.upper(), CLIENT, 1, bet=BETS["dice"])
    with pytest.raises(InvalidSeed):
        verify_round("dice", SERVER, "", 1, bet=BETS["dice"])
    with pytest.raises(InvalidSeed):
        verify_round("dice", SERVER, CLIENT, -1, bet=BETS["dice"])
    with pytest.raises(InvalidBet):
        verify_round("dice", SERVER, CLIENT, 1, bet={"stake": 100})
    for error in (InvalidAction, InvalidBet, InvalidSeed, UnknownGame):
        assert issubclass(error, GameError)


def test_every_game_declares_itself() -> None:
    assert set(GAMES) == {"dice", "roulette", "slots", "blackjack"}
    for code, info in GAMES.items():
        assert info.code == code
        assert info.name
        assert 0 < info.house_edge < 0.05
