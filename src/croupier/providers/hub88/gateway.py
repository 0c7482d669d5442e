"""Who is calling, and may they: the provider named in the URL, and its signature on the body.

A provider's wallet base URL is ``/providers/hub88/<name>``. An unknown or
disabled name is ``RS_ERROR_INVALID_PARTNER``; a missing or wrong
``X-Hub88-Signature`` is ``RS_ERROR_INVALID_SIGNATURE``, audited. Neither reads
the body beyond its ``request_uuid`` nor says anything about a player.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from enum import StrEnum

from cryptography.hazmat.primitives.asymmetric import rsa
from sqlalchemy.ext.asyncio import AsyncSession

from croupier.audit.service import Actor, Target
from croupier.audit.service import record_now as audit_now
from croupier.audit.tags import AuditAction, Outcome
from croupier.kit.client import ClientInfo
from croupier.kit.db import shared_context
from croupier.kit.settings import Settings
from croupier.providers import registry, repository
from croupier.providers.hub88 import signature, transactions, user
from croupier.providers.hub88.answers import Answer, peek_request_uuid
from croupier.providers.hub88.status import Status
from croupier.providers.repository import ProviderRow

_KEYS = "croupier.providers.hub88.keys"


class Operation(StrEnum):
    USER_INFO = "user/info"
    BALANCE = "user/balance"
    BET = "transaction/bet"
    WIN = "transaction/win"
    ROLLBACK = "transaction/rollback"


_HANDLERS: dict[Operation, Callable[[AsyncSession, ProviderRow, bytes], Awaitable[Answer]]] = {
    Operation.USER_INFO: user.user_info,
    Operation.BALANCE: user.balance,
}
# Calls that move money also count against the player's responsible-gambling limits, on settings.
_MONEY: dict[Operation, Callable[[AsyncSession, Settings, ProviderRow, bytes], Awaitable[Answer]]] = {
    Operation.BET: transactions.bet,
    Operation.WIN: transactions.win,
    Operation.ROLLBACK: transactions.rollback,
}


def _public_key(session: AsyncSession, provider: ProviderRow) -> rsa.RSAPublicKey:
    """The provider's key, parsed once per process (keyed by the PEM, so a new key is picked up)."""
    cache: dict[str, rsa.RSAPublicKey] = shared_context(session).setdefault(_KEYS, {})
    key = cache.get(provider.public_key)
    if key is None:
        key = cache[provider.public_key] = signature.load_public_key(provider.public_key.encode("ascii"))
    return key


async def handle(
    session: AsyncSession,
    *,
    provider_name: str,
    operation: Operation,
    body: bytes,
    signed: str | None,
    client: ClientInfo,
    settings: Settings,
) -> Answer:
    """Authenticate the call, then answer it."""
    provider = None
    if registry.NAME.match(provider_name):
        provider = await repository.provider_by_name(session, provider_name)
    if provider is None or not provider.enabled or provider.protocol != registry.HUB88:
        return Answer(Status.INVALID_PARTNER, request_uuid=peek_request_uuid(body))
    if not signature.verify(_public_key(session, provider), body, signed):
        await audit_now(
            session,
            AuditAction.PROVIDER_CALL_REJECT,
            actor=Actor.provider(provider.name),
            outcome=Outcome.DENIED,
            target=Target("provider", provider.name),
            client=client,
            details={
                "operation": str(operation),
                "reason": "signature missing" if not signed else "bad signature",
            },
        )
        return Answer(Status.INVALID_SIGNATURE, request_uuid=peek_request_uuid(body))
    if operation in _MONEY:
        return await _MONEY[operation](session, settings, provider, body)
    return await _HANDLERS[operation](session, provider, body)
