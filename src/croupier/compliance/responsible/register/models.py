"""The register's latest answer about each player, reused at sign-in while it is fresh."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import CheckConstraint, DateTime, ForeignKey, String, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from croupier.compliance.responsible.register.client import Answer
from croupier.kit.models import Base, one_of


class RegisterCheck(Base):
    __tablename__ = "register_checks"

    player_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("players.id", ondelete="RESTRICT"), primary_key=True
    )
    answer: Mapped[str] = mapped_column(String(16), nullable=False)
    unique_id: Mapped[str | None] = mapped_column(String(64))
    trigger: Mapped[str] = mapped_column(String(16), nullable=False)  # registration or sign_in
    checked_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)

    __table_args__ = (CheckConstraint(one_of("answer", Answer), name="answer_known"),)
