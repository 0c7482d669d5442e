"""risk engine: rule sets and rules, decisions, feature state, the staff role ``risk``

Revision ID: 0011_risk_engine
Revises: 0010_event_delivery
Create Date: 2026-12-04 12:00:00.000000

New tables only, plus a wider CHECK on ``staff_keys.role`` (the previous release never
writes ``risk``). The default rule set is seeded active: it covers the six typologies,
with its thresholds as rule parameters an analyst changes through a new version.
"""

import json
import uuid
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0011_risk_engine"
down_revision: str | None = "0010_event_delivery"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

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

# Reporting thresholds in minor units: EUR 2,000 as for casinos under the EU AML directive.
_THRESHOLDS = {"EUR": 200_000, "USD": 200_000, "GBP": 170_000, "CHF": 200_000, "SEK": 2_200_000}

# (name, typology, triggers, expression, params, action, score, mode, description)
DEFAULT_RULES: tuple[tuple[str, str, list[str], str, dict[str, object], str, float, str, str], ...] = (
    (
        "takeover_chain",
        "account_takeover",
        ["decide:withdrawal", "event:withdrawal_requested"],
        "credential_change_after_new_device and hours_since_new_device_sign_in <= window_hours"
        " and hours_since_credential_change <= window_hours",
        {"window_hours": 6},
        "review",
        0.8,
        "active",
        "A sign-in from a new device and address, then a credential or MFA change, then a withdrawal.",
    ),
    (
        "shared_device",
        "multi_accounting",
        ["event:registered", "event:sign_in_succeeded", "event:deposit_initiated"],
        "accounts_on_device >= max_accounts",
        {"max_accounts": 3},
        "review",
        0.6,
        "active",
        "Several accounts use one device id within the link window.",
    ),
    (
        "shared_card",
        "multi_accounting",
        ["event:deposit_initiated", "event:deposit_confirmed", "event:deposit_failed"],
        "accounts_on_card >= max_accounts",
        {"max_accounts": 2},
        "review",
        0.7,
        "active",
        "Several accounts pay with one card (the provider's fingerprint).",
    ),
    (
        "shared_ip",
        "multi_accounting",
        ["event:registered", "event:sign_in_succeeded"],
        "accounts_on_ip >= max_accounts",
        {"max_accounts": 5},
        "review",
        0.4,
        "active",
        "Many accounts from one address within the link window.",
    ),
    (
        "structuring",
        "structuring",
        ["event:deposit_confirmed"],
        "currency in threshold and day_deposit_count >= min_deposits"
        " and day_deposit_max < threshold[currency]"
        " and day_deposit_min >= threshold[currency] * near_share"
        " and day_deposit_total >= threshold[currency]",
        {"threshold": _THRESHOLDS, "near_share": 0.7, "min_deposits": 2, "once_per": "day"},
        "review",
        0.8,
        "active",
        "Deposits in one gaming day each just under the reporting threshold, together above it.",
    ),
    (
        "minimal_play",
        "minimal_play",
        ["decide:withdrawal", "event:withdrawal_requested"],
        "last_deposit_amount > 0 and wagered_share < max_wagered_share"
        " and amount >= last_deposit_amount * min_cashout_share",
        {"max_wagered_share": 0.3, "min_cashout_share": 0.5},
        "review",
        0.6,
        "active",
        "A deposit cashed out with wagering below a share of it (cash-through).",
    ),
    (
        "deposit_velocity",
        "velocity",
        ["decide:deposit", "event:deposit_initiated"],
        "deposits_1h >= max_per_hour",
        {"max_per_hour": 10},
        "review",
        0.5,
        "active",
        "Too many deposits in an hour.",
    ),
    (
        "failed_deposit_velocity",
        "velocity",
        ["event:deposit_failed"],
        "failed_deposits_1h >= max_per_hour",
        {"max_per_hour": 5},
        "review",
        0.6,
        "active",
        "Too many failed deposits in an hour.",
    ),
    (
        "card_testing",
        "velocity",
        ["decide:deposit", "event:deposit_failed"],
        "declined_cards_1h >= max_cards",
        {"max_cards": 3},
        "deny",
        0.9,
        "active",
        "Several different cards declined within an hour: card testing.",
    ),
    (
        "sign_in_failure_velocity",
        "velocity",
        ["event:sign_in_failed"],
        "player_sign_in_failures_1h >= max_per_player or ip_sign_in_failures_1h >= max_per_ip",
        {"max_per_player": 5, "max_per_ip": 20, "once_per": "day"},
        "review",
        0.5,
        "active",
        "Many failed sign-ins for one account or from one address: credential stuffing.",
    ),
    (
        "rapid_escalation",
        "rapid_escalation",
        ["event:bet"],
        "stake_count >= min_history and amount >= stake_mean * multiple"
        " and hours_since_deposit <= within_hours",
        {"min_history": 10, "multiple": 10, "within_hours": 2, "once_per": "day"},
        "review",
        0.6,
        "active",
        "Stakes far beyond the player's history shortly after a deposit (also a marker of harm).",
    ),
    (
        "anomalous_behaviour",
        "anomaly",
        ["event:deposit_confirmed", "event:withdrawal_requested"],
        "anomaly_score >= min_score",
        {"min_score": 0.9},
        "review",
        0.5,
        "shadow",
        "The streaming anomaly model finds the event unlike the player's usual behaviour.",
    ),
)


def upgrade() -> None:
    op.execute("SET LOCAL lock_timeout = '5s'")
    op.drop_constraint(op.f("ck_staff_keys_role_known"), "staff_keys", type_="check")
    op.create_check_constraint(op.f("ck_staff_keys_role_known"), "staff_keys", "role IN ('payments', 'risk')")
    op.create_table(
        "risk_rule_sets",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("created_by", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "status IN ('draft', 'active', 'retired')", name=op.f("ck_risk_rule_sets_status_known")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_risk_rule_sets")),
        sa.UniqueConstraint("name", "version", name="uq_risk_rule_sets_name_version"),
    )
    op.create_index(
        "uq_risk_rule_sets_one_active",
        "risk_rule_sets",
        [sa.text("(true)")],
        unique=True,
        postgresql_where=sa.text("status = 'active'"),
    )
    op.create_table(
        "risk_rules",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("rule_set_id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("typology", sa.String(length=32), nullable=False),
        sa.Column("triggers", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("expression", sa.Text(), nullable=False),
        sa.Column("params", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("action", sa.String(length=16), nullable=False),
        sa.Column("score", sa.Float(), nullable=False),
        sa.Column("mode", sa.String(length=16), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.CheckConstraint(
            "typology IN (" + ", ".join(f"'{t}'" for t in TYPOLOGIES) + ")",
            name=op.f("ck_risk_rules_typology_known"),
        ),
        sa.CheckConstraint("action IN ('review', 'deny')", name=op.f("ck_risk_rules_action_known")),
        sa.CheckConstraint("mode IN ('active', 'shadow')", name=op.f("ck_risk_rules_mode_known")),
        sa.CheckConstraint("score >= 0 AND score <= 1", name=op.f("ck_risk_rules_score_in_unit_range")),
        sa.ForeignKeyConstraint(
            ["rule_set_id"],
            ["risk_rule_sets.id"],
            name=op.f("fk_risk_rules_rule_set_id_risk_rule_sets"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_risk_rules")),
        sa.UniqueConstraint("rule_set_id", "name", name="uq_risk_rules_set_name"),
    )
    op.create_table(
        "risk_decisions",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("player_id", sa.Uuid(), nullable=True),
        sa.Column("action", sa.String(length=40), nullable=False),
        sa.Column("event_id", sa.BigInteger(), nullable=True),
        sa.Column("decision", sa.String(length=16), nullable=False),
        sa.Column("reasons", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("shadow", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("rule_set_id", sa.Uuid(), nullable=True),
        sa.Column("fallback", sa.String(length=16), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint(
            "decision IN ('allow', 'review', 'deny')", name=op.f("ck_risk_decisions_decision_known")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_risk_decisions")),
    )
    op.create_index("ix_risk_decisions_player", "risk_decisions", ["player_id", "created_at"])
    op.create_table(
        "risk_counters",
        sa.Column("key", sa.String(length=240), nullable=False),
        sa.Column("bucket", sa.DateTime(timezone=True), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("key", "bucket", name=op.f("pk_risk_counters")),
    )
    op.create_table(
        "risk_links",
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("value", sa.String(length=200), nullable=False),
        sa.Column("player_id", sa.Uuid(), nullable=False),
        sa.Column("first_seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("kind", "value", "player_id", name=op.f("pk_risk_links")),
    )
    op.create_index("ix_risk_links_player", "risk_links", ["player_id", "kind"])
    op.create_table(
        "risk_player_state",
        sa.Column("player_id", sa.Uuid(), nullable=False),
        sa.Column("last_event_id", sa.BigInteger(), nullable=False),
        sa.Column("registered_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("new_device_sign_in_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("new_device_event_id", sa.BigInteger(), nullable=True),
        sa.Column("credential_change_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("credential_change_event_id", sa.BigInteger(), nullable=True),
        sa.Column("anomaly_score", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("player_id", name=op.f("pk_risk_player_state")),
    )
    op.create_table(
        "risk_player_money",
        sa.Column("player_id", sa.Uuid(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("deposited", sa.BigInteger(), nullable=False),
        sa.Column("withdrawn", sa.BigInteger(), nullable=False),
        sa.Column("last_deposit_amount", sa.BigInteger(), nullable=False),
        sa.Column("last_deposit_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_deposit_event_id", sa.BigInteger(), nullable=True),
        sa.Column("wagered_since_deposit", sa.BigInteger(), nullable=False),
        sa.Column("gaming_day", sa.Date(), nullable=True),
        sa.Column("day_deposit_count", sa.Integer(), nullable=False),
        sa.Column("day_deposit_total", sa.BigInteger(), nullable=False),
        sa.Column("day_deposit_min", sa.BigInteger(), nullable=False),
        sa.Column("day_deposit_max", sa.BigInteger(), nullable=False),
        sa.Column("day_event_ids", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("stake_count", sa.BigInteger(), nullable=False),
        sa.Column("stake_sum", sa.BigInteger(), nullable=False),
        sa.Column("stake_max", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("player_id", "currency", name=op.f("pk_risk_player_money")),
    )
    op.create_table(
        "risk_watermarks",
        sa.Column("stream", sa.String(length=64), nullable=False),
        sa.Column("last_event_id", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("stream", name=op.f("pk_risk_watermarks")),
    )
    op.create_table(
        "risk_models",
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("state", sa.LargeBinary(), nullable=False),
        sa.Column("events_seen", sa.BigInteger(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_risk_models")),
    )
    _seed_default_rule_set()


def _seed_default_rule_set() -> None:
    set_id = uuid.uuid4()
    op.execute(
        sa.text(
            "INSERT INTO risk_rule_sets (id, name, version, status, created_by, published_at)"
            " VALUES (:id, 'default', 1, 'active', 'migration', now())"
        ).bindparams(id=set_id)
    )
    for name, typology, triggers, expression, params, action, score, mode, description in DEFAULT_RULES:
        op.execute(
            sa.text(
                "INSERT INTO risk_rules (id, rule_set_id, name, typology, triggers, expression, params,"
                " action, score, mode, description) VALUES (:id, :set_id, :name, :typology,"
                " CAST(:triggers AS jsonb), :expression, CAST(:params AS jsonb), :action, :score, :mode,"
                " :description)"
            ).bindparams(
                id=uuid.uuid4(),
                set_id=set_id,
                name=name,
                typology=typology,
                triggers=json.dumps(triggers),
                expression=expression,
                params=json.dumps(params),
                action=action,
                score=score,
                mode=mode,
                description=description,
            )
        )


def downgrade() -> None:
    for table in (
        "risk_models",
        "risk_watermarks",
        "risk_player_money",
        "risk_player_state",
        "risk_links",
        "risk_counters",
        "risk_decisions",
        "risk_rules",
        "risk_rule_sets",
    ):
        op.drop_table(table)
    op.execute("DELETE FROM staff_keys WHERE role = 'risk'")
    op.drop_constraint(op.f("ck_staff_keys_role_known"), "staff_keys", type_="check")
    op.create_check_constraint(op.f("ck_staff_keys_role_known"), "staff_keys", "role IN ('payments')")
