from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, DateTime, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from croupier.kit.models import Base


class OperationalCheck(Base):
    """The last run of one periodic check (``books``, ``audit_chain``): one row per check, overwritten."""

    __tablename__ = "operational_checks"

    name: Mapped[str] = mapped_column(String(32), primary_key=True)
    ok: Mapped[bool] = mapped_column(Boolean, nullable=False)
    last_run_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    last_success_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    last_failure_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # What the last failed run found first (an entry number, an account); never secret material.
    detail: Mapped[str | None] = mapped_column(Text)
