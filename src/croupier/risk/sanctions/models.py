"""Sanctions tables: each import's provenance, the list entries, screenings and the hits they found."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    DateTime,
    Float,
    ForeignKey,
    Identity,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
    Uuid,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from croupier.kit.models import Base, one_of


class ListSource(StrEnum):
    """Who publishes a list; entries are keyed by source and the publisher's own id."""

    OFAC_SDN = "ofac_sdn"
    EU_FSF = "eu_fsf"
    UN_SC = "un_sc"


class SubjectKind(StrEnum):
    PERSON = "person"
    ENTITY = "entity"
    VESSEL = "vessel"
    AIRCRAFT = "aircraft"


class ScreeningTrigger(StrEnum):
    REGISTRATION = "registration"
    NAME_CHANGE = "name_change"
    LIST_IMPORT = "list_import"
    MANUAL = "manual"


class HitStatus(StrEnum):
    OPEN = "open"
    CLEARED = "cleared"


class SanctionsImport(Base):
    """One file loaded: where it came from, its SHA-256, and what it changed.

    Its id is the list version: screening indexes held in memory are rebuilt
    when a newer import exists.
    """

    __tablename__ = "sanctions_imports"

    id: Mapped[int] = mapped_column(BigInteger, Identity(always=True), primary_key=True)
    source: Mapped[str] = mapped_column(String(16), nullable=False)
    format: Mapped[str] = mapped_column(String(16), nullable=False)
    file_name: Mapped[str] = mapped_column(String(255), nullable=False)
    file_sha256: Mapped[str] = mapped_column(String(64), nullable=False)
    imported_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), nullable=False
    )
    imported_by: Mapped[str] = mapped_column(String(64), nullable=False)
    total: Mapped[int] = mapped_column(Integer, nullable=False)
    added: Mapped[int] = mapped_column(Integer, nullable=False)
    changed: Mapped[int] = mapped_column(Integer, nullable=False)
    removed: Mapped[int] = mapped_column(Integer, nullable=False)
    unchanged: Mapped[int] = mapped_column(Integer, nullable=False)
    players_screened: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    hits: Mapped[int] = mapped_column(Integer, nullable=False, default=0)

    __table_args__ = (CheckConstraint(one_of("source", ListSource), name="source_known"),)


class SanctionsEntry(Base):
    """One listed person or organisation, as its publisher describes it today.

    ``content_hash`` is the SHA-256 of what screening reads (names, dates of
    birth, nationalities, kind): a changed entry has a new hash, and a hit
    cleared on the old one may be raised again. An entry missing from a newer
    file of its source is marked ``removed_at``, never deleted: hits refer to it.
    """

    __tablename__ = "sanctions_entries"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    source: Mapped[str] = mapped_column(String(16), nullable=False)
    source_id: Mapped[str] = mapped_column(String(64), nullable=False)
    kind: Mapped[str] = mapped_column(String(16), nullable=False)
    name: Mapped[str] = mapped_column(Text, nullable=False)
    aliases: Mapped[list[str]] = mapped_column(JSONB, nullable=False)
    birth_dates: Mapped[list[str]] = mapped_column(JSONB, nullable=False)
    countries: Mapped[list[str]] = mapped_column(JSONB, nullable=False)
    programs: Mapped[list[str]] = mapped_column(JSONB, nullable=False)
    reference: Mapped[str | None] = mapped_column(String(128))
    content_hash: Mapped[bytes] = mapped_column(LargeBinary, nullable=False)
    first_import_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("sanctions_imports.id", ondelete="RESTRICT"), nullable=False
    )
    changed_import_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("sanctions_imports.id", ondelete="RESTRICT"), nullable=False
    )
    removed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    __table_args__ = (
        CheckConstraint(one_of("source", ListSource), name="source_known"),
        CheckConstraint(one_of("kind", SubjectKind), name="kind_known"),
        UniqueConstraint("source", "source_id", name="uq_sanctions_entries_source_id"),
    )


class SanctionsScreening(Base):
    """One player screened once: when, why, against which list version, and the best candidates.

    ``best`` holds the top candidates' entry ids, scores and reason codes, whether or
    not they reached the alert threshold: the record that screening happened.
    It never holds the player's name.
    """

    __tablename__ = "sanctions_screenings"

    id: Mapped[int] = mapped_column(BigInteger, Identity(always=True), primary_key=True)
    player_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("players.id", ondelete="RESTRICT"), nullable=False
    )
    trigger: Mapped[str] = mapped_column(String(16), nullable=False)
    list_version: Mapped[int | None] = mapped_column(BigInteger)
    screened_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), nullable=False
    )
    top_score: Mapped[float] = mapped_column(Float, nullable=False)
    best: Mapped[list[Any]] = mapped_column(JSONB, nullable=False)

    __table_args__ = (
        CheckConstraint(one_of("trigger", ScreeningTrigger), name="trigger_known"),
        Index("ix_sanctions_screenings_player", "player_id", "id"),
    )


class SanctionsHit(Base):
    """A player who resembles a list entry closely enough to be looked at.

    One hit per player, entry and version of the entry (``entry_hash``): a hit
    cleared by an analyst is not raised again until the entry itself changes.
    ``blocking`` hits (at or above the block threshold) refuse deposits and
    withdrawals while open.
    """

    __tablename__ = "sanctions_hits"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    player_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("players.id", ondelete="RESTRICT"), nullable=False
    )
    entry_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("sanctions_entries.id", ondelete="RESTRICT"), nullable=False
    )
    entry_hash: Mapped[bytes] = mapped_column(LargeBinary, nullable=False)
    screening_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("sanctions_screenings.id", ondelete="RESTRICT"), nullable=False
    )
    score: Mapped[float] = mapped_column(Float, nullable=False)
    reasons: Mapped[list[Any]] = mapped_column(JSONB, nullable=False)
    blocking: Mapped[bool] = mapped_column(Boolean, nullable=False)
    status: Mapped[str] = mapped_column(String(16), nullable=False, default=HitStatus.OPEN)
    alert_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    created_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), nullable=False
    )
    cleared_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    cleared_by: Mapped[str | None] = mapped_column(String(64))
    cleared_reason: Mapped[str | None] = mapped_column(Text)

    __table_args__ = (
        CheckConstraint(one_of("status", HitStatus), name="status_known"),
        CheckConstraint("score >= 0 AND score <= 1", name="score_in_unit_range"),
        UniqueConstraint("player_id", "entry_id", "entry_hash", name="uq_sanctions_hits_version"),
        # The money gate's one question: does this player have an open blocking hit?
        Index(
            "ix_sanctions_hits_open_blocking",
            "player_id",
            postgresql_where=text("status = 'open' AND blocking"),
        ),
    )
