"""The check every bet passes before its stake moves, whoever offers the game.

In-house games and third-party studios alike call ``pre_bet_check`` once the bet
is identified and before the ledger transfer that takes the stake. Today it
refuses a disabled account and a stake outside the limits the caller applies (a
table's minimum and maximum, a provider's maximum). Responsible-gambling limits (deposit, loss,
wager and session limits, self-exclusion) belong here too, so that every game
gets them at once.

Refusals are ``BetRefused`` problems (403/422 through the HTTP API); a provider
adapter translates them into its own protocol's codes.
"""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from croupier.identity.models import Player, PlayerStatus
from croupier.kit.errors import CroupierError, NotFound


class BetRefused(CroupierError):
    code = "bet_refused"
    status = 403
    title = "This bet is not allowed"


class PlayerDisabled(BetRefused):
    code = "player_disabled"
    status = 403
    title = "The account is disabled and cannot place bets"


class StakeBelowMinimum(BetRefused):
    code = "stake_below_minimum"
    status = 422
    title = "The stake is below the minimum"


class StakeLimitExceeded(BetRefused):
    code = "stake_limit_exceeded"
    status = 422
    title = "The stake is above the limit"


async def pre_bet_check(
    session: AsyncSession,
    *,
    player_id: uuid.UUID,
    currency: str,
    stake: int,
    stake_limit: int | None,
    stake_minimum: int | None = None,
    player_status: str | None = None,
) -> None:
    """Raise ``BetRefused`` unless the player may stake ``stake`` minor units of ``currency``.

    ``stake_limit`` and ``stake_minimum`` are the largest and smallest stakes the
    game or provider accepts in this currency (None: no limit of its own). Pass
    ``player_status`` when it was read with the rest of the bet's context, to save
    a query on the hot path.
    """
    status = player_status if player_status is not None else await _status(session, player_id)
    if status != PlayerStatus.ACTIVE:
        raise PlayerDisabled("The account is disabled; it cannot place bets.")
    if stake_minimum is not None and stake < stake_minimum:
        raise StakeBelowMinimum(
            f"The smallest stake allowed is {stake_minimum} minor units of {currency}.",
            minimum=stake_minimum,
            currency=currency,
        )
    if stake_limit is not None and stake > stake_limit:
        raise StakeLimitExceeded(
            f"The largest stake allowed is {stake_limit} minor units of {currency}.",
            limit=stake_limit,
            currency=currency,
        )


async def _status(session: AsyncSession, player_id: uuid.UUID) -> str:
    status = await session.scalar(select(Player.status).where(Player.id == player_id))
    if status is None:
        raise NotFound("No such player.")
    return status
