"""What the exclusion tests share: taking an exclusion over HTTP, and moving its clock."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

import httpx

from croupier.kit.runtime import Runtime
from tests.factories import SignedIn
from tests.sql import sql

# Later than any real end: an open-ended block (see exclusions.gate.FOREVER) is left where it is.
_OPEN_ENDED = "9999-01-01"


async def time_out(http: httpx.AsyncClient, player: SignedIn, period: Any) -> httpx.Response:
    return await http.post("/v1/rg/time-out", json={"period": period}, headers=player.headers)


async def self_exclude(http: httpx.AsyncClient, player: SignedIn, period: Any) -> httpx.Response:
    return await http.post("/v1/rg/self-exclusion", json={"period": period}, headers=player.headers)


async def status(http: httpx.AsyncClient, player: SignedIn) -> dict[str, Any]:
    response = await http.get("/v1/rg/status", headers=player.headers)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def elapse(runtime: Runtime, player_id: str | uuid.UUID, delta: timedelta) -> None:
    """Make ``delta`` pass for the player's exclusions: every time they hold moves back by it."""

    def back(column: str) -> str:
        return f"CASE WHEN {column} >= '{_OPEN_ENDED}' THEN {column} ELSE {column} - :delta END"

    await sql(
        runtime,
        "UPDATE exclusions SET started_at = started_at - :delta, ends_at = ends_at - :delta,"  # noqa: S608 - constant SQL
        " return_requested_at = return_requested_at - :delta,"
        f" blocks_until = {back('blocks_until')} WHERE player_id = :player",
        delta=delta,
        player=uuid.UUID(str(player_id)),
    )
    await sql(
        runtime,
        f"UPDATE players SET gambling_blocked_until = {back('gambling_blocked_until')}"  # noqa: S608 - constant SQL
        " WHERE id = :player",
        delta=delta,
        player=uuid.UUID(str(player_id)),
    )


async def exclusion_events(runtime: Runtime, player_id: str | uuid.UUID) -> list[dict[str, Any]]:
    rows = await sql(
        runtime,
        "SELECT data FROM domain_events WHERE kind = 'exclusion_changed' AND player_id = :player ORDER BY id",
        player=uuid.UUID(str(player_id)),
    )
    return [row[0] for row in rows]
