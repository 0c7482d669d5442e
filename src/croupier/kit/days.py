"""Grouping instants by the casino's gaming day inside SQL.

A gaming day runs from the cutover (local time, in the casino's time zone) to the next
day's cutover (``risk.gaming_day``). The instant's local wall-clock time minus the
cutover falls on that day's date, so a report groups by one expression instead of one
query per day; around a clock change the day is 23 or 25 hours long, as it should be.
"""

from __future__ import annotations

from datetime import time, timedelta


def local_day(column: str) -> str:
    """SQL for the gaming day of ``column`` (a ``timestamptz``); binds ``:day_zone`` and ``:day_cutover``."""
    return f"CAST(timezone(:day_zone, {column}) - CAST(:day_cutover AS interval) AS date)"


def day_params(*, timezone: str, cutover: time) -> dict[str, object]:
    """The values ``local_day`` binds."""
    return {
        "day_zone": timezone,
        "day_cutover": timedelta(hours=cutover.hour, minutes=cutover.minute, seconds=cutover.second),
    }
