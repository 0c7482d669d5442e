"""register_checks: the national self-exclusion register's latest answer per player

Revision ID: 0018_register_checks
Revises: 0017_exclusions
Create Date: 2026-12-06 11:00:00.000000

A new table: the previous release runs unchanged beside this one.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# Frozen here: a later change of these values is a migration of its own.
ANSWERS = ("Y", "N", "P", "unavailable")

revision: str = "0018_register_checks"
down_revision: str | None = "0017_exclusions"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "register_checks",
        sa.Column("player_id", sa.Uuid(), nullable=False),
        sa.Column("answer", sa.String(length=16), nullable=False),
        sa.Column("unique_id", sa.String(length=64), nullable=True),
        sa.Column("trigger", sa.String(length=16), nullable=False),
        sa.Column("checked_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "answer IN (" + ", ".join(f"'{a}'" for a in ANSWERS) + ")",
            name=op.f("ck_register_checks_answer_known"),
        ),
        sa.ForeignKeyConstraint(
            ["player_id"],
            ["players.id"],
            name=op.f("fk_register_checks_player_id_players"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("player_id", name=op.f("pk_register_checks")),
    )


def downgrade() -> None:
    op.drop_table("register_checks")
