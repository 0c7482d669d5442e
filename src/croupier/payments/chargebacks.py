"""Chargebacks: the provider took a deposit back; the player's balance pays what it can.

What the balance does not cover becomes the player's debt on the house
receivables account, never a negative balance and never a silent loss.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any

import structlog
from sqlalchemy.ext.asyncio import AsyncSession

from croupier.audit.service import Actor, Target
from croupier.audit.service import record as audit_record
from croupier.audit.tags import AuditAction
from croupier.events.kinds import EventKind
from croupier.kit.clock import utcnow
from croupier.payments import debts, deposits, repository
from croupier.payments.events import record_payment_event
from croupier.payments.models import Chargeback, Deposit
from croupier.payments.provider import ALREADY_APPLIED
from croupier.wallet import service as wallet
from croupier.wallet.service import HouseAccount, HouseBook, Leg, PlayerAccount

_log = structlog.get_logger("croupier.payments")


async def receive(session: AsyncSession, deposit: Deposit, chargeback: Mapping[str, Any]) -> str:
    """Apply a provider chargeback to its (locked) deposit, once; the inbox outcome."""
    provider_id = str(chargeback["id"])
    amount = int(chargeback["amount"])
    if await repository.chargeback_known(session, provider_id):
        return ALREADY_APPLIED
    if chargeback.get("currency") != deposit.currency or amount <= 0:
        _log.error("psp_chargeback_mismatch", deposit_id=str(deposit.id), chargeback=provider_id)
        return "mismatch"
    if deposit.status != deposits.SUCCEEDED:
        # Events can arrive out of order: a chargeback means the payment succeeded.
        if deposit.status == deposits.FAILED:
            _log.error("psp_chargeback_on_failed_deposit", deposit_id=str(deposit.id))
            return "mismatch"
        await deposits.credit(session, deposit)
    if amount > deposit.amount - deposit.refunded_amount - deposit.charged_back_amount:
        _log.error("psp_chargeback_exceeds_deposit", deposit_id=str(deposit.id), chargeback=provider_id)
        return "mismatch"
    player = PlayerAccount(deposit.player_id, deposit.currency)
    clearing = HouseAccount(HouseBook.PSP_CLEARING, deposit.currency)
    receivables = HouseAccount(HouseBook.RECEIVABLES, deposit.currency)
    available = await wallet.lock_available(session, player, clearing, receivables)
    recovered = min(available, amount)
    debt = amount - recovered
    legs = [Leg(clearing, amount)]
    if recovered:
        legs.append(Leg(player, -recovered))
    if debt:
        legs.append(Leg(receivables, -debt))
    result = await wallet.transfer(
        session,
        source=deposits.SOURCE,
        key=f"chargeback:{provider_id}",
        kind="chargeback",
        legs=legs,
        player_id=deposit.player_id,
        metadata={"deposit_id": str(deposit.id), "chargeback": provider_id, "debt": debt},
    )
    if debt:
        await debts.record(session, player_id=deposit.player_id, currency=deposit.currency, amount=debt)
    session.add(
        Chargeback(
            id=uuid.uuid4(),
            provider_chargeback_id=provider_id,
            deposit_id=deposit.id,
            player_id=deposit.player_id,
            amount=amount,
            currency=deposit.currency,
            reason=str(chargeback.get("reason") or "")[:200] or None,
            recovered_amount=recovered,
            debt_amount=debt,
            transfer_id=result.id,
        )
    )
    deposit.charged_back_amount += amount
    deposit.updated_at = utcnow()
    audit_record(
        session,
        AuditAction.CHARGEBACK,
        actor=Actor.provider("psp"),
        target=Target.player(deposit.player_id),
        details={
            "deposit_id": str(deposit.id),
            "amount": amount,
            "currency": deposit.currency,
            "recovered": recovered,
            "debt": debt,
        },
    )
    await record_payment_event(
        session,
        EventKind.CHARGEBACK,
        player_id=deposit.player_id,
        data={
            "deposit_id": str(deposit.id),
            "amount": amount,
            "currency": deposit.currency,
            "recovered": recovered,
            "debt": debt,
            "reason": str(chargeback.get("reason") or "")[:200] or None,
        },
        method=deposit.method_id,
    )
    return "charged_back"
