"""The outbox of domain events: one row per change, committed with the change."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, CheckConstraint, DateTime, Identity, Index, String, Text, Uuid, func
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
