"""OAuth clients, their access tokens and the client assertions already used."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import ARRAY, CheckConstraint, DateTime, ForeignKey, LargeBinary, String, Uuid
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from croupier.kit.models import Base, CreatedAt, one_of


class ClientAuth(StrEnum):
    """How a client proves who it is at the token endpoint."""

    SECRET = "client_secret"  # noqa: S105 - client_secret_basic or client_secret_post
    PRIVATE_KEY_JWT = "private_key_jwt"  # RFC 7523: a JWT signed with the client's private key


class OAuthClient(CreatedAt, Base):
    """A machine client: a secret stored as its SHA-256, or the public key its assertions verify with."""

    __tablename__ = "oauth_clients"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    client_id: Mapped[str] = mapped_column(String(40), nullable=False, unique=True)
    name: Mapped[str] = mapped_column(String(64), nullable=False, unique=True)
    auth_method: Mapped[str] = mapped_column(String(32), nullable=False)
    secret_hash: Mapped[bytes | None] = mapped_column(LargeBinary(32), unique=True)
    # The public JWK only: registering a private key is refused.
    public_jwk: Mapped[dict[str, Any] | None] = mapped_column(JSONB(none_as_null=True))
    scopes: Mapped[list[str]] = mapped_column(ARRAY(String(32)), nullable=False)
    created_by: Mapped[str] = mapped_column(String(64), nullable=False)
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    __table_args__ = (
        CheckConstraint(one_of("auth_method", ClientAuth), name="auth_method_known"),
        CheckConstraint(
            "(auth_method = 'client_secret') = (secret_hash IS NOT NULL)"
            " AND (auth_method = 'private_key_jwt') = (public_jwk IS NOT NULL)",
            name="credential_matches_method",
        ),
    )


class OAuthAccessToken(Base):
    """An opaque bearer token, stored as its SHA-256, bound to the client it was issued to."""

    __tablename__ = "oauth_access_tokens"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    token_hash: Mapped[bytes] = mapped_column(LargeBinary(32), nullable=False, unique=True)
    client_pk: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("oauth_clients.id", ondelete="CASCADE"), nullable=False, index=True
    )
    scopes: Mapped[list[str]] = mapped_column(ARRAY(String(32)), nullable=False)
    issued_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class OAuthAssertion(Base):
    """A client assertion's ``jti``, kept until the assertion expires so it is accepted once."""

    __tablename__ = "oauth_client_assertions"

    client_pk: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("oauth_clients.id", ondelete="CASCADE"), primary_key=True
    )
    jti: Mapped[str] = mapped_column(String(200), primary_key=True)
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
