"""The one question payments ask before money moves: is this player waiting for a sanctions review?"""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from croupier.kit.errors import Forbidden
from croupier.risk.sanctions import repository


class SanctionsReviewPending(Forbidden):
    code = "sanctions_review_pending"
    title = "Payments are paused for a review"


async def refuse_if_under_review(session: AsyncSession, *, player_id: uuid.UUID) -> None:
    """Raise ``SanctionsReviewPending`` while the player has an open blocking sanctions hit.

    Says nothing about the list or the score: the player learns only that a review is pending.
    """
    if await repository.has_open_blocking_hit(session, player_id):
        raise SanctionsReviewPending(
            "Deposits and withdrawals are paused while a check on this account is reviewed."
        )
