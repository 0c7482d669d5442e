"""Reality checks: due once the chosen interval of play has passed, shown on every bet, and
acknowledged by the player to start the next interval."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any

from tests.factories import SignedIn
from tests.payments.support import Live
from tests.sql import sql
from tests.wallet.support import deposit

DICE = {"stake": 100, "currency": "EUR", "target": 49.5, "direction": "under"}


async def dice(live: Live, player: SignedIn) -> dict[str, Any]:
    headers = {**player.headers, "Idempotency-Key": str(uuid.uuid4())}
    response = await live.http.post("/v1/games/dice/rounds", json=DICE, headers=headers)
    assert response.status_code == 201, response.text
    session: dict[str, Any] = response.json()["session"]
    return session


async def test_a_reality_check_falls_due_after_the_interval_and_is_acknowledged(live: Live) -> None:
    player = await live.player()
    await deposit(live.runtime, uuid.UUID(player.id), 10_000, "EUR")
    chosen = await live.http.put(
        "/v1/rg/reality-check", json={"interval_minutes": 15}, headers=player.headers
    )
    assert chosen.status_code == 200, chosen.text
    started = datetime.fromisoformat(chosen.json()["session_started_at"])

    before = await dice(live, player)
    assert (before["reality_check_due"], before["reality_check_minutes"]) == (False, 15)
    assert datetime.fromisoformat(before["reality_check_due_at"]) == started + timedelta(minutes=15)

    # Sixteen minutes into the session.
    await sql(
        live.runtime,
        "UPDATE player_sessions SET created_at = created_at - interval '16 minutes' WHERE player_id = :p",
        p=uuid.UUID(player.id),
    )
    due = await dice(live, player)
    assert due["reality_check_due"] is True
    assert due["elapsed_seconds"] >= 16 * 60

    acknowledged = await live.http.post("/v1/rg/reality-check", headers=player.headers)
    assert acknowledged.status_code == 200, acknowledged.text
    check = acknowledged.json()
    assert check["due"] is False
    assert datetime.fromisoformat(check["due_at"]) == datetime.fromisoformat(
        check["acknowledged_at"]
    ) + timedelta(minutes=15)
    assert check["net_positions"] == {"EUR": due["net_position"]}
    assert (await dice(live, player))["reality_check_due"] is False


async def test_an_interval_out_of_range_is_refused_and_changes_nothing(live: Live) -> None:
    player = await live.player()
    for minutes in (0, -5, 24 * 60 + 1):
        refused = await live.http.put(
            "/v1/rg/reality-check", json={"interval_minutes": minutes}, headers=player.headers
        )
        assert (refused.status_code, refused.json()["code"]) == (422, "invalid_interval"), minutes
    assert (await live.get(player, "/v1/rg/reality-check"))["interval_minutes"] is None
