"""Raw SQL on the test's own database, for what the API cannot do or show: arranging time
(an expired session, an old hold), damaging rows on purpose, reading storage directly."""

from __future__ import annotations

from typing import Any

from sqlalchemy import text

from croupier.kit.runtime import Runtime


async def sql(runtime: Runtime, statement: str, **params: Any) -> list[Any]:
    """Run one statement in its own committed transaction; its rows, if it returns any."""
    async with runtime.database.unit_of_work() as session:
        result = await session.execute(text(statement), params)
        return list(result.all()) if result.returns_rows else []
