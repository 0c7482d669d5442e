"""Privacy tables: consent history, access exports and erasures. None holds personal data in
clear: an export's archive is sealed under the player's data key."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    Identity,
    Index,
    Integer,
    LargeBinary,
    String,
    Uuid,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from croupier.kit.models import Base, CreatedAt, one_of


class ConsentPurpose(StrEnum):
    MARKETING_EMAIL = "marketing_email"
    MARKETING_SMS = "marketing_sms"
    ANALYTICS = "analytics"


class ConsentSource(StrEnum):
    """Where a change came from: the player's own client, or the operator's side."""

    WEB = "web"
    APP = "app"
    API = "api"
    STAFF = "staff"
    ERASURE = "erasure"


class ExportStatus(StrEnum):
    PENDING = "pending"  # waiting for its job
    READY = "ready"  # sealed archive waiting for its one download
    DOWNLOADED = "downloaded"  # archive destroyed at its download
    EXPIRED = "expired"  # archive destroyed unread
    FAILED = "failed"  # the job gave up; the player may ask again


def _player_fk() -> ForeignKey:
    return ForeignKey("players.id", ondelete="RESTRICT")


class ConsentRecord(Base):
    """Append-only: every grant and withdrawal, with its time, source and text version.

    The player's standing consent for a purpose is the newest record for it.
    """

    __tablename__ = "consent_records"

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    player_id: Mapped[uuid.UUID] = mapped_column(Uuid, _player_fk(), nullable=False)
    purpose: Mapped[str] = mapped_column(String(32), nullable=False)
    granted: Mapped[bool] = mapped_column(Boolean, nullable=False)
    text_version: Mapped[str] = mapped_column(String(32), nullable=False)
    source: Mapped[str] = mapped_column(String(16), nullable=False)
    recorded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)

    __table_args__ = (
        CheckConstraint(one_of("purpose", ConsentPurpose), name="purpose_known"),
        CheckConstraint(one_of("source", ConsentSource), name="source_known"),
        Index("ix_consent_records_player_purpose", "player_id", "purpose", "id"),
    )


class DataExport(CreatedAt, Base):
    """A player's request for their data (article 15 and 20), and its archive until downloaded."""

    __tablename__ = "data_exports"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    player_id: Mapped[uuid.UUID] = mapped_column(Uuid, _player_fk(), nullable=False, index=True)
    status: Mapped[str] = mapped_column(String(16), nullable=False, default=ExportStatus.PENDING)
    # JSON, sealed under the player's data key: unreadable once the key is destroyed.
    archive: Mapped[bytes | None] = mapped_column(LargeBinary)
    size_bytes: Mapped[int | None] = mapped_column(Integer)
    ready_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    downloaded_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    __table_args__ = (
        CheckConstraint(one_of("status", ExportStatus), name="status_known"),
        CheckConstraint("(archive IS NOT NULL) = (status = 'ready')", name="archive_only_when_ready"),
        # One export in preparation or waiting per player: a second request is refused, not queued.
        Index(
            "ix_data_exports_one_open",
            "player_id",
            unique=True,
            postgresql_where="status IN ('pending', 'ready')",
        ),
    )


class Erasure(Base):
    """That a player was erased, by whom, and until when the AML records stay on hold.

    Holds no personal data: the player is named by the pseudonymous id the kept
    financial records carry too.
    """

    __tablename__ = "erasures"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    player_id: Mapped[uuid.UUID] = mapped_column(Uuid, _player_fk(), nullable=False, unique=True)
    requested_by: Mapped[str] = mapped_column(String(16), nullable=False)
    requested_by_name: Mapped[str | None] = mapped_column(String(64))
    erased_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    hold_until: Mapped[date] = mapped_column(Date, nullable=False)
    # What each domain removed or blanked (counts), as shown in the response.
    steps: Mapped[dict[str, Any]] = mapped_column(JSONB, nullable=False, default=dict)

    __table_args__ = (
        CheckConstraint("requested_by IN ('player', 'staff', 'operator')", name="requested_by_known"),
    )
