"""oauth clients: machine clients, their access tokens and used client assertions

Revision ID: 0025_oauth_clients
Revises: 0023_staff_accounts
Create Date: 2026-12-10 10:00:00.000000

Three new tables and nothing else changed, so the previous release runs beside them untouched.
A client holds either the SHA-256 of its secret or its public JWK (RFC 7523), never both;
access tokens are stored as SHA-256 digests only; a client assertion's ``jti`` is kept until
the assertion expires so that it is accepted once.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0025_oauth_clients"
down_revision: str | None = "0023_staff_accounts"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.execute("SET LOCAL lock_timeout = '5s'")
    op.create_table(
        "oauth_clients",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("client_id", sa.String(40), nullable=False),
        sa.Column("name", sa.String(64), nullable=False),
        sa.Column("auth_method", sa.String(32), nullable=False),
        sa.Column("secret_hash", sa.LargeBinary(32), nullable=True),
        sa.Column("public_jwk", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.Column("scopes", sa.ARRAY(sa.String(32)), nullable=False),
        sa.Column("created_by", sa.String(64), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.CheckConstraint(
            "auth_method IN ('client_secret', 'private_key_jwt')",
            name=op.f("ck_oauth_clients_auth_method_known"),
        ),
        sa.CheckConstraint(
            "(auth_method = 'client_secret') = (secret_hash IS NOT NULL)"
            " AND (auth_method = 'private_key_jwt') = (public_jwk IS NOT NULL)",
            name=op.f("ck_oauth_clients_credential_matches_method"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_oauth_clients")),
        sa.UniqueConstraint("client_id", name=op.f("uq_oauth_clients_client_id")),
        sa.UniqueConstraint("name", name=op.f("uq_oauth_clients_name")),
        sa.UniqueConstraint("secret_hash", name=op.f("uq_oauth_clients_secret_hash")),
    )
    op.create_table(
        "oauth_access_tokens",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("token_hash", sa.LargeBinary(32), nullable=False),
        sa.Column("client_pk", sa.Uuid(), nullable=False),
        sa.Column("scopes", sa.ARRAY(sa.String(32)), nullable=False),
        sa.Column("issued_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["client_pk"],
            ["oauth_clients.id"],
            name=op.f("fk_oauth_access_tokens_client_pk_oauth_clients"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_oauth_access_tokens")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_oauth_access_tokens_token_hash")),
    )
    op.create_index(
        op.f("ix_oauth_access_tokens_client_pk"), "oauth_access_tokens", ["client_pk"], unique=False
    )
    op.create_table(
        "oauth_client_assertions",
        sa.Column("client_pk", sa.Uuid(), nullable=False),
        sa.Column("jti", sa.String(200), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["client_pk"],
            ["oauth_clients.id"],
            name=op.f("fk_oauth_client_assertions_client_pk_oauth_clients"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("client_pk", "jti", name=op.f("pk_oauth_client_assertions")),
    )


def downgrade() -> None:
    op.drop_table("oauth_client_assertions")
    op.drop_index(op.f("ix_oauth_access_tokens_client_pk"), table_name="oauth_access_tokens")
    op.drop_table("oauth_access_tokens")
    op.drop_table("oauth_clients")
