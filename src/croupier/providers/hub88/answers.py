"""What a Hub88 wallet call answers: a status, the request's ``request_uuid``, and the balance.

The balance is the player's available cash in the call's currency, in Hub88
units, on every answer about a known player, refusals included (Hub88 asks for
it with ``RS_ERROR_NOT_ENOUGH_MONEY`` in particular). Answers to callers that
are not authenticated, or that name no known player, carry no balance: the
balance is the player's business.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from croupier.providers import repository
from croupier.providers.hub88.amounts import from_minor
from croupier.providers.hub88.schemas import Hub88Request, Request, parse
from croupier.providers.hub88.status import Status
from croupier.wallet import service as wallet
from croupier.wallet.service import PlayerAccount


@dataclass(frozen=True)
class Answer:
    status: Status
    request_uuid: str | None = None
    user: str | None = None
    currency: str | None = None
    balance: int | None = None  # Hub88 units
    profile: dict[str, Any] = field(default_factory=dict)  # /user/info only

    def body(self) -> dict[str, Any]:
        out: dict[str, Any] = {"status": str(self.status)}
        for name in ("user", "request_uuid", "currency", "balance"):
            value = getattr(self, name)
            if value is not None:
                out[name] = value
        out.update(self.profile)
        return out


def read(model: type[Request], body: bytes) -> Request | Answer:
    """The request, or the answer to a body that is not one (echoing its ``request_uuid`` if it has one)."""
    request = parse(model, body)
    return Answer(request, request_uuid=peek_request_uuid(body)) if isinstance(request, Status) else request


def peek_request_uuid(body: bytes) -> str | None:
    """The body's ``request_uuid``, to echo even when the request is refused before it is read."""
    try:
        document = json.loads(body)
    except (ValueError, RecursionError):
        return None
    found = document.get("request_uuid") if isinstance(document, dict) else None
    return found if isinstance(found, str) and len(found) <= 255 else None


def account(player_id: uuid.UUID, currency: str) -> str:
    """The ledger account whose available funds are the Hub88 balance."""
    return wallet.account_code(PlayerAccount(player_id, currency))


async def supported(session: AsyncSession, currency: str | None) -> str | None:
    """``currency`` if Croupier holds it, else None."""
    return currency if currency is not None and currency in await wallet.exponents(session) else None


async def in_units(session: AsyncSession, minor: int, currency: str) -> int:
    return from_minor(minor, await wallet.exponent(session, currency))


async def about(
    session: AsyncSession, status: Status, request: Hub88Request, player_id: uuid.UUID, currency: str | None
) -> Answer:
    """``status`` for the request's player, with their current balance in ``currency`` (none if the
    currency is unknown)."""
    currency = await supported(session, currency)
    if currency is None:
        return Answer(status, request_uuid=request.request_uuid, user=request.user)
    minor = await repository.available(session, account(player_id, currency))
    return Answer(
        status,
        request_uuid=request.request_uuid,
        user=request.user,
        currency=currency,
        balance=await in_units(session, minor, currency),
    )
