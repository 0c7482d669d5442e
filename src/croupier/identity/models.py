"""Identity tables. Personal fields are sealed per player (``*_enc``); look-ups use blind indexes."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    Uuid,
    func,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, deferred, mapped_column

from croupier.kit.models import Base, CreatedAt, one_of


class PlayerStatus(StrEnum):
    ACTIVE = "active"
    DISABLED = "disabled"  # by staff: no sign-in, no bets
    ERASED = "erased"  # personal data crypto-shredded (GDPR art. 17): final


def _player_fk() -> ForeignKey:
    return ForeignKey("players.id", ondelete="RESTRICT")


class Player(CreatedAt, Base):
    __tablename__ = "players"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    email_index: Mapped[bytes] = mapped_column(LargeBinary, nullable=False, unique=True)
    email_enc: Mapped[bytes] = mapped_column(LargeBinary, nullable=False)
    first_name_enc: Mapped[bytes] = mapped_column(LargeBinary, nullable=False)
    last_name_enc: Mapped[bytes] = mapped_column(LargeBinary, nullable=False)
    date_of_birth_enc: Mapped[bytes] = mapped_column(LargeBinary, nullable=False)
    # None: the player gave none. Sent to the national register, which matches better with it.
    postcode_enc: Mapped[bytes | None] = mapped_column(LargeBinary)
    # Kept in clear: jurisdiction rules and regulator reports select by country.
    country: Mapped[str] = mapped_column(String(2), nullable=False)
    password_hash: Mapped[str] = deferred(mapped_column(Text, nullable=False))
    status: Mapped[str] = mapped_column(String(16), nullable=False, default=PlayerStatus.ACTIVE)
    last_sign_in_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # When the player proved the address on file by a mailed link; until then no deposits.
    email_verified_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    password_changed_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), nullable=False, server_default=func.now()
    )
    totp_secret_enc: Mapped[bytes | None] = deferred(mapped_column(LargeBinary))
    totp_pending_enc: Mapped[bytes | None] = deferred(mapped_column(LargeBinary))
    totp_enabled_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # Highest RFC 6238 time step accepted so far: a code is good once.
    totp_last_step: Mapped[int | None] = mapped_column(BigInteger)
    # Until when the player may not deposit or bet (a time-out, a self-exclusion, the national
    # register). Kept by compliance.responsible, which holds the exclusions themselves; a copy
    # here so that the session look-up every bet makes reads it without a statement of its own.
    gambling_blocked_until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    __table_args__ = (CheckConstraint(one_of("status", PlayerStatus), name="status_known"),)


class SignInGuard(Base):
    """Failed sign-ins per email blind index, known account or not.

    Keyed by the address rather than the player so that an unknown address
    locks exactly like a real one: lockout reveals nothing about who exists.
    """

    __tablename__ = "sign_in_guards"

    email_index: Mapped[bytes] = mapped_column(LargeBinary, primary_key=True)
    failures: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    locked_until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), nullable=False, server_default=func.now()
    )

    __table_args__ = (CheckConstraint("failures >= 0", name="failures_non_negative"),)


class PlayerSession(CreatedAt, Base):
    """A signed-in device. Only the SHA-256 of its bearer token is stored."""

    __tablename__ = "player_sessions"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    player_id: Mapped[uuid.UUID] = mapped_column(Uuid, _player_fk(), nullable=False)
    token_hash: Mapped[bytes] = mapped_column(LargeBinary, nullable=False, unique=True)
    last_seen_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    authenticated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    mfa_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    ip: Mapped[str | None] = mapped_column(String(64))
    user_agent: Mapped[str | None] = mapped_column(Text)
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    revoked_reason: Mapped[str | None] = mapped_column(String(32))

    __table_args__ = (Index("ix_player_sessions_player_active", "player_id", "revoked_at"),)


class RecoveryCode(CreatedAt, Base):
    __tablename__ = "recovery_codes"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    player_id: Mapped[uuid.UUID] = mapped_column(Uuid, _player_fk(), nullable=False, index=True)
    code_hash: Mapped[bytes] = mapped_column(LargeBinary, nullable=False, unique=True)
    used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class Passkey(CreatedAt, Base):
    __tablename__ = "passkeys"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    player_id: Mapped[uuid.UUID] = mapped_column(Uuid, _player_fk(), nullable=False, index=True)
    credential_id: Mapped[bytes] = mapped_column(LargeBinary, nullable=False, unique=True)
    public_key: Mapped[bytes] = mapped_column(LargeBinary, nullable=False)
    sign_count: Mapped[int] = mapped_column(BigInteger, nullable=False, default=0)
    transports: Mapped[list[str]] = mapped_column(JSONB, nullable=False, default=list)
    name: Mapped[str] = mapped_column(String(64), nullable=False)
    last_used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class WebAuthnChallenge(CreatedAt, Base):
    """A single-use ceremony challenge, bound to a player and a purpose."""

    __tablename__ = "webauthn_challenges"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    player_id: Mapped[uuid.UUID] = mapped_column(Uuid, _player_fk(), nullable=False, index=True)
    purpose: Mapped[str] = mapped_column(String(16), nullable=False)
    challenge: Mapped[bytes] = mapped_column(LargeBinary, nullable=False, unique=True)
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class MfaTicket(CreatedAt, Base):
    """Proof that the password was right, waiting for the second factor."""

    __tablename__ = "mfa_tickets"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    player_id: Mapped[uuid.UUID] = mapped_column(Uuid, _player_fk(), nullable=False, index=True)
    token_hash: Mapped[bytes] = mapped_column(LargeBinary, nullable=False, unique=True)
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    failed_attempts: Mapped[int] = mapped_column(Integer, nullable=False, default=0)


class PasswordReset(CreatedAt, Base):
    __tablename__ = "password_resets"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    player_id: Mapped[uuid.UUID] = mapped_column(Uuid, _player_fk(), nullable=False, index=True)
    token_hash: Mapped[bytes] = mapped_column(LargeBinary, nullable=False, unique=True)
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    details: Mapped[dict[str, Any]] = mapped_column(JSONB, nullable=False, default=dict)


class EmailVerification(CreatedAt, Base):
    """A mailed single-use link that proves an address: the one registered, or one to change to.

    ``email_index`` names the address the link proves; for a change the new
    address waits here, sealed under the player's key, until its link is used.
    """

    __tablename__ = "email_verifications"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    player_id: Mapped[uuid.UUID] = mapped_column(Uuid, _player_fk(), nullable=False, index=True)
    purpose: Mapped[str] = mapped_column(String(16), nullable=False)
    token_hash: Mapped[bytes] = mapped_column(LargeBinary, nullable=False, unique=True)
    email_index: Mapped[bytes] = mapped_column(LargeBinary, nullable=False)
    new_email_enc: Mapped[bytes | None] = mapped_column(LargeBinary)
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    __table_args__ = (CheckConstraint("purpose IN ('register', 'change')", name="purpose_known"),)


class KnownDevice(Base):
    """A device a player has signed in from, so that a sign-in from any other is told by mail.

    Only a keyed hash of the device's description is kept (see ``devices.py``).
    """

    __tablename__ = "known_devices"

    player_id: Mapped[uuid.UUID] = mapped_column(Uuid, _player_fk(), primary_key=True)
    device_hash: Mapped[bytes] = mapped_column(LargeBinary, primary_key=True)
    first_seen_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    last_seen_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
