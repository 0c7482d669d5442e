"""kyc: player_kyc, kyc_checks, kyc_documents, kyc_webhook_events

Revision ID: 0019_kyc
Revises: 0018_register_checks
Create Date: 2026-12-06 10:00:00.000000

Every table is new, so the previous release runs unchanged beside this one.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

# Frozen here: a later change of these values is a migration of its own.
LEVELS = ("none", "basic", "full", "enhanced")
CHECK_LEVELS = ("basic", "full")
CHECK_STATUSES = ("pending", "approved", "rejected")
REJECTIONS = ("retry", "final")
DOCUMENT_KINDS = ("identity_document", "selfie", "proof_of_address")
DOCUMENT_TYPES = ("image/jpeg", "image/png", "application/pdf")

revision: str = "0019_kyc"
down_revision: str | None = "0018_register_checks"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _in(column: str, values: Sequence[str]) -> str:
    return f"{column} IN (" + ", ".join(f"'{v}'" for v in values) + ")"


def _created_at() -> sa.Column:  # type: ignore[type-arg]
    now = sa.text("now()")
    return sa.Column("created_at", sa.DateTime(timezone=True), server_default=now, nullable=False)


def upgrade() -> None:
    op.create_table(
        "player_kyc",
        sa.Column("player_id", sa.Uuid(), nullable=False),
        sa.Column("level", sa.String(length=16), nullable=False),
        sa.Column("applicant_id", sa.String(length=64), nullable=True),
        sa.Column("address_enc", sa.LargeBinary(), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        _created_at(),
        sa.CheckConstraint(_in("level", LEVELS), name=op.f("ck_player_kyc_level_known")),
        sa.ForeignKeyConstraint(
            ["player_id"], ["players.id"], name=op.f("fk_player_kyc_player_id_players"), ondelete="RESTRICT"
        ),
        sa.PrimaryKeyConstraint("player_id", name=op.f("pk_player_kyc")),
        sa.UniqueConstraint("applicant_id", name=op.f("uq_player_kyc_applicant_id")),
    )
    op.create_table(
        "kyc_checks",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("player_id", sa.Uuid(), nullable=False),
        sa.Column("provider_check_id", sa.String(length=64), nullable=True),
        sa.Column("level", sa.String(length=16), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("rejection", sa.String(length=16), nullable=True),
        sa.Column("labels", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        _created_at(),
        sa.CheckConstraint(_in("level", CHECK_LEVELS), name=op.f("ck_kyc_checks_level_known")),
        sa.CheckConstraint(_in("status", CHECK_STATUSES), name=op.f("ck_kyc_checks_status_known")),
        sa.CheckConstraint(
            "rejection IS NULL OR " + _in("rejection", REJECTIONS), name=op.f("ck_kyc_checks_rejection_known")
        ),
        sa.ForeignKeyConstraint(
            ["player_id"], ["players.id"], name=op.f("fk_kyc_checks_player_id_players"), ondelete="RESTRICT"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_kyc_checks")),
        sa.UniqueConstraint("provider_check_id", name=op.f("uq_kyc_checks_provider_check_id")),
    )
    op.create_index("ix_kyc_checks_player_created", "kyc_checks", ["player_id", "created_at"])
    op.create_table(
        "kyc_documents",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("player_id", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("content_type", sa.String(length=32), nullable=False),
        sa.Column("size_bytes", sa.Integer(), nullable=False),
        sa.Column("provider_document_id", sa.String(length=64), nullable=True),
        sa.Column("deleted_at", sa.DateTime(timezone=True), nullable=True),
        _created_at(),
        sa.CheckConstraint(_in("kind", DOCUMENT_KINDS), name=op.f("ck_kyc_documents_kind_known")),
        sa.CheckConstraint(
            _in("content_type", DOCUMENT_TYPES), name=op.f("ck_kyc_documents_content_type_known")
        ),
        sa.CheckConstraint("size_bytes > 0", name=op.f("ck_kyc_documents_size_positive")),
        sa.ForeignKeyConstraint(
            ["player_id"],
            ["players.id"],
            name=op.f("fk_kyc_documents_player_id_players"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_kyc_documents")),
    )
    op.create_index(op.f("ix_kyc_documents_player_id"), "kyc_documents", ["player_id"])
    op.create_table(
        "kyc_webhook_events",
        sa.Column("event_id", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("provider_check_id", sa.String(length=64), nullable=True),
        sa.Column("outcome", sa.String(length=32), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.PrimaryKeyConstraint("event_id", name=op.f("pk_kyc_webhook_events")),
    )


def downgrade() -> None:
    op.drop_table("kyc_webhook_events")
    op.drop_index(op.f("ix_kyc_documents_player_id"), table_name="kyc_documents")
    op.drop_table("kyc_documents")
    op.drop_index("ix_kyc_checks_player_created", table_name="kyc_checks")
    op.drop_table("kyc_checks")
    op.drop_table("player_kyc")
