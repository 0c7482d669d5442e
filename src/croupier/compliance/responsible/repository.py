"""Every query of responsible gambling.

The money paths charge ``rg_accounts`` with one plain statement each (``CHARGE``): an
upsert whose ``ON CONFLICT DO UPDATE`` locks the player's row for the currency, starts
the counters of any period that has moved on, and adds the deposit or the stake only
if every limit in force still holds afterwards. A refusal updates nothing and returns
no row. Concurrent charges queue on the row lock and each re-checks against the row
its predecessor committed, so together they can never pass a limit.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import case, func, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from croupier.compliance.responsible.models import (
    MONEY_PERIODS,
    LimitKind,
    Period,
    RgAccount,
    RgLimit,
    RgLimitChange,
    RgPlayer,
)
from croupier.kit.db import execute_plain

_COUNTERS = ("deposited", "wagered", "lost")
_PERIODS = tuple(str(p) for p in MONEY_PERIODS)


@dataclass(frozen=True)
class Periods:
    """The first days of the periods an instant falls in: gaming day, its ISO week, its month."""

    day: date
    week: date
    month: date


def _counter(name: str, period: str) -> str:
    """A counter's value after this charge: restarted if its period moved on, plus the charge."""
    return f"({_prior(name, period)} + EXCLUDED.{name}_{period})"


def _within(limit: str, period: str, used: str, charge: str) -> str:
    return f"(a.{limit}_{period} IS NULL OR {used} + %({charge})s <= a.{limit}_{period})"


def _prior(name: str, period: str) -> str:
    return f"(CASE WHEN a.{period} = EXCLUDED.{period} THEN a.{name}_{period} ELSE 0 END)"


# A deposit is checked against the deposit limits; a stake against the wager limits and, as
# the most it can lose, the loss limits, and against the session time. What is already over a
# limit (it was lowered) refuses only the kind of money that limit is about.
_CHECKS = " AND ".join(
    [
        "(%(deposit)s <= 0 OR ("
        + " AND ".join(_within("deposit", p, _prior("deposited", p), "deposit") for p in _PERIODS)
        + "))",
        "(%(stake)s <= 0 OR ("
        + " AND ".join(_within("wager", p, _prior("wagered", p), "stake") for p in _PERIODS)
        + " AND "
        + " AND ".join(_within("loss", p, _prior("lost", p), "stake") for p in _PERIODS)
        + " AND (a.session_minutes IS NULL OR %(elapsed)s::float8 IS NULL"
        " OR %(elapsed)s::float8 < a.session_minutes * 60)))",
    ]
)

_COLUMNS = ["player_id", "currency", "day", "week", "month"] + [
    f"{c}_{p}" for c in _COUNTERS for p in _PERIODS
]
_VALUES = ["%(player)s", "%(currency)s", "%(day)s", "%(week)s", "%(month)s"] + [
    f"%({'deposit' if c == 'deposited' else 'stake' if c == 'wagered' else 'lost'})s"
    for c in _COUNTERS
    for p in _PERIODS
]
_SETS = [f"{c}_{p} = {_counter(c, p)}" for c in _COUNTERS for p in _PERIODS]

# Built from this module's own names only; every value is a bound parameter.
CHARGE = (
    "WITH prior AS (SELECT late_night_on FROM rg_accounts"  # noqa: S608  # nosec B608
    " WHERE player_id = %(player)s AND currency = %(currency)s),"
    " reality AS (SELECT reality_check_minutes, session_id, acknowledged_at FROM rg_players"
    " WHERE player_id = %(player)s)"
    f" INSERT INTO rg_accounts AS a ({', '.join(_COLUMNS)}, deposits_this_week, deposits_last_week,"
    " session_id, session_net, late_night_on, updated_at)"
    f" VALUES ({', '.join(_VALUES)}, %(deposits)s, 0, %(session)s::uuid,"
    " CASE WHEN %(session)s::uuid IS NULL THEN 0 ELSE -%(lost)s END,"
    " CASE WHEN %(late)s THEN %(day)s::date END, %(now)s)"
    " ON CONFLICT (player_id, currency) DO UPDATE SET "
    + ", ".join(_SETS)
    + ", deposits_last_week = CASE WHEN a.week = EXCLUDED.week THEN a.deposits_last_week"  # noqa: S608  # nosec B608
    " WHEN a.week = EXCLUDED.week - 7 THEN a.deposits_this_week ELSE 0 END,"
    " deposits_this_week = CASE WHEN a.week = EXCLUDED.week THEN a.deposits_this_week ELSE 0 END"
    " + EXCLUDED.deposits_this_week,"
    " session_net = CASE WHEN EXCLUDED.session_id IS NULL THEN a.session_net"
    " WHEN a.session_id = EXCLUDED.session_id THEN a.session_net + EXCLUDED.session_net"
    " ELSE EXCLUDED.session_net END,"
    " session_id = coalesce(EXCLUDED.session_id, a.session_id),"
    " late_night_on = coalesce(EXCLUDED.late_night_on, a.late_night_on),"
    " day = EXCLUDED.day, week = EXCLUDED.week, month = EXCLUDED.month, updated_at = EXCLUDED.updated_at"
    f" WHERE NOT %(check)s OR ({_CHECKS})"
    " RETURNING a.session_net, a.deposits_this_week, a.deposits_last_week,"
    " (SELECT late_night_on FROM prior) IS DISTINCT FROM a.late_night_on,"
    " (SELECT reality_check_minutes FROM reality),"
    " (SELECT CASE WHEN session_id = %(session)s::uuid THEN acknowledged_at END FROM reality)"
)


@dataclass(frozen=True)
class Charged:
    """What a charge that went through leaves: the session's net position, this and last week's
    deposit counts, whether it marked a new late night, and the reality-check settings."""

    session_net: int
    deposits_this_week: int
    deposits_last_week: int
    late_night_marked: bool
    reality_check_minutes: int | None
    acknowledged_at: datetime | None


async def charge(
    session: AsyncSession,
    *,
    player_id: uuid.UUID,
    currency: str,
    periods: Periods,
    now: datetime,
    deposit: int = 0,
    stake: int = 0,
    lost: int = 0,
    session_id: uuid.UUID | None = None,
    elapsed_seconds: float | None = None,
    late: bool = False,
    check: bool = True,
) -> Charged | None:
    """Add a deposit, a stake or a payout (``lost`` < 0) to the player's counters; None if refused."""
    params: dict[str, Any] = {
        "player": player_id,
        "currency": currency,
        "day": periods.day,
        "week": periods.week,
        "month": periods.month,
        "deposit": deposit,
        "deposits": 1 if deposit > 0 else 0,
        "stake": stake,
        "lost": lost,
        "session": session_id,
        "elapsed": elapsed_seconds,
        "late": late,
        "now": now,
        "check": check,
    }
    row = await (await execute_plain(session, CHARGE, params)).fetchone()
    return None if row is None else Charged(*row)


async def give_back_deposit(
    session: AsyncSession,
    *,
    player_id: uuid.UUID,
    currency: str,
    periods: Periods,
    amount: int,
    now: datetime,
) -> None:
    """A failed deposit's amount no longer counts, in whichever of its periods are still current."""
    table = RgAccount.__table__.c
    values = {
        f"deposited_{p}": case(
            (table[p] == getattr(periods, p), func.greatest(0, table[f"deposited_{p}"] - amount)),
            else_=table[f"deposited_{p}"],
        )
        for p in _PERIODS
    }
    await session.execute(
        update(RgAccount)
        .where(RgAccount.player_id == player_id, RgAccount.currency == currency)
        .values(**values, updated_at=now)
    )


async def account(
    session: AsyncSession, player_id: uuid.UUID, currency: str, *, lock: bool = False
) -> dict[str, Any] | None:
    """The player's row for the currency as plain values (the ORM never tracks it)."""
    stmt = select(*RgAccount.__table__.c).where(
        RgAccount.player_id == player_id, RgAccount.currency == currency
    )
    if lock:
        stmt = stmt.with_for_update()
    row = (await session.execute(stmt)).mappings().first()
    return None if row is None else dict(row)


async def accounts(session: AsyncSession, player_id: uuid.UUID) -> list[dict[str, Any]]:
    rows = await session.execute(select(*RgAccount.__table__.c).where(RgAccount.player_id == player_id))
    return [dict(r) for r in rows.mappings()]


async def ensure_account(
    session: AsyncSession, *, player_id: uuid.UUID, currency: str, periods: Periods, now: datetime
) -> None:
    await session.execute(
        insert(RgAccount)
        .values(
            player_id=player_id,
            currency=currency,
            day=periods.day,
            week=periods.week,
            month=periods.month,
            updated_at=now,
        )
        .on_conflict_do_nothing(index_elements=["player_id", "currency"])
    )


def in_force_column(kind: LimitKind, period: Period) -> str:
    """The ``rg_accounts`` column that carries a limit's amount in force."""
    return "session_minutes" if kind is LimitKind.SESSION else f"{kind}_{period}"


async def put_in_force(
    session: AsyncSession,
    *,
    player_id: uuid.UUID,
    currency: str,
    kind: LimitKind,
    period: Period,
    amount: int | None,
    now: datetime,
) -> None:
    await session.execute(
        update(RgAccount)
        .where(RgAccount.player_id == player_id, RgAccount.currency == currency)
        .values({in_force_column(kind, period): amount, "updated_at": now})
    )


async def limit(
    session: AsyncSession, *, player_id: uuid.UUID, currency: str, kind: LimitKind, period: Period
) -> RgLimit | None:
    found: RgLimit | None = await session.scalar(
        select(RgLimit)
        .where(
            RgLimit.player_id == player_id,
            RgLimit.currency == currency,
            RgLimit.kind == kind,
            RgLimit.period == period,
        )
        .with_for_update()
    )
    return found


async def limits(session: AsyncSession, player_id: uuid.UUID) -> Sequence[RgLimit]:
    return (
        await session.scalars(
            select(RgLimit)
            .where(RgLimit.player_id == player_id)
            .order_by(RgLimit.currency, RgLimit.kind, RgLimit.period)
        )
    ).all()


async def add_change(session: AsyncSession, change: RgLimitChange) -> None:
    session.add(change)
    await session.flush()


async def increases_since(session: AsyncSession, player_id: uuid.UUID, since: datetime) -> int:
    """How many higher limits or removals the player has asked for since ``since``."""
    count = await session.scalar(
        select(func.count())
        .select_from(RgLimitChange)
        .where(
            RgLimitChange.player_id == player_id,
            RgLimitChange.at >= since,
            RgLimitChange.increase.is_(True),
            RgLimitChange.change == "requested",
        )
    )
    return int(count or 0)


async def changes_of(session: AsyncSession, player_id: uuid.UUID) -> Sequence[RgLimitChange]:
    """The player's limit history, oldest first."""
    return (
        await session.scalars(
            select(RgLimitChange)
            .where(RgLimitChange.player_id == player_id)
            .order_by(RgLimitChange.at, RgLimitChange.id)
        )
    ).all()


async def changes_between(session: AsyncSession, start: datetime, end: datetime) -> Sequence[RgLimitChange]:
    """Every limit change in ``[start, end)``, oldest first (for the regulator's reports)."""
    return (
        await session.scalars(
            select(RgLimitChange)
            .where(RgLimitChange.at >= start, RgLimitChange.at < end)
            .order_by(RgLimitChange.at, RgLimitChange.id)
        )
    ).all()


async def reality_settings(session: AsyncSession, player_id: uuid.UUID) -> RgPlayer | None:
    return await session.get(RgPlayer, player_id)


async def set_reality_check(
    session: AsyncSession, *, player_id: uuid.UUID, minutes: int | None, now: datetime
) -> None:
    await session.execute(
        insert(RgPlayer)
        .values(player_id=player_id, reality_check_minutes=minutes, updated_at=now)
        .on_conflict_do_update(
            index_elements=["player_id"], set_={"reality_check_minutes": minutes, "updated_at": now}
        )
    )


async def acknowledge_reality_check(
    session: AsyncSession, *, player_id: uuid.UUID, session_id: uuid.UUID, now: datetime
) -> None:
    await session.execute(
        insert(RgPlayer)
        .values(player_id=player_id, session_id=session_id, acknowledged_at=now, updated_at=now)
        .on_conflict_do_update(
            index_elements=["player_id"],
            set_={"session_id": session_id, "acknowledged_at": now, "updated_at": now},
        )
    )
