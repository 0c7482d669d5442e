"""Exclusions' part in privacy requests: every time-out, self-exclusion and register block, and the
register's last answer, for the export (articles 15 and 20).

Nothing here is erased: an exclusion is the regulator's record of how the player was protected
(the ``responsible_gambling`` activity of the record of processing), and an erased person who
registers again must still be found excluded by the national register, not by these rows.
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from croupier.compliance.responsible.exclusions import gate, repository


async def export(session: AsyncSession, player_id: uuid.UUID) -> list[dict[str, Any]]:
    return [
        {
            "kind": e.kind,
            "period": e.period,
            "started_at": e.started_at.isoformat(),
            "ends_at": None if e.ends_at is None else e.ends_at.isoformat(),
            "return_requested_at": None
            if e.return_requested_at is None
            else e.return_requested_at.isoformat(),
            "blocks_until": None if e.blocks_until >= gate.FOREVER else e.blocks_until.isoformat(),
        }
        for e in await repository.all_of(session, player_id)
    ]
