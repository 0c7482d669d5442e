"""The periods a player may choose: a time-out of 24 hours to 6 weeks, a self-exclusion of
6 months to 5 years or indefinite (UKGC LCCP SR 3.5.3; MGA Player Protection Directive 2/2018).

A period is written as a number and a unit: ``24h``, ``3d``, ``6w`` for a time-out; ``6m``,
``2y`` or ``indefinite`` for a self-exclusion. Months are calendar months (a 6-month
self-exclusion from 31 August ends on 28 or 29 February).
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from croupier.kit.errors import CroupierError

INDEFINITE = "indefinite"
_TIME_OUT = re.compile(r"([1-9][0-9]{0,3})([hdw])")
_SELF_EXCLUSION = re.compile(r"([1-9][0-9]{0,3})([my])")
_HOURS = {"h": 1, "d": 24, "w": 24 * 7}
_MONTHS = {"m": 1, "y": 12}
TIME_OUT_HOURS = (24, 6 * 7 * 24)
SELF_EXCLUSION_MONTHS = (6, 5 * 12)


class UnknownPeriod(CroupierError):
    code = "unknown_period"
    status = 422
    title = "The period is not one this accepts"


class PeriodOutOfRange(CroupierError):
    code = "period_out_of_range"
    status = 422
    title = "The period is too short or too long"


@dataclass(frozen=True)
class Period:
    text: str  # as chosen, normalised ("72h", "6m", "indefinite")
    hours: int | None = None  # a time-out's length
    months: int | None = None  # a self-exclusion's length; None with hours None: indefinite

    def end(self, start: datetime) -> datetime | None:
        if self.hours is not None:
            return start + timedelta(hours=self.hours)
        if self.months is not None:
            return add_months(start, self.months)
        return None


def time_out(text: str) -> Period:
    found = _TIME_OUT.fullmatch(text.strip().lower())
    if found is None:
        raise UnknownPeriod(
            "A time-out's period is a number of hours, days or weeks: `24h`, `3d`, `6w`.",
            examples=["24h", "72h", "1w", "6w"],
        )
    hours = int(found.group(1)) * _HOURS[found.group(2)]
    low, high = TIME_OUT_HOURS
    if not low <= hours <= high:
        raise PeriodOutOfRange("A time-out lasts from 24 hours to 6 weeks.", minimum="24h", maximum="6w")
    return Period(text=f"{found.group(1)}{found.group(2)}", hours=hours)


def self_exclusion(text: str) -> Period:
    normal = text.strip().lower()
    if normal == INDEFINITE:
        return Period(text=INDEFINITE)
    found = _SELF_EXCLUSION.fullmatch(normal)
    if found is None:
        raise UnknownPeriod(
            "A self-exclusion's period is a number of months or years, or `indefinite`: `6m`, `1y`.",
            examples=["6m", "1y", "5y", INDEFINITE],
        )
    months = int(found.group(1)) * _MONTHS[found.group(2)]
    low, high = SELF_EXCLUSION_MONTHS
    if not low <= months <= high:
        raise PeriodOutOfRange(
            "A self-exclusion lasts from 6 months to 5 years, or is indefinite.", minimum="6m", maximum="5y"
        )
    return Period(text=f"{found.group(1)}{found.group(2)}", months=months)


def add_months(start: datetime, months: int) -> datetime:
    """The same time ``months`` calendar months on, on the same day or the month's last one."""
    index = start.month - 1 + months
    year, month = start.year + index // 12, index % 12 + 1
    day = min(start.day, calendar.monthrange(year, month)[1])
    return start.replace(year=year, month=month, day=day)
