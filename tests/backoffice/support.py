"""A Croupier served over real HTTP with staff keys at hand, for the four-eyes tests."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from croupier.kit.runtime import Runtime
from croupier.kit.settings import Settings
from croupier.staff import service as staff
from tests.conftest import make_settings
from tests.factories import SignedIn, signed_in_player
from tests.payments.support import serve
from tests.sql import sql

ADJUSTMENT_THRESHOLD = 10_000  # EUR, the default


@dataclass
class Desk:
    http: httpx.AsyncClient
    runtime: Runtime

    async def key(self, role: str, name: str | None = None) -> dict[str, str]:
        """Headers of a new staff key with ``role``; its name is the member's."""
        async with self.runtime.database.unit_of_work() as session:
            secret = await staff.issue(
                session, name=name or f"m-{uuid.uuid4().hex[:10]}", role=role, issued_by="test"
            )
        return {"Authorization": f"Bearer {secret}"}

    async def player(self) -> SignedIn:
        return await signed_in_player(self.http, runtime=self.runtime)

    async def cash(self, player: SignedIn, currency: str = "EUR") -> int:
        response = await self.http.get("/v1/wallet", headers=player.headers)
        assert response.status_code == 200, response.text
        return sum(b["available"] for b in response.json()["balances"] if b["currency"] == currency)

    async def adjust(
        self, headers: dict[str, str], player_id: str, body: dict[str, Any], key: str | None = None
    ) -> httpx.Response:
        return await self.http.post(
            f"/v1/staff/players/{player_id}/adjustments",
            json=body,
            headers={**headers, "Idempotency-Key": key or str(uuid.uuid4())},
        )

    async def approve(
        self, headers: dict[str, str], request_id: str, note: str | None = None
    ) -> httpx.Response:
        body = {} if note is None else {"note": note}
        return await self.http.post(f"/v1/staff/approvals/{request_id}/approve", json=body, headers=headers)

    async def reject(self, headers: dict[str, str], request_id: str, note: str) -> httpx.Response:
        return await self.http.post(
            f"/v1/staff/approvals/{request_id}/reject", json={"note": note}, headers=headers
        )


async def audited(runtime: Runtime, prefix: str) -> list[tuple[str, str, str | None]]:
    """(action, outcome, actor) of the audit entries whose action starts with ``prefix``, in order."""
    rows = await sql(
        runtime,
        "SELECT action, outcome, actor_id FROM audit_events WHERE action LIKE :p ORDER BY seq",
        p=f"{prefix}%",
    )
    return [(r.action, r.outcome, r.actor_id) for r in rows]


async def counts(runtime: Runtime) -> tuple[int, int]:
    """How many approval requests and ledger transfers there are."""
    [(requests, transfers)] = await sql(
        runtime,
        "SELECT (SELECT count(*) FROM approval_requests), (SELECT count(*) FROM ledger_transfers)",
    )
    return int(requests), int(transfers)


async def desk_on(settings: Settings) -> AsyncIterator[Desk]:
    """A desk on a Croupier served with ``settings``."""
    async for runtime, base_url in serve(settings):
        async with httpx.AsyncClient(base_url=base_url, timeout=30) as http:
            yield Desk(http, runtime)


@pytest.fixture
async def desk(database_url: str, keyring_json: str, tmp_path: Path) -> AsyncIterator[Desk]:
    async for served in desk_on(make_settings(database_url, keyring_json, tmp_path)):
        yield served
