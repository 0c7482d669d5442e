"""exclusions: time-outs, self-exclusions and register blocks; players.gambling_blocked_until

Revision ID: 0017_exclusions
Revises: 0016_responsible_limits
Create Date: 2026-12-06 10:30:00.000000

A new table and a nullable column without a default (no table rewrite): the previous
release runs unchanged beside this one and never sets the column.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# Frozen here: a later change of these values is a migration of its own.
KINDS = ("time_out", "self_exclusion", "register")

revision: str = "0017_exclusions"
down_revision: str | None = "0016_responsible_limits"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _in(column: str, values: Sequence[str]) -> str:
    return f"{column} IN (" + ", ".join(f"'{v}'" for v in values) + ")"


def upgrade() -> None:
    op.add_column("players", sa.Column("gambling_blocked_until", sa.DateTime(timezone=True), nullable=True))
    op.create_table(
        "exclusions",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("player_id", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("period", sa.String(length=16), nullable=True),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ends_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("return_requested_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("blocks_until", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint(_in("kind", KINDS), name=op.f("ck_exclusions_kind_known")),
        sa.ForeignKeyConstraint(
            ["player_id"], ["players.id"], name=op.f("fk_exclusions_player_id_players"), ondelete="RESTRICT"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_exclusions")),
    )
    op.create_index("ix_exclusions_player_blocks_until", "exclusions", ["player_id", "blocks_until"])


def downgrade() -> None:
    op.drop_index("ix_exclusions_player_blocks_until", table_name="exclusions")
    op.drop_table("exclusions")
    op.drop_column("players", "gambling_blocked_until")
