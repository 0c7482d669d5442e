"""The webhook inbox: each provider event acted on exactly once, in any order.

An event is inserted into ``payment_events`` in the same transaction as its
effect, so a duplicate delivery finds it and changes nothing, and a failure
rolls both back for the provider to deliver again (it retries until it gets a
2xx). Order does not matter because every handler only moves its object
forward from the state the event implies (a chargeback implies the payment
succeeded; a late "succeeded" after that is stale), and every ledger transfer
is keyed by the object it settles.
"""

from __future__ import annotations

import uuid
from typing import Any

import structlog
from sqlalchemy.ext.asyncio import AsyncSession

from croupier.kit.clock import utcnow
from croupier.kit.metrics import PAYMENT_WEBHOOKS
from croupier.kit.scrub import scrub
from croupier.kit.settings import Settings
from croupier.payments import chargebacks, deposits, refunds, repository, withdrawals
from croupier.payments.models import Deposit, Refund, Withdrawal
from croupier.payments.provider import ProviderEvent
from croupier.payments.psp_http import payment_from, transfer_from
from croupier.payments.repository import Row

_log = structlog.get_logger("croupier.payments")


async def receive(session: AsyncSession, settings: Settings, *, provider: str, event: ProviderEvent) -> str:
    """Record and apply one verified event; its outcome (``duplicate`` when seen before)."""
    new = await repository.record_event(
        session,
        {
            "provider": provider,
            "event_id": event.id,
            "type": event.type[:64],
            "object_id": str(event.object.get("id", ""))[:128] or None,
            "outcome": "received",
            "received_at": utcnow(),
            "payload": scrub(dict(event.raw)),
        },
    )
    if not new:
        outcome = "duplicate"
    else:
        try:
            outcome = await _apply(session, settings, event)
        except (KeyError, TypeError, ValueError):
            # Signed by the provider but not what its contract says: keep it for a person to look at.
            _log.error("psp_event_unreadable", event_id=event.id, type=event.type)
            outcome = "unreadable"
        await repository.set_event_outcome(session, provider, event.id, outcome)
    PAYMENT_WEBHOOKS.labels(event.type if new else "any", outcome).inc()
    _log.info("psp_event", event_id=event.id, type=event.type, outcome=outcome)
    return outcome


async def _apply(session: AsyncSession, settings: Settings, event: ProviderEvent) -> str:
    obj = event.object
    kind, _, _ = event.type.partition(".")
    if kind == "payment":
        deposit = await _deposit(session, obj.get("reference"), obj.get("id"))
        if deposit is None:
            return "unmatched"
        return await deposits.apply(session, settings, deposit, payment_from(obj))
    if kind == "chargeback":
        deposit = await _deposit(session, obj.get("reference"), obj.get("payment_id"))
        if deposit is None:
            return "unmatched"
        return await chargebacks.receive(session, deposit, obj)
    if kind == "refund":
        refund = await _by_reference(session, Refund, obj.get("reference"))
        if refund is None:
            return "unmatched"
        report = transfer_from(obj)
        return await refunds.settle(session, refund, report)
    if kind == "payout":
        withdrawal = await _by_reference(session, Withdrawal, obj.get("reference"))
        if withdrawal is None:
            return "unmatched"
        return await withdrawals.settle(session, withdrawal, transfer_from(obj))
    return "ignored"


def _uuid(value: Any) -> uuid.UUID | None:
    try:
        return uuid.UUID(str(value))
    except ValueError:
        return None


async def _deposit(session: AsyncSession, reference: Any, payment_id: Any) -> Deposit | None:
    deposit_id = _uuid(reference)
    if deposit_id is not None:
        found = await repository.lock(session, Deposit, deposit_id)
        if found is not None:
            return found
    if isinstance(payment_id, str) and payment_id:
        return await repository.deposit_by_payment(session, payment_id)
    return None


async def _by_reference(session: AsyncSession, model: type[Row], reference: Any) -> Row | None:
    row_id = _uuid(reference)
    return None if row_id is None else await repository.lock(session, model, row_id)
