"""Staff API keys: stored as SHA-256 of a 256-bit secret, each with one role."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import CheckConstraint, DateTime, LargeBinary, String, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from croupier.kit.models import Base, CreatedAt


class StaffKey(CreatedAt, Base):
    __tablename__ = "staff_keys"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    name: Mapped[str] = mapped_column(String(64), nullable=False, unique=True)
    role: Mapped[str] = mapped_column(String(32), nullable=False)
    token_hash: Mapped[bytes] = mapped_column(LargeBinary(32), nullable=False, unique=True)
    issued_by: Mapped[str] = mapped_column(String(64), nullable=False)
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    last_used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    __table_args__ = (
        CheckConstraint("role IN ('payments', 'risk', 'kyc', 'compliance')", name="role_known"),
    )
