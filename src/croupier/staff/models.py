"""Staff keys (for machines), custom staff roles, and staff accounts (for people) with their
invitations and sign-in sessions."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ARRAY, BigInteger, DateTime, ForeignKey, Index, LargeBinary, String, Text, Uuid
from sqlalchemy.orm import Mapped, deferred, mapped_column

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


class StaffAccount(CreatedAt, Base):
    """A person of the back office: invited by an admin, signed in with a password and TOTP.

    ``password_hash`` is empty until the invitation is accepted; the TOTP secret is sealed
    under the keyring (``staff.second_factor``), never stored in the clear.
    """

    __tablename__ = "staff_accounts"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    # Lower-cased; the member's name in the audit log, hence at most 64 characters.
    email: Mapped[str] = mapped_column(String(64), nullable=False, unique=True)
    display_name: Mapped[str] = mapped_column(String(100), nullable=False)
    # Built-in or custom role names; what they grant is looked up on every request.
    roles: Mapped[list[str]] = mapped_column(ARRAY(String(32)), nullable=False)
    password_hash: Mapped[str | None] = deferred(mapped_column(Text))
    totp_secret_enc: Mapped[bytes | None] = deferred(mapped_column(LargeBinary))
    totp_pending_enc: Mapped[bytes | None] = deferred(mapped_column(LargeBinary))
    totp_enabled_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # The last TOTP step accepted: a code is never accepted twice.
    totp_last_step: Mapped[int | None] = mapped_column(BigInteger)
    invited_by: Mapped[str] = mapped_column(String(64), nullable=False)
    last_sign_in_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    disabled_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


def _account_fk() -> ForeignKey:
    return ForeignKey("staff_accounts.id", ondelete="CASCADE")


class StaffInvitation(CreatedAt, Base):
    """A one-time link to set the password; only the SHA-256 of its token is stored."""

    __tablename__ = "staff_invitations"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    account_id: Mapped[uuid.UUID] = mapped_column(Uuid, _account_fk(), nullable=False, index=True)
    token_hash: Mapped[bytes] = mapped_column(LargeBinary(32), nullable=False, unique=True)
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class StaffSession(CreatedAt, Base):
    """A signed-in person; full access only once ``mfa_at`` is set. Token stored as SHA-256."""

    __tablename__ = "staff_sessions"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    account_id: Mapped[uuid.UUID] = mapped_column(Uuid, _account_fk(), nullable=False)
    token_hash: Mapped[bytes] = mapped_column(LargeBinary(32), nullable=False, unique=True)
    last_seen_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    mfa_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    ip: Mapped[str | None] = mapped_column(String(64))
    user_agent: Mapped[str | None] = mapped_column(Text)
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    revoked_reason: Mapped[str | None] = mapped_column(String(32))

    __table_args__ = (Index("ix_staff_sessions_account_active", "account_id", "revoked_at"),)
