"""The games on offer: what each declares about itself, and its stake limits per currency."""

from __future__ import annotations

from dataclasses import dataclass

from croupier.games.engines import GAMES
from croupier.games.errors import UnknownGame
from croupier.games.outcome import GameInfo
from croupier.kit.errors import CroupierError
from croupier.kit.settings import Settings

EVERY_GAME = "*"


class CurrencyNotOffered(CroupierError):
    code = "currency_not_offered"
    status = 422
    title = "This game is not offered in that currency"


@dataclass(frozen=True)
class Limits:
    minimum: int
    maximum: int


def info(game: str) -> GameInfo:
    found = GAMES.get(game)
    if found is None:
        raise UnknownGame(f"There is no game {game!r}; GET /v1/games lists them.")
    return found


def limits(settings: Settings, game: str) -> dict[str, Limits]:
    """Per currency, the stakes this game accepts (a game's own entry overrides ``*``)."""
    merged = {**settings.game_stake_limits.get(EVERY_GAME, {}), **settings.game_stake_limits.get(game, {})}
    return {currency: Limits(low, high) for currency, (low, high) in sorted(merged.items())}


def limits_for(settings: Settings, game: str, currency: str) -> Limits:
    found = limits(settings, game).get(currency)
    if found is None:
        raise CurrencyNotOffered(f"{game} is not offered in {currency}.", currency=currency)
    return found
