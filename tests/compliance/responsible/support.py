"""Shared by the responsible-gambling tests: limits over HTTP, time moved in the database, events."""

from __future__ import annotations

import uuid
from typing import Any

import httpx

from croupier.kit.runtime import Runtime
from tests.factories import SignedIn
from tests.sql import sql


async def put_limit(http: httpx.AsyncClient, player: SignedIn, **body: Any) -> httpx.Response:
    return await http.put("/v1/rg/limits", json={"currency": "EUR", **body}, headers=player.headers)


async def set_limit(http: httpx.AsyncClient, player: SignedIn, **body: Any) -> dict[str, Any]:
    response = await put_limit(http, player, **body)
    assert response.status_code == 200, response.text
    found: dict[str, Any] = response.json()
    return found


async def confirm(http: httpx.AsyncClient, player: SignedIn, **body: Any) -> httpx.Response:
    return await http.post(
        "/v1/rg/limits/confirmations", json={"currency": "EUR", **body}, headers=player.headers
    )


async def limits(http: httpx.AsyncClient, player: SignedIn) -> list[dict[str, Any]]:
    response = await http.get("/v1/rg/limits", headers=player.headers)
    assert response.status_code == 200, response.text
    items: list[dict[str, Any]] = response.json()["items"]
    return items


async def pass_cooling_off(runtime: Runtime, player: SignedIn, hours: int = 25) -> None:
    """Move the player's pending limit requests back ``hours`` (past their cooling-off by default),
    as time passing would."""
    await sql(
        runtime,
        "UPDATE rg_limits SET requested_at = requested_at - make_interval(hours => :hours),"
        " confirmable_at = confirmable_at - make_interval(hours => :hours) WHERE player_id = :player",
        player=uuid.UUID(player.id),
        hours=hours,
    )


async def events(runtime: Runtime, player: SignedIn, kind: str) -> list[dict[str, Any]]:
    rows = await sql(
        runtime,
        "SELECT data FROM domain_events WHERE player_id = :player AND kind = :kind ORDER BY id",
        player=uuid.UUID(player.id),
        kind=kind,
    )
    return [row[0] for row in rows]


def refused_by(response: httpx.Response, kind: str, period: str) -> None:
    """A 403 problem naming the limit that refused."""
    assert response.status_code == 403, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    problem = response.json()
    assert problem["code"] == "limit_reached"
    assert (problem["limit"]["kind"], problem["limit"]["period"]) == (kind, period)
