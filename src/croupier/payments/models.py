"""Payment tables: card methods (token and display digits only), deposits, withdrawals,
refunds, chargebacks, debts, and the inbox of provider webhook events.

No table has a column that could hold a card number or a CVC: the provider
keeps the card and gives Croupier a token, the brand, the first six and the
last four digits (PCI DSS 3.3-3.5: what may be stored and displayed).
"""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
    Uuid,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from croupier.kit.models import Base, CreatedAt, one_of


class DepositStatus(StrEnum):
    INITIATED = "initiated"  # written, the provider not yet called; shown to the player as pending
    REQUIRES_ACTION = "requires_action"  # 3-D Secure
    PENDING = "pending"
    SUCCEEDED = "succeeded"
    FAILED = "failed"


class WithdrawalStatus(StrEnum):
    PENDING_APPROVAL = "pending_approval"
    APPROVED = "approved"
    SUBMITTED = "submitted"
    PAID = "paid"
    FAILED = "failed"
    CANCELLED = "cancelled"
    REJECTED = "rejected"


class RefundStatus(StrEnum):
    REQUESTED = "requested"
    SUBMITTED = "submitted"
    SUCCEEDED = "succeeded"
    FAILED = "failed"


def _player_fk() -> ForeignKey:
    return ForeignKey("players.id", ondelete="RESTRICT")


def _currency_fk() -> ForeignKey:
    return ForeignKey("currencies.code", ondelete="RESTRICT")


class UpdatedAt:
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)


class PaymentMethod(CreatedAt, Base):
    """A card a player paid with, as the provider tokenised it."""

    __tablename__ = "payment_methods"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    player_id: Mapped[uuid.UUID] = mapped_column(Uuid, _player_fk(), nullable=False, index=True)
    provider: Mapped[str] = mapped_column(String(32), nullable=False)
    token: Mapped[str] = mapped_column(String(128), nullable=False)
    brand: Mapped[str] = mapped_column(String(32), nullable=False)
    bin: Mapped[str] = mapped_column(String(6), nullable=False)
    last4: Mapped[str] = mapped_column(String(4), nullable=False)
    exp_month: Mapped[int] = mapped_column(SmallInteger, nullable=False)
    exp_year: Mapped[int] = mapped_column(SmallInteger, nullable=False)
    # The provider's keyed fingerprint of the card: the same card under two tokens.
    fingerprint: Mapped[str] = mapped_column(String(128), nullable=False)

    __table_args__ = (
        UniqueConstraint("provider", "token", name="uq_payment_methods_provider_token"),
        CheckConstraint("bin ~ '^[0-9]{6}$' AND last4 ~ '^[0-9]{4}$'", name="display_digits_only"),
        CheckConstraint("exp_month BETWEEN 1 AND 12", name="exp_month_valid"),
        Index("ix_payment_methods_fingerprint", "provider", "fingerprint"),
    )


class Deposit(CreatedAt, UpdatedAt, Base):
    """Money in: a card payment, credited once the provider says it succeeded."""

    __tablename__ = "deposits"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    player_id: Mapped[uuid.UUID] = mapped_column(Uuid, _player_fk(), nullable=False)
    method_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("payment_methods.id", ondelete="RESTRICT"), nullable=False, index=True
    )
    idempotency_key: Mapped[str] = mapped_column(String(255), nullable=False)
    request_hash: Mapped[bytes] = mapped_column(LargeBinary, nullable=False)
    amount: Mapped[int] = mapped_column(BigInteger, nullable=False)
    currency: Mapped[str] = mapped_column(String(8), _currency_fk(), nullable=False)
    status: Mapped[str] = mapped_column(String(24), nullable=False)
    provider_payment_id: Mapped[str | None] = mapped_column(String(128), unique=True)
    challenge_url: Mapped[str | None] = mapped_column(Text)
    failure_code: Mapped[str | None] = mapped_column(String(64))
    credit_transfer_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("ledger_transfers.id", ondelete="RESTRICT")
    )
    refunded_amount: Mapped[int] = mapped_column(BigInteger, nullable=False, default=0)
    charged_back_amount: Mapped[int] = mapped_column(BigInteger, nullable=False, default=0)

    __table_args__ = (
        UniqueConstraint("player_id", "idempotency_key", name="uq_deposits_player_key"),
        CheckConstraint("amount > 0", name="amount_positive"),
        CheckConstraint(one_of("status", DepositStatus), name="status_known"),
        CheckConstraint("(status = 'succeeded') = (credit_transfer_id IS NOT NULL)", name="credited_once"),
        CheckConstraint(
            "refunded_amount >= 0 AND charged_back_amount >= 0"
            " AND refunded_amount + charged_back_amount <= amount",
            name="reversals_within_amount",
        ),
        Index("ix_deposits_player_newest", "player_id", "created_at"),
        # The monitoring's webhook lag: the oldest payment the provider has yet to report on.
        Index("ix_deposits_awaiting_provider", "updated_at", postgresql_where="status = 'pending'"),
    )


class Withdrawal(CreatedAt, UpdatedAt, Base):
    """Money out, to a card the player deposited with; the funds are held until the payout settles."""

    __tablename__ = "withdrawals"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    player_id: Mapped[uuid.UUID] = mapped_column(Uuid, _player_fk(), nullable=False)
    method_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("payment_methods.id", ondelete="RESTRICT"), nullable=False
    )
    idempotency_key: Mapped[str] = mapped_column(String(255), nullable=False)
    request_hash: Mapped[bytes] = mapped_column(LargeBinary, nullable=False)
    amount: Mapped[int] = mapped_column(BigInteger, nullable=False)
    currency: Mapped[str] = mapped_column(String(8), _currency_fk(), nullable=False)
    status: Mapped[str] = mapped_column(String(24), nullable=False)
    # Set in the same transaction that inserts the row (the row claims the key first).
    hold_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("ledger_holds.id", ondelete="RESTRICT"), unique=True
    )
    provider_payout_id: Mapped[str | None] = mapped_column(String(128), unique=True)
    failure_code: Mapped[str | None] = mapped_column(String(64))
    reviewed_by: Mapped[str | None] = mapped_column(String(64))
    reviewed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    review_note: Mapped[str | None] = mapped_column(String(500))
    attempts: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    next_attempt_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    last_error: Mapped[str | None] = mapped_column(String(500))

    __table_args__ = (
        UniqueConstraint("player_id", "idempotency_key", name="uq_withdrawals_player_key"),
        CheckConstraint("amount > 0", name="amount_positive"),
        CheckConstraint(one_of("status", WithdrawalStatus), name="status_known"),
        Index("ix_withdrawals_player_newest", "player_id", "created_at"),
        # The payout relay looks only at approved withdrawals that are due.
        Index("ix_withdrawals_due", "next_attempt_at", postgresql_where="status = 'approved'"),
        Index("ix_withdrawals_awaiting_review", "created_at", postgresql_where="status = 'pending_approval'"),
        Index("ix_withdrawals_awaiting_provider", "updated_at", postgresql_where="status = 'submitted'"),
    )


class Refund(CreatedAt, UpdatedAt, Base):
    """Money back to the card a deposit came from, at the casino's initiative; held until it settles."""

    __tablename__ = "refunds"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    deposit_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("deposits.id", ondelete="RESTRICT"), nullable=False, index=True
    )
    player_id: Mapped[uuid.UUID] = mapped_column(Uuid, _player_fk(), nullable=False)
    idempotency_key: Mapped[str] = mapped_column(String(255), nullable=False)
    request_hash: Mapped[bytes] = mapped_column(LargeBinary, nullable=False)
    amount: Mapped[int] = mapped_column(BigInteger, nullable=False)
    currency: Mapped[str] = mapped_column(String(8), _currency_fk(), nullable=False)
    status: Mapped[str] = mapped_column(String(24), nullable=False)
    hold_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("ledger_holds.id", ondelete="RESTRICT"), unique=True
    )
    provider_refund_id: Mapped[str | None] = mapped_column(String(128), unique=True)
    failure_code: Mapped[str | None] = mapped_column(String(64))
    requested_by: Mapped[str] = mapped_column(String(64), nullable=False)
    reason: Mapped[str] = mapped_column(String(500), nullable=False)
    attempts: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    next_attempt_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    last_error: Mapped[str | None] = mapped_column(String(500))

    __table_args__ = (
        UniqueConstraint("deposit_id", "idempotency_key", name="uq_refunds_deposit_key"),
        CheckConstraint("amount > 0", name="amount_positive"),
        CheckConstraint(one_of("status", RefundStatus), name="status_known"),
        Index("ix_refunds_due", "next_attempt_at", postgresql_where="status = 'requested'"),
        Index("ix_refunds_awaiting_provider", "updated_at", postgresql_where="status = 'submitted'"),
    )


class Chargeback(CreatedAt, Base):
    """A card-holder's dispute the provider settled against the casino."""

    __tablename__ = "chargebacks"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    provider_chargeback_id: Mapped[str] = mapped_column(String(128), nullable=False, unique=True)
    deposit_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("deposits.id", ondelete="RESTRICT"), nullable=False, index=True
    )
    player_id: Mapped[uuid.UUID] = mapped_column(Uuid, _player_fk(), nullable=False)
    amount: Mapped[int] = mapped_column(BigInteger, nullable=False)
    currency: Mapped[str] = mapped_column(String(8), _currency_fk(), nullable=False)
    reason: Mapped[str | None] = mapped_column(String(200))
    # What the player's balance covered, and what it did not (the debt).
    recovered_amount: Mapped[int] = mapped_column(BigInteger, nullable=False)
    debt_amount: Mapped[int] = mapped_column(BigInteger, nullable=False)
    transfer_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("ledger_transfers.id", ondelete="RESTRICT"), nullable=False
    )

    __table_args__ = (
        CheckConstraint("amount > 0", name="amount_positive"),
        CheckConstraint(
            "recovered_amount >= 0 AND debt_amount >= 0 AND recovered_amount + debt_amount = amount",
            name="split_adds_up",
        ),
    )


class PlayerDebt(CreatedAt, UpdatedAt, Base):
    """What a player owes the casino in one currency (a chargeback their balance did not cover).

    Mirrors the house receivables account; deposits pay it off first.
    """

    __tablename__ = "player_debts"

    player_id: Mapped[uuid.UUID] = mapped_column(Uuid, _player_fk(), primary_key=True)
    currency: Mapped[str] = mapped_column(String(8), _currency_fk(), primary_key=True)
    outstanding: Mapped[int] = mapped_column(BigInteger, nullable=False)

    __table_args__ = (CheckConstraint("outstanding >= 0", name="outstanding_non_negative"),)


class PaymentEvent(Base):
    """Each provider webhook event, once: the inbox that makes delivery exactly-once."""

    __tablename__ = "payment_events"

    provider: Mapped[str] = mapped_column(String(32), primary_key=True)
    event_id: Mapped[str] = mapped_column(String(128), primary_key=True)
    type: Mapped[str] = mapped_column(String(64), nullable=False)
    object_id: Mapped[str | None] = mapped_column(String(128))
    outcome: Mapped[str] = mapped_column(String(32), nullable=False)
    received_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    # The event as received: provider objects carry a token and display digits, never a card number.
    payload: Mapped[dict[str, Any]] = mapped_column(JSONB, nullable=False)
