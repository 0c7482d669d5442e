"""The transactional outbox: an event commits with its change, or not at all."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from sqlalchemy import func, select

from croupier.events.kinds import EventKind
from croupier.events.models import DomainEvent
from croupier.events.outbox import NewEvent, alongside, record_event, with_events
from croupier.kit.client import ClientInfo
from croupier.kit.db import execute_plain
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


class TestEventsWrittenByAnotherStatement:
    """``with_events``: a room's own statement writes its events too, in one round trip."""

    _TOUCH = with_events("UPDATE players SET status = status WHERE id = %(player_id)s RETURNING id")

    async def _touch(self, runtime: Runtime, player_id: uuid.UUID, events: list[NewEvent]) -> list[Any]:
        async with runtime.database.unit_of_work() as session:
            cursor = await execute_plain(
                session, self._TOUCH, {"player_id": player_id, "events": alongside(session, events)}
            )
            return list(await cursor.fetchall())

    async def test_the_events_are_written_in_order_with_their_client(self, runtime: Runtime) -> None:
        player_id = await make_player(runtime)
        client = ClientInfo(ip="203.0.113.9", user_agent="app/1.0", device_id=None)
        events = [
            NewEvent(EventKind.BET, player_id, {"stake": 100, "note": 'a "quoted"\nline'}, client),
            NewEvent(EventKind.WIN, player_id, {"payout": 200}),
        ]

        assert await self._touch(runtime, player_id, events) == [(player_id,)]

        async with runtime.database.unit_of_work() as session:
            rows = (
                await session.scalars(
                    select(DomainEvent).where(DomainEvent.player_id == player_id).order_by(DomainEvent.id)
                )
            ).all()
        assert [(r.kind, r.data, r.ip, r.user_agent, r.device_id) for r in rows] == [
            ("bet", {"stake": 100, "note": 'a "quoted"\nline'}, "203.0.113.9", "app/1.0", None),
            ("win", {"payout": 200}, None, None, None),
        ]

    async def test_no_event_is_written_when_the_statement_changes_nothing(self, runtime: Runtime) -> None:
        before = await _count(runtime)
        nobody = uuid.uuid4()

        assert await self._touch(runtime, nobody, [NewEvent(EventKind.BET, nobody, {"stake": 1})]) == []
        assert await _count(runtime) == before
