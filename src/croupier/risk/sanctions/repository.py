"""Every query of the sanctions tables."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import exists, func, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from croupier.risk.sanctions.models import (
    HitStatus,
    SanctionsEntry,
    SanctionsHit,
    SanctionsImport,
    SanctionsScreening,
    SubjectKind,
)


@dataclass(frozen=True)
class StoredEntry:
    id: uuid.UUID
    content_hash: bytes
    removed: bool


async def list_version(session: AsyncSession) -> int | None:
    """The newest import's id: screening indexes are rebuilt when it moves."""
    return await session.scalar(select(func.max(SanctionsImport.id)))


async def add_import(session: AsyncSession, values: dict[str, Any]) -> SanctionsImport:
    row = SanctionsImport(**values)
    session.add(row)
    await session.flush()
    return row


async def imports(session: AsyncSession, *, limit: int) -> Sequence[SanctionsImport]:
    return (
        await session.scalars(select(SanctionsImport).order_by(SanctionsImport.id.desc()).limit(limit))
    ).all()


async def entries_of(session: AsyncSession, source: str) -> dict[str, StoredEntry]:
    rows = await session.execute(
        select(
            SanctionsEntry.source_id,
            SanctionsEntry.id,
            SanctionsEntry.content_hash,
            SanctionsEntry.removed_at,
        ).where(SanctionsEntry.source == source)
    )
    return {r.source_id: StoredEntry(r.id, r.content_hash, r.removed_at is not None) for r in rows}


async def insert_entries(session: AsyncSession, rows: list[dict[str, Any]]) -> None:
    for start in range(0, len(rows), 1000):
        await session.execute(insert(SanctionsEntry), rows[start : start + 1000])


async def update_entry(session: AsyncSession, entry_id: uuid.UUID, values: dict[str, Any]) -> None:
    await session.execute(
        update(SanctionsEntry).where(SanctionsEntry.id == entry_id).values(removed_at=None, **values)
    )


async def mark_removed(session: AsyncSession, entry_ids: Sequence[uuid.UUID], at: datetime) -> None:
    for start in range(0, len(entry_ids), 1000):
        await session.execute(
            update(SanctionsEntry)
            .where(SanctionsEntry.id.in_(entry_ids[start : start + 1000]))
            .values(removed_at=at)
        )


async def screenable_entries(
    session: AsyncSession, entry_ids: Sequence[uuid.UUID] | None = None
) -> Sequence[SanctionsEntry]:
    """Listed persons not removed (all, or those of ``entry_ids``)."""
    query = select(SanctionsEntry).where(
        SanctionsEntry.removed_at.is_(None), SanctionsEntry.kind == SubjectKind.PERSON
    )
    if entry_ids is not None:
        query = query.where(SanctionsEntry.id.in_(entry_ids))
    return (await session.scalars(query)).all()


async def add_screening(session: AsyncSession, values: dict[str, Any]) -> int:
    screening_id: int = (
        await session.execute(insert(SanctionsScreening).values(**values).returning(SanctionsScreening.id))
    ).scalar_one()
    return screening_id


async def claim_hit(session: AsyncSession, values: dict[str, Any]) -> uuid.UUID | None:
    """Insert a hit unless this player already has one for this version of the entry."""
    return await session.scalar(
        insert(SanctionsHit)
        .values(**values)
        .on_conflict_do_nothing(constraint="uq_sanctions_hits_version")
        .returning(SanctionsHit.id)
    )


async def set_alert(session: AsyncSession, hit_id: uuid.UUID, alert_id: uuid.UUID | None) -> None:
    await session.execute(update(SanctionsHit).where(SanctionsHit.id == hit_id).values(alert_id=alert_id))


async def hit_for_update(session: AsyncSession, hit_id: uuid.UUID) -> SanctionsHit | None:
    return await session.scalar(select(SanctionsHit).where(SanctionsHit.id == hit_id).with_for_update())


async def hits(
    session: AsyncSession, *, player_id: uuid.UUID | None, status: HitStatus | None, limit: int
) -> Sequence[tuple[SanctionsHit, SanctionsEntry]]:
    query = select(SanctionsHit, SanctionsEntry).join(
        SanctionsEntry, SanctionsEntry.id == SanctionsHit.entry_id
    )
    if player_id is not None:
        query = query.where(SanctionsHit.player_id == player_id)
    if status is not None:
        query = query.where(SanctionsHit.status == status)
    rows = await session.execute(query.order_by(SanctionsHit.created_at.desc()).limit(limit))
    return [(hit, entry) for hit, entry in rows.tuples()]


async def open_hits_on_removed_entries(session: AsyncSession, entry_ids: Sequence[uuid.UUID]) -> int:
    if not entry_ids:
        return 0
    return int(
        await session.scalar(
            select(func.count())
            .select_from(SanctionsHit)
            .where(SanctionsHit.entry_id.in_(entry_ids), SanctionsHit.status == HitStatus.OPEN)
        )
        or 0
    )


async def has_open_blocking_hit(session: AsyncSession, player_id: uuid.UUID) -> bool:
    return bool(
        await session.scalar(
            select(
                exists().where(
                    SanctionsHit.player_id == player_id,
                    SanctionsHit.status == HitStatus.OPEN,
                    SanctionsHit.blocking.is_(True),
                )
            )
        )
    )
