"""All SQL of the privacy room."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from croupier.compliance.gdpr.models import ConsentRecord, DataExport, Erasure, ExportStatus

# Consents ------------------------------------------------------------------------


async def standing_consents(session: AsyncSession, player_id: uuid.UUID) -> dict[str, ConsentRecord]:
    """The newest record per purpose: the player's standing consent for each."""
    # A player's history is a handful of rows; the last one per purpose wins.
    return {r.purpose: r for r in await consent_history(session, player_id)}


async def standing_consent(session: AsyncSession, player_id: uuid.UUID, purpose: str) -> ConsentRecord | None:
    stmt = (
        select(ConsentRecord)
        .where(ConsentRecord.player_id == player_id, ConsentRecord.purpose == purpose)
        .order_by(ConsentRecord.id.desc())
        .limit(1)
    )
    found: ConsentRecord | None = await session.scalar(stmt)
    return found


def add_consent(session: AsyncSession, record: ConsentRecord) -> None:
    session.add(record)


async def consent_history(session: AsyncSession, player_id: uuid.UUID) -> Sequence[ConsentRecord]:
    stmt = select(ConsentRecord).where(ConsentRecord.player_id == player_id).order_by(ConsentRecord.id)
    return (await session.scalars(stmt)).all()


# Exports -------------------------------------------------------------------------


def add_export(session: AsyncSession, export: DataExport) -> None:
    session.add(export)


async def open_export(session: AsyncSession, player_id: uuid.UUID) -> DataExport | None:
    """The player's export still pending or ready, if any."""
    stmt = select(DataExport).where(
        DataExport.player_id == player_id,
        DataExport.status.in_((ExportStatus.PENDING, ExportStatus.READY)),
    )
    found: DataExport | None = await session.scalar(stmt.limit(1))
    return found


async def export_of(
    session: AsyncSession, export_id: uuid.UUID, *, player_id: uuid.UUID | None = None, lock: bool = False
) -> DataExport | None:
    stmt = select(DataExport).where(DataExport.id == export_id)
    if player_id is not None:
        stmt = stmt.where(DataExport.player_id == player_id)
    if lock:
        stmt = stmt.with_for_update().execution_options(populate_existing=True)
    found: DataExport | None = await session.scalar(stmt)
    return found


async def exports_of(session: AsyncSession, player_id: uuid.UUID) -> Sequence[DataExport]:
    stmt = select(DataExport).where(DataExport.player_id == player_id).order_by(DataExport.created_at.desc())
    return (await session.scalars(stmt)).all()


async def pending_export_ids(session: AsyncSession, *, limit: int) -> list[uuid.UUID]:
    stmt = (
        select(DataExport.id)
        .where(DataExport.status == ExportStatus.PENDING)
        .order_by(DataExport.created_at)
        .limit(limit)
    )
    return list((await session.scalars(stmt)).all())


async def fail_pending_before(session: AsyncSession, before: datetime) -> int:
    result = await session.execute(
        update(DataExport)
        .where(DataExport.status == ExportStatus.PENDING, DataExport.created_at < before)
        .values(status=ExportStatus.FAILED)
    )
    return int(result.rowcount)  # type: ignore[attr-defined]


async def delete_exports(
    session: AsyncSession, *, player_id: uuid.UUID | None = None, before: datetime | None = None
) -> int:
    """The player's exports (erasure), or every export requested before ``before`` (retention)."""
    stmt = delete(DataExport)
    if player_id is not None:
        stmt = stmt.where(DataExport.player_id == player_id)
    if before is not None:
        stmt = stmt.where(DataExport.created_at < before)
    result = await session.execute(stmt)
    return int(result.rowcount)  # type: ignore[attr-defined]


# Erasures ------------------------------------------------------------------------


def add_erasure(session: AsyncSession, erasure: Erasure) -> None:
    session.add(erasure)


async def erasure_of(session: AsyncSession, player_id: uuid.UUID) -> Erasure | None:
    found: Erasure | None = await session.scalar(select(Erasure).where(Erasure.player_id == player_id))
    return found
