"""Risk tables: alerts (and, built on them, cases)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import CheckConstraint, DateTime, Float, ForeignKey, Index, String, Uuid, func
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from croupier.kit.models import Base, one_of
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
    created_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), nullable=False
    )

    __table_args__ = (
        CheckConstraint(one_of("typology", Typology), name="typology_known"),
        CheckConstraint("score >= 0 AND score <= 1", name="score_in_unit_range"),
        Index("ix_risk_alerts_player", "player_id", "created_at"),
    )
