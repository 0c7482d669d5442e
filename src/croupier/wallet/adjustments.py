"""Manual balance adjustments by an operator: goodwill credits and corrections.

An adjustment is an ordinary transfer between the player's cash account and the
house adjustments account, so the books stay balanced and the entry shows on the
player's statement. It is idempotent on the operator's key and audited, refused
attempts included. Through the staff API, one larger than the currency's four-eyes
threshold waits for a second member of staff (``backoffice.approvals``).
"""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from croupier.audit import service as audit
from croupier.audit.service import Actor, Target
from croupier.audit.tags import AuditAction, Outcome
from croupier.events.kinds import EventKind
from croupier.events.outbox import record_event
from croupier.identity import players
from croupier.kit.client import ClientInfo
from croupier.kit.errors import CroupierError
from croupier.kit.settings import Settings
from croupier.wallet.service import (
    HouseAccount,
    HouseBook,
    InvalidAmount,
    Leg,
    PlayerAccount,
    TransferResult,
    exponent,
    key_taken,
    transfer,
)

SOURCE = "wallet:adjust"
KIND = "adjustment"
MAX_REASON = 500


class ReasonRequired(CroupierError):
    code = "reason_required"
    status = 422
    title = "An adjustment needs a reason"


def needs_four_eyes(settings: Settings, *, amount: int, currency: str) -> bool:
    """Whether a staff member's adjustment waits for a second one (larger than the currency's threshold)."""
    threshold = settings.four_eyes_adjustment_minor.get(currency)
    return threshold is None or abs(amount) > threshold


async def made_with(session: AsyncSession, *, key: str) -> bool:
    """Whether an adjustment was made (or refused) with this key: a retry is then answered by the ledger."""
    return await key_taken(session, source=SOURCE, key=key)


async def check(
    session: AsyncSession, *, player_id: uuid.UUID, amount: int, currency: str, reason: str
) -> str:
    """Refuse, before asking anyone to approve it, an adjustment that ``adjust`` would refuse
    for its input; the reason as it will be kept."""
    reason = reason.strip()[:MAX_REASON]
    if not reason:
        raise ReasonRequired("Say why; the reason is kept in the ledger and the audit log.")
    if amount == 0:
        raise InvalidAmount("An adjustment moves a non-zero amount.")
    await exponent(session, currency)
    await players.ensure_exists(session, player_id)
    return reason


async def adjust(
    session: AsyncSession,
    *,
    player_id: uuid.UUID,
    amount: int,
    currency: str,
    reason: str,
    key: str,
    actor: Actor,
    client: ClientInfo | None = None,
) -> TransferResult:
    """Credit (``amount`` > 0) or debit (< 0) the player's cash, in minor units, against the house."""
    reason = reason.strip()[:MAX_REASON]
    if not reason:
        raise ReasonRequired("Say why; the reason is kept in the ledger and the audit log.")
    if amount == 0:
        raise InvalidAmount("An adjustment moves a non-zero amount.")
    details = {"amount": amount, "currency": currency, "key": key, "reason": reason}
    try:
        result = await transfer(
            session,
            source=SOURCE,
            key=key,
            kind=KIND,
            legs=[
                Leg(PlayerAccount(player_id, currency), amount),
                Leg(HouseAccount(HouseBook.ADJUSTMENTS, currency), -amount),
            ],
            player_id=player_id,
            metadata={"reason": reason},
        )
    except CroupierError as exc:
        await audit.record_now(
            session,
            AuditAction.WALLET_ADJUST,
            actor=actor,
            outcome=Outcome.FAILURE,
            target=Target.player(player_id),
            client=client,
            details={**details, "error": exc.code},
        )
        raise
    audit.record(
        session,
        AuditAction.WALLET_ADJUST,
        actor=actor,
        target=Target.player(player_id),
        client=client,
        details={**details, "transfer_id": str(result.id), "replayed": result.replayed},
    )
    if not result.replayed:
        await record_event(
            session,
            EventKind.MANUAL_ADJUSTMENT,
            player_id=player_id,
            data={
                "amount": amount,
                "currency": currency,
                "transfer_id": str(result.id),
                "actor": f"{actor.type}:{actor.id}" if actor.id else str(actor.type),
                "reason": reason,
            },
            client=client,
        )
    return result
