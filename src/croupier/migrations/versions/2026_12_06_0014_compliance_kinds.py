"""compliance groundwork: event kinds for exclusions, harm markers, consents and erasure;
the staff roles ``kyc`` and ``compliance``

Revision ID: 0014_compliance_kinds
Revises: 0013_sanctions
Create Date: 2026-12-06 09:00:00.000000

Only wider CHECK constraints: the previous release writes none of the new values, so it
runs unchanged beside this one. The downgrade deletes rows that use them first.
"""

from collections.abc import Sequence

from alembic import op

# Frozen here: a later change of these values is a migration of its own.
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
NEW_EVENT_KINDS = ("exclusion_changed", "harm_marker", "consent_changed", "erased")
ROLES = ("payments", "risk")
NEW_ROLES = ("kyc", "compliance")

revision: str = "0014_compliance_kinds"
down_revision: str | None = "0013_sanctions"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _in(column: str, values: Sequence[str]) -> str:
    return f"{column} IN (" + ", ".join(f"'{v}'" for v in values) + ")"


def _recreate(table: str, name: str, column: str, values: Sequence[str]) -> None:
    op.drop_constraint(op.f(name), table, type_="check")
    op.create_check_constraint(op.f(name), table, _in(column, values))


def upgrade() -> None:
    _recreate("domain_events", "ck_domain_events_kind_known", "kind", EVENT_KINDS + NEW_EVENT_KINDS)
    _recreate("staff_keys", "ck_staff_keys_role_known", "role", ROLES + NEW_ROLES)


def downgrade() -> None:
    # The values are this file's own constants, never input.
    op.execute("DELETE FROM domain_events WHERE " + _in("kind", NEW_EVENT_KINDS))  # noqa: S608  # nosec B608
    op.execute("DELETE FROM staff_keys WHERE " + _in("role", NEW_ROLES))  # noqa: S608  # nosec B608
    _recreate("domain_events", "ck_domain_events_kind_known", "kind", EVENT_KINDS)
    _recreate("staff_keys", "ck_staff_keys_role_known", "role", ROLES)
