"""The check every bet passes before its stake moves, whoever offers the game.

In-house games and third-party studios alike call ``pre_bet_check`` once the bet
is identified and before the ledger transfer that takes the stake. Today it
refuses a disabled account, a player under a time-out, self-exclusion or register
block (``compliance.responsible.exclusions.gate``), and a stake outside the limits the
caller applies (a table's minimum and maximum, a provider's maximum). Responsible-gambling
limits (deposit, loss, wager and session limits) belong here too, so that every game gets
them at once.

Refusals are ``BetRefused`` problems (403/422 through the HTTP API) and the gate's
``GamblingBlocked`` (403 ``gambling_blocked``); a provider adapter translates them into its
own protocol's codes.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from croupier.compliance.responsible.exclusions import gate
from croupier.identity.models import Player, PlayerStatus
from croupier.kit.clock import utcnow
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
    gambling_blocked_until: datetime | None = None,
) -> None:
    """Raise ``BetRefused`` (or ``GamblingBlocked``) unless the player may stake ``stake``
    minor units of ``currency``.

    ``stake_limit`` and ``stake_minimum`` are the largest and smallest stakes the
    game or provider accepts in this currency (None: no limit of its own). Pass
    ``player_status`` and ``gambling_blocked_until`` together when they were read with
    the rest of the bet's context, to save a query on the hot path.
    """
    if player_status is None:
        player_status, gambling_blocked_until = await _standing(session, player_id)
    if player_status != PlayerStatus.ACTIVE:
        raise PlayerDisabled("The account is disabled; it cannot place bets.")
    gate.refuse_if_blocked(gambling_blocked_until, utcnow(), doing="betting")
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


async def _standing(session: AsyncSession, player_id: uuid.UUID) -> tuple[str, datetime | None]:
    row = (
        await session.execute(
            select(Player.status, Player.gambling_blocked_until).where(Player.id == player_id)
        )
    ).first()
    if row is None:
        raise NotFound("No such player.")
    return row[0], row[1]
