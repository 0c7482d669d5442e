"""One gaming day for the whole casino: the AML reports and the engine's daily features agree."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from pathlib import Path

import pytest

from croupier.risk.gaming_day import gaming_day, gaming_day_of
from tests.conftest import make_settings


@pytest.mark.parametrize(
    ("at", "expected"),
    [
        (datetime(2026, 3, 10, 4, 59, tzinfo=UTC), date(2026, 3, 9)),  # 05:59 in Malta: before the cutover
        (datetime(2026, 3, 10, 5, 0, tzinfo=UTC), date(2026, 3, 10)),  # 06:00 in Malta: the new day
        (datetime(2026, 7, 10, 3, 59, tzinfo=UTC), date(2026, 7, 9)),  # summer time: 05:59 local
        (datetime(2026, 7, 10, 4, 0, tzinfo=UTC), date(2026, 7, 10)),
    ],
)
def test_an_instant_belongs_to_the_gaming_day_whose_window_holds_it(
    at: datetime, expected: date, tmp_path: Path
) -> None:
    settings = make_settings(
        "postgresql://unused/x",
        "{}",
        tmp_path,
        gaming_day_timezone="Europe/Malta",
        gaming_day_cutover="06:00",
    )

    day = gaming_day_of(at, settings)

    assert day == expected
    window = gaming_day(day, timezone="Europe/Malta", cutover=time(6, 0))
    assert window.start <= at < window.end
