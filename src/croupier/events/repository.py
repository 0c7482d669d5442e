"""All SQL of the events room: the outbox's writers and the consumers' reads and marks."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from psycopg.types.json import Jsonb
from sqlalchemy.ext.asyncio import AsyncSession

from croupier.events.kinds import EventKind
from croupier.kit.client import ClientInfo
from croupier.kit.db import execute_plain
from croupier.kit.jsonb import plain

_COLUMNS = "(kind, player_id, data, ip, user_agent, device_id)"
_ROW = "(%s, %s, %s, %s, %s, %s)"


@dataclass(frozen=True)
class NewEvent:
    kind: EventKind
    player_id: uuid.UUID | None
    data: dict[str, Any] = field(default_factory=dict)
    client: ClientInfo | None = None

    def params(self) -> tuple[Any, ...]:
        client = self.client
        return (
            str(self.kind),
            self.player_id,
            Jsonb(plain(self.data)),
            client.ip if client else None,
            client.user_agent if client else None,
            client.device_id if client else None,
        )


async def insert_many(session: AsyncSession, events: Sequence[NewEvent]) -> None:
    """Several events in one plain statement (a bet and its win: the hot path's one extra)."""
    if not events:
        return
    statement = f"INSERT INTO domain_events {_COLUMNS} VALUES " + ", ".join([_ROW] * len(events))  # noqa: S608 - placeholders only
    params = [value for event in events for value in event.params()]
    await execute_plain(session, statement, params)
