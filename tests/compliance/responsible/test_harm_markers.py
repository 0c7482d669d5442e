"""Markers of harm are recorded as ``harm_marker`` events where the behaviour happens, once each,
and the risk engine takes them (and ``limit_changed``) without failing."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from tests.compliance.responsible.support import events, set_limit
from tests.payments.support import Live, live_settings, serve
from tests.psp_sandbox import PspSandbox
from tests.risk.engine_support import settled
from tests.wallet.support import deposit

THRESHOLD = 100_000  # EUR, the default: above it a withdrawal waits for review and can be cancelled


@pytest.fixture
async def every_hour_late(
    database_url: str, keyring_json: str, tmp_path: Path, psp: PspSandbox
) -> AsyncIterator[Live]:
    """A live Croupier where every hour counts as late at night."""
    settings = live_settings(database_url, keyring_json, tmp_path, psp, rg_late_night_hours=(0, 24))
    async for runtime, base_url in serve(settings):
        async with httpx.AsyncClient(base_url=base_url, timeout=30) as http:
            yield Live(http=http, runtime=runtime, psp=psp, base_url=base_url)


async def test_late_night_play_is_marked_by_the_nights_first_bet_only(every_hour_late: Live) -> None:
    live = every_hour_late
    player = await live.player()
    await deposit(live.runtime, uuid.UUID(player.id), 10_000, "EUR")
    bet = {"stake": 100, "currency": "EUR", "target": 49.5, "direction": "under"}

    for _ in range(3):
        headers = {**player.headers, "Idempotency-Key": str(uuid.uuid4())}
        assert (await live.http.post("/v1/games/dice/rounds", json=bet, headers=headers)).status_code == 201

    [marked] = await events(live.runtime, player, "harm_marker")
    assert (marked["marker"], marked["currency"]) == ("late_night_play", "EUR")
    await settled(live.runtime)


async def test_deposits_rising_to_five_a_week_are_marked_once(live: Live) -> None:
    player = await live.player()

    for _ in range(6):
        assert (await live.deposit(player, 1000)).status_code == 201

    [marked] = await events(live.runtime, player, "harm_marker")
    assert marked["marker"] == "deposit_frequency_rising"
    assert (marked["deposits_this_week"], marked["deposits_last_week"]) == (5, 0)


async def test_the_third_request_to_loosen_a_limit_within_30_days_is_marked(live: Live) -> None:
    player = await live.player()
    await set_limit(live.http, player, kind="deposit", period="day", amount=100)

    for amount in (200, 300):
        await set_limit(live.http, player, kind="deposit", period="day", amount=amount)
    assert await events(live.runtime, player, "harm_marker") == []
    await set_limit(live.http, player, kind="wager", period="day", amount=1)
    await set_limit(live.http, player, kind="wager", period="day", amount=None)

    [marked] = await events(live.runtime, player, "harm_marker")
    assert (marked["marker"], marked["requests"]) == ("repeated_limit_increases", 3)
    await settled(live.runtime)


async def test_a_cancelled_withdrawal_is_marked(live: Live) -> None:
    player, method = await live.funded(THRESHOLD * 2)
    withdrawal = (await live.withdraw(player, THRESHOLD + 1, method)).json()

    cancelled = await live.http.delete(f"/v1/withdrawals/{withdrawal['id']}", headers=player.headers)

    assert cancelled.status_code == 200, cancelled.text
    [marked] = await events(live.runtime, player, "harm_marker")
    assert (marked["marker"], marked["withdrawal_id"], marked["amount"]) == (
        "cancelled_withdrawal",
        withdrawal["id"],
        THRESHOLD + 1,
    )
    await settled(live.runtime)
