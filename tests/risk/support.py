"""Shared by the risk desk's tests: staff keys, events and alerts without the engine,
and payments placed at chosen instants for the AML reports."""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from croupier.events.kinds import EventKind
from croupier.events.outbox import record_event
from croupier.kit.client import ClientInfo
from croupier.kit.runtime import Runtime
from croupier.risk.alerts import raise_alert
from croupier.risk.typologies import Typology
from croupier.staff import service as staff
from croupier.staff.service import StaffRole
from tests.sql import sql
from tests.wallet.support import deposit as ledger_deposit


async def staff_key(runtime: Runtime, role: str = StaffRole.RISK, name: str = "alice") -> dict[str, str]:
    async with runtime.database.unit_of_work() as session:
        secret = await staff.issue(session, name=name, role=role, issued_by="test")
    return {"Authorization": f"Bearer {secret}"}


async def event(
    runtime: Runtime, player_id: uuid.UUID, kind: EventKind = EventKind.DEPOSIT_CONFIRMED, **data: Any
) -> int:
    async with runtime.database.unit_of_work() as session:
        return await record_event(
            session,
            kind,
            player_id=player_id,
            data=data,
            client=ClientInfo(ip="203.0.113.7", user_agent="test", device_id="device-1"),
        )


async def alert(
    runtime: Runtime,
    player_id: uuid.UUID,
    *,
    typology: Typology = Typology.VELOCITY,
    source: str = "rule:deposit_velocity@1",
    score: float = 0.8,
    reasons: Sequence[str] = ("deposits_per_hour_above_5",),
    event_ids: Sequence[int] = (),
    dedupe_key: str | None = None,
) -> uuid.UUID | None:
    async with runtime.database.unit_of_work() as session:
        return await raise_alert(
            session,
            player_id=player_id,
            typology=typology,
            source=source,
            score=score,
            reasons=reasons,
            event_ids=event_ids,
            dedupe_key=dedupe_key or f"{source}:{uuid.uuid4()}",
        )


async def _method(runtime: Runtime, player_id: uuid.UUID) -> uuid.UUID:
    method_id = uuid.uuid4()
    await sql(
        runtime,
        "INSERT INTO payment_methods (id, player_id, provider, token, brand, bin, last4, exp_month, exp_year,"
        " fingerprint, created_at) VALUES (:id, :player, 'psp', :token, 'visa', '424242', '4242', 12, 2030,"
        " :fingerprint, now())",
        id=method_id,
        player=player_id,
        token=f"tok_{method_id.hex}",
        fingerprint=f"fp_{player_id.hex}",
    )
    return method_id


async def confirmed_deposit(
    runtime: Runtime, player_id: uuid.UUID, amount: int, at: datetime, currency: str = "EUR"
) -> uuid.UUID:
    """A deposit credited to the player at ``at`` (its credit transfer's time)."""
    credit = await ledger_deposit(runtime, player_id, amount, currency)
    await sql(runtime, "UPDATE ledger_transfers SET created_at = :at WHERE id = :id", at=at, id=credit.id)
    deposit_id = uuid.uuid4()
    await sql(
        runtime,
        "INSERT INTO deposits (id, player_id, method_id, idempotency_key, request_hash, amount, currency,"
        " status, credit_transfer_id, refunded_amount, charged_back_amount, created_at, updated_at)"
        " VALUES (:id, :player, :method, :key, :hash, :amount, :currency, 'succeeded', :credit, 0, 0,"
        " :at, now())",
        id=deposit_id,
        player=player_id,
        method=await _method(runtime, player_id),
        key=deposit_id.hex,
        hash=hashlib.sha256(deposit_id.bytes).digest(),
        amount=amount,
        currency=currency,
        credit=credit.id,
        at=at,
    )
    return deposit_id


async def withdrawal(
    runtime: Runtime,
    player_id: uuid.UUID,
    amount: int,
    at: datetime,
    *,
    status: str = "paid",
    currency: str = "EUR",
) -> uuid.UUID:
    """A withdrawal that reached ``status`` at ``at``."""
    withdrawal_id = uuid.uuid4()
    await sql(
        runtime,
        "INSERT INTO withdrawals (id, player_id, method_id, idempotency_key, request_hash, amount, currency,"
        " status, attempts, created_at, updated_at)"
        " VALUES (:id, :player, :method, :key, :hash, :amount, :currency, :status, 0, :at, :at)",
        id=withdrawal_id,
        player=player_id,
        method=await _method(runtime, player_id),
        key=withdrawal_id.hex,
        hash=hashlib.sha256(withdrawal_id.bytes).digest(),
        amount=amount,
        currency=currency,
        status=status,
        at=at,
    )
    return withdrawal_id
