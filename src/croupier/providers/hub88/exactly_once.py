"""Exactly once: every bet, win and rollback is recorded under ``(provider, transaction_uuid)``
with the answer it got, and a repeat gets that answer again.

Two calls with one ``transaction_uuid`` are the same call when they agree on
kind, user, amount, currency, round, reference and game (what Hub88 lists for
``RS_ERROR_DUPLICATE_TRANSACTION``); anything else is a duplicate. A call claims
its uuid before it moves money, so a concurrent repeat waits for it and then
replays its answer.
"""

from __future__ import annotations

import hmac
import uuid
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from croupier.events.outbox import NewEvent, alongside
from croupier.kit.clock import utcnow
from croupier.kit.idempotency import request_hash
from croupier.providers import repository
from croupier.providers.hub88.answers import Answer, about, account, in_units
from croupier.providers.hub88.schemas import TransactionRequest, WagerRequest, reference_of
from croupier.providers.hub88.status import Status
from croupier.providers.repository import ProviderRow, TransactionRow

BET, WIN, ROLLBACK = "bet", "win", "rollback"


def _wager(request: TransactionRequest) -> tuple[int | None, str | None]:
    """The amount (Hub88 units) and currency a bet or a win names; a rollback names neither."""
    return (request.amount, request.currency) if isinstance(request, WagerRequest) else (None, None)


def call_digest(kind: str, request: TransactionRequest) -> bytes:
    """What makes two calls with one ``transaction_uuid`` the same call, as Hub88 defines it."""
    amount, currency = _wager(request)
    return request_hash(
        {
            "kind": kind,
            "user": request.user,
            "amount": amount,
            "currency": currency,
            "round": request.round,
            "reference": reference_of(request),
            "game": request.game_code,
        }
    )


async def seen_now(session: AsyncSession, provider: ProviderRow, transaction_uuid: str) -> TransactionRow:
    """The row a concurrent call with the same uuid committed while this one waited to claim it."""
    seen = await repository.find(session, provider.id, transaction_uuid)
    if seen is None:  # pragma: no cover - a claim only fails on a committed row
        raise RuntimeError("transaction uuid conflict without a stored transaction")
    return seen


async def replay(
    session: AsyncSession,
    *,
    kind: str,
    seen: TransactionRow,
    digest: bytes,
    request: TransactionRequest,
    player_id: uuid.UUID | None,
) -> Answer:
    """The answer to a ``transaction_uuid`` seen before, about the currency the request names if the
    stored call has none."""
    if seen.request_hash is None:  # a rollback's placeholder: only a late bet may carry this uuid
        status = Status.TRANSACTION_ROLLED_BACK if kind == BET else Status.DUPLICATE_TRANSACTION
    elif not hmac.compare_digest(seen.request_hash, digest):
        status = Status.DUPLICATE_TRANSACTION
    elif seen.kind == BET and seen.rolled_back_at is not None:
        status = Status.TRANSACTION_ROLLED_BACK
    elif seen.balance is not None and seen.currency is not None:
        return Answer(
            Status(seen.status),
            request_uuid=request.request_uuid,
            user=request.user,
            currency=seen.currency,
            balance=await in_units(session, seen.balance, seen.currency),
        )
    else:
        status = Status(seen.status)
    if player_id is None or seen.player_id != player_id:
        return Answer(status, request_uuid=request.request_uuid)
    return await about(session, status, request, player_id, seen.currency or _wager(request)[1])


def claim_values(
    provider: ProviderRow,
    request: TransactionRequest,
    *,
    kind: str,
    player_id: uuid.UUID,
    currency: str | None,
    amount: int | None,
    digest: bytes,
) -> dict[str, Any]:
    """The row that claims the call's uuid: ``RS_OK`` until ``record_answer`` says otherwise."""
    return {
        "provider_id": provider.id,
        "transaction_uuid": request.transaction_uuid,
        "kind": kind,
        "player_id": player_id,
        "currency": currency,
        "amount": amount,
        "request_hash": digest,
        "status": str(Status.OK),
        "round": request.round,
        "reference_uuid": reference_of(request),
        "game_code": request.game_code,
        "created_at": utcnow(),
    }


async def record_answer(
    session: AsyncSession,
    transaction_id: int,
    request: TransactionRequest,
    *,
    status: Status,
    transfer_id: uuid.UUID | None,
    player_id: uuid.UUID,
    currency: str,
    event: NewEvent | None = None,
) -> Answer:
    """Keep the answer, with the balance after it, for repeats of the call; and give it.

    ``event``, the domain event of a call that moved money, is written by the same statement."""
    balance = await repository.finish(
        session,
        transaction_id,
        status=status,
        transfer_id=transfer_id,
        account=account(player_id, currency),
        events=alongside(session, [] if event is None else [event]),
    )
    return Answer(
        status,
        request_uuid=request.request_uuid,
        user=request.user,
        currency=currency,
        balance=await in_units(session, balance, currency),
    )


async def claim_or_replay(
    session: AsyncSession,
    provider: ProviderRow,
    request: TransactionRequest,
    *,
    kind: str,
    player_id: uuid.UUID,
    currency: str | None,
    amount: int | None,
    digest: bytes,
) -> int | Answer:
    """Claim the call's uuid and return the claimed row's id; or, when a concurrent call with
    the same uuid got there first, the answer to a repeat."""
    values = claim_values(
        provider, request, kind=kind, player_id=player_id, currency=currency, amount=amount, digest=digest
    )
    claimed = await repository.claim(session, values)
    if claimed is not None:
        return claimed
    seen = await seen_now(session, provider, request.transaction_uuid)
    return await replay(session, kind=kind, seen=seen, digest=digest, request=request, player_id=player_id)
