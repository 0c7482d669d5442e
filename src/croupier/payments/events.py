"""Domain events for money moving through the payment provider.

Every event names the card it concerns the way a risk engine can match cards
across accounts: the provider's keyed fingerprint and BIN, last four digits and
expiry. Never the card number (Croupier never sees it).
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from croupier.events.kinds import EventKind
from croupier.events.outbox import record_event
from croupier.kit.client import ClientInfo
from croupier.payments import repository
from croupier.payments.models import PaymentMethod


def instrument(method: PaymentMethod) -> dict[str, Any]:
    """What identifies the card across tokens and accounts, without its number."""
    return {
        "method_id": str(method.id),
        "provider": method.provider,
        "card_fingerprint": method.fingerprint,
        "card_brand": method.brand,
        "card_bin": method.bin,
        "card_last4": method.last4,
        "card_expiry": f"{method.exp_year:04d}-{method.exp_month:02d}",
    }


async def record_payment_event(
    session: AsyncSession,
    kind: EventKind,
    *,
    player_id: uuid.UUID,
    data: Mapping[str, Any],
    method: PaymentMethod | uuid.UUID | None = None,
    client: ClientInfo | None = None,
) -> int:
    """``record_event`` with the card's identifying details added (the method or its id)."""
    found = await repository.method(session, method) if isinstance(method, uuid.UUID) else method
    card = instrument(found) if found is not None else {}
    return await record_event(session, kind, player_id=player_id, data={**data, **card}, client=client)
