"""Cards players pay with, as the provider's token plus what PCI DSS lets a merchant show."""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from croupier.audit.service import Actor, Target
from croupier.audit.service import record as audit_record
from croupier.audit.tags import AuditAction
from croupier.kit.clock import utcnow
from croupier.payments import repository
from croupier.payments.models import PaymentMethod
from croupier.payments.provider import CardDetails, PaymentMethodInvalid


async def remember(
    session: AsyncSession, *, player_id: uuid.UUID, provider: str, card: CardDetails
) -> PaymentMethod:
    """The player's method for this token, created on first use; another player's token is refused."""
    found = await repository.method_by_token(session, provider, card.token)
    if found is None:
        found = await repository.claim(
            session,
            PaymentMethod,
            {
                "id": uuid.uuid4(),
                "player_id": player_id,
                "provider": provider,
                "token": card.token,
                "brand": card.brand[:32],
                "bin": card.bin,
                "last4": card.last4,
                "exp_month": card.exp_month,
                "exp_year": card.exp_year,
                "fingerprint": card.fingerprint[:128],
                "created_at": utcnow(),
            },
            ["provider", "token"],
        )
        if found is None:  # a concurrent first use of the token committed meanwhile
            found = await repository.method_by_token(session, provider, card.token)
        else:
            audit_record(
                session,
                AuditAction.PAYMENT_METHOD_ADD,
                actor=Actor.player(player_id),
                target=Target.player(player_id),
                details={"method_id": str(found.id), "brand": card.brand, "last4": card.last4},
            )
    if found is None or found.player_id != player_id:
        # Not the player's token: say nothing about whose it is.
        raise PaymentMethodInvalid("That payment token cannot be used; tokenise the card again.")
    return found
