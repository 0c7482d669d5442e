"""privacy and background jobs: procrastinate's schema, consent_records, data_exports,
erasures; the player status ``erased``

Revision ID: 0015_privacy
Revises: 0014_compliance_kinds
Create Date: 2026-12-06 10:00:00.000000

procrastinate's schema is the SQL procrastinate 3.10.0 ships, frozen beside the
migrations (``sql/procrastinate-3.10.0.sql``): a later procrastinate that changes its
schema comes with a migration applying its own migration scripts. Every table is new and
the status CHECK only wider, so the previous release runs unchanged beside this one.
"""

from collections.abc import Sequence
from pathlib import Path

import sqlalchemy as sa
from alembic import op

# Frozen here: a later change of these values is a migration of its own.
PLAYER_STATUSES = ("active", "disabled")
NEW_PLAYER_STATUSES = ("erased",)
PURPOSES = ("marketing_email", "marketing_sms", "analytics")
SOURCES = ("web", "app", "api", "staff", "erasure")
EXPORT_STATUSES = ("pending", "ready", "downloaded", "expired", "failed")
PROCRASTINATE_SCHEMA = Path(__file__).resolve().parent.parent / "sql" / "procrastinate-3.10.0.sql"

revision: str = "0015_privacy"
down_revision: str | None = "0014_compliance_kinds"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _in(column: str, values: Sequence[str]) -> str:
    return f"{column} IN (" + ", ".join(f"'{v}'" for v in values) + ")"


def _player_fk() -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(["player_id"], ["players.id"], ondelete="RESTRICT")


def upgrade() -> None:
    op.execute(sa.text(PROCRASTINATE_SCHEMA.read_text()))

    op.drop_constraint(op.f("ck_players_status_known"), "players", type_="check")
    op.create_check_constraint(
        op.f("ck_players_status_known"), "players", _in("status", PLAYER_STATUSES + NEW_PLAYER_STATUSES)
    )

    op.create_table(
        "consent_records",
        sa.Column("id", sa.BigInteger(), sa.Identity(), nullable=False),
        sa.Column("player_id", sa.Uuid(), nullable=False),
        sa.Column("purpose", sa.String(length=32), nullable=False),
        sa.Column("granted", sa.Boolean(), nullable=False),
        sa.Column("text_version", sa.String(length=32), nullable=False),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(_in("purpose", PURPOSES), name=op.f("ck_consent_records_purpose_known")),
        sa.CheckConstraint(_in("source", SOURCES), name=op.f("ck_consent_records_source_known")),
        _player_fk(),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_consent_records")),
    )
    op.create_index("ix_consent_records_player_purpose", "consent_records", ["player_id", "purpose", "id"])

    op.create_table(
        "data_exports",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("player_id", sa.Uuid(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("archive", sa.LargeBinary(), nullable=True),
        sa.Column("size_bytes", sa.Integer(), nullable=True),
        sa.Column("ready_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("downloaded_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint(_in("status", EXPORT_STATUSES), name=op.f("ck_data_exports_status_known")),
        sa.CheckConstraint(
            "(archive IS NOT NULL) = (status = 'ready')", name=op.f("ck_data_exports_archive_only_when_ready")
        ),
        _player_fk(),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_data_exports")),
    )
    op.create_index(op.f("ix_data_exports_player_id"), "data_exports", ["player_id"])
    op.create_index(
        "ix_data_exports_one_open",
        "data_exports",
        ["player_id"],
        unique=True,
        postgresql_where=sa.text("status IN ('pending', 'ready')"),
    )

    op.create_table(
        "erasures",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("player_id", sa.Uuid(), nullable=False),
        sa.Column("requested_by", sa.String(length=16), nullable=False),
        sa.Column("requested_by_name", sa.String(length=64), nullable=True),
        sa.Column("erased_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("hold_until", sa.Date(), nullable=False),
        sa.Column("steps", sa.dialects.postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.CheckConstraint(
            "requested_by IN ('player', 'staff', 'operator')", name=op.f("ck_erasures_requested_by_known")
        ),
        _player_fk(),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_erasures")),
        sa.UniqueConstraint("player_id", name=op.f("uq_erasures_player_id")),
    )


def downgrade() -> None:
    op.drop_table("erasures")
    op.drop_table("data_exports")
    op.drop_table("consent_records")
    # An erased player stays closed: disabled is the nearest status the older release knows.
    op.execute("UPDATE players SET status = 'disabled' WHERE status = 'erased'")
    op.drop_constraint(op.f("ck_players_status_known"), "players", type_="check")
    op.create_check_constraint(op.f("ck_players_status_known"), "players", _in("status", PLAYER_STATUSES))
    op.execute(
        sa.text(
            "DROP TABLE IF EXISTS procrastinate_events, procrastinate_periodic_defers, procrastinate_jobs,"
            " procrastinate_workers CASCADE"
        )
    )
    op.execute(
        sa.text(
            "DO $$ DECLARE f record; BEGIN"
            " FOR f IN SELECT p.oid::regprocedure AS sig FROM pg_proc p"
            "  JOIN pg_namespace n ON n.oid = p.pronamespace"
            "  WHERE n.nspname = current_schema() AND p.proname LIKE 'procrastinate\\_%'"
            " LOOP EXECUTE 'DROP FUNCTION ' || f.sig || ' CASCADE'; END LOOP; END $$"
        )
    )
    op.execute(
        sa.text(
            "DROP TYPE IF EXISTS procrastinate_job_to_defer_v1, procrastinate_job_event_type,"
            " procrastinate_job_status CASCADE"
        )
    )
