"""Recompute any past round from its revealed seeds, its bet and the player's actions.

This is what ``POST /v1/fairness/verify`` answers with, and what a player can
run themselves: the result depends on nothing else.
"""

from __future__ import annotations

from collections.abc import Sequence

from croupier.games.engines import blackjack, dice, roulette, slots
from croupier.games.errors import InvalidAction, UnknownGame
from croupier.games.fairness import FairStream
from croupier.games.outcome import Outcome

SingleStepBet = dice.DiceBet | roulette.RouletteBet | slots.SlotsBet
Bet = SingleStepBet | blackjack.BlackjackBet


def parse_bet(game: str, bet: object) -> Bet:
    """The bet's JSON form read by its game's rules (``InvalidBet``, ``UnknownGame``)."""
    if game == dice.CODE:
        return dice.parse_bet(bet)
    if game == roulette.CODE:
        return roulette.parse_bet(bet)
    if game == slots.CODE:
        return slots.parse_bet(bet)
    if game == blackjack.CODE:
        return blackjack.parse_bet(bet)
    raise UnknownGame(f"unknown game {game!r}")


def play(bet: SingleStepBet, source: FairStream) -> Outcome:
    """A single-step game's round, from the start of its bet's stream."""
    if isinstance(bet, dice.DiceBet):
        return dice.play(bet, source)
    if isinstance(bet, roulette.RouletteBet):
        return roulette.play(bet, source)
    return slots.play(bet, source)


def verify_round(
    game: str,
    server_seed: str,
    client_seed: str,
    nonce: int,
    *,
    bet: object,
    actions: Sequence[str] = (),
) -> Outcome:
    """The outcome the round had. ``bet`` is the bet's JSON form, as each engine's ``parse_bet`` reads it.

    Raises ``InvalidSeed``, ``InvalidBet``, ``InvalidAction`` or ``UnknownGame``
    (all ``GameError``) for input that does not describe a round.
    """
    parsed = parse_bet(game, bet)
    source = FairStream(server_seed, client_seed, nonce)
    if isinstance(parsed, blackjack.BlackjackBet):
        state = blackjack.start(parsed, source)
        for action in actions:
            state = blackjack.act(state, action, source)
        if not state.finished:
            raise InvalidAction("the actions leave the round unfinished")
        return blackjack.outcome(state)
    if actions:
        raise InvalidAction(f"{game} takes no actions")
    return play(parsed, source)
