"""The games' section of a player's data export: every round, as the round history shows it.

Rounds are an AML record (kept, pseudonymous, under the legal hold): nothing is erased."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from croupier.games import rounds
from croupier.games.repository import revealed_seeds
from croupier.games.schemas import RoundView

_PAGE = 500


async def export(session: AsyncSession, player_id: uuid.UUID) -> list[dict[str, Any]]:
    shown: list[dict[str, Any]] = []
    before = None
    while True:
        page = await rounds.history(session, player_id, limit=_PAGE, before=before)
        seeds = await revealed_seeds(session, {r.seed_pair_id for r in page})
        shown += [RoundView.of(r, revealed=seeds.get(r.seed_pair_id)).model_dump(mode="json") for r in page]
        if len(page) < _PAGE:
            return shown
        before = (page[-1].created_at, page[-1].id)
