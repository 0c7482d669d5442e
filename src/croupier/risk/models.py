"""Risk tables: alerts, the cases they group into, and each case's timeline."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    DateTime,
    Float,
    ForeignKey,
    Identity,
    Index,
    String,
    Text,
    Uuid,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from croupier.kit.models import Base, one_of
from croupier.risk.cases import CaseStatus, Disposition, TimelineAction
from croupier.risk.typologies import Typology


class RiskAlert(Base):
    """One suspicion about one player: what was seen, how strongly, and on which events.

    ``reasons`` are stable reason codes (and short explanations) an analyst and a
    regulator can read; ``event_ids`` point into ``domain_events``. ``source`` names
    what raised it: a rule (``rule:<name>@<version>``), the anomaly model, or the
    sanctions screening.
    """

    __tablename__ = "risk_alerts"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    player_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("players.id", ondelete="RESTRICT"), nullable=False
    )
    typology: Mapped[str] = mapped_column(String(32), nullable=False)
    source: Mapped[str] = mapped_column(String(128), nullable=False)
    score: Mapped[float] = mapped_column(Float, nullable=False)
    reasons: Mapped[list[Any]] = mapped_column(JSONB, nullable=False)
    event_ids: Mapped[list[int]] = mapped_column(JSONB, nullable=False)
    # Raising the same suspicion twice (a redelivered event) must not open a second alert.
    dedupe_key: Mapped[str] = mapped_column(String(200), nullable=False, unique=True)
    # The case that collects it: the player's open case when it was raised.
    case_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, ForeignKey("risk_cases.id", ondelete="RESTRICT"))
    created_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), nullable=False
    )

    __table_args__ = (
        CheckConstraint(one_of("typology", Typology), name="typology_known"),
        CheckConstraint("score >= 0 AND score <= 1", name="score_in_unit_range"),
        Index("ix_risk_alerts_player", "player_id", "created_at"),
        Index("ix_risk_alerts_case", "case_id"),
        # The analysts' list: newest first, by keyset.
        Index("ix_risk_alerts_newest", "created_at", "id"),
    )


class RiskCase(Base):
    """A player's alerts, worked by an analyst from open to a disposition."""

    __tablename__ = "risk_cases"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    player_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("players.id", ondelete="RESTRICT"), nullable=False
    )
    status: Mapped[str] = mapped_column(String(16), nullable=False)
    assignee: Mapped[str | None] = mapped_column(String(64))
    disposition: Mapped[str | None] = mapped_column(String(32))
    disposition_reason: Mapped[str | None] = mapped_column(Text)
    opened_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), nullable=False
    )
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), nullable=False
    )
    closed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    __table_args__ = (
        CheckConstraint(one_of("status", CaseStatus), name="status_known"),
        CheckConstraint(one_of("disposition", Disposition), name="disposition_known"),
        CheckConstraint(
            "(status = 'closed') = (disposition IS NOT NULL AND disposition_reason IS NOT NULL"
            " AND closed_at IS NOT NULL)",
            name="closed_with_disposition",
        ),
        # One case per player collects new alerts: at most one that is not closed.
        Index(
            "uq_risk_cases_one_open_per_player",
            "player_id",
            unique=True,
            postgresql_where=text("status <> 'closed'"),
        ),
        Index("ix_risk_cases_player", "player_id", "opened_at"),
    )


class RiskCaseEntry(Base):
    """One change to a case (opened, alert added, assigned, moved, note, closed): who, when, what."""

    __tablename__ = "risk_case_timeline"

    id: Mapped[int] = mapped_column(BigInteger, Identity(always=True), primary_key=True)
    case_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("risk_cases.id", ondelete="RESTRICT"), nullable=False
    )
    at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.clock_timestamp(), nullable=False
    )
    # ``staff:<key name>``, ``operator:<login>`` or ``system:<what raised it>``.
    actor: Mapped[str] = mapped_column(String(160), nullable=False)
    action: Mapped[str] = mapped_column(String(16), nullable=False)
    details: Mapped[dict[str, Any]] = mapped_column(JSONB, nullable=False)

    __table_args__ = (
        CheckConstraint(one_of("action", TimelineAction), name="action_known"),
        Index("ix_risk_case_timeline_case", "case_id", "id"),
    )
