from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from croupier.audit.models import AuditEvent, AuditHead


async def lock_head(session: AsyncSession) -> AuditHead:
    # populate_existing: a head already in the session's identity map would
    # otherwise keep the values it had when first loaded, not the locked row's.
    head = await session.scalar(
        select(AuditHead).where(AuditHead.id == 1).with_for_update().execution_options(populate_existing=True)
    )
    if head is None:
        raise RuntimeError("audit_head row is missing: run `croupier db upgrade`")
    return head


async def get_head(session: AsyncSession) -> AuditHead:
    head = await session.scalar(
        select(AuditHead).where(AuditHead.id == 1).execution_options(populate_existing=True)
    )
    if head is None:
        raise RuntimeError("audit_head row is missing: run `croupier db upgrade`")
    return head


def add(session: AsyncSession, event: AuditEvent) -> None:
    session.add(event)


async def stream(session: AsyncSession, batch: int = 1000) -> AsyncIterator[AuditEvent]:
    """Every entry in seq order, as stored now, in copies the session does not track.

    Read as plain columns rather than through the identity map: an entry the
    session already held would otherwise come back as it was first loaded, not
    as the database has it, and a verifier must see the latter. The caller's
    session is left as it was (no expunging of its other objects).
    """
    columns = AuditEvent.__table__.columns
    last = 0
    while True:
        stmt = select(*columns).where(AuditEvent.seq > last).order_by(AuditEvent.seq).limit(batch)
        rows = (await session.execute(stmt)).all()
        if not rows:
            return
        for row in rows:
            yield AuditEvent(**row._mapping)
        last = rows[-1].seq


async def list_events(
    session: AsyncSession,
    *,
    target_type: str | None = None,
    target_id: str | None = None,
    action: str | None = None,
    action_prefix: str | None = None,
    actor_id: str | None = None,
    limit: int = 50,
) -> Sequence[AuditEvent]:
    stmt = select(AuditEvent).order_by(AuditEvent.seq.desc()).limit(limit)
    if target_type is not None:
        stmt = stmt.where(AuditEvent.target_type == target_type)
    if target_id is not None:
        stmt = stmt.where(AuditEvent.target_id == target_id)
    if action is not None:
        stmt = stmt.where(AuditEvent.action == action)
    if action_prefix is not None:
        # Tags hold underscores (`sign_in`): a prefix is matched literally, not as a pattern.
        stmt = stmt.where(AuditEvent.action.startswith(action_prefix, autoescape=True))
    if actor_id is not None:
        stmt = stmt.where(AuditEvent.actor_id == actor_id)
    return (await session.scalars(stmt)).all()


async def events_about(session: AsyncSession, *, subject_type: str, subject_id: str) -> Sequence[AuditEvent]:
    """Entries naming the subject as their target or their actor, oldest first."""
    stmt = (
        select(AuditEvent)
        .where(
            ((AuditEvent.target_type == subject_type) & (AuditEvent.target_id == subject_id))
            | ((AuditEvent.actor_type == subject_type) & (AuditEvent.actor_id == subject_id))
        )
        .order_by(AuditEvent.seq)
    )
    return (await session.scalars(stmt)).all()


async def recent_about(
    session: AsyncSession, *, subject_type: str, subject_id: str, since: datetime, limit: int
) -> Sequence[AuditEvent]:
    """Entries naming the subject as target or actor since ``since``, newest first."""
    stmt = (
        select(AuditEvent)
        .where(
            ((AuditEvent.target_type == subject_type) & (AuditEvent.target_id == subject_id))
            | ((AuditEvent.actor_type == subject_type) & (AuditEvent.actor_id == subject_id)),
            AuditEvent.occurred_at >= since,
        )
        .order_by(AuditEvent.seq.desc())
        .limit(limit)
    )
    return (await session.scalars(stmt)).all()
