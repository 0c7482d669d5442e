"""Approval requests: a staff action that waits for a second member of staff."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import CheckConstraint, DateTime, Index, String, Uuid
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from croupier.kit.models import Base, CreatedAt, one_of


class ApprovalStatus(StrEnum):
    PENDING = "pending"
    APPROVED = "approved"  # the action was done, in the transaction that approved it
    REJECTED = "rejected"
    EXPIRED = "expired"
    # Withdrawn by the member who asked, or closed because its subject left the state the
    # action needs (the withdrawal was rejected or cancelled directly); the note says which.
    CANCELLED = "cancelled"


class ApprovalRequest(CreatedAt, Base):
    """One request: what to do (kind and payload), on what (subject), who asked, who decided.

    The payload holds the action's parameters (ids, amounts, versions), never secrets or
    personal data beyond ids. At most one request per kind and subject is pending, so a
    second ``approve`` of the same withdrawal finds the first request instead of a twin.
    """

    __tablename__ = "approval_requests"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    kind: Mapped[str] = mapped_column(String(64), nullable=False)
    # What the action is about, e.g. "withdrawal:<id>" or "rule_set:default".
    subject: Mapped[str] = mapped_column(String(320), nullable=False)
    payload: Mapped[dict[str, Any]] = mapped_column(JSONB, nullable=False)
    maker: Mapped[str] = mapped_column(String(64), nullable=False)
    maker_reason: Mapped[str | None] = mapped_column(String(500))
    # The permission a checker must hold (staff.access.Permission).
    permission: Mapped[str] = mapped_column(String(32), nullable=False)
    status: Mapped[str] = mapped_column(String(16), nullable=False, default=ApprovalStatus.PENDING)
    checker: Mapped[str | None] = mapped_column(String(64))
    checker_note: Mapped[str | None] = mapped_column(String(500))
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    decided_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    __table_args__ = (
        CheckConstraint(one_of("status", ApprovalStatus), name="status_known"),
        # Four eyes: whoever approves or rejects is not who asked.
        CheckConstraint("checker IS NULL OR checker <> maker", name="four_eyes"),
        CheckConstraint("(status = 'pending') = (decided_at IS NULL)", name="decided_when_closed"),
        Index(
            "uq_approval_requests_pending",
            "kind",
            "subject",
            unique=True,
            postgresql_where="status = 'pending'",
        ),
        Index("ix_approval_requests_kind_subject", "kind", "subject", "created_at"),
        Index("ix_approval_requests_status_created", "status", "created_at"),
    )
