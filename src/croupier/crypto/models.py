from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import DateTime, ForeignKey, Integer, LargeBinary, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from croupier.kit.models import Base, CreatedAt


class PlayerDataKey(CreatedAt, Base):
    """One data key per player, stored only wrapped by a KEK.

    Erasing a player destroys this key (``wrapped`` set to NULL): every personal
    field sealed under it becomes unreadable while financial records remain.
    """

    __tablename__ = "player_data_keys"

    player_id: Mapped[uuid.UUID] = mapped_column(
        # Deferred: the key is created before the player row it protects is written.
        Uuid,
        ForeignKey("players.id", ondelete="RESTRICT", deferrable=True, initially="DEFERRED"),
        primary_key=True,
    )
    dek_version: Mapped[int] = mapped_column(Integer, nullable=False, default=1)
    kek_version: Mapped[int] = mapped_column(Integer, nullable=False, index=True)
    wrapped: Mapped[bytes | None] = mapped_column(LargeBinary)
    destroyed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
