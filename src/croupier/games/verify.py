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
    source = FairStream(server_seed, client_seed, nonce)
    if game == blackjack.CODE:
        state = blackjack.start(blackjack.parse_bet(bet), source)
        for action in actions:
            state = blackjack.act(state, action, source)
        if not state.finished:
            raise InvalidAction("the actions leave the round unfinished")
        return blackjack.outcome(state)
    if actions:
        raise InvalidAction(f"{game} takes no actions")
    if game == dice.CODE:
        return dice.play(dice.parse_bet(bet), source)
    if game == roulette.CODE:
        return roulette.play(roulette.parse_bet(bet), source)
    if game == slots.CODE:
        return slots.play(slots.parse_bet(bet), source)
    raise UnknownGame(f"unknown game {game!r}")
