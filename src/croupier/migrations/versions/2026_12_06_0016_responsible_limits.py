"""responsible gambling: rg_limits, rg_limit_changes, rg_accounts, rg_players

Revision ID: 0016_responsible_limits
Revises: 0015_privacy
Create Date: 2026-12-06 10:00:00.000000

Every table is new, so the previous release runs unchanged beside this one.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0016_responsible_limits"
down_revision: str | None = "0015_privacy"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "rg_accounts",
        sa.Column("player_id", sa.Uuid(), nullable=False),
        sa.Column("currency", sa.String(length=8), nullable=False),
        sa.Column("deposit_day", sa.BigInteger(), nullable=True),
        sa.Column("deposit_week", sa.BigInteger(), nullable=True),
        sa.Column("deposit_month", sa.BigInteger(), nullable=True),
        sa.Column("loss_day", sa.BigInteger(), nullable=True),
        sa.Column("loss_week", sa.BigInteger(), nullable=True),
        sa.Column("loss_month", sa.BigInteger(), nullable=True),
        sa.Column("wager_day", sa.BigInteger(), nullable=True),
        sa.Column("wager_week", sa.BigInteger(), nullable=True),
        sa.Column("wager_month", sa.BigInteger(), nullable=True),
        sa.Column("session_minutes", sa.Integer(), nullable=True),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("week", sa.Date(), nullable=False),
        sa.Column("month", sa.Date(), nullable=False),
        sa.Column("deposited_day", sa.BigInteger(), nullable=False),
        sa.Column("deposited_week", sa.BigInteger(), nullable=False),
        sa.Column("deposited_month", sa.BigInteger(), nullable=False),
        sa.Column("wagered_day", sa.BigInteger(), nullable=False),
        sa.Column("wagered_week", sa.BigInteger(), nullable=False),
        sa.Column("wagered_month", sa.BigInteger(), nullable=False),
        sa.Column("lost_day", sa.BigInteger(), nullable=False),
        sa.Column("lost_week", sa.BigInteger(), nullable=False),
        sa.Column("lost_month", sa.BigInteger(), nullable=False),
        sa.Column("deposits_this_week", sa.Integer(), nullable=False),
        sa.Column("deposits_last_week", sa.Integer(), nullable=False),
        sa.Column("session_id", sa.Uuid(), nullable=True),
        sa.Column("session_net", sa.BigInteger(), nullable=False),
        sa.Column("late_night_on", sa.Date(), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["player_id"], ["players.id"], name=op.f("fk_rg_accounts_player_id_players"), ondelete="RESTRICT"
        ),
        sa.PrimaryKeyConstraint("player_id", "currency", name=op.f("pk_rg_accounts")),
    )
    op.create_table(
        "rg_limit_changes",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=True), nullable=False),
        sa.Column("player_id", sa.Uuid(), nullable=False),
        sa.Column("currency", sa.String(length=8), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("period", sa.String(length=16), nullable=False),
        sa.Column("change", sa.String(length=16), nullable=False),
        sa.Column("previous", sa.BigInteger(), nullable=True),
        sa.Column("amount", sa.BigInteger(), nullable=True),
        sa.Column("increase", sa.Boolean(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint(
            "change IN ('set', 'requested', 'confirmed', 'cancelled')",
            name=op.f("ck_rg_limit_changes_change_known"),
        ),
        sa.ForeignKeyConstraint(
            ["player_id"],
            ["players.id"],
            name=op.f("fk_rg_limit_changes_player_id_players"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rg_limit_changes")),
    )
    op.create_index("ix_rg_limit_changes_at", "rg_limit_changes", ["at"], unique=False)
    op.create_index("ix_rg_limit_changes_player_at", "rg_limit_changes", ["player_id", "at"], unique=False)
    op.create_table(
        "rg_limits",
        sa.Column("player_id", sa.Uuid(), nullable=False),
        sa.Column("currency", sa.String(length=8), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("period", sa.String(length=16), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=True),
        sa.Column("pending_amount", sa.BigInteger(), nullable=True),
        sa.Column("pending_removal", sa.Boolean(), nullable=False),
        sa.Column("requested_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("confirmable_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "kind IN ('deposit', 'loss', 'wager', 'session')", name=op.f("ck_rg_limits_kind_known")
        ),
        sa.CheckConstraint(
            "period IN ('day', 'week', 'month', 'session')", name=op.f("ck_rg_limits_period_known")
        ),
        sa.CheckConstraint("amount IS NULL OR amount > 0", name=op.f("ck_rg_limits_amount_positive")),
        sa.CheckConstraint(
            "pending_amount IS NULL OR pending_amount > 0", name=op.f("ck_rg_limits_pending_amount_positive")
        ),
        sa.ForeignKeyConstraint(
            ["player_id"], ["players.id"], name=op.f("fk_rg_limits_player_id_players"), ondelete="RESTRICT"
        ),
        sa.PrimaryKeyConstraint("player_id", "currency", "kind", "period", name=op.f("pk_rg_limits")),
    )
    op.create_table(
        "rg_players",
        sa.Column("player_id", sa.Uuid(), nullable=False),
        sa.Column("reality_check_minutes", sa.Integer(), nullable=True),
        sa.Column("session_id", sa.Uuid(), nullable=True),
        sa.Column("acknowledged_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "reality_check_minutes IS NULL OR reality_check_minutes > 0",
            name=op.f("ck_rg_players_interval_positive"),
        ),
        sa.ForeignKeyConstraint(
            ["player_id"], ["players.id"], name=op.f("fk_rg_players_player_id_players"), ondelete="RESTRICT"
        ),
        sa.PrimaryKeyConstraint("player_id", name=op.f("pk_rg_players")),
    )


def downgrade() -> None:
    op.drop_table("rg_players")
    op.drop_table("rg_limits")
    op.drop_index("ix_rg_limit_changes_player_at", table_name="rg_limit_changes")
    op.drop_index("ix_rg_limit_changes_at", table_name="rg_limit_changes")
    op.drop_table("rg_limit_changes")
    op.drop_table("rg_accounts")
