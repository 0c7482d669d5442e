"""Helpers of the privacy tests: a player with history, and the API's answers read plainly."""

from __future__ import annotations

import uuid
from typing import Any

import httpx

from tests.factories import SignedIn
from tests.payments.support import Live
from tests.sql import sql
from tests.waiting import wait_until

DICE = {"stake": 100, "currency": "EUR", "target": 49.5, "direction": "under"}


async def player_with_history(live: Live, **overrides: Any) -> SignedIn:
    """A signed-in player with a credited deposit and a dice round."""
    from tests.factories import signed_in_player

    player = await signed_in_player(live.http, runtime=live.runtime, **overrides)
    deposit = await live.deposit(player, 5_000)
    assert deposit.status_code == 201, deposit.text
    headers = {**player.headers, "Idempotency-Key": str(uuid.uuid4())}
    played = await live.http.post("/v1/games/dice/rounds", json=DICE, headers=headers)
    assert played.status_code == 201, played.text
    return player


async def ready_export(live: Live, player: SignedIn) -> dict[str, Any]:
    """Ask for an export and wait for the job to build it."""
    asked = await live.http.post("/v1/me/exports", headers=player.headers)
    assert asked.status_code == 202, asked.text
    assert asked.json()["status"] == "pending"
    export_id = asked.json()["id"]
    shown: dict[str, Any] = {}

    async def ready() -> bool:
        response = await live.http.get(f"/v1/me/exports/{export_id}", headers=player.headers)
        shown.update(response.json())
        return bool(shown["status"] == "ready")

    await wait_until(ready, within=30, interval=0.1)
    return shown


async def events_of(live: Live, player_id: str, kind: str) -> list[dict[str, Any]]:
    rows = await sql(
        live.runtime,
        "SELECT data FROM domain_events WHERE player_id = :p AND kind = :k ORDER BY id",
        p=player_id,
        k=kind,
    )
    return [row.data for row in rows]


def problem(response: httpx.Response, status: int, code: str) -> None:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.json()["code"] == code, response.text
