"""Every query on approval requests."""

from __future__ import annotations

import uuid
from collections.abc import Collection
from datetime import datetime
from typing import Any

from sqlalchemy import or_, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from croupier.backoffice.approvals.models import ApprovalRequest, ApprovalStatus

PENDING = ApprovalStatus.PENDING


async def add_pending(
    session: AsyncSession,
    *,
    kind: str,
    subject: str,
    payload: dict[str, Any],
    maker: str,
    maker_reason: str | None,
    permission: str,
    expires_at: datetime,
) -> ApprovalRequest | None:
    """The new pending request, or None when one for this kind and subject is pending already."""
    request_id = uuid.uuid4()
    inserted = await session.scalar(
        insert(ApprovalRequest)
        .values(
            id=request_id,
            kind=kind,
            subject=subject,
            payload=payload,
            maker=maker,
            maker_reason=maker_reason,
            permission=permission,
            status=PENDING,
            expires_at=expires_at,
        )
        .on_conflict_do_nothing(
            index_elements=["kind", "subject"], index_where=ApprovalRequest.status == PENDING
        )
        .returning(ApprovalRequest.id)
    )
    return None if inserted is None else await get(session, request_id)


async def get(session: AsyncSession, request_id: uuid.UUID) -> ApprovalRequest | None:
    found: ApprovalRequest | None = await session.scalar(
        select(ApprovalRequest)
        .where(ApprovalRequest.id == request_id)
        .execution_options(populate_existing=True)
    )
    return found


async def lock(session: AsyncSession, request_id: uuid.UUID) -> ApprovalRequest | None:
    found: ApprovalRequest | None = await session.scalar(
        select(ApprovalRequest)
        .where(ApprovalRequest.id == request_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    return found


async def latest_for(session: AsyncSession, *, kind: str, subject: str) -> ApprovalRequest | None:
    """The newest request for this kind and subject, whatever its status."""
    found: ApprovalRequest | None = await session.scalar(
        select(ApprovalRequest)
        .where(ApprovalRequest.kind == kind, ApprovalRequest.subject == subject)
        .order_by(ApprovalRequest.created_at.desc())
        .limit(1)
    )
    return found


async def expire_due(
    session: AsyncSession, *, now: datetime, kind: str | None = None, subject: str | None = None
) -> list[ApprovalRequest]:
    """Mark pending requests past their expiry as expired (those of one subject, or all); return them."""
    statement = (
        update(ApprovalRequest)
        .where(ApprovalRequest.status == PENDING, ApprovalRequest.expires_at <= now)
        .values(status=ApprovalStatus.EXPIRED, decided_at=now)
        .returning(ApprovalRequest)
        .execution_options(synchronize_session=False)
    )
    if kind is not None and subject is not None:
        statement = statement.where(ApprovalRequest.kind == kind, ApprovalRequest.subject == subject)
    return list((await session.scalars(statement)).all())


async def close_pending(
    session: AsyncSession, *, kind: str, subject: str, now: datetime, note: str
) -> ApprovalRequest | None:
    """Mark the pending request of this kind and subject cancelled; the row it was, if any."""
    closed: ApprovalRequest | None = await session.scalar(
        update(ApprovalRequest)
        .where(
            ApprovalRequest.kind == kind,
            ApprovalRequest.subject == subject,
            ApprovalRequest.status == PENDING,
        )
        .values(status=ApprovalStatus.CANCELLED, decided_at=now, checker_note=note)
        .returning(ApprovalRequest)
        .execution_options(synchronize_session=False)
    )
    return closed


async def visible(
    session: AsyncSession,
    *,
    status: str,
    permissions: Collection[str],
    maker: str,
    limit: int,
) -> list[ApprovalRequest]:
    """Requests in ``status`` that a member may decide (holds the permission) or made, oldest first."""
    return list(
        (
            await session.scalars(
                select(ApprovalRequest)
                .where(
                    ApprovalRequest.status == status,
                    or_(ApprovalRequest.permission.in_(list(permissions)), ApprovalRequest.maker == maker),
                )
                .order_by(ApprovalRequest.created_at, ApprovalRequest.id)
                .limit(limit)
            )
        ).all()
    )
