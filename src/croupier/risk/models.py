"""Risk tables: alerts, and the engine's rule sets, decisions and feature state."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
    Uuid,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from croupier.kit.models import Base, one_of
from croupier.risk.typologies import Typology


class RiskAlert(Base):
    """One suspicion about one player: what was seen, how strongly, and on which events.

    ``reasons`` are stable reason codes (and short explanations) an analyst and a
    regulator can read; ``event_ids`` point into ``domain_events``. ``source`` names
    what raised it: a rule (``rule:<name>@<version>``), the anomaly model, or the
    sanctions screening.
    """

    __tablename__ = "risk_alerts"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    player_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("players.id", ondelete="RESTRICT"), nullable=False
    )
    typology: Mapped[str] = mapped_column(String(32), nullable=False)
    source: Mapped[str] = mapped_column(String(128), nullable=False)
    score: Mapped[float] = mapped_column(Float, nullable=False)
    reasons: Mapped[list[Any]] = mapped_column(JSONB, nullable=False)
    event_ids: Mapped[list[int]] = mapped_column(JSONB, nullable=False)
    # Raising the same suspicion twice (a redelivered event) must not open a second alert.
    dedupe_key: Mapped[str] = mapped_column(String(200), nullable=False, unique=True)
    created_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), nullable=False
    )

    __table_args__ = (
        CheckConstraint(one_of("typology", Typology), name="typology_known"),
        CheckConstraint("score >= 0 AND score <= 1", name="score_in_unit_range"),
        Index("ix_risk_alerts_player", "player_id", "created_at"),
    )


# ---------------------------------------------------------------- the risk engine


class RuleSetStatus(StrEnum):
    DRAFT = "draft"  # being edited; never evaluated except by a backtest
    ACTIVE = "active"  # the one set decide() and the consumer evaluate
    RETIRED = "retired"  # was active; kept for the audit and for backtests


class RuleAction(StrEnum):
    REVIEW = "review"
    DENY = "deny"


class RuleMode(StrEnum):
    ACTIVE = "active"
    SHADOW = "shadow"  # evaluated and recorded, never acts


class Decision(StrEnum):
    ALLOW = "allow"
    REVIEW = "review"
    DENY = "deny"


class RiskRuleSet(Base):
    """One version of a named rule set. Editing a published set makes a new draft version;
    publishing a draft retires the set that was active, so exactly one is active."""

    __tablename__ = "risk_rule_sets"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    name: Mapped[str] = mapped_column(String(64), nullable=False)
    version: Mapped[int] = mapped_column(Integer, nullable=False)
    status: Mapped[str] = mapped_column(String(16), nullable=False)
    created_by: Mapped[str] = mapped_column(String(64), nullable=False)
    created_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), nullable=False
    )
    published_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    __table_args__ = (
        CheckConstraint(one_of("status", RuleSetStatus), name="status_known"),
        UniqueConstraint("name", "version", name="uq_risk_rule_sets_name_version"),
        Index(
            "uq_risk_rule_sets_one_active",
            text("(true)"),
            unique=True,
            postgresql_where=text("status = 'active'"),
        ),
    )


class RiskRule(Base):
    """A rule: when ``expression`` (over the engine's features and the rule's own ``params``)
    holds for one of its ``triggers``, answer ``action`` with ``score`` (or, in shadow mode,
    only record that it would have)."""

    __tablename__ = "risk_rules"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    rule_set_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("risk_rule_sets.id", ondelete="CASCADE"), nullable=False
    )
    name: Mapped[str] = mapped_column(String(64), nullable=False)
    typology: Mapped[str] = mapped_column(String(32), nullable=False)
    # "decide:<action>" (inline, before commit) or "event:<kind>" (the consumer, after commit).
    triggers: Mapped[list[str]] = mapped_column(JSONB, nullable=False)
    expression: Mapped[str] = mapped_column(Text, nullable=False)
    params: Mapped[dict[str, Any]] = mapped_column(JSONB, nullable=False)
    action: Mapped[str] = mapped_column(String(16), nullable=False)
    score: Mapped[float] = mapped_column(Float, nullable=False)
    mode: Mapped[str] = mapped_column(String(16), nullable=False)
    description: Mapped[str] = mapped_column(Text, nullable=False, default="")

    __table_args__ = (
        CheckConstraint(one_of("typology", Typology), name="typology_known"),
        CheckConstraint(one_of("action", RuleAction), name="action_known"),
        CheckConstraint(one_of("mode", RuleMode), name="mode_known"),
        CheckConstraint("score >= 0 AND score <= 1", name="score_in_unit_range"),
        UniqueConstraint("rule_set_id", "name", name="uq_risk_rules_set_name"),
    )


class RiskDecision(Base):
    """What decide() answered and why: the rules that matched (acting and shadow), or the
    fallback taken when the engine timed out or failed."""

    __tablename__ = "risk_decisions"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    player_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    # A decide() action (``deposit``) or, for the consumer's evaluations, ``event:<kind>``.
    action: Mapped[str] = mapped_column(String(40), nullable=False)
    event_id: Mapped[int | None] = mapped_column(BigInteger)
    decision: Mapped[str] = mapped_column(String(16), nullable=False)
    reasons: Mapped[list[Any]] = mapped_column(JSONB, nullable=False)
    shadow: Mapped[list[Any]] = mapped_column(JSONB, nullable=False)
    rule_set_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    # "timeout" or "error" when the engine did not answer in time and the fallback decided.
    fallback: Mapped[str | None] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), nullable=False
    )

    __table_args__ = (
        CheckConstraint(one_of("decision", Decision), name="decision_known"),
        Index("ix_risk_decisions_player", "player_id", "created_at"),
    )


class RiskCounter(Base):
    """A velocity counter's bucket: ``key`` is ``<counter>:<scope>:<value>``, one row per
    minute that saw activity. Buckets older than the longest window are pruned."""

    __tablename__ = "risk_counters"

    key: Mapped[str] = mapped_column(String(240), primary_key=True)
    bucket: Mapped[datetime] = mapped_column(DateTime(timezone=True), primary_key=True)
    count: Mapped[int] = mapped_column(Integer, nullable=False)
    amount: Mapped[int] = mapped_column(BigInteger, nullable=False)


class RiskLink(Base):
    """A player seen with a device id, an address or a payment instrument: first seen (the
    player's new-device and new-address features) and last seen (accounts sharing it)."""

    __tablename__ = "risk_links"

    kind: Mapped[str] = mapped_column(String(16), primary_key=True)
    value: Mapped[str] = mapped_column(String(200), primary_key=True)
    player_id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    first_seen_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    last_seen_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)

    __table_args__ = (Index("ix_risk_links_player", "player_id", "kind"),)


class RiskPlayerState(Base):
    """The engine's running picture of one player (no personal data): the event watermark
    that makes redelivery harmless, account age, the takeover chain, the anomaly score."""

    __tablename__ = "risk_player_state"

    player_id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    last_event_id: Mapped[int] = mapped_column(BigInteger, nullable=False, default=0)
    registered_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    new_device_sign_in_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    new_device_event_id: Mapped[int | None] = mapped_column(BigInteger)
    credential_change_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    credential_change_event_id: Mapped[int | None] = mapped_column(BigInteger)
    anomaly_score: Mapped[float] = mapped_column(Float, nullable=False, default=0.0)


class RiskPlayerMoney(Base):
    """Per player and currency: deposits and withdrawals, wagering since the last deposit,
    this gaming day's deposits and the stake history (count, sum, max)."""

    __tablename__ = "risk_player_money"

    player_id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    currency: Mapped[str] = mapped_column(String(3), primary_key=True)
    deposited: Mapped[int] = mapped_column(BigInteger, nullable=False, default=0)
    withdrawn: Mapped[int] = mapped_column(BigInteger, nullable=False, default=0)
    last_deposit_amount: Mapped[int] = mapped_column(BigInteger, nullable=False, default=0)
    last_deposit_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    last_deposit_event_id: Mapped[int | None] = mapped_column(BigInteger)
    wagered_since_deposit: Mapped[int] = mapped_column(BigInteger, nullable=False, default=0)
    gaming_day: Mapped[date | None] = mapped_column(Date)
    day_deposit_count: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    day_deposit_total: Mapped[int] = mapped_column(BigInteger, nullable=False, default=0)
    day_deposit_min: Mapped[int] = mapped_column(BigInteger, nullable=False, default=0)
    day_deposit_max: Mapped[int] = mapped_column(BigInteger, nullable=False, default=0)
    # The day's deposit events (at most 20), for the alert's evidence.
    day_event_ids: Mapped[list[int]] = mapped_column(JSONB, nullable=False, default=list)
    stake_count: Mapped[int] = mapped_column(BigInteger, nullable=False, default=0)
    stake_sum: Mapped[int] = mapped_column(BigInteger, nullable=False, default=0)
    stake_max: Mapped[int] = mapped_column(BigInteger, nullable=False, default=0)


class RiskWatermark(Base):
    """Events without a player (a failed sign-in for an unknown address): the consumer's
    position among them, so a redelivery changes nothing."""

    __tablename__ = "risk_watermarks"

    stream: Mapped[str] = mapped_column(String(64), primary_key=True)
    last_event_id: Mapped[int] = mapped_column(BigInteger, nullable=False)


class RiskModel(Base):
    """A checkpoint of the streaming anomaly model (river), written only by the engine."""

    __tablename__ = "risk_models"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    state: Mapped[bytes] = mapped_column(LargeBinary, nullable=False)
    events_seen: Mapped[int] = mapped_column(BigInteger, nullable=False)
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), nullable=False
    )
