"""Staff keys (for machines) and custom staff roles."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ARRAY, DateTime, LargeBinary, String, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from croupier.kit.models import Base, CreatedAt


class StaffKey(CreatedAt, Base):
    """A bearer secret for a machine, stored as its SHA-256; scoped by one role."""

    __tablename__ = "staff_keys"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    name: Mapped[str] = mapped_column(String(64), nullable=False, unique=True)
    # A built-in role or a row of staff_roles; checked when the key is issued.
    role: Mapped[str] = mapped_column(String(32), nullable=False)
    token_hash: Mapped[bytes] = mapped_column(LargeBinary(32), nullable=False, unique=True)
    issued_by: Mapped[str] = mapped_column(String(64), nullable=False)
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    last_used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class StaffRoleRecord(CreatedAt, Base):
    """A custom role: a named set of permissions (the built-in roles live in code)."""

    __tablename__ = "staff_roles"

    name: Mapped[str] = mapped_column(String(32), primary_key=True)
    description: Mapped[str] = mapped_column(String(200), nullable=False)
    permissions: Mapped[list[str]] = mapped_column(ARRAY(String(32)), nullable=False)
    created_by: Mapped[str] = mapped_column(String(64), nullable=False)
    updated_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
