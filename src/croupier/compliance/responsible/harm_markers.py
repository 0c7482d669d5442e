"""Markers of gambling harm, recorded as ``harm_marker`` domain events for the risk engine and staff.

Each marker is noticed where its behaviour happens, in that change's transaction:
a deposit that makes this week's count rise past the threshold and twice last week's;
a request for a higher limit or a removal that makes several within 30 days; the first
bet of a gaming day's late-night hours; a withdrawal the player cancels (money taken
back to keep playing). Markers inform; they never refuse anything themselves.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from croupier.compliance.responsible import repository
from croupier.events.kinds import EventKind
from croupier.events.outbox import NewEvent, record_event
from croupier.kit.client import ClientInfo
from croupier.kit.settings import Settings

INCREASE_WINDOW = timedelta(days=30)


class Marker(StrEnum):
    DEPOSIT_FREQUENCY_RISING = "deposit_frequency_rising"
    REPEATED_LIMIT_INCREASES = "repeated_limit_increases"
    LATE_NIGHT_PLAY = "late_night_play"
    CANCELLED_WITHDRAWAL = "cancelled_withdrawal"


def event(
    marker: Marker, player_id: uuid.UUID, data: dict[str, Any], client: ClientInfo | None = None
) -> NewEvent:
    return NewEvent(EventKind.HARM_MARKER, player_id, {"marker": str(marker), **data}, client)


async def record(
    session: AsyncSession,
    marker: Marker,
    *,
    player_id: uuid.UUID,
    data: dict[str, Any],
    client: ClientInfo | None = None,
) -> None:
    await record_event(
        session,
        EventKind.HARM_MARKER,
        player_id=player_id,
        data={"marker": str(marker), **data},
        client=client,
    )


def deposit_frequency_rises(settings: Settings, *, this_week: int, last_week: int) -> bool:
    """True for exactly one deposit a week: the one that takes the count past both bars."""
    return this_week == max(settings.rg_deposit_frequency_marker, 2 * last_week + 1)


def is_late_night(at: datetime, settings: Settings) -> bool:
    hour = at.astimezone(ZoneInfo(settings.gaming_day_timezone)).hour
    start, end = settings.rg_late_night_hours
    return start <= hour < end if start < end else hour >= start or hour < end


async def after_increase_request(
    session: AsyncSession,
    settings: Settings,
    *,
    player_id: uuid.UUID,
    now: datetime,
    client: ClientInfo | None,
) -> None:
    """Mark repeated increases once the player's requests within 30 days reach the threshold."""
    count = await repository.increases_since(session, player_id, now - INCREASE_WINDOW)
    if count == settings.rg_limit_increase_marker:
        await record(
            session,
            Marker.REPEATED_LIMIT_INCREASES,
            player_id=player_id,
            data={"requests": count, "window_days": INCREASE_WINDOW.days},
            client=client,
        )


async def cancelled_withdrawal(
    session: AsyncSession,
    *,
    player_id: uuid.UUID,
    withdrawal_id: uuid.UUID,
    amount: int,
    currency: str,
    client: ClientInfo | None = None,
) -> None:
    """The player took back a withdrawal they had asked for."""
    await record(
        session,
        Marker.CANCELLED_WITHDRAWAL,
        player_id=player_id,
        data={"withdrawal_id": str(withdrawal_id), "amount": amount, "currency": currency},
        client=client,
    )
