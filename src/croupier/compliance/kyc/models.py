"""KYC tables: each player's level, the provider's checks, the documents uploaded and the webhook inbox.

Personal data here (the address the player gave, the documents themselves) is sealed
under the player's data key; the rest is the state of the verification.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import CheckConstraint, DateTime, ForeignKey, Index, Integer, LargeBinary, String, Uuid, func
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from croupier.kit.models import Base, CreatedAt, one_of


class KycLevel(StrEnum):
    """In rising order: each level includes the ones before it."""

    NONE = "none"
    BASIC = "basic"  # name, date of birth and address checked
    FULL = "full"  # identity document and selfie (liveness) checked by the provider
    ENHANCED = "enhanced"  # source of funds reviewed by staff

    @property
    def rank(self) -> int:
        return list(KycLevel).index(self)

    def at_least(self, other: KycLevel) -> bool:
        return self.rank >= other.rank


class CheckStatus(StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"


class Rejection(StrEnum):
    RETRY = "retry"  # the player may upload again
    FINAL = "final"  # no further attempt; staff may still review


class DocumentKind(StrEnum):
    IDENTITY_DOCUMENT = "identity_document"
    SELFIE = "selfie"
    PROOF_OF_ADDRESS = "proof_of_address"


class DocumentType(StrEnum):
    JPEG = "image/jpeg"
    PNG = "image/png"
    PDF = "application/pdf"


def _player_fk() -> ForeignKey:
    return ForeignKey("players.id", ondelete="RESTRICT")


class PlayerKyc(CreatedAt, Base):
    """One row per player once anything KYC happened; the row deposits lock to count atomically."""

    __tablename__ = "player_kyc"

    player_id: Mapped[uuid.UUID] = mapped_column(Uuid, _player_fk(), primary_key=True)
    level: Mapped[str] = mapped_column(String(16), nullable=False, default=KycLevel.NONE)
    # The provider's applicant for this player, made at the first upload or check.
    applicant_id: Mapped[str | None] = mapped_column(String(64), unique=True)
    address_enc: Mapped[bytes | None] = mapped_column(LargeBinary)
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), nullable=False, server_default=func.now()
    )

    __table_args__ = (CheckConstraint(one_of("level", KycLevel), name="level_known"),)


class KycCheck(CreatedAt, Base):
    """A check asked of the provider; its result arrives by webhook."""

    __tablename__ = "kyc_checks"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    player_id: Mapped[uuid.UUID] = mapped_column(Uuid, _player_fk(), nullable=False)
    provider_check_id: Mapped[str | None] = mapped_column(String(64), unique=True)
    level: Mapped[str] = mapped_column(String(16), nullable=False)
    status: Mapped[str] = mapped_column(String(16), nullable=False, default=CheckStatus.PENDING)
    rejection: Mapped[str | None] = mapped_column(String(16))
    # The provider's reason codes (e.g. document_expired): never personal data.
    labels: Mapped[list[Any]] = mapped_column(JSONB, nullable=False, default=list)
    decided_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    __table_args__ = (
        CheckConstraint(one_of("level", (KycLevel.BASIC, KycLevel.FULL)), name="level_known"),
        CheckConstraint(one_of("status", CheckStatus), name="status_known"),
        CheckConstraint("rejection IS NULL OR " + one_of("rejection", Rejection), name="rejection_known"),
        Index("ix_kyc_checks_player_created", "player_id", "created_at"),
    )


class KycDocument(CreatedAt, Base):
    """An uploaded document; its content is a file in the document store, sealed under the player's key."""

    __tablename__ = "kyc_documents"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    player_id: Mapped[uuid.UUID] = mapped_column(Uuid, _player_fk(), nullable=False, index=True)
    kind: Mapped[str] = mapped_column(String(32), nullable=False)
    content_type: Mapped[str] = mapped_column(String(32), nullable=False)
    size_bytes: Mapped[int] = mapped_column(Integer, nullable=False)
    provider_document_id: Mapped[str | None] = mapped_column(String(64))
    # When the stored file was removed (retention or erasure); the row stays as the record.
    deleted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    __table_args__ = (
        CheckConstraint(one_of("kind", DocumentKind), name="kind_known"),
        CheckConstraint(one_of("content_type", DocumentType), name="content_type_known"),
        CheckConstraint("size_bytes > 0", name="size_positive"),
    )


class KycWebhookEvent(Base):
    """The provider's events, each acted on once: a repeat finds its row and does nothing."""

    __tablename__ = "kyc_webhook_events"

    event_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    kind: Mapped[str] = mapped_column(String(32), nullable=False)
    provider_check_id: Mapped[str | None] = mapped_column(String(64))
    outcome: Mapped[str] = mapped_column(String(32), nullable=False)
    received_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), nullable=False, server_default=func.now()
    )
