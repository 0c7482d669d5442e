"""four-eyes approvals: approval_requests

Revision ID: 0024_approvals
Revises: 0022_staff_roles
Create Date: 2026-12-10 10:00:00.000000

A new table only, so the previous release runs on unaware of it. At most one request per
kind and subject is pending (a partial unique index); a checker is never the maker.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0024_approvals"
down_revision: str | None = "0022_staff_roles"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.execute("SET LOCAL lock_timeout = '5s'")
    op.create_table(
        "approval_requests",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.String(64), nullable=False),
        sa.Column("subject", sa.String(320), nullable=False),
        sa.Column("payload", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("maker", sa.String(64), nullable=False),
        sa.Column("maker_reason", sa.String(500), nullable=True),
        sa.Column("permission", sa.String(32), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("checker", sa.String(64), nullable=True),
        sa.Column("checker_note", sa.String(500), nullable=True),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.CheckConstraint(
            "status IN ('pending', 'approved', 'rejected', 'expired', 'cancelled')",
            name=op.f("ck_approval_requests_status_known"),
        ),
        sa.CheckConstraint(
            "checker IS NULL OR checker <> maker", name=op.f("ck_approval_requests_four_eyes")
        ),
        sa.CheckConstraint(
            "(status = 'pending') = (decided_at IS NULL)",
            name=op.f("ck_approval_requests_decided_when_closed"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_approval_requests")),
    )
    op.create_index(
        "uq_approval_requests_pending",
        "approval_requests",
        ["kind", "subject"],
        unique=True,
        postgresql_where=sa.text("status = 'pending'"),
    )
    op.create_index(
        "ix_approval_requests_kind_subject", "approval_requests", ["kind", "subject", "created_at"]
    )
    op.create_index("ix_approval_requests_status_created", "approval_requests", ["status", "created_at"])


def downgrade() -> None:
    op.drop_table("approval_requests")
