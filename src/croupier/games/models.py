"""Game tables: each player's provably fair seed pairs, and the rounds played with them.

The active server seed is secret until the pair is rotated, so it is stored
sealed under the player's data key; once revealed it is stored in the clear,
for anyone to check past rounds with. Rounds keep everything a regulator or a
player needs to recompute them (game, bet, seeds' hash, client seed, nonce,
outcome, amounts, times); they are never deleted.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    UniqueConstraint,
    Uuid,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from croupier.kit.models import Base, CreatedAt


class SeedPair(CreatedAt, Base):
    __tablename__ = "fairness_seed_pairs"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    player_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("players.id", ondelete="RESTRICT"), nullable=False
    )
    server_seed_sealed: Mapped[bytes | None] = mapped_column(LargeBinary)
    server_seed_hash: Mapped[str] = mapped_column(String(64), nullable=False, unique=True)
    client_seed: Mapped[str] = mapped_column(String(64), nullable=False)
    # The nonce the next bet will use; it only grows, whatever the client seed.
    next_nonce: Mapped[int] = mapped_column(BigInteger, nullable=False, default=0)
    revealed_seed: Mapped[str | None] = mapped_column(String(64))
    revealed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    __table_args__ = (
        CheckConstraint("next_nonce >= 0", name="nonce_non_negative"),
        CheckConstraint(
            "(revealed_at IS NULL) = (revealed_seed IS NULL)"
            " AND (revealed_at IS NULL) = (server_seed_sealed IS NOT NULL)",
            name="secret_until_revealed",
        ),
        # One active pair per player.
        Index(
            "uq_fairness_seed_pairs_active",
            "player_id",
            unique=True,
            postgresql_where="revealed_at IS NULL",
        ),
    )


class GameRound(CreatedAt, Base):
    __tablename__ = "game_rounds"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    player_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("players.id", ondelete="RESTRICT"), nullable=False
    )
    game: Mapped[str] = mapped_column(String(32), nullable=False)
    currency: Mapped[str] = mapped_column(
        String(8), ForeignKey("currencies.code", ondelete="RESTRICT"), nullable=False
    )
    idempotency_key: Mapped[str] = mapped_column(String(255), nullable=False)
    request_hash: Mapped[bytes] = mapped_column(LargeBinary, nullable=False)
    status: Mapped[str] = mapped_column(String(16), nullable=False)
    # Everything staked (a double or a split adds to it) and everything paid back.
    stake: Mapped[int] = mapped_column(BigInteger, nullable=False)
    payout: Mapped[int | None] = mapped_column(BigInteger)
    seed_pair_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("fairness_seed_pairs.id", ondelete="RESTRICT"), nullable=False
    )
    server_seed_hash: Mapped[str] = mapped_column(String(64), nullable=False)
    client_seed: Mapped[str] = mapped_column(String(64), nullable=False)
    nonce: Mapped[int] = mapped_column(BigInteger, nullable=False)
    bet: Mapped[dict[str, Any]] = mapped_column(JSONB, nullable=False)
    # Multi-step games: the engine's state between actions, and the actions taken.
    state: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    actions: Mapped[list[Any]] = mapped_column(JSONB, nullable=False, default=list)
    # The ledger holds reserving a multi-step round's stakes until it settles.
    hold_ids: Mapped[list[str]] = mapped_column(JSONB, nullable=False, default=list)
    outcome: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    transfer_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("ledger_transfers.id", ondelete="RESTRICT")
    )
    settled_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    version: Mapped[int] = mapped_column(Integer, nullable=False, default=0)

    __table_args__ = (
        UniqueConstraint("player_id", "idempotency_key", name="uq_game_rounds_player_key"),
        UniqueConstraint("seed_pair_id", "nonce", name="uq_game_rounds_pair_nonce"),
        CheckConstraint("stake > 0", name="stake_positive"),
        CheckConstraint("status IN ('open', 'settled')", name="status_known"),
        CheckConstraint(
            "(status = 'settled')"
            " = (payout IS NOT NULL AND settled_at IS NOT NULL AND transfer_id IS NOT NULL)",
            name="settled_has_result",
        ),
        Index("ix_game_rounds_player_newest", "player_id", "created_at"),
    )


class RoundAction(CreatedAt, Base):
    """A multi-step round's action, once per idempotency key."""

    __tablename__ = "game_round_actions"

    round_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("game_rounds.id", ondelete="RESTRICT"), primary_key=True
    )
    idempotency_key: Mapped[str] = mapped_column(String(255), primary_key=True)
    request_hash: Mapped[bytes] = mapped_column(LargeBinary, nullable=False)
    seq: Mapped[int] = mapped_column(Integer, nullable=False)

    __table_args__ = (UniqueConstraint("round_id", "seq", name="uq_game_round_actions_seq"),)
