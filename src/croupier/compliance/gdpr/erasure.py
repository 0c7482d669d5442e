"""Erasure by crypto-shredding (GDPR article 17), with the AML legal hold.

In one transaction: standing consents are withdrawn, exports deleted, each registered
domain removes or blanks its part (``hooks``: identity closes the account and blanks its
sealed fields, mail and sessions go, events lose their network details …), and the
player's data key is destroyed, so whatever was sealed under it, anywhere, backups
included, can no longer be read. What the AML law requires stays, pseudonymous, under a
hold until five years after the relationship ended (the erasure ends it): the ledger,
rounds, payments, KYC decisions, risk records and the audit trail. The response lists
that hold; the ``erased`` event carries no personal data.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Literal

from sqlalchemy.ext.asyncio import AsyncSession

from croupier.audit import service as audit
from croupier.audit.service import Actor, Target
from croupier.audit.tags import ActorType, AuditAction
from croupier.compliance.gdpr import consent, hooks, repository
from croupier.compliance.gdpr.models import ConsentSource, Erasure
from croupier.compliance.gdpr.processing import AML_BASIS, AML_HOLD_YEARS, held
from croupier.crypto.service import destroy_player_key
from croupier.events.kinds import EventKind
from croupier.events.outbox import record_event
from croupier.kit.client import ClientInfo
from croupier.kit.clock import utcnow
from croupier.kit.errors import Conflict
from croupier.wallet import service as wallet

RequestedBy = Literal["player", "staff", "operator"]


class BalanceOutstanding(Conflict):
    code = "balance_outstanding"
    title = "Withdraw the balance before erasing the account"


@dataclass(frozen=True)
class Hold:
    records: str
    data: str
    basis: str
    until: date


@dataclass(frozen=True)
class Erased:
    erasure_id: uuid.UUID
    player_id: uuid.UUID
    erased_at: datetime
    already: bool  # erased before this request
    removed: dict[str, Any]
    legal_hold: list[Hold]


def hold_until(erased_at: datetime) -> date:
    day = erased_at.date()
    try:
        return day.replace(year=day.year + AML_HOLD_YEARS)
    except ValueError:  # 29 February
        return day.replace(year=day.year + AML_HOLD_YEARS, day=28)


def holds(until: date) -> list[Hold]:
    return [Hold(records=a.name, data=a.data, basis=AML_BASIS, until=until) for a in held()]


def _shown(erasure: Erasure, *, already: bool) -> Erased:
    return Erased(
        erasure_id=erasure.id,
        player_id=erasure.player_id,
        erased_at=erasure.erased_at,
        already=already,
        removed=dict(erasure.steps),
        legal_hold=holds(erasure.hold_until),
    )


async def refuse_with_balance(session: AsyncSession, *, player_id: uuid.UUID) -> None:
    """A player erasing their own account must take their money out first: afterwards
    nobody could prove a claim to it."""
    for balance in await wallet.balances(session, player_id=player_id):
        if balance.available or balance.held or balance.bonus:
            raise BalanceOutstanding(
                "Withdraw or spend your balance first, then ask again.", currency=balance.currency
            )


async def erase(
    session: AsyncSession,
    *,
    player_id: uuid.UUID,
    actor: Actor,
    client: ClientInfo | None = None,
    reason: str | None = None,
) -> Erased:
    """Erase the player; repeating it answers the first erasure."""
    existing = await repository.erasure_of(session, player_id)
    if existing is not None:
        return _shown(existing, already=True)
    requested_by = _requested_by(actor)
    removed: dict[str, Any] = {
        "consents_withdrawn": await consent.withdraw_all(
            session, player_id=player_id, source=ConsentSource.ERASURE
        ),
        "data_exports": await repository.delete_exports(session, player_id=player_id),
    }
    for name, eraser in hooks.erasers().items():
        removed.update(
            {f"{name}.{what}": count for what, count in (await eraser(session, player_id)).items()}
        )
    removed["data_key_destroyed"] = await destroy_player_key(session, player_id=player_id)
    now = utcnow()
    erasure = Erasure(
        id=uuid.uuid4(),
        player_id=player_id,
        requested_by=requested_by,
        requested_by_name=actor.id if requested_by != "player" else None,
        erased_at=now,
        hold_until=hold_until(now),
        steps=removed,
    )
    repository.add_erasure(session, erasure)
    await session.flush()
    # Ids, a role and a date: nothing that names or reaches the person.
    await record_event(
        session,
        EventKind.ERASED,
        player_id=player_id,
        data={
            "erasure_id": str(erasure.id),
            "requested_by": requested_by,
            "hold_until": erasure.hold_until.isoformat(),
        },
    )
    audit.record(
        session,
        AuditAction.GDPR_ERASE,
        actor=actor,
        target=Target.player(player_id),
        client=client,
        details={
            "erasure_id": str(erasure.id),
            "hold_until": erasure.hold_until.isoformat(),
            "reason": reason,
        },
    )
    return _shown(erasure, already=False)


def _requested_by(actor: Actor) -> RequestedBy:
    if actor.type == ActorType.PLAYER:
        return "player"
    if actor.type == ActorType.STAFF:
        return "staff"
    return "operator"
