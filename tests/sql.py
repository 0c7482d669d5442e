"""Raw SQL on the test's own database, for what the API cannot do or show: arranging time
(an expired session, an old hold), damaging rows on purpose, reading storage directly."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import psycopg
import pytest
from sqlalchemy import text

from croupier.kit.runtime import Runtime


async def sql(runtime: Runtime, statement: str, **params: Any) -> list[Any]:
    """Run one statement in its own committed transaction; its rows, if it returns any."""
    async with runtime.database.unit_of_work() as session:
        result = await session.execute(text(statement), params)
        return list(result.all()) if result.returns_rows else []


@contextmanager
def statements_sent() -> Iterator[list[str]]:
    """The statements sent meanwhile, SQLAlchemy's and the plain ones alike, as psycopg's cursor
    executes them (BEGIN and COMMIT are not cursor executions); each on one line."""
    seen: list[str] = []
    execute = psycopg.AsyncCursor.execute

    async def recording(cursor: psycopg.AsyncCursor[Any], query: Any, *args: Any, **kwargs: Any) -> Any:
        seen.append(" ".join(str(query).split()))
        return await execute(cursor, query, *args, **kwargs)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(psycopg.AsyncCursor, "execute", recording)
        yield seen
