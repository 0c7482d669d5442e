"""All SQL of alerts and cases."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import and_, func, or_, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from croupier.kit.jsonb import plain
from croupier.risk.cases import CaseStatus
from croupier.risk.models import RiskAlert, RiskCase, RiskCaseEntry


async def insert_alert(session: AsyncSession, values: Mapping[str, Any]) -> uuid.UUID | None:
    """The new alert's id, or None if its dedupe key was raised before."""
    return await session.scalar(
        insert(RiskAlert)
        .values(**values)
        .on_conflict_do_nothing(index_elements=[RiskAlert.dedupe_key])
        .returning(RiskAlert.id)
    )


async def lock_open_case(session: AsyncSession, player_id: uuid.UUID) -> RiskCase | None:
    """The player's case that is not closed, locked; None if there is none."""
    return await session.scalar(
        select(RiskCase)
        .where(RiskCase.player_id == player_id, RiskCase.status != CaseStatus.CLOSED)
        .with_for_update()
    )


async def insert_case(session: AsyncSession, player_id: uuid.UUID, now: datetime) -> uuid.UUID | None:
    """A new open case; None if another transaction opened one for this player first
    (the partial unique index waits for it and then skips)."""
    return await session.scalar(
        insert(RiskCase)
        .values(id=uuid.uuid4(), player_id=player_id, status=CaseStatus.OPEN, opened_at=now, updated_at=now)
        .on_conflict_do_nothing(
            index_elements=[RiskCase.player_id], index_where=RiskCase.status != CaseStatus.CLOSED
        )
        .returning(RiskCase.id)
    )


async def attach_alert(session: AsyncSession, alert_id: uuid.UUID, case_id: uuid.UUID, now: datetime) -> None:
    await session.execute(update(RiskAlert).where(RiskAlert.id == alert_id).values(case_id=case_id))
    await session.execute(update(RiskCase).where(RiskCase.id == case_id).values(updated_at=now))


async def add_entry(
    session: AsyncSession, case_id: uuid.UUID, *, actor: str, action: str, details: Mapping[str, Any]
) -> None:
    await session.execute(
        insert(RiskCaseEntry).values(
            case_id=case_id, actor=actor[:160], action=action, details=plain(dict(details))
        )
    )


async def get_case(session: AsyncSession, case_id: uuid.UUID, *, for_update: bool = False) -> RiskCase | None:
    stmt = select(RiskCase).where(RiskCase.id == case_id)
    if for_update:
        stmt = stmt.with_for_update()
    return await session.scalar(stmt)


async def case_alerts(session: AsyncSession, case_id: uuid.UUID) -> list[RiskAlert]:
    rows = await session.scalars(
        select(RiskAlert).where(RiskAlert.case_id == case_id).order_by(RiskAlert.created_at, RiskAlert.id)
    )
    return list(rows.all())


async def timeline(session: AsyncSession, case_id: uuid.UUID) -> list[RiskCaseEntry]:
    rows = await session.scalars(
        select(RiskCaseEntry).where(RiskCaseEntry.case_id == case_id).order_by(RiskCaseEntry.id)
    )
    return list(rows.all())


async def alerts_page(
    session: AsyncSession,
    *,
    player_id: uuid.UUID | None,
    status: CaseStatus | None,
    typology: str | None,
    after: tuple[datetime, uuid.UUID] | None,
    limit: int,
) -> list[tuple[RiskAlert, str | None]]:
    """Alerts newest first (ties by id), each with its case's status; keyset after ``after``."""
    stmt = select(RiskAlert, RiskCase.status).outerjoin(RiskCase, RiskCase.id == RiskAlert.case_id)
    if player_id is not None:
        stmt = stmt.where(RiskAlert.player_id == player_id)
    if status is not None:
        stmt = stmt.where(RiskCase.status == status)
    if typology is not None:
        stmt = stmt.where(RiskAlert.typology == typology)
    if after is not None:
        at, last_id = after
        stmt = stmt.where(
            or_(RiskAlert.created_at < at, and_(RiskAlert.created_at == at, RiskAlert.id < last_id))
        )
    stmt = stmt.order_by(RiskAlert.created_at.desc(), RiskAlert.id.desc()).limit(limit)
    return [(alert, case_status) for alert, case_status in (await session.execute(stmt)).all()]


async def cases(
    session: AsyncSession, *, status: CaseStatus | None, player_id: uuid.UUID | None, limit: int
) -> list[tuple[RiskCase, int]]:
    """Cases, most recently changed first, each with its number of alerts."""
    count = (
        select(func.count()).select_from(RiskAlert).where(RiskAlert.case_id == RiskCase.id).scalar_subquery()
    )
    stmt = select(RiskCase, count)
    if status is not None:
        stmt = stmt.where(RiskCase.status == status)
    if player_id is not None:
        stmt = stmt.where(RiskCase.player_id == player_id)
    stmt = stmt.order_by(RiskCase.updated_at.desc(), RiskCase.id.desc()).limit(limit)
    return [(case, int(n)) for case, n in (await session.execute(stmt)).all()]


async def disposition_counts(session: AsyncSession) -> list[tuple[str, str, str, int]]:
    """Per alert source, typology and disposition: how many alerts of closed cases."""
    stmt = (
        select(RiskAlert.source, RiskAlert.typology, RiskCase.disposition, func.count())
        .join(RiskCase, RiskCase.id == RiskAlert.case_id)
        .where(RiskCase.status == CaseStatus.CLOSED)
        .group_by(RiskAlert.source, RiskAlert.typology, RiskCase.disposition)
        .order_by(RiskAlert.source, RiskAlert.typology, RiskCase.disposition)
    )
    return [
        (source, typology, str(disposition), int(n))
        for source, typology, disposition, n in (await session.execute(stmt)).all()
    ]


async def unclosed_case_counts(session: AsyncSession) -> dict[str, int]:
    """How many cases stand in each status other than closed."""
    rows = await session.execute(
        select(RiskCase.status, func.count())
        .where(RiskCase.status != str(CaseStatus.CLOSED))
        .group_by(RiskCase.status)
    )
    return {status: count for status, count in rows}  # noqa: C416 - a Result is not a mapping


async def oldest_unclaimed_case(session: AsyncSession) -> uuid.UUID | None:
    """The open case waiting longest with no one on it, locked; a case another analyst is
    claiming at this moment is skipped rather than waited for."""
    return await session.scalar(
        select(RiskCase.id)
        .where(RiskCase.status == str(CaseStatus.OPEN), RiskCase.assignee.is_(None))
        .order_by(RiskCase.opened_at, RiskCase.id)
        .limit(1)
        .with_for_update(skip_locked=True)
    )
