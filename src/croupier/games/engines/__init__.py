"""One module per game; each declares ``CODE``, ``INFO`` (name and RTP) and ``parse_bet``.

Single-step games (dice, roulette, slots) have ``play(bet, source) -> Outcome``;
blackjack is a state machine (``start``, ``act``, ``settle``).
"""

from __future__ import annotations

from croupier.games.engines import blackjack, dice, roulette, slots
from croupier.games.outcome import GameInfo

GAMES: dict[str, GameInfo] = {engine.INFO.code: engine.INFO for engine in (dice, roulette, slots, blackjack)}
