"""The stake limits of each game on offer, per currency, from settings."""

from __future__ import annotations

from dataclasses import dataclass

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


def limits(settings: Settings, game: str) -> dict[str, Limits]:
    """Per currency, the stakes this game accepts (a game's own entry overrides ``*``)."""
    merged = {**settings.game_stake_limits.get(EVERY_GAME, {}), **settings.game_stake_limits.get(game, {})}
    return {currency: Limits(low, high) for currency, (low, high) in sorted(merged.items())}


def limits_for(settings: Settings, game: str, currency: str) -> Limits:
    """``limits(settings, game)[currency]``, looked up without building the whole table (every bet asks)."""
    for scope in (game, EVERY_GAME):
        found = settings.game_stake_limits.get(scope, {}).get(currency)
        if found is not None:
            low, high = found
            return Limits(low, high)
    raise CurrencyNotOffered(f"{game} is not offered in {currency}.", currency=currency)
