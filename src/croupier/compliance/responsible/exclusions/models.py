"""Exclusions: every time-out, self-exclusion and national-register block a player has had.

Rows are kept after they end (a regulator asks what was in force when); a player's
``players.gambling_blocked_until`` is the latest ``blocks_until`` among them.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum

from sqlalchemy import CheckConstraint, DateTime, ForeignKey, Index, String, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from croupier.kit.models import Base, CreatedAt, one_of


class ExclusionKind(StrEnum):
    TIME_OUT = "time_out"  # 24 hours to 6 weeks; lifts by itself
    SELF_EXCLUSION = "self_exclusion"  # 6 months to 5 years or indefinite; lifts only on request
    REGISTER = "register"  # the national self-exclusion register answered Y (or was unreachable)


class Exclusion(CreatedAt, Base):
    __tablename__ = "exclusions"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    player_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("players.id", ondelete="RESTRICT"), nullable=False
    )
    kind: Mapped[str] = mapped_column(String(16), nullable=False)
    # As the player chose it ("72h", "6m", "indefinite"); None for the register.
    period: Mapped[str | None] = mapped_column(String(16))
    started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    # The end of the chosen period; None: indefinite (or a register block, which has none).
    ends_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # A self-exclusion past its end stays in force until the player asks to return.
    return_requested_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # Until when this exclusion blocks gambling; gate.FOREVER while it has no end yet.
    blocks_until: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)

    __table_args__ = (
        CheckConstraint(one_of("kind", ExclusionKind), name="kind_known"),
        Index("ix_exclusions_player_blocks_until", "player_id", "blocks_until"),
    )
