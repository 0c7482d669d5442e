"""Responsible-gambling tables: the limits a player set, and the per-currency state every money path locks.

``rg_limits`` is what the player asked for (the amount in force, a pending increase
or removal and when it may be confirmed); ``rg_accounts`` is what the money paths
read and write in one statement: a copy of the amounts in force beside this period's
usage, so a bet or a deposit checks and counts itself against one locked row.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    Identity,
    Index,
    Integer,
    String,
    Uuid,
    func,
)
from sqlalchemy.orm import Mapped, mapped_column

from croupier.kit.models import Base, one_of


class LimitKind(StrEnum):
    DEPOSIT = "deposit"
    LOSS = "loss"  # net: stakes less payouts
    WAGER = "wager"
    SESSION = "session"  # minutes of play since sign-in


class Period(StrEnum):
    DAY = "day"
    WEEK = "week"
    MONTH = "month"
    SESSION = "session"  # the session-time limit's only period


class Change(StrEnum):
    """What a request did to a limit, as recorded in ``rg_limit_changes`` and the ``limit_changed`` event."""

    SET = "set"  # a new limit, or a lower one: in force at once
    REQUESTED = "requested"  # a higher limit or a removal: pending until confirmed after the cooling-off
    CONFIRMED = "confirmed"
    CANCELLED = "cancelled"  # a pending request withdrawn by setting the limit again


MONEY_PERIODS = (Period.DAY, Period.WEEK, Period.MONTH)


def _player_fk() -> ForeignKey:
    return ForeignKey("players.id", ondelete="RESTRICT")


class RgLimit(Base):
    """One limit of one player: ``amount`` in force (minor units, or minutes for a session limit)."""

    __tablename__ = "rg_limits"

    player_id: Mapped[uuid.UUID] = mapped_column(Uuid, _player_fk(), primary_key=True)
    currency: Mapped[str] = mapped_column(String(8), primary_key=True)
    kind: Mapped[str] = mapped_column(String(16), primary_key=True)
    period: Mapped[str] = mapped_column(String(16), primary_key=True)
    amount: Mapped[int | None] = mapped_column(BigInteger)  # None: nothing in force
    # A higher amount, or a removal (``pending_removal``), waiting for the cooling-off and a confirmation.
    pending_amount: Mapped[int | None] = mapped_column(BigInteger)
    pending_removal: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    requested_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    confirmable_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)

    __table_args__ = (
        CheckConstraint(one_of("kind", LimitKind), name="kind_known"),
        CheckConstraint(one_of("period", Period), name="period_known"),
        CheckConstraint("amount IS NULL OR amount > 0", name="amount_positive"),
        CheckConstraint("pending_amount IS NULL OR pending_amount > 0", name="pending_amount_positive"),
    )


class RgLimitChange(Base):
    """Every change a player made to a limit: the limit history staff and the regulator reports read."""

    __tablename__ = "rg_limit_changes"

    id: Mapped[int] = mapped_column(BigInteger, Identity(always=True), primary_key=True)
    player_id: Mapped[uuid.UUID] = mapped_column(Uuid, _player_fk(), nullable=False)
    currency: Mapped[str] = mapped_column(String(8), nullable=False)
    kind: Mapped[str] = mapped_column(String(16), nullable=False)
    period: Mapped[str] = mapped_column(String(16), nullable=False)
    change: Mapped[str] = mapped_column(String(16), nullable=False)
    previous: Mapped[int | None] = mapped_column(BigInteger)
    amount: Mapped[int | None] = mapped_column(BigInteger)  # what is (or will be) in force; None: no limit
    increase: Mapped[bool] = mapped_column(Boolean, nullable=False)  # a loosening: higher, or removed
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False, server_default=func.now())

    __table_args__ = (
        CheckConstraint(one_of("change", Change), name="change_known"),
        Index("ix_rg_limit_changes_player_at", "player_id", "at"),
        Index("ix_rg_limit_changes_at", "at"),
    )


class RgAccount(Base):
    """A player's limits in force in one currency beside what this day, week and month used of them.

    Periods are the casino's gaming day, the ISO week and the calendar month it falls in;
    each counter starts again when its period's first day (``day``, ``week``, ``month``)
    moves on. ``lost_*`` is net (stakes less payouts) and may be negative. Deposits count
    when they are made and are given back if they fail.
    """

    __tablename__ = "rg_accounts"

    player_id: Mapped[uuid.UUID] = mapped_column(Uuid, _player_fk(), primary_key=True)
    currency: Mapped[str] = mapped_column(String(8), primary_key=True)
    deposit_day: Mapped[int | None] = mapped_column(BigInteger)
    deposit_week: Mapped[int | None] = mapped_column(BigInteger)
    deposit_month: Mapped[int | None] = mapped_column(BigInteger)
    loss_day: Mapped[int | None] = mapped_column(BigInteger)
    loss_week: Mapped[int | None] = mapped_column(BigInteger)
    loss_month: Mapped[int | None] = mapped_column(BigInteger)
    wager_day: Mapped[int | None] = mapped_column(BigInteger)
    wager_week: Mapped[int | None] = mapped_column(BigInteger)
    wager_month: Mapped[int | None] = mapped_column(BigInteger)
    session_minutes: Mapped[int | None] = mapped_column(Integer)
    day: Mapped[date] = mapped_column(Date, nullable=False)
    week: Mapped[date] = mapped_column(Date, nullable=False)
    month: Mapped[date] = mapped_column(Date, nullable=False)
    deposited_day: Mapped[int] = mapped_column(BigInteger, nullable=False, default=0)
    deposited_week: Mapped[int] = mapped_column(BigInteger, nullable=False, default=0)
    deposited_month: Mapped[int] = mapped_column(BigInteger, nullable=False, default=0)
    wagered_day: Mapped[int] = mapped_column(BigInteger, nullable=False, default=0)
    wagered_week: Mapped[int] = mapped_column(BigInteger, nullable=False, default=0)
    wagered_month: Mapped[int] = mapped_column(BigInteger, nullable=False, default=0)
    lost_day: Mapped[int] = mapped_column(BigInteger, nullable=False, default=0)
    lost_week: Mapped[int] = mapped_column(BigInteger, nullable=False, default=0)
    lost_month: Mapped[int] = mapped_column(BigInteger, nullable=False, default=0)
    # Deposits made this week and in the week before: a rising frequency is a marker of harm.
    deposits_this_week: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    deposits_last_week: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    # The sign-in session the net position below belongs to (in-house play only).
    session_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    session_net: Mapped[int] = mapped_column(BigInteger, nullable=False, default=0)
    # The gaming day late-night play was last marked on: one marker a night.
    late_night_on: Mapped[date | None] = mapped_column(Date)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)


class RgPlayer(Base):
    """A player's reality-check interval and the sign-in session it was last acknowledged in."""

    __tablename__ = "rg_players"

    player_id: Mapped[uuid.UUID] = mapped_column(Uuid, _player_fk(), primary_key=True)
    reality_check_minutes: Mapped[int | None] = mapped_column(Integer)
    session_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    acknowledged_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)

    __table_args__ = (
        CheckConstraint(
            "reality_check_minutes IS NULL OR reality_check_minutes > 0", name="interval_positive"
        ),
    )
