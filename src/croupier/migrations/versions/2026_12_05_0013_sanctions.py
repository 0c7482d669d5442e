"""sanctions screening: sanctions_imports, sanctions_entries, sanctions_screenings, sanctions_hits

Revision ID: 0013_sanctions
Revises: 0012_risk_cases
Create Date: 2026-12-05 09:00:00.000000

Every table is new, so the previous release runs unchanged beside this one.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

# Frozen here: a later change of these values is a migration of its own.
SOURCES = ("ofac_sdn", "eu_fsf", "un_sc")
KINDS = ("person", "entity", "vessel", "aircraft")
TRIGGERS = ("registration", "name_change", "list_import", "manual")
HIT_STATUSES = ("open", "cleared")

revision: str = "0013_sanctions"
down_revision: str | None = "0012_risk_cases"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _in(column: str, values: Sequence[str]) -> str:
    return f"{column} IN (" + ", ".join(f"'{v}'" for v in values) + ")"


def upgrade() -> None:
    op.create_table(
        "sanctions_imports",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=True), nullable=False),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("format", sa.String(length=16), nullable=False),
        sa.Column("file_name", sa.String(length=255), nullable=False),
        sa.Column("file_sha256", sa.String(length=64), nullable=False),
        sa.Column("imported_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("imported_by", sa.String(length=64), nullable=False),
        sa.Column("total", sa.Integer(), nullable=False),
        sa.Column("added", sa.Integer(), nullable=False),
        sa.Column("changed", sa.Integer(), nullable=False),
        sa.Column("removed", sa.Integer(), nullable=False),
        sa.Column("unchanged", sa.Integer(), nullable=False),
        sa.Column("players_screened", sa.Integer(), nullable=False),
        sa.Column("hits", sa.Integer(), nullable=False),
        sa.CheckConstraint(_in("source", SOURCES), name=op.f("ck_sanctions_imports_source_known")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sanctions_imports")),
    )
    op.create_table(
        "sanctions_entries",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("source_id", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("aliases", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("birth_dates", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("countries", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("programs", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("reference", sa.String(length=128), nullable=True),
        sa.Column("content_hash", sa.LargeBinary(), nullable=False),
        sa.Column("first_import_id", sa.BigInteger(), nullable=False),
        sa.Column("changed_import_id", sa.BigInteger(), nullable=False),
        sa.Column("removed_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(_in("source", SOURCES), name=op.f("ck_sanctions_entries_source_known")),
        sa.CheckConstraint(_in("kind", KINDS), name=op.f("ck_sanctions_entries_kind_known")),
        sa.ForeignKeyConstraint(
            ["first_import_id"],
            ["sanctions_imports.id"],
            name=op.f("fk_sanctions_entries_first_import_id_sanctions_imports"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["changed_import_id"],
            ["sanctions_imports.id"],
            name=op.f("fk_sanctions_entries_changed_import_id_sanctions_imports"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sanctions_entries")),
        sa.UniqueConstraint("source", "source_id", name="uq_sanctions_entries_source_id"),
    )
    op.create_table(
        "sanctions_screenings",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=True), nullable=False),
        sa.Column("player_id", sa.Uuid(), nullable=False),
        sa.Column("trigger", sa.String(length=16), nullable=False),
        sa.Column("list_version", sa.BigInteger(), nullable=True),
        sa.Column("screened_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("top_score", sa.Float(), nullable=False),
        sa.Column("best", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.CheckConstraint(_in("trigger", TRIGGERS), name=op.f("ck_sanctions_screenings_trigger_known")),
        sa.ForeignKeyConstraint(
            ["player_id"],
            ["players.id"],
            name=op.f("fk_sanctions_screenings_player_id_players"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sanctions_screenings")),
    )
    op.create_index("ix_sanctions_screenings_player", "sanctions_screenings", ["player_id", "id"])
    op.create_table(
        "sanctions_hits",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("player_id", sa.Uuid(), nullable=False),
        sa.Column("entry_id", sa.Uuid(), nullable=False),
        sa.Column("entry_hash", sa.LargeBinary(), nullable=False),
        sa.Column("screening_id", sa.BigInteger(), nullable=False),
        sa.Column("score", sa.Float(), nullable=False),
        sa.Column("reasons", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("blocking", sa.Boolean(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("alert_id", sa.Uuid(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("cleared_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("cleared_by", sa.String(length=64), nullable=True),
        sa.Column("cleared_reason", sa.Text(), nullable=True),
        sa.CheckConstraint(_in("status", HIT_STATUSES), name=op.f("ck_sanctions_hits_status_known")),
        sa.CheckConstraint("score >= 0 AND score <= 1", name=op.f("ck_sanctions_hits_score_in_unit_range")),
        sa.ForeignKeyConstraint(
            ["player_id"],
            ["players.id"],
            name=op.f("fk_sanctions_hits_player_id_players"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["entry_id"],
            ["sanctions_entries.id"],
            name=op.f("fk_sanctions_hits_entry_id_sanctions_entries"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["screening_id"],
            ["sanctions_screenings.id"],
            name=op.f("fk_sanctions_hits_screening_id_sanctions_screenings"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sanctions_hits")),
        sa.UniqueConstraint("player_id", "entry_id", "entry_hash", name="uq_sanctions_hits_version"),
    )
    op.create_index(
        "ix_sanctions_hits_open_blocking",
        "sanctions_hits",
        ["player_id"],
        postgresql_where=sa.text("status = 'open' AND blocking"),
    )


def downgrade() -> None:
    op.drop_table("sanctions_hits")
    op.drop_table("sanctions_screenings")
    op.drop_table("sanctions_entries")
    op.drop_table("sanctions_imports")
