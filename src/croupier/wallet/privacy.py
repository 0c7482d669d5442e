"""The wallet's section of a player's data export: balances and every ledger entry.

Nothing here is erased: the ledger is the AML record (kept, pseudonymous, under the legal
hold) and immutable, so ``croupier ledger check`` holds after an erasure as before."""

from __future__ import annotations

import uuid
from dataclasses import asdict
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from croupier.wallet import service

_PAGE = 1000


async def export(session: AsyncSession, player_id: uuid.UUID) -> dict[str, Any]:
    entries: list[dict[str, Any]] = []
    before: int | None = None
    while True:
        page = await service.entries(session, player_id=player_id, before=before, limit=_PAGE)
        entries += [asdict(e) for e in page]
        if len(page) < _PAGE:
            break
        before = page[-1].id
    return {
        "balances": [asdict(b) for b in await service.balances(session, player_id=player_id)],
        "entries": entries,
    }
