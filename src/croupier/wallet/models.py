"""Ledger tables: currencies, accounts, transfers, their entries, and holds.

Amounts are integers in minor units of the account's currency. Entries are
immutable (a trigger refuses UPDATE, DELETE and TRUNCATE); an account's
``balance`` is the sum of its entries and ``held`` the sum of its pending holds,
kept on the row so that a balance check reads one locked row. ``croupier ledger
check`` verifies both.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    DateTime,
    ForeignKey,
    Index,
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


class TransferStatus(StrEnum):
    POSTED = "posted"
    # Refused, and kept so that its key keeps failing (``transfer_already_failed``).
    FAILED = "failed"


class HoldStatus(StrEnum):
    PENDING = "pending"
    POSTED = "posted"
    VOIDED = "voided"
    EXPIRED = "expired"


# The exponents ISO 4217 (and common crypto-currency practice) use.
EXPONENTS = (0, 2, 3, 8)


def _player_fk() -> ForeignKey:
    return ForeignKey("players.id", ondelete="RESTRICT")


class Currency(Base):
    """A supported currency and the number of decimal places of its minor unit."""

    __tablename__ = "currencies"

    code: Mapped[str] = mapped_column(String(8), primary_key=True)
    exponent: Mapped[int] = mapped_column(SmallInteger, nullable=False)

    __table_args__ = (CheckConstraint("exponent IN (0, 2, 3, 8)", name="exponent_known"),)


class LedgerAccount(CreatedAt, Base):
    """One book in one currency: ``player:<uuid>:cash:EUR``, ``house:revenue:EUR:3``.

    Player accounts can never be negative, held funds counted, whatever the
    code does: the CHECK constraint refuses it. House accounts may go negative
    (the house's revenue account is debited when a player wins).
    """

    __tablename__ = "ledger_accounts"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    code: Mapped[str] = mapped_column(Text, nullable=False, unique=True)
    kind: Mapped[str] = mapped_column(String(32), nullable=False)
    player_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, _player_fk(), index=True)
    currency: Mapped[str] = mapped_column(
        String(8), ForeignKey("currencies.code", ondelete="RESTRICT"), nullable=False
    )
    balance: Mapped[int] = mapped_column(BigInteger, nullable=False, default=0)
    held: Mapped[int] = mapped_column(BigInteger, nullable=False, default=0)
    is_player: Mapped[bool] = mapped_column(Boolean, nullable=False)

    __table_args__ = (
        CheckConstraint(
            "NOT is_player OR (balance >= 0 AND held >= 0 AND held <= balance)",
            name="player_funds_non_negative",
        ),
        CheckConstraint("is_player = (player_id IS NOT NULL)", name="player_accounts_have_a_player"),
        CheckConstraint("is_player OR held = 0", name="house_accounts_hold_nothing"),
    )


class LedgerTransfer(CreatedAt, Base):
    """One request to move money, identified by ``(source, idempotency_key)``.

    ``posted`` transfers have entries summing to zero per currency; ``failed``
    ones have none and keep their ``error_code``, so a retry of the same key
    keeps failing the same way.
    """

    __tablename__ = "ledger_transfers"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    source: Mapped[str] = mapped_column(String(64), nullable=False)
    idempotency_key: Mapped[str] = mapped_column(String(255), nullable=False)
    request_hash: Mapped[bytes] = mapped_column(LargeBinary, nullable=False)
    kind: Mapped[str] = mapped_column(String(64), nullable=False)
    status: Mapped[str] = mapped_column(String(16), nullable=False)
    error_code: Mapped[str | None] = mapped_column(String(64))
    player_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, _player_fk())
    meta: Mapped[dict[str, Any]] = mapped_column("metadata", JSONB, nullable=False, default=dict)

    __table_args__ = (
        UniqueConstraint("source", "idempotency_key", name="uq_ledger_transfers_source_key"),
        CheckConstraint(one_of("status", TransferStatus), name="status_known"),
        CheckConstraint("(status = 'failed') = (error_code IS NOT NULL)", name="failed_has_error_code"),
    )


class LedgerEntry(CreatedAt, Base):
    """One leg of a posted transfer on one account. Immutable: corrections are reversing transfers."""

    __tablename__ = "ledger_entries"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    transfer_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("ledger_transfers.id", ondelete="RESTRICT"), nullable=False, index=True
    )
    account_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("ledger_accounts.id", ondelete="RESTRICT"), nullable=False
    )
    amount: Mapped[int] = mapped_column(BigInteger, nullable=False)
    balance_after: Mapped[int] = mapped_column(BigInteger, nullable=False)

    __table_args__ = (CheckConstraint("amount <> 0", name="amount_non_zero"),)


# An account's statement, newest first, by keyset.
Index("ix_ledger_entries_account_newest", LedgerEntry.account_id, LedgerEntry.id.desc())


class LedgerHold(CreatedAt, Base):
    """Funds reserved on a player account until posted, voided or expired."""

    __tablename__ = "ledger_holds"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    account_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("ledger_accounts.id", ondelete="RESTRICT"), nullable=False, index=True
    )
    player_id: Mapped[uuid.UUID] = mapped_column(Uuid, _player_fk(), nullable=False)
    amount: Mapped[int] = mapped_column(BigInteger, nullable=False)
    posted_amount: Mapped[int] = mapped_column(BigInteger, nullable=False, default=0)
    status: Mapped[str] = mapped_column(String(16), nullable=False)
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    source: Mapped[str] = mapped_column(String(64), nullable=False)
    idempotency_key: Mapped[str] = mapped_column(String(255), nullable=False)
    request_hash: Mapped[bytes] = mapped_column(LargeBinary, nullable=False)
    # The transfer that posted the hold, when it was posted.
    transfer_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("ledger_transfers.id", ondelete="RESTRICT")
    )
    meta: Mapped[dict[str, Any]] = mapped_column("metadata", JSONB, nullable=False, default=dict)
    resolved_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    __table_args__ = (
        UniqueConstraint("source", "idempotency_key", name="uq_ledger_holds_source_key"),
        CheckConstraint("amount > 0", name="amount_positive"),
        CheckConstraint("posted_amount >= 0 AND posted_amount <= amount", name="posted_within_amount"),
        CheckConstraint(one_of("status", HoldStatus), name="status_known"),
        CheckConstraint("(status = 'posted') = (transfer_id IS NOT NULL)", name="posted_has_transfer"),
        CheckConstraint("(status = 'pending') = (resolved_at IS NULL)", name="resolved_unless_pending"),
        # The expiry sweep and the books check look only at pending holds.
        Index("ix_ledger_holds_pending_expiry", "expires_at", postgresql_where="status = 'pending'"),
    )
