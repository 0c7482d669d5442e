"""Refusals of the game engines, each with a stable machine-readable ``code``.

They do not derive from ``kit.errors.CroupierError`` so that the engines stay
free of the web stack; the HTTP layer maps every ``GameError`` to 422.
"""

from __future__ import annotations

from typing import ClassVar


class GameError(Exception):
    code: ClassVar[str] = "game_error"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class InvalidBet(GameError):
    """The bet's parameters are outside the game's rules (amount, target, numbers...)."""

    code = "invalid_bet"


class InvalidAction(GameError):
    """A player action the round does not allow in its current state."""

    code = "invalid_action"


class InvalidSeed(GameError):
    """A server seed, client seed or nonce that the fairness scheme does not accept."""

    code = "invalid_seed"


class UnknownGame(GameError):
    code = "unknown_game"
