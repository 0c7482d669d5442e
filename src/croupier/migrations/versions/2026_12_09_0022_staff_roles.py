"""staff roles: custom roles as sets of permissions; staff keys may hold one

Revision ID: 0022_staff_roles
Revises: 0021_player_postcode
Create Date: 2026-12-09 10:00:00.000000

Built-in roles stay in code; custom roles are rows of ``staff_roles``. ``staff_keys.role`` no
longer has a fixed list of values: it names a built-in or a custom role, checked when the key
is issued. The previous release only ever writes built-in role names, so both run side by side.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0022_staff_roles"
down_revision: str | None = "0021_player_postcode"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.execute("SET LOCAL lock_timeout = '5s'")
    op.create_table(
        "staff_roles",
        sa.Column("name", sa.String(32), nullable=False),
        sa.Column("description", sa.String(200), nullable=False),
        sa.Column("permissions", sa.ARRAY(sa.String(32)), nullable=False),
        sa.Column("created_by", sa.String(64), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_staff_roles")),
    )
    op.drop_constraint(op.f("ck_staff_keys_role_known"), "staff_keys", type_="check")


def downgrade() -> None:
    op.execute("DELETE FROM staff_keys WHERE role NOT IN ('payments', 'risk', 'kyc', 'compliance')")
    op.create_check_constraint(
        op.f("ck_staff_keys_role_known"), "staff_keys", "role IN ('payments', 'risk', 'kyc', 'compliance')"
    )
    op.drop_table("staff_roles")
