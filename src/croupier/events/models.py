"""The outbox of domain events: one row per change, committed with the change."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    DateTime,
    Identity,
    Index,
    Integer,
    String,
    Text,
    Uuid,
    func,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from croupier.events.kinds import EventKind
from croupier.kit.models import Base, one_of


class DomainEvent(Base):
    """Something that happened to a player's account or money.

    ``id`` orders events globally; consumers keep their own position. The
    request's client (address, user agent, app-provided device id) travels with
    the event because risk features are built from it. ``player_id`` is null only
    when no account is known (a sign-in attempt for an unknown address). No foreign
    key: an event outlives nothing it describes, and erasure must not cascade here.
    """

    __tablename__ = "domain_events"

    id: Mapped[int] = mapped_column(BigInteger, Identity(always=True), primary_key=True)
    kind: Mapped[str] = mapped_column(String(32), nullable=False)
    player_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    occurred_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.clock_timestamp(), nullable=False
    )
    data: Mapped[dict[str, Any]] = mapped_column(JSONB, nullable=False)
    ip: Mapped[str | None] = mapped_column(String(45))
    user_agent: Mapped[str | None] = mapped_column(Text)
    device_id: Mapped[str | None] = mapped_column(String(128))

    __table_args__ = (
        CheckConstraint(one_of("kind", EventKind), name="kind_known"),
        Index("ix_domain_events_player", "player_id", "id"),
    )


class EventConsumer(Base):
    """A named consumer of the outbox and how far it has got.

    Every event with ``id <= horizon`` is processed by this consumer (or can no
    longer appear: see ``croupier.events.consumer``); above it, ``event_receipts``
    say which are. ``settle_id``/``settle_xmax`` carry the two-step proof that lets
    the horizon move past ids that transactions still open might yet commit.
    """

    __tablename__ = "event_consumers"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    horizon: Mapped[int] = mapped_column(BigInteger, nullable=False, server_default="0")
    settle_id: Mapped[int | None] = mapped_column(BigInteger)
    settle_xmax: Mapped[int | None] = mapped_column(BigInteger)
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), nullable=False
    )


class EventReceipt(Base):
    """Event ``event_id`` was processed by ``consumer``: committed with the handler's own writes."""

    __tablename__ = "event_receipts"

    consumer: Mapped[str] = mapped_column(String(64), primary_key=True)
    event_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)


class EventCursor(Base):
    """One player's lane in one consumer: locked while its events are handled, one worker at a time.

    ``player_key`` is the player's id, or the nil UUID for events without a player.
    A handler failure backs the lane off (``next_attempt_at``) without stopping the others.
    """

    __tablename__ = "event_cursors"

    consumer: Mapped[str] = mapped_column(String(64), primary_key=True)
    player_key: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    last_event_id: Mapped[int | None] = mapped_column(BigInteger)
    failures: Mapped[int] = mapped_column(Integer, nullable=False, server_default="0")
    next_attempt_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    last_error: Mapped[str | None] = mapped_column(Text)
