from __future__ import annotations

from collections.abc import AsyncIterator, Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from croupier.audit.models import AuditEvent, AuditHead


async def lock_head(session: AsyncSession) -> AuditHead:
    head = await session.scalar(select(AuditHead).where(AuditHead.id == 1).with_for_update())
    if head is None:
        raise RuntimeError("audit_head row is missing: run `croupier db upgrade`")
    return head


async def get_head(session: AsyncSession) -> AuditHead:
    head = await session.scalar(select(AuditHead).where(AuditHead.id == 1))
    if head is None:
        raise RuntimeError("audit_head row is missing: run `croupier db upgrade`")
    return head


def add(session: AsyncSession, event: AuditEvent) -> None:
    session.add(event)


async def stream(session: AsyncSession, batch: int = 1000) -> AsyncIterator[AuditEvent]:
    last = 0
    while True:
        rows = (
            await session.scalars(
                select(AuditEvent).where(AuditEvent.seq > last).order_by(AuditEvent.seq).limit(batch)
            )
        ).all()
        if not rows:
            return
        for row in rows:
            yield row
        last = rows[-1].seq
        session.expunge_all()


async def list_events(
    session: AsyncSession,
    *,
    target_type: str | None = None,
    target_id: str | None = None,
    action: str | None = None,
    limit: int = 50,
) -> Sequence[AuditEvent]:
    stmt = select(AuditEvent).order_by(AuditEvent.seq.desc()).limit(limit)
    if target_type is not None:
        stmt = stmt.where(AuditEvent.target_type == target_type)
    if target_id is not None:
        stmt = stmt.where(AuditEvent.target_id == target_id)
    if action is not None:
        stmt = stmt.where(AuditEvent.action == action)
    return (await session.scalars(stmt)).all()
