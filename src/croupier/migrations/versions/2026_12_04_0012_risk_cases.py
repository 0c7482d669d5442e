"""risk cases: risk_cases, risk_case_timeline, risk_alerts.case_id

Revision ID: 0012_risk_cases
Revises: 0011_risk_engine
Create Date: 2026-12-04 12:00:00.000000

The tables are new and the alert column is nullable, so the previous release runs
unchanged beside this one. (The staff role ``risk`` came with 0011.)
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

# Frozen here: a later change is a migration of its own.
CASE_STATUSES = ("open", "in_review", "escalated", "closed")
DISPOSITIONS = ("false_positive", "confirmed_fraud", "suspicious_activity_reported")
TIMELINE_ACTIONS = ("opened", "alert_added", "assigned", "moved", "note", "closed", "sar_exported")

revision: str = "0012_risk_cases"
down_revision: str | None = "0011_risk_engine"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _one_of(column: str, values: Sequence[str]) -> str:
    return f"{column} IN (" + ", ".join(f"'{v}'" for v in values) + ")"


def upgrade() -> None:
    op.execute("SET LOCAL lock_timeout = '5s'")
    op.create_table(
        "risk_cases",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("player_id", sa.Uuid(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("assignee", sa.String(length=64), nullable=True),
        sa.Column("disposition", sa.String(length=32), nullable=True),
        sa.Column("disposition_reason", sa.Text(), nullable=True),
        sa.Column("opened_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(_one_of("status", CASE_STATUSES), name=op.f("ck_risk_cases_status_known")),
        sa.CheckConstraint(
            _one_of("disposition", DISPOSITIONS), name=op.f("ck_risk_cases_disposition_known")
        ),
        sa.CheckConstraint(
            "(status = 'closed') = (disposition IS NOT NULL AND disposition_reason IS NOT NULL"
            " AND closed_at IS NOT NULL)",
            name=op.f("ck_risk_cases_closed_with_disposition"),
        ),
        sa.ForeignKeyConstraint(
            ["player_id"], ["players.id"], name=op.f("fk_risk_cases_player_id_players"), ondelete="RESTRICT"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_risk_cases")),
    )
    op.create_index(
        "uq_risk_cases_one_open_per_player",
        "risk_cases",
        ["player_id"],
        unique=True,
        postgresql_where=sa.text("status <> 'closed'"),
    )
    op.create_index("ix_risk_cases_player", "risk_cases", ["player_id", "opened_at"])
    op.create_table(
        "risk_case_timeline",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=True), nullable=False),
        sa.Column("case_id", sa.Uuid(), nullable=False),
        sa.Column(
            "at", sa.DateTime(timezone=True), server_default=sa.text("clock_timestamp()"), nullable=False
        ),
        sa.Column("actor", sa.String(length=160), nullable=False),
        sa.Column("action", sa.String(length=16), nullable=False),
        sa.Column("details", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.CheckConstraint(
            _one_of("action", TIMELINE_ACTIONS), name=op.f("ck_risk_case_timeline_action_known")
        ),
        sa.ForeignKeyConstraint(
            ["case_id"],
            ["risk_cases.id"],
            name=op.f("fk_risk_case_timeline_case_id_risk_cases"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_risk_case_timeline")),
    )
    op.create_index("ix_risk_case_timeline_case", "risk_case_timeline", ["case_id", "id"])
    op.add_column("risk_alerts", sa.Column("case_id", sa.Uuid(), nullable=True))
    op.create_foreign_key(
        op.f("fk_risk_alerts_case_id_risk_cases"),
        "risk_alerts",
        "risk_cases",
        ["case_id"],
        ["id"],
        ondelete="RESTRICT",
    )
    op.create_index("ix_risk_alerts_case", "risk_alerts", ["case_id"])
    op.create_index("ix_risk_alerts_newest", "risk_alerts", ["created_at", "id"])


def downgrade() -> None:
    op.drop_index("ix_risk_alerts_newest", table_name="risk_alerts")
    op.drop_index("ix_risk_alerts_case", table_name="risk_alerts")
    op.drop_constraint(op.f("fk_risk_alerts_case_id_risk_cases"), "risk_alerts", type_="foreignkey")
    op.drop_column("risk_alerts", "case_id")
    op.drop_table("risk_case_timeline")
    op.drop_table("risk_cases")
