"""The transactional outbox: an event commits with its change, or not at all."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from croupier.events.kinds import EventKind
from croupier.events.models import DomainEvent
from croupier.events.outbox import record_event
from croupier.kit.client import ClientInfo
from croupier.kit.runtime import Runtime
from tests.wallet.support import make_player


class _Boom(Exception):
    pass


async def _count(runtime: Runtime) -> int:
    async with runtime.database.unit_of_work() as session:
        return int(await session.scalar(select(func.count()).select_from(DomainEvent)) or 0)


async def test_an_event_commits_with_its_transaction_and_keeps_its_client(runtime: Runtime) -> None:
    player_id = await make_player(runtime)
    client = ClientInfo(ip="203.0.113.9", user_agent="app/1.0", device_id="dev-1")

    async with runtime.database.unit_of_work() as session:
        first = await record_event(
            session, EventKind.DEPOSIT_CONFIRMED, player_id=player_id, data={"amount": 500}, client=client
        )
        second = await record_event(session, EventKind.BET, player_id=player_id, data={"stake": 100})

    assert second > first
    async with runtime.database.unit_of_work() as session:
        row = await session.get(DomainEvent, first)
    assert row is not None
    assert (row.kind, row.player_id, row.data) == ("deposit_confirmed", player_id, {"amount": 500})
    assert (row.ip, row.user_agent, row.device_id) == ("203.0.113.9", "app/1.0", "dev-1")


async def test_no_event_survives_a_rolled_back_change(runtime: Runtime) -> None:
    player_id = await make_player(runtime)
    before = await _count(runtime)

    async def bet_that_fails() -> None:
        async with runtime.database.unit_of_work() as session:
            await record_event(session, EventKind.BET, player_id=player_id, data={"stake": 1})
            raise _Boom

    with pytest.raises(_Boom):
        await bet_that_fails()

    assert await _count(runtime) == before
