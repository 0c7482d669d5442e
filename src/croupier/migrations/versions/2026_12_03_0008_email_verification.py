"""email verification and known devices: players.email_verified_at, email_verifications, known_devices

Revision ID: 0008_email_verification
Revises: 0007_ledger_post_lean
Create Date: 2026-12-03 18:00:00.000000

Players admitted before addresses were verified keep what they had: they count
as verified from the moment they registered, so none of them loses deposits.
The new column is nullable, so the previous release keeps inserting players
(unverified) while this one rolls out.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008_email_verification"
down_revision: str | None = "0007_ledger_post_lean"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("players", sa.Column("email_verified_at", sa.DateTime(timezone=True), nullable=True))
    op.execute("UPDATE players SET email_verified_at = created_at WHERE email_verified_at IS NULL")
    op.create_table(
        "email_verifications",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("player_id", sa.Uuid(), nullable=False),
        sa.Column("purpose", sa.String(length=16), nullable=False),
        sa.Column("token_hash", sa.LargeBinary(), nullable=False),
        sa.Column("email_index", sa.LargeBinary(), nullable=False),
        sa.Column("new_email_enc", sa.LargeBinary(), nullable=True),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint(
            "purpose IN ('register', 'change')", name=op.f("ck_email_verifications_purpose_known")
        ),
        sa.ForeignKeyConstraint(
            ["player_id"],
            ["players.id"],
            name=op.f("fk_email_verifications_player_id_players"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_email_verifications")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_email_verifications_token_hash")),
    )
    op.create_index(
        op.f("ix_email_verifications_player_id"), "email_verifications", ["player_id"], unique=False
    )
    op.create_table(
        "known_devices",
        sa.Column("player_id", sa.Uuid(), nullable=False),
        sa.Column("device_hash", sa.LargeBinary(), nullable=False),
        sa.Column("first_seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["player_id"],
            ["players.id"],
            name=op.f("fk_known_devices_player_id_players"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("player_id", "device_hash", name=op.f("pk_known_devices")),
    )


def downgrade() -> None:
    op.drop_table("known_devices")
    op.drop_index(op.f("ix_email_verifications_player_id"), table_name="email_verifications")
    op.drop_table("email_verifications")
    op.drop_column("players", "email_verified_at")
