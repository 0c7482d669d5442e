"""domain events and risk alerts: domain_events (the transactional outbox), risk_alerts

Revision ID: 0009_domain_events
Revises: 0008_email_verification
Create Date: 2026-12-04 09:00:00.000000

Both tables are new, so the previous release runs unchanged beside this one.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

# Frozen here: a later change of the kinds is a migration of its own.
EVENT_KINDS = (
    "registered",
    "sign_in_succeeded",
    "sign_in_failed",
    "password_changed",
    "password_reset",
    "email_changed",
    "mfa_changed",
    "name_changed",
    "deposit_initiated",
    "deposit_confirmed",
    "deposit_failed",
    "withdrawal_requested",
    "withdrawal_paid",
    "withdrawal_failed",
    "chargeback",
    "refund",
    "bet",
    "win",
    "rollback",
    "manual_adjustment",
    "limit_changed",
    "kyc_changed",
)
TYPOLOGIES = (
    "account_takeover",
    "multi_accounting",
    "structuring",
    "minimal_play",
    "velocity",
    "rapid_escalation",
    "anomaly",
    "sanctions",
    "other",
)

revision: str = "0009_domain_events"
down_revision: str | None = "0008_email_verification"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "domain_events",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=True), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("player_id", sa.Uuid(), nullable=True),
        sa.Column(
            "occurred_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("clock_timestamp()"),
            nullable=False,
        ),
        sa.Column("data", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("ip", sa.String(length=45), nullable=True),
        sa.Column("user_agent", sa.Text(), nullable=True),
        sa.Column("device_id", sa.String(length=128), nullable=True),
        sa.CheckConstraint(
            "kind IN (" + ", ".join(f"'{k}'" for k in EVENT_KINDS) + ")",
            name=op.f("ck_domain_events_kind_known"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_domain_events")),
    )
    op.create_index("ix_domain_events_player", "domain_events", ["player_id", "id"])
    op.create_table(
        "risk_alerts",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("player_id", sa.Uuid(), nullable=False),
        sa.Column("typology", sa.String(length=32), nullable=False),
        sa.Column("source", sa.String(length=128), nullable=False),
        sa.Column("score", sa.Float(), nullable=False),
        sa.Column("reasons", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("event_ids", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("dedupe_key", sa.String(length=200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint(
            "typology IN (" + ", ".join(f"'{t}'" for t in TYPOLOGIES) + ")",
            name=op.f("ck_risk_alerts_typology_known"),
        ),
        sa.CheckConstraint("score >= 0 AND score <= 1", name=op.f("ck_risk_alerts_score_in_unit_range")),
        sa.ForeignKeyConstraint(
            ["player_id"], ["players.id"], name=op.f("fk_risk_alerts_player_id_players"), ondelete="RESTRICT"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_risk_alerts")),
        sa.UniqueConstraint("dedupe_key", name=op.f("uq_risk_alerts_dedupe_key")),
    )
    op.create_index("ix_risk_alerts_player", "risk_alerts", ["player_id", "created_at"])


def downgrade() -> None:
    op.drop_table("risk_alerts")
    op.drop_table("domain_events")
