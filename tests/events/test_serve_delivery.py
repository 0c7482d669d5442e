"""`croupier serve` delivers events to the registered handlers itself, unless told to leave it to workers."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from croupier.events import handlers
from croupier.events.models import DomainEvent
from croupier.kit.runtime import Runtime
from croupier.kit.settings import Settings
from tests.events.recording import handled, prepare, write
from tests.factories import signed_in_player
from tests.payments.support import serve
from tests.sql import sql
from tests.waiting import wait_until


async def served_handler(session: AsyncSession, event: DomainEvent) -> None:
    await write(session, "served", event)


@pytest.fixture
def registered() -> Iterator[None]:
    handlers.register("served", served_handler)
    yield
    handlers.unregister("served")


@pytest.mark.usefixtures("registered")
async def test_the_api_process_delivers_events_after_their_commit(settings: Settings) -> None:
    quiet = settings.model_copy(update={"event_poll_seconds": 120.0})  # only the wake-up can be prompt
    async for runtime, base_url in serve(quiet):
        await prepare(runtime)
        async with httpx.AsyncClient(base_url=base_url, timeout=30) as http:
            player = await signed_in_player(http, runtime=runtime)
            await wait_until(lambda rt=runtime, p=player.id: _handled_for(rt, p, 2), within=30)
        seen = await sql(runtime, "SELECT kind FROM handled WHERE consumer = 'served' ORDER BY seq")
        assert [k for (k,) in seen] == ["registered", "sign_in_succeeded"]


@pytest.mark.usefixtures("registered")
async def test_with_the_consumer_off_the_api_process_leaves_events_to_the_workers(settings: Settings) -> None:
    off = settings.model_copy(update={"event_consumer": "off", "event_poll_seconds": 0.2})
    async for runtime, base_url in serve(off):
        await prepare(runtime)
        async with httpx.AsyncClient(base_url=base_url, timeout=30) as http:
            await signed_in_player(http, runtime=runtime)
        assert await handled(runtime, "served") == []
        # No consumer of that name ever started here: it has no position in the outbox.
        assert await sql(runtime, "SELECT name FROM event_consumers WHERE name = 'served'") == []


async def _handled_for(runtime: Runtime, player_id: str, n: int) -> bool:
    rows = await sql(
        runtime, "SELECT count(*) FROM handled WHERE consumer = 'served' AND player_id = :p", p=player_id
    )
    return int(rows[0][0]) >= n
