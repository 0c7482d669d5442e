"""Third-party game providers: who they are, their games, the tokens that start a game
session, and every wallet transaction they sent.

A provider (a studio or an aggregator) authenticates its calls with its own RSA
key; Croupier keeps only the public half. Amounts in ``provider_transactions``
are minor units of the currency, like the ledger's.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
    Uuid,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from croupier.kit.models import Base, CreatedAt

PROTOCOLS = ("hub88",)


def _provider_fk() -> ForeignKey:
    return ForeignKey("game_providers.id", ondelete="RESTRICT")


def _player_fk() -> ForeignKey:
    return ForeignKey("players.id", ondelete="RESTRICT")


def _currency_fk() -> ForeignKey:
    return ForeignKey("currencies.code", ondelete="RESTRICT")


class GameProvider(CreatedAt, Base):
    """A studio or aggregator whose games players can launch."""

    __tablename__ = "game_providers"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(48), nullable=False, unique=True)
    protocol: Mapped[str] = mapped_column(String(16), nullable=False)
    # PEM; verifies the provider's signed requests. Public, so it may be stored in clear.
    public_key: Mapped[str] = mapped_column(Text, nullable=False)
    # Largest stake per currency, in minor units: {"EUR": 50000}. A currency not listed has no limit.
    stake_limits: Mapped[dict[str, int]] = mapped_column(JSONB, nullable=False, default=dict)
    enabled: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True)
    added_by: Mapped[str] = mapped_column(String(64), nullable=False)

    __table_args__ = (CheckConstraint("protocol IN ('hub88')", name="protocol_known"),)


class ProviderGame(CreatedAt, Base):
    """A game a provider offers, by the code its protocol uses (``clt_dragonrising``)."""

    __tablename__ = "provider_games"

    code: Mapped[str] = mapped_column(String(64), primary_key=True)
    provider_id: Mapped[int] = mapped_column(Integer, _provider_fk(), nullable=False, index=True)


class GameToken(CreatedAt, Base):
    """What a provider presents for a player's game session. Only its SHA-256 is stored.

    It must be used within minutes of being issued; each use keeps it alive for
    a while longer, up to ``ends_at``, and no longer than the sign-in session it
    was launched from.
    """

    __tablename__ = "game_tokens"

    token_hash: Mapped[bytes] = mapped_column(LargeBinary(32), primary_key=True)
    provider_id: Mapped[int] = mapped_column(Integer, _provider_fk(), nullable=False)
    player_id: Mapped[uuid.UUID] = mapped_column(Uuid, _player_fk(), nullable=False)
    currency: Mapped[str] = mapped_column(String(8), _currency_fk(), nullable=False)
    game_code: Mapped[str | None] = mapped_column(String(64))
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    ends_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    # The sign-in session the game was launched from: its bets count towards that session's time
    # limit and stop when it ends. None for an operator's test token. Sessions are deleted 30 days
    # after they ended (retention) or at erasure, long after a token's last hour, hence SET NULL;
    # indexed so that those deletes find their tokens without a scan.
    sign_in_session_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("player_sessions.id", ondelete="SET NULL"), index=True
    )

    __table_args__ = (
        # A provider may ask about a player only once one of its games was launched for them.
        Index("ix_game_tokens_player_provider", "player_id", "provider_id"),
    )


class ProviderTransaction(CreatedAt, Base):
    """Every bet, win and rollback a provider sent, once per ``(provider, transaction_uuid)``.

    ``status`` is what Croupier answered and ``balance`` the balance it reported,
    so a repeat gets the same answer. A rollback that names a transaction not
    seen yet leaves a placeholder under that transaction's uuid (no request
    hash, already rolled back), so the transaction is refused if it arrives late.
    """

    __tablename__ = "provider_transactions"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    provider_id: Mapped[int] = mapped_column(Integer, _provider_fk(), nullable=False)
    transaction_uuid: Mapped[str] = mapped_column(String(255), nullable=False)
    kind: Mapped[str] = mapped_column(String(16), nullable=False)
    player_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, _player_fk())
    currency: Mapped[str | None] = mapped_column(String(8), _currency_fk())
    amount: Mapped[int | None] = mapped_column(BigInteger)
    request_hash: Mapped[bytes | None] = mapped_column(LargeBinary)
    status: Mapped[str] = mapped_column(String(48), nullable=False)
    balance: Mapped[int | None] = mapped_column(BigInteger)
    round: Mapped[str | None] = mapped_column(String(255))
    reference_uuid: Mapped[str | None] = mapped_column(String(255))
    game_code: Mapped[str | None] = mapped_column(String(64))
    transfer_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("ledger_transfers.id", ondelete="RESTRICT")
    )
    # Wins paid against a bet: a bet that has paid out can no longer be rolled back.
    win_count: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    rolled_back_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    __table_args__ = (
        UniqueConstraint("provider_id", "transaction_uuid", name="uq_provider_transactions_provider_uuid"),
        CheckConstraint("kind IN ('bet', 'win', 'rollback')", name="kind_known"),
        CheckConstraint("amount >= 0", name="amount_not_negative"),
        CheckConstraint("win_count >= 0", name="win_count_not_negative"),
    )
