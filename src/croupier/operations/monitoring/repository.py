"""All SQL of the operational checks."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from croupier.operations.monitoring.models import OperationalCheck


async def record(session: AsyncSession, *, name: str, ok: bool, at: datetime, detail: str | None) -> None:
    """Overwrite the check's last run; its last success or failure time moves with the result."""
    stamp = {"last_success_at": at} if ok else {"last_failure_at": at}
    values = {"name": name, "ok": ok, "last_run_at": at, "detail": detail, **stamp}
    stmt = insert(OperationalCheck).values(**values)
    stmt = stmt.on_conflict_do_update(
        index_elements=[OperationalCheck.name],
        set_={k: stmt.excluded[k] for k in values if k != "name"},
    )
    await session.execute(stmt)


async def all_checks(session: AsyncSession) -> list[OperationalCheck]:
    return list((await session.scalars(select(OperationalCheck).order_by(OperationalCheck.name))).all())
