"""The casino's gaming day: one definition for the AML reports and the engine's daily features.

A gaming day runs from the cutover (local time, in the casino's time zone) to the
next day's cutover, so a day around a clock change is 23 or 25 hours long.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from croupier.kit.settings import Settings


@dataclass(frozen=True)
class GamingDay:
    day: date
    start: datetime
    end: datetime


def gaming_day(day: date, *, timezone: str, cutover: time) -> GamingDay:
    """The instants a gaming day runs between: ``day`` at the cutover to the next day's, local time."""
    zone = ZoneInfo(timezone)
    start = datetime.combine(day, cutover, tzinfo=zone)
    end = datetime.combine(day + timedelta(days=1), cutover, tzinfo=zone)
    return GamingDay(day=day, start=start.astimezone(UTC), end=end.astimezone(UTC))


def gaming_day_of(at: datetime, settings: Settings) -> date:
    """The gaming day the instant ``at`` belongs to."""
    local = at.astimezone(ZoneInfo(settings.gaming_day_timezone))
    before_cutover = local.time().replace(tzinfo=None) < settings.gaming_day_cutover
    return local.date() - timedelta(days=1) if before_cutover else local.date()
