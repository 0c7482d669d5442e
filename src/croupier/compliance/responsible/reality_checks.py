"""Reality checks: the player picks an interval; once it has passed in a sign-in session (since the
session started, or since the player last acknowledged one in it) a check falls due.

Every in-house bet's answer says whether one is due (``enforcement.PlayState``, read in the
bet's own statement); ``POST /v1/rg/reality-check`` acknowledges it and starts the next
interval. A check informs and never refuses a bet: the session-time limit is the one that stops.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from croupier.compliance.responsible import repository
from croupier.compliance.responsible.enforcement import SignIn
from croupier.compliance.responsible.errors import InvalidInterval
from croupier.kit.clock import utcnow

MAX_INTERVAL_MINUTES = 24 * 60


@dataclass(frozen=True)
class RealityCheck:
    """Where the player stands in this sign-in session, per currency played in it."""

    started_at: datetime
    elapsed_seconds: int
    net_positions: dict[str, int]
    interval_minutes: int | None
    acknowledged_at: datetime | None
    due_at: datetime | None
    due: bool


async def set_interval(
    session: AsyncSession, *, player_id: uuid.UUID, minutes: int | None, sign_in: SignIn
) -> RealityCheck:
    """Choose (or with None, stop) reality checks every ``minutes`` of play."""
    if minutes is not None and not 1 <= minutes <= MAX_INTERVAL_MINUTES:
        raise InvalidInterval(
            f"An interval is from 1 to {MAX_INTERVAL_MINUTES} minutes; null stops the checks."
        )
    await repository.set_reality_check(session, player_id=player_id, minutes=minutes, now=utcnow())
    return await current(session, player_id=player_id, sign_in=sign_in)


async def acknowledge(session: AsyncSession, *, player_id: uuid.UUID, sign_in: SignIn) -> RealityCheck:
    """The player has seen where they stand: the next check falls due an interval from now."""
    await repository.acknowledge_reality_check(
        session, player_id=player_id, session_id=sign_in.id, now=utcnow()
    )
    return await current(session, player_id=player_id, sign_in=sign_in)


async def interval(session: AsyncSession, *, player_id: uuid.UUID) -> int | None:
    found = await repository.reality_settings(session, player_id)
    return None if found is None else found.reality_check_minutes


async def current(session: AsyncSession, *, player_id: uuid.UUID, sign_in: SignIn) -> RealityCheck:
    now = utcnow()
    found = await repository.reality_settings(session, player_id)
    interval = None if found is None else found.reality_check_minutes
    acknowledged = found.acknowledged_at if found is not None and found.session_id == sign_in.id else None
    due_at = None if interval is None else (acknowledged or sign_in.started_at) + timedelta(minutes=interval)
    positions = {
        row["currency"]: row["session_net"]
        for row in await repository.accounts(session, player_id)
        if row["session_id"] == sign_in.id
    }
    return RealityCheck(
        started_at=sign_in.started_at,
        elapsed_seconds=max(0, int((now - sign_in.started_at).total_seconds())),
        net_positions=positions,
        interval_minutes=interval,
        acknowledged_at=acknowledged,
        due_at=due_at,
        due=due_at is not None and now >= due_at,
    )
