"""Shared by the risk engine's tests: staff keys, rule changes through the staff API, and
events delivered to the engine as the consumer delivers them."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import httpx
from sqlalchemy import select, text

from croupier.events.kinds import EventKind
from croupier.events.models import DomainEvent
from croupier.events.outbox import record_event
from croupier.kit.client import ClientInfo
from croupier.kit.runtime import Runtime
from croupier.risk.consumer import handle_event
from croupier.staff import service as staff
from croupier.staff.service import StaffRole
from tests.sql import sql
from tests.waiting import wait_until


async def staff_headers(
    runtime: Runtime, role: StaffRole = StaffRole.RISK, name: str = "rita"
) -> dict[str, str]:
    async with runtime.database.unit_of_work() as session:
        secret = await staff.issue(session, name=name, role=role, issued_by="test")
    return {"Authorization": f"Bearer {secret}"}


def rule(name: str, expression: str, *on: str, **fields: Any) -> dict[str, Any]:
    return {
        "name": name,
        "typology": fields.pop("typology", "other"),
        "triggers": list(on),
        "expression": expression,
        **fields,
    }


async def put_rule(http: httpx.AsyncClient, headers: dict[str, str], body: dict[str, Any]) -> httpx.Response:
    return await http.put(f"/v1/staff/risk/rules/default/rules/{body['name']}", json=body, headers=headers)


async def publish(http: httpx.AsyncClient, runtime: Runtime, headers: dict[str, str]) -> httpx.Response:
    """Ask for the default set's draft to be published and have a second publisher approve it."""
    asked = await http.post("/v1/staff/risk/rules/default/publish", headers=headers)
    if asked.status_code != 202:
        return asked
    checker = await staff_headers(runtime, name=f"checker-{uuid.uuid4().hex[:8]}")
    return await http.post(f"/v1/staff/approvals/{asked.json()['id']}/approve", json={}, headers=checker)


async def publish_rules(
    http: httpx.AsyncClient, runtime: Runtime, headers: dict[str, str], *bodies: dict[str, Any]
) -> None:
    """Add ``bodies`` to the default set's draft and publish it (asked for by ``headers``'s key,
    approved by a second one)."""
    for body in bodies:
        response = await put_rule(http, headers, body)
        assert response.status_code == 200, response.text
    response = await publish(http, runtime, headers)
    assert response.status_code == 200, response.text


async def emit(
    runtime: Runtime,
    kind: EventKind,
    player_id: uuid.UUID | str | None,
    *,
    client: ClientInfo | None = None,
    at: datetime | None = None,
    **data: Any,
) -> int:
    """Record a domain event as the change that makes it would (``at``: when it happened)."""
    pid = uuid.UUID(str(player_id)) if player_id else None
    async with runtime.database.unit_of_work() as session:
        event_id = await record_event(session, kind, player_id=pid, data=data, client=client)
        if at is not None:
            await session.execute(
                text("UPDATE domain_events SET occurred_at = :at WHERE id = :id"), {"at": at, "id": event_id}
            )
    return event_id


async def settled(runtime: Runtime, *, within: float = 30.0) -> None:
    """Wait until the running consumer has handed every committed event to the risk engine."""

    async def caught_up() -> bool:
        [(pending, failing)] = await sql(
            runtime,
            "SELECT (SELECT count(*) FROM domain_events e"
            "  WHERE e.id > coalesce((SELECT horizon FROM event_consumers WHERE name = 'risk'), 0)"
            "  AND NOT EXISTS (SELECT 1 FROM event_receipts r"
            "   WHERE r.consumer = 'risk' AND r.event_id = e.id)),"
            " (SELECT string_agg(last_error, '; ') FROM event_cursors"
            "  WHERE consumer = 'risk' AND failures > 0)",
        )
        assert failing is None, failing  # the engine failed on an event
        return bool(pending == 0)

    await wait_until(caught_up, within=within)


async def redeliver(runtime: Runtime) -> None:
    """Hand every stored event to the engine again, in order, as a consumer recovering would."""
    async with runtime.database.unit_of_work() as session:
        events = list(await session.scalars(select(DomainEvent).order_by(DomainEvent.id)))
    for event in events:
        async with runtime.database.unit_of_work() as session:
            await handle_event(session, event)


async def alerts(runtime: Runtime, player_id: uuid.UUID | str | None = None) -> list[Any]:
    async with runtime.database.unit_of_work() as session:
        query = "SELECT typology, source, score, reasons, event_ids, dedupe_key FROM risk_alerts"
        params: dict[str, Any] = {}
        if player_id is not None:
            query += " WHERE player_id = :p"
            params["p"] = uuid.UUID(str(player_id))
        return list((await session.execute(text(query + " ORDER BY created_at"), params)).all())
