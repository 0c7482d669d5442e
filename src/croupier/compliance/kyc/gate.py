"""What money paths ask before money moves: is this player verified enough, and of age?

Payments call these inside their own transaction. The deposit gate locks the player's
KYC row before the caller's running total is read, so two concurrent deposits are
counted one after the other and cannot together take the total past a threshold.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable

from sqlalchemy.ext.asyncio import AsyncSession

from croupier.compliance.kyc import repository
from croupier.compliance.kyc.errors import KycRequired, Underage
from croupier.compliance.kyc.models import KycLevel
from croupier.identity import players
from croupier.kit.clock import utcnow
from croupier.kit.settings import Settings


async def refuse_if_underage(session: AsyncSession, settings: Settings, *, player_id: uuid.UUID) -> None:
    """The date of birth identity holds must make the player at least ``minimum_age`` today."""
    profile = await players.profile_of(session, player_id)
    if profile is not None and players.age_on(profile.date_of_birth, utcnow().date()) < settings.minimum_age:
        raise Underage(f"Players must be at least {settings.minimum_age} years old.")


def _required(action: str, needed: KycLevel, have: KycLevel, detail: str) -> KycRequired:
    return KycRequired(detail, action=action, required_level=str(needed), current_level=str(have))


async def require_for_withdrawal(session: AsyncSession, settings: Settings, *, player_id: uuid.UUID) -> None:
    needed = KycLevel(settings.kyc_withdrawal_level)
    have = KycLevel(await repository.level(session, player_id) or KycLevel.NONE)
    if not have.at_least(needed):
        raise _required(
            "withdrawal", needed, have, f"Withdrawals need identity verification at level {needed}."
        )


async def admit_deposit(
    session: AsyncSession,
    settings: Settings,
    *,
    player_id: uuid.UUID,
    currency: str,
    amount: int,
    deposited: Callable[[], Awaitable[int]],
) -> None:
    """Refuse a deposit that would take the player's total in ``currency`` past its threshold
    while the player is below ``kyc_deposit_level``; ``deposited`` reads that total (failed
    deposits aside) and is called with the player's KYC row locked."""
    row = await repository.lock(session, player_id)
    await refuse_if_underage(session, settings, player_id=player_id)
    needed, have = KycLevel(settings.kyc_deposit_level), KycLevel(row.level)
    if have.at_least(needed):
        return
    threshold = settings.kyc_deposit_thresholds.get(currency)
    if threshold is not None and await deposited() + amount <= threshold:
        return
    limit = "any amount" if threshold is None else f"more than {threshold} (minor units) in total"
    detail = f"Deposits of {limit} in {currency} need identity verification at level {needed}."
    raise _required("deposit", needed, have, detail)
