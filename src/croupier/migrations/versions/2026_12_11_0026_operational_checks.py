"""operational checks: the last run of the periodic books and audit-chain checks; webhook-lag indexes

Revision ID: 0026_operational_checks
Revises: 0025_oauth_clients
Create Date: 2026-12-11 10:00:00.000000

One new table, written by the periodic check job and read by the monitoring sampler, and three
partial indexes that let the sampler find the oldest payment waiting for the provider's webhook
without scanning the payments tables. Nothing the previous release reads changes.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0026_operational_checks"
down_revision: str | None = "0025_oauth_clients"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_AWAITING_PROVIDER = (
    ("ix_deposits_awaiting_provider", "deposits", "status = 'pending'"),
    ("ix_withdrawals_awaiting_provider", "withdrawals", "status = 'submitted'"),
    ("ix_refunds_awaiting_provider", "refunds", "status = 'submitted'"),
)


def upgrade() -> None:
    op.execute("SET LOCAL lock_timeout = '5s'")
    op.create_table(
        "operational_checks",
        sa.Column("name", sa.String(32), nullable=False),
        sa.Column("ok", sa.Boolean(), nullable=False),
        sa.Column("last_run_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_success_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_failure_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("detail", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_operational_checks")),
    )
    for name, table, where in _AWAITING_PROVIDER:
        op.create_index(op.f(name), table, ["updated_at"], postgresql_where=sa.text(where))


def downgrade() -> None:
    for name, table, _ in _AWAITING_PROVIDER:
        op.drop_index(op.f(name), table_name=table)
    op.drop_table("operational_checks")
